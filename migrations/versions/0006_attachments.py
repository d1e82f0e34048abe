"""attachments: one row per attachment of a stored inbound mail

The bytes stay where they are, inside ``messages.raw`` (the mail as stored);
a row names one attachment (safe file name, type, decoded size, whether it
was dropped under the size limits) and its position among the mail's
attachments, which is how mailbot finds its bytes again (docs/attachments.md).

Inbound mail stored before this version gets its rows here, by parsing its
stored bytes with mailbot's own parser. Unlike 0005 this migration does not
keep a frozen copy of that code, on purpose: a row's position is only
meaningful to the parser that reads the bytes back, which is the current one.
Mail whose parts were dropped when it came in (before this version) lists
the attachments its stored bytes still hold; the dropped ones are named in
its ``parts_dropped`` event.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from mailbot.errors import ParseError
from mailbot.mail.parse import parse

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Messages read per query: each holds a whole stored mail (up to [mailbot] max_message_size).
BATCH = 50

_attachments = sa.table(
    "attachments",
    sa.column("message_row_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("filename", sa.String),
    sa.column("content_type", sa.String),
    sa.column("size", sa.BigInteger),
    sa.column("dropped", sa.Boolean),
)


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_row_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("message_row_id", "position", name="uq_attachments_message_position"),
    )
    conn = op.get_bind()
    after = 0
    while True:
        batch = conn.execute(
            sa.text(
                "SELECT id, raw FROM messages WHERE direction = 'in' AND raw IS NOT NULL AND id > :after "
                "ORDER BY id LIMIT :n"
            ),
            {"after": after, "n": BATCH},
        ).all()
        if not batch:
            break
        rows = []
        for message_id, raw in batch:
            rows += _rows(message_id, bytes(raw))
        if rows:
            conn.execute(_attachments.insert(), rows)
        after = batch[-1][0]


def _rows(message_id, raw):
    try:
        # No size limits: the stored bytes are what was kept, whatever the limits are now.
        mail = parse(raw, max_message_size=None, max_attachment_size=None)
    except ParseError:
        return []  # it was taken in once; what cannot be read now has no attachments to list
    return [
        {
            "message_row_id": message_id,
            "position": i,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "dropped": a.dropped,
        }
        for i, a in enumerate(mail.attachments)
    ]


def downgrade():
    op.drop_table("attachments")
