"""Two tickets that are one (a merge), and one ticket that holds two (a split).

**Merge** (``#fusionar NUMBER`` in a team reply on ticket A, or ``mailbot
tickets merge A --into B``): the same problem reported twice becomes ticket B.
A's messages (their attachments follow their rows), participants (one per
address, the strongest part kept) and events move to B; A keeps a pointer
(``tickets.merged_into_id``) and is closed without a closure mail, and A's
client is told the number to follow. Mail that names A afterwards (a
Message-ID, now B's, or A's subject tag) lands in B: ``current`` follows the
pointer, along a chain too. Moved events say where they happened
(``from_ticket``), and B's ``merged_from`` event lists the moved Message-IDs,
so the quarterly report still counts B's own acknowledgement only.

What stays A's: its escalations (a fact about A, unique per ticket and target;
A is closed, so no reminder runs for them) and its outbox rows (the sender's
record of a mail queued for A: an acknowledgement still queued marks A
acknowledged when it goes).

**Split** (``#separar`` in a reply to our notice of a client's mail, or to the
mail itself; ``mailbot tickets split NUMBER --message ID``): a client's mail
that is a new problem becomes a ticket of its own, opened as any report is
(``tickets.opening``) from the stored mail, its clocks from the mail's
arrival, acknowledged to the client in reply to that mail, and linked to the
old ticket, which keeps a note of it.

Whatever cannot be done raises ``MergeRefused`` with the reason in Spanish;
``merge_refusal`` and ``split_refusal`` say it without changing anything (the
#command precheck).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from mailbot.db.models import Event, MessageRow, Participant, Ticket
from mailbot.errors import MergeRefused, ParseError
from mailbot.mail.forward import strip_prefixes
from mailbot.mail.parse import parse
from mailbot.mail.screen import screen
from mailbot.outbound.outbox import queue_mail
from mailbot.sla import deadlines as sla
from mailbot.tickets import clocks, opening
from mailbot.tickets.actions import context, event, thread_ids, watchers
from mailbot.tickets.numbering import subject_tag
from mailbot.tickets.record import Inbound, add_participants
from mailbot.tickets.views import find
from mailbot.vocab import TEAM_ROLES, Direction, MessageKind, Origin, Party, Role, Status

# When two tickets know the same address, the part that gets more of our mail is kept.
_PARTY_RANK = {Party.RECIPIENT: 0, Party.WATCHER: 1, Party.CLIENT: 2, Party.REQUESTER: 3}
# Our notices that carry a client's mail to the team: a reply to one answers that mail.
_NOTICES = (MessageKind.UPDATE_NOTICE, MessageKind.NOTICE)
# The client's merge notice: public mail in the thread, to the client's side.
NOTICE_KIND = MessageKind.MERGE_NOTICE


def current(session: Session, ticket: Ticket) -> Ticket:
    """Where mail for ``ticket`` goes now: itself, or the ticket it was merged into (along a chain), locked."""
    seen = {ticket.id}
    while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
        into = session.scalar(select(Ticket).where(Ticket.id == ticket.merged_into_id).with_for_update())
        if into is None:
            break
        seen.add(into.id)
        ticket = into
    return ticket


# -- merge ---------------------------------------------------------------------------


def merge_refusal(ops, source: Ticket, into: str | int, *, force: bool = False) -> str | None:
    """Why ``source`` cannot be merged into ``into`` (a number as typed, or a seq), in Spanish; None if it can."""
    target, shown = _target(ops, into)
    return _refusal(ops, source, target, shown, force=force)


def merge(ops, source: Ticket, into: str | int, *, actor: str, force: bool = False) -> Ticket:
    """Merge ``source`` into the ticket ``into`` names; returns that ticket. Raises MergeRefused.

    ``force``: also when the two clients write from different mail domains.
    """
    target, shown = _target(ops, into)
    refused = _refusal(ops, source, target, shown, force=force)
    if refused:
        raise MergeRefused(refused)
    # Asked of A before its mail and its people move: who A's client side is, and
    # where A's conversation stands, so that the notice joins it in their mail program.
    to, cc, withheld = _client_side(ops, source)
    parent, refs = thread_ids(ops, source)
    moved = _move_messages(ops.session, source, target)
    _move_participants(ops.session, source, target)
    _move_events(ops.session, source, target)
    old_status = source.status
    # Before the ticket closes: a notice of its client's still unanswered is the target's to answer.
    clocks.moved(ops, source, target, actor)
    source.merged_into_id = target.id
    source.status = Status.CLOSED
    source.closed_at = source.closed_at if old_status == Status.CLOSED else ops.now
    source.resolved_at = source.resolved_at or ops.now
    if old_status != Status.CLOSED:
        clocks.status_changed(ops, source, old_status, Status.CLOSED, actor)
    source.updated_at = target.updated_at = ops.now
    cross = _domain(source) != _domain(target)
    event(ops, source, "merged", actor=actor, into=target.number, old_status=old_status, cross_domain=cross)
    event(
        ops,
        target,
        "merged_from",
        actor=actor,
        ticket=source.number,
        requester=source.requester,
        cross_domain=cross,
        message_ids=moved,
    )
    if withheld:
        event(
            ops,
            source,
            "public_mail_withheld",
            kind=NOTICE_KIND,
            requester=source.requester,
            origin=source.origin,
            to_watchers=to + cc,
        )
    if to:
        rendered = ops.app.templates.render(
            "merge_notice.txt",
            **context(
                ops,
                target,
                old_number=source.number,
                old_subject=source.subject,
                client_name=source.requester_name or source.requester,
            ),
        )
        queue_mail(
            ops.session,
            ops.settings,
            kind=NOTICE_KIND,
            ticket=target,
            to=to,
            cc=cc,
            subject=rendered.subject,
            body=rendered.body,
            in_reply_to=parent,
            references=refs,
            now=ops.now,
        )
    return target


def _target(ops, into: str | int) -> tuple[Ticket | None, str]:
    """The ticket ``into`` names, locked, and how a reason names it when there is none."""
    if isinstance(into, int):
        found = ops.session.scalar(select(Ticket).where(Ticket.seq == into))
        shown = ops.settings.mailbot.number_format.format(seq=into)
    else:
        found, shown = find(ops.session, into), into.strip()
    if found is None:
        return None, shown
    return ops.session.scalar(select(Ticket).where(Ticket.id == found.id).with_for_update()), found.number


def _refusal(ops, source: Ticket, target: Ticket | None, shown: str, *, force: bool) -> str | None:
    if target is None:
        return f"no existe el ticket {shown}"
    if target.id == source.id:
        return f"no se puede fusionar el ticket {source.number} consigo mismo"
    if source.merged_into_id is not None:
        return f"el ticket {source.number} ya se fusionó en {_merged_into(ops, source)}"
    if target.merged_into_id is not None:
        into = _merged_into(ops, target)
        return f"el ticket {target.number} ya se fusionó en {into}; fusione en {into}"
    if target.status in (Status.CLOSED, Status.RESOLVED):
        # A merge never reopens a ticket: reopening is a decision of its own, and the client hears of it.
        state = "cerrado" if target.status == Status.CLOSED else "resuelto"
        return (
            f"el ticket {target.number} está {state}; reábralo primero (#estado en-progreso en su hilo)"
            " y vuelva a fusionar"
        )
    if not force and _domain(source) != _domain(target):
        return (
            f"el cliente de {source.number} ({source.requester}) es de otro dominio que el de {target.number}"
            f" ({target.requester}); si de verdad es el mismo caso, agregue «forzar»"
            f" (#fusionar {target.number} forzar; en la línea de comandos, --force)"
        )
    return None


def _merged_into(ops, ticket: Ticket) -> str:
    into = ops.session.get(Ticket, ticket.merged_into_id)
    return into.number if into is not None else "otro ticket"


def _domain(ticket: Ticket) -> str:
    return (ticket.requester or "").rpartition("@")[2].lower()


def _client_side(ops, ticket: Ticket) -> tuple[list[str], list[str], bool]:
    """(to, cc, withheld) of a public mail on ``ticket``, as ``actions.send_public`` picks them."""
    cc = watchers(ops, ticket)
    if not ticket.machine_requester:
        return [ticket.requester], cc, False
    # Machine or list mail: only the people who wrote into it, if any.
    return cc[:1], cc[1:], True


def _move_messages(session: Session, source: Ticket, target: Ticket) -> list[str]:
    """Move every message row (in and out; attachments follow their row); the Message-IDs moved."""
    rows = session.scalars(
        select(MessageRow)
        .options(load_only(MessageRow.id, MessageRow.ticket_id, MessageRow.message_id))  # not the raw bytes
        .where(MessageRow.ticket_id == source.id)
        .order_by(MessageRow.id)
    ).all()
    for row in rows:
        row.ticket = target
    return [row.message_id for row in rows]


def _move_participants(session: Session, source: Ticket, target: Ticket) -> None:
    """One participant per address on ``target``: the stronger part of the two is kept."""
    known = {p.address: p for p in session.scalars(select(Participant).where(Participant.ticket_id == target.id))}
    for p in session.scalars(select(Participant).where(Participant.ticket_id == source.id)).all():
        role = p.role
        if role == Party.REQUESTER and p.address != target.requester:
            # The target has its own requester: A's writes into it as a client (who gets its
            # public mail); a machine that opened A stays a recipient, never mailed.
            role = Party.RECIPIENT if source.machine_requester else Party.CLIENT
        there = known.get(p.address)
        if there is None:
            p.ticket, p.role = target, role
            known[p.address] = p
        else:
            if _PARTY_RANK.get(role, 0) > _PARTY_RANK.get(there.role, 0):
                there.role = role
            session.delete(p)


def _move_events(session: Session, source: Ticket, target: Ticket) -> None:
    """Move the audit trail; each event keeps where it happened (the first ticket, along a chain)."""
    for e in session.scalars(select(Event).where(Event.ticket_id == source.id).order_by(Event.id)).all():
        e.ticket = target
        data = dict(e.data or {})
        data.setdefault("from_ticket", source.number)
        e.data = data


# -- split ---------------------------------------------------------------------------


def replied_mail(ops, in_reply_to: Sequence[str]) -> str | None:
    """The Message-ID of the mail a team reply answers: the mail itself, or the one our notice carried.

    None when the reply answers another mail of ours (an acknowledgement, a relay), or nothing.
    """
    if not in_reply_to:
        return None
    parent = in_reply_to[0]
    ours = ops.session.scalar(
        select(MessageRow).where(MessageRow.direction == Direction.OUT, MessageRow.message_id == parent)
    )
    if ours is None:
        return parent
    return ours.in_reply_to if ours.kind in _NOTICES else None


def split_refusal(ops, ticket: Ticket, message_id: str | None) -> str | None:
    """Why the mail ``message_id`` cannot be split off ``ticket``, in Spanish; None if it can."""
    return _client_mail(ops, ticket, message_id)[1]


def split(ops, ticket: Ticket, message_id: str | None, *, actor: str) -> Ticket:
    """Make the client's mail ``message_id`` on ``ticket`` a new ticket; returns it. Raises MergeRefused."""
    row, refused = _client_mail(ops, ticket, message_id)
    if refused:
        raise MergeRefused(refused)
    app, settings = ops.app, ops.settings
    try:
        # No size limits: the stored bytes are what was kept when it came in.
        mail = parse(row.raw, max_message_size=None, max_attachment_size=None)
    except ParseError as exc:
        raise MergeRefused(f"el correo {row.message_id} guardado no se puede leer ({exc})") from None
    # The stored Message-ID is the one the client's thread knows (a made-up one included).
    mail = replace(mail, message_id=row.message_id)
    ctx = Inbound(
        app=app, session=ops.session, mail=mail, screening=screen(mail, settings), source=row.source, now=ops.now
    )
    cls = app.rules.classify(mail) if app.rules is not None else None
    ack_refused = opening.ack_refusal(ctx, cls)
    # Its clocks run from the mail's arrival, not from the split.
    subject = _own_subject(settings, mail.subject, ticket)
    report = opening.Opening(mail.from_addr, mail.from_name, subject, received_at=row.at, origin=Origin.SPLIT)
    new = opening.new_ticket(ctx, report, cls, linked=ticket)
    row.ticket = new
    clocks.split_off(ops, ticket, row.message_id, actor)
    add_participants(ctx, new, is_new=True)
    opening.created_events(ctx, new, report, cls, split_by=actor)
    event(ctx, new, "split_from", actor=actor, ticket=ticket.number, message_id=row.message_id)
    event(ctx, ticket, "split_to", actor=actor, ticket=new.number, message_id=row.message_id, sender=row.from_addr)
    event(
        ctx,
        ticket,
        "note",
        actor=actor,
        text=(
            f"El correo de {row.from_addr} del {sla.local_text(app, row.at)} («{row.subject or '(sin asunto)'}»)"
            f" se separó en el ticket {new.number}."
        ),
    )
    ticket.updated_at = ops.now
    opening.announce(ctx, new, cls, ack_refused)
    return new


def _own_subject(settings, subject: str, old: Ticket) -> str:
    """A split-off mail's subject as its own ticket's: without the old ticket's tag and the "RE:" before it.

    The client wrote it as a reply in the old thread; the new ticket's mail
    carries its own tag, and a second one would only mislead.
    """
    text = " ".join(subject.replace(subject_tag(settings, old.number), " ").split())
    return strip_prefixes(text) or subject


def _client_mail(ops, ticket: Ticket, message_id: str | None) -> tuple[MessageRow | None, str | None]:
    """The client's mail to split off ``ticket``, or why there is none."""
    if not message_id:
        return None, (
            "no se encontró el correo del cliente: escriba #separar en su respuesta al aviso de ese correo"
            " (o al correo mismo)"
        )
    row = ops.session.scalar(
        select(MessageRow).where(MessageRow.direction == Direction.IN, MessageRow.message_id == message_id)
    )
    if row is None or row.ticket_id is None:
        return None, f"no se encontró el correo {message_id} en el ticket {ticket.number}"
    if row.ticket_id != ticket.id:
        done = _split_to(ops, ticket, message_id)
        if done:
            return None, f"ese correo ya se separó en el ticket {done}"
        return None, f"el correo {message_id} no es del ticket {ticket.number}"
    if row.kind in TEAM_ROLES:
        return None, f"ese correo es del equipo ({row.from_addr}), no de un cliente"
    if row.kind == Role.VENDOR:
        return None, f"ese correo es de un fabricante ({row.from_addr}), no de un cliente"
    if row.kind != Role.CLIENT:
        return None, f"ese correo ({row.from_addr}) no es de un cliente: es de tipo «{row.kind}»"
    first = ops.session.scalar(
        select(MessageRow.id)
        .where(MessageRow.ticket_id == ticket.id, MessageRow.direction == Direction.IN)
        .order_by(MessageRow.id)
        .limit(1)
    )
    if first == row.id:
        return None, f"ese correo es el primero del ticket {ticket.number}: no hay de qué separarlo"
    if not row.raw:
        return None, f"el correo {message_id} no está guardado completo; no se puede separar"
    return row, None


def _split_to(ops, ticket: Ticket, message_id: str) -> str | None:
    """The ticket ``message_id`` was split off ``ticket`` into, if it was."""
    for data in ops.session.scalars(
        select(Event.data).where(Event.ticket_id == ticket.id, Event.kind == "split_to").order_by(Event.id)
    ):
        if (data or {}).get("message_id") == message_id:
            return data.get("ticket")
    return None
