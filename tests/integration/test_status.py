"""`mailbot status` answers "is it running?" from the heartbeats, with or without [health]."""

import os
import signal
import subprocess
import sys

import pytest

from tests.support.config import imap_section
from tests.support.runners import cli, mailbot_run
from tests.support.servers import free_port, wait_until

pytestmark = [pytest.mark.servers, pytest.mark.timeout(120)]


def _status(settings):
    proc = cli("status", config=settings.source, check=False)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.mark.parametrize("health", [False, True])
def test_status_follows_the_daemon_through_start_stop_and_sigkill(make_settings, db_url, dovecot, health):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), health={"enabled": health, "port": free_port()})
    cli("db", "upgrade", config=settings.source)
    code, out, err = _status(settings)
    assert code == 3 and "not running" in out, (out, err)

    proc = mailbot_run(settings.source)
    try:
        wait_until(lambda: _status(settings)[0] == 0, 60, interval=0.5, what="status: running")
        code, out, _ = _status(settings)
        assert "status:     ok" in out and f"pid {proc.pid}" in out
        wait_until(lambda: "imap:       idle" in _status(settings)[1], 30, interval=0.5, what="the IMAP session shown")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    code, out, _ = _status(settings)  # a clean stop removes the heartbeat at once
    assert code == 3 and "not running" in out

    proc = mailbot_run(settings.source)
    try:
        wait_until(lambda: _status(settings)[0] == 0, 60, interval=0.5, what="status: running again")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    # A killed process leaves its row; it counts as gone once its heartbeat is stale.
    wait_until(lambda: _status(settings)[0] == 3, 30, interval=0.5, what="status: not running after SIGKILL")
    assert "last heartbeat" in _status(settings)[1]


def test_status_without_imap_says_intake_is_off(make_settings):
    settings = make_settings()
    proc = mailbot_run(settings.source)
    try:
        wait_until(lambda: _status(settings)[0] == 0, 60, interval=0.5, what="status: running")
        assert "IMAP intake is off" in _status(settings)[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_status_in_an_empty_folder_creates_nothing_and_says_not_running(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MAILBOT_CONFIG"}
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot", "status"], cwd=empty, capture_output=True, timeout=60, env=env
    )
    assert proc.returncode == 3
    assert "not running" in proc.stdout.decode() and "sqlite:///" in proc.stdout.decode()
    assert list(empty.iterdir()) == []
