"""Which mailbot processes are alive, told by a heartbeat row each one writes.

One mechanism answers two questions. ``mailbot status`` asks "is a daemon
running?"; the outbox asks "is the process that claimed this mail still
alive?", so that a mail claimed by a process that died is sent at once by the
next one instead of after the claim's lease (five minutes by default) while a
client waits for the acknowledgement the terms promise within 30 minutes.

A process is alive while its row's ``beat_at`` is younger than EXPIRY. Times
are real time, never the app's injected clock: liveness is about now, not about
the business time a test may be playing with. On PostgreSQL they are the
server's own clock (``now()``), so processes and ``status`` on several machines
agree whatever their clocks say; SQLite serves one machine. On SQLite
one process runs at a time (it holds the database's lock file), so every other
row found at start-up is a dead process's and is removed at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import Outbox, Process, utcnow
from mailbot.vocab import SendStatus

log = logging.getLogger("mailbot.heartbeat")

BEAT_EVERY = timedelta(seconds=2)
# Five missed beats: a live process under load (a long SQLite write, a busy
# core) is not taken for dead, and a dead one is noticed within seconds.
EXPIRY = timedelta(seconds=10)
# Rows of dead processes are kept this long so `status` can say when one was last seen.
FORGET_AFTER = timedelta(days=7)
# How often the watched facts are compared (cheap: no database unless they changed).
WATCH_EVERY = 0.25


def _now(dialect: str):
    """What "now" is for heartbeats: the server's clock on PostgreSQL, this machine's on SQLite."""
    return func.now() if dialect == "postgresql" else utcnow()


def db_now(session: Session) -> datetime:
    """The heartbeats' "now" as a value."""
    if session.bind.dialect.name == "postgresql":
        return session.scalar(select(func.now()))
    return utcnow()


def live(dialect: str):
    """A SELECT of the ids of processes whose heartbeat is fresh."""
    return select(Process.id).where(Process.beat_at > _now(dialect) - EXPIRY)


def processes(session: Session, now: datetime | None = None) -> tuple[list[Process], list[Process]]:
    """(alive, dead) process rows, the most recent beat first."""
    now = now or db_now(session)
    rows = list(session.scalars(select(Process).order_by(Process.beat_at.desc())))
    alive = [r for r in rows if r.beat_at > now - EXPIRY]
    return alive, [r for r in rows if r.beat_at <= now - EXPIRY]


class Heartbeat:
    """This process's row, refreshed every BEAT_EVERY by a thread of its own.

    ``sole``: the caller holds an exclusive lock on the database (SQLite), so
    any other row is a dead process's: removed, and its outbox claims freed.
    """

    def __init__(
        self,
        sessions: Callable[[], sessionmaker[Session]],
        *,
        facts: Callable[[], dict] | None = None,
        sole: bool = False,
        every: timedelta = BEAT_EVERY,
        watch: Callable[[], object] | None = None,
    ):
        self.id = uuid.uuid4().hex
        self._sessions = sessions
        self._facts = facts or dict
        self._sole = sole
        self._every = every.total_seconds()
        # ``watch`` returns the facts whose change `mailbot status` must show at once (the IMAP
        # session lost or taken back): a change is written within WATCH_EVERY, not at the next beat.
        self._watch = watch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> Heartbeat:
        with self._sessions().begin() as s:
            now = db_now(s)
            if self._sole:
                freed = s.execute(
                    update(Outbox)
                    .where(Outbox.status == SendStatus.QUEUED, Outbox.claimed_by.is_not(None))
                    .values(claimed_by=None, next_attempt_at=now)
                ).rowcount
                s.execute(delete(Process))
                if freed:
                    log.info("%d mails claimed by a process that is gone are due again", freed)
            else:
                s.execute(delete(Process).where(Process.beat_at < now - FORGET_AFTER))
            s.add(self._row(now))
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def _row(self, now: datetime) -> Process:
        return Process(
            id=self.id,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            beat_at=now,
            facts=self._safe_facts(),
        )

    def _safe_facts(self) -> dict:
        try:
            return self._facts()
        except Exception:
            log.exception("heartbeat facts failed")
            return {}

    def beat(self) -> None:
        with self._sessions().begin() as s:
            now = db_now(s)
            found = s.execute(
                update(Process).where(Process.id == self.id).values(beat_at=now, facts=self._safe_facts())
            ).rowcount
            if not found:
                # Removed as dead (a pause longer than EXPIRY, or a restart of
                # the database): write it again; our claims may have been taken
                # over, which only means a mail may go twice (same Message-ID).
                s.add(self._row(now))

    def _run(self) -> None:
        wait = min(WATCH_EVERY, self._every) if self._watch else self._every
        seen = self._watched()
        due = time.monotonic() + self._every
        while not self._stop.wait(wait):
            now_seen = self._watched()
            if now_seen == seen and time.monotonic() < due:
                continue
            seen, due = now_seen, time.monotonic() + self._every
            try:
                self.beat()
            except Exception as exc:
                if not self._failing:  # one line per outage, not one per beat
                    log.warning(
                        "heartbeat not written: %s: %s",
                        type(exc).__name__,
                        str(exc).splitlines()[0] if str(exc) else "",
                    )
                self._failing = True
            else:
                if self._failing:
                    log.info("heartbeat written again")
                self._failing = False

    def _watched(self) -> object:
        if self._watch is None:
            return None
        try:
            return self._watch()
        except Exception:  # a fact that cannot be read is not worth a write; the next beat carries it
            return None

    def stop(self) -> None:
        """Stop beating and remove the row: a clean stop is not running, at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            with self._sessions().begin() as s:
                s.execute(delete(Process).where(Process.id == self.id))
        except Exception as exc:
            log.warning(
                "heartbeat row not removed (%s); it expires in %ss", type(exc).__name__, int(EXPIRY.total_seconds())
            )
