"""``mailbot status``: is a daemon running, and keeping up?"""

from __future__ import annotations

import sys

import click

from mailbot.cli.common import JSON_HELP, Ctx, dump
from mailbot.daemon import status as st


@click.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def status(obj: Ctx, as_json):
    """Is mailbot running, and keeping up?

    Read from the database: every mailbot process writes a heartbeat there
    (so this works with [health] off, and from another machine on the same
    PostgreSQL). Exit 0 running, 1 running but degraded (no IMAP session, or
    an acknowledgement later than [sla] acknowledge), 3 not running.
    """
    missing = st.sqlite_file_missing(obj.settings.database_url)
    if missing is not None:
        data, code = st.not_running(obj.settings.database_url)
    else:
        app = obj.app(readonly=True)
        try:
            data, code = st.gather(app)
        finally:
            app.close()
    if as_json:
        dump(data)
    else:
        for line in st.lines(data):
            click.echo(line)
    sys.exit(code)
