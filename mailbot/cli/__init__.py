"""The ``mailbot`` command.

Every error a command meets ends here as ONE line ``error: ...`` on stderr and
an exit code from :mod:`mailbot.exitcodes`: the exceptions of
:mod:`mailbot.errors` are mapped once, in :meth:`MailbotGroup.main`, and
click's usage errors exit 64 instead of click's 2. ``ingest`` is the
exception to the table: an MTA bounces the client's mail on anything but 0
or 75, so there every failure is 75.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from mailbot.tickets.commands import SEVERITIES, STATUSES
from mailbot.config import load_settings
from mailbot.errors import BadInput, MailbotError, OpsInputError, TemporaryFailure, Unavailable
from mailbot.exitcodes import Exit

# Read before a command line is parsed, to know whether the MTA pipe convention applies.
_GLOBAL_OPTIONS_WITH_VALUE = ("--config",)
# click >= 8.2 raises this for `mailbot` alone; older versions print the help and exit 0 themselves.
_NO_COMMAND = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _setup_logging(verbose: bool, json_logs: bool = False):
    from mailbot.logs import configure

    configure(logging.DEBUG if verbose else logging.INFO, json_logs=json_logs)


class Ctx:
    def __init__(self, config_path):
        self.config_path = config_path
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def app(self, readonly: bool = False, **kw):
        """The runtime objects; ``readonly`` for commands that only look: no database is created or upgraded.

        A missing SQLite file, an unreachable server or an old schema is then
        ``Unavailable`` naming the URL, instead of a fresh empty database that
        answers "no ticket".
        """
        from mailbot.app import build_app

        if readonly:
            kw.setdefault("upgrade", False)
            kw.setdefault("create", False)
        return build_app(self.settings, **kw)


def _dump(data):
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# -- errors and exit codes ---------------------------------------------------------


def _exit_for(exc: BaseException) -> tuple[Exit, list[str]] | None:
    """The exit code and the lines to print for an error mailbot raised on purpose, else None."""
    if isinstance(exc, OpsInputError):
        return Exit.CONFIG, list(exc.format_lines())
    for kind, code in ((Unavailable, Exit.UNAVAILABLE), (BadInput, Exit.DATAERR),
                       (TemporaryFailure, Exit.TEMPFAIL)):
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
    """The command group that turns every error into one line and a documented exit code."""

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


# -- what people type ----------------------------------------------------------------------


def _key(text: str) -> str:
    """A typed value in the form the tables use: folded, "_" and spaces as "-" ("En progreso" → "en-progreso")."""
    # Imported here: the rules package costs every command a sixth of a second to load.
    from mailbot.rules.fold import fold

    return re.sub(r"[\s_]+", "-", fold(text.strip()))


# The words of `#estado` (mailbot.tickets.commands), "nuevo" (a status no command sets), and the
# stored values, in either spelling.
_STORED_STATUSES = ("new", *STATUSES.values())
_STATUS_WORDS = {"nuevo": "new", **STATUSES, **{_s.replace("_", "-"): _s for _s in _STORED_STATUSES}}


class _Words(click.ParamType):
    """A fixed set of values, accepting Spanish or English, any case, with or without accents."""

    def __init__(self, name: str, table: dict[str, str], shown: str):
        self.name = name
        self.table = table
        self.shown = shown

    def convert(self, value, param, ctx):
        found = self.table.get(_key(value))
        if found is None:
            self.fail(f"{value!r} is not a {self.name}; valid: {self.shown}", param, ctx)
        return found


STATUS = _Words("status", _STATUS_WORDS,
                f"nuevo, {', '.join(STATUSES)} (or {', '.join(_STORED_STATUSES)})")
SEVERITY = _Words("severity", {s: s for s in SEVERITIES}, ", ".join(SEVERITIES))


def _not_blank(ctx, param, value):
    if value is not None and not value.strip():
        raise click.BadParameter("must not be blank", ctx, param)
    return value


def _local_iso(ctx, param, value):
    """``--from``: an ISO time; without an offset, in the configured timezone (set later)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time; write e.g. 2026-11-27T17:30 "
                                 "or 2026-11-27T17:30-06:00", ctx, param) from None


JSON_HELP = "Print JSON (for scripts) instead of text."


# -- the commands ------------------------------------------------------------------------------


@click.group(cls=MailbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mailbot", prog_name="mailbot", message="%(prog)s %(version)s",
                      help="Print the version and exit.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None, envvar="MAILBOT_CONFIG",
              help="Config file (default: $MAILBOT_CONFIG, else ./mailbot.toml, else built-in defaults).")
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


@cli.command()
@click.option("--once", is_flag=True, help="Take in what is waiting, send what is queued, and exit.")
@click.pass_obj
def run(obj: Ctx, once):
    """Run the daemon (intake, outbox, scheduler) until SIGTERM; SIGHUP reloads.

    With --once: take in what waits in the mailbox, send what is due, exit
    (0; 69 when the IMAP server or the SMTP relay cannot be reached or
    refuses the login). Config, rules and templates are checked first (78).
    """
    from mailbot.daemon.checks import check_all
    from mailbot.daemon.runner import Daemon, hold_sqlite_lock

    problems, warnings = check_all(obj.settings)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        raise OpsInputError(problems)
    lock = hold_sqlite_lock(obj.settings.database_url)  # before the app migrates anything
    try:
        daemon = Daemon(obj.settings, app=obj.app(), lock=lock)
    except BaseException:
        if lock is not None:
            lock.close()
        raise
    daemon.run(once=once)


@cli.command()
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
    from mailbot.pipeline.core import Pipeline

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


@cli.command()
@click.pass_obj
def check(obj: Ctx):
    """Validate config, templates and rules.

    Says which config, rules and templates folders and which database are in
    use. Each problem is one line, file:line: message; any error exits 78.
    """
    from mailbot.daemon.checks import check_all, describe_sources

    problems, warnings = check_all(obj.settings)
    for line in describe_sources(obj.settings):
        click.echo(line)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        raise OpsInputError(problems)
    click.echo("ok")


@cli.group()
def rules():
    """Classification rules."""


@rules.command("test")
@click.argument("source", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def rules_test(obj: Ctx, source, as_json):
    """Show what would happen to one mail; keep nothing.

    SOURCE (FILE.eml, or - for standard input) goes through screening,
    threading, the rules and the ticket changes in a transaction that is rolled
    back: nothing is saved or sent. Exits 65 when SOURCE is empty or not a
    mail, 78 when config, rules or templates are wrong.
    """
    from mailbot.daemon.checks import check_all
    from mailbot.pipeline.dryrun import dry_run

    problems, _warnings = check_all(obj.settings)
    if problems:
        raise OpsInputError(problems)
    try:
        report = dry_run(obj.settings, source.read())
    except BadInput as exc:
        # click names standard input "<stdin>" (and gives no name to a test runner's stream).
        name = getattr(source, "name", None)
        raise BadInput(f"{'standard input' if name in (None, '<stdin>') else name}: {exc}") from None
    if as_json:
        _dump(report.to_json())
    else:
        for line in report.lines():
            click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def status(obj: Ctx, as_json):
    """Is mailbot running, and keeping up?

    Read from the database: every mailbot process writes a heartbeat there
    (so this works with [health] off, and from another machine on the same
    PostgreSQL). Exit 0 running, 1 running but degraded (no IMAP session, or
    an acknowledgement later than [sla] acknowledge), 3 not running.
    """
    from mailbot.daemon.runner import status as st

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
        _dump(data)
    else:
        for line in st.lines(data):
            click.echo(line)
    sys.exit(code)


@cli.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Ctx):
    """Create the database, or upgrade its schema."""
    from mailbot.db.engine import make_engine, safe_url, upgrade

    engine = make_engine(obj.settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    click.echo(f"database {safe_url(obj.settings.database_url)} is up to date")


@cli.group()
def tickets():
    """Look at and act on tickets."""


# A person reads a screenful; scripts take --json, which has no limit unless asked.
DEFAULT_LIST_LIMIT = 50


@tickets.command("list")
@click.option("--status", type=STATUS, default=None,
              help="Only this status: nuevo, en-progreso, esperando-cliente, resuelto, cerrado "
                   "(or new, in_progress, waiting_client, resolved, closed).")
@click.option("--severity", type=SEVERITY, default=None, help="Only this severity: critica, grave, leve.")
@click.option("--assignee", metavar="WHO", default=None, help="Only tickets assigned to this engineer (address or name).")
@click.option("--client", metavar="DOMAIN", default=None,
              help="Only tickets whose requester writes from this mail domain.")
@click.option("--overdue", is_flag=True,
              help="Only tickets not closed, past their attention deadline, with no answer yet.")
@click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
              help=f"Show at most N, newest first (default {DEFAULT_LIST_LIMIT}; --json: all).")
@click.option("--all", "show_all", is_flag=True, help="Show every matching ticket.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_list(obj: Ctx, status, severity, assignee, client, overdue, limit, show_all, as_json):
    """List tickets, newest first.

    Shows the status, severity, requester, the attention deadline in the
    configured timezone, and the subject; ends with how many it shows of how
    many match. --json gives every matching ticket (times in ISO 8601 UTC)
    unless --limit is given.
    """
    from mailbot.tickets.views import TicketFilter, count_tickets, list_tickets, local_time

    if limit is not None and show_all:
        raise click.UsageError("give --limit N or --all, not both")
    if limit is None and not (show_all or as_json):
        limit = DEFAULT_LIST_LIMIT
    app = obj.app(readonly=True)
    try:
        where = TicketFilter(
            status=status, severity=severity, client=client,
            assignee=_engineer(app.settings, assignee) if assignee else None,
            overdue_at=app.clock() if overdue else None,
        )
        with app.sessions() as s:
            rows = list_tickets(s, where, limit=limit, newest_first=True)
            total = len(rows) if limit is None or len(rows) < limit else count_tickets(s, where)
    finally:
        app.close()
    if as_json:
        _dump(rows)
        return
    zone = obj.settings.mailbot.timezone
    if rows:
        click.echo(f"{'NUMBER':<12} {'STATUS':<14} {'SEVERITY':<8} {'REQUESTER':<30} "
                   f"{'ATTENTION DUE':<16} SUBJECT")
        for r in rows:
            click.echo(f"{r['number']:<12} {r['status']:<14} {r['severity']:<8} {_cut(r['requester'], 30):<30} "
                       f"{local_time(r['sla']['attention_due'], zone):<16} {_cut(r['subject'], 60) or '-'}")
    click.echo(f"{len(rows):,} of {total:,} ticket{'' if total == 1 else 's'}")


def _engineer(settings, who: str) -> str:
    """``ana`` or ``ana.lopez`` → the engineer's address, as ``#asignar`` reads it."""
    # Imported only when asked: ticket_ops brings the whole mail-sending side with it.
    from mailbot.tickets.actions import resolve_assignee

    return resolve_assignee(settings, who)


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_show(obj: Ctx, number, as_json):
    """Show one ticket: fields, deadlines, mails.

    NUMBER is IMG-000123, or just 123. Times are in the configured timezone.
    """
    from mailbot.tickets.views import show_ticket

    app = obj.app(readonly=True)
    try:
        with app.sessions() as s:
            data = show_ticket(s, number)
    finally:
        app.close()
    if data is None:
        raise BadInput(f"no ticket {number}")
    if as_json:
        _dump(data)
        return
    for line in _ticket_lines(data, obj.settings.mailbot.timezone):
        click.echo(line)


def _ticket_lines(data: dict, zone: str) -> list[str]:
    from mailbot.tickets.views import local_time

    def when(value):
        return local_time(value, zone, seconds=True)

    requester = (f"{data['requester_name']} <{data['requester']}>" if data["requester_name"]
                 else data["requester"])
    fields = [
        ("number", data["number"]),
        ("status", data["status"]),
        ("severity", data["severity"]),
        ("category", data["category"]),
        ("product", data["product"]),
        ("out of scope", data["out_of_scope"]),
        ("assignee", data["assignee"]),
        ("requester", requester),
        ("origin", data["origin"]),
        ("subject", data["subject"]),
        ("linked ticket", data["linked_ticket"]),
        ("escalation level", data["escalation_level"]),
        ("received", when(data["received_at"])),
        ("acknowledged", when(data["acknowledged_at"])),
        ("ack due", when(data["sla"]["ack_due"])),
        ("attention due", when(data["sla"]["attention_due"])),
        ("first response", when(data["first_response_at"])),
        ("resolved", when(data["resolved_at"])),
        ("closed", when(data["closed_at"])),
        ("mails in", data["message_count"]),
    ]
    out = [f"{key:>16}: {'-' if value is None or value == '' else value}" for key, value in fields]
    out.append(f"{'times':>16}: {zone}")
    for e in data["escalations"]:
        out.append(f"{'escalated':>16}: level {e['level']} to {e['target']} on {when(e['at'])} ({e['reason']}, "
                   f"by {e['actor']}); due {when(e['due'])}, answered {when(e['responded_at'])}")
    out.append("mails:")
    for m in data["messages"]:
        who = m["from"] if m["direction"] == "in" else "to " + ", ".join(m["to"] or ["-"])
        out.append(f"  {when(m['at'])} {m['direction']:<3} {m['kind']:<11} {_cut(who, 40) or '-'}  "
                   f"{_cut(m['subject'], 60) or '-'}")
    return out


def _ticket_change(obj: Ctx, number: str, change, as_json: bool):
    """Run ``change(ops, ticket)`` in one transaction on the locked ticket row; print the outcome.

    ``change`` returns None, or why the ticket refuses the change (exit 65, nothing kept).
    """
    from sqlalchemy import select

    from mailbot.db.models import MessageRow, Ticket
    from mailbot.tickets.actions import Ops
    from mailbot.tickets.views import find, show_ticket

    # The ticket must exist already: no database is created for it.
    app = obj.app(create=False)
    try:
        with app.sessions.begin() as session:
            found = find(session, number)
            ticket = session.scalar(select(Ticket).where(Ticket.id == found.id).with_for_update()) if found else None
            if ticket is None:
                raise BadInput(f"no ticket {number}")
            ops = Ops(app, session, app.clock())
            error = change(ops, ticket)
            if error:
                session.rollback()
                raise BadInput(error)
            session.flush()
            queued = list(session.scalars(
                select(MessageRow).where(MessageRow.ticket_id == ticket.id, MessageRow.direction == "out",
                                         MessageRow.at == ops.now)))
        with app.sessions() as session:
            data = show_ticket(session, ticket.number)
    finally:
        app.close()
    if as_json:
        _dump(data)
        return
    click.echo(f"{data['number']}: {data['status']}, escalation level {data['escalation_level']}")
    for m in queued:
        click.echo(f"  queued {m.kind} to {', '.join(m.to_addrs)}: {m.subject}")


@tickets.command("close")
@click.argument("number")
@click.option("--summary", required=True, callback=_not_blank,
              help="What was done; sent to the client in the closure mail.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who closes it (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_close(obj: Ctx, number, summary, actor, as_json):
    """Close a ticket and mail the client the summary."""
    from mailbot.tickets import actions as ticket_ops

    def change(ops, ticket):
        if ticket.status == "closed":
            return f"{ticket.number} is already closed"
        ticket_ops.close(ops, ticket, actor, summary=summary.strip())

    _ticket_change(obj, number, change, as_json)


@tickets.command("escalate")
@click.argument("number")
@click.option("--vendor", default=None, help="Open a case with this configured vendor.")
@click.option("--manager", is_flag=True, help="Escalate to the support manager.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who escalates (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_escalate(obj: Ctx, number, vendor, manager, actor, as_json):
    """Escalate a ticket to the manager or a vendor.

    The escalation mail (to the manager, or the case mail to the vendor's
    support) is queued for the outbox.
    """
    from mailbot.tickets.escalation import escalate_to_manager, existing, open_vendor_case
    from mailbot.tickets.views import local_time

    if bool(vendor) == bool(manager):
        raise click.UsageError("give exactly one of --vendor NAME or --manager")
    if vendor:
        vendors = obj.settings.vendors
        name = next((v for v in vendors if _key(v) == _key(vendor)), None)
        if name is None:
            raise click.BadParameter(f"{vendor!r} is not a configured vendor; valid: {', '.join(vendors) or 'none'}",
                                     param_hint="'--vendor'")
    zone = obj.settings.mailbot.timezone

    def change(ops, ticket):
        if manager:
            if existing(ops, ticket, "manager") is not None:
                return f"{ticket.number} is already escalated to the manager"
            if escalate_to_manager(ops, ticket, reason="cli", actor=actor) is None:
                return "no [team] manager is configured"
            return None
        before = existing(ops, ticket, name)
        if before is not None:
            return (f"{ticket.number} already has a case with {name}, opened {local_time(before.at, zone)}; "
                    "answer in that thread")
        _esc, error = open_vendor_case(ops, ticket, name, actor=actor, reason="cli")
        return error

    _ticket_change(obj, number, change, as_json)


@cli.group()
def quarantine():
    """Mail that could not be taken in."""


@quarantine.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include mail already retried successfully.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_list(obj: Ctx, as_json, show_all):
    """List held mail, oldest first, and why it is held."""
    from mailbot.pipeline.quarantine import list_held
    from mailbot.tickets.views import local_time

    app = obj.app(readonly=True)
    try:
        rows = list_held(app, include_done=show_all)
    finally:
        app.close()
    if as_json:
        _dump(rows)
        return
    zone = obj.settings.mailbot.timezone
    for r in rows:
        click.echo(f"{r['id']:>5} {local_time(r['at'], zone)} {r['status']:<8} {r['message_id'] or '-'} "
                   f"{_cut(r['reason'], 80)}")
    click.echo(f"{len(rows):,} {'' if show_all else 'held '}mail{'' if len(rows) == 1 else 's'}")


@quarantine.command("show")
@click.argument("qid", type=int)
@click.option("--raw", is_flag=True, help="Print the raw message.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_show(obj: Ctx, qid, as_json, raw):
    """Show one held mail (QID from `mailbot quarantine list`)."""
    from mailbot.pipeline.quarantine import get_held
    from mailbot.tickets.views import local_time

    app = obj.app(readonly=True)
    try:
        row = get_held(app, qid)
    finally:
        app.close()
    if row is None:
        raise BadInput(f"no quarantined mail {qid} (see 'mailbot quarantine list')")
    if raw:
        sys.stdout.buffer.write(row.pop("raw_bytes"))
        return
    row.pop("raw_bytes")
    if as_json:
        _dump(row)
        return
    row["at"] = local_time(row["at"], obj.settings.mailbot.timezone, seconds=True)
    for k, v in row.items():
        click.echo(f"{k:>10}: {'-' if v is None else v}")


@quarantine.command("retry")
@click.argument("qids", type=int, nargs=-1)
@click.option("--all", "retry_all", is_flag=True, help="Retry every held mail.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def quarantine_retry(obj: Ctx, qids, retry_all, as_json):
    """Take held mail in again, after fixing the cause.

    QIDS (from `mailbot quarantine list`), or --all, go through the pipeline
    again. Exits 65 when a mail is held again or a QID names no quarantined
    mail; one applied already is reported and left alone.
    """
    from mailbot.pipeline.quarantine import get_held, retry

    if bool(qids) == retry_all:
        raise click.UsageError("give the ids of held mails (see 'mailbot quarantine list') or --all"
                               if not qids else "give ids or --all, not both")
    app = obj.app(create=False)
    try:
        results = retry(app, list(qids), retry_all=retry_all)
        # A mail applied already (by an earlier retry) is done: retrying it again is not a mistake.
        missing = sorted(set(qids) - {r["id"] for r in results})
        done = [q for q in missing if (get_held(app, q) or {}).get("status") == "applied"]
    finally:
        app.close()
    if as_json:
        _dump(results)
    else:
        for r in results:
            click.echo(f"{r['id']}: {r['action']} {r.get('ticket') or ''} {r.get('detail') or ''}".rstrip())
        for q in done:
            click.echo(f"{q}: applied already, nothing to do")
    problems = []
    not_held = [q for q in missing if q not in done]
    if not_held:
        problems.append(f"no held mail {', '.join(map(str, not_held))} (see 'mailbot quarantine list')")
    again = [str(r["id"]) for r in results if r["action"] == "quarantined"]
    if again:
        problems.append(f"held again: {', '.join(again)} (see 'mailbot quarantine show ID')")
    if problems:
        raise BadInput("; ".join(problems))


@cli.group()
def report():
    """Service reports."""


def _quarter(ctx, param, value):
    from mailbot.reports.quarterly import parse_quarter

    if value is None:
        return None
    try:
        return parse_quarter(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@report.command("quarterly")
@click.option("--quarter", default=None, callback=_quarter, help="e.g. 2026Q3 (default: the last finished quarter).")
@click.option("--client", metavar="DOMAIN", default=None, help="Only this client domain.")
@click.option("--send", is_flag=True, help="Also queue the report mail to [report] recipients.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def report_quarterly(obj: Ctx, quarter, client, as_json, send):
    """The quarterly service report.

    Tickets, acknowledgement and attention rates, attention times and
    escalations of a quarter, overall and per client domain.
    """
    from mailbot.reports import quarterly as rep

    if send and client:
        raise click.UsageError("--send mails the whole report; leave out --client")
    app = obj.app(readonly=True)
    try:
        year, q = quarter or rep.previous_quarter(
            app.clock().astimezone(ZoneInfo(app.settings.mailbot.timezone)).date())
        with app.sessions() as session:
            data = rep.quarterly(app, session, year, q, client=client)
        if send and not rep.send_quarterly(app, year, q):
            click.echo(f"warning: the report of {year}Q{q} was sent already (or has no recipients); "
                       "not sent again", err=True)
    finally:
        app.close()
    if as_json:
        _dump(data)
    else:
        click.echo(rep.render_text(data, obj.settings.mailbot.company))


@cli.group()
def sla():
    """Service-level deadlines."""


@sla.command("deadline")
@click.option("--severity", type=SEVERITY, required=True, help="critica, grave or leve.")
@click.option("--from", "start", metavar="TIME", required=True, callback=_local_iso,
              help="When the mail arrived, ISO time, e.g. 2026-11-27T17:30 (configured timezone if no offset).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def sla_deadline(obj: Ctx, severity, start, as_json):
    """When a mail received at --from must be attended.

    Prints the attention deadline and how it is reached, day by day, in
    business time when [sla.attention] business_time is on.
    """
    from mailbot.sla.calendar import BusinessCalendar, duration_text

    settings = obj.settings
    when = start if start.tzinfo is not None else start.replace(tzinfo=ZoneInfo(settings.mailbot.timezone))
    target = getattr(settings.sla.attention, severity)
    calendar = settings.calendar
    if not settings.sla.attention.business_time:
        calendar = calendar.model_copy(update={"always_open": True})
    report = BusinessCalendar(calendar, settings.mailbot.timezone).deadline_report(when, target)
    report["severity"] = severity
    if as_json:
        _dump(report)
        return
    click.echo(f"severity {severity}, target {duration_text(target)}"
               f"{' of business time' if report['business_time'] else ''}, from {report['start']['local']}")
    for step in report["steps"]:
        click.echo(f"  {step}")
    click.echo(f"deadline: {report['deadline']['local']} ({report['deadline']['utc']})")


def main():
    cli(prog_name="mailbot")
