"""`cohesion crawl` end to end: per-source summary table, exit codes, crawl_runs."""

from __future__ import annotations

from pathlib import Path

from cohesion.cli import app
from cohesion.crawlers.run import crawl_sources
from typer.testing import CliRunner

from tests.crawlers.helpers import (
    fixture_bytes,
    make_settings,
    source_state,
)
from tests.crawlers.mockserver import MockServer, Reply

JSON = {"Content-Type": "application/json; charset=utf-8"}
TAG = "/api/v1/timelines/tag/marlowcounty?limit=40"


def write_config(tmp_path: Path, url: str, *, broken: bool = False) -> Path:
    make_settings(tmp_path, [])  # migrates the database the config names
    config = tmp_path / "cohesion.toml"
    config.write_text(f'''
[database]
url = "sqlite:///{tmp_path / "crawl.db"}"
[locality]
name = "Marlow County"
places = [{{ name = "Ashford" }}]
[crawl]
contact = "tests@example.org"
download_delay = 0
autothrottle = false
retries = 0
[[sources]]
name = "tag"
platform = "mastodon"
base_url = "{url}"
hashtags = ["{"missing" if broken else "marlowcounty"}"]
[[sources]]
name = "county-reddit"
platform = "reddit"
subreddits = ["marlowcounty"]
[[sources]]
name = "off"
platform = "telegram"
enabled = false
channels = ["x"]
''')
    return config


def test_cohesion_crawl_prints_a_summary_and_exits_by_status(tmp_path: Path) -> None:
    runner = CliRunner()
    with MockServer() as server:
        server.add(TAG, Reply(200, JSON, fixture_bytes("mastodon", "tag_marlowcounty_p2.json")))
        config = write_config(tmp_path, server.url)
        result = runner.invoke(app, ["--config", str(config), "crawl"])
        assert result.exit_code == 0, result.output
        assert "tag" in result.output and "ok" in result.output
        assert "skipped" in result.output and "COHESION_REDDIT_CLIENT_ID" in result.output
        assert "off" not in result.output.split("Crawl summary")[1].split()  # disabled: left out

        broken = write_config(tmp_path, server.url, broken=True)
        result = runner.invoke(app, ["--config", str(broken), "crawl", "--source", "tag"])
        assert result.exit_code == 1, result.output
        assert "failed" in result.output and "HTTP 404" in result.output

        result = runner.invoke(app, ["--config", str(config), "crawl", "--source", "nope"])
        assert result.exit_code == 2 and "no source named 'nope'" in result.output


def test_crawl_sources_reports_progress_and_records_runs(tmp_path: Path) -> None:
    with MockServer() as server:
        server.add(TAG, Reply(200, JSON, fixture_bytes("mastodon", "tag_marlowcounty_p2.json")))
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "tag",
                    "platform": "mastodon",
                    "base_url": server.url,
                    "hashtags": ["marlowcounty"],
                },
                {"name": "off", "platform": "mastodon", "enabled": False, "hashtags": ["x"]},
            ],
            download_delay=0,
            autothrottle=False,
        )
        seen: list[tuple[str, int]] = []
        [result] = crawl_sources(settings, progress=lambda name, c: seen.append((name, c.pages)))
        assert result.status == "ok" and result.new == 3
        assert seen and seen[0][0] == "tag"
        [named] = crawl_sources(settings, names=["off"])
        assert named.status == "skipped" and "disabled" in named.message
        _, runs = source_state(settings, "tag")
        assert [r["status"] for r in runs] == ["ok"] and runs[0]["items_new"] == 3
