"""Deadlines of a ticket, in business or calendar time as configured."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.config import Settings
from mailbot.vocab import ScreeningKind, Severity

_WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
_DAY_NAMES = {
    "mon": "lunes",
    "tue": "martes",
    "wed": "miércoles",
    "thu": "jueves",
    "fri": "viernes",
    "sat": "sábado",
    "sun": "domingo",
}


def attention_target(settings: Settings, severity: Severity | str) -> timedelta:
    # [sla.attention] has one key per severity, named as the severity is stored.
    return getattr(settings.sla.attention, severity)


def add_time(app, start: datetime, duration: timedelta, business: bool) -> datetime:
    if business and not app.settings.calendar.always_open and app.calendar is not None:
        return app.calendar.add(start, duration)
    return start + duration


def business(app) -> bool:
    """Whether attention time is counted in business hours (else in calendar time)."""
    return app.settings.sla.attention.business_time and not app.settings.calendar.always_open


def elapsed_seconds(app, start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end`` as attention time counts them (business or calendar)."""
    if end <= start:
        return 0
    if business(app) and app.calendar is not None:
        return int(app.calendar.elapsed(start, end).total_seconds())
    return int((end - start).total_seconds())


def add_days(app, start: datetime, days: int) -> datetime:
    """``days`` business days after ``start`` (a business day is the calendar's opening hours), else calendar days."""
    if business(app) and app.calendar is not None:
        opens, closes = (datetime.strptime(h, "%H:%M") for h in app.settings.calendar.hours)
        return app.calendar.add(start, (closes - opens) * days)
    return start + timedelta(days=days)


# The most an offset change (DST) can lengthen or shorten one day's opening, or a night, in practice.
_OFFSET_SLACK = timedelta(hours=2)


def days_floor(app, days: int) -> timedelta:
    """The least calendar time ``add_days(app, start, days)`` can be after ``start``: a cheap first filter.

    ``days`` business days are ``days`` openings' worth of business time. A day's
    opening holds at most its hours (give or take an offset change), so that much
    needs at least ``windows`` openings, on as many local days, and between two of
    them lies a night at least a day minus the opening hours long. The SLA tick
    asks the exact question only of the tickets past this: with the opening hours
    alone as the floor it asked it, every minute, of every ticket waiting a day.
    """
    if business(app) and app.calendar is not None:
        opens, closes = (datetime.strptime(h, "%H:%M") for h in app.settings.calendar.hours)
        hours = closes - opens
        total = hours * days
        if days <= 0:
            return total
        windows = -(-total // (hours + _OFFSET_SLACK))  # ceil
        night = max(timedelta(days=1) - hours - _OFFSET_SLACK, timedelta(0))
        return total + night * (windows - 1)
    return timedelta(days=days)


def set_deadlines(app, ticket) -> None:
    """(Re)compute the deadlines from the original reception, never the sender's Date."""
    settings = app.settings
    ticket.ack_due = ticket.received_at + settings.sla.acknowledge
    if ticket.origin == ScreeningKind.BULK:
        # List mail and newsletters are nobody's report: kept as tickets, never escalated.
        ticket.attention_due = None
        return
    ticket.attention_due = add_time(
        app, ticket.received_at, attention_target(settings, ticket.severity), settings.sla.attention.business_time
    )


def duration_text(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} horas" if seconds != 3600 else "1 hora"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutos" if seconds != 60 else "1 minuto"
    return f"{seconds} segundos" if seconds != 1 else "1 segundo"


def counts_business_time(settings: Settings) -> bool:
    """Whether attention targets count business hours only (else every hour of the clock)."""
    return settings.sla.attention.business_time and not settings.calendar.always_open


def target_texts(settings: Settings) -> dict[str, str]:
    """The attention target of each severity, as client mail states it ("2 horas hábiles")."""
    unit = " hábiles" if counts_business_time(settings) else ""
    return {s.value: duration_text(attention_target(settings, s)) + unit for s in Severity}


def hours_context(settings: Settings) -> dict:
    """What client mail says of the service hours and the targets (template variables)."""
    return {
        "business_hours": business_hours_text(settings),
        "targets": target_texts(settings),
        "business_time": counts_business_time(settings),
        # The days of statutory rest of Mexico's Ley Federal del Trabajo (art. 74) are the
        # holidays the calendar takes for MX; another country's are named otherwise.
        "statutory_rest_mx": settings.calendar.country == "MX",
        "holidays_off": bool(settings.calendar.country),
    }


def business_hours_text(settings: Settings) -> str:
    cal = settings.calendar
    if cal.always_open:
        return "24 horas, todos los días"
    days = [_DAY_NAMES[d] for d in cal.days]
    span = f"{days[0]} a {days[-1]}" if len(days) > 2 else " y ".join(days)
    return (
        f"{span} de {cal.hours[0]} a {cal.hours[1]} (hora del centro de México)"
        if settings.mailbot.timezone == "America/Mexico_City"
        else f"{span} de {cal.hours[0]} a {cal.hours[1]} ({settings.mailbot.timezone})"
    )


def local_text(app, when: datetime | None) -> str:
    if when is None:
        return "-"
    local = when.astimezone(ZoneInfo(app.settings.mailbot.timezone))
    return (
        f"{_WEEKDAYS_ES[local.weekday()]} {local.day} de {_MONTHS_ES[local.month - 1]} de {local.year}, {local:%H:%M}"
    )
