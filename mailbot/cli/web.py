"""``mailbot web``: the read-only web board alone, without intake or jobs."""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from mailbot.cli.common import Ctx
from mailbot.daemon.checks import check_all, web_problems
from mailbot.daemon.reload import log_result, reload_app
from mailbot.daemon.runner import hold_sqlite_lock
from mailbot.errors import OpsInputError
from mailbot.web.app import create_app, start_server

log = logging.getLogger("mailbot.web")


@click.command()
@click.pass_obj
def web(obj: Ctx):
    """Serve the read-only web board alone (no intake, no jobs) until SIGTERM; SIGHUP reloads.

    Serves [web] host:port (whether or not [web] enabled is set: that key is
    whether the daemon serves the board) against the configured database,
    which must be at this mailbot's schema (`mailbot db upgrade`). It only
    queues the login mail: a `mailbot run` on the same database sends it.
    With SQLite, one process serves the database: enable [web] in the daemon
    instead. Exits 69 when the port is in use or the database unreachable,
    75 when another process holds the SQLite file, 78 on a config mistake.
    """
    settings = obj.settings
    problems, warnings = check_all(settings)
    problems += web_problems(settings, warnings, always=True)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        raise OpsInputError(problems)
    lock = hold_sqlite_lock(settings.database_url)
    try:
        app = obj.app(readonly=True)  # the daemon migrates the schema; the board never does
        try:
            asyncio.run(_serve(app))
        finally:
            app.close()
    finally:
        if lock is not None:
            lock.close()


async def _serve(app) -> None:
    held = [app]  # the App in force: SIGHUP swaps in a new one, as in the daemon

    def reload():
        result = reload_app(held[0])
        log_result(result)
        if result.ok:
            held[0] = result.app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload)
    web = app.settings.web
    server = await start_server(create_app(lambda: held[0]), web.host, web.port)
    log.info("web board on %s (listening on %s:%s)", web.base_url, web.host, server.port)
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        await server.stop()
    log.info("stopped")
