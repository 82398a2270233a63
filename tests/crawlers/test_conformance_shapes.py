"""Issue #15 item 8: conformance on shapes the shared recordings do not show.

The project's own fixtures (tests/fixtures/platforms, written in each platform's
schema) are laid out as recordings the way ../shared/fixtures/platforms is, with
serve_paths that a third-party client made (other `limit`s, `raw_json`, an explicit
`filter`) and file names holding `#`, `?` and spaces (each case's SQLite database lives
in a folder named after its recording). The same planner, loopback server and checks
as test_conformance.py then run on them: a Bluesky author feed with a pinned post,
replies (one to a deleted post) and a repost; Reddit's subreddit-wide comments
listing; a Discourse `latest.json` topic list without `post_stream`, whose topics must
be followed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.crawlers.conformance import bluesky, discourse, reddit
from tests.crawlers.helpers import FIXTURES
from tests.crawlers.mockserver import MockServer, Reply
from tests.crawlers.test_conformance import (
    Case,
    check_crawled_whole,
    crawl_recordings,
    recording_id,
    recordings,
)

JSON = "application/json; charset=utf-8"
# (recording file under the laid-out root, project fixture, host, serve_path)
SHAPES = [
    (
        "bluesky/getAuthorFeed marlowclerk#replies.json",
        "bluesky/getAuthorFeed_marlowclerk_replies.json",
        "bsky.social",
        "/xrpc/app.bsky.feed.getAuthorFeed?actor=marlowclerk.bsky.social"
        "&filter=posts_with_replies&limit=30",
    ),
    (
        "reddit/r_marlowcounty_comments?raw_json=1.json",
        "reddit/r_marlowcounty_comments.json",
        "oauth.reddit.com",
        "/r/marlowcounty/comments.json?limit=25&raw_json=1",
    ),
    (
        "discourse/latest #no post_stream.json",
        "discourse/latest.json",
        "forum.marlowcounty.example",
        "/latest.json?no_definitions=true",
    ),
    (
        "discourse/t_301 ?first chunk.json",
        "discourse/t_301.json",
        "forum.marlowcounty.example",
        "/t/301.json",
    ),
]


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("recordings")
    for name, fixture, host, serve_path in SHAPES:
        body = root / name
        body.parent.mkdir(exist_ok=True)
        body.write_bytes((FIXTURES / fixture).read_bytes())
        meta = {"host": host, "serve_path": serve_path, "content_type": JSON}
        body.with_name(body.name + ".meta.json").write_text(json.dumps(meta))
    return root


@pytest.fixture(scope="module")
def crawled(laid_out: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    return crawl_recordings(recordings(laid_out), laid_out, tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("name", [shape[0] for shape in SHAPES])
def test_shape_is_crawled_whole(name: str, crawled: dict[str, Case]) -> None:
    case = crawled[name]
    check_crawled_whole(case)  # read from the database whose path holds # ? and spaces
    database = Path(make_url(case.settings.database.url).database or "")
    assert database.is_file()
    assert all(odd in database.parent.name for odd in "#? " if odd in name), database


def test_the_shapes_need_the_new_planner_branches(laid_out: Path) -> None:
    """What each plan asks of the spider, read from the bodies."""
    [author, comments, latest, topic] = [laid_out / name for name, *_ in SHAPES]

    def load(path: Path) -> tuple[dict[str, object], bytes]:
        meta = json.loads(path.with_name(path.name + ".meta.json").read_text())
        return meta, path.read_bytes()

    feed_ids = [e.external_id for e in bluesky.expected(*load(author))]
    assert len(feed_ids) == 5 and any("3mneigh00009" in i for i in feed_ids)  # the repost
    plan = reddit.plan(*load(comments))
    assert plan.options["comments"] is True and len(reddit.expected(*load(comments))) == 2
    plan = discourse.plan(*load(latest))
    assert discourse.expected(*load(latest)) == []
    assert plan.follows == ["/t/302.json", "/t/301.json"]
    assert [e.external_id for e in discourse.expected(*load(topic))][:1] == [
        "forum.marlowcounty.example/t/301/1"
    ]
    assert recording_id(author, laid_out) == SHAPES[0][0]


@pytest.mark.parametrize(
    ("recorded", "asked", "served"),
    [
        ("/f?actor=a&limit=30", "/f?actor=a&limit=100", True),  # limit only sizes it
        ("/f?actor=a&raw_json=1", "/f?actor=a", True),
        ("/f?actor=a", "/f?actor=a&sort=latest&limit=5", True),  # the client may add
        ("/f?actor=a", "/f?actor=b", False),  # another account
        ("/f?actor=a&filter=posts_with_media", "/f?actor=a", False),
        ("/f?before=", "/f", True),  # blank is absent
        ("/f?limit=100", "/f?limit=100&after=t3_x", False),  # page 2 is not page 1
        ("/f?limit=100&before=t3_x", "/f?limit=100", False),
        ("/f?max_id=9&limit=20", "/f?limit=40&max_id=9", True),
    ],
)
def test_recorded_routes_agree_on_content_parameters(recorded: str, asked: str,
                                                     served: bool) -> None:  # fmt: skip
    import httpx

    with MockServer() as server:
        server.add(recorded, Reply.json({"ok": True}), recorded=True)
        answer = httpx.get(server.url + asked)
    assert (answer.status_code == 200) is served
