"""Threats and doxxing against officials and institutions, per week.

Two counts, both over effective labels (store/effective.py), so analyst reviews count:

- watchlist hits: posts effectively flagged `threat` or `doxxing` whose classification
  names a watchlist entry (a `classification_tags` row of kind "watchlist" whose value is
  the entry's canonical name). They are counted per entry and per entry kind (person,
  role, institution); the caller maps names to kinds from the config, and a name no
  longer in the config is counted under "unknown".
- threat targets: posts effectively flagged `threat`, by the kind of target they aim at
  (official, staff, law_enforcement, institution), whether or not a watchlist entry is
  named, so that rhetoric aimed at an office ("city hall", "the county commission") is
  visible with no person named.

A post counts once per row: a post naming two councillors is one `person` post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cohesion.store.effective import effective_labels, effective_tags, effective_watchlist
from sqlalchemy import select
from sqlalchemy.orm import Session

WATCHLIST_KINDS: tuple[str, ...] = ("person", "role", "institution")
UNKNOWN_KIND = "unknown"
# Threat-target kinds that are officials or institutions ("community" is not).
OFFICIAL_TARGETS: tuple[str, ...] = ("official", "staff", "law_enforcement", "institution")


@dataclass(slots=True, frozen=True)
class OfficialsCount:
    """Posts naming one entry (or entries of one kind): threat, doxxing, either."""

    key: str
    kind: str
    threat: int
    doxxing: int
    posts: int


@dataclass(slots=True)
class OfficialsWeek:
    week_start: date
    kinds: dict[str, OfficialsCount] = field(default_factory=dict)  # person/role/...
    entries: list[OfficialsCount] = field(default_factory=list)  # most named first
    threat_targets: dict[str, int] = field(default_factory=dict)  # official/staff/...
    watchlist_posts: int = 0  # distinct posts with any watchlist hit
    threat_posts: int = 0  # distinct threat posts with any of OFFICIAL_TARGETS


def officials_weeks(
    session: Session,
    model_id: int | None,
    weeks: Sequence[date],
    kinds: Mapping[str, str],
) -> list[OfficialsWeek]:
    """One OfficialsWeek per week in `weeks` (zero-filled); `kinds` maps entry -> kind."""
    if not weeks:
        return []
    dialect = session.get_bind().dialect.name
    first, last = min(weeks), max(weeks)
    e = effective_labels(dialect, model_id, first, last)
    hits = effective_watchlist(e)
    # post -> (threat, doxxing, entries), per week
    posts: dict[date, dict[int, tuple[bool, bool, set[str]]]] = defaultdict(dict)
    for post_id, week, threat, doxxing, entry in session.execute(
        select(
            hits.c.post_id, hits.c.week_start, hits.c.flag_threat, hits.c.flag_doxxing, hits.c.value
        )
    ):
        _, _, named = posts[week].setdefault(post_id, (bool(threat), bool(doxxing), set()))
        named.add(entry)
    tags = effective_tags(dialect, e)
    # The (few) official threat targets' posts, read once (one pass of the effective
    # labels over the weeks) and counted here: per week and target, and per week.
    by_target: dict[date, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for week, value, post_id in session.execute(
        select(tags.c.week_start, tags.c.value, tags.c.post_id)
        .where(tags.c.kind == "threat_target", tags.c.value.in_(OFFICIAL_TARGETS))
        .distinct()
    ):
        by_target[week][value].add(post_id)
    targets = {
        week: {value: len(ids) for value, ids in values.items()}
        for week, values in by_target.items()
    }
    threat_posts = {week: len(set().union(*values.values())) for week, values in by_target.items()}
    result = []
    for week in sorted(weeks):
        summary = _week(week, posts.get(week, {}), targets.get(week, {}), kinds)
        summary.threat_posts = threat_posts.get(week, 0)
        result.append(summary)
    return result


def _week(
    week: date,
    posts: dict[int, tuple[bool, bool, set[str]]],
    targets: dict[str, int],
    kinds: Mapping[str, str],
) -> OfficialsWeek:
    def count(key: str, kind: str, matching: list[tuple[bool, bool]]) -> OfficialsCount:
        return OfficialsCount(
            key,
            kind,
            sum(threat for threat, _ in matching),
            sum(doxxing for _, doxxing in matching),
            len(matching),
        )

    per_entry: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    per_kind: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for threat, doxxing, named in posts.values():
        for entry in named:
            per_entry[entry].append((threat, doxxing))
        for kind in {kinds.get(entry, UNKNOWN_KIND) for entry in named}:
            per_kind[kind].append((threat, doxxing))
    shown = [*WATCHLIST_KINDS, *sorted(set(per_kind) - set(WATCHLIST_KINDS))]
    entries = [
        count(entry, kinds.get(entry, UNKNOWN_KIND), flags) for entry, flags in per_entry.items()
    ]
    return OfficialsWeek(
        week,
        kinds={kind: count(kind, kind, per_kind.get(kind, [])) for kind in shown},
        entries=sorted(entries, key=lambda c: (-c.posts, c.key)),
        threat_targets={target: targets.get(target, 0) for target in OFFICIAL_TARGETS},
        watchlist_posts=len(posts),
    )
