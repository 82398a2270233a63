"""The weekly report, trend series and review queue as the store grows to 10M posts.

    python benchmarks/bench_report.py [--sizes 100000 1000000] [--sqlite-sizes 100000 1000000]
                                      [--postgres URL] [--repeat 3]
    python benchmarks/bench_report.py --sizes 100000 1000000 10000000 --sqlite-sizes

The store is filled with generated rows (posts, their classifications by the active
model, tags, 500 reviews, 20,000 authors), written by COPY on PostgreSQL and one
executemany per table on SQLite, never by classifying them. The weekly volume is fixed
(WEEKLY posts, ~2,700 a day: a state-wide desk) and the history grows: 100k posts are
6 weeks, 1M 52 weeks, 10M 520 weeks. Rows are generated in time order, as a crawler
stores them (ids and weeks grow together). ~6% of posts are flagged, 30% name a place.

Timed at each size, median of --repeat after one warm-up run: the whole weekly report
data (`build_weekly_report`, every section) and each of its sections, the 12-week trend
series the report charts (`trend_rows` by label, from the rollup), and the first page
of the review queue (priority and uncertain). Also: load time, the first rollup build,
database size on disk (PostgreSQL: tables, indexes and TOAST of the scratch schema;
SQLite: the file and its WAL) per million posts, and the benchmark process's peak
memory. EXPLAIN (ANALYZE, BUFFERS) of the trend series, a single-week section and the
queue at the largest PostgreSQL size go to benchmarks/results/report-explain-SIZE.txt.

PostgreSQL runs when --postgres, $COHESION_BENCH_DATABASE_URL or
$COHESION_TEST_DATABASE_URL names a server, in a scratch schema dropped afterwards;
10M posts take about 5 GB there while it runs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion import weeks as isoweeks  # noqa: E402
from cohesion.config import Settings  # noqa: E402
from cohesion.reports import trends as report_trends  # noqa: E402
from cohesion.reports import weekly  # noqa: E402
from cohesion.store import review_queries, rollups  # noqa: E402
from cohesion.store.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from cohesion.store.migrate import upgrade  # noqa: E402
from cohesion.store.models import ModelVersion  # noqa: E402
from cohesion.taxonomy import LABELS  # noqa: E402
from scratch import kept_pg_schema, pg_schema  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WEEKLY = 19_230
LAST_WEEK = date(2026, 11, 16)
SOURCES = ["reddit-a", "reddit-b", "mastodon", "rss-news", "discourse"]
AUTHORS = 20_000
REVIEWS = 500
TARGETS = ["jewish", "muslim", "lgbtq", "immigrant_refugee", "black"]
NARRATIVES = ["election_fraud", "public_health_tyranny", "corruption_traitor"]
PLACES = ["Olathe", "Lenexa", "Overland Park", "Shawnee"]
WORDS = (
    "council school road budget park library water tax meeting vote police mayor clerk "
    "ballots rigged traitors stolen tyranny mandate invasion replace shame corrupt "
    "bridge zoning permit transit housing flood storm festival parade museum"
).split()
NOW = datetime(2026, 11, 25, tzinfo=UTC)


# --- generated rows -----------------------------------------------------------------


def _mix(i: int, salt: int) -> int:
    """A deterministic pseudo-random 32-bit number for row i (splitmix-style)."""
    x = (i * 0x9E3779B97F4A7C15 + salt * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (x ^ (x >> 29)) & 0xFFFFFFFF


def _flag_of(i: int) -> str | None:
    """The one label post i is flagged with (~6% of posts), or None."""
    r = _mix(i, 1)
    return LABELS[r % len(LABELS)] if r % 1000 < 60 else None


def _first_day(n: int) -> datetime:
    weeks = max(1, -(-n // WEEKLY))
    return datetime.combine(LAST_WEEK - timedelta(weeks=weeks - 1), datetime.min.time(), UTC)


def posts(n: int) -> Iterator[tuple[Any, ...]]:
    start, span = _first_day(n), (LAST_WEEK + timedelta(days=7) - _first_day(n).date()).days
    seconds = span * 86400
    for i in range(1, n + 1):
        created = start + timedelta(seconds=(i - 1) * seconds // n)
        week = created.date() - timedelta(days=created.weekday())
        flagged = _flag_of(i) is not None
        vocabulary = len(WORDS) if flagged else 12
        words = [WORDS[_mix(i, 10 + k) % vocabulary] for k in range(14)]
        place = _mix(i, 3)
        places = [PLACES[place % len(PLACES)]] if place % 10 < 3 else []
        yield (
            i, "bench", f"p{i}", 1 + _mix(i, 4) % len(SOURCES), f"https://example.org/{i}",
            1 + min(int(AUTHORS * (_mix(i, 5) / 2**32) ** 3), AUTHORS - 1), created, week, NOW,
            " ".join(words), "en", f"{i:064x}", "{}", json.dumps(places),
        )  # fmt: skip


def classifications(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        label = _flag_of(i)
        flags = [label == name for name in LABELS]
        scores = [0.9 if f else (_mix(i, 6) % 60) / 100 for f in flags]
        priority = 0.5 + (_mix(i, 7) % 100) / 200 if label else 0.0
        yield (i, i, 1, NOW, label is not None, *flags, *scores, priority, "[]")


def tags(n: int) -> Iterator[tuple[Any, ...]]:
    tag_id = 0
    for i in range(1, n + 1):
        label = _flag_of(i)
        if label == "hate":
            tag_id += 1
            yield (tag_id, i, "target", TARGETS[_mix(i, 8) % len(TARGETS)])
        elif label == "anti_government":
            tag_id += 1
            yield (tag_id, i, "narrative", NARRATIVES[_mix(i, 8) % len(NARRATIVES)])


def reviews(n: int) -> Iterator[tuple[Any, ...]]:
    """REVIEWS reviews of flagged posts of the last weeks (analysts review recent posts)."""
    found, i = 0, n
    decisions = ["confirm", "confirm", "reject", "escalate"]
    while found < REVIEWS and i > 0:
        if _flag_of(i) is not None and _mix(i, 9) % 4 == 0:
            found += 1
            yield (found, i, i, decisions[_mix(i, 2) % 4], NOW, "priority")
        i -= 1


def authors() -> Iterator[tuple[Any, ...]]:
    for a in range(1, AUTHORS + 1):
        yield (a, "bench", f"a{a}", NOW, NOW, 0)


COLUMNS = {
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


def rows_of(table: str, n: int) -> Iterator[tuple[Any, ...]]:
    return {
        "authors": authors,
        "posts": lambda: posts(n),
        "classifications": lambda: classifications(n),
        "classification_tags": lambda: tags(n),
        "reviews": lambda: reviews(n),
    }[table]()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load(engine: Engine, n: int) -> None:
    with session_scope(make_session_factory(engine)) as session:
        for i, name in enumerate(SOURCES, start=1):
            session.execute(
                text(
                    "INSERT INTO sources (id, name, platform, config, enabled, cursor,"
                    " created_at, updated_at) VALUES (:id, :name, 'rss', '{}', true, '{}',"
                    " :now, :now)"
                ),
                {"id": i, "name": name, "now": NOW},
            )
        session.execute(
            text(
                "INSERT INTO model_versions (id, name, created_at, training_summary, metrics,"
                " thresholds, is_active) VALUES (1, 'bench.v1', :now, '{}', '{}', '{}', true)"
            ),
            {"now": NOW},
        )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA journal_mode=OFF")  # a throwaway database
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("BEGIN")
            for table, cols in COLUMNS.items():
                marks = ", ".join("?" * len(cols.split(",")))
                cursor.executemany(
                    f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                    (tuple(map(_sqlite_value, row)) for row in rows_of(table, n)),
                )
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("ANALYZE")
        else:
            for table, cols in COLUMNS.items():
                with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows_of(table, n):
                        copy.write_row(row)
                raw.commit()
            for table in ("authors", "posts", "classifications", "classification_tags", "reviews"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))"
                )
            raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:  # autovacuum's steady state: index-only scans
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )


# --- measuring ----------------------------------------------------------------------

SECTIONS = {  # (module, function) of each part of build_weekly_report
    "collector health": (weekly, "collector_health"),
    "trend rows (rollup)": (weekly.report_trends, "trend_rows"),
    "rising terms (flagged texts)": (weekly.trends, "flagged_texts"),
    "calibration estimates": (weekly, "estimates"),
    "sources": (weekly, "_sources"),
    "officials": (weekly, "officials_weeks"),
    "places": (weekly.trends, "top_places"),
    "concentration": (weekly.trends, "flagged_per_author"),
    "sample": (weekly.trends, "flagged_sample"),
    "spike starts": (weekly, "_spike_starts"),
    "storylines": (weekly, "week_storylines"),
    "coordinated bursts": (weekly, "week_bursts"),
}


def timed_sections() -> tuple[dict[str, float], Callable[[], None]]:
    """Wrap each section's function to add up its time; returns (times, undo)."""
    spent: dict[str, float] = collections.Counter()
    originals = []
    for name, (module, attr) in SECTIONS.items():
        original = getattr(module, attr)
        originals.append((module, attr, original))

        @functools.wraps(original)
        def wrapper(*args: Any, _f: Any = original, _name: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(module, attr, wrapper)

    def undo() -> None:
        for module, attr, original in originals:
            setattr(module, attr, original)

    return spent, undo


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    """Median of `repeat` runs after a warm-up; with repeat 0, the one run's time."""
    if repeat == 0:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started
    fn()  # warm: caches, connections, a dirty rollup week
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def size_on_disk(engine: Engine, sqlite_path: Path | None) -> int:
    if sqlite_path is not None:
        return sum(
            Path(f"{sqlite_path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{sqlite_path}{suffix}").exists()
        )
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
                )
            ).scalar_one()
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loaded(engine: Engine, n: int) -> bool:
    """Whether the database holds a finished load of n posts (reviews are written last)."""
    with engine.connect() as connection:
        highest = connection.execute(text("SELECT max(id) FROM posts")).scalar()
        reviewed = connection.execute(text("SELECT count(*) FROM reviews")).scalar()
    return highest == n and reviewed == REVIEWS


def measure(
    engine: Engine, n: int, repeat: int, sqlite_path: Path | None, explain: list[str] | None
) -> dict[str, Any]:
    load_s: float | None = None
    if not loaded(engine, n):
        started = time.perf_counter()
        load(engine, n)
        load_s = round(time.perf_counter() - started, 1)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:  # the classify job's refresh at its end
        started = time.perf_counter()
        rollups.refresh(session, 1)
        build_s = time.perf_counter() - started
    settings = Settings.model_validate({"locality": {"name": "Bench", "timezone": "UTC"}})
    charted = isoweeks.week_range(LAST_WEEK, weekly.HISTORY_WEEKS)

    def run(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(sessions) as session:
                return fn(session)

        return call

    def queue(name: str) -> Callable[[Any], Any]:
        def page(session: Any) -> Any:
            model = session.scalars(select(ModelVersion).where(ModelVersion.id == 1)).one()
            return review_queries.queue_page(session, model, name, review_queries.QueueFilters())

        return page

    report = run(lambda s: weekly.build_weekly_report(s, settings, LAST_WEEK, NOW))
    report()  # warm
    spent, undo = timed_sections()
    try:
        report_s = median_time(report, repeat)
        runs = repeat + 1
        sections = {name: round(spent[name] / runs, 4) for name in SECTIONS}
    finally:
        undo()
    result = {
        "posts": n,
        "weeks": max(1, -(-n // WEEKLY)),
        "load_s": load_s,  # None: a kept schema, loaded by an earlier run
        "rollup_first_build_s": round(build_s, 2),
        "report_s": round(report_s, 3),
        "report_sections_s": sections,
        "trend_series_12wk_s": round(
            median_time(
                run(lambda s: report_trends.trend_rows(s, 1, "label", charted, 3.0, 5)), repeat
            ),
            4,
        ),
        "queue_first_page_priority_s": round(median_time(run(queue("priority")), repeat), 4),
        # Not indexed (it sorts every classification by closeness to a threshold): once.
        "queue_first_page_uncertain_s": round(median_time(run(queue("uncertain")), 0), 4),
        "disk_mb": round(size_on_disk(engine, sqlite_path) / 2**20, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    result["disk_mb_per_million_posts"] = round(result["disk_mb"] / (n / 1e6), 1)
    if explain is not None:
        explain.extend(explain_plans(engine, sessions, n, charted))
    print(f"{engine.dialect.name} {n:,}: {json.dumps(result)}", file=sys.stderr)
    return result


def explain_plans(engine: Engine, sessions: Any, n: int, charted: list[date]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the timed calls run, as compiled."""
    statements: list[tuple[str, str]] = []

    def capture(title: str, fn: Callable[[Any], Any]) -> None:
        from sqlalchemy import event

        seen: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            import psycopg

            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, params))

        event.listen(engine, "before_cursor_execute", record)
        try:
            with session_scope(sessions) as session:
                fn(session)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        for k, sql in enumerate(seen, start=1):
            statements.append((f"{title}, statement {k} of {len(seen)} ({n:,} posts)", sql))

    def queue(session: Any) -> Any:
        model = session.scalars(select(ModelVersion).where(ModelVersion.id == 1)).one()
        return review_queries.queue_page(session, model, "priority", review_queries.QueueFilters())

    capture(
        "trend series by label, 12 weeks (rollup)",
        lambda s: report_trends.trend_rows(s, 1, "label", charted, 3.0, 5),
    )
    capture("review queue, first page (priority)", queue)
    capture("places of the report week", lambda s: weekly.trends.top_places(s, 1, LAST_WEEK))
    plans = []
    with engine.connect() as connection:
        for title, sql in statements:
            plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").scalars()
            plans.append(f"== {title}\n" + "\n".join(plan) + "\n")
    return plans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="PostgreSQL sizes (add 10000000 for the 10M run)")  # fmt: skip
    parser.add_argument("--sqlite-sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-schema", metavar="PREFIX", default=None,
                        help="PostgreSQL: load each size into the schema PREFIX_SIZE and keep"
                        " it; a later run with the same prefix measures it without loading"
                        " again (drop the schema by hand when done)")  # fmt: skip
    parser.add_argument("--load-only", action="store_true",
                        help="with --keep-schema: load the PostgreSQL sizes, measure nothing")  # fmt: skip
    args = parser.parse_args(argv)
    if args.load_only and not args.keep_schema:
        parser.error("--load-only needs --keep-schema")
    base = (
        args.postgres
        or os.environ.get("COHESION_BENCH_DATABASE_URL")
        or os.environ.get("COHESION_TEST_DATABASE_URL")
    )
    results: dict[str, Any] = {"sqlite": {}, "postgresql": {}}
    for n in [] if args.load_only else args.sqlite_sizes:
        with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
            path = Path(tmp) / "store.db"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            try:
                results["sqlite"][str(n)] = measure(engine, n, args.repeat, path, None)
            finally:
                engine.dispose()
    explain: list[str] = []
    if base and args.sizes:
        largest = max(args.sizes)
        for n in sorted(args.sizes):
            schema = (
                kept_pg_schema(base, f"{args.keep_schema}_{n}")
                if args.keep_schema
                else pg_schema(base)
            )
            with schema as url:
                engine = make_engine(url)
                upgrade(engine)
                try:
                    if args.load_only:
                        if not loaded(engine, n):
                            started = time.perf_counter()
                            load(engine, n)
                            print(f"loaded {n:,} posts in {time.perf_counter() - started:.0f} s")
                        continue
                    results["postgresql"][str(n)] = measure(
                        engine, n, args.repeat, None, explain if n == largest else None
                    )
                finally:
                    engine.dispose()
    elif args.sizes:
        results["postgresql"] = {"skipped": "no PostgreSQL (set COHESION_BENCH_DATABASE_URL)"}
    if explain:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"report-explain-{max(args.sizes)}.txt").write_text("\n".join(explain))
    for backend, by_size in results.items():
        for n, row in by_size.items():
            if isinstance(row, dict):
                print(
                    f"{backend:10s} {int(n):>11,} posts: report {row['report_s']:7.3f} s, trend "
                    f"series {row['trend_series_12wk_s']:.4f} s, queue page "
                    f"{row['queue_first_page_priority_s']:.4f} s, {row['disk_mb']:,.0f} MB"
                )
    print(json.dumps({"benchmark": "report", "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
