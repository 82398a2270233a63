"""A synchronous client for the app over httpx's in-process ASGI transport.

(starlette.testclient warns that its httpx support is deprecated, and warnings are
errors here, so the tests drive the app the way Datasette's tests do.)
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from fastapi import FastAPI

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class AppClient:
    def __init__(self, app: FastAPI, address: str = "127.0.0.1") -> None:
        self._loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, client=(address, 50000))
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def csrf(self, page: str = "/login") -> str:
        """The CSRF token of this client's session, read from a page's form."""
        match = CSRF.search(self.get(page).text)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def login(self, username: str, password: str) -> httpx.Response:
        token = self.csrf("/login")
        return self.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
