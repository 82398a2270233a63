"""Bulk import of posts from files a user already has: `cohesion import FILE`.

Three formats, all going through the crawlers' own per-post steps (crawlers/pipelines.py:
text cleaning, language, the locality gazetteer, the keyed pseudonym) and the store's
idempotent upsert, so an imported post is stored exactly as a crawled one would be and
importing a file twice stores it once (ids that name an account hashed and the link
sealed with the instance key, store/privacy.py, as for a crawled post):

- `jsonl`: one JSON object per line in the project's post schema (the fields of
  `store.posts.PostRecord`): platform, external_id, text or html, created_at (ISO 8601
  with a zone, or epoch seconds), url, author (the raw handle: pseudonymised here),
  title, parent_id, thread_id, engagement (object), language.
- `csv`: a header row; columns named like the schema fields are taken as they are,
  others through a mapping (`--map text=body --map created_at=timestamp`;
  `engagement.likes=num_likes` puts a column in the engagement object; in JSON lines
  `--map text=data.desc` reaches a nested key).
- `4cat`: exports of 4CAT (its mapped CSV, its API NDJSON, its "original" NDJSON) and
  of Zeeschuimer, read per platform by crawlers/import_formats.py, which says which
  source field feeds each post field (docs/imports.md prints the same tables).

A file's format is taken from `--format`, else from its first line (a Zeeschuimer
envelope or 4CAT's columns mean `4cat`), else from its extension.

Rows are read in batches (default 1,000); each batch is upserted in one transaction.
A row that cannot be used (bad JSON, no id, a time without a zone, a date before 1990
or after tomorrow, a NUL in an id, a field over `MAX_FIELD_CHARS`...) is reported with
its line number and reason and skipped; it never reaches the database. Should a batch
fail in the database, its rows are retried one transaction each, so a post is stored
whole (with its author) or not at all and a failure costs only that row. A file whose
every row fails is an error (exit 2), and its run is recorded as failed.

Each import is recorded like a crawl: a disabled `sources` row named
`import:<file name>` and a `crawl_runs` row (runner "import") with the counts, so
`cohesion status` shows it and collector health ignores it. While it runs, the row
names the importing process; an import found "running" whose process is gone (killed,
machine restarted) is marked failed when the next import starts.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cohesion.config import ConfigError, Settings
from cohesion.crawlers.import_formats import (
    BadRowError,
    canonical_platform,
    get_path,
    is_export_item,
    item_fields,
)
from cohesion.crawlers.language import detect_languages, preload_language_model
from cohesion.crawlers.pipelines import Gazetteer, clean_text, clean_title
from cohesion.store.engine import session_scope
from cohesion.store.models import CrawlRun
from cohesion.store.posts import InvalidPostError, PostRecord, upsert_posts
from cohesion.store.privacy import PostPrivacy
from cohesion.store.pseudonyms import Pseudonymiser
from cohesion.store.runs import CrawlCounts, finish_crawl_run, start_crawl_run, sync_source
from cohesion.store.text import sanitize_text
from cohesion.store.types import utcnow
from sqlalchemy import select
from sqlalchemy.orm import Session

__all__ = [
    "BadRowError",
    "ImportFileError",
    "ImportSummary",
    "import_file",
    "parse_mapping",
    "parse_timezone",
]

FORMATS = ("jsonl", "csv", "4cat")
FORMAT_ALIASES = {"zeeschuimer": "4cat", "ndjson": "jsonl"}  # what users may also write
# Fields a mapping may fill; "engagement.<name>" adds one engagement count.
FIELDS = (
    "platform",
    "external_id",
    "text",
    "html",
    "created_at",
    "url",
    "author",
    "title",
    "parent_id",
    "thread_id",
    "engagement",
    "language",
)
PLATFORM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
# Bad rows kept with their reason for the summary (all are counted).
MAX_BAD_KEPT = 200
# The largest text, HTML or CSV field a row may carry (4CAT writes fields up to 1 GiB;
# Python's csv module stops at 128 KiB unless told), and the longest line read whole.
MAX_FIELD_CHARS = 16 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
# Posts dated outside [EARLIEST, tomorrow] are impossible (epoch 0, 9999-12-31...).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Author names that stand for no account: 4chan's default name, 4CAT's anonymised
# exports, Reddit's deleted accounts.
PLACEHOLDER_AUTHORS = frozenset({"anonymous", "redacted", "[deleted]", "[removed]"})
MAX_ENGAGEMENT_KEYS = 100
# Pseudonyms kept per import (author handle -> pseudonym): ~200 bytes each.
PSEUDONYM_CACHE = 1 << 17


class ImportFileError(ConfigError):
    """The file as a whole cannot be imported (unknown format, bad mapping, no header)."""


@dataclass(slots=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ImportSummary:
    """What one file's import did: printed per file by `cohesion import`."""

    file: str
    format: str
    source: str
    rows: int = 0
    new: int = 0
    duplicate: int = 0
    bad: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    seconds: float = 0.0
    run_id: int | None = None
    # Rows whose author 4CAT had anonymised ("REDACTED"), pseudonymised (a salted
    # hash), or pseudonymised from an empty name; and runs found interrupted.
    redacted_authors: int = 0
    hashed_authors: int = 0
    empty_hashed_authors: int = 0
    interrupted_runs: int = 0

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def reject(self, line: int, reason: str) -> None:
        self.bad += 1
        if len(self.bad_rows) < MAX_BAD_KEPT:
            self.bad_rows.append(BadRow(line, reason))

    @property
    def notes(self) -> list[str]:
        """What the analyst should know about the file beyond the counts."""
        notes = []
        if self.redacted_authors:
            notes.append(
                f"{self.redacted_authors} row(s) come from a 4CAT-anonymised export "
                "(author REDACTED): stored without an author"
            )
        if self.hashed_authors or self.empty_hashed_authors:
            notes.append(
                f"{self.hashed_authors + self.empty_hashed_authors} row(s) come from a "
                "4CAT-pseudonymised export: each salted hash counts as one account "
                f"(pseudonymised again here); {self.empty_hashed_authors} hash(es) of an "
                "empty name stored without an author"
            )
        if self.interrupted_runs:
            notes.append(
                f"{self.interrupted_runs} earlier import run(s) had been interrupted: marked failed"
            )
        return notes


# --- reading -------------------------------------------------------------------------

Row = tuple[int, dict[str, Any] | None, str | None]  # line, fields or None, error


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ImportFileError(
        f"{path.name}: cannot tell the format from the extension; "
        f"pass --format ({', '.join(FORMATS)})"
    )


def sniff_format(path: Path) -> str:
    """`4cat` when the first line says so (a Zeeschuimer envelope, 4CAT's items)."""
    fmt = detect_format(path)
    with path.open("rb") as handle:
        # The whole first line: one Zeeschuimer item can weigh hundreds of KiB.
        head = handle.readline(MAX_LINE_BYTES).decode("utf-8-sig", errors="replace").strip()
    if fmt == "jsonl":
        try:
            first_item = json.loads(head)
        except (ValueError, RecursionError):
            return fmt
        if isinstance(first_item, dict) and is_export_item(first_item):
            return "4cat"
    elif fmt == "csv":
        columns = {name.strip() for name in next(csv.reader([head]), [])}
        if {"id", "thread_id", "body", "timestamp"} <= columns:
            return "4cat"
    return fmt


def _byte_lines(handle: Any, counter: list[int]) -> Iterator[str | None]:
    """Decoded lines of a binary file (UTF-8, BOM allowed), counting bytes read.

    A line longer than MAX_LINE_BYTES is skipped unread and stands as None.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        counter[0] += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(MAX_LINE_BYTES)
                counter[0] += len(raw)
            yield None
            continue
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"not UTF-8 text ({exc.reason} at byte {counter[0]})") from None


def read_json_lines(handle: Any, counter: list[int]) -> Iterator[Row]:
    for number, line in enumerate(_byte_lines(handle, counter), start=1):
        if line is None:
            yield number, None, f"longer than {MAX_LINE_BYTES:,} bytes"
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield number, None, "JSON nested too deeply"
            continue
        if not isinstance(value, dict):
            yield number, None, f"expected a JSON object, got {type(value).__name__}"
            continue
        yield number, value, None


def _csv_lines(handle: Any, counter: list[int]) -> Iterator[str]:
    for line in _byte_lines(handle, counter):
        if line is None:
            raise ImportFileError(f"a CSV line is longer than {MAX_LINE_BYTES:,} bytes")
        yield line


def read_csv_rows(handle: Any, counter: list[int], delimiter: str = ",") -> Iterator[Row]:
    # Process-wide, but only ever raised: 128 KiB by default, far below 4CAT's fields.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    reader = csv.reader(_csv_lines(handle, counter), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ImportFileError(f"unreadable CSV header: {exc}") from None
    header = [name.strip() for name in header]
    if len(set(header)) != len(header):
        raise ImportFileError(f"the CSV header names a column twice: {', '.join(header)}")
    yield 0, {"__header__": header}, None
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"unreadable CSV row ({exc})"
            continue
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        if len(values) != len(header):
            yield start, None, f"has {len(values)} fields, the header {len(header)}"
            continue
        yield start, dict(zip(header, values, strict=True)), None


# --- mapping rows to posts -----------------------------------------------------------


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """`["text=body", "engagement.likes=num_likes"]` -> {field: column}."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not target or not column:
            raise ImportFileError(f"--map {pair!r}: write FIELD=COLUMN, e.g. text=body")
        name = target.split(".", 1)[0]
        if name not in FIELDS or (target.startswith("engagement.") and len(target) < 12):
            raise ImportFileError(
                f"--map {pair!r}: unknown field {target!r} "
                f"(fields: {', '.join(FIELDS)}, or engagement.NAME)"
            )
        mapping[target] = column
    return mapping


def parse_timezone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError):
        raise ImportFileError(
            f"--timezone {name!r} is not a time zone name (e.g. Europe/Amsterdam, UTC)"
        ) from None


_EPOCH = re.compile(r"\s*-?\d+(\.\d+)?\s*")


def parse_time(
    value: Any,
    *,
    now: datetime,
    naive: str = "local",
    zone: ZoneInfo | None = None,
    naive_hint: str = "add Z or +HH:MM, or pass --timezone",
) -> datetime:
    """Epoch seconds or ISO 8601, within [EARLIEST, tomorrow], as UTC.

    A time without a zone is UTC when `naive` is "utc", in `zone` when one is given
    (--timezone), and otherwise refused with `naive_hint`.
    """
    if isinstance(value, bool) or value is None or value == "":
        raise BadRowError("created_at is missing")
    shown = repr(value)[:40]
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and _EPOCH.fullmatch(value)):
            moment = datetime.fromtimestamp(float(value), tz=UTC)
        elif isinstance(value, str):
            text = value.strip()
            try:
                moment = datetime.fromisoformat(text.replace("z", "Z"))
            except ValueError:
                raise BadRowError(f"created_at {text[:40]!r} is not an ISO 8601 time") from None
            if moment.tzinfo is None or moment.utcoffset() is None:
                if naive == "utc":
                    moment = moment.replace(tzinfo=UTC)
                elif zone is not None:
                    moment = moment.replace(tzinfo=zone)
                else:
                    raise BadRowError(f"created_at {text[:40]!r} has no time zone ({naive_hint})")
            moment = moment.astimezone(UTC)
        else:
            raise BadRowError(
                f"created_at must be a string or a number, got {type(value).__name__}"
            )
    except (OverflowError, OSError, ValueError) as exc:
        if isinstance(exc, BadRowError):
            raise
        raise BadRowError(f"created_at {shown} is not a possible time") from None
    if moment < EARLIEST:
        raise BadRowError(f"created_at {shown} is before {EARLIEST.year}")
    if moment > now + timedelta(days=1):
        raise BadRowError(f"created_at {shown} is after tomorrow")
    return moment


def _text_or_none(value: Any, name: str, limit: int = 300) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRowError(f"{name} must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > limit:
        raise BadRowError(f"{name} is longer than {limit} characters")
    return text or None


def _id_or_none(value: Any, name: str) -> str | None:
    """An id as text; one the store would have to change (NUL...) is refused, never altered."""
    text = _text_or_none(value, name)
    if text is not None and sanitize_text(text) != text:
        raise BadRowError(f"{name} holds a NUL or an unpaired surrogate")
    return text


def _long_text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRowError(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > MAX_FIELD_CHARS:
        raise BadRowError(f"{name} is longer than {MAX_FIELD_CHARS:,} characters")
    return value


def _count(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


def _engagement(raw: Any) -> dict[str, Any]:
    """A flat object of counts (numbers) and short labels; nesting is refused."""
    if raw in (None, "", {}):
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            raise BadRowError("engagement is not a JSON object") from None
    if not isinstance(raw, dict):
        raise BadRowError("engagement must be an object")
    if len(raw) > MAX_ENGAGEMENT_KEYS:
        raise BadRowError(f"engagement has more than {MAX_ENGAGEMENT_KEYS} entries")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key)[:100]
        number = _count(value)
        if number is not None:
            out[name] = number
        elif value is None or isinstance(value, bool):
            out[name] = value
        elif isinstance(value, str) and len(value) <= 300:
            out[name] = value
        else:
            raise BadRowError(f"engagement.{name[:40]} must be a number or a short text")
    return out


@dataclass
class RowMapper:
    """Turns one parsed row into the fields of a post, per format and mapping."""

    format: str
    mapping: dict[str, str]
    default_platform: str | None

    def fields(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        engagement: dict[str, Any] = {}
        for name in FIELDS:
            if name in row:
                out[name] = row[name]
        if "author" not in out and "author_handle" in row:
            out["author"] = row["author_handle"]
        for target, column in self.mapping.items():
            value = row[column] if column in row else get_path(row, column)
            if value is None and column not in row:
                raise BadRowError(f"no column {column!r} (mapped to {target})")
            if target.startswith("engagement."):
                number = _count(value)
                if number is not None:
                    engagement[target.split(".", 1)[1]] = number
            else:
                out[target] = value
        out["engagement"] = {**_engagement(out.get("engagement")), **engagement}
        return out


@dataclass
class RecordContext:
    """What build_record needs besides the row: settings of the file's import."""

    default_platform: str | None
    gazetteer: Gazetteer
    pseudonymiser: Callable[[str, str], str] | None
    keep_raw_handles: bool
    source_id: int | None
    # Hashes account-bearing ids and seals the link (store/privacy.py).
    privacy: PostPrivacy | None
    now: datetime
    timezone: ZoneInfo | None = None
    # Thread titles seen so far in this file (4chan replies carry their thread's title).
    thread_titles: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Prepared:
    """A validated record whose language and places are still to be filled in batch.

    `language_text` is the text to detect the language from, None when the row gave
    its language; `places_text` the text the gazetteer reads.
    """

    line: int
    record: PostRecord
    language_text: str | None
    places_text: str


def build_record(
    fields: dict[str, Any],
    context: RecordContext,
    *,
    naive_time: str = "local",
    naive_hint: str = "add Z or +HH:MM, or pass --timezone",
) -> PostRecord:
    """A validated PostRecord from mapped fields, cleaned like a crawled post."""
    prepared = prepare_record(0, fields, context, naive_time=naive_time, naive_hint=naive_hint)
    complete_records([prepared], context.gazetteer)
    return prepared.record


def complete_records(batch: list[Prepared], gazetteer: Gazetteer) -> None:
    """Fill language (detected when the row gave none) and places for a whole batch."""
    asking = [item for item in batch if item.language_text is not None]
    languages = detect_languages([item.language_text or "" for item in asking])
    for item, language in zip(asking, languages, strict=True):
        item.record.language = language
    matched = gazetteer.match_many([item.places_text for item in batch])
    for item, places in zip(batch, matched, strict=True):
        item.record.places = places


def prepare_record(
    line: int,
    fields: dict[str, Any],
    context: RecordContext,
    *,
    naive_time: str = "local",
    naive_hint: str = "add Z or +HH:MM, or pass --timezone",
) -> Prepared:
    """build_record but for language detection and place matching, left to the batch."""
    platform = _text_or_none(fields.get("platform"), "platform", 40) or context.default_platform
    if not platform:
        raise BadRowError("no platform (add a platform field or pass --platform)")
    platform = platform.lower()
    if not PLATFORM_RE.match(platform):
        raise BadRowError(f"platform {platform!r} is not a short lowercase name")
    external_id = _id_or_none(fields.get("external_id"), "external_id")
    if not external_id:
        raise BadRowError("external_id is missing (4CAT: the id column)")
    parent_id = _id_or_none(fields.get("parent_id"), "parent_id")
    thread_id = _id_or_none(fields.get("thread_id"), "thread_id")
    created_at = parse_time(
        fields.get("created_at"),
        now=context.now,
        naive=naive_time,
        zone=context.timezone,
        naive_hint=naive_hint,
    )
    raw_text = _long_text(fields.get("text"), "text")
    html = _long_text(fields.get("html"), "html")
    title = _long_text(fields.get("title"), "title")
    text = clean_text(raw_text or None, html or None)
    title = clean_title(title or None)
    language = _text_or_none(fields.get("language"), "language", 12)
    handle = _text_or_none(fields.get("author"), "author")
    if handle is not None and handle.casefold() in PLACEHOLDER_AUTHORS:
        handle = None
    pseudonymiser = context.pseudonymiser
    pseudonym = pseudonymiser(platform, handle) if handle and pseudonymiser else None
    record = PostRecord(
        platform=platform,
        external_id=external_id,
        text=text,
        created_at=created_at,
        url=_text_or_none(fields.get("url"), "url", 2000),
        author_pseudonym=pseudonym,
        author_handle=handle if context.keep_raw_handles else None,
        title=title,
        language=language,
        parent_id=parent_id,
        thread_id=thread_id,
        engagement=_engagement(fields.get("engagement")),
        source_id=context.source_id,
    )
    if context.privacy is not None:
        record = context.privacy.protect(record)
    try:
        record.validated()
    except InvalidPostError as exc:
        raise BadRowError(str(exc)) from None
    return Prepared(
        line,
        record,
        language_text=(text or title or "") if language is None else None,
        places_text=f"{title or ''}\n{text}",
    )


# --- the import ----------------------------------------------------------------------

Progress = Callable[[int, int, int], None]  # bytes read, total bytes, rows read

_RUNNING = re.compile(r"^importing: pid (\d+) on (.+)$")


def _running_marker() -> str:
    return f"importing: pid {os.getpid()} on {socket.gethostname()}"


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def fail_interrupted_imports(session: Session) -> int:
    """Mark failed the import runs still "running" whose process is gone; how many.

    A run names its process while it runs (`_running_marker`). Runs of another machine
    are left alone: whether their process lives cannot be told from here.
    """
    host = socket.gethostname()
    query = select(CrawlRun).where(CrawlRun.runner == "import", CrawlRun.status == "running")
    failed = 0
    for run in session.scalars(query):
        match = _RUNNING.match(run.message or "")
        if match and (match.group(2) != host or _process_alive(int(match.group(1)))):
            continue
        run.status = "failed"
        run.finished_at = utcnow()
        run.message = (
            "interrupted: the import ended before it finished "
            "(posts it had stored are kept; importing the file again adds the rest)"
        )
        failed += 1
    return failed


def import_file(
    path: Path | str,
    *,
    settings: Settings,
    sessions: Any,
    pseudonymiser: Pseudonymiser | None,
    format: str | None = None,
    platform: str | None = None,
    mapping: dict[str, str] | None = None,
    timezone: str | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Import one file; see the module docstring. Raises ImportFileError for a bad file.

    `now` (default: the current time) bounds the dates accepted: up to a day later.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = (format or sniff_format(path)).lower()
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if platform is not None:
        platform = canonical_platform(platform)
        if not PLATFORM_RE.match(platform):
            raise ImportFileError(f"--platform {platform!r} is not a short lowercase name")
    zone = parse_timezone(timezone)
    if pseudonymiser is None:
        raise ImportFileError(
            "no instance key: posts cannot be stored without it (run `cohesion init`)"
        )
    privacy = pseudonymiser.post_privacy(keep_raw_links=settings.privacy.keep_raw_handles)
    mapping = dict(mapping or {})
    if fmt == "4cat" and mapping:
        raise ImportFileError(
            "--map applies to jsonl and csv files; 4CAT and Zeeschuimer exports are read "
            "per platform (docs/imports.md)"
        )
    started = time.monotonic()
    source_name = f"import:{path.name}"[:200]
    summary = ImportSummary(str(path), fmt, source_name)
    with session_scope(sessions) as session:
        summary.interrupted_runs = fail_interrupted_imports(session)
        source = sync_source(
            session,
            source_name,
            platform or "import",
            {"file": str(path.resolve()), "format": fmt, "mapping": mapping},
            enabled=False,
        )
        source_id = source.id
        run = start_crawl_run(session, source_id, runner="import")
        run.message = _running_marker()
        summary.run_id = run.id
    preload_language_model()  # while the first rows are read
    mapper = RowMapper(fmt, mapping, platform)
    context = RecordContext(
        default_platform=platform,
        gazetteer=Gazetteer(settings.locality.places),
        # An author writes many posts of a file: one HMAC per author, not per post.
        pseudonymiser=lru_cache(maxsize=PSEUDONYM_CACHE)(pseudonymiser) if pseudonymiser else None,
        keep_raw_handles=settings.privacy.keep_raw_handles,
        source_id=source_id,
        privacy=privacy,
        now=now or utcnow(),
        timezone=zone,
    )
    locality_zone = settings.locality.zone
    total = path.stat().st_size
    counter = [0]
    failure: str | None = None
    pending: list[Prepared] = []
    writer = _BatchWriter(sessions, locality_zone, summary)

    def flush() -> None:
        if pending:
            complete_records(pending, context.gazetteer)
            writer.submit([(item.line, item.record) for item in pending])
            pending.clear()
        if progress is not None:
            progress(counter[0], total, summary.rows)

    try:
        with path.open("rb") as handle, writer:
            for line, row, error in _rows(handle, fmt, path, counter, mapping):
                summary.rows += 1
                if error is not None or row is None:
                    summary.reject(line, error or "unreadable")
                    continue
                try:
                    prepared = _record(line, row, fmt, mapper, context, summary)
                except BadRowError as exc:
                    summary.reject(line, str(exc))
                    continue
                except Exception as exc:  # noqa: BLE001  (a hostile row is a bad row)
                    summary.reject(line, f"unusable item ({type(exc).__name__})")
                    continue
                pending.append(prepared)
                if len(pending) >= batch_size:
                    flush()
            flush()
        if summary.rows and summary.bad == summary.rows:
            failure = f"{path.name}: all {summary.rows:,} rows failed: {_reasons(summary)}"
    except ImportFileError as exc:
        failure = f"{path.name}: {exc}"
    except BaseException as exc:  # recorded on the run, then raised
        failure = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        summary.seconds = round(time.monotonic() - started, 3)
        with session_scope(sessions) as session:
            finish_crawl_run(
                session,
                summary.run_id,
                "failed" if failure else "ok",
                CrawlCounts(
                    items_seen=summary.rows,
                    items_new=summary.new,
                    items_duplicate=summary.duplicate,
                    errors=summary.bad + int(failure is not None),
                ),
                failure or "; ".join([_message(summary), *summary.notes]).strip("; ") or None,
            )
    if failure:
        raise ImportFileError(failure)
    return summary


def _record(
    line: int,
    row: dict[str, Any],
    fmt: str,
    mapper: RowMapper,
    context: RecordContext,
    summary: ImportSummary,
) -> Prepared:
    if fmt != "4cat":
        return prepare_record(line, mapper.fields(row), context)
    item = item_fields(row, context.default_platform, context.thread_titles)
    fields = {**item.fields, "platform": item.platform}
    if item.author_state == "redacted":
        summary.redacted_authors += 1
    elif item.author_state == "hashed":
        summary.hashed_authors += 1
    elif item.author_state == "hashed-empty":
        summary.empty_hashed_authors += 1
        fields.pop("author", None)
    hint = (
        f"4CAT writes {item.platform} times in its server's local time: "
        "pass --timezone with that server's zone"
    )
    return prepare_record(line, fields, context, naive_time=item.naive_time, naive_hint=hint)


def _rows(
    handle: Any, fmt: str, path: Path, counter: list[int], mapping: dict[str, str]
) -> Iterator[Row]:
    first = handle.read(4096)
    handle.seek(0)
    looks_json = first.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
    if fmt == "jsonl" or (fmt == "4cat" and looks_json):
        yield from read_json_lines(handle, counter)
        return
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = read_csv_rows(handle, counter, delimiter)
    header = next(rows, None)
    if header is None or header[1] is None:
        return
    columns = header[1]["__header__"]
    missing = sorted({column for column in mapping.values() if column not in columns})
    if missing:
        raise ImportFileError(
            f"the mapping names column(s) the file lacks: {', '.join(missing)} "
            f"(columns: {', '.join(columns)})"
        )
    if fmt == "4cat" and not {"id", "body"} <= set(columns):
        raise ImportFileError(
            f"not a 4CAT export: it needs the columns id, body and timestamp "
            f"(columns: {', '.join(columns)})"
        )
    yield from rows


@dataclass
class _Stored:
    """What writing one batch did, applied to the summary by the reading thread."""

    new: int = 0
    duplicate: int = 0
    refused: list[BadRow] = field(default_factory=list)


def _store(sessions: Any, pending: list[tuple[int, PostRecord]], zone: Any) -> _Stored:
    """Upsert a batch in one transaction; on a database error, row by row."""
    stored = _Stored()
    try:
        with session_scope(sessions) as session:
            result = upsert_posts(session, [record for _, record in pending], zone, validated=True)
        stored.new, stored.duplicate = result.new, result.duplicate
        return stored
    except Exception:  # noqa: BLE001  (isolated below, row by row)
        pass
    for line, record in pending:
        try:
            with session_scope(sessions) as session:
                result = upsert_posts(session, [record], zone, validated=True)
        except Exception as exc:  # noqa: BLE001  (reported as this row's reason)
            stored.refused.append(BadRow(line, f"the database refused it ({type(exc).__name__})"))
            continue
        stored.new += result.new
        stored.duplicate += result.duplicate
    return stored


class _BatchWriter:
    """Writes batches on a thread of its own while the caller prepares the next one.

    Preparing rows is Python work and writing them is mostly waiting on the database
    (the driver releases the GIL), so the two overlap: one core parses, cleans and
    detects while the database stores the batch before. One batch is written at a
    time, in file order; `submit` waits for the batch before it, so at most two
    batches are held in memory. An in-memory SQLite database (one connection per
    thread) is written on the caller's thread.
    """

    def __init__(self, sessions: Any, zone: Any, summary: ImportSummary) -> None:
        self._sessions = sessions
        self._zone = zone
        self._summary = summary
        self._pool: ThreadPoolExecutor | None = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cohesion-import")
            if _threads_share_database(sessions)
            else None
        )
        self._writing: Future[_Stored] | None = None

    def submit(self, batch: list[tuple[int, PostRecord]]) -> None:
        self.wait()
        if self._pool is None:
            self._apply(_store(self._sessions, batch, self._zone))
        else:
            self._writing = self._pool.submit(_store, self._sessions, batch, self._zone)

    def wait(self) -> None:
        """Let the batch being written finish and count it."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            self._apply(writing.result())

    def _apply(self, stored: _Stored) -> None:
        self._summary.new += stored.new
        self._summary.duplicate += stored.duplicate
        for bad in stored.refused:
            self._summary.reject(bad.line, bad.reason)

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.wait()  # also when reading failed: what was sent is counted
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def _threads_share_database(sessions: Any) -> bool:
    """False for an in-memory SQLite database, which each thread would see empty."""
    bind = getattr(sessions, "kw", {}).get("bind")
    url = getattr(bind, "url", None)
    if url is None:
        return False
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def _reasons(summary: ImportSummary) -> str:
    shown = "; ".join(f"line {b.line}: {b.reason}" for b in summary.bad_rows[:3])
    more = summary.bad - min(3, len(summary.bad_rows))
    return shown + (f"; {more} more" if more else "")


def _message(summary: ImportSummary) -> str:
    if not summary.bad:
        return ""
    return f"{summary.bad} bad row(s) skipped: {_reasons(summary)}"
