"""The daemon: intake doors, the outbox sender and (later) the scheduler in one loop.

``run()`` / ``async_run()`` / ``close()``; signals arrive through the loop;
``once=True`` takes in what is waiting, sends what is due and returns.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import signal
import threading
from pathlib import Path

from mailbot.app import App, build_app
from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.intake.imap import ImapSource
from mailbot.intake.lmtp import start_listener
from mailbot.outbox import OutboxSender
from mailbot.pipeline import Pipeline
from mailbot.reload import ReloadResult, log_result, reload_app

log = logging.getLogger("mailbot.daemon")


class AlreadyRunning(MailbotError):
    pass


class Daemon:
    def __init__(self, settings: Settings, *, app: App | None = None, imap_client_factory=None,
                 transport_factory=None):
        self.settings = settings
        self.pipeline = Pipeline(app or build_app(settings))
        self.stop_event = threading.Event()
        self.imap = None
        self.lease = None
        if settings.imap is not None:
            from mailbot.lease import MailboxLease

            self.imap = ImapSource(settings, self.pipeline, client_factory=imap_client_factory,
                                   stop=self.stop_event)
            self.lease = MailboxLease(settings.database_url, self.imap.mailbox_key)
            self.imap.lease = self.lease if self.lease.enabled else None
        self.sender = OutboxSender(settings, self.app.sessions, transport_factory=transport_factory,
                                   clock=lambda: self.app.clock())
        self.outbox_wake = threading.Event()
        self.pipeline.after_commit.append(lambda _outcome: self.outbox_wake.set())
        from mailbot.metrics import Metrics

        self.metrics = Metrics()
        self.metrics.add_live(self.health_facts)
        self.pipeline.after_commit.append(self.metrics.outcome)
        self.sender.observer = self.metrics
        self.health_server = None
        self._lock_file = None
        self._reload_lock = threading.Lock()
        self.scheduler = None
        self._stopping: asyncio.Event | None = None

    @property
    def app(self) -> App:
        """The rules, templates and settings in force (swapped whole by a reload)."""
        return self.pipeline.app

    # -- single-process guard for SQLite ----------------------------------
    def _take_sqlite_lock(self):
        url = self.app.settings.database_url
        if not url.startswith("sqlite:///"):
            return
        path = Path(url[len("sqlite:///"):] + ".lock")
        fh = open(path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise AlreadyRunning(
                f"another mailbot process is running on {url[len('sqlite:///'):]}; SQLite serves one "
                "process — stop it, or use PostgreSQL ([database] url) for several"
            ) from None
        self._lock_file = fh

    def run(self, once: bool = False) -> None:
        asyncio.run(self.async_run(once=once))

    async def async_run(self, once: bool = False) -> None:
        self._take_sqlite_lock()
        try:
            if once:
                await self._run_once()
            else:
                await self._run_forever()
        finally:
            self.close()

    async def _run_once(self):
        from mailbot.scheduler import sla_tick

        if self.imap is not None:
            await asyncio.to_thread(self.imap.run_once)
        await asyncio.to_thread(sla_tick, self.app)
        await asyncio.to_thread(self.send_all_due)

    def send_all_due(self):
        """Send until nothing is due now (a retry scheduled later is left for later)."""
        while True:
            report = self.sender.send_due()
            if report.sent + report.retried + report.failed == 0:
                return

    async def _run_forever(self):
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._loop = loop
        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.request_stop)
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        except (ValueError, RuntimeError):
            pass  # not the main thread (embedded in tests): stop with request_stop()
        tasks = []
        server = None
        if self.settings.health.enabled:
            from mailbot.health import HealthServer

            h = self.settings.health
            self.health_server = HealthServer(h.host, h.port, self.health_facts, self.metrics.registry).start()
            log.info("health on http://%s:%s/healthz and /metrics", h.host, self.health_server.port)
        if self.settings.lmtp.enabled:
            lm = self.settings.lmtp
            server = await start_listener(self.pipeline, lm.host, lm.port, lm.protocol)
        if self.imap is not None:
            tasks.append(asyncio.create_task(asyncio.to_thread(self.imap.run_forever), name="imap"))
        tasks.append(asyncio.create_task(self._outbox_loop(), name="outbox"))
        from mailbot.scheduler import Scheduler

        self.scheduler = Scheduler(lambda: self.pipeline.app, on_mail=self.outbox_wake.set)
        self.scheduler.start()
        log.info("mailbot running (database %s)", self.settings.database_url.split("@")[-1])
        await self._stopping.wait()
        log.info("stopping")
        self.stop_event.set()
        await asyncio.to_thread(self.scheduler.shutdown)
        if server is not None:
            server.close()
            await server.wait_closed()
        for t in tasks:
            if t.get_name() == "outbox":
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.health_server is not None:
            await asyncio.to_thread(self.health_server.stop)
        # Whatever was queued by the last messages goes out before exit.
        await asyncio.to_thread(self.send_all_due)
        log.info("stopped")

    def health_facts(self) -> dict:
        from mailbot.health import facts

        return facts(self.pipeline.app, self.imap)

    def request_stop(self):
        self.stop_event.set()
        self.outbox_wake.set()
        if self._stopping is not None:
            # Thread-safe: may be called from outside the daemon's loop.
            self._loop.call_soon_threadsafe(self._stopping.set)

    def reload(self) -> ReloadResult:
        """Re-read config, rules and templates; keep the running set if anything is wrong."""
        with self._reload_lock:
            result = reload_app(self.pipeline.app)
            log_result(result)
            if result.ok:
                self.pipeline.app = result.app
            return result

    async def _outbox_loop(self):
        interval = self.settings.outbox.interval.total_seconds()
        while True:
            try:
                await asyncio.to_thread(self.send_all_due)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox sender failed; retrying at the next tick")
            woke = await asyncio.to_thread(self.outbox_wake.wait, interval)
            if woke:
                self.outbox_wake.clear()

    def close(self):
        if self.lease is not None:
            self.lease.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.app.close()
