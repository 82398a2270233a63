"""Rule 5 (docs/watchlist.md): "you" in a reply to an entry's own account names it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cohesion import classify
from cohesion.config import Settings, WatchlistEntry
from cohesion.crawlers.pipelines import account_key, watchlist_accounts
from cohesion.crawlers.spiders.bluesky import _did_of
from cohesion.crawlers.spiders.mastodon import reply_to_handle
from cohesion.jobs.classify import classify_stored
from cohesion.runtime import Runtime
from cohesion.store.engine import session_scope
from cohesion.store.migrate import upgrade
from cohesion.store.models import ClassificationTag
from cohesion.store.posts import PostRecord, upsert_posts
from sqlalchemy import select

CLERK = {
    "name": "County Clerk",
    "kind": "role",
    "aliases": ["clerk's office"],
    "accounts": ["mastodon:@CountyClerk@marlow.social", "bluesky:did:plc:clerk123"],
}
THREAT = "You rigged it and you will hang for it. We know where to find you."


def test_mastodon_reply_names_the_account_it_answers() -> None:
    status = {
        "in_reply_to_account_id": "42",
        "mentions": [
            {"id": "7", "acct": "someone@else.social", "url": "https://else.social/@someone"},
            {"id": "42", "acct": "CountyClerk", "url": "https://marlow.social/@CountyClerk"},
        ],
    }
    assert reply_to_handle(status) == "CountyClerk@marlow.social"
    assert reply_to_handle({"in_reply_to_account_id": None, "mentions": []}) is None


def test_bluesky_reply_names_the_parent_authors_did() -> None:
    assert _did_of("at://did:plc:clerk123/app.bsky.feed.post/3kabc") == "did:plc:clerk123"
    assert _did_of(None) is None


def test_configured_accounts_map_case_insensitively_to_their_entry() -> None:
    accounts = watchlist_accounts([WatchlistEntry.model_validate(CLERK)])
    assert accounts[account_key("mastodon", "countyclerk@MARLOW.social")] == "County Clerk"
    assert accounts[account_key("bluesky", "did:plc:clerk123")] == "County Clerk"
    assert account_key("mastodon", "someone@else.social") not in accounts


def test_the_model_names_the_addressed_entry_only_when_spoken_to() -> None:
    model = classify.load_model(None, watchlist=[CLERK])
    spoken_to, not_addressed, no_you = model.predict(
        [THREAT, THREAT, "Thanks for the quick answer, the forms are in."],
        addressed=["County Clerk", None, "County Clerk"],
    )
    assert spoken_to.watchlist == ["County Clerk"]
    assert "threat" in spoken_to.flags and "staff" in spoken_to.threat_targets
    assert "anti_government" in spoken_to.flags
    hit = next(e for e in spoken_to.evidence if e.reason == "names watchlist role County Clerk")
    assert THREAT[hit.start : hit.end] == "You"
    assert not_addressed.watchlist == []
    assert no_you.watchlist == [] and no_you.flags == []


def test_classify_job_tags_replies_to_a_watchlisted_account(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"database": {"url": f"sqlite:///{tmp_path / 'c.db'}"}, "watchlist": [CLERK]}
    )
    runtime = Runtime.from_settings(settings, require_schema=False)
    upgrade(runtime.engine)
    with session_scope(runtime.sessions) as session:
        upsert_posts(
            session,
            [
                PostRecord(
                    platform="mastodon",
                    external_id="https://marlow.social/statuses/1",
                    text=THREAT,
                    created_at=datetime(2026, 11, 18, tzinfo=UTC),
                    addressed_watchlist="County Clerk",
                )
            ],
        )
    try:
        result = classify_stored(runtime)
        assert result.classified == 1
        with session_scope(runtime.sessions) as session:
            tags = {(t.kind, t.value) for t in session.scalars(select(ClassificationTag))}
    finally:
        runtime.close()
    assert ("watchlist", "County Clerk") in tags
    assert ("threat_target", "staff") in tags


@pytest.mark.parametrize("account", ["mastodon", "nocolon", "x:"])
def test_accounts_without_a_handle_are_ignored(account: str) -> None:
    entry = WatchlistEntry.model_validate({**CLERK, "accounts": [account]})
    assert watchlist_accounts([entry]) == {}
