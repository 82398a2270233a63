"""The search job: what `cohesion search` calls (the review app reads store/search.py)."""

from __future__ import annotations

from dataclasses import dataclass

from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope
from cohesion.store.search import SearchFilters, SearchPage, TimelinePoint, search, timeline
from cohesion.store.search_syntax import parse_query
from cohesion.store.status import active_model


@dataclass(frozen=True)
class SearchResult:
    query: str
    filters: SearchFilters
    page: SearchPage
    timeline: list[TimelinePoint]


def run_search(
    runtime: Runtime,
    query: str,
    filters: SearchFilters,
    *,
    limit: int = 50,
    offset: int = 0,
    with_timeline: bool = False,
) -> SearchResult:
    """Matching posts (newest first) and, when asked, their weekly timeline.

    Raises store.search_syntax.SearchSyntaxError (a ValueError) for a malformed query.
    """
    node = parse_query(query)
    with session_scope(runtime.sessions) as session:
        model = active_model(session)
        model_id = model.id if model else None
        points = timeline(session, node, filters, model_id) if with_timeline else []
        total = sum(p.matches for p in points) if with_timeline else None
        page = search(session, node, filters, model_id, limit=limit, offset=offset, total=total)
    return SearchResult(query, filters, page, points)
