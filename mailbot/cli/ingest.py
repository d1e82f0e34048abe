"""``mailbot ingest``: one mail from an MTA pipe (a module of its own: the pipe never loads the daemon)."""

from __future__ import annotations

import click

from mailbot.cli.common import Ctx
from mailbot.pipeline.core import Pipeline


@click.command()
@click.argument("source", type=click.File("rb"))
@click.pass_obj
def ingest(obj: Ctx, source):
    """Take in one mail, as an MTA pipe delivers it.

    SOURCE is a file, or - for standard input.

    \b
    Exit codes (the MTA pipe convention):
      0   taken in: stored in a ticket, or quarantined (kept for `mailbot quarantine`)
      75  not stored, try again later: the MTA keeps the mail and retries.
          Also for a broken config or command line: any other code would
          make the MTA bounce the client's mail.
    """
    raw = source.read()
    # With a config file, its database is what ops configured: created on first use.
    # Without one (an MTA pipe running from its spool folder), a new ./var/mailbot.db
    # would hold the mail where no daemon reads it: refuse (75) and the MTA keeps it.
    app = obj.app(create=obj.settings.source is not None)
    try:
        outcome = Pipeline(app).process(raw, source="ingest")
    finally:
        app.close()
    click.echo(f"{outcome.action} {outcome.ticket or '-'} {outcome.message_id or ''}".rstrip())
