"""The SLA jobs with a hand-moved clock, on SQLite and PostgreSQL.

Every test drives ``Pipeline.process`` and ``sla_tick(app, now)`` directly:
no daemon, no sleeps, the clock is whatever the test says it is. The default
business calendar applies (Mon–Fri 09:00–18:00, America/Mexico_City,
CRÍTICA 2 h, GRAVE 4 h, LEVE 24 h, manager window 30 min).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.app import build_app
from mailbot.config import TeamSection
from mailbot.db.models import MessageRow, utcnow
from mailbot.jobs.scheduler import sla_tick
from mailbot.outbound.templates import Templates
from mailbot.resources import shipped
from tests.support.config import ENGINEERS, MANAGER
from tests.support.desk import MX, ClockDesk, engineer_reply
from tests.support.mail import CLIENT, CRITICAL_BODY, critical_mail, make_mail, team_headers
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers

UTC = UTC
WITHSECURE = "support@withsecure.com"
SAFETICA = "support@esetla.com"

# A Monday in July 2026: an ordinary business day (Mexico City keeps UTC-6 all year).
MONDAY = datetime(2026, 7, 6, tzinfo=MX)


def mx(day: datetime, hh: int, mm: int = 0) -> datetime:
    return day.replace(hour=hh, minute=mm)


@pytest.fixture
def desk(make_settings, db_url):
    desks = []

    def make(start: datetime | None = None, **sections) -> ClockDesk:
        start = start or mx(MONDAY, 10)
        d = ClockDesk(make_settings(db_url=db_url, **sections), start)
        desks.append(d)
        return d

    yield make
    for d in desks:
        d.close()


@pytest.fixture
def mailbot(monkeypatch):
    """``mailbot ARGS`` in this process (the CLI's own logging setup left out)."""
    invoke = in_process_cli(monkeypatch)

    def run(settings, *args):
        return invoke("--config", settings.source, *args, catch_exceptions=False)

    return run


def show_json(mailbot, settings, number) -> dict:
    result = mailbot(settings, "tickets", "show", number, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def kinds(shown: dict) -> list[str]:
    return [e["kind"] for e in shown["events"]]


# -- escalation to the manager ----------------------------------------------------------------


def test_breached_ticket_escalates_exactly_once_then_one_manager_reminder(desk, mailbot):
    d = desk()
    d.mail(critical_mail())
    shown = d.ticket("IMG-000001")
    assert shown["severity"] == "critica"
    # CRÍTICA: 2 business hours from the reception at 10:00.
    assert datetime.fromisoformat(shown["sla"]["attention_due"]) == mx(MONDAY, 12)

    assert d.tick(mx(MONDAY, 11, 59)).escalated == []
    report = d.tick(mx(MONDAY, 12))
    assert report.escalated == ["IMG-000001"] and report.failed == []
    for minute in (1, 10, 29):
        assert d.tick(mx(MONDAY, 12, minute)).mails == 0

    [esc] = d.out("escalation")
    assert esc.to_addrs == [MANAGER]
    msg = d.queued(esc)
    assert str(msg["Subject"]).strip().startswith("[IMAGEN TI #IMG-000001] ESCALAMIENTO CRÍTICA:")
    body = msg.get_content()
    assert "venció su tiempo de atención sin respuesta de un ingeniero" in body
    assert f"<{CLIENT}>" in body and CRITICAL_BODY in body
    assert "lunes 6 de julio de 2026, 12:00" in body  # the missed deadline
    assert "lunes 6 de julio de 2026, 12:30" in body  # the manager's own: 30 business minutes
    assert d.escalations() == [("IMG-000001", "manager", 2, "sla_breach", False, False)]

    # The manager's window passes with no reply from the manager: one reminder, in the escalation's thread.
    report = d.tick(mx(MONDAY, 12, 30))
    assert report.manager_reminders == ["IMG-000001"] and report.escalated == []
    for when in (mx(MONDAY, 12, 31), mx(MONDAY, 17), mx(MONDAY + timedelta(days=1), 10)):
        assert d.tick(when).mails == 0
    [reminder] = d.out("manager_reminder")
    assert reminder.to_addrs == [MANAGER] and reminder.in_reply_to == esc.message_id
    assert "RECORDATORIO" in reminder.subject and "IMG-000001" in reminder.subject
    assert len(d.out("escalation")) == 1
    assert d.escalations() == [("IMG-000001", "manager", 2, "sla_breach", True, False)]

    shown = show_json(mailbot, d.settings, "IMG-000001")
    assert shown["escalation_level"] == 2 and shown["status"] == "new"
    [escalated] = [e for e in shown["events"] if e["kind"] == "escalated"]
    assert escalated["data"]["target"] == "manager" and escalated["data"]["reason"] == "sla_breach"
    assert [e["data"]["target"] for e in shown["events"] if e["kind"] == "reminder"] == ["manager"]
    assert [m["kind"] for m in shown["messages"]] == ["client", "ack", "notice", "escalation", "manager_reminder"]


def test_the_manager_window_counts_business_time_over_a_weekend(desk):
    friday = MONDAY - timedelta(days=3)
    d = desk(mx(friday, 15, 45))
    d.mail(critical_mail())
    assert d.tick(mx(friday, 17, 45)).escalated == ["IMG-000001"]
    [esc] = d.out("escalation")
    assert "lunes 6 de julio de 2026, 09:15" in esc.body_text  # the manager's 30 minutes: Monday 09:15
    for when in (mx(friday, 18, 30), mx(friday + timedelta(days=1), 12), mx(MONDAY, 9, 14)):
        assert d.tick(when).mails == 0
    assert d.tick(mx(MONDAY, 9, 15)).manager_reminders == ["IMG-000001"]


def test_the_escalation_says_how_late_in_words(desk):
    d = desk()
    d.mail(critical_mail(1))
    d.at(mx(MONDAY, 10, 5)).mail(critical_mail(2))
    d.tick(mx(MONDAY, 12, 0).replace(second=30))
    d.tick(mx(MONDAY + timedelta(days=1), 14, 10))
    first, second = d.out("escalation")
    assert "  Retraso:          1 minuto\n" in first.body_text
    assert "  Retraso:          1 día 2 horas 5 minutos\n" in second.body_text
    assert [e["data"]["late"] for e in d.ticket("IMG-000002")["events"] if e["kind"] == "escalated"] == [
        "1 día 2 horas 5 minutos"
    ]


def test_manager_reply_in_the_thread_stops_the_reminder(desk):
    d = desk()
    d.mail(critical_mail())
    d.tick(mx(MONDAY, 12, 5))
    [esc] = d.out("escalation")
    d.at(mx(MONDAY, 12, 20)).mail(
        make_mail(
            sender=f"Francisco Martínez <{MANAGER}>",
            subject="Re: " + esc.subject,
            body="Ya lo atiendo yo.",
            message_id="<mgr1@imagenti.mx>",
            in_reply_to=esc.message_id,
            headers=team_headers(),
        )
    )
    assert d.escalations() == [("IMG-000001", "manager", 2, "sla_breach", False, True)]
    for when in (mx(MONDAY, 12, 35), mx(MONDAY, 17, 59), mx(MONDAY + timedelta(days=2), 10)):
        assert d.tick(when).mails == 0
    assert d.out("manager_reminder") == []
    shown = d.ticket("IMG-000001")
    assert "escalation_answered" in kinds(shown)
    # The manager's words reached the client.
    [relay] = d.out("relay")
    assert relay.to_addrs == [CLIENT] and "Ya lo atiendo yo." in relay.body_text


def test_unauthenticated_manager_reply_does_not_stop_the_reminder(desk):
    d = desk()
    d.mail(critical_mail())
    d.tick(mx(MONDAY, 12, 5))
    [esc] = d.out("escalation")
    # No Authentication-Results from our MTA (or one from somebody else's): anybody could have written it.
    d.at(mx(MONDAY, 12, 20)).mail(
        make_mail(
            sender=f"Francisco Martínez <{MANAGER}>",
            subject="Re: " + esc.subject,
            body="Ya lo atiendo yo.",
            message_id="<mgr-spoof@imagenti.mx>",
            in_reply_to=esc.message_id,
            headers={"Authentication-Results": "mx.example.net; dkim=pass header.d=imagenti.mx"},
        )
    )
    assert d.escalations() == [("IMG-000001", "manager", 2, "sla_breach", False, False)]
    assert d.tick(mx(MONDAY, 12, 35)).manager_reminders == ["IMG-000001"]
    assert d.out("relay") == []


def test_ticket_answered_in_time_never_escalates(desk):
    d = desk()
    d.mail(critical_mail())
    d.at(mx(MONDAY, 11, 30)).mail(engineer_reply(d, "IMG-000001", "Estamos revisando el firewall."))
    shown = d.ticket("IMG-000001")
    assert datetime.fromisoformat(shown["first_response_at"]) == mx(MONDAY, 11, 30)
    assert shown["status"] == "in_progress"
    for when in (mx(MONDAY, 12), mx(MONDAY, 12, 1), mx(MONDAY, 18), mx(MONDAY + timedelta(days=7), 12)):
        assert d.tick(when).mails == 0
    assert d.out("escalation") == [] and d.escalations() == []
    [first] = [e for e in shown["events"] if e["kind"] == "first_response"]
    assert first["data"]["late"] is False


def test_severity_change_recomputes_the_deadline_from_the_reception(desk):
    d = desk()
    d.mail(
        make_mail(
            subject="Duda sobre la consola",
            body="¿Dónde se ve el inventario de equipos?",
            message_id="<leve@cliente.com.mx>",
        )
    )
    shown = d.ticket("IMG-000001")
    assert shown["severity"] == "leve"
    # LEVE: 24 business hours from Monday 10:00: Mon 8 h, Tue 9 h, Wed 7 h.
    assert datetime.fromisoformat(shown["sla"]["attention_due"]) == mx(MONDAY + timedelta(days=2), 16)
    assert d.tick(mx(MONDAY, 11)).mails == 0

    # At 11:30 an engineer raises it to CRÍTICA, with a command only (no answer to the client yet).
    d.at(mx(MONDAY, 11, 30)).mail(engineer_reply(d, "IMG-000001", "#severidad crítica"))
    shown = d.ticket("IMG-000001")
    assert shown["severity"] == "critica" and shown["first_response_at"] is None
    # Two business hours from the reception (12:00), not from the change (13:30).
    assert datetime.fromisoformat(shown["sla"]["attention_due"]) == mx(MONDAY, 12)
    [change] = [e for e in shown["events"] if e["kind"] == "severity"]
    assert change["data"]["old"] == "leve" and change["data"]["new"] == "critica"
    assert datetime.fromisoformat(change["data"]["attention_due_old"]) == mx(MONDAY + timedelta(days=2), 16)

    assert d.tick(mx(MONDAY, 11, 59)).mails == 0
    assert d.tick(mx(MONDAY, 12)).escalated == ["IMG-000001"]
    assert d.tick(mx(MONDAY, 12, 10)).escalated == []
    assert len(d.out("escalation")) == 1


def test_client_asking_to_escalate_escalates_at_once_and_once(desk):
    d = desk()
    d.mail(critical_mail())
    [ack] = d.out("ack")
    d.at(mx(MONDAY, 10, 15)).mail(
        make_mail(
            subject="Re: " + ack.subject,
            body="Esto es muy grave, por favor escalen con su GERENTE.",
            message_id="<c1-2@cliente.com.mx>",
            in_reply_to=ack.message_id,
        )
    )
    # At once: before any deadline and without a tick.
    [esc] = d.out("escalation")
    assert esc.to_addrs == [MANAGER]
    assert "El cliente pidió escalar el ticket IMG-000001" in esc.body_text
    assert d.escalations() == [("IMG-000001", "manager", 2, "client_request", False, False)]
    [notice] = d.out("update_notice")
    assert "se envió al gerente de soporte" in notice.body_text

    # Asking again, and the attention deadline passing, send nothing more to the manager.
    d.at(mx(MONDAY, 10, 20)).mail(
        make_mail(
            subject="Re: " + ack.subject,
            body="¿Ya lo pueden escalar?",
            message_id="<c1-3@cliente.com.mx>",
            in_reply_to=ack.message_id,
        )
    )
    # The manager's window counts from the request: 10:45.
    assert d.tick(mx(MONDAY, 10, 44)).mails == 0
    assert d.tick(mx(MONDAY, 10, 45)).manager_reminders == ["IMG-000001"]
    assert d.tick(mx(MONDAY, 12, 1)).mails == 0
    assert len(d.out("escalation")) == 1 and len(d.out("manager_reminder")) == 1
    shown = d.ticket("IMG-000001")
    assert kinds(shown).count("escalated") == 1 and kinds(shown).count("client_asked_escalation") == 1


def test_words_inside_other_words_do_not_escalate(desk):
    d = desk()
    d.mail(critical_mail())
    [ack] = d.out("ack")
    d.at(mx(MONDAY, 10, 15)).mail(
        make_mail(
            subject="Re: " + ack.subject,
            body="Ya hablé con la gerentecita de compras y con el escalarista.",
            message_id="<c1-2@cliente.com.mx>",
            in_reply_to=ack.message_id,
        )
    )
    assert d.out("escalation") == []


def test_without_a_manager_breaches_wait_for_one_and_write_nothing_meanwhile(make_settings, db_url):
    settings = make_settings(db_url=db_url)
    d = ClockDesk(settings.model_copy(update={"team": TeamSection(engineers=ENGINEERS)}), mx(MONDAY, 10))
    later = None
    try:
        d.mail(critical_mail())
        before = len(d.ticket("IMG-000001")["events"])
        for minute in (1, 2, 3):
            assert d.tick(mx(MONDAY, 12, minute)).mails == 0
        assert d.out("escalation") == [] and len(d.ticket("IMG-000001")["events"]) == before
        # A manager is configured (a reload): the breached ticket escalates at the next tick.
        later = ClockDesk(settings, mx(MONDAY, 12, 10))
        assert later.tick().escalated == ["IMG-000001"]
    finally:
        d.close()
        if later is not None:
            later.close()


def test_resolved_ticket_is_closed_once_when_the_reopen_window_passes(desk):
    d = desk(tickets={"reopen_window": "2d"})
    d.mail(critical_mail())
    d.at(mx(MONDAY, 11)).mail(engineer_reply(d, "IMG-000001", "#estado resuelto\nQuedó resuelto."))
    assert d.ticket("IMG-000001")["status"] == "resolved"
    assert d.tick(mx(MONDAY + timedelta(days=2), 10, 59)).closed == []
    assert d.tick(mx(MONDAY + timedelta(days=2), 11)).closed == ["IMG-000001"]
    assert d.tick(mx(MONDAY + timedelta(days=3), 11)).mails == 0
    [closure] = d.out("closure")
    assert closure.to_addrs == [CLIENT]
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "closed" and kinds(shown).count("closed") == 1


# -- jobs that fail ---------------------------------------------------------------------------


@pytest.fixture
def broken_templates(tmp_path):
    """A copy of the shipped templates; ``break_(name)`` makes one raise for subjects saying ROMPER."""
    folder = tmp_path / "templates"
    shutil.copytree(shipped("templates"), folder)

    def break_(name):
        path = folder / name
        subject, _, body = path.read_text().partition("\n\n")
        path.write_text(subject + "\n\n{% if 'ROMPER' in ticket.subject %}{{ no_such_value }}{% endif %}" + body)

    return folder, break_


def test_a_failing_escalation_is_logged_retried_and_blocks_no_other_ticket(desk, broken_templates, caplog):
    folder, break_ = broken_templates
    break_("escalation.txt")
    d = desk(mailbot={"templates_dir": str(folder)})
    d.mail(critical_mail(1, subject="URGENTE ROMPER: caida del firewall"))
    d.mail(critical_mail(2))
    caplog.set_level(logging.ERROR, "mailbot.scheduler")

    report = d.tick(mx(MONDAY, 12, 1))
    assert report.escalated == ["IMG-000002"] and report.failed == ["IMG-000001"]
    [line] = [r for r in caplog.records if "IMG-000001" in r.getMessage()]
    assert "retried at the next tick" in line.getMessage() and "no_such_value" in line.getMessage()
    # Nothing half-done was kept for the ticket that failed.
    assert d.escalations() == [("IMG-000002", "manager", 2, "sla_breach", False, False)]
    assert d.ticket("IMG-000001")["escalation_level"] == 1

    # Still broken at the next tick: tried again, and the other ticket is not mailed twice.
    report = d.tick(mx(MONDAY, 12, 2))
    assert report.failed == ["IMG-000001"] and report.escalated == []

    # Ops fix the template (a reload): the next tick escalates it, once.
    (folder / "escalation.txt").write_text((shipped("templates") / "escalation.txt").read_text())
    d.app.templates = Templates(folder)
    assert d.tick(mx(MONDAY, 12, 3)).escalated == ["IMG-000001"]
    assert d.tick(mx(MONDAY, 12, 4)).mails == 0
    assert sorted(e.ticket_id for e in d.out("escalation")) == [1, 2]


def test_a_failing_vendor_reminder_is_retried_at_the_next_tick(desk, broken_templates, mailbot):
    folder, break_ = broken_templates
    break_("vendor_reminder.en.txt")
    start = utcnow().replace(microsecond=0)
    d = desk(start, mailbot={"templates_dir": str(folder)})
    d.mail(critical_mail(1, subject="URGENTE ROMPER: WithSecure no actualiza"))
    d.at(start + timedelta(minutes=5)).mail(engineer_reply(d, "IMG-000001", "Revisando."))
    assert mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure").exit_code == 0

    report = d.tick(utcnow() + timedelta(hours=25))
    assert report.failed == ["IMG-000001"] and report.vendor_reminders == []
    # The failed reminder was not marked as sent.
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "cli", False, False)]
    assert d.out("vendor_reminder") == [] and d.out("vendor_overdue") == []

    (folder / "vendor_reminder.en.txt").write_text((shipped("templates") / "vendor_reminder.en.txt").read_text())
    d.app.templates = Templates(folder)
    assert d.tick(d.now + timedelta(minutes=1)).vendor_reminders == ["IMG-000001"]
    assert len(d.out("vendor_reminder")) == 1 and len(d.out("vendor_overdue")) == 1


# -- vendor cases -----------------------------------------------------------------------------


@pytest.fixture
def vendor_desk(desk):
    """A desk on the real clock (the CLI runs on it): a WithSecure ticket already answered by an engineer."""

    def make(subject="WithSecure Elements: el agente no actualiza firmas", body=None, **sections):
        start = utcnow().replace(microsecond=0) - timedelta(minutes=10)
        d = desk(start, **sections)
        d.mail(
            make_mail(
                subject=subject,
                body=body or "Desde ayer los equipos marcan firmas vencidas.",
                message_id="<v1@cliente.com.mx>",
            )
        )
        d.at(start + timedelta(minutes=5)).mail(
            engineer_reply(
                d,
                "IMG-000001",
                "Reinstalé el agente en dos equipos, sin cambio.\n#nota el cliente debe tres facturas, no decirle",
            )
        )
        return d

    return make


def test_cli_vendor_case_uses_the_english_template_and_a_second_is_refused(vendor_desk, mailbot):
    d = vendor_desk()
    result = mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure")
    assert result.exit_code == 0, result.output
    # The move is the vendor's now (--keep-status would leave it in progress).
    assert "IMG-000001: waiting_vendor, escalation level 3" in result.stdout
    assert f"queued vendor_case to {WITHSECURE}" in result.stdout

    [case] = d.out("vendor_case")
    assert case.to_addrs == [WITHSECURE]
    msg = d.queued(case)
    assert (
        str(msg["Subject"]).strip() == "[IMAGEN TI #IMG-000001] Support case: "
        "WithSecure Elements: el agente no actualiza firmas"
    )
    body = msg.get_content()
    assert "Hello WithSecure support team," in body
    assert "Our reference:  IMG-000001" in body
    assert "Product:        withsecure" in body
    assert "Severity:       " in body
    assert "Desde ayer los equipos marcan firmas vencidas." in body  # the problem, as the client wrote it
    assert "Reinstalé el agente en dos equipos, sin cambio." in body  # the diagnosis so far
    assert "facturas" not in body  # an earlier internal note stays internal
    assert "cliente.com.mx" in body
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "cli", False, False)]

    again = mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure")
    assert again.exit_code == 65  # a change the ticket refuses
    assert again.stderr.startswith("error: IMG-000001 already has a case with withsecure, opened ")
    assert len(d.out("vendor_case")) == 1 and len(d.escalations()) == 1

    unknown = mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "kaspersky")
    assert unknown.exit_code == 64 and "'kaspersky' is not a configured vendor" in unknown.stderr
    missing = mailbot(d.settings, "tickets", "escalate", "IMG-000099", "--vendor", "withsecure")
    assert missing.exit_code == 65 and "no ticket IMG-000099" in missing.stderr


def test_cli_vendor_case_for_safetica_uses_the_spanish_template(vendor_desk, mailbot):
    d = vendor_desk(subject="Safetica no bloquea USB", body="La política de USB de Safetica no se aplica.")
    result = mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "safetica", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["escalation_level"] == 3
    [case] = d.out("vendor_case")
    assert case.to_addrs == [SAFETICA]
    assert case.subject == "[IMAGEN TI #IMG-000001] Caso de soporte: Safetica no bloquea USB"
    body = d.queued(case).get_body(("plain",)).get_content()
    assert "Estimado equipo de soporte de Safetica (ESET Latinoamérica):" in body
    assert "Nuestra referencia: IMG-000001" in body and "Producto:           safetica" in body
    assert "La política de USB de Safetica no se aplica." in body
    assert "Hello" not in body


def test_vendor_case_lists_the_clients_attachments_and_the_escalar_command_note(vendor_desk):
    d = vendor_desk()
    [ack] = d.out("ack")
    d.mail(
        make_mail(
            sender=CLIENT,
            subject="Re: " + ack.subject,
            body="Les mando el diagnóstico.",
            message_id="<v2@cliente.com.mx>",
            in_reply_to=ack.message_id,
            date=False,
            attachments=[("fsdiag.zip", b"PK\x03\x04", "application/zip")],
        )
    )
    [notice] = d.out("notice")
    d.mail(
        make_mail(
            sender=ENGINEERS[1],
            subject="Re: " + notice.subject,
            message_id="<team-esc@imagenti.mx>",
            in_reply_to=notice.message_id,
            headers=team_headers(),
            body="#escalar WithSecure\n#nota El fsdiag muestra la base de firmas corrupta.",
        )
    )
    [case] = d.out("vendor_case")
    msg = d.queued(case)
    body = msg.get_body(("plain",)).get_content()
    assert "  - fsdiag.zip" in body
    # The client's file travels with the case, byte for byte.
    [attached] = list(msg.iter_attachments())
    assert attached.get_filename() == "fsdiag.zip" and attached.get_content() == b"PK\x03\x04"
    # The diagnosis so far: the earlier note and the one written with the command.
    assert "Reinstalé el agente en dos equipos, sin cambio." in body
    assert "El fsdiag muestra la base de firmas corrupta." in body
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "command", False, False)]

    # Asked again in the thread: refused with an error mail, nothing sent to the vendor.
    d.mail(
        make_mail(
            sender=ENGINEERS[1],
            subject="Re: " + notice.subject,
            message_id="<team-esc2@imagenti.mx>",
            in_reply_to=notice.message_id,
            headers=team_headers(),
            body="#escalar withsecure",
        )
    )
    assert len(d.out("vendor_case")) == 1
    [error] = d.out("command_error")
    assert error.to_addrs == [ENGINEERS[1]] and "ya existe un caso abierto con withsecure" in error.body_text


def _vendor_reply(case: MessageRow, sender=WITHSECURE) -> bytes:
    return make_mail(
        sender=f"WithSecure Support <{sender}>",
        subject="RE: " + case.subject,
        body="Please send us the fsdiag file of one affected computer.",
        message_id="<case-4711@withsecure.com>",
        in_reply_to=case.message_id,
    )


def test_vendor_reply_threads_back_and_stops_the_vendor_clock(vendor_desk, mailbot):
    d = vendor_desk()
    assert mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure").exit_code == 0
    [case] = d.out("vendor_case")

    outcome = d.at(utcnow() + timedelta(hours=2)).mail(_vendor_reply(case))
    assert outcome.action == "appended" and outcome.ticket == "IMG-000001"
    shown = d.ticket("IMG-000001")
    [inbound] = [m for m in shown["messages"] if m["message_id"] == "<case-4711@withsecure.com>"]
    assert inbound["kind"] == "vendor"
    [threaded] = [e for e in shown["events"] if e["kind"] == "message" and e["actor"] == WITHSECURE]
    assert threaded["data"]["threaded_by"] == "reference"
    [answered] = [e for e in shown["events"] if e["kind"] == "escalation_answered"]
    assert answered["data"]["target"] == "withsecure" and answered["data"]["late"] is False
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "cli", False, True)]
    # The engineers hear about it.
    [notice] = d.out("update_notice")
    assert sorted(notice.to_addrs) == sorted(ENGINEERS) and "El fabricante" in notice.subject

    # The vendor's answer hands the turn back to the desk, and a clock runs for the desk's next step.
    assert shown["status"] == "in_progress" and shown["clock"] is not None
    for hours in (25, 48, 200):
        assert d.tick(utcnow() + timedelta(hours=hours)).vendor_reminders == []
    assert d.out("vendor_reminder") == [] and d.out("vendor_overdue") == []


def test_vendor_automatic_acknowledgement_does_not_stop_the_vendor_clock(vendor_desk, mailbot):
    d = vendor_desk()
    assert mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure").exit_code == 0
    [case] = d.out("vendor_case")
    auto = make_mail(
        sender=f"WithSecure Support <{WITHSECURE}>",
        subject="Case 4711 created: " + case.subject,
        body="Thank you, your case has been created.",
        message_id="<auto-4711@withsecure.com>",
        in_reply_to=case.message_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert d.at(utcnow() + timedelta(minutes=1)).mail(auto).ticket == "IMG-000001"
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "cli", False, False)]
    assert d.tick(utcnow() + timedelta(hours=24, minutes=1)).vendor_reminders == ["IMG-000001"]


def test_vendor_without_reply_gets_one_reminder_and_engineers_one_notice(vendor_desk, mailbot):
    d = vendor_desk()
    assert mailbot(d.settings, "tickets", "escalate", "IMG-000001", "--vendor", "withsecure").exit_code == 0
    [case] = d.out("vendor_case")
    opened = d.escalations()
    assert d.tick(utcnow() + timedelta(hours=23)).mails == 0  # 24 calendar hours by default

    report = d.tick(utcnow() + timedelta(hours=24, minutes=1))
    assert report.vendor_reminders == ["IMG-000001"]
    for hours in (25, 30, 100):
        assert d.tick(utcnow() + timedelta(hours=hours)).mails == 0
    [reminder] = d.out("vendor_reminder")
    assert reminder.to_addrs == [WITHSECURE] and reminder.in_reply_to == case.message_id
    assert reminder.subject == "[IMAGEN TI #IMG-000001] Follow-up: support case awaiting your answer"
    assert "response window of 24 hours has passed" in reminder.body_text
    [overdue] = d.out("vendor_overdue")
    assert sorted(overdue.to_addrs) == sorted(ENGINEERS)
    assert "WithSecure" in overdue.subject and "24 horas" in overdue.body_text
    assert opened == [("IMG-000001", "withsecure", 3, "cli", False, False)]
    assert d.escalations() == [("IMG-000001", "withsecure", 3, "cli", True, False)]
    # The manager was never involved: the ticket was answered in time.
    assert d.out("escalation") == [] and d.out("manager_reminder") == []


# -- two processes ----------------------------------------------------------------------------


def test_two_concurrent_ticks_escalate_each_breached_ticket_once(make_settings, pg_url, monkeypatch):
    # Batches smaller than the backlog, so that both processes find work and interleave.
    monkeypatch.setattr("mailbot.jobs.scheduler.BATCH", 3)
    settings = make_settings(db_url=pg_url)
    d = ClockDesk(settings, mx(MONDAY, 10))
    apps = []
    try:
        n = 12
        for i in range(n):
            d.at(mx(MONDAY, 10, i)).mail(critical_mail(i + 1))
        now = mx(MONDAY, 13).astimezone(UTC)
        apps = [build_app(settings, clock=lambda: now) for _ in range(2)]
        barrier = threading.Barrier(len(apps))
        reports, errors = [None] * len(apps), []

        def run(i):
            try:
                barrier.wait(10)
                reports[i] = total = sla_tick(apps[i], now)
                for _ in range(2 * n):  # until a tick finds nothing left
                    more = sla_tick(apps[i], now)
                    if not (more.escalated or more.failed):
                        break
                    total.escalated += more.escalated
                    total.failed += more.failed
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(apps))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors and not any(t.is_alive() for t in threads)
        escalated = [number for r in reports for number in r.escalated]
        assert [number for r in reports for number in r.failed] == []
        assert sorted(escalated) == [f"IMG-{i:06d}" for i in range(1, n + 1)]
        assert len(d.out("escalation")) == n
        assert sorted(e[0] for e in d.escalations()) == sorted(escalated)
        # And a third pass, later, finds nothing left to do.
        assert sla_tick(apps[0], now + timedelta(minutes=1)).escalated == []
    finally:
        for app in apps:
            app.close()
        d.close()
