"""Recording a screened, threaded mail and acknowledging it.

The message row, its participants, the acknowledgement to the client, the
team's notice of a new ticket and the loop guard's withheld acknowledgements.
What a mail does (open a ticket, join one, be ignored) is decided before, in
``pipeline/apply.py``; this module only carries it out. Every function here
runs inside the pipeline's transaction and queues the mails to send as outbox
rows in that same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.db.models import AutoReplyLog, Event, MessageRow, Participant, Ticket
from mailbot.mail.parse import InboundMail
from mailbot.mail.screen import Screening
from mailbot.outbound.outbox import queue_mail
from mailbot.sla import deadlines as sla
from mailbot.tickets import attachments
from mailbot.tickets.actions import event, send_internal, template_context
from mailbot.tickets.known import Known
from mailbot.tickets.numbering import Numbering
from mailbot.vocab import Direction, MessageKind, Party, Role, ScreeningKind

log = logging.getLogger("mailbot.apply")


@dataclass
class Inbound:
    """One inbound mail being applied: what every step of recording and answering it needs."""

    app: App
    session: Session
    mail: InboundMail
    screening: Screening
    source: str | None
    now: datetime
    # Answers asked once for the whole batch (``tickets.known``); None: ask the database.
    known: Known | None = None
    # New tickets numbered with the batch, at its end (``tickets.numbering``); None: at once.
    numbering: Numbering | None = None

    @property
    def settings(self):
        return self.app.settings


def _message_kind(s: Screening) -> str:
    """``messages.kind`` of an inbound mail: a person's mail says who wrote it, other mail what it is."""
    return s.role if s.kind == ScreeningKind.NORMAL else s.kind


def record_message(ctx: Inbound, ticket: Ticket | None, kind: str | None = None) -> MessageRow:
    """Store the mail as a message row (on ``ticket``, or on none); ``kind`` overrides the screening's."""
    mail = ctx.mail
    row = MessageRow(
        ticket=ticket,
        direction=Direction.IN,
        message_id=mail.message_id,
        kind=kind or _message_kind(ctx.screening),
        source=ctx.source,
        from_addr=mail.from_addr,
        to_addrs=list(mail.to),
        cc_addrs=list(mail.cc),
        subject=mail.subject,
        in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else None,
        body_text=mail.text,
        raw=mail.raw,
        at=ctx.now,
    )
    ctx.session.add(row)
    attachments.record(ctx.session, row, mail)
    if mail.notes:
        # Oversized parts were left out of what is stored and shown: say so on the ticket.
        event(
            ctx,
            ticket,
            "parts_dropped",
            actor=mail.from_addr,
            message_id=mail.message_id,
            size=mail.size,
            notes=list(mail.notes),
        )
    return row


def record_unticketed(ctx: Inbound, reason: str) -> None:
    record_message(ctx, None)
    event(ctx, None, "not_ticketed", actor=ctx.mail.from_addr, message_id=ctx.mail.message_id, reason=reason)


def add_participants(ctx: Inbound, ticket: Ticket, *, is_new: bool) -> None:
    own = ctx.settings.mailbot.address
    team = ctx.settings.team.members
    existing = {p.address: p for p in ticket.participants} if not is_new else {}
    # Machine or list mail, and whoever it was addressed to (a list, a distribution
    # address), asked for nothing: kept as recipients, never mailed as client or watcher.
    human = ctx.screening.kind == ScreeningKind.NORMAL and ctx.screening.role == Role.CLIENT
    wanted: list[tuple[str, Party]] = []
    if is_new:
        wanted.append((ticket.requester, Party.REQUESTER))
    elif ctx.screening.role == Role.CLIENT:
        wanted.append((ctx.mail.from_addr, Party.CLIENT if human else Party.RECIPIENT))
    for addr in ctx.mail.recipients:
        if addr != own and addr not in team:
            wanted.append((addr, Party.WATCHER if human else Party.RECIPIENT))
    for addr, role in wanted:
        if not addr:
            continue
        known = existing.get(addr)
        if known is None:
            existing[addr] = Participant(ticket=ticket, address=addr, role=role)
            ctx.session.add(existing[addr])
        elif known.role == Party.RECIPIENT and role == Party.CLIENT:
            # Writing themselves puts them on the client's side; being copied does not
            # (a list member's reply-all would make the list a watcher).
            known.role = role


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
    if s.kind != ScreeningKind.NORMAL:
        return Refusal(f"{s.kind} mail: " + "; ".join(s.reasons))
    if cls is not None and cls.no_autoreply:
        return Refusal("rule: no automatic reply")
    if s.role != Role.CLIENT:
        return Refusal(f"sender is {s.role}")
    loops = ctx.settings.loops
    since = ctx.now - loops.ceiling_window
    sent = ctx.known.replies_since(ctx.mail.from_addr, since) if ctx.known is not None else None
    if sent is None:
        sent = ctx.session.scalar(
            select(func.count())
            .select_from(AutoReplyLog)
            .where(AutoReplyLog.address == ctx.mail.from_addr, AutoReplyLog.at > since)
        )
    if sent >= loops.sender_ceiling:
        window = _span(loops.ceiling_window)
        return Refusal(
            f"loop guard: {sent} automatic replies to {ctx.mail.from_addr} in the last {window}, "
            f"the ceiling is {loops.sender_ceiling} per {window}",
            ceiling={"sent": sent, "limit": loops.sender_ceiling, "window": int(loops.ceiling_window.total_seconds())},
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
        select(Event.id)
        .join(Ticket, Event.ticket_id == Ticket.id)
        .where(
            Ticket.requester == sender, Ticket.created_at > ctx.now - NOTICE_EVERY, Event.kind == "loop_guard_notice"
        )
        .limit(1)
    )
    if told is not None:
        return
    team = ctx.settings.team
    to = list(team.notify_addresses) or ([team.manager] if team.manager else [])
    event(ctx, ticket, "loop_guard_notice", sender=sender, to=to, **refusal.ceiling)
    log.warning(
        "%s: acknowledgements to %s withheld by the loop guard (%s automatic replies in %s, ceiling %s); %s",
        ticket.number,
        sender,
        refusal.ceiling["sent"],
        _span(ctx.settings.loops.ceiling_window),
        refusal.ceiling["limit"],
        f"told {', '.join(to)}" if to else "nobody to tell: set [team] notify",
        extra={"fields": {"event": "loop_guard", "ticket": ticket.number, "sender": sender, "to": to}},
    )
    send_internal(
        ctx,
        ticket,
        MessageKind.LOOP_GUARD_NOTICE,
        "loop_guard_notice.txt",
        to,
        in_reply_to=ctx.mail.message_id,
        sender=sender,
        sent=refusal.ceiling["sent"],
        limit=refusal.ceiling["limit"],
        window=sla.duration_text(ctx.settings.loops.ceiling_window),
    )


def queue_acknowledgement(ctx: Inbound, ticket: Ticket) -> None:
    rendered = ctx.app.templates.render("acknowledgement.txt", **template_context(ctx.app, ticket))
    queue_mail(
        ctx.session,
        ctx.settings,
        kind=MessageKind.ACK,
        ticket=ticket,
        to=[ticket.requester],
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=ctx.mail.message_id,
        references=list(ctx.mail.references),
        auto=True,
        now=ctx.now,
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
    queue_mail(
        ctx.session,
        ctx.settings,
        kind=MessageKind.NOTICE,
        ticket=ticket,
        to=notify,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=ctx.mail.message_id,
        now=ctx.now,
    )
