"""The review app's routes: logins, roles, CSRF, hostile text, decisions, export, retrain."""

from __future__ import annotations

import csv
import io
import re
import time
from html.parser import HTMLParser

import pytest
from cohesion.review.app import ROUTERS
from cohesion.review.security import CSP
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog, ModelVersion, Review
from cohesion.store.status import active_model
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.review.client import AppClient
from tests.review.conftest import FakeTrainer
from tests.review.seed import ADMIN, ANALYST, World

PUBLIC = {"/login"}


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _TagCollector()
    parser.feed(html)
    return parser.tags


def _routes(app: FastAPI, world: World) -> list[tuple[str, str]]:
    """Every (method, path) the app serves; create_app includes exactly ROUTERS."""
    values = {"post_id": str(world.ids["t3_threat"]), "username": "alan", "action": "disable"}
    out: list[tuple[str, str]] = []
    for route in (r for router in ROUTERS for r in router.routes):
        assert isinstance(route, APIRoute)
        if route.path in PUBLIC:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route.path)
        out.extend((method, path) for method in sorted(route.methods or ()))
    return out


def _audit(sessions: sessionmaker[Session], action: str) -> list[AuditLog]:
    with session_scope(sessions) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _reviews(sessions: sessionmaker[Session]) -> list[Review]:
    with session_scope(sessions) as session:
        return list(session.scalars(select(Review).order_by(Review.id)))


def test_every_route_needs_a_login(app: FastAPI, world: World, anon: AppClient) -> None:
    routes = _routes(app, world)
    assert len(routes) >= 15
    for method, path in routes:
        response = anon.request(method, path)
        if method == "GET":
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next="), path
        else:
            assert response.status_code == 401, (method, path)
    assert anon.get("/static/app.js").status_code == 200  # static files are public


def test_roles_hold_on_admin_routes(app: FastAPI, world: World, analyst: AppClient,
                                    admin: AppClient) -> None:  # fmt: skip
    token = analyst.csrf("/queue")
    admin_routes = [(m, p) for m, p in _routes(app, world) if p.startswith("/admin")]
    assert {p for _, p in admin_routes} >= {"/admin/users", "/admin/audit", "/admin/retrain"}
    for method, path in admin_routes:
        response = analyst.request(
            method, path, data={"csrf_token": token} if method == "POST" else None
        )
        assert response.status_code == 403, (method, path)
    for path in ("/admin/users", "/admin/audit", "/admin/retrain", "/admin/retrain/status"):
        assert admin.get(path).status_code == 200, path
    for path in ("/queue", "/uncertain", "/export.csv", f"/posts/{world.ids['t3_threat']}"):
        assert analyst.get(path).status_code == 200, path


def test_a_missing_or_wrong_csrf_token_is_rejected(sessions: sessionmaker[Session], world: World,
                                                   analyst: AppClient, anon: AppClient) -> None:  # fmt: skip
    url = f"/posts/{world.ids['t3_threat']}/decision"
    assert analyst.post(url, data={"decision": "confirm"}).status_code == 403
    assert (
        analyst.post(url, data={"decision": "confirm", "csrf_token": "forged"}).status_code == 403
    )
    assert analyst.post("/logout").status_code == 403
    assert _reviews(sessions) == []
    # The login form has a token too (bound to the pre-login session).
    response = anon.post("/login", data={"username": ANALYST[0], "password": ANALYST[1]})
    assert response.status_code == 403 and anon.get("/queue").status_code == 303
    # htmx requests send it in a header instead.
    token = analyst.csrf("/queue")
    ok = analyst.post(url, data={"decision": "confirm"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 303 and len(_reviews(sessions)) == 1


def test_hostile_post_renders_inert(world: World, analyst: AppClient) -> None:
    response = analyst.get(f"/posts/{world.ids['t3_hostile']}")
    html = response.text
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe" not in CSP
    assert (
        "<script>alert" not in html
        and "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    )
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
    assert 'href="javascript:' not in html.lower() and "javascript:alert(4)</code>" in html
    assert "&lt;b&gt;title&lt;/b&gt;" in html and "<i>x</i>" not in html
    # The post text must reach the page verbatim, never evaluated as a template. Only the
    # text itself is searched: the random CSRF token elsewhere on the page may hold "49".
    post_text = re.search(r'<div class="post-text" id="post-text">(.*?)</div>', html, re.S)
    assert post_text is not None
    assert "{{ 7*7 }}" in post_text.group(1) and "49" not in post_text.group(1)
    # Parsed as a browser would: scripts only from /static, no handlers, no inline styles.
    tags = _tags(html)
    assert [a["src"] for t, a in tags if t == "script"] == [
        "/static/vendor/htmx.min.js",
        "/static/app.js",
    ]
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed", "b", "i")]
    for tag, attrs in tags:
        assert not any(name.startswith("on") or name == "style" for name in attrs), tag
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, name, value)
    queue = analyst.get("/queue?label=hate").text
    assert "<script>alert" not in queue and "&lt;script&gt;" in queue


def test_security_headers_and_session_cookie(anon: AppClient) -> None:
    page = anon.get("/login")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    logged_in = anon.login(*ANALYST)
    assert logged_in.headers["location"] == "/queue"
    assert "httponly" in logged_in.headers["set-cookie"].lower()
    # A tampered cookie is no session at all.
    value = anon.cookies["cohesion_session"]
    anon.cookies.set("cohesion_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert anon.get("/queue").status_code == 303


def test_login_failures_are_rate_limited_and_audited(app: FastAPI, sessions: sessionmaker[Session],
                                                     anon: AppClient) -> None:  # fmt: skip
    for _ in range(5):
        assert anon.login(ANALYST[0], "wrong password").status_code == 401
    assert anon.login(*ANALYST).status_code == 429  # even the right password, for a while
    other = AppClient(app, address="10.0.0.9")
    assert other.login(*ANALYST).status_code == 303  # another address is not blocked
    other.close()
    assert anon.login(ADMIN[0], ADMIN[1]).status_code == 303
    assert len(_audit(sessions, "login.failed")) == 5
    assert len(_audit(sessions, "login.blocked")) == 1
    successes = _audit(sessions, "login.success")
    assert {a.actor for a in successes} == {"alan", "ada"} and successes[0].ip
    unknown = AppClient(app)
    assert unknown.login("nobody", "whatever-password").status_code == 401
    unknown.close()
    unknown_row = _audit(sessions, "login.failed")[-1]
    assert unknown_row.actor == "<unknown>" and unknown_row.detail["reason"] == "unknown user"


def test_next_parameter_cannot_leave_the_site(anon: AppClient) -> None:
    token = anon.csrf("/login?next=//evil.example/")
    response = anon.post("/login", data={"username": ANALYST[0], "password": ANALYST[1],
                                         "csrf_token": token, "next": "//evil.example/"})  # fmt: skip
    assert response.headers["location"] == "/queue"


def test_decisions_move_through_the_queue(sessions: sessionmaker[Session], world: World,
                                          analyst: AppClient) -> None:  # fmt: skip
    ids = world.ids
    page = analyst.get(f"/posts/{ids['t3_threat']}?queue=priority&label=&status=unreviewed")
    assert "watch his back</mark>" in page.text and "veiled threat" in page.text
    assert "Calm down, vote them out" in page.text  # thread context
    assert 'href="https://reddit.example/r/olathe/t3_threat"' in page.text
    token = analyst.csrf("/queue")
    back = "queue=priority&status=unreviewed"
    first = analyst.post(f"/posts/{ids['t3_threat']}/decision",
                         data={"csrf_token": token, "decision": "confirm", "back": back, "note": "real"})  # fmt: skip
    assert first.status_code == 303 and first.headers["location"].startswith(
        f"/posts/{ids['t3_dox']}?"
    )
    second = analyst.post(f"/posts/{ids['t3_dox']}/decision", data={
        "csrf_token": token, "decision": "correct", "back": back,
        "c_flags": ["doxxing", "threat"], "c_threat_targets": ["official"],
    })  # fmt: skip
    assert second.headers["location"].startswith(f"/posts/{ids['t3_hostile']}?")
    bad = analyst.post(f"/posts/{ids['t3_hostile']}/decision",
                       data={"csrf_token": token, "decision": "correct", "c_flags": ["spam"]})  # fmt: skip
    assert bad.status_code == 400
    assert analyst.post(f"/posts/{ids['t3_hostile']}/decision",
                        data={"csrf_token": token, "decision": "delete"}).status_code == 400  # fmt: skip
    assert analyst.post("/posts/999999/decision",
                        data={"csrf_token": token, "decision": "confirm"}).status_code == 404  # fmt: skip
    reviews = _reviews(sessions)
    assert [(r.post_id, r.decision) for r in reviews] == [
        (ids["t3_threat"], "confirm"),
        (ids["t3_dox"], "correct"),
    ]
    assert reviews[0].note == "real" and reviews[0].classification_id is not None
    assert reviews[1].corrected_labels == {"flags": ["doxxing", "threat"], "targets": [], "narratives": [],
                                           "threat_targets": ["official"]}  # fmt: skip
    audit = _audit(sessions, "review.confirm") + _audit(sessions, "review.correct")
    assert [a.object_id for a in audit] == [str(ids["t3_threat"]), str(ids["t3_dox"])]
    # The reviewed posts left the unreviewed queue and show under "reviewed".
    queue = analyst.get("/queue").text
    assert f"/posts/{ids['t3_threat']}?" not in queue
    assert f"/posts/{ids['t3_threat']}?" in analyst.get("/queue?status=reviewed").text
    history = analyst.get(f"/posts/{ids['t3_dox']}").text
    assert "flags: doxxing, threat" in history


def test_last_post_in_a_filtered_queue_returns_to_the_queue(
    world: World, analyst: AppClient
) -> None:
    token = analyst.csrf("/queue")
    response = analyst.post(f"/posts/{world.ids['t3_hate']}/decision",
                            data={"csrf_token": token, "decision": "escalate",
                                  "back": "queue=priority&target=jewish&status=unreviewed"})  # fmt: skip
    assert response.headers["location"] == "/queue?target=jewish&status=unreviewed"
    assert "That was the last post" in analyst.get(response.headers["location"]).text
    escalated = analyst.get("/queue?status=escalated").text
    assert f"/posts/{world.ids['t3_hate']}?" in escalated


def test_queue_count_past_the_cap(
    world: World, analyst: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cohesion.store import review_queries

    monkeypatch.setattr(review_queries, "COUNT_CAP", 10)
    first = analyst.get("/queue").text  # counted up to the page shown: 25, and more
    assert "<small>25+ posts" in first and "page 1 of 1+" in first and 'id="page-next"' in first
    second = analyst.get("/queue?page=2").text
    assert "page 2 of 2<" in second and 'id="page-next"' not in second


def test_queue_filters_paging_and_bad_input(world: World, analyst: AppClient) -> None:
    first = analyst.get("/queue").text
    assert "page 1 of 2" in first and 'id="page-next"' in first
    second = analyst.get("/queue?page=2").text
    assert "page 2 of 2" in second and 'id="page-prev"' in second
    fraud = analyst.get("/queue?narrative=election_fraud&source=county-forum&week=2026-03-09").text
    assert "fake ballots" in fraud and "watch his back" not in fraud
    for bad in (
        "/queue?label=spam",
        "/queue?week=yesterday",
        "/queue?status=gone",
        "/queue?page=x",
    ):
        assert analyst.get(bad).status_code == 400, bad
    uncertain = analyst.get("/uncertain").text
    assert uncertain.index("do something about that office") < uncertain.index("Calm down")


def test_csv_export(sessions: sessionmaker[Session], world: World, analyst: AppClient) -> None:
    token = analyst.csrf("/queue")
    analyst.post(f"/posts/{world.ids['t3_threat']}/decision",
                 data={"csrf_token": token, "decision": "confirm", "note": '=HYPERLINK("http://x")'})  # fmt: skip
    response = analyst.get("/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1 and rows[0]["decision"] == "confirm" and rows[0]["reviewer"] == "alan"
    assert rows[0]["note"] == '\'=HYPERLINK("http://x")'  # defused for spreadsheets
    assert len(_audit(sessions, "export.decisions")) == 1


def test_admin_manages_users(app: FastAPI, sessions: sessionmaker[Session], admin: AppClient,
                             analyst: AppClient) -> None:  # fmt: skip
    token = admin.csrf("/admin/users")
    created = admin.post("/admin/users", data={"csrf_token": token, "username": "maria",
                                               "password": "maria-password-1", "role": "analyst"})  # fmt: skip
    assert created.status_code == 303
    page = admin.get("/admin/users").text
    assert "Created analyst maria" in page and "maria" in page
    weak = admin.post(
        "/admin/users", data={"csrf_token": token, "username": "bob", "password": "short"}
    )
    assert weak.status_code == 303 and "at least 10 characters" in admin.get("/admin/users").text
    assert admin.post("/admin/users/ada/disable", data={"csrf_token": token}).status_code == 303
    assert "cannot disable your own" in admin.get("/admin/users").text
    # Disabling a user ends their open session at once.
    assert analyst.get("/queue").status_code == 200
    assert admin.post("/admin/users/alan/disable", data={"csrf_token": token}).status_code == 303
    assert analyst.get("/queue").status_code == 303
    again = AppClient(app)
    assert again.login(*ANALYST).status_code == 401
    again.close()
    actions = [a.action for a in _audit(sessions, "user.create") + _audit(sessions, "user.disable")]
    assert actions == ["user.create", "user.disable"]
    audit_page = admin.get("/admin/audit").text
    assert "user.disable" in audit_page and "login.success" in audit_page


def _wait_for(admin: AppClient, status: str) -> str:
    deadline = time.monotonic() + 60  # generous: CI machines can be slow, never flaky
    while time.monotonic() < deadline:
        html = admin.get("/admin/retrain/status").text
        if f'data-status="{status}"' in html:
            return html
        time.sleep(0.05)
    raise AssertionError(f"retrain never reached {status}")


def test_retrain_runs_in_background_and_activates_only_on_request(
    sessions: sessionmaker[Session], admin: AppClient, trainer: FakeTrainer
) -> None:
    trainer.release.clear()
    token = admin.csrf("/admin/retrain")
    assert admin.post("/admin/retrain", data={"csrf_token": token}).status_code == 303
    running = _wait_for(admin, "running")
    assert 'hx-get="/admin/retrain/status"' in running and 'hx-trigger="every 1s"' in running
    assert "exporting reviewed posts" in running
    assert (
        admin.post("/admin/retrain", data={"csrf_token": token}).status_code == 303
    )  # no second run
    trainer.release.set()
    done = _wait_for(admin, "done")
    assert "hx-trigger" not in done  # polling stops
    assert "reviewed-test-1" in done and "hate.f1" in done and "0.61" in done and "0.66" in done
    assert "+0.050" in done
    with session_scope(sessions) as session:
        current = active_model(session)
        assert current is not None and current.name == "test-model-1"  # nothing registered yet
    assert admin.post("/admin/retrain/activate", data={"csrf_token": token}).status_code == 303
    with session_scope(sessions) as session:
        model = active_model(session)
        assert (
            model is not None
            and model.name == "reviewed-test-1"
            and model.path == str(trainer.out_dir)
        )
        assert model.metrics["hate"]["f1"] == 0.66 and model.thresholds["hate"] == 0.45
        assert len(session.scalars(select(ModelVersion)).all()) == 2
    assert [a.action for a in _audit(sessions, "retrain.start")] == ["retrain.start"]
    assert _audit(sessions, "model.activate")[0].detail["name"] == "reviewed-test-1"
    assert trainer.calls == 1
    # Nothing left to activate twice.
    admin.post("/admin/retrain/activate", data={"csrf_token": token})
    assert "no finished model" in admin.get("/admin/retrain").text


def test_a_failed_retrain_is_shown_and_can_be_cleared(app: FastAPI, admin: AppClient) -> None:
    def broken(progress: object) -> object:
        raise ValueError("no reviewed posts yet")

    app.state.ctx.retrain._retrain = broken
    token = admin.csrf("/admin/retrain")
    admin.post("/admin/retrain", data={"csrf_token": token})
    failed = _wait_for(admin, "failed")
    assert "ValueError: no reviewed posts yet" in failed
    admin.post("/admin/retrain/discard", data={"csrf_token": token})
    assert 'data-status="idle"' in admin.get("/admin/retrain").text


def test_logout_ends_the_session(sessions: sessionmaker[Session], analyst: AppClient) -> None:
    token = analyst.csrf("/queue")
    assert analyst.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
    assert analyst.get("/queue").status_code == 303
    assert len(_audit(sessions, "logout")) == 1


def test_expired_login(app: FastAPI, analyst: AppClient) -> None:
    app.state.ctx.session_hours = 0
    assert analyst.get("/queue").status_code == 303


@pytest.mark.parametrize("path", ["/posts/999999", "/posts/abc"])
def test_missing_posts(analyst: AppClient, path: str) -> None:
    assert analyst.get(path).status_code in (400, 404)
