"""Serve the demo corpus on loopback: one small HTTP server per platform.

Each platform gets its own port on 127.0.0.1 so that every spider sees a site of its
own at its `base_url`, with robots.txt allowing everything, exactly the paths its
real site answers and absolute URLs (Link headers, feed links) on that same site.
Use it as a context manager; the servers run in daemon threads.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cohesion.demo.corpus import PLATFORMS, DemoCorpus
from cohesion.demo.render import Reply, Request, Site, site_classes

ROBOTS = "User-agent: *\nDisallow:\n"


class _Handler(BaseHTTPRequestHandler):
    server_version = "CohesionDemo/1"
    protocol_version = "HTTP/1.1"
    site: Site
    hits: Counter[str]

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.hits[self.site.platform] += 1
        if parts.path == "/robots.txt":
            reply: Reply | None = Reply.text(ROBOTS, "text/plain")
        else:
            try:
                reply = self.site.route(
                    Request.from_parts(method, parts.path, parts.query, body, headers)
                )
            except Exception as exc:  # a renderer bug must show up as a 500, not a hang
                reply = Reply.text(
                    f"demo renderer error: {type(exc).__name__}: {exc}", "text/plain", status=500
                )
        if reply is None:
            reply = Reply.text("not found", "text/plain", status=404)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer("HEAD")

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints a summary
        return


class DemoServer:
    """The seven demo sites; `base_url(platform)` is what a source's base_url is set to."""

    def __init__(self, corpus: DemoCorpus, platforms: tuple[str, ...] = PLATFORMS) -> None:
        self.hits: Counter[str] = Counter()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        classes = site_classes()
        for platform in platforms:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = True
            base = f"http://127.0.0.1:{server.server_address[1]}"
            site = classes[platform](corpus.for_platform(platform), base)
            server.RequestHandlerClass = type(
                f"{platform.title()}Handler", (_Handler,), {"site": site, "hits": self.hits}
            )
            self._servers[platform] = server

    def base_url(self, platform: str) -> str:
        return f"http://127.0.0.1:{self._servers[platform].server_address[1]}"

    def start(self) -> DemoServer:
        for platform, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever, name=f"demo-{platform}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
