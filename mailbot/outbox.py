"""Queueing outbound mail, and the one sender that talks SMTP.

A mail gets its Message-ID when it is queued, in the same transaction as the
change that caused it, so a resend after a crash is the same mail. Delivery is
at least once: a row is leased (its next attempt pushed into the future and
committed) before it is sent, and marked sent after; a crash in between means
the lease expires and the same mail, same Message-ID, goes again.
"""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import Event, MessageRow, Outbox, Ticket, utcnow
from mailbot.errors import SendError
from mailbot.parse import clean_line

log = logging.getLogger("mailbot.outbox")


def queue_mail(
    session: Session,
    settings: Settings,
    *,
    kind: str,
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
) -> MessageRow:
    """Build the mail, store it as an outbound message and queue it.

    ``auto``: True for an automatic reply (RFC 3834 ``auto-replied``), False
    for other machine-made mail (``auto-generated``), None for a person's
    words relayed as they wrote them (no ``Auto-Submitted``).
    """
    now = now or utcnow()
    msg = EmailMessage()
    msg["From"] = formataddr((settings.mailbot.name, settings.mailbot.address))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = clean_line(subject)
    msg["Date"] = format_datetime(now)
    # uuid4, not make_msgid: that one draws on the shared `random` and a 10 ms
    # clock, so two mails queued in the same tick after a re-seed collide.
    message_id = f"<{uuid.uuid4().hex}.mailbot@{settings.mail_domain}>"
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        # RFC 5322 allows trimming; keep the first and the newest ones.
        if len(refs) > 20:
            refs = refs[:1] + refs[-19:]
        msg["References"] = " ".join(refs)
    if auto:
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    elif auto is not None:
        msg["Auto-Submitted"] = "auto-generated"
    if ticket is not None:
        msg["X-Mailbot-Ticket"] = ticket.number
    # Quoted-printable and CRLF: safe through any relay, 8BITMIME or not.
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for filename, content_type, content in attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "multipart" or not subtype:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    data = msg.as_bytes(policy=email.policy.SMTP)
    row = MessageRow(
        ticket=ticket, direction="out", message_id=message_id, kind=kind,
        from_addr=settings.mailbot.address, to_addrs=list(to), cc_addrs=list(cc),
        subject=str(msg["Subject"]), in_reply_to=in_reply_to, body_text=body, at=now, status="queued",
    )
    session.add(row)
    # By relationship, not id: no flush (a round trip) per queued mail.
    session.add(Outbox(
        message_row=row, ticket=ticket,
        message_id=message_id, mail_from=settings.mailbot.address, rcpt_to=list(to) + list(cc),
        data=data, status="queued", next_attempt_at=now, created_at=now,
    ))
    return row


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Transport:
    """Hands bytes to the relay; one per send batch."""

    def send(self, mail_from: str, rcpt_to: list[str], data: bytes, *, outbox_id: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FileTransport(Transport):
    """No relay configured: write ``.eml`` files (named by outbox row, so a resend overwrites)."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def send(self, mail_from, rcpt_to, data, *, outbox_id):
        final = self.directory / f"{outbox_id:08d}.eml"
        tmp = final.with_suffix(".tmp")
        envelope = f"X-Envelope-From: {mail_from}\r\nX-Envelope-To: {', '.join(rcpt_to)}\r\n".encode()
        with open(tmp, "wb") as fh:
            fh.write(envelope + data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)


class SmtpTransport(Transport):
    def __init__(self, settings: Settings):
        self.cfg = settings.smtp
        self.conn: smtplib.SMTP | None = None

    def _context(self):
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        return ctx

    def _connect(self):
        cfg = self.cfg
        timeout = cfg.timeout.total_seconds()
        conn = None
        try:
            if cfg.security == "tls":
                conn = smtplib.SMTP_SSL(cfg.host, cfg.effective_port, timeout=timeout, context=self._context())
            else:
                conn = smtplib.SMTP(cfg.host, cfg.effective_port, timeout=timeout)
                if cfg.security == "starttls":
                    # Never fall back to plaintext: a failed STARTTLS is an error.
                    conn.starttls(context=self._context())
            password = cfg.secret()
            if cfg.username and password is not None:
                conn.login(cfg.username, password)
        except (OSError, smtplib.SMTPException) as exc:
            if conn is not None:
                conn.close()  # connected, then STARTTLS or AUTH failed: don't leak the socket
            raise SendError(f"cannot connect to {cfg.host}:{cfg.effective_port}: {exc}") from exc
        return conn

    def send(self, mail_from, rcpt_to, data, *, outbox_id):
        if self.conn is None:
            self.conn = self._connect()
        try:
            refused = self.conn.sendmail(mail_from, rcpt_to, data)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            raise SendError(f"all recipients refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise SendError(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"connection lost: {exc}") from exc
        if refused:
            log.warning("outbox %s: some recipients refused: %s", outbox_id, refused)

    def close(self):
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None


def make_transport(settings: Settings) -> Transport:
    if settings.smtp is None:
        return FileTransport(settings.outbox_dir)
    return SmtpTransport(settings)


class OutboxSender:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], transport_factory=None, clock=utcnow):
        self.settings = settings
        self.clock = clock  # the app's clock: sent and acknowledged times follow it
        self.sessions = sessions
        self.transport_factory = transport_factory or (lambda: make_transport(settings))
        self.observer = None  # mailbot.metrics.Metrics, when the daemon keeps metrics

    def _backoff(self, attempts: int) -> timedelta:
        cfg = self.settings.outbox
        return min(cfg.retry_base * (2 ** max(attempts - 1, 0)), cfg.retry_max)

    def _claim(self, now: datetime, limit: int) -> list[tuple[int, str, list, bytes, int]]:
        with self.sessions.begin() as s:
            q = (
                select(Outbox)
                .where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
                .order_by(Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(s.scalars(q))
            for row in rows:
                row.attempts += 1
                row.next_attempt_at = now + self.settings.outbox.lease
            return [(r.id, r.mail_from, list(r.rcpt_to), r.data, r.attempts) for r in rows]

    def send_due(self, now: datetime | None = None, limit: int = 200) -> SendReport:
        """Send what is due. Returns what happened; never raises for a send failure."""
        report = SendReport()
        now = now or self.clock()
        claimed = self._claim(now, limit)
        if not claimed:
            return report
        transport = self.transport_factory()
        try:
            for outbox_id, mail_from, rcpt_to, data, attempts in claimed:
                try:
                    transport.send(mail_from, rcpt_to, data, outbox_id=outbox_id)
                except SendError as exc:
                    self._record(self._failed, outbox_id, attempts, exc, report)
                    continue
                self._record(self._sent, outbox_id)
                report.sent += 1
        finally:
            transport.close()
        return report

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

    def _sent(self, outbox_id: int):
        with self.sessions.begin() as s:
            row = s.get(Outbox, outbox_id)
            now = self.clock()
            row.status, row.sent_at, row.last_error = "sent", now, None
            s.execute(update(MessageRow).where(MessageRow.id == row.message_row_id).values(status="sent"))
            msg = s.get(MessageRow, row.message_row_id)
            log.info("sent %s to %s (ticket %s, %s)", row.message_id, ", ".join(row.rcpt_to),
                     msg.ticket.number if msg.ticket else "-", msg.kind,
                     extra={"fields": {"event": "sent", "message_id": row.message_id, "to": row.rcpt_to,
                                       "ticket": msg.ticket.number if msg.ticket else None, "kind": msg.kind}})
            latency = None
            if msg.kind == "ack" and msg.ticket is not None and msg.ticket.acknowledged_at is None:
                msg.ticket.acknowledged_at = now
                latency = (now - msg.ticket.received_at).total_seconds()
            if self.observer is not None:
                self.observer.mail_sent(msg.kind, latency)

    def _failed(self, outbox_id: int, attempts: int, exc: SendError, report: SendReport):
        with self.sessions.begin() as s:
            row = s.get(Outbox, outbox_id)
            row.last_error = str(exc)
            permanent = exc.permanent or attempts >= self.settings.outbox.max_attempts
            if self.observer is not None:
                self.observer.send_failed(permanent)
            if permanent:
                row.status = "failed"
                s.execute(update(MessageRow).where(MessageRow.id == row.message_row_id).values(status="failed"))
                if row.ticket_id is not None:
                    s.add(Event(ticket_id=row.ticket_id, at=self.clock(), kind="send_failed",
                                data={"message_id": row.message_id, "to": row.rcpt_to, "error": str(exc),
                                      "attempts": attempts}))
                log.error("outbox %s (%s) failed for good after %d attempts: %s",
                          outbox_id, row.message_id, attempts, exc)
                report.failed += 1
            else:
                row.next_attempt_at = self.clock() + self._backoff(attempts)
                log.warning("outbox %s (%s) attempt %d failed, retry at %s: %s",
                            outbox_id, row.message_id, attempts, row.next_attempt_at, exc)
                report.retried += 1

    def pending(self) -> int:
        from sqlalchemy import func

        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "queued"))

    def next_due(self) -> datetime | None:
        from sqlalchemy import func

        with self.sessions() as s:
            return s.scalar(select(func.min(Outbox.next_attempt_at)).where(Outbox.status == "queued"))


