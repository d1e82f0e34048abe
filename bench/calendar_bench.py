"""Rough timings of business-time arithmetic: python bench/calendar_bench.py"""

import timeit
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.config import CalendarSection
from mailbot.sla.calendar import BusinessCalendar

cal = BusinessCalendar(CalendarSection(), "America/Mexico_City")
start = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("America/Mexico_City"))

for label, stmt in [
    ("is_open", lambda: cal.is_open(start)),
    ("add 2h", lambda: cal.add(start, timedelta(hours=2))),
    ("add 24h", lambda: cal.add(start, timedelta(hours=24))),
    ("add 500h", lambda: cal.add(start, timedelta(hours=500))),
    ("elapsed 1 year", lambda: cal.elapsed(start, start + timedelta(days=365))),
    ("explain 24h", lambda: cal.explain(start, timedelta(hours=24))),
]:
    n, total = timeit.Timer(stmt).autorange()
    print(f"{label:16} {total / n * 1e6:10.1f} µs")
