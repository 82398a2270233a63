"""The report's sections on officials, collector health and measured precision (both backends).

Numbers are worked out by hand from tests/reports/dataset.py and the posts added here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cohesion import weeks as isoweeks
from cohesion.cli import app
from cohesion.config import Settings
from cohesion.reports.render import write_report
from cohesion.reports.weekly import build_weekly_report
from cohesion.store.engine import session_scope
from cohesion.store.models import Review
from cohesion.store.officials import officials_weeks
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.reports import dataset as ds

NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
W46, W47 = ds.BASELINE[3], ds.WEEK
IN_W47 = datetime(2026, 11, 19, 18, tzinfo=UTC)
IN_W46 = datetime(2026, 11, 12, 18, tzinfo=UTC)


def settings(watchlist: bool = True) -> Settings:
    entries = [{"name": n, "kind": k} for n, k in ds.WATCHLIST.items()] if watchlist else []
    return Settings.model_validate(
        {"locality": {"name": "Johnson County", "timezone": ds.TZ}, "watchlist": entries}
    )


def officials_posts() -> list[ds.Spec]:
    """Threats and doxxing against officials, added to W47 (and one to W46)."""
    return [
        # Doxxing of a watchlisted person.
        ds.Spec("d1", "r-olathe", "D1", ("doxxing",), watchlist=("Dana Reyes",)),
        # A threat at an office, nobody named: counted by target kind only.
        ds.Spec("d2", "news-rss", "D2", ("threat",), threat_targets=("institution",)),
        # Threat and doxxing naming a person and a role: once per kind, once per entry.
        ds.Spec(
            "d3",
            "r-olathe",
            "D3",
            ("threat", "doxxing"),
            threat_targets=("official", "staff"),
            watchlist=("Dana Reyes", "County Clerk"),
        ),
        # Rejected by an analyst: no hit, no threat target.
        ds.Spec(
            "d4",
            "news-rss",
            "D4",
            ("threat",),
            threat_targets=("institution",),
            watchlist=("County Commission",),
            reviews=[("reject", None)],
        ),
        # A name no longer in the config.
        ds.Spec("d5", "news-rss", "D5", ("doxxing",), watchlist=("Former Mayor",)),
        # Hate naming an entry is not a threat against it.
        ds.Spec("d6", "news-rss", "D6", ("hate",), ("jewish",), watchlist=("Dana Reyes",)),
        ds.Spec(
            "d7",
            "r-olathe",
            "D7",
            ("threat",),
            threat_targets=("official",),
            watchlist=("County Clerk",),
            created_at=IN_W46,
        ),
    ]


def test_officials_counts(sessions: sessionmaker[Session]) -> None:
    data = ds.build(sessions)
    ds.add(sessions, data, officials_posts(), IN_W47)
    with session_scope(sessions) as session:
        weeks = officials_weeks(session, data.model_id, [W46, W47], ds.WATCHLIST)
    before, now = weeks
    # W47: c13 (threat, County Clerk, official), d1, d3, d5; d2 by target only.
    assert now.watchlist_posts == 4
    assert {k: (c.threat, c.doxxing, c.posts) for k, c in now.kinds.items()} == {
        "person": (1, 2, 2),  # d1 doxxing, d3 both
        "role": (2, 1, 2),  # c13 threat, d3 both
        "institution": (0, 0, 0),  # c7 is anti_government only, d4 was rejected
        "unknown": (0, 1, 1),  # d5
    }
    assert [(c.key, c.kind, c.posts) for c in now.entries] == [
        ("County Clerk", "role", 2),
        ("Dana Reyes", "person", 2),
        ("Former Mayor", "unknown", 1),
    ]
    assert now.threat_targets == {
        "official": 2,  # c13, d3
        "staff": 1,  # d3
        "law_enforcement": 0,
        "institution": 1,  # d2 (d4 rejected)
    }
    assert now.threat_posts == 3  # c13, d2, d3
    assert before.kinds["role"].posts == 1 and before.threat_targets["official"] == 1
    assert before.watchlist_posts == 1 and before.kinds["person"].posts == 0


def test_officials_section_in_every_output(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    data = ds.build(sessions)
    ds.add(sessions, data, officials_posts(), IN_W47)
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W47, now=NOW)
    out = write_report(report, tmp_path).out_dir
    markdown = (out / "report.md").read_text()
    assert "## Threats and doxxing against officials and institutions" in markdown
    assert "| watchlist person | 0 | 0 | 0 | 0 | 2 |" in markdown
    assert "| watchlist role | 0 | 0 | 0 | 1 | 2 |" in markdown
    assert "| watchlist unknown | 0 | 0 | 0 | 0 | 1 |" in markdown
    assert "| threat target: institution | 0 | 0 | 0 | 0 | 1 |" in markdown
    assert "| Dana Reyes | person | 1 | 2 | 2 |" in markdown
    assert "threats at officials, staff, law enforcement or institutions: 3" in markdown
    html = (out / "index.html").read_text()
    assert "<h2>Threats and doxxing against officials and institutions</h2>" in html
    assert "<tr><td>County Clerk</td><td>role</td>" in html
    rows = list(csv.DictReader(io.StringIO((out / "officials.csv").read_text())))
    person = next(r for r in rows if r["week"] == "2026-W47" and r["key"] == "person")
    assert (person["group"], person["threat"], person["doxxing"], person["posts"]) == (
        "watchlist_kind",
        "1",
        "2",
        "2",
    )
    entry = next(r for r in rows if r["group"] == "watchlist_entry" and r["key"] == "Dana Reyes")
    assert entry["kind"] == "person" and entry["posts"] == "2"
    staff = next(r for r in rows if r["week"] == "2026-W47" and r["key"] == "staff")
    assert staff["group"] == "threat_target" and staff["posts"] == "1"


def test_without_a_watchlist_threat_targets_still_count(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = ds.build(sessions)
    ds.add(sessions, data, officials_posts()[1:2], IN_W47)  # d2: city hall, nobody named
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(watchlist=False), W47, now=NOW)
    markdown = (write_report(report, tmp_path).out_dir / "report.md").read_text()
    assert "No watchlist is configured" in markdown
    # c13's classification still names County Clerk; without a config it has no kind.
    assert "| County Clerk | unknown | 1 | 0 | 1 |" in markdown
    assert "| threat target: institution | 0 | 0 | 0 | 0 | 1 |" in markdown


# --- collector health ---------------------------------------------------------------


@pytest.fixture
def silent(sessions: sessionmaker[Session]) -> ds.Dataset:
    """news-rss silent in W46 (see tests/store/test_trends.py for the spike numbers)."""
    return ds.build(sessions, silent=("news-rss", W46))


def test_a_gap_week_carries_the_caveat(
    sessions: sessionmaker[Session], silent: ds.Dataset, tmp_path: Path
) -> None:
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W46, now=NOW)
    assert [h.source for h in report.week_gaps] == ["news-rss"]
    anti = next(row for row in report.labels if row.key == "anti_government")
    assert anti.flagged == 0 and anti.gap == ("news-rss",)
    markdown = (write_report(report, tmp_path).out_dir / "report.md").read_text()
    caveat = "collection gap in news-rss: a fall here is not a fall in hostility"
    assert f"- **Caveat:** {caveat}." in markdown  # in the summary
    assert f"**Caveat:** {caveat}.\n\n| label |" in markdown  # above the rates
    # The fall from 4 anti-government flags to 0 is not reported as a dip.
    assert "| anti government | 0 | 0.0 |" in markdown
    anti_line = next(line for line in markdown.splitlines() if "| anti government | 0 |" in line)
    assert anti_line.endswith("| collection gap |")
    health = next(line for line in markdown.splitlines() if line.startswith("| news-rss |"))
    assert "**GAP**: 0 posts against a baseline of 11.0 a week" in health
    # One failed crawl that week; the last successful one (as of now) ended in W47.
    assert "| 0 | 11.0 | 0 |" in health and "| 1 | 2026-11-22 14:00 |" in health
    html = (tmp_path / "index.html").read_text()
    assert f'<p class="caveat"><span class="gap">GAP</span> {caveat}.</p>' in html


def test_the_next_week_tests_against_the_other_weeks(
    sessions: sessionmaker[Session], silent: ds.Dataset, tmp_path: Path
) -> None:
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W47, now=NOW)
    assert report.week_gaps == [] and report.baseline_gap_weeks == ["2026-W46"]
    hate = next(row for row in report.labels if row.key == "hate")
    assert hate.test.baseline_weeks == 3 and hate.test.z == pytest.approx(4.330127, abs=1e-6)
    assert report.total.test.z == pytest.approx(4.0)
    markdown = (write_report(report, tmp_path).out_dir / "report.md").read_text()
    assert "baseline 2026-W43 to 2026-W46 without 2026-W46 (collection gap)." in markdown
    assert "- 2026-W46: news-rss (0 posts against a baseline of 11.0 a week)" in markdown
    assert "Caveat" not in markdown
    rows = list(csv.DictReader(io.StringIO((tmp_path / "trends.csv").read_text())))
    marked = {(r["week"], r["dimension"], r["key"]) for r in rows if r["collection_gap"]}
    assert ("2026-W46", "label", "hate") in marked and ("2026-W46", "source", "news-rss") in marked
    assert ("2026-W46", "source", "r-olathe") not in marked
    assert not any(week == "2026-W47" for week, _, _ in marked)


# --- measured precision ---------------------------------------------------------------
#
# W47, calibration-queue reviews only: hate flags c0-c5 (6, all sampled); reviewed c1, c2
# (confirm: right) and c5 (reject: wrong) -> 2/3, Wilson 95% 20.8%-93.9%, n = 3. c0's
# priority-queue confirmation does not count. Unflagged for hate: 14 posts; two sampled
# ones reviewed, one escalated with the analyst's label hate (a miss): recall = (2/3 * 6)
# / (2/3 * 6 + 1/2 * 14) = 4/11. anti_government: c6 corrected to hate (wrong), c7
# confirmed (right) -> 1/2. threat, doxxing: not measured.


def test_calibration_figures(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    data = ds.build(sessions)
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W47, now=NOW)
    found = dict(report.precision_summary)
    hate = found["hate"]
    assert hate is not None
    assert (hate.flagged_total, hate.flagged_reviewed, hate.true_positives) == (6, 3, 2)
    assert (hate.unflagged_total, hate.unflagged_reviewed, hate.misses) == (14, 2, 1)
    low, high = hate.precision_interval or (0.0, 0.0)
    assert low == pytest.approx(0.2077, abs=1e-4) and high == pytest.approx(0.9385, abs=1e-4)
    assert hate.recall == pytest.approx(4 / 11)
    anti = found["anti_government"]
    assert anti is not None and (anti.flagged_reviewed, anti.true_positives) == (2, 1)
    assert found["threat"] is not None and found["threat"].flagged_reviewed == 0
    markdown = (write_report(report, tmp_path).out_dir / "report.md").read_text()
    assert (
        "| 2026-W47 | hate | 6 | 3 | 67% (95% CI 21%–94%, n = 3) "
        "| 36% (1 of 2 unflagged reviewed carried it) |"
    ) in markdown
    assert "| 2026-W47 | threat | 1 | 0 | not measured (no calibration reviews) |" in markdown
    assert "Reviews from the priority queue are not used" in markdown
    assert len(data.unflagged_reviewed) == 2


def test_priority_reviews_do_not_move_the_figures(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    data = ds.build(sessions)
    with session_scope(sessions) as session:
        for key in ("c3", "c4", "c13"):  # a priority-queue confirmation of more flags
            session.add(Review(post_id=data.post_ids[key], decision="confirm", queue="priority"))
        # A calibration review in an earlier week adds that week's row.
        session.add(Review(post_id=data.post_ids["w3b0"], decision="confirm", queue="calibration"))
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W47, now=NOW)
    found = dict(report.precision_summary)
    assert found["hate"] is not None and found["hate"].flagged_reviewed == 3
    assert found["threat"] is not None and found["threat"].precision is None
    earlier = {label: c for week, label, c in report.calibration_rows if week != W47}
    # w3b0 is a sampled hate flag, and an unflagged sample post for other labels.
    assert "hate" in earlier and set(earlier) <= {"hate", "anti_government", "threat", "doxxing"}
    hate_w46 = earlier["hate"]
    assert hate_w46 is not None and hate_w46.week_start == W46
    assert (hate_w46.flagged_reviewed, hate_w46.true_positives) == (1, 1)


def test_without_a_model_precision_is_not_measured(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_scope(sessions) as session:
        report = build_weekly_report(session, settings(), W47, now=NOW)
    markdown = (write_report(report, tmp_path).out_dir / "report.md").read_text()
    assert markdown.count("not measured (no calibration reviews)") == 8  # summary + table
    assert isoweeks.week_label(W47) in markdown


def test_status_and_trends_commands_show_the_gap(
    db_url: str,
    sessions: sessionmaker[Session],
    silent: ds.Dataset,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "cohesion.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[locality]\nname = "J"\ntimezone = "{ds.TZ}"\n'
    )
    monkeypatch.setattr("cohesion.store.types.utcnow", lambda: NOW)  # the last complete week is W47
    runner = CliRunner()
    status = runner.invoke(app, ["--config", str(config), "status", "--weeks", "2"])
    assert status.exit_code == 0, status.output
    assert "Collection gaps" in status.output
    gap = next(line for line in status.output.splitlines() if "news-rss" in line and "11.0" in line)
    assert "2026-11-09" in gap
    quiet = runner.invoke(app, ["--config", str(config), "status", "--weeks", "1"])
    assert "no collection gaps in the last 1 complete week(s)" in quiet.output
    result = runner.invoke(
        app, ["--config", str(config), "trends", "--weeks", "2", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = {(r["week"], r["key"]): r for r in json.loads(result.output)}
    assert rows[("2026-W46", "anti_government")]["collection_gap"] == "news-rss"
    assert rows[("2026-W47", "hate")]["z"] == pytest.approx(4.330127, abs=1e-4)
