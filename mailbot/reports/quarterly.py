"""The quarterly service report the terms promise ("revisará trimestralmente").

``quarterly`` computes the figures from the tickets received in a quarter,
per client domain and overall (a ticket merged into another is counted in
none of them: its thread is the other ticket's, and the report says how many
were merged); ``render_text`` / ``render_html`` print them;
``send_quarterly`` queues the report mail once per quarter (a counters row
is the once-only key, so a second process or a restart never sends it twice).
"""

from __future__ import annotations

import html
import logging
import re
import statistics
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.addresses import normalize_domain
from mailbot.db.models import Counter, Escalation, Event, MessageRow, Ticket
from mailbot.outbound.outbox import queue_mail
from mailbot.vocab import Direction, MessageKind, Role, ScreeningKind, SendStatus, Severity

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


# Why a report got no acknowledgement within [sla] acknowledge, as the report says it.
ACK_REASONS = {
    "late": "acuse enviado tarde",
    "loop_protection": "retenido por la protección contra bucles",
    "rule": "retenido por una regla (sin respuesta automática)",
    "relay_failure": "rechazado por el servidor de correo",
    "bounced": "el acuse rebotó",
    "no_address": "sin dirección del remitente",
    "not_sent": "acuse aún sin enviar",
    "none": "sin acuse registrado",
}


@dataclass
class _AckFacts:
    """What the database says about one ticket's acknowledgement."""

    created: dict | None = None  # the "created" event's data: how the ticket came in
    suppressed: list[str] = field(default_factory=list)  # ack_suppressed reasons
    acks: list[tuple[str, str | None]] = field(default_factory=list)  # (Message-ID, status) of our acks
    failed: dict[str, str] = field(default_factory=dict)  # Message-ID -> permanent send error
    bounced: dict[str, str] = field(default_factory=dict)  # Message-ID -> bounce diagnostic


@dataclass(frozen=True)
class Ack:
    """How a report's acknowledgement went: "in_time", "missed" (with why) or "pending" (not due yet)."""

    state: str
    reason: str | None = None
    detail: str | None = None


def is_report(ticket: Ticket, created: dict | None) -> bool:
    """A report a person sent by mail: what the terms promise to acknowledge.

    Machine and list mail (origin auto/bulk) is not, nor mail from the team or a
    vendor; bounces, out-of-office replies and repeats open no ticket at all.
    Reports the team brings in (origin phone, forward) are another channel: a
    call is acknowledged by the call itself, and a forward reached the desk
    only when forwarded, so its original date would time the engineer's mailbox,
    not the desk. A mail split off another ticket (origin split) came in as a
    reply in that ticket's thread, which owes no acknowledgement. None of them
    is in this figure.
    """
    if ticket.origin != ScreeningKind.NORMAL:
        return False
    return created is None or created.get("role", Role.CLIENT) == Role.CLIENT


def acknowledgement(settings, ticket: Ticket, facts: _AckFacts, now: datetime) -> Ack | None:
    """The acknowledgement of one ticket as the terms count it; None when it is not a report.

    Whatever kept it from the client (loop protection, the relay, no address, a
    bounce) counts against the 30 minutes: the client got no acknowledgement.
    """
    if not is_report(ticket, facts.created):
        return None
    limit = settings.sla.acknowledge
    bounce = next((facts.bounced[m] for m, _ in facts.acks if m in facts.bounced), None)
    if ticket.acknowledged_at is not None and bounce is None:
        spent = ticket.acknowledged_at - ticket.received_at
        if spent <= limit:
            return Ack("in_time")
        return Ack("missed", "late", f"a los {max(int(spent.total_seconds() // 60), 1)} min")
    if "@" not in (ticket.requester or ""):
        return Ack("missed", "no_address", ticket.requester or None)
    if facts.suppressed:
        why = facts.suppressed[0]
        return Ack("missed", "rule" if why.startswith("rule:") else "loop_protection", why)
    if ticket.acknowledged_at is not None:
        return Ack("missed", "bounced", bounce)
    failure = next((facts.failed.get(m, "") for m, status in facts.acks if status == SendStatus.FAILED), None)
    if failure is not None:
        return Ack("missed", "relay_failure", failure or None)
    if now - ticket.received_at <= limit:
        return Ack("pending")  # still within its 30 minutes: neither met nor missed yet
    return Ack("missed", "not_sent" if facts.acks else "none")


def _ack_facts(session, ids: list[int]) -> dict[int, _AckFacts]:
    facts: dict[int, _AckFacts] = {i: _AckFacts() for i in ids}
    # A ticket merged into this one brought its events and mail along: they are that
    # ticket's acknowledgement, not this one's (events say where they happened, and
    # the merged_from event lists the mail that moved).
    merged_mail: dict[int, set[str]] = {i: set() for i in ids}
    for ticket_id, kind, data in session.execute(
        select(Event.ticket_id, Event.kind, Event.data)
        .where(
            Event.ticket_id.in_(ids),
            Event.kind.in_(("created", "ack_suppressed", "send_failed", "bounced", "merged_from")),
        )
        .order_by(Event.id)
    ):
        f, data = facts[ticket_id], data or {}
        if kind == "merged_from":
            merged_mail[ticket_id].update(data.get("message_ids") or ())
        elif "from_ticket" in data:
            continue
        elif kind == "created":
            f.created = data
        elif kind == "ack_suppressed":
            f.suppressed.append(str(data.get("reason") or ""))
        elif kind == "send_failed":
            f.failed[data.get("message_id")] = str(data.get("error") or "")
        else:
            f.bounced[data.get("message_id")] = str(data.get("diagnostic") or "")
    for ticket_id, message_id, status in session.execute(
        select(MessageRow.ticket_id, MessageRow.message_id, MessageRow.status)
        .where(MessageRow.ticket_id.in_(ids), MessageRow.direction == Direction.OUT, MessageRow.kind == MessageKind.ACK)
        .order_by(MessageRow.id)
    ):
        if message_id not in merged_mail[ticket_id]:
            facts[ticket_id].acks.append((message_id, status))
    return facts


def _figures(
    app, tickets: list[Ticket], escalations: dict[int, list[Escalation]], now: datetime, acks: dict[int, Ack | None]
) -> dict:
    settings = app.settings
    business = settings.sla.attention.business_time and not settings.calendar.always_open
    # Every report a person sent by mail whose 30 minutes are over; one that got no
    # acknowledgement in time counts against the figure whatever the reason.
    owed = [acks[t.id] for t in tickets if acks.get(t.id) is not None and acks[t.id].state != "pending"]
    ack_ok = sum(1 for a in owed if a.state == "in_time")
    missed = Tally(a.reason for a in owed if a.state == "missed")
    attention, met, hours = 0, 0, []
    for t in tickets:
        if t.attention_due is None:
            continue  # list mail and the like: no attention deadline, so no figure either way
        if t.first_response_at is None and t.attention_due > now:
            continue  # still within its deadline: neither met nor missed yet
        attention += 1
        if t.first_response_at is not None:
            met += t.first_response_at <= t.attention_due
            spent = (
                app.calendar.elapsed(t.received_at, t.first_response_at)
                if business
                else t.first_response_at - t.received_at
            )
            hours.append(round(spent.total_seconds() / 3600, 2))
    esc = [e for t in tickets for e in escalations.get(t.id, [])]
    return {
        "tickets": len(tickets),
        "by_severity": {s: sum(1 for t in tickets if t.severity == s) for s in Severity},
        "by_category": dict(sorted(Tally(t.category or "general" for t in tickets).items())),
        "acknowledgement_owed": len(owed),
        "acknowledged_in_time": ack_ok,
        "acknowledged_in_time_pct": _pct(ack_ok, len(owed)),
        "acknowledgement_missed": {r: missed[r] for r in ACK_REASONS if missed[r]},
        "attention_measured": attention,
        "attention_in_time": met,
        "attention_in_time_pct": _pct(met, attention),
        "attention_hours_median": round(statistics.median(hours), 2) if hours else None,
        "attention_hours_p90": _p90(hours),
        "escalations_manager": sum(1 for e in esc if e.target == Role.MANAGER),
        "escalations_vendor": dict(sorted(Tally(e.target for e in esc if e.target != Role.MANAGER).items())),
    }


def quarterly(app, session, year: int, q: int, *, client: str | None = None, now: datetime | None = None) -> dict:
    now = now or app.clock()
    zone = ZoneInfo(app.settings.mailbot.timezone)
    start, end = quarter_bounds(year, q, app.settings.mailbot.timezone)
    query = select(Ticket).where(Ticket.received_at >= start, Ticket.received_at < end).order_by(Ticket.id)
    tickets = list(session.scalars(query))
    if client:
        tickets = [t for t in tickets if _domain(t) == normalize_domain(client.strip().lstrip("@"))]
    # Merged into another ticket (#fusionar): one problem reported twice is counted once, as
    # the ticket it went to; the merged ones are only listed, with where they went.
    merged = [t for t in tickets if t.merged_into_id is not None]
    tickets = [t for t in tickets if t.merged_into_id is None]
    into: dict[int, str] = {}
    if merged:
        where = Ticket.id.in_({t.merged_into_id for t in merged})
        into = dict(session.execute(select(Ticket.id, Ticket.number).where(where)).all())
    escalations: dict[int, list[Escalation]] = {}
    acks: dict[int, Ack | None] = {}
    ids = [t.id for t in tickets]
    by_id = {t.id: t for t in tickets}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for e in session.scalars(select(Escalation).where(Escalation.ticket_id.in_(chunk))):
            escalations.setdefault(e.ticket_id, []).append(e)
        for ticket_id, facts in _ack_facts(session, chunk).items():
            acks[ticket_id] = acknowledgement(app.settings, by_id[ticket_id], facts, now)
    domains = sorted({_domain(t) for t in tickets + merged})
    misses = [
        {
            "ticket": t.number,
            "requester": t.requester,
            "received_at": t.received_at.isoformat(),
            "received_local": t.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "acknowledged_at": t.acknowledged_at.isoformat() if t.acknowledged_at else None,
            "reason": acks[t.id].reason,
            "reason_text": ACK_REASONS[acks[t.id].reason],
            "detail": acks[t.id].detail,
        }
        for t in tickets
        if acks.get(t.id) is not None and acks[t.id].state == "missed"
    ]
    return {
        "quarter": f"{year}Q{q}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "client": client,
        "business_hours": app.settings.sla.attention.business_time and not app.settings.calendar.always_open,
        "overall": _figures(app, tickets, escalations, now, acks),
        "clients": {d: _figures(app, [t for t in tickets if _domain(t) == d], escalations, now, acks) for d in domains},
        "acknowledgement_misses": misses,
        "merged": [
            {"ticket": t.number, "into": into.get(t.merged_into_id), "client": _domain(t)}
            for t in sorted(merged, key=lambda t: t.seq)
        ],
    }


def _domain(t: Ticket) -> str:
    return normalize_domain(t.requester.rpartition("@")[2])


_LABELS = [
    ("tickets", "Tickets recibidos"),
    ("acknowledgement_owed", "Reportes de clientes por correo"),
    ("acknowledged_in_time_pct", "Acuse en 30 minutos o menos (%)"),
    ("acknowledgement_missed", "Sin acuse en 30 minutos o menos"),
    ("attention_in_time_pct", "Atención dentro del tiempo comprometido (%)"),
    ("attention_hours_median", "Tiempo de atención, mediana (horas{hours})"),
    ("attention_hours_p90", "Tiempo de atención, percentil 90 (horas{hours})"),
    ("escalations_manager", "Escalamientos al gerente"),
]

# The text and HTML list this many reports without a timely acknowledgement; --json has all.
MISSES_SHOWN = 50


def _hours(report: dict) -> str:
    return " hábiles" if report.get("business_hours", True) else ""


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    return str(value)


def _missed(by_reason: dict) -> str:
    """The count and its reasons, e.g. "2 (acuse enviado tarde: 1, ...: 1)"; "0" when none."""
    total = sum(by_reason.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{ACK_REASONS.get(r, r)}: {n}" for r, n in by_reason.items()) + ")"


MERGED_LABEL = "Tickets fusionados en otro (no cuentan en estas cifras)"


def _rows(report: dict, f: dict, merged: int) -> list[tuple[str, str]]:
    rows = [
        (label.format(hours=_hours(report)), _missed(f[key]) if key == "acknowledgement_missed" else _fmt(f[key]))
        for key, label in _LABELS
    ]
    rows.insert(1, (MERGED_LABEL, str(merged)))
    return rows + [
        ("Por criticidad", _fmt(f["by_severity"])),
        ("Por categoría", _fmt(f["by_category"])),
        ("Escalamientos a fabricantes", _fmt(f["escalations_vendor"])),
    ]


def _miss_lines(report: dict) -> tuple[list[str], int]:
    """One line per report without a timely acknowledgement (up to MISSES_SHOWN), and how many more."""
    misses = report.get("acknowledgement_misses", [])
    lines = [
        f"{m['ticket']}, {m['requester'] or '(sin dirección)'}, recibido {m['received_local']}: "
        f"{m['reason_text']}" + (f" ({m['detail'][:200]})" if m["detail"] else "")
        for m in misses[:MISSES_SHOWN]
    ]
    return lines, max(len(misses) - MISSES_SHOWN, 0)


def _sections(report: dict):
    """(title, figures, how many tickets were merged) of each section."""
    merged = report.get("merged", [])
    yield "Total", report["overall"], len(merged)
    if len(report["clients"]) > 1 or report["client"]:
        for domain, figures in report["clients"].items():
            yield f"Cliente {domain}", figures, sum(1 for m in merged if m["client"] == domain)


def render_text(report: dict, company: str) -> str:
    lines = [f"Reporte trimestral de soporte {company}: {report['quarter']}", ""]
    for title, f, merged in _sections(report):
        lines.append(title)
        lines += [f"  {label}: {value}" for label, value in _rows(report, f, merged)]
        lines.append("")
    misses, more = _miss_lines(report)
    if misses:
        lines.append("Reportes sin acuse en 30 minutos o menos")
        lines += [f"  {line}" for line in misses]
        if more:
            lines.append(f"  … y {more} más (mailbot report quarterly --json)")
        lines.append("")
    return "\n".join(lines)


def render_html(report: dict, company: str) -> str:
    e = html.escape
    parts = [f"<h1>Reporte trimestral de soporte {e(company)}: {e(report['quarter'])}</h1>"]
    for title, f, merged in _sections(report):
        parts.append(
            f"<h2>{e(title)}</h2><table>"
            + "".join(f"<tr><th align=left>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _rows(report, f, merged))
            + "</table>"
        )
    misses, more = _miss_lines(report)
    if misses:
        items = misses + ([f"… y {more} más (mailbot report quarterly --json)"] if more else [])
        parts.append(
            "<h2>Reportes sin acuse en 30 minutos o menos</h2><ul>"
            + "".join(f"<li>{e(line)}</li>" for line in items)
            + "</ul>"
        )
    return "<html><body>" + "".join(parts) + "</body></html>"


def recipients(settings) -> list[str]:
    return list(settings.report.recipients or ([settings.team.manager] if settings.team.manager else []))


def send_quarterly(app, year: int, q: int, *, now: datetime | None = None, force: bool = False) -> bool:
    """Queue the report mail for a quarter; False when it was already sent (or nobody gets it)."""
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
            queue_mail(
                session,
                app.settings,
                kind=MessageKind.REPORT,
                to=to,
                subject=f"Reporte trimestral de soporte {company} {year}Q{q}",
                body=render_text(report, company),
                html=render_html(report, company),
                now=now,
            )
    except IntegrityError:
        return False  # sent already, by this or another process
    log.info("quarterly report %sQ%s queued for %s", year, q, ", ".join(to))
    return True
