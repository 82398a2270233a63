"""Issue #15 item 5: out-of-range ids and dates are 404/400, and a 500 page carries the
same security headers as any other page."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from cohesion.review.security import CSP
from fastapi import FastAPI

from tests.review.client import AppClient
from tests.review.seed import World


@pytest.mark.parametrize(
    "post_id", ["0", "-1", "9223372036854775808", "99999999999999999999999999", "1" * 5000]
)
def test_out_of_range_post_ids_are_not_found(analyst: AppClient, post_id: str) -> None:
    page = analyst.get(f"/posts/{post_id}")
    assert page.status_code in (404, 400)
    if len(post_id) < 4300:  # longer digit strings are not ints at all: 400
        assert page.status_code == 404
    assert page.headers["content-security-policy"] == CSP
    token = analyst.csrf("/queue")
    decided = analyst.post(
        f"/posts/{post_id}/decision", data={"decision": "confirm", "csrf_token": token}
    )
    assert decided.status_code in (404, 400)


@pytest.mark.parametrize(
    "url",
    [
        "/calibration?until=0001-01-01",
        "/calibration?until=0001-01-07&weeks=26",
        "/calibration?until=9999-12-31",
        "/queue?week=0001-01-01",
        "/queue?week=9999-12-31",
        "/uncertain?week=0001-01-01",
        "/posts/1?queue=calibration&until=0001-01-01",
        "/posts/1?week=9999-12-31",
        "/queue?week=2026-02-30",
    ],
)
def test_out_of_range_dates_are_bad_requests(analyst: AppClient, world: World, url: str) -> None:
    page = analyst.get(url.replace("/posts/1", f"/posts/{world.ids['t3_threat']}"))
    assert page.status_code == 400, page.text
    assert "must be" in page.text
    assert page.headers["content-security-policy"] == CSP


def test_a_server_error_page_has_the_security_headers(app: FastAPI, analyst: AppClient) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    loop = asyncio.new_event_loop()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    try:
        page = loop.run_until_complete(client.get("/broken"))
        ok = loop.run_until_complete(client.get("/login"))
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    assert page.status_code == 500
    assert "a bug" not in page.text and "Traceback" not in page.text
    for name in ("content-security-policy", "x-frame-options", "referrer-policy",
                 "x-content-type-options", "cache-control", "permissions-policy"):  # fmt: skip
        assert page.headers[name] == ok.headers[name], name
