"""Conformance: every shared recording, served at its serve_path, is crawled whole.

For each `*.meta.json` under ../shared/fixtures/platforms (discovered at run time),
the recording's body is served with its recorded content-type and Link headers on a
loopback server of its own (with the other recordings of the same host, so cursors
can be followed), the matching spider runs with `base_url` pointed there and options
derived from the serve_path by tests/crawlers/conformance/<platform>.py, and every
post in the body must be stored with its id, non-empty text (where the post has
text), an author pseudonym (where it has an author), a UTC time and a permalink.

All crawls run one after another in a single crawl process (one reactor) to keep
the suite fast; each has its own database. Skips only when the folder is absent, and
never when CI is set.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cohesion.crawlers.run import CrawlJob, SourceSummary, crawl_jobs
from cohesion.runtime import sync_sources
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.models import Post
from cohesion.store.pseudonyms import Pseudonymiser
from cohesion.store.runs import get_source, save_cursor
from sqlalchemy import select

from tests.crawlers.conformance import Expected, Plan
from tests.crawlers.helpers import FAST, SHARED_FIXTURES, TEST_KEY, make_settings, stored_posts
from tests.crawlers.mockserver import MockServer, Reply
from tests.crawlers.privacy_checks import (
    account_identifiers,
    database_strings,
    outputs,
    written_by_posts,
)

FOLDER_TO_MODULE = {"4chan": "fourchan"}
SERVED_HEADERS = ("content-type", "link")


def recordings(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(root.rglob("*.meta.json"))


def recording_id(meta_path: Path, root: Path = SHARED_FIXTURES) -> str:
    return str(meta_path.relative_to(root)).removesuffix(".meta.json")


RECORDINGS = recordings(SHARED_FIXTURES)


@dataclass
class Case:
    meta: dict[str, Any]
    body: bytes
    plan: Plan | None = None
    expected: list[Expected] | None = None
    problem: str | None = None
    job_index: int | None = None
    settings: Any = None
    server: MockServer | None = None


def _module(meta_path: Path, root: Path) -> Any:
    folder = meta_path.relative_to(root).parts[0]
    name = FOLDER_TO_MODULE.get(folder, folder)
    return importlib.import_module(f"tests.crawlers.conformance.{name}")


def _reply(meta: dict[str, Any], body: bytes) -> Reply:
    recorded = {k.lower(): v for k, v in (meta.get("headers") or {}).items()}
    headers = {k: recorded[k] for k in SERVED_HEADERS if k in recorded}
    headers.setdefault("content-type", meta.get("content_type") or "application/octet-stream")
    return Reply(200, headers, body)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Case]]:
    """Plan, serve and crawl every recording; yields test id -> Case."""
    yield crawl_recordings(RECORDINGS, SHARED_FIXTURES, tmp_path_factory)


def crawl_recordings(
    paths: list[Path], root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Case]:
    """Plan, serve and crawl the recordings at `paths` under `root`; test id -> Case."""
    cases: dict[str, Case] = {}
    servers: dict[str, MockServer] = {}
    jobs: list[CrawlJob] = []
    env: dict[str, str] = {"COHESION_PSEUDONYM_KEY": TEST_KEY}
    # Group recordings by host: one server per host answers all of its recordings.
    for meta_path in paths:
        meta = json.loads(meta_path.read_text())
        body = meta_path.with_name(meta_path.name.removesuffix(".meta.json")).read_bytes()
        test_id = recording_id(meta_path, root)
        case = cases[test_id] = Case(meta, body)
        try:
            module = _module(meta_path, root)
        except ModuleNotFoundError as exc:
            case.problem = f"no conformance plan module for this folder ({exc.name})"
            continue
        try:
            case.plan, case.expected = module.plan(meta, body), module.expected(meta, body)
        except Exception as exc:  # reported by the test of this recording
            case.problem = f"planning failed: {type(exc).__name__}: {exc}"
            continue
        key = meta.get("host") or f"fragment:{test_id}"
        if key not in servers:
            servers[key] = MockServer().__enter__()
        server = case.server = servers[key]
        server.add(case.plan.serve_path or meta["serve_path"], _reply(meta, body), recorded=True)
        env.update(case.plan.env)
    for test_id, case in cases.items():
        if case.plan is None:
            continue
        key = case.meta.get("host") or f"fragment:{test_id}"
        server = servers[key]
        for path, reply, method in case.plan.extra_routes:
            if not any(r.path == path.split("?")[0] and r.method == method for r in server.routes):
                server.add(path, reply, method=method, subset=True)
        folder = test_id.replace("/", "_").replace(".", "_")
        tmp = tmp_path_factory.mktemp(folder[:40])
        source = {
            "name": "recorded",
            "platform": case.plan.platform,
            "base_url": server.url,
            "max_pages": case.plan.max_pages,
            "require_local": False,
            **case.plan.options,
        }
        try:
            case.settings = make_settings(tmp, [source])
        except Exception as exc:
            case.problem = f"bad source settings: {exc}"
            continue
        if case.plan.cursor:
            _seed_cursor(case.settings, case.plan.cursor)
        case.job_index = len(jobs)
        jobs.append(CrawlJob(case.settings, "recorded", dict(FAST)))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        summaries: list[SourceSummary] = crawl_jobs(jobs, one_process=True) if jobs else []
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        for server in servers.values():
            server.__exit__(None, None, None)
    for case in cases.values():
        if case.job_index is not None:
            case.summary = summaries[case.job_index]  # type: ignore[attr-defined]
    return cases


def _seed_cursor(settings: Any, cursor: dict[str, Any]) -> None:
    engine = make_engine(settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            sync_sources(session, settings)
            row = get_source(session, "recorded")
            assert row is not None
            save_cursor(session, row.id, cursor)
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("meta_path", RECORDINGS, ids=[recording_id(p) for p in RECORDINGS])
def test_recording_is_crawled_whole(meta_path: Path, crawled: dict[str, Case]) -> None:
    check_crawled_whole(crawled[recording_id(meta_path)])


def check_crawled_whole(case: Case) -> None:
    """Every post of the body stored whole; every link a listing leads to followed."""
    assert case.problem is None, case.problem
    assert case.plan is not None
    summary: SourceSummary = case.summary  # type: ignore[attr-defined]
    # Only pages that were never recorded (the next page of a listing) may fail.
    unexpected = [
        m
        for m in summary.message.split("; ")
        if m and "HTTP 404" not in m and "more error" not in m
    ]
    assert summary.status in ("ok", "failed") and not unexpected, summary.message
    assert case.expected or case.plan.follows, "the plan found no posts and no links in the body"
    asked = {r.path.split("?")[0] for r in (case.server.requests if case.server else [])}
    not_followed = [path for path in case.plan.follows if path not in asked]
    assert not not_followed, f"{len(not_followed)} links not followed: {not_followed[:5]}"
    # Ids that name an account are stored hashed: StoredPosts finds them by the raw id.
    posts = stored_posts(case.settings)
    missing = [e.external_id for e in case.expected or [] if e.external_id not in posts]
    assert not missing, (
        f"{len(missing)} of {len(case.expected or [])} posts not stored: {missing[:5]}"
    )
    for expected in case.expected or []:
        post = posts[expected.external_id]
        where = f"post {expected.external_id}"
        assert post["created_at"] is not None, where
        assert post["url"] is None, f"{where}: a link kept in clear"
        assert post["link"] and post["link"].startswith("http"), f"{where}: no link"
        if expected.has_text:
            assert post["text"].strip(), f"{where}: empty text"
        if expected.has_author:
            assert post["author"], f"{where}: no author pseudonym"


# Platforms whose recorded bodies are HTML or XML: no account identifier to read there
# (a Telegram channel is the configured source itself; 4chan is anonymous).
NO_ACCOUNT_IDS = frozenset({"telegram", "rss", "fourchan"})


@pytest.mark.slow
@pytest.mark.parametrize("meta_path", RECORDINGS, ids=[recording_id(p) for p in RECORDINGS])
def test_recording_keeps_no_account_in_clear(
    meta_path: Path, crawled: dict[str, Case], tmp_path: Path
) -> None:
    """Issue #15 item 1: no handle or DID of the recording in any stored column, export,
    report or alert (see tests/crawlers/privacy_checks.py), and every link sealed and
    opened again with the instance key."""
    case = crawled[recording_id(meta_path)]
    assert case.problem is None, case.problem
    assert case.plan is not None
    identifiers = account_identifiers(case.body)
    if case.expected and case.plan.platform not in NO_ACCOUNT_IDS:
        assert identifiers, "no account identifier read from a body with posts"
    # The accounts a source is configured to follow (an author feed's actor, a feed's
    # creator) are named by the configuration, and so by the cursor kept per source.
    configured = json.dumps(case.plan.options).casefold()
    identifiers = {i for i in identifiers if i.casefold() not in configured}
    privacy = Pseudonymiser(TEST_KEY.encode()).post_privacy()
    engine = make_engine(case.settings.database.url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            unwritten = identifiers - written_by_posts(identifiers, session)
            stored = database_strings(session)
            links = session.execute(select(Post.url, Post.sealed_link)).all()
    finally:
        engine.dispose()
    leaks = _leaks(unwritten, stored)
    assert not leaks, f"account identifiers stored in clear: {leaks[:5]}"
    for url, sealed in links:
        assert url is None, "a link kept in clear without privacy.keep_raw_handles"
        assert sealed is not None and privacy.open(sealed).startswith("http")
    assert len(links) >= len(case.expected or [])
    leaks = _leaks(unwritten, list(outputs(case.settings, tmp_path).items()))
    assert not leaks, f"account identifiers in exports, reports or alerts: {leaks[:5]}"


def _leaks(identifiers: set[str], haystack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(where, identifier) for each identifier found as a whole token (not inside a
    longer word: a subreddit 'AliceAutoNews' is not the account 'Alice')."""
    folded = [(where, value.casefold()) for where, value in haystack]
    found = []
    for identifier in sorted(identifiers):
        token = re.compile(rf"(?<![a-z0-9]){re.escape(identifier.casefold())}(?![a-z0-9])")
        found += [(where, identifier) for where, value in folded if token.search(value)]
    return found


def test_recordings_are_present_in_ci() -> None:
    if not RECORDINGS:
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_FIXTURES} is missing in CI")
        pytest.skip(f"{SHARED_FIXTURES} is not available")
