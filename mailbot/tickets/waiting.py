"""Waiting on the client: the polite reminder, and resolving a ticket the client never answered.

Both are the SLA job's (``jobs.scheduler``), counted in business days from
when the wait began (``tickets.turn_since``): ``[tickets] remind_waiting_after``
and ``resolve_waiting_after``. The client's reply to either reopens the
ticket as any reply does (within ``reopen_window`` of the resolution).
"""

from __future__ import annotations

from sqlalchemy import select

from mailbot.db.models import Event, Ticket
from mailbot.sla import deadlines as sla
from mailbot.tickets.actions import event, send_public, set_status
from mailbot.vocab import MessageKind, Status


def resolve_due(app, ticket: Ticket, *, reminded_at=None):
    """When a ticket waiting on the client is resolved: ``resolve_waiting_after`` business days into
    the wait, and never sooner after the reminder than the gap between the two settings (a daemon
    that was down, or an upgrade, must not remind and resolve at once). None: not yet known
    (the reminder has not gone out) or never (resolving is off)."""
    cfg = app.settings.tickets
    if not cfg.resolve_waiting_after:
        return None
    due = sla.add_days(app, ticket.turn_since, cfg.resolve_waiting_after)
    if cfg.remind_waiting_after:
        reminded = reminded_at or ticket.waiting_reminded_at
        if reminded is None:
            return None
        due = max(due, sla.add_days(app, reminded, cfg.resolve_waiting_after - cfg.remind_waiting_after))
    return due


def remind_waiting_client(ops, ticket: Ticket) -> None:
    """Remind the client that the desk waits on them; once per wait."""
    resolve_on = resolve_due(ops.app, ticket, reminded_at=ops.now)
    send_public(
        ops,
        ticket,
        MessageKind.WAITING_REMINDER,
        "waiting_reminder.txt",
        waiting_since_local=sla.local_text(ops.app, ticket.turn_since),
        resolve_local=sla.local_text(ops.app, resolve_on) if resolve_on else None,
        last_question=_last_question(ops, ticket),
    )
    ticket.waiting_reminded_at = ops.now
    event(ops, ticket, "waiting_reminder", waiting_since=ticket.turn_since.isoformat())


def resolve_unanswered(ops, ticket: Ticket) -> None:
    """The client never answered: resolved, with a notice that their reply reopens it."""
    since = ticket.turn_since
    set_status(ops, ticket, Status.RESOLVED, "mailbot")
    event(ops, ticket, "resolved_unanswered", waiting_since=since.isoformat() if since else None)
    send_public(
        ops,
        ticket,
        MessageKind.WAITING_RESOLVED,
        "waiting_resolved.txt",
        waiting_since_local=sla.local_text(ops.app, since),
        reopen_until_local=sla.local_text(ops.app, ops.now + ops.settings.tickets.reopen_window),
    )


def _last_question(ops, ticket: Ticket) -> str:
    """What the desk last asked the client: its last public answer, for the reminder to quote."""
    text = ops.session.scalar(
        select(Event.data)
        .where(Event.ticket_id == ticket.id, Event.kind == "response")
        .order_by(Event.id.desc())
        .limit(1)
    )
    return ((text or {}).get("text") or "").strip()
