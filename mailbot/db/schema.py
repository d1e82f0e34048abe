"""Schema the models do not describe: the full-text search objects of migration 0010.

Written by hand in that migration (SQLite FTS5 tables and their triggers,
PostgreSQL expression indexes); schema comparisons (``tests/unit/test_schema.py``,
Alembic autogenerate in ``migrations/env.py``) leave them out with ``include_name``.
"""

from __future__ import annotations

SEARCH_TABLES = ("search_messages", "search_tickets")  # SQLite FTS5, with their shadow tables search_*_*
SEARCH_INDEXES = ("ix_search_messages", "ix_search_tickets")  # PostgreSQL


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's ``include_name`` hook: leave out the search schema of migration 0010, which no model describes.

    For schema comparisons (``compare_metadata``, autogenerate): the FTS5 tables
    and the expression indexes are written by hand in the migration.
    """
    if name is None:
        return True
    if type_ == "table":
        return not any(name == t or name.startswith(t + "_") for t in SEARCH_TABLES)
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True
