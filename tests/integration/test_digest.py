"""The morning digests on a seeded desk, on SQLite and PostgreSQL, at Monday 7 December 2026, 08:30.

The seed goes through the real pipeline on a hand-moved clock: clients
write, an engineer answers in the thread, a client writes again, a vendor
case is opened; assignments and statuses are set as the CLI sets them.
Business hours are the default 09:00-18:00, Monday to Friday (Mexico City).
"""

from __future__ import annotations

import re
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from mailbot.db.models import Counter, MessageRow, Outbox, Ticket
from mailbot.jobs.digest import digest_job, job_id
from mailbot.jobs.scheduler import Scheduler
from mailbot.pipeline.outcome import Action
from mailbot.reports import charts
from mailbot.reports import digest as dig
from mailbot.tickets import actions
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import open_vendor_case
from mailbot.vocab import Direction, MessageKind, Status
from tests.support.config import ENGINEERS, MANAGER
from tests.support.desk import ClockDesk, engineer_reply
from tests.support.desk import mx_time as at
from tests.support.mail import CRITICAL_BODY, CRITICAL_SUBJECT, make_mail, team_headers
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers

ANA, LUIS, CARLA = ENGINEERS
A = "juan.perez@cliente.com.mx"
B = "laura.gomez@otra.com.mx"
C = "pedro@tercero.mx"
MONDAY = at(2026, 12, 7, 8, 30)
GRAVE = ("Varios usuarios sin correo", "Varios usuarios no pueden trabajar.")
LEVE = ("Una consulta", "Quisiera saber cuándo vence la licencia, no es urgente.")


class Seed:
    def __init__(self, desk: ClockDesk):
        self.d = desk
        self.n = 0

    def ticket(self, when, sender, subject, body, severity) -> str:
        self.n += 1
        out = self.d.at(when).mail(
            make_mail(sender=sender, subject=subject, body=body, message_id=f"<seed{self.n}@example.mx>")
        )
        assert self.d.ticket(out.ticket)["severity"] == severity, subject
        return out.ticket

    def answer(self, number, when):
        self.n += 1
        self.d.at(when).mail(engineer_reply(self.d, number, "Lo revisamos.", n=self.n))

    def act(self, number, when, fn):
        with self.d.app.sessions.begin() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            fn(Ops(self.d.app, s, when), ticket)

    def assign(self, number, who):
        def set_assignee(ops, t):
            t.assignee = None if who is None else actions.resolve_assignee(ops.settings, who)

        self.act(number, self.d.now, set_assignee)

    def status(self, number, status, when):
        self.act(number, when, lambda ops, t: actions.set_status(ops, t, status, ANA))


def seed(d: ClockDesk) -> dict[str, str]:
    s = Seed(d)
    # Two weeks earlier: a critical ticket answered in 1 business hour and resolved in 5.
    t0 = s.ticket(at(2026, 11, 23, 10), A, CRITICAL_SUBJECT, CRITICAL_BODY, "critica")
    s.answer(t0, at(2026, 11, 23, 11))
    s.status(t0, Status.RESOLVED, at(2026, 11, 23, 15))
    # Thursday: a LEVE one answered in 2 h; the client writes again on Friday at 17:00 and nobody answers.
    t3 = s.ticket(at(2026, 12, 3, 10), B, *LEVE, "leve")
    s.answer(t3, at(2026, 12, 3, 12))
    s.n += 1
    d.at(at(2026, 12, 4, 17)).mail(
        make_mail(
            sender=B,
            subject=f"Re: [IMAGEN TI #{t3}] Una consulta",
            body="¿Alguna novedad?",
            message_id="<b2@otra.com.mx>",
        )
    )
    # Thursday: a LEVE one answered and now waiting on the client (a wait set without an answer
    # would leave the report's clock running: it answers nobody).
    t6 = s.ticket(at(2026, 12, 3, 11), A, "Otra consulta", "Quisiera saber algo más, no es urgente.", "leve")
    s.answer(t6, at(2026, 12, 3, 15))
    s.status(t6, Status.WAITING_CLIENT, at(2026, 12, 3, 15))
    # Friday 09:30: GRAVE, handed to SonicWall at 12:00 and waiting on it since.
    t4 = s.ticket(
        at(2026, 12, 4, 9, 30), B, "Firewall SonicWall sin VPN", "Varios usuarios no pueden trabajar.", "grave"
    )
    s.answer(t4, at(2026, 12, 4, 12))
    s.act(t4, at(2026, 12, 4, 12), lambda ops, t: open_vendor_case(ops, t, "sonicwall", actor=LUIS))
    s.status(t4, Status.WAITING_VENDOR, at(2026, 12, 4, 12))
    # Friday 10:00: GRAVE, never answered: due Friday 14:00, overdue by 4 business hours on Monday.
    t2 = s.ticket(at(2026, 12, 4, 10), A, *GRAVE, "grave")
    # Friday 16:30: CRÍTICA, due Monday 09:30: half a business hour left at 08:30.
    t1 = s.ticket(at(2026, 12, 4, 16, 30), A, CRITICAL_SUBJECT + " <b>sucursal</b>", CRITICAL_BODY, "critica")
    # Monday 08:00, before opening: LEVE, nobody's.
    t5 = s.ticket(at(2026, 12, 7, 8), C, *LEVE, "leve")
    for number, who in ((t0, ANA), (t1, ANA), (t2, ANA), (t3, ANA), (t4, LUIS), (t6, LUIS), (t5, None)):
        s.assign(number, who)
    d.at(MONDAY)
    return dict(t0=t0, t1=t1, t2=t2, t3=t3, t4=t4, t5=t5, t6=t6)


def desk(make_settings, db_url, **digest):
    return ClockDesk(make_settings(db_url=db_url, digest=digest), at(2026, 11, 23, 9))


@pytest.fixture
def seeded(make_settings, db_url):
    d = desk(make_settings, db_url)
    d.t = seed(d)
    yield d
    d.close()


def digests(d: ClockDesk) -> list[MessageRow]:
    return d.out(MessageKind.DIGEST)


def claims(d: ClockDesk) -> list[str]:
    with d.app.sessions() as s:
        return sorted(s.scalars(select(Counter.name).where(Counter.name.like("digest:%"))))


def test_each_engineer_gets_their_open_tickets_by_risk(seeded):
    d, t = seeded, seeded.t
    with d.app.sessions() as s:
        by = {e.address: e for e in dig.engineer_digests(d.app, s, d.now)}
    assert set(by) == {ANA, LUIS, CARLA}
    ana = by[ANA]
    # Overdue first, then by business time left: 0.5 h (CRÍTICA), then 23 h (the client's second mail).
    assert [i.number for i in ana.mine] == [t["t2"], t["t1"], t["t3"]]
    t2, t1, t3 = ana.mine
    assert t2.overdue and t2.late_seconds == 4 * 3600 and not t2.followup
    assert not t1.overdue and t1.left_seconds == 1800 and t1.at_risk
    assert t3.followup and t3.left_seconds == 23 * 3600 and t3.notice_at == at(2026, 12, 4, 17)
    # No clock runs on Luis's: it is the vendor's and the client's turn; the more severe first.
    assert [i.number for i in by[LUIS].mine] == [t["t4"], t["t6"]]
    vendor, waiting = by[LUIS].mine
    assert (vendor.turn, vendor.vendor, vendor.vendor_seconds) == ("vendor", "SonicWall", 6 * 3600)
    assert (waiting.turn, waiting.turn_since, waiting.due) == ("client", at(2026, 12, 3, 15), None)
    # Nobody's ticket goes to everyone; Carla has nothing else.
    assert [i.number for i in by[CARLA].unassigned] == [t["t5"]] and by[CARLA].mine == []
    assert [i.number for i in ana.unassigned] == [t["t5"]]

    assert dig.send_digests(d.app, dig.ENGINEERS, d.now) == [ANA, LUIS, CARLA]
    rows = {r.to_addrs[0]: r for r in digests(d)}
    assert rows[ANA].subject == "Sus tickets abiertos — lunes 7 de diciembre"
    text = rows[ANA].body_text
    # The list in that order, with what each waits on and who wrote last.
    assert text.index(t["t2"]) < text.index(t["t1"]) < text.index(t["t3"]) < text.index(t["t5"])
    assert "El cliente escribió y nadie le ha respondido: " + ", ".join([t["t2"], t["t1"], t["t3"]]) in text
    assert "VENCIDO: venció el viernes 4 de diciembre de 2026, 14:00, hace 4 h hábiles" in text
    assert "Vence: lunes 7 de diciembre de 2026, 09:30, quedan 0.5 h hábiles" in text
    assert "El cliente volvió a escribir el viernes 4 de diciembre de 2026, 17:00 y nadie le ha respondido" in text
    assert "Le toca a: mesa de ayuda (nuevo)" in text and "GRAVE" in text and "waiting" not in text
    luis = rows[LUIS].body_text
    assert "Caso con el fabricante SonicWall abierto el viernes 4 de diciembre de 2026, 12:00" in luis
    assert "hace 6 h hábiles" in luis and "Le toca a: cliente (esperando al cliente)" in luis
    # Text from mail is escaped in the HTML.
    html = d.queued(rows[ANA]).get_body(("html",)).get_content()
    assert "&lt;b&gt;sucursal&lt;/b&gt;" in html and "<b>sucursal</b>" not in html


def test_unassigned_tickets_go_to_the_manager_only_when_configured(make_settings, db_url):
    d = desk(make_settings, db_url, unassigned_to="manager")
    try:
        t = seed(d)
        assert dig.send_digests(d.app, dig.ENGINEERS, d.now) == [ANA, LUIS]  # Carla had only the unassigned one
        assert all(t["t5"] not in r.body_text for r in digests(d))
        assert dig.send_digests(d.app, dig.MANAGER, d.now) == [MANAGER]
        [board] = d.out(MessageKind.DIGEST)[-1:]
        assert board.to_addrs == [MANAGER] and "Sin asignar (1)" in board.body_text and t["t5"] in board.body_text
    finally:
        d.close()


def test_the_managers_board(seeded):
    d, t = seeded, seeded.t
    with d.app.sessions() as s:
        board = dig.manager_board(d.app, s, d.now)
    assert board.address == MANAGER and board.open == 6
    assert [i.number for i in board.overdue] == [t["t2"]]
    assert [i.number for i in board.at_risk] == [t["t1"]]
    assert [(i.number, i.vendor, i.vendor_seconds) for i in board.vendor] == [(t["t4"], "SonicWall", 6 * 3600)]
    assert [i.number for i in board.unassigned] == [t["t5"]]
    assert board.by_client == {
        "cliente.com.mx": {"critica": 1, "grave": 1, "leve": 1},
        "otra.com.mx": {"critica": 0, "grave": 1, "leve": 1},
        "tercero.mx": {"critica": 0, "grave": 0, "leve": 1},
    }
    weekly, within, durations = board.charts
    table = {row[0]: row[1:] for row in charts.table(weekly)[1:]}
    assert table["23 nov"] == ["1", "0", "0", "1"]  # CRÍTICA, GRAVE, LEVE, total
    assert table["30 nov"] == ["1", "2", "2", "5"]
    assert table["12 oct"] == ["0", "0", "0", "0"] and len(table) == 8
    # Clocks due by now, by month: November's one met; in December the GRAVE one ran out, the vendor one
    # was handed over in time (the rest are not due yet).
    assert dict(zip(within.labels, within.percent, strict=True)) == {
        "jul 2026": None,
        "ago 2026": None,
        "sep 2026": None,
        "oct 2026": None,
        "nov 2026": 100.0,
        "dic 2026": 50.0,
    }
    # First responses: CRÍTICA 1 h (t0); GRAVE 2.5 h (t4); LEVE 2 h (t3) and 4 h (t6). Resolutions: CRÍTICA 5 h.
    assert durations.first_response_median == (1.0, 2.5, 3.0)
    assert durations.resolution_median == (5.0, None, None)

    assert dig.send_digests(d.app, dig.MANAGER, d.now) == [MANAGER]
    [row] = digests(d)
    assert row.subject == "Tablero de soporte — lunes 7 de diciembre"
    text = row.body_text
    for line in (
        "Tickets abiertos: 6",
        "Vencidos: 1",
        "En riesgo (vencen en las próximas 2 horas hábiles): 1",
        "Esperando a un fabricante: 1",
        "Sin asignar: 1",
    ):
        assert f"  {line}\n" in text, line
    assert re.search(r"cliente\.com\.mx\s+1\s+1\s+1\s+3\n", text)
    assert re.search(r"Total\s+1\s+2\s+3\s+6\n", text)
    assert "Asignado a: ana.lopez@imagenti.mx" in text and "Asignado a: nadie" in text


def test_the_board_mail_has_inline_charts_and_their_figures_as_tables(seeded):
    d = seeded
    dig.send_digests(d.app, dig.MANAGER, d.now)
    [row] = digests(d)
    msg = d.queued(row)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html = related.get_body(("html",)).get_content()
    images = {str(p["Content-ID"]).strip("<>"): p for p in related.iter_parts() if p.get_content_type() == "image/png"}
    assert len(images) == 3
    assert sorted(re.findall(r'src="cid:([^"]+)"', html)) == sorted(images)
    for part in images.values():
        assert part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    with d.app.sessions() as s:
        board = dig.manager_board(d.app, s, d.now)
    for chart in board.charts:
        rows = charts.table(chart)
        assert chart.title in text and chart.title in html
        for cells in rows:
            assert re.search(r"\s+".join(map(re.escape, cells)), text), cells  # the same figures in the text
            assert all(f">{c}</t" in html for c in cells if c)


def test_at_most_one_digest_per_person_per_day(seeded):
    d = seeded
    assert dig.send_digests(d.app, dig.ENGINEERS, d.now) == [ANA, LUIS, CARLA]
    assert dig.send_digests(d.app, dig.ENGINEERS, d.now) == []
    assert dig.send_digests(d.app, dig.MANAGER, d.now) == [MANAGER]
    assert dig.send_digests(d.app, dig.MANAGER, d.at(at(2026, 12, 7, 17)).now) == []
    assert len(digests(d)) == 4
    assert claims(d) == sorted(f"digest:2026-12-07:{a}" for a in (ANA, LUIS, CARLA, MANAGER))
    # The next day is another day.
    assert dig.send_digests(d.app, dig.ENGINEERS, d.at(at(2026, 12, 8, 8, 30)).now) == [ANA, LUIS, CARLA]


def test_nothing_is_sent_on_an_empty_day(make_settings, db_url):
    d = desk(make_settings, db_url)
    try:
        d.at(MONDAY)
        assert dig.send_digests(d.app, dig.ENGINEERS, d.now) == []
        assert dig.send_digests(d.app, dig.MANAGER, d.now) == []
        assert digests(d) == [] and claims(d) == []
    finally:
        d.close()


def test_preview_writes_eml_and_html_and_sends_nothing(seeded, tmp_path, monkeypatch):
    d = seeded
    invoke = in_process_cli(monkeypatch)
    queued = d.scalar(select(func.count()).select_from(Outbox))
    base = ("--config", d.settings.source, "digest", "--preview", "--at", "2026-12-07T08:30")
    printed = invoke(*base, catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    assert f"To: {ANA}\nSubject: Sus tickets abiertos — lunes 7 de diciembre" in printed.stdout
    assert f"To: {MANAGER}\nSubject: Tablero de soporte — lunes 7 de diciembre" in printed.stdout

    out = tmp_path / "preview"
    written = invoke(*base, "--for", MANAGER.upper(), "--out", out, catch_exceptions=False)
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == [f"{MANAGER}.eml", f"{MANAGER}.html"]
    msg = message_from_bytes((out / f"{MANAGER}.eml").read_bytes(), policy=policy.default)
    assert str(msg["Subject"]) == "Tablero de soporte — lunes 7 de diciembre" and msg["To"] == MANAGER
    assert len([p for p in msg.walk() if p.get_content_type() == "image/png"]) == 3
    page = (out / f"{MANAGER}.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3 and "cid:" not in page

    assert d.scalar(select(func.count()).select_from(Outbox)) == queued
    assert digests(d) == [] and claims(d) == []

    nobody = invoke("--config", d.settings.source, "digest", "--preview", "--for", "juan@cliente.com.mx")
    assert nobody.exit_code == 64 and "gets no digest" in nobody.stderr
    both = invoke("--config", d.settings.source, "digest", "--preview", "--send")
    assert both.exit_code == 64 and "one of --preview or --send" in both.stderr


def _reply_to_digest(d: ClockDesk, sender: str = ANA):
    """``sender`` answers Ana's digest; the outcome, and the tickets and outbound mail before it."""
    dig.send_digests(d.app, dig.ENGINEERS, d.now)
    [mine] = [r for r in digests(d) if r.to_addrs == [ANA]]
    tickets, before = d.scalar(select(func.count()).select_from(Ticket)), len(d.out())
    reply = make_mail(
        sender=sender,
        subject="Re: " + mine.subject,
        body="Gracias, hoy reviso el IMG-000003.",
        message_id="<digest-reply@imagenti.mx>",
        in_reply_to=mine.message_id,
        references=mine.message_id,
        headers=team_headers() if sender == ANA else None,
    )
    return d.pipeline.process(reply), tickets, before


def test_a_reply_to_a_digest_reaches_no_client(seeded):
    d = seeded
    _outcome, _tickets, before = _reply_to_digest(d)
    clients = {A, B, C}
    assert not [r for r in d.out()[before:] if clients & set(r.to_addrs + r.cc_addrs)]


def test_a_reply_to_a_digest_opens_no_ticket(seeded):
    d = seeded
    outcome, tickets, before = _reply_to_digest(d)
    assert outcome.action == Action.IGNORED, outcome
    assert d.scalar(select(func.count()).select_from(Ticket)) == tickets
    assert d.out()[before:] == []
    with d.app.sessions() as s:
        stored = s.scalar(
            select(MessageRow).where(
                MessageRow.direction == Direction.IN, MessageRow.message_id == "<digest-reply@imagenti.mx>"
            )
        )
    assert stored is not None and stored.ticket_id is None  # kept, as mail that is no ticket's


def test_a_clients_mail_that_answers_a_forwarded_digest_is_still_a_report(seeded):
    # Only the team's replies to internal mail are set aside: a client's mail is a report, whatever it answers.
    d = seeded
    outcome, tickets, _before = _reply_to_digest(d, sender=f"Cliente <{A}>")
    assert outcome.action == Action.CREATED, outcome
    assert d.scalar(select(func.count()).select_from(Ticket)) == tickets + 1


def test_the_job_sends_on_business_days_only(seeded):
    d = seeded
    # Friday 25 December 2026 is a statutory rest day: nothing, not even a claim.
    d.at(at(2026, 12, 25, 8, 30))
    assert digest_job(lambda: d.app, dig.ENGINEERS) == []
    assert digest_job(lambda: d.app, dig.MANAGER) == []
    d.at(at(2026, 12, 26, 8, 30))  # Saturday
    assert digest_job(lambda: d.app, dig.ENGINEERS) == []
    assert digests(d) == [] and claims(d) == []
    d.at(at(2026, 12, 28, 8, 30))  # Monday
    assert digest_job(lambda: d.app, dig.ENGINEERS) == [ANA, LUIS, CARLA]
    assert digest_job(lambda: d.app, dig.ENGINEERS) == []
    assert claims(d) == sorted(f"digest:2026-12-28:{a}" for a in (ANA, LUIS, CARLA))


def test_the_scheduler_times_the_digests_from_the_config(make_settings, db_url):
    d = desk(make_settings, db_url, engineers_at="07:45", manager_at="")
    try:
        current = [d.app]
        sched = Scheduler(lambda: current[0])

        def timed(kind):
            job = sched.scheduler.get_job(job_id(kind))
            return None if job is None else {f.name: str(f) for f in job.trigger.fields}

        assert (timed(dig.ENGINEERS)["hour"], timed(dig.ENGINEERS)["minute"]) == ("7", "45")
        assert timed(dig.MANAGER) is None
        # A reload: the sync job brings the cron jobs in line with the settings in force.
        reloaded = d.settings.model_copy(
            update={"digest": d.settings.digest.model_copy(update={"engineers_at": "", "manager_at": "09:10"})}
        )
        current[0] = replace(d.app, settings=reloaded)
        sched.scheduler.get_job("digest_schedule").func()
        assert timed(dig.ENGINEERS) is None
        assert (timed(dig.MANAGER)["hour"], timed(dig.MANAGER)["minute"]) == ("9", "10")
    finally:
        d.close()


def test_digest_times_are_checked(make_settings):
    from mailbot.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        make_settings(digest={"engineers_at": "8:30", "unassigned_to": "nadie"})
    text = "\n".join(m for _, _, m in err.value.problems)
    assert "digest.engineers_at: not a time of day HH:MM: '8:30'" in text
    assert "digest.unassigned_to" in text
