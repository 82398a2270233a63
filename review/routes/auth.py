"""Log in and out."""

from __future__ import annotations

from typing import Annotated, Any

from cohesion.review.auth import (
    UNKNOWN_USER,
    csrf_matches,
    hash_password,
    needs_rehash,
    new_csrf_token,
    username_hash,
    verify_password,
)
from cohesion.review.context import app_context, client_ip, db
from cohesion.review.rendering import render
from cohesion.review.security import SESSION_KEY, Actor, safe_next
from cohesion.store import audit, review_sessions, users
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/queue",
) -> Response:
    target = safe_next(next)
    if not csrf_matches(request.session.get("csrf"), csrf_token):
        return render(
            request,
            "login.html",
            None,
            status_code=403,
            next=target,
            error="The form expired; please try again.",
        )
    ip, context = client_ip(request), app_context(request)
    verdict = context.throttle.check(username, ip)
    if not verdict.allowed:
        if verdict.report:  # once per blocked window, not once per request
            with db(request) as session:
                actor, detail = _who(session, username, context.username_key)
                detail.update(limit=verdict.reason, retry_after_seconds=verdict.retry_after)
                audit.record_audit(session, "login.blocked", actor=actor, ip=ip, detail=detail)
        busy = verdict.reason == "busy"
        page = render(
            request,
            "login.html",
            None,
            status_code=503 if busy else 429,
            next=target,
            error="The server is busy; try again in a few seconds."
            if busy
            else "Too many failed logins. Wait 15 minutes and try again.",
        )
        page.headers["retry-after"] = str(verdict.retry_after)
        return page
    with db(request) as session:
        found = users.credentials(session, username)
        user, stored = found if found else (None, None)
        ok = verify_password(stored, password) and user is not None and not user.disabled
        if ok and user is not None and stored is not None:
            users.mark_login(session, user.id)
            if needs_rehash(stored):
                users.set_password_hash(session, user.id, hash_password(password))
            audit.record_audit(
                session, "login.success", user_id=user.id, actor=user.username, ip=ip
            )
        else:
            reason = (
                "unknown user" if user is None else "disabled" if user.disabled else "bad password"
            )
            actor, detail = _who(session, username, context.username_key)
            audit.record_audit(
                session, "login.failed", actor=actor, ip=ip, detail={"reason": reason, **detail}
            )
    if not ok or user is None:
        context.throttle.failed(username, ip)
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            next=target,
            error="Wrong username or password.",
        )
    context.throttle.succeeded(username, ip)
    with db(request) as session:
        token = review_sessions.open_session(session, user.id, context.session_hours)
    request.session.clear()
    request.session.update({SESSION_KEY: token, "csrf": new_csrf_token()})
    return RedirectResponse(target, status_code=303)


def _who(session: Session, username: str, key: bytes) -> tuple[str, dict[str, Any]]:
    """How the audit log names a login attempt: the account's own name when it exists,
    else "<unknown>" with a keyed hash of what was typed. People type passwords into
    the username field, so a name that is not an account is never stored as typed; the
    hash still shows repeated attempts at the same name."""
    found = users.credentials(session, username)
    if found is not None:
        return found[0].username, {}
    return UNKNOWN_USER, {"username_hash": username_hash(key, username)}


@router.post("/logout")
def logout(request: Request, user: Actor) -> Response:
    with db(request) as session:
        review_sessions.end_session(session, str(request.session.get(SESSION_KEY)))
        audit.record_audit(
            session, "logout", user_id=user.id, actor=user.username, ip=client_ip(request)
        )
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
