"""The quarterly report's week and month of a ticket, as the database tells them, are those of its local date.

``_Weeks.lists`` finds them with a binary search over the instants of local
midnights (weeks and months cut together); here every hour of a quarter, in
zones with daylight saving time changes inside the quarter and without, is
told by SQLite and by the calendar in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, insert, select

from mailbot.db.models import Ticket
from mailbot.reports import quarterly as rep

QUARTERS = [
    ("America/Mexico_City", 2026, 2),
    ("America/New_York", 2026, 1),  # clocks go forward on 8 March
    ("America/New_York", 2026, 4),  # and back on 1 November
    ("Europe/London", 2026, 1),
    ("Australia/Lord_Howe", 2026, 2),  # half-hour change on 5 April
]


@pytest.mark.parametrize(("zone", "year", "q"), QUARTERS)
def test_week_and_month_are_those_of_the_local_date(zone, year, q):
    tz = ZoneInfo(zone)
    start, end = rep.quarter_bounds(year, q, zone)
    weeks = rep._Weeks(start, end, tz, end)
    engine = create_engine("sqlite://")
    Ticket.__table__.create(engine)
    instants = []
    at = start.astimezone(UTC) - timedelta(minutes=1)  # one before the quarter: counted in its first week
    while at < end:
        instants.append(at)
        at += timedelta(minutes=59)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Ticket),
            [
                dict(
                    seq=i,
                    number=f"T-{i}",
                    severity="leve",
                    requester="a@b.mx",
                    created_at=now,
                    updated_at=now,
                    received_at=when,
                )
                for i, when in enumerate(instants)
            ],
        )
        code = weeks.lists()["ticket"]
        found = conn.execute(select(Ticket.received_at, code).order_by(Ticket.seq)).all()
    first = weeks.mondays[0]
    assert len(found) == len(instants)
    for when, value in found:
        local = max(when.astimezone(tz), start).date()
        week = (local - first).days // 7
        month = local.month - start.month
        assert divmod(value, 9) == (week, month * 3), when  # no deadline: verdict 0
