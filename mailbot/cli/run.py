"""``mailbot run``: the daemon."""

from __future__ import annotations

import click

from mailbot.cli.common import Ctx
from mailbot.daemon.checks import check_all
from mailbot.daemon.runner import Daemon, hold_sqlite_lock
from mailbot.errors import OpsInputError


@click.command()
@click.option("--once", is_flag=True, help="Take in what is waiting, send what is queued, and exit.")
@click.pass_obj
def run(obj: Ctx, once):
    """Run the daemon (intake, outbox, scheduler) until SIGTERM; SIGHUP reloads.

    With --once: take in what waits in the mailbox, send what is due, exit
    (0; 69 when the IMAP server or the SMTP relay cannot be reached or
    refuses the login). Config, rules and templates are checked first (78).
    """
    loaded: dict = {}
    problems, warnings = check_all(obj.settings, loaded)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        raise OpsInputError(problems)
    lock = hold_sqlite_lock(obj.settings.database_url)  # before the app migrates anything
    try:
        daemon = Daemon(obj.settings, app=obj.app(**loaded), lock=lock)
    except BaseException:
        if lock is not None:
            lock.close()
        raise
    daemon.run(once=once)
