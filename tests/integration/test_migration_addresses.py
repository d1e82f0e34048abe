"""Upgrading brings addresses stored before to the one spelling intake uses now."""

import pytest
from alembic import command
from sqlalchemy import text

from mailbot.db.engine import alembic_config, make_engine, upgrade

pytestmark = pytest.mark.servers


def test_stored_ascii_idn_addresses_become_the_unicode_spelling(db_url):
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0004")
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO tickets (id, seq, number, subject, status, severity, category, requester, "
                    "requester_name, created_at, updated_at, received_at, escalation_level, origin) VALUES "
                    "(1, 1, 'IMG-000001', 's', 'new', 'leve', 'general', 'JMNunez@XN--pticasnez-r6ao5g.mx', "
                    "'', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 'normal')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO participants (ticket_id, address, role) VALUES "
                    "(1, 'jmnunez@xn--pticasnez-r6ao5g.mx', 'requester'), (1, 'jmnunez@ópticasnúñez.mx', 'cc')"
                )
            )
        upgrade(engine)
        with engine.connect() as c:
            assert c.execute(text("SELECT requester FROM tickets")).scalar() == "jmnunez@ópticasnúñez.mx"
            assert c.execute(text("SELECT address FROM participants")).scalars().all() == ["jmnunez@ópticasnúñez.mx"]
    finally:
        engine.dispose()
