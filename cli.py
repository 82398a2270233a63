"""The `cohesion` command: thin wrappers, one library call per command."""

from __future__ import annotations

import csv
import io
import json
import time
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from cohesion.classify.errors import ModelLoadError
from cohesion.config import ConfigError
from cohesion.review import retrain_protocol as protocol
from cohesion.store.engine import DatabaseError
from cohesion.store.posts import InvalidPostError
from cohesion.store.pseudonyms import PseudonymKeyError
from cohesion.weeks import week_label
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup


class InputError(ValueError):
    """A command-line value the command cannot use (raised from option callbacks too)."""


# Mistakes a user can make (bad config, unreachable database...): one line, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    InputError,
    ConfigError,
    DatabaseError,
    PseudonymKeyError,
    InvalidPostError,
    ModelLoadError,
    FileNotFoundError,
)

console = Console()
err_console = Console(stderr=True)


class CohesionGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None


def _version() -> str:
    try:
        return version("cohesion-monitor")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


app = typer.Typer(
    cls=CohesionGroup,
    help="Cohesion: monitor hate, anti-government narratives and threats for one locality.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    # Locals can hold post text and secrets; never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(cls=CohesionGroup, help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="COHESION_CONFIG",
        help="Settings file (default ./cohesion.toml).",
    ),
]


def _show_version(value: bool) -> None:
    if value:
        console.print(f"cohesion {_version()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: ConfigOption = None,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Cohesion: monitor hate, anti-government narratives and threats for one locality.

    Start with `cohesion init`, then `cohesion crawl`, `cohesion classify` and
    `cohesion report`; `cohesion schedule` runs them every night.
    """
    ctx.obj = {"config": config}


def _config(ctx: typer.Context) -> Path | None:
    return (ctx.obj or {}).get("config")


@app.command()
def init(ctx: typer.Context) -> None:
    """Set up a new installation: config, pseudonym key, database, sources.

    Writes ./cohesion.toml from a commented starter when no config exists, creates the
    pseudonym key file (mode 0600) unless COHESION_PSEUDONYM_KEY is set, and the review
    app's session secret (0600) unless COHESION_REVIEW_SECRET is set, migrates the
    database to the latest schema and registers the configured sources. Safe to run
    again. Example: `cohesion --config examples/johnson-county.toml init`
    """
    from cohesion.jobs.setup import init_project

    config = _config(ctx)
    result = init_project(config, target=None if config else Path("cohesion.toml"))
    if result.config_written:
        console.print(f"wrote starter config {result.config_written}; edit it for your locality")
    if result.key_created:
        console.print(f"created pseudonym key {result.key_created} (mode 0600); back it up")
    if result.review_secret_created:
        console.print(f"created review-app session secret {result.review_secret_created} (0600)")
    console.print(f"database at schema revision {result.revision}")
    console.print(f"{len(result.sources)} source(s) registered: {', '.join(result.sources) or '-'}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the latest schema (safe to run twice).

    Example: `COHESION_DATABASE_URL=postgresql+psycopg://me@db/cohesion cohesion db upgrade`
    """
    from cohesion.jobs.setup import upgrade_database

    before, after = upgrade_database(_config(ctx))
    if before == after:
        console.print(f"schema already at revision {after}")
    else:
        console.print(f"schema upgraded from {before or 'empty'} to {after}")


@app.command()
def status(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks of history to show.")] = 8,
) -> None:
    """Show posts per source and week, collection gaps, each source's last crawl, the model.

    A collection gap (a source far below its own baseline, or failing to crawl; see
    reports/README.md) is listed for the last complete weeks.
    Example: `cohesion status --weeks 4`
    """
    from cohesion.jobs.status import collect_status
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    _warn_if_database_readable(runtime.engine)
    try:
        state = collect_status(runtime, weeks)
    finally:
        runtime.close()
    totals = state.totals
    console.print(
        f"[bold]{state.locality}[/]: {totals['posts']} posts from "
        f"{totals['sources']} sources; {totals['classified']} classified, "
        f"{totals['flagged']} flagged by the current model"
    )
    console.print(f"model in use: {state.model or 'none yet (run `cohesion classify`)'}")
    console.print(_weeks_table(state.per_week))
    console.print(_gaps_table(state.gaps, weeks))
    console.print(_runs_table(state.runs))


def _warn_if_database_readable(engine: Any) -> None:
    """The database holds password hashes, addresses and post text: say so when other
    users of the machine can read its file."""
    from cohesion.private_files import readable_by_others

    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return
    path = Path(database)
    if path.exists() and readable_by_others(path):
        mode = path.stat().st_mode & 0o777
        err_console.print(
            f"[yellow]warning:[/] the database {path} can be read by other users "
            f"(mode {mode:o}); run `chmod 600 {path}`",
            highlight=False,
            soft_wrap=True,
        )


@app.command("classify")
def classify_command(
    ctx: typer.Context,
    model: Annotated[
        Path | None, typer.Option(help="Model directory (default: the current model).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Posts per batch.")] = None,
) -> None:
    """Classify every stored post that has no classification from the current model.

    Runs in batches with a progress bar; an interrupted run resumes where it stopped.
    Example: `cohesion classify --batch-size 1000`
    """
    from cohesion.jobs.classify import classify_stored
    from cohesion.runtime import Runtime
    from rich.progress import Progress

    runtime = Runtime.open(_config(ctx))
    try:
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("classifying", total=None)
            result = classify_stored(
                runtime,
                model_dir=model,
                batch_size=batch_size,
                progress=lambda n: bar.advance(task, n),
                on_start=lambda total: bar.update(task, total=total),
            )
    finally:
        runtime.close()
    console.print(
        f"classified {result.classified} post(s) with {result.model_version}; "
        f"{result.flagged} flagged"
    )


worker_app = typer.Typer(
    cls=CohesionGroup, help="Long-running workers for a PostgreSQL hub.", no_args_is_help=True
)
app.add_typer(worker_app, name="worker")


@worker_app.command("classify")
def worker_classify(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Posts claimed at a time.")] = 500,
    lease: Annotated[
        float, typer.Option(min=1, help="Seconds before a crashed worker's claim is taken again.")
    ] = 600,
    wait: Annotated[
        float | None,
        typer.Option(help="Keep polling every this many seconds instead of exiting when done."),
    ] = None,
) -> None:
    """Classify stored posts as one of many parallel workers (PostgreSQL).

    Start as many as you like, on one machine or many: each claims batches with
    FOR UPDATE SKIP LOCKED, and a claim a crashed worker held expires after --lease
    seconds. On SQLite it runs `cohesion classify` in this one process and says so.
    Example: `cohesion worker classify --batch 1000 --wait 30`
    """
    from cohesion.jobs.classify import classify_stored, classify_worker
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        if runtime.engine.dialect.name != "postgresql":
            console.print("SQLite allows one writer: running a single classify worker")
            result = classify_stored(runtime, batch_size=batch)
        else:
            result = classify_worker(
                runtime, batch_size=batch, lease_seconds=lease, wait_for_work=wait
            )
    finally:
        runtime.close()
    console.print(
        f"worker classified {result.classified} post(s) with {result.model_version}; "
        f"{result.flagged} flagged"
    )


@app.command()
def crawl(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", metavar="NAME", help="Crawl only this source (repeatable)."),
    ] = None,
    scrapyd: Annotated[
        list[str] | None,
        typer.Option(
            "--scrapyd",
            metavar="URL",
            help="Run the crawls as jobs on these Scrapyd nodes (repeatable or comma-separated; "
            "default [scale] scrapyd).",
        ),
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Crawl here even when [scale] scrapyd is set.")
    ] = False,
) -> None:
    """Crawl the enabled sources incrementally, each in its own process.

    Prints a summary per source (pages, items, new, duplicates, errors) and exits with
    status 1 when any source failed; a source missing credentials is skipped with the
    variable to set. With --scrapyd (or [scale] scrapyd) the crawler code is deployed to
    the Scrapyd nodes and each source runs there as a job, round-robin over the nodes.
    Example: `cohesion crawl --source county-reddit --source county-news`, or
    `cohesion crawl --scrapyd http://crawl1:6800 --scrapyd http://crawl2:6800`
    """
    from cohesion.jobs.crawl import CrawlFailedError, crawl_all
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    nodes = [url.strip() for value in scrapyd or [] for url in value.split(",") if url.strip()]
    chosen: list[str] | None = [] if local else (nodes or None)
    with console.status("crawling...") as spinner:

        def progress(name: str, counts: Any) -> None:
            spinner.update(
                f"crawling {name}: {counts.pages} pages, {counts.items} items, "
                f"{counts.new} new, {counts.errors} errors"
            )

        def job_state(name: str, state: str) -> None:
            spinner.update(f"Scrapyd job of {name}: {state}")

        try:
            summaries = crawl_all(
                runtime, source or None, progress, nodes=chosen, job_state=job_state
            )
        except CrawlFailedError as failed:
            summaries = failed.summaries
        finally:
            runtime.close()
    table = Table(title="Crawl summary")
    for column in ("source", "platform", "status", "pages", "items", "new", "dup", "errors"):
        table.add_column(
            column,
            justify="right" if column in ("pages", "items", "new", "dup", "errors") else "left",
        )
    colours = {"ok": "green", "failed": "red", "skipped": "yellow"}
    for s in summaries:
        table.add_row(
            s.name,
            s.platform,
            f"[{colours.get(s.status, 'white')}]{s.status}[/]",
            str(s.pages),
            str(s.items),
            str(s.new),
            str(s.duplicate),
            str(s.errors),
        )
    console.print(table)
    for s in summaries:  # full messages below the table, where they are not cut
        if s.message:
            console.print(f"{s.name} ({s.status}): {s.message}", highlight=False, soft_wrap=True)
    if not summaries:
        console.print("no enabled sources to crawl (add [[sources]] to the config)")
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(code=1)


@app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Files to import.")],
    platform: Annotated[
        str | None, typer.Option(help="Platform of rows that do not name one.")
    ] = None,
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="jsonl, csv or 4cat (4CAT and Zeeschuimer; default: from the file).",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", metavar="FIELD=COLUMN", help="Column of a post field (repeatable)."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 1000,
    timezone: Annotated[
        str | None,
        typer.Option(
            metavar="ZONE",
            help="Zone of times written without one (4CAT's Telegram, Instagram, Threads "
            "exports: its server's zone), e.g. Europe/Amsterdam.",
        ),
    ] = None,
) -> None:
    """Bulk-load posts from files you already have, cleaned and stored like crawled posts.

    JSONL in the post schema, CSV with a column mapping, or 4CAT and Zeeschuimer exports
    (docs/imports.md); authors are pseudonymised, importing twice stores once, bad rows
    are listed by line and skipped. Example: `cohesion import posts.csv --platform forum
    --map text=body --map created_at=timestamp --map external_id=id`
    """
    from cohesion.crawlers.imports import (
        ImportFileError,
        import_file,
        parse_mapping,
        parse_timezone,
    )
    from cohesion.runtime import Runtime
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = parse_mapping(mapping)
    parse_timezone(timezone)
    runtime = Runtime.open(_config(ctx))
    summaries = []
    failures: list[str] = []  # files that could not be imported: reported after the others
    try:
        pseudonymiser = runtime.pseudonymiser()
        with Progress(
            "{task.description}",
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            for path in files:
                task = bar.add_task(path.name, total=None, rows=0, rate=0.0)
                began = time.monotonic()

                def show(
                    done: int, total: int, rows: int, task: Any = task, began: float = began
                ) -> None:
                    rate = rows / max(time.monotonic() - began, 1e-9)
                    bar.update(task, completed=done, total=total, rows=rows, rate=rate)

                try:
                    summaries.append(
                        import_file(
                            path,
                            settings=runtime.settings,
                            sessions=runtime.sessions,
                            pseudonymiser=pseudonymiser,
                            format=file_format,
                            platform=platform,
                            mapping=columns,
                            timezone=timezone,
                            batch_size=batch,
                            progress=show,
                        )
                    )
                except ImportFileError as exc:
                    failures.append(str(exc))
    finally:
        runtime.close()
    if summaries:
        _print_import_summaries(summaries)
    for failure in failures:
        err_console.print(f"[red]error:[/] {failure}", highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(code=2)


def _print_import_summaries(summaries: list[Any]) -> None:
    table = Table(title="Import summary")
    for column in ("file", "format", "rows", "new", "duplicate", "bad", "rows/s"):
        table.add_column(column, justify="left" if column in ("file", "format") else "right")
    for s in summaries:
        table.add_row(
            Path(s.file).name,
            s.format,
            str(s.rows),
            str(s.new),
            str(s.duplicate),
            f"[red]{s.bad}[/]" if s.bad else "0",
            f"{s.rate:,.0f}",
        )
    console.print(table)
    for s in summaries:  # bad rows below the table: line number and reason, never text
        for bad in s.bad_rows[:20]:
            console.print(
                f"{Path(s.file).name}:{bad.line}: {bad.reason}", highlight=False, soft_wrap=True
            )
        if s.bad > 20:
            console.print(f"{Path(s.file).name}: {s.bad - 20} more bad row(s)")
        for note in s.notes:
            console.print(f"{Path(s.file).name}: {note}", highlight=False, soft_wrap=True)


# --- review app and its accounts (issue #6) ---------------------------------------------


@app.command()
def review(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default review.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default review.port, 8080).")
    ] = None,
    https_only: Annotated[
        bool, typer.Option(help="Send the session cookie over HTTPS only (behind a TLS proxy).")
    ] = False,
) -> None:
    """Run the analyst review web app until Ctrl-C.

    It binds to 127.0.0.1 unless told otherwise; create an account first with
    `cohesion user add NAME --role admin`. Example: `cohesion review --port 8080`, then
    open http://127.0.0.1:8080
    """
    from cohesion.jobs.review import serve_review
    from cohesion.review.app import ListenError
    from cohesion.review.auth import SecretError
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        serve_review(runtime, host, port, https_only=https_only)
    except (SecretError, ListenError) as exc:
        _fail(exc)
    finally:
        runtime.close()


user_app = typer.Typer(
    cls=CohesionGroup,
    help="Review-app accounts: add, list, disable, re-password and re-role accounts.",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")


def _fail(exc: Exception) -> NoReturn:
    err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="analyst (queue, decisions, export) or admin.")] = (
        "analyst"
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a review-app account; asks for the password twice (hidden).

    Example: `cohesion user add maria --role admin`, or for scripts
    `printf '%s\\n' "$PW" | cohesion user add ci-bot --password-stdin`
    """
    import sys

    from cohesion.review.accounts import add_user
    from cohesion.review.auth import WeakPasswordError
    from cohesion.runtime import Runtime
    from cohesion.store.review_queries import ReviewInputError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = Runtime.open(_config(ctx))
    try:
        user = add_user(runtime.sessions, name, password, role)
    except (ReviewInputError, WeakPasswordError) as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"created {user.role} {user.username}")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List review-app accounts with their role, status and last login.

    Example: `cohesion user list`
    """
    from cohesion.review.accounts import list_users
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        users = list_users(runtime.sessions)
    finally:
        runtime.close()
    table = Table(title="Review-app accounts")
    for column in ("username", "role", "status", "created (UTC)", "last login (UTC)"):
        table.add_column(column)
    for u in users:
        table.add_row(
            u.username, u.role, "disabled" if u.disabled else "active",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
            u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "never",
        )  # fmt: skip
    console.print(table)


@user_app.command("disable")
def user_disable(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Login name.")]
) -> None:
    """Disable an account: it can no longer log in and its open sessions end at once.

    Example: `cohesion user disable maria`
    """
    from cohesion.review.accounts import set_disabled
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        user = set_disabled(runtime.sessions, name, True)
    except LookupError as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"disabled {user.username}")


def _read_password(password_stdin: bool) -> str:
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))


@user_app.command("passwd")
def user_passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password for an account (asked twice, hidden); its sessions end at once.

    The password must have 10 characters or more, not be blank or contain the username,
    and not be easy to guess. Audited as user.passwd.
    Example: `cohesion user passwd maria`
    """
    from cohesion.review.accounts import set_password
    from cohesion.review.auth import WeakPasswordError
    from cohesion.runtime import Runtime

    password = _read_password(password_stdin)
    runtime = Runtime.open(_config(ctx))
    try:
        user = set_password(runtime.sessions, name, password)
    except (LookupError, WeakPasswordError) as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"new password set for {user.username}; their sessions have ended")


@user_app.command("role")
def user_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="analyst or admin.")],
) -> None:
    """Change an account's role; its sessions end at once. Audited as user.role.

    The last enabled admin cannot be made an analyst. Example: `cohesion user role omar admin`
    """
    from cohesion.review.accounts import set_role
    from cohesion.runtime import Runtime
    from cohesion.store.review_queries import ReviewInputError

    runtime = Runtime.open(_config(ctx))
    try:
        user = set_role(runtime.sessions, name, role)
    except (LookupError, ReviewInputError) as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"{user.username} is now {user.role}; their sessions have ended")


def _weeks_table(rows: list[Any]) -> Table:
    weeks = sorted({row.week_start for row in rows})
    table = Table(title="Posts per source and week (week starting)")
    table.add_column("source")
    for week in weeks:
        table.add_column(week.isoformat(), justify="right")
    by_source: dict[str, dict[Any, int]] = {}
    for row in rows:
        by_source.setdefault(row.source, {})[row.week_start] = row.posts
    for source, counts in sorted(by_source.items()):
        table.add_row(source, *(str(counts.get(week, 0)) for week in weeks))
    return table


def _gaps_table(gaps: list[Any], weeks: int) -> Table | str:
    if not gaps:
        return f"no collection gaps in the last {weeks} complete week(s)"
    table = Table(title="Collection gaps (a fall in flags here is not a fall in hostility)")
    for column in ("week starting", "source", "posts", "baseline", "failed crawls", "reason"):
        table.add_column(column)
    for gap in sorted(gaps, key=lambda g: (g.week_start, g.source)):
        baseline = "–" if gap.baseline is None else f"{gap.baseline:.1f}"
        table.add_row(
            gap.week_start.isoformat(), gap.source, str(gap.posts), baseline,
            str(gap.failed_runs), gap.reason or "",
        )  # fmt: skip
    return table


def _runs_table(runs: list[Any]) -> Table:
    table = Table(title="Last crawl of each source")
    for column in ("source", "started (UTC)", "status", "new", "dup", "errors", "message"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run.source,
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.status,
            str(run.items_new),
            str(run.items_duplicate),
            str(run.errors),
            run.message or "",
        )
    return table


# --- trends, report, purge and schedule (issue #5) -------------------------------------


class TrendBy(StrEnum):
    label = "label"
    target = "target"
    narrative = "narrative"
    source = "source"


class TrendFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class JobName(StrEnum):
    nightly = "nightly"
    crawl = "crawl"
    classify = "classify"
    report = "report"
    purge = "purge"


def _check_week(value: str | None) -> str | None:
    from cohesion.weeks import parse_week

    if value is not None:
        try:
            parse_week(value)
        except ValueError as exc:
            raise InputError(f"--week: {exc}") from None
    return value


@app.command()
def trends(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to show.")] = 8,
    by: Annotated[TrendBy, typer.Option(help="Break flags down by this.")] = TrendBy.label,
    output: Annotated[
        TrendFormat, typer.Option("--format", help="table, or csv/json for other tools.")
    ] = TrendFormat.table,
) -> None:
    """Show weekly flagged posts and rates per 1,000 posts, with the spike test.

    The weeks end with the last complete week in the locality's time zone. Labels come
    from the current model, overridden by analyst reviews. A spike (marked !) is a count
    well above the previous four weeks' rate at this week's volume (see reports/README.md).
    Example: `cohesion trends --weeks 12 --by narrative --format csv > narratives.csv`
    """
    from cohesion.jobs.report import weekly_trends
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        rows = weekly_trends(runtime, weeks, by.value)
    finally:
        runtime.close()
    records = [row.as_dict() for row in rows]
    if output is TrendFormat.json:
        typer.echo(json.dumps(records, indent=2))
    elif output is TrendFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["week"])
        writer.writeheader()
        writer.writerows(records)
        typer.echo(buffer.getvalue(), nl=False)
    else:
        console.print(_trends_table(rows, by.value))


def _trends_table(rows: list[Any], by: str) -> Table:
    weeks = sorted({row.week for row in rows})
    table = Table(title=f"Flagged posts (per 1,000 posts) by {by}; ! = spike")
    table.add_column(by)
    for week in weeks:
        table.add_column(week, justify="right")
    cells: dict[str, dict[str, str]] = {}
    for row in rows:
        rate = "–" if row.rate is None else f"{row.rate:.1f}"
        cells.setdefault(row.key, {})[row.week] = (
            f"{row.flagged} ({rate}){'!' if row.test.spike else ''}"
        )
    for key, by_week in cells.items():
        table.add_row(key, *(by_week.get(week, "") for week in weeks))
    return table


event_app = typer.Typer(
    cls=CohesionGroup,
    help="The local calendar: meetings, elections, community and national events.",
    no_args_is_help=True,
)
app.add_typer(event_app, name="event")


class EventKind(StrEnum):
    meeting = "meeting"
    election = "election"
    community = "community"
    national = "national"


@event_app.command("add")
def event_add(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="The day, YYYY-MM-DD.")],
    title: Annotated[str, typer.Argument(help="What happens, e.g. 'Commission vote on X'.")],
    kind: Annotated[EventKind, typer.Option(help="What kind of event.")] = EventKind.community,
) -> None:
    """Add an event to the calendar (stored and audited); the report names it beside a
    spike that began within three days after it, and every chart marks it.
    Example: `cohesion event add 2026-11-10 "Commission vote on the library policy" --kind meeting`
    """
    from datetime import date

    from cohesion.jobs.events import add
    from cohesion.runtime import Runtime

    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        _fail(ValueError(f"{day!r} is not a date like 2026-11-10"))
    runtime = Runtime.open(_config(ctx))
    try:
        event = add(runtime, when, title, kind.value)
    except ValueError as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"added {event.kind} event on {event.day.isoformat()}: {event.title}",
                  highlight=False)  # fmt: skip


@event_app.command("list")
def event_list(
    ctx: typer.Context,
    output: Annotated[
        TrendFormat, typer.Option("--format", help="table, or csv/json for other tools.")
    ] = TrendFormat.table,
) -> None:
    """List every event: those in the config file and those added with `event add`.

    Example: `cohesion event list --format csv > calendar.csv`
    """
    from cohesion.jobs.events import every_event
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        events = every_event(runtime)
    finally:
        runtime.close()
    rows = [{"date": e.day.isoformat(), "kind": e.kind, "title": e.title, "origin": e.origin}
            for e in events]  # fmt: skip
    if output is TrendFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif output is TrendFormat.csv:
        _echo_csv(rows, ["date", "kind", "title", "origin"])
    else:
        table = Table(title=f"{len(rows)} event(s)")
        for column in ("date", "kind", "title", "origin"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["date"], row["kind"], row["title"], row["origin"])
        console.print(table)


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "phrases", prefix*, OR, -exclude, ( ).')],
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Only this platform (repeatable).")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this ISO week (2026-W40) or date on.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Up to this ISO week or date.")] = None,
    label: Annotated[str | None, typer.Option(help="Only posts flagged with this label.")] = None,
    narrative: Annotated[str | None, typer.Option(help="Only posts with this narrative.")] = None,
    target: Annotated[str | None, typer.Option(help="Only hate against this target.")] = None,
    place: Annotated[str | None, typer.Option(help="Only posts naming this place.")] = None,
    watchlist: Annotated[
        str | None, typer.Option(help="Only threats or doxxing naming this watchlist entry.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Posts to show.")] = 50,
    show_timeline: Annotated[
        bool,
        typer.Option("--timeline", help="Matches per week and platform, per 1,000 posts too."),
    ] = False,
    output: Annotated[
        TrendFormat, typer.Option("--format", help="table, or csv/json for other tools.")
    ] = TrendFormat.table,
) -> None:
    """Search every collected post, flagged or not (newest first).

    Words are stemmed ("voting" finds "vote"); "quotes" make a phrase, a trailing * a
    prefix, OR either word, -word or NOT word leaves posts out, parentheses group.
    Filters combine. Example: `cohesion search '"county clerk" (rigged OR fraud)'
    --since 2026-W40 --platform reddit --timeline`
    """
    from cohesion.jobs.search import run_search
    from cohesion.runtime import Runtime
    from cohesion.store.search import parse_filters

    try:
        filters = parse_filters(
            platforms=platform, sources=source, since=since, until=until, label=label,
            narrative=narrative, target=target, place=place, watchlist=watchlist,
        )  # fmt: skip
    except ValueError as exc:
        _fail(exc)
    runtime = Runtime.open(_config(ctx))
    review_url = runtime.settings.review.public_url
    try:
        result = run_search(runtime, query, filters, limit=limit, with_timeline=show_timeline)
    except ValueError as exc:  # SearchSyntaxError: the message says what to change
        _fail(exc)
    finally:
        runtime.close()
    _print_search(result, output, show_timeline, review_url)


def _print_search(result: Any, output: TrendFormat, show_timeline: bool, review_url: str) -> None:
    from cohesion.reports.links import post_link
    from cohesion.store.search import MARK_END, MARK_START

    def plain(snippet: str) -> str:
        return snippet.replace(MARK_START, "").replace(MARK_END, "")

    posts = [
        {
            "post_id": hit.post_id,
            "created_at": hit.created_at.isoformat(),
            "platform": hit.platform,
            "source": hit.source,
            # The review app's page of the post (the original's link is sealed there).
            "url": post_link(hit.post_id, hit.url, review_url),
            "snippet": plain(hit.snippet),
        }
        for hit in result.page.hits
    ]
    points = [
        {
            "week": week_label(p.week_start),
            "platform": p.platform,
            "matches": p.matches,
            "posts": p.posts,
            "per_1000": None if p.per_thousand is None else round(p.per_thousand, 3),
        }
        for p in result.timeline
    ]
    if output is TrendFormat.json:
        body: dict[str, Any] = {"query": result.query, "total": result.page.total, "posts": posts}
        if show_timeline:
            body["timeline"] = points
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    if output is TrendFormat.csv:
        rows = points if show_timeline else posts
        _echo_csv(rows, list(rows[0]) if rows else ["post_id"])
        return
    table = Table(title=f"{result.page.total} post(s) match {result.query!r}")
    for column in ("id", "when", "platform", "source", "text"):
        table.add_column(column, overflow="fold")
    for hit in result.page.hits:
        text = Text()
        for n, part in enumerate(hit.snippet.replace(MARK_END, MARK_START).split(MARK_START)):
            text.append(part, style="bold reverse" if n % 2 else "")
        table.add_row(str(hit.post_id), f"{hit.created_at:%Y-%m-%d %H:%M}", hit.platform,
                      hit.source or "", text)  # fmt: skip
    console.print(table)
    if show_timeline:
        weekly = Table(title="Matches per week and platform (per 1,000 posts of that platform)")
        for column in ("week", "platform", "matches", "posts", "per 1,000"):
            weekly.add_column(column, justify="right" if column != "platform" else "left")
        for p in points:
            rate = "–" if p["per_1000"] is None else f"{p['per_1000']:.1f}"
            weekly.add_row(p["week"], p["platform"], str(p["matches"]), str(p["posts"]), rate)
        console.print(weekly)


def _echo_csv(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as CSV on stdout: lists joined with "; ", and text a spreadsheet would run as
    a formula (post text is written by strangers) prefixed with ' (cohesion/csvsafe.py)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows({key: _spreadsheet_safe(value) for key, value in row.items()} for row in rows)
    typer.echo(buffer.getvalue(), nl=False)


def _spreadsheet_safe(value: Any) -> Any:
    """One CSV cell: a list joined with "; ", text through cohesion/csvsafe.py."""
    from cohesion.csvsafe import spreadsheet_safe

    if isinstance(value, list):
        value = "; ".join(map(str, value))
    return spreadsheet_safe(value) if isinstance(value, str) else value


@app.command()
def report(
    ctx: typer.Context,
    week: Annotated[
        str | None,
        typer.Option(
            callback=_check_week, help="ISO week, e.g. 2026-W47 (default: last complete week)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write to (default: <report.out_dir>/<week>).")
    ] = None,
) -> None:
    """Write the weekly threat-landscape report: index.html, report.md, trends.csv, charts.

    index.html is self-contained (charts embedded). When [alerts] webhook_url is set,
    spikes are sent to the webhook, once each.
    Example: `cohesion report --week 2026-W47 --out reports-out/2026-W47`
    """
    from cohesion.jobs.report import weekly_report
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        result = weekly_report(runtime, week, out)
    finally:
        runtime.close()
    console.print(f"report for {result.week} written to {result.out_dir / 'index.html'}")
    console.print(f"spikes: {', '.join(result.spikes) or 'none'}")
    if result.alert is not None:
        state = "sent" if result.alert["sent"] else f"NOT sent ({result.alert['error']})"
        console.print(f"spike alert {state}")


WeekOption = Annotated[
    str | None,
    typer.Option(
        callback=_check_week, help="ISO week, e.g. 2026-W47 (default: last complete week)."
    ),
]
FormatOption = Annotated[
    TrendFormat, typer.Option("--format", help="table, or csv/json for other tools.")
]


def _week_job(ctx: typer.Context, job: Any, week: str | None) -> Any:
    """Run a job of one week on the configured runtime, closing it afterwards."""
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        return job(runtime, week)
    finally:
        runtime.close()


def _emit(records: list[dict[str, Any]], output: TrendFormat, table: Table, note: str) -> None:
    """Print records as JSON or CSV (lists joined with "; "), else the table and a note."""
    if output is TrendFormat.json:
        typer.echo(json.dumps(records, indent=2, default=str))
    elif output is TrendFormat.csv:
        _echo_csv(records, list(records[0]) if records else ["week"])
    else:
        console.print(note, highlight=False, soft_wrap=True, markup=False)
        if table.row_count:
            console.print(table)


@app.command()
def storylines(
    ctx: typer.Context, week: WeekOption = None, output: FormatOption = TrendFormat.table
) -> None:
    """Show the week's storylines: flagged posts grouped by what they say, tracked from
    last week (new, growing, steady, fading). See reports/README.md for the method.

    Example: `cohesion storylines --week 2026-W47 --format json`
    """
    from cohesion.jobs.patterns import storylines as find

    found = _week_job(ctx, find, week)
    records = [{"week": found.week, **s.as_dict()} for s in found.storylines]
    table = Table(title=f"Storylines, {found.week}")
    for column in (
        "storyline",
        "status",
        "posts",
        "last week",
        "accounts",
        "platforms",
        "first post",
    ):
        table.add_column(column)
    for s in found.storylines:
        table.add_row(
            Text(s.label),  # post words: never read as Rich markup
            s.status,
            str(s.size),
            "–" if s.previous_size is None else str(s.previous_size),
            str(s.accounts),
            ", ".join(s.platforms),
            Text(f"{s.first.created_at:%Y-%m-%d %H:%M} UTC, {s.first.author or 'unknown'}"),
        )
    quiet = "; ".join(f"{s.label} ({s.size})" for s in found.gone_quiet)
    note = found.summary + (
        f"\nLast week's storylines not seen this week: {quiet}" if quiet else ""
    )
    _emit(records, output, table, note)


@app.command()
def coordination(
    ctx: typer.Context, week: WeekOption = None, output: FormatOption = TrendFormat.table
) -> None:
    """Show the week's copy-paste and coordinated posting: near-identical posts from many
    accounts, or on several platforms, within a few hours ([coordination] settings).

    Example: `cohesion coordination --week 2026-W47 --format csv > bursts.csv`
    """
    from cohesion.jobs.patterns import coordination as find

    found = _week_job(ctx, find, week)
    records = [{"week": found.week, **b.as_dict()} for b in found.bursts]
    table = Table(title=f"Copy-paste and coordinated posting, {found.week}")
    for column in ("text", "posts", "accounts", "platforms", "first poster", "start (UTC)", "span"):
        table.add_column(column)
    for b in found.bursts:
        table.add_row(
            Text(b.text),  # post text: never read as Rich markup
            str(len(b.posts)),
            str(b.accounts),
            ", ".join(b.platforms),
            Text(b.first.author or "unknown"),
            f"{b.start:%Y-%m-%d %H:%M}",
            f"{round(b.span.total_seconds() / 60)} min",
        )
    _emit(records, output, table, f"{found.summary} ({found.checked} posts compared)")


@app.command()
def purge(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be deleted.")
    ] = False,
) -> None:
    """Delete posts past retention, with their classifications and reviews.

    Unflagged, unreviewed posts go after retention.unflagged_days; flagged or reviewed
    posts after retention.flagged_days. Authors left without posts go too.
    Example: `cohesion purge --dry-run`
    """
    from cohesion.jobs.purge import purge as purge_posts
    from cohesion.runtime import Runtime

    runtime = Runtime.open(_config(ctx))
    try:
        result = purge_posts(runtime, dry_run, actor="cli")
    finally:
        runtime.close()
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"{verb} {result.unflagged_posts} unflagged post(s) created before "
        f"{result.unflagged_cutoff:%Y-%m-%d} and {result.flagged_posts} flagged or reviewed "
        f"post(s) created before {result.flagged_cutoff:%Y-%m-%d}"
        + ("" if dry_run else f"; {result.authors} author(s) with no posts left")
    )


@app.command()
def schedule(
    ctx: typer.Context,
    run_now: Annotated[
        JobName | None,
        typer.Option("--run-now", metavar="JOB", help="Run one job once and exit."),
    ] = None,
) -> None:
    """Run the scheduler: nightly crawl and classify, weekly report, daily purge.

    Runs until SIGTERM or Ctrl-C; one scheduler per database. Times are [schedule]
    settings in the locality's time zone. With --run-now JOB (nightly, crawl, classify,
    report, purge) it runs that job once, records it, and exits non-zero if it fails.
    Example: `cohesion schedule --run-now report`
    """
    import logging

    from cohesion import scheduler
    from cohesion.runtime import Runtime

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    runtime = Runtime.open(_config(ctx))
    try:
        if run_now is not None:
            try:
                detail = scheduler.run_job(runtime, run_now.value)
            except Exception as exc:
                err_console.print(
                    f"[red]error:[/] job {run_now.value} failed: {exc}", highlight=False
                )
                raise typer.Exit(code=1) from None
            summary = json.dumps(detail, default=str)
            console.print(f"job {run_now.value} finished: {summary}", highlight=False)
            return

        def announce(planned: list[Any]) -> None:
            for run in planned:
                console.print(f"{run.job}: {run.description}; next run {run.next_run}")
            console.print("scheduler running; stop it with SIGTERM or Ctrl-C")

        try:
            held = scheduler.serve(runtime, on_start=announce)
        except scheduler.SchedulerLocked as exc:
            err_console.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(code=2) from None
        if not held:
            err_console.print("[red]error:[/] the scheduler lock was taken over; stopped")
            raise typer.Exit(code=1)
        console.print("scheduler stopped")
    finally:
        runtime.close()


@app.command()
def demo(
    out: Annotated[
        Path,
        typer.Option("--out", help="Demo folder, wiped and recreated (an earlier demo's only)."),
    ] = Path("demo-output"),
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the review app running afterwards (Ctrl-C stops).")
    ] = False,
) -> None:
    """Run the whole pipeline on the bundled demo corpus of a fictional county.

    Serves eight weeks of invented posts in seven platforms' real formats on loopback,
    crawls them with the real spiders into a fresh SQLite database in --out, classifies
    them, reviews a calibration sample as the demo analyst, writes the weekly report and
    prints where it is and how to log in to the review app. Ignores --config and every
    COHESION_* variable: it never touches your own database. Example: `cohesion demo --serve`
    """
    from cohesion.demo.run import DemoError, run_demo

    try:
        run_demo(
            out,
            serve=serve,
            progress=lambda line: console.print(
                line, highlight=False, markup=False, soft_wrap=True
            ),
        )
    except DemoError as exc:
        _fail(exc)


# --- classifier: train, evaluate, classify a file (issue #4) ---------------------------


@app.command("train")
def train_command(
    ctx: typer.Context,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data", help="Folder with the public datasets, or a .jsonl file (repeatable)."
        ),
    ] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="Dataset to use (repeatable; default: the MIT/CC BY ones)."),
    ] = None,
    with_reviews: Annotated[
        bool, typer.Option("--with-reviews", help="Also train on the analysts' reviewed posts.")
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")] = Path(
        "models/default"
    ),
    progress_json: Annotated[
        bool,
        typer.Option(
            protocol.PROGRESS_JSON,
            help="With --with-reviews: print progress and the result as JSON lines "
            "(what the review app reads).",
        ),
    ] = False,
    exit_with_parent: Annotated[
        bool,
        typer.Option(protocol.EXIT_WITH_PARENT, hidden=True, help="Exit when stdin closes."),
    ] = False,
) -> None:
    """Train a classifier and write a model directory with its model card.

    Reads the public datasets from --data (default: classifier.training_data, the folder
    `training-data`, which scripts/fetch_training_data.py fills; see docs/training-data.md)
    and the project's examples from classify/examples; --with-reviews adds every reviewed
    post from the database. Example: `cohesion train --data ~/datasets --out models/default`
    """
    import sys

    if progress_json and not with_reviews:
        _fail(ValueError("--progress-json works with --with-reviews only"))
    if with_reviews and progress_json:
        if exit_with_parent:
            from cohesion.review.retrain_protocol import exit_when_parent_goes

            exit_when_parent_goes()
        _train_with_reviews_json(_config(ctx), out, data, dataset)
        return

    from cohesion.classify.train import DEFAULT_DATASETS, train
    from cohesion.config import load_settings

    command = "cohesion " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    try:
        classifier = (settings := load_settings(_config(ctx))).classifier
    except ConfigError as exc:
        _fail(exc)
    target_precision = classifier.target_precision
    data = data or [settings.resolve(classifier.training_data)]
    if with_reviews:
        from cohesion.jobs.review import retrain_from_reviews
        from cohesion.runtime import Runtime

        runtime = Runtime.open(_config(ctx))
        try:
            result = retrain_from_reviews(
                runtime,
                out,
                lambda message, _fraction: console.print(message, highlight=False),
                data_dirs=data,
                datasets=dataset,
            )
        except ValueError as exc:
            _fail(exc)
        finally:
            runtime.close()
        console.print(f"wrote {result.path} ({result.name})")
        return
    try:
        model = train(data, None, out, datasets=tuple(dataset or DEFAULT_DATASETS), command=command,
                      say=lambda message: console.print(message, highlight=False),
                      target_precision=target_precision)  # fmt: skip
    except ValueError as exc:
        _fail(exc)
    console.print(_metrics_table(model.metrics))
    console.print(f"wrote {out} ({model.version}); model card in {out / 'MODEL_CARD.md'}")


def _train_with_reviews_json(
    config: Path | None, out: Path, data: list[Path] | None, datasets: list[str] | None
) -> None:
    """`train --with-reviews --progress-json`: the review app's child process.

    One JSON object per line on stdout (review.retrain.ProcessRetrain reads them):
    progress events, then the result or the error; the exit code is non-zero on failure,
    with the error on stderr too (a traceback when it was not a user error).
    """
    from dataclasses import asdict

    from cohesion.jobs.review import retrain_from_reviews
    from cohesion.review import retrain_protocol as protocol
    from cohesion.runtime import Runtime

    try:
        runtime = Runtime.open(config)
        try:
            result = retrain_from_reviews(
                runtime,
                out,
                lambda message, fraction: protocol.emit(
                    protocol.PROGRESS, message=message, fraction=fraction
                ),
                data_dirs=data,
                datasets=datasets,
            )
        finally:
            runtime.close()
    except Exception as exc:
        protocol.emit(protocol.ERROR, error=f"{type(exc).__name__}: {exc}")
        if isinstance(exc, (ValueError, *USER_ERRORS)):
            _fail(exc)
        raise
    protocol.emit(protocol.RESULT, model=asdict(result))


@app.command("evaluate")
def evaluate_command(
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default models/default).")
    ] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Folder with the datasets, or a .jsonl file (repeatable)."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Metrics JSON to write.")] = Path(
        "metrics.json"
    ),
) -> None:
    """Print per-label precision, recall and F1 on every held-out test split found.

    Also runs the functional hard-case suite and writes everything as JSON to --out.
    Example: `cohesion evaluate --model models/default --data ~/datasets --out metrics.json`
    """
    from cohesion import classify
    from cohesion.classify.evaluate import evaluate

    try:
        loaded = classify.load_model(model)
    except classify.ModelLoadError as exc:
        _fail(exc)
    metrics = evaluate(loaded, data, out=out)
    console.print(_metrics_table(metrics))
    console.print(_feed_table(metrics))
    console.print(_targets_table(metrics))
    functional = metrics.get("functional")
    if functional:
        console.print(f"hard cases: {functional['passed']} of {functional['cases']} pass")
    console.print(f"wrote {out}")


@app.command("classify-file")
def classify_file_command(
    in_path: Annotated[Path, typer.Argument(help='JSONL input: one {"id", "text"} per line.')],
    out_path: Annotated[Path, typer.Argument(help="JSONL output: one prediction per input line.")],
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default models/default).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per batch.")] = 256,
) -> None:
    """Classify a JSONL file of texts without a database.

    Writes one line per input line, in order: id, flags, scores, targets, narratives,
    threat_targets, evidence (character offsets into the text), language and model; an
    unreadable line gets an "error" naming its line. OUT may not be IN; it is created
    readable by its owner only.
    Example: `cohesion classify-file posts.jsonl predictions.jsonl`
    """
    from cohesion import classify
    from cohesion.classify.batch import SameFileError, classify_file

    try:
        loaded = classify.load_model(model)
    except classify.ModelLoadError as exc:
        _fail(exc)
    try:
        result = classify_file(in_path, out_path, loaded, batch_size)
    except SameFileError as exc:
        _fail(exc)
    console.print(
        f"classified {result.lines} line(s) with {result.model}; {result.flagged} flagged"
        + (f'; {result.errors} unreadable line(s) marked with "error"' if result.errors else "")
    )


def _feed_table(metrics: dict[str, Any]) -> Table:
    """Real-feed flag rates and other diagnostics, beside the baseline's at training."""
    base = metrics.get("baseline_at_training", {}).get("diagnostics", {})
    table = Table(title="Flag rates on ordinary posts (real feed) and diagnostics")
    for column in ("posts", "n", "flag rate", "baseline (at training)"):
        table.add_column(column, justify="left" if column == "posts" else "right")
    for key, value in metrics.get("diagnostics", {}).items():
        b = base.get(key, {}).get("flag_rate")
        table.add_row(key, str(value["n"]), f"{value['flag_rate']:.3f}",
                      "-" if b is None else f"{b:.3f}")  # fmt: skip
    return table


def _targets_table(metrics: dict[str, Any]) -> Table:
    table = Table(title="Issue #13 targets")
    for column in ("target", "measured", "goal", "status"):
        table.add_column(column)
    for t in metrics.get("targets", []):
        value = "-" if t["value"] is None else f"{t['value']:.3f}"
        status = "-" if t["met"] is None else ("met" if t["met"] else "NOT met")
        table.add_row(t["target"], value, t["goal"], status)
    return table


def _metrics_table(metrics: dict[str, Any]) -> Table:
    table = Table(title="Held-out test metrics")
    for column in ("label", "test split", "positives", "precision", "recall", "F1"):
        table.add_column(column, justify="left" if column in ("label", "test split") else "right")
    for label, by_source in metrics.get("labels", {}).items():
        for source, m in by_source.items():
            table.add_row(label, source, str(m["support"]), f"{m['precision']:.3f}",
                          f"{m['recall']:.3f}", f"{m['f1']:.3f}")  # fmt: skip
    return table


if __name__ == "__main__":
    app()
