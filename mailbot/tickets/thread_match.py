"""Find the ticket a mail belongs to: references first, then the subject tag;
and, for a mail that would open a ticket, whether it repeats one.

A ticket merged into another (``tickets.merge``) sends its mail on: the
ticket found is the one it was merged into, along a chain.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import AutoReplyLog, Escalation, Event, MessageRow, Participant, Ticket
from mailbot.mail.parse import InboundMail
from mailbot.mail.screen import Screening
from mailbot.tickets.known import Known
from mailbot.tickets.merge import current
from mailbot.tickets.numbering import find_number
from mailbot.vocab import OPEN_STATUSES, TEAM_ROLES, Role, ScreeningKind


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
        by_id = dict(rows)
        for mid in ids:  # nearest reference wins
            if mid in by_id:
                # Locked to the end of the message: a close or an escalation by the
                # scheduler or the CLI waits for it, or it waits for them.
                return ThreadMatch(current(session, _locked(session, Ticket.id == by_id[mid])), "reference")
    seq = find_number(settings, mail.subject)
    if seq is not None:
        named = _locked(session, Ticket.seq == seq)
        if named is not None:
            ticket = current(session, named)
            # The number written may be a merged one: its own client (or their domain) may write
            # into where it went, as may whoever may write into the ticket it went to.
            if may_write_into(session, ticket, mail, screening, settings) or (
                named is not ticket and may_write_into(session, named, mail, screening, settings)
            ):
                return ThreadMatch(ticket, "tag")
            return ThreadMatch(None, None, linked=ticket)
    return ThreadMatch(None, None)


def _locked(session: Session, where) -> Ticket | None:
    return session.scalar(select(Ticket).where(where).with_for_update())


def may_write_into(
    session: Session, ticket: Ticket, mail: InboundMail, screening: Screening, settings: Settings
) -> bool:
    """Whether a subject-tag match from this sender may append to ``ticket``.

    Copying a ticket number into a subject must not let anybody write into
    another client's ticket.
    """
    sender = mail.from_addr
    if screening.role in TEAM_ROLES or sender == ticket.requester:
        return True
    if screening.role == Role.VENDOR:
        # A vendor is known by its From domain alone (nothing authenticates it): by
        # subject tag it may write only into tickets that have a case open with it.
        return (
            session.scalar(
                select(Escalation.id).where(Escalation.ticket_id == ticket.id, Escalation.target == screening.vendor)
            )
            is not None
        )
    known = session.scalar(
        select(Participant.id).where(Participant.ticket_id == ticket.id, Participant.address == sender)
    )
    if known is not None:
        return True
    domain = sender.rpartition("@")[2]
    req_domain = ticket.requester.rpartition("@")[2]
    public = {d.lower() for d in settings.mailbot.public_domains}
    return domain == req_domain and domain not in public


# -- the same mail again ---------------------------------------------------------------
#
# A mail that repeats one its sender sent within [loops] repeat_window joins
# that first ticket instead of opening another, and gets no acknowledgement: a
# responder answering our acknowledgement with the same text, or a mail
# program sending one mail twice. "The same" is read narrowly, so that a
# person's distinct reports never meet: subject, body and attachments (name
# and size) equal once case, runs of whitespace, typographic quote marks and
# ">"-quoted lines are set aside. Quoted lines go because a responder quotes
# the mail it answers, which differs every time; an attribution line above
# them ("El lun, 2 mar … escribió:") stays, so two replies with the same words
# to different mails are still two mails.

_QUOTE_MARKS = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2039": "'",
        "\u203a": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
    }
)
_QUOTED_LINE = re.compile(r"(?m)^[ \t]*>.*$")
_WHITESPACE = re.compile(r"\s+")


def _comparable(text: str) -> str:
    text = _QUOTED_LINE.sub("", unicodedata.normalize("NFC", text))
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MARKS)).strip().casefold()


def repeat_key(mail: InboundMail) -> str:
    """What two mails share when one repeats the other (stored on the ``created`` event)."""
    digest = hashlib.sha256()
    digest.update(_comparable(mail.subject).encode("utf-8", "replace"))
    digest.update(b"\x00")
    digest.update(_comparable(mail.text).encode("utf-8", "replace"))
    for a in mail.attachments:
        digest.update(f"\x00{a.filename}\x00{a.size}".encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Repeat:
    ticket: Ticket  # locked, open
    first_message_id: str | None  # the mail that opened it


def find_repeat(
    session: Session,
    mail: InboundMail,
    screening: Screening,
    settings: Settings,
    now: datetime,
    key: str,
    known: Known | None = None,
) -> Repeat | None:
    """The open ticket this mail repeats, if it would otherwise open a ticket of its own.

    Only a client's own mail is looked at: a repeat matters where it would
    cost a second acknowledgement, and machine, list and team mail never get
    one. And only when this sender was acknowledged within the window, which
    the autoreply log's (address, time) index answers at once: the tickets
    table (no index on the requester) is then searched for the few senders
    who wrote within the hour, not for every mail. A first mail that got no
    acknowledgement (past the ceiling, a rule) is left out by that, and its
    repeat opens a ticket of its own, withheld the same way or acknowledged
    once: no loop either way.
    """
    if screening.kind != ScreeningKind.NORMAL or screening.role != Role.CLIENT:
        return None
    since = now - settings.loops.repeat_window
    sender = mail.from_addr
    answered = known.replies_since(sender, since) if known is not None else None
    if answered is None:
        answered = session.scalar(
            select(AutoReplyLog.id).where(AutoReplyLog.address == sender, AutoReplyLog.at > since).limit(1)
        )
    if not answered:  # None (no row) or 0 (none in the window)
        return None
    rows = session.execute(
        select(Ticket.id, Event.data)
        .join(Event, Event.ticket_id == Ticket.id)
        .where(
            Ticket.requester == sender,
            Ticket.created_at > since,
            Ticket.origin == ScreeningKind.NORMAL,
            Ticket.status.in_(OPEN_STATUSES),
            Event.kind == "created",
        )
        .order_by(Ticket.seq)
    ).all()
    for ticket_id, data in rows:
        if isinstance(data, dict) and data.get("repeat_key") == key:
            # Read again under the lock: a close that committed meanwhile makes it no repeat.
            ticket = session.scalar(
                select(Ticket).where(Ticket.id == ticket_id).with_for_update().execution_options(populate_existing=True)
            )
            if ticket is not None and ticket.status in OPEN_STATUSES:
                return Repeat(ticket, data.get("message_id"))
    return None
