"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailbot.db import engine as dbengine
from mailbot.db.models import Base


def test_migrations_match_the_models(db_url):
    engine = dbengine.make_engine(db_url)
    try:
        dbengine.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ (write a migration): {diff}"
        assert dbengine.is_current(engine)
    finally:
        engine.dispose()
