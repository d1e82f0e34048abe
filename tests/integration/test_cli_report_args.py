"""``mailbot report`` arguments that name no client, on a real database (SQLite and PostgreSQL).

The command is the installed ``mailbot`` script in a subprocess, as ops run it;
the tickets are inserted straight into the table (``test_cli_tickets.seed``).
"""

import json
from datetime import UTC, datetime

import pytest

from mailbot.exitcodes import Exit
from tests.integration.test_cli_tickets import mailbot, seed, ticket_row

pytestmark = pytest.mark.servers

RECEIVED = datetime(2026, 8, 12, 17, 0, tzinfo=UTC)  # mid-quarter in any timezone
QUARTER = "2026Q3"


@pytest.fixture
def desk(make_settings, db_url):
    settings = make_settings(db_url=db_url)
    seed(
        settings,
        [ticket_row(1, received_at=RECEIVED), ticket_row(2, received_at=RECEIVED, requester="ana@otra.com.mx")],
    )
    return settings


@pytest.mark.parametrize("client", ["", "@", "  ", " @ ", "@@"])
def test_a_quarterly_report_for_no_client_is_a_usage_error_as_for_report_client(desk, client):
    """Not a whole-desk heading over zero figures: one line, exit 64, as `report client ''` answers."""
    proc = mailbot(desk.source, "report", "quarterly", "--quarter", QUARTER, "--client", client, code=Exit.USAGE)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "'--client'" in lines[0] and "must name a domain" in lines[0], proc.stderr
    assert proc.stdout == ""
    same = mailbot(desk.source, "report", "client", client, code=Exit.USAGE).stderr.splitlines()
    assert len(same) == 1 and "must name a domain" in same[0]


def test_a_quarterly_report_for_a_client_typed_with_its_at_sign_still_counts_its_tickets(desk):
    data = json.loads(
        mailbot(desk.source, "report", "quarterly", "--quarter", QUARTER, "--client", "@OTRA.com.mx", "--json").stdout
    )
    assert data["overall"]["tickets"] == 1, data["overall"]
