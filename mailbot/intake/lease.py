"""Which process holds a mailbox's IMAP session, when several share one PostgreSQL.

A PostgreSQL session advisory lock, held on a connection of its own: when
the holder dies or loses its database connection the server drops the lock
and a waiting process takes it at its next try (every ``retry`` seconds).
The holder checks its lock connection while it works and stops reading the
mailbox the moment that check fails, so two processes never drain one
mailbox at once. SQLite serves one process (``mailbot run`` refuses a
second), so there the lease is always held.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from mailbot.errors import LeaseLost

log = logging.getLogger("mailbot.lease")


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"mailbot:{name}".encode()).digest()[:8], "big", signed=True)


class MailboxLease:
    def __init__(self, database_url: str, name: str, *, check_every: float = 2.0):
        self.name = name
        self.key = lock_key(name)
        self.check_every = check_every
        self.enabled = database_url.startswith("postgresql")
        self._engine = None
        if self.enabled:
            url = (
                "postgresql+psycopg://" + database_url[len("postgresql://") :]
                if database_url.startswith("postgresql://")
                else database_url
            )
            # NullPool: closing the connection really closes it, and with it the lock.
            self._engine = create_engine(
                url,
                poolclass=NullPool,
                connect_args={
                    "keepalives": 1,
                    "keepalives_idle": 5,
                    "keepalives_interval": 2,
                    "keepalives_count": 3,
                    "application_name": f"mailbot imap lease {name}"[:63],
                },
            )
        self._conn = None
        self._checked = 0.0
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return not self.enabled or self._conn is not None

    def try_acquire(self) -> bool:
        if not self.enabled or self._conn is not None:
            return True
        with self._mutex:
            try:
                conn = self._engine.connect()
            except Exception as exc:
                log.warning("mailbox lease %s: database unreachable (%s)", self.name, type(exc).__name__)
                return False
            try:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
                conn.commit()
            except Exception:
                conn.close()
                return False
            if not got:
                conn.close()
                return False
            self._conn = conn
            self._checked = time.monotonic()
        log.info("mailbox lease %s: this process now holds the IMAP session", self.name)
        return True

    def check(self, force: bool = False) -> None:
        """Raise LeaseLost when the lock connection is gone (checked at most every ``check_every`` s)."""
        if not self.enabled:
            return
        if self._conn is None:
            raise LeaseLost(f"mailbox lease {self.name} is not held")
        now = time.monotonic()
        if not force and now - self._checked < self.check_every:
            return
        with self._mutex:
            try:
                self._conn.execute(text("SELECT 1")).scalar()
                self._conn.commit()
                self._checked = now
            except Exception as exc:
                self._drop()
                raise LeaseLost(f"mailbox lease {self.name}: lock connection lost ({type(exc).__name__})") from exc

    def release(self) -> None:
        with self._mutex:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                    self._conn.commit()
                except Exception:
                    pass
                self._drop()

    def _drop(self) -> None:
        try:
            self._conn.close()
        except Exception:
            pass
        self._conn = None

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()
