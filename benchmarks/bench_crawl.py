"""Crawl throughput: items/s end to end into SQLite, against the loopback server.

A synthetic Mastodon hashtag of N statuses (40 per page, chained by Link headers) is
served on 127.0.0.1 with throttling and delays off; one crawl stores all of it
through the full pipeline (HTML to text, language, gazetteer, pseudonyms, batched
upserts). Reports the crawl's own time and the wall time including the crawl
process start. Run: `python benchmarks/bench_crawl.py [--posts 5000]`; the last line
is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from cohesion.crawlers.run import crawl_sources  # noqa: E402

from tests.crawlers.helpers import FAST, TEST_KEY, make_settings, stored_posts  # noqa: E402
from tests.crawlers.mockserver import MockServer, Reply  # noqa: E402

PAGE = 40
TAG = "/api/v1/timelines/tag/bench"


def status(n: int) -> dict[str, object]:
    user = f"user{n % 500}"
    return {
        "id": str(10**15 + n),
        "created_at": f"2024-03-{1 + n % 28:02d}T{n % 24:02d}:00:00.000Z",
        "uri": f"https://bench.example/users/{user}/statuses/{n}",
        "url": f"https://bench.example/@{user}/{n}",
        "spoiler_text": "",
        "reblog": None,
        "content": f"<p>Post {n} about the Ashford council meeting &amp; roads.<br>"
        f"Second line with a <a href='https://x.example'>link</a>.</p>",
        "account": {
            "id": str(n % 500),
            "username": user,
            "acct": user,
            "url": f"https://bench.example/@{user}",
        },
        "in_reply_to_id": None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "poll": None,
    }


def serve(server: MockServer, posts: int) -> None:
    newest = 10**15 + posts - 1
    ids = list(range(posts - 1, -1, -1))
    for start in range(0, posts, PAGE):
        chunk = ids[start : start + PAGE]
        path = (
            f"{TAG}?limit={PAGE}"
            if start == 0
            else f"{TAG}?limit={PAGE}&max_id={newest - start + 1}"
        )
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if start + PAGE < posts:
            headers["Link"] = (
                f'<{server.url}{TAG}?limit={PAGE}&max_id={newest - start - PAGE + 1}>; rel="next"'
            )
        server.add(path, Reply(200, headers, json.dumps([status(i) for i in chunk])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("COHESION_PSEUDONYM_KEY", TEST_KEY)
    with tempfile.TemporaryDirectory() as tmp, MockServer() as server:
        serve(server, args.posts)
        settings = make_settings(
            Path(tmp),
            [
                {
                    "name": "bench",
                    "platform": "mastodon",
                    "base_url": server.url,
                    "hashtags": ["bench"],
                    "limit": PAGE,
                    "max_pages": 10_000,
                    "require_local": False,
                }
            ],
            download_delay=0,
            autothrottle=False,
        )
        started = time.perf_counter()
        [summary] = crawl_sources(settings, scrapy_overrides={**FAST, "LOG_LEVEL": "ERROR"})
        wall = time.perf_counter() - started
        stored = len(stored_posts(settings))
    result = {
        "benchmark": "crawl_throughput",
        "platform": "mastodon",
        "posts": args.posts,
        "stored": stored,
        "pages": summary.pages,
        "status": summary.status,
        "crawl_seconds": summary.seconds,
        "wall_seconds": round(wall, 2),
        "items_per_second": round(stored / summary.seconds, 1) if summary.seconds else None,
        "items_per_second_wall": round(stored / wall, 1),
        "database": "sqlite",
        "cpus": os.cpu_count(),
    }
    print(
        f"crawled {stored} posts in {summary.pages} pages: {result['items_per_second']} items/s "
        f"(crawl {summary.seconds}s; {result['items_per_second_wall']} items/s with process start)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
