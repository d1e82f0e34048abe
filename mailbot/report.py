"""The quarterly service report the terms promise ("revisará trimestralmente").

``quarterly`` computes the figures from the tickets received in a quarter,
per client domain and overall; ``render_text`` / ``render_html`` print them;
``send_quarterly`` queues the report mail once per quarter (a counters row
is the once-only key, so a second process or a restart never sends it twice).
"""

from __future__ import annotations

import html
import logging
import re
import statistics
from collections import Counter as Tally
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.db.models import Counter, Escalation, Event, Ticket

log = logging.getLogger("mailbot.report")

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)


def parse_quarter(text: str) -> tuple[int, int]:
    m = _QUARTER.match(text.strip())
    if not m:
        raise ValueError(f"not a quarter: {text!r} (write e.g. 2026Q3)")
    return int(m.group(1)), int(m.group(2))


def previous_quarter(day: date) -> tuple[int, int]:
    q = (day.month - 1) // 3 + 1
    return (day.year - 1, 4) if q == 1 else (day.year, q - 1)


def quarter_bounds(year: int, q: int, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(date(year, 3 * q - 2, 1), time(0), tz)
    end = datetime.combine(date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1), time(0), tz)
    return start, end


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # nearest rank: ceil(0.9 n)
    return ordered[rank - 1]


def _figures(app, tickets: list[Ticket], escalations: dict[int, list[Escalation]], now: datetime,
             no_ack: set[int] = frozenset()) -> dict:
    settings = app.settings
    business = settings.sla.attention.business_time and not settings.calendar.always_open
    # Mail that gets no acknowledgement by design (machine alerts, a team member's mail, the
    # per-sender limit) owes none: it counts neither for nor against the 30-minute rate.
    owed = [t for t in tickets if t.id not in no_ack or t.acknowledged_at is not None]
    ack_ok = sum(1 for t in owed if t.acknowledged_at and t.acknowledged_at - t.received_at <= settings.sla.acknowledge)
    measured, met, hours = 0, 0, []
    for t in tickets:
        if t.attention_due is None:
            continue  # list mail and the like: no attention deadline, so no figure either way
        if t.first_response_at is None and t.attention_due > now:
            continue  # still within its deadline: neither met nor missed yet
        measured += 1
        if t.first_response_at is not None:
            met += t.first_response_at <= t.attention_due
            spent = app.calendar.elapsed(t.received_at, t.first_response_at) if business \
                else t.first_response_at - t.received_at
            hours.append(round(spent.total_seconds() / 3600, 2))
    esc = [e for t in tickets for e in escalations.get(t.id, [])]
    return {
        "tickets": len(tickets),
        "by_severity": {s: sum(1 for t in tickets if t.severity == s) for s in ("critica", "grave", "leve")},
        "by_category": dict(sorted(Tally(t.category or "general" for t in tickets).items())),
        "acknowledgement_owed": len(owed),
        "acknowledged_in_time": ack_ok,
        "acknowledged_in_time_pct": _pct(ack_ok, len(owed)),
        "attention_measured": measured,
        "attention_in_time": met,
        "attention_in_time_pct": _pct(met, measured),
        "attention_hours_median": round(statistics.median(hours), 2) if hours else None,
        "attention_hours_p90": _p90(hours),
        "escalations_manager": sum(1 for e in esc if e.target == "manager"),
        "escalations_vendor": dict(sorted(Tally(e.target for e in esc if e.target != "manager").items())),
    }


def quarterly(app, session, year: int, q: int, *, client: str | None = None, now: datetime | None = None) -> dict:
    now = now or app.clock()
    start, end = quarter_bounds(year, q, app.settings.mailbot.timezone)
    query = select(Ticket).where(Ticket.received_at >= start, Ticket.received_at < end).order_by(Ticket.id)
    tickets = list(session.scalars(query))
    if client:
        tickets = [t for t in tickets if _domain(t) == client.lower()]
    escalations: dict[int, list[Escalation]] = {}
    no_ack: set[int] = set()
    ids = [t.id for t in tickets]
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for e in session.scalars(select(Escalation).where(Escalation.ticket_id.in_(chunk))):
            escalations.setdefault(e.ticket_id, []).append(e)
        no_ack.update(session.scalars(select(Event.ticket_id).where(
            Event.ticket_id.in_(chunk), Event.kind == "ack_suppressed")))
    domains = sorted({_domain(t) for t in tickets})
    return {
        "quarter": f"{year}Q{q}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "client": client,
        "business_hours": app.settings.sla.attention.business_time and not app.settings.calendar.always_open,
        "overall": _figures(app, tickets, escalations, now, no_ack),
        "clients": {d: _figures(app, [t for t in tickets if _domain(t) == d], escalations, now, no_ack)
                    for d in domains},
    }


def _domain(t: Ticket) -> str:
    return t.requester.rpartition("@")[2].lower()


_LABELS = [
    ("tickets", "Tickets recibidos"),
    ("acknowledged_in_time_pct", "Acuse en 30 minutos o menos (%)"),
    ("attention_in_time_pct", "Atención dentro del tiempo comprometido (%)"),
    ("attention_hours_median", "Tiempo de atención, mediana (horas{hours})"),
    ("attention_hours_p90", "Tiempo de atención, percentil 90 (horas{hours})"),
    ("escalations_manager", "Escalamientos al gerente"),
]


def _hours(report: dict) -> str:
    return " hábiles" if report.get("business_hours", True) else ""


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


def _sections(report: dict):
    yield "Total", report["overall"]
    if len(report["clients"]) > 1 or report["client"]:
        for domain, figures in report["clients"].items():
            yield f"Cliente {domain}", figures


def render_text(report: dict, company: str) -> str:
    lines = [f"Reporte trimestral de soporte {company}: {report['quarter']}", ""]
    for title, f in _sections(report):
        lines.append(title)
        lines += [f"  {label.format(hours=_hours(report))}: {_fmt(f[key])}" for key, label in _LABELS]
        lines.append(f"  Por criticidad: {_fmt(f['by_severity'])}")
        lines.append(f"  Por categoría: {_fmt(f['by_category'])}")
        lines.append(f"  Escalamientos a fabricantes: {_fmt(f['escalations_vendor'])}")
        lines.append("")
    return "\n".join(lines)


def render_html(report: dict, company: str) -> str:
    e = html.escape
    parts = [f"<h1>Reporte trimestral de soporte {e(company)}: {e(report['quarter'])}</h1>"]
    for title, f in _sections(report):
        rows = [(label.format(hours=_hours(report)), _fmt(f[key])) for key, label in _LABELS] + [
            ("Por criticidad", _fmt(f["by_severity"])), ("Por categoría", _fmt(f["by_category"])),
            ("Escalamientos a fabricantes", _fmt(f["escalations_vendor"]))]
        parts.append(f"<h2>{e(title)}</h2><table>" + "".join(
            f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows) + "</table>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def recipients(settings) -> list[str]:
    return list(settings.report.recipients or ([settings.team.manager] if settings.team.manager else []))


def send_quarterly(app, year: int, q: int, *, now: datetime | None = None, force: bool = False) -> bool:
    """Queue the report mail for a quarter; False when it was already sent (or nobody gets it)."""
    from mailbot.outbox import queue_mail

    now = now or app.clock()
    to = recipients(app.settings)
    if not to:
        log.warning("quarterly report %sQ%s: no [report] recipients and no manager; not sent", year, q)
        return False
    try:
        with app.sessions.begin() as session:
            if not force:
                session.add(Counter(name=f"quarterly_report:{year}Q{q}", value=1))
                session.flush()
            report = quarterly(app, session, year, q, now=now)
            company = app.settings.mailbot.company
            queue_mail(session, app.settings, kind="report", to=to,
                       subject=f"Reporte trimestral de soporte {company} {year}Q{q}",
                       body=render_text(report, company), html=render_html(report, company), now=now)
    except IntegrityError:
        return False  # sent already, by this or another process
    log.info("quarterly report %sQ%s queued for %s", year, q, ", ".join(to))
    return True


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
    if today.month not in (1, 4, 7, 10) or today < first_business_day(app, today.year, today.month):
        return
    send_quarterly(app, *previous_quarter(today))


def add_report_job(sched) -> None:
    sched.scheduler.add_job(lambda: _safe(report_job, sched.current_app, sched.on_mail), "cron",
                            id="quarterly_report", month="1,4,7,10", day="1-10", hour=9, minute=5,
                            max_instances=1, coalesce=True)


def _safe(job, current_app, on_mail):
    try:
        job(current_app)
        on_mail()
    except Exception:
        log.exception("quarterly report job failed; it runs again tomorrow within the quarter's first days")
