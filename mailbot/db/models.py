"""The tables. Times are stored as UTC (naive on SQLite, aware on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from mailbot.vocab import MACHINE_ORIGINS


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Always hands back aware UTC datetimes, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be aware")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}  # noqa: RUF012 (SQLAlchemy reads it)


class Counter(Base):
    """Named counters; ticket numbers come from ``UPDATE … RETURNING`` on a row here."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    # The board and the digests load the open tickets (a few) out of all of them: status IN (open ones)
    # AND merged_into_id IS NULL. With merged_into_id second, SQLite (no statistics) takes this index
    # for both conditions rather than ix_tickets_merged_into_id, which nearly every ticket matches.
    __table_args__ = (
        Index("ix_tickets_status", "status", "merged_into_id"),
        # `tickets list --status S`, newest first: the first 50 without sorting every ticket of that status.
        Index("ix_tickets_status_seq", "status", "seq"),
        # The SLA tick's resolved tickets past the reopen window, and the resolutions the digest charts.
        Index("ix_tickets_status_resolved", "status", "resolved_at"),
        # A period's tickets (the reports, a digest's weeks); with the requester, so that one client's
        # (its mail domain, "%@domain") are told apart in the index, before any ticket is read.
        Index("ix_tickets_received_requester", "received_at", "requester"),
        # The first answers of the digest chart's weeks.
        Index("ix_tickets_first_response_at", "first_response_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="new")
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(128))
    product: Mapped[str | None] = mapped_column(String(64))
    out_of_scope: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(255))
    requester: Mapped[str] = mapped_column(String(320))
    requester_name: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    received_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    ack_due: Mapped[datetime | None]
    attention_due: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=1)
    linked_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    classification: Mapped[dict | None] = mapped_column(JSON)
    # How the report came in (``vocab.Origin``): the client's mail, machine or list mail, a call, a forward, a split.
    origin: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    # Merged into that ticket (#fusionar): closed, its thread moved there; mail to this number goes there too.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # Since when it has been this turn's move (``Status.turn``: the desk's, the client's, a vendor's).
    turn_since: Mapped[datetime | None]
    # Waiting on the client: when they were reminded (once per wait).
    waiting_reminded_at: Mapped[datetime | None]
    # Durations in business time (calendar time where [sla.attention] business_time is off), whole
    # seconds, stored as they end so reports read them instead of recomputing: from reception to
    # the first answer and to resolution, and the time spent in each turn so far.
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    desk_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    client_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    vendor_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def machine_requester(self) -> bool:
        """Opened by machine or list mail: its sender gets no mail from us."""
        return self.origin in MACHINE_ORIGINS

    messages: Mapped[list[MessageRow]] = relationship(back_populates="ticket", order_by="MessageRow.id")
    events: Mapped[list[Event]] = relationship(back_populates="ticket", order_by="Event.id")
    participants: Mapped[list[Participant]] = relationship(back_populates="ticket")
    escalations: Mapped[list[Escalation]] = relationship(back_populates="ticket", order_by="Escalation.id")
    clocks: Mapped[list[Clock]] = relationship(back_populates="ticket", order_by="Clock.id")


class Clock(Base):
    """An attention clock: a client's notice that awaits the desk's answer.

    The terms count each attention period "desde el aviso": the report opens the
    first clock (``first``: the contract's first-response figure) and every later
    client mail with none running opens another (so does a vendor's answer to a
    ticket waiting on it). The desk's answer, ``#atendido``, resolving or closing
    stops it; handing the turn to the client or a vendor does not (it answers nobody).
    """

    __tablename__ = "clocks"
    __table_args__ = (
        Index("ix_clocks_running", "stopped_at", "due"),
        # A ticket's running clock (stopped_at IS NULL): with the ticket alone, SQLite (no statistics)
        # would rather scan every running clock of the desk for each ticket through ix_clocks_running.
        Index("ix_clocks_ticket_running", "ticket_id", "stopped_at"),
        # The later notices of a period (reports), and the deadlines of the digest chart's months (with
        # what the chart counts of each: the index alone answers it).
        Index("ix_clocks_source_started", "source", "started_at"),
        Index("ix_clocks_due", "due", "stopped_at", "stopped_by"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    first: Mapped[bool] = mapped_column(Boolean, default=False)
    # What started it (vocab.ClockSource): the report, the client writing again, a vendor's answer.
    source: Mapped[str] = mapped_column(String(16), default="client", server_default="client")
    severity: Mapped[str] = mapped_column(String(16))  # the deadline's severity; kept in step with the ticket's
    started_at: Mapped[datetime]
    due: Mapped[datetime]
    message_id: Mapped[str | None] = mapped_column(String(998))  # the client's mail that started it
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(32))  # vocab.ClockStop
    actor: Mapped[str | None] = mapped_column(String(320))
    business_seconds: Mapped[int | None] = mapped_column(Integer)  # start to stop

    ticket: Mapped[Ticket] = relationship(back_populates="clocks")

    @property
    def late(self) -> bool | None:
        """Stopped after its deadline; None while it runs."""
        return None if self.stopped_at is None else self.stopped_at > self.due


class Escalation(Base):
    """A ticket handed up: to the manager (level 2) or a vendor (level 3).

    Once per ticket, target and attention clock: the unique triple is what makes
    it hold across processes (a second insert fails instead of mailing twice).
    A manager escalation belongs to the notice it is about: the running clock,
    else the ticket's last one; a vendor case, and a ticket that never had a
    clock (list mail), have clock 0.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "clock_id", name="uq_escalations_ticket_target_clock"),
        Index("ix_escalations_open", "responded_at", "reminded_at", "due"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    target: Mapped[str] = mapped_column(String(64))  # "manager" or a vendor name
    # The clock (clocks.id) a manager escalation is for; 0 for none. Not a foreign key: 0 is
    # no row, and a NULL would not take part in the unique key on every database.
    clock_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64))  # sla_breach, client_request, command, cli
    actor: Mapped[str] = mapped_column(String(320), default="mailbot")
    at: Mapped[datetime]
    due: Mapped[datetime | None]  # the target's own response deadline
    message_id: Mapped[str | None] = mapped_column(String(998))  # the escalation mail we sent
    responded_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(back_populates="escalations")


class MessageRow(Base):
    """Every mail in or out. Inbound rows keep the raw bytes."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("direction", "message_id", name="uq_messages_direction_message_id"),
        Index("ix_messages_message_id", "message_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    message_id: Mapped[str] = mapped_column(String(998))
    kind: Mapped[str] = mapped_column(String(32))  # client, engineer, auto, bounce, ack, notice, ...
    source: Mapped[str | None] = mapped_column(String(512))
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    to_addrs: Mapped[list] = mapped_column(JSON, default=list)
    cc_addrs: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    in_reply_to: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    at: Mapped[datetime]
    status: Mapped[str | None] = mapped_column(String(16))  # outbound: queued/sent/failed

    ticket: Mapped[Ticket | None] = relationship(back_populates="messages")
    # The database deletes them with the message (ON DELETE CASCADE).
    attachments: Mapped[list[AttachmentRow]] = relationship(
        back_populates="message", order_by="AttachmentRow.position", cascade="all, delete-orphan", passive_deletes=True
    )


class AttachmentRow(Base):
    """One attachment of a stored inbound mail; its bytes stay in ``messages.raw`` (docs/attachments.md).

    ``position`` is its place among the mail's attachments
    (``InboundMail.attachments``), which is how ``mailbot.mail.parse.attachment_content``
    finds its bytes in the stored mail again.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        # Also the index that finds a message's attachments.
        UniqueConstraint("message_row_id", "position", name="uq_attachments_message_position"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_row_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))  # sanitized: a bare, printable file name
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)  # decoded bytes, as received
    # Over a size limit when it came in: its bytes were not kept (the stored mail holds a note instead).
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[MessageRow] = relationship(back_populates="attachments")


class Participant(Base):
    """Addresses that take part in a ticket's thread (requester, recipients, watchers)."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("ticket_id", "address", name="uq_participants_ticket_address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    address: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(32))

    ticket: Mapped[Ticket] = relationship(back_populates="participants")


class Event(Base):
    """The audit trail: everything that happened to a ticket."""

    __tablename__ = "events"
    __table_args__ = (
        # The few events that change how a report's acknowledgement counts (``reports.quarterly``):
        # withheld, failed, bounced, mail merged in, a ticket opened by someone other than a client.
        # Partial, so the other nine in ten events cost it nothing; the reports repeat the condition
        # word for word (``reports.quarterly.ack_facts_where``), which is how both databases know it applies.
        Index(
            "ix_events_ack_facts",
            "ticket_id",
            sqlite_where=text(
                "kind IN ('ack_suppressed', 'send_failed', 'bounced', 'merged_from') "
                "OR (kind = 'created' AND json_extract(data, '$.role') IS NOT 'client')"
            ),
            postgresql_where=text(
                "kind IN ('ack_suppressed', 'send_failed', 'bounced', 'merged_from') "
                "OR (kind = 'created' AND (data ->> 'role') IS DISTINCT FROM 'client')"
            ),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(320), default="mailbot")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket | None] = relationship(back_populates="events")


class Outbox(Base):
    """Mail waiting to be sent. Only the outbox sender reads this table."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_row_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    message_id: Mapped[str] = mapped_column(String(998))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list] = mapped_column(JSON)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The process (processes.id) that claimed the row for sending; cleared when
    # it records the outcome. A claim by a process whose heartbeat has stopped
    # is taken over at once instead of waiting for the lease to run out.
    claimed_by: Mapped[str | None] = mapped_column(String(32))

    message_row: Mapped[MessageRow] = relationship()
    ticket: Mapped[Ticket | None] = relationship()


class Process(Base):
    """A mailbot daemon, alive while its heartbeat is fresh (mailbot/heartbeat.py)."""

    __tablename__ = "processes"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    # What the process wants `mailbot status` to show (mode, IMAP session state, version).
    facts: Mapped[dict] = mapped_column(JSON, default=dict)


class MailboxCursor(Base):
    """How far a mailbox has been read: UIDs above ``last_uid`` are new."""

    __tablename__ = "mailbox_cursors"
    mailbox: Mapped[str] = mapped_column(String(512), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class Quarantine(Base):
    """Mail that could not be parsed or applied, kept raw with the reason."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(512))
    message_id: Mapped[str | None] = mapped_column(String(998))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="held")  # held, applied


class AutoReplyLog(Base):
    """Automatic replies sent per address, for the per-sender rate limit."""

    __tablename__ = "autoreply_log"
    __table_args__ = (Index("ix_autoreply_addr_at", "address", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]


class WebLogin(Base):
    """A request for a login link to the web board (``mailbot.web.auth``).

    Only the SHA-256 of the mailed token is kept. A row is written for every
    request, for an address outside the team too (with a token nobody gets),
    so the rate limits count every attempt and the answer is the same.
    """

    __tablename__ = "web_logins"
    __table_args__ = (
        Index("ix_web_logins_address_at", "address", "requested_at"),
        Index("ix_web_logins_ip_at", "ip", "requested_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSignout(Base):
    """When a person last signed out of the web board: every session of theirs signed in before is void.

    The session lives in a signed cookie; this row is what makes a copied cookie
    worthless after logout, on every web process.
    """

    __tablename__ = "web_signouts"
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime]


class WebSecret(Base):
    """Secrets the web processes share: the key that signs session cookies, made once by whoever comes first."""

    __tablename__ = "web_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
