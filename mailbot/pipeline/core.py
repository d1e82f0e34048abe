"""The one per-message loop: parse → screen → thread → apply, in one transaction.

Every door (IMAP, LMTP, ``mailbot ingest``) calls ``Pipeline.process`` (or
``process_batch``) with raw bytes. One database transaction per message (per
batch, a savepoint per message) records it, applies it, queues its replies
and advances the mailbox cursor; anything unexpected rolls that mail back and
keeps the raw bytes in quarantine with the reason. Applying a screened,
threaded mail (classify, open a ticket, add to one, record a delivery report)
lives in ``pipeline/apply.py``; recording it and the ticket work, in ``tickets``.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from mailbot.app import App
from mailbot.db.models import MailboxCursor, MessageRow, Quarantine
from mailbot.errors import LockConflict, TemporaryFailure
from mailbot.mail.parse import InboundMail, parse
from mailbot.mail.screen import screen
from mailbot.pipeline import apply, on_behalf
from mailbot.pipeline.batch import Batch
from mailbot.pipeline.outcome import Action, Outcome
from mailbot.tickets.known import Known
from mailbot.tickets.numbering import Numbering
from mailbot.tickets.record import Inbound, record_unticketed
from mailbot.tickets.thread_match import find_ticket
from mailbot.vocab import INTERNAL_KINDS, Direction, HeldStatus, ScreeningKind

log = logging.getLogger("mailbot.pipeline")

# How many times in all a transaction PostgreSQL broke for a lock conflict is tried.
LOCK_RETRIES = 3

# What a route with rows of its own (``Route.own_rows``) ends in when it only added rows.
OWN_ROWS_ACTIONS = frozenset({Action.CREATED, Action.DUPLICATE, Action.IGNORED})


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
class Item:
    """One raw mail to take in, and where it came from."""

    raw: bytes
    source: str | None = None
    cursor: Cursor | None = None
    quarantine_id: int | None = None  # a retry of a held mail


class Pipeline:
    """Takes mail in for one ``App``: the doors' only way into the database."""

    def __init__(self, app: App):
        self.app = app
        # Called after each commit (e.g. to wake the outbox sender at once).
        self.after_commit: list = []

    def process(
        self, raw: bytes, *, source: str | None = None, cursor: Cursor | None = None, quarantine_id: int | None = None
    ) -> Outcome:
        """Take in one message. Raises only ``TemporaryFailure`` (nothing stored: retry later)."""
        return self.process_batch([Item(raw, source, cursor, quarantine_id)])[0]

    def process_batch(self, items: list[Item]) -> list[Outcome]:
        """Take in several messages in one transaction.

        First with their new rows written in one flush (``_in_one_flush``); if
        anything goes wrong there, again with each mail in a savepoint of its
        own: a message that fails to apply is rolled back to its savepoint and
        kept in quarantine within the same transaction, so it holds up nothing
        else. One commit (one fsync on SQLite) serves the whole batch. Raises
        only ``TemporaryFailure``: the database went away and nothing was stored.
        """
        if not items:
            return []
        app = self.app  # one set of rules, templates and settings for the whole batch, reload or not
        limits = app.settings.mailbot
        parsed: list[tuple[Item, InboundMail | None, str]] = []
        for item in items:
            try:
                mail = parse(
                    item.raw, max_message_size=limits.max_message_size, max_attachment_size=limits.max_attachment_size
                )
                parsed.append((item, mail, ""))
            except Exception as exc:  # the parser met bytes it cannot read
                parsed.append((item, None, f"unparseable: {type(exc).__name__}: {exc}"))
        outcomes = self._in_one_flush(app, items, parsed)
        if outcomes is None:  # a savepoint per mail: a failure is that mail's alone
            for attempt in range(1, LOCK_RETRIES + 1):
                try:
                    with app.sessions.begin() as session:
                        outcomes = [self._one(session, app, item, mail, why) for item, mail, why in parsed]
                        cursors = [item.cursor for item in items if item.cursor is not None]
                        if cursors:
                            advance_cursor(session, max(cursors, key=lambda c: c.uid), app.clock())
                    break
                except (LockConflict, DBAPIError, SQLAlchemyError) as exc:
                    conflict = isinstance(exc, LockConflict) or (isinstance(exc, DBAPIError) and _is_lock_conflict(exc))
                    if isinstance(exc, PoolTimeout) or (
                        not conflict and isinstance(exc, DBAPIError) and _is_disconnect(exc)
                    ):
                        raise TemporaryFailure(f"database unavailable: {getattr(exc, 'orig', None) or exc}") from exc
                    if conflict:
                        # PostgreSQL broke a deadlock (a batch holds the ticket counter while
                        # another process holds a ticket row) or a serialisation conflict:
                        # nothing of this transaction stands. A batch goes again one mail
                        # per transaction, which holds no lock across mails; one mail retries.
                        if len(items) > 1:
                            return [self.process_batch([item])[0] for item in items]
                        if attempt == LOCK_RETRIES:
                            raise TemporaryFailure(f"database lock conflict: {exc.__cause__ or exc}") from exc
                        time.sleep(0.05 * attempt)
                        continue
                    # The commit itself refused: find the culprit by taking them in one at a time.
                    if len(items) > 1:
                        return [self.process_batch([item])[0] for item in items]
                    item, mail, _ = parsed[0]
                    outcomes = [self._refused(app, item, mail, exc)]
                    break
        for (item, mail, _), outcome in zip(parsed, outcomes, strict=True):
            _log(outcome, mail, item)
            for callback in self.after_commit:
                callback(outcome)
        return outcomes

    def _in_one_flush(self, app: App, items: list[Item], parsed: list) -> list[Outcome] | None:
        """The batch with its new reports' rows written in one flush (``pipeline.batch``).

        None when anything went wrong (a mail that fails to apply, a duplicate
        another process committed, a lock conflict): nothing of it stands, and
        the caller takes the batch again a savepoint per mail, where each
        failure is that mail's alone.
        """
        if any(item.quarantine_id is not None for item in items):
            return None
        try:
            with app.sessions.begin() as session:
                batch = Batch(session, app.settings)
                known = Known(session, app.settings, [mail for _, mail, _ in parsed if mail is not None], app.clock())
                for item, mail, why in parsed:
                    if mail is None:
                        batch.settle()
                        batch.done(self._hold(session, app, item, None, why))
                        continue
                    if batch.conflicts(mail):
                        batch.settle()
                    source = item.source or (item.cursor.source if item.cursor else None)
                    with session.no_autoflush:
                        way = route(session, app, mail, source, known, batch.numbering)
                    if way.own_rows:
                        with session.no_autoflush:
                            outcome = way.run()
                        batch.done(outcome)
                        batch.wait(mail)
                        if known is not None:
                            known.forget(mail)
                        if outcome.action not in OWN_ROWS_ACTIONS:
                            # It joined a ticket that exists after all (a repeat: its message, a
                            # colleague copied): written now, as a reply would be.
                            batch.settle()
                    else:
                        batch.settle()
                        batch.done(way.run())
                        batch.settle()
                        # A reply or a team member's mail may write about anyone (a forward acknowledges
                        # its client): the rest of the batch asks the database.
                        known = None
                # The numbers are taken here, at the end: the counter stays locked only for the rest.
                batch.settle()
                outcomes = batch.outcomes
                cursors = [item.cursor for item in items if item.cursor is not None]
                if cursors:
                    advance_cursor(session, max(cursors, key=lambda c: c.uid), app.clock())
            return outcomes
        except TemporaryFailure:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            conflict = isinstance(exc, DBAPIError) and _is_lock_conflict(exc)  # before the text test, as below
            if isinstance(exc, PoolTimeout) or (not conflict and isinstance(exc, DBAPIError) and _is_disconnect(exc)):
                raise TemporaryFailure(f"database unavailable: {getattr(exc, 'orig', None) or exc}") from exc
            # The driver's message alone: SQLAlchemy's text would carry the statement's parameters
            # (a client's mail, stand-in numbers) into the log.
            log.info(
                "batch of %d taken again one savepoint per mail: %s: %s",
                len(items),
                type(exc).__name__,
                str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0],
            )
            return None
        except Exception as exc:
            log.info("batch of %d taken again one savepoint per mail: %s: %s", len(items), type(exc).__name__, exc)
            return None

    def _refused(self, app: App, item: Item, mail: InboundMail | None, exc: DBAPIError) -> Outcome:
        try:
            with app.sessions.begin() as session:
                if isinstance(exc, IntegrityError) and mail is not None and already_stored(session, mail):
                    outcome = Outcome(Action.DUPLICATE, None, mail.message_id, "stored by another process")
                else:
                    outcome = self._hold(session, app, item, mail, f"database: {exc}")
                if item.cursor is not None:
                    advance_cursor(session, item.cursor, app.clock())
        except (DBAPIError, SQLAlchemyError) as again:
            raise TemporaryFailure(f"cannot quarantine, database unavailable: {again}") from again
        return outcome

    def _one(self, session, app: App, item: Item, mail: InboundMail | None, why: str) -> Outcome:
        source = item.source or (item.cursor.source if item.cursor else None)
        if mail is None:
            return self._hold(session, app, item, None, why)
        try:
            with session.begin_nested():
                outcome = apply_mail(session, app, mail, source)
                if item.quarantine_id is not None:
                    held = session.get(Quarantine, item.quarantine_id)
                    held.status, held.attempts = HeldStatus.APPLIED, held.attempts + 1
            return outcome
        except IntegrityError:
            # Another process committed the same Message-ID first.
            if already_stored(session, mail):
                return Outcome(Action.DUPLICATE, None, mail.message_id, "stored by another process")
            return self._hold(session, app, item, mail, "integrity: " + traceback.format_exc(limit=3))
        except (OperationalError, DBAPIError) as exc:
            if _is_lock_conflict(exc):  # before the text test: "lock timeout" is no lost database
                raise LockConflict() from exc
            if _is_disconnect(exc):
                raise TemporaryFailure(f"database unavailable: {exc.orig or exc}") from exc
            return self._hold(session, app, item, mail, f"database: {exc}")
        except TemporaryFailure:
            raise
        except Exception as exc:
            log.exception("message %s could not be applied", mail.message_id)
            return self._hold(session, app, item, mail, f"apply failed: {type(exc).__name__}: {exc}")

    @staticmethod
    def _hold(session, app: App, item: Item, mail: InboundMail | None, reason: str) -> Outcome:
        """Keep the raw mail with the reason, in the batch's transaction."""
        message_id = mail.message_id if mail else None
        # Text fields only from here: a NUL or an endless line in the reason must not make the hold fail too.
        reason = reason.replace("\x00", "\\x00")[:8000]
        # Its own savepoint, flushed here: a failure to hold is this mail's, not the next one's.
        with session.begin_nested():
            held = session.get(Quarantine, item.quarantine_id) if item.quarantine_id is not None else None
            if held is None and message_id is not None:
                # The same mail failing again (a redelivery): one row, more attempts.
                held = session.scalar(
                    select(Quarantine).where(Quarantine.message_id == message_id, Quarantine.status == HeldStatus.HELD)
                )
            if held is not None:
                held.reason, held.attempts = reason, held.attempts + 1
            else:
                source = item.source or (item.cursor.source if item.cursor else None)
                session.add(
                    Quarantine(source=source, message_id=message_id, reason=reason, raw=item.raw, at=app.clock())
                )
        return Outcome(Action.QUARANTINED, None, message_id, reason.splitlines()[0] if reason else "")


def apply_mail(session, app: App, mail: InboundMail, source: str | None) -> Outcome:
    """Screen, thread and apply one parsed mail in ``session``'s transaction (the daemon's and the dry run's)."""
    return route(session, app, mail, source).run()


@dataclass(frozen=True)
class Route:
    """What a mail will do, decided by reading only; ``run`` does it."""

    run: Callable[[], Outcome]
    # Only adds rows of its own (an outsider's new report, a mail kept without a ticket):
    # they may wait for the batch's one flush (``pipeline.batch``). Otherwise it changes
    # rows that exist, and runs with everything before it written.
    own_rows: bool = False


def route(
    session,
    app: App,
    mail: InboundMail,
    source: str | None,
    known: Known | None = None,
    numbering: Numbering | None = None,
) -> Route:
    """Decide, by reading only, what ``mail`` does: a duplicate, a reply, a report, a bounce.

    ``known``: answers asked once for the batch (``tickets.known``); ``numbering``: a new
    ticket is numbered with the batch (``tickets.numbering.Numbering``), not at once.
    """
    stored = known.is_stored(mail.message_id) if known is not None else None
    if stored if stored is not None else already_stored(session, mail):
        return Route(lambda: Outcome(Action.DUPLICATE, None, mail.message_id, "Message-ID already stored"), True)
    screening = screen(mail, app.settings)
    ctx = Inbound(
        app=app,
        session=session,
        mail=mail,
        screening=screening,
        source=source,
        now=app.clock(),
        known=known,
    )
    if screening.kind == ScreeningKind.BOUNCE:
        return Route(lambda: apply.record_bounce(ctx))
    if screening.kind == ScreeningKind.SELF:
        return Route(lambda: _unticketed(ctx, "sent from our own address", "our own address"), True)
    if screening.team:
        return Route(lambda: _team_mail(ctx))
    match = find_ticket(session, mail, screening, app.settings)
    if match.ticket is not None:
        return Route(lambda: apply.append(ctx, match.ticket, how=match.how))
    if screening.kind == ScreeningKind.AUTOREPLY:
        why = "automatic reply to no ticket: " + "; ".join(screening.reasons)
        return Route(lambda: _unticketed(ctx, why, "automatic reply"), True)
    # Only here is a new ticket numbered with the batch: every other way runs with the rows before it written.
    later = replace(ctx, numbering=numbering)
    return Route(lambda: apply.open_ticket(later, linked=match.linked), True)


def _unticketed(ctx: Inbound, reason: str, detail: str) -> Outcome:
    record_unticketed(ctx, reason)
    return Outcome(Action.IGNORED, None, ctx.mail.message_id, detail)


def _team_mail(ctx: Inbound) -> Outcome:
    session, mail, screening = ctx.session, ctx.mail, ctx.screening
    match = find_ticket(session, mail, screening, ctx.settings)
    if match.ticket is None and answers_internal_mail(session, mail):
        # A team member answering a digest or the quarterly report talks about our own mail: never
        # a report. Only the team: a client's mail is a report whatever it answers.
        return _unticketed(
            ctx,
            "a team member's reply to internal mail of no ticket (a digest, a report)",
            "reply to internal mail",
        )
    if screening.trusted and screening.kind == ScreeningKind.NORMAL:
        # A report a team member brings in for a client: a forward, or a call written up.
        fwd = on_behalf.forwarded(ctx, threaded=match.ticket is not None)
        if fwd is not None:
            return on_behalf.apply_forward(ctx, fwd, match.ticket)
        if match.ticket is None:
            phone = on_behalf.phone_report(ctx)
            if phone is not None:
                return on_behalf.open_phone(ctx, phone)
    if match.ticket is not None:
        return apply.append(ctx, match.ticket, how=match.how)
    if screening.kind == ScreeningKind.AUTOREPLY:
        return _unticketed(ctx, "automatic reply to no ticket: " + "; ".join(screening.reasons), "automatic reply")
    return apply.open_ticket(ctx, linked=match.linked)


def answers_internal_mail(session, mail: InboundMail) -> bool:
    """Whether ``mail`` answers mail we sent to the team only that belongs to no ticket (a digest, a report)."""
    ids = list(mail.thread_ids)
    if not ids:
        return False
    found = session.scalar(
        select(MessageRow.id)
        .where(
            MessageRow.direction == Direction.OUT,
            MessageRow.message_id.in_(ids),
            MessageRow.ticket_id.is_(None),
            MessageRow.kind.in_(INTERNAL_KINDS),
        )
        .limit(1)
    )
    return found is not None


def already_stored(session, mail: InboundMail) -> bool:
    return (
        session.scalar(
            select(MessageRow.id).where(MessageRow.direction == Direction.IN, MessageRow.message_id == mail.message_id)
        )
        is not None
    )


def _log(outcome: Outcome, mail: InboundMail | None, item: Item) -> None:
    source = item.source or (item.cursor.source if item.cursor else None)
    if outcome.action == Action.QUARANTINED:
        log.error(
            "quarantined %s from %s: %s",
            outcome.message_id or "(no Message-ID)",
            source or "-",
            outcome.detail,
            extra={
                "fields": {
                    "event": "mail",
                    "action": Action.QUARANTINED,
                    "message_id": outcome.message_id,
                    "source": source,
                    "reason": outcome.detail,
                }
            },
        )
        return
    log.info(
        "%s %s: %s from %s%s",
        outcome.action,
        outcome.ticket or "-",
        mail.message_id,
        mail.from_addr or "<>",
        f" ({outcome.detail})" if outcome.detail else "",
        extra={
            "fields": {
                "event": "mail",
                "action": outcome.action,
                "ticket": outcome.ticket,
                "message_id": mail.message_id,
                "from": mail.from_addr,
                "source": source,
                "detail": outcome.detail,
            }
        },
    )


def advance_cursor(session, cursor: Cursor, now) -> None:
    row = session.get(MailboxCursor, cursor.mailbox)
    if row is None:
        session.add(
            MailboxCursor(mailbox=cursor.mailbox, uidvalidity=cursor.uidvalidity, last_uid=cursor.uid, updated_at=now)
        )
    elif row.uidvalidity != cursor.uidvalidity:
        row.uidvalidity, row.last_uid, row.updated_at = cursor.uidvalidity, cursor.uid, now
    elif cursor.uid > row.last_uid:
        row.last_uid, row.updated_at = cursor.uid, now


def _is_lock_conflict(exc: DBAPIError) -> bool:
    # deadlock_detected, serialization_failure, lock_not_available (PostgreSQL SQLSTATEs)
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001", "55P03")


def _is_disconnect(exc: DBAPIError) -> bool:
    if getattr(exc, "connection_invalidated", False):
        return True
    text = str(exc.orig or exc).lower()
    return any(
        s in text
        for s in (
            "connection",
            "server closed",
            "terminating",
            "could not connect",
            "database is locked",
            "timeout",
            "shutting down",
        )
    )
