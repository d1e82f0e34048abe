"""When the sender records what it sent, and when it gives claimed mail back.

A fake transport stands in for the relay and the app's clock is simulated (the
real relay is in the integration suite); under test is the bookkeeping around sends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Outbox
from mailbot.errors import SendError
from mailbot.outbound.outbox import OutboxSender
from mailbot.outbound.transport import Transport
from mailbot.pipeline.core import Pipeline
from tests.support.mail import make_mail


def test_a_slow_relay_never_lets_another_sender_claim_a_mail_already_handed_over(make_settings):
    settings = make_settings()
    now = [datetime(2026, 11, 26, 16, 0, tzinfo=UTC)]
    app = build_app(settings, clock=lambda: now[0])
    lease = settings.outbox.lease
    try:
        for i in range(3):  # an acknowledgement and a team notice each: six mails
            Pipeline(app).process(make_mail(sender=f"c{i}@cliente.com.mx", subject=f"s{i}"), source="t")
        handed: list[int] = []
        tried: list[int] = []

        class SlowlyFailingRelay(Transport):
            def send(self, mail_from, rcpt_to, data, *, outbox_id):
                tried.append(outbox_id)
                if not handed:
                    handed.append(outbox_id)
                    return
                now[0] += lease * 0.4  # each failure takes 40% of the lease (a relay timing out)
                raise SendError("timed out")

        sender = OutboxSender(settings, app.sessions, transport_factory=SlowlyFailingRelay, clock=lambda: now[0])
        report = sender.send_due()
        assert (report.sent, report.retried) == (1, 2)
        with app.sessions() as s:
            rows = {r.id: r for r in s.scalars(select(Outbox))}
        # The mail handed over was recorded as sent as soon as the relay turned slow.
        assert rows[handed[0]].status == "sent"
        # Half-way through the lease the run stopped: the mails it never tried are due again
        # at once, their attempt not counted.
        untried = sorted(set(rows) - set(tried))
        assert len(untried) == 3
        assert all(
            rows[i].status == "queued" and rows[i].attempts == 0 and rows[i].next_attempt_at <= now[0] for i in untried
        )
        # Whoever looks once the whole lease has passed finds only mail nobody holds.
        now[0] += lease
        again = OutboxSender(settings, app.sessions, clock=lambda: now[0])._claim(now[0], 100)
        assert handed[0] not in {c.id for c in again}
        assert set(untried) <= {c.id for c in again}
    finally:
        app.close()
