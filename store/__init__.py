"""The SQL store: models, engine, idempotent writes, trend queries, migrations.

A leaf package: it knows no crawler and no model.
"""

from cohesion.store.engine import DatabaseError, make_engine, make_session_factory, session_scope
from cohesion.store.posts import InvalidPostError, PostRecord, UpsertResult, upsert_posts
from cohesion.store.pseudonyms import Pseudonymiser, PseudonymKeyError

__all__ = [
    "DatabaseError",
    "InvalidPostError",
    "PostRecord",
    "PseudonymKeyError",
    "Pseudonymiser",
    "UpsertResult",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "upsert_posts",
]
