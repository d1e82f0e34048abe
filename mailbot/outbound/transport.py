"""Handing a composed mail to the relay: SMTP, or ``.eml`` files when no relay is configured.

One transport per sending run (``Daemon.send_all_due``, which drains the
outbox in claims of a few mails): the SMTP connection is opened at the first
mail and reused for the rest of the run. Every
failure is a ``SendError`` saying whether it is permanent and whether the relay
itself failed (connect, TLS, login) rather than this mail.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mailbot.config import Settings
from mailbot.errors import SendError

# The outbox's logger: ops read sends and refusals under one name.
log = logging.getLogger("mailbot.outbox")


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


# A connection idle longer than this is asked whether it is still there before the next mail.
IDLE_CHECK = 5.0


class _Watchdog:
    """One thread per transport that cuts a send past its budget.

    A timer thread started and joined for every mail cost more CPU than the
    SMTP exchange itself in a backlog. The action runs under the lock, so once
    ``disarm`` returns no cut is on its way to the next mail.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._action: Callable[[], None] | None = None
        self.fired = False
        self._thread: threading.Thread | None = None
        self._closed = False

    def arm(self, seconds: float, action: Callable[[], None]) -> None:
        with self._cond:
            self._deadline, self._action, self.fired = time.monotonic() + seconds, action, False
            if self._thread is None:
                self._closed = False
                self._thread = threading.Thread(target=self._run, name="smtp-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> bool:
        """Stop watching; whether the budget ran out (the cut is done by then)."""
        with self._cond:
            self._deadline = self._action = None
            return self.fired

    def close(self) -> None:
        with self._cond:
            self._closed, self._deadline = True, None
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                action, self.fired, self._deadline = self._action, True, None
                if action is not None:
                    action()


class SmtpTransport(Transport):
    def __init__(self, settings: Settings):
        self.cfg = settings.smtp
        self.conn: smtplib.SMTP | None = None
        # smtplib's timeout is per socket operation; a relay answering each
        # command just in time could stretch one mail past the outbox lease,
        # and another process would send it too. The whole exchange gets this.
        self.budget = (settings.outbox.lease / 4).total_seconds()
        self._connecting: smtplib.SMTP | None = None
        self._watchdog = _Watchdog()
        self._last_used = 0.0  # time.monotonic() of the last exchange on ``conn``

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
        watchdog = self._watchdog
        watchdog.arm(self.budget, lambda: self._cut(self.conn or self._connecting))
        try:
            if self.conn is not None and time.monotonic() - self._last_used > IDLE_CHECK:
                # Kept open across a sending run, it may have sat idle (a claim waiting for the
                # database) long enough for the relay to drop it: find out now, not by failing a mail.
                try:
                    alive = self.conn.noop()[0] == 250
                except (OSError, smtplib.SMTPException):
                    alive = False
                if not alive:
                    self._drop()
            if self.conn is None:
                self.conn = self._connect()
                if watchdog.fired:  # the connection itself used up the budget
                    self._cut(self.conn)
            options = []
            if not (mail_from.isascii() and all(a.isascii() for a in rcpt_to)):
                self.conn.ehlo_or_helo_if_needed()
                if not self.conn.has_extn("smtputf8"):
                    raise SendError("an address is not ASCII and the relay does not offer SMTPUTF8", permanent=True)
                options = ["SMTPUTF8"]
            refused = self.conn.sendmail(mail_from, rcpt_to, data, mail_options=options)
            self._last_used = time.monotonic()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            raise SendError(
                f"all recipients refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise SendError(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            late = " (over the time allowed for one mail)" if watchdog.fired else ""
            raise SendError(f"connection lost{late}: {exc}") from exc
        finally:
            # Disarmed before anything else: a cut already under way finishes first, none reaches the next mail.
            if watchdog.disarm() and self.conn is not None:
                self._drop()  # cut just as the mail went through: the next one opens a new connection
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

    def _drop(self):
        """Leave the relay; the next mail connects again."""
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None

    def close(self):
        self._drop()
        self._watchdog.close()


def make_transport(settings: Settings) -> Transport:
    if settings.smtp is None:
        return FileTransport(settings.outbox_dir)
    return SmtpTransport(settings)
