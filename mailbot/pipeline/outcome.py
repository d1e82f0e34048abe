"""What became of one mail: the value every door, log line and metric reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mailbot.vocab import Severity


class Action(StrEnum):
    """What the pipeline did with a mail (logs, metrics, ``ingest`` and the LMTP answer show it)."""

    CREATED = "created"
    APPENDED = "appended"  # into an existing ticket, a repeat of a mail included
    DUPLICATE = "duplicate"  # its Message-ID was stored already
    IGNORED = "ignored"  # recorded, no ticket: a rule, our own mail, an automatic reply to nothing
    BOUNCE = "bounce"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Outcome:
    action: Action
    ticket: str | None = None
    message_id: str | None = None
    detail: str = ""
    severity: Severity | None = None  # of a ticket just created
