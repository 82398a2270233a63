"""Passwords, the session secret, CSRF tokens and login rate limiting.

Password hashes are argon2id (argon2-cffi defaults); the store keeps only the hash
string. The rate limiter is in memory: it counts failed logins per (username, client
address) and refuses further attempts, right or wrong, for the rest of the window. A
restart forgets the counts, which is acceptable for one process bound to loopback.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cohesion.store.pseudonyms import create_key_file

SECRET_ENV = "COHESION_REVIEW_SECRET"
MIN_SECRET_CHARS = 32
MIN_PASSWORD_CHARS = 10
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW_SECONDS = 15 * 60

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


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and secrets.compare_digest(expected.encode(), given.encode())
    )


class LoginRateLimiter:
    """At most `allowed` failed logins per (username, address) in `window` seconds."""

    def __init__(
        self,
        allowed: int = LOGIN_FAILURES_ALLOWED,
        window: float = LOGIN_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = allowed
        self.window = window
        self._now = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _key(self, username: str, address: str) -> tuple[str, str]:
        return (username.strip().lower()[:100], address)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.get(key, deque())
        cutoff = self._now() - self.window
        while failures and failures[0] < cutoff:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def blocked(self, username: str, address: str) -> bool:
        with self._lock:
            return len(self._recent(self._key(username, address))) >= self.allowed

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            key = self._key(username, address)
            failures = self._recent(key)
            failures.append(self._now())
            self._failures[key] = failures

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(self._key(username, address), None)
