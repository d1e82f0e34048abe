"""``mailbot db``: the database schema."""

from __future__ import annotations

import click

from mailbot.cli.common import Ctx
from mailbot.db.engine import make_engine, safe_url, upgrade


@click.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Ctx):
    """Create the database, or upgrade its schema."""
    engine = make_engine(obj.settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"database {safe_url(obj.settings.database_url)} is up to date")
