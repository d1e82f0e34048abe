"""an index on tickets(status, merged_into_id): the board and the digests load the open tickets

Without it every listing of the open tickets (a few hundred) reads the whole
table (every ticket ever). Those listings ask for ``status IN (…) AND
merged_into_id IS NULL``: with the second column SQLite, which keeps no
statistics, takes this index for both rather than ix_tickets_merged_into_id
(which nearly every ticket matches, so it reads them all).

A plain CREATE INDEX, not ``batch_alter_table``: on SQLite a batch rebuilds
``tickets`` and would drop the search triggers of 0010 with the old table.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_tickets_status", "tickets", ["status", "merged_into_id"], unique=False)


def downgrade():
    op.drop_index("ix_tickets_status", table_name="tickets")
