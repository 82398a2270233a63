"""What the store keeps of a post's account-bearing ids and of its link (issue #15, item 1).

Some platforms' ids name the account that wrote the post: a Mastodon status URI holds
`/users/<name>/`, a Bluesky at-URI holds the author's DID, and links to the original
post (`https://host/@name/123`, `https://bsky.app/profile/<handle>/post/...`, a TikTok
or Twitter permalink from a 4CAT export) hold the handle. Kept in clear, any of them
maps a pseudonym straight back to its account.

So before a post reaches the store:
- an id that carries an account is replaced by a keyed hash (HMAC-SHA256 under a key
  derived from the instance key), the same for the same id, so deduplication, replies
  (`parent_id`) and threads (`thread_id`) still line up;
- the link is sealed: encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under another
  key derived from the instance key. The review app opens it for a logged-in analyst,
  and each opening is audited. Only with `privacy.keep_raw_handles` is the link also
  kept in clear.

The instance key is the pseudonym key (`cohesion init`'s key file or
COHESION_PSEUDONYM_KEY); whoever holds it can open the links, so it stays off the
database host's backups.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from cohesion.store.posts import PostRecord

# Stored ids that were hashed start with this, so a reader (and the store's own check)
# can tell them from platform ids; "v1" names the derivation, should it ever change.
HASHED_ID_PREFIX = "acct-h1:"
# Account paths and identifiers inside an id of any platform: Mastodon status URIs
# (/users/name/statuses/..., /@name/...), Bluesky at:// URIs and DIDs, and the same in
# an RSS guid of a Mastodon feed or a 4CAT export's id: /@name, /users/name, /u/name,
# /user/name, /profile/name, /accounts/name. Ids without one (a Mastodon server's
# numeric id, a Pleroma /objects/uuid, Reddit's t3_x) say nothing of the account.
ACCOUNT_MARKER = re.compile(
    r"(?:^|/)@[^/\s]+|/(?:users?|u|profile|accounts)/[^/\s]+|^at://|\bdid:[a-z0-9]+:",
    re.IGNORECASE,
)
_HASH_INFO = b"cohesion account-bearing id v1"
_SEAL_INFO = b"cohesion sealed link v1"


class SealedLinkError(ValueError):
    """A sealed link could not be opened: another instance's key, or a damaged value."""


def carries_account(platform: str, value: str | None) -> bool:
    """Whether an id names an account and so must be stored hashed (any platform: the
    patterns are what identify an account, `platform` only keys the hash)."""
    if not value or value.startswith(HASHED_ID_PREFIX):
        return False
    return ACCOUNT_MARKER.search(value) is not None


def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


class PostPrivacy:
    """Hashes account-bearing ids and seals links under keys derived from the instance key.

    Two derived keys, not the instance key itself, so that an id's hash can never be
    compared with an author's pseudonym and neither key opens the other's values.
    """

    def __init__(self, key: bytes, *, keep_raw_links: bool = False) -> None:
        import base64

        self._id_key = _derive(key, _HASH_INFO)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(key, _SEAL_INFO)))
        self.keep_raw_links = keep_raw_links

    def stored_id(self, platform: str, value: str | None) -> str | None:
        """The id as the store keeps it: hashed when it carries an account, else as given."""
        if value is None or not carries_account(platform, value):
            return value
        digest = hmac.new(self._id_key, f"{platform}\x1f{value}".encode(), hashlib.sha256)
        return HASHED_ID_PREFIX + digest.hexdigest()[:40]

    def seal(self, link: str | None) -> str | None:
        if not link:
            return None
        return self._fernet.encrypt(link.encode("utf-8", "surrogatepass")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8", "replace")
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise SealedLinkError(
                "this link was sealed under another key (is COHESION_PSEUDONYM_KEY or "
                "[privacy] key_file the instance's key?) or is damaged"
            ) from None

    def protect(self, record: PostRecord) -> PostRecord:
        """`record` as the store may keep it: account-bearing ids hashed, the link sealed."""
        platform = record.platform
        return replace(
            record,
            external_id=self.stored_id(platform, record.external_id) or record.external_id,
            parent_id=self.stored_id(platform, record.parent_id),
            thread_id=self.stored_id(platform, record.thread_id),
            sealed_link=self.seal(record.url) if record.url else record.sealed_link,
            url=record.url if self.keep_raw_links else None,
        )
