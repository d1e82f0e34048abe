"""The quarterly service report on a seeded quarter (2026Q3), on SQLite and PostgreSQL.

The seed goes through the real pipeline on a hand-moved clock: clients write,
engineers answer in the thread, the SLA tick escalates, a vendor case is opened.
The acknowledgement times are set by hand (the outbox stamps them when it sends).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from mailbot.db.models import Counter, Outbox, Ticket
from mailbot.jobs.quarterly import first_business_day, report_job
from mailbot.outbound.outbox import OutboxSender
from mailbot.reports import quarterly as rep
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import open_vendor_case
from tests.support.desk import ClockDesk, engineer_reply
from tests.support.desk import mx_time as at
from tests.support.mail import CRITICAL_BODY, CRITICAL_SUBJECT, make_mail
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers

A = "juan.perez@cliente.com.mx"
B = "laura.gomez@otra.com.mx"
BOSS = "direccion@imagenti.mx"


class Seed:
    def __init__(self, desk: ClockDesk):
        self.d = desk
        self.n = 0

    def ticket(self, when, sender, subject, body, severity, headers=None) -> str:
        self.n += 1
        out = self.d.at(when).mail(
            make_mail(
                sender=sender,
                subject=subject,
                body=body,
                headers=headers,
                message_id=f"<seed{self.n}@{sender.partition('@')[2]}>",
            )
        )
        assert self.d.ticket(out.ticket)["severity"] == severity, subject
        return out.ticket

    def ack(self, number, when):
        with self.d.app.sessions.begin() as s:
            s.scalar(select(Ticket).where(Ticket.number == number)).acknowledged_at = when

    def answer(self, number, when):
        self.n += 1
        self.d.at(when).mail(engineer_reply(self.d, number, "Lo revisamos.", n=self.n))

    def vendor_case(self, number, vendor, when):
        with self.d.app.sessions.begin() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            open_vendor_case(Ops(self.d.app, s, when), ticket, vendor, actor="ana.lopez@imagenti.mx")


@pytest.fixture
def seeded(make_settings, db_url):
    """2026Q3: three tickets of cliente.com.mx, three of otra.com.mx, and one on each side of the quarter."""
    d = ClockDesk(make_settings(db_url=db_url, report={"recipients": [BOSS]}), at(2026, 6, 30, 23, 59))
    s = Seed(d)
    # Local time decides the quarter: 23:59 on 30 June in Mexico City is 1 July in UTC.
    q2 = s.ticket(at(2026, 6, 30, 23, 59), A, "Una consulta sobre licencias", "Quisiera saber cuándo vence.", "leve")
    s.answer(q2, at(2026, 7, 1, 10))
    # 1: CRÍTICA, acknowledged in a minute, answered in 1 business hour.
    t1 = s.ticket(at(2026, 7, 6, 10), A, CRITICAL_SUBJECT, CRITICAL_BODY, "critica")
    s.ack(t1, at(2026, 7, 6, 10, 1))
    s.answer(t1, at(2026, 7, 6, 11))
    # 2: LEVE on a Friday at 17:00, acknowledged late (45 min), answered Monday 10:00: 2 business hours.
    t2 = s.ticket(
        at(2026, 7, 10, 17),
        A,
        "Computadora lenta",
        "La computadora de recepción está muy lenta, no es urgente.",
        "leve",
    )
    s.ack(t2, at(2026, 7, 10, 17, 45))
    s.answer(t2, at(2026, 7, 13, 10))
    # 3: GRAVE, never acknowledged, escalated to the manager at the breach, answered late: 5.5 business hours.
    t3 = s.ticket(
        at(2026, 7, 14, 9, 30), A, "Varios usuarios sin correo", "Varios usuarios no pueden trabajar.", "grave"
    )
    assert d.tick(at(2026, 7, 14, 13, 31)).escalated == [t3]
    s.answer(t3, at(2026, 7, 14, 15))
    # 4 (otra.com.mx): CRÍTICA, acknowledged in 5 min, never answered; to the manager and to SonicWall.
    t4 = s.ticket(at(2026, 8, 5, 12), B, CRITICAL_SUBJECT, CRITICAL_BODY, "critica")
    s.ack(t4, at(2026, 8, 5, 12, 5))
    assert d.tick(at(2026, 8, 5, 14, 1)).escalated == [t4]
    s.vendor_case(t4, "sonicwall", at(2026, 8, 5, 14, 30))
    # 6 (otra.com.mx): a firewall's own alert: no acknowledgement owed; answered in half an hour.
    t6 = s.ticket(
        at(2026, 8, 10, 10),
        "alertas@otra.com.mx",
        "Alerta: VPN restablecida en sucursal Norte",
        "El tunel VPN de la sucursal Norte se restablecio.",
        "leve",
        headers={"Auto-Submitted": "auto-generated"},
    )
    s.answer(t6, at(2026, 8, 10, 10, 30))
    # 5 (otra.com.mx): LEVE at 23:30 on the quarter's last day, answered at 09:30 the next (business) day.
    t5 = s.ticket(at(2026, 9, 30, 23, 30), B, "Una consulta", "Quisiera saber cuándo vence la licencia.", "leve")
    s.ack(t5, at(2026, 9, 30, 23, 35))
    s.answer(t5, at(2026, 10, 1, 9, 30))
    # Q4 already.
    s.ticket(at(2026, 10, 1, 0, 30), A, "Otra consulta", "Quisiera saber algo más.", "leve")
    d.numbers = (t1, t2, t3, t4, t6, t5)
    yield d
    d.close()


@pytest.fixture
def mailbot(monkeypatch):
    """``mailbot --config SETTINGS ARGS`` in this process; what it printed (it must exit 0)."""
    invoke = in_process_cli(monkeypatch)

    def run(settings, *args):
        result = invoke("--config", settings.source, *args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_quarterly_figures_per_client_and_overall(seeded, mailbot):
    d = seeded
    assert [d.ticket(n)["category"] for n in d.numbers] == [
        "general",
        "computadora-lenta",
        "general",
        "general",
        "general",
        "llaves-licencia",
    ]
    alert = d.ticket(d.numbers[4])
    assert "ack_suppressed" in [e["kind"] for e in alert["events"]] and alert["acknowledged_at"] is None
    data = json.loads(mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3", "--json"))
    assert data["quarter"] == "2026Q3" and data["client"] is None
    assert datetime.fromisoformat(data["from"]) == at(2026, 7, 1, 0)
    assert datetime.fromisoformat(data["to"]) == at(2026, 10, 1, 0)
    assert sorted(data["clients"]) == ["cliente.com.mx", "otra.com.mx"]

    assert data["overall"] == {
        "tickets": 6,
        "by_severity": {"critica": 2, "grave": 1, "leve": 3},
        "by_category": {"computadora-lenta": 1, "general": 4, "llaves-licencia": 1},
        "acknowledgement_owed": 5,  # not the alert: a machine's mail is no person's report
        "acknowledged_in_time": 3,  # 1, 4 and 5; 2 was late and 3 never acknowledged
        "acknowledged_in_time_pct": 60.0,
        # 3's acknowledgement is still queued (this desk never sends): it counts against, with why.
        "acknowledgement_missed": {"late": 1, "not_sent": 1},
        "attention_measured": 6,
        "attention_in_time": 4,  # 1, 2, 5 and 6; 3 answered late, 4 never
        "attention_in_time_pct": 66.7,
        "attention_hours_median": 1.0,  # of 0.5, 0.5, 1, 2, 5.5
        "attention_hours_p90": 5.5,
        "escalations_manager": 2,
        "escalations_vendor": {"sonicwall": 1},
    }
    assert data["clients"]["cliente.com.mx"] == {
        "tickets": 3,
        "by_severity": {"critica": 1, "grave": 1, "leve": 1},
        "by_category": {"computadora-lenta": 1, "general": 2},
        "acknowledgement_owed": 3,
        "acknowledged_in_time": 1,
        "acknowledged_in_time_pct": 33.3,
        "acknowledgement_missed": {"late": 1, "not_sent": 1},
        "attention_measured": 3,
        "attention_in_time": 2,
        "attention_in_time_pct": 66.7,
        "attention_hours_median": 2.0,
        "attention_hours_p90": 5.5,
        "escalations_manager": 1,
        "escalations_vendor": {},
    }
    assert data["clients"]["otra.com.mx"] == {
        "tickets": 3,
        "by_severity": {"critica": 1, "grave": 0, "leve": 2},
        "by_category": {"general": 2, "llaves-licencia": 1},
        "acknowledgement_owed": 2,
        "acknowledged_in_time": 2,
        "acknowledged_in_time_pct": 100.0,
        "acknowledgement_missed": {},
        "attention_measured": 3,
        "attention_in_time": 2,
        "attention_in_time_pct": 66.7,
        "attention_hours_median": 0.5,
        "attention_hours_p90": 0.5,
        "escalations_manager": 1,
        "escalations_vendor": {"sonicwall": 1},
    }

    only = json.loads(
        mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3", "--client", "OTRA.com.mx", "--json")
    )
    assert only["client"] == "OTRA.com.mx"
    assert list(only["clients"]) == ["otra.com.mx"]
    assert only["overall"] == data["clients"]["otra.com.mx"] == only["clients"]["otra.com.mx"]

    text = mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3")
    assert text.startswith("Reporte trimestral de soporte IMAGEN TI: 2026Q3")
    assert "Cliente cliente.com.mx" in text and "Cliente otra.com.mx" in text
    assert "Atención dentro del tiempo comprometido (%): 66.7" in text
    assert "Escalamientos a fabricantes: sonicwall: 1" in text
    assert "Sin acuse en 30 minutos o menos: 2 (acuse enviado tarde: 1, acuse aún sin enviar: 1)" in text
    t2, t3 = d.numbers[1], d.numbers[2]
    assert f"{t2}, {A}, recibido 2026-07-10 17:00: acuse enviado tarde (a los 45 min)" in text
    assert f"{t3}, {A}, recibido 2026-07-14 09:30: acuse aún sin enviar" in text
    assert [(m["ticket"], m["reason"]) for m in data["acknowledgement_misses"]] == [(t2, "late"), (t3, "not_sent")]
    assert [m["ticket"] for m in only["acknowledgement_misses"]] == []

    # Neighbouring quarters hold only the tickets on the other side of the bounds.
    q2 = json.loads(mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q2", "--json"))
    q4 = json.loads(mailbot(d.settings, "report", "quarterly", "--quarter", "2026q4", "--json"))
    assert q2["overall"]["tickets"] == 1 and q4["overall"]["tickets"] == 1


def test_quarterly_report_mail_is_sent_once_as_text_and_html(seeded):
    d = seeded
    assert rep.send_quarterly(d.app, 2026, 3) is True
    assert rep.send_quarterly(d.app, 2026, 3) is False
    with d.app.sessions() as s:
        [row] = s.scalars(select(Outbox).where(Outbox.ticket_id.is_(None))).all()
    assert row.rcpt_to == [BOSS]
    msg = message_from_bytes(row.data, policy=policy.default)
    assert str(msg["Subject"]).strip() == "Reporte trimestral de soporte IMAGEN TI 2026Q3"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Acuse en 30 minutos o menos (%): 60.0" in text and "Cliente otra.com.mx" in text
    assert "<h2>Cliente otra.com.mx</h2>" in html and "<td>60.0</td>" in html


def test_report_job_sends_on_the_first_business_day_of_a_quarter_only(seeded):
    d = seeded

    def job_on(day):
        d.at(day)
        report_job(lambda: d.app)
        with d.app.sessions() as s:
            return sorted(s.scalars(select(Counter.name).where(Counter.name.like("quarterly_report:%"))))

    assert job_on(at(2026, 9, 30, 9, 5)) == []
    # 1 October 2026 is a Thursday: the report of 2026Q3 goes out.
    assert job_on(at(2026, 10, 1, 9, 5)) == ["quarterly_report:2026Q3"]
    assert job_on(at(2026, 10, 2, 9, 5)) == ["quarterly_report:2026Q3"]
    # 1 January 2027 is a rest day (and then a weekend): the first business day is Monday the 4th.
    assert job_on(at(2027, 1, 1, 9, 5)) == ["quarterly_report:2026Q3"]
    assert job_on(at(2027, 1, 4, 9, 5)) == ["quarterly_report:2026Q3", "quarterly_report:2026Q4"]
    assert job_on(at(2027, 1, 5, 9, 5)) == ["quarterly_report:2026Q3", "quarterly_report:2026Q4"]
    with d.app.sessions() as s:
        mails = [
            message_from_bytes(data, policy=policy.default)
            for data in s.scalars(select(Outbox.data).where(Outbox.ticket_id.is_(None)).order_by(Outbox.id))
        ]
    assert [str(m["Subject"]).strip()[-6:] for m in mails] == ["2026Q3", "2026Q4"]
    assert [m["To"] for m in mails] == [BOSS, BOSS]
    assert first_business_day(d.app, 2027, 1) == date(2027, 1, 4)
    assert first_business_day(d.app, 2026, 10) == date(2026, 10, 1)


def test_report_job_catches_up_when_the_daemon_was_down_on_the_first_business_day(seeded):
    d = seeded
    d.at(at(2026, 10, 5, 9, 5))  # a Monday: the daemon was down on Thursday the 1st
    report_job(lambda: d.app)
    with d.app.sessions() as s:
        assert list(s.scalars(select(Counter.name).where(Counter.name.like("quarterly_report:%")))) == [
            "quarterly_report:2026Q3"
        ]


def test_the_acknowledgement_time_follows_the_injected_clock(make_settings):
    d = ClockDesk(make_settings(), at(2026, 7, 6, 10))
    try:
        d.mail(make_mail(message_id="<ack-clock@cliente.com.mx>"))
        d.at(at(2026, 7, 6, 10, 2))
        OutboxSender(d.settings, d.app.sessions, clock=lambda: d.now).send_due(now=d.now)
        assert datetime.fromisoformat(d.ticket("IMG-000001")["acknowledged_at"]) == at(2026, 7, 6, 10, 2)
    finally:
        d.close()


def test_list_mail_tickets_count_as_tickets_but_not_for_attention(make_settings, mailbot):
    d = ClockDesk(make_settings(), at(2026, 7, 6, 10))
    try:
        bulk = d.at(at(2026, 7, 6, 10)).mail(
            make_mail(
                sender=B,
                subject="Boletín de julio",
                body="Novedades.",
                headers={"List-Id": "Boletin <boletin.otra.com.mx>"},
            )
        )
        d.at(at(2026, 7, 27, 10)).mail(engineer_reply(d, bulk.ticket, "Archivado.", n=1))  # three weeks later
        data = json.loads(mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3", "--json"))
        overall = data["overall"]
        assert overall["tickets"] == 1
        # It had no attention deadline: neither in time nor late, and not in the hours either.
        assert (overall["attention_measured"], overall["attention_in_time"]) == (0, 0)
        assert overall["attention_hours_median"] is None
    finally:
        d.close()
