"""The storylines page: a week's flagged posts grouped into storylines (patterns/)."""

from __future__ import annotations

from datetime import date

from cohesion import weeks as isoweeks
from cohesion.patterns.storylines import week_storylines
from cohesion.review.context import app_context, db
from cohesion.review.rendering import render
from cohesion.review.security import Viewer
from cohesion.store import review_queries
from cohesion.store.status import active_model
from cohesion.store.types import utcnow
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

router = APIRouter()


def parse_week(raw: str | None) -> date | None:
    """An ISO week ("2026-W47") or any date in it; empty means the default week."""
    text = (raw or "").strip()[:40]
    if not text:
        return None
    try:
        if "W" in text.upper():
            return isoweeks.parse_week(text.upper())
        return isoweeks.monday_of(date.fromisoformat(text))
    except ValueError:
        raise HTTPException(
            status_code=400, detail="week must be an ISO week like 2026-W47 or a date"
        ) from None


@router.get("/storylines")
def storylines_page(request: Request, user: Viewer) -> Response:
    chosen = parse_week(request.query_params.get("week"))
    ctx = app_context(request)
    with db(request) as session:
        model = active_model(session)
        weeks = review_queries.weeks(session)
        week = chosen or isoweeks.last_complete_week(utcnow(), ctx.timezone)
        found = week_storylines(session, model.id if model else None, week)
    return render(
        request,
        "storylines.html",
        user,
        found=found,
        week=week,
        weeks=weeks,
        week_label=isoweeks.week_label,
        timezone=ctx.timezone,
    )
