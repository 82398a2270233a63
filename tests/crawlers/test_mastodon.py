"""Mastodon end to end: hashtag paging by Link header, boosts, uri dedupe, cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cohesion.crawlers.run import crawl_sources

from tests.crawlers.helpers import (
    FAST,
    fixture_bytes,
    make_settings,
    pseudonym,
    source_state,
    stored_id,
    stored_posts,
)
from tests.crawlers.mockserver import MockServer, Reply

JSON = {"Content-Type": "application/json; charset=utf-8"}
TAG = "/api/v1/timelines/tag/marlowcounty"
NEXT = (
    f'<https://marlow.social{TAG}?limit=40&max_id=112000000000000003>; rel="next", '
    f'<https://marlow.social{TAG}?limit=40&min_id=112000000000000005>; rel="prev"'
)


def serve(server: MockServer) -> None:
    server.add(
        f"{TAG}?limit=40",
        Reply(200, {**JSON, "Link": NEXT}, fixture_bytes("mastodon", "tag_marlowcounty_p1.json")),
    )
    server.add(
        f"{TAG}?limit=40&max_id=112000000000000003",
        Reply(200, JSON, fixture_bytes("mastodon", "tag_marlowcounty_p2.json")),
    )
    server.add(
        "/api/v1/timelines/public?local=true&limit=40",
        Reply(200, JSON, fixture_bytes("mastodon", "public_local.json")),
    )


def test_mastodon_crawl_is_exact_incremental_and_idempotent(tmp_path: Path) -> None:
    with MockServer() as server:
        serve(server)
        settings = make_settings(
            tmp_path,
            [
                {
                    "name": "marlow-tag",
                    "platform": "mastodon",
                    "base_url": server.url,
                    "hashtags": ["marlowcounty"],
                },
                {
                    "name": "marlow-local",
                    "platform": "mastodon",
                    "base_url": server.url,
                    "timelines": ["local"],
                },
            ],
        )
        first = {s.name: s for s in crawl_sources(settings, scrapy_overrides=FAST)}
        assert first["marlow-tag"].status == "ok", first["marlow-tag"].message
        assert (first["marlow-tag"].pages, first["marlow-tag"].items) == (2, 6)
        assert (first["marlow-tag"].new, first["marlow-tag"].duplicate) == (5, 1)
        # The public timeline is broad: the post naming no place is dropped and counted.
        assert (first["marlow-local"].new, first["marlow-local"].not_local) == (1, 1)

        posts = stored_posts(settings)
        alice, bob = (
            pseudonym("mastodon", "alice@marlow.social"),
            pseudonym("mastodon", "bob@marlow.social"),
        )
        carol_uri = "https://other.example/users/carol/statuses/555"
        uris = {
            "https://marlow.social/users/alice/statuses/112000000000000005",
            carol_uri,
            "https://marlow.social/users/alice/statuses/112000000000000003",
            "https://marlow.social/users/bob/statuses/112000000000000002",
            "https://marlow.social/users/bob/statuses/112000000000000001",
            "https://marlow.social/users/bob/statuses/112000000000000010",
        }
        # Status URIs name their accounts: the store keeps their keyed hashes.
        assert set(posts) == {stored_id("mastodon", uri) for uri in uris}
        road = posts["https://marlow.social/users/alice/statuses/112000000000000005"]
        assert (
            road["text"]
            == "Road closure on Main St in Ashford tonight.\nDetour via Brindle Creek Rd."
        )
        assert road["created_at"].replace(tzinfo=UTC) == datetime(2024, 3, 4, 15, 30, tzinfo=UTC)
        assert road["link"] == "https://marlow.social/@alice/112000000000000005"
        assert road["author"] == alice and road["places"] == ["Ashford", "Brindle Creek"]
        # A boost is stored as the boosted status, by its author, once.
        carol = posts[carol_uri]
        assert carol["text"] == "Marlow County board meets Tuesday.\n\nAgenda: budget & roads"
        assert carol["author"] == pseudonym("mastodon", "carol@other.example")
        assert carol["link"] == "https://other.example/@carol/555"
        quoted = posts["https://marlow.social/users/alice/statuses/112000000000000003"]
        assert quoted["text"] == "Agree with this about Fairhaven <3"
        assert quoted["title"] == "local politics"
        assert quoted["created_at"].replace(tzinfo=UTC) == datetime(
            2024, 3, 4, 13, 5, 10, 123000, tzinfo=UTC
        )
        reply = posts["https://marlow.social/users/bob/statuses/112000000000000002"]
        assert reply["text"] == "@alice thanks, see you in Ashford" and reply["author"] == bob
        assert reply["parent_id"] == stored_id(
            "mastodon", "https://marlow.social/users/alice/statuses/112000000000000003"
        )
        poll = posts["https://marlow.social/users/bob/statuses/112000000000000001"]
        assert poll["text"] == "Best park in Marlow County?\n- Riverside\n- Old Mill"

        cursor, runs = source_state(settings, "marlow-tag")
        assert cursor == {"tag:marlowcounty": "112000000000000005"}
        assert runs[-1]["status"] == "ok" and runs[-1]["items_new"] == 5

        # Second run: asks only for statuses newer than the cursor; nothing new.
        server.add(f"{TAG}?limit=40&since_id=112000000000000005", Reply(200, JSON, b"[]"))
        server.add(
            "/api/v1/timelines/public?local=true&limit=40&since_id=112000000000000010",
            Reply(200, JSON, b"[]"),
        )
        second = {s.name: s for s in crawl_sources(settings, scrapy_overrides=FAST)}
        assert all(s.status == "ok" and s.new == 0 and s.pages == 1 for s in second.values())
        assert len(stored_posts(settings)) == 6
        assert source_state(settings, "marlow-tag")[0] == cursor

        # Third run: one new status arrives above the cursor.
        server.routes[-2].replies = [
            Reply(200, JSON, fixture_bytes("mastodon", "tag_marlowcounty_new.json"))
        ]
        third = crawl_sources(settings, names=["marlow-tag"], scrapy_overrides=FAST)
        assert (third[0].new, third[0].status) == (1, "ok")
        assert source_state(settings, "marlow-tag")[0] == {"tag:marlowcounty": "112000000000000006"}
        assert [r.path for r in server.hits(TAG)][
            -1
        ] == f"{TAG}?limit=40&since_id=112000000000000005"
