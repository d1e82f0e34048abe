"""Whose turn a ticket is, and the attention clocks that follow it.

The terms count each attention period "desde el aviso", from each notice.
A ticket's status says whose move it waits on (``Status.turn``): the desk's
(new, in progress), the client's (``esperando-cliente``) or a vendor's
(``esperando-fabricante``). Every client notice awaiting an answer has a
clock (``clocks`` row) of the ticket's severity: the report's own first, then
each later client mail that finds none running (and a vendor's answer that
hands the turn back). The desk's answer or ``#atendido`` stops it; so do
resolving and closing. Handing the turn to the client or a vendor does not:
it answers nobody, and a client whose mail was never answered is still owed
one. The SLA job escalates a running clock past its due time to the manager,
once per clock.

Every change of turn adds the time spent in the old one to the ticket's
``desk_seconds`` / ``client_seconds`` / ``vendor_seconds``, and first
response and resolution store their durations, all in the time attention
is counted in (business hours unless configured otherwise), so reports
and digests read them instead of recomputing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from mailbot.db.models import Clock, Escalation, Event, MessageRow, Ticket
from mailbot.sla import deadlines as sla
from mailbot.vocab import ClockSource, ClockStop, Direction, Origin, Role, Status, Turn


def _event(ops, ticket: Ticket, kind: str, actor: str = "mailbot", **data) -> None:
    ops.session.add(Event(ticket=ticket, at=ops.now, kind=kind, actor=actor, data=data))


def running(ops, ticket: Ticket) -> Clock | None:
    """The ticket's clock that runs now, if any (at most one runs: the oldest unanswered notice)."""
    if ticket.id is None:
        return next((c for c in ticket.clocks if c.stopped_at is None), None)
    return ops.session.scalar(
        select(Clock).where(Clock.ticket_id == ticket.id, Clock.stopped_at.is_(None)).order_by(Clock.id).limit(1)
    )


def last(ops, ticket: Ticket) -> Clock | None:
    """The ticket's newest clock, running or not."""
    if ticket.id is None:
        return ticket.clocks[-1] if ticket.clocks else None
    return ops.session.scalar(select(Clock).where(Clock.ticket_id == ticket.id).order_by(Clock.id.desc()).limit(1))


def start(
    ops,
    ticket: Ticket,
    *,
    at: datetime | None = None,
    message_id: str | None = None,
    source: ClockSource = ClockSource.CLIENT,
) -> Clock | None:
    """Start a clock for a notice received ``at`` (default now); None if one runs already.

    The one running is older: the desk owes an answer since then, and answering
    it answers this one too. List mail opens no clock (it is never escalated).
    """
    first = source == ClockSource.REPORT
    if ticket.origin == Origin.BULK or (not first and running(ops, ticket) is not None):
        return None
    at = at or ops.now
    if first and ticket.attention_due is not None:
        due = ticket.attention_due
    else:
        due = sla.add_time(ops.app, at, sla.attention_target(ops.settings, ticket.severity), sla.business(ops.app))
    clock = Clock(
        ticket=ticket,
        first=first,
        source=source,
        severity=ticket.severity,
        started_at=at,
        due=due,
        message_id=message_id,
    )
    ops.session.add(clock)
    if not first:
        _event(
            ops,
            ticket,
            "clock_started",
            due=due.isoformat(),
            message_id=message_id,
            severity=ticket.severity,
            source=source,
        )
    return clock


def stop(ops, ticket: Ticket, why: ClockStop, actor: str = "mailbot") -> Clock | None:
    """Stop the running clock, if any, and record how long it ran; returns it."""
    clock = running(ops, ticket)
    if clock is None:
        return None
    clock.stopped_at = ops.now
    clock.stopped_by = why
    clock.actor = actor
    clock.business_seconds = sla.elapsed_seconds(ops.app, clock.started_at, ops.now)
    _event(
        ops,
        ticket,
        "clock_stopped",
        actor=actor,
        why=why,
        late=clock.late,
        first=clock.first,
        started_at=clock.started_at.isoformat(),
        due=clock.due.isoformat(),
        seconds=clock.business_seconds,
    )
    return clock


def retime(ops, ticket: Ticket) -> None:
    """The severity changed: the running clock's deadline follows it, counted from its own start."""
    clock = running(ops, ticket)
    if clock is None:
        return
    clock.severity = ticket.severity
    if clock.first and ticket.attention_due is not None:
        clock.due = ticket.attention_due
    else:
        target = sla.attention_target(ops.settings, ticket.severity)
        clock.due = sla.add_time(ops.app, clock.started_at, target, sla.business(ops.app))


_SECONDS = {Turn.DESK: "desk_seconds", Turn.CLIENT: "client_seconds", Turn.VENDOR: "vendor_seconds"}
_STOPS = {Status.RESOLVED: ClockStop.RESOLVED, Status.CLOSED: ClockStop.CLOSED}


def status_changed(ops, ticket: Ticket, old: str, new: str, actor: str) -> None:
    """Book the time spent in ``old``'s turn, stop the clock when the ticket is done, store the resolution.

    A wait (on the client, on a vendor) stops no clock: setting it answers nobody,
    so a client mail still unanswered keeps its deadline.
    """
    old_turn, new_turn = Status(old).turn, Status(new).turn
    if old_turn != new_turn:
        if old_turn is not None and ticket.turn_since is not None:
            column = _SECONDS[old_turn]
            spent = sla.elapsed_seconds(ops.app, ticket.turn_since, ops.now)
            setattr(ticket, column, (getattr(ticket, column) or 0) + spent)
        ticket.turn_since = ops.now if new_turn is not None else None
        if new_turn == Turn.CLIENT:
            ticket.waiting_reminded_at = None  # a new wait: its own reminder
        _event(ops, ticket, "turn", actor=actor, old=old_turn, new=new_turn)
    if new in _STOPS:
        stop(ops, ticket, _STOPS[Status(new)], actor)
    if new in (Status.RESOLVED, Status.CLOSED) and ticket.resolved_at is not None:
        ticket.resolution_seconds = sla.elapsed_seconds(ops.app, ticket.received_at, ticket.resolved_at)
    elif new not in (Status.RESOLVED, Status.CLOSED):
        ticket.resolution_seconds = None


def opened(ops, ticket: Ticket) -> None:
    """A new ticket: the desk's turn since the report, and the report's clock."""
    ticket.turn_since = ticket.received_at
    start(ops, ticket, at=ticket.received_at, source=ClockSource.REPORT)


def answered(ops, ticket: Ticket, actor: str) -> None:
    """The desk answered the client: the clock stops; the first answer's duration is stored."""
    stop(ops, ticket, ClockStop.ANSWERED, actor)
    if ticket.first_response_at is not None and ticket.first_response_seconds is None:
        ticket.first_response_seconds = sla.elapsed_seconds(ops.app, ticket.received_at, ticket.first_response_at)


def moved(ops, source: Ticket, target: Ticket, actor: str) -> None:
    """``source`` was merged into ``target``: its unanswered notice is now the target's to answer.

    Of the two clocks, the one due first keeps running (the client owed the earlier
    answer is owed it still), with the escalations made for it; the other stops.
    """
    clock = running(ops, source)
    if clock is None:
        return
    theirs = running(ops, target)
    if theirs is not None and theirs.due <= clock.due:
        stop(ops, source, ClockStop.MERGED, actor)
        return
    if theirs is not None:
        stop(ops, target, ClockStop.MERGED, actor)
    clock.ticket = target
    clock.first = False  # the target's first response is the target's report's
    # Its manager escalation goes with it: the notice was escalated already, wherever it is now.
    ops.session.execute(update(Escalation).where(Escalation.clock_id == clock.id).values(ticket_id=target.id))
    _event(ops, target, "clock_moved", actor=actor, from_ticket=source.number, due=clock.due.isoformat())


def split_off(ops, ticket: Ticket, message_id: str, actor: str) -> None:
    """The client's mail ``message_id`` left ``ticket`` for a ticket of its own: so does the clock it started.

    A later client mail still on the ticket, unanswered since (the clock ran), gets its own clock.
    """
    clock = running(ops, ticket)
    if clock is None or clock.message_id != message_id:
        return
    stop(ops, ticket, ClockStop.SPLIT, actor)
    later = ops.session.execute(
        select(MessageRow.message_id, MessageRow.at)
        .where(
            MessageRow.ticket_id == ticket.id,
            MessageRow.direction == Direction.IN,
            MessageRow.kind == Role.CLIENT,
            MessageRow.message_id != message_id,
            MessageRow.at >= clock.started_at,
        )
        .order_by(MessageRow.at, MessageRow.id)
        .limit(1)
    ).first()
    if later is not None:
        start(ops, ticket, at=later.at, message_id=later.message_id)


def explain(ops, ticket: Ticket) -> dict:
    """Whose turn it is, since when, and the running clock (for ``tickets show`` and ``sla deadline``)."""
    turn = Status(ticket.status).turn if ticket.status in set(Status) else None
    clock = running(ops, ticket)
    out = {
        "turn": turn,
        "since": ticket.turn_since.isoformat() if ticket.turn_since else None,
        "clock": None,
    }
    if clock is not None:
        out["clock"] = {
            "started_at": clock.started_at.isoformat(),
            "due": clock.due.isoformat(),
            "severity": clock.severity,
            "first": clock.first,
            "overdue": ops.now > clock.due,
            "left_seconds": sla.elapsed_seconds(ops.app, ops.now, clock.due),
            "message_id": clock.message_id,
        }
    return out
