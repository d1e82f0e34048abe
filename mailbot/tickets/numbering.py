"""Ticket numbers: gapless, increasing, unique across processes.

The number comes from ``UPDATE counters … RETURNING`` inside the message's
transaction: PostgreSQL holds the row lock until commit (a second process
waits, then sees the new value), SQLite holds its write lock; a rollback
gives the number back, so there are no gaps.

A batch of mails (``pipeline.batch``) numbers its new tickets together, at
its end (``Numbering``): the counter row is then locked only for the last
part of the transaction (the acknowledgements written with their numbers,
the rows written, the commit), not from the batch's first new ticket on,
so a second process on the same PostgreSQL seldom waits for it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailbot.config import Settings

if TYPE_CHECKING:
    from mailbot.db.models import Ticket

T = TypeVar("T")


def next_number(session: Session, settings: Settings) -> tuple[int, str]:
    seq = session.execute(
        text("UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value")
    ).scalar_one()
    return seq, settings.mailbot.number_format.format(seq=seq)


class Numbering:
    """New tickets of a batch waiting for their numbers, and what each does once numbered."""

    def __init__(self, session: Session, settings: Settings):
        self.session = session
        self.settings = settings
        self._waiting: list[tuple[Ticket, Callable[[], object]]] = []

    def later(self, ticket: Ticket, then: Callable[[], T]) -> None:
        """Number ``ticket`` with the batch, then call ``then`` (what needs the number: the acknowledgement)."""
        self._waiting.append((ticket, then))

    def __len__(self) -> int:
        return len(self._waiting)

    def hold_places(self) -> None:
        """Give the waiting tickets stand-in numbers, so everything can be written before the counter is locked.

        Negative, random and never shown: the real ones replace them in the same
        transaction (``assign``), so no other process ever sees a stand-in.
        """
        for ticket, _then in self._waiting:
            ticket.seq = -1 - secrets.randbits(62)
            ticket.number = f"pending-{uuid.uuid4().hex}"

    def assign(self) -> list:
        """Number the waiting tickets in the order they came, one counter update for all; what each ``then`` gave."""
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return []
        with self.session.no_autoflush:  # the waiting tickets cannot be written before they have their numbers
            last = self.session.execute(
                text("UPDATE counters SET value = value + :n WHERE name = 'ticket' RETURNING value"),
                {"n": len(waiting)},
            ).scalar_one()
        fmt = self.settings.mailbot.number_format
        for i, (ticket, _then) in enumerate(waiting):
            ticket.seq = last - len(waiting) + 1 + i
            ticket.number = fmt.format(seq=ticket.seq)
        return [then() for _ticket, then in waiting]


def subject_tag(settings: Settings, number: str) -> str:
    return settings.mailbot.subject_tag.format(number=number)


@lru_cache(maxsize=16)
def _number_pattern(number_format: str) -> re.Pattern:
    """A regex for numbers made by ``number_format``: literal parts, digits for {seq}."""
    before, _, rest = number_format.partition("{seq")
    after = rest.partition("}")[2]
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(before) + r"(\d{1,12})" + re.escape(after) + r"(?!\d)", re.I)


def find_number(settings: Settings, subject: str) -> int | None:
    """The ticket seq named in a subject, wherever it stands (behind RE:, FW:, [EXTERNAL], glued text).

    Only a number written as part of our tag counts: the text right before it
    must be the tag's own prefix (e.g. ``#``), so an order number such as
    "factura IMG-12" in free text does not thread.
    """
    lead = settings.mailbot.subject_tag.partition("{number}")[0].split()
    # The tag's last word before the number: "#" of "[IMAGEN TI #{number}]".
    marker = lead[-1].lower() if lead else ""
    pattern = _number_pattern(settings.mailbot.number_format)
    for m in pattern.finditer(subject):
        if not marker or subject[: m.start()].rstrip().lower().endswith(marker):
            return int(m.group(1))
    return None
