"""Failures are reported per source and never lose what was already stored.

Every scenario is its own source with its own database; all of them run in one crawl
process to keep the suite fast. The mastodon spider stands in for any JSON API.
"""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path
from typing import Any

import pytest
from cohesion.crawlers.run import CrawlJob, SourceSummary, crawl_jobs, crawl_sources
from cohesion.crawlers.settings import scrapy_settings
from cohesion.retry import retry_after_seconds
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.crawlers.helpers import (
    FAST,
    fixture_bytes,
    make_settings,
    source_state,
    stored_posts,
)
from tests.crawlers.mockserver import MockServer, Reply

JSON = {"Content-Type": "application/json; charset=utf-8"}
P1 = fixture_bytes("mastodon", "tag_marlowcounty_p1.json")
P2 = fixture_bytes("mastodon", "tag_marlowcounty_p2.json")


def tag(name: str) -> str:
    return f"/api/v1/timelines/tag/{name}?limit=40"


def self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


SCENARIOS: dict[str, dict[str, Any]] = {
    # name: routes for the tag, scrapy overrides
    "ratelimited": {
        "replies": [Reply(429, {**JSON, "Retry-After": "1"}, b"{}"), Reply(200, JSON, P2)]
    },
    "server-errors": {"replies": [Reply(500, JSON, b'{"error":"boom"}')]},
    "truncated": {"replies": [Reply(200, JSON, P2[:300])]},
    "cut-connection": {
        "replies": [Reply(200, JSON, P2, cut_after=200)],
        "overrides": {"RETRY_TIMES": 0},
    },
    "html": {
        "replies": [
            Reply(503, {"Content-Type": "text/html"}, b"<html>down</html>"),
            Reply(
                200,
                {"Content-Type": "text/html"},
                b"<!DOCTYPE html><html><body>Just a moment...</body></html>",
            ),
        ]
    },
    "blocked": {"replies": [Reply(200, JSON, P2)]},
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    mp = pytest.MonkeyPatch()
    mp.setenv("COHESION_PSEUDONYM_KEY", "crawler-tests-pseudonym-key-0123456789")
    for name in ("COHESION_REDDIT_CLIENT_ID", "COHESION_REDDIT_CLIENT_SECRET"):
        mp.delenv(name, raising=False)
    tmp = tmp_path_factory.mktemp("failures")
    server = MockServer().__enter__()
    https = MockServer(ssl_context=self_signed(tmp)).__enter__()
    try:
        server.robots("User-agent: *\nDisallow: /api/v1/timelines/tag/blocked\n")
        jobs, names = [], []
        for name, scenario in SCENARIOS.items():
            server.add(tag(name), scenario["replies"])
            jobs.append(
                _job(
                    tmp,
                    name,
                    server.url,
                    "mastodon",
                    {"hashtags": [name]},
                    scenario.get("overrides", {}),
                )
            )
            names.append(name)
        # A listing whose second page fails: page one stays stored, the cursor is kept.
        next_link = f'<{server.url}{tag("halfway")}&max_id=1>; rel="next"'
        server.add(tag("halfway"), Reply(200, {**JSON, "Link": next_link}, P1))
        server.add(f"{tag('halfway')}&max_id=1", Reply(502, JSON, b"{}"))
        jobs.append(_job(tmp, "halfway", server.url, "mastodon", {"hashtags": ["halfway"]}, {}))
        names.append("halfway")
        https.add(tag("tls"), Reply(200, JSON, P2))
        jobs.append(_job(tmp, "tls", https.url, "mastodon", {"hashtags": ["tls"]}, {}))
        names.append("tls")
        jobs.append(_job(tmp, "no-credentials", server.url, "reddit", {"subreddits": ["x"]}, {}))
        names.append("no-credentials")
        summaries = crawl_jobs(jobs, one_process=True)
        return {
            "summaries": dict(zip(names, summaries, strict=True)),
            "settings": {n: j.settings for n, j in zip(names, jobs, strict=True)},
            "server": server,
        }
    finally:
        server.__exit__(None, None, None)
        https.__exit__(None, None, None)
        mp.undo()


def _job(
    tmp: Path,
    name: str,
    url: str,
    platform: str,
    options: dict[str, Any],
    overrides: dict[str, Any],
) -> CrawlJob:
    folder = tmp / name
    folder.mkdir()
    settings = make_settings(
        folder, [{"name": name, "platform": platform, "base_url": url, **options}]
    )
    return CrawlJob(settings, name, {**FAST, **overrides})


def summary(outcomes: dict[str, Any], name: str) -> SourceSummary:
    return outcomes["summaries"][name]  # type: ignore[no-any-return]


def test_429_is_retried_after_retry_after(outcomes: dict[str, Any]) -> None:
    result = summary(outcomes, "ratelimited")
    assert (result.status, result.new, result.errors) == ("ok", 3, 0), result.message
    first, second = outcomes["server"].hits(tag("ratelimited"))
    assert second.at - first.at >= 0.9  # Retry-After: 1 was honoured


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("server-errors", "HTTP 500 (after retries)"),
        ("truncated", "invalid or truncated JSON"),
        ("cut-connection", "ResponseDataLossError"),
        ("html", "expected JSON, got HTML"),
        ("blocked", "forbidden by robots.txt"),
        ("tls", "certificate verify failed"),
    ],
)
def test_failure_is_reported_per_source(outcomes: dict[str, Any], name: str, words: str) -> None:
    result = summary(outcomes, name)
    assert result.status == "failed" and result.errors >= 1
    assert words in result.message
    _, runs = source_state(outcomes["settings"][name], name)
    assert runs[-1]["status"] == "failed" and runs[-1]["finished"]
    assert words in runs[-1]["message"]
    assert stored_posts(outcomes["settings"][name]) == {}


def test_a_timeout_is_reported(tmp_path: Path) -> None:
    # Its own crawl process: in a one-process batch only the first crawler's download
    # timeout is enforced (a Scrapy quirk that production, one process per source,
    # never meets).
    with MockServer() as server:
        server.add(tag("slow"), Reply(200, JSON, P2, delay=2.5))
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "slow",
                    "platform": "mastodon",
                    "base_url": server.url,
                    "hashtags": ["slow"],
                }
            ],
        )
        [result] = crawl_sources(
            settings, scrapy_overrides={**FAST, "DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 1}
        )
        assert result.status == "failed" and "DownloadTimeoutError" in result.message
        assert len(server.hits(tag("slow"))) == 2
        assert source_state(settings, "slow")[1][-1]["status"] == "failed"


def test_server_errors_are_retried(outcomes: dict[str, Any]) -> None:
    assert len(outcomes["server"].hits(tag("server-errors"))) == 3  # 1 + RETRY_TIMES=2


def test_a_failed_page_keeps_what_was_stored_and_the_old_cursor(outcomes: dict[str, Any]) -> None:
    result = summary(outcomes, "halfway")
    assert (result.status, result.new, result.pages) == ("failed", 3, 1)
    assert "HTTP 502" in result.message
    settings = outcomes["settings"]["halfway"]
    assert len(stored_posts(settings)) == 3
    cursor, runs = source_state(settings, "halfway")
    assert cursor == {} and runs[-1]["items_new"] == 3


def test_missing_credentials_skip_the_source_naming_the_variables(outcomes: dict[str, Any]) -> None:
    result = summary(outcomes, "no-credentials")
    assert result.status == "skipped"
    assert "COHESION_REDDIT_CLIENT_ID" in result.message
    assert "COHESION_REDDIT_CLIENT_SECRET" in result.message
    _, runs = source_state(outcomes["settings"]["no-credentials"], "no-credentials")
    assert runs[-1]["status"] == "skipped"


def test_bad_options_fail_with_the_key_named(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, [{"name": "typo", "platform": "mastodon", "hashtag": ["x"]}])
    [result] = crawl_sources(settings)
    assert result.status == "failed" and "hashtag: unknown option" in result.message


def test_retry_after_values() -> None:
    now = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Mon, 04 Mar 2024 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_politeness_and_security_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, [])
    scrapy = scrapy_settings(settings)
    assert scrapy["ROBOTSTXT_OBEY"] is True
    assert scrapy["DOWNLOAD_VERIFY_CERTIFICATES"] is True
    assert scrapy["TELNETCONSOLE_ENABLED"] is False and scrapy["REMOTE_CONTROL_ENABLED"] is False
    assert scrapy["EXTENSIONS"]["scrapy.extensions.remote_control.RemoteControl"] is None
    assert scrapy["AUTOTHROTTLE_ENABLED"] is True and scrapy["DOWNLOAD_DELAY"] == 1.0
    assert 429 in scrapy["RETRY_HTTP_CODES"]
    assert scrapy["USER_AGENT"].startswith("CohesionMonitor/")
    assert scrapy["USER_AGENT"].endswith("(+tests@example.org)")
    assert scrapy["TWISTED_REACTOR"].endswith("AsyncioSelectorReactor")
