"""The quarterly service report the terms promise ("revisará trimestralmente").

``quarterly`` computes the figures from the tickets received in a quarter,
per client domain and overall (a ticket merged into another is counted in
none of them: its thread is the other ticket's, and the report says how many
were merged). The contract's attention figure is each report's first answer;
the clocks of the client's later notices in the quarter are counted beside it.
The clients that need attention (``needs_attention``) lead the report, before
the charts and one row per client.

``render_text`` / ``render_html`` print it, every chart with its figures as a
table too; ``mail_html`` draws the charts (a subprocess, about a second) only
for a mail or a file, never for the text or ``--json``. ``send_quarterly``
queues the report mail once per quarter (a counters row is the once-only key,
so a second process or a restart never sends it twice).
"""

from __future__ import annotations

import base64
import html
import logging
import re
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.addresses import wire_address
from mailbot.db.models import Counter, Escalation, Event, MessageRow, Ticket
from mailbot.outbound.compose import compose, new_message_id
from mailbot.outbound.outbox import queue_mail
from mailbot.reports import charts as ch
from mailbot.reports import client as cl
from mailbot.reports import labels
from mailbot.sla import deadlines as sla
from mailbot.vocab import Direction, MessageKind, Role, ScreeningKind, SendStatus, Severity

log = logging.getLogger("mailbot.report")

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)


def parse_quarter(text: str) -> tuple[int, int]:
    m = _QUARTER.match(text.strip())
    if not m:
        raise ValueError(f"not a quarter: {text!r} (write e.g. 2026Q3)")
    year = int(m.group(1))
    if not 2000 <= year <= 2999:
        raise ValueError(f"not a quarter mailbot can report: {text!r} (a year from 2000 to 2999)")
    return year, int(m.group(2))


def previous_quarter(day: date) -> tuple[int, int]:
    q = (day.month - 1) // 3 + 1
    return (day.year - 1, 4) if q == 1 else (day.year, q - 1)


def quarter_bounds(year: int, q: int, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(date(year, 3 * q - 2, 1), time(0), tz)
    end = datetime.combine(date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1), time(0), tz)
    return start, end


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


# -- figures -----------------------------------------------------------------------

# The share of attention within its deadline below which the report points a client out.
# The terms set the deadlines, not a share; 90 % is the desk's own mark, drawn on the charts.
TARGET_PCT = 90.0
# This many CRÍTICA tickets in a quarter put a client among those that need attention.
CRITICAL_MANY = 3


def _figures(
    app,
    tickets: list[Ticket],
    escalations: dict[int, list[Escalation]],
    now: datetime,
    acks: dict[int, Ack | None],
    clocks: list,
    opened: list[dict],
) -> dict:
    # Every report a person sent by mail whose 30 minutes are over; one that got no
    # acknowledgement in time counts against the figure whatever the reason.
    owed = [acks[t.id] for t in tickets if acks.get(t.id) is not None and acks[t.id].state != "pending"]
    ack_ok = sum(1 for a in owed if a.state == "in_time")
    missed = {r: sum(1 for a in owed if a.reason == r) for r in ACK_REASONS}
    esc = [e for t in tickets for e in escalations.get(t.id, [])]
    vendors = sorted({e.target for e in esc if e.target != Role.MANAGER})
    return {
        **cl.counts(tickets),
        "acknowledgement_owed": len(owed),
        "acknowledged_in_time": ack_ok,
        "acknowledged_in_time_pct": cl.pct(ack_ok, len(owed)),
        "acknowledgement_missed": {r: n for r, n in missed.items() if n},
        **cl.attention(app, tickets, now),
        **cl.later_clocks(clocks, now),
        **cl.resolution(app, tickets),
        "open_now": len(opened),
        "open_overdue": sum(1 for r in opened if r["overdue"]),
        "escalations_manager": sum(1 for e in esc if e.target == Role.MANAGER),
        "escalations_vendor": {v: sum(1 for e in esc if e.target == v) for v in vendors},
    }


def quarterly(app, session, year: int, q: int, *, client: str | None = None, now: datetime | None = None) -> dict:
    now = now or app.clock()
    zone = ZoneInfo(app.settings.mailbot.timezone)
    start, end = quarter_bounds(year, q, app.settings.mailbot.timezone)
    query = select(Ticket).where(Ticket.received_at >= start, Ticket.received_at < end).order_by(Ticket.id)
    if client:
        query = cl.of_domain(query, client)
    tickets = list(session.scalars(query))
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
    # The later notices' clocks started in the quarter, whenever their ticket came in.
    clocks = cl.load_later_clocks(session, start, end, domain=client)
    # Still open when the report is made: what the review should look at first.
    opened = cl.open_tickets(app, session, now, domain=client, before=end)
    domains = sorted({_domain(t) for t in tickets + merged} | {d for d, _ in clocks} | {r["client"] for r in opened})
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

    def figures(domain: str | None) -> dict:
        mine = [t for t in tickets if domain is None or _domain(t) == domain]
        return _figures(
            app,
            mine,
            escalations,
            now,
            acks,
            [c for d, c in clocks if domain is None or d == domain],
            [r for r in opened if domain is None or r["client"] == domain],
        )

    clients = {d: figures(d) for d in domains}
    return {
        "quarter": f"{year}Q{q}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "client": client,
        "business_hours": sla.business(app),
        "target_pct": TARGET_PCT,
        # How people name each vendor (the config's name), for the text; --json keeps the keys.
        "vendor_names": {key: vendor.name or key for key, vendor in app.settings.vendors.items()},
        "overall": figures(None),
        "clients": clients,
        "attention_needed": needs_attention(clients),
        "weekly": _weekly(tickets, start, end, zone),
        "monthly": _monthly(app, tickets, start, end, zone, now),
        "times_by_severity": _times_by_severity(app, tickets),
        "open": opened,
        "acknowledgement_misses": misses,
        "merged": [
            {"ticket": t.number, "into": into.get(t.merged_into_id), "client": _domain(t)}
            for t in sorted(merged, key=lambda t: t.seq)
        ],
    }


def _domain(t: Ticket) -> str:
    return cl.domain_of(t)


def needs_attention(clients: dict[str, dict]) -> list[dict]:
    """The clients the review should look at first, each with every reason that applies.

    A client is listed when, in the quarter: its first responses, or its later
    notices, were within the deadline less than TARGET_PCT of the time; a report
    of its got no acknowledgement within 30 minutes; it has a ticket still open
    whose attention is overdue now; or it sent CRITICAL_MANY or more CRÍTICA
    tickets. Most reasons first, then most tickets, then by name.
    """
    listed = []
    for domain, f in clients.items():
        reasons = []
        if f["attention_measured"] and f["attention_in_time_pct"] < TARGET_PCT:
            reasons.append(("attention_below_target", f["attention_in_time_pct"]))
        if f["later_measured"] and f["later_in_time_pct"] < TARGET_PCT:
            reasons.append(("later_below_target", f["later_in_time_pct"]))
        if sum(f["acknowledgement_missed"].values()):
            reasons.append(("acknowledgement_missed", sum(f["acknowledgement_missed"].values())))
        if f["open_overdue"]:
            reasons.append(("open_overdue", f["open_overdue"]))
        if f["by_severity"].get(Severity.CRITICA, 0) >= CRITICAL_MANY:
            reasons.append(("many_critical", f["by_severity"][Severity.CRITICA]))
        if reasons:
            listed.append({"client": domain, "tickets": f["tickets"], "reasons": dict(reasons)})
    return sorted(listed, key=lambda c: (-len(c["reasons"]), -c["tickets"], c["client"]))


def _weekly(tickets: list[Ticket], start: datetime, end: datetime, zone: ZoneInfo) -> list[dict]:
    """Tickets received per week (Monday to Sunday, local time) by severity; the first week starts on or before the 1st."""
    first = start.date() - timedelta(days=start.date().weekday())
    weeks = []
    monday = first
    while monday < end.date():
        weeks.append({"week": monday.isoformat(), **{s.value: 0 for s in Severity}})
        monday += timedelta(days=7)
    for t in tickets:
        i = (t.received_at.astimezone(zone).date() - first).days // 7
        if t.severity in set(Severity):
            weeks[i][t.severity] += 1
    return weeks


def _monthly(app, tickets: list[Ticket], start: datetime, end: datetime, zone: ZoneInfo, now: datetime) -> list[dict]:
    """The contract's attention figure per month of the quarter, by the month a report came in."""
    months = []
    for m in range(3):
        month = date(start.year, start.month + m, 1)
        mine = [t for t in tickets if t.received_at.astimezone(zone).date().replace(day=1) == month]
        figures = cl.attention(app, mine, now)
        months.append(
            {
                "month": f"{month:%Y-%m}",
                **{k: figures[k] for k in ("attention_measured", "attention_in_time", "attention_in_time_pct")},
            }
        )
    return months


def _times_by_severity(app, tickets: list[Ticket]) -> dict:
    """First response and resolution per severity, median and 90th percentile, in hours."""
    out = {}
    for s in Severity:
        mine = [t for t in tickets if t.severity == s]
        first = [cl.hours(x) for x in (cl.first_response_seconds(app, t) for t in mine) if x is not None]
        done = [cl.hours(x) for x in (cl.resolution_seconds(app, t) for t in mine) if x is not None]
        out[s.value] = {
            "first_response_hours_median": cl.median(first),
            "first_response_hours_p90": cl.p90(first),
            "resolution_hours_median": cl.median(done),
            "resolution_hours_p90": cl.p90(done),
        }
    return out


# -- charts --------------------------------------------------------------------------

_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
# The chart per client shows at most this many (those with most tickets); the table "Por cliente" has all.
CHART_CLIENTS = 15


def report_charts(report: dict) -> list[ch.Chart]:
    """The report's charts, built from its figures alone (no database): cheap, nothing is drawn here."""
    unit = _unit(report)
    target = report.get("target_pct", TARGET_PCT)
    weeks = [date.fromisoformat(w["week"]) for w in report["weekly"]]
    out: list[ch.Chart] = [
        ch.WeeklyBySeverity(
            title="Tickets recibidos por semana y criticidad",
            xlabel="Semana (del lunes)",
            ylabel="Tickets",
            alt="Tickets recibidos cada semana del trimestre, por criticidad.",
            weeks=tuple(f"{d.day} {_MONTHS[d.month - 1]}" for d in weeks),
            critica=tuple(w[Severity.CRITICA] for w in report["weekly"]),
            grave=tuple(w[Severity.GRAVE] for w in report["weekly"]),
            leve=tuple(w[Severity.LEVE] for w in report["weekly"]),
        ),
        ch.WithinTarget(
            title="Primera respuesta dentro del tiempo comprometido, por mes",
            xlabel="Mes",
            ylabel="% dentro del tiempo",
            alt=f"Porcentaje de reportes con primera respuesta dentro del tiempo comprometido, por mes; meta {ch.figure_text(target)} %.",
            labels=tuple(_month_label(m["month"]) for m in report["monthly"]),
            percent=tuple(m["attention_in_time_pct"] for m in report["monthly"]),
            target=target,
        ),
    ]
    clients = report["clients"]
    if len(clients) > 1:
        shown = sorted(clients, key=lambda d: (-clients[d]["tickets"], d))[:CHART_CLIENTS]
        shown.sort(
            key=lambda d: (clients[d]["attention_in_time_pct"] is None, clients[d]["attention_in_time_pct"] or 0, d)
        )
        more = f" (los {CHART_CLIENTS} con más tickets)" if len(clients) > CHART_CLIENTS else ""
        out.append(
            ch.WithinTarget(
                title=f"Primera respuesta dentro del tiempo comprometido, por cliente{more}",
                xlabel="Cliente",
                ylabel="% dentro del tiempo",
                alt=f"Porcentaje de reportes con primera respuesta dentro del tiempo comprometido, por cliente; meta {ch.figure_text(target)} %.",
                labels=tuple(shown),
                percent=tuple(clients[d]["attention_in_time_pct"] for d in shown),
                target=target,
            )
        )
    times = report["times_by_severity"]
    out.append(
        ch.Durations(
            title=f"Primera respuesta y resolución por criticidad ({unit})",
            xlabel="Criticidad",
            ylabel=unit.capitalize(),
            alt=f"Mediana y percentil 90 de la primera respuesta y de la resolución, en {unit}, por criticidad.",
            first_response_median=tuple(times[s]["first_response_hours_median"] for s in Severity),
            first_response_p90=tuple(times[s]["first_response_hours_p90"] for s in Severity),
            resolution_median=tuple(times[s]["resolution_hours_median"] for s in Severity),
            resolution_p90=tuple(times[s]["resolution_hours_p90"] for s in Severity),
        )
    )
    return out


def _month_label(month: str) -> str:
    year, m = month.split("-")
    return f"{_MONTHS[int(m) - 1]} {year}"


def draw_charts(report: dict, charts: list[ch.Chart]) -> list[bytes] | None:
    """The charts' PNGs, or None when they could not be drawn: the report then goes with its tables alone."""
    try:
        return ch.draw(charts)
    except ch.ChartError as exc:
        log.warning("quarterly report %s: charts not drawn, the tables go alone: %s", report["quarter"], exc)
        return None


def mail_html(report: dict, company: str) -> tuple[str, list[tuple[str, str, bytes]]]:
    """The HTML part and its inline PNGs (``<img src="cid:…">``): mail programs show no SVG nor data: images."""
    charts = report_charts(report)
    pngs = draw_charts(report, charts)
    if pngs is None:
        return render_html(report, company), []
    ids = [ch.content_id(i, c) for i, c in enumerate(charts, 1)]
    inline = [(cid, "image/png", png) for cid, png in zip(ids, pngs, strict=True)]
    return render_html(report, company, [f"cid:{cid}" for cid in ids]), inline


def file_html(report: dict, company: str) -> str:
    """The HTML as a file a browser opens: the PNGs inside it as data: URIs (a file has no CID parts)."""
    charts = report_charts(report)
    pngs = draw_charts(report, charts)
    if pngs is None:
        return render_html(report, company)
    return render_html(report, company, [f"data:image/png;base64,{base64.b64encode(p).decode()}" for p in pngs])


# -- text and HTML ---------------------------------------------------------------------

MERGED_LABEL = "Tickets fusionados en otro (no cuentan en estas cifras)"

_LABELS = [
    ("tickets", "Tickets recibidos"),
    ("merged", MERGED_LABEL),
    ("acknowledgement_owed", "Reportes de clientes por correo"),
    ("acknowledged_in_time_pct", "Acuse en 30 minutos o menos (%)"),
    ("acknowledgement_missed", "Sin acuse en 30 minutos o menos"),
    ("attention_in_time_pct", "Atención dentro del tiempo comprometido (%)"),
    ("attention_hours_median", "Tiempo de atención, mediana ({unit})"),
    ("attention_hours_p90", "Tiempo de atención, percentil 90 ({unit})"),
    ("later_notices", "Avisos posteriores del cliente (cada uno con su propio tiempo de atención)"),
    ("later_in_time_pct", "Avisos posteriores atendidos dentro del tiempo comprometido (%)"),
    ("later_hours_median", "Atención de avisos posteriores, mediana ({unit})"),
    ("later_hours_p90", "Atención de avisos posteriores, percentil 90 ({unit})"),
    ("resolution_hours_median", "Resolución, mediana ({unit})"),
    ("resolution_hours_p90", "Resolución, percentil 90 ({unit})"),
    ("open_now", "Tickets abiertos al emitir el reporte"),
    ("open_overdue", "Tickets abiertos con la atención vencida"),
    ("escalations_manager", "Escalamientos al gerente"),
    ("by_severity", "Por criticidad"),
    ("by_category", "Por categoría"),
    ("escalations_vendor", "Escalamientos a fabricantes"),
]

# The text and HTML list this many reports without a timely acknowledgement, and this many
# overdue open tickets; --json has all.
MISSES_SHOWN = 50
OPEN_SHOWN = 50


def _unit(report: dict) -> str:
    return "horas hábiles" if report.get("business_hours", True) else "horas"


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


def _value(key: str, f: dict, merged: int, vendor_names: dict | None = None) -> str:
    if key == "merged":
        return str(merged)
    if key == "acknowledgement_missed":
        return _missed(f[key])
    if key == "by_severity":
        return ", ".join(f"{labels.severity(s)}: {n}" for s, n in f[key].items())
    if key == "by_category":
        return ", ".join(f"{labels.category(c)}: {n}" for c, n in f[key].items()) or "-"
    if key == "escalations_vendor":
        names = vendor_names or {}
        return ", ".join(f"{names.get(v, v)}: {n}" for v, n in f[key].items()) or "-"
    return _fmt(f[key])


def summary_rows(report: dict) -> list[tuple[str, str]]:
    """The whole quarter's figures as (label, value), in Spanish, the later notices beside the first responses."""
    f, merged = report["overall"], len(report.get("merged", []))
    names = report.get("vendor_names")
    return [(label.format(unit=_unit(report)), _value(key, f, merged, names)) for key, label in _LABELS]


_REASONS = {
    "attention_below_target": "primera respuesta dentro del tiempo comprometido: {} % (meta {target} %)",
    "later_below_target": "avisos posteriores dentro del tiempo comprometido: {} % (meta {target} %)",
    "acknowledgement_missed": "reportes sin acuse en 30 minutos o menos: {}",
    "open_overdue": "tickets abiertos con la atención vencida: {}",
    "many_critical": "tickets CRÍTICA en el trimestre: {}",
}


def attention_rule(report: dict) -> str:
    target = ch.figure_text(report.get("target_pct", TARGET_PCT))
    return (
        f"Se listan los clientes con primera respuesta o avisos posteriores dentro del tiempo comprometido "
        f"menos del {target} % de las veces, algún reporte sin acuse en 30 minutos, tickets abiertos con la "
        f"atención vencida, o {CRITICAL_MANY} o más tickets CRÍTICA en el trimestre."
    )


def attention_lines(report: dict) -> list[tuple[str, str]]:
    """(client, its reasons in one line) of each client that needs attention."""
    target = ch.figure_text(report.get("target_pct", TARGET_PCT))
    return [
        (c["client"], "; ".join(_REASONS[r].format(n, target=target) for r, n in c["reasons"].items()))
        for c in report.get("attention_needed", [])
    ]


def client_rows(report: dict) -> list[list[str]]:
    """One row per client, header first: the figures of the summary that tell clients apart."""
    rows = [
        [
            "Cliente",
            "Tickets",
            "CRÍTICA",
            "Acuse a tiempo %",
            "Atención a tiempo %",
            "Mediana h",
            "P90 h",
            "Avisos posteriores",
            "A tiempo %",
            "Abiertos",
            "Vencidos",
            "Escalamientos",
        ]
    ]
    for domain, f in report["clients"].items():
        rows.append(
            [
                domain,
                str(f["tickets"]),
                str(f["by_severity"].get(Severity.CRITICA, 0)),
                _fmt(f["acknowledged_in_time_pct"]),
                _fmt(f["attention_in_time_pct"]),
                _fmt(f["attention_hours_median"]),
                _fmt(f["attention_hours_p90"]),
                str(f["later_notices"]),
                _fmt(f["later_in_time_pct"]),
                str(f["open_now"]),
                str(f["open_overdue"]),
                str(f["escalations_manager"] + sum(f["escalations_vendor"].values())),
            ]
        )
    return rows


def _miss_lines(report: dict) -> tuple[list[str], int]:
    """One line per report without a timely acknowledgement (up to MISSES_SHOWN), and how many more."""
    misses = report.get("acknowledgement_misses", [])
    lines = [
        f"{m['ticket']}, {m['requester'] or '(sin dirección)'}, recibido {m['received_local']}: "
        f"{m['reason_text']}" + (f" ({m['detail'][:200]})" if m["detail"] else "")
        for m in misses[:MISSES_SHOWN]
    ]
    return lines, max(len(misses) - MISSES_SHOWN, 0)


def _title(report: dict, company: str) -> str:
    return f"Reporte trimestral de soporte {company}: {report['quarter']}" + (
        f" ({report['client']})" if report.get("client") else ""
    )


MORE = "… y {} más (mailbot report quarterly --json)"
OVERDUE_TITLE = "Tickets abiertos con la atención vencida"


def _overdue(report: dict) -> list[dict]:
    """The open tickets the text and HTML list: the overdue ones.

    The others are counted per client (``mailbot report client DOMAIN`` lists
    them all, and ``--json`` has them), so a long report stays short.
    """
    return [r for r in report.get("open", []) if r["overdue"]]


def render_text(report: dict, company: str) -> str:
    lines = [_title(report, company), "", "Resumen"]
    lines += [f"  {label}: {value}" for label, value in summary_rows(report)]
    lines += ["", "Clientes que requieren atención"]
    lines += textwrap.wrap(attention_rule(report), 100, initial_indent="  ", subsequent_indent="  ")
    lines += [f"  {domain}: {why}" for domain, why in attention_lines(report)] or ["  Ninguno."]
    lines.append("")
    for chart in report_charts(report):
        lines.append(chart.title)
        lines += cl.text_table(ch.table(chart))
        lines.append("")
    if report["clients"]:
        lines.append(f"Por cliente (tiempos en {_unit(report)})")
        lines += cl.text_table(client_rows(report))
        lines.append("")
    overdue = _overdue(report)
    if overdue:
        lines.append(OVERDUE_TITLE)
        lines += cl.text_table(cl.open_rows(overdue[:OPEN_SHOWN], client_column=True))
        if len(overdue) > OPEN_SHOWN:
            lines.append("  " + MORE.format(len(overdue) - OPEN_SHOWN))
        lines.append("")
    misses, more = _miss_lines(report)
    if misses:
        lines.append("Reportes sin acuse en 30 minutos o menos")
        lines += [f"  {line}" for line in misses]
        if more:
            lines.append("  " + MORE.format(more))
        lines.append("")
    return "\n".join(lines)


def _html_table(rows: list[list[str]], *, caption: str | None = None) -> str:
    e = html.escape
    head, *body = rows
    return (
        '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">'
        + (f"<caption>{e(caption)}</caption>" if caption else "")
        + "<tr>"
        + "".join(f"<th>{e(c)}</th>" for c in head)
        + "</tr>"
        + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in body)
        + "</table>"
    )


def render_html(report: dict, company: str, images: list[str] | None = None) -> str:
    """The report as HTML; ``images``: each chart's ``src`` (``cid:…`` or ``data:…``), else its table alone."""
    e = html.escape
    title = _title(report, company)
    parts = [
        f"<h1>{e(title)}</h1>",
        '<h2>Resumen</h2><table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">',
    ]
    # The labels in one column wide enough to read them on a line or two, the figures beside them.
    parts += [
        f'<tr><th align=left style="min-width:22em;font-weight:normal">{e(k)}</th><td>{e(v)}</td></tr>'
        for k, v in summary_rows(report)
    ]
    parts.append("</table><h2>Clientes que requieren atención</h2>")
    parts.append(f"<p>{e(attention_rule(report))}</p>")
    needing = attention_lines(report)
    if needing:
        parts.append("<ul>" + "".join(f"<li><b>{e(d)}</b>: {e(why)}</li>" for d, why in needing) + "</ul>")
    else:
        parts.append("<p>Ninguno.</p>")
    for i, chart in enumerate(report_charts(report)):
        parts.append(f"<h2>{e(chart.title)}</h2>")
        if images:
            parts.append(f'<p><img src="{e(images[i])}" alt="{e(chart.alt)}" width="720" height="360"></p>')
        parts.append(_html_table(ch.table(chart)))
    if report["clients"]:
        parts.append(f"<h2>Por cliente (tiempos en {e(_unit(report))})</h2>" + _html_table(client_rows(report)))
    overdue = _overdue(report)
    if overdue:
        parts.append(f"<h2>{e(OVERDUE_TITLE)}</h2>")
        parts.append(_html_table(cl.open_rows(overdue[:OPEN_SHOWN], client_column=True)))
        if len(overdue) > OPEN_SHOWN:
            parts.append(f"<p>{e(MORE.format(len(overdue) - OPEN_SHOWN))}</p>")
    misses, more = _miss_lines(report)
    if misses:
        items = misses + ([MORE.format(more)] if more else [])
        parts.append(
            "<h2>Reportes sin acuse en 30 minutos o menos</h2><ul>"
            + "".join(f"<li>{e(line)}</li>" for line in items)
            + "</ul>"
        )
    return (
        f'<html><head><meta charset="utf-8"><title>{e(title)}</title></head>'
        '<body style="font-family:Arial,Helvetica,sans-serif">' + "".join(parts) + "</body></html>"
    )


# -- the mail --------------------------------------------------------------------------


def recipients(settings) -> list[str]:
    return list(settings.report.recipients or ([settings.team.manager] if settings.team.manager else []))


def subject(report: dict, company: str) -> str:
    return f"Reporte trimestral de soporte {company} {report['quarter']}" + (
        f" ({report['client']})" if report.get("client") else ""
    )


def report_eml(app, report: dict, now: datetime) -> bytes:
    """The report mail's bytes as ``send_quarterly`` would queue it, charts inline; nothing is stored or sent."""
    settings = app.settings
    company = settings.mailbot.company
    body_html, inline = mail_html(report, company)
    return compose(
        settings,
        message_id=new_message_id(settings.mail_domain),
        to=[wire_address(a) for a in recipients(settings)],
        cc=[],
        subject=subject(report, company),
        body=render_text(report, company),
        now=now,
        html=body_html,
        inline=inline,
    )


def send_quarterly(app, year: int, q: int, *, now: datetime | None = None, force: bool = False) -> bool:
    """Queue the report mail for a quarter; False when it was already sent (or nobody gets it)."""
    now = now or app.clock()
    to = recipients(app.settings)
    if not to:
        log.warning("quarterly report %sQ%s: no [report] recipients and no manager; not sent", year, q)
        return False
    key = f"quarterly_report:{year}Q{q}"
    company = app.settings.mailbot.company
    with app.sessions() as session:
        if not force and session.get(Counter, key) is not None:
            return False  # sent already: spare the figures and the drawing
        report = quarterly(app, session, year, q, now=now)
    # Drawn outside the transaction below: a second of drawing must not hold the database's write lock.
    body_html, inline = mail_html(report, company)
    try:
        with app.sessions.begin() as session:
            if not force:
                session.add(Counter(name=key, value=1))
                session.flush()
            queue_mail(
                session,
                app.settings,
                kind=MessageKind.REPORT,
                to=to,
                subject=subject(report, company),
                body=render_text(report, company),
                html=body_html,
                inline=inline,
                now=now,
            )
    except IntegrityError:
        return False  # sent already, by this or another process
    log.info("quarterly report %sQ%s queued for %s", year, q, ", ".join(to))
    return True
