"""Full-text search over every collected post, flagged or not, and its weekly timeline.

The index is migration 0006's: an FTS5 table on SQLite, a generated tsvector column
with a GIN index on PostgreSQL, both kept in step by the database. The query language
is store/search_syntax.py's. Filters narrow by platform, source, week range, and by the
post's *effective* labels (store/effective.py: the active model's classification unless
an analyst's review says otherwise): a label, a narrative, a target, a watchlist entry;
and by a place of the gazetteer the post mentions.

Matches are highlighted by the database (FTS5 `snippet`, PostgreSQL `ts_headline`)
between two private-use characters, `MARK_START` and `MARK_END`, which the caller turns
into markup after escaping the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cohesion import weeks as isoweeks
from cohesion.store.effective import (
    effective_labels,
    effective_tags,
    effective_watchlist,
)
from cohesion.store.models import Post, Source
from cohesion.store.search_syntax import Node, to_fts5, to_tsquery
from cohesion.taxonomy import LABELS, NARRATIVES, TARGETS
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_WORDS = 32
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class SearchFilters:
    platforms: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    first_week: date | None = None
    last_week: date | None = None
    label: str | None = None
    narrative: str | None = None
    target: str | None = None
    place: str | None = None
    watchlist: str | None = None

    def needs_labels(self) -> bool:
        return any((self.label, self.narrative, self.target, self.watchlist))


@dataclass(frozen=True, slots=True)
class SearchHit:
    post_id: int
    created_at: datetime
    platform: str
    source: str | None
    url: str | None
    title: str | None
    snippet: str  # the matched text around the matches, with MARK_START/MARK_END


@dataclass(frozen=True, slots=True)
class SearchPage:
    total: int
    hits: list[SearchHit] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    week_start: date
    platform: str
    matches: int
    posts: int  # every post of that platform and week (the per-1,000 denominator)

    @property
    def per_thousand(self) -> float | None:
        return self.matches * 1000 / self.posts if self.posts else None


def search(
    session: Session,
    query: Node,
    filters: SearchFilters,
    model_version_id: int | None,
    *,
    limit: int = 50,
    offset: int = 0,
    total: int | None = None,
) -> SearchPage:
    """One page of matching posts, newest first, with the number of all matches.

    `total`: that number when the caller already counted it (the timeline's matches add
    up to it), so the matches are not counted twice.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    dialect = session.get_bind().dialect.name
    matched = _matching_ids(dialect, query, filters, model_version_id)
    if total is None:
        total = session.scalar(select(func.count()).select_from(matched)) or 0
    page = (
        select(Post.id, Post.created_at, Post.platform, Source.name, Post.url, Post.title)
        .join(matched, matched.c.post_id == Post.id)
        .outerjoin(Source, Source.id == Post.source_id)
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
        .offset(max(0, offset))
    )
    rows = session.execute(page).all()
    # Highlighting is costly: only the page's posts get it, in a second query.
    snippets = _snippets(session, dialect, query, [row[0] for row in rows])
    hits = [
        SearchHit(pid, created, platform, source, url, title, snippets.get(pid, ""))
        for pid, created, platform, source, url, title in rows
    ]
    return SearchPage(total, hits)


def timeline(
    session: Session,
    query: Node,
    filters: SearchFilters,
    model_version_id: int | None,
) -> list[TimelinePoint]:
    """Matches and all posts per (week, platform) over the weeks that have matches (or
    the filter's week range), so a growing source is not read as a growing topic."""
    dialect = session.get_bind().dialect.name
    matched = _matching_ids(dialect, query, filters, model_version_id)
    counts = (
        select(Post.week_start, Post.platform, func.count())
        .join(matched, matched.c.post_id == Post.id)
        .group_by(Post.week_start, Post.platform)
    )
    found = {(week, platform): n for week, platform, n in session.execute(counts)}
    if not found:
        return []
    first = filters.first_week or min(week for week, _ in found)
    last = filters.last_week or max(week for week, _ in found)
    volume = select(Post.week_start, Post.platform, func.count()).where(
        Post.week_start.between(first, last)
    )
    if filters.platforms:
        volume = volume.where(Post.platform.in_(filters.platforms))
    volume = volume.group_by(Post.week_start, Post.platform)
    posts = {(week, platform): n for week, platform, n in session.execute(volume)}
    # Every week of the range for every platform seen, zeros included: a line on a chart
    # must not skip a week in which a platform had no match.
    platforms = sorted({platform for _, platform in (*found, *posts)})
    return [
        TimelinePoint(
            week, platform, found.get((week, platform), 0), posts.get((week, platform), 0)
        )
        for week in isoweeks.weeks_between(first, last)
        for platform in platforms
    ]


def parse_filters(
    *,
    platforms: list[str] | None = None,
    sources: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    label: str | None = None,
    narrative: str | None = None,
    target: str | None = None,
    place: str | None = None,
    watchlist: str | None = None,
) -> SearchFilters:
    """Filters from what a user typed; ValueError naming the field that is wrong.

    `since` and `until` are ISO weeks ("2026-W40") or dates within them.
    """
    _one_of("label", label, LABELS)
    _one_of("narrative", narrative, NARRATIVES)
    _one_of("target", target, TARGETS)
    first, last = _week(since, "since"), _week(until, "until")
    if first and last and first > last:
        raise ValueError(f"--since {since} is after --until {until}")
    return SearchFilters(
        platforms=tuple(p.strip().lower() for p in platforms or () if p.strip()),
        sources=tuple(s.strip() for s in sources or () if s.strip()),
        first_week=first,
        last_week=last,
        label=label or None,
        narrative=narrative or None,
        target=target or None,
        place=place or None,
        watchlist=watchlist or None,
    )


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value and value not in allowed:
        raise ValueError(f"unknown {name} {value!r} (choose from {', '.join(allowed)})")


def _week(value: str | None, name: str) -> date | None:
    if not value:
        return None
    text = value.strip()
    try:
        return isoweeks.parse_week(text)
    except ValueError as not_a_week:
        try:
            return isoweeks.monday_of(date.fromisoformat(text))
        except ValueError:
            raise ValueError(
                f"--{name} {value!r} is neither an ISO week (2026-W40) nor a date (2026-10-01)"
            ) from not_a_week


# --- the query --------------------------------------------------------------------------


def _matching_ids(
    dialect: str, query: Node, filters: SearchFilters, model_version_id: int | None
) -> Any:
    """A subquery of the ids (`post_id`) of posts that match the query and the filters."""
    ids: Select[Any] = select(Post.id.label("post_id"))
    if dialect == "sqlite":
        fts = (
            select(literal_column("rowid", Integer).label("rowid"))
            .select_from(table("posts_fts"))
            .where(text("posts_fts MATCH :fts_query").bindparams(fts_query=to_fts5(query)))
            .subquery("fts")
        )
        ids = ids.join(fts, fts.c.rowid == Post.id)
    elif dialect == "postgresql":
        ids = ids.where(literal_column("posts.search_vector").op("@@")(_tsquery(query)))
    else:
        raise NotImplementedError(f"search supports SQLite and PostgreSQL, not {dialect}")
    ids = ids.where(*_post_filters(dialect, filters))
    if filters.sources:
        ids = ids.join(Source, Source.id == Post.source_id).where(Source.name.in_(filters.sources))
    if filters.needs_labels():
        e = effective_labels(dialect, model_version_id, filters.first_week, filters.last_week)
        ids = ids.join(e, e.c.post_id == Post.id)
        if filters.label:
            ids = ids.where(e.c[f"flag_{filters.label}"] == 1)
        for kind, value in (("narrative", filters.narrative), ("target", filters.target)):
            if value:
                tags = effective_tags(dialect, e)
                ids = ids.where(
                    exists().where(
                        tags.c.post_id == Post.id, tags.c.kind == kind, tags.c.value == value
                    )
                )
        if filters.watchlist:
            hits = effective_watchlist(e)
            ids = ids.where(
                exists().where(hits.c.post_id == Post.id, hits.c.value == filters.watchlist)
            )
    return ids.subquery("matched")


def _post_filters(dialect: str, filters: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.platforms:
        conditions.append(Post.platform.in_(filters.platforms))
    if filters.first_week:
        conditions.append(Post.week_start >= filters.first_week)
    if filters.last_week:
        conditions.append(Post.week_start <= filters.last_week)
    if filters.place:
        conditions.append(_list_contains(dialect, Post.places, filters.place))
    return conditions


def _list_contains(dialect: str, column: Any, value: str) -> ColumnElement[bool]:
    """A JSON list column holds `value`."""
    if dialect == "postgresql":
        return cast(column, JSONB).contains(func.jsonb_build_array(value))
    each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == value))


def _tsquery(query: Node) -> Any:
    return func.to_tsquery(literal_column("'english'"), to_tsquery(query))


def _snippets(session: Session, dialect: str, query: Node, ids: list[int]) -> dict[int, str]:
    """post id -> its text around the matches, marked with MARK_START/MARK_END."""
    if not ids:
        return {}
    if dialect == "sqlite":
        # snippet() runs only beside a MATCH on the FTS table. Column 1 is `text`; a
        # title-only post falls back to column 0, the title.
        def snippet(column: int) -> Any:
            return func.snippet(
                literal_column("posts_fts"), column, MARK_START, MARK_END, "…", SNIPPET_WORDS
            )

        query_sql = (
            select(
                literal_column("rowid", Integer),
                func.coalesce(func.nullif(snippet(1), ""), snippet(0)),
            )
            .select_from(table("posts_fts"))
            .where(
                text("posts_fts MATCH :fts_query").bindparams(fts_query=to_fts5(query)),
                literal_column("rowid", Integer).in_(ids),
            )
        )
    else:
        options = (
            f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, "
            "MinWords=12, ShortWord=2"
        )
        query_sql = select(
            Post.id,
            func.ts_headline(
                literal_column("'english'"),
                func.coalesce(Post.title, "") + " " + Post.text,
                _tsquery(query),
                literal(options),
            ),
        ).where(Post.id.in_(ids))
    return {post_id: snippet or "" for post_id, snippet in session.execute(query_sql)}
