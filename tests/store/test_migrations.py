"""Migrations: models and migrations do not drift, and upgrading twice is harmless."""

from __future__ import annotations

from cohesion.store.engine import make_engine
from cohesion.store.migrate import current_revision, head_revision, schema_drift, upgrade
from cohesion.store.models import Base
from sqlalchemy import Engine, inspect


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    assert schema_drift(engine) == []


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        before, after = upgrade(engine)
        assert before is None and after == head_revision(engine)
        again = upgrade(engine)
        assert again == (after, after)
        assert current_revision(engine) == after
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()


def test_apscheduler_job_store_table_is_not_drift(engine: Engine) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY)"))
    assert schema_drift(engine) == []


def test_review_sessions_migration_up_and_down(db_url: str) -> None:
    """0007 adds review_sessions to a database with accounts, and comes off again."""
    from alembic import command
    from cohesion.store.migrate import alembic_config
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, disabled, created_at) "
                    "VALUES ('maria', 'x', 'admin', false, CURRENT_TIMESTAMP)"
                )
            )
        assert "review_sessions" not in inspect(engine).get_table_names()
        assert upgrade(engine) == ("0006", head_revision(engine))
        assert "review_sessions" in inspect(engine).get_table_names()
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "review_sessions" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT username FROM users")).scalar() == "maria"
    finally:
        engine.dispose()


def test_the_queue_index_is_there_in_queue_order(engine: Engine) -> None:
    """ix_classifications_queue (migration 0009) is left out of the drift check."""
    from sqlalchemy import text

    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_classifications_queue'")
            )
        else:
            sql = connection.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_classifications_queue'")
            )
    assert sql is not None
    compact = " ".join(sql.replace('"', "").split()).lower()
    assert "(model_version_id, priority desc, post_id)" in compact and "where flagged" in compact


def test_the_queue_page_is_read_from_the_queue_index(engine: Engine) -> None:
    """The priority queue's page is read from the partial queue index in queue order, not
    sorted. SQLite takes a partial index only for a query that carries its condition term
    for term (migration 0010); PostgreSQL proves the condition itself. On an empty table
    PostgreSQL would rather scan, so it is asked what it does when it may not (the point
    is that the index can serve the query at all)."""
    from cohesion.store.models import Classification
    from sqlalchemy import select, text

    query = (
        select(Classification.id)
        .where(Classification.model_version_id == 1, Classification.flagged)
        .order_by(Classification.priority.desc(), Classification.post_id)
        .limit(25)
    )
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            explain, no_sort = "EXPLAIN QUERY PLAN", "TEMP B-TREE"
        else:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            connection.execute(text("SET LOCAL enable_sort = off"))
            explain, no_sort = "EXPLAIN", "Sort"
        plan = " ".join(str(row[-1]) for row in connection.execute(text(f"{explain} {compiled}")))
    assert "ix_classifications_queue" in plan and no_sort not in plan
