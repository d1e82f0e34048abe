"""the web board's login by mail: one-time link requests, the shared cookie secret

- ``web_logins``: every request for a login link (the SHA-256 of the token, the
  address as typed and folded, the client's IP, when it expires, when it was
  used); the rate limits count these rows.
- ``web_secrets``: the key that signs session cookies when ``[web] secret_env``
  is not set, made once by the first web process and read by the others.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_web_logins_address_at", "web_logins", ["address", "requested_at"])
    op.create_index("ix_web_logins_ip_at", "web_logins", ["ip", "requested_at"])
    op.create_table(
        "web_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "web_signouts",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address"),
    )


def downgrade():
    op.drop_table("web_signouts")
    op.drop_table("web_secrets")
    op.drop_index("ix_web_logins_ip_at", table_name="web_logins")
    op.drop_index("ix_web_logins_address_at", table_name="web_logins")
    op.drop_table("web_logins")
