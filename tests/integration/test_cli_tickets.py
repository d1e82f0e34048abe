"""``mailbot tickets list|show`` on a real database (SQLite and PostgreSQL), run as ops run it.

Tickets are inserted straight into the table (thousands of them through the
pipeline would take minutes and test the pipeline, not the listing); the
command is the installed ``mailbot`` script in a subprocess.
"""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from mailbot.app import build_app
from mailbot.db.models import Clock, Ticket
from mailbot.exitcodes import Exit
from mailbot.tickets.views import TicketFilter, count_tickets, list_tickets

MAILBOT = Path(sys.executable).with_name("mailbot")
UTC = UTC
NOW = datetime.now(UTC).replace(microsecond=0)
TICKET_LINE = re.compile(r"^IMG-\d{6} ")


def mailbot(config, *args, code=0, cwd=None):
    proc = subprocess.run(
        [str(MAILBOT), "--config", str(config), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    return proc


def ticket_row(seq, **fields):
    received = fields.pop("received_at", NOW - timedelta(hours=1) + timedelta(seconds=seq))
    row = dict(
        seq=seq,
        number=f"IMG-{seq:06d}",
        status="new",
        severity="leve",
        category="general",
        requester=f"persona{seq}@cliente.com.mx",
        requester_name="",
        subject=f"Caso número {seq}",
        created_at=received,
        updated_at=received,
        received_at=received,
        ack_due=received + timedelta(minutes=30),
        attention_due=received + timedelta(hours=24),
        escalation_level=1,
        origin="normal",
    )
    row.update(fields)
    return row


def seed(settings, rows):
    """The tickets, each with the attention clock of its report as intake starts it.

    Unanswered and open: running until ``attention_due``; answered or closed: stopped.
    """
    app = build_app(settings)  # creates the schema, as `mailbot db upgrade` would
    try:
        with app.sessions.begin() as s:
            ids = s.execute(insert(Ticket).returning(Ticket.id, Ticket.seq), rows).all()
            by_seq = {seq: id_ for id_, seq in ids}
            clocks = []
            for row in rows:
                if row.get("attention_due") is None:
                    continue
                done = row["updated_at"] if row.get("status") in ("resolved", "closed") else None
                stopped = row.get("first_response_at") or row.get("closed_at") or row.get("resolved_at") or done
                clocks.append(
                    dict(
                        ticket_id=by_seq[row["seq"]],
                        first=True,
                        severity=row.get("severity", "leve"),
                        started_at=row["received_at"],
                        due=row["attention_due"],
                        stopped_at=stopped,
                        stopped_by="answered" if stopped else None,
                    )
                )
            if clocks:
                s.execute(insert(Clock), clocks)
    finally:
        app.close()


@pytest.fixture
def desk(make_settings, db_url):
    return make_settings(db_url=db_url)


def test_list_of_2100_tickets_newest_first_and_json_returns_all(desk):
    seed(desk, [ticket_row(k) for k in range(1, 2101)])

    everything = json.loads(mailbot(desk.source, "tickets", "list", "--json").stdout)
    assert len(everything) == 2100  # not cut at the oldest 1,000
    assert everything[0]["number"] == "IMG-002100" and everything[-1]["number"] == "IMG-000001"
    assert set(everything[0]) >= {
        "number",
        "status",
        "severity",
        "requester",
        "subject",
        "created_at",
        "sla",
        "message_count",
    }
    assert everything[0]["sla"]["attention_due"].endswith("+00:00")  # JSON stays ISO 8601 UTC

    lines = mailbot(desk.source, "tickets", "list").stdout.splitlines()
    assert lines[0].split()[:5] == ["NUMBER", "STATUS", "SEVERITY", "TURN", "REQUESTER"]
    shown = [line.split()[0] for line in lines if TICKET_LINE.match(line)]
    assert shown == [f"IMG-{k:06d}" for k in range(2100, 2050, -1)]
    assert lines[-1] == "50 of 2,100 tickets"
    assert len(lines) == 52

    newest = json.loads(mailbot(desk.source, "tickets", "list", "--json", "--limit", "3").stdout)
    assert [t["number"] for t in newest] == ["IMG-002100", "IMG-002099", "IMG-002098"]
    assert mailbot(desk.source, "tickets", "list", "--all").stdout.splitlines()[-1] == "2,100 of 2,100 tickets"


def test_list_filters(desk):
    past, future = NOW - timedelta(hours=2), NOW + timedelta(hours=2)
    seed(
        desk,
        [
            ticket_row(
                1,
                status="in_progress",
                severity="critica",
                assignee="ana.lopez@imagenti.mx",
                requester="juan@cliente.com.mx",
                attention_due=past,
            ),  # overdue
            ticket_row(
                2,
                status="new",
                severity="critica",
                requester="maria@Otra-Empresa.mx",
                attention_due=past,
                first_response_at=past,
            ),  # answered in time: not overdue
            ticket_row(
                3,
                status="closed",
                severity="grave",
                requester="pedro@cliente.com.mx",
                attention_due=past,
                closed_at=past,
            ),  # closed: not overdue
            ticket_row(
                4,
                status="waiting_client",
                severity="leve",
                assignee="luis.garcia@imagenti.mx",
                requester="rosa@cliente_x.mx",
                attention_due=future,
            ),
            ticket_row(
                5, status="new", severity="leve", requester="lista@cliente.com.mx", origin="bulk", attention_due=None
            ),  # list mail: no deadline, never overdue
            ticket_row(6, status="resolved", requester="jmnunez@ópticasnúñez.mx", attention_due=future),
        ],
    )
    app = build_app(desk, upgrade=False, create=False)

    def numbers(**where):
        with app.sessions() as s:
            return [t["number"][-1] for t in list_tickets(s, TicketFilter(**where), newest_first=True)]

    try:
        assert numbers() == ["6", "5", "4", "3", "2", "1"]
        assert numbers(status="in_progress") == ["1"]
        assert numbers(status="new") == ["5", "2"]
        assert numbers(severity="critica") == ["2", "1"]
        assert numbers(severity="grave", status="closed") == ["3"]
        assert numbers(client="cliente.com.mx") == ["5", "3", "1"]
        assert numbers(client="otra-empresa.MX") == ["2"]
        assert numbers(client="cliente_x.mx") == ["4"]  # "_" is not a wildcard
        assert numbers(client="XN--PTICASNEZ-R6AO5G.MX") == ["6"]  # the ASCII form of the domain
        assert numbers(client="ópticasnúñez.mx") == ["6"]
        assert numbers(assignee="Luis.Garcia@imagenti.mx") == ["4"]
        assert numbers(overdue_at=NOW) == ["1"]
        assert numbers(overdue_at=NOW, severity="leve") == []
        with app.sessions() as s:
            assert count_tickets(s, TicketFilter(client="cliente.com.mx")) == 3
    finally:
        app.close()

    # What people type, through the command.
    def listed(*args):
        return [t["number"][-1] for t in json.loads(mailbot(desk.source, "tickets", "list", "--json", *args).stdout)]

    assert listed("--status", "En progreso", "--assignee", "ana", "--overdue") == ["1"]  # ana as #asignar takes it
    assert listed("--severity", "CRÍTICA", "--status", "nuevo", "--client", "OTRA-EMPRESA.MX") == ["2"]
    text = mailbot(desk.source, "tickets", "list", "--status", "cerrado", "--severity", "leve").stdout
    assert text.splitlines() == ["0 of 0 tickets"]


def test_text_shows_local_times_without_microseconds_and_no_none(desk):
    received = datetime(2026, 11, 27, 23, 30, 5, 123456, tzinfo=UTC)  # 17:30:05 in Mexico City
    seed(
        desk,
        [
            ticket_row(
                1,
                received_at=received,
                created_at=received,
                updated_at=received,
                attention_due=datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
                category=None,
                product=None,
            ),
            ticket_row(2, origin="bulk", attention_due=None, subject=""),
        ],
    )
    listed = mailbot(desk.source, "tickets", "list").stdout
    assert "None" not in listed
    row1 = next(line for line in listed.splitlines() if line.startswith("IMG-000001"))
    assert "2026-11-30 10:30 " in row1  # 16:30 UTC is 10:30 in America/Mexico_City
    row2 = next(line for line in listed.splitlines() if line.startswith("IMG-000002"))
    assert re.search(r" - +- *$", row2), row2  # no deadline, no subject

    shown = mailbot(desk.source, "tickets", "show", "IMG-000001").stdout
    assert "None" not in shown
    assert not re.search(r"\d\.\d{6}", shown), shown  # no microseconds
    assert re.search(r"received: 2026-11-27 17:30:05$", shown, re.M), shown
    assert re.search(r"attention due: 2026-11-30 10:30:00$", shown, re.M), shown
    assert re.search(r"first response: -$", shown, re.M), shown
    assert re.search(r"times: America/Mexico_City$", shown, re.M), shown
    as_json = json.loads(mailbot(desk.source, "tickets", "show", "1", "--json").stdout)
    assert as_json["received_at"] == "2026-11-27T23:30:05.123456+00:00"  # JSON unchanged: ISO UTC


def test_show_and_change_of_a_missing_ticket_exit_65(make_settings):
    desk = make_settings()
    seed(desk, [ticket_row(1)])
    for args in (["tickets", "show", "IMG-000099"], ["tickets", "close", "IMG-000099", "--summary", "hecho"]):
        err = mailbot(desk.source, *args, code=Exit.DATAERR).stderr
        assert err == "error: no ticket IMG-000099\n"


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "²", "9" * 5000])
def test_a_number_no_ticket_can_have_is_no_ticket_not_a_crash(make_settings, db_url, number):
    """Digits beyond what the number column holds (or a digit int() refuses) name no ticket: exit 65."""
    desk = make_settings(db_url=db_url)
    seed(desk, [ticket_row(1)])
    for args in (["tickets", "show", number], ["tickets", "close", number, "--summary", "hecho"]):
        err = mailbot(desk.source, *args, code=Exit.DATAERR).stderr
        assert err == f"error: no ticket {number}\n"
    assert "number: IMG-000001\n" in mailbot(desk.source, "tickets", "show", "0001").stdout


@pytest.mark.parametrize("qid", ["99999999999999999999", "2147483648", "0"])
def test_a_quarantine_id_no_row_can_have_is_no_held_mail_not_a_crash(make_settings, db_url, qid):
    desk = make_settings(db_url=db_url)
    seed(desk, [ticket_row(1)])
    err = mailbot(desk.source, "quarantine", "show", qid, code=Exit.DATAERR).stderr
    assert err == f"error: no quarantined mail {int(qid)} (see 'mailbot quarantine list')\n"
    err = mailbot(desk.source, "quarantine", "retry", qid, code=Exit.DATAERR).stderr
    assert err == f"error: no held mail {int(qid)} (see 'mailbot quarantine list')\n"


@pytest.mark.parametrize(
    "args",
    [
        ["tickets", "list"],
        ["tickets", "show", "IMG-000001"],
        ["quarantine", "list"],
        ["quarantine", "show", "1"],
        ["report", "quarterly"],
    ],
)
def test_a_read_only_command_never_creates_a_database(tmp_path, args):
    """Run from a folder with no database: one line naming the URL, exit 69, and no file left behind."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    config = tmp_path / "etc" / "mailbot.toml"
    config.parent.mkdir()
    config.write_text('[database]\nurl = "sqlite:///var/mailbot.db"\n[lmtp]\nenabled = false\n')
    proc = mailbot(config, *args, code=Exit.UNAVAILABLE, cwd=folder)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "mailbot.db" in lines[0], proc.stderr
    assert not any(folder.iterdir()) and sorted(p.name for p in config.parent.iterdir()) == ["mailbot.toml"]


@pytest.mark.parametrize("limit", ["99999999999999999999", "9223372036854775808", "2147483648", "0"])
def test_a_limit_no_database_takes_is_a_usage_error_not_a_crash(desk, limit):
    """Past 2**31-1 click's range check answers (one line, exit 64) before SQLite or PostgreSQL overflows."""
    seed(desk, [ticket_row(1)])
    for args in (["--limit", limit], ["--limit", limit, "--json"]):
        err = mailbot(desk.source, "tickets", "list", *args, code=Exit.USAGE).stderr
        lines = err.splitlines()
        assert len(lines) == 1 and "'--limit'" in lines[0] and "1<=x<=2147483647" in lines[0], err
    assert mailbot(desk.source, "tickets", "list", "--limit", "2147483647").stdout.splitlines()[-1] == "1 of 1 ticket"


@pytest.mark.parametrize("client", ["", "@", "  ", "@@"])
def test_a_client_filter_that_names_no_domain_is_a_usage_error(make_settings, client):
    """Not every ticket (a blank filter) nor none ("@"): one line and exit 64, as `report client` answers."""
    desk = make_settings()
    seed(desk, [ticket_row(1)])
    err = mailbot(desk.source, "tickets", "list", "--client", client, code=Exit.USAGE).stderr
    lines = err.splitlines()
    assert len(lines) == 1 and "'--client'" in lines[0] and "must name a domain" in lines[0], err
    listed = mailbot(desk.source, "tickets", "list", "--client", "@Cliente.com.mx").stdout
    assert listed.splitlines()[-1] == "1 of 1 ticket"
