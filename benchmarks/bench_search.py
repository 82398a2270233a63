"""Search latency at scale: the full-text index against a LIKE scan of the same posts.

    python benchmarks/bench_search.py [--posts 1000000] [--postgres URL] [--repeat 20]

Builds `--posts` posts of generated local talk (a Zipf-distributed vocabulary of 3,000
words, 12 to 40 words a post, a few planted phrases) on SQLite and, when --postgres,
$COHESION_BENCH_DATABASE_URL or $COHESION_TEST_DATABASE_URL names a server, on
PostgreSQL (in a scratch schema, dropped afterwards). Loading is not timed. Then for a
set of queries (a common word, a rare word, a phrase, a prefix, OR, NOT) it times what
the review app's search page runs: `store.search.search` (the count of all matches and
the newest 50 with highlights), `--repeat` times each, and the same page through a
`LIKE '%word%'` scan of the posts (what one would write without the index). p50 and p95
in milliseconds, per backend. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.search import SearchFilters, search
from cohesion.store.search_syntax import parse_query
from scratch import pg_schema
from sqlalchemy import Engine, text

VOCABULARY = 3_000
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
# Words the queries look for, planted at known rates beside the generated vocabulary.
PLANTED = {
    "commission": 0.02,  # common: ~2% of posts
    "okafor": 0.0005,  # rare: ~1 in 2,000
}
PHRASE = "county clerk"  # planted as a phrase in ~0.5% of posts
QUERIES = {
    "common word": ("commission", "%commission%"),
    "rare word": ("okafor", "%okafor%"),
    "phrase": ('"county clerk"', "%county clerk%"),
    "prefix": ("commiss*", "%commiss%"),
    "OR": ("okafor OR clerk", None),
    "NOT": ("commission -clerk", None),
}
PAGE = 50


def words(rng: random.Random) -> list[str]:
    syllables = ["ba", "ko", "ri", "ten", "lo", "mar", "vi", "sel", "du", "an", "qui", "ros"]
    seen: set[str] = set()
    while len(seen) < VOCABULARY:
        seen.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(seen)


def posts(count: int, seed: int = 20261207) -> Iterator[tuple[int, str, str, str]]:
    """(id, platform, created_at ISO, text) of generated posts, oldest first."""
    rng = random.Random(seed)
    vocab = words(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    cumulative = list(_accumulate(weights))
    platforms = ("reddit", "mastodon", "bluesky", "telegram", "fourchan", "rss", "discourse")
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    step = DAYS * 86_400 / count
    for n in range(1, count + 1):
        body = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(12, 40))
        for word, rate in PLANTED.items():
            if rng.random() < rate:
                body.insert(rng.randrange(len(body)), word)
        if rng.random() < 0.005:
            body.insert(rng.randrange(len(body)), PHRASE)
        created = start + timedelta(seconds=n * step)
        yield n, rng.choice(platforms), created.isoformat(), " ".join(body)


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def load(engine: Engine, count: int) -> None:
    """Posts straight into the table (the schema's triggers and generated column build
    the index, as they do for crawled posts)."""
    rows = (
        {
            "id": n,
            "platform": platform,
            "external_id": str(n),
            "created_at": created,
            "week_start": (
                datetime.fromisoformat(created).date()
                - timedelta(days=datetime.fromisoformat(created).weekday())
            ),
            "collected_at": created,
            "text": body,
            "content_hash": f"{n:064x}",
        }
        for n, platform, created, body in posts(count)
    )
    insert = text(
        "INSERT INTO posts (id, platform, external_id, created_at, week_start, collected_at,"
        " text, content_hash, engagement, places)"
        " VALUES (:id, :platform, :external_id, :created_at, :week_start, :collected_at,"
        " :text, :content_hash, '{}', '[]')"
    )
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                connection.execute(insert, batch)
                batch.clear()
        if batch:
            connection.execute(insert, batch)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE posts"))


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    fn()  # warm the cache: the figures are for a server in use
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return {"p50_ms": round(statistics.median(seconds) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def like_page(engine: Engine, pattern: str) -> Callable[[], Any]:
    like = "LIKE" if engine.dialect.name == "sqlite" else "ILIKE"  # SQLite's LIKE folds case

    def run() -> Any:
        with engine.connect() as connection:
            total = connection.execute(
                text(f"SELECT count(*) FROM posts WHERE text {like} :p"), {"p": pattern}
            ).scalar_one()
            page = connection.execute(
                text(
                    f"SELECT id, text FROM posts WHERE text {like} :p "
                    "ORDER BY created_at DESC, id DESC LIMIT :n"
                ),  # fmt: skip
                {"p": pattern, "n": PAGE},
            ).all()
            return total, page

    return run


def bench(engine: Engine, repeat: int) -> dict[str, Any]:
    sessions = make_session_factory(engine)
    results: dict[str, Any] = {}
    for name, (query, pattern) in QUERIES.items():
        node = parse_query(query)

        def indexed(node: Any = node) -> Any:
            with session_scope(sessions) as session:
                return search(session, node, SearchFilters(), None, limit=PAGE)

        row: dict[str, Any] = {"matches": indexed().total, **timed(indexed, repeat)}
        if pattern is not None:
            row["like"] = timed(like_page(engine, pattern), max(3, repeat // 4))
        results[name] = row
    return results


def sqlite_run(count: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cohesion-search-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'search.db'}"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        load(engine, count)
        loaded = time.perf_counter() - started
        size = (Path(tmp) / "search.db").stat().st_size
        result = {
            "load_s": round(loaded, 1),
            "db_mb": round(size / 1e6, 1),
            **bench(engine, repeat),
        }
        engine.dispose()
        # A reference from the same machine and moment: raw sqlite3 reading the table.
        with sqlite3.connect(Path(tmp) / "search.db") as raw:
            started = time.perf_counter()
            raw.execute("SELECT count(*) FROM posts WHERE length(text) > 0").fetchone()
            result["raw_full_scan_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result


def postgres_run(base: str, count: int, repeat: int) -> dict[str, Any]:
    with pg_schema(base) as url:
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        load(engine, count)
        loaded = time.perf_counter() - started
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_total_relation_size('posts')")).scalar_one()
        result = {
            "load_s": round(loaded, 1),
            "db_mb": round(size / 1e6, 1),
            **bench(engine, repeat),
        }
        engine.dispose()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    base = (
        args.postgres
        or os.environ.get("COHESION_BENCH_DATABASE_URL")
        or os.environ.get("COHESION_TEST_DATABASE_URL")
    )
    results: dict[str, Any] = {"posts": args.posts, "sqlite": sqlite_run(args.posts, args.repeat)}
    print(f"sqlite: {json.dumps(results['sqlite'], indent=1)}")
    if base:
        results["postgresql"] = postgres_run(base, args.posts, args.repeat)
        print(f"postgresql: {json.dumps(results['postgresql'], indent=1)}")
    else:
        print("postgresql: skipped (no --postgres, $COHESION_BENCH_DATABASE_URL or "
              "$COHESION_TEST_DATABASE_URL)")  # fmt: skip
    print(json.dumps({"benchmark": "search", "results": results}))


if __name__ == "__main__":
    main()
