"""Search every collected post (store/search.py): results with highlighted matches and
links to the post page, and the weekly timeline of the matches per platform."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from cohesion.review.context import app_context, db
from cohesion.review.rendering import render
from cohesion.review.security import Viewer
from cohesion.review.timeline import Marker, Point, timeline_svg
from cohesion.store import review_queries
from cohesion.store.events import events_between
from cohesion.store.search import SearchFilters, TimelinePoint, parse_filters, search, timeline
from cohesion.store.search_syntax import SearchSyntaxError, parse_query
from cohesion.store.status import active_model
from cohesion.taxonomy import LABELS, NARRATIVES, TARGETS
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

router = APIRouter()
PAGE_SIZE = 50
FILTER_KEYS = ("platform", "source", "since", "until", "label", "narrative", "target",
               "place", "watchlist")  # fmt: skip


def _value(params: Mapping[str, str], name: str) -> str | None:
    return (params.get(name) or "").strip()[:200] or None


def _filters(params: Mapping[str, str]) -> SearchFilters:
    try:
        return parse_filters(
            platforms=[p] if (p := _value(params, "platform")) else None,
            sources=[s] if (s := _value(params, "source")) else None,
            since=_value(params, "since"),
            until=_value(params, "until"),
            label=_value(params, "label"),
            narrative=_value(params, "narrative"),
            target=_value(params, "target"),
            place=_value(params, "place"),
            watchlist=_value(params, "watchlist"),
        )
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/search")
def search_page(request: Request, user: Viewer) -> Response:
    params = request.query_params
    text = (params.get("q") or "").strip()
    filters = _filters(params)
    try:
        page_number = max(1, min(int(params.get("page") or 1), 10_000))
    except ValueError:
        raise HTTPException(status_code=400, detail="page must be a number") from None
    error = None
    result = None
    charts = {}
    charts_rows: list[TimelinePoint] = []
    with db(request) as session:
        sources = review_queries.sources(session)
        if text:
            try:
                query = parse_query(text)
            except SearchSyntaxError as exc:
                error = str(exc)
            else:
                model = active_model(session)
                model_id = model.id if model else None
                points = timeline(session, query, filters, model_id)
                result = search(session, query, filters, model_id, limit=PAGE_SIZE,
                                offset=(page_number - 1) * PAGE_SIZE,
                                total=sum(p.matches for p in points))  # fmt: skip
                markers = []
                if points:
                    first = min(p.week_start for p in points)
                    last = max(p.week_start for p in points)
                    configured = app_context(request).events
                    markers = [Marker(e.day, e.title)
                               for e in events_between(session, first, last, configured)]  # fmt: skip
                charts = {
                    "matches": timeline_svg(
                        [Point(p.week_start, p.platform, p.matches) for p in points], markers,
                        title=f"Posts matching {text} per week and platform",
                    ),
                    "rates": timeline_svg(
                        [Point(p.week_start, p.platform, p.per_thousand) for p in points], markers,
                        title=f"Posts matching {text} per 1,000 posts of each platform",
                    ),
                }  # fmt: skip
                charts_rows = points
    kept = {key: value for key in ("q", *FILTER_KEYS) if (value := _value(params, key))}
    return render(
        request,
        "search.html",
        user,
        text=text,
        error=error,
        result=result,
        charts=charts,
        rows=charts_rows,
        params=kept,
        page=page_number,
        page_size=PAGE_SIZE,
        next_url="/search?" + urlencode({**kept, "page": page_number + 1}),
        prev_url="/search?" + urlencode({**kept, "page": page_number - 1}),
        sources=sources,
        labels=LABELS,
        targets=TARGETS,
        narratives=NARRATIVES,
    )
