"""Whose turn it is, end to end: the daemon reads a real Dovecot and sends through the SMTP sink.

The daemon's App runs on a clock the test moves (the SLA job reads it at every
tick, each second), over the default business calendar: Mon–Fri 09:00–18:00
Mexico City, Friday 25 December 2026 a statutory rest day. No sleeps: every
wait is for a mail in the sink or a row in the database, with a deadline.
The exact boundaries (one second before, at the deadline) are tested on a
hand-moved clock in ``test_clocks.py``; here the whole path runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Escalation
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.db import ticket
from tests.support.desk import MX
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import Running
from tests.support.servers import wait_until

pytestmark = pytest.mark.servers

ANA = ENGINEERS[0]
WITHSECURE = "support@withsecure.com"


class Clock:
    """The daemon's wall clock, set by the test."""

    def __init__(self, start: datetime):
        self.now = start.astimezone(UTC)

    def set(self, when: datetime) -> None:
        self.now = when.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


def mx(m, d, hh, mm=0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=MX)


def subjects(sink, address, word):
    return [m for m in sink.to(address) if word in str(m["msg"]["Subject"])]


@pytest.fixture
def desk(make_settings, dovecot, smtp_sink):
    """A running daemon on a clock the test moves; yields (settings, clock)."""
    started = []

    def start(at: datetime):
        settings = make_settings(
            imap=imap_section(dovecot),
            smtp=smtp_section(smtp_sink),
            sla={"check_interval": "1s"},
            outbox={"interval": "1s"},
        )
        clock = Clock(at)
        running = Running(settings, app=build_app(settings, clock=clock))
        daemon = running.__enter__()
        started.append(running)
        wait_until(lambda: daemon.imap.stats.connected, 15, what="IMAP session")
        return settings, clock

    yield start
    for running in started:
        running.__exit__(None, None, None)


def open_report(dovecot, smtp_sink) -> None:
    dovecot.append(
        make_mail(
            subject="Agente de WithSecure sin actualizar",
            message_id="<rep@cliente.com.mx>",
            body="El agente de WithSecure no actualiza en una computadora de contabilidad.",
        )
    )
    wait_until(lambda: subjects(smtp_sink, CLIENT, "Hemos recibido su reporte"), 30, what="the acknowledgement")


def engineer_answers(dovecot, smtp_sink, body: str, n: int) -> None:
    [notice] = wait_until(lambda: subjects(smtp_sink, ANA, "Nuevo ticket"), 30, what="the new-ticket notice")
    before = len(smtp_sink.to(CLIENT))
    dovecot.append(
        make_mail(
            sender=ANA,
            subject="Re: " + str(notice["msg"]["Subject"]),
            body=body,
            message_id=f"<ana{n}@imagenti.mx>",
            in_reply_to=notice["msg"]["Message-ID"],
            headers=team_headers(),
        )
    )
    wait_until(lambda: len(smtp_sink.to(CLIENT)) > before, 30, what="the answer relayed to the client")


def client_answers(dovecot, smtp_sink, body: str, n: int) -> None:
    [ack] = subjects(smtp_sink, CLIENT, "Hemos recibido su reporte")
    before = len(subjects(smtp_sink, ANA, "El cliente respondió"))
    dovecot.append(
        make_mail(
            subject="RE: " + str(ack["msg"]["Subject"]),
            body=body,
            message_id=f"<cli{n}@cliente.com.mx>",
            in_reply_to=ack["msg"]["Message-ID"],
        )
    )
    wait_until(lambda: len(subjects(smtp_sink, ANA, "El cliente respondió")) > before, 30, what="the engineer's notice")


def test_the_clients_later_mail_nobody_answers_is_escalated_after_a_weekend_and_a_holiday(desk, dovecot, smtp_sink):
    settings, clock = desk(mx(12, 24, 9))
    open_report(dovecot, smtp_sink)
    clock.set(mx(12, 24, 10))
    engineer_answers(dovecot, smtp_sink, "#severidad grave\n\nJuan, envíenos el registro del agente.", 1)
    clock.set(mx(12, 24, 17))
    client_answers(dovecot, smtp_sink, "Adjunto el registro; sigue sin actualizar.", 2)
    # GRAVE, 4 business hours from Thursday 17:00: Friday the 25th and the weekend do not count.
    assert ticket(settings, "IMG-000001")["clock"]["due"] == "2026-12-28T18:00:00+00:00"
    clock.set(mx(12, 28, 12, 1))
    [esc] = wait_until(lambda: subjects(smtp_sink, MANAGER, "ESCALAMIENTO"), 30, what="the escalation")
    text = esc["msg"].get_content()
    assert "volvió a escribir" in text and "Adjunto el registro; sigue sin actualizar." in text
    shown = ticket(settings, "IMG-000001")
    assert [e["data"]["reason"] for e in shown["events"] if e["kind"] == "escalated"] == ["sla_breach"]
    assert [c["first"] for c in shown["clocks"]] == [True, False] and shown["clocks"][0]["late"] is False
    assert len(subjects(smtp_sink, MANAGER, "ESCALAMIENTO")) == 1


def test_waiting_on_the_client_is_never_escalated_reminds_resolves_and_the_reply_hands_the_turn_back(
    desk, dovecot, smtp_sink
):
    settings, clock = desk(mx(12, 18, 10))
    open_report(dovecot, smtp_sink)
    clock.set(mx(12, 18, 12))
    engineer_answers(dovecot, smtp_sink, "#estado esperando-cliente\n\nJuan, envíenos el registro del agente.", 1)
    # Far past every attention deadline, two business days into the wait: the reminder, no escalation.
    clock.set(mx(12, 22, 15))
    [reminder] = wait_until(lambda: subjects(smtp_sink, CLIENT, "en espera de su respuesta"), 30, what="reminder")
    assert "envíenos el registro del agente" in reminder["msg"].get_content()
    app = build_app(settings)
    try:
        with app.sessions() as s:
            # Escalations are looked at before reminders in the same tick: none was made.
            assert s.scalars(select(Escalation)).all() == []
    finally:
        app.close()
    # Five business days into the wait (Friday the 25th off), and never sooner than three after the
    # reminder of Tuesday 15:00: Monday 28, 15:00. Resolved, with how to reopen it.
    clock.set(mx(12, 28, 15, 1))
    [resolved] = wait_until(lambda: subjects(smtp_sink, CLIENT, "falta de respuesta"), 30, what="the resolution")
    assert "responder a este correo" in resolved["msg"].get_content()
    assert ticket(settings, "IMG-000001")["status"] == "resolved"
    assert subjects(smtp_sink, MANAGER, "ESCALAMIENTO") == []
    # The client's answer hands the turn back: reopened, and a clock runs for the desk.
    clock.set(mx(12, 29, 10))
    client_answers(dovecot, smtp_sink, "Perdón por la demora, aquí está el registro.", 2)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "in_progress" and shown["turn"] == "desk"
    assert shown["clock"]["message_id"] == "<cli2@cliente.com.mx>"


def test_a_vendor_case_waits_on_the_vendor_and_its_reply_hands_the_turn_back(desk, dovecot, smtp_sink):
    settings, clock = desk(mx(7, 6, 10))
    open_report(dovecot, smtp_sink)
    clock.set(mx(7, 6, 11))
    engineer_answers(dovecot, smtp_sink, "#escalar withsecure\n\nJuan, lo escalamos con WithSecure.", 1)
    [case] = wait_until(lambda: smtp_sink.to(WITHSECURE), 30, what="the vendor case")
    assert ticket(settings, "IMG-000001")["status"] == "waiting_vendor"
    clock.set(mx(7, 7, 11))
    dovecot.append(
        make_mail(
            sender=f"WithSecure Support <{WITHSECURE}>",
            subject="RE: " + str(case["msg"]["Subject"]),
            body="Please send us the FSDIAG file.",
            message_id="<ws-1@withsecure.com>",
            in_reply_to=case["msg"]["Message-ID"],
        )
    )
    wait_until(lambda: subjects(smtp_sink, ANA, "El fabricante respondió"), 30, what="the vendor's answer notice")
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "in_progress" and shown["turn"] == "desk"
    assert shown["durations"]["vendor"] == 9 * 3600  # Monday 11-18, Tuesday 9-11
    assert shown["clock"]["message_id"] == "<ws-1@withsecure.com>"
