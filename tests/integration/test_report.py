"""The quarterly service report on a seeded quarter (2026Q3), on SQLite and PostgreSQL.

The seed goes through the real pipeline on a hand-moved clock: clients write,
engineers answer in the thread, the SLA tick escalates, a vendor case is opened.
The acknowledgement times are set by hand (the outbox stamps them when it sends).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from mailbot.db.models import Counter, Outbox, Ticket
from mailbot.jobs.quarterly import first_business_day, report_job
from mailbot.outbound.outbox import OutboxSender
from mailbot.reports import charts as ch
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

# The first seed has no later notice and no resolved ticket.
NO_LATER_NOR_RESOLVED = {
    "later_notices": 0,
    "later_measured": 0,
    "later_in_time": 0,
    "later_in_time_pct": None,
    "later_hours_median": None,
    "later_hours_p90": None,
    "resolved": 0,
    "resolution_hours_median": None,
    "resolution_hours_p90": None,
}


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
        **NO_LATER_NOR_RESOLVED,
        "open_now": 7,  # every ticket received up to the quarter's end, the one from Q2 too
        "open_overdue": 1,  # 4, never answered
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
        **NO_LATER_NOR_RESOLVED,
        "open_now": 4,
        "open_overdue": 0,
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
        **NO_LATER_NOR_RESOLVED,
        "open_now": 3,
        "open_overdue": 1,
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
    assert "\nClientes que requieren atención\n" in text
    assert "\n  cliente.com.mx: primera respuesta dentro del tiempo comprometido: 66.7 % (meta 90 %); " in text
    assert "Por criticidad: CRÍTICA: 2, GRAVE: 1, LEVE: 3" in text
    assert "Por categoría: Computadora lenta: 1, General: 4, Recuperación de llaves de licencia: 1" in text
    assert "critica" not in text and "computadora-lenta" not in text and "llaves-licencia" not in text
    assert "Atención dentro del tiempo comprometido (%): 66.7" in text
    assert "Escalamientos a fabricantes: SonicWall: 1" in text
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
    assert "Acuse en 30 minutos o menos (%): 60.0" in text and "\n  otra.com.mx " in text
    assert "<td>otra.com.mx</td>" in html and "<td>60.0</td>" in html


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


# -- a second, smaller quarter: later notices, stored durations, charts --------------------

CUARTA = "ops@cuarta.com.mx"  # three CRÍTICA reports, all answered in time
QUINTA = "mesa@quinta.com.mx"  # one GRAVE report nobody answered


def client_writes(d: ClockDesk, number: str, when, n: int) -> None:
    """The client writes again in the ticket's thread (answering our acknowledgement): a later notice."""
    [ack] = d.out("ack", number)
    d.at(when).mail(
        make_mail(
            sender=ack.to_addrs[0],
            subject="Re: " + ack.subject,
            body=f"Sigue pasando, ¿me ayudan? ({n})",
            message_id=f"<later{n}@{ack.to_addrs[0].partition('@')[2]}>",
            in_reply_to=ack.message_id,
        )
    )


@pytest.fixture
def known(make_settings, db_url):
    """2026Q3 with seven tickets of four clients, every figure computed by hand in the tests.

    Business hours Monday to Friday 9:00-18:00 (Mexico City); attention: CRÍTICA 2 h, GRAVE 4 h, LEVE 24 h.
    """
    d = ClockDesk(make_settings(db_url=db_url, report={"recipients": [BOSS]}), at(2026, 7, 6, 10))
    s = Seed(d)
    # cliente.com.mx. T1 CRÍTICA, answered in 1 h; the client writes again Tuesday 10:00 (due 12:00),
    # answered at 11:00: a later notice within its deadline, 1 h.
    t1 = s.ticket(at(2026, 7, 6, 10), A, CRITICAL_SUBJECT, CRITICAL_BODY, "critica")
    s.ack(t1, at(2026, 7, 6, 10, 1))
    s.answer(t1, at(2026, 7, 6, 11))
    client_writes(d, t1, at(2026, 7, 7, 10), 1)
    s.answer(t1, at(2026, 7, 7, 11))
    # T2 GRAVE Wednesday 9:00, answered 12:00 (3 h, due 13:00); the client writes Thursday 9:00
    # (due 13:00), answered 15:00: beyond its deadline, 6 h. Resolved Friday 9:00: 18 business hours.
    t2 = s.ticket(at(2026, 7, 8, 9), A, "Varios usuarios sin correo", "Varios usuarios no pueden trabajar.", "grave")
    s.ack(t2, at(2026, 7, 8, 9, 2))
    s.answer(t2, at(2026, 7, 8, 12))
    client_writes(d, t2, at(2026, 7, 9, 9), 2)
    s.answer(t2, at(2026, 7, 9, 15))
    s.n += 1
    d.at(at(2026, 7, 10, 9)).mail(engineer_reply(d, t2, "#estado resuelto\nQuedó resuelto.", n=s.n))
    # otra.com.mx. T3 LEVE Monday 3 Aug 10:00, answered 11:30, resolved Tuesday 10:00.
    t3 = s.ticket(
        at(2026, 8, 3, 10), B, "Computadora lenta", "La computadora de recepción está muy lenta, no es urgente.", "leve"
    )
    s.ack(t3, at(2026, 8, 3, 10, 2))
    s.answer(t3, at(2026, 8, 3, 11, 30))
    s.n += 1
    d.at(at(2026, 8, 4, 10)).mail(engineer_reply(d, t3, "#estado resuelto\nListo.", n=s.n))
    # cuarta.com.mx: three CRÍTICA, answered in 0.5, 1 and 0.5 h; D2 then waits on the client.
    body = CRITICAL_BODY + "\nSucursal {}."
    d1 = s.ticket(at(2026, 8, 10, 10), CUARTA, CRITICAL_SUBJECT, body.format(1), "critica")
    s.ack(d1, at(2026, 8, 10, 10, 1))
    s.answer(d1, at(2026, 8, 10, 10, 30))
    d2 = s.ticket(at(2026, 8, 11, 10), CUARTA, CRITICAL_SUBJECT, body.format(2), "critica")
    s.ack(d2, at(2026, 8, 11, 10, 1))
    s.n += 1
    d.at(at(2026, 8, 11, 11)).mail(engineer_reply(d, d2, "#estado esperando-cliente\n¿Nos confirma?", n=s.n))
    d3 = s.ticket(at(2026, 9, 29, 10), CUARTA, CRITICAL_SUBJECT, body.format(3), "critica")
    s.ack(d3, at(2026, 9, 29, 10, 1))
    s.answer(d3, at(2026, 9, 29, 10, 30))
    # Wednesday 30 Sep 17:00: a later notice due Thursday 1 Oct 10:00, never answered.
    client_writes(d, d3, at(2026, 9, 30, 17), 3)
    # quinta.com.mx: GRAVE Monday 14 Sep 10:00 (due 14:00), never answered.
    e1 = s.ticket(
        at(2026, 9, 14, 10), QUINTA, "Varios usuarios sin correo", "Varios usuarios no pueden trabajar.", "grave"
    )
    s.ack(e1, at(2026, 9, 14, 10, 3))
    # What the tickets stored is what the report reads: T3's stored first response says 2 h and its
    # resolution 10 h (its times say 1.5 h and 9 h); T1 has no stored first response, as a ticket
    # from before migration 0008, so its 1 h is computed from its times.
    with d.app.sessions.begin() as session:
        stored = {t.number: t for t in session.scalars(select(Ticket))}
        assert (stored[t3].first_response_seconds, stored[t3].resolution_seconds) == (5400, 9 * 3600)
        assert stored[t2].resolution_seconds == 18 * 3600
        stored[t3].first_response_seconds, stored[t3].resolution_seconds = 7200, 10 * 3600
        stored[t1].first_response_seconds = None
    d.numbers = {"t1": t1, "t2": t2, "t3": t3, "d1": d1, "d2": d2, "d3": d3, "e1": e1}
    d.at(at(2026, 10, 1, 9, 5))  # when the report job runs: the later notice of D3 is not due yet
    yield d
    d.close()


def _report(d: ClockDesk, **kw) -> dict:
    with d.app.sessions() as session:
        return rep.quarterly(d.app, session, 2026, 3, now=d.now, **kw)


def test_known_quarter_figures_match_the_hand_computed_ones(known):
    d = known
    data = _report(d)
    assert data["overall"] == {
        "tickets": 7,
        "by_severity": {"critica": 4, "grave": 2, "leve": 1},
        "by_category": {"computadora-lenta": 1, "general": 6},
        "acknowledgement_owed": 7,
        "acknowledged_in_time": 7,
        "acknowledged_in_time_pct": 100.0,
        "acknowledgement_missed": {},
        # The contract's figure, each report's first answer: all in time but quinta's, never answered.
        "attention_measured": 7,
        "attention_in_time": 6,
        "attention_in_time_pct": 85.7,
        "attention_hours_median": 1.0,  # of 0.5, 0.5, 1 (T1, computed), 1, 2 (T3, as stored), 3
        "attention_hours_p90": 3.0,
        # Beside it, the later notices: T1's in time (1 h), T2's late (6 h); D3's runs, not due yet.
        "later_notices": 3,
        "later_measured": 2,
        "later_in_time": 1,
        "later_in_time_pct": 50.0,
        "later_hours_median": 3.5,
        "later_hours_p90": 6.0,
        "resolved": 2,
        "resolution_hours_median": 14.0,  # of 10 (T3, as stored) and 18
        "resolution_hours_p90": 18.0,
        "open_now": 5,  # T1, D1, D2, D3, E1
        "open_overdue": 1,  # E1
        "escalations_manager": 0,
        "escalations_vendor": {},
    }
    a, b, cuarta, quinta = (
        data["clients"][c] for c in ("cliente.com.mx", "otra.com.mx", "cuarta.com.mx", "quinta.com.mx")
    )
    assert (a["attention_in_time_pct"], a["attention_hours_median"], a["attention_hours_p90"]) == (100.0, 2.0, 3.0)
    assert (a["later_notices"], a["later_measured"], a["later_in_time"], a["later_in_time_pct"]) == (2, 2, 1, 50.0)
    assert (a["resolved"], a["resolution_hours_median"], a["open_now"]) == (1, 18.0, 1)
    assert (b["attention_hours_median"], b["resolution_hours_median"], b["open_now"]) == (2.0, 10.0, 0)
    assert (cuarta["later_notices"], cuarta["later_measured"], cuarta["later_in_time_pct"]) == (1, 0, None)
    assert (cuarta["attention_hours_median"], cuarta["attention_hours_p90"], cuarta["open_now"]) == (0.5, 1.0, 3)
    assert (quinta["attention_measured"], quinta["attention_in_time_pct"], quinta["open_overdue"]) == (1, 0.0, 1)

    assert [(w["week"], w["critica"], w["grave"], w["leve"]) for w in data["weekly"] if sum(list(w.values())[1:])] == [
        ("2026-07-06", 1, 1, 0),
        ("2026-08-03", 0, 0, 1),
        ("2026-08-10", 2, 0, 0),
        ("2026-09-14", 0, 1, 0),
        ("2026-09-28", 1, 0, 0),
    ]
    assert len(data["weekly"]) == 14 and data["weekly"][0]["week"] == "2026-06-29"
    assert [(m["month"], m["attention_measured"], m["attention_in_time_pct"]) for m in data["monthly"]] == [
        ("2026-07", 2, 100.0),
        ("2026-08", 3, 100.0),
        ("2026-09", 2, 50.0),
    ]
    assert data["times_by_severity"] == {
        "critica": {
            "first_response_hours_median": 0.75,
            "first_response_hours_p90": 1.0,
            "resolution_hours_median": None,
            "resolution_hours_p90": None,
        },
        "grave": {
            "first_response_hours_median": 3.0,
            "first_response_hours_p90": 3.0,
            "resolution_hours_median": 18.0,
            "resolution_hours_p90": 18.0,
        },
        "leve": {
            "first_response_hours_median": 2.0,
            "first_response_hours_p90": 2.0,
            "resolution_hours_median": 10.0,
            "resolution_hours_p90": 10.0,
        },
    }

    # Past 10:00 on 1 October D3's later notice is missed (running past its deadline) and its ticket overdue.
    later = _report(d.at(at(2026, 10, 1, 11)))
    assert (later["overall"]["later_measured"], later["overall"]["later_in_time_pct"]) == (3, 33.3)
    assert later["overall"]["later_hours_median"] == 3.5  # a running clock has no hours yet
    assert later["clients"]["cuarta.com.mx"]["open_overdue"] == 1


def test_the_clients_that_need_attention_lead_the_report(known):
    d = known
    data = _report(d)
    # Most reasons first, then most tickets: quinta (two), cuarta (three tickets), cliente (two tickets).
    assert data["attention_needed"] == [
        {"client": "quinta.com.mx", "tickets": 1, "reasons": {"attention_below_target": 0.0, "open_overdue": 1}},
        {"client": "cuarta.com.mx", "tickets": 3, "reasons": {"many_critical": 3}},
        {"client": "cliente.com.mx", "tickets": 2, "reasons": {"later_below_target": 50.0}},
    ]  # otra.com.mx: everything in time, nothing open
    text = rep.render_text(data, "IMAGEN TI")
    section = text.split("\nClientes que requieren atención\n")[1].split("\n\n")[0].splitlines()
    assert section[0].startswith("  Se listan los clientes con primera respuesta")
    assert [line for line in section if re.match(r"  [\w.-]+: ", line)] == [
        "  quinta.com.mx: primera respuesta dentro del tiempo comprometido: 0.0 % (meta 90 %); "
        "tickets abiertos con la atención vencida: 1",
        "  cuarta.com.mx: tickets CRÍTICA en el trimestre: 3",
        "  cliente.com.mx: avisos posteriores dentro del tiempo comprometido: 50.0 % (meta 90 %)",
    ]
    # The summary comes first, the section right after it, the rows per client after the charts.
    assert text.index("Resumen") < text.index("Clientes que requieren atención") < text.index("Por cliente")
    assert "Avisos posteriores atendidos dentro del tiempo comprometido (%): 50.0" in text

    later = _report(d.at(at(2026, 10, 1, 11)))
    assert [c["client"] for c in later["attention_needed"]] == ["cuarta.com.mx", "quinta.com.mx", "cliente.com.mx"]
    assert later["attention_needed"][0]["reasons"] == {"later_below_target": 0.0, "open_overdue": 1, "many_critical": 3}


def test_severities_and_categories_are_named_as_people_read_them(known):
    data = _report(known)
    text = rep.render_text(data, "IMAGEN TI")
    html = rep.render_html(data, "IMAGEN TI")
    for shown in (text, html):
        assert "CRÍTICA" in shown and "GRAVE" in shown and "Computadora lenta" in shown
        assert "critica" not in shown and "grave:" not in shown and "computadora-lenta" not in shown
    assert "Por criticidad: CRÍTICA: 4, GRAVE: 2, LEVE: 1" in text
    assert "<td>Computadora lenta: 1, General: 6</td>" in html
    # Open tickets overdue: status and whose turn in words, since when in local time.
    section = text.split("\nTickets abiertos con la atención vencida\n")[1].split("\n\n")[0].splitlines()
    assert [line.split() for line in section] == [
        ["Cliente", "Ticket", "Criticidad", "Estado", "Turno", "de", "Desde", "Atención", "Asunto"],
        ["quinta.com.mx", known.numbers["e1"], "GRAVE", "nuevo", "mesa", "de", "ayuda"]
        + ["2026-09-14", "10:00", "VENCIDA", "Varios", "usuarios", "sin", "correo"],
    ]
    assert f"<td>quinta.com.mx</td><td>{known.numbers['e1']}</td><td>GRAVE</td><td>nuevo</td>" in html


def _report_mail(d: ClockDesk):
    with d.app.sessions() as s:
        [data] = s.scalars(select(Outbox.data).where(Outbox.ticket_id.is_(None))).all()
    return message_from_bytes(data, policy=policy.default)


def test_the_report_mail_carries_png_charts_by_content_id_and_their_figures_as_tables(known):
    d = known
    assert rep.send_quarterly(d.app, 2026, 3, now=d.now) is True
    msg = _report_mail(d)
    assert msg.get_content_type() == "multipart/alternative"
    html_part = msg.get_body(("html",))
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    charts = rep.report_charts(_report(d))
    assert len(images) == len(charts) == 4  # weekly, per month, per client, times
    html = html_part.get_content()
    for part in images:
        cid = part["Content-ID"].strip("<>")
        assert f'<img src="cid:{cid}"' in html
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    # Every chart's figures, as a table, in both versions (a mail program that blocks images shows them).
    for chart in charts:
        header, *rows = ch.table(chart)
        assert chart.title in text and "<th>" + "</th><th>".join(header) + "</th>" in html
        for row in rows:
            assert "<tr><td>" + "</td><td>".join(row) + "</td></tr>" in html
            assert re.search(r"\n  " + r"\s+".join(re.escape(c) for c in row) + r"\n", text), row
    assert "<td>jul 2026</td><td>100</td>" in html and "<td>sep 2026</td><td>50</td>" in html
    assert "<tr><td>CRÍTICA</td><td>0.8</td><td>1</td><td>s/d</td><td>s/d</td></tr>" in html


def test_a_chart_that_cannot_be_drawn_leaves_the_report_with_its_tables(known, monkeypatch, caplog):
    d = known

    def broken(charts, **kw):
        raise ch.ChartError("drawing 4 chart(s): failed (exit 1): no matplotlib")

    monkeypatch.setattr(ch, "draw", broken)
    assert rep.send_quarterly(d.app, 2026, 3, now=d.now) is True
    msg = _report_mail(d)
    assert [p for p in msg.walk() if p.get_content_maintype() == "image"] == []
    html = msg.get_body(("html",)).get_content()
    assert "<img" not in html and "<td>sep 2026</td><td>50</td>" in html
    assert any("charts not drawn" in r.getMessage() and "no matplotlib" in r.getMessage() for r in caplog.records)


def test_text_and_json_draw_no_chart(known, mailbot, monkeypatch):
    def no(charts, **kw):
        raise AssertionError("drew charts for text or JSON")

    monkeypatch.setattr(ch, "draw", no)
    text = mailbot(known.settings, "report", "quarterly", "--quarter", "2026Q3")
    assert "Tickets recibidos por semana y criticidad" in text
    assert json.loads(mailbot(known.settings, "report", "quarterly", "--quarter", "2026Q3", "--json"))["weekly"]


def test_out_writes_the_html_with_data_images_or_the_mail_and_sends_nothing(known, mailbot, tmp_path):
    d = known
    page = tmp_path / "reporte.html"
    assert mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3", "--out", page).strip() == f"wrote {page}"
    html = page.read_text("utf-8")
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,iVBORw0KGgo") for s in sources)
    assert "cid:" not in html and "<h2>Clientes que requieren atención</h2>" in html

    eml = tmp_path / "reporte.eml"
    mailbot(d.settings, "report", "quarterly", "--quarter", "2026Q3", "--out", eml)
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["To"] == BOSS and str(msg["Subject"]).strip() == "Reporte trimestral de soporte IMAGEN TI 2026Q3"
    assert len([p for p in msg.walk() if p.get_content_type() == "image/png"]) == 4
    with d.app.sessions() as s:
        assert s.scalars(select(Outbox.id).where(Outbox.ticket_id.is_(None))).all() == []
        assert s.scalars(select(Counter.name).where(Counter.name.like("quarterly_report:%"))).all() == []


def test_out_to_a_path_that_cannot_be_written_is_one_line_and_exit_64(known, monkeypatch, tmp_path):
    invoke = in_process_cli(monkeypatch)
    for target, why in (
        (tmp_path / "no-such-folder" / "reporte.html", "cannot write"),
        (tmp_path / "reporte.pdf", "write FILE.html"),
    ):
        result = invoke(
            "--config", known.settings.source, "report", "quarterly", "--quarter", "2026Q3", "--out", target
        )
        assert result.exit_code == 64, result.output
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and why in line and "--out" in line
    assert not (tmp_path / "no-such-folder").exists()
