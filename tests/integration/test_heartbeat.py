"""The heartbeat that tells a live mailbot process from a dead one, and the outbox claims tied to it."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from mailbot.db.heartbeat import EXPIRY, Heartbeat, processes
from mailbot.db.models import Outbox, Process, utcnow
from mailbot.errors import SendError
from mailbot.outbound.outbox import OutboxSender
from tests.support.desk import DeskBase
from tests.support.mail import make_mail
from tests.support.servers import wait_until

pytestmark = pytest.mark.servers


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, mail_from, rcpt_to, data, *, outbox_id):
        self.sent.append(outbox_id)

    def close(self):
        pass


def _claim_all(desk, sender_id, future):
    with desk.app.sessions.begin() as s:
        s.execute(update(Outbox).values(claimed_by=sender_id, next_attempt_at=future, attempts=1))


@pytest.fixture
def desk(make_settings, db_url):
    d = DeskBase(make_settings(db_url=db_url))
    yield d
    d.close()


def test_a_heartbeat_is_alive_while_it_beats_and_gone_when_stopped(desk):
    beat = Heartbeat(lambda: desk.app.sessions, facts=lambda: {"mode": "run"}).start()
    try:
        with desk.app.sessions() as s:
            alive, dead = processes(s)
        assert [p.id for p in alive] == [beat.id] and not dead and alive[0].facts == {"mode": "run"}
    finally:
        beat.stop()
    with desk.app.sessions() as s:
        assert processes(s) == ([], [])


def test_a_watched_fact_that_changes_is_written_at_once_not_at_the_next_beat(desk):
    """The IMAP session lost or taken back shows in `mailbot status` within a moment, not a beat later."""
    state = {"imap": "disconnected"}
    beat = Heartbeat(
        lambda: desk.app.sessions, facts=lambda: dict(state), every=timedelta(minutes=10), watch=lambda: state["imap"]
    ).start()

    def written():
        with desk.app.sessions() as s:
            return s.get(Process, beat.id).facts

    try:
        assert written() == {"imap": "disconnected"}
        state["imap"] = "holding"
        wait_until(lambda: written() == {"imap": "holding"}, 10, what="the changed fact written before the next beat")
    finally:
        beat.stop()


def test_mail_claimed_by_a_dead_process_is_sent_at_once_and_a_live_claim_is_left_alone(desk):
    desk.pipeline.process(make_mail(message_id="<hb1@cliente.com.mx>"), source="test")
    live, dead = (Heartbeat(lambda: desk.app.sessions).start(), Heartbeat(lambda: desk.app.sessions).start())
    try:
        future = utcnow() + timedelta(minutes=5)  # a lease that has not run out
        _claim_all(desk, live.id, future)
        transport = Recorder()
        sender = OutboxSender(desk.settings, desk.app.sessions, transport_factory=lambda: transport)
        assert sender.send_due().sent == 0  # a live claimer is never doubled

        _claim_all(desk, dead.id, future)
        dead._stop.set()  # it stops beating, as a killed process does
        with desk.app.sessions.begin() as s:
            s.execute(update(Process).where(Process.id == dead.id).values(beat_at=utcnow() - EXPIRY - timedelta(1)))
        assert sender.send_due().sent == 2  # the acknowledgement and the team notice, lease or not
        with desk.app.sessions() as s:
            assert set(s.scalars(select(Outbox.claimed_by))) == {None}
            assert set(s.scalars(select(Outbox.status))) == {"sent"}
    finally:
        live.stop()
        dead.stop()


def test_a_sole_process_frees_every_claim_it_finds_at_start(desk):
    """SQLite: the process holding the database's lock file is the only one; any other claim is a dead one's."""
    desk.pipeline.process(make_mail(message_id="<hb2@cliente.com.mx>"), source="test")
    ghost = Heartbeat(lambda: desk.app.sessions).start()
    ghost._stop.set()
    _claim_all(desk, ghost.id, utcnow() + timedelta(minutes=5))
    sole = Heartbeat(lambda: desk.app.sessions, sole=True).start()
    try:
        with desk.app.sessions() as s:
            assert [p.id for p in s.scalars(select(Process))] == [sole.id]
            rows = list(s.execute(select(Outbox.claimed_by, Outbox.next_attempt_at)))
        assert rows and all(by is None and due <= utcnow() for by, due in rows)
    finally:
        sole.stop()


def test_a_relay_outage_longer_than_the_retries_fails_no_mail_for_good(desk):
    """max_attempts bounds a mail the relay refuses, not the time the relay itself is down."""

    class DeadRelay(Recorder):
        def send(self, mail_from, rcpt_to, data, *, outbox_id):
            raise SendError("cannot connect to 127.0.0.1:1: connection refused", relay=True)

    desk.pipeline.process(make_mail(message_id="<hb3@cliente.com.mx>"), source="test")
    sender = OutboxSender(desk.settings, desk.app.sessions, transport_factory=DeadRelay)
    for _ in range(desk.settings.outbox.max_attempts + 2):
        with desk.app.sessions.begin() as s:
            s.execute(update(Outbox).values(next_attempt_at=utcnow()))  # its retry is due
        report = sender.send_due()
        assert report.relay_error and report.failed == 0
    with desk.app.sessions() as s:
        rows = list(s.execute(select(Outbox.status, Outbox.attempts)))
    assert {status for status, _ in rows} == {"queued"}
    assert max(a for _, a in rows) > desk.settings.outbox.max_attempts
