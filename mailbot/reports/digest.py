"""The morning digests: each engineer's open tickets by risk, and the manager's board.

``engineer_digests`` / ``manager_board`` compute pure data from a session at
``now``: every open ticket as an ``Item`` (its running attention clock, whose
turn it is and since when, the vendor it waits on), sorted by risk: overdue
first (most overdue first), then by business time left, then tickets whose
clock is not running (the client's or a vendor's turn, or the desk answered),
most severe and longest waiting first. ``render_*`` write them as text and
HTML (everything from mail escaped); ``build`` gives the mails that would go
out, and ``send_digests`` queues them: one mail per person per local day,
claimed with a counters row in the same transaction as the mail (as the
quarterly report is), so a second process or a restart never sends a second
one. A person with nothing to read gets no mail.

Durations come from the stored columns (``Ticket.first_response_seconds``,
``resolution_seconds``, ``Clock.late``); tickets from before those columns
existed have them empty, and only those are worked out from their times.

Rendered in code, not in templates: the HTML and the charts' tables are
structure, not wording ops would edit.
"""

from __future__ import annotations

import hashlib
import html
import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError

from mailbot.addresses import normalize_domain
from mailbot.db.models import Clock, Counter, Escalation, Ticket
from mailbot.outbound.outbox import queue_mail
from mailbot.reports import charts, labels
from mailbot.reports.client import integer_array, integers, not_merged
from mailbot.reports.quarterly import TARGET_PCT
from mailbot.sla import deadlines as sla
from mailbot.vocab import OPEN_STATUSES, ClockSource, ClockStop, MessageKind, Severity, Status, Turn

log = logging.getLogger("mailbot.digest")

ENGINEERS = "engineers"
MANAGER = "manager"
KINDS = (ENGINEERS, MANAGER)

AT_RISK = 2 * 3600  # "at risk": the attention clock runs out within this many business seconds
WEEKS = 8  # the weekly chart: this many whole weeks before the current one
MONTHS = 6  # the attention chart: this month and the five before it

_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_MONTHS_SHORT = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
# A clock stopped because its notice moved to another ticket was not answered here: that ticket times it.
_MOVED = (ClockStop.MERGED, ClockStop.SPLIT)


# -- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One open ticket as a digest lists it."""

    number: str
    subject: str
    requester: str
    requester_name: str
    domain: str
    severity: str
    status: str
    assignee: str | None
    turn: Turn | None
    turn_since: datetime | None
    turn_seconds: int | None  # business seconds since turn_since
    due: datetime | None = None  # the running attention clock's deadline
    left_seconds: int | None = None  # business seconds until due (0 once overdue)
    late_seconds: int | None = None  # business seconds since due, when overdue
    notice_at: datetime | None = None  # the unanswered client notice the clock times
    followup: bool = False  # that notice is a later client mail, not the report itself
    vendor: str | None = None  # the vendor it waits on (an open case), as configured
    vendor_since: datetime | None = None
    vendor_seconds: int | None = None

    @property
    def overdue(self) -> bool:
        return self.late_seconds is not None

    @property
    def unanswered(self) -> bool:
        """The client wrote last and nobody has answered: a clock runs."""
        return self.due is not None

    @property
    def at_risk(self) -> bool:
        # Due but not overdue with 0 left: it runs out the moment the desk opens.
        return self.due is not None and not self.overdue and self.left_seconds <= AT_RISK

    def risk_key(self):
        if self.overdue:
            return (0, self.due.timestamp(), 0, self.number)
        if self.due is not None:
            return (1, self.left_seconds, self.due.timestamp(), self.number)
        waited = self.turn_since.timestamp() if self.turn_since else 0.0
        return (2, _SEVERITY_RANK.get(self.severity, len(_SEVERITY_RANK)), waited, self.number)


def _domain(address: str) -> str:
    return normalize_domain(address.rpartition("@")[2])


# What an Item shows of a ticket, its running clock and its open vendor case: only these columns are
# read (rows, not ORM objects: a thousand open tickets are loaded on every board render).
_TICKET_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.requester,
    Ticket.requester_name,
    Ticket.severity,
    Ticket.status,
    Ticket.assignee,
    Ticket.turn_since,
)
_CLOCK_COLUMNS = (Clock.ticket_id, Clock.due, Clock.started_at, Clock.source)
_CASE_COLUMNS = (Escalation.ticket_id, Escalation.target, Escalation.at)
_STATUSES = frozenset(Status)


def open_items(app, session, now: datetime) -> list[Item]:
    """Every open ticket (merged ones are their target's), most at risk first."""
    tickets = session.execute(
        select(*_TICKET_COLUMNS).where(Ticket.status.in_(OPEN_STATUSES), Ticket.merged_into_id.is_(None))
    ).all()
    if not tickets:
        return []
    running = {}
    for clock in session.execute(
        select(*_CLOCK_COLUMNS)
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .where(Clock.stopped_at.is_(None), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Clock.id)
    ):
        running.setdefault(clock.ticket_id, clock)  # the oldest unanswered notice
    cases = {}
    for esc in session.execute(
        select(*_CASE_COLUMNS)
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .where(Escalation.level >= 3, Escalation.responded_at.is_(None), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Escalation.id)
    ):
        cases.setdefault(esc.ticket_id, esc)
    items = [_item(app, t, running.get(t.id), cases.get(t.id), now) for t in tickets]
    return sorted(items, key=Item.risk_key)


def _item(app, t, clock, case, now: datetime) -> Item:
    """The Item of a ticket row (``_TICKET_COLUMNS``), its running clock's and open case's rows (or None)."""
    turn = Status(t.status).turn if t.status in _STATUSES else None
    extra = {}
    if clock is not None:
        overdue = clock.due <= now
        extra = dict(
            due=clock.due,
            left_seconds=0 if overdue else sla.elapsed_seconds(app, now, clock.due),
            late_seconds=sla.elapsed_seconds(app, clock.due, now) if overdue else None,
            notice_at=clock.started_at,
            followup=clock.source == ClockSource.CLIENT,
        )
    if case is not None:
        vendor = app.settings.vendors.get(case.target)
        extra.update(
            vendor=(vendor.name if vendor and vendor.name else case.target),
            vendor_since=case.at,
            vendor_seconds=sla.elapsed_seconds(app, case.at, now),
        )
    return Item(
        number=t.number,
        subject=t.subject or "",
        requester=t.requester or "",
        requester_name=t.requester_name or "",
        domain=_domain(t.requester or ""),
        severity=t.severity,
        status=t.status,
        assignee=t.assignee,
        turn=turn,
        turn_since=t.turn_since,
        turn_seconds=sla.elapsed_seconds(app, t.turn_since, now) if t.turn_since else None,
        **extra,
    )


def _owner(settings, item: Item) -> str | None:
    """Who gets the ticket in a digest: its assignee when a team address, else nobody (it is unassigned)."""
    return item.assignee if item.assignee in settings.team.members else None


def unassigned_to_everyone(settings) -> bool:
    # Without a manager, "manager" would leave unassigned tickets in nobody's digest.
    return settings.digest.unassigned_to == "everyone" or not settings.team.manager


@dataclass
class EngineerDigest:
    address: str
    at: datetime
    mine: list[Item]
    unassigned: list[Item]

    @property
    def empty(self) -> bool:
        return not self.mine and not self.unassigned


def engineer_recipients(settings) -> list[str]:
    """Every engineer but the manager: the manager's own tickets are in the board (one digest a day each)."""
    return [a for a in dict.fromkeys(settings.team.engineers) if a != settings.team.manager]


def engineer_digests(app, session, now: datetime, items: list[Item] | None = None) -> list[EngineerDigest]:
    """One digest per engineer, empty ones included (``send_digests`` skips them)."""
    settings = app.settings
    items = open_items(app, session, now) if items is None else items
    unassigned = [i for i in items if _owner(settings, i) is None] if unassigned_to_everyone(settings) else []
    return [
        EngineerDigest(address, now, [i for i in items if _owner(settings, i) == address], unassigned)
        for address in engineer_recipients(settings)
    ]


@dataclass
class Board:
    address: str
    at: datetime
    business: bool
    open: int
    overdue: list[Item]
    at_risk: list[Item]
    vendor: list[Item]  # waiting on a vendor (esperando-fabricante)
    unassigned: list[Item]
    mine: list[Item]  # assigned to the manager
    # domain -> {severity: count} of open tickets, the busiest client first
    by_client: dict[str, dict[str, int]]
    charts: list[charts.Chart] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.open == 0


def manager_board(app, session, now: datetime, items: list[Item] | None = None) -> Board | None:
    """The manager's board; None without a manager. Charts only when there is a board to send."""
    settings = app.settings
    manager = settings.team.manager
    if not manager:
        return None
    items = open_items(app, session, now) if items is None else items
    tally: dict[str, dict[str, int]] = {}
    for i in items:
        row = tally.setdefault(i.domain, {s.value: 0 for s in Severity})
        row[i.severity] = row.get(i.severity, 0) + 1
    by_client = dict(sorted(tally.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))
    board = Board(
        address=manager,
        at=now,
        business=sla.business(app),
        open=len(items),
        overdue=[i for i in items if i.overdue],
        at_risk=[i for i in items if i.at_risk],
        vendor=[i for i in items if i.status == Status.WAITING_VENDOR],
        unassigned=[i for i in items if _owner(settings, i) is None],
        mine=[i for i in items if _owner(settings, i) == manager],
        by_client=by_client,
    )
    if not board.empty:
        board.charts = board_charts(app, session, now)
    return board


# -- the manager's charts ----------------------------------------------------------------


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, -(-9 * len(ordered) // 10)) - 1]  # nearest rank: ceil(0.9 n)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def board_charts(app, session, now: datetime) -> list[charts.Chart]:
    """Tickets per week by severity, attention within target per month, and first-response and resolution times."""
    zone = ZoneInfo(app.settings.mailbot.timezone)
    today = now.astimezone(zone).date()
    this_week = today - timedelta(days=today.weekday())
    return [
        _weekly(session, zone, this_week),
        _within_target(session, zone, today, now),
        _durations(app, session, _local_midnight(this_week - timedelta(weeks=WEEKS), zone), now),
    ]


def _before(column, bounds: list[datetime]):
    """SQL: the index of the span of ``bounds`` (ascending instants) that ``column`` falls in, len - 1 for the last."""
    return case(*[(column < bound, k) for k, bound in enumerate(bounds[1:])], else_=len(bounds) - 1)


def _weekly(session, zone: ZoneInfo, this_week: date) -> charts.WeeklyBySeverity:
    mondays = [this_week - timedelta(weeks=WEEKS - k) for k in range(WEEKS)]
    counts = {s: [0] * WEEKS for s in Severity}
    # Counted by the database, per week (told apart by the instants of the local Mondays' midnights).
    week = _before(Ticket.received_at, [_local_midnight(d, zone) for d in mondays])
    rows = session.execute(
        select(week.label("week"), Ticket.severity, func.count())
        .where(
            Ticket.received_at >= _local_midnight(mondays[0], zone),
            Ticket.received_at < _local_midnight(this_week, zone),
            not_merged(session.get_bind().dialect.name),  # one problem reported twice is one ticket
        )
        .group_by(week, Ticket.severity)
    )
    for k, severity, n in rows:
        if severity in counts:
            counts[Severity(severity)][k] += n
    return charts.WeeklyBySeverity(
        title=f"Tickets recibidos por semana, últimas {WEEKS} semanas",
        xlabel="Semana (del lunes)",
        ylabel="Tickets",
        alt=f"Tickets recibidos en cada una de las últimas {WEEKS} semanas completas, por criticidad.",
        weeks=tuple(f"{d.day} {_MONTHS_SHORT[d.month - 1]}" for d in mondays),
        critica=tuple(counts[Severity.CRITICA]),
        grave=tuple(counts[Severity.GRAVE]),
        leve=tuple(counts[Severity.LEVE]),
    )


def _month_start(day: date, back: int) -> date:
    months = day.year * 12 + day.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def _within_target(session, zone: ZoneInfo, today: date, now: datetime) -> charts.WithinTarget:
    """Per month of each attention clock's deadline: answered by then, of those due by now.

    A clock still running past its deadline is a miss already; one not yet due counts nowhere.
    """
    starts = [_month_start(today, MONTHS - 1 - k) for k in range(MONTHS)]
    due, met = [0] * MONTHS, [0] * MONTHS
    month = _before(Clock.due, [_local_midnight(d, zone) for d in starts])
    rows = session.execute(
        select(
            month.label("month"),
            func.count(),
            func.sum(case((and_(Clock.stopped_at.is_not(None), Clock.stopped_at <= Clock.due), 1), else_=0)),
        )
        .where(
            Clock.due >= _local_midnight(starts[0], zone),
            Clock.due <= now,
            or_(Clock.stopped_by.is_(None), Clock.stopped_by.not_in(_MOVED)),
        )
        .group_by(month)
    )
    for k, n, in_time in rows:
        due[k] += n
        met[k] += in_time
    return charts.WithinTarget(
        title="Atención dentro del tiempo comprometido, por mes",
        xlabel="Mes",
        ylabel="% dentro del tiempo",
        alt="Porcentaje de avisos de clientes atendidos dentro del tiempo comprometido, por mes de su vencimiento.",
        labels=tuple(f"{_MONTHS_SHORT[d.month - 1]} {d.year}" for d in starts),
        percent=tuple(round(100.0 * m / n, 1) if n else None for m, n in zip(met, due, strict=True)),
        target=TARGET_PCT,
    )


def _durations(app, session, since: datetime, now: datetime) -> charts.Durations:
    """First answers and resolutions of the chart's weeks (to now), in hours, per ticket severity.

    List mail has no attention deadline and is left out, as are tickets merged into another.
    The database lists each severity's stored seconds; tickets from before the
    stored durations give their times, and theirs are worked out.
    """
    first: dict[str, list[float]] = {s: [] for s in Severity}
    resolved: dict[str, list[float]] = {s: [] for s in Severity}
    answered = and_(Ticket.first_response_at >= since, Ticket.first_response_at <= now)
    done = and_(
        Ticket.status.in_((Status.RESOLVED, Status.CLOSED)),
        Ticket.resolved_at >= since,
        Ticket.resolved_at <= now,
    )
    dialect = session.get_bind().dialect.name
    for column, at, when, into in (
        (Ticket.first_response_seconds, Ticket.first_response_at, answered, first),
        (Ticket.resolution_seconds, Ticket.resolved_at, done, resolved),
    ):
        # The stored seconds listed per severity by the database, and how many a ticket does not store.
        where = (Ticket.attention_due.is_not(None), not_merged(dialect), when)
        unstored = 0
        per_severity = select(
            Ticket.severity, integer_array(column, dialect), func.sum(case((column.is_(None), 1), else_=0))
        ).where(*where)
        for severity, values, missing in session.execute(per_severity.group_by(Ticket.severity)):
            into.setdefault(severity, []).extend(seconds / 3600 for seconds in integers(values))
            unstored += missing
        if unstored:
            # From before the stored durations: worked out from the ticket's times.
            old = select(Ticket.severity, Ticket.received_at, at).where(*where, column.is_(None))
            for severity, received, end in session.execute(old):
                into.setdefault(severity, []).append(sla.elapsed_seconds(app, received, end) / 3600)
    hours = "horas hábiles" if sla.business(app) else "horas"

    def per_severity(fn, table):
        return tuple(None if (v := fn(table[s])) is None else round(v, 2) for s in Severity)

    return charts.Durations(
        title=f"Primera respuesta y resolución en {hours}, últimas {WEEKS} semanas",
        xlabel="Criticidad",
        ylabel=hours[:1].upper() + hours[1:],
        alt=f"Mediana y percentil 90 de la primera respuesta y de la resolución, en {hours}, por criticidad.",
        first_response_median=per_severity(_median, first),
        first_response_p90=per_severity(_p90, first),
        resolution_median=per_severity(_median, resolved),
        resolution_p90=per_severity(_p90, resolved),
    )


# -- words -------------------------------------------------------------------------------


def day_text(app, when: datetime) -> str:
    """ "lunes 7 de diciembre" """
    return sla.local_text(app, when).rsplit(" de ", 1)[0]


def _hours(app, seconds: int | None) -> str:
    if seconds is None:
        return "-"
    unit = "h hábiles" if sla.business(app) else "h"
    return f"{charts.figure_text(round(seconds / 3600, 1))} {unit}"


def _client(item: Item) -> str:
    return f"{item.requester_name} <{item.requester}>" if item.requester_name else item.requester


def item_lines(app, item: Item, *, assignee: bool = False) -> list[str]:
    """What one ticket says in a digest: a heading line, then one line per fact."""
    head = f"{item.number} · {labels.severity(item.severity)} · {item.subject or '(sin asunto)'}"
    lines = [head, f"Cliente: {_client(item)}"]
    if assignee:
        lines.append(f"Asignado a: {item.assignee or 'nadie'}")
    if item.overdue:
        lines.append(f"VENCIDO: venció el {sla.local_text(app, item.due)}, hace {_hours(app, item.late_seconds)}")
    elif item.due is not None:
        lines.append(f"Vence: {sla.local_text(app, item.due)}, quedan {_hours(app, item.left_seconds)}")
    if item.unanswered:
        what = "El cliente volvió a escribir" if item.followup else "El cliente reportó"
        lines.append(f"{what} el {sla.local_text(app, item.notice_at)} y nadie le ha respondido")
    waits = f"Le toca a: {labels.turn(item.turn)} ({labels.status(item.status)})"
    if item.turn_since is not None:
        waits += f", desde el {sla.local_text(app, item.turn_since)} ({_hours(app, item.turn_seconds)})"
    lines.append(waits)
    if item.vendor is not None:
        lines.append(
            f"Caso con el fabricante {item.vendor} abierto el {sla.local_text(app, item.vendor_since)}, "
            f"sin respuesta desde hace {_hours(app, item.vendor_seconds)}"
        )
    elif item.status == Status.WAITING_VENDOR:
        lines.append("Sin caso abierto con un fabricante")
    return lines


def engineer_subject(app, d: EngineerDigest) -> str:
    return f"Sus tickets abiertos — {day_text(app, d.at)}"


def board_subject(app, b: Board) -> str:
    return f"Tablero de soporte — {day_text(app, b.at)}"


def _engineer_sections(app, d: EngineerDigest) -> list[tuple[str, list[Item], bool]]:
    out = []
    if d.mine:
        out.append((f"Sus tickets ({len(d.mine)}), del más urgente al menos urgente", d.mine, False))
    if d.unassigned:
        out.append((f"Sin asignar ({len(d.unassigned)}): cualquiera puede tomarlos", d.unassigned, False))
    return out


def _engineer_intro(app, d: EngineerDigest) -> list[str]:
    lines = [f"Buenos días. Sus tickets abiertos al {sla.local_text(app, d.at)}."]
    waiting = [i.number for i in d.mine if i.unanswered]
    overdue = sum(1 for i in d.mine if i.overdue)
    if overdue:
        lines.append(f"Vencidos: {overdue}.")
    if waiting:
        lines.append("El cliente escribió y nadie le ha respondido: " + ", ".join(waiting) + ".")
    return lines


def _board_summary(b: Board) -> list[tuple[str, str]]:
    hours = "horas hábiles" if b.business else "horas"
    return [
        ("Tickets abiertos", str(b.open)),
        ("Vencidos", str(len(b.overdue))),
        (f"En riesgo (vencen en las próximas {AT_RISK // 3600} {hours})", str(len(b.at_risk))),
        ("Esperando a un fabricante", str(len(b.vendor))),
        ("Sin asignar", str(len(b.unassigned))),
    ]


def _board_sections(b: Board) -> list[tuple[str, list[Item], bool]]:
    hours = "horas hábiles" if b.business else "horas"
    return [
        (title, items, True)
        for title, items in (
            (f"Vencidos ({len(b.overdue)})", b.overdue),
            (f"En riesgo: vencen en las próximas {AT_RISK // 3600} {hours} ({len(b.at_risk)})", b.at_risk),
            (f"Esperando a un fabricante ({len(b.vendor)})", b.vendor),
            (f"Sin asignar ({len(b.unassigned)})", b.unassigned),
            (f"Asignados a usted ({len(b.mine)})", b.mine),
        )
        if items
    ]


def client_table(b: Board) -> list[list[str]]:
    """Open tickets per client domain and severity, header row first, a total row last."""
    header = ["Cliente", *(s.label for s in Severity), "Total"]
    rows = [[domain, *(str(c.get(s, 0)) for s in Severity), str(sum(c.values()))] for domain, c in b.by_client.items()]
    totals = [sum(c.get(s, 0) for c in b.by_client.values()) for s in Severity]
    return [header, *rows, ["Total", *map(str, totals), str(b.open)]]


def _text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _text_items(app, title: str, items: list[Item], assignee: bool) -> list[str]:
    lines = [title, ""]
    for n, item in enumerate(items, 1):
        first, *rest = item_lines(app, item, assignee=assignee)
        lines.append(f"{n:>2}. {first}")
        lines += [f"    {line}" for line in rest]
        lines.append("")
    return lines


def _footer(app) -> list[str]:
    return [
        "--",
        f"{app.settings.mailbot.name}: resumen automático. Responder a este correo no abre un ticket.",
    ]


def render_engineer_text(app, d: EngineerDigest) -> str:
    lines = [*_engineer_intro(app, d), ""]
    for title, items, assignee in _engineer_sections(app, d):
        lines += _text_items(app, title, items, assignee)
    return "\n".join(lines + _footer(app)) + "\n"


def render_board_text(app, b: Board) -> str:
    lines = [f"Buenos días. El tablero de soporte al {sla.local_text(app, b.at)}.", ""]
    lines += [f"  {label}: {value}" for label, value in _board_summary(b)]
    lines.append("")
    for title, items, assignee in _board_sections(b):
        lines += _text_items(app, title, items, assignee)
    lines += ["Tickets abiertos por cliente y criticidad", "", *_text_table(client_table(b)), ""]
    for chart in b.charts:
        lines += [chart.title, "", *_text_table(charts.table(chart)), ""]
    return "\n".join(lines + _footer(app)) + "\n"


# HTML: plain tables and lists, inline styles only (mail programs drop <style> blocks).

_e = html.escape
_TABLE = '<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse">'


def _html_table(rows: list[list[str]]) -> str:
    head, *body = rows
    out = [_TABLE, "<tr>", *(f"<th>{_e(c)}</th>" for c in head), "</tr>"]
    for row in body:
        out.append("<tr>" + "".join(f"<td{' align=right' if i else ''}>{_e(c)}</td>" for i, c in enumerate(row)))
        out.append("</tr>")
    return "".join(out) + "</table>"


def _html_items(app, title: str, items: list[Item], assignee: bool) -> str:
    parts = [f"<h2>{_e(title)}</h2><ol>"]
    for item in items:
        first, *rest = item_lines(app, item, assignee=assignee)
        parts.append(f"<li><b>{_e(first)}</b><br>" + "<br>".join(_e(line) for line in rest) + "</li>")
    return "".join(parts) + "</ol>"


def _html_page(body: list[str], app) -> str:
    foot = "<hr><p><small>" + "<br>".join(_e(line) for line in _footer(app)[1:]) + "</small></p>"
    return (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"></head><body style="font-family:sans-serif">'
        + "".join(body)
        + foot
        + "</body></html>"
    )


def render_engineer_html(app, d: EngineerDigest) -> str:
    parts = ["<p>" + "<br>".join(_e(line) for line in _engineer_intro(app, d)) + "</p>"]
    parts += [_html_items(app, *section) for section in _engineer_sections(app, d)]
    return _html_page(parts, app)


def render_board_html(app, b: Board, *, images: bool = True) -> str:
    """The board as HTML; ``images`` False when the charts could not be drawn (their tables stay)."""
    parts = [f"<p>Buenos días. El tablero de soporte al {_e(sla.local_text(app, b.at))}.</p>"]
    parts.append(
        _TABLE
        + "".join(f"<tr><th align=left>{_e(k)}</th><td align=right>{_e(v)}</td></tr>" for k, v in _board_summary(b))
        + "</table>"
    )
    parts += [_html_items(app, *section) for section in _board_sections(b)]
    parts += ["<h2>Tickets abiertos por cliente y criticidad</h2>", _html_table(client_table(b))]
    for n, chart in enumerate(b.charts, 1):
        parts.append(f"<h2>{_e(chart.title)}</h2>")
        if images:
            parts.append(f'<p><img src="cid:{_e(charts.content_id(n, chart))}" alt="{_e(chart.alt)}" width="720"></p>')
        parts.append(_html_table(charts.table(chart)))
    return _html_page(parts, app)


# -- the mails ---------------------------------------------------------------------------


@dataclass
class DigestMail:
    """One digest as it would go out: to whom, subject, text and HTML, and its inline images."""

    kind: str
    address: str
    subject: str
    text: str
    html: str
    inline: list[tuple[str, str, bytes]] = field(default_factory=list)


def _compute(app, kind: str, now: datetime, only: str | None) -> list[EngineerDigest | Board]:
    with app.sessions() as session:
        items = open_items(app, session, now)
        if kind == ENGINEERS:
            found = [d for d in engineer_digests(app, session, now, items) if only in (None, d.address)]
        else:
            board = manager_board(app, session, now, items) if only in (None, app.settings.team.manager) else None
            found = [board] if board is not None else []
    return [d for d in found if not d.empty]


def _mail(app, kind: str, digest, *, draw: bool) -> DigestMail:
    if kind == ENGINEERS:
        return DigestMail(
            kind,
            digest.address,
            engineer_subject(app, digest),
            render_engineer_text(app, digest),
            render_engineer_html(app, digest),
        )
    inline, images = [], False
    if draw and digest.charts:
        try:
            pngs = charts.draw(digest.charts)
        except charts.ChartError as exc:
            # The figures are in the tables too: the board goes out without its pictures.
            log.warning("digest for %s: charts not drawn, sent with their tables only: %s", digest.address, exc)
        else:
            images = True
            inline = [
                (charts.content_id(n, chart), "image/png", png)
                for n, (chart, png) in enumerate(zip(digest.charts, pngs, strict=True), 1)
            ]
    return DigestMail(
        kind,
        digest.address,
        board_subject(app, digest),
        render_board_text(app, digest),
        render_board_html(app, digest, images=images),
        inline,
    )


def recipients(settings, kind: str) -> list[str]:
    """Who may get a digest of ``kind`` (whether there is anything for them or not)."""
    if kind == ENGINEERS:
        return engineer_recipients(settings)
    return [settings.team.manager] if settings.team.manager else []


def build(app, kind: str, now: datetime, *, only: str | None = None, draw: bool = True) -> list[DigestMail]:
    """The digests of ``kind`` that would go out at ``now`` (nobody with nothing to read); nothing is claimed."""
    return [_mail(app, kind, d, draw=draw) for d in _compute(app, kind, now, only)]


def claim_name(day: date, address: str) -> str:
    """The counters row that makes a digest once per person per local day.

    ``counters.name`` holds 64 characters: a longer address is keyed by its hash.
    """
    name = f"digest:{day.isoformat()}:{address}"
    if len(name) <= 64:
        return name
    return f"digest:{day.isoformat()}:#{hashlib.sha256(address.encode()).hexdigest()[:40]}"


def _claimed(app, name: str) -> bool:
    with app.sessions() as session:
        return session.get(Counter, name) is not None


def send_digests(app, kind: str, now: datetime | None = None, *, only: str | None = None) -> list[str]:
    """Queue today's digests of ``kind``; the addresses that got one now (not who had one already)."""
    now = now or app.clock()
    day = now.astimezone(ZoneInfo(app.settings.mailbot.timezone)).date()
    sent = []
    for digest in _compute(app, kind, now, only):
        name = claim_name(day, digest.address)
        if _claimed(app, name):
            continue  # sent already today: no charts drawn for nothing
        try:
            _send_one(app, kind, digest, name, now)
        except _ClaimedMeanwhile:
            continue
        except Exception as exc:
            # One person's digest failing leaves the others' to go out; the job runs again tomorrow.
            log.error("%s digest for %s failed: %s: %s", kind, digest.address, type(exc).__name__, exc)
            continue
        sent.append(digest.address)
    if sent:
        log.info("%s digest queued for %s", kind, ", ".join(sent))
    return sent


class _ClaimedMeanwhile(Exception):
    """Another process claimed this person's digest of the day first."""


def _send_one(app, kind: str, digest, name: str, now: datetime) -> None:
    """Claim ``name`` and queue the digest in one transaction: both or neither."""
    mail = _mail(app, kind, digest, draw=True)
    with app.sessions.begin() as session:
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=1))
                session.flush()
        except IntegrityError:
            raise _ClaimedMeanwhile from None
        queue_mail(
            session,
            app.settings,
            kind=MessageKind.DIGEST,
            to=[mail.address],
            subject=mail.subject,
            body=mail.text,
            html=mail.html,
            inline=mail.inline,
            auto=False,
            now=now,
        )
