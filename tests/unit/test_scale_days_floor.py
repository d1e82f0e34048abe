"""``days_floor`` is never more than the calendar time ``add_days`` takes: the SLA tick's first filter loses nobody.

The tick asks the exact question (``add_days``) only of the tickets waiting
longer than ``days_floor``; a floor above the real span would leave a client
unreminded. Checked on business calendars with offset changes (DST, a
half-hour one), nights short and long, weekends off and on.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from mailbot.config import settings_from_dict
from mailbot.sla import deadlines
from mailbot.sla.calendar import BusinessCalendar

CALENDARS = [
    ("America/Mexico_City", ["09:00", "18:00"], None),
    ("America/New_York", ["01:00", "23:00"], None),
    ("Europe/London", ["00:30", "23:59"], ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    ("Australia/Lord_Howe", ["01:00", "03:00"], ["sat", "sun"]),
    ("America/Santiago", ["00:00", "23:30"], None),
]


@pytest.mark.parametrize(("zone", "hours", "days"), CALENDARS)
def test_the_floor_is_never_above_the_span(zone, hours, days):
    calendar = {"hours": hours} | ({"days": days} if days else {})
    settings = settings_from_dict({"mailbot": {"timezone": zone}, "calendar": calendar})
    app = SimpleNamespace(settings=settings, calendar=BusinessCalendar.from_settings(settings))
    rng = random.Random(zone)
    for n in (1, 2, 3, 5, 10):
        floor = deadlines.days_floor(app, n)
        spans = []
        for _ in range(400):
            start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
            spans.append(deadlines.add_days(app, start, n) - start)
        assert min(spans) >= floor, (zone, n)


def test_the_shipped_calendar_counts_the_nights():
    """Five business days of 09:00-18:00 take at least four calendar days: the tick reads no younger waits."""
    settings = settings_from_dict({})
    app = SimpleNamespace(settings=settings, calendar=BusinessCalendar.from_settings(settings))
    assert deadlines.days_floor(app, 5) >= timedelta(days=4)
    assert deadlines.days_floor(app, 2) >= timedelta(days=1)
