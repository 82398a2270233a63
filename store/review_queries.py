"""What the review app reads: the queues, one post and its thread, the calibration queue.

The review app only renders what these functions return. A post's review status is
its latest `reviews` row (the table is append-only): none = unreviewed, escalate =
escalated, any other decision = reviewed. Decisions are written by `store.decisions`.

Watchlist: a post flagged threat or doxxing whose classification has a `watchlist`
tag (an entry of `Settings.watchlist` it names) is a watchlist hit; the priority queue
puts every hit before every other post, then orders by priority. Accounts are in
`store.users`, the audit log in `store.audit`, the calibration sample in
`store.calibration`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cohesion.store.models import (
    Classification,
    ClassificationTag,
    ModelVersion,
    Post,
    Review,
    Source,
    User,
)
from cohesion.taxonomy import LABELS
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

QUEUES: tuple[str, ...] = ("priority", "uncertain", "calibration")
STATUSES: tuple[str, ...] = ("unreviewed", "reviewed", "escalated", "all")
PAGE_SIZE = 25
DEFAULT_THRESHOLD = 0.5
# Posts whose score for some label is this close to its threshold are "uncertain".
UNCERTAIN_MARGIN = 0.15
# Added to the sort key of watchlist hits so that they come first (priorities are <= 1).
WATCHLIST_LIFT = 10.0
# A queue is counted up to this many posts (or to the page shown, beyond it): past it
# the app shows "10,000+". Counting every unreviewed flagged post took 158 ms at 10M
# posts (600k flagged); nobody pages through ten thousand posts.
COUNT_CAP = 10_000


class ReviewInputError(ValueError):
    """A decision, filter or account request the store refuses; the message says why."""


@dataclass(slots=True, frozen=True)
class QueueFilters:
    label: str | None = None
    target: str | None = None
    narrative: str | None = None
    source: str | None = None
    week: date | None = None
    status: str = "unreviewed"
    watchlist: bool = False  # only watchlist hits
    # Only these posts (the review app's "coordinated only": posts in bursts); None: any.
    post_ids: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.label is not None and self.label not in LABELS:
            raise ReviewInputError(f"unknown label {self.label!r} (labels: {', '.join(LABELS)})")
        if self.status not in STATUSES:
            raise ReviewInputError(f"unknown status {self.status!r} (use {', '.join(STATUSES)})")


@dataclass(slots=True)
class QueueItem:
    post_id: int
    priority: float
    flags: list[str]
    scores: dict[str, float]
    platform: str
    source: str | None
    created_at: datetime
    excerpt: str
    status: str | None  # the latest decision, None when unreviewed
    closeness: float | None = None
    watchlist: list[str] = field(default_factory=list)  # entries the post names


@dataclass(slots=True)
class QueuePage:
    items: list[QueueItem]
    page: int
    per_page: int
    total: int  # at most the count cap when `more`
    more: bool = False  # more posts than `total`: the count stopped at its cap

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(slots=True)
class ReviewEntry:
    at: datetime
    username: str | None
    decision: str
    queue: str
    note: str | None
    corrected_labels: dict[str, Any] | None


@dataclass(slots=True)
class ThreadPost:
    post_id: int
    created_at: datetime
    author: str | None
    text: str
    is_current: bool


@dataclass(slots=True)
class PostDetail:
    post_id: int
    platform: str
    external_id: str
    source: str | None
    url: str | None  # in clear only with [privacy] keep_raw_handles
    has_sealed_link: bool
    title: str | None
    text: str
    created_at: datetime
    week_start: date
    author: str | None
    places: list[str]
    classification_id: int | None = None
    flags: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    priority: float = 0.0
    model_name: str | None = None
    reviews: list[ReviewEntry] = field(default_factory=list)
    thread: list[ThreadPost] = field(default_factory=list)

    @property
    def watchlist(self) -> list[str]:
        return self.tags.get("watchlist", [])


# --- queues -----------------------------------------------------------------------------


def thresholds_of(model: ModelVersion | None) -> dict[str, float]:
    raw = model.thresholds if model is not None else {}
    out = {}
    for label in LABELS:
        value = raw.get(label) if isinstance(raw, Mapping) else None
        out[label] = float(value) if isinstance(value, int | float) else DEFAULT_THRESHOLD
    return out


def _closeness(thresholds: Mapping[str, float]) -> ColumnElement[float]:
    """The smallest |score - threshold| over the labels, written portably (no LEAST/MIN)."""
    distances: list[ColumnElement[float]] = [
        func.abs(getattr(Classification, f"score_{label}") - thresholds[label]) for label in LABELS
    ]
    best = distances[0]
    for distance in distances[1:]:
        best = case((distance < best, distance), else_=best)
    return best


def watchlist_hit() -> ColumnElement[bool]:
    """The classification flags threat or doxxing and names a watchlist entry.

    "Names an entry" as IN over the (few) watchlist tags rather than EXISTS per
    classification: SQLite then reads the tags once instead of testing every flagged
    classification for one (the hits of the priority queue's first page: 48 ms -> 2 ms
    at 1M posts). classification_id is NOT NULL, so NOT IN means what it says."""
    named = Classification.id.in_(
        select(ClassificationTag.classification_id).where(ClassificationTag.kind == "watchlist")
    )
    return and_(or_(Classification.flag_threat, Classification.flag_doxxing), named)


def _classification_filters(stmt: Select[Any], filters: QueueFilters) -> Select[Any]:
    """The filters a classification answers by itself: label, target, narrative, watchlist."""
    if filters.label:
        stmt = stmt.where(getattr(Classification, f"flag_{filters.label}"))
    for kind, value in (("target", filters.target), ("narrative", filters.narrative)):
        if value:
            stmt = stmt.where(
                exists().where(
                    ClassificationTag.classification_id == Classification.id,
                    ClassificationTag.kind == kind,
                    ClassificationTag.value == value,
                )
            )
    if filters.watchlist:
        stmt = stmt.where(watchlist_hit())
    return stmt


def _queue_select(
    model: ModelVersion, queue: str, filters: QueueFilters, margin: float
) -> tuple[Select[Any], ColumnElement[Any], bool]:
    """The queue's rows, its sort key and whether that key sorts descending."""
    latest = (
        select(Review.post_id, func.max(Review.id).label("review_id"))
        .group_by(Review.post_id)
        .subquery()
    )
    last = aliased(Review)
    if queue == "uncertain":
        key: ColumnElement[Any] = _closeness(thresholds_of(model))
        descending = False
    else:
        priority = Classification.__table__.c.priority
        key = case((watchlist_hit(), priority + WATCHLIST_LIFT), else_=priority)
        descending = True
    stmt = (
        select(Classification, Post, Source.name, last.decision, key.label("sort_key"))
        .join(Post, Post.id == Classification.post_id)
        .outerjoin(Source, Source.id == Post.source_id)
        .outerjoin(latest, latest.c.post_id == Post.id)
        .outerjoin(last, last.id == latest.c.review_id)
        .where(Classification.model_version_id == model.id)
    )
    status = filters.status
    if queue == "uncertain":
        stmt = stmt.where(key <= margin)
        status = "unreviewed"
    else:
        stmt = stmt.where(Classification.flagged)
    if status == "unreviewed":
        stmt = stmt.where(latest.c.review_id.is_(None))
    elif status == "reviewed":
        stmt = stmt.where(last.decision.in_(["confirm", "reject", "correct"]))
    elif status == "escalated":
        stmt = stmt.where(last.decision == "escalate")
    stmt = _classification_filters(stmt, filters)
    if filters.source:
        stmt = stmt.where(Source.name == filters.source)
    if filters.week:
        stmt = stmt.where(Post.week_start == filters.week)
    if filters.post_ids is not None:
        stmt = stmt.where(Post.id.in_(sorted(filters.post_ids)))
    return stmt, key, descending


def _excerpt(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _item(row: Any, queue: str) -> QueueItem:
    c, post, source, decision, sort_key = row
    flags = [label for label in LABELS if getattr(c, f"flag_{label}")]
    return QueueItem(
        post_id=post.id,
        priority=c.priority,
        flags=flags,
        scores={label: getattr(c, f"score_{label}") for label in LABELS},
        platform=post.platform,
        source=source,
        created_at=post.created_at,
        excerpt=_excerpt(post.text),
        status=decision,
        closeness=float(sort_key) if queue == "uncertain" else None,
    )


def queue_page(
    session: Session,
    model: ModelVersion | None,
    queue: str,
    filters: QueueFilters,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    margin: float = UNCERTAIN_MARGIN,
) -> QueuePage:
    """One page of a queue: "priority" (flagged, by priority) or "uncertain" (near a
    threshold, unreviewed, closest first)."""
    if queue not in ("priority", "uncertain"):
        raise ReviewInputError(f"unknown queue {queue!r}")
    page = max(1, page)
    if model is None:
        return QueuePage([], page, per_page, 0)
    stmt, key, descending = _queue_select(model, queue, filters, margin)
    order = (key.desc() if descending else key.asc(), Post.id.asc())
    offset = (page - 1) * per_page
    fast = _unreviewed(model, queue, filters, margin)
    cap = max(COUNT_CAP, offset + per_page)
    total = _capped_count(session, stmt if fast is None else fast, cap)
    if fast is None:
        rows = session.execute(stmt.order_by(*order).limit(per_page).offset(offset)).all()
    else:
        if queue == "priority":
            ids = _priority_page(session, fast, offset, per_page)
        else:  # closest first: the sort over classifications alone, then 25 rows
            page_ids = fast.order_by(key.asc(), Classification.post_id.asc())
            ids = list(session.scalars(page_ids.limit(per_page).offset(offset)))
        chosen = stmt.where(Classification.id.in_(ids)).order_by(*order)
        rows = session.execute(chosen).all() if ids else []
    items = [_item(row, queue) for row in rows]
    names = _watchlist_names(session, [row[0].id for row in rows])
    for item, row in zip(items, rows, strict=True):
        item.watchlist = names.get(row[0].id, [])
    return QueuePage(items, page, per_page, min(total, cap), more=total > cap)


def _capped_count(session: Session, rows: Select[Any], cap: int) -> int:
    """The number of rows, counted up to cap + 1 (cap + 1: more than cap)."""
    return session.scalar(select(func.count()).select_from(rows.limit(cap + 1).subquery())) or 0


def _unreviewed(
    model: ModelVersion, queue: str, filters: QueueFilters, margin: float
) -> Select[Any] | None:
    """The queue's rows read from classifications alone when the filters allow it (the
    priority queue of unreviewed posts, the uncertain queue, with no filter on posts or
    sources): the classification ids of `_queue_select`'s rows, else None.

    "Unreviewed" is "no review of the post" (NOT EXISTS on the reviews' post index),
    the same posts as `_queue_select`'s "no latest review". Every classification has
    its post (post_id is a NOT NULL foreign key), so leaving posts out drops no row.
    """
    if queue == "priority" and filters.status != "unreviewed":
        return None  # (the uncertain queue is always of unreviewed posts)
    if filters.source or filters.week or filters.post_ids is not None:
        return None
    belongs = (
        Classification.flagged
        if queue == "priority"
        else _closeness(thresholds_of(model)) <= margin
    )
    stmt = select(Classification.id).where(
        Classification.model_version_id == model.id,
        belongs,
        ~exists().where(Review.post_id == Classification.post_id),
    )
    return _classification_filters(stmt, filters)


def _priority_page(session: Session, rows: Select[Any], offset: int, per_page: int) -> list[int]:
    """Classification ids of one page of the priority queue, in queue order.

    The queue's order is priority (lifted by WATCHLIST_LIFT for watchlist hits), highest
    first, then post id. Sorting that key over every flagged post grows with the store;
    instead the watchlist hits and the other posts are each read in priority order (the
    others from ix_classifications_queue, migration 0009), as many of each as the page
    can need, and the two short lists are merged in the queue's order: the same page.
    """
    wanted = offset + per_page
    hit = watchlist_hit()
    priority = Classification.__table__.c.priority
    parts = []
    for where, part_key in ((hit, priority + WATCHLIST_LIFT), (~hit, priority)):
        part = (
            rows.with_only_columns(
                Classification.id,
                part_key.label("sort_key"),
                Classification.post_id.label("post_id"),
            )
            .where(where)
            .order_by(part_key.desc(), Classification.post_id.asc())
            .limit(wanted)
            .subquery()
        )
        parts.append(select(part.c.id, part.c.sort_key, part.c.post_id))
    merged = union_all(*parts).subquery()
    page = (
        select(merged.c.id)
        .order_by(merged.c.sort_key.desc(), merged.c.post_id.asc())
        .limit(per_page)
        .offset(offset)
    )
    return list(session.scalars(page))


def _watchlist_names(session: Session, classification_ids: list[int]) -> dict[int, list[str]]:
    if not classification_ids:
        return {}
    query = (
        select(ClassificationTag.classification_id, ClassificationTag.value)
        .where(
            ClassificationTag.kind == "watchlist",
            ClassificationTag.classification_id.in_(classification_ids),
        )
        .order_by(ClassificationTag.id)
    )
    names: dict[int, list[str]] = {}
    for classification_id, value in session.execute(query):
        names.setdefault(classification_id, []).append(value)
    return names


def neighbours(
    session: Session,
    model: ModelVersion | None,
    queue: str,
    filters: QueueFilters,
    post_id: int,
    margin: float = UNCERTAIN_MARGIN,
) -> tuple[int | None, int | None]:
    """The posts before and after `post_id` in the queue's order (keyset, so it also
    works for a post that just left the queue because it was reviewed)."""
    if model is None or queue not in ("priority", "uncertain"):
        return None, None
    stmt, key, descending = _queue_select(model, queue, filters, margin)
    current = session.scalar(
        select(key).where(
            Classification.post_id == post_id, Classification.model_version_id == model.id
        )
    )
    if current is None:
        return None, None
    later = (key < current) if descending else (key > current)
    earlier = (key > current) if descending else (key < current)
    after = stmt.where(or_(later, and_(key == current, Post.id > post_id)))
    before = stmt.where(or_(earlier, and_(key == current, Post.id < post_id)))
    next_row = session.execute(
        after.order_by(key.desc() if descending else key.asc(), Post.id.asc()).limit(1)
    ).first()
    prev_row = session.execute(
        before.order_by(key.asc() if descending else key.desc(), Post.id.desc()).limit(1)
    ).first()
    return (prev_row[1].id if prev_row else None, next_row[1].id if next_row else None)


def sources(session: Session) -> list[str]:
    return list(session.scalars(select(Source.name).order_by(Source.name)))


def weeks(session: Session, limit: int = 26) -> list[date]:
    """The latest `limit` weeks with posts, newest first.

    One index probe a week (the latest week before the one found, recursively) instead
    of reading every post of those weeks (DISTINCT: 212 ms at 1M posts on PostgreSQL)."""
    found = select(func.max(Post.week_start).label("week_start"), literal(1).label("n")).cte(
        "found_weeks", recursive=True
    )
    before = (
        select(func.max(Post.week_start))
        .where(Post.week_start < found.c.week_start)
        .scalar_subquery()
    )
    found = found.union_all(
        select(before, found.c.n + 1).where(found.c.week_start.is_not(None), found.c.n < limit)
    )
    query = select(found.c.week_start).where(found.c.week_start.is_not(None)).order_by(found.c.n)
    return list(session.scalars(query)) if limit > 0 else []


# --- the calibration queue (the sample itself is drawn by store.calibration) ----------


@dataclass(slots=True, frozen=True)
class PostSummary:
    """A post as the calibration list shows it: nothing the model said about it."""

    post_id: int
    week_start: date
    platform: str
    source: str | None
    created_at: datetime
    excerpt: str


def calibration_reviewed(session: Session, post_ids: set[int]) -> set[int]:
    """The posts among `post_ids` that have a calibration review (any decision)."""
    if not post_ids:
        return set()
    query = select(Review.post_id).where(
        Review.queue == "calibration", Review.post_id.in_(post_ids)
    )
    return set(session.scalars(query.distinct()))


def post_summaries(session: Session, post_ids: set[int]) -> dict[int, PostSummary]:
    if not post_ids:
        return {}
    query = (
        select(Post, Source.name)
        .outerjoin(Source, Source.id == Post.source_id)
        .where(Post.id.in_(post_ids))
    )
    return {
        post.id: PostSummary(
            post.id, post.week_start, post.platform, source, post.created_at, _excerpt(post.text)
        )
        for post, source in session.execute(query)
    }


def week_of(session: Session, post_id: int) -> date | None:
    return session.scalar(select(Post.week_start).where(Post.id == post_id))


def model_flags(session: Session, post_id: int, model: ModelVersion | None) -> list[str] | None:
    """The labels the model flagged on the post; None when it has not classified it."""
    c = classification_for(session, post_id, model)
    return None if c is None else [label for label in LABELS if getattr(c, f"flag_{label}")]


# --- one post ---------------------------------------------------------------------------


def sealed_link_of(session: Session, post_id: int) -> tuple[bool, str | None]:
    """(whether the post exists, its sealed link) for the review app's "open original"."""
    row = session.execute(select(Post.sealed_link).where(Post.id == post_id)).first()
    return (row is not None, row[0] if row else None)


def post_detail(session: Session, post_id: int, model: ModelVersion | None) -> PostDetail | None:
    row = session.execute(
        select(Post, Source.name)
        .outerjoin(Source, Source.id == Post.source_id)
        .where(Post.id == post_id)
    ).first()
    if row is None:
        return None
    post, source = row
    detail = PostDetail(
        post_id=post.id,
        platform=post.platform,
        external_id=post.external_id,
        source=source,
        url=post.url,
        has_sealed_link=post.sealed_link is not None,
        title=post.title,
        text=post.text,
        created_at=post.created_at,
        week_start=post.week_start,
        author=post.author.pseudonym if post.author else None,
        places=list(post.places or []),
        thresholds=thresholds_of(model),
        model_name=model.name if model else None,
    )
    c = classification_for(session, post_id, model)
    if c is not None:
        detail.classification_id = c.id
        detail.flags = [label for label in LABELS if getattr(c, f"flag_{label}")]
        detail.scores = {label: getattr(c, f"score_{label}") for label in LABELS}
        detail.priority = c.priority
        detail.evidence = list(c.evidence or [])
        for tag in c.tags:
            detail.tags.setdefault(tag.kind, []).append(tag.value)
    history = session.execute(
        select(Review, User.username)
        .outerjoin(User, User.id == Review.user_id)
        .where(Review.post_id == post_id)
        .order_by(Review.id.desc())
    )
    detail.reviews = [
        ReviewEntry(r.created_at, name, r.decision, r.queue, r.note, r.corrected_labels)
        for r, name in history
    ]
    detail.thread = thread_context(session, post)
    return detail


def classification_for(
    session: Session, post_id: int, model: ModelVersion | None
) -> Classification | None:
    if model is None:
        return None
    return session.scalar(
        select(Classification).where(
            Classification.post_id == post_id, Classification.model_version_id == model.id
        )
    )


def thread_context(session: Session, post: Post, limit: int = 50) -> list[ThreadPost]:
    """Posts of the same thread on the same platform (the root, its replies), by time."""
    keys = {k for k in (post.thread_id, post.parent_id) if k}
    if not keys:
        keys = {post.external_id}
    query = (
        select(Post)
        .where(
            Post.platform == post.platform,
            or_(Post.thread_id.in_(keys), Post.external_id.in_(keys), Post.parent_id.in_(keys)),
        )
        .order_by(Post.created_at, Post.id)
        .limit(limit)
    )
    rows = list(session.scalars(query))
    if len(rows) <= 1:
        return []
    return [
        ThreadPost(
            p.id, p.created_at, p.author.pseudonym if p.author else None, p.text, p.id == post.id
        )
        for p in rows
    ]
