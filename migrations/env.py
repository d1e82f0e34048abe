"""Alembic environment: runs against the engine mailbot hands over."""

from alembic import context

from mailbot.db.models import Base
from mailbot.db.schema import include_name

target_metadata = Base.metadata
config = context.config


def run_migrations_online():
    engine = config.attributes.get("engine")
    if engine is None:
        from mailbot.db.engine import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it (batch mode: copy, DROP, rename). With foreign
            # keys enforced the DROP of a table other rows reference fails, so they are off while
            # migrations run and checked after. The pragma only takes effect outside a transaction,
            # and mailbot's engine opens one (BEGIN IMMEDIATE) with the first statement: set it on
            # the driver's connection, before that.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            # Autogenerate leaves the hand-written search objects (0010) alone.
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


run_migrations_online()
