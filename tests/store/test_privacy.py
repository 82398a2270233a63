"""store/privacy.py: account-bearing ids hashed, links sealed; the store refuses raw ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cohesion.reports.alerts import threat_message
from cohesion.reports.links import post_link
from cohesion.store.alerting import ThreatFlag
from cohesion.store.posts import InvalidPostError, PostRecord
from cohesion.store.privacy import (
    HASHED_ID_PREFIX,
    PostPrivacy,
    SealedLinkError,
    carries_account,
)
from cohesion.store.pseudonyms import Pseudonymiser

KEY = b"privacy-tests-instance-key-0123456789ab"
WHEN = datetime(2026, 11, 18, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "https://marlow.social/users/alice/statuses/112",
        "https://marlow.social/@alice/112",
        "at://did:plc:abcdefgh/app.bsky.feed.post/3kroot",
        "did:web:example.org",
        "https://www.tiktok.com/@fairgoer/video/1",
        "https://www.reddit.com/user/alice/comments/x/",
        "https://bsky.app/profile/alice.bsky.social/post/3k",
        "@alice",
    ],
)
def test_ids_that_name_an_account(value: str) -> None:
    assert carries_account("any", value)


@pytest.mark.parametrize(
    "value",
    ["t3_abc", "pol/1001", "marlowalerts/106", "112000000000000005", "https://pleroma.example/objects/5f2c",
     "https://forum.example/t/levy/301/2", "a@b", None, HASHED_ID_PREFIX + "0" * 40],
)  # fmt: skip
def test_ids_without_an_account(value: str | None) -> None:
    assert not carries_account("any", value)


def test_hashes_are_stable_keyed_and_per_platform() -> None:
    uri = "https://marlow.social/users/alice/statuses/112"
    one, again = PostPrivacy(KEY), PostPrivacy(KEY)
    hashed = one.stored_id("mastodon", uri)
    assert hashed == again.stored_id("mastodon", uri)
    assert hashed and hashed.startswith(HASHED_ID_PREFIX) and "alice" not in hashed
    assert hashed != PostPrivacy(b"another-instance-key-0123456789abcd").stored_id("mastodon", uri)
    assert hashed != one.stored_id("bluesky", uri)
    # Hashing twice changes nothing: an id already hashed is kept as it is.
    assert one.stored_id("mastodon", hashed) == hashed
    # Never the author's pseudonym under the same key (derived keys, not the key itself).
    assert hashed.removeprefix(HASHED_ID_PREFIX)[:24] != Pseudonymiser(KEY)("mastodon", uri)


def test_links_seal_and_open_only_with_the_key() -> None:
    link = "https://bsky.app/profile/alice.bsky.social/post/3kroot"
    privacy = PostPrivacy(KEY)
    sealed = privacy.seal(link)
    assert sealed and "alice" not in sealed and sealed != privacy.seal(link)  # fresh IV
    assert privacy.open(sealed) == link
    with pytest.raises(SealedLinkError, match="another key"):
        PostPrivacy(b"another-instance-key-0123456789abcd").open(sealed)
    with pytest.raises(SealedLinkError):
        privacy.open("not a token ☃")


def _record(**extra: object) -> PostRecord:
    fields: dict[str, object] = {
        "platform": "mastodon",
        "external_id": "https://marlow.social/users/alice/statuses/2",
        "parent_id": "https://other.example/users/bob/statuses/1",
        "thread_id": "https://other.example/users/bob/statuses/1",
        "text": "reply",
        "created_at": WHEN,
        "url": "https://marlow.social/@alice/2",
        **extra,
    }
    return PostRecord(**fields)  # type: ignore[arg-type]


def test_protect_hashes_every_id_and_seals_the_link() -> None:
    privacy = PostPrivacy(KEY)
    record = privacy.protect(_record()).validated()
    assert record.url is None and record.sealed_link
    assert privacy.open(record.sealed_link) == "https://marlow.social/@alice/2"
    assert (
        record.parent_id
        == record.thread_id
        == privacy.stored_id("mastodon", "https://other.example/users/bob/statuses/1")
    )
    assert "alice" not in record.external_id
    kept = PostPrivacy(KEY, keep_raw_links=True).protect(_record())
    assert kept.url == "https://marlow.social/@alice/2" and kept.sealed_link


@pytest.mark.parametrize("field", ["external_id", "parent_id", "thread_id"])
def test_the_store_refuses_an_id_that_names_an_account(field: str) -> None:
    fields: dict[str, object] = {"platform": "bluesky", "external_id": "3kplain", "text": "x"}
    fields[field] = "at://did:plc:abcdefgh/app.bsky.feed.post/3k"
    record = PostRecord(created_at=WHEN, **fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidPostError, match=f"{field} names an account") as refused:
        record.validated()
    assert "did:plc" not in str(refused.value)  # the error does not repeat the id


def test_reports_and_alerts_link_the_review_app_not_the_original() -> None:
    assert post_link(7, None, "https://review.example.org") == "https://review.example.org/posts/7"
    assert post_link(7, None, "") is None
    # Only with keep_raw_handles is there a clear link, and only http(s) is linked.
    assert post_link(7, "https://x.example/1", "https://r.example") == "https://x.example/1"
    assert post_link(7, "javascript:alert(1)", "") is None
    threat = ThreatFlag(7, WHEN, "county-mastodon", "a" * 24, None, "text", ("official",), ())
    message = str(threat_message("Marlow County", [threat], False, "UTC", {}, "https://r.example"))
    assert "<https://r.example/posts/7|link>" in message
    unlinked = str(threat_message("Marlow County", [threat], False, "UTC", {}, ""))
    assert "post 7 in the review app" in unlinked and "http" not in unlinked
