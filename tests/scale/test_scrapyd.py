"""Crawls as Scrapyd jobs: a real `scrapyd` on loopback, the loopback fixtures, PostgreSQL.

The same sources are crawled locally (crawlers/run.py, into SQLite) and through Scrapyd
(deploy the egg, schedule, poll, into PostgreSQL): the stored posts, the summaries, the
crawl_runs rows and the cursors must be the same.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cohesion.cli import app
from cohesion.config import Settings
from cohesion.crawlers.run import crawl_sources
from cohesion.crawlers.scrapyd import PROJECT, ScrapydError, crawl_via_scrapyd
from cohesion.store import migrate
from cohesion.store.engine import make_engine
from typer.testing import CliRunner

from tests.crawlers import test_mastodon, test_reddit
from tests.crawlers.helpers import (
    FAST,
    PLACES,
    TEST_KEY,
    make_settings,
    source_state,
    stored_posts,
)
from tests.crawlers.mockserver import MockServer

pytestmark = pytest.mark.usefixtures("crawl_env")


CREDENTIALS = {
    "COHESION_REDDIT_CLIENT_ID": "app-id",
    "COHESION_REDDIT_CLIENT_SECRET": "app-secret",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_scrapyd(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A Scrapyd daemon on a free loopback port, everything it writes under root."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    (root / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {root / 'eggs'}\n"
        f"logs_dir = {root / 'logs'}\n"
        f"dbs_dir = {root / 'dbs'}\n"
        "items_dir =\n"
        "poll_interval = 0.2\n"
        "max_proc = 4\n"
    )
    with (root / "scrapyd.out").open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=root, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/daemonstatus.json", timeout=2).json()["status"] == "ok":
                return process, url
        except (httpx.HTTPError, ValueError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError((root / "scrapyd.out").read_text(errors="replace"))
        time.sleep(0.2)


@pytest.fixture
def scrapyd_env(postgres_url: str) -> dict[str, str]:
    """What a node's environment holds: the hub's database, the key, the credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHESION_")}
    env.update(CREDENTIALS, COHESION_DATABASE_URL=postgres_url, COHESION_PSEUDONYM_KEY=TEST_KEY)
    return env


@pytest.fixture
def scrapyd(tmp_path: Path, scrapyd_env: dict[str, str]) -> Iterator[str]:
    process, url = start_scrapyd(tmp_path / "scrapyd", scrapyd_env)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sources(server_url: str) -> list[dict[str, Any]]:
    return [
        {
            "name": "marlow-reddit",
            "platform": "reddit",
            "base_url": server_url,
            "subreddits": ["marlowcounty"],
            "threads": ["mc0004"],
        },  # fmt: skip
        {
            "name": "marlow-tag",
            "platform": "mastodon",
            "base_url": server_url,
            "hashtags": ["marlowcounty"],
        },  # fmt: skip
        {
            "name": "marlow-local",
            "platform": "mastodon",
            "base_url": server_url,
            "timelines": ["local"],
        },  # fmt: skip
    ]


def hub_settings(url: str, tmp_path: Path, server_url: str) -> Settings:
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "locality": {"name": "Marlow County", "timezone": "America/Chicago", "places": PLACES},
            "sources": sources(server_url),
            "crawl": {"contact": "tests@example.org", "retries": 2},
            "privacy": {"key_file": str(tmp_path / "k")},
        }
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return settings


def summary_counts(summaries: list[Any]) -> dict[str, tuple[Any, ...]]:
    return {
        s.name: (s.status, s.pages, s.items, s.new, s.duplicate, s.errors, s.cursor_saved)
        for s in summaries
    }


@pytest.mark.postgres
@pytest.mark.slow
def test_scrapyd_crawl_stores_what_a_local_crawl_stores(
    tmp_path: Path, postgres_url: str, scrapyd: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with MockServer() as server:
        test_reddit.serve(server)
        test_mastodon.serve(server)
        local = make_settings(tmp_path, sources(server.url))
        local_summaries = crawl_sources(local, scrapy_overrides=FAST)
        hub = hub_settings(postgres_url, tmp_path, server.url)
        states: list[tuple[str, str]] = []
        remote_summaries = crawl_via_scrapyd(
            hub,
            [scrapyd],
            scrapy_overrides=FAST,
            poll_interval=0.3,
            timeout=240,
            progress=lambda name, state: states.append((name, state)),
        )
    assert [s.name for s in remote_summaries] == ["marlow-reddit", "marlow-tag", "marlow-local"]
    for summary in remote_summaries:
        assert summary.status == "ok", summary.message
    assert summary_counts(remote_summaries) == summary_counts(local_summaries)
    assert ("marlow-tag", "finished") in states

    local_posts, remote_posts = stored_posts(local), stored_posts(hub)
    assert len(remote_posts) == len(local_posts) > 10
    assert remote_posts == local_posts  # same ids, text, pseudonyms, times, places

    for name in ("marlow-reddit", "marlow-tag", "marlow-local"):
        local_cursor, local_runs = source_state(local, name)
        remote_cursor, remote_runs = source_state(hub, name)
        assert remote_cursor == local_cursor and remote_cursor
        assert remote_runs == local_runs  # status, counts, message of the crawl_runs row
    jobs = httpx.get(f"{scrapyd}/listjobs.json", params={"project": PROJECT}).json()
    assert len(jobs["finished"]) == 3 and {j["spider"] for j in jobs["finished"]} == {
        "reddit",
        "mastodon",
    }


def test_a_node_that_is_down_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub_settings(url, tmp_path, "http://127.0.0.1:9")
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ScrapydError, match=r"Scrapyd at http://127\.0\.0\.1:\d+: daemonstatus"):
        crawl_via_scrapyd(hub_settings(url, tmp_path, "http://127.0.0.1:9"), [down])
    config = tmp_path / "cohesion.toml"
    config.write_text(
        f'[database]\nurl = "{url}"\n[scale]\nscrapyd = ["{down}"]\n'
        '[[sources]]\nname = "marlow-tag"\nplatform = "mastodon"\nhashtags = ["x"]\n'
    )
    result = CliRunner().invoke(app, ["--config", str(config), "crawl"])
    assert result.exit_code == 2 and f"Scrapyd at {down}: daemonstatus.json" in result.output
