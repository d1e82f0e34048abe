"""One mailbot in the test's own process over a real database: mail in through the pipeline, tickets out.

``ClockDesk`` runs on a hand-moved clock, for the SLA jobs and the reports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Escalation, MessageRow, Outbox, Ticket
from mailbot.jobs.scheduler import sla_tick
from mailbot.pipeline.core import Pipeline
from mailbot.pipeline.outcome import Action
from mailbot.tickets.views import list_tickets, show_ticket
from mailbot.vocab import Direction, MessageKind
from tests.support.config import ENGINEERS
from tests.support.mail import make_mail, team_headers

MX = ZoneInfo("America/Mexico_City")  # the default business calendar's zone


def mx_time(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A moment of Mexico City's wall clock."""
    return datetime(y, m, d, hh, mm, tzinfo=MX)


class DeskBase:
    """One mailbot in this process over a real database: mail in through the pipeline, tickets out."""

    def __init__(self, settings, clock=None):
        self.settings = settings
        self.app = build_app(settings, clock=clock)
        self.pipeline = Pipeline(self.app)

    def scalar(self, q):
        with self.app.sessions() as s:
            return s.scalar(q)

    def tickets(self):
        with self.app.sessions() as s:
            return list_tickets(s)

    def show(self, number):
        with self.app.sessions() as s:
            return show_ticket(s, number)

    def close(self):
        self.app.close()


class ClockDesk(DeskBase):
    """One App on a hand-moved clock: mail in, SLA ticks, and what was queued."""

    def __init__(self, settings, start: datetime):
        self.now = start.astimezone(UTC)
        super().__init__(settings, clock=lambda: self.now)

    def at(self, when: datetime) -> ClockDesk:
        self.now = when.astimezone(UTC)
        return self

    def mail(self, raw: bytes):
        outcome = self.pipeline.process(raw)
        assert outcome.action in (Action.CREATED, Action.APPENDED), outcome
        return outcome

    def tick(self, when: datetime | None = None):
        if when is not None:
            self.at(when)
        return sla_tick(self.app, self.now)

    def out(self, kind: str | None = None, number: str | None = None) -> list[MessageRow]:
        with self.app.sessions() as s:
            q = select(MessageRow).where(MessageRow.direction == Direction.OUT).order_by(MessageRow.id)
            if kind:
                q = q.where(MessageRow.kind == kind)
            if number:
                q = q.join(Ticket, Ticket.id == MessageRow.ticket_id).where(Ticket.number == number)
            return list(s.scalars(q))

    def queued(self, row: MessageRow):
        """The outbox bytes of an outbound message row, parsed."""
        with self.app.sessions() as s:
            data = s.scalar(select(Outbox.data).where(Outbox.message_row_id == row.id))
        return message_from_bytes(data, policy=policy.default)

    def escalations(self) -> list[tuple]:
        with self.app.sessions() as s:
            rows = s.execute(select(Ticket.number, Escalation).join(Ticket).order_by(Escalation.id)).all()
            return [
                (n, e.target, e.level, e.reason, e.reminded_at is not None, e.responded_at is not None) for n, e in rows
            ]

    def ticket(self, number: str) -> dict:
        return self.show(number)


def engineer_reply(d: ClockDesk, number: str, body: str, *, n: int = 1, sender=ENGINEERS[0], headers=None) -> bytes:
    """A team member answering the new-ticket notice of ``number``."""
    [notice] = d.out(MessageKind.NOTICE, number)
    return make_mail(
        sender=sender,
        subject="Re: " + notice.subject,
        body=body,
        message_id=f"<team{n}@imagenti.mx>",
        in_reply_to=notice.message_id,
        headers=team_headers() if headers is None else headers,
    )
