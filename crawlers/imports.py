"""Bulk import of posts from files a user already has: `cohesion import FILE`.

Three formats, all going through the crawlers' own per-post steps (crawlers/pipelines.py:
text cleaning, language, the locality gazetteer, the keyed pseudonym) and the store's
idempotent upsert, so an imported post is stored exactly as a crawled one would be and
importing a file twice stores it once:

- `jsonl`: one JSON object per line in the project's post schema (the fields of
  `store.posts.PostRecord`): platform, external_id, text or html, created_at (ISO 8601
  with a zone, or epoch seconds), url, author (the raw handle: pseudonymised here),
  title, parent_id, thread_id, engagement (object), language.
- `csv`: a header row; columns named like the schema fields are taken as they are,
  others through a mapping (`--map text=body --map created_at=timestamp`;
  `engagement.likes=num_likes` puts a column in the engagement object).
- `4cat`: a 4CAT dataset export, CSV or NDJSON (one mapped item per line), with 4CAT's
  columns: id, thread_id, author, body, subject, timestamp ("YYYY-MM-DD HH:MM:SS",
  UTC) or unix_timestamp, url, and engagement counts (likes, comments, shares, views,
  num_* ...). A mapping overrides any of them.

Rows are read in batches (default 1,000); each batch is upserted in one transaction.
A row that cannot be read (bad JSON, no id, a time without a zone...) is reported with
its line number and reason and skipped; it never reaches the database. Should a batch
fail in the database, its rows are retried one transaction each, so a post is stored
whole (with its author) or not at all and a failure costs only that row.

Each import is recorded like a crawl: a disabled `sources` row named
`import:<file name>` and a `crawl_runs` row (runner "import") with the counts, so
`cohesion status` shows it and collector health ignores it.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cohesion.config import ConfigError, Settings
from cohesion.crawlers.pipelines import Gazetteer, clean_text, clean_title, detect_language
from cohesion.store.engine import session_scope
from cohesion.store.posts import InvalidPostError, PostRecord, upsert_posts
from cohesion.store.runs import CrawlCounts, finish_crawl_run, start_crawl_run, sync_source

FORMATS = ("jsonl", "csv", "4cat")
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
# 4CAT's export columns -> our fields (the columns every 4CAT dataset has, plus the
# usual optional ones).
FOURCAT_COLUMNS = {
    "external_id": "id",
    "thread_id": "thread_id",
    "author": "author",
    "text": "body",
    "title": "subject",
    "created_at": "timestamp",
    "url": "url",
}
# 4CAT columns read as engagement counts when present and numeric.
FOURCAT_ENGAGEMENT = re.compile(
    r"^(num_\w+|likes|comments|shares|views|score|replies|reposts|retweets|forwards|"
    r"reactions|quotes|favourites|favorites|upvotes|downvotes)$"
)
PLATFORM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
# Bad rows kept with their reason for the summary (all are counted).
MAX_BAD_KEPT = 200


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

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def reject(self, line: int, reason: str) -> None:
        self.bad += 1
        if len(self.bad_rows) < MAX_BAD_KEPT:
            self.bad_rows.append(BadRow(line, reason))


class BadRowError(ValueError):
    """One row is unusable; the message says why (never with the post's text)."""


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


def _byte_lines(handle: Any, counter: list[int]) -> Iterator[str]:
    """Decoded lines of a binary file (UTF-8, BOM allowed), counting bytes read."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    for raw in handle:
        counter[0] += len(raw)
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"not UTF-8 text ({exc.reason} at byte {counter[0]})") from None


def read_json_lines(handle: Any, counter: list[int]) -> Iterator[Row]:
    for number, line in enumerate(_byte_lines(handle, counter), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(value, dict):
            yield number, None, f"expected a JSON object, got {type(value).__name__}"
            continue
        yield number, value, None


def read_csv_rows(handle: Any, counter: list[int], delimiter: str = ",") -> Iterator[Row]:
    reader = csv.reader(_byte_lines(handle, counter), delimiter=delimiter, strict=True)
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


def parse_time(value: Any, *, naive_is_utc: bool) -> datetime:
    """ISO 8601 (zone required unless naive_is_utc), or epoch seconds."""
    if isinstance(value, bool) or value is None or value == "":
        raise BadRowError("created_at is missing")
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*\d{9,11}(\.\d+)?\s*", value)
    ):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise BadRowError(f"created_at {value!r} is not a usable epoch time") from None
    if not isinstance(value, str):
        raise BadRowError(f"created_at must be a string or a number, got {type(value).__name__}")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadRowError(f"created_at {text[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        if not naive_is_utc:
            raise BadRowError(f"created_at {text[:40]!r} has no time zone (add Z or +HH:MM)")
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _text_or_none(value: Any, name: str, limit: int = 300) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadRowError(f"{name} must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > limit:
        raise BadRowError(f"{name} is longer than {limit} characters")
    return text or None


def _count(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


@dataclass
class RowMapper:
    """Turns one parsed row into the fields of a post, per format and mapping."""

    format: str
    mapping: dict[str, str]
    default_platform: str | None

    def fields(self, row: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        engagement: dict[str, Any] = {}
        if self.format == "4cat":
            if not any(key in row for key in ("id", "body", "timestamp", "unix_timestamp")):
                raise BadRowError(
                    "not a 4CAT item (no id, body or timestamp column; map fields with --map)"
                )
            for target, column in FOURCAT_COLUMNS.items():
                if column in row:
                    out[target] = row[column]
            if row.get("unix_timestamp") not in (None, ""):
                out["created_at"] = row["unix_timestamp"]
            for column, value in row.items():
                if FOURCAT_ENGAGEMENT.match(str(column)):
                    number = _count(value)
                    if number is not None:
                        engagement[column] = number
        else:
            for name in FIELDS:
                if name in row:
                    out[name] = row[name]
            if "author" not in out and "author_handle" in row:
                out["author"] = row["author_handle"]
        for target, column in self.mapping.items():
            if column not in row:
                raise BadRowError(f"no column {column!r} (mapped to {target})")
            if target.startswith("engagement."):
                number = _count(row[column])
                if number is not None:
                    engagement[target.split(".", 1)[1]] = number
            else:
                out[target] = row[column]
        raw = out.get("engagement")
        if isinstance(raw, str) and raw.strip():
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise BadRowError("engagement is not a JSON object") from None
        if raw not in (None, "", {}):
            if not isinstance(raw, dict):
                raise BadRowError("engagement must be an object")
            engagement = {**raw, **engagement}
        out["engagement"] = engagement
        return out


def build_record(
    fields: dict[str, Any],
    *,
    default_platform: str | None,
    naive_is_utc: bool,
    gazetteer: Gazetteer,
    pseudonymiser: Callable[[str, str], str] | None,
    keep_raw_handles: bool,
    source_id: int | None,
) -> PostRecord:
    """A validated PostRecord from mapped fields, cleaned like a crawled post."""
    platform = _text_or_none(fields.get("platform"), "platform", 40) or default_platform
    if not platform:
        raise BadRowError("no platform (add a platform field or pass --platform)")
    platform = platform.lower()
    if not PLATFORM_RE.match(platform):
        raise BadRowError(f"platform {platform!r} is not a short lowercase name")
    external_id = _text_or_none(fields.get("external_id"), "external_id")
    if not external_id:
        raise BadRowError("external_id is missing (4CAT: the id column)")
    created_at = parse_time(fields.get("created_at"), naive_is_utc=naive_is_utc)
    raw_text, html = fields.get("text"), fields.get("html")
    for name, value in (("text", raw_text), ("html", html)):
        if value is not None and not isinstance(value, str):
            raise BadRowError(f"{name} must be a string, got {type(value).__name__}")
    title = fields.get("title")
    if title is not None and not isinstance(title, str):
        raise BadRowError(f"title must be a string, got {type(title).__name__}")
    text = clean_text(raw_text or None, html or None)
    title = clean_title(title or None)
    language = _text_or_none(fields.get("language"), "language", 12)
    if language is None:
        language = detect_language(text or title or "")
    handle = _text_or_none(fields.get("author"), "author")
    pseudonym = pseudonymiser(platform, handle) if handle and pseudonymiser else None
    record = PostRecord(
        platform=platform,
        external_id=external_id,
        text=text,
        created_at=created_at,
        url=_text_or_none(fields.get("url"), "url", 2000),
        author_pseudonym=pseudonym,
        author_handle=handle if keep_raw_handles else None,
        title=title,
        language=language,
        parent_id=_text_or_none(fields.get("parent_id"), "parent_id"),
        thread_id=_text_or_none(fields.get("thread_id"), "thread_id"),
        engagement=dict(fields.get("engagement") or {}),
        places=gazetteer.match(f"{title or ''}\n{text}"),
        source_id=source_id,
    )
    try:
        return record.validated()
    except InvalidPostError as exc:
        raise BadRowError(str(exc)) from None


# --- the import ----------------------------------------------------------------------

Progress = Callable[[int, int], None]  # bytes read, total bytes


def import_file(
    path: Path | str,
    *,
    settings: Settings,
    sessions: Any,
    pseudonymiser: Callable[[str, str], str] | None,
    format: str | None = None,
    platform: str | None = None,
    mapping: dict[str, str] | None = None,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one file; see the module docstring. Raises ImportFileError for a bad file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = (format or detect_format(path)).lower()
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if platform is not None:
        platform = platform.strip().lower()
        if not PLATFORM_RE.match(platform):
            raise ImportFileError(f"--platform {platform!r} is not a short lowercase name")
    mapping = dict(mapping or {})
    started = time.monotonic()
    source_name = f"import:{path.name}"[:200]
    summary = ImportSummary(str(path), fmt, source_name)
    with session_scope(sessions) as session:
        source = sync_source(
            session,
            source_name,
            platform or "import",
            {"file": str(path.resolve()), "format": fmt, "mapping": mapping},
            enabled=False,
        )
        source_id = source.id
        summary.run_id = start_crawl_run(session, source_id, runner="import").id
    mapper = RowMapper(fmt, mapping, platform)
    gazetteer = Gazetteer(settings.locality.places)
    keep = settings.privacy.keep_raw_handles
    zone = settings.locality.zone
    total = path.stat().st_size
    counter = [0]
    failure: str | None = None
    pending: list[tuple[int, PostRecord]] = []

    def flush() -> None:
        if pending:
            _store(sessions, pending, zone, summary)
            pending.clear()
        if progress is not None:
            progress(counter[0], total)

    try:
        with path.open("rb") as handle:
            rows = _rows(handle, fmt, path, counter, mapping)
            for line, row, error in rows:
                if error is not None or row is None:
                    summary.rows += 1
                    summary.reject(line, error or "unreadable")
                    continue
                summary.rows += 1
                try:
                    fields = mapper.fields(row)
                    record = build_record(
                        fields,
                        default_platform=platform,
                        naive_is_utc=fmt == "4cat",
                        gazetteer=gazetteer,
                        pseudonymiser=pseudonymiser,
                        keep_raw_handles=keep,
                        source_id=source_id,
                    )
                except BadRowError as exc:
                    summary.reject(line, str(exc))
                    continue
                pending.append((line, record))
                if len(pending) >= batch_size:
                    flush()
            flush()
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
                failure or _message(summary) or None,
            )
    if failure:
        raise ImportFileError(failure)
    return summary


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
    if fmt == "4cat" and not {"id", "body"} <= set(columns) | set(mapping.values()):
        raise ImportFileError(
            f"not a 4CAT export: it needs the columns id, body and timestamp "
            f"(columns: {', '.join(columns)})"
        )
    yield from rows


def _store(
    sessions: Any, pending: list[tuple[int, PostRecord]], zone: Any, summary: ImportSummary
) -> None:
    """Upsert a batch in one transaction; on a database error, row by row."""
    try:
        with session_scope(sessions) as session:
            result = upsert_posts(session, [record for _, record in pending], zone)
        summary.new += result.new
        summary.duplicate += result.duplicate
        return
    except Exception:  # noqa: BLE001  (isolated below, row by row)
        pass
    for line, record in pending:
        try:
            with session_scope(sessions) as session:
                result = upsert_posts(session, [record], zone)
        except Exception as exc:  # noqa: BLE001  (reported as this row's reason)
            summary.reject(line, f"the database refused it ({type(exc).__name__})")
            continue
        summary.new += result.new
        summary.duplicate += result.duplicate


def _message(summary: ImportSummary) -> str:
    if not summary.bad:
        return ""
    shown = "; ".join(f"line {b.line}: {b.reason}" for b in summary.bad_rows[:3])
    more = summary.bad - min(3, len(summary.bad_rows))
    return f"{summary.bad} bad row(s) skipped: {shown}" + (f"; {more} more" if more else "")
