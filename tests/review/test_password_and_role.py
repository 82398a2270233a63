"""Issue #15 item 4: the password policy, and `cohesion user passwd` / `user role`,
audited, each ending the account's sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohesion.cli import app as cli_app
from cohesion.review import accounts
from cohesion.review.auth import WeakPasswordError
from cohesion.review.password_policy import check_password
from cohesion.store.engine import session_scope
from cohesion.store.models import AuditLog
from cohesion.store.review_queries import ReviewInputError
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.review.client import AppClient
from tests.review.seed import ADMIN, ANALYST

runner = CliRunner()


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "at least 10 characters"),
        (" " * 12, "only spaces"),
        ("\t \u3000\n" * 4, "only spaces"),
        (" Maria.Lopez ", "be the username"),
        ("maria.lopez1", "too easy to guess"),
        ("password123", "too easy to guess"),
        ("qwertyuiop", "too easy to guess"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("1234567890", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(WeakPasswordError, match=why):
        check_password(password, "maria.lopez")


@pytest.mark.parametrize(
    "password", ["tangerine-ladder-cobalt", "29Frh-2I-mqhKUpi", "x" * 3 + "q7$Lm!vR2k"]
)
def test_strong_passwords_pass(password: str) -> None:
    check_password(password, "maria.lopez")


def _audit(sessions: sessionmaker[Session], action: str) -> list[AuditLog]:
    with session_scope(sessions) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_a_new_password_ends_sessions(app: FastAPI, sessions: sessionmaker[Session],
                                      analyst: AppClient) -> None:  # fmt: skip
    assert analyst.get("/queue").status_code == 200
    with pytest.raises(WeakPasswordError):
        accounts.set_password(sessions, ANALYST[0], "password1234")
    assert analyst.get("/queue").status_code == 200  # a refused change ends nothing
    accounts.set_password(sessions, ANALYST[0], "tangerine-ladder-cobalt", actor="ada")
    assert analyst.get("/queue").status_code == 303
    assert analyst.login(*ANALYST).status_code == 401
    assert analyst.login(ANALYST[0], "tangerine-ladder-cobalt").status_code == 303
    (row,) = _audit(sessions, "user.passwd")
    assert (row.actor, row.object_id, row.detail) == ("ada", "alan", {"sessions_ended": 1})


def test_a_new_role_ends_sessions(app: FastAPI, sessions: sessionmaker[Session],
                                  admin: AppClient) -> None:  # fmt: skip
    assert admin.get("/admin/users").status_code == 200
    accounts.set_role(sessions, ANALYST[0], "admin")
    accounts.set_role(sessions, ADMIN[0], "analyst")
    assert admin.get("/admin/users").status_code == 303  # the old admin cookie is dead
    assert admin.login(*ADMIN).status_code == 303
    assert admin.get("/admin/users").status_code == 403
    rows = _audit(sessions, "user.role")
    assert [r.detail["to"] for r in rows] == ["admin", "analyst"]
    assert rows[1].detail == {"from": "admin", "to": "analyst", "sessions_ended": 1}
    with pytest.raises(ReviewInputError, match="only admin"):
        accounts.set_role(sessions, ANALYST[0], "analyst")
    with pytest.raises(ReviewInputError, match="unknown role"):
        accounts.set_role(sessions, ADMIN[0], "root")


def test_user_passwd_and_role_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHESION_DATABASE_URL", f"sqlite:///{tmp_path / 'cohesion.db'}")
    assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    for name, role in (("maria", "admin"), ("omar", "analyst")):
        added = runner.invoke(cli_app, ["user", "add", name, "--role", role, "--password-stdin"],
                              input=f"{name}-tangerine-ladder\n")  # fmt: skip
        assert added.exit_code == 0, added.output
    changed = runner.invoke(
        cli_app, ["user", "passwd", "omar"], input="cobalt-harbour-98\ncobalt-harbour-98\n"
    )
    assert changed.exit_code == 0 and "new password set for omar" in changed.output
    assert "cobalt-harbour-98" not in changed.output
    promoted = runner.invoke(cli_app, ["user", "role", "Omar", "admin"])
    assert promoted.exit_code == 0 and "omar is now admin" in promoted.output
    for args, stdin, message in (
        (["user", "passwd", "omar", "--password-stdin"], " " * 12 + "\n", "only spaces"),
        (["user", "passwd", "omar", "--password-stdin"], "omar-omar-omar\n", "easy to guess"),
        (["user", "passwd", "omar", "--password-stdin"], "password1234\n", "easy to guess"),
        (["user", "add", "eve", "--password-stdin"], "iloveyou123\n", "easy to guess"),
        (["user", "passwd", "nobody", "--password-stdin"], "cobalt-harbour-98\n", "no user"),
        (["user", "role", "omar", "root"], None, "unknown role"),
        (["user", "role", "nobody", "admin"], None, "no user named"),
    ):
        result = runner.invoke(cli_app, args, input=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith("error: ") and message in result.output, result.output
    from cohesion.runtime import Runtime

    runtime = Runtime.open(None)
    try:
        with session_scope(runtime.sessions) as s:
            actions = [a for a in s.scalars(select(AuditLog.action).order_by(AuditLog.id))]
    finally:
        runtime.close()
    assert actions == ["user.create", "user.create", "user.passwd", "user.role"]
