"""`cohesion classify` on a database of 100k stored posts (SQLite), end to end.

Loads the posts through the store's upsert (not timed), then times jobs.classify_stored
with the default model: reading batches, predicting, writing classifications and their
tags. The local reference measured in the same run is the model's own predict() on the
same texts with no database, so the difference is what the store costs.

Run: `python benchmarks/bench_classify_db.py [--posts N]`; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

from bench_classify import synthetic_posts  # noqa: E402
from cohesion import classify  # noqa: E402
from cohesion.config import Settings  # noqa: E402
from cohesion.runtime import Runtime, classify_stored  # noqa: E402
from cohesion.store.engine import session_scope  # noqa: E402
from cohesion.store.migrate import upgrade  # noqa: E402
from cohesion.store.posts import PostRecord, upsert_posts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    texts = synthetic_posts(args.posts)
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {"database": {"url": f"sqlite:///{tmp}/bench.db"}, "locality": {"timezone": "UTC"}}
        )
        runtime = Runtime.from_settings(settings, require_schema=False)
        upgrade(runtime.engine)
        with session_scope(runtime.sessions) as session:
            upsert_posts(
                session,
                (
                    PostRecord(
                        platform="rss",
                        external_id=str(i),
                        text=text,
                        created_at=t0 + timedelta(seconds=30 * i),
                    )
                    for i, text in enumerate(texts)
                ),
            )
        start = time.perf_counter()
        result = classify_stored(runtime, batch_size=1000)
        db_seconds = time.perf_counter() - start
        runtime.close()
    model = classify.load_model()
    start = time.perf_counter()
    model.predict(texts)
    predict_seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results = {
        "cohesion_classify_posts_per_s": result.classified / db_seconds,
        "model_predict_only_posts_per_s": args.posts / predict_seconds,
        "peak_mb": peak,
    }
    print(f"cohesion classify on {args.posts:,} stored posts (SQLite, default model)")
    for name, value in results.items():
        print(f"  {name:36s} {value:12,.1f}")
    print(json.dumps({"benchmark": "classify_db", "posts": args.posts, "results": results}))


if __name__ == "__main__":
    main()
