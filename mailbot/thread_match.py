"""Find the ticket a mail belongs to: references first, then the subject tag."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Escalation, MessageRow, Participant, Ticket
from mailbot.numbering import find_number
from mailbot.parse import InboundMail
from mailbot.screen import Screening


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket | None
    how: str | None  # "reference", "tag", None
    # A tag match from a stranger: not appended, but the new ticket links to it.
    linked: Ticket | None = None


def find_ticket(session: Session, mail: InboundMail, screening: Screening, settings: Settings) -> ThreadMatch:
    ids = list(mail.thread_ids)
    if ids:
        rows = session.execute(
            select(MessageRow.message_id, MessageRow.ticket_id).where(
                MessageRow.message_id.in_(ids), MessageRow.ticket_id.is_not(None)
            )
        ).all()
        by_id = {mid: tid for mid, tid in rows}
        for mid in ids:  # nearest reference wins
            if mid in by_id:
                # Locked to the end of the message: a close or an escalation by the
                # scheduler or the CLI waits for it, or it waits for them.
                return ThreadMatch(_locked(session, Ticket.id == by_id[mid]), "reference")
    seq = find_number(settings, mail.subject)
    if seq is not None:
        ticket = _locked(session, Ticket.seq == seq)
        if ticket is not None:
            if may_write_into(session, ticket, mail, screening, settings):
                return ThreadMatch(ticket, "tag")
            return ThreadMatch(None, None, linked=ticket)
    return ThreadMatch(None, None)


def _locked(session: Session, where) -> Ticket | None:
    return session.scalar(select(Ticket).where(where).with_for_update())


def may_write_into(session: Session, ticket: Ticket, mail: InboundMail, screening: Screening,
                   settings: Settings) -> bool:
    """Whether a subject-tag match from this sender may append to ``ticket``.

    Copying a ticket number into a subject must not let anybody write into
    another client's ticket.
    """
    sender = mail.from_addr
    if screening.role in ("engineer", "manager") or sender == ticket.requester:
        return True
    if screening.role == "vendor":
        # A vendor is known by its From domain alone (nothing authenticates it): by
        # subject tag it may write only into tickets that have a case open with it.
        return session.scalar(select(Escalation.id).where(
            Escalation.ticket_id == ticket.id, Escalation.target == screening.vendor)) is not None
    known = session.scalar(
        select(Participant.id).where(Participant.ticket_id == ticket.id, Participant.address == sender)
    )
    if known is not None:
        return True
    domain = sender.rpartition("@")[2]
    req_domain = ticket.requester.rpartition("@")[2]
    public = {d.lower() for d in settings.mailbot.public_domains}
    return domain == req_domain and domain not in public
