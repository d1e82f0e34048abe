"""A restart resumes at once: mail a killed process had claimed is sent without waiting for its lease.

The outbox lease is left at its default (five minutes) in these tests: were the
claims of a dead process only freed by the lease, no acknowledgement would
arrive within the bounds below.
"""

import signal

import pytest
from sqlalchemy import func, select

from mailbot.db.models import Outbox
from tests.support.config import imap_section, smtp_section
from tests.support.db import Db
from tests.support.mail import append_many
from tests.support.runners import mailbot_run
from tests.support.servers import wait_until

pytestmark = [pytest.mark.servers, pytest.mark.timeout(300)]


def _acked(smtp_sink) -> set[str]:
    return {m["msg"]["X-Mailbot-Ticket"] for m in smtp_sink.messages if m["msg"]["Auto-Submitted"] == "auto-replied"}


def test_three_sigkills_in_a_burst_every_ack_within_30s_of_the_last_restart(make_settings, dovecot, smtp_sink, capsys):
    n = 300
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), outbox={"interval": "1s"})
    smtp_sink.delay = 0.01  # a claim of 25 mails stays open for a quarter of a second: room to kill inside it
    append_many(dovecot, n, "Crash")
    db = Db(settings)
    orphans = []
    try:
        for round_no in range(3):
            proc = mailbot_run(settings.source)
            try:
                # Killed while it holds claimed, unsent mail: the case the lease used to hold up.
                wait_until(
                    lambda proc=proc: db.claimed() > 0 or proc.poll() is not None,
                    120,
                    interval=0.01,
                    what=f"round {round_no}: mail claimed for sending",
                )
                assert proc.poll() is None, "mailbot exited by itself"
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
            orphans.append(db.claimed())
        assert sum(orphans) > 0  # the test did leave claims behind a dead process
        proc = mailbot_run(settings.source)
        try:
            wait_until(
                lambda: len(_acked(smtp_sink)) == n,
                30,
                interval=0.2,
                what="every acknowledgement within 30 s of the last restart",
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        assert db.tickets() == n
        acks = [m["msg"]["Message-ID"] for m in smtp_sink.messages if m["msg"]["Auto-Submitted"] == "auto-replied"]
        by_ticket = {}
        for m in smtp_sink.messages:
            if m["msg"]["Auto-Submitted"] == "auto-replied":
                by_ticket.setdefault(m["msg"]["X-Mailbot-Ticket"], set()).add(m["msg"]["Message-ID"])
        assert all(len(ids) == 1 for ids in by_ticket.values())  # a resend is the same mail (same Message-ID)
        with capsys.disabled():
            print(
                f"\n[sqlite] 3 SIGKILLs over {n} mails, claims left by the dead: {orphans}; "
                f"{len(acks) - n} acknowledgement(s) delivered twice"
            )
    finally:
        db.close()


def test_postgresql_the_surviving_process_sends_what_the_killed_one_had_claimed(
    make_settings, pg_url, dovecot, smtp_sink
):
    n = 60
    settings = make_settings(
        db_url=pg_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), outbox={"interval": "1s"}
    )
    smtp_sink.delay = 0.3  # slow enough that a claim of 25 mails is still open when its holder dies
    db = Db(settings)
    first, second = mailbot_run(settings.source), None
    try:
        wait_until(lambda: db.process_id(first.pid) is not None, 30, what="the first process's heartbeat")
        victim = db.process_id(first.pid)
        second = mailbot_run(settings.source)
        wait_until(lambda: db.process_id(second.pid) is not None, 30, what="the second process's heartbeat")
        append_many(dovecot, n, "Pair")
        wait_until(lambda: db.claimed(by=victim) >= 3, 60, interval=0.02, what="mail claimed by the first process")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        with db.app.sessions() as s:
            held = set(s.scalars(select(Outbox.id).where(Outbox.status == "queued", Outbox.claimed_by == victim)))
        assert held
        # Within seconds (the heartbeat's expiry plus a send), not the five-minute lease.
        wait_until(
            lambda: (
                db.scalar(select(func.count()).select_from(Outbox).where(Outbox.id.in_(held), Outbox.status == "sent"))
                == len(held)
            ),
            30,
            interval=0.2,
            what="the killed process's claims sent by the survivor",
        )
        wait_until(lambda: len(_acked(smtp_sink)) == n, 90, interval=0.2, what="every acknowledgement")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        db.close()
