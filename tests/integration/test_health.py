"""What ops watch: /healthz, /metrics and `mailbot status` against what happened; the SQLite guard."""

import json
import signal
import subprocess

import pytest

from mailbot.daemon.health import facts
from mailbot.daemon.runner import Daemon
from tests.support.config import imap_section, smtp_section
from tests.support.health import healthz, http_get, metric
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import Running, cli, mailbot_run
from tests.support.servers import free_port, wait_until

pytestmark = pytest.mark.servers


def test_health_and_metrics_follow_an_smtp_outage(make_settings, db_url, dovecot, smtp_sink):
    port = free_port()
    settings = make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        health={"enabled": True, "port": port},
        outbox={"interval": "1s", "retry_base": "1s", "retry_max": "1s"},
    )
    smtp_sink.refuse = "451 4.3.0 relay busy"
    with Running(settings) as daemon:
        wait_until(lambda: daemon.imap.stats.idle, 20, what="IDLE")
        dovecot.append(make_mail(message_id="<h1@cliente.com.mx>"))
        wait_until(
            lambda: json.loads(http_get(port, "/healthz")[1])["outbox"]["queued"] == 2, 20, what="ack and notice queued"
        )
        # The session leaves IDLE to take each mail in (and to look again at poll_interval):
        # wait for it to be back, rather than catch it in between.
        code, health = wait_until(
            lambda: (lambda c, h: (c, h) if h["imap"]["state"] == "idle" else None)(*healthz(port)),
            20,
            what="the IMAP session back in IDLE",
        )
        assert code == 200 and health["status"] == "ok"
        assert health["oldest_unacknowledged_seconds"] is not None
        metrics = wait_until(
            lambda: (
                lambda t: t if (metric(t, 'mailbot_outbox_failures_total{permanent="false"}') or 0) >= 1 else None
            )(http_get(port, "/metrics")[1]),
            20,
            what="a failed attempt counted",
        )
        assert metric(metrics, 'mailbot_mails_received_total{kind="created"}') == 1.0
        assert metric(metrics, 'mailbot_tickets_opened_total{severity="leve"}') == 1.0
        assert metric(metrics, "mailbot_outbox_queue") == 2.0
        assert metric(metrics, "mailbot_imap_connected") == 1.0

        out = cli("status", config=settings.source)  # the person's view: the same facts
        assert "status:     ok" in out.stdout.decode() and "2 queued" in out.stdout.decode()

        smtp_sink.refuse = None
        smtp_sink.wait_for(2, 30)
        wait_until(lambda: json.loads(http_get(port, "/healthz")[1])["outbox"]["queued"] == 0, 20, what="drained")
        health = json.loads(http_get(port, "/healthz")[1])
        assert health["oldest_unacknowledged_seconds"] is None
        metrics = http_get(port, "/metrics")[1]
        assert metric(metrics, "mailbot_ack_latency_seconds_count") == 1.0
        assert metric(metrics, 'mailbot_outbox_sent_total{kind="ack"}') == 1.0
        assert http_get(port, "/nothing")[0] == 404


def test_health_is_degraded_when_the_database_is_gone(make_settings, tmp_path):
    settings = make_settings()
    daemon = Daemon(settings)
    try:
        daemon.app.engine.dispose()
        (tmp_path / "mailbot.db").unlink()
        (tmp_path / "mailbot.db").mkdir()  # nothing SQLite can open
        data = facts(daemon.app)
        assert data["status"] == "degraded" and not data["database"]["reachable"] and data["database"]["error"]
    finally:
        daemon.close()


def test_second_process_on_one_sqlite_file_is_refused(make_settings):
    port = free_port()
    settings = make_settings(lmtp={"enabled": True, "port": port})
    first = mailbot_run(settings.source, stderr=subprocess.PIPE)
    try:
        import socket

        def listening():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return first.poll() is not None

        wait_until(listening, 30, what="first mailbot")
        second = cli("run", config=settings.source, check=False)
        assert second.returncode != 0
        assert "another mailbot process is running" in second.stderr.decode()
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(30)
        first.stderr.close()


def test_json_logs_have_one_object_per_line_with_the_ticket(make_settings):
    settings = make_settings()
    proc = cli("--log-json", "ingest", "-", config=settings.source, input=make_mail(message_id="<j1@cliente.com.mx>"))
    lines = [json.loads(line) for line in proc.stderr.decode().splitlines() if line.strip()]
    [mail] = [entry for entry in lines if entry.get("event") == "mail"]
    assert mail["action"] == "created" and mail["ticket"] == "IMG-000001"
    assert mail["message_id"] == "<j1@cliente.com.mx>" and mail["from"] == CLIENT
    assert mail["time"].endswith("+00:00") and mail["level"] == "INFO"
    # Another report (the same mail again would join the first ticket as a repeat).
    human = cli(
        "ingest",
        "-",
        config=settings.source,
        input=make_mail(message_id="<j2@cliente.com.mx>", subject="Otro problema"),
    )
    assert any(
        " INFO mailbot.pipeline: created IMG-000002: <j2@cliente.com.mx>" in line
        for line in human.stderr.decode().splitlines()
    )
