"""Handing a ticket up: to the support manager (level 2) or a vendor (level 3).

Once per ticket and target: the ``escalations`` row is looked up first and
its unique (ticket, target) constraint stops a second process that raced
past the lookup. The escalation mail is queued in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.sla import deadlines as sla
from mailbot.db.models import Escalation, MessageRow, Ticket
from mailbot.tickets.actions import event, send_internal, team_recipients
from mailbot.outbound.outbox import queue_mail

SEVERITY_EN = {"critica": "critical", "grave": "high", "leve": "low"}


def existing(ops, ticket: Ticket, target: str) -> Escalation | None:
    return ops.session.scalar(select(Escalation).where(Escalation.ticket_id == ticket.id,
                                                       Escalation.target == target))


def _thread(ops, ticket: Ticket) -> list[dict]:
    rows = ops.session.scalars(select(MessageRow).where(MessageRow.ticket_id == ticket.id)
                               .order_by(MessageRow.id)).all()
    team = ops.settings.team.members | set(ops.settings.team.notify_addresses)
    out = []
    for m in rows:
        if m.direction == "out" and team.issuperset(list(m.to_addrs or ()) + list(m.cc_addrs or ())):
            # Internal mail (notices, reminders, the loop guard's word, a kept note):
            # the conversation is what the client and vendors saw.
            continue
        who = m.from_addr if m.direction == "in" else f"{ops.settings.mailbot.name} → {', '.join(m.to_addrs)}"
        text = (m.body_text or "").strip()
        out.append({"at": sla.local_text(ops.app, m.at), "who": who,
                    "text": text[:2000] + (" […]" if len(text) > 2000 else "")})
    return out


def _client_text(ops, ticket: Ticket) -> str:
    first = ops.session.scalar(select(MessageRow).where(
        MessageRow.ticket_id == ticket.id, MessageRow.direction == "in").order_by(MessageRow.id).limit(1))
    return (first.body_text or "").strip() if first is not None else ""


def _late(ops, ticket: Ticket) -> str | None:
    """How late, in whole minutes (at least one), e.g. "1 minuto", "2 horas 5 minutos"."""
    if ticket.attention_due is None or ops.now <= ticket.attention_due:
        return None
    minutes = max(int((ops.now - ticket.attention_due).total_seconds()) // 60, 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "día", "días"), (hours, "hora", "horas"), (minutes, "minuto", "minutos")]
    return " ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)


def escalate_to_manager(ops, ticket: Ticket, *, reason: str, actor: str = "mailbot") -> Escalation | None:
    """Send the escalation mail to the manager. None when already escalated or no manager is set."""
    settings = ops.settings
    manager = settings.team.manager
    if manager is None:
        event(ops, ticket, "escalation_skipped", actor=actor, target="manager", reason="no [team] manager")
        return None
    if existing(ops, ticket, "manager") is not None:
        return None
    due = sla.add_time(ops.app, ops.now, settings.sla.manager_response, settings.sla.attention.business_time)
    if ticket.id is None:
        ops.session.flush()
    esc = Escalation(ticket_id=ticket.id, target="manager", level=2, reason=reason, actor=actor, at=ops.now,
                     due=due)
    try:
        # The row first, in a savepoint: another transaction that escalated this
        # ticket meanwhile (the SLA job, a client's "escalar") wins, and this one
        # sends nothing instead of failing the whole message.
        with ops.session.begin_nested():
            ops.session.add(esc)
    except IntegrityError:
        return None
    row = send_internal(
        ops, ticket, "escalation", "escalation.txt", [manager], reason=reason, actor=actor,
        late=_late(ops, ticket), due_local=sla.local_text(ops.app, due), client_text=_client_text(ops, ticket),
        thread=_thread(ops, ticket),
    )
    esc.message_id = row.message_id
    ticket.escalation_level = max(ticket.escalation_level or 1, 2)
    ticket.updated_at = ops.now
    event(ops, ticket, "escalated", actor=actor, target="manager", level=2, reason=reason,
          due=due.isoformat(), late=_late(ops, ticket))
    return esc


def open_vendor_case(ops, ticket: Ticket, vendor_name: str, *, actor: str, reason: str = "command",
                     diagnosis: str | None = None) -> tuple[Escalation | None, str | None]:
    """Send the case mail to the vendor. Returns (escalation, None) or (None, why not, in Spanish)."""
    settings = ops.settings
    vendor = settings.vendors.get(vendor_name)
    if vendor is None:
        return None, f"fabricante desconocido «{vendor_name}» (configurados: {', '.join(settings.vendors)})"
    before = existing(ops, ticket, vendor_name)
    if before is not None:
        return None, (f"el caso con {vendor.name or vendor_name} ya se abrió el "
                      f"{sla.local_text(ops.app, before.at)}; responda en ese hilo")
    due = sla.add_time(ops.app, ops.now, vendor.response, vendor.business_time)
    files, attachments = _client_files(ops, ticket)
    template = f"{vendor.template}.{vendor.language}.txt"
    extra = dict(
        vendor=vendor, product=ticket.product or vendor.name or vendor_name,
        severity_en=SEVERITY_EN.get(ticket.severity, ticket.severity),
        client_domain=ticket.requester.rpartition("@")[2], client_text=_client_text(ops, ticket),
        diagnosis=_diagnosis(ops, ticket, diagnosis), attachments=attachments,
        received_utc=ticket.received_at.strftime("%Y-%m-%d %H:%M UTC"),
    )
    from mailbot.tickets.actions import context

    rendered = ops.app.templates.render(template, **context(ops, ticket, **extra))
    # auto=None: a person asked for this case; vendor desks may ignore Auto-Submitted mail.
    row = queue_mail(ops.session, settings, kind="vendor_case", ticket=ticket, to=[vendor.address],
                     subject=rendered.subject, body=rendered.body, now=ops.now, attachments=files, auto=None)
    esc = Escalation(ticket=ticket, target=vendor_name, level=3, reason=reason, actor=actor, at=ops.now, due=due,
                     message_id=row.message_id)
    ops.session.add(esc)
    ticket.escalation_level = max(ticket.escalation_level or 1, 3)
    ticket.updated_at = ops.now
    event(ops, ticket, "escalated", actor=actor, target=vendor_name, level=3, reason=reason, due=due.isoformat(),
          to=vendor.address, message_id=row.message_id)
    return esc, None


def _diagnosis(ops, ticket: Ticket, extra: str | None = None) -> str:
    """The team's answers and summaries so far, and ``extra`` (the note sent with #escalar).

    Earlier internal notes stay internal: they may say things for our eyes only.
    """
    from mailbot.db.models import Event

    rows = ops.session.scalars(select(Event).where(
        Event.ticket_id == ticket.id, Event.kind.in_(("response", "summary"))).order_by(Event.id)).all()
    parts = [e.data["text"].strip() for e in rows if (e.data.get("text") or "").strip()]
    if extra and extra.strip() and extra.strip() not in parts:
        parts.append(extra.strip())
    return "\n\n".join(parts) if parts else "(no diagnosis recorded yet)"


# What a case mail carries of the client's files; beyond this they are listed, not attached.
ATTACH_LIMIT = 10 * 1024 * 1024


def _client_files(ops, ticket: Ticket) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """The files the client side sent in the thread (not the team's nor a vendor's), to attach.

    Returns (files to attach, a line per file for the template). Files past
    ATTACH_LIMIT in all are named with their size instead, available on request.
    """
    rows = ops.session.scalars(select(MessageRow).where(
        MessageRow.ticket_id == ticket.id, MessageRow.direction == "in",
        MessageRow.kind.not_in(("engineer", "manager", "vendor", "unverified", "bounce", "autoreply")))
        .order_by(MessageRow.id)).all()
    files: list[tuple[str, str, bytes]] = []
    lines: list[str] = []
    seen: set[tuple[str, int]] = set()
    total = 0
    for m in rows:
        for name, ctype, content in _attachments_of(m.raw) if m.raw else ():
            if (name, len(content)) in seen:
                continue
            seen.add((name, len(content)))
            if total + len(content) > ATTACH_LIMIT:
                lines.append(f"{name} ({len(content) / 1048576:.1f} MB, not attached: available on request)")
                continue
            total += len(content)
            files.append((name, ctype, content))
            lines.append(name)
    return files, lines


def _attachments_of(raw: bytes) -> list[tuple[str, str, bytes]]:
    import email
    from email import policy

    from mailbot.mail.parse import safe_filename

    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        out = []
        for part in msg.walk():
            if part.is_multipart() or not part.get_filename():
                continue
            content = part.get_payload(decode=True)
            if content is None:
                continue
            out.append((safe_filename(part.get_filename() or ""), part.get_content_type(), content))
        return out
    except Exception:  # the mail was stored whole; its attachments on a case mail are a courtesy
        return []


def remind_manager(ops, esc: Escalation) -> None:
    ticket = esc.ticket
    window = ops.settings.sla.manager_response
    send_internal(ops, ticket, "manager_reminder", "manager_reminder.txt", [ops.settings.team.manager],
                  in_reply_to=esc.message_id, escalated_local=sla.local_text(ops.app, esc.at),
                  due_local=sla.local_text(ops.app, esc.due), window=sla.duration_text(window))
    esc.reminded_at = ops.now
    event(ops, ticket, "reminder", target="manager", escalated_at=esc.at.isoformat())


def remind_vendor(ops, esc: Escalation) -> None:
    ticket = esc.ticket
    vendor = ops.settings.vendors.get(esc.target)
    esc.reminded_at = ops.now
    if vendor is None:  # removed from config since: nobody to remind
        event(ops, ticket, "reminder_skipped", target=esc.target, reason="vendor no longer configured")
        return
    from mailbot.tickets.actions import context

    window = sla.duration_text(vendor.response) if vendor.language == "es" else _hours_en(vendor.response)
    extra = dict(vendor=vendor, product=ticket.product or vendor.name, window=window,
                 opened_utc=esc.at.strftime("%Y-%m-%d %H:%M UTC"), opened_local=sla.local_text(ops.app, esc.at))
    rendered = ops.app.templates.render(f"vendor_reminder.{vendor.language}.txt", **context(ops, ticket, **extra))
    queue_mail(ops.session, ops.settings, kind="vendor_reminder", ticket=ticket, to=[vendor.address],
               subject=rendered.subject, body=rendered.body, in_reply_to=esc.message_id, now=ops.now)
    # The engineers' notice is Spanish whatever the vendor's language.
    send_internal(ops, ticket, "vendor_overdue", "vendor_overdue_notice.txt", team_recipients(ops, ticket),
                  **{**extra, "window": sla.duration_text(vendor.response)})
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
