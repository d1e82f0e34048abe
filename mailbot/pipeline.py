"""The one per-message loop: parse → screen → thread → classify → apply.

Every door (IMAP, LMTP, ``mailbot ingest``) calls ``Pipeline.process`` with
raw bytes. One database transaction per message records it, applies it,
queues its replies and advances the mailbox cursor; anything unexpected
rolls that back and keeps the raw mail in quarantine with the reason.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from mailbot import apply
from mailbot.app import App
from mailbot.db.models import MailboxCursor, MessageRow, Quarantine
from mailbot.errors import TemporaryFailure
from mailbot.parse import InboundMail, parse
from mailbot.screen import screen
from mailbot.thread_match import find_ticket

log = logging.getLogger("mailbot.pipeline")


@dataclass(frozen=True)
class Cursor:
    """Where a message came from in a mailbox; stored with the message's commit."""

    mailbox: str
    uidvalidity: int
    uid: int

    @property
    def source(self) -> str:
        return f"imap:{self.mailbox}:{self.uidvalidity}:{self.uid}"


@dataclass(frozen=True)
class Outcome:
    action: str  # created, appended, duplicate, ignored, bounce, quarantined
    ticket: str | None = None
    message_id: str | None = None
    detail: str = ""
    severity: str | None = None  # of a ticket just created

    @property
    def final(self) -> bool:
        """Whether the message is safely stored (so the source may be marked)."""
        return True


class Pipeline:
    def __init__(self, app: App):
        self.app = app
        # Called after each commit (e.g. to wake the outbox sender at once).
        self.after_commit: list = []

    def process(self, raw: bytes, *, source: str | None = None, cursor: Cursor | None = None,
                quarantine_id: int | None = None) -> Outcome:
        """Take in one message. Raises only ``TemporaryFailure`` (nothing stored: retry later)."""
        outcome = self._process(raw, source=source, cursor=cursor, quarantine_id=quarantine_id)
        for callback in self.after_commit:
            callback(outcome)
        return outcome

    def _process(self, raw: bytes, *, source: str | None, cursor: Cursor | None,
                 quarantine_id: int | None) -> Outcome:
        source = source or (cursor.source if cursor else None)
        try:
            limits = self.app.settings.mailbot
            mail = parse(raw, max_message_size=limits.max_message_size,
                         max_attachment_size=limits.max_attachment_size)
        except Exception as exc:  # the parser met bytes it cannot read
            return self._quarantine(raw, source, None, f"unparseable: {type(exc).__name__}: {exc}", cursor, quarantine_id)
        try:
            with self.app.sessions.begin() as session:
                outcome = self._apply(session, mail, source)
                if cursor is not None:
                    advance_cursor(session, cursor, self.app.clock())
                if quarantine_id is not None:
                    held = session.get(Quarantine, quarantine_id)
                    held.status, held.attempts = "applied", held.attempts + 1
        except IntegrityError:
            # Another process committed the same Message-ID first.
            if self._already_stored(mail):
                outcome = Outcome("duplicate", None, mail.message_id, "stored by another process")
                if cursor is not None:
                    with self.app.sessions.begin() as session:
                        advance_cursor(session, cursor, self.app.clock())
            else:
                return self._quarantine(raw, source, mail, "integrity: " + traceback.format_exc(limit=3), cursor, quarantine_id)
        except (OperationalError, DBAPIError) as exc:
            if _is_disconnect(exc):
                raise TemporaryFailure(f"database unavailable: {exc.orig or exc}") from exc
            return self._quarantine(raw, source, mail, f"database: {exc}", cursor, quarantine_id)
        except TemporaryFailure:
            raise
        except Exception as exc:
            log.exception("message %s could not be applied", mail.message_id)
            return self._quarantine(raw, source, mail, f"apply failed: {type(exc).__name__}: {exc}", cursor, quarantine_id)
        log.info("%s %s: %s from %s%s", outcome.action, outcome.ticket or "-", mail.message_id,
                 mail.from_addr or "<>", f" ({outcome.detail})" if outcome.detail else "",
                 extra={"fields": {"event": "mail", "action": outcome.action, "ticket": outcome.ticket,
                                   "message_id": mail.message_id, "from": mail.from_addr, "source": source,
                                   "detail": outcome.detail}})
        return outcome

    def _apply(self, session, mail: InboundMail, source: str | None) -> Outcome:
        existing = session.scalar(
            select(MessageRow.id).where(MessageRow.direction == "in", MessageRow.message_id == mail.message_id)
        )
        if existing is not None:
            return Outcome("duplicate", None, mail.message_id, "Message-ID already stored")
        app = self.app  # one set of rules, templates and settings for the whole message, reload or not
        screening = screen(mail, app.settings)
        ctx = apply.Inbound(app=app, session=session, mail=mail, screening=screening, source=source,
                            now=app.clock())
        if screening.kind == "bounce":
            return apply.record_bounce(ctx)
        if screening.kind == "self":
            apply.record_unticketed(ctx, "sent from our own address")
            return Outcome("ignored", None, mail.message_id, "our own address")
        match = find_ticket(session, mail, screening, app.settings)
        if match.ticket is not None:
            return apply.append(ctx, match.ticket, how=match.how)
        if screening.kind == "autoreply":
            apply.record_unticketed(ctx, "automatic reply to no ticket: " + "; ".join(screening.reasons))
            return Outcome("ignored", None, mail.message_id, "automatic reply")
        return apply.open_ticket(ctx, linked=match.linked)

    def _already_stored(self, mail: InboundMail) -> bool:
        with self.app.sessions() as session:
            return session.scalar(
                select(MessageRow.id).where(MessageRow.direction == "in", MessageRow.message_id == mail.message_id)
            ) is not None

    def _quarantine(self, raw, source, mail, reason, cursor, held_id=None) -> Outcome:
        message_id = mail.message_id if mail else None
        try:
            with self.app.sessions.begin() as session:
                held = session.get(Quarantine, held_id) if held_id is not None else None
                if held is None and message_id is not None:
                    # The same mail failing again (a redelivery): one row, more attempts.
                    held = session.scalar(select(Quarantine).where(
                        Quarantine.message_id == message_id, Quarantine.status == "held"))
                if held is not None:
                    held.reason, held.attempts = reason[:8000], held.attempts + 1
                else:
                    session.add(Quarantine(source=source, message_id=message_id, reason=reason[:8000], raw=raw,
                                           at=self.app.clock()))
                if cursor is not None:
                    advance_cursor(session, cursor, self.app.clock())
        except (OperationalError, DBAPIError) as exc:
            raise TemporaryFailure(f"cannot quarantine, database unavailable: {exc}") from exc
        log.error("quarantined %s from %s: %s", message_id or "(no Message-ID)", source or "-",
                  reason.splitlines()[0] if reason else "",
                  extra={"fields": {"event": "mail", "action": "quarantined", "message_id": message_id,
                                    "source": source, "reason": reason.splitlines()[0] if reason else ""}})
        return Outcome("quarantined", None, message_id, reason.splitlines()[0] if reason else "")


def advance_cursor(session, cursor: Cursor, now) -> None:
    row = session.get(MailboxCursor, cursor.mailbox)
    if row is None:
        session.add(MailboxCursor(mailbox=cursor.mailbox, uidvalidity=cursor.uidvalidity, last_uid=cursor.uid,
                                  updated_at=now))
    elif row.uidvalidity != cursor.uidvalidity:
        row.uidvalidity, row.last_uid, row.updated_at = cursor.uidvalidity, cursor.uid, now
    elif cursor.uid > row.last_uid:
        row.last_uid, row.updated_at = cursor.uid, now


def _is_disconnect(exc: DBAPIError) -> bool:
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(exc.orig or exc).lower()
    return any(s in text for s in ("connection", "server closed", "terminating", "could not connect",
                                   "database is locked", "timeout", "shutting down"))
