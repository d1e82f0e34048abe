"""The daemon: the intake doors, the outbox sender, the scheduler and the health listener in one process.

``Daemon.run()`` / ``async_run()`` / ``close()``; signals arrive through the
asyncio loop (SIGTERM stops, SIGHUP reloads). ``once=True`` takes in what is
waiting, runs one SLA tick, sends what is due and returns.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import threading
from importlib.metadata import version

from mailbot.app import App, build_app
from mailbot.config import Settings
from mailbot.daemon.checks import describe_sources
from mailbot.daemon.health import HealthServer, facts
from mailbot.daemon.metrics import Metrics
from mailbot.daemon.reload import ReloadResult, log_result, reload_app
from mailbot.daemon.status import HOLDING
from mailbot.db.engine import safe_url, sqlite_path
from mailbot.db.heartbeat import Heartbeat
from mailbot.errors import AlreadyRunning, Unavailable
from mailbot.intake.imap import ImapSource
from mailbot.intake.lease import MailboxLease
from mailbot.intake.lmtp import start_listener
from mailbot.jobs.scheduler import Scheduler, sla_tick
from mailbot.outbound.outbox import OutboxSender
from mailbot.pipeline.core import Pipeline

log = logging.getLogger("mailbot.daemon")


_VERSION = version("mailbot")


class Daemon:
    """One mailbot process: takes mail in (IMAP, LMTP), sends the outbox, runs the timed jobs.

    The pipeline holds the ``App`` in force; a reload swaps it whole. Mail
    committed by any door wakes the outbox sender at once.
    """

    def __init__(
        self, settings: Settings, *, app: App | None = None, imap_client_factory=None, transport_factory=None, lock=None
    ):
        self.settings = settings
        # The SQLite lock file, when the caller took it before building the app
        # (so a second `run` never migrates the schema under a running daemon).
        self._lock_file = lock
        self.pipeline = Pipeline(app or build_app(settings))
        self.stop_event = threading.Event()
        self.imap = None
        self.lease = None
        if settings.imap is not None:
            self.imap = ImapSource(settings, self.pipeline, client_factory=imap_client_factory, stop=self.stop_event)
            self.lease = MailboxLease(settings.database_url, self.imap.mailbox_key)
            self.imap.lease = self.lease if self.lease.enabled else None
        # Written to the database while this process lives: `mailbot status` reads
        # it, and the outbox ties its claims to it, so mail a dead process had
        # claimed goes out at once from the next one. On SQLite this process is
        # the only one (it holds the lock file): any other row is a dead one's.
        self.heartbeat = Heartbeat(
            lambda: self.app.sessions,
            facts=self._heartbeat_facts,
            sole=settings.database_url.startswith("sqlite"),
            watch=self._imap_holds,
        )
        self._mode = "run"
        self.sender = OutboxSender(
            settings,
            self.app.sessions,
            transport_factory=transport_factory,
            clock=lambda: self.app.clock(),
            process_id=self.heartbeat.id,
        )
        self.outbox_wake = threading.Event()
        self.pipeline.after_commit.append(lambda _outcome: self.outbox_wake.set())
        self.metrics = Metrics()
        self.metrics.add_live(self.health_facts)
        self.pipeline.after_commit.append(self.metrics.outcome)
        self.sender.observer = self.metrics
        self.health_server = None
        self.web = None  # the board (mailbot.web.app.WebServer) while it is served
        self._reload_lock = threading.Lock()
        self.scheduler = None
        self._stopping: asyncio.Event | None = None

    @property
    def app(self) -> App:
        """The rules, templates and settings in force (swapped whole by a reload)."""
        return self.pipeline.app

    def _take_sqlite_lock(self):
        if self._lock_file is None:
            self._lock_file = hold_sqlite_lock(self.app.settings.database_url)

    def run(self, once: bool = False) -> None:
        asyncio.run(self.async_run(once=once))

    async def async_run(self, once: bool = False) -> None:
        self._take_sqlite_lock()
        # Which files and database this process reads: ops editing a folder mailbot
        # does not read see it here at once.
        for line in describe_sources(self.settings):
            log.info("%s", line)
        self._mode = "once" if once else "run"
        try:
            await asyncio.to_thread(self._start_heartbeat)
            if once:
                await self._run_once()
            else:
                await self._run_forever()
        finally:
            await asyncio.to_thread(self.heartbeat.stop)
            self.close()

    def _start_heartbeat(self):
        try:
            self.heartbeat.start()
        except Exception as exc:  # the database itself: nothing else would work either
            raise Unavailable(
                f"database {safe_url(self.settings.database_url)}: "
                f"{(str(exc).strip().splitlines() or [type(exc).__name__])[0]}"
            ) from None

    def _imap_holds(self) -> str | None:
        """What `mailbot status` must learn at once: the mailbox session held, lost or on standby.

        Idle and connected both hold it (the session leaves IDLE for every mail it takes in),
        so that flip is not worth a database write; it goes with the next beat.
        """
        if self.imap is None:
            return None
        state = self.imap.stats.state
        return "holding" if state in HOLDING else state

    def _heartbeat_facts(self) -> dict:
        facts = {"mode": self._mode, "version": _VERSION}
        if self.imap is not None:
            st = self.imap.stats
            facts["imap"] = {
                "mailbox": self.imap.mailbox_key,
                "state": st.state,
                "reconnects": st.reconnects,
                "last_error": st.last_error,
            }
        if self.settings.lmtp.enabled and self._mode == "run":
            facts["lmtp"] = f"{self.settings.lmtp.host}:{self.settings.lmtp.port}"
        if self.settings.web.enabled and self._mode == "run":
            facts["web"] = f"{self.settings.web.host}:{self.settings.web.port}"
        return facts

    async def _run_once(self):
        problems: list[Unavailable] = []
        early_error = None
        if self.imap is not None:
            # In a backlog the first clients hear from us while the rest is still coming in,
            # not after the whole mailbox: each committed batch wakes the sender.
            intake_done = threading.Event()
            sending = asyncio.create_task(asyncio.to_thread(self._send_during, intake_done))
            try:
                await asyncio.to_thread(self.imap.run_once)
            except Unavailable as exc:
                # Mail that came in by LMTP or `ingest` is still sent; the run then fails.
                problems.append(exc)
            finally:
                intake_done.set()
                self.outbox_wake.set()
                early_error = await sending
        await asyncio.to_thread(sla_tick, self.app)
        # The relay refused while intake ran: what that left queued waits for its retry, and
        # the run fails the same as when the last sending finds the relay down.
        relay_error = await asyncio.to_thread(self.send_all_due) or early_error
        # For ops running it from cron: what the run did, in one line, without counting log lines.
        log.info("run --once: %s", self.metrics.summary())
        if relay_error is not None:
            problems.append(Unavailable(self._relay_problem(relay_error)))
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise Unavailable("; ".join(map(str, problems))) from problems[0]

    def _send_during(self, intake_done: threading.Event) -> str | None:
        """Send what each commit queues until ``intake_done``; the relay's error stops it."""
        while not intake_done.is_set():
            if not self.outbox_wake.wait(0.5):
                continue
            self.outbox_wake.clear()
            if intake_done.is_set():
                break  # the last sending, after the SLA tick, takes the rest
            try:
                error = self.send_all_due()
            except Exception:
                log.exception("outbox sender failed during intake; the rest goes after it")
                return None
            if error is not None:
                return error
        return None

    def _relay_problem(self, error: str) -> str:
        smtp = self.settings.smtp
        where = f"{smtp.host}:{smtp.effective_port}" if smtp is not None else "?"
        # The outbox's message may name the relay already: say it once.
        error = error.removeprefix(f"cannot connect to {where}: ")
        return f"SMTP relay {where}: {error}"

    def send_all_due(self) -> str | None:
        """Send until nothing is due now (a retry scheduled later is left for later).

        Returns the relay's error when the relay could not be reached or refused
        our login (the mail stays queued for its retry), else None.
        """
        transport = self.sender.transport_factory()  # one relay connection for the whole run
        try:
            while True:
                report = self.sender.send_due(transport=transport)
                if report.relay_error is not None:
                    # The rest waits for the retry: claiming the next 25 would only try
                    # the dead relay again, one connect timeout each (a stop would wait them all).
                    return report.relay_error
                if report.sent + report.retried + report.failed == 0:
                    return None
        finally:
            transport.close()

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
        # The listening ports first: a port taken is one line and exit 69, before
        # any thread starts or any mail is touched.
        server = await self._listen()
        tasks = []
        try:
            if self.imap is not None:
                tasks.append(asyncio.create_task(asyncio.to_thread(self.imap.run_forever), name="imap"))
            tasks.append(asyncio.create_task(self._outbox_loop(), name="outbox"))
            self.scheduler = Scheduler(lambda: self.pipeline.app, on_mail=self.outbox_wake.set)
            self.scheduler.start()
            log.info("mailbot running (database %s)", safe_url(self.settings.database_url))
            await self._stopping.wait()
            log.info("stopping")
        finally:
            # Also when starting failed half-way: threads already started must end,
            # or asyncio.run would wait for them for ever.
            self._tell_everyone_to_stop()
            if server is not None:
                server.close()  # no new LMTP sessions; a delivery under way finishes
            # Every wait has been told (stop_event, the wake-ups): the threads end
            # together, none waiting out a timeout, and asyncio.run's executor
            # shutdown has nothing left to wait for after "stopped".
            waits = list(tasks)
            if self.scheduler is not None:
                waits.append(asyncio.to_thread(self.scheduler.shutdown))
            if self.health_server is not None:
                waits.append(asyncio.to_thread(self.health_server.stop))
            if self.web is not None:
                waits.append(self.web.stop())  # a request under way finishes (up to 5 s)
            for result in await asyncio.gather(*waits, return_exceptions=True):
                if isinstance(result, Exception):
                    log.error("while stopping: %s: %s", type(result).__name__, result)
            self.health_server = None
            self.web = None
            if server is not None:
                await server.wait_closed()
        # Whatever was queued by the last messages goes out before exit.
        await asyncio.to_thread(self.send_all_due)
        log.info("stopped")

    async def _listen(self):
        """Bind the health, LMTP and web ports; Unavailable naming the one that cannot be had."""
        if self.settings.health.enabled:
            h = self.settings.health
            try:
                self.health_server = HealthServer(h.host, h.port, self.health_facts, self.metrics.exposition).start()
            except OSError as exc:
                raise Unavailable(f"health listener {h.host}:{h.port}: {_os_reason(exc)}") from None
            log.info("health on http://%s:%s/healthz and /metrics", h.host, self.health_server.port)
        server = None
        try:
            if self.settings.lmtp.enabled:
                lm = self.settings.lmtp
                try:
                    server = await start_listener(self.pipeline, lm.host, lm.port, lm.protocol)
                except OSError as exc:
                    raise Unavailable(
                        f"{lm.protocol.upper()} listener {lm.host}:{lm.port}: {_os_reason(exc)}"
                    ) from None
            if self.settings.web.enabled:
                await self._start_web()
        except BaseException:
            if server is not None:
                server.close()
                await server.wait_closed()
            if self.health_server is not None:
                await asyncio.to_thread(self.health_server.stop)
                self.health_server = None
            raise
        return server

    async def _start_web(self):
        """The web board in this loop; its handlers run in threads, so database work stays off the loop LMTP shares."""
        # Imported here: a daemon without the board never loads Starlette, uvicorn or the pages.
        from mailbot.web.app import create_app, start_server

        web = self.settings.web
        board = create_app(lambda: self.pipeline.app)
        self.web = await start_server(board, web.host, web.port)
        log.info("web board on %s (listening on %s:%s)", web.base_url, web.host, self.web.port)

    def health_facts(self) -> dict:
        return facts(self.pipeline.app, self.imap)

    def _tell_everyone_to_stop(self):
        """Set the stop flag and wake every thread waiting on something, so none waits out its timeout."""
        self.stop_event.set()
        self.outbox_wake.set()
        if self.imap is not None:
            self.imap.request_stop()

    def request_stop(self):
        self._tell_everyone_to_stop()
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
        """Send what is due, then wait for new mail or the next tick; ends when stopping.

        It ends by itself rather than being cancelled: a cancelled task leaves
        its thread waiting on the wake-up, and asyncio.run waits for that thread.
        """
        interval = self.settings.outbox.interval.total_seconds()
        while not self.stop_event.is_set():
            try:
                await asyncio.to_thread(self.send_all_due)
            except Exception:
                log.exception("outbox sender failed; retrying at the next tick")
            if self.stop_event.is_set():
                return  # _run_forever sends what is left, once everything else stopped
            if await asyncio.to_thread(self.outbox_wake.wait, interval):
                # Cleared before the next send: a wake-up from now on is not lost.
                self.outbox_wake.clear()

    def close(self):
        if self.health_server is not None:
            self.health_server.stop()
            self.health_server = None
        if self.lease is not None:
            self.lease.close()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self.app.close()


def hold_sqlite_lock(url: str):
    """Hold the lock file beside a SQLite database (the open file), or None for a server database.

    SQLite serves one mailbot process; a second one is refused here, before it
    builds its app (which would migrate the schema under the running one).
    """
    path = sqlite_path(url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path.with_name(path.name + ".lock"), "a+")  # noqa: SIM115 (held open: the lock lasts as long as the file)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise AlreadyRunning(
            f"another mailbot process is running on {path}; SQLite serves one "
            "process — stop it, or use PostgreSQL ([database] url) for several"
        ) from None
    return fh


def _os_reason(exc: OSError) -> str:
    """ "address already in use", not "[Errno 98] error while attempting to bind on address ..."."""
    if exc.errno and exc.errno > 0:  # asyncio rewords the message; the number says it plainly
        reason = os.strerror(exc.errno)
    else:  # a host name that does not resolve (getaddrinfo's codes are negative)
        reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]
