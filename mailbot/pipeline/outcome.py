"""What became of one mail: the value every door, log line and metric reads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    CREATED = "created"
    APPENDED = "appended"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    BOUNCE = "bounce"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Outcome:
    action: Action
    ticket: str | None = None
    message_id: str | None = None
    detail: str = ""
    severity: str | None = None  # of a ticket just created
