"""Read-side views of tickets, for the CLI and its ``--json``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from mailbot.addresses import normalize_domain
from mailbot.db.models import Clock, Event, MessageRow, Ticket
from mailbot.vocab import OPEN_STATUSES, Direction, Status


def _iso(dt):
    return dt.isoformat() if dt else None


def local_time(value: datetime | str | None, zone: str, *, seconds: bool = False) -> str:
    """A stored time (datetime or its ISO text) for a person: local, no microseconds, "-" when unset."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def ticket_summary(
    t: Ticket, message_count: int, merged_into: str | None = None, clock_due: datetime | None = None
) -> dict:
    return {
        "number": t.number,
        "status": t.status,
        # Closed by a merge (#fusionar): the ticket its thread went to.
        "merged_into": merged_into,
        "severity": t.severity,
        "category": t.category,
        "product": t.product,
        "out_of_scope": t.out_of_scope,
        "assignee": t.assignee,
        "requester": t.requester,
        "requester_name": t.requester_name,
        "subject": t.subject,
        "created_at": _iso(t.created_at),
        "updated_at": _iso(t.updated_at),
        "received_at": _iso(t.received_at),
        "acknowledged_at": _iso(t.acknowledged_at),
        "first_response_at": _iso(t.first_response_at),
        "resolved_at": _iso(t.resolved_at),
        "closed_at": _iso(t.closed_at),
        "sla": {"ack_due": _iso(t.ack_due), "attention_due": _iso(t.attention_due)},
        # Whose move it is (desk, client, vendor; None once resolved) and since when.
        "turn": Status(t.status).turn if t.status in set(Status) else None,
        "turn_since": _iso(t.turn_since),
        # The running attention clock's deadline: a client notice the desk has not answered.
        "clock_due": _iso(clock_due),
        # Business seconds (calendar seconds where business time is off), stored as they ended.
        "durations": {
            "first_response": t.first_response_seconds,
            "resolution": t.resolution_seconds,
            "desk": t.desk_seconds,
            "client": t.client_seconds,
            "vendor": t.vendor_seconds,
        },
        "escalation_level": t.escalation_level,
        "message_count": message_count,
    }


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets a listing shows; every field left None matches all.

    Values are the stored ones (status ``in_progress``, severity ``critica``,
    an assignee address); the CLI turns what people type into these.
    """

    status: str | None = None
    severity: str | None = None
    assignee: str | None = None
    client: str | None = None  # the requester's mail domain
    overdue_at: datetime | None = None  # an attention clock running past its deadline at this time

    def apply(self, q: Select) -> Select:
        if self.status:
            q = q.where(Ticket.status == self.status)
        if self.severity:
            q = q.where(Ticket.severity == self.severity)
        if self.assignee:
            q = q.where(func.lower(Ticket.assignee) == self.assignee.lower())
        if self.client:
            # Stored addresses end in "@domain" in one spelling (lower case, international domains in
            # Unicode): ask in that spelling, whichever was typed. autoescape: "_" is no wildcard.
            domain = normalize_domain(self.client.strip().lstrip("@"))
            # No index finds an ending: the requesters are read in ix_tickets_received_requester (far
            # smaller than the table) rather than in the tickets, and only the client's are fetched.
            of_client = select(Ticket.id).where(func.lower(Ticket.requester).endswith("@" + domain, autoescape=True))
            q = q.where(Ticket.id.in_(of_client))
        if self.overdue_at is not None:
            # The running clocks past their deadline, once (ix_clocks_running), not a search per ticket.
            late = select(Clock.ticket_id).where(Clock.stopped_at.is_(None), Clock.due < self.overdue_at)
            q = q.where(Ticket.id.in_(late), Ticket.status.in_(OPEN_STATUSES))
        return q


def list_tickets(
    session: Session, where: TicketFilter | None = None, *, limit: int | None = None, newest_first: bool = False
) -> list[dict]:
    """The tickets ``where`` selects, by number (oldest first unless ``newest_first``); all of them without ``limit``."""
    inbound = (
        select(func.count())
        .select_from(MessageRow)
        .where(MessageRow.ticket_id == Ticket.id, MessageRow.direction == Direction.IN)
        .correlate(Ticket)
        .scalar_subquery()
    )
    into = aliased(Ticket)
    merged_into = select(into.number).where(into.id == Ticket.merged_into_id).correlate(Ticket).scalar_subquery()
    clock_due = (
        select(func.min(Clock.due))
        .where(Clock.ticket_id == Ticket.id, Clock.stopped_at.is_(None))
        .correlate(Ticket)
        .scalar_subquery()
    )
    order = Ticket.seq.desc() if newest_first else Ticket.seq
    q = select(Ticket, inbound, merged_into, clock_due).order_by(order)
    if limit is None:
        q = (where or TicketFilter()).apply(q)
    else:
        # The tickets shown are chosen first, and only theirs are counted and looked up: with the
        # subqueries in the one query, SQLite works them out for every match before it sorts.
        shown = (where or TicketFilter()).apply(select(Ticket.id)).order_by(order).limit(limit)
        q = q.where(Ticket.id.in_(shown))
    return [ticket_summary(t, n, m, d) for t, n, m, d in session.execute(q).all()]


def count_tickets(session: Session, where: TicketFilter | None = None) -> int:
    return session.scalar((where or TicketFilter()).apply(select(func.count()).select_from(Ticket)))


def find(session: Session, number: str) -> Ticket | None:
    """The ticket of a number as typed: any case, or its bare seq ("123")."""
    typed = number.strip()
    t = None
    # Numbers are stored as ``number_format`` writes them (IMG-000123): the upper-case spelling is
    # looked up first, on the unique index. lower() serves other formats, but no index serves it:
    # only when that missed (digits alone have no case: nothing more to find that way).
    if typed.isascii():
        t = session.scalar(select(Ticket).where(Ticket.number == typed.upper()))
    if t is None and not (typed.isascii() and typed.isdigit()):
        t = session.scalar(select(Ticket).where(func.lower(Ticket.number) == typed.lower()))
    if t is None and _fits_a_seq(typed):
        t = session.scalar(select(Ticket).where(Ticket.seq == int(typed)))
    return t


# The largest sequence number an INTEGER column holds on PostgreSQL (SQLite's go further): a larger
# one names no ticket, and must not reach the database, which refuses it with an error.
MAX_SEQ = 2**31 - 1


def _fits_a_seq(typed: str) -> bool:
    # isdecimal, not isdigit: "²" is a digit int() refuses. Length before int(): int() refuses a
    # string of more than 4,300 digits with an error of its own.
    return typed.isdecimal() and len(typed.lstrip("0")) <= 10 and int(typed) <= MAX_SEQ


def show_ticket(session: Session, number: str | Ticket) -> dict | None:
    """Everything about a ticket: its number as typed (``find``), or the Ticket a caller already found."""
    t = number if isinstance(number, Ticket) else find(session, number)
    if t is None:
        return None
    session.refresh(t)
    msgs = list(session.scalars(select(MessageRow).where(MessageRow.ticket_id == t.id).order_by(MessageRow.id)))
    events = list(session.scalars(select(Event).where(Event.ticket_id == t.id).order_by(Event.id)))
    into = session.get(Ticket, t.merged_into_id) if t.merged_into_id else None
    out = ticket_summary(t, sum(1 for m in msgs if m.direction == Direction.IN), into.number if into else None)
    linked = session.get(Ticket, t.linked_ticket_id) if t.linked_ticket_id else None
    out["linked_ticket"] = linked.number if linked else None
    out["merged_from"] = list(
        session.scalars(select(Ticket.number).where(Ticket.merged_into_id == t.id).order_by(Ticket.seq))
    )
    out["classification"] = t.classification
    out["origin"] = t.origin  # normal, auto (machine-made) or bulk (list mail)
    out["participants"] = [{"address": p.address, "role": p.role} for p in t.participants]
    out["messages"] = [
        {
            "direction": m.direction,
            "kind": m.kind,
            "message_id": m.message_id,
            "from": m.from_addr,
            "to": m.to_addrs,
            "cc": m.cc_addrs,
            "subject": m.subject,
            "at": _iso(m.at),
            "status": m.status,
            "body": m.body_text,
        }
        for m in msgs
    ]
    out["escalations"] = [
        {
            "target": e.target,
            "level": e.level,
            "reason": e.reason,
            "actor": e.actor,
            "at": _iso(e.at),
            "due": _iso(e.due),
            "responded_at": _iso(e.responded_at),
            "reminded_at": _iso(e.reminded_at),
        }
        for e in t.escalations
    ]
    out["clocks"] = [
        {
            "first": c.first,
            "severity": c.severity,
            "started_at": _iso(c.started_at),
            "due": _iso(c.due),
            "message_id": c.message_id,
            "stopped_at": _iso(c.stopped_at),
            "stopped_by": c.stopped_by,
            "late": c.late,
            "business_seconds": c.business_seconds,
        }
        for c in session.scalars(select(Clock).where(Clock.ticket_id == t.id).order_by(Clock.id))
    ]
    running = [c for c in out["clocks"] if c["stopped_at"] is None]
    out["clock"] = running[0] if running else None
    out["clock_due"] = out["clock"]["due"] if out["clock"] else None
    out["events"] = [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "data": e.data} for e in events]
    return out
