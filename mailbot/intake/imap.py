"""IMAP intake: IDLE when the server has it, polling otherwise.

imapclient is synchronous; this runs in a thread of its own and calls the
pipeline directly. The database cursor (UIDVALIDITY, last UID) is the source
of truth for what is new; the message is flagged ``\\Seen`` (or moved) only
after the pipeline committed, so a crash in between costs a harmless
duplicate check, never a lost mail.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import ssl
import threading
import time
import weakref
from dataclasses import dataclass, field

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.config import Settings
from mailbot.db.models import MailboxCursor
from mailbot.errors import LeaseLost, TemporaryFailure, Unavailable
from mailbot.intake.lease import MailboxLease
from mailbot.pipeline.core import Cursor, Item, Pipeline

log = logging.getLogger("mailbot.imap")

NETWORK_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)

# Reconnect waits. A network failure is retried soon: 1 s doubling to a minute.
# A refused login doubles from a minute to 15: retrying a wrong password every
# few seconds is what makes a server lock the account (or ban the address).
NETWORK_BACKOFF = (1.0, 60.0)
LOGIN_BACKOFF = (60.0, 15 * 60.0)


class Backoff:
    """Waits that double from ``first`` up to ``cap``; ``reset()`` after a success."""

    def __init__(self, first: float, cap: float):
        self.first, self.cap = first, cap
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first


# How often the IDLE wait looks up from the socket to check the mailbox lease.
IDLE_TICK = 1.0
# Searches in a row that come back empty while the server keeps announcing
# new mail: a server that sends EXISTS with every answer must not keep the
# drain from ever ending (the re-check at poll_interval still looks again).
EXISTS_RECHECKS = 3


class WakeEvent(threading.Event):
    """A threading.Event that poll() can also wait on, next to a socket.

    The IDLE wait watches the IMAP socket; a stop request or a wake-up must end
    that wait at once, not at its next timeout.
    """

    def __init__(self):
        super().__init__()
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        weakref.finalize(self, _close_fds, self._r, self._w)

    def fileno(self) -> int:
        return self._r

    def set(self):
        super().set()
        try:
            os.write(self._w, b"\0")
        except OSError:
            pass  # the pipe is full of wake-ups: readable already

    def clear(self):
        # The pipe first, then the flag: a set() in between leaves a byte behind
        # (one spurious wake-up), never a set flag that poll() does not see.
        try:
            while os.read(self._r, 512):
                pass
        except OSError:
            pass
        super().clear()


def _close_fds(*fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


@dataclass
class ImapStats:
    connected: bool = False
    reconnects: int = 0
    fetched: int = 0
    last_error: str | None = None
    idle: bool = False
    standby: bool = False  # another process holds the mailbox lease
    counts: dict = field(default_factory=dict)

    @property
    def state(self) -> str:
        if self.standby:
            return "standby"
        if self.idle:
            return "idle"
        return "connected" if self.connected else "disconnected"


class ImapSource:
    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        *,
        client_factory=None,
        stop: threading.Event | None = None,
        lease: MailboxLease | None = None,
        lease_retry: float = 2.0,
    ):
        self.settings = settings
        self.cfg = settings.imap
        self.pipeline = pipeline
        self.client_factory = client_factory or self._make_client
        self.stop = stop or threading.Event()
        self.stats = ImapStats()
        self.mailbox_key = f"{self.cfg.username}@{self.cfg.host}:{self.cfg.effective_port}/{self.cfg.folder}"
        self.wake = WakeEvent()
        # Several processes on one PostgreSQL: only the lease holder reads the mailbox.
        self.lease = lease
        self.lease_retry = lease_retry

    def request_stop(self) -> None:
        """Stop: the current chunk is finished, every wait ends at once."""
        self.stop.set()
        self.wake.set()

    # -- connection -------------------------------------------------------
    def _ssl_context(self):
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        return ctx

    def _make_client(self) -> imapclient.IMAPClient:
        cfg = self.cfg
        client = imapclient.IMAPClient(
            cfg.host,
            port=cfg.effective_port,
            ssl=cfg.security == "tls",
            ssl_context=self._ssl_context() if cfg.security == "tls" else None,
            timeout=cfg.timeout.total_seconds(),
        )
        if cfg.security == "starttls":
            # A failed STARTTLS raises: never continue in plaintext. The
            # connection is closed before that: nobody else holds it.
            try:
                client.starttls(self._ssl_context())
            except BaseException:
                _close_quietly(client)
                raise
        return client

    def connect(self):
        client = quiet_imaplib(self.client_factory())
        try:
            client.login(self.cfg.username, self.cfg.secret() or "")
            info = client.select_folder(self.cfg.folder)
        except BaseException:
            _safe_logout(client)
            raise
        self.stats.connected = True
        uidvalidity = int(info[b"UIDVALIDITY"])
        log.info("connected to %s, UIDVALIDITY %s, %s messages", self.mailbox_key, uidvalidity, info.get(b"EXISTS"))
        return client, uidvalidity

    def problem(self, exc: BaseException) -> str:
        """One line for ops: which server, and what went wrong (never the password)."""
        where = f"IMAP {self.cfg.host}:{self.cfg.effective_port}"
        if isinstance(exc, LoginError):
            what = f"login refused for {self.cfg.username}: {_text(exc)}"
        elif isinstance(exc, socket.gaierror):
            what = f"cannot resolve the host name: {exc.strerror or exc}"
        elif isinstance(exc, ssl.SSLCertVerificationError):
            what = f"TLS: certificate verify failed: {exc.verify_message or exc}"
        elif isinstance(exc, ssl.SSLError):
            what = f"TLS: {exc.reason or exc}"
        elif isinstance(exc, (socket.timeout, TimeoutError)):
            what = "timed out"
        elif isinstance(exc, OSError) and exc.strerror:
            what = exc.strerror[:1].lower() + exc.strerror[1:]
        elif isinstance(exc, EOFError) or (isinstance(exc, IMAPClientError) and "EOF" in str(exc)):
            what = "the server closed the connection (EOF)"
        else:
            what = _text(exc) or type(exc).__name__
        password = self.cfg.secret()
        if password:  # a server that echoes what it was sent must not put it in a log
            what = what.replace(password, "***")
        return f"{where}: {what}"

    # -- one pass over what is new --------------------------------------
    def _cursor(self, uidvalidity: int) -> int:
        with self.pipeline.app.sessions() as s:
            row = s.get(MailboxCursor, self.mailbox_key)
        if row is None:
            return 0
        if row.uidvalidity != uidvalidity:
            # The folder was recreated: UIDs mean nothing any more. Read it all
            # again; Message-IDs already stored are recognised as duplicates.
            log.warning(
                "%s: UIDVALIDITY changed %s -> %s, rescanning the folder",
                self.mailbox_key,
                row.uidvalidity,
                uidvalidity,
            )
            return 0
        return row.last_uid

    def mark_leftovers(self, client, uidvalidity: int) -> int:
        """Mark mail the database already holds but the mailbox does not show as done.

        The connection can die between a commit and the flag (or move) that
        follows it; the cursor has moved past such a mail, so it is marked here,
        once per session, instead of staying unread in the folder for ever.
        """
        last = self._cursor(uidvalidity)
        if last == 0:
            return 0
        criteria = ["UID", f"1:{last}"] if self.cfg.processed_folder else ["UNSEEN", "UID", f"1:{last}"]
        uids = [u for u in client.search(criteria) if u <= last]
        if uids:
            self._mark(client, uids)
            log.info("%s: marked %d message(s) taken in before the connection dropped", self.mailbox_key, len(uids))
        return len(uids)

    def drain(self, client, uidvalidity: int) -> int:
        """Take in every message above the cursor. Returns how many were processed.

        Messages are fetched and committed in chunks (one FETCH, one
        transaction, one STORE per chunk) bounded by count and by bytes, so a
        backlog goes at the database's pace and a large mail comes alone.

        It ends only on a search that found nothing new while the server
        announced no new mail (EXISTS) with it. A mail that arrives while a
        command runs is announced once, in that command's answer, and IDLE
        reports only later news: had that announcement been spent here, the
        mail would wait in the mailbox until the next one arrived.
        """
        done = 0
        empty_with_news = 0
        while not self.stop.is_set():
            _announced_new_mail(client)  # what was announced so far, this search sees
            last = self._cursor(uidvalidity)
            uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
            if not uids:
                if _announced_new_mail(client) and empty_with_news < EXISTS_RECHECKS:
                    empty_with_news += 1
                    continue  # announced with the search's answer, maybe after it ran: look again
                break
            empty_with_news = 0
            batch = uids[: self.cfg.batch_size]
            sizes = {
                uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in client.fetch(batch, ["RFC822.SIZE"]).items()
            }
            for chunk in _chunks([u for u in batch if u in sizes], sizes):
                if self.stop.is_set():
                    break
                if self.lease is not None:
                    self.lease.check()
                fetched = client.fetch(chunk, ["BODY.PEEK[]"])
                items = [
                    Item(bytes(fetched[uid][b"BODY[]"]), cursor=Cursor(self.mailbox_key, uidvalidity, uid))
                    for uid in chunk
                    if b"BODY[]" in fetched.get(uid, {})
                ]  # else expunged meanwhile
                del fetched
                if not items:
                    continue
                self.stats.fetched += len(items)
                outcomes = self.pipeline.process_batch(items)
                del items
                for outcome in outcomes:
                    self.stats.counts[outcome.action] = self.stats.counts.get(outcome.action, 0) + 1
                self._mark(client, chunk)
                done += len(outcomes)
        return done

    def _mark(self, client, uids: list[int]) -> None:
        for i in range(0, len(uids), 500):  # keep each command line well under the server's limit
            self._mark_some(client, uids[i : i + 500])

    def _mark_some(self, client, uids: list[int]) -> None:
        if self.cfg.processed_folder:
            if client.has_capability("MOVE"):
                client.move(uids, self.cfg.processed_folder)
            else:
                client.copy(uids, self.cfg.processed_folder)
                client.delete_messages(uids)
                client.expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
        else:
            client.add_flags(uids, [imapclient.SEEN])

    # -- loops ------------------------------------------------------------
    def run_once(self) -> int:
        if self.lease is not None and not self.lease.try_acquire():
            log.info("%s: another process holds the IMAP session; not reading it", self.mailbox_key)
            return 0
        try:
            client, uidvalidity = self.connect()
        except NETWORK_ERRORS as exc:
            if self.lease is not None:
                self.lease.release()
            raise Unavailable(self.problem(exc)) from exc
        try:
            self.mark_leftovers(client, uidvalidity)
            return self.drain(client, uidvalidity)
        except NETWORK_ERRORS as exc:
            # What was committed stays; the rest is read at the next run.
            raise Unavailable(self.problem(exc)) from exc
        finally:
            _safe_logout(client)
            self.stats.connected = False
            if self.lease is not None:
                self.lease.release()

    def _wait_for_lease(self) -> bool:
        """Hold the mailbox lease, waiting while another process has it. False when stopping."""
        if self.lease is None or self.lease.held:
            return not self.stop.is_set()
        self.stats.standby = True
        while not self.stop.is_set():
            if self.lease.try_acquire():
                self.stats.standby = False
                return True
            self.stop.wait(self.lease_retry)
        return False

    def run_forever(self) -> None:
        try:
            self._run_forever()
        finally:
            if self.lease is not None:
                self.lease.release()

    def _run_forever(self) -> None:
        backoff, login_backoff = Backoff(*NETWORK_BACKOFF), Backoff(*LOGIN_BACKOFF)
        while self._wait_for_lease():
            client = None
            delay = None
            try:
                client, uidvalidity = self.connect()
                backoff.reset()
                login_backoff.reset()
                self.mark_leftovers(client, uidvalidity)
                self.drain(client, uidvalidity)
                if self.cfg.idle and client.has_capability("IDLE"):
                    self._idle_loop(client, uidvalidity)
                else:
                    self._poll_loop(client, uidvalidity)
            except LeaseLost as exc:
                # Another process may be reading the mailbox now: stop at once, wait for the lease.
                self.stats.last_error = str(exc)
                log.warning("%s: %s; leaving the IMAP session", self.mailbox_key, exc)
                continue
            except TemporaryFailure as exc:
                delay = backoff.next()
                self.stats.last_error = str(exc)
                log.warning("%s: %s; retrying in %.0fs", self.mailbox_key, exc, delay)
            except LoginError as exc:
                # LMTP and the outbox go on meanwhile; ops fix [imap] and restart.
                delay = login_backoff.next()
                self.stats.last_error = self.problem(exc)
                log.warning("%s; retrying in %.0fs", self.stats.last_error, delay)
            except NETWORK_ERRORS as exc:
                delay = backoff.next()
                self.stats.last_error = self.problem(exc)
                log.warning(
                    "%s: connection problem (%s); reconnecting in %.0fs", self.mailbox_key, self.stats.last_error, delay
                )
            except Exception:
                delay = backoff.next()
                self.stats.last_error = "unexpected error"
                log.exception("%s: unexpected error; reconnecting in %.0fs", self.mailbox_key, delay)
            finally:
                self.stats.connected = False
                self.stats.idle = False
                if client is not None:
                    _safe_logout(client)
            if self.stop.is_set():
                break
            self.stats.reconnects += 1
            if delay:
                self.stop.wait(delay)

    def _poll_loop(self, client, uidvalidity):
        interval = self.cfg.poll_interval.total_seconds()
        while not self.stop.is_set():
            self.wake.wait(interval)
            self.wake.clear()
            if self.stop.is_set():
                return
            if self.lease is not None:
                self.lease.check(force=True)
            client.noop()
            self.drain(client, uidvalidity)

    def _idle_loop(self, client, uidvalidity):
        """IDLE until the server announces news, then drain; look again every poll_interval regardless.

        The drain before each IDLE ends on a search that found nothing while no
        new mail was announced, so any mail from then on is announced during
        IDLE. The look at poll_interval is the safety net for a server that
        fails to announce one; it costs three short commands.
        """
        window = min(self.cfg.idle_renew, self.cfg.poll_interval).total_seconds()
        sock = client.socket()
        while not self.stop.is_set():
            client.idle()
            self.stats.idle = True
            started = time.monotonic()
            try:
                while not self.stop.is_set() and not self.wake.is_set():
                    left = window - (time.monotonic() - started)
                    if left <= 0:
                        break
                    if self.lease is not None:
                        self.lease.check()
                    if _buffered(client, sock):
                        break  # news read into imaplib's buffer along with "+ idling": poll() cannot see it
                    ready = _wait_readable(sock, self.wake, min(left, IDLE_TICK))
                    if ready == "wake":
                        break  # a stop or a wake-up (set() may have raced a clear(): one more look is cheap)
                    if ready is None:
                        continue
                    # idle_check() swallows EOF and connection errors and returns [].
                    # A socket still readable right after it has been closed or has
                    # failed: leave IDLE, so idle_done() raises and we reconnect,
                    # instead of spinning on it until the next renewal.
                    if client.idle_check(timeout=0) or _readable_now(sock):
                        break
            finally:
                self.stats.idle = False
                client.idle_done()
            self.wake.clear()
            if self.stop.is_set():
                return
            self.drain(client, uidvalidity)


CHUNK_MAILS = 50
CHUNK_BYTES = 16 * 1024 * 1024


def _chunks(uids: list[int], sizes: dict[int, int]):
    """UIDs in runs of at most CHUNK_MAILS and CHUNK_BYTES (a larger mail alone)."""
    chunk, total = [], 0
    for uid in uids:
        if chunk and (len(chunk) >= CHUNK_MAILS or total + sizes[uid] > CHUNK_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(uid)
        total += sizes[uid]
    if chunk:
        yield chunk


def quiet_imaplib(client):
    """Stop imaplib from formatting every response for a debug log nobody reads.

    imapclient sets imaplib's debug level to 5 and routes its messages to the
    ``imapclient.imaplib`` logger; at that level imaplib builds ``repr()`` of
    every response, a fetched mail included, whatever the log level: a 33 MB
    mail cost 80 MB more memory and the time to format it.
    """
    imap = getattr(client, "_imap", None)
    if imap is not None and not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        imap.debug = 0
    return client


def _announced_new_mail(client) -> bool:
    """Has the server announced new mail (an untagged EXISTS) since the last call?

    imaplib keeps the untagged answers of every command until they are asked
    for; ``response()`` is its public way to take them. imapclient offers none.
    """
    imap = getattr(client, "_imap", None)
    if imap is None:
        return False
    _typ, data = imap.response("EXISTS")
    return data != [None]


def _buffered(client, sock) -> bool:
    """Has imaplib already read, but not yet parsed, something from the server?

    A server may send news right behind the "+ idling" that starts IDLE; the
    read of that line can take the news into imaplib's buffer, where waiting
    on the socket would never see it.
    """
    reader = getattr(getattr(client, "_imap", None), "file", None)
    if reader is None or not hasattr(reader, "peek"):
        return False
    timeout = sock.gettimeout()
    try:
        sock.setblocking(False)  # peek() reads the socket only when its buffer is empty
        return bool(reader.peek(1))
    except (OSError, ValueError):
        return False  # nothing buffered and nothing waiting (a TLS socket raises "want read")
    finally:
        sock.settimeout(timeout)


def _wait_readable(sock, wake: WakeEvent, timeout: float) -> str | None:
    """Wait for the socket to have something to read ("sock") or for ``wake`` ("wake"); None after ``timeout``."""
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLPRI)
        poller.register(wake.fileno(), select.POLLIN)
        ready = {fd for fd, _event in poller.poll(timeout * 1000)}
    except (OSError, ValueError):
        return "sock"  # closed under us: let idle_check()/idle_done() report it
    if wake.fileno() in ready:
        return "wake"
    return "sock" if ready else None


def _text(exc: BaseException) -> str:
    """An exception's message on one line, a server's bytes answer decoded."""
    text = str(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return " ".join(text.split())


def _readable_now(sock) -> bool:
    """Does the socket have data, EOF or an error waiting (without blocking)?"""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # closed under us: let idle_done() report it


def _close_quietly(client) -> None:
    """Drop the connection without a word to the server (it may be mid-handshake)."""
    try:
        client.shutdown()
    except Exception:
        pass


def _safe_logout(client) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass
