"""Whose turn it is and the attention clocks that follow it, on a hand-moved clock (SQLite and PostgreSQL).

Every test drives ``Pipeline.process`` and ``sla_tick(app, now)`` directly on
the default business calendar: Mon–Fri 09:00–18:00 Mexico City (UTC-6 all
year), statutory rest days off (Friday 25 December 2026 is one), CRÍTICA
2 h, GRAVE 4 h, LEVE 24 h; waiting on the client: a reminder after 2
business days, resolved after 5.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta

import pytest

import mailbot.app as mailbot_app
from tests.support.config import ENGINEERS, MANAGER
from tests.support.desk import MX, ClockDesk, engineer_reply
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers

WITHSECURE = "support@withsecure.com"
SECOND = timedelta(seconds=1)


def mx(y, m, d, hh, mm=0) -> datetime:
    return datetime(2026 if y is None else y, m, d, hh, mm, tzinfo=MX)


@pytest.fixture
def desk(make_settings, db_url):
    desks = []

    def make(start: datetime, **sections) -> ClockDesk:
        d = ClockDesk(make_settings(db_url=db_url, **sections), start)
        desks.append(d)
        return d

    yield make
    for d in desks:
        d.close()


@pytest.fixture
def mailbot(monkeypatch):
    invoke = in_process_cli(monkeypatch)

    def run(settings, *args):
        return invoke("--config", settings.source, *args, catch_exceptions=False)

    return run


def report(d: ClockDesk, at: datetime, *, body="El agente de WithSecure no actualiza en una computadora.") -> str:
    d.at(at).mail(make_mail(subject="Agente sin actualizar", message_id="<r1@cliente.com.mx>", body=body))
    return "IMG-000001"


def client_says(d: ClockDesk, at: datetime, body: str, n: int) -> None:
    [ack] = d.out("ack", "IMG-000001")
    d.at(at).mail(
        make_mail(
            subject="RE: " + ack.subject, body=body, message_id=f"<c{n}@cliente.com.mx>", in_reply_to=ack.message_id
        )
    )


def team_says(d: ClockDesk, at: datetime, body: str, n: int) -> None:
    d.at(at).mail(engineer_reply(d, "IMG-000001", body, n=n))


def manager_escalations(d: ClockDesk) -> list[tuple]:
    return [e for e in d.escalations() if e[1] == "manager"]


def clocks(d: ClockDesk) -> list[dict]:
    return d.ticket("IMG-000001")["clocks"]


# -- later clocks ---------------------------------------------------------------------------------


def test_a_later_client_mail_nobody_answers_escalates_after_its_own_period_across_a_weekend_and_a_holiday(desk):
    d = desk(mx(None, 12, 24, 9), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 12, 24, 9))
    team_says(d, mx(None, 12, 24, 10), "#severidad grave\n\nJuan, envíenos el registro del agente.", 1)
    assert clocks(d)[0]["stopped_by"] == "answered" and clocks(d)[0]["late"] is False
    # Thursday 17:00: the client answers. GRAVE is 4 business hours: 17-18 on Thursday, Friday the
    # 25th is a statutory rest day, the weekend, then 9-12 on Monday the 28th.
    client_says(d, mx(None, 12, 24, 17), "Adjunto el registro, sigue sin actualizar.", 2)
    running = d.ticket("IMG-000001")["clock"]
    assert running["first"] is False and running["severity"] == "grave"
    assert datetime.fromisoformat(running["due"]) == mx(None, 12, 28, 12)
    assert d.ticket("IMG-000001")["turn"] == "desk"

    assert d.tick(mx(None, 12, 28, 12) - SECOND).escalated == []
    assert d.tick(mx(None, 12, 28, 12)).escalated == ["IMG-000001"]
    [esc] = d.out("escalation")
    text = d.queued(esc).get_content()
    assert "volvió a escribir" in text and "jueves 24 de diciembre de 2026, 17:00" in text
    # Once per clock: later ticks leave it.
    assert d.tick(mx(None, 12, 28, 15)).escalated == []
    assert len(manager_escalations(d)) == 1


def test_each_clock_escalates_once_and_an_answer_stops_the_clock(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))  # LEVE: 24 business hours
    assert d.tick(mx(None, 7, 9, 10)).escalated == ["IMG-000001"]  # Monday 10:00 + 24 h = Thursday 10:00
    team_says(d, mx(None, 7, 9, 11), "Juan, ya lo revisamos: reinicie el servicio, por favor.", 1)
    client_says(d, mx(None, 7, 9, 12), "Lo reinicié y sigue igual.", 2)
    # The first escalation was the first clock's; the second runs out on its own, 24 business
    # hours after Thursday 12:00: Thu 12-18, Fri 9-18, Mon 9-18.
    assert d.tick(mx(None, 7, 13, 18) - SECOND).escalated == []
    assert d.tick(mx(None, 7, 13, 18)).escalated == ["IMG-000001"]
    assert len(manager_escalations(d)) == 2
    # A third notice the desk answers in time never escalates.
    team_says(d, mx(None, 7, 14, 13), "Juan, le llamamos en 10 minutos.", 3)
    client_says(d, mx(None, 7, 14, 14), "Gracias, quedo atento.", 3)
    team_says(d, mx(None, 7, 14, 15), "#atendido", 4)
    assert d.tick(mx(None, 7, 31, 10)).escalated == []
    shown = d.ticket("IMG-000001")
    assert [c["stopped_by"] for c in shown["clocks"]] == ["answered", "answered", "handled"]
    assert [c["late"] for c in shown["clocks"]] == [True, True, False]
    assert shown["clock"] is None


def test_atendido_without_an_unanswered_client_mail_is_refused_and_nothing_applies(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    team_says(d, mx(None, 7, 6, 11), "Juan, ya quedó actualizado.", 1)
    team_says(d, mx(None, 7, 6, 12), "#atendido\n#severidad grave", 2)
    [error] = d.out("command_error")
    assert "no hay un correo del cliente pendiente de respuesta" in d.queued(error).get_content()
    assert d.ticket("IMG-000001")["severity"] == "leve"


# -- waiting on the client ------------------------------------------------------------------------


def test_waiting_on_the_client_runs_no_clock_reminds_and_resolves_on_business_days(desk):
    d = desk(mx(None, 12, 18, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 12, 18, 10))
    # Friday 18 December, 12:00: the desk asks for the log and waits on the client.
    team_says(d, mx(None, 12, 18, 12), "#estado esperando-cliente\n\nJuan, envíenos el registro del agente.", 1)
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "waiting_client" and shown["turn"] == "client" and shown["clock"] is None
    # 2 business days = 18 business hours: Fri 12-18, Mon 21 9-18, Tue 22 9-12.
    assert d.tick(mx(None, 12, 22, 12) - SECOND).waiting_reminders == []
    assert d.tick(mx(None, 12, 22, 12)).waiting_reminders == ["IMG-000001"]
    [reminder] = d.out("waiting_reminder")
    assert reminder.to_addrs == [CLIENT]
    text = d.queued(reminder).get_content()
    assert "envíenos el registro del agente" in text and "lunes 28 de diciembre de 2026, 12:00" in text
    # Once per wait.
    assert d.tick(mx(None, 12, 23, 12)).waiting_reminders == []
    # 5 business days = 45 h: ... Thu 24 9-18, Friday 25 is a rest day, Mon 28 9-12.
    assert d.tick(mx(None, 12, 28, 12) - SECOND).waiting_resolved == []
    assert d.tick(mx(None, 12, 28, 12)).waiting_resolved == ["IMG-000001"]
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "resolved" and shown["turn"] is None
    [notice] = d.out("waiting_resolved")
    assert "responder a este correo" in d.queued(notice).get_content()
    # Never escalated while it waited, far past any attention deadline.
    assert manager_escalations(d) == []
    # Durations: the desk's turn from 10:00 to 12:00 on Friday, the client's for the 45 business hours.
    durations = shown["durations"]
    assert durations["first_response"] == 2 * 3600 and durations["desk"] == 2 * 3600
    assert durations["client"] == 45 * 3600 and durations["resolution"] == 47 * 3600
    # The client's answer within the reopen window reopens it, with a clock.
    client_says(d, mx(None, 12, 29, 10), "Perdón, aquí está el registro.", 2)
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "in_progress" and shown["clock"] is not None and shown["durations"]["resolution"] is None


def test_the_clients_reply_hands_the_turn_back_and_starts_a_clock(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    team_says(d, mx(None, 7, 6, 11), "#estado esperando-cliente\n#severidad critica\n\nJuan, ¿nos manda el log?", 1)
    client_says(d, mx(None, 7, 7, 10), "Aquí está el log.", 2)
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "in_progress" and shown["turn"] == "desk"
    assert datetime.fromisoformat(shown["clock"]["due"]) == mx(None, 7, 7, 12)
    assert shown["durations"]["client"] == 8 * 3600  # Mon 11-18 and Tue 9-10
    assert d.tick(mx(None, 7, 7, 12)).escalated == ["IMG-000001"]


# -- waiting on a vendor --------------------------------------------------------------------------


def vendor_case(d: ClockDesk, at: datetime, commands: str, n: int = 1) -> None:
    team_says(d, at, commands + "\n\nJuan, lo escalamos con el fabricante.", n)


def test_a_vendor_case_waits_on_the_vendor_and_the_vendors_reply_hands_the_turn_back(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    vendor_case(d, mx(None, 7, 6, 11), "#escalar withsecure")
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "waiting_vendor" and shown["turn"] == "vendor" and shown["clock"] is None
    assert d.tick(mx(None, 7, 10, 10)).escalated == []
    [case] = d.out("vendor_case")
    d.at(mx(None, 7, 7, 11)).mail(
        make_mail(
            sender=f"WithSecure Support <{WITHSECURE}>",
            subject="RE: " + case.subject,
            body="Please send us the FSDIAG file.",
            message_id="<v1@withsecure.com>",
            in_reply_to=case.message_id,
        )
    )
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "in_progress" and shown["turn"] == "desk"
    assert shown["clock"]["message_id"] == "<v1@withsecure.com>"
    assert shown["durations"]["vendor"] == 9 * 3600  # Mon 11-18, Tue 9-11


def test_a_vendor_case_with_an_explicit_status_keeps_it(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    vendor_case(d, mx(None, 7, 6, 11), "#estado en-progreso\n#escalar withsecure")
    assert d.ticket("IMG-000001")["status"] == "in_progress"


def test_a_clients_mail_while_waiting_on_the_vendor_is_the_desks_to_answer(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    vendor_case(d, mx(None, 7, 6, 11), "#escalar withsecure")
    client_says(d, mx(None, 7, 8, 10), "¿Hay novedades del fabricante?", 2)
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "in_progress" and shown["clock"] is not None
    team_says(d, mx(None, 7, 8, 11), "#estado esperando-fabricante\n\nJuan, seguimos esperando a WithSecure.", 2)
    shown = d.ticket("IMG-000001")
    assert shown["status"] == "waiting_vendor" and shown["clock"] is None
    assert [c["stopped_by"] for c in shown["clocks"]] == ["answered", "answered"]


# -- the CLI explains the clock -------------------------------------------------------------------


def test_tickets_show_and_sla_deadline_explain_whose_turn_and_the_running_clock(desk, mailbot, monkeypatch):
    d = desk(mx(None, 12, 24, 9), team={"engineers": ENGINEERS, "manager": MANAGER})
    # The CLI's app reads the desk's clock: "time left" is counted from the test's now.
    monkeypatch.setattr(mailbot_app, "build_app", functools.partial(mailbot_app.build_app, clock=lambda: d.now))
    report(d, mx(None, 12, 24, 9))
    team_says(d, mx(None, 12, 24, 10), "#severidad grave\n\nJuan, envíenos el registro del agente.", 1)
    client_says(d, mx(None, 12, 24, 17), "Adjunto el registro.", 2)
    d.at(mx(None, 12, 28, 10))
    shown = mailbot(d.settings, "tickets", "show", "IMG-000001")
    assert shown.exit_code == 0, shown.output
    assert "turn: desk, since 2026-12-24 09:00" in shown.stdout  # the desk's move since the report
    assert "clock: the client's mail of 2026-12-24 17:00, severity grave, answer due 2026-12-28 12:00" in shown.stdout
    assert "time left: 2h of business time" in shown.stdout
    result = mailbot(d.settings, "sla", "deadline", "--ticket", "IMG-000001")
    assert result.exit_code == 0, result.output
    assert "answer due 2026-12-28 12:00" in result.stdout
    assert "2026-12-25 Friday: closed (holiday: Navidad)" in result.stdout
    data = json.loads(mailbot(d.settings, "sla", "deadline", "--ticket", "1", "--json").stdout)
    assert data["turn"] == "desk" and data["overdue"] is False
    assert data["deadline"]["deadline"]["local"] == "2026-12-28T12:00:00-06:00"
    both = mailbot(d.settings, "sla", "deadline", "--ticket", "1", "--severity", "leve")
    assert both.exit_code == 64 and "not both" in both.stderr
    # Waiting on the client: no clock runs, and it says so.
    team_says(d, mx(None, 12, 28, 11), "#estado esperando-cliente\n\nGracias, lo revisamos.", 2)
    shown = mailbot(d.settings, "tickets", "show", "IMG-000001")
    assert "turn: client, since 2026-12-28 11:00" in shown.stdout
    assert "no new clock starts while the move is the client's or a vendor's" in shown.stdout
    listed = mailbot(d.settings, "tickets", "list", "--json")
    assert json.loads(listed.stdout)[0]["turn"] == "client"


def test_tickets_list_overdue_follows_the_running_clocks(desk, mailbot):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    team_says(d, mx(None, 7, 6, 11), "Juan, ya lo revisamos.", 1)
    client_says(d, mx(None, 7, 6, 12), "Sigue igual.", 2)  # LEVE, 24 business hours: due Thursday 12:00
    d.at(mx(None, 7, 10, 10))
    listed = json.loads(mailbot(d.settings, "tickets", "list", "--overdue", "--json").stdout)
    assert [t["number"] for t in listed] == ["IMG-000001"]
    team_says(d, mx(None, 7, 10, 11), "#estado esperando-cliente\n\nJuan, ¿ya probó?", 2)
    listed = json.loads(mailbot(d.settings, "tickets", "list", "--overdue", "--json").stdout)
    assert listed == []


def test_the_cli_vendor_case_waits_on_the_vendor_unless_told_otherwise(desk, mailbot):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    result = mailbot(d.settings, "tickets", "escalate", "1", "--vendor", "withsecure")
    assert result.exit_code == 0, result.output
    assert d.ticket("IMG-000001")["status"] == "waiting_vendor"
    set_back = mailbot(d.settings, "tickets", "set", "1", "--status", "en-progreso")
    assert set_back.exit_code == 0 and d.ticket("IMG-000001")["turn"] == "desk"
    wrong = mailbot(d.settings, "tickets", "escalate", "1", "--manager", "--keep-status")
    assert wrong.exit_code == 64 and "--keep-status goes with --vendor" in wrong.stderr


# -- what the review found: a wait answers nobody; merges and splits keep the client's deadline ----


def test_a_wait_set_without_answering_the_client_does_not_stop_the_reports_clock(desk, mailbot):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))  # LEVE: due Thursday 10:00
    d.at(mx(None, 7, 6, 10, 5))
    assert mailbot(d.settings, "tickets", "escalate", "1", "--vendor", "withsecure").exit_code == 0
    assert d.ticket("IMG-000001")["status"] == "waiting_vendor"
    assert d.tick(mx(None, 7, 9, 10)).escalated == ["IMG-000001"]


def test_waiting_on_the_client_with_the_report_unanswered_is_still_the_desks_debt(desk):
    d2 = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d2, mx(None, 7, 6, 10))
    team_says(d2, mx(None, 7, 6, 11), "#estado esperando-cliente", 1)
    assert d2.ticket("IMG-000001")["clock"]["first"] is True
    report_ = d2.tick(mx(None, 7, 13, 10))
    assert report_.escalated == ["IMG-000001"] and report_.waiting_reminders == []


def test_resolving_an_unanswered_wait_comes_no_sooner_than_three_days_after_the_reminder(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    team_says(d, mx(None, 7, 6, 11), "#estado esperando-cliente\n\nJuan, ¿nos manda el log?", 1)
    # A daemon down for two weeks: the first tick reminds, and does not resolve at once.
    first = d.tick(mx(None, 7, 20, 10))
    assert first.waiting_reminders == ["IMG-000001"] and first.waiting_resolved == []
    assert d.tick(mx(None, 7, 23, 10) - SECOND).waiting_resolved == []  # 3 business days: Thursday 10:00
    assert d.tick(mx(None, 7, 23, 10)).waiting_resolved == ["IMG-000001"]


def second_report(d: ClockDesk, at: datetime, body: str) -> str:
    d.at(at).mail(make_mail(subject="Otro caso", message_id="<r2@cliente.com.mx>", body=body))
    return "IMG-000002"


def test_a_merge_keeps_the_deadline_due_first_and_never_escalates_a_notice_twice(desk):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))  # LEVE: due Thursday 10:00
    second_report(d, mx(None, 7, 6, 11), "Toda la empresa está sin internet, estamos detenidos.")
    critical = d.ticket("IMG-000002")
    assert critical["severity"] == "critica"  # due 13:00
    assert d.tick(mx(None, 7, 6, 13)).escalated == ["IMG-000002"]
    # IMG-000002 merged into IMG-000001: its earlier deadline is the one that keeps running, with its escalation.
    [notice] = d.out("notice", "IMG-000002")
    d.at(mx(None, 7, 6, 14)).mail(
        make_mail(
            sender=ENGINEERS[0],
            subject="Re: " + notice.subject,
            body="#fusionar IMG-000001",
            message_id="<merge@imagenti.mx>",
            in_reply_to=notice.message_id,
            headers=team_headers(),
        )
    )
    shown = d.ticket("IMG-000001")
    assert datetime.fromisoformat(shown["clock"]["due"]) == mx(None, 7, 6, 13)
    assert d.tick(mx(None, 7, 6, 15)).escalated == []  # that notice was escalated already
    assert len(manager_escalations(d)) == 1


def test_splitting_off_the_mail_a_clock_timed_starts_one_for_the_clients_next_unanswered_mail(desk, mailbot):
    d = desk(mx(None, 7, 6, 10), team={"engineers": ENGINEERS, "manager": MANAGER})
    report(d, mx(None, 7, 6, 10))
    team_says(d, mx(None, 7, 6, 11), "Juan, ya lo revisamos.", 1)
    client_says(d, mx(None, 7, 6, 12), "Otra cosa: la impresora de recepción no imprime.", 2)
    client_says(d, mx(None, 7, 6, 13), "Y sobre el agente: sigue igual.", 3)
    result = mailbot(d.settings, "tickets", "split", "1", "--message", "<c2@cliente.com.mx>")
    assert result.exit_code == 0, result.output
    shown = d.ticket("IMG-000001")
    assert shown["clock"]["message_id"] == "<c3@cliente.com.mx>"
    assert datetime.fromisoformat(shown["clock"]["started_at"]) == mx(None, 7, 6, 13)
