"""IMAP intake: IDLE when the server has it, polling otherwise.

imapclient is synchronous; this runs in a thread of its own and calls the
pipeline directly. The database cursor (UIDVALIDITY, last UID) is the source
of truth for what is new; the message is flagged ``\\Seen`` (or moved) only
after the pipeline committed, so a crash in between costs a harmless
duplicate check, never a lost mail.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

import imapclient
from imapclient.exceptions import IMAPClientError

from mailbot.config import Settings
from mailbot.db.models import MailboxCursor
from mailbot.errors import TemporaryFailure
from mailbot.lease import LeaseLost, MailboxLease
from mailbot.pipeline import Cursor, Item, Pipeline

log = logging.getLogger("mailbot.imap")

NETWORK_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)


@dataclass
class ImapStats:
    connected: bool = False
    reconnects: int = 0
    fetched: int = 0
    last_error: str | None = None
    idle: bool = False
    standby: bool = False  # another process holds the mailbox lease
    last_poll: float | None = None
    counts: dict = field(default_factory=dict)

    @property
    def state(self) -> str:
        if self.standby:
            return "standby"
        if self.idle:
            return "idle"
        return "connected" if self.connected else "disconnected"


class ImapSource:
    def __init__(self, settings: Settings, pipeline: Pipeline, *, client_factory=None,
                 stop: threading.Event | None = None, lease: MailboxLease | None = None,
                 lease_retry: float = 2.0):
        self.settings = settings
        self.cfg = settings.imap
        self.pipeline = pipeline
        self.client_factory = client_factory or self._make_client
        self.stop = stop or threading.Event()
        self.stats = ImapStats()
        self.mailbox_key = f"{self.cfg.username}@{self.cfg.host}:{self.cfg.effective_port}/{self.cfg.folder}"
        self.wake = threading.Event()
        # Several processes on one PostgreSQL: only the lease holder reads the mailbox.
        self.lease = lease
        self.lease_retry = lease_retry

    # -- connection -------------------------------------------------------
    def _ssl_context(self):
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        return ctx

    def _make_client(self) -> imapclient.IMAPClient:
        cfg = self.cfg
        client = imapclient.IMAPClient(
            cfg.host, port=cfg.effective_port, ssl=cfg.security == "tls",
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
        log.info("connected to %s, UIDVALIDITY %s, %s messages", self.mailbox_key, uidvalidity,
                 info.get(b"EXISTS"))
        return client, uidvalidity

    # -- one pass over what is new --------------------------------------
    def _cursor(self, uidvalidity: int) -> int:
        with self.pipeline.app.sessions() as s:
            row = s.get(MailboxCursor, self.mailbox_key)
        if row is None:
            return 0
        if row.uidvalidity != uidvalidity:
            # The folder was recreated: UIDs mean nothing any more. Read it all
            # again; Message-IDs already stored are recognised as duplicates.
            log.warning("%s: UIDVALIDITY changed %s -> %s, rescanning the folder",
                        self.mailbox_key, row.uidvalidity, uidvalidity)
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
        """
        done = 0
        while not self.stop.is_set():
            last = self._cursor(uidvalidity)
            uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
            if not uids:
                break
            batch = uids[: self.cfg.batch_size]
            sizes = {uid: int(data.get(b"RFC822.SIZE", 0))
                     for uid, data in client.fetch(batch, ["RFC822.SIZE"]).items()}
            for chunk in _chunks([u for u in batch if u in sizes], sizes):
                if self.stop.is_set():
                    break
                if self.lease is not None:
                    self.lease.check()
                fetched = client.fetch(chunk, ["BODY.PEEK[]"])
                items = [Item(bytes(fetched[uid][b"BODY[]"]), cursor=Cursor(self.mailbox_key, uidvalidity, uid))
                         for uid in chunk if b"BODY[]" in fetched.get(uid, {})]  # else expunged meanwhile
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
            if len(uids) <= len(batch):
                break
        self.stats.last_poll = time.time()
        return done

    def _mark(self, client, uids: list[int]) -> None:
        for i in range(0, len(uids), 500):  # keep each command line well under the server's limit
            self._mark_some(client, uids[i:i + 500])

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
        client, uidvalidity = self.connect()
        try:
            self.mark_leftovers(client, uidvalidity)
            return self.drain(client, uidvalidity)
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
        backoff = 1.0
        while self._wait_for_lease():
            client = None
            try:
                client, uidvalidity = self.connect()
                backoff = 1.0
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
                self.stats.last_error = str(exc)
                log.warning("%s: %s; retrying in %.0fs", self.mailbox_key, exc, backoff)
            except NETWORK_ERRORS as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s: connection problem (%s: %s); reconnecting in %.0fs",
                            self.mailbox_key, type(exc).__name__, exc, backoff)
            except Exception:
                self.stats.last_error = "unexpected error"
                log.exception("%s: unexpected error; reconnecting in %.0fs", self.mailbox_key, backoff)
            finally:
                self.stats.connected = False
                self.stats.idle = False
                if client is not None:
                    _safe_logout(client)
            if self.stop.is_set():
                break
            self.stats.reconnects += 1
            self.stop.wait(backoff)
            backoff = min(backoff * 2, 60.0)

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
        renew = self.cfg.idle_renew.total_seconds()
        while not self.stop.is_set():
            client.idle()
            self.stats.idle = True
            started = time.monotonic()
            responses = []
            try:
                # Short checks so a stop request is seen within a second; the
                # IDLE itself is re-issued before the server's 30-minute limit.
                while not self.stop.is_set() and time.monotonic() - started < renew:
                    if self.lease is not None:
                        self.lease.check()
                    responses = client.idle_check(timeout=1)
                    # idle_check() swallows EOF and connection errors and returns [].
                    # A socket still readable right after it has been closed or has
                    # failed: leave IDLE, so idle_done() raises and we reconnect,
                    # instead of spinning on it until the next renewal.
                    if responses or self.wake.is_set() or _readable_now(client.socket()):
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
