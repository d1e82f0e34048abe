"""When the morning digests go out: a cron job at ``[digest] engineers_at`` and one at ``manager_at``.

The digests themselves (data, rendering, the once-a-day claim) are
``mailbot.reports.digest``; this module only decides the moment: business
days only (a rest day or a weekend sends nothing, unless the calendar is
always open), at the configured local time. A process that starts within
``CATCH_UP`` after that time sends at once (the claim keeps it to one a day),
so a restart at 08:35 does not cost the team its digest. A reload may change
the times or turn a digest on or off: a small job keeps the cron jobs in step
with the settings in force.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.reports.digest import ENGINEERS, KINDS, MANAGER, send_digests

log = logging.getLogger("mailbot.digest")

CATCH_UP = timedelta(hours=2)
SYNC_EVERY = 60  # seconds: how soon a reloaded [digest] time takes effect
_SETTING = {ENGINEERS: "engineers_at", MANAGER: "manager_at"}


def job_id(kind: str) -> str:
    return f"digest_{kind}"


def configured_at(settings, kind: str) -> str:
    """ "08:30", or "" when this digest is off."""
    return getattr(settings.digest, _SETTING[kind])


def business_day(app, now: datetime) -> bool:
    if app.settings.calendar.always_open or app.calendar is None:
        return True
    day = now.astimezone(ZoneInfo(app.settings.mailbot.timezone)).date()
    return app.calendar.closed_reason(day) is None


def digest_job(current_app, kind: str) -> list[str]:
    """Send today's digests of ``kind`` if today is a business day and the digest is on; who got one."""
    app = current_app()
    if not configured_at(app.settings, kind):
        return []
    now = app.clock()
    if not business_day(app, now):
        log.info("%s digest: not a business day; nothing sent", kind)
        return []
    return send_digests(app, kind, now)


def _safe(current_app, on_mail, kind: str) -> None:
    try:
        if digest_job(current_app, kind):
            on_mail()
    except Exception:
        log.exception("%s digest job failed; it runs again on the next business day", kind)


def _catch_up(settings, at: str) -> datetime | None:
    """Now, when this process starts within CATCH_UP after today's time; else None (the cron time).

    The wall clock, as APScheduler's: it is what decides when the cron job runs.
    """
    now = datetime.now(ZoneInfo(settings.mailbot.timezone))
    hour, minute = map(int, at.split(":"))
    today_at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return now if today_at <= now < today_at + CATCH_UP else None


def _schedule(sched, kind: str, at: str, *, first: bool = False) -> None:
    hour, minute = map(int, at.split(":"))
    extra = {}
    if first and (when := _catch_up(sched.current_app().settings, at)) is not None:
        extra["next_run_time"] = when
    sched.scheduler.add_job(
        lambda: _safe(sched.current_app, sched.on_mail, kind),
        "cron",
        id=job_id(kind),
        hour=hour,
        minute=minute,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(CATCH_UP.total_seconds()),
        replace_existing=True,
        **extra,
    )


def sync_digest_jobs(sched, scheduled: dict[str, str]) -> None:
    """Bring the cron jobs in line with the settings in force (after a reload); ``scheduled``: kind -> time."""
    settings = sched.current_app().settings
    for kind in KINDS:
        at = configured_at(settings, kind)
        if at == scheduled.get(kind, ""):
            continue
        if at:
            _schedule(sched, kind, at)
            log.info("%s digest now at %s", kind, at)
        else:
            sched.scheduler.remove_job(job_id(kind))
            log.info("%s digest turned off", kind)
        scheduled[kind] = at


def add_digest_jobs(sched) -> None:
    """Add the digest jobs to a ``mailbot.jobs.scheduler.Scheduler``."""
    settings = sched.current_app().settings
    scheduled: dict[str, str] = {}
    for kind in KINDS:
        at = configured_at(settings, kind)
        if at:
            _schedule(sched, kind, at, first=True)
        scheduled[kind] = at

    def sync():
        try:
            sync_digest_jobs(sched, scheduled)
        except Exception:
            log.exception("digest schedule not updated after a reload; the times before stay in force")

    sched.scheduler.add_job(sync, "interval", id="digest_schedule", seconds=SYNC_EVERY, max_instances=1, coalesce=True)
