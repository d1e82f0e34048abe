"""clocks, whose turn, stored durations; escalations once per clock

- ``clocks``: one attention clock per client notice awaiting the desk's answer.
- ``tickets``: ``turn_since``, ``waiting_reminded_at`` and durations in business
  seconds (first response, resolution, time in each turn).
- ``escalations.clock_id``: the unique key becomes (ticket, target, clock), so a
  later clock that runs out is escalated to the manager again.

Existing tickets get their first clock back from what they hold (reception,
deadline, first answer); their manager escalations are tied to it, so nothing
already escalated is escalated again. Durations of tickets from before this
revision stay empty: reports work them out for those.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("first", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False, server_default="client"),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("business_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clocks_ticket_id", "clocks", ["ticket_id"])
    op.create_index("ix_clocks_running", "clocks", ["stopped_at", "due"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("waiting_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_response_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_seconds", sa.Integer(), nullable=True))
        for name in ("desk_seconds", "client_seconds", "vendor_seconds"):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_id", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_escalations_ticket_target", type_="unique")
        batch_op.create_unique_constraint("uq_escalations_ticket_target_clock", ["ticket_id", "target", "clock_id"])

    # The first clock of every ticket that has an attention deadline (list mail has none).
    op.execute(
        """
        INSERT INTO clocks (ticket_id, first, source, severity, started_at, due, stopped_at, stopped_by)
        SELECT id, TRUE, 'report', severity, received_at, attention_due,
               CASE
                 WHEN first_response_at IS NOT NULL THEN first_response_at
                 WHEN status = 'waiting_client' THEN updated_at
                 WHEN status IN ('resolved', 'closed') THEN COALESCE(resolved_at, closed_at, updated_at)
               END,
               CASE
                 WHEN first_response_at IS NOT NULL THEN 'answered'
                 WHEN status = 'waiting_client' THEN 'waiting_client'
                 WHEN status = 'resolved' THEN 'resolved'
                 WHEN status = 'closed' THEN 'closed'
               END
        FROM tickets WHERE attention_due IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE escalations SET clock_id = (
            SELECT c.id FROM clocks c WHERE c.ticket_id = escalations.ticket_id AND c.first
        )
        WHERE target = 'manager'
          AND EXISTS (SELECT 1 FROM clocks c WHERE c.ticket_id = escalations.ticket_id AND c.first)
        """
    )
    # Open tickets: their turn began at the last change we know of; a wait on the client counts
    # from the upgrade, so that no reminder or resolution falls due at the first tick.
    op.execute(
        """
        UPDATE tickets SET turn_since = CASE
            WHEN status = 'new' THEN received_at
            WHEN status = 'waiting_client' THEN CURRENT_TIMESTAMP
            ELSE updated_at END
        WHERE status IN ('new', 'in_progress', 'waiting_client')
        """
    )


def downgrade():
    # The status 0007 does not know: the desk's again.
    op.execute("UPDATE tickets SET status = 'in_progress' WHERE status = 'waiting_vendor'")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_escalations_ticket_target_clock", type_="unique")
        batch_op.drop_column("clock_id")
    # Later clocks' escalations would break the old key: keep the first per (ticket, target).
    op.execute("DELETE FROM escalations WHERE id NOT IN (SELECT MIN(id) FROM escalations GROUP BY ticket_id, target)")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_escalations_ticket_target", ["ticket_id", "target"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name in (
            "vendor_seconds",
            "client_seconds",
            "desk_seconds",
            "resolution_seconds",
            "first_response_seconds",
            "waiting_reminded_at",
            "turn_since",
        ):
            batch_op.drop_column(name)
    op.drop_index("ix_clocks_running", table_name="clocks")
    op.drop_index("ix_clocks_ticket_id", table_name="clocks")
    op.drop_table("clocks")
