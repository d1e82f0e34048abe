"""``mailbot tickets``: look at tickets, close them, escalate them, merge and split them."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from sqlalchemy import select

from mailbot.cli.common import JSON_HELP, SEVERITY, STATUS, Ctx, cut, dump, key, not_blank
from mailbot.db.models import MessageRow, Ticket
from mailbot.errors import BadInput
from mailbot.pipeline.on_behalf import open_by_hand
from mailbot.sla import deadlines
from mailbot.sla.calendar import duration_text
from mailbot.tickets import actions, merge
from mailbot.tickets.escalation import escalate_to_manager, existing, open_vendor_case
from mailbot.tickets.views import TicketFilter, count_tickets, find, list_tickets, local_time, show_ticket
from mailbot.vocab import Direction, Role, Severity, Status

# A person reads a screenful; scripts take --json, which has no limit unless asked.
DEFAULT_LIST_LIMIT = 50
# --limit's ceiling: past 64 bits SQLite and PostgreSQL fail on the LIMIT parameter with a traceback;
# 2**31-1 both hold with room to spare, and it is more tickets than any desk has.
MAX_LIST_LIMIT = 2**31 - 1


def _domain(ctx, param, value):
    # "" would filter nothing (every ticket listed) and "@" would match none: both name no client.
    if value is not None and not value.strip().lstrip("@").strip():
        raise click.BadParameter("must name a domain, e.g. cliente.com.mx", ctx, param)
    return value


@click.group()
def tickets():
    """Look at and act on tickets."""


@tickets.command("list")
@click.option(
    "--status",
    type=STATUS,
    default=None,
    help="Only this status: nuevo, en-progreso, esperando-cliente, esperando-fabricante, resuelto, cerrado "
    "(or new, in_progress, waiting_client, waiting_vendor, resolved, closed).",
)
@click.option("--severity", type=SEVERITY, default=None, help="Only this severity: critica, grave, leve.")
@click.option(
    "--assignee", metavar="WHO", default=None, help="Only tickets assigned to this engineer (address or name)."
)
@click.option(
    "--client",
    metavar="DOMAIN",
    default=None,
    callback=_domain,
    help="Only tickets whose requester writes from this mail domain.",
)
@click.option(
    "--overdue",
    is_flag=True,
    help="Only tickets whose move is the desk's with a client's mail unanswered past its attention deadline.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=MAX_LIST_LIMIT),
    default=None,
    metavar="N",
    help=f"Show at most N, newest first (default {DEFAULT_LIST_LIMIT}; --json: all).",
)
@click.option("--all", "show_all", is_flag=True, help="Show every matching ticket.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_list(obj: Ctx, status, severity, assignee, client, overdue, limit, show_all, as_json):
    """List tickets, newest first.

    Shows the status, severity, whose turn it is (desk, client, vendor), the
    requester, when the desk must answer the client's unanswered mail (the
    running attention clock; "-" when none runs) in the configured timezone,
    and the subject; ends with how many it shows of how
    many match. --json gives every matching ticket (times in ISO 8601 UTC)
    unless --limit is given.
    """
    if limit is not None and show_all:
        raise click.UsageError("give --limit N or --all, not both")
    if limit is None and not (show_all or as_json):
        limit = DEFAULT_LIST_LIMIT
    app = obj.app(readonly=True)
    try:
        where = TicketFilter(
            status=status,
            severity=severity,
            client=client,
            # `ana` or `ana.lopez`: the engineer's address, as #asignar reads it.
            assignee=actions.resolve_assignee(app.settings, assignee) if assignee else None,
            overdue_at=app.clock() if overdue else None,
        )
        with app.sessions() as s:
            rows = list_tickets(s, where, limit=limit, newest_first=True)
            total = len(rows) if limit is None or len(rows) < limit else count_tickets(s, where)
    finally:
        app.close()
    if as_json:
        dump(rows)
        return
    zone = obj.settings.mailbot.timezone
    if rows:
        click.echo(
            f"{'NUMBER':<12} {'STATUS':<14} {'SEVERITY':<8} {'TURN':<6} {'REQUESTER':<30} {'ANSWER DUE':<16} SUBJECT"
        )
        for r in rows:
            click.echo(
                f"{r['number']:<12} {r['status']:<14} {r['severity']:<8} {r['turn'] or '-':<6} "
                f"{cut(r['requester'], 30):<30} {local_time(r['clock_due'], zone):<16} {cut(r['subject'], 60) or '-'}"
            )
    click.echo(f"{len(rows):,} of {total:,} ticket{'' if total == 1 else 's'}")


@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_show(obj: Ctx, number, as_json):
    """Show one ticket: fields, deadlines, mails.

    NUMBER is IMG-000123, or just 123. Times are in the configured timezone.
    """
    data = load_ticket(obj, number)
    if as_json:
        dump(data)
        return
    for line in _ticket_lines(data, obj.settings.mailbot.timezone):
        click.echo(line)


def _ticket_lines(data: dict, zone: str) -> list[str]:
    def when(value):
        return local_time(value, zone, seconds=True)

    requester = f"{data['requester_name']} <{data['requester']}>" if data["requester_name"] else data["requester"]
    status = data["status"] + (f", merged into {data['merged_into']}" if data["merged_into"] else "")
    fields = [
        ("number", data["number"]),
        ("status", status),
        ("severity", data["severity"]),
        ("category", data["category"]),
        ("product", data["product"]),
        ("out of scope", data["out_of_scope"]),
        ("assignee", data["assignee"]),
        ("requester", requester),
        ("origin", data["origin"]),
        ("subject", data["subject"]),
        ("linked ticket", data["linked_ticket"]),
        ("merged from", ", ".join(data["merged_from"])),
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
    out = [f"{label:>16}: {'-' if value is None or value == '' else value}" for label, value in fields]
    out.extend(clock_lines(data, zone))
    out.append(f"{'times':>16}: {zone}")
    for e in data["escalations"]:
        out.append(
            f"{'escalated':>16}: level {e['level']} to {e['target']} on {when(e['at'])} ({e['reason']}, "
            f"by {e['actor']}); due {when(e['due'])}, answered {when(e['responded_at'])}"
        )
    out.append("mails:")
    for m in data["messages"]:
        who = m["from"] if m["direction"] == Direction.IN else "to " + ", ".join(m["to"] or ["-"])
        out.append(
            f"  {when(m['at'])} {m['direction']:<3} {m['kind']:<11} {cut(who, 40) or '-'}  "
            f"{cut(m['subject'], 60) or '-'}"
        )
    return out


def load_ticket(obj: Ctx, number: str) -> dict:
    """``show_ticket``'s data with the running clock explained; BadInput when there is no such ticket."""
    app = obj.app(readonly=True)
    try:
        with app.sessions() as s:
            data = show_ticket(s, number)
            if data is not None:
                explain_clock(app, data)
    finally:
        app.close()
    if data is None:
        raise BadInput(f"no ticket {number}")
    return data


def explain_clock(app, data: dict) -> None:
    """Add to ``show_ticket``'s data what the running clock means now: overdue, business time left."""
    clock = data.get("clock")
    if not clock:
        return
    now, due = app.clock(), datetime.fromisoformat(clock["due"])
    data["overdue"] = now > due
    left = deadlines.elapsed_seconds(app, now, due)
    data["left"] = duration(left) + (" of business time" if deadlines.business(app) else "") if left else None


def clock_lines(data: dict, zone: str) -> list[str]:
    """Whose turn it is, since when, the running attention clock, and the durations stored so far."""

    def when(value):
        return local_time(value, zone)

    turn = data["turn"]
    out = [f"{'turn':>16}: " + (f"{turn}, since {when(data['turn_since'])}" if turn else "none (resolved or closed)")]
    clock = data.get("clock")
    if clock:
        late = " (OVERDUE)" if data.get("overdue") else ""
        what = "the report" if clock["first"] else "the client's mail"
        out.append(
            f"{'clock':>16}: {what} of {when(clock['started_at'])}, severity {clock['severity']}, "
            f"answer due {when(clock['due'])}{late}"
        )
        if data.get("left"):
            out.append(f"{'time left':>16}: {data['left']}")
    elif turn == "desk":
        out.append(f"{'clock':>16}: none running (the client's mail is answered)")
    else:
        out.append(f"{'clock':>16}: none running (no new clock starts while the move is the client's or a vendor's)")
    later = [c for c in data.get("clocks", []) if not c["first"]]
    if later:
        late = sum(1 for c in later if c["late"])
        out.append(f"{'later clocks':>16}: {len(later)}, {late} answered late")
    d = data["durations"]
    spent = ", ".join(f"{k} {duration(d[k])}" for k in ("desk", "client", "vendor") if d[k])
    out.append(
        f"{'durations':>16}: first response {duration(d['first_response'])}, resolution "
        f"{duration(d['resolution'])}; turns so far: {spent or '-'}"
    )
    return out


def duration(seconds: int | None) -> str:
    return "-" if seconds is None else duration_text(timedelta(seconds=seconds))


def _ticket_change(obj: Ctx, number: str, change, as_json: bool, *, said=None):
    """Run ``change(ops, ticket)`` in one transaction on the locked ticket row; print the outcome.

    ``change`` raises BadInput, EscalationRefused or MergeRefused when the ticket
    refuses the change: nothing is kept, and the reason is the error line (exit 65).
    It may return another ticket (where a merge went, the ticket a split opened):
    that one's state and queued mail are shown. ``said(ticket, shown)``: a first
    line saying what was done.
    """
    # The ticket must exist already: no database is created for it.
    app = obj.app(create=False)
    try:
        with app.sessions.begin() as session:
            found = find(session, number)
            ticket = session.scalar(select(Ticket).where(Ticket.id == found.id).with_for_update()) if found else None
            if ticket is None:
                raise BadInput(f"no ticket {number}")
            ops = actions.Ops(app, session, app.clock())
            shown = change(ops, ticket) or ticket
            session.flush()
            headline = said(ticket, shown) if said else None
            queued = list(
                session.scalars(
                    select(MessageRow).where(
                        MessageRow.ticket_id == shown.id,
                        MessageRow.direction == Direction.OUT,
                        MessageRow.at == ops.now,
                    )
                )
            )
        with app.sessions() as session:
            data = show_ticket(session, shown.number)
    finally:
        app.close()
    if as_json:
        dump(data)
        return
    if headline:
        click.echo(headline)
    click.echo(f"{data['number']}: {data['status']}, escalation level {data['escalation_level']}")
    for m in queued:
        click.echo(f"  queued {m.kind} to {', '.join(m.to_addrs)}: {m.subject}")


@tickets.command("close")
@click.argument("number")
@click.option(
    "--summary", required=True, callback=not_blank, help="What was done; sent to the client in the closure mail."
)
@click.option("--by", "actor", default="cli", show_default=True, help="Who closes it (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_close(obj: Ctx, number, summary, actor, as_json):
    """Close a ticket and mail the client the summary."""

    def change(ops, ticket):
        if ticket.status == Status.CLOSED:
            raise BadInput(f"{ticket.number} is already closed")
        actions.close(ops, ticket, actor, summary=summary.strip())

    _ticket_change(obj, number, change, as_json)


@tickets.command("set")
@click.argument("number")
@click.option("--severity", type=SEVERITY, default=None, help="critica, grave or leve (as #severidad).")
@click.option("--status", type=STATUS, default=None, help="As #estado: en-progreso, esperando-cliente, resuelto…")
@click.option("--assignee", default=None, help="A team address, or its local part (as #asignar).")
@click.option("--by", "actor", default="cli", show_default=True, help="Who makes the change (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_set(obj: Ctx, number, severity, status, assignee, actor, as_json):
    """Correct a ticket as #severidad, #estado and #asignar do by mail.

    A severity set here is recorded against the rule that had decided it
    (`mailbot rules stats`). Closing is `tickets close`, which mails the client.
    """
    if severity is None and status is None and assignee is None:
        raise click.UsageError("give at least one of --severity, --status, --assignee")
    if status == Status.CLOSED:
        raise click.BadParameter("use `mailbot tickets close NUMBER --summary TEXT`", param_hint="'--status'")
    if assignee is not None and not assignee.strip():
        raise click.BadParameter("must not be blank", param_hint="'--assignee'")

    def change(ops, ticket):
        if ticket.merged_into_id is not None or ticket.status == Status.CLOSED:
            raise BadInput(f"{ticket.number} is {'merged' if ticket.merged_into_id else 'closed'}: nothing to set")
        if severity is not None:
            actions.set_severity(ops, ticket, Severity(severity), actor)
        if status is not None:
            actions.set_status(ops, ticket, Status(status), actor)
        if assignee is not None:
            who = actions.resolve_assignee(ops.settings, assignee)
            if who not in ops.settings.team.members:
                team = ", ".join(sorted(ops.settings.team.members)) or "none configured"
                raise BadInput(f"--assignee {assignee}: not a team member ([team]: {team})")
            actions.assign(ops, ticket, who, actor)

    _ticket_change(obj, number, change, as_json)


@tickets.command("escalate")
@click.argument("number")
@click.option("--vendor", default=None, help="Open a case with this configured vendor.")
@click.option("--manager", is_flag=True, help="Escalate to the support manager.")
@click.option(
    "--keep-status",
    is_flag=True,
    help="With --vendor: leave the status as it is (by default the ticket waits on the vendor).",
)
@click.option("--by", "actor", default="cli", show_default=True, help="Who escalates (recorded on the ticket).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_escalate(obj: Ctx, number, vendor, manager, keep_status, actor, as_json):
    """Escalate a ticket to the manager or a vendor.

    The escalation mail (to the manager, or the case mail to the vendor's
    support) is queued for the outbox. A vendor case puts the ticket in
    waiting on the vendor (as #escalar does) unless --keep-status is given;
    the vendor's reply hands the turn back to the desk.
    """
    if keep_status and not vendor:
        raise click.UsageError("--keep-status goes with --vendor")
    if bool(vendor) == bool(manager):
        raise click.UsageError("give exactly one of --vendor NAME or --manager")
    if vendor:
        vendors = obj.settings.vendors
        name = next((v for v in vendors if key(v) == key(vendor)), None)
        if name is None:
            raise click.BadParameter(
                f"{vendor!r} is not a configured vendor; valid: {', '.join(vendors) or 'none'}", param_hint="'--vendor'"
            )
    zone = obj.settings.mailbot.timezone

    # The refusals a person at the terminal can act on are said here, in English; any other
    # (another process escalated it at the same moment) is the EscalationRefused reason.
    def change(ops, ticket):
        if manager:
            if existing(ops, ticket, Role.MANAGER) is not None:
                raise BadInput(f"{ticket.number} is already escalated to the manager")
            if not ops.settings.team.manager:
                raise BadInput("no [team] manager is configured")
            escalate_to_manager(ops, ticket, reason="cli", actor=actor)
            return
        before = existing(ops, ticket, name)
        if before is not None:
            raise BadInput(
                f"{ticket.number} already has a case with {name}, opened {local_time(before.at, zone)}; "
                "answer in that thread"
            )
        open_vendor_case(ops, ticket, name, actor=actor, reason="cli")
        if not keep_status:
            actions.set_status(ops, ticket, Status.WAITING_VENDOR, actor)

    _ticket_change(obj, number, change, as_json)


@tickets.command("merge")
@click.argument("number")
@click.option("--into", "into", required=True, metavar="NUMBER", help="The ticket to merge it into (open).")
@click.option("--force", is_flag=True, help="Merge even when the two clients write from different mail domains.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who merges (recorded on both tickets).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_merge(obj: Ctx, number, into, force, actor, as_json):
    """Merge a ticket into another, as #fusionar does.

    Its mails, participants and events move to the other ticket; it is closed
    (no closure mail) and points there, so mail to its number lands there. Its
    client is sent a notice with the new number. Refused (exit 65, the reason
    in Spanish as the engineers get it): into itself, an unknown, closed,
    resolved or merged ticket, from a merged one, or across mail domains
    without --force. --json shows the ticket merged into.
    """

    def change(ops, ticket):
        return merge.merge(ops, ticket, into, actor=actor, force=force)

    _ticket_change(obj, number, change, as_json, said=lambda old, new: f"{old.number} merged into {new.number}")


@tickets.command("split")
@click.argument("number")
@click.option(
    "--message", "message_id", required=True, callback=not_blank, metavar="MESSAGE-ID", help="The client's mail."
)
@click.option("--by", "actor", default="cli", show_default=True, help="Who splits (recorded on both tickets).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_split(obj: Ctx, number, message_id, actor, as_json):
    """Make a client's mail in a ticket a new ticket, as #separar does.

    MESSAGE-ID is the mail's Message-ID (`tickets show NUMBER --json` lists
    them), with or without <>. The new ticket is the mail sender's, timed from
    the mail's arrival and linked to NUMBER; the mail and its attachments move
    to it, and the client is acknowledged with the new number. Refused (exit
    65): not a client's mail, the ticket's first mail, or split already.
    --json shows the new ticket.
    """
    message_id = message_id.strip()
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"

    def change(ops, ticket):
        return merge.split(ops, ticket, message_id, actor=actor)

    _ticket_change(obj, number, change, as_json, said=lambda old, new: f"{new.number} split off {old.number}")


@tickets.command("open")
@click.option("--client", required=True, help='The client whose report it is: an address, or "Name" <address>.')
@click.option("--subject", required=True, callback=not_blank, help="The ticket's subject.")
@click.option(
    "--received",
    default=None,
    help="When the client reported, local time: HH:MM (today) or YYYY-MM-DD HH:MM. Default: now.",
)
@click.option(
    "--body-file",
    type=click.File("rb"),
    default=None,
    help="The report as the client gave it; - reads standard input. Default: no text.",
)
@click.option("--no-ack", is_flag=True, help="Do not send the client the acknowledgement.")
@click.option("--by", default=None, help="The team member who took the call (becomes the assignee).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_obj
def tickets_open(obj: Ctx, client, subject, received, body_file, no_ack, by, as_json):
    """Open a ticket for a report that came by phone or WhatsApp.

    The same as a team member's mail with #cliente: the rules classify the
    text as the client's own mail, the clocks start at --received, and the
    client is acknowledged (queued for the outbox) unless --no-ack.
    """
    body = _text_of(body_file.read()) if body_file is not None else ""
    app = obj.app(create=False)
    try:
        with app.sessions.begin() as session:
            outcome = open_by_hand(
                session, app, client=client, subject=subject, body=body, received=received, ack=not no_ack, by=by
            )
            if outcome.ticket is None:  # only a rule could say so, and a person asked: never expected
                raise BadInput(f"no ticket opened: {outcome.detail}")
        with app.sessions() as session:
            data = show_ticket(session, outcome.ticket)
    finally:
        app.close()
    if as_json:
        dump(data)
        return
    click.echo(
        f"{data['number']}: opened for {data['requester']}, {data['severity']}, attention due "
        f"{local_time(data['sla']['attention_due'], obj.settings.mailbot.timezone) if data['sla']['attention_due'] else '-'}"
    )


def _text_of(data: bytes) -> str:
    """A text file as typed on the server or saved on Windows: UTF-8, else Windows-1252 (never an error)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
