"""Scale on PostgreSQL: parallel classify workers, bulk import vs COPY, trends at 1M posts.

    python benchmarks/bench_scale.py [--postgres URL] [--posts 10000] [--import-rows 20000]
                                     [--trend-sizes 320000 1000000]

Runs only when --postgres, $COHESION_BENCH_DATABASE_URL or $COHESION_TEST_DATABASE_URL
names a PostgreSQL server (else it says so and prints an empty result). Each part works
in a schema of its own, dropped afterwards.

1. Classification throughput: `cohesion worker classify` processes (1, then 2) over the
   same posts, wall time from start to the last worker's exit (model load included), and
   posts/s of the steady part (from the first classification to the last).
2. Import: `crawlers.imports.import_file` of a JSONL file (cleaning, language, gazetteer,
   pseudonyms, upsert in batches) beside raw `COPY` of the same rows into posts.
3. Trends at size: posts generated on the server (INSERT ... SELECT generate_series, the
   weekly volume fixed at ~19k posts so that history, not the week, grows: 320k posts =
   17 weeks, 1M = 52 weeks; the 16-week window of the weekly query holds the same
   posts in both), every post but the newest 1,000 classified, ~6% flagged with tags.
   Timed at each size: the weekly trend query (trend_rows by label over 12 weeks, with
   the server's JIT setting and with jit off, direct; and from the trend rollup) and the classification queue claim (a
   batch of 500 from post id 0, and from the worker's floor, see store/claims.py).
   EXPLAIN (ANALYZE, BUFFERS) of them at the largest size is written to
   benchmarks/results/scale-explain.txt.

The last line is one JSON object {"benchmark": "scale", "results": {...}}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from cohesion import weeks as isoweeks  # noqa: E402
from cohesion.config import Settings  # noqa: E402
from cohesion.reports import trends as report_trends  # noqa: E402
from cohesion.store import trends  # noqa: E402
from cohesion.store.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from cohesion.store.migrate import upgrade  # noqa: E402
from cohesion.store.pseudonyms import Pseudonymiser  # noqa: E402
from scratch import pg_schema  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
COHESION = Path(sys.executable).parent / "cohesion"
KEY = "bench-scale-pseudonym-key-0123456789abcdef"
LAST_WEEK = date(2026, 11, 16)
WEEKLY_POSTS = 19_230  # 1M posts = 52 weeks of this
SOURCES = 5
WORDS = (
    "council school road budget park library water tax meeting vote police mayor clerk "
    "ballots rigged traitors stolen tyranny mandate invasion replace shame corrupt Ashford"
).split()


# --- schemas ---------------------------------------------------------------------------


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def seed_posts_sql(engine: Engine, count: int, weeks: int, *, first_id: int = 1) -> None:
    """`count` posts on the server, spread evenly over `weeks` weeks ending LAST_WEEK."""
    first_day = LAST_WEEK - timedelta(weeks=weeks - 1)
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    n = len(WORDS)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (name, platform, config, enabled, cursor, created_at,"
                " updated_at) SELECT 'src-' || g, 'rss', '{}', true, '{}', now(), now()"
                " FROM generate_series(1, :n) g ON CONFLICT (name) DO NOTHING"
            ),
            {"n": SOURCES},
        )
        connection.execute(
            text(
                f"""
                INSERT INTO posts (platform, external_id, source_id, url, created_at, week_start,
                    collected_at, text, language, content_hash, engagement, places)
                SELECT 'bench', 'p' || g,
                    (SELECT min(id) FROM sources) + g % {SOURCES},
                    'https://example.org/' || g, t, (t AT TIME ZONE 'UTC')::date
                        - (extract(isodow FROM t AT TIME ZONE 'UTC')::int - 1),
                    now(),
                    ({words})[1 + g % {n}] || ' ' || ({words})[1 + (g / {n}) % {n}] || ' '
                        || ({words})[1 + (g / {n * n}) % {n}] || ' meeting about the road',
                    'en', md5(g::text) || md5((g + 1)::text), '{{}}'::jsonb,
                    CASE WHEN g % 3 = 0 THEN '["Ashford"]'::jsonb ELSE '[]'::jsonb END
                FROM (
                    SELECT g, :first_day + make_interval(
                        secs => ((g - :first_id)::float8 / :count) * :span) AS t
                    FROM generate_series(:first_id, :first_id + :count - 1) g
                ) s
                """
            ),
            {
                "first_id": first_id,
                "count": count,
                "first_day": datetime.combine(first_day, datetime.min.time(), tzinfo=UTC),
                "span": weeks * 7 * 86400 - 1,
            },
        )


def classify_all_sql(engine: Engine, model_id: int, *, except_last: int = 0) -> None:
    """Classify every post (but the newest `except_last`) on the server; ~6% flagged."""
    flags = {"hate": 0, "anti_government": 1, "threat": 2, "doxxing": 3}
    flag_columns = ", ".join(f"flag_{label}" for label in flags)
    flag_values = ", ".join(f"(p.id % 17 = 0 AND p.id % 4 = {n})" for n in flags.values())
    score_columns = ", ".join(f"score_{label}" for label in flags)
    score_values = ", ".join(
        f"CASE WHEN p.id % 17 = 0 AND p.id % 4 = {n} THEN 0.9 ELSE 0.1 END" for n in flags.values()
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                f"""
                INSERT INTO classifications (post_id, model_version_id, created_at, flagged,
                    {flag_columns}, {score_columns}, priority, evidence)
                SELECT p.id, :model, now(), p.id % 17 = 0, {flag_values}, {score_values},
                    CASE WHEN p.id % 17 = 0 THEN 0.5 + (p.id % 100) / 200.0 ELSE 0 END, '[]'
                FROM posts p
                WHERE p.id <= (SELECT max(id) FROM posts) - :skip
                ON CONFLICT DO NOTHING
                """
            ),
            {"model": model_id, "skip": except_last},
        )
        connection.execute(
            text(
                """
                INSERT INTO classification_tags (classification_id, kind, value)
                SELECT c.id, CASE WHEN c.flag_hate THEN 'target' ELSE 'narrative' END,
                    (ARRAY['jewish','muslim','lgbtq','election_fraud','corruption_traitor'])
                        [1 + c.post_id % 5]
                FROM classifications c
                WHERE (c.flag_hate OR c.flag_anti_government)
                  AND NOT EXISTS (SELECT 1 FROM classification_tags t
                                  WHERE t.classification_id = c.id)
                """
            )
        )
    with engine.connect() as connection:
        # VACUUM too: autovacuum's steady state, where index-only scans are possible.
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def register_model(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                text(
                    "INSERT INTO model_versions (name, created_at, training_summary, metrics,"
                    " thresholds, is_active) VALUES ('bench.v1', now(), '{}', '{}', '{}', true)"
                    " RETURNING id"
                )
            ).scalar_one()
        )


# --- 1. classification throughput ---------------------------------------------------------


def model_dir(tmp: Path) -> tuple[Path, str]:
    default = ROOT / "models" / "default"
    if (default / "config.json").exists():
        return default, "models/default"
    from cohesion.classify.train import train

    out = tmp / "tiny-model"
    corpus = ROOT / "tests" / "fixtures" / "classify" / "tiny.jsonl"
    train([corpus], None, out, datasets=("tiny",), examples_file=None, say=lambda _m: None)
    return out, "tiny test model (models/default absent)"


def bench_workers(base: str, posts: int, tmp: Path) -> dict[str, Any]:
    model, model_name = model_dir(tmp)
    out: dict[str, Any] = {"posts": posts, "model": model_name}
    for workers in (1, 2):
        with pg_schema(base) as url:
            engine = migrated(url)
            seed_posts_sql(engine, posts, weeks=4)
            env = {k: v for k, v in os.environ.items() if not k.startswith("COHESION_")}
            env.update(
                COHESION_DATABASE_URL=url,
                COHESION_CLASSIFIER__MODEL=str(model),
                COHESION_PSEUDONYM_KEY=KEY,
            )
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [str(COHESION), "worker", "classify", "--batch", "500"],
                    env=env,
                    cwd=tmp,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )  # fmt: skip
                for _ in range(workers)
            ]
            for proc in procs:
                output, _ = proc.communicate(timeout=900)
                if proc.returncode != 0:
                    raise RuntimeError(output)
            wall = time.perf_counter() - started
            with engine.connect() as connection:
                done, first, last = connection.execute(
                    text("SELECT count(*), min(created_at), max(created_at) FROM classifications")
                ).one()
            engine.dispose()
            steady = (last - first).total_seconds() or wall
            out[f"{workers}_worker"] = {
                "wall_s": round(wall, 2),
                "posts_per_s_wall": round(done / wall, 1),
                "posts_per_s_steady": round(done / steady, 1),
                "classified": done,
            }
            print(f"workers={workers}: {done} posts in {wall:.1f} s", file=sys.stderr)
    one, two = out["1_worker"]["posts_per_s_steady"], out["2_worker"]["posts_per_s_steady"]
    out["speedup_2_vs_1"] = round(two / one, 2) if one else None
    return out


# --- 2. import vs COPY --------------------------------------------------------------------


def bench_import(base: str, rows: int, tmp: Path) -> dict[str, Any]:
    from cohesion.crawlers.imports import import_file

    path = tmp / "import.jsonl"
    start = datetime(2026, 9, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            handle.write(
                json.dumps(
                    {
                        "platform": "forum",
                        "external_id": f"i{n}",
                        "text": f"{WORDS[n % 24]} {WORDS[(n // 24) % 24]} meeting in Ashford "
                        f"about the {WORDS[(n // 576) % 24]} budget, post {n}",
                        "created_at": (start + timedelta(minutes=n)).isoformat(),
                        "author": f"user{n % 2000}",
                        "url": f"https://forum.example/p/{n}",
                        "engagement": {"likes": n % 7},
                    }
                )
                + "\n"
            )
    settings = Settings.model_validate(
        {
            "locality": {
                "name": "Bench",
                "timezone": "UTC",
                "places": [{"name": "Ashford", "kind": "city"}],
            }
        }  # fmt: skip
    )
    out: dict[str, Any] = {"rows": rows}
    with pg_schema(base) as url:
        engine = migrated(url)
        started = time.perf_counter()
        summary = import_file(
            path, settings=settings, sessions=make_session_factory(engine),
            pseudonymiser=Pseudonymiser(KEY.encode()),
        )  # fmt: skip
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = import_file(
            path, settings=settings, sessions=make_session_factory(engine),
            pseudonymiser=Pseudonymiser(KEY.encode()),
        )  # fmt: skip
        again_s = time.perf_counter() - started
        engine.dispose()
        assert summary.new == rows and again.duplicate == rows, (summary, again)
        out["import_rows_per_s"] = round(rows / seconds, 1)
        out["reimport_rows_per_s"] = round(rows / again_s, 1)
    with pg_schema(base) as url:
        engine = migrated(url)
        records = [json.loads(line) for line in path.read_text().splitlines()]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            started = time.perf_counter()
            with cursor.copy(
                "COPY posts (platform, external_id, url, created_at, week_start, collected_at,"
                " text, content_hash, engagement, places) FROM STDIN"
            ) as copy:
                now = datetime.now(UTC)
                for r in records:
                    created = datetime.fromisoformat(r["created_at"])
                    copy.write_row(
                        (
                            r["platform"],
                            r["external_id"],
                            r["url"],
                            created,
                            created.date() - timedelta(days=created.weekday()),
                            now,
                            r["text"],
                            "0" * 64,
                            json.dumps(r["engagement"]),
                            "[]",
                        )  # fmt: skip
                    )
            raw.commit()
            copy_s = time.perf_counter() - started
        finally:
            raw.close()
            engine.dispose()
        out["copy_rows_per_s"] = round(rows / copy_s, 1)
    out["import_vs_copy"] = round(out["import_rows_per_s"] / out["copy_rows_per_s"], 3)
    return out


# --- 3. trends and the queue at size ------------------------------------------------------


def timed(fn: Any, repeat: int = 3) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


CLAIM_SQL = """
SELECT p.id FROM posts p
WHERE NOT EXISTS (SELECT 1 FROM classifications c
                  WHERE c.post_id = p.id AND c.model_version_id = :model)
  AND NOT EXISTS (SELECT 1 FROM classify_claims k
                  WHERE k.post_id = p.id AND k.model_version_id = :model
                    AND k.claimed_at > now() - interval '600 seconds')
  AND p.id > :floor
ORDER BY p.id LIMIT 500 FOR UPDATE OF p SKIP LOCKED
"""


def bench_trends_at(base: str, size: int, explain: list[str]) -> dict[str, Any]:
    weeks = max(1, round(size / WEEKLY_POSTS))
    with pg_schema(base) as url:
        engine = migrated(url)
        started = time.perf_counter()
        seed_posts_sql(engine, size, weeks)
        model = register_model(engine)
        classify_all_sql(engine, model, except_last=1000)
        load_s = time.perf_counter() - started
        sessions = make_session_factory(engine)
        window = isoweeks.week_range(LAST_WEEK, 12)

        def weekly() -> Any:
            with session_scope(sessions) as session:
                return report_trends.trend_rows(
                    session, model, "label", window, 3.0, 5, direct=True
                )

        def weekly_no_jit() -> Any:
            with session_scope(sessions) as session:
                session.execute(text("SET LOCAL jit = off"))
                return report_trends.trend_rows(
                    session, model, "label", window, 3.0, 5, direct=True
                )

        def weekly_rollup() -> Any:  # store/rollups.py: built by the warm-up call
            with session_scope(sessions) as session:
                return report_trends.trend_rows(session, model, "label", window, 3.0, 5)

        with engine.connect() as connection:
            newest = int(connection.execute(text("SELECT max(id) FROM posts")).scalar_one())
        floor = newest - 1000  # what a worker passes after its first batch (store/claims.py)

        def claim(after: int) -> Any:
            def run() -> Any:
                with engine.connect() as connection:  # rolled back: nothing is claimed
                    params = {"model": model, "floor": after}
                    return connection.execute(text(CLAIM_SQL), params).all()

            return run

        result = {
            "posts": size,
            "weeks": weeks,
            "load_s": round(load_s, 1),
            "weekly_trend_query_s": round(timed(weekly), 4),
            "weekly_trend_query_jit_off_s": round(timed(weekly_no_jit), 4),
            "weekly_trend_query_rollup_s": round(timed(weekly_rollup), 4),
            "queue_claim_from_0_s": round(timed(claim(0)), 4),
            "queue_claim_from_floor_s": round(timed(claim(floor)), 4),
        }
        if explain is not None:
            first = window[0] - timedelta(weeks=trends.BASELINE_WEEKS)
            with session_scope(sessions) as session:  # the query trend_rows runs, compiled
                query = _label_series_sql(session, model, first, window[-1])
            with engine.connect() as connection:
                for title, sql, params in (
                    (f"weekly trend query (label_series, {size:,} posts)", query, {}),
                    (f"queue claim from 0 ({size:,} posts, 1,000 new)", CLAIM_SQL,
                     {"model": model, "floor": 0}),
                    (f"queue claim from the floor ({size:,} posts, 1,000 new)", CLAIM_SQL,
                     {"model": model, "floor": floor}),
                ):  # fmt: skip
                    plan = connection.execute(
                        text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"), params
                    ).scalars()
                    explain.append(f"== {title}\n" + "\n".join(plan) + "\n")
        engine.dispose()
        print(f"trends at {size:,} posts: {result}", file=sys.stderr)
        return result


def _label_series_sql(session: Any, model: int, first: date, last: date) -> str:
    """The SQL of trends.label_series, with literal parameters, for EXPLAIN."""
    from cohesion.store.effective import effective_labels, flag_sum
    from cohesion.taxonomy import LABELS
    from sqlalchemy import Integer, func, select

    e = effective_labels("postgresql", model, first, last)
    query = select(
        e.c.week_start,
        func.sum(e.c.assessed).cast(Integer),
        flag_sum(e),
        *(flag_sum(e, label) for label in LABELS),
    ).group_by(e.c.week_start)
    return str(
        query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--posts", type=int, default=10_000, help="posts for the worker part")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--trend-sizes", type=int, nargs="+", default=[320_000, 1_000_000])
    parser.add_argument("--skip", nargs="*", default=[], choices=["workers", "import", "trends"])
    args = parser.parse_args(argv)
    base = (
        args.postgres
        or os.environ.get("COHESION_BENCH_DATABASE_URL")
        or os.environ.get("COHESION_TEST_DATABASE_URL")
    )
    if not base:
        print("bench_scale: no PostgreSQL (set COHESION_BENCH_DATABASE_URL); nothing measured")
        print(json.dumps({"benchmark": "scale", "results": {}, "skipped": "no PostgreSQL"}))
        return 0
    os.environ.setdefault("COHESION_PSEUDONYM_KEY", KEY)
    results: dict[str, Any] = {}
    explain: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        if "import" not in args.skip:
            results["import"] = bench_import(base, args.import_rows, tmp)
        if "workers" not in args.skip:
            results["classify_workers"] = bench_workers(base, args.posts, tmp)
        if "trends" not in args.skip:
            sizes = sorted(args.trend_sizes)
            results["trends"] = {
                str(size): bench_trends_at(base, size, explain if size == sizes[-1] else None)
                for size in sizes
            }
            small, large = results["trends"][str(sizes[0])], results["trends"][str(sizes[-1])]
            for key in ("weekly_trend_query_s", "weekly_trend_query_jit_off_s",
                        "weekly_trend_query_rollup_s",
                        "queue_claim_from_0_s", "queue_claim_from_floor_s"):  # fmt: skip
                if small[key]:
                    results["trends"][f"{key}_growth"] = round(large[key] / small[key], 2)
    if explain:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "scale-explain.txt").write_text("\n".join(explain))
    _print_table(results)
    print(json.dumps({"benchmark": "scale", "results": results}))
    return 0


def _print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Scale on PostgreSQL")
    table.add_column("measure")
    table.add_column("value", justify="right")

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            table.add_row(prefix, f"{value:,}" if isinstance(value, int | float) else str(value))

    walk("", results)
    Console(stderr=True).print(table)


if __name__ == "__main__":
    raise SystemExit(main())
