"""The calibration queue: store.calibration's seeded sample, worked blind.

The sample (per week and label, a seeded uniform draw of the posts the active model
flagged with the label and a smaller one of the posts it did not) is drawn by
`store.calibration.draw`; this module puts it in a working order and turns the blind
form's answer into a decision.

Blind review: the analyst is asked which labels apply without seeing the model's flags,
scores, evidence, tags or earlier decisions, and the list does not say which stratum a
post was drawn from (that would be the model's flag). Within a week the posts are in a
seeded shuffle, so position says nothing either. Whatever the analyst checks becomes
the post's truth for `store.calibration.estimates`:

| the analyst's answer                   | recorded as                                  |
|----------------------------------------|----------------------------------------------|
| the same labels as the model's flags   | `confirm`                                    |
| no label (or "none apply")             | `reject` (`confirm` when the model had none) |
| other labels                           | `correct`, corrected_labels {"flags": [...]} |
| escalate                               | `escalate`, corrected_labels {"flags": [...]} |
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cohesion import weeks as isoweeks
from cohesion.review.inputs import parse_day
from cohesion.store import calibration, review_queries
from cohesion.store.models import ModelVersion
from cohesion.store.review_queries import PostSummary
from cohesion.taxonomy import LABELS
from sqlalchemy.orm import Session

DEFAULT_WEEKS = 8
MAX_WEEKS = 26
WEEK_CHOICES = (1, 4, 8, 12, 26)
STRATA = ("flagged", "unflagged")
STRATUM_NAMES = {"flagged": "sampled flagged", "unflagged": "sampled unflagged"}
BLIND_ANSWERS = ("labels", "none", "escalate")
_ORDER_SEED = f"{calibration.DEFAULT_SEED}:queue-order"


def last_complete_week(timezone: str, now: datetime | None = None) -> date:
    """The Monday of the last ISO week that has ended in the locality's time zone."""
    return isoweeks.last_complete_week(now or datetime.now(UTC), timezone)


@dataclass(slots=True, frozen=True)
class Window:
    """`count` weeks ending with the week that starts on `until` (a Monday)."""

    until: date
    count: int = DEFAULT_WEEKS

    @property
    def weeks(self) -> list[date]:
        """Newest first."""
        return [self.until - timedelta(days=7 * i) for i in range(self.count)]

    def params(self) -> dict[str, str]:
        """The query parameters that reproduce this view (links, the post page's `back`)."""
        return {"queue": "calibration", "weeks": str(self.count), "until": self.until.isoformat()}


def parse_window(params: Mapping[str, str], timezone: str) -> Window:
    """The window from query parameters `weeks` (1-26) and `until` (any day of the newest
    week); raises ValueError with a message for the analyst."""
    raw_count = (params.get("weeks") or "").strip()
    raw_until = (params.get("until") or "").strip()
    try:
        count = int(raw_count) if raw_count else DEFAULT_WEEKS
    except ValueError:
        raise ValueError("weeks must be a number") from None
    if not 1 <= count <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    until = parse_day(raw_until, "until") if raw_until else None
    if until is None:
        until = last_complete_week(timezone)
    return Window(isoweeks.monday_of(until), count)


@dataclass(slots=True, frozen=True)
class StratumCount:
    week_start: date
    label: str
    stratum: str
    sampled: int
    done: int

    @property
    def remaining(self) -> int:
        return self.sampled - self.done


@dataclass(slots=True)
class CalibrationQueue:
    weeks: list[date]
    items: list[PostSummary] = field(default_factory=list)  # pending, in working order
    counts: list[StratumCount] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # every sampled post, working order
    pending: set[int] = field(default_factory=set)

    def __contains__(self, post_id: object) -> bool:
        return post_id in set(self.order)

    def neighbours(self, post_id: int) -> tuple[int | None, int | None]:
        """The pending posts before and after `post_id` in working order (the post itself
        may be reviewed already: it keeps its place)."""
        if post_id not in self.order:
            return None, None
        at = self.order.index(post_id)
        before = [i for i in self.order[:at] if i in self.pending]
        after = [i for i in self.order[at + 1 :] if i in self.pending]
        return (before[-1] if before else None, after[0] if after else None)

    def count(self, week: date, label: str, stratum: str) -> StratumCount | None:
        for c in self.counts:
            if (c.week_start, c.label, c.stratum) == (week, label, stratum):
                return c
        return None

    def items_of(self, week: date) -> list[PostSummary]:
        return [item for item in self.items if item.week_start == week]

    @property
    def sampled(self) -> int:
        return len(self.order)


def _shuffle_key(post_id: int) -> str:
    return hashlib.sha256(f"{_ORDER_SEED}:{post_id}".encode()).hexdigest()


def build_queue(
    session: Session, model: ModelVersion | None, weeks: list[date]
) -> CalibrationQueue:
    """The weeks' sample with what is done and what remains (the same pending posts as
    `store.calibration.pending`), newest week first, shuffled within each week."""
    weeks = sorted(weeks, reverse=True)
    queue = CalibrationQueue(weeks)
    if model is None:
        return queue
    drawn = calibration.draw(session, model.id, weeks)
    reviewed = review_queries.calibration_reviewed(session, {i.post_id for i in drawn})
    week_of: dict[int, date] = {}
    for item in drawn:
        week_of.setdefault(item.post_id, item.week_start)
    queue.order = sorted(week_of, key=lambda i: (-week_of[i].toordinal(), _shuffle_key(i)))
    queue.pending = {i for i in queue.order if i not in reviewed}
    summaries = review_queries.post_summaries(session, queue.pending)
    queue.items = [summaries[i] for i in queue.order if i in queue.pending]
    sampled = Counter((i.week_start, i.label, i.stratum) for i in drawn)
    done = Counter((i.week_start, i.label, i.stratum) for i in drawn if i.post_id in reviewed)
    queue.counts = [
        StratumCount(week, label, stratum, sampled[key], done[key])
        for week in weeks
        for label in LABELS
        for stratum in STRATA
        for key in [(week, label, stratum)]
    ]
    return queue


@dataclass(slots=True, frozen=True)
class Place:
    """Where a post stands in a window's calibration queue."""

    in_sample: bool
    prev_id: int | None
    next_id: int | None


def locate(
    session: Session,
    model: ModelVersion | None,
    window: Window,
    post_id: int,
    week: date,
    *,
    skip_current: bool = False,
) -> Place:
    """The post's place in the window's queue, drawing only the weeks it takes: the
    post's own week, then neighbouring weeks until a pending post turns up (each week's
    draw reads all of that week's classifications). `skip_current` treats the post as
    done (it was just answered)."""
    if week not in window.weeks:
        return Place(False, None, None)
    own = build_queue(session, model, [week])
    if skip_current:
        own.pending.discard(post_id)
    in_sample = post_id in own
    prev_id, next_id = own.neighbours(post_id) if in_sample else (None, None)
    at = window.weeks.index(week)
    for newer in reversed(window.weeks[:at]):
        if prev_id is not None or not in_sample:
            break
        items = build_queue(session, model, [newer]).items
        prev_id = items[-1].post_id if items else None
    for older in window.weeks[at + 1 :]:
        if next_id is not None or not in_sample:
            break
        items = build_queue(session, model, [older]).items
        next_id = items[0].post_id if items else None
    return Place(in_sample, prev_id, next_id)


def blind_decision(
    model_flags: list[str] | None, answer: str, checked: list[str]
) -> tuple[str, dict[str, Any] | None]:
    """The decision and corrected labels that record a blind answer (see the module doc)."""
    if answer not in BLIND_ANSWERS:
        raise ValueError(f"unknown answer {answer!r} (use {', '.join(BLIND_ANSWERS)})")
    unknown = set(checked) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown labels: {', '.join(sorted(unknown))}")
    flags = [] if answer == "none" else [label for label in LABELS if label in checked]
    if answer == "escalate":
        return "escalate", {"flags": flags}
    if model_flags is not None and set(flags) == set(model_flags):
        return "confirm", None
    if not flags:
        return "reject", None
    return "correct", {"flags": flags}
