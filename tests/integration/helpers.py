import json
import os
import subprocess
import sys
import threading
from email.message import EmailMessage
from email.utils import make_msgid

from mailbot.app import build_app
from mailbot.daemon.runner import Daemon
from mailbot.pipeline.core import Pipeline
from mailbot.tickets.views import list_tickets, show_ticket


class DeskBase:
    """One mailbot in this process over a real database: mail in through the pipeline, tickets out."""

    def __init__(self, settings, clock=None):
        self.settings = settings
        self.app = build_app(settings, clock=clock)
        self.pipeline = Pipeline(self.app)

    def scalar(self, q):
        with self.app.sessions() as s:
            return s.scalar(q)

    def tickets(self):
        with self.app.sessions() as s:
            return list_tickets(s)

    def show(self, number):
        with self.app.sessions() as s:
            return show_ticket(s, number)

    def close(self):
        self.app.close()


def run_once(settings, **kw):
    """Run the daemon in one-shot mode: take in what waits, send what is queued."""
    Daemon(settings, **kw).run(once=True)


def tickets(settings):
    app = build_app(settings)
    try:
        with app.sessions() as s:
            return list_tickets(s)
    finally:
        app.close()


def ticket(settings, number):
    app = build_app(settings)
    try:
        with app.sessions() as s:
            return show_ticket(s, number)
    finally:
        app.close()


def cli(*args, config=None, input=None, check=True, env=None):
    cmd = [sys.executable, "-m", "mailbot"]
    if config:
        cmd += ["--config", str(config)]
    cmd += list(args)
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=60, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc


def cli_json(*args, config=None):
    return json.loads(cli(*args, "--json", config=config).stdout)


AUTH_OK = "mx.imagenti.mx; dkim=pass header.d=imagenti.mx; spf=pass smtp.mailfrom=imagenti.mx"


def team_headers(extra=None):
    """Headers our own MTA adds to a team member's authenticated mail."""
    return {"Authentication-Results": AUTH_OK, **(extra or {})}


class Running:
    """The daemon in a thread, stopped (and joined) on exit."""

    def __init__(self, settings, **kw):
        from tests.servers import wait_until

        self._wait_until = wait_until
        self.daemon = Daemon(settings, **kw)
        self.thread = threading.Thread(target=self.daemon.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.daemon

    def __exit__(self, *exc):
        self._wait_until(lambda: self.daemon._stopping is not None, 10, what="daemon start")
        self.daemon.request_stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


def append_many(dovecot, count: int, prefix: str) -> None:
    """``count`` client mails, each from its own sender (no rate limit), in one IMAP session."""
    with dovecot.client() as c:
        for k in range(1, count + 1):
            msg = EmailMessage()
            msg["From"] = f"Cliente {k} <cliente{k}@empresa{k % 7}.com.mx>"
            msg["To"] = "soporte@imagenti.mx"
            msg["Subject"] = f"{prefix} {k}: el equipo no enciende"
            msg["Message-ID"] = make_msgid(idstring=f"{prefix}{k}", domain="empresa.com.mx")
            msg.set_content("Buen día, el equipo no enciende desde ayer.")
            c.append("INBOX", msg.as_bytes())
