"""Held mail: list, show, and retry through the pipeline."""

from __future__ import annotations

from sqlalchemy import select

from mailbot.app import App
from mailbot.db.models import Quarantine
from mailbot.pipeline.core import Pipeline
from mailbot.vocab import HeldStatus


def _row(q: Quarantine) -> dict:
    return {
        "id": q.id,
        "at": q.at.isoformat(),
        "status": q.status,
        "source": q.source,
        "message_id": q.message_id,
        "reason": q.reason,
        "attempts": q.attempts,
        "size": len(q.raw),
    }


def list_held(app: App, include_done: bool = False) -> list[dict]:
    with app.sessions() as s:
        q = select(Quarantine).order_by(Quarantine.id)
        if not include_done:
            q = q.where(Quarantine.status == HeldStatus.HELD)
        return [_row(r) for r in s.scalars(q)]


# The largest id an INTEGER column holds on PostgreSQL: a larger one names no held mail, and must not
# reach the database, which refuses it with an error.
MAX_ID = 2**31 - 1


def get_held(app: App, qid: int) -> dict | None:
    if not 1 <= qid <= MAX_ID:
        return None
    with app.sessions() as s:
        r = s.get(Quarantine, qid)
        if r is None:
            return None
        out = _row(r)
        out["raw_bytes"] = r.raw
        return out


def retry(app: App, ids: list[int], retry_all: bool = False) -> list[dict]:
    """Run held mail through the pipeline again; success marks the row applied."""
    pipeline = Pipeline(app)
    with app.sessions() as s:
        q = select(Quarantine).where(Quarantine.status == HeldStatus.HELD)
        if not retry_all:
            q = q.where(Quarantine.id.in_([i for i in ids if 1 <= i <= MAX_ID]))
        rows = [(r.id, r.raw) for r in s.scalars(q.order_by(Quarantine.id))]
    results = []
    for qid, raw in rows:
        outcome = pipeline.process(raw, source=f"quarantine:{qid}", quarantine_id=qid)
        results.append({"id": qid, "action": outcome.action, "ticket": outcome.ticket, "detail": outcome.detail})
    return results
