"""One client's history: its tickets, how they were attended, and what is still open.

``history`` gathers it for ``mailbot report client DOMAIN``; the quarterly
report builds its figures and its section per client from the same pieces
(``attention``, ``resolution``, ``later_clocks``, ``open_tickets``), so the two
never count a client differently.

Everything is read from the models: this package may not import
``mailbot.tickets``. Durations come from the columns a ticket stores as they
end (``first_response_seconds``, ``resolution_seconds``, ``Clock.business_seconds``);
they are computed here only for tickets from before those columns existed
(migration 0008), the way the report computed them before.
"""

from __future__ import annotations

import statistics
from collections import Counter as Tally
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from mailbot.addresses import normalize_domain
from mailbot.db.models import Clock, Ticket
from mailbot.reports import labels
from mailbot.sla import deadlines as sla
from mailbot.vocab import OPEN_STATUSES, ClockSource, ClockStop, Severity, Status, Turn

# `report client` without --since: this many months back from today.
DEFAULT_MONTHS = 12


def normalize(text: str) -> str:
    """A domain as typed ("@OTRA.com.mx") in the one spelling stored addresses use."""
    return normalize_domain(text.strip().lstrip("@"))


def domain_of(ticket: Ticket) -> str:
    return normalize_domain(ticket.requester.rpartition("@")[2])


def of_domain(query, domain: str):
    """Only the tickets whose requester ends in "@domain", as ``tickets list --client`` selects them."""
    # autoescape: a "_" in a domain is a letter, not a LIKE wildcard.
    return query.where(func.lower(Ticket.requester).endswith("@" + normalize(domain), autoescape=True))


def months_back(day: date, months: int, zone: str) -> datetime:
    """Local midnight ``months`` calendar months before ``day`` (the 31st becomes the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return datetime.combine(date(year, month, min(day.day, last)), time(0), ZoneInfo(zone))


# -- figures -------------------------------------------------------------------


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-9 * len(ordered) // 10))  # nearest rank: ceil(0.9 n)
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def hours(seconds: int | float) -> float:
    return round(seconds / 3600, 2)


def first_response_seconds(app, t: Ticket) -> int | None:
    """Reception to the first answer, as stored; computed only for a ticket from before the column."""
    if t.first_response_seconds is not None:
        return t.first_response_seconds
    if t.first_response_at is None:
        return None
    return sla.elapsed_seconds(app, t.received_at, t.first_response_at)


def resolution_seconds(app, t: Ticket) -> int | None:
    """Reception to resolution, as stored; computed only for a resolved ticket from before the column."""
    if t.resolution_seconds is not None:
        return t.resolution_seconds
    if t.resolved_at is None or t.status not in (Status.RESOLVED, Status.CLOSED):
        return None  # not resolved, or reopened since (its old resolution no longer stands)
    return sla.elapsed_seconds(app, t.received_at, t.resolved_at)


def attention(app, tickets: list[Ticket], now: datetime) -> dict:
    """The contract's figure: each report's first answer against its attention deadline."""
    measured, met, spent = 0, 0, []
    for t in tickets:
        if t.attention_due is None:
            continue  # list mail and the like: no attention deadline, so no figure either way
        if t.first_response_at is None and t.attention_due > now:
            continue  # still within its deadline: neither met nor missed yet
        measured += 1
        if t.first_response_at is not None:
            met += t.first_response_at <= t.attention_due
            spent.append(hours(first_response_seconds(app, t)))
    return {
        "attention_measured": measured,
        "attention_in_time": met,
        "attention_in_time_pct": pct(met, measured),
        "attention_hours_median": median(spent),
        "attention_hours_p90": p90(spent),
    }


def resolution(app, tickets: list[Ticket]) -> dict:
    spent = [hours(s) for s in (resolution_seconds(app, t) for t in tickets) if s is not None]
    return {"resolved": len(spent), "resolution_hours_median": median(spent), "resolution_hours_p90": p90(spent)}


def later_clocks(clocks: list[Clock], now: datetime) -> dict:
    """The clocks of the client's later notices (not the report's first): how many, how many in time, how long.

    A stopped clock is in time when it stopped by its deadline; a running one
    is missed once past it, and not counted before (it may still be met).
    Hours are those of stopped clocks, as they were counted when they stopped.
    """
    stopped = [c for c in clocks if c.stopped_at is not None]
    late_running = sum(1 for c in clocks if c.stopped_at is None and c.due < now)
    met = sum(1 for c in stopped if c.stopped_at <= c.due)
    spent = [hours(c.business_seconds) for c in stopped if c.business_seconds is not None]
    return {
        "later_notices": len(clocks),
        "later_measured": len(stopped) + late_running,
        "later_in_time": met,
        "later_in_time_pct": pct(met, len(stopped) + late_running),
        "later_hours_median": median(spent),
        "later_hours_p90": p90(spent),
    }


def load_later_clocks(session, start: datetime, end: datetime | None = None, domain: str | None = None) -> list:
    """(domain, clock) of every later notice's clock started from ``start`` (to ``end``).

    Left out: clocks of a ticket merged into another (the notice is the other
    ticket's to answer, and a clock still running moved there with it), and
    clocks stopped because their mail was split off into a ticket of its own,
    whose first clock times it.
    """
    q = (
        select(Clock, Ticket.requester)
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .where(
            Clock.source == ClockSource.CLIENT,
            Clock.started_at >= start,
            Ticket.merged_into_id.is_(None),
            or_(Clock.stopped_by.is_(None), Clock.stopped_by != ClockStop.SPLIT),
        )
        .order_by(Clock.id)
    )
    if end is not None:
        q = q.where(Clock.started_at < end)
    if domain is not None:
        q = of_domain(q, domain)
    return [(normalize_domain(requester.rpartition("@")[2]), clock) for clock, requester in session.execute(q)]


def counts(tickets: list[Ticket]) -> dict:
    return {
        "tickets": len(tickets),
        "by_severity": {s: sum(1 for t in tickets if t.severity == s) for s in Severity},
        "by_category": dict(sorted(Tally(t.category or "general" for t in tickets).items())),
    }


# -- open tickets --------------------------------------------------------------


def open_tickets(
    app, session, now: datetime, *, domain: str | None = None, before: datetime | None = None
) -> list[dict]:
    """The tickets still open now (of ``domain``, received before ``before``), oldest first.

    Each says whose turn it is and since when, and whether its attention is
    overdue: a notice's clock running past its deadline (or, for a ticket
    from before the clocks, no first answer past the attention deadline).
    """
    zone = ZoneInfo(app.settings.mailbot.timezone)
    q = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES), Ticket.merged_into_id.is_(None)).order_by(Ticket.seq)
    if domain is not None:
        q = of_domain(q, domain)
    if before is not None:
        q = q.where(Ticket.received_at < before)
    tickets = list(session.scalars(q))
    running: dict[int, Clock] = {}
    ids = [t.id for t in tickets]
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        clocks = select(Clock).where(Clock.ticket_id.in_(chunk), Clock.stopped_at.is_(None)).order_by(Clock.id)
        for clock in session.scalars(clocks):
            running.setdefault(clock.ticket_id, clock)  # the oldest runs; see tickets.clocks.running
    rows = []
    for t in tickets:
        clock = running.get(t.id)
        turn = Status(t.status).turn if t.status in set(Status) else None
        if clock is not None:
            due = clock.due
        elif turn == Turn.DESK and t.first_response_at is None and t.attention_due is not None:
            due = t.attention_due  # a ticket from before the clocks, never answered
        else:
            due = None
        rows.append(
            {
                "ticket": t.number,
                "client": domain_of(t),
                "subject": t.subject,
                "severity": t.severity,
                "status": t.status,
                "turn": turn,
                "since": t.turn_since.isoformat() if t.turn_since else None,
                "received_at": t.received_at.isoformat(),
                "due": due.isoformat() if due else None,
                "overdue": due is not None and due < now,
                "severity_text": labels.severity(t.severity),
                "status_text": labels.status(t.status),
                "turn_text": labels.turn(turn),
                "since_local": _local(t.turn_since, zone),
                "received_local": _local(t.received_at, zone),
            }
        )
    return rows


def _local(when: datetime | None, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else "-"


def open_rows(rows: list[dict], *, client_column: bool = False) -> list[list[str]]:
    """Open tickets as a table, header first: number, severity, status, whose turn, since when, subject."""
    header = ["Ticket", "Criticidad", "Estado", "Turno de", "Desde", "Atención", "Asunto"]
    table = [(["Cliente"] if client_column else []) + header]
    for r in rows:
        table.append(
            ([r["client"]] if client_column else [])
            + [
                r["ticket"],
                r["severity_text"],
                r["status_text"],
                r["turn_text"],
                r["since_local"],
                "VENCIDA" if r["overdue"] else "-",
                _cut(r["subject"], 60),
            ]
        )
    return table


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def text_table(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Rows of text in aligned columns; numbers (and "s/d", "-") right-aligned, words left."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = [all(_numeric(r[i]) for r in rows[1:]) and len(rows) > 1 for i in range(len(rows[0]))]
    right[0] = False
    return [
        indent
        + "  ".join(
            cell.rjust(w) if right[i] else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def _numeric(cell: str) -> bool:
    return cell in ("-", "s/d") or cell.replace(".", "", 1).replace(",", "").isdigit()


# -- the history ---------------------------------------------------------------


def history(app, session, domain: str, since: datetime, now: datetime | None = None) -> dict:
    """The client's tickets received since ``since``, how they were attended, and every ticket still open.

    Open tickets are listed however old they are: one left open for longer than
    the period is the first thing a review of the client should see.
    """
    now = now or app.clock()
    domain = normalize(domain)
    q = of_domain(select(Ticket).where(Ticket.received_at >= since), domain).order_by(Ticket.seq)
    tickets = list(session.scalars(q))
    merged = sum(1 for t in tickets if t.merged_into_id is not None)
    tickets = [t for t in tickets if t.merged_into_id is None]
    clocks = [c for _, c in load_later_clocks(session, since, domain=domain)]
    opened = open_tickets(app, session, now, domain=domain)
    return {
        "client": domain,
        "since": since.isoformat(),
        "to": now.isoformat(),
        "business_hours": sla.business(app),
        **counts(tickets),
        "merged": merged,
        **attention(app, tickets, now),
        **later_clocks(clocks, now),
        **resolution(app, tickets),
        "open_now": len(opened),
        "open_overdue": sum(1 for r in opened if r["overdue"]),
        "open": opened,
    }


def _of(part: int, whole: int, share: float | None) -> str:
    return "-" if not whole else f"{part} de {whole} ({share} %)"


def _pair(a, b) -> str:
    return "-" if a is None else f"{a} / {b}"


def summary_rows(h: dict) -> list[tuple[str, str]]:
    """The history's figures as (label, value) lines, in Spanish."""
    unit = "horas hábiles" if h.get("business_hours", True) else "horas"
    return [
        ("Tickets recibidos", str(h["tickets"])),
        ("Tickets fusionados en otro (no cuentan en estas cifras)", str(h["merged"])),
        ("Por criticidad", ", ".join(f"{labels.severity(s)}: {n}" for s, n in h["by_severity"].items())),
        ("Por categoría", ", ".join(f"{labels.category(c)}: {n}" for c, n in h["by_category"].items()) or "-"),
        (
            "Primera respuesta dentro del tiempo comprometido",
            _of(h["attention_in_time"], h["attention_measured"], h["attention_in_time_pct"]),
        ),
        (
            f"Primera respuesta, mediana / percentil 90 ({unit})",
            _pair(h["attention_hours_median"], h["attention_hours_p90"]),
        ),
        (
            "Avisos posteriores atendidos dentro del tiempo comprometido",
            _of(h["later_in_time"], h["later_measured"], h["later_in_time_pct"]),
        ),
        (f"Avisos posteriores, mediana / percentil 90 ({unit})", _pair(h["later_hours_median"], h["later_hours_p90"])),
        (
            f"Resolución, mediana / percentil 90 ({unit})",
            _pair(h["resolution_hours_median"], h["resolution_hours_p90"]),
        ),
        ("Tickets abiertos", f"{h['open_now']} ({h['open_overdue']} con la atención vencida)"),
    ]


def render_text(h: dict, company: str, zone: str) -> str:
    since = datetime.fromisoformat(h["since"]).astimezone(ZoneInfo(zone))
    lines = [f"Historial de soporte {company}: {h['client']} desde el {since:%Y-%m-%d}", ""]
    lines += [f"  {label}: {value}" for label, value in summary_rows(h)]
    lines.append("")
    if h["open"]:
        lines.append("Tickets abiertos (todos, aunque sean anteriores)")
        lines += text_table(open_rows(h["open"]))
        lines.append("")
    return "\n".join(lines)
