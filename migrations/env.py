"""Alembic environment: runs against the engine mailbot hands over."""

from alembic import context

from mailbot.db.models import Base

target_metadata = Base.metadata
config = context.config


def run_migrations_online():
    engine = config.attributes.get("engine")
    if engine is None:
        from mailbot.db.engine import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
