"""one spelling per stored address: international domains in Unicode

From this version intake stores a domain written in its ASCII form
(``xn--pticasnez-r6ao5g.mx``) in Unicode (``ópticasnúñez.mx``), so a client is
one client whichever form their mail program writes. Addresses stored before
are brought to the same spelling, or a client's earlier tickets, the per-sender
guard and the report by domain would see two clients.

Revision ID: 0005
Revises: 0004
"""

import json
import unicodedata

import idna
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (table, column) holding one address; participants has a unique (ticket, address).
_SINGLE = [
    ("tickets", "requester"),
    ("tickets", "assignee"),
    ("messages", "from_addr"),
    ("autoreply_log", "address"),
    ("participants", "address"),
]
_LISTS = [("messages", "to_addrs"), ("messages", "cc_addrs")]


def _spelling(address):
    # As mailbot.addresses.normalize_address at the time of this migration (kept here so
    # the migration does not change when that module does).
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    lowered = domain.lower()
    if not (lowered.isascii() and "xn--" not in lowered):
        try:
            lowered = idna.decode(domain, uts46=True)
        except (idna.IDNAError, UnicodeError, ValueError):
            lowered = unicodedata.normalize("NFC", lowered)
    return f"{local.lower()}@{lowered}"


def upgrade():
    conn = op.get_bind()
    for table, column in _SINGLE:
        rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE LOWER({column}) LIKE '%xn--%'")).all()
        for row_id, value in rows:
            new = _spelling(value)
            if new == value:
                continue
            if table == "participants":
                ticket = conn.execute(
                    sa.text("SELECT ticket_id FROM participants WHERE id = :i"), {"i": row_id}
                ).scalar()
                if conn.execute(
                    sa.text("SELECT 1 FROM participants WHERE ticket_id = :t AND address = :a"), {"t": ticket, "a": new}
                ).first():
                    conn.execute(sa.text("DELETE FROM participants WHERE id = :i"), {"i": row_id})
                    continue
            conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"), {"v": new, "i": row_id})
    as_json = "CAST(:v AS JSON)" if conn.dialect.name == "postgresql" else ":v"
    for table, column in _LISTS:
        cast = f"CAST({column} AS TEXT)"
        rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE LOWER({cast}) LIKE '%xn--%'")).all()
        for row_id, value in rows:
            addrs = json.loads(value) if isinstance(value, str) else value
            new = [_spelling(a) for a in addrs]
            if new != addrs:
                conn.execute(
                    sa.text(f"UPDATE {table} SET {column} = {as_json} WHERE id = :i"),
                    {"v": json.dumps(new, ensure_ascii=False), "i": row_id},
                )


def downgrade():
    pass  # the Unicode spelling is as valid as the ASCII one: nothing to undo
