"""Handing a ticket up: to the support manager (level 2) or a vendor (level 3).

To the manager once per attention clock (a later client notice that runs out
is escalated again), to a vendor once per ticket: the ``escalations`` row is
looked up first and its unique (ticket, target, clock) key stops a second
process that raced past the lookup. The escalation mail is queued in the same transaction.
An escalation that is not made raises ``EscalationRefused`` with the reason
in Spanish; whoever asked reports it (the #command reply, the CLI, the SLA job).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.db.models import Clock, Escalation, Event, MessageRow, Ticket
from mailbot.errors import EscalationRefused
from mailbot.outbound.outbox import queue_mail
from mailbot.sla import deadlines as sla
from mailbot.tickets import clocks
from mailbot.tickets.actions import context, event, send_internal, team_recipients
from mailbot.tickets.attachments import client_files
from mailbot.vocab import INTERNAL_KINDS, ClockSource, Direction, MessageKind, Role, Severity

# ``escalations.target`` of a level-2 escalation; a vendor case's target is the vendor's configured name.
MANAGER = Role.MANAGER


def _clock_id(ops, ticket: Ticket, target: str, clock: Clock | None = None) -> int:
    """The clock an escalation to ``target`` belongs to: for the manager, the client's notice it is
    about (the running clock, else the last one: escalating the same notice twice is a repeat);
    0 for a vendor, and for a ticket that never had a clock."""
    if target != MANAGER:
        return 0
    clock = clock or clocks.running(ops, ticket) or clocks.last(ops, ticket)
    if clock is not None and clock.id is None:
        ops.session.flush()
    return clock.id if clock is not None else 0


def existing(ops, ticket: Ticket, target: str, clock: Clock | None = None) -> Escalation | None:
    """The escalation to ``target`` that a new one would repeat (for the manager: of the clock running now)."""
    if ticket.id is None:
        return None
    return ops.session.scalar(
        select(Escalation).where(
            Escalation.ticket_id == ticket.id,
            Escalation.target == target,
            Escalation.clock_id == _clock_id(ops, ticket, target, clock),
        )
    )


def refusal(ops, ticket: Ticket, target: str) -> str | None:
    """Why ``target`` (``MANAGER`` or a vendor's name) cannot be escalated to now, in Spanish; None if it can.

    Writes nothing: the #command precheck asks it before anything of a reply applies.
    """
    settings = ops.settings
    if target == MANAGER:
        if not settings.team.manager:
            return "no hay gerente configurado ([team] manager)"
    elif target not in settings.vendors:
        return f"fabricante desconocido «{target}» (configurados: {', '.join(settings.vendors) or 'ninguno'})"
    before = existing(ops, ticket, target)
    return None if before is None else _already(ops, before)


def _manager_refusal(ops, ticket: Ticket, clock: Clock | None) -> str | None:
    if not ops.settings.team.manager:
        return "no hay gerente configurado ([team] manager)"
    before = existing(ops, ticket, MANAGER, clock)
    return None if before is None else _already(ops, before)


def _already(ops, before: Escalation) -> str:
    when = sla.local_text(ops.app, before.at)
    if before.target == MANAGER:
        return f"el ticket ya se escaló al gerente el {when}"
    return f"ya existe un caso abierto con {before.target} desde el {when}; responda en ese hilo"


def _insert(ops, ticket: Ticket, esc: Escalation) -> None:
    """Add ``esc``; EscalationRefused when another transaction escalated to its target meanwhile."""
    try:
        # The row first, in a savepoint: another transaction that escalated this
        # ticket meanwhile (the SLA job, a client's "escalar", a #command) wins, and
        # this one sends nothing instead of failing the whole message.
        with ops.session.begin_nested():
            ops.session.add(esc)
    except IntegrityError:
        before = ops.session.scalar(
            select(Escalation).where(
                Escalation.ticket_id == ticket.id,
                Escalation.target == esc.target,
                Escalation.clock_id == esc.clock_id,
            )
        )
        raise EscalationRefused(
            _already(ops, before) if before is not None else "otro proceso lo escaló al mismo tiempo"
        ) from None


def _thread(ops, ticket: Ticket) -> list[dict]:
    rows = ops.session.scalars(
        select(MessageRow).where(MessageRow.ticket_id == ticket.id).order_by(MessageRow.id)
    ).all()
    team = ops.settings.team.members | set(ops.settings.team.notify_addresses)
    out = []
    for m in rows:
        if m.direction == Direction.OUT and (
            m.kind in INTERNAL_KINDS or team.issuperset(list(m.to_addrs or ()) + list(m.cc_addrs or ()))
        ):
            # Internal mail (notices, reminders, the loop guard's word, a kept note): by its kind,
            # whoever the team was when it went out, and anything sent to the team only.
            # The conversation is what the client and vendors saw.
            continue
        who = m.from_addr if m.direction == Direction.IN else f"{ops.settings.mailbot.name} → {', '.join(m.to_addrs)}"
        text = (m.body_text or "").strip()
        out.append(
            {
                "at": sla.local_text(ops.app, m.at),
                "who": who,
                "text": text[:2000] + (" […]" if len(text) > 2000 else ""),
            }
        )
    return out


def _client_text(ops, ticket: Ticket) -> str:
    first = ops.session.scalar(
        select(MessageRow)
        .where(MessageRow.ticket_id == ticket.id, MessageRow.direction == Direction.IN)
        .order_by(MessageRow.id)
        .limit(1)
    )
    return (first.body_text or "").strip() if first is not None else ""


def _late(ops, ticket: Ticket, clock: Clock | None) -> str | None:
    """How late the clock is, in whole minutes (at least one), e.g. "1 minuto", "2 horas 5 minutos"."""
    due = clock.due if clock is not None else ticket.attention_due
    if due is None or ops.now <= due:
        return None
    minutes = max(int((ops.now - due).total_seconds()) // 60, 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "día", "días"), (hours, "hora", "horas"), (minutes, "minuto", "minutos")]
    return " ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)


def escalate_to_manager(
    ops, ticket: Ticket, *, reason: str, actor: str = "mailbot", clock: Clock | None = None
) -> Escalation:
    """Send the escalation mail to the manager and return the new row.

    ``clock``: the attention clock that ran out (the SLA job); else the one running now, if any.
    Raises EscalationRefused when no manager is configured, this clock is
    already escalated to them, or another process escalated it first; the
    ``escalation_skipped`` event records each refusal on the ticket.
    """
    settings = ops.settings
    manager = settings.team.manager
    clock = clock or clocks.running(ops, ticket)
    refused = _manager_refusal(ops, ticket, clock)
    if refused:
        # On the ticket for whoever reads it later: a client who asked is not answered.
        why = dict(reason="no [team] manager") if not manager else dict(reason="already escalated", detail=refused)
        event(ops, ticket, "escalation_skipped", actor=actor, target=MANAGER, **why)
        raise EscalationRefused(refused)
    due = sla.add_time(ops.app, ops.now, settings.sla.manager_response, settings.sla.attention.business_time)
    if ticket.id is None:
        ops.session.flush()
    esc = Escalation(
        ticket_id=ticket.id,
        target=MANAGER,
        clock_id=_clock_id(ops, ticket, MANAGER, clock),
        level=2,
        reason=reason,
        actor=actor,
        at=ops.now,
        due=due,
    )
    try:
        _insert(ops, ticket, esc)
    except EscalationRefused as lost:
        why = dict(reason="escalated by another process", detail=lost.reason)
        event(ops, ticket, "escalation_skipped", actor=actor, target=MANAGER, **why)
        raise
    row = send_internal(
        ops,
        ticket,
        MessageKind.ESCALATION,
        "escalation.txt",
        [manager],
        reason=reason,
        actor=actor,
        late=_late(ops, ticket, clock),
        due_local=sla.local_text(ops.app, due),
        later_notice=clock is not None and clock.source == ClockSource.CLIENT,
        vendor_notice=clock is not None and clock.source == ClockSource.VENDOR,
        notice_local=sla.local_text(ops.app, clock.started_at) if clock is not None else None,
        # The deadline that ran out is the clock's: a later notice has its own.
        attention_due_local=sla.local_text(ops.app, clock.due if clock is not None else ticket.attention_due),
        client_text=_client_text(ops, ticket),
        thread=_thread(ops, ticket),
    )
    esc.message_id = row.message_id
    ticket.escalation_level = max(ticket.escalation_level or 1, 2)
    ticket.updated_at = ops.now
    event(
        ops,
        ticket,
        "escalated",
        actor=actor,
        target=MANAGER,
        level=2,
        reason=reason,
        due=due.isoformat(),
        late=_late(ops, ticket, clock),
        clock=esc.clock_id,
    )
    return esc


# How vendor mail in English writes a severity; a value outside the vocabulary is shown as stored.
_SEVERITY_EN = {s: s.english for s in Severity}


def open_vendor_case(
    ops, ticket: Ticket, vendor_name: str, *, actor: str, reason: str = "command", diagnosis: str | None = None
) -> Escalation:
    """Send the case mail to the vendor and return the new row.

    Raises EscalationRefused when the vendor is not configured, a case with it
    is already open, or another process opened it first.
    """
    settings = ops.settings
    refused = refusal(ops, ticket, vendor_name)
    if refused:
        raise EscalationRefused(refused)
    vendor = settings.vendors[vendor_name]
    due = sla.add_time(ops.app, ops.now, vendor.response, vendor.business_time)
    if ticket.id is None:
        ops.session.flush()
    esc = Escalation(ticket_id=ticket.id, target=vendor_name, level=3, reason=reason, actor=actor, at=ops.now, due=due)
    _insert(ops, ticket, esc)
    files, attachments = client_files(ops, ticket)
    template = f"{vendor.template}.{vendor.language}.txt"
    extra = dict(
        vendor=vendor,
        product=ticket.product or vendor.name or vendor_name,
        severity_en=_SEVERITY_EN.get(ticket.severity, ticket.severity),
        client_domain=ticket.requester.rpartition("@")[2],
        client_text=_client_text(ops, ticket),
        diagnosis=_diagnosis(ops, ticket, diagnosis),
        attachments=attachments,
        received_utc=ticket.received_at.strftime("%Y-%m-%d %H:%M UTC"),
    )
    rendered = ops.app.templates.render(template, **context(ops, ticket, **extra))
    # auto=None: a person asked for this case; vendor desks may ignore Auto-Submitted mail.
    row = queue_mail(
        ops.session,
        settings,
        kind=MessageKind.VENDOR_CASE,
        ticket=ticket,
        to=[vendor.address],
        subject=rendered.subject,
        body=rendered.body,
        now=ops.now,
        attachments=files,
        auto=None,
    )
    esc.message_id = row.message_id
    ticket.escalation_level = max(ticket.escalation_level or 1, 3)
    ticket.updated_at = ops.now
    event(
        ops,
        ticket,
        "escalated",
        actor=actor,
        target=vendor_name,
        level=3,
        reason=reason,
        due=due.isoformat(),
        to=vendor.address,
        message_id=row.message_id,
    )
    return esc


def _diagnosis(ops, ticket: Ticket, extra: str | None = None) -> str:
    """The team's answers and summaries so far, and ``extra`` (the note sent with #escalar).

    Earlier internal notes stay internal: they may say things for our eyes only.
    """
    rows = ops.session.scalars(
        select(Event).where(Event.ticket_id == ticket.id, Event.kind.in_(("response", "summary"))).order_by(Event.id)
    ).all()
    parts = [e.data["text"].strip() for e in rows if (e.data.get("text") or "").strip()]
    if extra and extra.strip() and extra.strip() not in parts:
        parts.append(extra.strip())
    return "\n\n".join(parts) if parts else "(no diagnosis recorded yet)"


def remind_manager(ops, esc: Escalation) -> None:
    ticket = esc.ticket
    window = ops.settings.sla.manager_response
    send_internal(
        ops,
        ticket,
        MessageKind.MANAGER_REMINDER,
        "manager_reminder.txt",
        [ops.settings.team.manager],
        in_reply_to=esc.message_id,
        escalated_local=sla.local_text(ops.app, esc.at),
        due_local=sla.local_text(ops.app, esc.due),
        window=sla.duration_text(window),
    )
    esc.reminded_at = ops.now
    event(ops, ticket, "reminder", target=MANAGER, escalated_at=esc.at.isoformat())


def remind_vendor(ops, esc: Escalation) -> None:
    ticket = esc.ticket
    vendor = ops.settings.vendors.get(esc.target)
    esc.reminded_at = ops.now
    if vendor is None:  # removed from config since: nobody to remind
        event(ops, ticket, "reminder_skipped", target=esc.target, reason="vendor no longer configured")
        return
    window = sla.duration_text(vendor.response) if vendor.language == "es" else _hours_en(vendor.response)
    extra = dict(
        vendor=vendor,
        product=ticket.product or vendor.name,
        window=window,
        opened_utc=esc.at.strftime("%Y-%m-%d %H:%M UTC"),
        opened_local=sla.local_text(ops.app, esc.at),
    )
    rendered = ops.app.templates.render(f"vendor_reminder.{vendor.language}.txt", **context(ops, ticket, **extra))
    queue_mail(
        ops.session,
        ops.settings,
        kind=MessageKind.VENDOR_REMINDER,
        ticket=ticket,
        to=[vendor.address],
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=esc.message_id,
        now=ops.now,
    )
    # The engineers' notice is Spanish whatever the vendor's language.
    send_internal(
        ops,
        ticket,
        MessageKind.VENDOR_OVERDUE,
        "vendor_overdue_notice.txt",
        team_recipients(ops, ticket),
        **{**extra, "window": sla.duration_text(vendor.response)},
    )
    event(ops, ticket, "reminder", target=esc.target, escalated_at=esc.at.isoformat())


def _hours_en(td: timedelta) -> str:
    hours = td.total_seconds() / 3600
    if hours >= 1:
        return "1 hour" if hours == 1 else f"{hours:g} hours"
    minutes = td.total_seconds() / 60
    if minutes >= 1:
        return "1 minute" if minutes == 1 else f"{minutes:g} minutes"
    seconds = td.total_seconds()
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"
