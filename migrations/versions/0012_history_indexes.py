"""indexes for a desk with years of history: reports, digests, listings and the SLA tick read what they need

With hundreds of thousands of tickets, every query that named a period, a
client, an assignee or a status in order of number read the whole table.

- ``tickets``: (reception, requester) for a period's tickets, one client's
  among them told apart in the index ("%@domain" is no range: the requester
  is read there, not in the table), the first answer and (status, resolution)
  (the digest's durations, the SLA tick's resolved tickets past the reopen
  window), and (status, seq) for `tickets list --status` newest first.
- ``clocks``: (ticket, stopped_at) replaces the index on the ticket alone (a
  ticket's running clock; SQLite took ix_clocks_running for it and read every
  running clock of the desk per ticket), (source, started) for the later notices
  of a period, and (deadline, stopped, why) for the digest's months, which that
  index answers alone.
- ``events``: a partial index of the few events that change how a report's
  acknowledgement counts (withheld, failed, bounced, merged in, a ticket not
  opened by a client), written per database: SQLite's JSON functions and
  PostgreSQL's operators differ.

Plain CREATE INDEX, not ``batch_alter_table``: on SQLite a batch rebuilds the
table and would drop the search triggers of 0010 with the old one.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACK_FACTS = {
    "sqlite": (
        "kind IN ('ack_suppressed', 'send_failed', 'bounced', 'merged_from') "
        "OR (kind = 'created' AND json_extract(data, '$.role') IS NOT 'client')"
    ),
    "postgresql": (
        "kind IN ('ack_suppressed', 'send_failed', 'bounced', 'merged_from') "
        "OR (kind = 'created' AND (data ->> 'role') IS DISTINCT FROM 'client')"
    ),
}


def upgrade():
    op.create_index("ix_tickets_status_seq", "tickets", ["status", "seq"])
    op.create_index("ix_tickets_status_resolved", "tickets", ["status", "resolved_at"])
    op.create_index("ix_tickets_received_requester", "tickets", ["received_at", "requester"])
    op.create_index("ix_tickets_first_response_at", "tickets", ["first_response_at"])
    op.create_index("ix_clocks_ticket_running", "clocks", ["ticket_id", "stopped_at"])
    op.drop_index("ix_clocks_ticket_id", table_name="clocks")
    op.create_index("ix_clocks_source_started", "clocks", ["source", "started_at"])
    op.create_index("ix_clocks_due", "clocks", ["due", "stopped_at", "stopped_by"])
    op.create_index(
        "ix_events_ack_facts",
        "events",
        ["ticket_id"],
        sqlite_where=sa.text(ACK_FACTS["sqlite"]),
        postgresql_where=sa.text(ACK_FACTS["postgresql"]),
    )


def downgrade():
    op.drop_index("ix_events_ack_facts", table_name="events")
    op.drop_index("ix_clocks_due", table_name="clocks")
    op.drop_index("ix_clocks_source_started", table_name="clocks")
    op.create_index("ix_clocks_ticket_id", "clocks", ["ticket_id"])
    op.drop_index("ix_clocks_ticket_running", table_name="clocks")
    op.drop_index("ix_tickets_first_response_at", table_name="tickets")
    op.drop_index("ix_tickets_received_requester", table_name="tickets")
    op.drop_index("ix_tickets_status_resolved", table_name="tickets")
    op.drop_index("ix_tickets_status_seq", table_name="tickets")
