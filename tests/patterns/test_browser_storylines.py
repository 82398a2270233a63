"""The Storylines page and the "coordinated only" filter in a real browser (chromium,
headless, through Playwright; see tests/review/test_browser.py for when it runs)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cohesion.review.app import create_app
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.users import create_user

from tests.patterns import corpus
from tests.patterns.test_faces import hostile_burst
from tests.reports import dataset as ds
from tests.review.conftest import SECRET
from tests.review.seed import ANALYST, _hash
from tests.review.test_browser import PageWatch, _login, browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    engine = make_engine(f"sqlite:///{tmp_path / 'storylines.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    data = corpus.build(sessions)
    burst = hostile_burst()
    for spec in burst:
        spec.flags = ("threat",)
    ds.add(sessions, data, burst, ds._local(ds.WEEK, 12, 0))
    with session_scope(sessions) as session:
        create_user(session, ANALYST[0], _hash(ANALYST[1]), "analyst")
    app = create_app(sessions, secret=SECRET, locality="J", timezone=ds.TZ)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the review app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()
    engine.dispose()


def test_analyst_reads_the_storylines_and_opens_a_post(live_url: str, browser: Any) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    _login(page, live_url, *ANALYST)
    page.click("nav >> text=Storylines")
    page.wait_for_url(f"{live_url}/storylines")
    page.select_option('select[name="week"]', "2026-11-16")
    page.click("text=Show")
    page.wait_for_url(f"{live_url}/storylines?week=2026-11-16")
    summary = page.locator("#storylines-summary").inner_text()
    assert summary == "6 storylines cover 41 of 43 flagged posts in 2026-W47."
    headings = page.locator("section.storyline h2").all_inner_texts()
    assert any(h.startswith("drag · show · library") and "growing" in h for h in headings)
    # The hostile copies are a storyline too, shown as text: no script ran.
    assert page.locator("section.storyline script, section.storyline img").count() == 0
    assert "<script>alert(1)</script>" in page.locator("body").inner_text()
    drag = page.locator("section.storyline", has_text="drag · show · library")
    drag.locator("li a.open").first.click()
    page.wait_for_url(f"{live_url}/posts/**")
    assert "drag" in page.locator("#post-text").inner_text()

    page.goto(f"{live_url}/queue?week=2026-11-16")
    page.check('input[name="coordinated"]')
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**coordinated=1**")
    assert "12 posts" in page.locator("h1 small").inner_text()
    page.close()
    assert watch.dialogs == []
    assert not [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
