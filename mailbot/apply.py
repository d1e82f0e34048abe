"""Writing a screened, threaded mail into the database.

Every function here runs inside the pipeline's transaction and queues the
mails to send as outbox rows in that same transaction.
"""

from __future__ import annotations

import email
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot import sla
from mailbot.app import App
from mailbot.db.models import AutoReplyLog, Event, MessageRow, Participant, Ticket
from mailbot.numbering import next_number, subject_tag
from mailbot.outbox import queue_mail
from mailbot.parse import InboundMail
from mailbot.screen import Screening
from mailbot.thread_match import Repeat, find_repeat, repeat_key
from mailbot.ticket_ops import event, send_internal

log = logging.getLogger("mailbot.apply")

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass
class Inbound:
    app: App
    session: Session
    mail: InboundMail
    screening: Screening
    source: str | None
    now: datetime

    @property
    def settings(self):
        return self.app.settings


def _message_kind(s: Screening) -> str:
    return s.role if s.kind == "normal" else s.kind


def record_message(ctx: Inbound, ticket: Ticket | None, kind: str | None = None) -> MessageRow:
    mail = ctx.mail
    row = MessageRow(
        ticket=ticket, direction="in", message_id=mail.message_id, kind=kind or _message_kind(ctx.screening),
        source=ctx.source, from_addr=mail.from_addr, to_addrs=list(mail.to), cc_addrs=list(mail.cc),
        subject=mail.subject, in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else None,
        body_text=mail.text, raw=mail.raw, at=ctx.now,
    )
    ctx.session.add(row)
    if mail.notes:
        # Oversized parts were left out of what is stored and shown: say so on the ticket.
        event(ctx, ticket, "parts_dropped", actor=mail.from_addr, message_id=mail.message_id, size=mail.size,
              notes=list(mail.notes))
    return row


def record_unticketed(ctx: Inbound, reason: str) -> None:
    record_message(ctx, None)
    event(ctx, None, "not_ticketed", actor=ctx.mail.from_addr, message_id=ctx.mail.message_id, reason=reason)


def _add_participants(ctx: Inbound, ticket: Ticket, *, is_new: bool) -> None:
    own = ctx.settings.mailbot.address
    team = ctx.settings.team.members
    existing = {p.address: p for p in ticket.participants} if not is_new else {}
    # Machine or list mail, and whoever it was addressed to (a list, a distribution
    # address), asked for nothing: kept as recipients, never mailed as client or watcher.
    human = ctx.screening.kind == "normal" and ctx.screening.role == "client"
    wanted: list[tuple[str, str]] = []
    if is_new:
        wanted.append((ticket.requester, "requester"))
    elif ctx.screening.role == "client":
        wanted.append((ctx.mail.from_addr, "client" if human else "recipient"))
    for addr in ctx.mail.recipients:
        if addr != own and addr not in team:
            wanted.append((addr, "watcher" if human else "recipient"))
    for addr, role in wanted:
        if not addr:
            continue
        known = existing.get(addr)
        if known is None:
            existing[addr] = Participant(ticket=ticket, address=addr, role=role)
            ctx.session.add(existing[addr])
        elif known.role == "recipient" and role == "client":
            # Writing themselves puts them on the client's side; being copied does not
            # (a list member's reply-all would make the list a watcher).
            known.role = role


def open_ticket(ctx: Inbound, linked: Ticket | None = None,
                link_reason: str = "subject named another ticket, sender is not part of it"):
    from mailbot.pipeline import Outcome

    app, mail, screening = ctx.app, ctx.mail, ctx.screening
    settings = ctx.settings
    cls = app.rules.classify(mail) if app.rules is not None else None
    if cls is not None and cls.ignore:
        record_message(ctx, None)
        event(ctx, None, "ignored", actor=mail.from_addr, message_id=mail.message_id, reason=cls.ignore,
              rules=cls.to_json())
        return Outcome("ignored", None, mail.message_id, f"rule: {cls.ignore}")
    # Asked before anything is added: the queries' autoflush then has nothing to write.
    key = repeat_key(mail)
    repeat = find_repeat(ctx.session, mail, screening, settings, ctx.now, key)
    if repeat is not None:
        return record_repeat(ctx, repeat)
    refusal = autoreply_refusal(ctx, cls)
    seq, number = next_number(ctx.session, settings)
    severity = (cls.severity if cls and cls.severity else None) or settings.mailbot.default_severity
    ticket = Ticket(
        seq=seq, number=number, status="new", severity=severity,
        category=(cls.category if cls and cls.category else settings.mailbot.default_category),
        product=cls.product if cls else None,
        out_of_scope=cls.out_of_scope if cls else None,
        assignee=(cls.assignee or cls.group) if cls else None,
        requester=mail.from_addr, requester_name=mail.from_name, subject=mail.subject,
        created_at=ctx.now, updated_at=ctx.now, received_at=ctx.now,
        escalation_level=1, linked_ticket_id=linked.id if linked else None,
        classification=cls.to_json() if cls else None,
        origin=screening.kind if screening.kind in ("auto", "bulk") else "normal",
    )
    sla.set_deadlines(app, ticket)
    ctx.session.add(ticket)
    record_message(ctx, ticket)
    _add_participants(ctx, ticket, is_new=True)
    event(ctx, ticket, "created", actor=mail.from_addr, message_id=mail.message_id, source=ctx.source,
          kind=screening.kind, role=screening.role, severity=ticket.severity, category=ticket.category,
          product=ticket.product, attention_due=ticket.attention_due.isoformat() if ticket.attention_due else None,
          repeat_key=key)
    if cls is not None and cls.hits:
        event(ctx, ticket, "classified", rules=cls.to_json())
    if linked is not None:
        event(ctx, ticket, "linked", linked_to=linked.number, reason=link_reason)
        event(ctx, linked, "linked_from", ticket=number, sender=mail.from_addr)
    if refusal is None:
        queue_acknowledgement(ctx, ticket)
    elif refusal.ceiling is None:
        event(ctx, ticket, "ack_suppressed", reason=refusal.reason)
    else:
        event(ctx, ticket, "ack_suppressed", reason=refusal.reason, guard="sender_ceiling", **refusal.ceiling)
        tell_team_of_ceiling(ctx, ticket, refusal)
    queue_notice(ctx, ticket, cls)
    detail = f"{screening.role}, {ticket.severity}" + (f", no ack: {refusal.reason}" if refusal else "")
    return Outcome("created", number, mail.message_id, detail, severity=ticket.severity)


def record_repeat(ctx: Inbound, repeat: Repeat):
    """The same mail again (``thread_match.find_repeat``): kept on the first ticket, nothing sent."""
    from mailbot.pipeline import Outcome

    mail, ticket = ctx.mail, repeat.ticket
    record_message(ctx, ticket)
    _add_participants(ctx, ticket, is_new=False)  # a colleague copied on the second sending joins
    ticket.updated_at = ctx.now
    event(ctx, ticket, "repeat", actor=mail.from_addr, message_id=mail.message_id, first=repeat.first_message_id,
          window=int(ctx.settings.loops.repeat_window.total_seconds()))
    # "appended" (what became of it, in the vocabulary the doors, metrics and tools know); the event says repeat.
    return Outcome("appended", ticket.number, mail.message_id,
                   f"repeat of {repeat.first_message_id}: joined, not acknowledged again")


@dataclass(frozen=True)
class Refusal:
    """Why no acknowledgement goes to this sender."""

    reason: str
    # Set when the per-sender ceiling tripped: the figures, for the event and the team's notice.
    ceiling: dict | None = None


def autoreply_refusal(ctx: Inbound, cls) -> Refusal | None:
    """Why no automatic reply may go to this sender, or None when one may.

    Loops are told by what marks them, before this is asked: automatic mail
    (screen.py) never gets an answer; an answer to one of our mails threads
    into its ticket (thread_match.py), where nothing is acknowledged; the same
    mail again joins its first ticket (``find_repeat``). What is left is a
    person's new report, acknowledged every time, up to the ceiling: the last
    guard against a responder that looks like a person and writes a new mail
    for each of ours. When it trips, the team is told (``tell_team_of_ceiling``).
    """
    s = ctx.screening
    if s.kind != "normal":
        return Refusal(f"{s.kind} mail: " + "; ".join(s.reasons))
    if cls is not None and cls.no_autoreply:
        return Refusal("rule: no automatic reply")
    if s.role != "client":
        return Refusal(f"sender is {s.role}")
    loops = ctx.settings.loops
    since = ctx.now - loops.ceiling_window
    sent = ctx.session.scalar(
        select(func.count()).select_from(AutoReplyLog)
        .where(AutoReplyLog.address == ctx.mail.from_addr, AutoReplyLog.at > since)
    )
    if sent >= loops.sender_ceiling:
        window = _span(loops.ceiling_window)
        return Refusal(
            f"loop guard: {sent} automatic replies to {ctx.mail.from_addr} in the last {window}, "
            f"the ceiling is {loops.sender_ceiling} per {window}",
            ceiling={"sent": sent, "limit": loops.sender_ceiling,
                     "window": int(loops.ceiling_window.total_seconds())},
        )
    return None


def _span(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min" if minutes else f"{int(td.total_seconds())} s"


NOTICE_EVERY = timedelta(days=1)


def tell_team_of_ceiling(ctx: Inbound, ticket: Ticket, refusal: Refusal) -> None:
    """Tell the team that a sender's acknowledgements are withheld: once per sender a day.

    A person who writes past the ceiling is a client in trouble, not a loop,
    and must not be left unanswered without anybody knowing. The notice is an
    event on the ticket that tripped (``loop_guard_notice``), so "told in the
    last day" is asked of that sender's recent tickets.
    """
    sender = ticket.requester
    told = ctx.session.scalar(
        select(Event.id).join(Ticket, Event.ticket_id == Ticket.id)
        .where(Ticket.requester == sender, Ticket.created_at > ctx.now - NOTICE_EVERY,
               Event.kind == "loop_guard_notice")
        .limit(1)
    )
    if told is not None:
        return
    team = ctx.settings.team
    to = list(team.notify_addresses) or ([team.manager] if team.manager else [])
    event(ctx, ticket, "loop_guard_notice", sender=sender, to=to, **refusal.ceiling)
    log.warning("%s: acknowledgements to %s withheld by the loop guard (%s automatic replies in %s, ceiling %s); %s",
                ticket.number, sender, refusal.ceiling["sent"], _span(ctx.settings.loops.ceiling_window),
                refusal.ceiling["limit"], f"told {', '.join(to)}" if to else "nobody to tell: set [team] notify",
                extra={"fields": {"event": "loop_guard", "ticket": ticket.number, "sender": sender, "to": to}})
    send_internal(ctx, ticket, "loop_guard_notice", "loop_guard_notice.txt", to, in_reply_to=ctx.mail.message_id,
                  sender=sender, sent=refusal.ceiling["sent"], limit=refusal.ceiling["limit"],
                  window=sla.duration_text(ctx.settings.loops.ceiling_window))


def _local(app: App, when: datetime | None) -> str:
    return sla.local_text(app, when)


def template_context(app: App, ticket: Ticket, **extra) -> dict:
    settings = app.settings
    ctx = {
        "ticket": ticket,
        "tag": subject_tag(settings, ticket.number),
        "company": settings.mailbot.company,
        "support_address": settings.mailbot.address,
        "received_local": _local(app, ticket.received_at),
        "attention_due_local": _local(app, ticket.attention_due),
        "business_hours": sla.business_hours_text(settings),
        "targets": sla.target_texts(settings),
        "out_of_scope": ticket.out_of_scope,
    }
    ctx.update(extra)
    return ctx


def queue_acknowledgement(ctx: Inbound, ticket: Ticket) -> None:
    rendered = ctx.app.templates.render("acknowledgement.txt", **template_context(ctx.app, ticket))
    queue_mail(
        ctx.session, ctx.settings, kind="ack", ticket=ticket, to=[ticket.requester],
        subject=rendered.subject, body=rendered.body, in_reply_to=ctx.mail.message_id,
        references=list(ctx.mail.references), auto=True, now=ctx.now,
    )
    ctx.session.add(AutoReplyLog(address=ticket.requester, at=ctx.now))


def queue_notice(ctx: Inbound, ticket: Ticket, cls) -> None:
    notify = ctx.settings.team.notify_addresses
    if not notify:
        return
    hits = [h.rule for h in cls.hits] if cls is not None else []
    rendered = ctx.app.templates.render(
        "new_ticket_notice.txt", **template_context(ctx.app, ticket, body=ctx.mail.text, rule_hits=hits)
    )
    queue_mail(ctx.session, ctx.settings, kind="notice", ticket=ticket, to=notify, subject=rendered.subject,
               body=rendered.body, in_reply_to=ctx.mail.message_id, now=ctx.now)


def append(ctx: Inbound, ticket: Ticket, how: str | None):
    from mailbot import replies
    from mailbot.pipeline import Outcome

    mail, screening = ctx.mail, ctx.screening
    human = screening.kind == "normal"
    if human and screening.role == "client":
        closed_reason = _closed_for_replies(ctx, ticket)
        if closed_reason:
            return open_ticket(ctx, linked=ticket, link_reason=closed_reason)
    spoofed = screening.team and not screening.trusted
    record_message(ctx, ticket, kind="unverified" if spoofed else None)
    _add_participants(ctx, ticket, is_new=False)
    ticket.updated_at = ctx.now
    event(ctx, ticket, "message", actor=mail.from_addr, message_id=mail.message_id, role=screening.role,
          kind=screening.kind, threaded_by=how)
    if not human:
        detail = f"{screening.kind} mail recorded"
    elif spoofed:
        # A team address whose mail our own MTA did not authenticate: an
        # outsider as far as commands, relay and the SLA clock go.
        event(ctx, ticket, "security", actor=mail.from_addr, what="unauthenticated team sender",
              message_id=mail.message_id, authentication=mail.header_all("Authentication-Results"))
        log.warning("%s: mail claiming team sender %s is not authenticated; commands not run",
                    ticket.number, mail.from_addr)
        detail = "unauthenticated team sender: recorded only"
    elif screening.team:
        detail = replies.team_reply(ctx, ticket)
    elif screening.role == "vendor":
        detail = replies.vendor_reply(ctx, ticket, screening.vendor)
    else:
        detail = replies.client_reply(ctx, ticket)
    return Outcome("appended", ticket.number, mail.message_id, f"{screening.role} by {how}: {detail}")


def _closed_for_replies(ctx: Inbound, ticket: Ticket) -> str | None:
    """Why a client's mail opens a new ticket instead of going into ``ticket``, if it does."""
    if ticket.status == "closed":
        return f"reply to closed ticket {ticket.number}"
    window = ctx.settings.tickets.reopen_window
    if ticket.status == "resolved" and ticket.resolved_at and ctx.now - ticket.resolved_at > window:
        return f"reply to ticket {ticket.number} resolved more than {window.days} days ago"
    return None


def record_bounce(ctx: Inbound):
    """A delivery report: attach it to the ticket whose mail bounced, and mark that mail failed."""
    from mailbot.pipeline import Outcome

    original = _bounced_message_ids(ctx.mail.raw)
    row = None
    if original:
        row = ctx.session.scalar(
            select(MessageRow).where(MessageRow.direction == "out", MessageRow.message_id.in_(original))
        )
    if row is None:
        record_message(ctx, None, kind="bounce")
        event(ctx, None, "bounce_unmatched", message_id=ctx.mail.message_id, original=original)
        return Outcome("bounce", None, ctx.mail.message_id, "no matching outbound mail")
    ticket = row.ticket
    row.status = "failed"
    record_message(ctx, ticket, kind="bounce")
    event(ctx, ticket, "bounced", message_id=row.message_id, to=row.to_addrs,
          report=ctx.mail.message_id, diagnostic=_diagnostic(ctx.mail.raw))
    return Outcome("bounce", ticket.number if ticket else None, ctx.mail.message_id, f"bounced {row.message_id}")


def _bounced_message_ids(raw: bytes) -> list[str]:
    msg = email.message_from_bytes(raw)
    ids = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                mid = payload[0].get("Message-ID")
            else:
                text = part.get_payload(decode=True) or b""
                inner = email.message_from_bytes(text if isinstance(text, bytes) else text.encode())
                mid = inner.get("Message-ID")
            if mid:
                ids += _MSGID.findall(str(mid))
    return ids


def _diagnostic(raw: bytes) -> str | None:
    msg = email.message_from_bytes(raw)
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
                code = block.get("Diagnostic-Code") or block.get("Status")
                if code:
                    return str(code)[:500]
    return None


