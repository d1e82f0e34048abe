"""What can happen to a ticket, whoever asks: a #command, the CLI or a scheduler job.

Each function runs inside the caller's transaction, writes an event for what
it changed and queues the mails that go with it. ``ops`` is anything with
``app``, ``session`` and ``now`` (the pipeline's ``Inbound`` is one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.db.models import Escalation, Event, MessageRow, Participant, Ticket
from mailbot.mail.text import fold
from mailbot.outbound.outbox import queue_mail
from mailbot.rules.model import deciding_rule
from mailbot.sla import deadlines as sla
from mailbot.tickets import clocks
from mailbot.tickets.numbering import subject_tag
from mailbot.vocab import DESK_ROLES, OPEN_STATUSES, Direction, MessageKind, Party, Role, Severity, Status

log = logging.getLogger("mailbot.tickets")


@dataclass
class Ops:
    """The context of a change that does not come from an inbound mail."""

    app: App
    session: Session
    now: datetime

    @property
    def settings(self):
        return self.app.settings


def event(ops, ticket: Ticket | None, what: str, /, actor: str = "mailbot", **data) -> None:
    ops.session.add(Event(ticket=ticket, at=ops.now, kind=what, actor=actor, data=data))


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
        **sla.hours_context(settings),
        "out_of_scope": ticket.out_of_scope,
    }
    ctx.update(extra)
    return ctx


def context(ops, ticket: Ticket, **extra) -> dict:
    return template_context(ops.app, ticket, **extra)


def watchers(ops, ticket: Ticket) -> list[str]:
    """The client's side besides the requester, copied on public mails: colleagues who
    wrote into the ticket first, then those a client copied."""
    rows = ops.session.execute(
        select(Participant.address, Participant.role).where(
            Participant.ticket_id == ticket.id, Participant.role.in_((Party.CLIENT, Party.WATCHER))
        )
    ).all()
    team = ops.settings.team.members
    keep = {(role != Party.CLIENT, a) for a, role in rows if a != ticket.requester and a not in team}
    return list(dict.fromkeys(a for _, a in sorted(keep)))


def client_side(ops, ticket: Ticket) -> set[str]:
    """The requester and their colleagues in the thread: who our public mail goes to."""
    return {ticket.requester} | set(watchers(ops, ticket))


MAX_REFERENCES = 20  # as queue_mail trims; trimmed here first so the acknowledgement stays


def thread_ids(ops, ticket: Ticket) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) for a public mail, so it joins the conversation the client sees.

    It answers the last mail from the client's side, else our acknowledgement.
    References lists that conversation in order: the client side's mails, ours to
    them (the acknowledgement first among them) and the team's mails they were
    copied on, with the answered mail last, where RFC 5322 §3.6.4 puts the parent.
    Internal mail is left out; one marked failed stays (a bounce from one recipient
    marks a mail others got). A long list keeps the first, the acknowledgement and the newest.
    """
    rows = ops.session.execute(
        select(MessageRow.message_id, MessageRow.direction, MessageRow.kind, MessageRow.to_addrs, MessageRow.cc_addrs)
        .where(MessageRow.ticket_id == ticket.id)
        .order_by(MessageRow.id)
    ).all()
    side = client_side(ops, ticket)
    seen: list[str] = []
    last_client = ack = None
    for mid, direction, kind, to, cc in rows:
        to_client = not side.isdisjoint(list(to or ()) + list(cc or ()))
        # Inbound mail a person wrote: the client's side's; the team's and vendors' (DESK_ROLES)
        # only when written to the client's side (a reply-all the client holds). Never
        # autoreply, bounce, auto, bulk, self or unverified: no person on the client's side
        # wrote those, and their mail programs may not have them.
        if direction == Direction.IN:
            if kind == Role.CLIENT:
                last_client = mid
            elif not (kind in DESK_ROLES and to_client):
                continue
        elif not (kind == MessageKind.ACK or to_client):
            continue
        elif kind == MessageKind.ACK and ack is None:
            ack = mid
        seen.append(mid)
    parent = last_client or ack
    if parent is None:
        return None, []
    refs = [m for m in dict.fromkeys(seen) if m != parent] + [parent]
    if len(refs) > MAX_REFERENCES:
        # RFC 5322 §3.6.4 lets a long list be trimmed; keep the first, our
        # acknowledgement (the client's mail program may thread on it) and the newest.
        keep = [refs[0]] + ([ack] if ack not in (None, refs[0], parent) else [])
        refs = keep + [m for m in refs[-(MAX_REFERENCES - len(keep)) :] if m not in keep]
    return parent, refs


def send_public(
    ops, ticket: Ticket, kind: MessageKind, template: str, *, auto: bool | None = False, **extra
) -> MessageRow | None:
    """A mail to the client (and watchers), in the ticket's thread.

    A ticket opened by machine or list mail has no person behind its sender
    (RFC 3834 §2: no answer to automatic mail; a list would get it too): only
    people who wrote into it and their copied colleagues hear, and with none
    there is no mail, only an event.
    """
    cc = watchers(ops, ticket)
    to = [ticket.requester]
    if ticket.machine_requester:
        event(
            ops,
            ticket,
            "public_mail_withheld",
            kind=kind,
            requester=ticket.requester,
            origin=ticket.origin,
            to_watchers=cc,
        )
        if not cc:
            return None
        to, cc = cc[:1], cc[1:]
    rendered = ops.app.templates.render(template, **context(ops, ticket, **extra))
    parent, refs = thread_ids(ops, ticket)
    return queue_mail(
        ops.session,
        ops.settings,
        kind=kind,
        ticket=ticket,
        to=to,
        cc=cc,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=parent,
        references=refs,
        auto=auto,
        now=ops.now,
    )


def send_internal(
    ops,
    ticket: Ticket,
    kind: MessageKind,
    template: str,
    to: list[str],
    *,
    in_reply_to=None,
    auto: bool | None = False,
    **extra,
) -> MessageRow | None:
    """A mail to the team only (``kind`` one of INTERNAL_KINDS), or None when ``to`` is empty."""
    to = [a for a in dict.fromkeys(to) if a]
    if not to:
        return None
    rendered = ops.app.templates.render(template, **context(ops, ticket, **extra))
    return queue_mail(
        ops.session,
        ops.settings,
        kind=kind,
        ticket=ticket,
        to=to,
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=in_reply_to,
        auto=auto,
        now=ops.now,
    )


def team_recipients(ops, ticket: Ticket) -> list[str]:
    """Who hears about news on a ticket: its assignee when a team address, else the notify list."""
    if ticket.assignee and ticket.assignee in ops.settings.team.members:
        return [ticket.assignee]
    return list(ops.settings.team.notify_addresses)


# -- changes -----------------------------------------------------------------------


def set_status(ops, ticket: Ticket, status: Status, actor: str, *, summary: str | None = None) -> None:
    old = ticket.status
    if status == Status.CLOSED:
        close(ops, ticket, actor, summary=summary)
        return
    if status == old:
        event(ops, ticket, "status_unchanged", actor=actor, status=status)
        return
    ticket.status = status
    ticket.updated_at = ops.now
    if status == Status.RESOLVED:
        ticket.resolved_at = ops.now  # the reopen window runs from here, not from a repeat
    elif status in OPEN_STATUSES:
        ticket.resolved_at = ticket.closed_at = None
    event(ops, ticket, "status", actor=actor, old=old, new=status)
    clocks.status_changed(ops, ticket, old, status, actor)


def set_severity(ops, ticket: Ticket, severity: Severity, actor: str) -> None:
    old, old_due = ticket.severity, ticket.attention_due
    if severity == old:
        # A confirmation, not a correction: `rules stats` must not count it against the rule.
        event(ops, ticket, "severity_unchanged", actor=actor, severity=severity)
        return
    decided_by, rule = severity_source(ops, ticket)
    ticket.severity = severity
    ticket.updated_at = ops.now
    # From the original reception, never from now: the clock does not restart.
    sla.set_deadlines(ops.app, ticket)
    clocks.retime(ops, ticket)
    event(
        ops,
        ticket,
        "severity",
        actor=actor,
        old=old,
        new=severity,
        attention_due_old=old_due.isoformat() if old_due else None,
        attention_due=ticket.attention_due.isoformat() if ticket.attention_due else None,
        # Which rule a person corrected: `mailbot rules stats` tells ops which rules to fix.
        decided_by=decided_by,
        rule=rule,
    )


def severity_source(ops, ticket: Ticket) -> tuple[str, str | None]:
    """Who set the ticket's severity as it stands: ("rule", name), ("default", None) or ("person", None)."""
    if ticket.id is None:
        ops.session.flush()
    earlier = ops.session.scalar(
        select(Event.id).where(Event.ticket_id == ticket.id, Event.kind == "severity").limit(1)
    )
    if earlier is not None:
        return "person", None
    rule = deciding_rule(ticket.classification)
    return ("rule", rule) if rule else ("default", None)


def resolve_assignee(settings, who: str) -> str:
    """``ana`` or ``ana.lopez`` → the one engineer address it names; anything else as written."""
    who = who.strip()
    if "@" in who:
        return who.lower()
    key = fold(who).replace(" ", ".")
    team = sorted(settings.team.members)
    exact = [a for a in team if a.partition("@")[0] == key]
    if exact:
        return exact[0]
    starts = [a for a in team if a.partition("@")[0].startswith(key)]
    return starts[0] if len(starts) == 1 else who


def assign(ops, ticket: Ticket, who: str, actor: str) -> None:
    old = ticket.assignee
    ticket.assignee = resolve_assignee(ops.settings, who)
    ticket.updated_at = ops.now
    event(ops, ticket, "assigned", actor=actor, old=old, new=ticket.assignee)


def add_summary(ops, ticket: Ticket, text: str, actor: str) -> None:
    event(ops, ticket, "summary", actor=actor, text=text)


def record_response(ops, ticket: Ticket, actor: str, *, text: str, relayed: bool) -> None:
    """A team member answered the client: the running attention clock stops; the first answer is the first response."""
    event(ops, ticket, "response", actor=actor, text=text, relayed=relayed)
    if ticket.first_response_at is None:
        ticket.first_response_at = ops.now
        late = ticket.attention_due is not None and ops.now > ticket.attention_due
        event(
            ops,
            ticket,
            "first_response",
            actor=actor,
            late=late,
            attention_due=ticket.attention_due.isoformat() if ticket.attention_due else None,
        )
    clocks.answered(ops, ticket, actor)
    if ticket.status == Status.NEW:
        set_status(ops, ticket, Status.IN_PROGRESS, actor)
    if actor == ops.settings.team.manager:
        answered(ops, ticket, Role.MANAGER)


def answered(ops, ticket: Ticket, target: str) -> None:
    """The manager or a vendor wrote in the thread: their response window stops (every one still open)."""
    for esc in ops.session.scalars(
        select(Escalation).where(
            Escalation.ticket_id == ticket.id, Escalation.target == target, Escalation.responded_at.is_(None)
        )
    ).all():
        esc.responded_at = ops.now
        event(
            ops,
            ticket,
            "escalation_answered",
            actor=target,
            target=target,
            late=esc.due is not None and ops.now > esc.due,
        )


def closure_summary(ops, ticket: Ticket) -> str:
    """The last #resumen, else the team's public replies in order.

    What a merged ticket brought along (events with ``from_ticket``) was written to
    that ticket's client, who may be another company's: it is not this closure's.
    """
    events = [
        e
        for e in ops.session.scalars(
            select(Event)
            .where(Event.ticket_id == ticket.id, Event.kind.in_(("summary", "response")))
            .order_by(Event.id)
        )
        if not (e.data or {}).get("from_ticket")
    ]
    summaries = [e.data["text"] for e in events if e.kind == "summary"]
    if summaries:
        return summaries[-1]
    replies = [
        f"- {sla.local_text(ops.app, e.at)}: {e.data['text']}"
        for e in events
        if e.kind == "response" and e.data.get("text")
    ]
    return "\n".join(replies) if replies else "(sin resumen registrado)"


def close(ops, ticket: Ticket, actor: str, *, summary: str | None = None) -> None:
    if ticket.status == Status.CLOSED:
        event(ops, ticket, "close_repeated", actor=actor)
        return
    if summary:
        add_summary(ops, ticket, summary, actor)
    old = ticket.status
    ticket.status = Status.CLOSED
    ticket.closed_at = ops.now
    ticket.resolved_at = ticket.resolved_at or ops.now
    ticket.updated_at = ops.now
    event(ops, ticket, "status", actor=actor, old=old, new=Status.CLOSED)
    clocks.status_changed(ops, ticket, old, Status.CLOSED, actor)
    send_public(
        ops,
        ticket,
        MessageKind.CLOSURE,
        "closure.txt",
        summary=closure_summary(ops, ticket),
        closed_local=sla.local_text(ops.app, ops.now),
    )
    event(ops, ticket, "closed", actor=actor)
