"""Ticket numbers: gapless, increasing, unique across processes.

The number comes from ``UPDATE counters … RETURNING`` inside the message's
transaction: PostgreSQL holds the row lock until commit (a second process
waits, then sees the new value), SQLite holds its write lock; a rollback
gives the number back, so there are no gaps.
"""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.orm import Session

from mailbot.config import Settings


def next_number(session: Session, settings: Settings) -> tuple[int, str]:
    seq = session.execute(
        text("UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value")
    ).scalar_one()
    return seq, settings.mailbot.number_format.format(seq=seq)


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
