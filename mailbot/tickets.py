"""Read-side views of tickets, for the CLI and its ``--json``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.db.models import Event, MessageRow, Ticket


def _iso(dt):
    return dt.isoformat() if dt else None


def ticket_summary(t: Ticket, message_count: int) -> dict:
    return {
        "number": t.number,
        "status": t.status,
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
        "escalation_level": t.escalation_level,
        "message_count": message_count,
    }


def list_tickets(session: Session, status: str | None = None, limit: int = 1000) -> list[dict]:
    counts = (
        select(MessageRow.ticket_id, func.count().label("n"))
        .where(MessageRow.direction == "in")
        .group_by(MessageRow.ticket_id)
        .subquery()
    )
    q = select(Ticket, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.ticket_id == Ticket.id)
    if status:
        q = q.where(Ticket.status == status)
    q = q.order_by(Ticket.seq).limit(limit)
    return [ticket_summary(t, n) for t, n in session.execute(q).all()]


def find(session: Session, number: str) -> Ticket | None:
    q = select(Ticket).where(func.lower(Ticket.number) == number.strip().lower())
    t = session.scalar(q)
    if t is None and number.strip().isdigit():
        t = session.scalar(select(Ticket).where(Ticket.seq == int(number)))
    return t


def show_ticket(session: Session, number: str) -> dict | None:
    t = find(session, number)
    if t is None:
        return None
    session.refresh(t)
    msgs = list(session.scalars(select(MessageRow).where(MessageRow.ticket_id == t.id).order_by(MessageRow.id)))
    events = list(session.scalars(select(Event).where(Event.ticket_id == t.id).order_by(Event.id)))
    out = ticket_summary(t, sum(1 for m in msgs if m.direction == "in"))
    linked = session.get(Ticket, t.linked_ticket_id) if t.linked_ticket_id else None
    out["linked_ticket"] = linked.number if linked else None
    out["classification"] = t.classification
    out["origin"] = t.origin  # normal, auto (machine-made) or bulk (list mail)
    out["participants"] = [{"address": p.address, "role": p.role} for p in t.participants]
    out["messages"] = [
        {
            "direction": m.direction, "kind": m.kind, "message_id": m.message_id, "from": m.from_addr,
            "to": m.to_addrs, "cc": m.cc_addrs, "subject": m.subject, "at": _iso(m.at), "status": m.status,
            "body": m.body_text,
        }
        for m in msgs
    ]
    out["escalations"] = [
        {"target": e.target, "level": e.level, "reason": e.reason, "actor": e.actor, "at": _iso(e.at),
         "due": _iso(e.due), "responded_at": _iso(e.responded_at), "reminded_at": _iso(e.reminded_at)}
        for e in t.escalations
    ]
    out["events"] = [{"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "data": e.data} for e in events]
    return out


