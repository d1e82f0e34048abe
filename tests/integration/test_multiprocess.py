"""Two and three `mailbot run` processes on one PostgreSQL and one Dovecot mailbox."""

import signal
import subprocess
from collections import Counter

import psycopg
import pytest

from tests.support.config import MANAGER, config_data, imap_section, merge_sections, smtp_section, to_toml
from tests.support.health import health_or_none, http_get, metric
from tests.support.mail import append_many
from tests.support.runners import mailbot_run
from tests.support.servers import free_port, wait_until

pytestmark = [pytest.mark.servers, pytest.mark.timeout(300)]  # hundreds of mails through real processes


class Fleet:
    """N mailbot processes with one config each (only the health port differs)."""

    def __init__(self, tmp_path, pg_url, dovecot, smtp_sink, n, **sections):
        self.pg_url, self.procs, self.ports, self.logs = pg_url, [], [], []
        for i in range(n):
            port = free_port()
            data = config_data(
                tmp_path / f"var{i}",
                pg_url,
                imap=imap_section(dovecot, poll_interval="1s"),
                smtp=smtp_section(smtp_sink, timeout="1s"),
                health={"enabled": True, "port": port},
                outbox={"interval": "1s", "lease": "4s", "retry_base": "1s"},
            )
            merge_sections(data, sections)
            path = tmp_path / f"mailbot{i}.toml"
            path.write_text(to_toml(data))
            log = open(tmp_path / f"mailbot{i}.log", "wb")  # noqa: SIM115 (closed in stop())
            self.logs.append(log)
            self.ports.append(port)
            self.procs.append(mailbot_run(path, stderr=log))
        for i in range(n):
            wait_until(lambda i=i: self.health(i) is not None, 60, what=f"mailbot process {i} health endpoint")

    def health(self, i):
        return health_or_none(self.ports[i])

    def metrics(self, i) -> str:
        return http_get(self.ports[i], "/metrics")[1]

    def holders(self):
        states = [self.health(i) if self.procs[i].poll() is None else None for i in range(len(self.procs))]
        return [i for i, h in enumerate(states) if h and h["imap"]["state"] in ("connected", "idle")]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        for log in self.logs:
            log.close()


def _query(pg_url, sql):
    with psycopg.connect(pg_url) as conn:
        return conn.execute(sql).fetchall()


def _acks(smtp_sink):
    return [m for m in smtp_sink.messages if m["msg"]["Auto-Submitted"] == "auto-replied"]


def _check_exactly_once(pg_url, smtp_sink, n):
    rows = _query(pg_url, "SELECT number, requester FROM tickets ORDER BY seq")
    assert len(rows) == n
    assert [r[0] for r in rows] == [f"IMG-{k:06d}" for k in range(1, n + 1)]  # distinct, gapless
    assert len({r[1] for r in rows}) == n  # one ticket per mail
    acks = wait_until(
        lambda: (lambda a: a if len({m["msg"]["X-Mailbot-Ticket"] for m in a}) == n else None)(_acks(smtp_sink)),
        120,
        what=f"{n} acknowledgements",
    )
    # Each ticket acknowledged once: a resend after a crash is the same mail (same Message-ID).
    per_ticket = Counter()
    for number, ids in _group(acks).items():
        per_ticket[number] = len(ids)
    assert set(per_ticket.values()) == {1}


def _group(acks):
    out = {}
    for m in acks:
        out.setdefault(m["msg"]["X-Mailbot-Ticket"], set()).add(m["msg"]["Message-ID"])
    return out


def test_three_processes_make_one_ticket_per_mail_and_one_reads_imap(tmp_path, pg_url, dovecot, smtp_sink):
    n = 500
    fleet = Fleet(tmp_path, pg_url, dovecot, smtp_sink, 3)
    try:
        wait_until(lambda: len(fleet.holders()) == 1, 30, what="one IMAP holder")
        append_many(dovecot, n, "Tres")
        wait_until(lambda: _query(pg_url, "SELECT count(*) FROM tickets")[0][0] == n, 120, what=f"{n} tickets")
        _check_exactly_once(pg_url, smtp_sink, n)
        assert len(fleet.holders()) == 1
        standby = [i for i in range(3) if fleet.health(i)["imap"]["state"] == "standby"]
        assert len(standby) == 2
        # The holder's metrics count what it took in; all three report the same database truths.
        [holder] = fleet.holders()
        text = fleet.metrics(holder)
        assert f'mailbot_mails_received_total{{kind="created"}} {float(n)}' in text
        assert f'mailbot_tickets_opened_total{{severity="leve"}} {float(n)}' in text
        assert "mailbot_imap_connected 1.0" in text
        for i in standby:
            assert "mailbot_imap_standby 1.0" in fleet.metrics(i)
        wait_until(lambda: all(fleet.health(i)["outbox"]["queued"] == 0 for i in range(3)), 60, what="empty outbox")
        sent_acks = sum(
            float(line.rsplit(" ", 1)[1])
            for i in range(3)
            for line in fleet.metrics(i).splitlines()
            if line.startswith('mailbot_outbox_sent_total{kind="ack"}')
        )
        assert sent_acks == n  # the outbox work was shared, each ack sent by exactly one process
        latencies = sum(_metric(fleet, i, "mailbot_ack_latency_seconds_count") for i in range(3))
        assert latencies == n
        health = fleet.health(holder)
        assert health["status"] == "ok" and health["database"]["reachable"]
        assert health["outbox"] == {"queued": 0, "failed": 0, "oldest_queued_seconds": None}
        assert health["oldest_unacknowledged_seconds"] is None
    finally:
        fleet.stop()


def test_imap_holder_killed_mid_run_another_takes_over(tmp_path, pg_url, dovecot, smtp_sink):
    n = 300
    fleet = Fleet(tmp_path, pg_url, dovecot, smtp_sink, 2)
    try:
        [holder] = wait_until(
            lambda: fleet.holders() if len(fleet.holders()) == 1 else None, 30, what="one IMAP holder"
        )
        append_many(dovecot, n, "Dos")
        wait_until(lambda: _query(pg_url, "SELECT count(*) FROM tickets")[0][0] >= n // 4, 60, what="intake under way")
        fleet.procs[holder].send_signal(signal.SIGKILL)
        fleet.procs[holder].wait(10)
        other = 1 - holder
        wait_until(
            lambda: fleet.health(other)["imap"]["state"] in ("connected", "idle"),
            60,
            what="the other process to take the mailbox",
        )
        wait_until(lambda: _query(pg_url, "SELECT count(*) FROM tickets")[0][0] == n, 120, what=f"{n} tickets")
        _check_exactly_once(pg_url, smtp_sink, n)
        assert _query(pg_url, "SELECT count(*) FROM quarantine")[0][0] == 0
    finally:
        fleet.stop()


def test_short_sla_targets_escalate_each_ticket_once_across_processes(tmp_path, pg_url, dovecot, smtp_sink):
    n = 20
    fleet = Fleet(
        tmp_path,
        pg_url,
        dovecot,
        smtp_sink,
        2,
        calendar={"always_open": True},
        sla={
            "check_interval": "1s",
            "manager_response": "1h",
            "attention": {"critica": "2s", "grave": "2s", "leve": "2s", "business_time": False},
        },
    )
    try:
        append_many(dovecot, n, "SLA")
        wait_until(
            lambda: _query(pg_url, "SELECT count(*) FROM escalations")[0][0] == n, 90, what="every ticket escalated"
        )
        wait_until(lambda: all(fleet.health(i)["outbox"]["queued"] == 0 for i in range(2)), 60, what="empty outbox")
        per_ticket = Counter(m["msg"]["X-Mailbot-Ticket"] for m in smtp_sink.to(MANAGER))
        assert len(per_ticket) == n and set(per_ticket.values()) == {1}
        assert _query(pg_url, "SELECT count(*), count(DISTINCT ticket_id) FROM escalations")[0] == (n, n)
        # Both processes report the same breach total, read from the database.
        assert [_metric(fleet, i, "mailbot_sla_breaches_total") for i in range(2)] == [float(n)] * 2
        assert [_metric(fleet, i, 'mailbot_escalations_total{target="manager"}') for i in range(2)] == [float(n)] * 2
    finally:
        fleet.stop()


def _query_exec(pg_url, sql):
    with psycopg.connect(pg_url) as conn:
        conn.execute(sql)


def _metric(fleet, i, name):
    return metric(fleet.metrics(i), name)


def test_holder_that_loses_its_lock_connection_stops_reading_and_one_holder_goes_on(
    tmp_path, pg_url, dovecot, smtp_sink
):
    n = 150
    fleet = Fleet(tmp_path, pg_url, dovecot, smtp_sink, 2)
    try:
        [holder] = wait_until(
            lambda: fleet.holders() if len(fleet.holders()) == 1 else None, 30, what="one IMAP holder"
        )
        append_many(dovecot, n, "Lease")
        wait_until(lambda: _query(pg_url, "SELECT count(*) FROM tickets")[0][0] >= 20, 60, what="intake under way")
        # The lock's own connection dies (a network cut, a DBA's pg_terminate_backend): the lock is gone.
        dropped = _query(
            pg_url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name LIKE 'mailbot imap lease%'",
        )[0][0]
        assert dropped >= 1  # the holder's, and maybe a standby's try at that instant
        wait_until(lambda: _query(pg_url, "SELECT count(*) FROM tickets")[0][0] == n, 120, what=f"{n} tickets")
        _check_exactly_once(pg_url, smtp_sink, n)
        # The process that held it notices at its next lease check (a chunk or an IDLE second later)
        # and says so; then exactly one holder goes on.
        log = tmp_path / f"mailbot{holder}.log"
        wait_until(lambda: "lock connection lost" in log.read_text(), 30, what="the old holder to notice")
        wait_until(lambda: len(fleet.holders()) == 1, 30, what="one IMAP holder again")
    finally:
        fleet.stop()
