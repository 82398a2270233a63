"""The priority and uncertain queues, and the CSV export of decisions (the calibration
queue is in routes/calibration.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import replace

from cohesion.classify.taxonomy import NARRATIVES, TARGETS
from cohesion.csvsafe import spreadsheet_safe
from cohesion.patterns.coordination import bursts_between
from cohesion.review.context import app_context, client_ip, db
from cohesion.review.inputs import parse_day
from cohesion.review.rendering import render
from cohesion.review.security import Viewer
from cohesion.store import audit, decisions, review_queries
from cohesion.store.models import ModelVersion
from cohesion.store.post_texts import posts_fingerprint
from cohesion.store.review_queries import STATUSES, QueueFilters, ReviewInputError
from cohesion.store.status import active_model
from cohesion.store.users import UserInfo
from cohesion.taxonomy import LABELS
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

router = APIRouter()
# Weeks searched for bursts by "coordinated only" when no week is chosen.
COORDINATED_WEEKS = 4
BURST_CACHE_SIZE = 8
QUEUE_PATHS = {"priority": "/queue", "uncertain": "/uncertain", "calibration": "/calibration"}


def parse_filters(params: Mapping[str, str]) -> QueueFilters:
    """Queue filters from query parameters; empty values mean "any"."""

    def value(name: str) -> str | None:
        raw = (params.get(name) or "").strip()
        return raw[:200] or None

    week = value("week")
    try:
        return QueueFilters(
            label=value("label"),
            target=value("target"),
            narrative=value("narrative"),
            source=value("source"),
            week=parse_day(week, "week") if week else None,
            status=value("status") or "unreviewed",
            watchlist=value("watchlist") in ("1", "on", "true"),
            post_ids=frozenset() if value("coordinated") in ("1", "on", "true") else None,
        )
    except (ReviewInputError, ValueError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def filter_params(queue: str, filters: QueueFilters) -> dict[str, str | None]:
    """The query parameters that reproduce a queue view (for links and redirects)."""
    return {
        "queue": queue,
        "label": filters.label,
        "target": filters.target,
        "narrative": filters.narrative,
        "source": filters.source,
        "week": filters.week.isoformat() if filters.week else None,
        "status": filters.status if queue == "priority" else None,
        "watchlist": "1" if filters.watchlist else None,
        "coordinated": "1" if filters.post_ids is not None else None,
    }


def coordinated_posts(
    request: Request, session: Session, model: ModelVersion | None, filters: QueueFilters
) -> QueueFilters:
    """The filters restricted to posts in coordinated bursts (patterns/coordination.py)
    of the chosen week, else of the last COORDINATED_WEEKS weeks with posts."""
    if filters.week:
        first = last = filters.week
    else:
        recent = review_queries.weeks(session, COORDINATED_WEEKS)
        if not recent:
            return replace(filters, post_ids=frozenset())
        first, last = recent[-1], recent[0]
    ctx = app_context(request)
    key = (first, last, posts_fingerprint(session, first, last))
    if key not in ctx.burst_posts:
        _, bursts = bursts_between(
            session, model.id if model else None, first, last, ctx.coordination
        )
        if len(ctx.burst_posts) >= BURST_CACHE_SIZE:
            ctx.burst_posts.pop(next(iter(ctx.burst_posts)))  # the oldest entry
        ctx.burst_posts[key] = frozenset(p.post_id for b in bursts for p in b.posts)
    return replace(filters, post_ids=ctx.burst_posts[key])


def parse_page(params: Mapping[str, str]) -> int:
    try:
        return max(1, min(int(params.get("page") or 1), 100_000))
    except ValueError:
        raise HTTPException(status_code=400, detail="page must be a number") from None


@router.get("/")
def home(user: Viewer) -> Response:
    return RedirectResponse("/queue", status_code=303)


def _queue_view(request: Request, user: UserInfo, queue: str) -> Response:
    filters = parse_filters(request.query_params)
    page = parse_page(request.query_params)
    with db(request) as session:
        model = active_model(session)
        if filters.post_ids is not None:
            filters = coordinated_posts(request, session, model, filters)
        result = review_queries.queue_page(session, model, queue, filters, page)
        model_name = model.name if model else None
        sources, weeks = review_queries.sources(session), review_queries.weeks(session)
    return render(
        request,
        "queue.html",
        user,
        queue=queue,
        path=QUEUE_PATHS[queue],
        filters=filters,
        params=filter_params(queue, filters),
        result=result,
        model_name=model_name,
        sources=sources,
        weeks=weeks,
        labels=LABELS,
        targets=TARGETS,
        narratives=NARRATIVES,
        statuses=STATUSES,
        margin=review_queries.UNCERTAIN_MARGIN,
    )


@router.get("/queue")
def priority_queue(request: Request, user: Viewer) -> Response:
    return _queue_view(request, user, "priority")


@router.get("/uncertain")
def uncertain_queue(request: Request, user: Viewer) -> Response:
    return _queue_view(request, user, "uncertain")


@router.get("/export.csv")
def export_csv(request: Request, user: Viewer) -> Response:
    with db(request) as session:
        rows = decisions.export_decisions(session)
        audit.record_audit(
            session,
            "export.decisions",
            user_id=user.id,
            actor=user.username,
            detail={"rows": len(rows)},
            ip=client_ip(request),
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(decisions.EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[column]) for column in decisions.EXPORT_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="cohesion-decisions.csv"'},
    )
