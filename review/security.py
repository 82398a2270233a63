"""Access control and response headers.

Every route declares who may use it with one of the annotated dependencies below:
`Viewer` (any signed-in account, GET), `Actor` (any account, state-changing POST with
a CSRF token), `AdminViewer` and `AdminActor` (admins only). A request without a valid
session is sent to the login page (GET) or refused with 401; an analyst on an admin
route gets 403; a POST without the session's CSRF token gets 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from cohesion.review.auth import csrf_matches, new_csrf_token
from cohesion.review.context import app_context, db
from cohesion.store import review_sessions, users
from cohesion.store.users import UserInfo
from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def response_headers(path: str) -> list[tuple[bytes, bytes]]:
    """What every response carries; pages (not static files) are never cached."""
    cache = [] if path.startswith("/static/") else [(b"cache-control", b"no-store")]
    return [*SECURITY_HEADERS, *cache]


class SecurityHeadersMiddleware:
    """Adds the CSP and friends to every response; pages are never cached (they hold
    hostile text and personal data), static files may be."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = response_headers(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginRequired(Exception):
    """Raised by the dependencies; turned into a redirect to /login or a 401."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(request.session.get("csrf"), given):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")


SESSION_KEY = "sid"


def current_user(request: Request) -> UserInfo:
    """The account of the request's server-side session (store/review_sessions.py).

    The cookie only names the session; logout, expiry and any change to the account
    delete it, so a copied cookie stops working at once."""
    session = request.session
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not 0 < len(token) <= 100:
        raise LoginRequired()
    with db(request) as s:
        user_id = review_sessions.session_user(s, token, app_context(request).session_hours)
        user = users.get_user(s, user_id) if user_id is not None else None
    if user is None or user.disabled:
        session.clear()
        raise LoginRequired()
    return user


def require_admin(user: Annotated[UserInfo, Depends(current_user)]) -> UserInfo:
    if user.role != "admin":
        raise HTTPException(status_code=403, detail="this page is for admins")
    return user


async def acting_user(
    request: Request, user: Annotated[UserInfo, Depends(current_user)]
) -> UserInfo:
    await check_csrf(request)
    return user


async def acting_admin(
    request: Request, user: Annotated[UserInfo, Depends(require_admin)]
) -> UserInfo:
    await check_csrf(request)
    return user


Viewer = Annotated[UserInfo, Depends(current_user)]
Actor = Annotated[UserInfo, Depends(acting_user)]
AdminViewer = Annotated[UserInfo, Depends(require_admin)]
AdminActor = Annotated[UserInfo, Depends(acting_admin)]


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no //host or scheme tricks)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/queue"
    if any(ord(ch) < 32 for ch in target):
        return "/queue"
    return target


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")
