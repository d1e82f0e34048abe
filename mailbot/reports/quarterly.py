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
import json
import logging
import re
import textwrap
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, Interval, and_, any_, case, func, literal, select, text
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
    """The facts of each of ``ids`` that has any (the others have none: ``_NO_FACTS``)."""
    facts: dict[int, _AckFacts] = {}
    # A ticket merged into this one brought its events and mail along: they are that
    # ticket's acknowledgement, not this one's (events say where they happened, and
    # the merged_from event lists the mail that moved).
    merged_mail: dict[int, set[str]] = {}
    # The events that bear on it are those of ix_events_ack_facts, read through that index; of the
    # "created" ones it leaves out a client's (the report's own: the usual case, as good as none
    # for ``is_report``). A ticket with another kind of "created" has all of its read: the last stands.
    dialect = session.get_bind().dialect.name
    columns = (Event.id, Event.ticket_id, Event.kind, Event.data)
    where = ack_facts_where(dialect)
    events = {e.id: e for e in session.execute(select(*columns).where(where, among(Event.ticket_id, ids, dialect)))}
    others = sorted({e.ticket_id for e in events.values() if e.kind == "created"})
    if others:
        created = select(*columns).where(among(Event.ticket_id, others, dialect), Event.kind == "created")
        events.update((e.id, e) for e in session.execute(created))
    # In the order they happened (by key: rows compared as tuples cost SQLAlchemy a call per comparison).
    for event_id in sorted(events):
        _, ticket_id, kind, data = events[event_id]
        f, data = facts.get(ticket_id) or facts.setdefault(ticket_id, _AckFacts()), data or {}
        if kind == "merged_from":
            merged_mail.setdefault(ticket_id, set()).update(data.get("message_ids") or ())
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
    # The direction is told here, not in SQL: SQLite (no statistics) would read every outbound mail
    # through the (direction, message_id) key rather than these tickets' few through ticket_id.
    for ticket_id, message_id, status, direction in session.execute(
        select(MessageRow.ticket_id, MessageRow.message_id, MessageRow.status, MessageRow.direction)
        .where(among(MessageRow.ticket_id, ids, dialect), MessageRow.kind == MessageKind.ACK)
        .order_by(MessageRow.id)
    ):
        if direction != Direction.OUT or message_id in merged_mail.get(ticket_id, ()):
            continue
        (facts.get(ticket_id) or facts.setdefault(ticket_id, _AckFacts())).acks.append((message_id, status))
    return facts


# What ``acknowledgement`` is told of a ticket with no event or acknowledgement that bears on it.
_NO_FACTS = _AckFacts()


def among(column, ids: list[int], dialect: str):
    """SQL: ``column`` is one of ``ids``, however many, bound as one parameter.

    An IN list of one parameter per id costs SQLAlchemy as much as the rows it
    finds, and SQLite may cap the parameters of a statement; an array on
    PostgreSQL, a JSON array on SQLite (``json_each``) cost neither.
    """
    if dialect == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    each = func.json_each(literal(json.dumps(ids))).table_valued("value")
    return column.in_(select(each.c.value))


# -- figures -----------------------------------------------------------------------

# The share of attention within its deadline below which the report points a client out.
# The terms set the deadlines, not a share; 90 % is the desk's own mark, drawn on the charts.
TARGET_PCT = 90.0
# This many CRÍTICA tickets in a quarter put a client among those that need attention.
CRITICAL_MANY = 3


def quarterly(app, session, year: int, q: int, *, client: str | None = None, now: datetime | None = None) -> dict:
    now = now or app.clock()
    zone = ZoneInfo(app.settings.mailbot.timezone)
    start, end = quarter_bounds(year, q, app.settings.mailbot.timezone)
    scope = cl.Scope(session.get_bind().dialect.name, start, end, client)
    late = _maybe_late(session.get_bind().dialect.name, app.settings.sla.acknowledge)
    weeks = _Weeks(start, end, zone, now)
    found = cl.tally_tickets(app, session, scope, now, **_ack_sums(late), lists=weeks.lists())
    tallies = found.tallies
    acks, misses = _acknowledgements(app, session, scope, now, found)
    escalations = _escalations(session, scope, found.ids)
    # Merged into another ticket (#fusionar): one problem reported twice is counted once, as
    # the ticket it went to; the merged ones are only listed, with where they went.
    merged = _merged(session, scope)
    into: dict[int, str] = {}
    if merged:
        where = Ticket.id.in_({t.merged_into_id for t in merged})
        into = dict(session.execute(select(Ticket.id, Ticket.number).where(where)).all())
    # The later notices' clocks started in the quarter, whenever their ticket came in.
    clocks = cl.tally_later_clocks(session, start, end, now, client)
    # Still open when the report is made: what the review should look at first.
    opened = cl.open_tickets(app, session, now, domain=client, before=end)
    domains = sorted(
        ({d for d in tallies if d is not None} | {cl.domain_of(t) for t in merged})
        | {d for d in clocks if d is not None}
        | {r["client"] for r in opened}
    )

    open_of: dict[str | None, list[dict]] = {None: opened}
    for r in opened:
        open_of.setdefault(r["client"], []).append(r)

    def figures(domain: str | None) -> dict:
        mine = tallies.get(domain) or cl.Tally()
        ack = acks.get(domain) or _AckTally()
        esc = escalations.get(domain, {})
        vendors = sorted(v for v in esc if v != Role.MANAGER)
        shown = open_of.get(domain, [])
        return {
            **mine.counts(),
            "acknowledgement_owed": ack.owed,
            "acknowledged_in_time": ack.in_time,
            "acknowledged_in_time_pct": cl.pct(ack.in_time, ack.owed),
            "acknowledgement_missed": {r: ack.missed[r] for r in ACK_REASONS if ack.missed.get(r)},
            **mine.attention_figures(),
            **cl.later_clocks(clocks.get(domain) or cl.later_tally()),
            **mine.resolution_figures(),
            "open_now": len(shown),
            "open_overdue": sum(1 for r in shown if r["overdue"]),
            "escalations_manager": esc.get(Role.MANAGER, 0),
            "escalations_vendor": {v: esc[v] for v in vendors},
        }

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
        **weeks.figures(found.counted),
        "times_by_severity": _times_by_severity(found.per_severity),
        "open": opened,
        "acknowledgement_misses": misses,
        "merged": [{"ticket": t.number, "into": into.get(t.merged_into_id), "client": cl.domain_of(t)} for t in merged],
    }


def _merged(session, scope: cl.Scope) -> list:
    """The tickets of ``scope`` merged into another, oldest first: found through ix_tickets_merged_into_id.

    Merged tickets are a few of the desk's; a period holds many more tickets.
    SQLite (no statistics) would rather read the whole period through
    ix_tickets_received_requester, so there the period is written in a way no
    index serves (as ``client.not_merged`` does), and ``merged_into_id > 0``
    (ids start at 1) is a range of that index. PostgreSQL picks by itself.
    """
    query = select(Ticket.seq, Ticket.number, Ticket.requester, Ticket.merged_into_id).where(Ticket.merged_into_id > 0)
    if scope.dialect == "sqlite":
        after = case((Ticket.received_at >= scope.start, 1), else_=0) == 1
        before = case((Ticket.received_at < scope.end, 1), else_=0) == 1
    else:
        after, before = Ticket.received_at >= scope.start, Ticket.received_at < scope.end
    query = query.where(after, before)
    if scope.domain is not None:
        query = cl.of_domain(query, scope.domain)
    return sorted(session.execute(query).all(), key=lambda t: t.seq)


@dataclass
class _AckTally:
    """A group's acknowledgements as the terms count them: owed (30 minutes over), in time, missed by reason."""

    owed: int = 0
    in_time: int = 0
    missed: dict[str, int] = field(default_factory=dict)

    def count(self, ack: Ack | None, n: int = 1) -> None:
        if ack is None or ack.state == "pending":
            return
        self.owed += n
        if ack.state == "in_time":
            self.in_time += n
        else:
            self.missed[ack.reason] = self.missed.get(ack.reason, 0) + n


# Acknowledged in time, as ``acknowledgement`` decides it for a report acknowledged without a
# bounce: by the times alone. Every other case (not acknowledged, a ticket with an event of
# ix_events_ack_facts) is read whole, ticket by ticket, as it always was.
_IN_TIME = Ack("in_time")


def _maybe_late(dialect: str, limit):
    """SQL: acknowledged later than ``limit`` after reception, or (on SQLite) within a second of it.

    PostgreSQL compares the times exactly. SQLite keeps them as text; its
    julian days are exact to well under a millisecond, so this holds for every
    late acknowledgement and for a few in time by a hair, which are told apart
    in Python with the times themselves.
    """
    if dialect == "postgresql":
        return Ticket.acknowledged_at > Ticket.received_at + literal(limit, Interval())
    margin = (limit.total_seconds() - 1) / 86400
    return func.julianday(Ticket.acknowledged_at) - func.julianday(Ticket.received_at) > margin


def ack_facts_where(dialect: str):
    """The condition of ix_events_ack_facts, word for word, so that the database uses that index."""
    index = next(i for i in Event.__table__.indexes if i.name == "ix_events_ack_facts")
    return text(f"({index.dialect_options[dialect]['where'].text})")


_NORMAL = Ticket.origin == ScreeningKind.NORMAL
_ACKNOWLEDGED = Ticket.acknowledged_at.is_not(None)


def _ack_sums(late) -> dict:
    """``tally_tickets``'s sums and marks for the acknowledgements (``late``: ``_maybe_late``).

    Summed: the reports acknowledged. Marked "whole": not acknowledged, read
    ticket by ticket; "late": acknowledged late (or nearly), by the times alone.
    """
    return {
        "sums": {"acknowledged": case((and_(_NORMAL, _ACKNOWLEDGED), 1), else_=0)},
        "marks": {"whole": and_(_NORMAL, Ticket.acknowledged_at.is_(None)), "late": and_(_NORMAL, late)},
    }


def _acknowledgements(app, session, scope: cl.Scope, now: datetime, found) -> tuple[dict, list[dict]]:
    """Per client domain (and all: None) the reports' acknowledgements, and every one missed, by ticket.

    ``found``: ``tally_tickets`` with ``_ack_sums``. Every report acknowledged
    counts as in time at first; those the database marked late are then read
    and counted late when their times say so; the others (not acknowledged, or
    with an event of ix_events_ack_facts that may change the verdict) are read
    ticket by ticket as they always were.
    """
    settings = app.settings
    dialect = session.get_bind().dialect.name
    tallies: dict[str | None, _AckTally] = {}
    for key, tally in found.tallies.items():
        tallies[key] = _AckTally()
        tallies[key].count(_IN_TIME, tally.extra.get("acknowledged", 0))
    whole = set(found.marked["whole"])
    lo, hi = found.ids
    if lo is not None:
        # The acknowledged reports with an event of ix_events_ack_facts: the events found through
        # that index, then their tickets through their key. (As one join, PostgreSQL would rather
        # read the whole period's tickets and hash them.)
        events = select(Event.ticket_id).where(ack_facts_where(dialect), Event.ticket_id.between(lo, hi))
        flagged = sorted(session.scalars(events.distinct()))
        if flagged:
            ids = select(Ticket.id).where(among(Ticket.id, flagged, dialect), _NORMAL, _ACKNOWLEDGED)
            whole.update(session.scalars(scope.where(ids)))
    columns = (
        Ticket.id,
        Ticket.number,
        Ticket.requester,
        Ticket.origin,
        Ticket.received_at,
        Ticket.acknowledged_at,
    )
    domains = cl.Domains()
    zone = ZoneInfo(settings.mailbot.timezone)
    misses: list[tuple[int, dict]] = []
    if whole:
        ids = sorted(whole)
        tickets = session.execute(select(*columns).where(among(Ticket.id, ids, dialect))).all()
        facts = _ack_facts(session, ids)
        for t in tickets:
            ack = acknowledgement(settings, t, facts.get(t.id, _NO_FACTS), now)
            for key in (domains.of(t.requester), None):
                mine = tallies.get(key) or tallies.setdefault(key, _AckTally())
                if t.acknowledged_at is not None:
                    mine.count(_IN_TIME, -1)  # counted in time above: this verdict stands instead
                mine.count(ack)
            if ack is not None and ack.state == "missed":
                misses.append((t.id, _miss(t, ack, zone)))
    # Late by their times: each is listed, with how late.
    late = sorted(set(found.marked["late"]) - whole)
    if late:
        for t in session.execute(select(*columns).where(among(Ticket.id, late, dialect))):
            ack = acknowledgement(settings, t, _NO_FACTS, now)
            if ack.state != "missed":
                continue  # in time by a hair
            for key in (domains.of(t.requester), None):
                tallies[key].count(_IN_TIME, -1)
                tallies[key].count(ack)
            misses.append((t.id, _miss(t, ack, zone)))
    misses.sort(key=lambda m: m[0])
    for mine in tallies.values():
        mine.missed = {r: n for r, n in mine.missed.items() if n}
    return tallies, [m for _, m in misses]


def _miss(t, ack: Ack, zone: ZoneInfo) -> dict:
    return {
        "ticket": t.number,
        "requester": t.requester,
        "received_at": t.received_at.isoformat(),
        "received_local": t.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "acknowledged_at": t.acknowledged_at.isoformat() if t.acknowledged_at else None,
        "reason": ack.reason,
        "reason_text": ACK_REASONS[ack.reason],
        "detail": ack.detail,
    }


def _escalations(session, scope: cl.Scope, ids: tuple) -> dict[str | None, dict[str, int]]:
    """Per client domain (and all: None): escalations of the scope's tickets, by target.

    ``ids``: the scope's lowest and highest ticket id, so that the escalations are
    read through their ticket's key, those of the period's tickets only.
    """
    out: dict[str | None, dict[str, int]] = {None: {}}
    if ids[0] is None:
        return out
    dom = cl.sql_domain(Ticket.requester, session.get_bind().dialect.name)
    query = scope.where(
        select(dom.label("dom"), Escalation.target, func.count().label("n"))
        .join(Ticket, Ticket.id == Escalation.ticket_id)
        .where(Escalation.ticket_id.between(*ids))
    ).group_by(dom, Escalation.target)
    domains = cl.Domains()
    for d, target, n in session.execute(query):
        for key in (domains(d), None):
            mine = out.setdefault(key, {})
            mine[target] = mine.get(target, 0) + n
    return out


_SEVERITIES = frozenset(Severity)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _interval(column, bounds: list, codes: list[int]):
    """SQL: ``codes[i]`` for the ``column`` in the i-th interval ``bounds`` cut (before the first: 0th), by halves."""
    if not bounds:
        return literal(codes[0], Integer)
    half = len(bounds) // 2
    return case(
        (column < bounds[half], _interval(column, bounds[:half], codes[: half + 1])),
        else_=_interval(column, bounds[half + 1 :], codes[half + 1 :]),
    )


class _Weeks:
    """Tickets received per week (Monday to Sunday, local time) by severity, and the attention figure per month.

    The first week starts on or before the 1st. Weeks and months are told apart
    by the instants their local midnights fall on, so the database tells each
    ticket's (``lists``, for ``tally_tickets``).
    """

    def __init__(self, start: datetime, end: datetime, zone: ZoneInfo, now: datetime):
        first = start.date() - timedelta(days=start.date().weekday())
        self.mondays = []
        monday = first
        while monday < end.date():
            self.mondays.append(monday)
            monday += timedelta(days=7)
        self.months = [date(start.year, start.month + m, 1) for m in range(3)]
        self.zone, self.now = zone, now

    def lists(self) -> dict:
        """One value per ticket, listed by ``tally_tickets``: its week, its month and its first answer's verdict.

        One list, not one per figure: the database lists (and Python reads) each
        ticket once. The verdict is 0 (not measured), 1 (measured, missed) or 2
        (met: answered within the deadline, which is measured too).
        """
        # Week and month together (3 w + m), by the instants where either changes: a binary search,
        # a few comparisons a ticket rather than one per week.
        weeks = [_midnight(d, self.zone) for d in self.mondays[1:]]
        months = [_midnight(d, self.zone) for d in self.months[1:]]
        bounds = sorted(set(weeks) | set(months))
        codes = [0] + [3 * bisect_right(weeks, b) + bisect_right(months, b) for b in bounds]
        when = _interval(Ticket.received_at, bounds, codes)
        verdict = case((cl.MET, 2), (cl.measured(self.now), 1), else_=0)
        return {"ticket": when * 3 + verdict}

    def figures(self, counted: dict) -> dict:
        """The weekly and monthly figures from what ``tally_tickets`` counted of ``lists``."""
        weekly = [{"week": d.isoformat(), **{s.value: 0 for s in Severity}} for d in self.mondays]
        measured, met = [0, 0, 0], [0, 0, 0]
        for (severity, code), n in counted["ticket"].items():
            k, (m, verdict) = code // 9, divmod(code % 9, 3)
            if severity in _SEVERITIES:
                weekly[k][severity] += n
            if verdict:
                measured[m] += n
            if verdict == 2:
                met[m] += n
        monthly = [
            {
                "month": f"{self.months[m]:%Y-%m}",
                "attention_measured": measured[m],
                "attention_in_time": met[m],
                "attention_in_time_pct": cl.pct(met[m], measured[m]),
            }
            for m in range(3)
        ]
        return {"weekly": weekly, "monthly": monthly}


def _times_by_severity(per_severity: dict) -> dict:
    """First response and resolution per severity, median and 90th percentile, in hours."""
    out = {}
    for s in Severity:
        first, done = per_severity.get(s.value, ([], []))
        first_median, first_p90 = cl.median_and_p90(first)
        done_median, done_p90 = cl.median_and_p90(done)
        out[s.value] = {
            "first_response_hours_median": first_median,
            "first_response_hours_p90": first_p90,
            "resolution_hours_median": done_median,
            "resolution_hours_p90": done_p90,
        }
    return out


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
