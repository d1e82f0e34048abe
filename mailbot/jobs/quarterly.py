"""When the quarterly report goes out: a daily job in each quarter's first days.

The report itself (figures, rendering, recipients, the once-only send) is
``mailbot.reports.quarterly``; this module only decides the day.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from mailbot.reports.quarterly import previous_quarter, send_quarterly

# The report's logger: ops read the report's sends and this job's failures under one name.
log = logging.getLogger("mailbot.report")

QUARTER_MONTHS = (1, 4, 7, 10)


def first_business_day(app, year: int, month: int) -> date:
    day = date(year, month, 1)
    while app.calendar is not None and not app.settings.calendar.always_open and app.calendar.closed_reason(day):
        day += timedelta(days=1)
    return day


def report_job(current_app) -> None:
    """Daily in a quarter's first days: from its first business day on, send last quarter's report.

    Once only (the counters key): a daemon that was down on the first
    business day sends it when it runs again within those days.
    """
    app = current_app()
    today = app.clock().astimezone(ZoneInfo(app.settings.mailbot.timezone)).date()
    if today.month not in QUARTER_MONTHS or today < first_business_day(app, today.year, today.month):
        return
    send_quarterly(app, *previous_quarter(today))


def add_report_job(sched) -> None:
    """Add the job to a ``mailbot.jobs.scheduler.Scheduler``."""
    sched.scheduler.add_job(
        lambda: _safe(report_job, sched.current_app, sched.on_mail),
        "cron",
        id="quarterly_report",
        month=",".join(map(str, QUARTER_MONTHS)),
        day="1-10",
        hour=9,
        minute=5,
        max_instances=1,
        coalesce=True,
    )


def _safe(job, current_app, on_mail):
    try:
        job(current_app)
        on_mail()
    except Exception:
        log.exception("quarterly report job failed; it runs again tomorrow within the quarter's first days")
