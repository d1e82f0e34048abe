"""One flush for a batch of new reports: what lets the rows of many mails go to the database together.

A flush per mail (the ORM's unit of work, a dozen INSERTs one by one) was
half of intake's time. In a backlog most mails are new reports from
different clients: each one reads the database (is it stored, which ticket,
has this sender been answered) and then only adds rows of its own (a ticket,
its message, events, a clock, the acknowledgement). Those rows can wait in
the session and go in one flush, batched by table, at the end.

They may wait only while no later mail of the batch reads what they would
write. ``Batch`` keeps what the waiting mails would be found by: their
Message-IDs and the IDs they refer to, their sender (the loop guard and the
repeat check count by sender), and the ticket numbers they name or were
given. A mail that shares any of them, or that will change rows that exist
(a reply, a team member's mail, a bounce), first flushes what waits
(``settle``), so it reads exactly what one-mail-at-a-time intake would read.

The new tickets that wait are numbered when they are written
(``tickets.numbering.Numbering``): their acknowledgements, which carry the
number, are queued then, and their outcomes filled in. On PostgreSQL the
rows are written first, the tickets under stand-in numbers, and the real
numbers taken after: the counter row, which every process needs, stays
locked only for the last step.

On SQLite the waiting rows get their ids before the flush (``_give_ids``):
the ORM can only send rows whose ids the database makes one INSERT at a
time there (SQLite does not say which new id belongs to which row of a
multi-row INSERT), but rows that carry their ids go in one executemany per
table. The ids are the ones SQLite would give (the next after the largest;
no table is AUTOINCREMENT), and the batch holds SQLite's write lock from
its first statement (``BEGIN IMMEDIATE``), so no other writer can take them.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.bulk import write_new
from mailbot.mail.parse import InboundMail
from mailbot.pipeline.apply import NUMBERED_LATER
from mailbot.pipeline.outcome import Action, Outcome
from mailbot.tickets.numbering import Numbering, find_number


class Batch:
    """The keys of the mails whose rows wait in the session for the batch's flush."""

    def __init__(self, session: Session, settings: Settings):
        self.session = session
        self.settings = settings
        self._waiting: set[str] = set()
        self.numbering = Numbering(session, settings)
        self.outcomes: list[Outcome] = []
        self._unnumbered: list[int] = []  # where in ``outcomes`` a ticket waits for its number

    def done(self, outcome: Outcome) -> None:
        """One more mail's outcome, in the batch's order (a new ticket's is filled in when numbered)."""
        if outcome.action == Action.CREATED and outcome.detail == NUMBERED_LATER:
            self._unnumbered.append(len(self.outcomes))
        self.outcomes.append(outcome)

    def keys(self, mail: InboundMail) -> set[str]:
        keys = {"m:" + mid for mid in mail.thread_ids}
        if mail.message_id:
            keys.add("m:" + mail.message_id)
        if mail.from_addr:
            keys.add("a:" + mail.from_addr.lower())
        if mail.delivery_report is not None:
            keys.update("m:" + mid for mid in mail.delivery_report.original_message_ids)
        seq = find_number(self.settings, mail.subject)
        if seq is not None:
            keys.add("n:" + self.settings.mailbot.number_format.format(seq=seq))
        return keys

    def conflicts(self, mail: InboundMail) -> bool:
        """Whether ``mail`` may read a row that waits: then ``settle`` first.

        A ticket number in the subject may be one the waiting tickets are about to get.
        """
        if not self._waiting:
            return False
        keys = self.keys(mail)
        return not self._waiting.isdisjoint(keys) or (bool(self.numbering) and any(k[:2] == "n:" for k in keys))

    def wait(self, mail: InboundMail) -> None:
        """``mail``'s rows wait in the session."""
        self._waiting |= self.keys(mail)

    def settle(self) -> None:
        """Number the new tickets that wait and write everything: the next reads see it."""
        if self.numbering and self.session.bind.dialect.name != "sqlite":
            # Everything written first, the tickets under stand-in numbers: the counter is then
            # locked only for the numbers, the acknowledgements that carry them and the commit.
            # (SQLite has one writer at a time whatever we do: no second write there.)
            self.numbering.hold_places()
            self.session.flush()
        for i, outcome in zip(self._unnumbered, self.numbering.assign(), strict=True):
            self.outcomes[i] = outcome
        self._unnumbered.clear()
        if self._waiting or self.session.new or self.session.dirty:
            if self.session.bind.dialect.name == "sqlite":
                self._give_ids()
                if write_new(self.session):  # one executemany per table, without the unit of work
                    self._waiting.clear()
                    return
            self.session.flush()
        self._waiting.clear()

    def _give_ids(self) -> None:
        """Ids for the new rows, in the order they were added (timelines order by id)."""
        new = defaultdict(list)
        for obj in self.session.new:
            state = inspect(obj)
            (column,) = state.mapper.primary_key
            key = state.mapper.get_property_by_column(column).key
            if getattr(obj, key) is None:
                new[(state.mapper.local_table, key)].append((state.insert_order, obj))
        with self.session.no_autoflush:  # the largest ids as written, before any of these is
            last = {
                (table, key): self.session.execute(select(func.max(table.c[key]))).scalar() or 0 for table, key in new
            }
        for (table, key), rows in new.items():
            for i, (_order, obj) in enumerate(sorted(rows, key=lambda r: r[0]), start=1):
                setattr(obj, key, last[(table, key)] + i)
