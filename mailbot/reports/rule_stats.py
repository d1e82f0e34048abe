"""How each classification rule fares: how often it fired, and how often the desk corrected what it set.

A rule "fired" on a ticket when it is among the ticket's classification hits.
It "decided" the severity when its severity is the one the ticket got. A
correction is the first ``#severidad`` (or ``tickets set --severity``) on a
ticket whose severity a rule had decided: the ``severity`` event names that
rule (``tickets.actions.severity_source``). Later corrections correct a
person, not a rule, and are not counted against it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Event, Ticket
from mailbot.rules.model import deciding_rule


@dataclass
class RuleStats:
    rule: str
    file: str | None = None
    fired: int = 0
    decided_severity: int = 0
    overridden: int = 0
    to: Counter = field(default_factory=Counter)  # corrected severity -> how often
    examples: list[str] = field(default_factory=list)  # a few corrected tickets, to look at

    @property
    def override_rate(self) -> float | None:
        return self.overridden / self.decided_severity if self.decided_severity else None

    def to_json(self) -> dict:
        return {
            "rule": self.rule,
            "file": self.file,
            "fired": self.fired,
            "decided_severity": self.decided_severity,
            "overridden": self.overridden,
            "override_rate": self.override_rate,
            "corrected_to": dict(self.to),
            "examples": self.examples,
        }


def rule_stats(session: Session, since: datetime | None = None) -> list[RuleStats]:
    """Per rule, over the tickets created since ``since`` (all when None): most corrected first."""
    stats: dict[str, RuleStats] = {}
    q = select(Ticket.id, Ticket.number, Ticket.classification)
    if since is not None:
        q = q.where(Ticket.created_at >= since)
    numbers: dict[int, str] = {}
    for ticket_id, number, cls in session.execute(q):
        numbers[ticket_id] = number
        decider = deciding_rule(cls)
        for hit in (cls or {}).get("hits", []):
            st = stats.setdefault(hit["rule"], RuleStats(hit["rule"], hit.get("file")))
            st.fired += 1
        if decider is not None:
            stats[decider].decided_severity += 1
    events = select(Event.ticket_id, Event.data).where(Event.kind == "severity").order_by(Event.id)
    for ticket_id, data in session.execute(events):
        if ticket_id not in numbers or (data or {}).get("decided_by") != "rule" or not data.get("rule"):
            continue
        if data.get("old") == data.get("new"):
            continue  # a confirmation recorded before confirmations were told apart
        st = stats.setdefault(data["rule"], RuleStats(data["rule"]))
        st.overridden += 1
        st.to[data.get("new")] += 1
        if len(st.examples) < 5:
            st.examples.append(numbers[ticket_id])
    return sorted(stats.values(), key=lambda s: (-s.overridden, -(s.override_rate or 0), -s.fired, s.rule))
