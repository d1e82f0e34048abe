"""The running daemon: IDLE intake, the LMTP door, the MTA pipe's exit codes."""

import signal
import subprocess

import pytest

from tests.support.config import imap_section, smtp_section
from tests.support.db import tickets
from tests.support.mail import CLIENT, append_many, make_mail
from tests.support.runners import Running, cli, mailbot_run
from tests.support.servers import free_port, lmtp_client, wait_until

pytestmark = pytest.mark.servers


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "poll"])
def test_running_daemon_acknowledges_new_mail(make_settings, dovecot, smtp_sink, idle):
    settings = make_settings(imap=imap_section(dovecot, idle=idle), smtp=smtp_section(smtp_sink))
    with Running(settings) as daemon:
        wait_until(lambda: daemon.imap.stats.connected, 15, what="IMAP session")
        if idle:
            wait_until(lambda: daemon.imap.stats.idle, 15, what="IDLE")
        dovecot.append(make_mail(subject="Red lenta", message_id="<idle1@cliente.com.mx>"))
        [ack] = [m for m in smtp_sink.wait_for(1, 30) if m["to"] == [CLIENT]]
        assert "IMG-000001" in str(ack["msg"]["Subject"])


def test_lmtp_answers_250_only_after_the_commit(make_settings, smtp_sink, db_url):
    port = free_port()
    settings = make_settings(db_url=db_url, smtp=smtp_section(smtp_sink), lmtp={"enabled": True, "port": port})
    with Running(settings):
        client = wait_until(lambda: lmtp_client(port), 15, what="LMTP listener")
        refused = client.sendmail(
            "juan.perez@cliente.com.mx",
            ["soporte@imagenti.mx"],
            make_mail(subject="Por LMTP", message_id="<lmtp1@cliente.com.mx>"),
        )
        assert refused == {}
        # The 250 came back: the ticket is already committed.
        assert [t["subject"] for t in tickets(settings)] == ["Por LMTP"]
        client.quit()
        smtp_sink.wait_for(1, 20)


def test_ingest_exits_75_when_the_database_is_unavailable(make_settings, tmp_path):
    dead = free_port()
    settings = make_settings(db_url=f"postgresql://postgres@127.0.0.1:{dead}/test")
    proc = cli("ingest", "-", config=settings.source, input=make_mail(), check=False)
    assert proc.returncode == 75, proc.stderr


def test_ingest_applies_and_exits_0(make_settings, db_url):
    settings = make_settings(db_url=db_url)
    proc = cli("ingest", "-", config=settings.source, input=make_mail(message_id="<ing@cliente.com.mx>"))
    assert proc.returncode == 0 and proc.stdout.decode().startswith("created IMG-000001")
    # No [smtp]: the acknowledgement becomes a file once the outbox runs.
    cli("run", "--once", config=settings.source)
    files = sorted((settings.data_dir / "outbox").glob("*.eml"))
    to_client = [f.read_bytes() for f in files if b"X-Envelope-To: juan.perez@cliente.com.mx\r\n" in f.read_bytes()]
    assert len(files) == 2 and len(to_client) == 1  # acknowledgement + engineers' notice
    assert b"IMG-000001" in to_client[0]


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_mailbot_run_process_stops_cleanly_on_sigterm(make_settings, smtp_sink, verbose):
    port = free_port()
    settings = make_settings(smtp=smtp_section(smtp_sink), lmtp={"enabled": True, "port": port})
    proc = mailbot_run(settings.source, verbose=verbose, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        client = wait_until(lambda: proc.poll() is None and lmtp_client(port), 30, what="LMTP listener of mailbot run")
        client.sendmail(CLIENT, ["soporte@imagenti.mx"], make_mail(message_id="<term@cliente.com.mx>"))
        client.quit()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        log = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    # What was queued before the stop went out before the process exited.
    assert [m["to"] for m in smtp_sink.messages if m["to"] == [CLIENT]] == [[CLIENT]]
    assert [t["subject"] for t in tickets(settings)] == ["Problema con el antivirus"]
    # The start-up log says which config and database are in use (the password would be hidden).
    assert f"INFO mailbot.daemon: config:    {settings.source}" in log
    assert f"INFO mailbot.daemon: database:  sqlite:///{settings.source.parent}/mailbot.db" in log
    # aiosmtpd's lines for every LMTP session ("Peer", "AUTH mechanisms", ...) are debug news.
    assert "INFO mail.log" not in log and " INFO mailbot.pipeline: created IMG-000001" in log
    assert ("DEBUG mail.log" in log and "AUTH mechanisms" in log) == verbose


def test_run_once_ends_its_log_with_what_it_did(make_settings, dovecot, smtp_sink):
    """Ops running it from cron read one line instead of counting the log's."""
    append_many(dovecot, 3, "Resumen")
    with dovecot.client() as c:
        c.append("INBOX", make_mail(message_id="<dup@cliente.com.mx>", subject="Otra vez"))
        c.append("INBOX", make_mail(message_id="<dup@cliente.com.mx>", subject="Otra vez"))
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))
    proc = cli("run", "--once", config=settings.source, text=True)
    summary = [line for line in proc.stderr.splitlines() if "run --once: " in line]
    # 4 tickets: each an acknowledgement and the engineers' notice; the second copy is a duplicate.
    assert len(summary) == 1, proc.stderr
    assert summary[0].endswith("run --once: 5 mails taken in (4 created, 1 duplicate), 8 sent, 0 send attempts failed")
