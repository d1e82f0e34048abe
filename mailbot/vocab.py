"""The words mailbot stores and compares, defined once.

Each is a ``StrEnum``: its members are the very strings stored in the
database, written in events and shown in ``--json``, so a member compares
equal to the stored text and nothing has to be converted at the edges.
The Spanish words ops and the team type (``#estado resuelto``, ``CRÍTICA``)
are mapped onto these in the places that read them (``tickets.commands``,
``rules``).
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How bad a report is; it sets the attention deadline. Most severe first."""

    CRITICA = "critica"
    GRAVE = "grave"
    LEVE = "leve"

    @property
    def label(self) -> str:
        """How client mail and the team's notices write it."""
        return _SEVERITY_LABELS[self]

    @property
    def english(self) -> str:
        """How vendor mail in English writes it."""
        return _SEVERITY_EN[self]


_SEVERITY_LABELS = {Severity.CRITICA: "CRÍTICA", Severity.GRAVE: "GRAVE", Severity.LEVE: "LEVE"}
_SEVERITY_EN = {Severity.CRITICA: "critical", Severity.GRAVE: "high", Severity.LEVE: "low"}


class Status(StrEnum):
    """Where a ticket stands."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_CLIENT = "waiting_client"
    WAITING_VENDOR = "waiting_vendor"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def turn(self) -> Turn | None:
        """Whose move it is while a ticket has this status; None once resolved or closed."""
        return _TURNS.get(self)


# A ticket the desk still works on: counted as open, escalated, listed by default.
OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING_CLIENT, Status.WAITING_VENDOR})


class Turn(StrEnum):
    """Whose move an open ticket waits on. Only the desk's turn runs attention clocks."""

    DESK = "desk"
    CLIENT = "client"
    VENDOR = "vendor"


_TURNS = {
    Status.NEW: Turn.DESK,
    Status.IN_PROGRESS: Turn.DESK,
    Status.WAITING_CLIENT: Turn.CLIENT,
    Status.WAITING_VENDOR: Turn.VENDOR,
}
# The statuses in which it is the desk's move.
DESK_STATUSES = frozenset(s for s, t in _TURNS.items() if t == Turn.DESK)


class ClockSource(StrEnum):
    """What started an attention clock (``clocks.source``)."""

    REPORT = "report"  # the report itself: the contract's first-response figure
    CLIENT = "client"  # the client wrote again and awaits an answer
    VENDOR = "vendor"  # the vendor answered a ticket waiting on it: the desk's move


class ClockStop(StrEnum):
    """Why an attention clock stopped (``clocks.stopped_by``)."""

    ANSWERED = "answered"  # the desk answered the client
    HANDLED = "handled"  # #atendido: the client's mail needed no answer
    # Only on clocks of tickets from before the clocks (migration 0008): a wait stops no clock now.
    WAITING_CLIENT = "waiting_client"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"  # its ticket was merged into one that had a clock running already
    SPLIT = "split"  # the notice it timed was split off into a ticket of its own, which times it


class Role(StrEnum):
    """Who sent a mail, as screening reads the sender against ``[team]`` and ``[vendors]``."""

    CLIENT = "client"
    ENGINEER = "engineer"
    MANAGER = "manager"
    VENDOR = "vendor"


# Senders whose replies are read for #commands (once authenticated).
TEAM_ROLES = frozenset({Role.ENGINEER, Role.MANAGER})
# Senders on IMAGEN TI's side of a ticket: their mail is not the client's voice.
DESK_ROLES = frozenset({Role.ENGINEER, Role.MANAGER, Role.VENDOR})


class Party(StrEnum):
    """How an address takes part in a ticket (``participants.role``)."""

    REQUESTER = "requester"
    CLIENT = "client"  # a colleague of the requester who wrote into the ticket
    WATCHER = "watcher"  # copied by a client: gets the public mails
    RECIPIENT = "recipient"  # copied by machine or list mail: kept, never mailed


class ScreeningKind(StrEnum):
    """What kind of mail this is, decided before anything else looks at it."""

    NORMAL = "normal"  # a person wrote it
    AUTOREPLY = "autoreply"  # out-of-office and other responders: never a new ticket
    AUTO = "auto"  # machine-generated: a ticket, never an acknowledgement
    BULK = "bulk"  # lists, newsletters: likewise
    BOUNCE = "bounce"  # a delivery report
    SELF = "self"  # our own mail come back


class Origin(StrEnum):
    """``tickets.origin``: how the report reached the desk."""

    NORMAL = "normal"  # the client's own mail
    AUTO = "auto"  # machine-made mail: a ticket, never an acknowledgement
    BULK = "bulk"  # list mail: likewise, and never escalated
    PHONE = "phone"  # a call or a WhatsApp message, written up by the team with #cliente
    FORWARD = "forward"  # a client's mail, forwarded by the team
    SPLIT = "split"  # a client's mail split off another ticket with #separar


# Opened by machine or list mail: its sender gets no mail from us.
MACHINE_ORIGINS = frozenset({Origin.AUTO, Origin.BULK})


class MessageKind(StrEnum):
    """``messages.kind``: an inbound mail's sender role or screening kind, or what an outbound mail is."""

    # Inbound, besides the Role and ScreeningKind values:
    UNVERIFIED = "unverified"  # claims a team sender our MTA did not authenticate
    PHONE = "phone"  # a report the team wrote up for a client (#cliente): the ticket's first message
    FORWARDED = "forwarded"  # a client's mail as the team forwarded it: the ticket's first message
    # Outbound, to the client's side:
    ACK = "ack"
    RELAY = "relay"  # an engineer's answer relayed to the client
    MERGE_NOTICE = "merge_notice"  # the client's ticket was merged into another: its new number
    CLOSURE = "closure"
    WAITING_REMINDER = "waiting_reminder"  # the desk waits on the client: a polite reminder
    WAITING_RESOLVED = "waiting_resolved"  # ... and, with no answer, resolved: how to reopen it
    # Outbound, to the team:
    NOTICE = "notice"  # a new ticket
    UPDATE_NOTICE = "update_notice"
    COMMAND_ERROR = "command_error"
    NOTE_ONLY = "note_only"
    ESCALATION = "escalation"
    MANAGER_REMINDER = "manager_reminder"
    VENDOR_OVERDUE = "vendor_overdue"
    LOOP_GUARD_NOTICE = "loop_guard_notice"
    REPORT = "report"
    DIGEST = "digest"
    WEB_LOGIN = "web_login"  # a one-time link to the web board, to a team address that asked for it
    # Outbound, to a vendor:
    VENDOR_CASE = "vendor_case"
    VENDOR_REMINDER = "vendor_reminder"


# Mail mailbot sends to the team only: never part of the conversation a
# vendor or the manager is shown, never an answer to the client.
INTERNAL_KINDS = frozenset(
    {
        MessageKind.NOTICE,
        MessageKind.UPDATE_NOTICE,
        MessageKind.COMMAND_ERROR,
        MessageKind.NOTE_ONLY,
        MessageKind.ESCALATION,
        MessageKind.MANAGER_REMINDER,
        MessageKind.VENDOR_OVERDUE,
        MessageKind.LOOP_GUARD_NOTICE,
        MessageKind.REPORT,
        MessageKind.DIGEST,
        MessageKind.WEB_LOGIN,
    }
)


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class SendStatus(StrEnum):
    """An outbound mail's state (``outbox.status``, ``messages.status``)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class HeldStatus(StrEnum):
    """A quarantined mail's state."""

    HELD = "held"
    APPLIED = "applied"
