"""Looks at a mailbot database from the test's side: counts while processes run, tickets as the CLI shows them."""

from __future__ import annotations

from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.db.models import Outbox, Process, Ticket
from mailbot.tickets.views import list_tickets, show_ticket
from mailbot.vocab import SendStatus


class Db:
    """A connection of the test's own to the database mailbot processes are working on."""

    def __init__(self, settings):
        self.app = build_app(settings)

    def scalar(self, query):
        with self.app.sessions() as s:
            return s.scalar(query)

    count = scalar  # reads better for a count(*) query

    def tickets(self) -> int:
        """How many tickets there are."""
        return self.scalar(select(func.count()).select_from(Ticket))

    def queued(self) -> int:
        """How many mails wait in the outbox."""
        return self.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == SendStatus.QUEUED))

    def claimed(self, by=None) -> int:
        """How many queued mails a sender has claimed (``by``: that process's id only)."""
        q = (
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.status == SendStatus.QUEUED, Outbox.claimed_by.is_not(None))
        )
        if by is not None:
            q = q.where(Outbox.claimed_by == by)
        return self.scalar(q)

    def process_id(self, pid):
        """The heartbeat id of the mailbot process ``pid``, None until it has written one."""
        return self.scalar(select(Process.id).where(Process.pid == pid))

    def close(self):
        self.app.close()


def tickets(settings) -> list[dict]:
    """Every ticket, as ``mailbot tickets list`` shows them."""
    app = build_app(settings)
    try:
        with app.sessions() as s:
            return list_tickets(s)
    finally:
        app.close()


def ticket(settings, number) -> dict:
    """One ticket, as ``mailbot tickets show NUMBER`` shows it."""
    app = build_app(settings)
    try:
        with app.sessions() as s:
            return show_ticket(s, number)
    finally:
        app.close()
