"""Opening a ticket: numbering it, its deadlines, and telling the client and the team.

Three ways lead here and share it: a client's new mail (``pipeline.apply``), a
report the team brings in for a client (a phone call written up with
``#cliente``, a client's mail forwarded: ``pipeline.on_behalf``), and a client's
mail split off an old thread (``#separar``). Each records the ticket's first
message itself (what that is differs); this module does what is the same.

The ticket's clocks start at ``received_at``: when the client reported, which
for a phone call or a forward is earlier than when the mail reached us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailbot.db.models import Ticket
from mailbot.sla import deadlines as sla
from mailbot.tickets import clocks
from mailbot.tickets.actions import event
from mailbot.tickets.numbering import next_number
from mailbot.tickets.record import (
    Inbound,
    Refusal,
    autoreply_refusal,
    queue_acknowledgement,
    queue_notice,
    tell_team_of_ceiling,
)
from mailbot.vocab import Origin, Status


@dataclass(frozen=True)
class Opening:
    """Whose report a new ticket is, and since when."""

    requester: str
    requester_name: str
    subject: str
    received_at: datetime
    origin: Origin = Origin.NORMAL
    # The team member who brought the report in (a phone call, a forward, a split); None: the client wrote.
    taken_by: str | None = None


def opening_of(ctx: Inbound, origin: Origin = Origin.NORMAL) -> Opening:
    """A client's own mail: the report is the mail's sender's, received now."""
    mail = ctx.mail
    return Opening(mail.from_addr, mail.from_name, mail.subject, ctx.now, origin)


def new_ticket(ctx: Inbound, opening: Opening, cls, *, linked: Ticket | None = None) -> Ticket:
    """Number a ticket for ``opening``, classified by ``cls`` (or the defaults), and add it to the session.

    With ``ctx.numbering`` the number comes later, with the batch's (``Numbering.later``).
    """
    settings = ctx.settings
    seq, number = next_number(ctx.session, settings) if ctx.numbering is None else (None, None)
    severity = (cls.severity if cls and cls.severity else None) or settings.mailbot.default_severity
    ticket = Ticket(
        seq=seq,
        number=number,
        status=Status.NEW,
        severity=severity,
        category=(cls.category if cls and cls.category else settings.mailbot.default_category),
        product=cls.product if cls else None,
        out_of_scope=cls.out_of_scope if cls else None,
        assignee=(cls.assignee or cls.group) if cls else None,
        requester=opening.requester,
        requester_name=opening.requester_name,
        subject=opening.subject,
        created_at=ctx.now,
        updated_at=ctx.now,
        received_at=opening.received_at,
        escalation_level=1,
        linked_ticket_id=linked.id if linked else None,
        classification=cls.to_json() if cls else None,
        origin=opening.origin,
    )
    sla.set_deadlines(ctx.app, ticket)
    ctx.session.add(ticket)
    clocks.opened(ctx, ticket)
    if opening.taken_by:
        # Who took the call (or forwarded the mail) knows the case: theirs, over a rule's
        # assignee; an #asignar written with the report applies after this.
        ticket.assignee = opening.taken_by
    return ticket


def created_events(ctx: Inbound, ticket: Ticket, opening: Opening, cls, **extra) -> None:
    mail = ctx.mail
    event(
        ctx,
        ticket,
        "created",
        actor=opening.taken_by or mail.from_addr,
        message_id=mail.message_id,
        source=ctx.source,
        kind=ctx.screening.kind,
        role=ctx.screening.role,
        severity=ticket.severity,
        category=ticket.category,
        product=ticket.product,
        attention_due=ticket.attention_due.isoformat() if ticket.attention_due else None,
        **extra,
    )
    if opening.origin in (Origin.PHONE, Origin.FORWARD, Origin.SPLIT):
        event(
            ctx,
            ticket,
            "reported",
            actor=opening.taken_by,
            via=opening.origin,
            client=opening.requester,
            received_at=opening.received_at.isoformat(),
        )
    if cls is not None and cls.hits:
        event(ctx, ticket, "classified", rules=cls.to_json())


def ack_refusal(ctx: Inbound, cls, *, ack: bool = True, reason: str = "") -> Refusal | None:
    """Why the client gets no acknowledgement (the loop guard, a rule, or ``ack`` False), or None.

    Asked before the ticket is numbered: the query then has nothing to flush while the counter is locked.
    """
    return autoreply_refusal(ctx, cls) if ack else Refusal(reason or "no acknowledgement asked")


def announce(ctx: Inbound, ticket: Ticket, cls, refusal: Refusal | None) -> None:
    """Acknowledge the client unless ``refusal`` says why not, and tell the team of the new ticket."""
    if refusal is None:
        queue_acknowledgement(ctx, ticket)
    elif refusal.ceiling is None:
        event(ctx, ticket, "ack_suppressed", reason=refusal.reason)
    else:
        event(ctx, ticket, "ack_suppressed", reason=refusal.reason, guard="sender_ceiling", **refusal.ceiling)
        tell_team_of_ceiling(ctx, ticket, refusal)
    queue_notice(ctx, ticket, cls)
