"""Effective labels: what the store believes about a post, in one SQL-level rule.

A post's effective labels are the current model's classification, overridden by the
latest analyst review of that post when one exists:

- no review: the active model's flags and tags;
- confirm or escalate: the flags and tags of the classification the analyst reviewed
  (the active model's when the review names none);
- reject: no flags, no tags;
- correct: `corrected_labels["flags"]`, and `["targets"]`, `["narratives"]`,
  `["threat_targets"]`; a kind whose key is absent keeps the reviewed classification's
  tags of that kind.

A tag counts only while the label it details is flagged (targets: hate; narratives:
anti_government; threat targets: threat).

"Latest" is the newest `created_at`, ties broken by the higher id (reviews are
append-only). A review of an older model's classification still counts: the analyst's
decision is about the post, and outlives the model that prompted it.

`effective_labels()` returns a subquery with one row per post in a week range,
`effective_tags()` one row per (post, kind, value) of posts whose effective label set
is non-empty, and `effective_watchlist()` one row per (post, entry) of watchlist hits. Both are plain SELECTs built for SQLite and PostgreSQL (the only
dialect-specific part is how a JSON array in `corrected_labels` is expanded), so trend
queries aggregate them with GROUP BY in the database. The review app reuses them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cohesion.store.models import Classification, ClassificationTag, Post, Review
from cohesion.taxonomy import LABELS
from sqlalchemy import (
    Integer,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, distinct_on
from sqlalchemy.sql.expression import type_coerce

TAG_KINDS: tuple[str, ...] = ("target", "narrative", "threat_target")
# The label each tag kind details: a tag counts only while its label is flagged.
TAG_LABEL: dict[str, str] = {
    "target": "hate",
    "narrative": "anti_government",
    "threat_target": "threat",
}
# Key of each tag kind in reviews.corrected_labels.
CORRECTED_KEYS: dict[str, str] = {
    "target": "targets",
    "narrative": "narratives",
    "threat_target": "threat_targets",
}


def json_array_values(dialect: str, column: Any, key: str) -> Any:
    """A table-valued function with one `value` row per string in column[key]."""
    if dialect == "postgresql":
        path = type_coerce(column, JSONB)[key]
        return func.jsonb_array_elements_text(path).table_valued("value")
    if dialect == "sqlite":
        return func.json_each(column, f"$.{key}").table_valued("value")
    raise NotImplementedError(f"effective labels support SQLite and PostgreSQL, not {dialect}")


def json_has_key(dialect: str, column: Any, key: str) -> Any:
    if dialect == "postgresql":
        return type_coerce(column, JSONB).has_key(key)
    return func.json_type(column, f"$.{key}").is_not(None)


def latest_reviews() -> Subquery:
    """The latest review of each reviewed post."""
    ranked = select(
        Review.id.label("review_id"),
        Review.post_id,
        Review.decision,
        Review.classification_id,
        Review.corrected_labels,
        func.row_number()
        .over(partition_by=Review.post_id, order_by=(Review.created_at.desc(), Review.id.desc()))
        .label("rank"),
    ).subquery("ranked_reviews")
    return select(ranked).where(ranked.c.rank == 1).subquery("latest_reviews")


def _latest_reviews_distinct() -> Subquery:
    """`latest_reviews()` as DISTINCT ON, for a few weeks of posts on PostgreSQL.

    The planner estimates `latest_reviews()` at a couple of rows (it cannot see through
    `rank = 1`) and loops over all of it for every post of the range (1.4 s for 19k posts
    and 500 reviews, growing with both); this one it estimates at the number of reviewed
    posts and joins once (a merge or hash join: a sort of the reviews, not one index
    probe per post)."""
    return (
        select(
            Review.id.label("review_id"),
            Review.post_id,
            Review.decision,
            Review.classification_id,
            Review.corrected_labels,
        )
        .ext(distinct_on(Review.post_id))
        .order_by(Review.post_id, Review.created_at.desc(), Review.id.desc())
        .subquery("latest_reviews")
    )


# Week ranges up to this long are read post by post on PostgreSQL (see effective_labels):
# the report's single weeks and its five-week tables, not the long series and builds.
SHORT_RANGE_WEEKS = 5


def _short_range(first_week: date | None, last_week: date | None) -> bool:
    if first_week is None or last_week is None:
        return False
    return (last_week - first_week).days < SHORT_RANGE_WEEKS * 7


def effective_labels(
    dialect: str,
    model_version_id: int | None,
    first_week: date | None = None,
    last_week: date | None = None,
) -> Subquery:
    """One row per post (in the week range): its effective flags as 0/1 integers.

    Columns: post_id, week_start, source_id, platform, author_id, created_at,
    classification_id (the one whose tags apply, NULL when rejected), decision (of the
    latest review, NULL when unreviewed), assessed (1 when classified by the active
    model or reviewed), flag_<label> for each label, flagged.
    """
    model_id = model_version_id if model_version_id is not None else -1
    active: Any = Classification.__table__.alias("active_c")
    lateral = dialect == "postgresql" and _short_range(first_week, last_week)
    if lateral:
        # A few weeks of posts: each post's classification by its unique index (post_id,
        # model_version_id), a nested loop that costs the same whatever the history.
        # A plain join lets PostgreSQL hash-join a sequential scan of every stored
        # classification, which it prefers up to a few million rows and which then grows
        # with the history (docs/scale.md). OFFSET 0 keeps the planner from flattening
        # the lateral subquery back into that join.
        active = (
            select(active)
            .where(active.c.post_id == Post.id, active.c.model_version_id == model_id)
            .offset(0)
            .lateral("active_c")
        )
    reviewed: Any = Classification.__table__.alias("reviewed_c")
    review = _latest_reviews_distinct() if lateral else latest_reviews()
    if lateral:
        # The reviewed classification by its primary key, post by post, likewise: a
        # plain join lets the planner hash every stored classification for it.
        reviewed = (
            select(reviewed)
            .where(reviewed.c.id == review.c.classification_id)
            .offset(0)
            .lateral("reviewed_c")
        )
    decision = review.c.decision

    def corrected_has(labels: tuple[str, ...]) -> Any:
        values = json_array_values(dialect, review.c.corrected_labels, "flags")
        return select(literal(1)).select_from(values).where(values.c.value.in_(labels)).exists()

    def flag(label: str) -> Any:
        model_flag = func.coalesce(reviewed.c[f"flag_{label}"], active.c[f"flag_{label}"])
        return case(
            (decision == "reject", 0),
            (decision == "correct", case((corrected_has((label,)), 1), else_=0)),
            (model_flag, 1),
            else_=0,
        ).label(f"flag_{label}")

    model_flagged = func.coalesce(reviewed.c.flagged, active.c.flagged)
    flagged = case(
        (decision == "reject", 0),
        (decision == "correct", case((corrected_has(LABELS), 1), else_=0)),
        (model_flagged, 1),
        else_=0,
    ).label("flagged")
    basis = case(
        (decision == "reject", None),
        else_=func.coalesce(reviewed.c.id, active.c.id),
    ).label("classification_id")
    assessed = case(
        (or_(active.c.id.is_not(None), review.c.review_id.is_not(None)), 1), else_=0
    ).label("assessed")

    query: Select[Any] = (
        select(
            Post.id.label("post_id"),
            Post.week_start,
            Post.source_id,
            Post.platform,
            Post.author_id,
            Post.created_at,
            basis,
            decision.label("decision"),
            review.c.corrected_labels,
            assessed,
            *(flag(label) for label in LABELS),
            flagged,
        )
        .select_from(Post)
        .outerjoin(
            active,
            true()
            if lateral
            else and_(active.c.post_id == Post.id, active.c.model_version_id == model_id),
        )
        .outerjoin(review, review.c.post_id == Post.id)
        .outerjoin(reviewed, true() if lateral else reviewed.c.id == review.c.classification_id)
    )
    if first_week is not None:
        query = query.where(Post.week_start >= first_week)
    if last_week is not None:
        query = query.where(Post.week_start <= last_week)
    return query.subquery("effective")


def effective_tags(dialect: str, labels: Subquery) -> Subquery:
    """(post_id, week_start, kind, value) of the effective tags of the posts in `labels`.

    A tag counts only while the label it details is effectively flagged (targets need
    `hate`, narratives `anti_government`, threat targets `threat`): a neutral mention
    of a group is not a flagged post targeting it, and a correction that removes
    `threat` removes its threat targets too.
    """
    e = labels
    label_flagged = or_(
        *(
            and_(ClassificationTag.kind == kind, e.c[f"flag_{label}"] == 1)
            for kind, label in TAG_LABEL.items()
        )
    )
    from_model = (
        select(e.c.post_id, e.c.week_start, ClassificationTag.kind, ClassificationTag.value)
        .select_from(e)
        .join(ClassificationTag, ClassificationTag.classification_id == e.c.classification_id)
        .where(
            label_flagged,
            or_(
                e.c.decision.is_(None),
                e.c.decision != "correct",
                # A correction without this kind's key keeps the model's tags of that kind.
                and_(
                    *(
                        or_(
                            ClassificationTag.kind != kind,
                            ~json_has_key(dialect, e.c.corrected_labels, key),
                        )
                        for kind, key in CORRECTED_KEYS.items()
                    )
                ),
            ),
        )
    )
    parts: list[Any] = [from_model]
    for kind, key in CORRECTED_KEYS.items():
        values = json_array_values(dialect, e.c.corrected_labels, key)
        parts.append(
            select(
                e.c.post_id,
                e.c.week_start,
                literal_column(f"'{kind}'").label("kind"),
                values.c.value.label("value"),
            )
            .select_from(e)
            .join(values, literal(True))
            .where(e.c[f"flag_{TAG_LABEL[kind]}"] == 1, e.c.decision == "correct")
        )
    return union_all(*parts).subquery("effective_tags")


def effective_watchlist(labels: Subquery) -> Subquery:
    """(post_id, week_start, flag_threat, flag_doxxing, value) of watchlist hits.

    A watchlist hit is a post effectively flagged `threat` or `doxxing` whose
    classification (the one its effective labels rest on: the reviewed one, else the
    active model's) names a watchlist entry: a `classification_tags` row of kind
    "watchlist", value = the entry's canonical name. A rejection removes the hit; a
    correction that removes both labels removes it too. Corrections carry no watchlist
    key: the entries a post names are a fact about its text, not an analyst's label.
    """
    e = labels
    return (
        select(
            e.c.post_id,
            e.c.week_start,
            e.c.flag_threat,
            e.c.flag_doxxing,
            ClassificationTag.value,
        )
        .select_from(e)
        .join(ClassificationTag, ClassificationTag.classification_id == e.c.classification_id)
        .where(
            ClassificationTag.kind == "watchlist",
            or_(e.c.flag_threat == 1, e.c.flag_doxxing == 1),
        )
        .subquery("effective_watchlist")
    )


def flag_sum(labels: Subquery, label: str | None = None) -> Any:
    """SUM of a 0/1 flag column (the flagged column when label is None)."""
    column = labels.c.flagged if label is None else labels.c[f"flag_{label}"]
    return func.coalesce(func.sum(column), 0).cast(Integer)
