"""No account handle or identifier of a recording in clear: the store, exports, reports, alerts.

Used by test_conformance.py on every crawled recording (issue #15, item 1). The
identifiers are read straight from the recorded body: every string under an account
key (`acct`, `username`, `handle`, `did`, Reddit's `author`, a Mastodon account's
`url`) anywhere in the JSON. HTML and XML bodies (Telegram, RSS, 4chan's pages) carry
no account identifier beside the configured channel, which is the source itself.

A handle the posts themselves write (a mention of another account, a signature) is
part of the text an analyst must read and stays there; so identifiers that occur in
any stored post text or title are left out of the check, and the text and title
columns themselves are not searched. So are the accounts the source's configuration
follows (an author feed's actor): the configuration names them, as does the cursor. Everything else is: every column of every table
but `sources.config` (the configuration names what to crawl, as the config file does),
the decisions CSV export, every file of the weekly report and the alert messages.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cohesion.config import Settings
from cohesion.reports.alerts import threat_message
from cohesion.reports.render import write_report
from cohesion.reports.weekly import build_weekly_report
from cohesion.store import decisions
from cohesion.store.alerting import threats_against_officials
from cohesion.store.classifications import (
    ClassificationRecord,
    register_model_version,
    save_classifications,
)
from cohesion.store.engine import make_engine, make_session_factory, session_scope
from cohesion.store.models import Post, Review
from cohesion.weeks import monday_of
from sqlalchemy import MetaData, select, text
from sqlalchemy.orm import Session

ACCOUNT_KEYS = frozenset({"acct", "username", "handle", "did"})
# Placeholders and the forum software's own account (Discourse's `system`), which are
# nobody's; and accounts too short to search for without matching words.
NOT_ACCOUNTS = frozenset({"[deleted]", "[removed]", "anonymous", "system"})
MIN_LENGTH = 4
# Columns holding what a post says (searched only for identifiers the posts don't write)
# and the configuration of what to crawl.
SKIPPED_COLUMNS = frozenset({("posts", "text"), ("posts", "title"), ("sources", "config")})
WATCHLIST_NAME = "Recorded Official"


def account_identifiers(body: bytes) -> set[str]:
    """Handles, account names, DIDs and account URLs under account keys of a JSON body."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return set()
    found: set[str] = set()

    def walk(value: Any, key: str | None, parent: str | None) -> None:
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                walk(inner, inner_key, key)
        elif isinstance(value, list):
            for item in value:
                walk(item, key, parent)
        elif isinstance(value, str):
            if key in ACCOUNT_KEYS or (key == "author" and parent != "link"):
                found.add(value)
            elif key == "url" and parent in ("account", "reblog_account"):
                found.add(value)

    walk(data, None, None)
    return {v for v in found if len(v) >= MIN_LENGTH and v.casefold() not in NOT_ACCOUNTS}


def written_by_posts(identifiers: set[str], session: Session) -> set[str]:
    """The identifiers that some stored post's text or title writes out itself."""
    written = " ".join(
        f"{t or ''} {title or ''}" for t, title in session.execute(select(Post.text, Post.title))
    ).casefold()
    return {i for i in identifiers if i.casefold() in written}


def database_strings(session: Session) -> list[tuple[str, str]]:
    """(table.column, value) of every stored value but SKIPPED_COLUMNS and search indexes."""
    metadata = MetaData()
    metadata.reflect(bind=session.connection())  # the session's: SQLite allows one writer
    out = []
    for table in metadata.sorted_tables:
        if table.name.startswith("posts_fts"):  # SQLite's full-text index of the text
            continue
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                if (table.name, column) in SKIPPED_COLUMNS or value is None:
                    continue
                if column == "search_vector":  # PostgreSQL's tsvector of the text
                    continue
                out.append((f"{table.name}.{column}", str(value)))
    return out


def flag_everything(session: Session) -> None:
    """A classification per post that puts it in every output: the queue, the report's
    sample, the threat alert (a threat at an official, naming a watchlist entry)."""
    model = register_model_version(
        session, "privacy-check", path=None, training_summary={}, metrics={}, thresholds={}
    )
    ids = list(session.scalars(select(Post.id)))
    records = [
        ClassificationRecord(
            post_id,
            ["threat", "doxxing"],
            {"threat": 0.95, "doxxing": 0.9},
            threat_targets=["official"],
            watchlist=[WATCHLIST_NAME],
        )
        for post_id in ids
    ]
    save_classifications(session, model.id, records)
    session.flush()
    for post_id in ids:
        session.add(
            Review(
                post_id=post_id,
                decision="confirm",
                queue="priority",
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )


def outputs(settings: Settings, out_dir: Path) -> dict[str, str]:
    """Every text a user or a webhook gets about the stored posts, by where it went."""
    engine = make_engine(settings.database.url)
    sessions = make_session_factory(engine)
    found: dict[str, str] = {}
    try:
        with session_scope(sessions) as session:
            flag_everything(session)
        with session_scope(sessions) as session:
            rows = decisions.export_decisions(session)
            out = io.StringIO()
            writer = csv.DictWriter(out, decisions.EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            found["decisions export"] = out.getvalue()
            weeks = sorted(set(session.scalars(select(Post.week_start))))
            for week in weeks:
                report = build_weekly_report(session, settings, monday_of(week))
                written = write_report(report, out_dir / week.isoformat())
                for name in written.files:
                    path = Path(name)
                    path = path if path.is_absolute() else written.out_dir / path
                    if path.suffix in (".html", ".md", ".csv"):
                        found[f"report {week} {path.name}"] = path.read_text()
            model_id = session.scalar(text("SELECT id FROM model_versions WHERE is_active"))
            oldest = session.scalar(select(Post.created_at).order_by(Post.created_at).limit(1))
            since = (oldest or datetime(1990, 1, 1, tzinfo=UTC)) - timedelta(days=1)
            threats = threats_against_officials(session, model_id, since, ("official",))
            message = threat_message(
                "Recorded County",
                threats,
                True,
                "UTC",
                {WATCHLIST_NAME: "person"},
                "https://review.example.org",
            )
            found["threat alert"] = json.dumps(message)
    finally:
        engine.dispose()
    return found
