"""What intake asks of the database for every new mail, asked once for a whole batch.

Each new report asks whether its Message-ID is stored already and when its
sender was last answered (the loop guard's ceiling, the repeat check): three
small queries a mail, a fifth of intake's time in a backlog. ``Known`` asks
them for every mail of a batch in two queries. An answer holds for a sender
only until the batch writes something about that sender: the pipeline then
``forget``s it, and that sender's later mails ask the database again.

On PostgreSQL another process may answer one of the batch's senders while
the batch runs; the batch does not see that answer (one mail at a time would,
by a few milliseconds). At worst a sender who writes to two processes at
once gets one acknowledgement past the loop guard's ceiling, or a repeat is
acknowledged once more: no report goes unanswered either way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import AutoReplyLog, MessageRow
from mailbot.mail.parse import InboundMail
from mailbot.vocab import Direction


class Known:
    """Stored Message-IDs and recent automatic replies for the senders of a batch, as of its start."""

    def __init__(self, session: Session, settings: Settings, mails: list[InboundMail], now: datetime):
        ids = sorted({m.message_id for m in mails if m.message_id})
        self._ids = set(ids)
        self.stored: set[str] = set()
        for chunk in _chunks(ids):
            self.stored.update(
                session.scalars(
                    select(MessageRow.message_id).where(
                        MessageRow.direction == Direction.IN, MessageRow.message_id.in_(chunk)
                    )
                )
            )
        loops = settings.loops
        since = now - max(loops.ceiling_window, loops.repeat_window)
        senders = sorted({m.from_addr for m in mails if m.from_addr})
        self._senders = set(senders)
        self._replies: dict[str, list[datetime]] = defaultdict(list)
        for chunk in _chunks(senders):
            for address, at in session.execute(
                select(AutoReplyLog.address, AutoReplyLog.at).where(
                    AutoReplyLog.address.in_(chunk), AutoReplyLog.at > since
                )
            ):
                self._replies[address].append(at)

    def is_stored(self, message_id: str) -> bool | None:
        """Whether the mail is stored; None when this batch cannot tell (ask the database)."""
        return message_id in self.stored if message_id in self._ids else None

    def replies_since(self, address: str, since: datetime) -> int | None:
        """Automatic replies to ``address`` after ``since``; None when this batch cannot tell."""
        if address not in self._senders:
            return None
        return sum(1 for at in self._replies.get(address, ()) if at > since)

    def forget(self, mail: InboundMail) -> None:
        """The batch wrote about ``mail``: its sender and Message-ID are asked of the database from now on."""
        self._senders.discard(mail.from_addr)
        self._ids.discard(mail.message_id)


def _chunks(values: list[str], size: int = 500):
    # Bound parameters per statement: SQLite's limit is 32,766 since 3.32, far more than a batch holds.
    for i in range(0, len(values), size):
        yield values[i : i + size]
