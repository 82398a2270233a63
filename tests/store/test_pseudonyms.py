from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cohesion.store.pseudonyms import (
    PSEUDONYM_KEY_ENV,
    Pseudonymiser,
    PseudonymKeyError,
    create_key_file,
    load_key,
)


def test_pseudonyms_are_stable_keyed_and_case_insensitive() -> None:
    one = Pseudonymiser(b"a" * 32)
    other = Pseudonymiser(b"b" * 32)
    assert one("reddit", "SomeUser") == one("reddit", "someuser") == one("reddit", "@someuser")
    assert one("reddit", "someuser") != one("mastodon", "someuser")
    assert one("reddit", "someuser") != other("reddit", "someuser")
    assert "someuser" not in one("reddit", "someuser")


def test_short_key_is_refused() -> None:
    with pytest.raises(PseudonymKeyError):
        Pseudonymiser(b"short")


def test_key_file_is_created_owner_only_and_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV)
    path = tmp_path / "keys" / "cohesion.key"
    assert create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_key(path)
    assert len(key) == 64
    assert not create_key_file(path)
    assert load_key(path) == key


def test_environment_key_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "from-the-environment-0123456789")
    assert load_key(tmp_path / "absent.key") == b"from-the-environment-0123456789"


def test_missing_or_readable_key_file_gives_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV)
    with pytest.raises(PseudonymKeyError, match="cohesion init"):
        load_key(tmp_path / "absent.key")
    loose = tmp_path / "loose.key"
    loose.write_text("x" * 64)
    os.chmod(loose, 0o644)
    with pytest.raises(PseudonymKeyError, match="chmod 600"):
        load_key(loose)
