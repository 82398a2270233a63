"""Schema migrations (Alembic), run from code so no alembic.ini is needed."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cohesion.resources import package_path
from cohesion.store.models import Base
from cohesion.store.privacy import PostPrivacy
from sqlalchemy import Engine

# Tables other software keeps in the same database (APScheduler's job store).
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
# The full-text index (migration 0006) lives outside the ORM: SQLite's FTS5 table and
# its shadow tables, PostgreSQL's generated tsvector column and its GIN index.
SEARCH_TABLE_PREFIX = "posts_fts"
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_posts_search"


# The queue index orders by `priority DESC`, an expression autogenerate cannot compare
# (SQLite cannot reflect it): left out on both sides, tests/store/test_migrations.py
# checks it instead.
QUEUE_INDEX = "ix_classifications_queue"


def include_object(
    item: object, name: str | None, type_: str, reflected: bool, _compare_to: object
) -> bool:
    """The models' side of include_name: the queue index is not compared."""
    return not (type_ == "index" and name == QUEUE_INDEX)


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Leave what is not the ORM's (other software's tables, the full-text index) out of
    autogenerate and drift checks."""
    if type_ == "table":
        return name not in FOREIGN_TABLES and not (name or "").startswith(SEARCH_TABLE_PREFIX)
    if type_ == "column":
        return name != SEARCH_COLUMN
    if type_ == "index":
        return name not in (SEARCH_INDEX, QUEUE_INDEX)
    return True


def alembic_config(engine: Engine) -> Config:
    config = Config()
    # Looked up when needed, not at import: a Scrapyd node runs the store from a zipped
    # egg, where it never migrates.
    config.set_main_option("script_location", str(package_path("store", "migrations")))
    # Percent signs in passwords would otherwise be read as interpolation.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(
    engine: Engine, revision: str = "head", *, privacy: PostPrivacy | None = None
) -> tuple[str | None, str | None]:
    """Bring the schema to `revision`; returns (before, after). Running it twice is harmless.

    `privacy` (the instance key's PostPrivacy) is needed by data migrations that seal
    stored links (0008); without it they fail only if there are rows to convert.
    """
    before = current_revision(engine)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["post_privacy"] = privacy
        command.upgrade(config, revision)
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def schema_drift(engine: Engine) -> list[object]:
    """Differences between the migrated database and the ORM models (empty when in step)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": include_name,
                "include_object": include_object,
            },
        )
        with warnings.catch_warnings():  # said of the queue index, which is left out
            warnings.filterwarnings("ignore", message=f".*expression-based index '{QUEUE_INDEX}'")
            return list(compare_metadata(context, Base.metadata))
