"""``db.bulk.write_new`` stores exactly what the ORM's flush stores, row for row, on SQLite.

The batch path writes a batch's new rows with one executemany per table instead of the unit of
work (``pipeline.batch``). Each case builds the same objects in two fresh databases, flushes one
and bulk-writes the other, and compares every column of every table as stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from mailbot.app import build_app
from mailbot.db.bulk import write_new
from mailbot.db.models import Base, Event, MessageRow, Ticket

AT = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def ticket(seq: int, **fields) -> Ticket:
    row = dict(
        id=seq,
        seq=seq,
        number=f"IMG-{seq:06d}",
        severity="leve",
        requester=f"c{seq}@cliente.com.mx",
        created_at=AT,
        updated_at=AT,
        received_at=AT,
        classification={"rule": "x"},
    )
    row.update(fields)
    return Ticket(**row)


def unset_json(s):
    t = ticket(1)
    del t.classification  # never given: NULL, not JSON 'null'
    s.add(t)
    s.add(ticket(2, classification=None))  # given as None: JSON null, as the flush writes it


def none_on_a_defaulted_column(s):
    t = ticket(1, requester_name=None, status=None)
    s.add(t)
    s.add(Event(id=1, ticket=t, at=AT, kind="created", actor=None, data=None))


def relationship_set_to_none_over_a_key(s):
    s.add(ticket(1))
    s.flush()
    m = MessageRow(id=1, ticket_id=1, direction="in", message_id="<m@x>", kind="client", at=AT)
    m.ticket = None  # the flush clears ticket_id
    s.add(m)


def rows_from_both_sides(s):
    t = ticket(1)
    s.add(t)
    t.messages.append(MessageRow(id=1, direction="in", message_id="<a@x>", kind="client", at=AT))
    s.add(MessageRow(id=2, ticket=t, direction="out", message_id="<b@x>", kind="ack", at=AT, to_addrs=["c@x"]))
    s.add(ticket(2, linked_ticket_id=1, requester_name="Ana"))


CASES = [unset_json, none_on_a_defaulted_column, relationship_set_to_none_over_a_key, rows_from_both_sides]


def stored(app) -> dict:
    with app.engine.connect() as c:
        return {
            table.name: sorted(map(tuple, c.execute(text(f"SELECT * FROM {table.name}")).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_the_bulk_write_stores_what_the_flush_stores(make_settings, tmp_path, case):
    results, took = [], []
    for way in ("flush", "bulk"):
        app = build_app(make_settings(db_url=f"sqlite:///{tmp_path / way}.db"))
        try:
            with app.sessions.begin() as s:
                case(s)
                if way == "bulk":
                    took.append(write_new(s))
                s.flush()
            results.append(stored(app))
            with app.sessions() as s:  # and what the objects read back say
                results[-1]["objects"] = [
                    (t.number, t.status, t.requester_name, t.classification) for t in s.scalars(select(Ticket))
                ]
        finally:
            app.close()
    assert took == [True]  # the bulk way ran, not the flush after it
    assert results[1] == results[0]
