"""The values the rules engine hands back: a classification and its hits."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailbot.vocab import Severity

# Highest first: when several matching rules of one kind set a severity, the highest wins.
SEVERITIES = tuple(Severity)
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}

# How a rule's severity counts (``kind`` of a rule). A statement is the client's own
# level ("es crítico", "no es urgente"): when one matches, it decides the severity and
# no other rule counts. Otherwise impact rules (what the mail says is affected) decide,
# each ceiling ("no es crítico": at most grave) capping them.
STATEMENT = "statement"
CEILING = "ceiling"
IMPACT = "impact"
KINDS = (STATEMENT, CEILING, IMPACT)

# Fields of a classification that rules set (``stop`` is control flow, not a field).
FIELDS = ("severity", "category", "product", "vendor", "assignee", "group", "out_of_scope", "no_autoreply", "ignore")


@dataclass(frozen=True)
class RuleHit:
    """One rule that matched: what it sets, and why it matched.

    ``set`` holds every action of the rule (with the vendor implied by the
    product); ``superseded`` names the fields whose value from this rule did
    not end up in the classification because another rule decided them (for
    severity: every rule but the one that decided it). ``kind`` is the
    rule's kind: "statement", "ceiling" or "impact".
    """

    rule: str
    file: str
    description: str
    set: dict = field(hash=False)
    why: list[str] = field(hash=False)
    line: int | None = None
    superseded: tuple[str, ...] = ()
    kind: str = IMPACT

    def to_json(self) -> dict:
        return {
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "description": self.description,
            "kind": self.kind,
            "set": dict(self.set),
            "why": list(self.why),
            "superseded": list(self.superseded),
        }


@dataclass(frozen=True)
class Classification:
    """What the rules decided about one mail. None means "no rule said"."""

    severity: str | None = None
    category: str | None = None
    product: str | None = None
    vendor: str | None = None
    assignee: str | None = None
    group: str | None = None
    out_of_scope: str | None = None
    no_autoreply: bool = False
    ignore: str | None = None
    hits: tuple[RuleHit, ...] = ()

    @property
    def matched(self) -> tuple[str, ...]:
        """Names of the rules that matched, in evaluation order."""
        return tuple(h.rule for h in self.hits)

    def to_json(self) -> dict:
        out = {name: getattr(self, name) for name in FIELDS}
        out["hits"] = [h.to_json() for h in self.hits]
        return out


def deciding_rule(classification: dict | None) -> str | None:
    """The rule whose severity a ticket got: the first matching rule that set one and was not overridden.

    (Tickets classified before rules had kinds may show two rules that set the same value,
    neither marked overridden: the first is the one named, here and in `rules stats`.)
    """
    for hit in (classification or {}).get("hits", []):
        if "severity" in hit.get("set", {}) and "severity" not in hit.get("superseded", []):
            return hit["rule"]
    return None
