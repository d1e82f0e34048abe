"""The ``mailbot`` command."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from mailbot.config import load_settings
from mailbot.errors import OpsInputError, TemporaryFailure

EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the mail and retries


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
            try:
                self._settings = load_settings(self.config_path)
            except OpsInputError as exc:
                for line in exc.format_lines():
                    click.echo(f"error: {line}", err=True)
                sys.exit(2)
        return self._settings

    def app(self, **kw):
        from mailbot.app import build_app

        try:
            return build_app(self.settings, **kw)
        except OpsInputError as exc:
            for line in exc.format_lines():
                click.echo(f"error: {line}", err=True)
            sys.exit(2)


def _dump(data):
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group()
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="Config file (default ./mailbot.toml, else built-in defaults).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.option("--log-json", is_flag=True, help="One JSON object per log line.")
@click.pass_context
def cli(ctx, config_path, verbose, log_json):
    """mailbot: email helpdesk daemon."""
    _setup_logging(verbose, log_json)
    ctx.obj = Ctx(config_path)


@cli.command()
@click.option("--once", is_flag=True, help="Take in what is waiting, send what is queued, and exit.")
@click.pass_obj
def run(obj: Ctx, once):
    """Run the daemon."""
    from mailbot.daemon import AlreadyRunning, Daemon
    from mailbot.checks import check_all

    problems, _warnings = check_all(obj.settings)
    if problems:
        for file, line, msg in problems:
            click.echo(f"error: {file}{':' + str(line) if line else ''}: {msg}", err=True)
        sys.exit(2)
    try:
        Daemon(obj.settings, app=obj.app()).run(once=once)
    except AlreadyRunning as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)


@cli.command()
@click.argument("source", type=click.File("rb"))
@click.pass_obj
def ingest(obj: Ctx, source):
    """Take one message from FILE (or - for standard input), as an MTA pipe."""
    from mailbot.pipeline import Pipeline

    raw = source.read()
    try:
        app = obj.app()
        try:
            outcome = Pipeline(app).process(raw, source="ingest")
        finally:
            app.close()
    except TemporaryFailure as exc:
        click.echo(f"temporary failure: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:
        # Anything that kept the mail from being stored: let the MTA keep it.
        click.echo(f"temporary failure: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"{outcome.action} {outcome.ticket or '-'} {outcome.message_id or ''}".rstrip())


@cli.command()
@click.pass_obj
def check(obj: Ctx):
    """Validate config, templates and rules; exit non-zero on any error."""
    from mailbot.checks import check_all

    problems, warnings = check_all(obj.settings)
    for file, line, msg in warnings:
        click.echo(f"warning: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    for file, line, msg in problems:
        click.echo(f"error: {file}{':' + str(line) if line else ''}: {msg}", err=True)
    if problems:
        sys.exit(1)
    click.echo("ok")


@cli.group()
def rules():
    """Classification rules."""


@rules.command("test")
@click.argument("source", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def rules_test(obj: Ctx, source, as_json):
    """Run one mail (FILE.eml or -) through screen, thread, classify and apply; save and send nothing."""
    from mailbot.checks import check_all
    from mailbot.dryrun import dry_run

    problems, _warnings = check_all(obj.settings)
    if problems:
        for file, line, msg in problems:
            click.echo(f"error: {file}{':' + str(line) if line else ''}: {msg}", err=True)
        sys.exit(2)
    report = dry_run(obj.settings, source.read())
    if as_json:
        _dump(report.to_json())
    else:
        for line in report.lines():
            click.echo(line)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(obj: Ctx, as_json):
    """Is mailbot alive and keeping up? (the running daemon's /healthz when [health] is on)."""
    import urllib.error
    import urllib.request

    settings = obj.settings
    data, source = None, "database"
    if settings.health.enabled:
        url = f"http://{settings.health.host}:{settings.health.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                data = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            data = json.loads(exc.read() or b"{}") or None
        except OSError as exc:
            click.echo(f"warning: the daemon does not answer at {url} ({exc}); reading the database", err=True)
        source = url if data else source
    if data is None:
        from mailbot.health import facts

        app = obj.app(upgrade=False)
        try:
            data = facts(app)
        finally:
            app.close()
    if as_json:
        _dump(data)
    else:
        click.echo(f"status:     {data['status']} (from {source})")
        db_line = "reachable" if data["database"]["reachable"] else f"UNREACHABLE {data['database'].get('error', '')}"
        click.echo(f"database:   {db_line}")
        if "imap" in data:
            i = data["imap"]
            click.echo(f"imap:       {i['state']} {i['mailbox']}, {i['reconnects']} reconnects"
                       + (f", last error: {i['last_error']}" if i.get("last_error") else ""))
        elif not settings.health.enabled:
            click.echo("imap:       unknown (turn on [health] to see the running daemon's session)")
        o = data["outbox"]
        click.echo(f"outbox:     {o['queued']} queued, {o['failed']} failed"
                   + (f", oldest queued {o['oldest_queued_seconds']:.0f}s ago" if o["oldest_queued_seconds"] else ""))
        oldest = data["oldest_unacknowledged_seconds"]
        click.echo("unacknowledged: " + (f"oldest waiting {oldest:.0f}s" if oldest is not None else "none"))
        if data.get("escalations"):
            e = data["escalations"]
            click.echo(f"escalations: {e['manager']} to the manager ({e['sla_breaches']} for SLA breaches), "
                       f"{e['vendor']} to vendors")
    sys.exit(0 if data["status"] == "ok" else 1)


@cli.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Ctx):
    """Create or upgrade the schema to the newest migration."""
    from mailbot.db.engine import make_engine, upgrade

    engine = make_engine(obj.settings.database_url)
    upgrade(engine)
    engine.dispose()
    click.echo("database is up to date")


@cli.group()
def tickets():
    """Look at and act on tickets."""


@tickets.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--status", default=None)
@click.pass_obj
def tickets_list(obj: Ctx, as_json, status):
    from mailbot.tickets import list_tickets

    app = obj.app()
    with app.sessions() as s:
        rows = list_tickets(s, status=status)
    app.close()
    if as_json:
        _dump(rows)
        return
    for r in rows:
        click.echo(f"{r['number']:<14} {r['status']:<14} {r['severity']:<7} {r['requester']:<32} {r['subject'][:60]}")


@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tickets_show(obj: Ctx, number, as_json):
    from mailbot.tickets import show_ticket

    app = obj.app()
    with app.sessions() as s:
        data = show_ticket(s, number)
    app.close()
    if data is None:
        click.echo(f"error: no ticket {number}", err=True)
        sys.exit(1)
    if as_json:
        _dump(data)
        return
    for key in ("number", "status", "severity", "category", "product", "requester", "subject", "created_at",
                "escalation_level", "message_count"):
        click.echo(f"{key:>18}: {data[key]}")
    click.echo(f"{'attention_due':>18}: {data['sla']['attention_due']}")
    for m in data["messages"]:
        click.echo(f"  {m['at']} {m['direction']:<3} {m['kind']:<9} {m['from']} {m['subject'][:50]}")


def _ticket_change(obj: Ctx, number: str, change, as_json: bool):
    """Run ``change(ops, ticket)`` in one transaction on the locked ticket row; print the outcome."""
    from sqlalchemy import select

    from mailbot.db.models import MessageRow, Ticket
    from mailbot.ticket_ops import Ops
    from mailbot.tickets import show_ticket

    app = obj.app()
    try:
        with app.sessions.begin() as session:
            from mailbot.tickets import find

            found = find(session, number)
            ticket = session.scalar(select(Ticket).where(Ticket.id == found.id).with_for_update()) if found else None
            if ticket is None:
                click.echo(f"error: no ticket {number}", err=True)
                sys.exit(1)
            ops = Ops(app, session, app.clock())
            error = change(ops, ticket)
            if error:
                session.rollback()
                click.echo(f"error: {error}", err=True)
                sys.exit(1)
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
@click.option("--summary", required=True, help="What was done; sent to the client in the closure mail.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who closes it (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tickets_close(obj: Ctx, number, summary, actor, as_json):
    """Close a ticket and send the client the closure mail with SUMMARY."""
    from mailbot import ticket_ops

    def change(ops, ticket):
        if ticket.status == "closed":
            return f"{ticket.number} is already closed"
        ticket_ops.close(ops, ticket, actor, summary=summary)

    _ticket_change(obj, number, change, as_json)


@tickets.command("escalate")
@click.argument("number")
@click.option("--vendor", default=None, help="Open a case with this configured vendor.")
@click.option("--manager", is_flag=True, help="Escalate to the support manager.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who escalates (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tickets_escalate(obj: Ctx, number, vendor, manager, actor, as_json):
    """Escalate a ticket to the manager or to a vendor's support (the case mail is queued)."""
    from mailbot.escalation import escalate_to_manager, existing, open_vendor_case

    if bool(vendor) == bool(manager):
        click.echo("error: give exactly one of --vendor NAME or --manager", err=True)
        sys.exit(2)

    def change(ops, ticket):
        if manager:
            if existing(ops, ticket, "manager") is not None:
                return f"{ticket.number} is already escalated to the manager"
            if escalate_to_manager(ops, ticket, reason="cli", actor=actor) is None:
                return "no [team] manager is configured"
            return None
        _esc, error = open_vendor_case(ops, ticket, vendor, actor=actor, reason="cli")
        return error

    _ticket_change(obj, number, change, as_json)


@cli.group()
def quarantine():
    """Mail that could not be taken in."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "show_all", is_flag=True, help="Include mail already retried successfully.")
@click.pass_obj
def quarantine_list(obj: Ctx, as_json, show_all):
    from mailbot.quarantine import list_held

    app = obj.app()
    rows = list_held(app, include_done=show_all)
    app.close()
    if as_json:
        _dump(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:>5} {r['at']} {r['status']:<8} {r['message_id'] or '-'} {r['reason'][:80]}")


@quarantine.command("show")
@click.argument("qid", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option("--raw", is_flag=True, help="Print the raw message.")
@click.pass_obj
def quarantine_show(obj: Ctx, qid, as_json, raw):
    from mailbot.quarantine import get_held

    app = obj.app()
    row = get_held(app, qid)
    app.close()
    if row is None:
        click.echo(f"error: no quarantined message {qid}", err=True)
        sys.exit(1)
    if raw:
        sys.stdout.buffer.write(row.pop("raw_bytes"))
        return
    row.pop("raw_bytes")
    if as_json:
        _dump(row)
    else:
        for k, v in row.items():
            click.echo(f"{k:>10}: {v}")


@quarantine.command("retry")
@click.argument("qids", type=int, nargs=-1)
@click.option("--all", "retry_all", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def quarantine_retry(obj: Ctx, qids, retry_all, as_json):
    from mailbot.quarantine import retry

    app = obj.app()
    results = retry(app, list(qids), retry_all=retry_all)
    app.close()
    if as_json:
        _dump(results)
    else:
        for r in results:
            click.echo(f"{r['id']}: {r['action']} {r.get('ticket') or ''} {r.get('detail') or ''}".rstrip())
    if any(r["action"] == "quarantined" for r in results):
        sys.exit(1)


@cli.group()
def report():
    """Service reports."""


@report.command("quarterly")
@click.option("--quarter", default=None, help="e.g. 2026Q3 (default: the last finished quarter).")
@click.option("--client", default=None, help="Only this client domain.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--send", is_flag=True, help="Also queue the report mail to [report] recipients.")
@click.pass_obj
def report_quarterly(obj: Ctx, quarter, client, as_json, send):
    """Tickets, acknowledgement and attention rates, attention times and escalations of a quarter."""
    from zoneinfo import ZoneInfo

    from mailbot import report as rep

    app = obj.app()
    try:
        if quarter:
            try:
                year, q = rep.parse_quarter(quarter)
            except ValueError as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)
        else:
            year, q = rep.previous_quarter(app.clock().astimezone(ZoneInfo(app.settings.mailbot.timezone)).date())
        with app.sessions() as session:
            data = rep.quarterly(app, session, year, q, client=client)
        if send and client:
            click.echo("error: --send mails the whole report; leave out --client", err=True)
            sys.exit(2)
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
@click.option("--severity", type=click.Choice(["critica", "grave", "leve"]), required=True)
@click.option("--from", "start", required=True, help="ISO time, e.g. 2026-11-27T17:30 (local zone if no offset).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def sla_deadline(obj: Ctx, severity, start, as_json):
    """Print the attention deadline for a mail received at --from, and how it was reached."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mailbot.calendar import BusinessCalendar

    settings = obj.settings
    try:
        when = datetime.fromisoformat(start)
    except ValueError:
        click.echo(f"error: --from: not an ISO time: {start!r}", err=True)
        sys.exit(2)
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(settings.mailbot.timezone))
    target = getattr(settings.sla.attention, severity)
    cal = BusinessCalendar(settings.calendar, settings.mailbot.timezone)
    if settings.sla.attention.business_time:
        report = cal.deadline_report(when, target)
    else:
        report = BusinessCalendar(settings.calendar.model_copy(update={"always_open": True}),
                                  settings.mailbot.timezone).deadline_report(when, target)
    report["severity"] = severity
    if as_json:
        _dump(report)
        return
    click.echo(f"severity {severity}, target {target}, from {report['start']['local']}")
    for step in report["steps"]:
        click.echo(f"  {step}")
    click.echo(f"deadline: {report['deadline']['local']} ({report['deadline']['utc']})")


def main():
    cli(prog_name="mailbot")
