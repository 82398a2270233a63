"""The calibration queue: the seeded sample listed blind, answers recorded with
queue="calibration", and only those answers in the precision estimates (both backends)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from cohesion.reports import calibration as report_calibration
from cohesion.review.calibration import (
    Window,
    blind_decision,
    last_complete_week,
    parse_window,
)
from cohesion.store import calibration
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog, Review
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.seed import World

WEEK1, WEEK2 = date(2026, 3, 2), date(2026, 3, 9)
VIEW = {"queue": "calibration", "weeks": "2", "until": WEEK2.isoformat()}
BACK = urlencode(VIEW)
ROW = re.compile(r'class="queue-row" data-href="([^"]+)" data-post-id="(\d+)"')


def _pending(sessions: sessionmaker[Session], world: World) -> list[calibration.CalibrationItem]:
    with session_scope(sessions) as session:
        return calibration.pending(session, world.model_id, [WEEK2, WEEK1])


def _count(html: str, week: date, label: str, stratum: str, what: str) -> int:
    match = re.search(rf'data-count="{week}:{label}:{stratum}:{what}">(\d+)<', html)
    assert match, (week, label, stratum, what)
    return int(match.group(1))


def _answer(client: AppClient, token: str, post_id: int, answer: str, *flags: str) -> str:
    response = client.post(
        f"/posts/{post_id}/decision",
        data={"csrf_token": token, "decision": answer, "c_flags": list(flags), "back": BACK},
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_the_page_lists_the_pending_sample_blind(
    sessions: sessionmaker[Session], world: World, analyst: AppClient
) -> None:
    page = analyst.get("/calibration?weeks=2&until=2026-03-12")  # any day of the week
    assert page.status_code == 200
    html = page.text
    rows = ROW.findall(html)
    assert {int(post_id) for _, post_id in rows} == {i.post_id for i in _pending(sessions, world)}
    assert len(rows) == len({post_id for _, post_id in rows})  # one row per post
    assert all("queue=calibration" in href and "until=2026-03-09" in href for href, _ in rows)
    # Newest week first; the week's posts in a seeded shuffle, not by id or stratum.
    assert html.index("Week of 2026-03-09") < html.index("Week of 2026-03-02")
    week2 = [int(p) for _, p in ROW.findall(html.split("Week of 2026-03-02")[0])]
    assert week2 != sorted(week2)
    # Rows say nothing the model said: no label badges, no scores.
    table = html[html.index("Week of 2026-03-09") :]
    assert 'class="label ' not in table and "priority" not in table.lower()
    # Counts per week, label and stratum: 31 posts flagged anti_government in week 2.
    assert _count(html, WEEK2, "anti_government", "flagged", "remaining") == 20
    assert _count(html, WEEK2, "anti_government", "unflagged", "remaining") == 3
    assert _count(html, WEEK1, "threat", "flagged", "remaining") == 1
    assert _count(html, WEEK1, "threat", "flagged", "done") == 0
    assert "sampled flagged" in html and "sampled unflagged" in html
    # The window is selectable; a bad one is refused.
    assert len(ROW.findall(analyst.get("/calibration?weeks=1&until=2026-03-02").text)) == 4
    assert analyst.get("/calibration?weeks=0").status_code == 400
    assert analyst.get("/calibration?until=March").status_code == 400
    # The default window is the last 8 complete weeks (none of the seeded posts).
    default = analyst.get("/calibration").text
    assert not ROW.findall(default) and "Nothing left to review" in default


def test_the_post_page_hides_the_model_in_calibration_mode(
    world: World, analyst: AppClient
) -> None:
    post_id = world.ids["t3_threat"]
    normal = analyst.get(f"/posts/{post_id}?queue=priority").text
    assert 'mark class="evidence' in normal and "0.92" in normal
    blind = analyst.get(f"/posts/{post_id}?{BACK}").text
    assert "Which labels apply?" in blind
    assert 'mark class="evidence' not in blind and "veiled threat" not in blind
    assert "0.92" not in blind and "threshold" not in blind and "priority" not in blind
    assert "corruption_traitor" not in blind  # tags
    assert not re.search(r"<input[^>]* checked", blind)  # nothing pre-set from the model
    assert 'data-key="x"' in blind and 'data-key="r"' in blind and 'data-key="e"' in blind
    assert 'data-key="c"' not in blind  # "confirm" means nothing when the flags are hidden
    assert f'href="/calibration?{BACK.replace("&", "&amp;")}"' in blind
    # A post outside the window's sample can be read but not answered from this view.
    outside = analyst.get(f"/posts/{world.ids['f_fraud']}?queue=calibration&weeks=1&until={WEEK1}")
    assert "not in the calibration sample" in outside.text and 'data-key="x"' not in outside.text


def test_answers_are_recorded_with_queue_calibration_and_measure_precision(
    sessions: sessionmaker[Session], world: World, analyst: AppClient
) -> None:
    ids = world.ids
    token = analyst.csrf(f"/posts/{ids['t3_threat']}?{BACK}")
    # Model: threat + anti_government. The analyst checks the same: a confirmation.
    _answer(analyst, token, ids["t3_threat"], "labels", "threat", "anti_government")
    _answer(analyst, token, ids["t3_dox"], "none", "doxxing")  # "none apply" wins over checks
    _answer(analyst, token, ids["t3_hostile"], "labels", "anti_government")
    # Week 1 (the last in the queue's order) is done: back to the list.
    assert _answer(analyst, token, ids["t3_reply"], "escalate", "threat") == (
        "/calibration?weeks=2&until=2026-03-09"
    )

    with session_scope(sessions) as session:
        reviews = list(session.scalars(select(Review).order_by(Review.id)))
        audit = [a for a in session.scalars(select(AuditLog)) if a.action.startswith("review.")]
        estimates = {
            (e.week_start, e.label): e
            for e in report_calibration.estimates(session, world.model_id, [WEEK1, WEEK2])
        }
    assert [(r.post_id, r.decision) for r in reviews] == [
        (ids["t3_threat"], "confirm"),
        (ids["t3_dox"], "reject"),
        (ids["t3_hostile"], "correct"),
        (ids["t3_reply"], "escalate"),
    ]
    assert all(r.queue == "calibration" and r.classification_id for r in reviews)
    assert (reviews[2].corrected_labels or {})["flags"] == ["anti_government"]
    assert (reviews[3].corrected_labels or {})["flags"] == ["threat"]
    assert [a.detail["queue"] for a in audit] == ["calibration"] * 4
    threat = estimates[(WEEK1, "threat")]
    assert (threat.flagged_reviewed, threat.true_positives) == (1, 1)
    # The escalated reply (not flagged) carries a threat in the analyst's eyes: a miss.
    assert (threat.unflagged_reviewed, threat.misses) == (3, 1)
    doxxing, hate = estimates[(WEEK1, "doxxing")], estimates[(WEEK1, "hate")]
    assert (doxxing.flagged_reviewed, doxxing.true_positives) == (1, 0)
    assert (hate.flagged_reviewed, hate.true_positives) == (1, 0)

    page = analyst.get(f"/calibration?{BACK}").text
    assert _count(page, WEEK1, "threat", "flagged", "done") == 1
    assert _count(page, WEEK1, "threat", "flagged", "remaining") == 0
    assert str(ids["t3_threat"]) not in {p for _, p in ROW.findall(page)}


def test_priority_queue_decisions_are_not_calibration(
    sessions: sessionmaker[Session], world: World, analyst: AppClient
) -> None:
    ids = world.ids
    token = analyst.csrf("/queue")
    for key, decision in (("t3_threat", "confirm"), ("t3_dox", "reject")):
        response = analyst.post(
            f"/posts/{ids[key]}/decision",
            data={"csrf_token": token, "decision": decision, "back": "queue=priority"},
        )
        assert response.status_code == 303
    with session_scope(sessions) as session:
        assert {r.queue for r in session.scalars(select(Review))} == {"priority"}
        estimates = report_calibration.estimates(session, world.model_id, [WEEK1])
    assert all(e.flagged_reviewed == 0 and e.unflagged_reviewed == 0 for e in estimates)
    rows = {int(p) for _, p in ROW.findall(analyst.get(f"/calibration?{BACK}").text)}
    assert {ids["t3_threat"], ids["t3_dox"]} <= rows  # still to review for calibration


def test_refusals(world: World, analyst: AppClient) -> None:
    ids = world.ids
    token = analyst.csrf(f"/posts/{ids['t3_threat']}?{BACK}")
    outside = urlencode({"queue": "calibration", "weeks": "1", "until": WEEK1.isoformat()})
    refused = analyst.post(
        f"/posts/{ids['f_fraud']}/decision",
        data={"csrf_token": token, "decision": "labels", "back": outside},
    )
    assert refused.status_code == 400
    for data in ({"decision": "confirm"}, {"decision": "labels", "c_flags": ["spam"]}):
        response = analyst.post(
            f"/posts/{ids['t3_threat']}/decision", data={"csrf_token": token, "back": BACK, **data}
        )
        assert response.status_code == 400
    assert analyst.post(
        f"/posts/{ids['t3_threat']}/decision", data={"decision": "labels", "back": BACK}
    ).status_code == 403  # fmt: skip


def test_next_and_previous_stay_in_the_calibration_queue(
    sessions: sessionmaker[Session], world: World, analyst: AppClient
) -> None:
    html = analyst.get(f"/calibration?{BACK}").text
    order = [int(p) for _, p in ROW.findall(html)]
    second = analyst.get(f"/posts/{order[1]}?{BACK}").text
    assert f'id="prev-post" href="/posts/{order[0]}?{BACK.replace("&", "&amp;")}"' in second
    assert f'id="next-post" href="/posts/{order[2]}?{BACK.replace("&", "&amp;")}"' in second
    token = analyst.csrf(f"/posts/{order[0]}?{BACK}")
    assert _answer(analyst, token, order[0], "none") == f"/posts/{order[1]}?{BACK}"
    # Across weeks: the last post of week 2 leads to the first of week 1, and back.
    last2 = int(ROW.findall(html.split("Week of 2026-03-02")[0])[-1][1])
    first1 = int(ROW.findall(html.split("Week of 2026-03-02")[1])[0][1])
    assert order.index(first1) == order.index(last2) + 1
    link = BACK.replace("&", "&amp;")
    assert (
        f'id="next-post" href="/posts/{first1}?{link}"'
        in analyst.get(f"/posts/{last2}?{BACK}").text
    )
    assert (
        f'id="prev-post" href="/posts/{last2}?{link}"'
        in analyst.get(f"/posts/{first1}?{BACK}").text
    )
    assert _answer(analyst, token, last2, "none") == f"/posts/{first1}?{BACK}"


def test_blind_decision_rules() -> None:
    both = ["threat", "anti_government"]
    assert blind_decision(both, "labels", ["anti_government", "threat"]) == ("confirm", None)
    assert blind_decision(both, "labels", []) == ("reject", None)
    assert blind_decision(both, "none", ["threat"]) == ("reject", None)
    assert blind_decision([], "none", []) == ("confirm", None)
    assert blind_decision([], "labels", ["hate"]) == ("correct", {"flags": ["hate"]})
    assert blind_decision(["hate"], "escalate", ["hate"]) == ("escalate", {"flags": ["hate"]})
    with pytest.raises(ValueError):
        blind_decision([], "confirm", [])
    with pytest.raises(ValueError):
        blind_decision([], "labels", ["spam"])


def test_window_defaults_to_the_last_complete_weeks_in_the_locality() -> None:
    # Monday 2026-11-30 03:00 UTC is still Sunday in Chicago: that week is not over.
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert last_complete_week("UTC", now) == date(2026, 11, 23)
    assert last_complete_week("America/Chicago", now) == date(2026, 11, 16)
    window = parse_window({"weeks": "3", "until": "2026-03-12"}, "UTC")
    assert window == Window(WEEK2, 3)
    assert window.weeks == [WEEK2, WEEK1, date(2026, 2, 23)]
    assert window.params() == {"queue": "calibration", "weeks": "3", "until": "2026-03-09"}
