"""Passwords, the session secret, CSRF tokens, and how failed logins are named.

Password hashes are argon2id (argon2-cffi defaults); the store keeps only the hash
string. Login throttling is in review/throttle.py.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cohesion.store.pseudonyms import create_key_file

SECRET_ENV = "COHESION_REVIEW_SECRET"
MIN_SECRET_CHARS = 32
MIN_PASSWORD_CHARS = 10
UNKNOWN_USER = "<unknown>"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both paths take the same time."""
    return _hasher.hash(secrets.token_hex(16))


class SecretError(RuntimeError):
    """The session secret is missing or unsafe; the message says how to fix it."""


class WeakPasswordError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def ensure_secret(secret_file: Path) -> Path | None:
    """Create the session-secret file (mode 0600) unless $COHESION_REVIEW_SECRET is set or
    the file exists; returns its path when it was created (`cohesion init` calls this)."""
    if os.environ.get(SECRET_ENV, "").strip() or secret_file.exists():
        return None
    load_or_create_secret(secret_file)
    return secret_file


def load_or_create_secret(secret_file: Path) -> str:
    """$COHESION_REVIEW_SECRET, else the secret file, created (mode 0600) when missing."""
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        if len(from_env) < MIN_SECRET_CHARS:
            raise SecretError(f"{SECRET_ENV} must have at least {MIN_SECRET_CHARS} characters")
        return from_env
    create_key_file(secret_file)
    mode = secret_file.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretError(
            f"the session secret {secret_file} is readable by others (mode {mode:o}); "
            f"run `chmod 600 {secret_file}`"
        )
    secret = secret_file.read_text().strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(
            f"the session secret in {secret_file} is shorter than {MIN_SECRET_CHARS} characters"
        )
    return secret


def username_key(secret: str) -> bytes:
    """The key for hashing unknown usernames in the audit log, derived from the secret."""
    return hmac.new(secret.encode(), b"cohesion audit username", hashlib.sha256).digest()


def username_hash(key: bytes, username: str) -> str:
    typed = username.strip().lower().encode("utf-8", "surrogatepass")
    return hmac.new(key, typed, hashlib.sha256).hexdigest()[:16]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and secrets.compare_digest(expected.encode(), given.encode())
    )
