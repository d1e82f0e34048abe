"""Files a client sent: recorded per message as rows, found again by id, chosen for a vendor's case mail.

Decision (docs/attachments.md): an attachment is a row of ``attachments``
(``AttachmentRow``: message, position among the mail's attachments, safe file
name, type, decoded size, dropped) and its bytes live once, inside
``messages.raw``, the mail as stored. ``content`` reads them back from there
by position with the parser's own walk (``mailbot.mail.parse``); nothing is
copied out of the mail, so a mail's size is counted once and a dropped part is
simply not there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import AttachmentRow, MessageRow, Ticket
from mailbot.mail.parse import InboundMail, attachment_content, attachment_files
from mailbot.vocab import DESK_ROLES, Direction, MessageKind, ScreeningKind

# What a case mail carries of the client's files; beyond this they are listed, not attached.
ATTACH_LIMIT = 10 * 1024 * 1024
# Inbound mail whose files are not the client's to pass on: the desk's own side
# (team, vendors, a team address our MTA did not authenticate) and machine answers.
NOT_CLIENT_FILES = frozenset({*DESK_ROLES, MessageKind.UNVERIFIED, ScreeningKind.BOUNCE, ScreeningKind.AUTOREPLY})


def record(session: Session, row: MessageRow, mail: InboundMail) -> list[AttachmentRow]:
    """Add a row per attachment of ``mail``, stored as ``row`` (its ``raw`` is ``mail.raw``)."""
    rows = [
        AttachmentRow(
            message=row, position=i, filename=a.filename, content_type=a.content_type, size=a.size, dropped=a.dropped
        )
        for i, a in enumerate(mail.attachments)
    ]
    session.add_all(rows)
    return rows


def content(session: Session, attachment_id: int) -> bytes:
    """The decoded bytes of one attachment. LookupError when there is no such attachment or it was dropped."""
    att = session.get(AttachmentRow, attachment_id)
    if att is None:
        raise LookupError(f"no attachment {attachment_id}")
    if att.dropped:
        raise LookupError(f"attachment {attachment_id} ({att.filename}) was over the size limits: not kept")
    raw = att.message.raw
    if not raw:
        raise LookupError(f"attachment {attachment_id} ({att.filename}): its mail is not stored")
    return attachment_content(raw, att.position)


def client_files(ops, ticket: Ticket) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    """The files the client side sent in the thread (not the team's nor a vendor's), to attach to a case mail.

    Returns (files to attach, a line per file for the template). A file is
    every part the client's mails give a file name, also those inside a mail
    they attached, in the order of the thread; the same name and size twice
    is one file. Files past ATTACH_LIMIT in all are named with their size
    instead, available on request.
    """
    kept = ops.session.scalars(
        select(AttachmentRow)
        .join(MessageRow, AttachmentRow.message_row_id == MessageRow.id)
        .where(
            MessageRow.ticket_id == ticket.id,
            MessageRow.direction == Direction.IN,
            MessageRow.kind.not_in(NOT_CLIENT_FILES),
            AttachmentRow.dropped.is_(False),
        )
        .order_by(MessageRow.id, AttachmentRow.position)
    ).all()
    by_message: dict[int, list[AttachmentRow]] = {}
    for att in kept:
        by_message.setdefault(att.message_row_id, []).append(att)
    files: list[tuple[str, str, bytes]] = []
    lines: list[str] = []
    seen: set[tuple[str, int]] = set()
    total = 0
    for atts in by_message.values():
        raw = atts[0].message.raw
        if not raw:
            continue
        found = attachment_files(raw, [a.position for a in atts])
        for att in atts:
            for f in found.get(att.position, ()):
                if (f.filename, len(f.content)) in seen:
                    continue
                seen.add((f.filename, len(f.content)))
                if total + len(f.content) > ATTACH_LIMIT:
                    lines.append(
                        f"{f.filename} ({len(f.content) / 1048576:.1f} MB, not attached: available on request)"
                    )
                    continue
                total += len(f.content)
                files.append((f.filename, f.content_type, f.content))
                lines.append(f.filename)
    return files, lines
