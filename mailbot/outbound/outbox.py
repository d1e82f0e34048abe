"""Queueing outbound mail, and the one sender that talks SMTP.

A mail gets its Message-ID when it is queued, in the same transaction as the
change that caused it, so a resend after a crash is the same mail. Delivery is
at least once: a row is leased (its next attempt pushed into the future and
committed) before it is sent, and marked sent after, in groups of up to
RECORD_EVERY mails; a crash in between means the lease expires and the same
mails, same Message-IDs, go again.
"""

from __future__ import annotations

import email.policy
from email import encoders
from email.charset import QP, Charset
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
import logging
import os
import smtplib
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db.models import Event, MessageRow, Outbox, Ticket, utcnow
from mailbot.addresses import wire_address
from mailbot.errors import SendError
from mailbot.db.heartbeat import live
from mailbot.mail.parse import clean_line

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
    # uuid4, not make_msgid: that one draws on the shared `random` and a 10 ms
    # clock, so two mails queued in the same tick after a re-seed collide.
    message_id = f"<{uuid.uuid4().hex}.mailbot@{settings.mail_domain}>"
    subject = clean_line(subject)
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if len(refs) > 20:  # RFC 5322 allows trimming; keep the first and the newest ones.
        refs = refs[:1] + refs[-19:]
    wire_to, wire_cc = [wire_address(a) for a in to], [wire_address(a) for a in cc]
    headers = [
        ("From", formataddr((settings.mailbot.name, settings.mailbot.address))),
        ("To", _addresses(wire_to)),
        ("Cc", _addresses(wire_cc) if cc else None),
        ("Subject", _subject(subject)),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id),
        ("In-Reply-To", clean_line(in_reply_to) if in_reply_to else None),
        ("References", clean_line(" ".join(refs)) if refs else None),
        ("Auto-Submitted", "auto-replied" if auto else ("auto-generated" if auto is not None else None)),
        ("X-Auto-Response-Suppress", "All" if auto else None),
        ("X-Mailbot-Ticket", ticket.number if ticket is not None else None),
    ]
    data = build_mail(headers, body, html=html, attachments=attachments)
    row = MessageRow(
        ticket=ticket, direction="out", message_id=message_id, kind=kind,
        from_addr=settings.mailbot.address, to_addrs=list(to), cc_addrs=list(cc),
        subject=subject, in_reply_to=in_reply_to, body_text=body, at=now, status="queued",
    )
    session.add(row)
    # By relationship, not id: no flush (a round trip) per queued mail.
    session.add(Outbox(
        message_row=row, ticket=ticket,
        message_id=message_id, mail_from=settings.mailbot.address, rcpt_to=wire_to + wire_cc,
        data=data, status="queued", next_attempt_at=now, created_at=now,
    ))
    return row


# Outbound mail is built with the compat32 MIME classes: the modern
# EmailMessage parses every header it is given back into a token tree, which
# cost a third of the intake pipeline's time for headers we write ourselves.
_BODY_CHARSET = Charset("utf-8")
_BODY_CHARSET.body_encoding = QP  # quoted-printable and CRLF: safe through any relay, 8BITMIME or not
# 8bit only lets an address with a UTF-8 local part (RFC 6532) through as it is;
# every body is quoted-printable or base64 already.
_POLICY = email.policy.compat32.clone(linesep="\r\n", cte_type="8bit")


def _subject(subject: str):
    if subject.isascii() and max(map(len, subject.split()), default=0) < 900:
        return subject  # compat32 folds it at spaces
    # Encoded words fold anywhere: no header line past RFC 5322's 998 characters.
    return Header(subject, "utf-8", header_name="Subject")


def _addresses(addrs) -> str:
    joined = ", ".join(clean_line(a) for a in addrs)
    # RFC 2047 must not touch an address: a non-ASCII one is written as raw UTF-8.
    return joined if joined.isascii() else joined.encode().decode("ascii", "surrogateescape")


def build_mail(headers: list[tuple[str, object]], body: str, *, html: str | None = None,
               attachments: list[tuple[str, str, bytes]] = ()) -> bytes:
    """The mail's bytes: text (and HTML alternative), files attached, headers in the order given."""
    root: MIMEBase = MIMEText(body, "plain", _BODY_CHARSET)
    if html is not None:
        root = MIMEMultipart("alternative", _subparts=[root, MIMEText(html, "html", _BODY_CHARSET)])
    if attachments:
        root = MIMEMultipart("mixed", _subparts=[root])
        for filename, content_type, content in attachments:
            maintype, _, subtype = content_type.partition("/")
            if maintype in ("multipart", "message") or not subtype:
                maintype, subtype = "application", "octet-stream"
            part = MIMEBase(maintype, subtype)
            part.set_payload(content)
            encoders.encode_base64(part)
            name = clean_line(filename)
            part.add_header("Content-Disposition", "attachment",
                            filename=name if name.isascii() else ("utf-8", "", name))
            root.attach(part)
    for part in root.walk():
        if part is not root:
            del part["MIME-Version"]
    mime = [(k, root[k]) for k in root.keys()]
    for k in root.keys():
        del root[k]
    for name, value in headers:
        if value is not None:
            root[name] = value
    for name, value in mime:
        root[name] = value
    return root.as_bytes(policy=_POLICY)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # The relay itself could not be reached or refused our login (not one
    # mail's fault): `run --once` reports it, the rest of the run waits.
    relay_error: str | None = None


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
        # smtplib's timeout is per socket operation; a relay answering each
        # command just in time could stretch one mail past the outbox lease,
        # and another process would send it too. The whole exchange gets this.
        self.budget = (settings.outbox.lease / 4).total_seconds()
        self._connecting: smtplib.SMTP | None = None

    def _context(self):
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        return ctx

    def _connect(self):
        cfg = self.cfg
        timeout = cfg.timeout.total_seconds()
        # Made unconnected and shown to the watchdog first: a relay that dribbles
        # its greeting or EHLO is held to the same budget as the rest.
        if cfg.security == "tls":
            conn = smtplib.SMTP_SSL(timeout=timeout, context=self._context())
        else:
            conn = smtplib.SMTP(timeout=timeout)
        # What the constructor would set when it connects: TLS checks the certificate against it.
        conn._host = cfg.host
        self._connecting = conn
        try:
            conn.connect(cfg.host, cfg.effective_port)
            if cfg.security == "starttls":
                # Never fall back to plaintext: a failed STARTTLS is an error.
                conn.starttls(context=self._context())
            password = cfg.secret()
            if cfg.username and password is not None:
                conn.login(cfg.username, password)
        except (OSError, smtplib.SMTPException) as exc:
            conn.close()  # connected, then STARTTLS or AUTH failed: don't leak the socket
            raise SendError(f"cannot connect to {cfg.host}:{cfg.effective_port}: {exc}", relay=True) from exc
        finally:
            self._connecting = None
        return conn

    def send(self, mail_from, rcpt_to, data, *, outbox_id):
        fired = threading.Event()

        def cut():
            fired.set()
            self._cut(self.conn or self._connecting)

        watchdog = threading.Timer(self.budget, cut)
        watchdog.start()
        try:
            if self.conn is None:
                self.conn = self._connect()
                if fired.is_set():  # the connection itself used up the budget
                    self._cut(self.conn)
            options = []
            if not (mail_from.isascii() and all(a.isascii() for a in rcpt_to)):
                self.conn.ehlo_or_helo_if_needed()
                if not self.conn.has_extn("smtputf8"):
                    raise SendError("an address is not ASCII and the relay does not offer SMTPUTF8", permanent=True)
                options = ["SMTPUTF8"]
            refused = self.conn.sendmail(mail_from, rcpt_to, data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            raise SendError(f"all recipients refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise SendError(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            late = " (over the time allowed for one mail)" if fired.is_set() else ""
            raise SendError(f"connection lost{late}: {exc}") from exc
        finally:
            watchdog.cancel()
            watchdog.join()  # a timer already past its check would otherwise cut the next mail
            if fired.is_set() and self.conn is not None:
                self.close()  # cut just as the mail went through: the next one opens a new connection
        if refused:
            log.warning("outbox %s: some recipients refused: %s", outbox_id, refused)

    @staticmethod
    def _cut(conn) -> None:
        """Unblock a send stuck on the relay: the blocked read fails at once."""
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

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


RECORD_EVERY = 3  # a crash resends at most this many; larger groups measured no faster (bench/intake.py)
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
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], transport_factory=None, clock=utcnow,
                 process_id: str | None = None):
        self.settings = settings
        # This process's heartbeat id (mailbot/heartbeat.py): claims carry it, so
        # another process can tell a dead claimer's mail from a live one's.
        self.process_id = process_id
        self.clock = clock  # the app's clock: sent and acknowledged times follow it
        self.sessions = sessions
        self.transport_factory = transport_factory or (lambda: make_transport(settings))
        self.observer = None  # mailbot.daemon.metrics.Metrics, when the daemon keeps metrics

    def _backoff(self, attempts: int) -> timedelta:
        cfg = self.settings.outbox
        return min(cfg.retry_base * (2 ** max(attempts - 1, 0)), cfg.retry_max)

    def _claim(self, now: datetime, limit: int) -> list[_Claimed]:
        with self.sessions.begin() as s:
            # Acknowledgements first: the client's clock runs on them, while a
            # backlog of team notices can wait a few seconds.
            q = (
                select(Outbox, MessageRow.kind, Ticket.number)
                .join(MessageRow, MessageRow.id == Outbox.message_row_id)
                .outerjoin(Ticket, Ticket.id == Outbox.ticket_id)
                .where(Outbox.status == "queued",
                       or_(Outbox.next_attempt_at <= now,
                           # Claimed by a process whose heartbeat stopped: it died
                           # holding them. A live claimer is never doubled.
                           and_(Outbox.claimed_by.is_not(None), Outbox.claimed_by.not_in(live(s.bind.dialect.name)))))
                .order_by(case((MessageRow.kind == "ack", 0), else_=1), Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Outbox)
            )
            claimed = []
            for r, kind, number in s.execute(q).all():
                r.attempts += 1
                r.next_attempt_at = now + self.settings.outbox.lease
                r.claimed_by = self.process_id
                claimed.append(_Claimed(r.id, r.mail_from, list(r.rcpt_to), r.data, r.attempts, r.message_id,
                                        r.message_row_id, kind, r.ticket_id, number))
            return claimed

    def send_due(self, now: datetime | None = None, limit: int = 25) -> SendReport:
        """Send what is due. Returns what happened; never raises for a send failure.

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
        transport = self.transport_factory()
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
                        self._record(self._release, claimed[i + 1:], self.clock() + self._backoff(mail.attempts))
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
                transport.close()
        return report

    def _release(self, mails: list[_Claimed], due: datetime | None = None):
        """Hand back claimed mail not tried: due again at ``due`` (else at once), the attempt not counted.

        Only rows still as this run claimed them (same attempt count): one that
        another sender has claimed since is that sender's.
        """
        with self.sessions.begin() as s:
            for m in mails:
                s.execute(update(Outbox).where(Outbox.id == m.id, Outbox.status == "queued",
                                               Outbox.attempts == m.attempts)
                          .values(next_attempt_at=due or self.clock(), attempts=m.attempts - 1, claimed_by=None))

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
            s.execute(update(Outbox).where(Outbox.id.in_([m.id for m in mails]))
                      .values(status="sent", sent_at=now, last_error=None, claimed_by=None))
            s.execute(update(MessageRow).where(MessageRow.id.in_([m.message_row_id for m in mails]))
                      .values(status="sent"))
            acks = {m.ticket_id for m in mails if m.kind == "ack" and m.ticket_id is not None}
            first: dict[int, datetime] = {}
            if acks:
                # The first acknowledgement sent is the one the SLA report counts.
                first = dict(s.execute(select(Ticket.id, Ticket.received_at).where(
                    Ticket.id.in_(acks), Ticket.acknowledged_at.is_(None))).all())
                if first:
                    s.execute(update(Ticket).where(Ticket.id.in_(list(first))).values(acknowledged_at=now))
        for m in mails:
            log.info("sent %s to %s (ticket %s, %s)", m.message_id, ", ".join(m.rcpt_to), m.ticket_number or "-",
                     m.kind, extra={"fields": {"event": "sent", "message_id": m.message_id, "to": m.rcpt_to,
                                               "ticket": m.ticket_number, "kind": m.kind}})
            if self.observer is not None:
                received = first.pop(m.ticket_id, None) if m.kind == "ack" else None
                self.observer.mail_sent(m.kind, (now - received).total_seconds() if received else None)

    def _failed(self, outbox_id: int, attempts: int, exc: SendError, report: SendReport):
        with self.sessions.begin() as s:
            row = s.get(Outbox, outbox_id)
            if row.status != "queued" or row.attempts != attempts:
                # Claimed (and maybe sent) by another sender since: its outcome, not ours.
                log.warning("outbox %s (%s): failed here, but another sender holds it now: %s",
                            outbox_id, row.message_id, exc)
                return
            row.last_error = str(exc)
            row.claimed_by = None
            # A relay that is down or refuses our login says nothing about this mail:
            # an outage longer than the retries must not fail every acknowledgement for good.
            permanent = exc.permanent or (attempts >= self.settings.outbox.max_attempts and not exc.relay)
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


