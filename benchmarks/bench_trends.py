"""Trend query latency at 100k and 1M posts, on SQLite (and PostgreSQL when configured).

    python benchmarks/bench_trends.py [--sizes 100000 1000000] [--postgres URL] [--repeat 3]

PostgreSQL runs when --postgres or $COHESION_BENCH_DATABASE_URL names a server; it
works in a schema of its own, dropped afterwards. Posts are spread over 52 weeks and
5 sources, every post is classified by the active model, ~6% are flagged (with
targets and narratives), 20,000 authors, 500 reviews. The series are timed both from
the trend rollup (store/rollups.py, built once after loading, as the classify job does)
and directly from the effective labels, beside one dirty week's refresh. Data is bulk-loaded with
executemany (SQLite) or COPY (PostgreSQL), not the ORM. Prints a table and, last, one
JSON line with every timing (median seconds) and the 1M/100k growth factor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion import weeks as isoweeks  # noqa: E402
from cohesion.config import Settings  # noqa: E402
from cohesion.reports import calibration as report_calibration  # noqa: E402
from cohesion.reports import stats  # noqa: E402
from cohesion.reports import trends as report_trends  # noqa: E402
from cohesion.reports.weekly import build_weekly_report  # noqa: E402
from cohesion.store import rollups, trends  # noqa: E402
from cohesion.store.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from cohesion.store.migrate import upgrade  # noqa: E402
from cohesion.taxonomy import LABELS  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

WEEKS = 52
LAST_WEEK = date(2026, 11, 16)
FIRST_WEEK = LAST_WEEK - timedelta(weeks=WEEKS - 1)
SOURCES = ["reddit-a", "reddit-b", "mastodon", "rss-news", "discourse"]
AUTHORS = 20_000
FLAG_RATE = 0.06
TARGETS = ["jewish", "muslim", "lgbtq", "immigrant_refugee", "black"]
NARRATIVES = ["election_fraud", "public_health_tyranny", "corruption_traitor"]
PLACES = ["Olathe", "Lenexa", "Overland Park", "Shawnee"]
WORDS = (
    "council school road budget park library water tax meeting vote police mayor clerk "
    "ballots rigged traitors stolen tyranny mandate invasion replace shame corrupt"
).split()


def generate(n: int, seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    start = datetime.combine(FIRST_WEEK, datetime.min.time(), tzinfo=UTC)
    span = WEEKS * 7 * 86400
    now = datetime(2026, 11, 25, tzinfo=UTC)
    posts, classifications, tags, reviews = [], [], [], []
    tag_id = 0
    for i in range(1, n + 1):
        created = start + timedelta(seconds=rng.randrange(span))
        week = created.date() - timedelta(days=created.weekday())
        source = rng.randrange(len(SOURCES)) + 1
        # A skewed author distribution: a few accounts post a lot.
        author = min(int(rng.paretovariate(1.2)), AUTHORS)
        flagged = rng.random() < FLAG_RATE
        words = rng.choices(WORDS[:12] if not flagged else WORDS, k=12)
        places = [rng.choice(PLACES)] if rng.random() < 0.3 else []
        posts.append(
            (
                i,
                "bench",
                f"p{i}",
                source,
                f"https://example.org/{i}",
                author,
                created,
                week,
                now,
                " ".join(words),
                "en",
                f"{i:064x}",
                "{}",
                json.dumps(places),
            )
        )
        flags = {label: False for label in LABELS}
        if flagged:
            flags[rng.choice(LABELS)] = True
        classifications.append(
            (
                i,
                i,
                1,
                now,
                flagged,
                *flags.values(),
                *(0.9 if f else 0.1 for f in flags.values()),
                0.5 if flagged else 0.0,
                "[]",
            )
        )
        if flags["hate"]:
            tag_id += 1
            tags.append((tag_id, i, "target", rng.choice(TARGETS)))
        if flags["anti_government"]:
            tag_id += 1
            tags.append((tag_id, i, "narrative", rng.choice(NARRATIVES)))
        if flagged and len(reviews) < 500 and rng.random() < 0.05:
            decision = rng.choice(["confirm", "confirm", "reject", "escalate"])
            reviews.append((len(reviews) + 1, i, i, decision, now, "priority"))
    authors = [(a, "bench", f"a{a}", now, now, 0) for a in range(1, AUTHORS + 1)]
    return {
        "posts": posts,
        "classifications": classifications,
        "tags": tags,
        "reviews": reviews,
        "authors": authors,
    }


def load(engine: Engine, data: dict[str, list[tuple[Any, ...]]]) -> None:
    with session_scope(make_session_factory(engine)) as session:
        session.execute(
            text(
                "INSERT INTO sources (id, name, platform, config, enabled, cursor, created_at,"
                " updated_at) VALUES (:id, :name, 'rss', '{}', true, '{}', :now, :now)"
            ),
            [
                {"id": i + 1, "name": name, "now": datetime.now(UTC)}
                for i, name in enumerate(SOURCES)
            ],
        )
        session.execute(
            text(
                "INSERT INTO model_versions (id, name, created_at, training_summary, metrics,"
                " thresholds, is_active) VALUES (1, 'bench.v1', :now, '{}', '{}', '{}', true)"
            ),
            {"now": datetime.now(UTC)},
        )
    columns = {
        "authors": "id, platform, pseudonym, first_seen, last_seen, post_count",
        "posts": "id, platform, external_id, source_id, url, author_id, created_at, week_start,"
        " collected_at, text, language, content_hash, engagement, places",
        "classifications": "id, post_id, model_version_id, created_at, flagged, "
        + ", ".join(f"flag_{label}" for label in LABELS)
        + ", "
        + ", ".join(f"score_{label}" for label in LABELS)
        + ", priority, evidence",
        "classification_tags": "id, classification_id, kind, value",
        "reviews": "id, post_id, classification_id, decision, created_at, queue",
    }
    keys = {"classification_tags": "tags"}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            # A throwaway database: no journal while loading, WAL again for the queries.
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("BEGIN")
            for table, cols in columns.items():
                rows = data[keys.get(table, table)]
                marks = ", ".join("?" * len(cols.split(",")))
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})", (_sqlite_row(r) for r in rows)
                )
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            for table, cols in columns.items():
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in data[keys.get(table, table)]:
                        copy.write_row(row)
            for table in ("authors", "posts", "classifications", "classification_tags", "reviews"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(v, datetime)
        else v.isoformat()
        if isinstance(v, date)
        else v
        for v in row
    )


def queries(engine: Engine, build_s: list[float]) -> dict[str, Callable[[], Any]]:
    sessions = make_session_factory(engine)
    weeks = isoweeks.week_range(LAST_WEEK, 12)
    settings = Settings.model_validate({"locality": {"name": "Bench", "timezone": "UTC"}})

    def run(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(sessions) as session:
                return fn(session)

        return call

    with session_scope(sessions) as session:  # the one-off full build (end of classify)
        started = time.perf_counter()
        rollups.refresh(session, 1)
        build_s[0] = time.perf_counter() - started

    first = weeks[0] - timedelta(weeks=trends.BASELINE_WEEKS)  # what trend_rows reads

    def series(by: str, direct: bool) -> Callable[[], Any]:
        return run(lambda s: trends.series_for(s, 1, by, first, LAST_WEEK, direct=direct))

    def refresh_one(session: Any) -> int:
        rollups.mark_weeks(session, [LAST_WEEK])  # as a review or a batch of that week does
        return rollups.refresh(session, 1, [LAST_WEEK])

    return {
        # The rollup was built above (as by the classify job); reads find it clean.
        "label series 16 wk, direct": series("label", True),
        "target series 16 wk, direct": series("target", True),
        "source series 16 wk, direct": series("source", True),
        "label series 16 wk, rollup": series("label", False),
        "target series 16 wk, rollup": series("target", False),
        "source series 16 wk, rollup": series("source", False),
        "rollup refresh, 1 dirty week": run(refresh_one),
        "trends by label, 12 weeks": run(
            lambda s: report_trends.trend_rows(s, 1, "label", weeks, 3.0, 5)
        ),
        "trends by target, 12 weeks": run(
            lambda s: report_trends.trend_rows(s, 1, "target", weeks, 3.0, 5)
        ),
        "trends by source, 12 weeks": run(
            lambda s: report_trends.trend_rows(s, 1, "source", weeks, 3.0, 5)
        ),
        "concentration, 1 week": run(
            lambda s: stats.concentration_of(*trends.flagged_per_author(s, 1, LAST_WEEK))
        ),
        "top places, 1 week": run(lambda s: trends.top_places(s, 1, LAST_WEEK)),
        "calibration estimates, 1 week": run(
            lambda s: report_calibration.estimates(s, 1, [LAST_WEEK])
        ),
        "collection gaps, 12 weeks": run(lambda s: trends.collection_gaps(s, weeks, "UTC")),
        "weekly report data (all)": run(lambda s: build_weekly_report(s, settings, LAST_WEEK)),
    }


def measure(engine: Engine, repeat: int) -> dict[str, float]:
    results: dict[str, float] = {}
    build_s = [0.0]
    for name, call in queries(engine, build_s).items():
        heavy = name.startswith("weekly report")
        if not heavy:
            call()  # warm the cache and the connection
        times = []
        for _ in range(1 if heavy else repeat):  # the full report runs once: it is slow
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        results[name] = statistics.median(times)
    results["rollup build, all 52 weeks"] = build_s[0]
    return results


def bench_backend(
    backend: str,
    url_for: Callable[[int], tuple[str, Callable[[], None]]],
    sizes: list[int],
    repeat: int,
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for size in sizes:
        url, cleanup = url_for(size)
        engine = make_engine(url)
        try:
            upgrade(engine)
            started = time.perf_counter()
            data = generate(size)
            load(engine, data)
            del data
            load_s = time.perf_counter() - started
            timings = measure(engine, repeat)
            timings["load (generate + insert)"] = load_s
            out[str(size)] = timings
            print(f"{backend} {size:>9,} posts loaded in {load_s:6.1f} s", file=sys.stderr)
        finally:
            engine.dispose()
            cleanup()
    return out


def sqlite_url(tmp: Path) -> Callable[[int], tuple[str, Callable[[], None]]]:
    def url_for(size: int) -> tuple[str, Callable[[], None]]:
        path = tmp / f"bench-{size}.db"

        def cleanup() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", cleanup

    return url_for


def postgres_url(base: str) -> Callable[[int], tuple[str, Callable[[], None]]]:
    def url_for(size: int) -> tuple[str, Callable[[], None]]:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base else "?"

        def cleanup() -> None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

        return f"{base}{separator}options=-csearch_path%3D{schema}", cleanup

    return url_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", default=os.environ.get("COHESION_BENCH_DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = bench_backend("sqlite", sqlite_url(Path(tmp)), args.sizes, args.repeat)
    if args.postgres:
        results["postgresql"] = bench_backend(
            "postgresql", postgres_url(args.postgres), args.sizes, args.repeat
        )
    small, large = str(min(args.sizes)), str(max(args.sizes))
    growth = {}
    for backend, by_size in results.items():
        names = list(by_size[small])
        print(f"\n{backend}: median seconds of {args.repeat} runs")
        print(f"{'query':<30}" + "".join(f"{int(s):>12,}" for s in by_size) + f"{'growth':>9}")
        for name in names:
            cells = "".join(f"{by_size[s][name]:>12.3f}" for s in by_size)
            factor = by_size[large][name] / by_size[small][name] if small != large else 1.0
            growth.setdefault(backend, {})[name] = round(factor, 2)
            print(f"{name:<30}{cells}{factor:>8.1f}x")
    print(json.dumps({"results": results, "growth": growth, "sizes": args.sizes}))


if __name__ == "__main__":
    main()
