"""store.review_queries on SQLite and PostgreSQL: queues, decisions, examples, users."""

from __future__ import annotations

from datetime import date

import pytest
from cohesion.store import decisions, users
from cohesion.store import review_queries as rq
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog, Review
from cohesion.store.review_queries import QueueFilters, ReviewInputError
from cohesion.store.status import active_model
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.seed import FILLER, World, seed


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return seed(sessions, users=True)


def _ids(page: rq.QueuePage) -> list[int]:
    return [item.post_id for item in page.items]


def _assert_pages_equal_one_sort(
    sessions: sessionmaker[Session], queue: str, filters: QueueFilters, *, descending: bool
) -> None:
    """Every page of `queue`, read 4 at a time, equals one sort of the whole queue by its
    key (ties by post id), and every page counts the same total."""
    from sqlalchemy import func

    with session_scope(sessions) as session:
        model = active_model(session)
        assert model is not None
        stmt, key, _ = rq._queue_select(model, queue, filters, rq.UNCERTAIN_MARGIN)
        order = key.desc() if descending else key.asc()
        everything = [row[1].id for row in session.execute(stmt.order_by(order, rq.Post.id.asc()))]
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        pages = [
            rq.queue_page(session, model, queue, filters, page=n, per_page=4)
            for n in range(1, len(everything) // 4 + 3)
        ]
    assert [i for page in pages for i in _ids(page)] == everything
    assert {page.total for page in pages} == {total}
    assert len(everything) > 8 or filters != QueueFilters()


def _user_id(session: Session, name: str) -> int:
    found = users.credentials(session, name)
    assert found is not None
    return found[0].id


def test_priority_queue_orders_flagged_posts_and_pages(
    sessions: sessionmaker[Session], world: World
) -> None:
    ids = world.ids
    with session_scope(sessions) as session:
        model = active_model(session)
        first = rq.queue_page(session, model, "priority", QueueFilters(), page=1)
        second = rq.queue_page(session, model, "priority", QueueFilters(), page=2)
    assert first.total == 5 + FILLER and first.pages == 2
    assert _ids(first)[:4] == [ids["t3_threat"], ids["t3_dox"], ids["t3_hostile"], ids["t3_hate"]]
    priorities = [i.priority for i in first.items + second.items]
    assert priorities == sorted(priorities, reverse=True)
    assert len(first.items) == rq.PAGE_SIZE and len(second.items) == first.total - rq.PAGE_SIZE
    assert ids["t3_plain"] not in _ids(first) + _ids(second)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilters(label="hate"), ["t3_hostile", "t3_hate"]),
        (QueueFilters(target="jewish"), ["t3_hate"]),
        (QueueFilters(narrative="election_fraud"), ["f_fraud"]),
        (QueueFilters(source="county-reddit"), ["t3_threat", "t3_dox", "t3_hostile", "t3_hate"]),
        (QueueFilters(week=date(2026, 3, 2)), ["t3_threat", "t3_dox", "t3_hostile"]),
        (QueueFilters(label="threat", week=date(2026, 3, 9)), []),
    ],
)
def test_queue_filters(sessions: sessionmaker[Session], world: World, filters: QueueFilters,
                       expected: list[str]) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        page = rq.queue_page(session, active_model(session), "priority", filters)
    assert _ids(page) == [world.ids[key] for key in expected]


def test_status_follows_the_latest_review(sessions: sessionmaker[Session], world: World) -> None:
    ids = world.ids
    with session_scope(sessions) as session:
        alan = _user_id(session, "alan")
        decisions.record_decision(
            session, post_id=ids["t3_threat"], user_id=alan, actor="alan", decision="escalate"
        )
        decisions.record_decision(
            session, post_id=ids["t3_dox"], user_id=alan, actor="alan", decision="escalate"
        )
        decisions.record_decision(
            session, post_id=ids["t3_dox"], user_id=alan, actor="alan", decision="confirm"
        )
    with session_scope(sessions) as session:
        model = active_model(session)

        def status(name: str) -> list[int]:
            return _ids(
                rq.queue_page(session, model, "priority", QueueFilters(status=name), per_page=100)
            )

        assert status("escalated") == [ids["t3_threat"]]
        assert status("reviewed") == [ids["t3_dox"]]
        unreviewed = status("unreviewed")
        assert ids["t3_threat"] not in unreviewed and ids["t3_dox"] not in unreviewed
        assert len(status("all")) == 5 + FILLER


def test_neighbours_follow_the_queue_even_after_a_decision(
    sessions: sessionmaker[Session], world: World
) -> None:
    ids = world.ids
    with session_scope(sessions) as session:
        model = active_model(session)
        f = QueueFilters()
        assert rq.neighbours(session, model, "priority", f, ids["t3_threat"]) == (
            None,
            ids["t3_dox"],
        )
        assert rq.neighbours(session, model, "priority", f, ids["t3_dox"]) == (
            ids["t3_threat"],
            ids["t3_hostile"],
        )
        decisions.record_decision(session, post_id=ids["t3_dox"], user_id=_user_id(session, "alan"),
                           actor="alan", decision="reject")  # fmt: skip
        # The reviewed post left the unreviewed queue; its neighbours are still found.
        assert rq.neighbours(session, model, "priority", f, ids["t3_dox"]) == (
            ids["t3_threat"],
            ids["t3_hostile"],
        )
        prev_id, next_id = rq.neighbours(
            session, model, "priority", QueueFilters(label="hate"), ids["t3_hostile"]
        )
        assert (prev_id, next_id) == (None, ids["t3_hate"])


def test_uncertain_queue_is_near_thresholds_closest_first(
    sessions: sessionmaker[Session], world: World
) -> None:
    ids = world.ids
    with session_scope(sessions) as session:
        model = active_model(session)
        page = rq.queue_page(session, model, "uncertain", QueueFilters(), per_page=100)
        found = {item.post_id: item.closeness for item in page.items}
        # t3_near: threat 0.38 vs 0.40 (0.02); t3_reply: anti_government 0.55 vs 0.60 (0.05)
        assert _ids(page)[:2] == [ids["t3_near"], ids["t3_reply"]]
        assert found[ids["t3_near"]] == pytest.approx(0.02)
        assert ids["t3_plain"] not in found and ids["t3_threat"] not in found
        closeness = [item.closeness or 0.0 for item in page.items]
        assert closeness == sorted(closeness)
        decisions.record_decision(session, post_id=ids["t3_near"], user_id=_user_id(session, "alan"),
                           actor="alan", decision="reject", queue="uncertain")  # fmt: skip
        after = rq.queue_page(session, model, "uncertain", QueueFilters(), per_page=100)
        assert ids["t3_near"] not in _ids(after)
        assert (
            rq.neighbours(session, model, "uncertain", QueueFilters(), ids["t3_near"])[1]
            == ids["t3_reply"]
        )


def test_thresholds_default_to_one_half() -> None:
    assert rq.thresholds_of(None) == {
        label: 0.5 for label in ("hate", "anti_government", "threat", "doxxing")
    }


def test_record_decision_writes_review_and_audit_together(
    sessions: sessionmaker[Session], world: World
) -> None:
    post_id = world.ids["t3_hate"]
    with session_scope(sessions) as session:
        alan = _user_id(session, "alan")
        review_id = decisions.record_decision(
            session,
            post_id=post_id,
            user_id=alan,
            actor="alan",
            decision="correct",
            queue="priority",
            note="  not hate, a quote  ",
            ip="127.0.0.1",
            corrected_labels={"flags": ["anti_government"], "narratives": ["election_fraud"]},
        )
    with session_scope(sessions) as session:
        review = session.get_one(Review, review_id)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "review.correct")).one()
    assert review.classification_id is not None and review.user_id == alan
    assert review.note == "not hate, a quote"
    assert review.corrected_labels == {"flags": ["anti_government"], "targets": [],
                                       "narratives": ["election_fraud"], "threat_targets": []}  # fmt: skip
    assert audit.object_id == str(post_id) and audit.detail == {
        "review_id": review_id,
        "queue": "priority",
    }
    assert audit.actor == "alan" and audit.ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"decision": "approve"}, ReviewInputError),
        ({"decision": "confirm", "queue": "random"}, ReviewInputError),
        ({"decision": "correct", "corrected_labels": {"flags": ["spam"]}}, ReviewInputError),
        ({"decision": "correct", "corrected_labels": {"colour": ["red"]}}, ReviewInputError),
        ({"decision": "confirm", "note": "x" * (decisions.MAX_NOTE_CHARS + 1)}, ReviewInputError),
        ({"decision": "confirm", "post_id": 999_999}, LookupError),
    ],
)
def test_bad_decisions_are_refused(sessions: sessionmaker[Session], world: World,
                                   kwargs: dict[str, object], error: type[Exception]) -> None:  # fmt: skip
    with session_scope(sessions) as session:
        args: dict[str, object] = {"post_id": world.ids["t3_hate"], "user_id": _user_id(session, "alan"),
                                   "actor": "alan", **kwargs}  # fmt: skip
        with pytest.raises(error):
            decisions.record_decision(session, **args)  # type: ignore[arg-type]
    with session_scope(sessions) as session:
        assert session.scalars(select(Review)).all() == []


def test_reviewed_examples_use_the_latest_decision(
    sessions: sessionmaker[Session], world: World
) -> None:
    ids = world.ids
    with session_scope(sessions) as session:
        alan = _user_id(session, "alan")

        def decide(key: str, decision: str, labels: dict[str, list[str]] | None = None) -> None:
            decisions.record_decision(session, post_id=ids[key], user_id=alan, actor="alan",
                               decision=decision, corrected_labels=labels)  # fmt: skip

        decide("t3_threat", "confirm")
        decide("t3_dox", "escalate")
        decide("t3_hate", "confirm")
        decide("t3_hate", "reject")
        decide(
            "f_fraud",
            "correct",
            {"flags": ["anti_government", "threat"], "threat_targets": ["official"]},
        )
    with session_scope(sessions) as session:
        examples = {ex.post_id: ex for ex in decisions.reviewed_examples(session)}
    assert set(examples) == {ids["t3_threat"], ids["t3_hate"], ids["f_fraud"]}
    threat = examples[ids["t3_threat"]]
    assert threat.flags == ["hate", "anti_government", "threat", "doxxing"][1:3]
    assert threat.threat_targets == ["official"] and threat.narratives == ["corruption_traitor"]
    assert examples[ids["t3_hate"]].flags == [] and examples[ids["t3_hate"]].decision == "reject"
    assert examples[ids["f_fraud"]].flags == ["anti_government", "threat"]
    assert examples[ids["f_fraud"]].threat_targets == ["official"]


def test_export_rows(sessions: sessionmaker[Session], world: World) -> None:
    with session_scope(sessions) as session:
        decisions.record_decision(session, post_id=world.ids["t3_threat"], user_id=_user_id(session, "ada"),
                           actor="ada", decision="confirm", note="=1+1")  # fmt: skip
        rows = decisions.export_decisions(session)
    assert len(rows) == 1 and set(rows[0]) == set(decisions.EXPORT_COLUMNS)
    row = rows[0]
    assert row["reviewer"] == "ada" and row["model_version"] == "test-model-1"
    assert row["model_flags"] == "anti_government threat" and row["source"] == "county-reddit"
    assert "text" not in row


def test_thread_context(sessions: sessionmaker[Session], world: World) -> None:
    with session_scope(sessions) as session:
        detail = rq.post_detail(session, world.ids["t3_reply"], active_model(session))
        assert detail is not None
        assert [t.post_id for t in detail.thread] == [world.ids["t3_threat"], world.ids["t3_reply"]]
        assert [t.is_current for t in detail.thread] == [False, True]
        lonely = rq.post_detail(session, world.ids["t3_plain"], active_model(session))
        assert lonely is not None and lonely.thread == []
        assert rq.post_detail(session, 999_999, None) is None


def test_users(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        users.create_user(session, "Maria", "hash", "analyst")
        with pytest.raises(ReviewInputError, match="exists"):
            users.create_user(session, "maria", "hash", "admin")
        with pytest.raises(ReviewInputError, match="role"):
            users.create_user(session, "bob", "hash", "root")
        with pytest.raises(ReviewInputError, match="username"):
            users.create_user(session, "<script>", "hash", "analyst")
    with session_scope(sessions) as session:
        assert users.set_disabled(session, "MARIA", True).disabled
        with pytest.raises(LookupError):
            users.set_disabled(session, "nobody", True)
        found = users.credentials(session, "maria")
        assert found is not None and found[0].disabled and found[1] == "hash"
        assert [u.username for u in users.list_users(session)] == ["Maria"]


@pytest.mark.parametrize(
    "filters",
    [QueueFilters(), QueueFilters(status="all"), QueueFilters(label="threat"),
     QueueFilters(source="county-reddit"), QueueFilters(watchlist=True)],
)  # fmt: skip
def test_priority_pages_equal_one_sort_of_the_whole_queue(
    sessions: sessionmaker[Session], world: World, filters: QueueFilters
) -> None:
    """The priority queue merges watchlist hits and the rest, each read in priority
    order (store/review_queries.py `_priority_page`); every page equals sorting the
    whole queue by its key, with ties in priority and watchlist hits among them."""
    from cohesion.store.models import Classification, ClassificationTag
    from sqlalchemy import update

    with session_scope(sessions) as session:
        model = active_model(session)
        assert model is not None
        flagged = list(
            session.scalars(
                select(Classification)
                .where(Classification.model_version_id == model.id, Classification.flagged)
                .order_by(Classification.id)
            )
        )
        for n, c in enumerate(flagged):  # ties: three priorities only
            session.execute(
                update(Classification).where(Classification.id == c.id)
                .values(priority=(0.9, 0.6, 0.6)[n % 3])
            )  # fmt: skip
            if n % 4 == 1:  # watchlist hits need threat or doxxing
                session.execute(
                    update(Classification).where(Classification.id == c.id).values(flag_threat=True)
                )
                session.add(ClassificationTag(classification_id=c.id, kind="watchlist", value="X"))
    _assert_pages_equal_one_sort(sessions, "priority", filters, descending=True)


@pytest.mark.parametrize("status", ["unreviewed", "all"])  # the index-only count, the other
def test_queue_counts_stop_at_the_cap(
    sessions: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    filters = QueueFilters(status=status)
    with session_scope(sessions) as session:
        model = active_model(session)
        whole = rq.queue_page(session, model, "priority", filters, per_page=1000)
        monkeypatch.setattr(rq, "COUNT_CAP", 10)
        pages = [rq.queue_page(session, model, "priority", filters, page=1, per_page=4)]
        while pages[-1].more or pages[-1].page < pages[-1].pages:
            pages.append(rq.queue_page(session, model, "priority", filters, len(pages) + 1, 4))
    assert not whole.more and whole.total > 12
    first = pages[0]
    assert (first.total, first.more, first.pages) == (10, True, 3)
    # Past the cap the count reaches the page shown; the last page knows the total.
    assert (pages[3].total, pages[3].more) == (16, whole.total > 16)
    assert (pages[-1].total, pages[-1].more) == (whole.total, False)
    assert [i for page in pages for i in _ids(page)] == _ids(whole)


def test_weeks_are_the_latest_weeks_with_posts(
    sessions: sessionmaker[Session], world: World
) -> None:
    from cohesion.store.models import Post

    with session_scope(sessions) as session:
        every = list(
            session.scalars(select(Post.week_start).distinct().order_by(Post.week_start.desc()))
        )
        assert len(every) > 1
        for limit in (0, 1, 2, 26):
            assert rq.weeks(session, limit) == every[:limit]


@pytest.mark.parametrize(
    "filters", [QueueFilters(), QueueFilters(label="hate"), QueueFilters(source="county-reddit")]
)
def test_uncertain_pages_equal_one_sort_of_the_whole_queue(
    sessions: sessionmaker[Session], world: World, filters: QueueFilters
) -> None:
    """The uncertain queue sorts classifications alone and then reads the page's rows;
    every page equals sorting the whole queue's rows by closeness (ties by post id)."""
    from cohesion.store.models import Classification
    from sqlalchemy import update

    with session_scope(sessions) as session:
        ids = list(session.scalars(select(Classification.id).order_by(Classification.id)))
        for n, classification_id in enumerate(ids):  # ties: three closenesses only
            session.execute(
                update(Classification).where(Classification.id == classification_id)
                .values(score_hate=(0.45, 0.55, 0.6)[n % 3], score_threat=0.1)
            )  # fmt: skip
    _assert_pages_equal_one_sort(sessions, "uncertain", filters, descending=False)
