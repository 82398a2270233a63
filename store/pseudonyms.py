"""Keyed pseudonyms for author handles (DESIGN.md, "Responsible collection")."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from cohesion.store.privacy import PostPrivacy

PSEUDONYM_KEY_ENV = "COHESION_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16


class PseudonymKeyError(RuntimeError):
    """No usable key: the message says where one was looked for and how to make one."""


class Pseudonymiser:
    """HMAC-SHA256 of platform and handle under a secret key.

    The same handle always maps to the same pseudonym under one key, so an analyst can
    see that one account wrote many posts without the store keeping who it is. Handles
    are case-folded because every platform here treats them case-insensitively.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise PseudonymKeyError(f"the pseudonym key must have at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def __call__(self, platform: str, handle: str) -> str:
        message = f"{platform}\x1f{handle.strip().lstrip('@').casefold()}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:24]

    def post_privacy(self, *, keep_raw_links: bool = False) -> PostPrivacy:
        """Hashing of account-bearing ids and sealing of links under the same key."""
        return PostPrivacy(self._key, keep_raw_links=keep_raw_links)


def create_key_file(path: Path) -> bool:
    """Write a new random key readable by its owner only; False when one exists already."""
    path = path.expanduser()
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return True


def load_key(key_file: Path | None) -> bytes:
    """The key from COHESION_PSEUDONYM_KEY, else from the key file."""
    from_env = os.environ.get(PSEUDONYM_KEY_ENV, "").strip()
    if from_env:
        return from_env.encode()
    if key_file is None:
        raise PseudonymKeyError(f"set {PSEUDONYM_KEY_ENV} or [privacy] key_file")
    key_file = key_file.expanduser()
    if not key_file.exists():
        raise PseudonymKeyError(
            f"no pseudonym key: {key_file} does not exist and {PSEUDONYM_KEY_ENV} is unset; "
            "run `cohesion init` to create one"
        )
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        raise PseudonymKeyError(
            f"the pseudonym key file {key_file} is readable by others (mode {mode:o}); "
            f"run `chmod 600 {key_file}`"
        )
    return key_file.read_text().strip().encode()
