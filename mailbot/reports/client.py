"""One client's history: its tickets, how they were attended, and what is still open.

``history`` gathers it for ``mailbot report client DOMAIN``; the quarterly
report builds its figures and its section per client from the same pieces
(``tally_tickets``, ``tally_later_clocks``, ``open_tickets``), so the two never
count a client differently.

Everything is read from the models: this package may not import
``mailbot.tickets``. Durations come from the columns a ticket stores as they
end (``first_response_seconds``, ``resolution_seconds``, ``Clock.business_seconds``);
they are computed here only for tickets from before those columns existed
(migration 0008), the way the report computed them before.

The database does the counting: tickets are grouped by client domain,
severity and category (``tally_tickets``), clocks by domain
(``tally_later_clocks``), so a year of a big desk is a few thousand rows of
sums, never the tickets themselves. The medians and 90th percentiles are
taken here from the stored durations alone, one integer per ticket (SQLite
has no percentile function, and sorting them here is cheaper than its window
functions over a partition per client).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Text, and_, case, cast, func, or_, select

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


def first_response_seconds(app, t) -> int | None:
    """Reception to the first answer, as stored; computed only for a ticket from before the column."""
    if t.first_response_seconds is not None:
        return t.first_response_seconds
    if t.first_response_at is None:
        return None
    return sla.elapsed_seconds(app, t.received_at, t.first_response_at)


def resolution_seconds(app, t) -> int | None:
    """Reception to resolution, as stored; computed only for a resolved ticket from before the column."""
    if t.resolution_seconds is not None:
        return t.resolution_seconds
    if t.resolved_at is None or t.status not in (Status.RESOLVED, Status.CLOSED):
        return None  # not resolved, or reopened since (its old resolution no longer stands)
    return sla.elapsed_seconds(app, t.received_at, t.resolved_at)


def sql_domain(address, dialect: str):
    """SQL for what ``domain_of`` normalizes: the address after its last "@" (all of it without one), as stored.

    Rows are grouped by it and each distinct one is normalized here (two
    spellings of one domain are one client). PostgreSQL splits on the last "@"
    itself; SQLite has no "last position of": an address with one "@" is cut
    after it (cheap), one with more is cut after its last, which is where the
    address without its trailing characters other than "@" ends.
    """
    if dialect == "postgresql":
        return func.reverse(func.split_part(func.reverse(address), "@", 1))
    after = func.substr(address, func.instr(address, "@") + 1)
    up_to_last = func.rtrim(address, func.replace(address, "@", ""))
    return case((func.instr(after, "@") == 0, after), else_=func.substr(address, func.length(up_to_last) + 1))


def not_merged(dialect: str):
    """SQL: not merged into another ticket.

    On SQLite written so that no index serves it: SQLite (no statistics) takes
    "merged_into_id IS NULL" for a selective equality and reads every unmerged
    ticket of the desk through ix_tickets_merged_into_id instead of a period's
    through ix_tickets_received_requester. PostgreSQL knows nearly every ticket
    matches, and needs the plain condition to estimate it.
    """
    if dialect == "sqlite":
        return case((Ticket.merged_into_id.is_(None), 1), else_=0) == 1
    return Ticket.merged_into_id.is_(None)


@dataclass(frozen=True)
class Scope:
    """The tickets a set of figures counts: received from ``start`` (to ``end``), of one client or all.

    A ticket merged into another is in none of them: its thread is the other ticket's.
    """

    dialect: str  # the database's (``not_merged``)
    start: datetime
    end: datetime | None = None
    domain: str | None = None

    def where(self, query, *, merged: bool = False):
        """``query`` (over ``Ticket``) narrowed to the scope; ``merged``: the merged tickets instead."""
        query = query.where(
            Ticket.received_at >= self.start,
            Ticket.merged_into_id.is_not(None) if merged else not_merged(self.dialect),
        )
        if self.end is not None:
            query = query.where(Ticket.received_at < self.end)
        return query if self.domain is None else of_domain(query, self.domain)


_RESOLVED = (Status.RESOLVED, Status.CLOSED)
# A reception-to-answer or reception-to-resolution the ticket does not store: from before the
# columns (migration 0008), worked out from its times in Python as the figures always were.
_FIRST_UNSTORED = and_(Ticket.first_response_seconds.is_(None), Ticket.first_response_at.is_not(None))
_RESOLUTION_UNSTORED = and_(
    Ticket.resolution_seconds.is_(None), Ticket.resolved_at.is_not(None), Ticket.status.in_(_RESOLVED)
)
# The contract's attention figure counts a report's first answer against its deadline.
_ANSWERED = and_(Ticket.attention_due.is_not(None), Ticket.first_response_at.is_not(None))


def _flag(condition):
    return case((condition, 1), else_=0)


def measured(now: datetime):
    """SQL: the report's first answer counts in the attention figure: answered, or past its deadline unanswered.

    List mail has no deadline: never.
    """
    return and_(
        Ticket.attention_due.is_not(None), or_(Ticket.first_response_at.is_not(None), Ticket.attention_due <= now)
    )


# SQL: answered within the attention deadline.
MET = and_(_ANSWERED, Ticket.first_response_at <= Ticket.attention_due)


def ticket_sums(now: datetime) -> list:
    """Per-ticket SQL summed by the figures: attention measured and met, resolved, durations not stored."""
    return [
        func.count().label("tickets"),
        func.sum(_flag(measured(now))).label("measured"),
        func.sum(_flag(MET)).label("met"),
        func.sum(_flag(or_(Ticket.resolution_seconds.is_not(None), _RESOLUTION_UNSTORED))).label("resolved"),
        func.sum(_flag(or_(_FIRST_UNSTORED, _RESOLUTION_UNSTORED))).label("unstored"),
    ]


class Domains:
    """Each SQL domain (``sql_domain``), or each requester (``of``), in its normalized spelling, worked out once."""

    def __init__(self):
        self._seen: dict[str, str] = {}
        self._requesters: dict[str, str] = {}

    def __call__(self, raw: str | None) -> str:
        raw = raw or ""
        found = self._seen.get(raw)
        if found is None:
            found = self._seen[raw] = normalize_domain(raw)
        return found

    def of(self, requester: str | None) -> str:
        """The client domain of a requester, as ``domain_of``."""
        requester = requester or ""
        found = self._requesters.get(requester)
        if found is None:
            found = self._requesters[requester] = self(requester.rpartition("@")[2])
        return found


def median_and_p90(seconds: list[int]) -> tuple[float | None, float | None]:
    """``median`` and ``p90`` of the durations in hours, from the seconds: the same figures, one sort of integers.

    ``hours`` keeps order, so the values at the middle and 90th-percentile ranks of
    the sorted seconds are those of the sorted hours.
    """
    if not seconds:
        return None, None
    seconds.sort()
    n = len(seconds)
    if n % 2:
        middle = hours(seconds[n // 2])
    else:
        middle = (hours(seconds[n // 2 - 1]) + hours(seconds[n // 2])) / 2
    return round(middle, 2), hours(seconds[max(1, -(-9 * n // 10)) - 1])


@dataclass
class Tally:
    """What the figures of one group of tickets (a client, or all) are made of.

    Counts come summed from the database; durations come as the stored seconds
    of each ticket (integers, listed by the database per group), and the
    percentiles are taken here.
    """

    tickets: int = 0
    severity: dict = field(default_factory=dict)
    category: dict = field(default_factory=dict)
    measured: int = 0
    met: int = 0
    resolved: int = 0
    attention: list = field(default_factory=list)  # seconds to the first answer, of those measured
    resolution: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # the caller's own sums (``tally_tickets``'s ``sums``)

    def add(self, row, severities: dict, categories: dict, extra: dict) -> None:
        """A group's counts (a row of ``tally_tickets``'s query, its severities and categories counted)."""
        self.tickets += row.tickets
        self.measured += row.measured
        self.met += row.met
        self.resolved += row.resolved
        for into, counts in ((self.severity, severities), (self.category, categories), (self.extra, extra)):
            for name, n in counts.items():
                into[name] = into.get(name, 0) + n

    def merge(self, other: Tally) -> None:
        self.add(other, other.severity, other.category, other.extra)
        self.attention += other.attention
        self.resolution += other.resolution

    def counts(self) -> dict:
        return {
            "tickets": self.tickets,
            "by_severity": {s: self.severity.get(s.value, 0) for s in Severity},
            "by_category": dict(sorted(self.category.items())),
        }

    def attention_figures(self) -> dict:
        middle, high = median_and_p90(self.attention)
        return {
            "attention_measured": self.measured,
            "attention_in_time": self.met,
            "attention_in_time_pct": pct(self.met, self.measured),
            "attention_hours_median": middle,
            "attention_hours_p90": high,
        }

    def resolution_figures(self) -> dict:
        middle, high = median_and_p90(self.resolution)
        return {"resolved": self.resolved, "resolution_hours_median": middle, "resolution_hours_p90": high}


_CATEGORY = case((or_(Ticket.category.is_(None), Ticket.category == ""), "general"), else_=Ticket.category)


def listed(column, dialect: str, separator: str = ","):
    """SQL aggregate: the group's values of ``column`` (NULLs left out), or NULL for none.

    On SQLite as text, "1,2,3" (``integers`` reads it); PostgreSQL gives an array
    of integers (a list) with ``integer_array``, text otherwise.
    """
    if dialect == "postgresql":
        return func.string_agg(cast(column, Text), separator)
    return func.group_concat(column, separator)


def integer_array(column, dialect: str):
    """SQL aggregate: the group's integers (NULLs left out), for ``integers``: a list on PostgreSQL."""
    if dialect == "postgresql":
        return func.array_remove(func.array_agg(column), None)
    return listed(column, dialect)


def integers(values) -> list[int]:
    """What ``integer_array`` gave, as a list."""
    if not values:
        return []
    return values if isinstance(values, list) else list(map(int, values.split(",")))


# Categories are words the rules set: listed with a separator no rule file writes.
_UNIT = "\x1f"


@dataclass
class Tickets:
    """``tally_tickets``'s answer: a ``Tally`` per client domain and for all (None), and more the caller asked for."""

    tallies: dict
    per_severity: dict  # severity -> (first answers, resolutions) in seconds
    marked: dict  # each of the caller's ``marks`` -> {ticket id: its client domain}
    ids: tuple  # the lowest and highest ticket id in the scope (None, None when it is empty)
    counted: dict  # each of the caller's ``lists`` -> {(severity, value): how many tickets}


def tally_tickets(
    app,
    session,
    scope: Scope,
    now: datetime,
    *,
    sums: dict | None = None,
    marks: dict | None = None,
    lists: dict | None = None,
) -> Tickets:
    """The figures' makings for the tickets in ``scope``, per client domain (normalized) and for all.

    One read of the scope, grouped by domain and severity: the counts (categories
    listed), with the caller's ``sums`` (name -> SQL summed per group), the stored
    durations of each group as a list of integers, the ids of the tickets each
    of the caller's ``marks`` (name -> SQL condition) holds for, and how many
    tickets of each severity give each value of the caller's ``lists`` (name ->
    SQL integer, NULL for none).
    Tickets from before the stored durations are read again, those only, to
    work theirs out.
    """
    sums, marks, lists = sums or {}, marks or {}, lists or {}
    dialect = session.get_bind().dialect.name
    domains = Domains()
    dom = sql_domain(Ticket.requester, dialect)
    # Grouped by domain alone (a few thousand groups); what depends on the severity too (the
    # severities counted, the durations per severity, the caller's lists) carries its code.
    query = scope.where(
        select(
            dom.label("dom"),
            listed(Ticket.severity, dialect, _UNIT).label("severities"),
            listed(_CATEGORY, dialect, _UNIT).label("categories"),
            *ticket_sums(now),
            *(func.sum(expr).label(name) for name, expr in sums.items()),
            func.min(Ticket.id).label("lo"),
            func.max(Ticket.id).label("hi"),
            integer_array(_coded(case((_ANSWERED, Ticket.first_response_seconds)), dialect), dialect).label(
                "attention"
            ),
            # The first answers the attention figure leaves out (no deadline): the rest is "attention".
            integer_array(_coded(case((~_ANSWERED, Ticket.first_response_seconds)), dialect), dialect).label("first"),
            integer_array(_coded(Ticket.resolution_seconds, dialect), dialect).label("resolution"),
            *(
                integer_array(case((condition, Ticket.id)), dialect).label(f"mark_{name}")
                for name, condition in marks.items()
            ),
            *(integer_array(_coded(expr, dialect), dialect).label(f"list_{name}") for name, expr in lists.items()),
        )
    ).group_by(dom)
    tallies: dict[str | None, Tally] = {}
    coded: dict[str, list[int]] = {"first": [], "resolution": [], **{f"list_{name}": [] for name in lists}}
    marked: dict[str, dict[int, str]] = {name: {} for name in marks}
    unstored, lo, hi = 0, None, None
    for row in session.execute(query):
        key = domains(row.dom)
        attention, first, resolution = integers(row.attention), integers(row.first), integers(row.resolution)
        severities = Counter(row.severities.split(_UNIT))
        categories = Counter(row.categories.split(_UNIT))
        if sum(categories.values()) != row.tickets or sum(severities.values()) != row.tickets:
            severities, categories = _apart(session, scope, dom, row)  # a word with the separator in it
        mine = tallies.get(key) or tallies.setdefault(key, Tally())
        mine.add(row, severities, categories, {name: getattr(row, name) for name in sums})
        mine.attention += [v >> 2 for v in attention]
        mine.resolution += [v >> 2 for v in resolution]
        coded["first"] += attention
        coded["first"] += first
        coded["resolution"] += resolution
        for name in lists:
            coded[f"list_{name}"] += integers(getattr(row, f"list_{name}"))
        for name in marks:
            marked[name].update(dict.fromkeys(integers(getattr(row, f"mark_{name}")), key))
        unstored += row.unstored
        lo, hi = min(lo or row.lo, row.lo), max(hi or row.hi, row.hi)
    per_severity = {
        s.value: tuple([v >> 2 for v in coded[name] if v & 3 == k] for name in ("first", "resolution"))
        for k, s in enumerate(Severity)
    }
    counted: dict[str, dict[tuple, int]] = {}
    for name in lists:
        counted[name] = {(_SEVERITY_OF_CODE.get(v & 3), v >> 2): n for v, n in Counter(coded[f"list_{name}"]).items()}
    everyone = tallies[None] = Tally()
    for key, mine in list(tallies.items()):
        if key is not None:
            everyone.merge(mine)
    if unstored:
        _add_unstored(app, session, scope, tallies, per_severity, domains)
    return Tickets(tallies, per_severity, marked, (lo, hi), counted)


# Severities by a small code, for what ``tally_tickets`` lists with the severity of each ticket:
# a value v of a ticket of severity code c is listed as 4 v + c (3: a severity no rule sets).
_SEVERITY_CODE = case(*[(Ticket.severity == s.value, k) for k, s in enumerate(Severity)], else_=len(Severity))
_SEVERITY_OF_CODE = {k: s.value for k, s in enumerate(Severity)}
assert len(Severity) < 4, "severity codes take two bits"


def _coded(value, dialect: str):
    """SQL: ``value`` (an integer, or NULL) with the ticket's severity code, for ``tally_tickets``."""
    wide = cast(value, BigInteger) if dialect == "postgresql" else value
    return wide * 4 + _SEVERITY_CODE


def _apart(session, scope: Scope, dom, row) -> tuple[dict, dict]:
    """The severities and categories of one domain of ``tally_tickets``, counted one by one."""
    query = scope.where(select(Ticket.severity, _CATEGORY).where(dom == row.dom))
    severities, categories = Counter(), Counter()
    for severity, category in session.execute(query):
        severities[severity] += 1
        categories[category] += 1
    return severities, categories


def _add_unstored(app, session, scope: Scope, tallies: dict, per_severity: dict, domains: Domains) -> None:
    """Add the durations of the tickets that do not store them (from before migration 0008), worked out."""
    query = scope.where(
        select(
            Ticket.requester,
            Ticket.severity,
            _flag(_ANSWERED).label("answered"),
            Ticket.first_response_seconds,
            Ticket.resolution_seconds,
            Ticket.received_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.status,
        ).where(or_(_FIRST_UNSTORED, _RESOLUTION_UNSTORED))
    )
    for t in session.execute(query):
        mine = tallies.get(domains.of(t.requester)) or tallies.setdefault(domains.of(t.requester), Tally())
        both = per_severity.get(t.severity)
        # Only the value a ticket lacks is new: the one it stores was listed with the others.
        if t.first_response_seconds is None and (first := first_response_seconds(app, t)) is not None:
            if t.answered:
                mine.attention.append(first)
                tallies[None].attention.append(first)
            if both is not None:
                both[0].append(first)
        if t.resolution_seconds is None and (done := resolution_seconds(app, t)) is not None:
            mine.resolution.append(done)
            tallies[None].resolution.append(done)
            if both is not None:
                both[1].append(done)


def later_clocks(tally: dict, now: datetime | None = None) -> dict:
    """The clocks of the client's later notices (not the report's first): how many, how many in time, how long.

    ``tally`` is one group of ``tally_later_clocks``. A stopped clock is in time
    when it stopped by its deadline; a running one is missed once past it, and
    not counted before (it may still be met). Hours are those of stopped clocks,
    as they were counted when they stopped.
    """
    middle, high = median_and_p90(tally["seconds"])
    measured = tally["stopped"] + tally["late_running"]
    return {
        "later_notices": tally["notices"],
        "later_measured": measured,
        "later_in_time": tally["met"],
        "later_in_time_pct": pct(tally["met"], measured),
        "later_hours_median": middle,
        "later_hours_p90": high,
    }


def later_tally() -> dict:
    return {"notices": 0, "stopped": 0, "late_running": 0, "met": 0, "seconds": []}


def tally_later_clocks(
    session, start: datetime, end: datetime | None, now: datetime, domain: str | None = None
) -> dict:
    """Per client domain (normalized) and for all (None): the later notices' clocks started from ``start`` (to ``end``).

    Left out: clocks of a ticket merged into another (the notice is the other
    ticket's to answer, and a clock still running moved there with it), and
    clocks stopped because their mail was split off into a ticket of its own,
    whose first clock times it.
    """
    dialect = session.get_bind().dialect.name
    dom = sql_domain(Ticket.requester, dialect)

    def scoped(query):
        query = query.join(Ticket, Ticket.id == Clock.ticket_id).where(
            Clock.source == ClockSource.CLIENT,
            Clock.started_at >= start,
            not_merged(dialect),
            or_(Clock.stopped_by.is_(None), Clock.stopped_by != ClockStop.SPLIT),
        )
        if end is not None:
            query = query.where(Clock.started_at < end)
        return query if domain is None else of_domain(query, domain)

    stopped = Clock.stopped_at.is_not(None)
    counts = scoped(
        select(
            dom.label("dom"),
            func.count().label("notices"),
            func.sum(_flag(stopped)).label("stopped"),
            func.sum(_flag(and_(Clock.stopped_at.is_(None), Clock.due < now))).label("late_running"),
            func.sum(_flag(and_(stopped, Clock.stopped_at <= Clock.due))).label("met"),
            integer_array(case((stopped, Clock.business_seconds)), dialect).label("seconds"),
        )
    ).group_by(dom)
    domains = Domains()
    tallies = {None: later_tally()}
    for row in session.execute(counts):
        seconds = integers(row.seconds)
        for key in (domains(row.dom), None):
            mine = tallies.get(key) or tallies.setdefault(key, later_tally())
            for name in ("notices", "stopped", "late_running", "met"):
                mine[name] += getattr(row, name)
            mine["seconds"] += seconds
    return tallies


# -- open tickets --------------------------------------------------------------


# What an open ticket's row shows: only these columns are read (a few thousand tickets are open).
_OPEN_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.requester,
    Ticket.subject,
    Ticket.severity,
    Ticket.status,
    Ticket.turn_since,
    Ticket.received_at,
    Ticket.first_response_at,
    Ticket.attention_due,
)
_OPEN = (Ticket.status.in_(OPEN_STATUSES), Ticket.merged_into_id.is_(None))
_STATUSES = frozenset(Status)


def open_tickets(
    app, session, now: datetime, *, domain: str | None = None, before: datetime | None = None
) -> list[dict]:
    """The tickets still open now (of ``domain``, received before ``before``), oldest first.

    Each says whose turn it is and since when, and whether its attention is
    overdue: a notice's clock running past its deadline (or, for a ticket
    from before the clocks, no first answer past the attention deadline).
    """
    zone = ZoneInfo(app.settings.mailbot.timezone)
    q = select(*_OPEN_COLUMNS).where(*_OPEN).order_by(Ticket.seq)
    if domain is not None:
        q = of_domain(q, domain)
    if before is not None:
        q = q.where(Ticket.received_at < before)
    tickets = session.execute(q).all()
    running: dict[int, datetime] = {}
    if tickets:
        clocks = (
            select(Clock.ticket_id, Clock.due)
            .join(Ticket, Ticket.id == Clock.ticket_id)
            .where(Clock.stopped_at.is_(None), *_OPEN)
            .order_by(Clock.id)
        )
        for ticket_id, clock_due in session.execute(clocks):
            running.setdefault(ticket_id, clock_due)  # the oldest runs; see tickets.clocks.running
    rows = []
    for t in tickets:
        turn = Status(t.status).turn if t.status in _STATUSES else None
        due = running.get(t.id)
        if due is None and turn == Turn.DESK and t.first_response_at is None and t.attention_due is not None:
            due = t.attention_due  # a ticket from before the clocks, never answered
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
    scope = Scope(session.get_bind().dialect.name, since, None, domain)
    mine = tally_tickets(app, session, scope, now).tallies[None]
    merged = session.scalar(scope.where(select(func.count()).select_from(Ticket), merged=True))
    clocks = tally_later_clocks(session, since, None, now, domain)[None]
    opened = open_tickets(app, session, now, domain=domain)
    return {
        "client": domain,
        "since": since.isoformat(),
        "to": now.isoformat(),
        "business_hours": sla.business(app),
        **mine.counts(),
        "merged": merged,
        **mine.attention_figures(),
        **later_clocks(clocks),
        **mine.resolution_figures(),
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
