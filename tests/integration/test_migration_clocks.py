"""Upgrading to the attention clocks (revision 0008) keeps every ticket's first clock and its escalation."""

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text

from mailbot.app import build_app
from mailbot.db.engine import alembic_config, make_engine, upgrade
from mailbot.jobs.scheduler import sla_tick

pytestmark = pytest.mark.servers

TICKET = (
    "INSERT INTO tickets (id, seq, number, subject, status, severity, category, requester, requester_name,"
    " created_at, updated_at, received_at, attention_due, first_response_at, escalation_level, origin) VALUES"
    " (:id, :id, :number, 's', :status, 'critica', 'general', 'juan@cliente.com.mx', '',"
    " :received, :updated, :received, :due, :answered, :level, 'normal')"
)


def at(hh: int) -> datetime:
    return datetime(2026, 7, 6, hh, tzinfo=UTC)


def test_existing_tickets_get_their_first_clock_and_an_escalated_one_is_not_escalated_again(make_settings, db_url):
    engine = make_engine(db_url)
    try:
        command.upgrade(alembic_config(engine), "0007")
        with engine.begin() as c:
            # 1: never answered, escalated to the manager; 2: answered in time; 3: waiting on the client.
            rows = [
                dict(id=1, number="IMG-000001", status="new", due=at(17), answered=None, updated=at(15), level=2),
                dict(
                    id=2,
                    number="IMG-000002",
                    status="in_progress",
                    due=at(17),
                    answered=at(16),
                    updated=at(16),
                    level=1,
                ),
                dict(
                    id=3,
                    number="IMG-000003",
                    status="waiting_client",
                    due=at(17),
                    answered=None,
                    updated=at(16),
                    level=1,
                ),
            ]
            for row in rows:
                c.execute(text(TICKET), dict(row, received=at(15)))
            c.execute(
                text(
                    "INSERT INTO escalations (ticket_id, target, level, reason, actor, at, due) VALUES"
                    " (1, 'manager', 2, 'sla_breach', 'mailbot', :at, :due)"
                ),
                dict(at=at(17), due=at(18)),
            )
        upgrade(engine)
        with engine.connect() as c:
            clocks = c.execute(
                text("SELECT ticket_id, stopped_by, due FROM clocks WHERE first ORDER BY ticket_id")
            ).all()
            assert [(t, why) for t, why, _ in clocks] == [(1, None), (2, "answered"), (3, "waiting_client")]
            first = c.execute(text("SELECT id FROM clocks WHERE ticket_id = 1")).scalar()
            assert c.execute(text("SELECT clock_id FROM escalations")).scalar() == first
    finally:
        engine.dispose()
    app = build_app(make_settings(db_url=db_url, calendar={"always_open": True}))
    try:
        report = sla_tick(app, datetime(2026, 7, 9, 12, tzinfo=UTC))
        assert report.escalated == [] and report.not_escalated == {}
    finally:
        app.close()
