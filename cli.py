"""The `cohesion` command: thin wrappers, one library call per command."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from classify.errors import ModelLoadError
from config import ConfigError
from store.engine import DatabaseError
from store.posts import InvalidPostError
from store.pseudonyms import PseudonymKeyError

# Mistakes a user can make (bad config, unreachable database...): one line, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
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
    from jobs import init_project

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
    from jobs import upgrade_database

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
    from jobs import Runtime
    from store import status as store_status
    from store.engine import session_scope
    from store.health import collector_health
    from store.trends import last_complete_week, week_range
    from store.types import utcnow

    runtime = Runtime.open(_config(ctx))
    zone = runtime.settings.locality.zone
    try:
        with session_scope(runtime.sessions) as session:
            totals = store_status.totals(session)
            per_week = store_status.posts_per_source_week(session, weeks)
            runs = store_status.last_crawl_runs(session)
            model = store_status.active_model(session)
            model_name = model.name if model else None
            checked = week_range(last_complete_week(utcnow(), zone), weeks)
            gaps = [h for h in collector_health(session, checked, zone) if h.gap]
    finally:
        runtime.close()
    console.print(
        f"[bold]{runtime.settings.locality.name}[/]: {totals['posts']} posts from "
        f"{totals['sources']} sources; {totals['classified']} classified, "
        f"{totals['flagged']} flagged by the current model"
    )
    console.print(f"model in use: {model_name or 'none yet (run `cohesion classify`)'}")
    console.print(_weeks_table(per_week))
    console.print(_gaps_table(gaps, weeks))
    console.print(_runs_table(runs))


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
    from rich.progress import Progress

    from jobs import Runtime, classify_stored

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
    from jobs import Runtime, classify_stored, classify_worker

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
    from config import load_settings
    from crawlers.run import crawl_sources

    settings = load_settings(_config(ctx))
    nodes = [url.strip() for value in scrapyd or [] for url in value.split(",") if url.strip()]
    nodes = [] if local else (nodes or list(settings.scale.scrapyd))
    with console.status("crawling...") as spinner:

        def progress(name: str, counts: Any) -> None:
            spinner.update(
                f"crawling {name}: {counts.pages} pages, {counts.items} items, "
                f"{counts.new} new, {counts.errors} errors"
            )

        def job_state(name: str, state: str) -> None:
            spinner.update(f"Scrapyd job of {name}: {state}")

        if nodes:
            from crawlers.scrapyd import crawl_via_scrapyd

            summaries = crawl_via_scrapyd(
                settings, nodes, source or None, progress=job_state,
                poll_interval=settings.scale.poll_seconds,
                timeout=settings.scale.crawl_timeout_minutes * 60.0,
            )  # fmt: skip
        else:
            summaries = crawl_sources(settings, source or None, progress=progress)
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
        typer.Option("--format", help="jsonl, csv or 4cat (default: from the extension)."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", metavar="FIELD=COLUMN", help="Column of a post field (repeatable)."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = 1000,
) -> None:
    """Bulk-load posts from files you already have, cleaned and stored like crawled posts.

    JSONL in the post schema, CSV with a column mapping, or 4CAT exports (CSV/NDJSON);
    authors are pseudonymised, importing twice stores once, bad rows are listed by line
    and skipped. Example: `cohesion import posts.csv --platform forum --map text=body
    --map created_at=timestamp --map external_id=id`
    """
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from crawlers.imports import import_file, parse_mapping
    from jobs import Runtime

    columns = parse_mapping(mapping)
    runtime = Runtime.open(_config(ctx))
    summaries = []
    try:
        pseudonymiser = runtime.pseudonymiser()
        with Progress(
            "{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as bar:
            for path in files:
                task = bar.add_task(path.name, total=None)

                def show(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                summaries.append(
                    import_file(
                        path,
                        settings=runtime.settings,
                        sessions=runtime.sessions,
                        pseudonymiser=pseudonymiser,
                        format=file_format,
                        platform=platform,
                        mapping=columns,
                        batch_size=batch,
                        progress=show,
                    )
                )
    finally:
        runtime.close()
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
    from jobs import Runtime, serve_review
    from review.auth import SecretError

    runtime = Runtime.open(_config(ctx))
    try:
        serve_review(runtime, host, port, https_only=https_only)
    except SecretError as exc:
        _fail(exc)
    finally:
        runtime.close()


user_app = typer.Typer(
    cls=CohesionGroup,
    help="Review-app accounts: add, list and disable analysts and admins.",
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

    from jobs import Runtime
    from review.accounts import add_user
    from review.auth import WeakPasswordError
    from store.review_queries import ReviewInputError

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
    from jobs import Runtime
    from review.accounts import list_users

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
    from jobs import Runtime
    from review.accounts import set_disabled

    runtime = Runtime.open(_config(ctx))
    try:
        user = set_disabled(runtime.sessions, name, True)
    except LookupError as exc:
        _fail(exc)
    finally:
        runtime.close()
    console.print(f"disabled {user.username}")


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
    from store.trends import parse_week

    if value is not None:
        try:
            parse_week(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
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
    from jobs import Runtime, weekly_trends

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
    from jobs import Runtime, weekly_report

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
    from jobs import Runtime
    from jobs import purge as purge_posts

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

    import scheduler
    from jobs import Runtime

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
    from demo.run import DemoError, run_demo

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
            "--progress-json",
            help="With --with-reviews: print progress and the result as JSON lines "
            "(what the review app reads).",
        ),
    ] = False,
    exit_with_parent: Annotated[
        bool,
        typer.Option("--exit-with-parent", hidden=True, help="Exit when stdin closes."),
    ] = False,
) -> None:
    """Train a classifier and write a model directory with its model card.

    Reads the public datasets from --data (default ../shared/data) and the project's
    examples from classify/examples; --with-reviews adds every reviewed post from the
    database. Example: `cohesion train --data ~/datasets --out models/default`
    """
    import sys

    if progress_json and not with_reviews:
        _fail(ValueError("--progress-json works with --with-reviews only"))
    if with_reviews and progress_json:
        if exit_with_parent:
            _exit_when_stdin_closes()
        _train_with_reviews_json(_config(ctx), out, data, dataset)
        return

    from classify.train import DEFAULT_DATASETS, train
    from config import load_settings

    command = "cohesion " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    try:
        target_precision = load_settings(_config(ctx)).classifier.target_precision
    except ConfigError as exc:
        _fail(exc)
    if with_reviews:
        from jobs import Runtime, retrain_from_reviews

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


def _emit_json(event: dict[str, Any]) -> None:
    import os
    import sys

    sys.stdout.write(json.dumps({**event, "pid": os.getpid()}, default=str) + "\n")
    sys.stdout.flush()


def _train_with_reviews_json(
    config: Path | None, out: Path, data: list[Path] | None, datasets: list[str] | None
) -> None:
    """`train --with-reviews --progress-json`: the review app's child process.

    One JSON object per line on stdout (review.retrain.ProcessRetrain reads them):
    progress events, then the result or the error; the exit code is non-zero on failure,
    with the error on stderr too (a traceback when it was not a user error).
    """
    from dataclasses import asdict

    from jobs import Runtime, retrain_from_reviews

    try:
        runtime = Runtime.open(config)
        try:
            result = retrain_from_reviews(
                runtime,
                out,
                lambda message, fraction: _emit_json(
                    {"event": "progress", "message": message, "fraction": fraction}
                ),
                data_dirs=data,
                datasets=datasets,
            )
        finally:
            runtime.close()
    except Exception as exc:
        _emit_json({"event": "error", "error": f"{type(exc).__name__}: {exc}"})
        if isinstance(exc, (ValueError, *USER_ERRORS)):
            _fail(exc)
        raise
    _emit_json({"event": "result", "model": asdict(result)})


def _exit_when_stdin_closes() -> None:
    """Exit at once when stdin reaches its end: the review app that started this process
    holds the pipe's other end, so a crashed or killed app leaves no training orphan."""
    import os
    import threading

    def watch() -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            return
        os._exit(3)

    threading.Thread(target=watch, name="cohesion-parent-watch", daemon=True).start()


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
    import classify
    from classify.evaluate import evaluate

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
    threat_targets, evidence (character offsets into the text), language and model.
    Example: `cohesion classify-file posts.jsonl predictions.jsonl`
    """
    import classify
    from classify.batch import classify_file

    try:
        loaded = classify.load_model(model)
    except classify.ModelLoadError as exc:
        _fail(exc)
    result = classify_file(in_path, out_path, loaded, batch_size)
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
