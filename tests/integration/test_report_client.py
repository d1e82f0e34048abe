"""``mailbot report client DOMAIN``: one client's history, on the known quarter of test_report.py.

The command runs on the real clock, after every seeded time: D3's later
notice (due 1 October 2026 10:00) is missed, and its ticket overdue.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from mailbot.reports import client as history
from tests.integration.test_report import CUARTA, known  # noqa: F401 (the fixture)
from tests.support.desk import mx_time as at
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers


@pytest.fixture
def mailbot(monkeypatch):
    invoke = in_process_cli(monkeypatch)

    def run(settings, *args):
        result = invoke("--config", settings.source, *args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_client_history_as_json(known, mailbot):  # noqa: F811 (the fixture)
    d = known
    data = json.loads(mailbot(d.settings, "report", "client", "@CUARTA.com.mx", "--since", "2026-07-01", "--json"))
    assert data["client"] == "cuarta.com.mx"
    assert datetime.fromisoformat(data["since"]) == at(2026, 7, 1, 0)
    opened = data.pop("open")
    data.pop("to")
    assert data == {
        "client": "cuarta.com.mx",
        "since": data["since"],
        "business_hours": True,
        "tickets": 3,
        "by_severity": {"critica": 3, "grave": 0, "leve": 0},
        "by_category": {"general": 3},
        "merged": 0,
        "attention_measured": 3,
        "attention_in_time": 3,
        "attention_in_time_pct": 100.0,
        "attention_hours_median": 0.5,  # of 0.5, 1, 0.5
        "attention_hours_p90": 1.0,
        "later_notices": 1,  # D3's, never answered: past its deadline, so missed
        "later_measured": 1,
        "later_in_time": 0,
        "later_in_time_pct": 0.0,
        "later_hours_median": None,
        "later_hours_p90": None,
        "resolved": 0,
        "resolution_hours_median": None,
        "resolution_hours_p90": None,
        "open_now": 3,
        "open_overdue": 1,
    }
    n = d.numbers
    assert [(o["ticket"], o["status"], o["turn"], o["overdue"]) for o in opened] == [
        (n["d1"], "in_progress", "desk", False),
        (n["d2"], "waiting_client", "client", False),
        (n["d3"], "in_progress", "desk", True),
    ]
    assert datetime.fromisoformat(opened[1]["since"]) == at(2026, 8, 11, 11)
    assert datetime.fromisoformat(opened[2]["due"]) == at(2026, 10, 1, 10)
    assert opened[2]["subject"] == "URGENTE: caida del firewall SonicWall" and opened[2]["severity"] == "critica"

    # Since after the first two: one ticket, but every open one still listed.
    later = json.loads(mailbot(d.settings, "report", "client", CUARTA.split("@")[1], "--since", "2026-09-01", "--json"))
    assert later["tickets"] == 1 and later["open_now"] == 3


def test_client_history_as_text(known, mailbot):  # noqa: F811 (the fixture)
    d = known
    text = mailbot(d.settings, "report", "client", "cliente.com.mx", "--since", "2026-07-01")
    lines = text.splitlines()
    assert lines[0] == "Historial de soporte IMAGEN TI: cliente.com.mx desde el 2026-07-01"
    for line in (
        "  Tickets recibidos: 2",
        "  Por criticidad: CRÍTICA: 1, GRAVE: 1, LEVE: 0",
        "  Primera respuesta dentro del tiempo comprometido: 2 de 2 (100.0 %)",
        "  Primera respuesta, mediana / percentil 90 (horas hábiles): 2.0 / 3.0",
        "  Avisos posteriores atendidos dentro del tiempo comprometido: 1 de 2 (50.0 %)",
        "  Avisos posteriores, mediana / percentil 90 (horas hábiles): 3.5 / 6.0",
        "  Resolución, mediana / percentil 90 (horas hábiles): 18.0 / 18.0",
        "  Tickets abiertos: 1 (0 con la atención vencida)",
    ):
        assert line in lines, line
    [row] = [line for line in lines if d.numbers["t1"] in line]
    assert row.split() == [
        d.numbers["t1"],
        "CRÍTICA",
        "en",
        "progreso",
        "mesa",
        "de",
        "ayuda",
        "2026-07-06",
        "10:00",
        "-",
        "URGENTE:",
        "caida",
        "del",
        "firewall",
        "SonicWall",
    ]
    assert "critica" not in text and d.numbers["t2"] not in text  # resolved: not open

    cuarta = mailbot(d.settings, "report", "client", "cuarta.com.mx", "--since", "2026-07-01")
    [overdue] = [line for line in cuarta.splitlines() if d.numbers["d3"] in line]
    assert "VENCIDA" in overdue
    [waiting] = [line for line in cuarta.splitlines() if d.numbers["d2"] in line]
    assert "esperando al cliente" in waiting and "2026-08-11 11:00" in waiting


def test_client_history_defaults_to_the_last_twelve_months_and_matches_whole_domains(known, mailbot):  # noqa: F811
    d = known
    data = json.loads(mailbot(d.settings, "report", "client", "otra.com.mx", "--json"))
    since = datetime.fromisoformat(data["since"]).astimezone(at(2026, 1, 1, 0).tzinfo)
    today = datetime.fromisoformat(data["to"]).astimezone(since.tzinfo).date()
    assert since.time().isoformat() == "00:00:00"
    assert since.date() == history.months_back(today, 12, "America/Mexico_City").date()
    assert (today.year - since.year) * 12 + today.month - since.month == 12
    # A domain the requester's only ends with is another client's.
    none = json.loads(mailbot(d.settings, "report", "client", "tra.com.mx", "--since", "2026-01-01", "--json"))
    assert (none["tickets"], none["open"]) == (0, [])


def test_months_back_keeps_the_day_or_takes_the_months_last():
    assert history.months_back(date(2026, 12, 7), 12, "UTC").date() == date(2025, 12, 7)
    assert history.months_back(date(2026, 3, 31), 1, "UTC").date() == date(2026, 2, 28)
    assert history.months_back(date(2026, 1, 15), 1, "UTC").date() == date(2025, 12, 15)
