"""Settings: one TOML file plus COHESION_* environment variables, validated.

Where the file is: `--config PATH`, else $COHESION_CONFIG, else ./cohesion.toml when it
exists; with none, the defaults below apply (an empty locality with no sources).

Any setting can be overridden from the environment as COHESION_<SECTION>__<KEY>, for
example COHESION_REVIEW__PORT=9000. COHESION_DATABASE_URL is the short form of
COHESION_DATABASE__URL. Secrets (the pseudonym key, platform credentials, the webhook
URL) belong in the environment, not in the file.

Relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cohesion.local_calendar import event_day, event_kind, event_title
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONFIG_ENV = "COHESION_CONFIG"
DEFAULT_CONFIG_NAME = "cohesion.toml"
ENV_PREFIX = "COHESION_"
# Short aliases kept because DESIGN.md and deployments name them.
ENV_ALIASES = {"COHESION_DATABASE_URL": ("database", "url")}
# COHESION_* variables that are not settings overrides.
ENV_NOT_SETTINGS = {
    CONFIG_ENV,
    "COHESION_PSEUDONYM_KEY",
    "COHESION_TEST_DATABASE_URL",
    "COHESION_REVIEW_SECRET",
}

# Sections that are lists of tables: set in the file, not from single variables.
LIST_SECTIONS = {"sources", "watchlist", "events"}

PLATFORMS = ("reddit", "mastodon", "bluesky", "telegram", "fourchan", "rss", "discourse")


class ConfigError(ValueError):
    """A configuration problem, phrased for the user: it names the file and the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DatabaseSettings(Section):
    url: str = Field(
        "sqlite:///cohesion.db",
        description="SQLAlchemy URL; sqlite:///relative.db or postgresql+psycopg://user@host/db",
    )


class Place(Section):
    name: str = Field(..., min_length=1, description="The place's usual name")
    aliases: list[str] = Field(default_factory=list, description="Other spellings and nicknames")
    kind: Literal["city", "county", "neighborhood", "institution", "landmark", "other"] = Field(
        "city", description="What the place is"
    )


class LocalitySettings(Section):
    name: str = Field("Unnamed locality", description="The locality Cohesion monitors")
    timezone: str = Field("UTC", description="IANA time zone; weeks start Monday here")
    places: list[Place] = Field(
        default_factory=list, description="Gazetteer: places and institutions of the locality"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like America/Chicago)"
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class SourceSettings(BaseModel):
    """One source. Platform-specific keys (subreddits, hashtags...) are checked by its spider."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(
        ..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="Unique source name"
    )
    platform: Literal[
        "reddit", "mastodon", "bluesky", "telegram", "fourchan", "rss", "discourse"
    ] = Field(..., description="Which spider collects it")
    enabled: bool = Field(True, description="Crawl it in `cohesion crawl` and nightly")
    base_url: str | None = Field(None, description="API or site root (a mirror or test server)")
    max_pages: int = Field(5, ge=1, le=10_000, description="Pages fetched per listing per run")
    require_local: bool | None = Field(
        None,
        description="Keep only posts that mention the locality (default: true for broad sources)",
    )

    @property
    def options(self) -> dict[str, Any]:
        """The platform-specific keys, for the spider to validate."""
        return dict(self.model_extra or {})


class CrawlSettings(Section):
    contact: str = Field(
        "", description="Contact address put in the User-Agent so site operators can reach you"
    )
    user_agent: str = Field(
        "", description="Override the User-Agent; default 'CohesionMonitor/<version> (+contact)'"
    )
    download_delay: float = Field(1.0, ge=0, description="Seconds between requests to one site")
    autothrottle: bool = Field(True, description="Adapt the delay to the site's response times")
    concurrent_requests_per_domain: int = Field(
        2, ge=1, le=16, description="Parallel requests per site"
    )
    timeout: float = Field(30.0, gt=0, description="Seconds before a request times out")
    retries: int = Field(
        3, ge=0, le=10, description="Retries of a failed request (429, 5xx, timeouts)"
    )


class ScheduleSettings(Section):
    crawl_time: time = Field(time(2, 30), description="Nightly crawl and classify, locality time")
    report_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field(
        "mon", description="Weekday of the weekly report"
    )
    report_time: time = Field(time(7, 0), description="Time of the weekly report, locality time")
    purge_time: time = Field(time(4, 0), description="Daily retention purge, locality time")
    misfire_grace_minutes: int = Field(
        120, ge=1, description="A job missed by less than this (machine asleep) still runs"
    )


class RetentionSettings(Section):
    unflagged_days: int = Field(90, ge=1, description="Days to keep posts nobody flagged")
    flagged_days: int = Field(730, ge=1, description="Days to keep flagged or reviewed posts")

    @model_validator(mode="after")
    def _longer_for_flagged(self) -> RetentionSettings:
        if self.flagged_days < self.unflagged_days:
            raise ValueError("flagged_days must not be shorter than unflagged_days")
        return self


class PrivacySettings(Section):
    key_file: Path = Field(
        Path("cohesion.key"),
        description="Instance key file (0600), made by `cohesion init`: keys the pseudonyms "
        "and hashed ids, seals the links to original posts",
    )
    keep_raw_handles: bool = Field(
        False,
        description="Also store raw author handles and the links to original posts in clear "
        "(off by default)",
    )


class ClassifierSettings(Section):
    model: Path | None = Field(
        None, description="Model directory; default the bundled models/default"
    )
    batch_size: int = Field(500, ge=1, le=100_000, description="Posts per classification batch")
    training_data: Path = Field(
        Path("training-data"),
        description="Folder of the public training datasets (docs/training-data.md), "
        "read by `cohesion train` and retraining from reviews",
    )
    target_precision: float | dict[str, float] = Field(
        default_factory=lambda: {
            "hate": 0.5,
            "anti_government": 0.5,
            "threat": 0.25,
            "doxxing": 0.5,
        },
        description="Precision each label's flags should reach on held-out feed data; "
        "`cohesion train` sets every threshold for it (a number, or one per label)",
    )

    @field_validator("target_precision")
    @classmethod
    def _precision_in_range(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        values = value.values() if isinstance(value, dict) else [value]
        if not all(0.0 < v < 1.0 for v in values):
            raise ValueError("target_precision must lie strictly between 0 and 1")
        if isinstance(value, dict):
            unknown = set(value) - {"hate", "anti_government", "threat", "doxxing"}
            if unknown:
                raise ValueError(f"target_precision: unknown label(s) {', '.join(sorted(unknown))}")
        return value


class ReviewSettings(Section):
    host: str = Field("127.0.0.1", description="Address the review app binds to")
    port: int = Field(8080, ge=1, le=65535, description="Port of the review app")
    secret_file: Path = Field(
        Path("review.secret"),
        description="Session-signing secret file (or $COHESION_REVIEW_SECRET)",
    )
    session_hours: int = Field(12, ge=1, description="Hours a login lasts")
    public_url: str = Field(
        "",
        description="Address analysts open the review app at (https://...); reports and "
        "alerts link each post's page there",
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// address, or empty")
        if value and not urlsplit(value).netloc:
            raise ValueError("must name a host, like https://cohesion.example.org")
        return value.rstrip("/")


class AlertSettings(Section):
    webhook_url: str = Field("", description="Slack/Teams-style webhook; empty disables alerts")
    include_text: bool = Field(
        False, description="Put post text in alerts (off: link and labels only)"
    )
    spike_z: float = Field(3.0, gt=0, description="Spike test: z-score over the 4-week baseline")
    min_count: int = Field(5, ge=1, description="Spike test: fewest flags in a week to alert on")
    timeout: float = Field(10.0, gt=0, description="Seconds per webhook attempt")
    retries: int = Field(3, ge=0, le=10, description="Webhook retries with backoff")


class ReportSettings(Section):
    out_dir: Path = Field(Path("reports-out"), description="Where `cohesion report` writes")
    sample_size: int = Field(10, ge=0, description="Flagged posts shown as a sample")


class CoordinationSettings(Section):
    """When near-identical posts count as copy-paste or coordinated posting (patterns/)."""

    min_accounts: int = Field(
        5, ge=2, description="Distinct accounts posting near-identical text that make a burst"
    )
    min_platforms: int = Field(
        3, ge=2, description="Platforms carrying near-identical text that make a burst"
    )
    window_hours: float = Field(
        6.0, gt=0, le=168, description="Hours within which those posts must fall"
    )
    similarity: float = Field(
        0.7, ge=0.3, le=1.0, description="Jaccard similarity of 3-word shingles for near-identical"
    )
    min_words: int = Field(8, ge=3, description="Shorter posts are never compared")


class ScaleSettings(Section):
    scrapyd: list[str] = Field(
        default_factory=list,
        description="Scrapyd node URLs; when set, crawls run there as Scrapyd jobs",
    )
    poll_seconds: float = Field(5.0, gt=0, description="How often to ask Scrapyd about its jobs")
    crawl_timeout_minutes: int = Field(
        360, ge=1, description="Cancel Scrapyd crawl jobs still running after this long"
    )

    @field_validator("scrapyd")
    @classmethod
    def _http_urls(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.startswith(("http://", "https://")):
                raise ValueError(f"{value!r} is not an http(s) URL of a Scrapyd node")
        return values


class WatchlistEntry(Section):
    """A person, role or institution the locality protects (README "Watchlist")."""

    name: str = Field(..., min_length=2, description="Canonical name, e.g. 'Dana Whitlock'")
    kind: Literal["person", "role", "institution"] = Field(
        ..., description="person (an official), role (an office holder), institution"
    )
    aliases: list[str] = Field(
        default_factory=list, description="Other names: titles, nicknames, abbreviations"
    )
    locality: str | None = Field(None, description="Place it belongs to (default: the locality)")
    accounts: list[str] = Field(
        default_factory=list,
        description="Its own accounts as platform:handle; a reply to them saying 'you' names it",
    )

    @field_validator("aliases", "accounts")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        cleaned = [v.strip() for v in values]
        if any(len(v) < 2 for v in cleaned):
            raise ValueError("entries must have at least two characters")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _one_word_aliases_are_proper_names(self) -> WatchlistEntry:
        # A one-word alias is matched only as written (docs/watchlist.md): written in
        # lower case it would either never match (a person) or match everywhere.
        for alias in self.names():
            if len(alias.split()) == 1 and alias == alias.lower():
                raise ValueError(
                    f"one-word alias {alias!r} must be written with its capitals "
                    f"(a surname like 'Okafor' or an acronym like 'BOCC'); "
                    f"use a phrase such as 'county court' for an ordinary word"
                )
        return self

    def names(self) -> list[str]:
        return list(dict.fromkeys([self.name.strip(), *self.aliases]))


class EventEntry(Section):
    """A dated local event the report and the charts show beside the weeks
    (README "The local calendar"); checked by local_calendar.py's rule."""

    date: dt.date = Field(..., description="The day of the event, YYYY-MM-DD")
    title: str = Field(..., description="What happened")
    kind: str = Field("community", description="meeting, election, community or national")

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return event_title(value)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return event_kind(value)

    @field_validator("date")
    @classmethod
    def _plausible(cls, value: dt.date) -> dt.date:
        return event_day(value, dt.datetime.now(dt.UTC).date())


class Settings(Section):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    locality: LocalitySettings = Field(default_factory=LocalitySettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    coordination: CoordinationSettings = Field(default_factory=CoordinationSettings)
    watchlist: list[WatchlistEntry] = Field(default_factory=list)
    events: list[EventEntry] = Field(default_factory=list)

    # Where the settings came from; not a setting.
    config_path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r}")
            seen.add(source.name)
        return self

    @model_validator(mode="after")
    def _unambiguous_watchlist(self) -> Settings:
        # One alias naming two entries would send a threat to the wrong person.
        owner: dict[str, str] = {}
        for entry in self.watchlist:
            for name in entry.names():
                key = " ".join(name.casefold().split())
                if key in owner and owner[key] != entry.name:
                    raise ValueError(
                        f"watchlist: {name!r} names both {owner[key]!r} and {entry.name!r}"
                    )
                owner[key] = entry.name
        return self

    @property
    def base_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def source(self, name: str) -> SourceSettings:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} (sources: {known})")


def load_settings(
    path: Path | str | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, merge and validate the settings; raise ConfigError naming file and key."""
    environ = dict(os.environ if environ is None else environ)
    config_path = find_config_path(path, environ)
    data: dict[str, Any] = {}
    where = "defaults"
    if config_path is not None:
        where = str(config_path)
        data = _read_toml(config_path)
    env_keys = _apply_environment(data, environ)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, where, env_keys)) from None
    settings.config_path = config_path.resolve() if config_path else None
    settings.database.url = _resolve_sqlite_url(settings.database.url, settings.base_dir)
    return settings


def find_config_path(path: Path | str | None, environ: dict[str, str]) -> Path | None:
    if path:
        return Path(path)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _apply_environment(data: dict[str, Any], environ: dict[str, str]) -> dict[str, str]:
    """Overlay COHESION_* variables on the file's data; returns dotted key -> variable."""
    applied: dict[str, str] = {}
    for variable, value in sorted(environ.items()):
        if not variable.startswith(ENV_PREFIX) or variable in ENV_NOT_SETTINGS:
            continue
        if variable in ENV_ALIASES:
            keys: tuple[str, ...] = ENV_ALIASES[variable]
        elif "__" in variable:
            keys = tuple(part.lower() for part in variable[len(ENV_PREFIX) :].split("__"))
        else:
            continue
        if keys[0] not in Settings.model_fields or keys[0] in LIST_SECTIONS | {"config_path"}:
            raise ConfigError(
                f"environment variable {variable}: {keys[0]!r} is not a settings section"
            )
        target = data
        for key in keys[:-1]:
            node = target.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment variable {variable}: {key!r} is not a section")
            target = node
        target[keys[-1]] = _parse_env_value(value)
        applied[".".join(keys)] = variable
    return applied


def _parse_env_value(value: str) -> Any:
    # JSON lists and objects let a variable carry a list of places; other text stays text
    # and pydantic converts it ("9000" -> 9000, "true" -> True).
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def _describe(exc: ValidationError, where: str, env_keys: dict[str, str]) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        origin = env_keys.get(key)
        if origin is None:
            # sources.2.name is clearer for the user as sources[2].name
            key = re.sub(r"\.(\d+)", r"[\1]", key)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see README 'Settings')"
        lines.append(f"{origin or where}: {key or '(top level)'}: {message}")
    return "\n".join(lines)


def _resolve_sqlite_url(url: str, base_dir: Path) -> str:
    """A relative SQLite path resolved against the config's folder, written back as a URL
    with `#`, `?`, `%` and spaces of the folder's path escaped (a bare `?` would start
    the URL's query and cut the path there)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    path = url[len(prefix) :]
    if not path or path.startswith("/") or path.startswith(":memory:"):
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # make_engine reports it, naming the URL
    database = str((base_dir / (parsed.database or "")).resolve())
    return parsed.set(database=database).render_as_string(hide_password=False)
