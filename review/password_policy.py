"""Which passwords an account may have: long enough, not blank, not the username, and
not easy to guess according to zxcvbn (offline: its dictionaries of common passwords,
names and words ship with the package). zxcvbn is given the username too, so a password
made mostly of it scores low."""

from __future__ import annotations

from cohesion.review.auth import MIN_PASSWORD_CHARS, WeakPasswordError
from zxcvbn import zxcvbn

# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from an offline
# slow-hash scenario", which argon2 hashes are.
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length; its authors advise cutting the input.
SCORED_CHARS = 100


def check_password(password: str, username: str) -> None:
    """Raise WeakPasswordError saying why `password` will not do for `username`."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPasswordError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if not password.strip():
        raise WeakPasswordError("a password cannot be only spaces")
    name = username.strip().lower()
    if password.strip().lower() == name:
        raise WeakPasswordError("a password cannot be the username")
    result = zxcvbn(password[:SCORED_CHARS], user_inputs=[name, "cohesion"])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"]["warning"] or "it is easy to guess"
        raise WeakPasswordError(
            f"that password is too easy to guess ({warning.rstrip('.')}); "
            "a few unrelated words make a strong one"
        )
