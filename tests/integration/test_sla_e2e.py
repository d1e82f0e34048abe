"""The SLA jobs in the running daemon: real Dovecot, the SMTP sink, targets of seconds, a 24x7 calendar.

No sleeps: every wait is for a mail in the sink or a row in the database, with a deadline.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Ticket
from mailbot.jobs.scheduler import Scheduler, TickReport
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.db import ticket
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import Running, cli
from tests.support.servers import wait_until

pytestmark = pytest.mark.servers

WITHSECURE = "support@withsecure.com"


def short_targets(target="2s"):
    return dict(
        sla={
            "check_interval": "1s",
            "manager_response": "2s",
            "attention": {"critica": target, "grave": target, "leve": target},
        },
        calendar={"always_open": True},
        outbox={"interval": "1s"},
    )


def answered(app, number):
    with app.sessions() as s:
        return s.scalar(select(Ticket.first_response_at).where(Ticket.number == number))


def subjects(sink, address, word):
    return [m for m in sink.to(address) if word in str(m["msg"]["Subject"])]


def test_unanswered_ticket_escalates_once_then_the_manager_is_reminded(make_settings, dovecot, smtp_sink):
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), **short_targets())
    with Running(settings) as daemon:
        wait_until(lambda: daemon.imap.stats.connected, 15, what="IMAP session")
        dovecot.append(
            make_mail(
                subject="URGENTE: caida del firewall",
                message_id="<e2e-1@cliente.com.mx>",
                body="Toda la empresa esta sin internet.",
            )
        )
        [reminder] = wait_until(lambda: subjects(smtp_sink, MANAGER, "RECORDATORIO"), 30, what="the manager reminder")
        # The reminder comes after the escalation, and only one escalation went out.
        escalations = subjects(smtp_sink, MANAGER, "ESCALAMIENTO")
        assert len(escalations) == 1
    [esc] = escalations
    assert str(esc["msg"]["Subject"]).strip().startswith("[IMAGEN TI #IMG-000001] ESCALAMIENTO")
    assert "venció su tiempo de atención" in esc["msg"].get_content()
    assert "Toda la empresa esta sin internet." in esc["msg"].get_content()
    assert reminder["msg"]["In-Reply-To"] == esc["msg"]["Message-ID"]
    assert reminder["to"] == [MANAGER] and esc["to"] == [MANAGER]
    assert len(subjects(smtp_sink, MANAGER, "ESCALAMIENTO")) == 1

    shown = ticket(settings, "IMG-000001")
    assert shown["escalation_level"] == 2
    assert [e["data"]["target"] for e in shown["events"] if e["kind"] == "escalated"] == ["manager"]
    assert [e["data"]["target"] for e in shown["events"] if e["kind"] == "reminder"] == ["manager"]


def test_ticket_answered_in_time_never_escalates(make_settings, dovecot, smtp_sink):
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), **short_targets("3s"))
    # The client's mail and the engineer's answer wait in the mailbox together: read in one go.
    dovecot.append(make_mail(subject="Consulta de licencias", message_id="<e2e-a@cliente.com.mx>"))
    dovecot.append(
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            subject="Re: [IMAGEN TI #IMG-000001] Consulta",
            body="Con gusto, le envío la información.",
            message_id="<e2e-a1@imagenti.mx>",
            headers=team_headers(),
        )
    )
    with Running(settings) as daemon:
        wait_until(lambda: answered(daemon.app, "IMG-000001"), 30, what="the engineer's answer")
        # A second ticket, received later and never answered: when its escalation arrives, the first
        # ticket's (earlier) deadline has passed too, and the ticks that escalated it saw both.
        dovecot.append(make_mail(subject="Otra consulta", message_id="<e2e-b@cliente.com.mx>"))
        wait_until(lambda: subjects(smtp_sink, MANAGER, "ESCALAMIENTO"), 30, what="the second ticket's escalation")
        assert daemon.imap.stats.connected
    escalations = subjects(smtp_sink, MANAGER, "ESCALAMIENTO")
    assert [str(m["msg"]["X-Mailbot-Ticket"]) for m in escalations] == ["IMG-000002"]
    first = ticket(settings, "IMG-000001")
    assert first["escalation_level"] == 1 and first["status"] == "in_progress"
    assert "escalated" not in [e["kind"] for e in first["events"]]
    # The client got the engineer's answer.
    assert subjects(smtp_sink, CLIENT, "IMG-000001")


def test_vendor_case_reaches_the_vendor_and_its_reply_threads_back(make_settings, dovecot, smtp_sink):
    settings = make_settings(
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        sla={"check_interval": "1s"},
        outbox={"interval": "1s"},
    )
    with Running(settings) as daemon:
        wait_until(lambda: daemon.imap.stats.connected, 15, what="IMAP session")
        dovecot.append(
            make_mail(
                subject="WithSecure Elements no actualiza firmas",
                message_id="<e2e-v@cliente.com.mx>",
                body="Desde ayer los equipos marcan firmas vencidas.",
            )
        )
        wait_until(lambda: smtp_sink.to(CLIENT), 30, what="the acknowledgement")
        # Ops escalate from the shell while the daemon runs.
        out = cli("tickets", "escalate", "IMG-000001", "--vendor", "withsecure", config=settings.source)
        assert b"queued vendor_case to support@withsecure.com" in out.stdout
        [case] = wait_until(lambda: smtp_sink.to(WITHSECURE), 30, what="the vendor case mail")
        msg = case["msg"]
        subject = str(msg["Subject"]).strip()
        assert subject == "[IMAGEN TI #IMG-000001] Support case: WithSecure Elements no actualiza firmas"
        body = msg.get_content()
        assert "Hello WithSecure support team," in body and "Our reference:  IMG-000001" in body
        assert "Product:        withsecure" in body and "Desde ayer los equipos marcan firmas vencidas." in body

        dovecot.append(
            make_mail(
                sender=f"WithSecure Support <{WITHSECURE}>",
                subject="RE: " + subject,
                body="Please send us the fsdiag file.",
                message_id="<ws-4711@withsecure.com>",
                in_reply_to=msg["Message-ID"],
            )
        )
        notices = wait_until(
            lambda: subjects(smtp_sink, ENGINEERS[0], "El fabricante respondió"),
            30,
            what="the engineers' notice of the vendor's answer",
        )
    assert "Please send us the fsdiag file." in notices[0]["msg"].get_content()
    shown = ticket(settings, "IMG-000001")
    assert shown["escalation_level"] == 3
    [vendor_msg] = [m for m in shown["messages"] if m["message_id"] == "<ws-4711@withsecure.com>"]
    assert vendor_msg["kind"] == "vendor" and vendor_msg["direction"] == "in"
    [answered] = [e for e in shown["events"] if e["kind"] == "escalation_answered"]
    assert answered["data"]["target"] == "withsecure"


def test_the_scheduler_keeps_ticking_after_a_failed_tick(make_settings, monkeypatch, caplog):
    settings = make_settings(**short_targets())
    app = build_app(settings)
    calls = []

    def flaky(app_, now=None):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return TickReport()

    monkeypatch.setattr("mailbot.jobs.scheduler.sla_tick", flaky)
    sched = Scheduler(lambda: app)
    sched.start()
    try:
        wait_until(lambda: len(calls) >= 2, 15, what="a second tick after the failed one")
    finally:
        sched.shutdown()
        app.close()
    [failure] = [r for r in caplog.records if r.name == "mailbot.scheduler" and r.levelname == "ERROR"]
    assert "retrying at the next tick" in failure.getMessage() and "database went away" in failure.exc_text


def test_a_reload_changing_the_check_interval_reschedules_the_tick(make_settings, monkeypatch):
    from types import SimpleNamespace

    calls = []
    monkeypatch.setattr("mailbot.jobs.scheduler.sla_tick", lambda app, now=None: calls.append(app) or TickReport())
    fast = SimpleNamespace(settings=make_settings(sla={"check_interval": "1s"}))
    slow = SimpleNamespace(
        settings=fast.settings.model_copy(
            update={"sla": fast.settings.sla.model_copy(update={"check_interval": timedelta(hours=1)})}
        )
    )
    current = [fast]
    sched = Scheduler(lambda: current[0])
    sched.start()
    try:
        wait_until(lambda: calls, 15, what="the first tick")
        current[0] = slow  # what Daemon.reload does
        wait_until(lambda: slow in calls, 15, what="a tick with the reloaded settings")
        assert sched.scheduler.get_job("sla").trigger.interval == timedelta(hours=1)
    finally:
        sched.shutdown()
