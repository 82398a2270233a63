"""The `cohesion` command: thin wrappers, one library call per command."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

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
        "--config", "-c", envvar="COHESION_CONFIG",
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
    pseudonym key file (mode 0600) unless COHESION_PSEUDONYM_KEY is set, migrates the
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
    console.print(f"database at schema revision {result.revision}")
    console.print(f"{len(result.sources)} source(s) registered: {', '.join(result.sources) or '-'}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the latest schema (safe to run twice).

    Example: `COHESION_DATABASE_URL=postgresql+psycopg://me@db/cohesion cohesion db upgrade`
    """
    from jobs import upgrade_database

    before, after = upgrade_database(_config(ctx.parent) if ctx.parent else None)
    if before == after:
        console.print(f"schema already at revision {after}")
    else:
        console.print(f"schema upgraded from {before or 'empty'} to {after}")


@app.command()
def status(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks of history to show.")] = 8,
) -> None:
    """Show posts per source and week, the last crawl of each source and the model in use.

    Example: `cohesion status --weeks 4`
    """
    from jobs import Runtime
    from store import status as store_status
    from store.engine import session_scope

    runtime = Runtime.open(_config(ctx))
    try:
        with session_scope(runtime.sessions) as session:
            totals = store_status.totals(session)
            per_week = store_status.posts_per_source_week(session, weeks)
            runs = store_status.last_crawl_runs(session)
            model = store_status.active_model(session)
            model_name = model.name if model else None
    finally:
        runtime.close()
    console.print(
        f"[bold]{runtime.settings.locality.name}[/]: {totals['posts']} posts from "
        f"{totals['sources']} sources; {totals['classified']} classified, "
        f"{totals['flagged']} flagged by the current model"
    )
    console.print(f"model in use: {model_name or 'none yet (run `cohesion classify`)'}")
    console.print(_weeks_table(per_week))
    console.print(_runs_table(runs))


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


def _runs_table(runs: list[Any]) -> Table:
    table = Table(title="Last crawl of each source")
    for column in ("source", "started (UTC)", "status", "new", "dup", "errors", "message"):
        table.add_column(column)
    for run in runs:
        table.add_row(
            run.source, run.started_at.strftime("%Y-%m-%d %H:%M"), run.status,
            str(run.items_new), str(run.items_duplicate), str(run.errors), run.message or "",
        )
    return table


if __name__ == "__main__":
    app()
