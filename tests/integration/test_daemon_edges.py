"""The daemon's edges: a port taken, a refused login or an unreachable server, a prompt stop.

Each mistake an ops person can make is one line naming where, with the exit
code of mailbot/exitcodes.py, never a traceback. The daemon itself keeps
serving LMTP and the outbox while it retries IMAP, and a refused login is
retried after minutes, not seconds, so the server never locks the account.
"""

import json
import signal
import socket
import subprocess
import urllib.request

import pytest

from mailbot.daemon.runner import Daemon
from mailbot.errors import Unavailable
from mailbot.exitcodes import Exit
from mailbot.intake.imap import LOGIN_BACKOFF, NETWORK_BACKOFF, Backoff
from tests.support.config import imap_section, smtp_section
from tests.support.db import tickets
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import Running, cli, mailbot_run
from tests.support.servers import Dovecot, free_port, lmtp_client, wait_until

pytestmark = pytest.mark.servers
WRONG = "not-the-password-9f3"


@pytest.fixture
def lone_dovecot():
    """A Dovecot of its own: it slows down every login from an address after a failed one
    (seconds each), which must not reach the other tests' server."""
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def taken_port():
    """A port some other program is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _errors(stderr: bytes) -> list[str]:
    text = stderr.decode(errors="replace")
    assert "Traceback" not in text, text
    return [line for line in text.splitlines() if line.startswith("error:")]


# -- a port already in use ------------------------------------------------------------------


@pytest.mark.parametrize("door", ["lmtp", "health"])
def test_a_port_in_use_is_one_line_and_exit_69(make_settings, taken_port, door):
    other = free_port()
    ports = {"lmtp": other, "health": other} | {door: taken_port}
    settings = make_settings(
        lmtp={"enabled": True, "port": ports["lmtp"]}, health={"enabled": True, "port": ports["health"]}
    )
    proc = cli("run", config=settings.source, check=False)
    name = {"lmtp": "LMTP", "health": "health"}[door]
    assert (proc.returncode, _errors(proc.stderr)) == (
        Exit.UNAVAILABLE,
        [f"error: {name} listener 127.0.0.1:{taken_port}: address already in use"],
    )


def test_a_port_in_use_stops_the_start_and_frees_what_it_had_bound(make_settings, taken_port):
    health = free_port()
    settings = make_settings(lmtp={"enabled": True, "port": taken_port}, health={"enabled": True, "port": health})
    with pytest.raises(Unavailable, match=f"^LMTP listener 127.0.0.1:{taken_port}: address already in use$"):
        Daemon(settings).run()
    with socket.socket() as s:  # the health port, bound before the LMTP one failed, was let go
        s.bind(("127.0.0.1", health))


# -- IMAP: a refused login, an unreachable server ------------------------------------------------


def test_run_once_with_a_wrong_imap_password_says_so_in_one_line_and_still_sends(
    make_settings, lone_dovecot, smtp_sink
):
    settings = make_settings(imap=imap_section(lone_dovecot, password=WRONG), smtp=smtp_section(smtp_sink))
    cli("ingest", "-", config=settings.source, input=make_mail(message_id="<pw1@cliente.com.mx>"))

    proc = cli("run", "--once", config=settings.source, check=False)

    assert (proc.returncode, _errors(proc.stderr)) == (
        Exit.UNAVAILABLE,
        [
            f"error: IMAP 127.0.0.1:{lone_dovecot.port}: login refused for {lone_dovecot.USER}: "
            "[AUTHENTICATIONFAILED] Authentication failed."
        ],
    )
    assert WRONG.encode() not in proc.stderr + proc.stdout
    # What came in by another door was still acknowledged before the run failed.
    assert [m["to"] for m in smtp_sink.wait_for(2) if m["to"] == [CLIENT]] == [[CLIENT]]


def test_run_once_with_an_unreachable_imap_server_says_so_in_one_line(make_settings, dovecot):
    dead = free_port()
    settings = make_settings(imap=imap_section(dovecot, port=dead))
    proc = cli("run", "--once", config=settings.source, check=False)
    assert (proc.returncode, _errors(proc.stderr)) == (
        Exit.UNAVAILABLE,
        [f"error: IMAP 127.0.0.1:{dead}: connection refused"],
    )


def test_run_once_with_a_refused_smtp_login_says_so_in_one_line(make_settings, smtp_sink_factory, tls_certs):
    sink = smtp_sink_factory(tls="starttls", auth=("mailbot@imagenti.mx", "s3cret-smtp"))
    settings = make_settings(
        smtp=smtp_section(
            sink, security="starttls", ca_file=str(tls_certs.ca), username="mailbot@imagenti.mx", password=WRONG
        )
    )
    cli("ingest", "-", config=settings.source, input=make_mail(message_id="<smtp-pw@cliente.com.mx>"))

    proc = cli("run", "--once", config=settings.source, check=False)

    [line] = _errors(proc.stderr)
    assert proc.returncode == Exit.UNAVAILABLE
    assert line.startswith(f"error: SMTP relay 127.0.0.1:{sink.port}: ") and "535" in line, line
    assert WRONG.encode() not in proc.stderr + proc.stdout
    assert sink.messages == []


def test_daemon_serves_lmtp_and_the_outbox_while_its_imap_login_is_refused(
    make_settings, lone_dovecot, smtp_sink, caplog
):
    caplog.set_level("INFO")
    port = free_port()
    settings = make_settings(
        imap=imap_section(lone_dovecot, password=WRONG),
        smtp=smtp_section(smtp_sink),
        lmtp={"enabled": True, "port": port},
    )
    with Running(settings) as daemon:
        wait_until(lambda: "login refused" in (daemon.imap.stats.last_error or ""), 30, what="the refused login")
        client = wait_until(lambda: lmtp_client(port), 15, what="LMTP listener")
        assert client.sendmail(CLIENT, ["soporte@imagenti.mx"], make_mail(message_id="<lmtp-pw@cliente.com.mx>")) == {}
        client.quit()
        [ack] = wait_until(lambda: smtp_sink.to(CLIENT), 30, what="the acknowledgement of the LMTP mail")
        assert "IMG-000001" in str(ack["msg"]["Subject"])
    # Running's exit has stopped the daemon in the middle of its minute-long wait for the next login.
    attempts = daemon.imap.stats.reconnects

    refused = [r for r in caplog.records if r.name == "mailbot.imap" and "login refused" in r.getMessage()]
    # One line per attempt, without a traceback; the next login a minute away, not a second.
    assert len(refused) == attempts >= 1
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in refused)
    assert refused[0].getMessage() == (
        f"IMAP 127.0.0.1:{lone_dovecot.port}: login refused for {lone_dovecot.USER}: "
        "[AUTHENTICATIONFAILED] Authentication failed.; retrying in 60s"
    )
    assert not [r for r in caplog.records if WRONG in r.getMessage()]
    assert [t["subject"] for t in tickets(settings)] == ["Problema con el antivirus"]


def test_a_refused_login_waits_minutes_before_the_next_and_a_network_failure_seconds():
    login, network = Backoff(*LOGIN_BACKOFF), Backoff(*NETWORK_BACKOFF)
    assert [login.next() for _ in range(7)] == [60, 120, 240, 480, 900, 900, 900]
    assert [network.next() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    login.reset()
    assert login.next() == 60


# -- a prompt stop ---------------------------------------------------------------------------


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "poll"])
def test_an_idle_daemon_has_exited_within_2s_of_sigterm(make_settings, dovecot, smtp_sink, tmp_path, idle):
    """Every wait is told to stop: the outbox's wake-up, IMAP IDLE or the poll interval, the scheduler.

    2 s is a bound on a hang, not a speed figure: before, a poll-mode daemon
    waited out its poll interval (a minute) and an IDLE one its outbox tick.
    """
    health = free_port()
    settings = make_settings(
        imap=imap_section(dovecot, idle=idle, poll_interval="60s"),
        smtp=smtp_section(smtp_sink),
        lmtp={"enabled": True, "port": free_port()},
        health={"enabled": True, "port": health},
        outbox={"interval": "60s"},
    )
    log = tmp_path / "daemon.log"
    with log.open("wb") as err:
        proc = mailbot_run(settings.source, stderr=err)
    try:
        state = "idle" if idle else "connected"
        wait_until(lambda: proc.poll() is not None or _imap_state(health) == state, 30, what=f"IMAP {state}")
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(2)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running 2 s after SIGTERM:\n{log.read_text()}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert code == 0, log.read_text()
    assert log.read_text().rstrip().endswith("INFO mailbot.daemon: stopped")


def _imap_state(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.loads(r.read())["imap"]["state"]
    except Exception:
        return None
