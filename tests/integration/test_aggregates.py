"""Figures the database counts equal the same figures worked out in Python, ticket by ticket, on SQLite and PostgreSQL.

The quarterly report, a client's history, the manager's charts and the
listings group, sum and filter in SQL (``mailbot.reports``,
``mailbot.tickets.views``). Here a small desk as ``bench/scale.py`` builds a big
one (half a year: every ticket with its mail, events, clocks and escalations,
late, withheld, failed and bounced acknowledgements, merged tickets, tickets
from before the stored durations) plus the odd rows a real desk has (a
domain in capitals, a requester with no "@", an acknowledgement exactly at
its limit and a microsecond past it) is read both ways: every ticket loaded
and counted one by one, as the reports used to, and through the reports.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bench.scale import NOW, Filler
from mailbot.app import build_app
from mailbot.db import engine as dbengine
from mailbot.db.models import Clock, Escalation, Event, MessageRow, Ticket
from mailbot.reports import client as cl
from mailbot.reports import digest as dg
from mailbot.reports import labels
from mailbot.reports import quarterly as rep
from mailbot.sla import deadlines as sla
from mailbot.tickets.views import TicketFilter, count_tickets, list_tickets
from mailbot.vocab import OPEN_STATUSES, ClockSource, ClockStop, Direction, MessageKind, Role, Severity, Status, Turn

pytestmark = pytest.mark.servers

TICKETS = 700


@pytest.fixture
def desk(make_settings, db_url):
    """Half a year of a desk of TICKETS tickets, and its odd rows; the App, on the bench's clock."""
    settings = make_settings(db_url=db_url)
    engine = dbengine.make_engine(db_url)
    try:
        dbengine.upgrade(engine)
        with engine.begin() as conn:
            Filler(conn, TICKETS, open_=60, days=200, seed=7).run()
    finally:
        engine.dispose()
    app = build_app(settings, clock=lambda: NOW)
    with app.sessions.begin() as s:
        odd(s, app.settings.sla.acknowledge)
    yield app
    app.close()


def odd(s, limit: timedelta) -> None:
    """Rows the generator does not write: spellings, limits to the microsecond, an empty category."""
    ids = s.scalars(
        select(Ticket.id).where(Ticket.origin == "normal", Ticket.acknowledged_at.is_not(None)).order_by(Ticket.id)
    ).all()[-200:]
    micro = timedelta(microseconds=1)
    received = {i: s.scalar(select(Ticket.received_at).where(Ticket.id == i)) for i in ids[:6]}
    # Acknowledged exactly at the limit (in time), and a microsecond after it (late), with microseconds.
    for n, i in enumerate(ids[:6]):
        at = received[i] + timedelta(microseconds=123457 * (n + 1))
        s.execute(
            update(Ticket).where(Ticket.id == i).values(received_at=at, acknowledged_at=at + limit + micro * (n % 2))
        )
    # Some domains written in capitals (ASCII ones: SQLite's lower() leaves other letters as they are,
    # and the listings have always matched "@domain" with it), a requester with no domain, no category.
    for i in ids[6:16]:
        requester = s.scalar(select(Ticket.requester).where(Ticket.id == i))
        local, _, domain = requester.rpartition("@")
        if domain.isascii():
            s.execute(update(Ticket).where(Ticket.id == i).values(requester=f"{local}@{domain.upper()}"))
    s.execute(update(Ticket).where(Ticket.id == ids[16]).values(requester="recepcion", acknowledged_at=None))
    s.execute(update(Ticket).where(Ticket.id == ids[22]).values(acknowledged_at=None))  # its ack went unsent
    # Reported twice: merged into another ticket (closed, counted as the other one).
    s.execute(update(Ticket).where(Ticket.id.in_(ids[23:26])).values(merged_into_id=ids[26], status=Status.CLOSED))
    s.execute(update(Ticket).where(Ticket.id.in_(ids[17:20])).values(category=""))
    # A created event with no role (counted as the client's), and one a vendor's.
    for i, data in ((ids[20], {"kind": "normal"}), (ids[21], {"kind": "normal", "role": Role.VENDOR})):
        s.execute(update(Event).where(Event.ticket_id == i, Event.kind == "created").values(data=data))


# -- the figures worked out ticket by ticket ------------------------------------------------------


def _everything(s):
    tickets = s.scalars(select(Ticket).order_by(Ticket.id)).all()
    clocks = s.scalars(select(Clock).order_by(Clock.id)).all()
    escalations = s.scalars(select(Escalation).order_by(Escalation.id)).all()
    return tickets, clocks, escalations


def _of(domain):
    ending = None if domain is None else "@" + cl.normalize(domain)
    return lambda t: ending is None or t.requester.lower().endswith(ending)


def _hours(values):
    spent = [cl.hours(v) for v in values]
    return cl.median(spent), cl.p90(spent)


def _attention(app, tickets, now):
    measured, met, spent = 0, 0, []
    for t in tickets:
        if t.attention_due is None or (t.first_response_at is None and t.attention_due > now):
            continue
        measured += 1
        if t.first_response_at is not None:
            met += t.first_response_at <= t.attention_due
            spent.append(cl.first_response_seconds(app, t))
    middle, high = _hours(spent)
    return {
        "attention_measured": measured,
        "attention_in_time": met,
        "attention_in_time_pct": cl.pct(met, measured),
        "attention_hours_median": middle,
        "attention_hours_p90": high,
    }


def _later(clocks, now):
    stopped = [c for c in clocks if c.stopped_at is not None]
    late_running = sum(1 for c in clocks if c.stopped_at is None and c.due < now)
    met = sum(1 for c in stopped if c.stopped_at <= c.due)
    middle, high = _hours([c.business_seconds for c in stopped if c.business_seconds is not None])
    return {
        "later_notices": len(clocks),
        "later_measured": len(stopped) + late_running,
        "later_in_time": met,
        "later_in_time_pct": cl.pct(met, len(stopped) + late_running),
        "later_hours_median": middle,
        "later_hours_p90": high,
    }


def _resolution(app, tickets):
    spent = [x for x in (cl.resolution_seconds(app, t) for t in tickets) if x is not None]
    middle, high = _hours(spent)
    return {"resolved": len(spent), "resolution_hours_median": middle, "resolution_hours_p90": high}


def _counts(tickets):
    categories = {}
    for t in tickets:
        categories[t.category or "general"] = categories.get(t.category or "general", 0) + 1
    return {
        "tickets": len(tickets),
        "by_severity": {s: sum(1 for t in tickets if t.severity == s) for s in Severity},
        "by_category": dict(sorted(categories.items())),
    }


def _later_clocks(tickets_by_id, clocks, start, end, of):
    out = []
    for c in clocks:
        t = tickets_by_id[c.ticket_id]
        if c.source != ClockSource.CLIENT or c.started_at < start or (end is not None and c.started_at >= end):
            continue
        if t.merged_into_id is not None or c.stopped_by == ClockStop.SPLIT or not of(t):
            continue
        out.append((cl.domain_of(t), c))
    return out


def _open(app, tickets, clocks, now, of, before=None):
    zone = ZoneInfo(app.settings.mailbot.timezone)
    running = {}
    for c in clocks:
        if c.stopped_at is None:
            running.setdefault(c.ticket_id, c)
    rows = []
    for t in sorted(tickets, key=lambda t: t.seq):
        if t.status not in OPEN_STATUSES or t.merged_into_id is not None or not of(t):
            continue
        if before is not None and t.received_at >= before:
            continue
        turn = Status(t.status).turn
        clock = running.get(t.id)
        due = clock.due if clock is not None else None
        if clock is None and turn == Turn.DESK and t.first_response_at is None and t.attention_due is not None:
            due = t.attention_due

        def local(when):
            return when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else "-"

        rows.append(
            {
                "ticket": t.number,
                "client": cl.domain_of(t),
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
                "since_local": local(t.turn_since),
                "received_local": local(t.received_at),
            }
        )
    return rows


def _ack_facts(s, ids: list[int]) -> dict:
    """Every event and acknowledgement of each ticket that bears on its acknowledgement, read one ticket after another."""
    facts = {i: rep._AckFacts() for i in ids}
    for i in ids:
        moved = set()
        for e in s.scalars(select(Event).where(Event.ticket_id == i).order_by(Event.id)):
            data = e.data or {}
            if e.kind == "merged_from":
                moved.update(data.get("message_ids") or ())
            elif e.kind not in ("created", "ack_suppressed", "send_failed", "bounced") or "from_ticket" in data:
                continue
            elif e.kind == "created":
                facts[i].created = data
            elif e.kind == "ack_suppressed":
                facts[i].suppressed.append(str(data.get("reason") or ""))
            elif e.kind == "send_failed":
                facts[i].failed[data.get("message_id")] = str(data.get("error") or "")
            else:
                facts[i].bounced[data.get("message_id")] = str(data.get("diagnostic") or "")
        for m in s.scalars(select(MessageRow).where(MessageRow.ticket_id == i).order_by(MessageRow.id)):
            if m.direction == Direction.OUT and m.kind == MessageKind.ACK and m.message_id not in moved:
                facts[i].acks.append((m.message_id, m.status))
    return facts


def reference_quarterly(app, s, year, q, client, now):
    zone = ZoneInfo(app.settings.mailbot.timezone)
    start, end = rep.quarter_bounds(year, q, app.settings.mailbot.timezone)
    every, clocks, escalations = _everything(s)
    of = _of(client)
    period = [t for t in every if start <= t.received_at < end and of(t)]
    merged = [t for t in period if t.merged_into_id is not None]
    tickets = [t for t in period if t.merged_into_id is None]
    facts = _ack_facts(s, [t.id for t in tickets])
    acks = {t.id: rep.acknowledgement(app.settings, t, facts[t.id], now) for t in tickets}
    later = _later_clocks({t.id: t for t in every}, clocks, start, end, of)
    opened = _open(app, every, clocks, now, of, before=end)
    numbers = {t.id: t.number for t in every}

    def figures(domain):
        mine = [t for t in tickets if domain is None or cl.domain_of(t) == domain]
        ids = {t.id for t in mine}
        owed = [acks[t.id] for t in mine if acks[t.id] is not None and acks[t.id].state != "pending"]
        missed = {r: sum(1 for a in owed if a.reason == r) for r in rep.ACK_REASONS}
        esc = [e for e in escalations if e.ticket_id in ids]
        shown = [r for r in opened if domain is None or r["client"] == domain]
        in_time = sum(1 for a in owed if a.state == "in_time")
        return {
            **_counts(mine),
            "acknowledgement_owed": len(owed),
            "acknowledged_in_time": in_time,
            "acknowledged_in_time_pct": cl.pct(in_time, len(owed)),
            "acknowledgement_missed": {r: n for r, n in missed.items() if n},
            **_attention(app, mine, now),
            **_later([c for d, c in later if domain is None or d == domain], now),
            **_resolution(app, mine),
            "open_now": len(shown),
            "open_overdue": sum(1 for r in shown if r["overdue"]),
            "escalations_manager": sum(1 for e in esc if e.target == Role.MANAGER),
            "escalations_vendor": {
                v: sum(1 for e in esc if e.target == v) for v in sorted({e.target for e in esc} - {Role.MANAGER})
            },
        }

    domains = sorted({cl.domain_of(t) for t in period} | {d for d, _ in later} | {r["client"] for r in opened})
    clients = {d: figures(d) for d in domains}
    first = start.date() - timedelta(days=start.date().weekday())
    weekly, monday = [], first
    while monday < end.date():
        weekly.append({"week": monday.isoformat(), **{s.value: 0 for s in Severity}})
        monday += timedelta(days=7)
    for t in tickets:
        if t.severity in set(Severity):
            weekly[(t.received_at.astimezone(zone).date() - first).days // 7][t.severity] += 1
    monthly = []
    for m in range(3):
        month = start.date().replace(month=start.month + m)
        figures_m = _attention(
            app, [t for t in tickets if t.received_at.astimezone(zone).date().replace(day=1) == month], now
        )
        monthly.append(
            {"month": f"{month:%Y-%m}"}
            | {k: figures_m[k] for k in ("attention_measured", "attention_in_time", "attention_in_time_pct")}
        )
    times = {}
    for sev in Severity:
        mine = [t for t in tickets if t.severity == sev]
        first_median, first_p90 = _hours(
            [x for x in (cl.first_response_seconds(app, t) for t in mine) if x is not None]
        )
        done_median, done_p90 = _hours([x for x in (cl.resolution_seconds(app, t) for t in mine) if x is not None])
        times[sev.value] = {
            "first_response_hours_median": first_median,
            "first_response_hours_p90": first_p90,
            "resolution_hours_median": done_median,
            "resolution_hours_p90": done_p90,
        }
    misses = [
        {
            "ticket": t.number,
            "requester": t.requester,
            "received_at": t.received_at.isoformat(),
            "received_local": t.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "acknowledged_at": t.acknowledged_at.isoformat() if t.acknowledged_at else None,
            "reason": acks[t.id].reason,
            "reason_text": rep.ACK_REASONS[acks[t.id].reason],
            "detail": acks[t.id].detail,
        }
        for t in tickets
        if acks[t.id] is not None and acks[t.id].state == "missed"
    ]
    return {
        "quarter": f"{year}Q{q}",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "client": client,
        "business_hours": sla.business(app),
        "target_pct": rep.TARGET_PCT,
        "vendor_names": {key: vendor.name or key for key, vendor in app.settings.vendors.items()},
        "overall": figures(None),
        "clients": clients,
        "attention_needed": rep.needs_attention(clients),
        "weekly": weekly,
        "monthly": monthly,
        "times_by_severity": times,
        "open": opened,
        "acknowledgement_misses": misses,
        "merged": [
            {"ticket": t.number, "into": numbers.get(t.merged_into_id), "client": cl.domain_of(t)}
            for t in sorted(merged, key=lambda t: t.seq)
        ],
    }


def reference_history(app, s, domain, since, now):
    every, clocks, _ = _everything(s)
    of = _of(domain)
    period = [t for t in every if t.received_at >= since and of(t)]
    tickets = [t for t in period if t.merged_into_id is None]
    later = _later_clocks({t.id: t for t in every}, clocks, since, None, of)
    opened = _open(app, every, clocks, now, of)
    return {
        "client": cl.normalize(domain),
        "since": since.isoformat(),
        "to": now.isoformat(),
        "business_hours": sla.business(app),
        **_counts(tickets),
        "merged": len(period) - len(tickets),
        **_attention(app, tickets, now),
        **_later([c for _, c in later], now),
        **_resolution(app, tickets),
        "open_now": len(opened),
        "open_overdue": sum(1 for r in opened if r["overdue"]),
        "open": opened,
    }


def _same(found: dict, expected: dict) -> None:
    """Equal, and in the same order (``--json`` prints it as it is)."""
    assert found == expected
    assert json.dumps(found, default=str) == json.dumps(expected, default=str)


# -- the tests ----------------------------------------------------------------------------------


def _big_clients(app, n: int) -> list[str]:
    """The ``n`` clients with most tickets (in a session of its own: on SQLite, not inside another)."""
    with app.sessions() as s:
        every = s.scalars(select(Ticket)).all()
    sizes: dict[str, int] = {}
    for t in every:
        sizes[cl.domain_of(t)] = sizes.get(cl.domain_of(t), 0) + 1
    return sorted(sizes, key=lambda d: (-sizes[d], d))[:n]


def test_the_quarterly_report_counts_as_ticket_by_ticket(desk):
    app = desk
    # 2026Q1 holds tickets from before the stored durations; 2026Q2 none; 2026Q3 the open ones.
    quarters = [(2026, 1, None), (2026, 2, None), (2026, 3, None)]
    quarters += [(2026, 2, d) for d in _big_clients(app, 2)] + [(2026, 2, "@ninguno.com.mx")]
    reasons, merged = set(), []
    with app.sessions() as s:
        for year, q, client in quarters:
            found = rep.quarterly(app, s, year, q, client=client, now=NOW)
            _same(found, reference_quarterly(app, s, year, q, client, NOW))
            reasons |= set(found["overall"]["acknowledgement_missed"])
            merged += found["merged"]
        report = rep.quarterly(app, s, 2026, 2, now=NOW)
    # The data set has what the figures are about (else this test would prove little).
    overall = report["overall"]
    assert overall["tickets"] > 100 and len(report["clients"]) > 50
    assert {"late", "loop_protection", "rule", "relay_failure", "bounced", "not_sent", "no_address"} <= reasons
    assert overall["later_notices"] and overall["escalations_manager"] and overall["escalations_vendor"]
    assert merged and overall["resolved"]


def test_a_clients_history_counts_as_ticket_by_ticket(desk):
    app = desk
    zone = ZoneInfo(app.settings.mailbot.timezone)
    since = datetime(2025, 12, 1, tzinfo=zone)  # before the desk began: its tickets from before the durations too
    big = _big_clients(app, 3)
    with app.sessions() as s:
        for domain in [*big, "ninguno.com.mx"]:
            _same(cl.history(app, s, domain, since, NOW), reference_history(app, s, domain, since, NOW))
        later = datetime(2026, 5, 1, tzinfo=zone)
        _same(cl.history(app, s, big[0], later, NOW), reference_history(app, s, big[0], later, NOW))


def test_the_managers_charts_count_as_ticket_by_ticket(desk):
    app = desk
    zone = ZoneInfo(app.settings.mailbot.timezone)
    today = NOW.astimezone(zone).date()
    this_week = today - timedelta(days=today.weekday())
    with app.sessions() as s:
        weekly, within, durations = dg.board_charts(app, s, NOW)
        every, clocks, _ = _everything(s)
    mondays = [this_week - timedelta(weeks=dg.WEEKS - k) for k in range(dg.WEEKS)]
    counts = {sev: [0] * dg.WEEKS for sev in Severity}
    for t in every:
        week = (t.received_at.astimezone(zone).date() - mondays[0]).days // 7
        if t.merged_into_id is None and t.severity in counts and 0 <= week < dg.WEEKS:
            counts[Severity(t.severity)][week] += 1
    assert (weekly.critica, weekly.grave, weekly.leve) == tuple(tuple(counts[sev]) for sev in Severity)
    starts = [dg._month_start(today, dg.MONTHS - 1 - k) for k in range(dg.MONTHS)]
    due, met = [0] * dg.MONTHS, [0] * dg.MONTHS
    first_due = dg._local_midnight(starts[0], zone)
    for c in clocks:
        if c.due < first_due or c.due > NOW or c.stopped_by in (ClockStop.MERGED, ClockStop.SPLIT):
            continue
        local = c.due.astimezone(zone).date()
        k = (local.year - starts[0].year) * 12 + local.month - starts[0].month
        due[k] += 1
        met[k] += c.late is False
    assert within.percent == tuple(round(100.0 * m / n, 1) if n else None for m, n in zip(met, due, strict=True))
    since = dg._local_midnight(this_week - timedelta(weeks=dg.WEEKS), zone)
    first = {sev: [] for sev in Severity}
    done = {sev: [] for sev in Severity}
    for t in every:
        if t.attention_due is None or t.merged_into_id is not None:
            continue
        if t.first_response_at is not None and since <= t.first_response_at <= NOW:
            first[t.severity].append(cl.first_response_seconds(app, t) / 3600)
        if t.status in (Status.RESOLVED, Status.CLOSED) and t.resolved_at and since <= t.resolved_at <= NOW:
            seconds = t.resolution_seconds
            if seconds is None:
                seconds = sla.elapsed_seconds(app, t.received_at, t.resolved_at)
            done[t.severity].append(seconds / 3600)

    def per_severity(fn, table):
        return tuple(None if (v := fn(table[sev])) is None else round(v, 2) for sev in Severity)

    assert durations.first_response_median == per_severity(dg._median, first)
    assert durations.first_response_p90 == per_severity(dg._p90, first)
    assert durations.resolution_median == per_severity(dg._median, done)
    assert durations.resolution_p90 == per_severity(dg._p90, done)
    assert any(first.values()) and any(done.values()) and any(due)


def test_listings_select_and_count_as_ticket_by_ticket(desk):
    app = desk
    big = _big_clients(app, 1)[0]
    with app.sessions() as s:
        every, clocks, _ = _everything(s)
        late = {c.ticket_id for c in clocks if c.stopped_at is None and c.due < NOW}
        filters = [
            (TicketFilter(), lambda t: True),
            (TicketFilter(status=Status.NEW), lambda t: t.status == Status.NEW),
            (TicketFilter(status=Status.CLOSED), lambda t: t.status == Status.CLOSED),
            (TicketFilter(severity="grave"), lambda t: t.severity == "grave"),
            (TicketFilter(client=big.upper()), _of(big)),
            (TicketFilter(client="ninguno.com.mx"), _of("ninguno.com.mx")),
            (TicketFilter(overdue_at=NOW), lambda t: t.id in late and t.status in OPEN_STATUSES),
            (
                TicketFilter(assignee="ANA.LOPEZ@imagenti.mx", severity="leve"),
                lambda t: (t.assignee or "").lower() == "ana.lopez@imagenti.mx" and t.severity == "leve",
            ),
        ]
        for where, keep in filters:
            chosen = sorted((t for t in every if keep(t)), key=lambda t: -t.seq)
            assert count_tickets(s, where) == len(chosen), where
            for limit in (None, 50, 3):
                listed = list_tickets(s, where, limit=limit, newest_first=True)
                expected = chosen if limit is None else chosen[:limit]
                assert [r["number"] for r in listed] == [t.number for t in expected], where
            oldest = list_tickets(s, where, limit=7)
            assert [r["number"] for r in oldest] == [t.number for t in sorted(chosen, key=lambda t: t.seq)[:7]]
        assert late and any(t.status == Status.NEW for t in every)
