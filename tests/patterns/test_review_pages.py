"""The storylines page and the queue's "coordinated only" filter in the review app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cohesion.review.app import create_app
from cohesion.review.security import CSP
from cohesion.store.engine import session_scope
from cohesion.store.users import create_user
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from tests.patterns import corpus
from tests.patterns.test_faces import hostile_burst
from tests.reports import dataset as ds
from tests.review.client import AppClient
from tests.review.conftest import SECRET
from tests.review.seed import ANALYST, _hash


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> FastAPI:
    data = corpus.build(sessions)
    burst = hostile_burst()
    for spec in burst:  # flagged, so the priority queue shows them
        spec.flags = ("threat",)
    ds.add(sessions, data, burst, ds._local(ds.WEEK, 12, 0))
    with session_scope(sessions) as session:
        create_user(session, ANALYST[0], _hash(ANALYST[1]), "analyst")
    return create_app(sessions, secret=SECRET, locality="J", timezone=ds.TZ)


@pytest.fixture
def analyst(app: FastAPI) -> Iterator[AppClient]:
    client = AppClient(app)
    assert client.login(*ANALYST).status_code == 303
    yield client
    client.close()


def test_storylines_page_needs_a_login(app: FastAPI) -> None:
    client = AppClient(app)
    try:
        page = client.get("/storylines?week=2026-W47")
    finally:
        client.close()
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_storylines_page(analyst: AppClient) -> None:
    page = analyst.get("/storylines?week=2026-W47")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    html = page.text
    # The planted storylines, plus the six hostile copies (flagged threat here), which
    # c0 (the same markup) joins.
    assert "6 storylines cover 41 of 43 flagged posts in 2026-W47." in html
    assert "drag · show · library" in html and ">growing<" in html
    assert "(last week 4: show · library · drag)" in html
    assert "taxes · council · raise (5 posts)" in html  # gone quiet
    assert "@someone" not in html
    links = re.findall(r'href="/posts/(\d+)"', html)
    assert len(links) >= 5 * 2  # first post and representatives of each storyline
    empty = analyst.get("/storylines?week=2026-W49")
    assert "No flagged posts in 2026-W49, so no storylines." in empty.text
    assert analyst.get("/storylines?week=W47-2026").status_code == 400
    # A date picks its week.
    assert "2026-W47" in analyst.get("/storylines?week=2026-11-19").text


def test_queue_filter_shows_only_posts_in_bursts(analyst: AppClient) -> None:
    everything = analyst.get("/queue?week=2026-11-16")
    coordinated = analyst.get("/queue?week=2026-11-16&coordinated=1")
    assert coordinated.status_code == 200
    total = int(re.search(r"<small>(\d+) posts?", everything.text).group(1))  # type: ignore[union-attr]
    shown = int(re.search(r"<small>(\d+) posts?", coordinated.text).group(1))  # type: ignore[union-attr]
    # Unreviewed posts (the default status) of the W47 bursts: the six hostile copies
    # (flagged here) and six of the ballots copies (c3, c4, c8, c9, c11, c12; the others
    # are reviewed, and c6 is not flagged by the model).
    assert (total, shown) == (37, 12)
    assert "&lt;script&gt;" in coordinated.text and "<script>alert" not in coordinated.text
    assert 'name="coordinated" value="1" checked' in coordinated.text
    assert "drag show" not in coordinated.text
    # The post page keeps the filter for its previous/next links.
    first = re.search(r'href="(/posts/\d+\?[^"]*coordinated=1[^"]*)"', coordinated.text)
    assert first is not None
    assert analyst.get(first.group(1).replace("&amp;", "&")).status_code == 200
    # Without a week: the last four weeks with posts (W44..W47), where the five "taxes"
    # posts of W44 (five accounts within minutes) are a burst too; W46's copies are not
    # (its fifth is posted days later, so only four accounts fall in one window).
    recent = analyst.get("/queue?coordinated=1").text
    assert int(re.search(r"<small>(\d+) posts?", recent).group(1)) == 12 + 5  # type: ignore[union-attr]


def test_bursts_are_found_once_until_posts_change(
    app: FastAPI,
    analyst: AppClient,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cohesion.review.routes import queue

    calls: list[object] = []
    real = queue.bursts_between

    def counted(*args: object) -> object:
        calls.append(args[2:4])
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(queue, "bursts_between", counted)
    url = "/queue?week=2026-11-16&coordinated=1"
    first = analyst.get(url).text
    assert analyst.get(url).text == first and len(calls) == 1
    # A seventh account posts the hostile text: the week's posts changed, so it is found again.
    late = hostile_burst()[0]
    late.key, late.author, late.flags = "burst-late", "H7", ("threat",)
    late.created_at = late.created_at + timedelta(minutes=55)  # type: ignore[operator]
    ds.add(sessions, ds.Dataset({}, _active_model(sessions), 0), [late], late.created_at)
    assert re.search(r"<small>13 posts", analyst.get(url).text)
    assert len(calls) == 2


def _active_model(sessions: sessionmaker[Session]) -> int:
    from cohesion.store.trends import active_model_id

    with session_scope(sessions) as session:
        model_id = active_model_id(session)
    assert model_id is not None
    return model_id
