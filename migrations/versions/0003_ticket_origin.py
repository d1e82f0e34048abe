"""tickets.origin: what kind of mail opened the ticket (normal, auto, bulk)

A ticket opened by machine or list mail owes its sender no mail at all, and
one opened by list mail (a newsletter) no attention deadline.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=False, server_default="normal"))


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("origin")
