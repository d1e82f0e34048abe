"""Applying one screened mail: open a ticket, add to one, or record a delivery report.

Runs inside the pipeline's transaction (``pipeline.core``); what it decides
comes back as an ``Outcome``. The ticket work itself (recording the message,
acknowledging, replies and ``#commands``) is done by ``mailbot.tickets``.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from mailbot.db.models import MessageRow, Ticket
from mailbot.pipeline.outcome import Action, Outcome
from mailbot.tickets import opening, replies
from mailbot.tickets.actions import event
from mailbot.tickets.record import (
    Inbound,
    add_participants,
    record_message,
)
from mailbot.tickets.thread_match import Repeat, find_repeat, repeat_key
from mailbot.vocab import MACHINE_ORIGINS, Direction, MessageKind, Origin, Role, ScreeningKind, SendStatus, Status

log = logging.getLogger("mailbot.apply")

# The detail of a ticket's outcome until its batch numbers it (``tickets.numbering``); never logged.
NUMBERED_LATER = "numbered with its batch"


def open_ticket(
    ctx: Inbound,
    linked: Ticket | None = None,
    link_reason: str = "subject named another ticket, sender is not part of it",
) -> Outcome:
    """A client's new mail: a new ticket, unless a rule ignores it or it is the same mail again."""
    app, mail, screening = ctx.app, ctx.mail, ctx.screening
    cls = app.rules.classify(mail) if app.rules is not None else None
    if cls is not None and cls.ignore:
        record_message(ctx, None)
        event(
            ctx,
            None,
            "ignored",
            actor=mail.from_addr,
            message_id=mail.message_id,
            reason=cls.ignore,
            rules=cls.to_json(),
        )
        return Outcome(Action.IGNORED, None, mail.message_id, f"rule: {cls.ignore}")
    # Asked before anything is added: the queries' autoflush then has nothing to write.
    key = repeat_key(mail)
    repeat = find_repeat(ctx.session, mail, screening, ctx.settings, ctx.now, key, ctx.known)
    if repeat is not None:
        return record_repeat(ctx, repeat)
    refusal = opening.ack_refusal(ctx, cls)
    origin = Origin(screening.kind) if screening.kind in MACHINE_ORIGINS else Origin.NORMAL
    new = opening.opening_of(ctx, origin)
    ticket = opening.new_ticket(ctx, new, cls, linked=linked)
    record_message(ctx, ticket)
    add_participants(ctx, ticket, is_new=True)
    opening.created_events(ctx, ticket, new, cls, repeat_key=key)

    def numbered() -> Outcome:
        if linked is not None:
            event(ctx, ticket, "linked", linked_to=linked.number, reason=link_reason)
            event(ctx, linked, "linked_from", ticket=ticket.number, sender=mail.from_addr)
        opening.announce(ctx, ticket, cls, refusal)
        detail = f"{screening.role}, {ticket.severity}" + (f", no ack: {refusal.reason}" if refusal else "")
        return Outcome(Action.CREATED, ticket.number, mail.message_id, detail, severity=ticket.severity)

    if ctx.numbering is not None:
        ctx.numbering.later(ticket, numbered)
        return Outcome(Action.CREATED, None, mail.message_id, NUMBERED_LATER)
    return numbered()


def record_repeat(ctx: Inbound, repeat: Repeat) -> Outcome:
    """The same mail again (``thread_match.find_repeat``): kept on the first ticket, nothing sent."""
    mail, ticket = ctx.mail, repeat.ticket
    record_message(ctx, ticket)
    add_participants(ctx, ticket, is_new=False)  # a colleague copied on the second sending joins
    ticket.updated_at = ctx.now
    event(
        ctx,
        ticket,
        "repeat",
        actor=mail.from_addr,
        message_id=mail.message_id,
        first=repeat.first_message_id,
        window=int(ctx.settings.loops.repeat_window.total_seconds()),
    )
    # "appended" (what became of it, in the vocabulary the doors, metrics and tools know); the event says repeat.
    return Outcome(
        Action.APPENDED,
        ticket.number,
        mail.message_id,
        f"repeat of {repeat.first_message_id}: joined, not acknowledged again",
    )


def append(ctx: Inbound, ticket: Ticket, how: str | None) -> Outcome:
    mail, screening = ctx.mail, ctx.screening
    human = screening.kind == ScreeningKind.NORMAL
    if human and screening.role == Role.CLIENT:
        closed_reason = closed_for_replies(ctx, ticket)
        if closed_reason:
            return open_ticket(ctx, linked=ticket, link_reason=closed_reason)
    spoofed = screening.team and not screening.trusted
    record_message(ctx, ticket, kind=MessageKind.UNVERIFIED if spoofed else None)
    add_participants(ctx, ticket, is_new=False)
    ticket.updated_at = ctx.now
    event(
        ctx,
        ticket,
        "message",
        actor=mail.from_addr,
        message_id=mail.message_id,
        role=screening.role,
        kind=screening.kind,
        threaded_by=how,
    )
    if not human:
        detail = f"{screening.kind} mail recorded"
    elif spoofed:
        # A team address whose mail our own MTA did not authenticate: an
        # outsider as far as commands, relay and the SLA clock go.
        event(
            ctx,
            ticket,
            "security",
            actor=mail.from_addr,
            what="unauthenticated team sender",
            message_id=mail.message_id,
            authentication=mail.header_all("Authentication-Results"),
        )
        log.warning(
            "%s: mail claiming team sender %s is not authenticated; commands not run", ticket.number, mail.from_addr
        )
        detail = "unauthenticated team sender: recorded only"
    elif screening.team:
        detail = replies.team_reply(ctx, ticket)
    elif screening.role == Role.VENDOR:
        detail = replies.vendor_reply(ctx, ticket, screening.vendor)
    else:
        detail = replies.client_reply(ctx, ticket)
    return Outcome(Action.APPENDED, ticket.number, mail.message_id, f"{screening.role} by {how}: {detail}")


def closed_for_replies(ctx: Inbound, ticket: Ticket) -> str | None:
    """Why a client's mail opens a new ticket instead of going into ``ticket``, if it does."""
    if ticket.status == Status.CLOSED:
        return f"reply to closed ticket {ticket.number}"
    window = ctx.settings.tickets.reopen_window
    if ticket.status == Status.RESOLVED and ticket.resolved_at and ctx.now - ticket.resolved_at > window:
        return f"reply to ticket {ticket.number} resolved more than {window.days} days ago"
    return None


def record_bounce(ctx: Inbound) -> Outcome:
    """A delivery report: attach it to the ticket whose mail bounced, and mark that mail failed."""
    report = ctx.mail.delivery_report
    original = list(report.original_message_ids) if report else []
    row = None
    if original:
        row = ctx.session.scalar(
            select(MessageRow).where(MessageRow.direction == Direction.OUT, MessageRow.message_id.in_(original))
        )
    if row is None:
        record_message(ctx, None, kind=ScreeningKind.BOUNCE)
        event(ctx, None, "bounce_unmatched", message_id=ctx.mail.message_id, original=original)
        return Outcome(Action.BOUNCE, None, ctx.mail.message_id, "no matching outbound mail")
    ticket = row.ticket
    row.status = SendStatus.FAILED
    record_message(ctx, ticket, kind=ScreeningKind.BOUNCE)
    event(
        ctx,
        ticket,
        "bounced",
        message_id=row.message_id,
        to=row.to_addrs,
        report=ctx.mail.message_id,
        diagnostic=report.diagnostic if report else None,
    )
    return Outcome(Action.BOUNCE, ticket.number if ticket else None, ctx.mail.message_id, f"bounced {row.message_id}")
