"""`run_demo` end to end on a small corpus, and the demo analyst's decisions.

The full-size run is `make demo` (`cohesion demo`), not a test: it takes about a
minute plus classification.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cohesion.demo.calibration import decide
from cohesion.demo.pools import Truth
from cohesion.demo.run import DEMO_USER, MARKER, DemoError, run_demo
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.models import Post, Review, User
from sqlalchemy import func, select


def test_decisions_come_from_the_intended_labels() -> None:
    threat = Truth("threat", labels=("threat", "anti_government"), threat_targets=("official",))
    assert decide(["anti_government", "threat"], threat) == ("confirm", None)
    assert decide(["hate"], Truth("ordinary")) == ("reject", None)
    assert decide([], Truth("ordinary")) == ("confirm", None)
    decision, labels = decide(["anti_government"], threat)
    assert decision == "correct"
    assert labels == {
        "flags": ["anti_government", "threat"],
        "targets": [],
        "narratives": [],
        "threat_targets": ["official"],
    }


def test_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(DemoError, match="not a demo folder"):
        run_demo(tmp_path, progress=lambda line: None)
    assert (tmp_path / "thesis.tex").exists()


@pytest.mark.slow
def test_small_demo_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "demo-output"
    monkeypatch.setenv("COHESION_DATABASE_URL", f"sqlite:///{tmp_path / 'not-the-demo.db'}")
    before = dict(os.environ)
    lines: list[str] = []
    result = run_demo(out, scale=0.1, one_process=True, progress=lines.append)
    assert dict(os.environ) == before  # credentials and the removed COHESION_* restored
    assert not (tmp_path / "not-the-demo.db").exists()  # the user's database is untouched
    assert (out / MARKER).exists() and result.config_path == (out / "cohesion.toml").resolve()
    assert not result.crawl_failures
    assert result.stored["reddit"] == result.generated["reddit"]
    assert 0 < result.stored["fourchan"] < result.generated["fourchan"]  # locality filter

    engine = make_engine(f"sqlite:///{out / 'cohesion.db'}")
    with session_scope(make_session_factory(engine)) as session:
        assert session.scalar(select(func.count()).select_from(Post)) == sum(result.stored.values())
        user = session.scalar(select(User).where(User.username == DEMO_USER))
        reviews = session.scalars(select(Review)).all()
    engine.dispose()
    assert user is not None and user.role == "admin"
    assert result.password and result.password in (out / "demo-login.txt").read_text()
    assert (out / "demo-login.txt").stat().st_mode & 0o077 == 0

    assert result.report_path is not None and result.report_path.exists()
    text = "\n".join(lines)
    assert result.report_path.as_uri() in text
    assert f"--config {result.config_path}" in text or "--config " in text
    # Classification must have happened: a demo that skipped it would be a failure.
    assert result.classified == sum(result.stored.values())
    assert result.flagged.get("any", 0) > 0
    assert reviews and all(r.queue == "calibration" for r in reviews)
    assert result.reviewed == len(reviews)
    assert "precision" in (result.report_path.parent / "report.md").read_text().lower()
