"""tickets.merged_into_id: the ticket a ticket was merged into (#fusionar)

A merged ticket is closed and its thread (messages, participants, events)
lives on in the ticket it points to; mail that names the old number follows
the pointer. Indexed: ``tickets show`` lists the tickets merged into one.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_tickets_merged_into_id", "tickets", ["merged_into_id"], ["id"])
        batch_op.create_index("ix_tickets_merged_into_id", ["merged_into_id"], unique=False)


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_merged_into_id")
        batch_op.drop_constraint("fk_tickets_merged_into_id", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
