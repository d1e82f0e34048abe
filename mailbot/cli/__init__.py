"""The ``mailbot`` command: the group every command hangs from, and how each error ends.

Every error a command meets ends here as ONE line ``error: ...`` on stderr and
an exit code from :mod:`mailbot.exitcodes`: the exceptions of
:mod:`mailbot.errors` are mapped once, in :meth:`MailbotGroup.main`, and
click's usage errors exit 64 instead of click's 2. ``ingest`` is the
exception to the table: an MTA bounces the client's mail on anything but 0
or 75, so there every failure is 75.

Each command (or group of commands) is the module of the same name in this
package, imported only when that command runs or its help is asked for, so
each module imports what it needs at its top while ``mailbot --help`` and a
mistyped command line load none of it.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import click

from mailbot.cli.common import Ctx
from mailbot.errors import (
    BadInput,
    EscalationRefused,
    MailbotError,
    MergeRefused,
    OpsInputError,
    TemporaryFailure,
    Unavailable,
)
from mailbot.exitcodes import Exit
from mailbot.logs import configure

# Read before a command line is parsed, to know whether the MTA pipe convention applies.
_GLOBAL_OPTIONS_WITH_VALUE = ("--config",)
# click >= 8.2 raises this for `mailbot` alone; older versions print the help and exit 0 themselves.
_NO_COMMAND = getattr(click.exceptions, "NoArgsIsHelpError", ())

# Every command: the module mailbot.cli.NAME defines it as NAME. The text is the first paragraph of
# its help, which `mailbot --help` shows without importing the module (tests/unit/test_cli_layout.py
# checks that the two agree).
COMMANDS = {
    "check": "Validate config, templates and rules.",
    "db": "Database schema.",
    "digest": "The morning digests: each engineer's open tickets, the manager's board.",
    "ingest": "Take in one mail, as an MTA pipe delivers it.",
    "quarantine": "Mail that could not be taken in.",
    "report": "Service reports.",
    "rules": "Classification rules.",
    "run": "Run the daemon (intake, outbox, scheduler) until SIGTERM; SIGHUP reloads.",
    "sla": "Service-level deadlines.",
    "status": "Is mailbot running, and keeping up?",
    "tickets": "Look at and act on tickets.",
    "web": "Serve the read-only web board alone (no intake, no jobs) until SIGTERM; SIGHUP reloads.",
}


def _setup_logging(verbose: bool, json_logs: bool = False):
    configure(logging.DEBUG if verbose else logging.INFO, json_logs=json_logs)


# -- errors and exit codes ---------------------------------------------------------


def _exit_for(exc: BaseException) -> tuple[Exit, list[str]] | None:
    """The exit code and the lines to print for an error mailbot raised on purpose, else None."""
    if isinstance(exc, OpsInputError):
        return Exit.CONFIG, list(exc.format_lines())
    for kind, code in (
        (Unavailable, Exit.UNAVAILABLE),
        (BadInput, Exit.DATAERR),
        (EscalationRefused, Exit.DATAERR),
        (MergeRefused, Exit.DATAERR),
        (TemporaryFailure, Exit.TEMPFAIL),
    ):
        if isinstance(exc, kind):
            return code, [str(exc)]
    return None


def _database_error(exc: BaseException, obj) -> MailbotError | None:
    """A connection-level database error met mid-command, as the mailbot error it stands for."""
    # An error from SQLAlchemy means it is loaded; importing it here for other errors would cost
    # every failing command half a second.
    if "sqlalchemy" not in sys.modules or not isinstance(obj, Ctx) or obj._settings is None:
        return None
    from sqlalchemy.exc import InterfaceError, OperationalError

    if not isinstance(exc, (OperationalError, InterfaceError)):
        return None
    from mailbot.db.engine import safe_url

    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
    where = safe_url(obj.settings.database_url)
    if "database is locked" in reason:
        return TemporaryFailure(f"the database {where} is held by another process ({reason}); try again")
    return Unavailable(f"cannot reach the database {where}: {reason}")


def _command_name(args: list[str]) -> str | None:
    """The subcommand named on a command line (``mailbot --config X ingest -`` → ``ingest``)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _fail(code: int, lines) -> None:
    for line in lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(int(code))


class MailbotGroup(click.Group):
    """The ``mailbot`` group: finds each command in its module, and turns every error into one line and an exit code."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, cmd_name):
        if cmd_name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"{__name__}.{cmd_name}"), cmd_name)

    def format_commands(self, ctx, formatter):
        # click would import every command's module for its line of help: stand-ins carry the line.
        stand_ins = click.Group(commands={name: click.Command(name, help=text) for name, text in COMMANDS.items()})
        stand_ins.format_commands(ctx, formatter)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, MailbotError):
            raise
        except Exception as exc:
            error = _database_error(exc, ctx.obj)
            if error is None:
                raise
            raise error from exc

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:  # a caller that handles errors itself
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        args = list(sys.argv[1:] if args is None else args)
        # `ingest` answers an MTA: anything but 0 or 75 bounces the client's mail, so every
        # failure, a broken config or command line included, is "try again later".
        mta_pipe = _command_name(args) == "ingest"
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_COMMAND as exc:  # `mailbot`, `mailbot tickets`: no command given
            click.echo(exc.ctx.get_help(), err=True)
            sys.exit(Exit.TEMPFAIL if mta_pipe else Exit.USAGE)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} -h')" if exc.ctx is not None else ""
            _fail(Exit.TEMPFAIL if mta_pipe else Exit.USAGE, [f"{_sentence(exc.format_message())}{where}"])
        except click.ClickException as exc:
            _fail(Exit.TEMPFAIL if mta_pipe else Exit.USAGE, [_sentence(exc.format_message())])
        except click.Abort:
            # Ctrl-C: what was committed stays, the rest can be run again.
            _fail(Exit.TEMPFAIL, ["interrupted"])
        except BrokenPipeError:
            # The reader stopped early (`mailbot tickets list --all | head`): not an error. Keep
            # Python from complaining about the unflushed rest at exit.
            from click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)
            sys.exit(Exit.OK)
        except Exception as exc:
            mapped = _exit_for(exc)
            if mapped is not None:
                code, lines = mapped
                _fail(Exit.TEMPFAIL if mta_pipe else code, lines)
            if mta_pipe:
                # Not expected (a bug), but the mail must not be lost: the MTA keeps it.
                _fail(Exit.TEMPFAIL, [f"{type(exc).__name__}: {exc}"])
            raise
        sys.exit(rv if isinstance(rv, int) else Exit.OK)


def _sentence(message: str) -> str:
    """click's messages start with a capital and may span lines; ours are one lower-case line."""
    text = " ".join(message.split()).rstrip(".")
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


@click.group(cls=MailbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="mailbot", prog_name="mailbot", message="%(prog)s %(version)s", help="Print the version and exit."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    envvar="MAILBOT_CONFIG",
    help="Config file (default: $MAILBOT_CONFIG, else ./mailbot.toml, else built-in defaults).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("--log-json", is_flag=True, help="One JSON object per log line.")
@click.pass_context
def cli(ctx, config_path, verbose, log_json):
    """mailbot: email helpdesk daemon.

    Errors are one line on stderr, with these exit codes: 0 ok; 1 `status`:
    running but degraded; 3 `status`: not running; 64 bad command line; 65
    bad data (not a mail, no such ticket, a refused change); 69 database or
    server unavailable; 75 temporary (try again); 78 config, rules or
    templates wrong. `ingest` exits only 0 or 75 (see `mailbot ingest -h`).
    """
    _setup_logging(verbose, log_json)
    ctx.obj = Ctx(config_path)


def main():
    cli(prog_name="mailbot")
