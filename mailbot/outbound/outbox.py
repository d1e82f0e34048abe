"""The outbox: queueing outbound mail, and the sender that hands it to the relay.

A mail gets its Message-ID when it is queued, in the same transaction as the
change that caused it, so a resend after a crash is the same mail. Delivery is
at least once: a row is leased (its next attempt pushed into the future and
committed) before it is sent, and marked sent after, in groups of up to
RECORD_EVERY mails; a crash in between means the lease expires and the same
mails, same Message-IDs, go again. Composing the bytes is ``compose``'s job,
talking to the relay ``transport``'s.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.addresses import wire_address
from mailbot.config import Settings
from mailbot.db.heartbeat import live
from mailbot.db.models import Event, MessageRow, Outbox, Ticket, utcnow
from mailbot.errors import SendError
from mailbot.mail.text import clean_line
from mailbot.outbound.compose import compose, new_message_id, thread_references
from mailbot.outbound.transport import make_transport
from mailbot.vocab import Direction, MessageKind, SendStatus

log = logging.getLogger("mailbot.outbox")


def queue_mail(
    session: Session,
    settings: Settings,
    *,
    kind: MessageKind,
    to: list[str],
    subject: str,
    body: str,
    ticket: Ticket | None = None,
    cc: list[str] = (),
    in_reply_to: str | None = None,
    references: list[str] = (),
    auto: bool | None = False,
    now: datetime | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline: list[tuple[str, str, bytes]] = (),
) -> MessageRow:
    """Compose the mail, store it as an outbound message and queue it.

    ``auto``: True for an automatic reply (RFC 3834 ``auto-replied``), False
    for other machine-made mail (``auto-generated``), None for a person's
    words relayed as they wrote them (no ``Auto-Submitted``).
    """
    now = now or utcnow()
    message_id = new_message_id(settings.mail_domain)
    subject = clean_line(subject)
    wire_to, wire_cc = [wire_address(a) for a in to], [wire_address(a) for a in cc]
    data = compose(
        settings,
        message_id=message_id,
        to=wire_to,
        cc=wire_cc,
        subject=subject,
        body=body,
        now=now,
        in_reply_to=in_reply_to,
        references=thread_references(in_reply_to, references),
        auto=auto,
        ticket_number=ticket.number if ticket is not None else None,
        html=html,
        attachments=attachments,
        inline=inline,
    )
    row = MessageRow(
        ticket=ticket,
        direction=Direction.OUT,
        message_id=message_id,
        kind=kind,
        from_addr=settings.mailbot.address,
        to_addrs=list(to),
        cc_addrs=list(cc),
        subject=subject,
        in_reply_to=in_reply_to,
        body_text=body,
        at=now,
        status=SendStatus.QUEUED,
    )
    session.add(row)
    # By relationship, not id: no flush (a round trip) per queued mail.
    session.add(
        Outbox(
            message_row=row,
            ticket=ticket,
            message_id=message_id,
            mail_from=settings.mailbot.address,
            rcpt_to=wire_to + wire_cc,
            data=data,
            status=SendStatus.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return row


@dataclass
class SendReport:
    """What one ``send_due`` run did with the mail it claimed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    # The relay itself could not be reached or refused our login (not one
    # mail's fault): `run --once` reports it, the rest of the run waits.
    relay_error: str | None = None


# A crash resends at most this many (or what went out in RECORD_WITHIN); a transaction every
# 3 mails was a third of the sender's CPU in a backlog.
RECORD_EVERY = 10
RECORD_WITHIN = timedelta(seconds=0.1)


@dataclass
class _Claimed:
    id: int
    mail_from: str
    rcpt_to: list[str]
    data: bytes
    attempts: int
    message_id: str
    message_row_id: int
    kind: str | None
    ticket_id: int | None
    ticket_number: str | None


class OutboxSender:
    """Sends queued mail that is due, claiming it first so no other process sends it at the same time."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        transport_factory=None,
        clock=utcnow,
        process_id: str | None = None,
    ):
        self.settings = settings
        # This process's heartbeat id (mailbot.db.heartbeat): claims carry it, so
        # another process can tell a dead claimer's mail from a live one's.
        self.process_id = process_id
        self.clock = clock  # the app's clock: sent and acknowledged times follow it
        self.sessions = sessions
        self.transport_factory = transport_factory or (lambda: make_transport(settings))
        self.observer = None  # the daemon's mailbot.daemon.metrics.Metrics: counts sends and failures

    def _backoff(self, attempts: int) -> timedelta:
        cfg = self.settings.outbox
        return min(cfg.retry_base * (2 ** max(attempts - 1, 0)), cfg.retry_max)

    def _claim(self, now: datetime, limit: int) -> list[_Claimed]:
        with self.sessions.begin() as s:
            # Acknowledgements first: the client's clock runs on them, while a
            # backlog of team notices can wait a few seconds.
            q = (
                select(
                    Outbox.id,
                    Outbox.mail_from,
                    Outbox.rcpt_to,
                    Outbox.data,
                    Outbox.attempts,
                    Outbox.message_id,
                    Outbox.message_row_id,
                    MessageRow.kind,
                    Outbox.ticket_id,
                    Ticket.number,
                )
                .join(MessageRow, MessageRow.id == Outbox.message_row_id)
                .outerjoin(Ticket, Ticket.id == Outbox.ticket_id)
                .where(
                    Outbox.status == SendStatus.QUEUED,
                    or_(
                        Outbox.next_attempt_at <= now,
                        # Claimed by a process whose heartbeat stopped: it died
                        # holding them. A live claimer is never doubled.
                        and_(Outbox.claimed_by.is_not(None), Outbox.claimed_by.not_in(live(s.bind.dialect.name))),
                    ),
                )
                .order_by(case((MessageRow.kind == MessageKind.ACK, 0), else_=1), Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Outbox)
            )
            # Rows, not objects, and one UPDATE for the claim: a claim a few mails long is made
            # hundreds of times in a backlog.
            claimed = [_Claimed(r[0], r[1], list(r[2]), r[3], r[4] + 1, *r[5:]) for r in s.execute(q).all()]
            if claimed:
                s.execute(
                    update(Outbox)
                    .where(Outbox.id.in_([c.id for c in claimed]))
                    .values(
                        attempts=Outbox.attempts + 1,
                        next_attempt_at=now + self.settings.outbox.lease,
                        claimed_by=self.process_id,
                    )
                    .execution_options(synchronize_session=False)
                )
            return claimed

    def send_due(self, now: datetime | None = None, limit: int = 25, transport=None) -> SendReport:
        """Send what is due. Returns what happened; never raises for a send failure.

        ``transport``: the connection to send on, left open for the next run
        (``Daemon.send_all_due``); by default one of its own, closed at the end.
        A small ``limit`` keeps a new acknowledgement from waiting behind a
        long claimed run of other mail. Sent mails are recorded in groups (up
        to RECORD_EVERY mails or RECORD_WITHIN): one transaction per mail cost
        more than the SMTP exchange. A crash before a group is recorded resends
        that group. Half-way through the lease the run stops and hands back
        what it has not sent, so a slow relay never lets another process claim
        a mail this one still holds.
        """
        report = SendReport()
        now = now or self.clock()
        claimed = self._claim(now, limit)
        if not claimed:
            return report
        # On the sender's own clock: ``now`` may be given (a test, a catch-up) and differ from it.
        deadline = self.clock() + self.settings.outbox.lease / 2
        own = transport is None
        transport = transport or self.transport_factory()
        sent: list[_Claimed] = []
        since = now
        try:
            for i, mail in enumerate(claimed):
                clock = self.clock()
                if clock >= deadline:
                    self._record(self._release, claimed[i:])
                    break
                # Checked before each send: a slow or failing relay must not keep
                # earlier sent mails unrecorded.
                if sent and (len(sent) >= RECORD_EVERY or clock - since >= RECORD_WITHIN):
                    self._record(self._sent, sent)
                    sent = []
                try:
                    transport.send(mail.mail_from, mail.rcpt_to, mail.data, outbox_id=mail.id)
                except Exception as exc:
                    if not isinstance(exc, SendError):  # a bug or the unforeseen: this mail's failure, not the run's
                        log.exception("outbox %s: unexpected error while sending", mail.id)
                        exc = SendError(f"unexpected {type(exc).__name__}: {exc}")
                    if sent:
                        self._record(self._sent, sent)
                        sent = []
                    self._record(self._failed, mail.id, mail.attempts, exc, report)
                    if exc.relay:
                        # The relay is down or refuses our login: the other mails
                        # would only fail the same way, one connect timeout each.
                        # They wait for this mail's retry, their attempts not counted.
                        report.relay_error = str(exc)
                        self._record(self._release, claimed[i + 1 :], self.clock() + self._backoff(mail.attempts))
                        break
                    continue
                if not sent:
                    since = self.clock()
                sent.append(mail)
                report.sent += 1
        finally:
            try:
                if sent:
                    self._record(self._sent, sent)
            finally:
                if own:
                    transport.close()
        return report

    def _release(self, mails: list[_Claimed], due: datetime | None = None):
        """Hand back claimed mail not tried: due again at ``due`` (else at once), the attempt not counted.

        Only rows still as this run claimed them (same attempt count): one that
        another sender has claimed since is that sender's.
        """
        with self.sessions.begin() as s:
            for m in mails:
                s.execute(
                    update(Outbox)
                    .where(Outbox.id == m.id, Outbox.status == SendStatus.QUEUED, Outbox.attempts == m.attempts)
                    .values(next_attempt_at=due or self.clock(), attempts=m.attempts - 1, claimed_by=None)
                )

    def _record(self, write, *args, tries: int = 3):
        """Record a send's result; a dropped database connection is retried on a fresh one.

        The mail has left already: losing this write means sending it again
        once the lease runs out (the same Message-ID, but a duplicate all the same).
        """
        for attempt in range(1, tries + 1):
            try:
                return write(*args)
            except OperationalError as exc:
                if attempt == tries:
                    raise
                log.warning("recording a send failed (%s); retrying on a new connection", type(exc).__name__)
                time.sleep(0.2 * attempt)

    def _sent(self, mails: list[_Claimed]):
        now = self.clock()
        with self.sessions.begin() as s:
            s.execute(
                update(Outbox)
                .where(Outbox.id.in_([m.id for m in mails]))
                .values(status=SendStatus.SENT, sent_at=now, last_error=None, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
            unkept = [m.id for m in mails if m.kind == MessageKind.WEB_LOGIN]
            if unkept:  # a login link signs in until used or expired: once sent, no copy is kept
                s.execute(
                    update(Outbox)
                    .where(Outbox.id.in_(unkept))
                    .values(data=b"")
                    .execution_options(synchronize_session=False)
                )
            s.execute(
                update(MessageRow)
                .where(MessageRow.id.in_([m.message_row_id for m in mails]))
                .values(status=SendStatus.SENT)
                .execution_options(synchronize_session=False)
            )
            acks = {m.ticket_id for m in mails if m.kind == MessageKind.ACK and m.ticket_id is not None}
            first: dict[int, datetime] = {}
            if acks:
                # The first acknowledgement sent is the one the SLA report counts.
                first = dict(
                    s.execute(
                        select(Ticket.id, Ticket.received_at).where(
                            Ticket.id.in_(acks), Ticket.acknowledged_at.is_(None)
                        )
                    ).all()
                )
                if first:
                    s.execute(
                        update(Ticket)
                        .where(Ticket.id.in_(list(first)))
                        .values(acknowledged_at=now)
                        .execution_options(synchronize_session=False)
                    )
        for m in mails:
            log.info(
                "sent %s to %s (ticket %s, %s)",
                m.message_id,
                ", ".join(m.rcpt_to),
                m.ticket_number or "-",
                m.kind,
                extra={
                    "fields": {
                        "event": "sent",
                        "message_id": m.message_id,
                        "to": m.rcpt_to,
                        "ticket": m.ticket_number,
                        "kind": m.kind,
                    }
                },
            )
            if self.observer is not None:
                received = first.pop(m.ticket_id, None) if m.kind == MessageKind.ACK else None
                self.observer.mail_sent(m.kind, (now - received).total_seconds() if received else None)

    def _failed(self, outbox_id: int, attempts: int, exc: SendError, report: SendReport):
        with self.sessions.begin() as s:
            row = s.get(Outbox, outbox_id)
            if row.status != SendStatus.QUEUED or row.attempts != attempts:
                # Claimed (and maybe sent) by another sender since: its outcome, not ours.
                log.warning(
                    "outbox %s (%s): failed here, but another sender holds it now: %s", outbox_id, row.message_id, exc
                )
                return
            row.last_error = str(exc)
            row.claimed_by = None
            # A relay that is down or refuses our login says nothing about this mail:
            # an outage longer than the retries must not fail every acknowledgement for good.
            permanent = exc.permanent or (attempts >= self.settings.outbox.max_attempts and not exc.relay)
            if self.observer is not None:
                self.observer.send_failed(permanent)
            if permanent:
                row.status = SendStatus.FAILED
                if row.message_row.kind == MessageKind.WEB_LOGIN:
                    row.data = b""  # a link nobody will get: no copy that signs in is kept
                s.execute(
                    update(MessageRow).where(MessageRow.id == row.message_row_id).values(status=SendStatus.FAILED)
                )
                if row.ticket_id is not None:
                    s.add(
                        Event(
                            ticket_id=row.ticket_id,
                            at=self.clock(),
                            kind="send_failed",
                            data={
                                "message_id": row.message_id,
                                "to": row.rcpt_to,
                                "error": str(exc),
                                "attempts": attempts,
                            },
                        )
                    )
                log.error(
                    "outbox %s (%s) failed for good after %d attempts: %s", outbox_id, row.message_id, attempts, exc
                )
                report.failed += 1
            else:
                row.next_attempt_at = self.clock() + self._backoff(attempts)
                log.warning(
                    "outbox %s (%s) attempt %d failed, retry at %s: %s",
                    outbox_id,
                    row.message_id,
                    attempts,
                    row.next_attempt_at,
                    exc,
                )
                report.retried += 1

    def pending(self) -> int:
        """How many mails wait in the outbox (queued, due or not)."""
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == SendStatus.QUEUED))
