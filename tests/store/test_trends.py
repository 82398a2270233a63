"""Trend numbers against values worked out by hand (both backends).

The dataset (tests/reports/dataset.py), report week 2026-W47, effective labels:
- hate: c0-c4 by the model, c5 rejected by its latest review, c6 corrected to hate -> 6
- anti_government: c7-c12 (c6 was corrected away from it) -> 6; threat: c13 -> 1
- flagged posts: 13 of 20 assessed (c20 is collected but not classified: 21 collected)
- baseline weeks W43..W46, 20 assessed each: hate 1,1,1,1; anti_government 0,4,0,4;
  any flag 1,5,1,5; threat and doxxing 0.

Spike test, hate: p0 = 4/80, E = 1, Pearson = 0 so phi = 1, Var = 1 * (1 + 20/80)
= 1.25, z = (6 - 1) / sqrt(1.25) = 4.472136 -> spike (z >= 3, 6 >= 5).
anti_government: p0 = 8/80, E_b = 2, Pearson = 4 * (2^2 / 2) = 8, phi = 8/3,
E = 2, Var = 8/3 * 2 * 1.25 = 6.6667, z = 4 / 2.581989 = 1.549193 -> no spike.
threat: no baseline flags so p0 = 0.5/80, E = 0.125, Var = 0.15625, z = 0.875 /
0.395285 = 2.213594 -> no spike (and 1 < min_count).
any: p0 = 12/80, E_b = 3, Pearson = 4 * 4/3, phi = 16/9, E = 3, Var = 16/9 * 3 * 1.25
= 6.6667, z = 10 / 2.581989 = 3.872983 -> spike.

Concentration among flagging accounts: A1 4, A4 3, A2 2, A5 A6 A7 A8 1 each (13).
top 1% = ceil(7/100) = 1 account = 4/13; top 10 = 13/13; Gini with ascending
x = 1,1,1,1,2,3,4: 2 * (1+2+3+4+10+18+28) / (7 * 13) - 8/7 = 132/91 - 8/7 = 4/13.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from cohesion import weeks as isoweeks
from cohesion.reports import stats
from cohesion.reports import trends as report_trends
from cohesion.reports.terms import count_terms, rising_terms, tokenise
from cohesion.store import trends
from cohesion.store.engine import session_scope
from sqlalchemy.orm import Session, sessionmaker

from tests.reports import dataset as ds

W47 = ds.WEEK


@pytest.fixture
def data(sessions: sessionmaker[Session]) -> ds.Dataset:
    return ds.build(sessions)


def test_week_parsing_and_labels() -> None:
    assert isoweeks.parse_week("2026-W47") == date(2026, 11, 16)
    assert isoweeks.parse_week("2026w01") == date(2025, 12, 29)
    assert isoweeks.week_label(date(2026, 11, 16)) == "2026-W47"
    with pytest.raises(ValueError, match="ISO week"):
        isoweeks.parse_week("2026-11-16")
    with pytest.raises(ValueError, match="does not exist"):
        isoweeks.parse_week("2026-W60")
    # Monday 03:00 UTC is still Sunday in Chicago: the last complete week is W46.
    assert isoweeks.last_complete_week(datetime(2026, 11, 23, 3, tzinfo=UTC), ds.TZ) == date(
        2026, 11, 9
    )
    assert isoweeks.last_complete_week(datetime(2026, 11, 23, 7, tzinfo=UTC), ds.TZ) == W47


def _rows(session: Session, model_id: int | None, by: str) -> dict[str, report_trends.TrendRow]:
    rows = report_trends.trend_rows(session, model_id, by, [W47], spike_z=3.0, min_count=5)
    return {row.key: row for row in rows}


def test_label_rates_and_spike_test(sessions: sessionmaker[Session], data: ds.Dataset) -> None:
    with session_scope(sessions) as session:
        rows = _rows(session, data.model_id, "label")
    assert {k: (r.flagged, r.posts) for k, r in rows.items()} == {
        "hate": (6, 20),
        "anti_government": (6, 20),
        "threat": (1, 20),
        "doxxing": (0, 20),
        "any": (13, 20),
    }
    assert rows["hate"].rate == pytest.approx(300.0)
    assert rows["threat"].rate == pytest.approx(50.0)
    hate = rows["hate"].test
    assert (hate.baseline_flagged, hate.baseline_posts, hate.baseline_weeks) == (4, 80, 4)
    assert hate.baseline_rate == pytest.approx(50.0)
    assert hate.expected == pytest.approx(1.0)
    assert hate.dispersion == pytest.approx(1.0)
    assert hate.z == pytest.approx(4.472136, abs=1e-6)
    assert hate.spike
    anti = rows["anti_government"].test
    assert anti.dispersion == pytest.approx(8 / 3)
    assert anti.z == pytest.approx(1.549193, abs=1e-6)
    assert not anti.spike
    threat = rows["threat"].test
    assert threat.expected == pytest.approx(0.125)
    assert threat.z == pytest.approx(2.213594, abs=1e-6)
    assert not threat.spike
    assert rows["doxxing"].test.z == pytest.approx(-0.316228, abs=1e-6)
    assert rows["any"].test.z == pytest.approx(3.872983, abs=1e-6)
    assert rows["any"].test.spike
    low, high = hate.band(3.0) or (0, 0)
    assert low == 0.0 and high == pytest.approx((1 + 3 * 1.25**0.5) * 50)


def test_targets_narratives_and_sources(sessions: sessionmaker[Session], data: ds.Dataset) -> None:
    with session_scope(sessions) as session:
        targets = _rows(session, data.model_id, "target")
        narratives = _rows(session, data.model_id, "narrative")
        sources = _rows(session, data.model_id, "source")
        volumes = trends.source_weeks(session, data.model_id, W47, W47)
        baseline_volumes = trends.source_weeks(
            session, data.model_id, ds.BASELINE[0], ds.BASELINE[-1]
        )
    assert {k: r.flagged for k, r in targets.items()} == {"jewish": 4, "muslim": 1, "lgbtq": 1}
    assert {r.posts for r in targets.values()} == {20}
    assert targets["jewish"].test.baseline_flagged == 4
    assert {k: r.flagged for k, r in narratives.items()} == {
        "election_fraud": 5,
        "public_health_tyranny": 1,
    }
    assert {k: (r.flagged, r.posts) for k, r in sources.items()} == {
        "r-olathe": (8, 11),
        "news-rss": (5, 9),
    }
    assert sources["r-olathe"].rate == pytest.approx(8000 / 11)
    assert [(v.source, v.collected, v.assessed, v.flagged) for v in volumes] == [
        ("news-rss", 9, 9, 5),
        ("r-olathe", 12, 11, 8),
    ]
    # Every baseline week has 9 reddit and 11 rss posts; the Sunday-night post stays in W46.
    assert sorted((v.week_start, v.source, v.collected) for v in baseline_volumes) == sorted(
        (week, source, 9 if source == "r-olathe" else 11)
        for week in ds.BASELINE
        for source in ("r-olathe", "news-rss")
    )


def test_places_and_concentration(sessions: sessionmaker[Session], data: ds.Dataset) -> None:
    with session_scope(sessions) as session:
        places = trends.top_places(session, data.model_id, W47)
        conc = stats.concentration_of(*trends.flagged_per_author(session, data.model_id, W47))
    assert places == [("Olathe", 3), ("Lenexa", 2)]
    assert conc.flagged_posts == 13 and conc.flagging_accounts == 7
    assert conc.active_accounts == 15 and conc.unattributed_posts == 0
    assert conc.top1pct_accounts == 1
    assert conc.top1pct_share == pytest.approx(4 / 13)
    assert conc.top10_share == pytest.approx(1.0)
    assert conc.gini == pytest.approx(4 / 13)


def test_wilson_interval_by_hand() -> None:
    # 2 of 3: centre (2/3 + z^2/6) / (1 + z^2/3), half-width z sqrt(2/27 + z^2/36) / (1 + z^2/3)
    low, high = stats.wilson_interval(2, 3)
    assert low == pytest.approx(0.2077, abs=1e-4) and high == pytest.approx(0.9385, abs=1e-4)
    assert stats.wilson_interval(0, 5)[0] == 0.0 and stats.wilson_interval(5, 5)[1] == 1.0


def test_without_a_model_nothing_is_flagged(sessions: sessionmaker[Session]) -> None:
    ds.build(sessions)
    with session_scope(sessions) as session:
        rows = _rows(session, None, "label")
    # Reviews alone still count as assessments: c0, c5, c6, c13 (priority queue), c1, c2,
    # c7 and two unflagged posts (calibration queue).
    assert rows["any"].posts == 9


def test_rising_terms_from_flagged_posts(sessions: sessionmaker[Session], data: ds.Dataset) -> None:
    with session_scope(sessions) as session:
        texts = trends.flagged_texts(session, data.model_id, ds.BASELINE[0], W47)
    week = count_terms(text for w, text in texts if w == W47)
    baseline = count_terms(text for w, text in texts if w != W47)
    terms = rising_terms(week, baseline)
    assert terms[0].term == "ballots"
    assert terms[0].week_count == 21 and terms[0].baseline_count == 0
    assert all(t.term != "loudmouth" and not t.term.startswith("http") for t in terms)
    assert "taxes" not in {t.term for t in terms}


def test_log_odds_by_hand() -> None:
    # y = 4, b = 1, n = m = 5, a0 = 10 so a = 5: delta = log(9/6) - log(6/9) = 0.810930,
    # var = 1/9 + 1/6, z = 0.810930 / 0.527046 = 1.538632
    terms = rising_terms(
        Counter(ballots=4, taxes=1), Counter(taxes=4, ballots=1), min_count=1, prior_tokens=10
    )
    assert [t.term for t in terms] == ["ballots"]
    assert terms[0].log_odds == pytest.approx(0.810930, abs=1e-6)
    assert terms[0].z == pytest.approx(1.538632, abs=1e-6)


def test_tokenise_drops_handles_links_and_stopwords() -> None:
    text = (
        "Hey @bob@mastodon.social, u/alice and me@mail.org: "
        "STOLEN ballots! https://x.co/a 2024 Olathe's"
    )
    assert tokenise(text) == ["hey", "stolen", "ballots", "olathe"]


def test_gini_and_spike_edge_cases() -> None:
    assert stats.gini([]) is None
    assert stats.gini([5, 5, 5]) == pytest.approx(0.0)
    assert stats.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    one_week = stats.spike_test(10, 100, [(0, 0), (0, 0), (1, 50)], 3.0, 5)
    assert one_week.z is None and not one_week.spike
    planted = stats.spike_test(40, 1000, [(10, 1000), (12, 1100), (9, 950), (11, 1000)], 3.0, 5)
    assert planted.spike and planted.z is not None and planted.z > 6
    busier = stats.spike_test(20, 2000, [(10, 1000), (12, 1100), (9, 950), (11, 1000)], 3.0, 5)
    assert not busier.spike  # twice the flags at twice the volume is no spike


# --- collection gaps ------------------------------------------------------------------
#
# news-rss goes silent in W46 (its 11 posts of that week are missing, and its one crawl
# that week failed): health gives it a baseline of 11 a week (W43-W45) and 0 posts, a gap.
# W46 then leaves every label baseline of W47, which rests on W43-W45 (20 assessed each):
# hate: 1,1,1 -> p0 = 3/60, E = 1, phi = 1, Var = 1 + 20/60 = 4/3, z = 5 / 1.154701
#   = 4.330127 (with W46 in, 9 assessed and 1 flag: 4 weeks, a different z)
# anti_government: 0,4,0 -> p0 = 4/60, E_b = 4/3, Pearson = 4/3 + 4/3 + (8/3)^2 / (4/3)
#   = 8, phi = 8 / 2 = 4, E = 4/3, Var = 4 * 4/3 * 4/3 = 64/9, z = (6 - 4/3) / (8/3) = 1.75
# any: 1,5,1 -> p0 = 7/60, E = 7/3, Pearson = 32/7, phi = 16/7, Var = 64/9,
#   z = (13 - 7/3) / (8/3) = 4.0


@pytest.fixture
def silent(sessions: sessionmaker[Session]) -> ds.Dataset:
    return ds.build(sessions, silent=("news-rss", ds.BASELINE[3]))


def test_a_gap_week_leaves_the_baseline(
    sessions: sessionmaker[Session], silent: ds.Dataset
) -> None:
    with session_scope(sessions) as session:
        gaps = trends.collection_gaps(session, [W47], ds.TZ)
        assert gaps == {ds.BASELINE[3]: ["news-rss"]}
        rows = report_trends.trend_rows(session, silent.model_id, "label", [W47], 3.0, 5, gaps)
        naive = report_trends.trend_rows(session, silent.model_id, "label", [W47], 3.0, 5)
        sources = report_trends.trend_rows(session, silent.model_id, "source", [W47], 3.0, 5, gaps)
    by_key = {row.key: row for row in rows}
    hate = by_key["hate"].test
    assert (hate.baseline_flagged, hate.baseline_posts, hate.baseline_weeks) == (3, 60, 3)
    assert hate.z == pytest.approx(4.330127, abs=1e-6)
    assert by_key["anti_government"].test.dispersion == pytest.approx(4.0)
    assert by_key["anti_government"].test.z == pytest.approx(1.75)
    assert by_key["any"].test.z == pytest.approx(4.0)
    assert all(row.gap == () for row in rows)  # W47 itself has no gap
    naive_hate = next(row for row in naive if row.key == "hate").test
    assert (naive_hate.baseline_weeks, naive_hate.baseline_posts) == (4, 69)
    # Per source, only that source's gap weeks leave its baseline.
    weeks = {row.key: row.test.baseline_weeks for row in sources}
    assert weeks == {"news-rss": 3, "r-olathe": 4}


def test_gap_week_rows_are_marked(sessions: sessionmaker[Session], silent: ds.Dataset) -> None:
    week = ds.BASELINE[3]
    with session_scope(sessions) as session:
        gaps = trends.collection_gaps(session, [week], ds.TZ)
        rows = report_trends.trend_rows(session, silent.model_id, "label", [week], 3.0, 5, gaps)
        sources = report_trends.trend_rows(session, silent.model_id, "source", [week], 3.0, 5, gaps)
    anti = next(row for row in rows if row.key == "anti_government")
    # The fall from 4 flags to 0 is news-rss's silence, and the row says so.
    assert anti.flagged == 0 and anti.gap == ("news-rss",)
    assert anti.as_dict()["collection_gap"] == "news-rss"
    assert {row.key: row.gap for row in sources} == {"news-rss": ("news-rss",), "r-olathe": ()}


@pytest.mark.parametrize("span_weeks", [1, 4])
def test_short_ranges_read_post_by_post_give_the_plain_join(
    sessions: sessionmaker[Session],
    data: ds.Dataset,
    monkeypatch: pytest.MonkeyPatch,
    span_weeks: int,
) -> None:
    """On PostgreSQL a range of up to SHORT_RANGE_WEEKS joins each post's classification
    laterally (store/effective.py); the rows equal the plain join's, on both backends."""
    from cohesion.store import effective
    from sqlalchemy import select

    first = ds.WEEK - timedelta(weeks=span_weeks - 1)

    def rows() -> list[tuple[object, ...]]:
        with session_scope(sessions) as session:
            dialect = session.get_bind().dialect.name
            e = effective.effective_labels(dialect, data.model_id, first, ds.WEEK)
            return [tuple(r) for r in session.execute(select(e).order_by(e.c.post_id))]

    short = rows()
    monkeypatch.setattr(effective, "SHORT_RANGE_WEEKS", 0)  # every range: the plain join
    assert short == rows()
    assert len(short) > 20 and any(r[-1] for r in short)  # posts, some of them flagged
