"""mailbot as the tests run it: the daemon in a thread or in a process of its own, one pass, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from click.testing import CliRunner

from mailbot import cli as cli_module
from mailbot.daemon.runner import Daemon
from tests.support.servers import wait_until

MAILBOT = [sys.executable, "-m", "mailbot"]


def run_once(settings, **kw):
    """Run the daemon in one-shot mode: take in what waits, send what is queued."""
    Daemon(settings, **kw).run(once=True)


class Running:
    """The daemon in a thread, stopped (and joined) on exit."""

    def __init__(self, settings, **kw):
        self.daemon = Daemon(settings, **kw)
        self.thread = threading.Thread(target=self.daemon.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self.daemon

    def __exit__(self, *exc):
        wait_until(lambda: self.daemon._stopping is not None, 10, what="daemon start")
        self.daemon.request_stop()
        self.thread.join(30)
        assert not self.thread.is_alive()


def mailbot_run(config, *, verbose: int = 0, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """``mailbot --config CONFIG run`` in a process of its own, as a service manager starts it.

    ``stdout``/``stderr`` as for Popen (a file to keep the log); the caller stops it.
    """
    return subprocess.Popen([*MAILBOT, "--config", str(config), *["-v"] * verbose, "run"], stdout=stdout, stderr=stderr)


def cli(*args, config=None, input=None, check=True, env=None, text=False) -> subprocess.CompletedProcess:
    """``mailbot [--config CONFIG] ARGS`` in a subprocess; ``check``: fail the test unless it exits 0."""
    cmd = [*MAILBOT]
    if config:
        cmd += ["--config", str(config)]
    cmd += list(args)
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=60, env=full_env, text=text)
    if check and proc.returncode != 0:
        stderr = proc.stderr if text else proc.stderr.decode(errors="replace")
        raise AssertionError(f"{cmd} exited {proc.returncode}: {stderr}")
    return proc


def cli_json(*args, config=None):
    """What ``mailbot ARGS --json`` printed, read back."""
    return json.loads(cli(*args, "--json", config=config).stdout)


def in_process_cli(monkeypatch):
    """``invoke(*args, ...)``: the ``mailbot`` command run by click's CliRunner in this process.

    The CLI's own logging setup is left out: it would reconfigure the root
    logger of the test process (pytest captures what the command logs).
    """
    monkeypatch.setattr(cli_module, "_setup_logging", lambda *a, **k: None)

    def invoke(*args, input=None, catch_exceptions=True, prog_name=None):
        return CliRunner().invoke(
            cli_module.cli, [str(a) for a in args], input=input, catch_exceptions=catch_exceptions, prog_name=prog_name
        )

    return invoke
