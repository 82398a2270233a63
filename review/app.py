"""The review app: `create_app(...)` builds it; `serve(...)` runs it with uvicorn.

Pages are rendered on the server with autoescaped Jinja2; htmx and app.js are served
from review/static (no CDN); every response carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from cohesion.config import CoordinationSettings
from cohesion.resources import package_path
from cohesion.review.auth import username_key
from cohesion.review.context import AppContext
from cohesion.review.rendering import environment
from cohesion.review.retrain import RetrainFn, RetrainManager
from cohesion.review.routes import admin, auth, calibration, posts, queue, storylines
from cohesion.review.routes import retrain as retrain_routes
from cohesion.review.routes import search as search_routes
from cohesion.review.security import (
    LoginRequired,
    SecurityHeadersMiddleware,
    login_url,
    response_headers,
)
from cohesion.review.throttle import LoginThrottle
from cohesion.store.events import CalendarEvent
from cohesion.store.privacy import PostPrivacy
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

STATIC = package_path("review", "static")
ROUTERS = (
    auth.router,
    queue.router,
    calibration.router,
    posts.router,
    admin.router,
    retrain_routes.router,
    search_routes.router,
    storylines.router,
)
SESSION_COOKIE = "cohesion_session"
log = logging.getLogger(__name__)


def create_app(
    sessions: sessionmaker[Session],
    *,
    secret: str,
    session_hours: int = 12,
    https_only: bool = False,
    retrain: RetrainFn | None = None,
    locality: str = "",
    timezone: str = "UTC",
    events: Sequence[CalendarEvent] = (),
    throttle: LoginThrottle | None = None,
    coordination: CoordinationSettings | None = None,
    privacy: PostPrivacy | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Cohesion review", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan
    )
    app.state.ctx = AppContext(
        sessions=sessions,
        throttle=throttle or LoginThrottle(),
        retrain=RetrainManager(retrain),
        session_hours=session_hours,
        username_key=username_key(secret),
        locality=locality,
        timezone=timezone,
        events=tuple(events),
        coordination=coordination or CoordinationSettings(),
        privacy=privacy,
    )
    # Added last = outermost: headers go on every response, errors included.
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=session_hours * 3600,
        same_site="strict",
        https_only=https_only,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    # Runs in Starlette's outermost middleware, outside SecurityHeadersMiddleware.
    app.add_exception_handler(Exception, _server_error)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # No training process may outlive the app.
    app.state.ctx.retrain.stop()


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and "hx-request" not in request.headers:
        return RedirectResponse(login_url(request), status_code=303)
    # htmx follows HX-Redirect; plain clients get the 401.
    return Response("login required", status_code=401, headers={"HX-Redirect": "/login"})


def _error_page(status: int, message: str) -> HTMLResponse:
    html = environment.get_template("error.html").render(status=status, message=message)
    return HTMLResponse(html, status_code=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error_page(exc.status_code, str(exc.detail))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    return _error_page(400, "The request was not valid.")


class ListenError(OSError):
    """The review app cannot listen on the address asked for (port in use, no such host)."""


def listen(host: str, port: int) -> socket.socket:
    """A bound, listening socket, or ListenError with a message for the user.

    Bound here rather than by uvicorn, which logs a bind failure and exits the process.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = (
            "; is the review app already running? use --port"
            if exc.errno == errno.EADDRINUSE
            else ""
        )
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    return sock


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug: the error page (no traceback) with the headers every page carries.

    Starlette logs the exception and re-raises it after sending this."""
    page = _error_page(500, "Something went wrong on the server; the error was logged.")
    for name, value in response_headers(request.url.path):
        page.headers[name.decode()] = value.decode()
    return page


def serve(app: FastAPI, host: str, port: int) -> None:
    import uvicorn

    sock = listen(host, port)
    if not _is_loopback(host):
        log.warning(
            "the review app listens on %s: anyone who can reach it sees the login page; "
            "serve it only behind TLS and start it with --https-only",
            host,
        )
    config = uvicorn.Config(
        app, host=host, port=port, proxy_headers=False, server_header=False, log_level="info"
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
