"""``mailbot tickets``: look at tickets, close them, escalate them."""

from __future__ import annotations

import click
from sqlalchemy import select

from mailbot.cli.common import JSON_HELP, SEVERITY, STATUS, Ctx, cut, dump, key, not_blank
from mailbot.db.models import MessageRow, Ticket
from mailbot.errors import BadInput
from mailbot.tickets import actions
from mailbot.tickets.escalation import escalate_to_manager, existing, open_vendor_case
from mailbot.tickets.views import TicketFilter, count_tickets, find, list_tickets, local_time, show_ticket
from mailbot.vocab import Direction, Role, Status

# A person reads a screenful; scripts take --json, which has no limit unless asked.
DEFAULT_LIST_LIMIT = 50


@click.group()
def tickets():
    """Look at and act on tickets."""


@tickets.command("list")
@click.option(
    "--status",
    type=STATUS,
    default=None,
    help="Only this status: nuevo, en-progreso, esperando-cliente, resuelto, cerrado "
    "(or new, in_progress, waiting_client, resolved, closed).",
)
@click.option("--severity", type=SEVERITY, default=None, help="Only this severity: critica, grave, leve.")
@click.option(
    "--assignee", metavar="WHO", default=None, help="Only tickets assigned to this engineer (address or name)."
)
@click.option(
    "--client", metavar="DOMAIN", default=None, help="Only tickets whose requester writes from this mail domain."
)
@click.option(
    "--overdue", is_flag=True, help="Only tickets not closed, past their attention deadline, with no answer yet."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help=f"Show at most N, newest first (default {DEFAULT_LIST_LIMIT}; --json: all).",
)
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
        click.echo(f"{'NUMBER':<12} {'STATUS':<14} {'SEVERITY':<8} {'REQUESTER':<30} {'ATTENTION DUE':<16} SUBJECT")
        for r in rows:
            click.echo(
                f"{r['number']:<12} {r['status']:<14} {r['severity']:<8} {cut(r['requester'], 30):<30} "
                f"{local_time(r['sla']['attention_due'], zone):<16} {cut(r['subject'], 60) or '-'}"
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
    app = obj.app(readonly=True)
    try:
        with app.sessions() as s:
            data = show_ticket(s, number)
    finally:
        app.close()
    if data is None:
        raise BadInput(f"no ticket {number}")
    if as_json:
        dump(data)
        return
    for line in _ticket_lines(data, obj.settings.mailbot.timezone):
        click.echo(line)


def _ticket_lines(data: dict, zone: str) -> list[str]:
    def when(value):
        return local_time(value, zone, seconds=True)

    requester = f"{data['requester_name']} <{data['requester']}>" if data["requester_name"] else data["requester"]
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
    out = [f"{label:>16}: {'-' if value is None or value == '' else value}" for label, value in fields]
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


def _ticket_change(obj: Ctx, number: str, change, as_json: bool):
    """Run ``change(ops, ticket)`` in one transaction on the locked ticket row; print the outcome.

    ``change`` raises BadInput, or EscalationRefused, when the ticket refuses
    the change: nothing is kept, and the reason is the error line (exit 65).
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
            change(ops, ticket)
            session.flush()
            queued = list(
                session.scalars(
                    select(MessageRow).where(
                        MessageRow.ticket_id == ticket.id,
                        MessageRow.direction == Direction.OUT,
                        MessageRow.at == ops.now,
                    )
                )
            )
        with app.sessions() as session:
            data = show_ticket(session, ticket.number)
    finally:
        app.close()
    if as_json:
        dump(data)
        return
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

    _ticket_change(obj, number, change, as_json)
