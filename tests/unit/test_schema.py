"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailbot.db import engine as dbengine
from mailbot.db.models import Base
from mailbot.db.schema import include_name


def test_migrations_match_the_models(db_url):
    engine = dbengine.make_engine(db_url)
    try:
        dbengine.upgrade(engine)
        with engine.connect() as conn:
            # The search objects of migration 0010 are written by hand: no model describes them.
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ (write a migration): {diff}"
        assert dbengine.is_current(engine)
    finally:
        engine.dispose()


def test_the_schema_head_constant_is_alembic_s_head():
    """``upgrade`` and ``require_current`` skip alembic for a database at SCHEMA_HEAD: it must be the head."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    script = ScriptDirectory.from_config(dbengine.alembic_config(create_engine("sqlite://")))
    assert script.get_current_head() == dbengine.SCHEMA_HEAD


def test_a_database_at_the_head_is_known_without_alembic(db_url):
    engine = dbengine.make_engine(db_url)
    try:
        assert not dbengine.at_head(engine)  # nothing there yet
        dbengine.upgrade(engine)
        assert dbengine.at_head(engine)
        dbengine.require_current(engine)
    finally:
        engine.dispose()
