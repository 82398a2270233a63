"""Ingestion: 100k synthetic posts through the store's upsert, beside raw sqlite3.

Both paths write the same rows into a fresh, migrated SQLite file in the same run, so
the ratio says what the store's idempotent upsert (author rows, week computation,
hashing, ON CONFLICT, RETURNING) costs over the fastest plain insert. With
COHESION_BENCH_DATABASE_URL (or COHESION_TEST_DATABASE_URL) set, the upsert (and the
same rows sent again) is also measured on that PostgreSQL server beside a raw `COPY`
of the same rows into posts, each in a scratch schema that is dropped afterwards.

Import: `cohesion import` (crawlers/imports.py: parsing, cleaning, language detection,
gazetteer, pseudonyms, the upsert) of a JSONL file of `--import-rows` rows without a
language field, beside raw sqlite3 executemany (SQLite) and raw COPY (PostgreSQL) of the
same rows, in the same run; and the same file imported again (every row a duplicate).

`--copy-threshold` measures instead, on PostgreSQL, the time of one upsert call of 1 to
128 new posts through each of the store's two PostgreSQL paths (multi-row VALUES and
COPY through a staging table; commit excluded), which is how cohesion.store.posts.COPY_MIN_ROWS
was chosen.

Run: `python benchmarks/bench_ingest.py [--posts N] [--import-rows N] [--copy-threshold]`; the last line
is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo  # noqa: E402

import cohesion.store.posts  # noqa: E402
from cohesion.store.engine import make_engine, make_session_factory, session_scope  # noqa: E402
from cohesion.store.migrate import upgrade  # noqa: E402
from cohesion.store.posts import PostRecord, upsert_posts  # noqa: E402
from cohesion.store.text import content_hash  # noqa: E402
from cohesion.weeks import week_start  # noqa: E402
from scratch import pg_schema  # noqa: E402
from sqlalchemy import text  # noqa: E402

WORDS = "county commission meeting budget road school board vote clerk sheriff park library".split()


def synthetic_posts(n: int) -> list[PostRecord]:
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    return [
        PostRecord(
            platform="mastodon",
            external_id=str(1_000_000 + i),
            text=" ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(25)) + f" #{i}",
            created_at=t0 + timedelta(seconds=37 * i),
            url=f"https://example.social/@u{i % 5000}/{1_000_000 + i}",
            author_pseudonym=f"{(i % 5000):024x}",
            engagement={"favourites": i % 13, "reblogs": i % 3},
            places=["Olathe"] if i % 4 == 0 else [],
        )
        for i in range(n)
    ]


def time_upsert(url: str, posts: list[PostRecord], batch: int = 5000) -> float:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    start = time.perf_counter()
    for offset in range(0, len(posts), batch):
        with session_scope(factory) as session:
            upsert_posts(session, posts[offset : offset + batch], "America/Chicago")
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def time_raw_sqlite(path: Path, posts: list[PostRecord], batch: int = 5000) -> float:
    """The same rows and columns with sqlite3.executemany: no authors, no conflict check."""
    zone = ZoneInfo("America/Chicago")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, platform TEXT, external_id TEXT, url TEXT,"
        " author TEXT, created_at TEXT, week_start TEXT, collected_at TEXT, text TEXT,"
        " content_hash TEXT, engagement TEXT, places TEXT, UNIQUE(platform, external_id))"
    )
    now = datetime.now(UTC).isoformat()
    start = time.perf_counter()
    for offset in range(0, len(posts), batch):
        rows = [
            (
                p.platform,
                p.external_id,
                p.url,
                p.author_pseudonym,
                p.created_at.isoformat(),
                week_start(p.created_at, zone).isoformat(),
                now,
                p.text,
                content_hash(p.text),
                json.dumps(p.engagement),
                json.dumps(p.places),
            )
            for p in posts[offset : offset + batch]
        ]
        connection.executemany(
            "INSERT INTO posts (platform, external_id, url, author, created_at, week_start,"
            " collected_at, text, content_hash, engagement, places)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        connection.commit()
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def time_raw_copy(url: str, posts: list[PostRecord], batch: int = 5000) -> float:
    """The same rows and columns with COPY into posts: no authors, no conflict check."""
    zone = ZoneInfo("America/Chicago")
    engine = make_engine(url)
    upgrade(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        now = datetime.now(UTC)
        start = time.perf_counter()
        for offset in range(0, len(posts), batch):
            with cursor.copy(
                "COPY posts (platform, external_id, url, created_at, week_start, collected_at,"
                " text, content_hash, engagement, places) FROM STDIN"
            ) as copy:
                for p in posts[offset : offset + batch]:
                    copy.write_row(
                        (
                            p.platform,
                            p.external_id,
                            p.url,
                            p.created_at,
                            week_start(p.created_at, zone),
                            now,
                            p.text,
                            content_hash(p.text),
                            json.dumps(p.engagement),
                            json.dumps(p.places),
                        )
                    )
            raw.commit()
        elapsed = time.perf_counter() - start
    finally:
        raw.close()
        engine.dispose()
    return elapsed


IMPORT_WORDS = (
    "council school road budget park library water tax meeting vote police mayor clerk "
    "ballots rigged traitors stolen tyranny mandate invasion replace shame corrupt Ashford"
).split()


def import_file_rows(path: Path, rows: int) -> list[dict[str, Any]]:
    """A JSONL file in the post schema (no language field: it is detected), its rows."""
    start = datetime(2026, 9, 1, tzinfo=UTC)
    records = []
    with path.open("w", encoding="utf-8") as handle:
        for n in range(rows):
            w = IMPORT_WORDS
            record = {
                "platform": "forum",
                "external_id": f"i{n}",
                "text": f"{w[n % 24]} {w[(n // 24) % 24]} meeting in Ashford about the "
                f"{w[(n // 576) % 24]} budget and the {w[(n * 7) % 24]} vote, post {n}",
                "created_at": (start + timedelta(minutes=n)).isoformat(),
                "author": f"user{n % 2000}",
                "url": f"https://forum.example/p/{n}",
                "engagement": {"likes": n % 7},
            }
            handle.write(json.dumps(record) + "\n")
            records.append(record)
    return records


def time_import(url: str, path: Path) -> tuple[float, float]:
    """Seconds of `cohesion import` of the file into a fresh store, and of importing it again."""
    from cohesion.config import Settings
    from cohesion.crawlers.imports import import_file
    from cohesion.store.pseudonyms import Pseudonymiser

    settings = Settings.model_validate(
        {
            "locality": {
                "name": "Bench",
                "timezone": "UTC",
                "places": [{"name": "Ashford", "kind": "city"}],
            }
        }  # fmt: skip
    )
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    pseudonymiser = Pseudonymiser(b"bench-ingest-pseudonym-key-0123456789")
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        import_file(path, settings=settings, sessions=sessions, pseudonymiser=pseudonymiser)
        seconds.append(time.perf_counter() - started)
    engine.dispose()
    return seconds[0], seconds[1]


def as_posts(records: list[dict[str, Any]]) -> list[PostRecord]:
    """The file's rows as the raw references write them (no cleaning, no language)."""
    return [
        PostRecord(
            platform=r["platform"],
            external_id=r["external_id"],
            text=r["text"],
            created_at=datetime.fromisoformat(r["created_at"]),
            url=r["url"],
            author_pseudonym=r["author"],
            engagement=r["engagement"],
        )
        for r in records
    ]


def copy_threshold(base: str, rounds: int = 5) -> dict[str, dict[str, float]]:
    """ms per upsert call of n new posts, VALUES path vs COPY path (best of `rounds`)."""
    sizes = [1, 2, 4, 8, 16, 32, 64, 128]
    posts = synthetic_posts(rounds * 2 * sum(max(10, 200 // n) * n for n in sizes))
    used = 0
    best: dict[str, dict[str, float]] = {str(n): {} for n in sizes}
    with pg_schema(base) as url:
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        for n in sizes:
            calls = max(10, 200 // n)
            for _ in range(rounds):
                for path, threshold in (("values", 10**9), ("copy", 1)):
                    cohesion.store.posts.COPY_MIN_ROWS = threshold
                    spent = 0.0
                    for _ in range(calls):
                        with session_scope(factory) as session:
                            session.execute(text("SELECT 1"))  # the transaction is open
                            started = time.perf_counter()
                            upsert_posts(session, posts[used : used + n], "America/Chicago")
                            spent += time.perf_counter() - started
                        used += n
                    ms = spent / calls * 1000
                    best[str(n)][path] = min(best[str(n)].get(path, ms), ms)
            print(f"  {n:4d} posts: VALUES {best[str(n)]['values']:6.2f} ms"
                  f"   COPY {best[str(n)]['copy']:6.2f} ms", flush=True)  # fmt: skip
        engine.dispose()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="rows of the import measurement (0: none)"
    )
    parser.add_argument(
        "--copy-threshold", action="store_true", help="time small upserts on each PG path"
    )
    args = parser.parse_args()
    pg_url = os.environ.get("COHESION_BENCH_DATABASE_URL") or os.environ.get(
        "COHESION_TEST_DATABASE_URL"
    )
    if args.copy_threshold:
        if not pg_url:
            parser.error("--copy-threshold needs COHESION_BENCH_DATABASE_URL")
        print("one upsert call of n new posts on PostgreSQL (commit excluded, best of 5)")
        sizes = copy_threshold(pg_url)
        print(json.dumps({"benchmark": "ingest_copy_threshold", "results": sizes}))
        return
    posts = synthetic_posts(args.posts)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        upsert_s = time_upsert(f"sqlite:///{tmp}/store.db", posts)
        raw_s = raw_s_upsert = time_raw_sqlite(Path(tmp) / "raw.db", posts)
        again_s = time_upsert(f"sqlite:///{tmp}/store.db", posts)
    results["sqlite_upsert_rows_per_s"] = args.posts / upsert_s
    results["sqlite_reupsert_rows_per_s"] = args.posts / again_s
    results["raw_sqlite3_executemany_rows_per_s"] = args.posts / raw_s
    if pg_url:
        with pg_schema(pg_url) as url:
            pg_s = time_upsert(url, posts)
            pg_again_s = time_upsert(url, posts)
        with pg_schema(pg_url) as url:
            copy_s = copy_s_upsert = time_raw_copy(url, posts)
        results["postgresql_upsert_rows_per_s"] = args.posts / pg_s
        results["postgresql_reupsert_rows_per_s"] = args.posts / pg_again_s
        results["raw_postgresql_copy_rows_per_s"] = args.posts / copy_s
    if args.import_rows:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "import.jsonl"
            rows = as_posts(import_file_rows(path, args.import_rows))
            import_s, reimport_s = time_import(f"sqlite:///{tmp}/import.db", path)
            raw_s = time_raw_sqlite(Path(tmp) / "import-raw.db", rows)
            results["sqlite_import_rows_per_s"] = args.import_rows / import_s
            results["sqlite_reimport_rows_per_s"] = args.import_rows / reimport_s
            results["sqlite_import_raw_executemany_rows_per_s"] = args.import_rows / raw_s
            results["sqlite_import_vs_raw_executemany"] = raw_s / import_s
            if pg_url:
                with pg_schema(pg_url) as url:
                    import_s, reimport_s = time_import(url, path)
                with pg_schema(pg_url) as url:
                    copy_s = time_raw_copy(url, rows)
                results["postgresql_import_rows_per_s"] = args.import_rows / import_s
                results["postgresql_reimport_rows_per_s"] = args.import_rows / reimport_s
                results["postgresql_import_raw_copy_rows_per_s"] = args.import_rows / copy_s
                results["postgresql_import_vs_raw_copy"] = copy_s / import_s
    results["sqlite_upsert_vs_raw_executemany"] = raw_s_upsert / upsert_s
    if "postgresql_upsert_rows_per_s" in results:
        results["postgresql_upsert_vs_raw_copy"] = copy_s_upsert / pg_s
    print(f"ingestion of {args.posts:,} posts, import of {args.import_rows:,} rows")
    for name, value in results.items():
        # Shares of the raw reference print as percentages, rates as rows a second.
        shown = f"{value:11.1%}" if "_vs_" in name else f"{value:12,.0f}"
        print(f"  {name:40s} {shown:>12}")
    print(json.dumps({"benchmark": "ingest", "posts": args.posts, "results": results}))


if __name__ == "__main__":
    main()
