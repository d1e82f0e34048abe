import json
import os
import subprocess
import sys

from mailbot.app import build_app
from mailbot.daemon import Daemon
from mailbot.tickets import list_tickets, show_ticket


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
