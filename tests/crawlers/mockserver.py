"""A loopback HTTP server for crawler tests: canned replies by host, path and query.

Routes map (host, path-with-query) to a `Reply` or a list of replies played in order
(the last one repeats): 429-then-200, 500s, slow replies for timeouts, bodies cut off
mid-way, robots.txt. Query strings are compared as decoded key/value pairs: exactly
(order ignored) by default, or with `subset=True` as "the request carries at least
these pairs" (the most specific route wins), so a recorded body can be served at its
recorded path while the spider adds parameters such as raw_json=1.

`recorded=True` is the rule for a recording made by someone else's client: the request
must agree on every parameter that selects content, and may differ on those that only
size or format the answer (`FORMAT_PARAMS`: limit, raw_json...). Cursor parameters
(`CURSOR_PARAMS`) select a page, so they must agree both ways: a request for page 2
is not answered with the recording of page 1. Any other recorded pair must be in the
request (which may add its own, such as sort=latest); a blank value counts as absent.

Every request is recorded in `server.requests`. Use it as a context manager; it runs
in a thread.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# Parameters that size or format an answer without choosing what it is about.
FORMAT_PARAMS = frozenset({"limit", "count", "raw_json", "per_page"})
# Parameters that choose a page of a listing.
CURSOR_PARAMS = frozenset({"after", "before", "cursor", "max_id", "page"})


def _content_agrees(recorded: list[tuple[str, str]], asked: list[tuple[str, str]]) -> bool:
    def content(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, v) for k, v in pairs if v != "" and k not in FORMAT_PARAMS]

    recorded, asked = content(recorded), content(asked)
    cursors = sorted(p for p in recorded if p[0] in CURSOR_PARAMS)
    if cursors != sorted(p for p in asked if p[0] in CURSOR_PARAMS):
        return False
    remaining = list(asked)
    for pair in recorded:
        if pair not in remaining:
            return False
        remaining.remove(pair)
    return True


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    delay: float = 0.0  # seconds to wait before answering (timeouts)
    cut_after: int | None = None  # send only this many body bytes, then close

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(
            status, {"Content-Type": "application/json; charset=utf-8", **headers}, json.dumps(data)
        )

    @property
    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class RecordedRequest:
    method: str
    host: str
    path: str  # with query, as sent
    headers: dict[str, str]
    body: bytes
    at: float = 0.0  # time.monotonic() when it arrived


@dataclass
class _Route:
    host: str | None
    method: str
    path: str
    query: list[tuple[str, str]]
    subset: bool
    replies: list[Reply]
    served: int = 0
    recorded: bool = False

    def matches(self, method: str, host: str, path: str, query: list[tuple[str, str]]) -> bool:
        if method != self.method or (self.host is not None and host != self.host):
            return False
        if path != self.path and unquote(path) != unquote(self.path):
            return False
        if self.recorded:
            return _content_agrees(self.query, query)
        if self.subset:
            remaining = list(query)
            for pair in self.query:
                if pair not in remaining:
                    return False
                remaining.remove(pair)
            return True
        return sorted(query) == sorted(self.query)

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


def _split(path_with_query: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(path_with_query)
    return parts.path or "/", parse_qsl(parts.query, keep_blank_values=True)


class MockServer:
    """Serve canned replies on 127.0.0.1 (HTTP, or HTTPS with an ssl context)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.routes: list[_Route] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if ssl_context else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> MockServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # Routes ------------------------------------------------------------------------
    def add(
        self,
        path_with_query: str,
        replies: Reply | list[Reply],
        *,
        host: str | None = None,
        method: str = "GET",
        subset: bool = False,
        recorded: bool = False,
    ) -> None:
        path, query = _split(path_with_query)
        replies = replies if isinstance(replies, list) else [replies]
        route = _Route(host, method.upper(), path, query, subset, replies, recorded=recorded)
        with self._lock:
            self.routes.append(route)

    def add_json(self, path_with_query: str, data: Any, **kwargs: Any) -> None:
        self.add(path_with_query, Reply.json(data), **kwargs)

    def robots(self, text: str) -> None:
        self.add("/robots.txt", Reply(200, {"Content-Type": "text/plain"}, text))

    def hits(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _find(self, method: str, host: str, raw_path: str) -> Reply | None:
        path, query = _split(raw_path)
        with self._lock:
            candidates = [r for r in self.routes if r.matches(method, host, path, query)]
            if not candidates:
                return None
            # Most specific first: a host over any host, more query pairs over fewer.
            route = max(candidates, key=lambda r: (r.host is not None, len(r.query)))
            return route.next_reply()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host = (self.headers.get("Host") or "").split(":")[0]
                with server._lock:
                    server.requests.append(
                        RecordedRequest(
                            self.command,
                            host,
                            self.path,
                            dict(self.headers.items()),
                            body,
                            time.monotonic(),
                        )
                    )
                reply = server._find(self.command, host, self.path)
                if reply is None:
                    reply = Reply.json({"error": "not found", "path": self.path}, status=404)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.payload
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        if name.lower() not in (
                            "content-length",
                            "transfer-encoding",
                            "content-encoding",
                            "connection",
                        ):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    if reply.cut_after is not None:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(payload[: reply.cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_HEAD = _answer

        return Handler
