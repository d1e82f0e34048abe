"""Faults survived: SIGKILL at any moment, Dovecot and the SMTP relay down, PostgreSQL connections dropped."""

import random
import signal

import pytest
from sqlalchemy import func, select, text

from mailbot.db.models import Outbox
from tests.support.config import imap_section, smtp_section
from tests.support.db import Db
from tests.support.mail import append_many
from tests.support.runners import Running, mailbot_run
from tests.support.servers import SmtpSink, free_port, wait_until

pytestmark = [pytest.mark.servers, pytest.mark.timeout(300)]  # hundreds of mails through real processes


def _acks(smtp_sink):
    acks = {}
    for m in smtp_sink.messages:
        if m["msg"]["Auto-Submitted"] == "auto-replied":
            acks.setdefault(m["msg"]["X-Mailbot-Ticket"], []).append(m["msg"]["Message-ID"])
    return acks


def test_sigkill_at_random_points_loses_and_duplicates_nothing(make_settings, db_url, dovecot, smtp_sink, capsys):
    n, rounds = 300, 5
    settings = make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink, timeout="1s"),
        outbox={"interval": "1s", "lease": "4s", "retry_base": "1s"},
    )
    append_many(dovecot, n, "Kill")
    db = Db(settings)
    rng = random.Random(20261126)
    try:
        for round_no in range(rounds):
            # Kill somewhere in the next stretch of intake: mid-fetch, mid-commit, mid-send.
            target = min(n, db.tickets() + rng.randint(5, n // rounds))
            proc = mailbot_run(settings.source)
            try:
                wait_until(
                    lambda target=target, proc=proc: db.tickets() >= target or proc.poll() is not None,
                    120,
                    what=f"round {round_no}: {target} tickets",
                )
                assert proc.poll() is None, "mailbot exited by itself"
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
        proc = mailbot_run(settings.source)
        try:
            wait_until(lambda: db.tickets() == n and db.queued() == 0, 180, what="everything taken in and sent")
            wait_until(lambda: len(_acks(smtp_sink)) == n, 60, what="every acknowledgement")
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        with db.app.sessions() as s:
            requesters = [r for (r,) in s.execute(text("SELECT requester FROM tickets"))]
        assert len(requesters) == n and len(set(requesters)) == n  # exactly one ticket per mail
        acks = _acks(smtp_sink)
        assert all(len(set(ids)) == 1 for ids in acks.values())  # one acknowledgement each (one Message-ID)
        resent = sum(len(ids) - 1 for ids in acks.values())
        with capsys.disabled():
            print(
                f"\n[{db_url.split(':')[0]}] {rounds} SIGKILLs over {n} mails: {resent} acknowledgement(s) "
                "delivered twice (same Message-ID: sent, then killed before it was marked sent)"
            )
    finally:
        db.close()


def test_dovecot_stopped_and_started_during_intake(make_settings, db_url, dovecot, smtp_sink):
    n = 120
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))
    db = Db(settings)
    try:
        with Running(settings) as daemon:
            wait_until(lambda: daemon.imap.stats.connected, 20, what="IMAP session")
            append_many(dovecot, n, "Dove")
            wait_until(lambda: db.tickets() >= 20, 60, what="intake under way")
            dovecot.stop()
            dovecot.start()
            wait_until(lambda: db.tickets() == n, 120, what="every mail after the restart")
            wait_until(lambda: len(_acks(smtp_sink)) == n, 60, what="every acknowledgement")
            wait_until(lambda: daemon.imap.stats.reconnects >= 1, 30, what="the dropped IMAP session noticed")
            # A chunk committed just before the stop is marked once the session is back.
            wait_until(
                lambda: all(b"\\Seen" in f for f in dovecot.flags().values()),
                30,
                what="every source message marked \\Seen",
            )
    finally:
        db.close()


def test_smtp_relay_down_then_up_sends_every_queued_mail(make_settings, dovecot):
    n = 30
    port = free_port()  # nothing listens there yet: the relay is down, connections are refused
    settings = make_settings(
        imap=imap_section(dovecot),
        smtp={"host": "127.0.0.1", "port": port, "security": "none"},
        outbox={"interval": "1s", "retry_base": "1s", "retry_max": "2s"},
    )
    db = Db(settings)
    relay = None
    try:
        with Running(settings):
            append_many(dovecot, n, "Relay")
            wait_until(lambda: db.tickets() == n, 60, what="tickets while the relay is down")
            wait_until(lambda: db.count(select(func.max(Outbox.attempts))) >= 2, 30, what="retries")
            relay = SmtpSink(port=port).start()  # the relay comes back
            wait_until(lambda: db.queued() == 0, 60, what="the backlog sent")
        acks = _acks(relay)
        assert len(acks) == n and all(len(ids) == 1 for ids in acks.values())
    finally:
        if relay is not None:
            relay.stop()
        db.close()


def test_postgresql_connections_dropped_during_intake(make_settings, pg_url, dovecot, smtp_sink):
    import psycopg

    n = 80
    settings = make_settings(
        db_url=pg_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink, timeout="1s"),
        outbox={"interval": "1s", "lease": "4s", "retry_base": "1s"},
    )
    db = Db(settings)
    try:
        with Running(settings) as daemon:
            wait_until(lambda: daemon.imap.stats.connected, 20, what="IMAP session")
            append_many(dovecot, n, "Pg")
            wait_until(lambda: db.tickets() >= 10, 60, what="intake under way")
            with psycopg.connect(pg_url, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name LIKE 'mailbot%%' AND pid <> pg_backend_pid()"
                ).fetchone()[0]
            assert killed >= 1
            wait_until(lambda: db.tickets() == n, 120, what="every mail after the drop")
            wait_until(lambda: len(_acks(smtp_sink)) == n, 60, what="every acknowledgement")
        with db.app.sessions() as s:
            numbers = [r for (r,) in s.execute(text("SELECT number FROM tickets ORDER BY seq"))]
            held = s.scalar(text("SELECT count(*) FROM quarantine"))
        assert numbers == [f"IMG-{k:06d}" for k in range(1, n + 1)] and held == 0
        # One acknowledgement per ticket; a send whose result could not be recorded goes again, same Message-ID.
        assert all(len(set(ids)) == 1 for ids in _acks(smtp_sink).values())
    finally:
        db.close()
