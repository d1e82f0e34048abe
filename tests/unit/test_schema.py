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
