"""The weekly report renders: HTML parses and is self-contained, PNGs are images, the
Markdown matches its snapshot (on both backends), the CSV holds the trend numbers.

Regenerate the snapshot after an intended change with
`UPDATE_SNAPSHOTS=1 pytest tests/reports/test_report.py` and review the diff.
"""

from __future__ import annotations

import base64
import csv
import io
import os
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cohesion.config import Settings
from cohesion.reports.escape import md_text, safe_url
from cohesion.reports.render import write_report
from cohesion.reports.weekly import build_weekly_report
from cohesion.store.engine import session_scope
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds

SNAPSHOT = Path(__file__).parent / "snapshots" / "report.md"
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
VOID = {"meta", "img", "br", "hr", "link", "input"}


def settings() -> Settings:
    return Settings.model_validate(
        {
            "locality": {"name": "Johnson County <b>", "timezone": ds.TZ},
            "report": {"sample_size": 5},
            "watchlist": [{"name": n, "kind": k} for n, k in ds.WATCHLIST.items()],
        }
    )


class StrictHTML(HTMLParser):
    """Checks that every element is closed in order and collects what the page loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.sources: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "img":
            self.sources.append(values.get("src") or "")
        if tag == "a":
            self.links.append(values.get("href") or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


@pytest.fixture
def written(sessions: sessionmaker[Session], tmp_path: Path) -> Path:
    ds.build(sessions)
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), ds.WEEK, now=NOW)
    return write_report(report, tmp_path / "out").out_dir


def test_html_parses_and_is_self_contained(written: Path) -> None:
    html = (written / "index.html").read_text()
    parser = StrictHTML()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert "script" not in parser.tags  # nothing executes, and the CSP says so too
    assert "Content-Security-Policy" in html
    assert len(parser.sources) == 4
    for source in parser.sources:
        assert source.startswith("data:image/png;base64,")
        Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).verify()
    assert all(link.startswith("https://example.org/") for link in parser.links)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in " ".join(parser.links)
    assert "@loudmouth" not in html  # handles of mentioned people are masked
    assert "Johnson County &lt;b&gt;" in html
    assert "hate 67% (95% CI 21%–94%, n = 3)" in html  # calibration reviews only
    assert "threat not measured (no calibration reviews)" in html


def test_pngs_are_valid_images(written: Path) -> None:
    names = sorted(p.name for p in written.glob("*.png"))
    assert names == ["concentration.png", "narratives.png", "rates_by_label.png", "targets.png"]
    for name in names:
        with Image.open(written / name) as image:
            assert image.format == "PNG"
            assert image.size[0] > 300 and image.size[1] > 150
            image.verify()


def test_markdown_matches_snapshot(written: Path) -> None:
    markdown = (written / "report.md").read_text()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(markdown)
    assert markdown == SNAPSHOT.read_text()


def test_csv_holds_the_trend_numbers(written: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((written / "trends.csv").read_text())))
    hate = next(r for r in rows if r["week"] == "2026-W47" and r["key"] == "hate")
    assert (hate["dimension"], hate["posts"], hate["flagged"]) == ("label", "20", "6")
    assert float(hate["rate_per_1000"]) == 300.0 and hate["spike"] == "True"
    assert float(hate["z"]) == pytest.approx(4.4721, abs=1e-4)
    dims = {r["dimension"] for r in rows}
    assert dims == {"label", "target", "narrative", "threat_target", "source"}
    official = next(r for r in rows if r["week"] == "2026-W47" and r["key"] == "official")
    assert (official["dimension"], official["flagged"]) == ("threat_target", "1")
    assert {r["collection_gap"] for r in rows} == {""}
    assert len({r["week"] for r in rows}) == 12


def test_an_empty_database_still_renders(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), ds.WEEK, now=NOW)
    out = write_report(report, tmp_path).out_dir
    markdown = (out / "report.md").read_text()
    assert "not measured" in markdown
    assert "No flagged posts this week." in markdown
    assert "none (nothing classified)" in markdown


def test_escaping_helpers() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https://e.org/a b)") == "https://e.org/a%20b%29"
    assert md_text("<b>[x](y)</b>\n| *") == r"&lt;b&gt;\[x\]\(y\)&lt;/b&gt; \| \*"
