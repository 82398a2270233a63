"""The review app in Debian's chromium (headless, through Playwright): log in, work
three posts with the keyboard only, and check what landed in the database.

Runs only where /usr/bin/chromium exists (.ci/run installs it with apt-get); in CI a
missing browser fails instead of skipping. Never runs `playwright install`.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cohesion.review.app import create_app
from cohesion.review.calibration import blind_decision
from cohesion.store import calibration
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.models import AuditLog, Classification, Review
from cohesion.taxonomy import LABELS
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.conftest import SECRET, FakeTrainer
from tests.review.seed import ADMIN, ANALYST, World, seed

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "review-queue.png"


@dataclass
class LiveApp:
    url: str
    sessions: sessionmaker[Session]
    world: World
    trainer: FakeTrainer


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    engine = make_engine(f"sqlite:///{tmp_path / 'review.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    world = seed(sessions)
    trainer = FakeTrainer(tmp_path / "models" / "reviewed-browser")
    app = create_app(sessions, secret=SECRET, retrain=trainer, locality="Johnson County")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the review app did not start"
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", sessions, world, trainer)
    server.should_exit = True
    thread.join(10)
    sock.close()
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (.ci/run installs it with apt-get)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class PageWatch:
    """Collects what would betray an injection or a CSP breakage."""

    def __init__(self, page: Any) -> None:
        self.console: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/queue")
    assert "/login" in page.url
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.press('input[name="password"]', "Enter")
    page.wait_for_url(f"{base}/queue")


def test_analyst_works_three_posts_with_the_keyboard(live_app: LiveApp, browser: Any) -> None:
    ids, base = live_app.world.ids, live_app.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    _login(page, base, *ANALYST)
    assert page.evaluate("typeof window.htmx") == "object"  # served from /static under the CSP
    assert page.locator(".queue-row.selected").count() == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "review-queue.png"
    page.screenshot(path=str(shot), full_page=False)
    # The README's picture is refreshed on request, so a test run leaves the tree clean:
    # UPDATE_DOCS_SCREENSHOTS=1 pytest tests/review/test_browser.py
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)

    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/posts/{ids['t3_threat']}?**")
    assert page.locator("mark.evidence").first.inner_text() == "watch his back"

    page.keyboard.press("c")  # 1: confirm
    page.wait_for_url(f"{base}/posts/{ids['t3_dox']}?**")
    page.keyboard.press("n")
    page.keyboard.type("home address of a private person")
    page.keyboard.press("Escape")
    page.keyboard.press("e")  # 2: escalate, with a note
    page.wait_for_url(f"{base}/posts/{ids['t3_hostile']}?**")
    # The hostile post is shown as text: no script ran, no tag from it exists.
    assert "<script>alert('owned')</script>" in page.locator("#post-text").inner_text()
    assert page.locator("#post-text img, #post-text script, #post-text a").count() == 0
    page.keyboard.press("1")  # hate off
    page.keyboard.press("2")  # anti_government on
    page.keyboard.press("x")  # 3: save the correction
    page.wait_for_url(f"{base}/posts/{ids['t3_hate']}?**")
    page.close()

    assert watch.dialogs == []
    assert not [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
    with session_scope(live_app.sessions) as session:
        reviews = list(session.scalars(select(Review).order_by(Review.id)))
        audit = [
            (a.action, a.actor, a.object_id)
            for a in session.scalars(select(AuditLog).order_by(AuditLog.id))
        ]
    assert [(r.post_id, r.decision) for r in reviews] == [
        (ids["t3_threat"], "confirm"), (ids["t3_dox"], "escalate"), (ids["t3_hostile"], "correct")
    ]  # fmt: skip
    assert reviews[1].note == "home address of a private person"
    assert reviews[2].corrected_labels is not None
    assert reviews[2].corrected_labels["flags"] == ["anti_government"]
    assert reviews[2].corrected_labels["targets"] == ["muslim"]
    assert all(r.queue == "priority" and r.classification_id for r in reviews)
    assert audit == [
        ("login.success", "alan", None),
        ("review.confirm", "alan", str(ids["t3_threat"])),
        ("review.escalate", "alan", str(ids["t3_dox"])),
        ("review.correct", "alan", str(ids["t3_hostile"])),
    ]
    assert shot.stat().st_size > 10_000


def test_admin_watches_a_retrain_through_htmx_polling(live_app: LiveApp, browser: Any) -> None:
    base = live_app.url
    live_app.trainer.release.clear()
    page = browser.new_page()
    watch = PageWatch(page)
    _login(page, base, *ADMIN)
    page.goto(f"{base}/admin/retrain")
    page.click("#start-retrain")
    page.wait_for_selector('#retrain-status[data-status="running"]')
    live_app.trainer.release.set()
    # No reload: htmx swaps the panel in when the run finishes.
    page.wait_for_selector('#retrain-status[data-status="done"]', timeout=15_000)
    assert "hate.f1" in page.locator("#metrics").inner_text()
    page.click("#activate-model")
    page.wait_for_url(f"{base}/admin/retrain")
    assert "is now active" in page.content()
    assert not [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
    page.close()


def test_analyst_works_the_calibration_queue_blind(live_app: LiveApp, browser: Any) -> None:
    base, model_id = live_app.url, live_app.world.model_id
    view = "weeks=2&until=2026-03-09"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    _login(page, base, *ANALYST)
    page.keyboard.press("g")
    page.keyboard.press("c")  # g c: the calibration queue (default window: no seeded weeks)
    page.wait_for_url(f"{base}/calibration")
    page.goto(f"{base}/calibration?{view}")
    rows = page.locator(".queue-row")
    order = [int(rows.nth(i).get_attribute("data-post-id")) for i in range(rows.count())]
    assert len(order) > 2 and page.locator(".queue-row.selected").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "calibration-queue.png"
    page.screenshot(path=str(shot), full_page=False)

    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")  # the first sampled post, opened blind
    page.wait_for_url(f"{base}/posts/{order[0]}?**")
    assert page.locator("#blind-note").count() == 1
    assert page.locator("mark.evidence, section.scores, section.history").count() == 0
    assert page.locator('#correction input[type="checkbox"]:checked').count() == 0
    page.keyboard.press("2")  # anti_government applies
    page.keyboard.press("x")  # 1: save the checked labels
    page.wait_for_url(f"{base}/posts/{order[1]}?**")
    page.keyboard.press("n")
    page.keyboard.type("ordinary complaint")
    page.keyboard.press("Escape")
    page.keyboard.press("r")  # 2: no label applies
    page.wait_for_url(f"{base}/posts/{order[2]}?**")
    page.keyboard.press("u")
    page.wait_for_url(f"{base}/calibration?**")
    left = page.locator(".queue-row")
    assert [int(left.nth(i).get_attribute("data-post-id")) for i in range(left.count())] == order[
        2:
    ]
    page.close()

    assert watch.dialogs == []
    assert not [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
    with session_scope(live_app.sessions) as session:
        reviews = list(session.scalars(select(Review).order_by(Review.id)))
        audit = [a for a in session.scalars(select(AuditLog)) if a.action.startswith("review.")]
        flags = {
            c.post_id: [label for label in LABELS if getattr(c, f"flag_{label}")]
            for c in session.scalars(select(Classification))
        }
        truth = calibration._calibration_truth(session, model_id, set(order[:2]))
    assert [r.post_id for r in reviews] == order[:2]
    assert all(r.queue == "calibration" and r.classification_id for r in reviews)
    assert [a.detail["queue"] for a in audit] == ["calibration", "calibration"]
    decision, _ = blind_decision(flags[order[0]], "labels", ["anti_government"])
    assert reviews[0].decision == decision
    assert reviews[1].decision == ("confirm" if not flags[order[1]] else "reject")
    assert reviews[1].note == "ordinary complaint"
    assert truth == {order[0]: {"anti_government"}, order[1]: set()}
    assert shot.stat().st_size > 10_000


def test_analyst_searches_and_opens_a_match(live_app: LiveApp, browser: Any) -> None:
    ids, base = live_app.world.ids, live_app.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    _login(page, base, *ANALYST)
    page.click('nav a[href="/search"]')
    page.wait_for_url(f"{base}/search")
    page.fill("#search-q", '"fake ballots" OR commissioner')
    page.press("#search-q", "Enter")
    page.wait_for_url(f"{base}/search?**")
    results = page.locator("#search-results tbody tr")
    assert results.count() == 2
    assert page.locator("#search-results mark").first.inner_text().lower() in (
        "fake ballots", "commissioner", "fake", "ballots",
    )  # fmt: skip
    assert page.locator("svg.timeline polyline").count() >= 2  # one line per platform
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    # A query that is not valid syntax is explained, and nothing breaks.
    page.fill("#search-q", "(county")
    page.press("#search-q", "Enter")
    page.wait_for_selector("#search-error")
    assert "parenthesis is not closed" in page.locator("#search-error").inner_text()
    # Open a match: the post page of that post.
    page.fill("#search-q", "commissioner")
    page.press("#search-q", "Enter")
    page.wait_for_url(f"{base}/search?**")
    page.locator("#search-results a.open").first.click()
    page.wait_for_url(f"{base}/posts/{ids['t3_threat']}**")
    page.close()
    assert watch.dialogs == []
    assert not [m for m in watch.console if "Content Security Policy" in m or "pageerror" in m]
