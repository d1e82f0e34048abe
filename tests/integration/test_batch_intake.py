"""A batch taken in with one flush, its tickets numbered at its end, gives what one mail at a time gives.

Intake writes a batch's new reports in one flush and numbers their tickets
together at the end (``pipeline.batch``, ``tickets.numbering``). A mail that
depends on an earlier one of the same batch (a follow-up, the same mail
again, a team member's command, a number not yet given) must read what
one-mail-at-a-time intake would have read. The same mails are taken in both
ways on fresh databases and the results compared: tickets, numbers, messages,
events, queued mail and outcomes.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import psycopg
import pytest
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.db.bulk import write_new
from mailbot.db.models import AttachmentRow, Clock, Event, MessageRow, Outbox, Participant, Ticket
from mailbot.pipeline import batch
from mailbot.pipeline.core import Item, Pipeline
from mailbot.tickets.numbering import subject_tag
from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.mail import CLIENT_FROM, append_many, make_mail, report_mail, team_headers
from tests.support.runners import cli
from tests.support.servers import PG_URL, pg_schema

pytestmark = pytest.mark.servers


def corpus(settings) -> list[bytes]:
    def tag(seq: int) -> str:
        return subject_tag(settings, settings.mailbot.number_format.format(seq=seq))

    return [
        make_mail(message_id="<a1@cliente.com.mx>", subject="El antivirus no actualiza", body="Desde ayer."),
        make_mail(
            sender="Berta Ruiz <berta@otra.com.mx>",
            message_id="<b1@otra.com.mx>",
            subject="Licencia de Safetica",
            body="Necesitamos la llave.",
        ),
        # A follow-up to the first mail, in the same batch: into ticket 1.
        make_mail(
            message_id="<a2@cliente.com.mx>",
            subject="RE: El antivirus no actualiza",
            body="Olvidé decir que son 3 equipos.",
            in_reply_to="<a1@cliente.com.mx>",
            references="<a1@cliente.com.mx>",
        ),
        make_mail(
            sender="Carlos <carlos@tercera.mx>",
            message_id="<c1@tercera.mx>",
            subject="URGENTE: caida del firewall SonicWall",
            body="Toda la empresa esta sin internet.",
        ),
        # The same report again under another Message-ID: a repeat, joins ticket 3.
        make_mail(
            sender="Carlos <carlos@tercera.mx>",
            message_id="<c2@tercera.mx>",
            subject="URGENTE: caida del firewall SonicWall",
            body="Toda la empresa esta sin internet.",
        ),
        # The second mail delivered twice.
        make_mail(
            sender="Berta Ruiz <berta@otra.com.mx>",
            message_id="<b1@otra.com.mx>",
            subject="Licencia de Safetica",
            body="Necesitamos la llave.",
        ),
        # An out-of-office answer to nothing.
        make_mail(
            sender="Dora <dora@cuarta.mx>",
            message_id="<d1@cuarta.mx>",
            subject="Respuesta automática: fuera de la oficina",
            body="Regreso el lunes.",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        # An engineer's command on ticket 2, which this batch opened.
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            message_id="<e1@imagenti.mx>",
            subject=f"RE: {tag(2)} Licencia de Safetica",
            body="#severidad leve\n\nLa enviamos hoy.",
            headers=team_headers(),
        ),
        # A stranger names ticket 1 (numbered by this batch): a new ticket, linked to it.
        make_mail(
            sender="Extraño <x@ajeno.mx>",
            message_id="<x1@ajeno.mx>",
            subject=f"RE: {tag(1)} El antivirus no actualiza",
            body="¿Me pueden ayudar también?",
        ),
        make_mail(sender=CLIENT_FROM, message_id="<a3@cliente.com.mx>", subject="Otra cosa", body="Una consulta."),
        # A delivery report for mail we never sent.
        report_mail(
            "delivery-status",
            subject="Undelivered Mail Returned to Sender",
            message_id="<dsn1@mx.cliente.com.mx>",
            status="Reporting-MTA: dns; mx.cliente.com.mx\n\nFinal-Recipient: rfc822; nadie@cliente.com.mx\n"
            "Action: failed\nStatus: 5.1.1\n",
            sender="MAILER-DAEMON@mx.cliente.com.mx",
        ),
        make_mail(sender="Eva <eva@quinta.mx>", message_id="<f1@quinta.mx>", subject="VPN lenta", body="Lenta."),
        # A new report with attachments: rows that belong to its message, not to the ticket.
        make_mail(
            sender="Fer <fer@sexta.mx>",
            message_id="<g1@sexta.mx>",
            subject="Captura del error del agente",
            body="Adjunto la captura y el log.",
            attachments=[
                ("captura.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png"),
                ("agente.log", b"error 42\n", "text/plain"),
            ],
        ),
    ]


def _sorted(rows) -> list:
    return sorted(rows, key=repr)  # None beside text: compared as written


def state(app) -> dict:
    """What a person could see of the desk, without times and our own random Message-IDs."""
    with app.sessions() as s:
        numbers = dict(s.execute(select(Ticket.id, Ticket.number)).all())
        tickets = [
            (t.seq, t.number, t.requester, t.subject, t.status, t.severity, numbers.get(t.linked_ticket_id))
            for t in s.scalars(select(Ticket).order_by(Ticket.seq))
        ]
        messages = _sorted(
            (numbers.get(m.ticket_id), m.direction, m.kind, m.from_addr, m.subject, m.status)
            for m in s.scalars(select(MessageRow))
        )
        events = _sorted((numbers.get(e.ticket_id), e.kind, e.actor) for e in s.scalars(select(Event)))
        outbox = _sorted((numbers.get(o.ticket_id), tuple(o.rcpt_to), o.status) for o in s.scalars(select(Outbox)))
        of_message = dict(s.execute(select(MessageRow.id, MessageRow.ticket_id)).all())
        attachments = _sorted(
            (numbers.get(of_message[a.message_row_id]), a.position, a.filename, a.content_type, a.size, a.dropped)
            for a in s.scalars(select(AttachmentRow))
        )
        clocks = _sorted(
            (numbers.get(c.ticket_id), c.first, c.source, c.severity, c.stopped_by) for c in s.scalars(select(Clock))
        )
        participants = _sorted((numbers.get(p.ticket_id), p.address, p.role) for p in s.scalars(select(Participant)))
    return {
        "tickets": tickets,
        "messages": messages,
        "events": events,
        "outbox": outbox,
        "attachments": attachments,
        "clocks": clocks,
        "participants": participants,
    }


@pytest.fixture
def second_db_url(db_url, tmp_path):
    """Another, empty database of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/second.db"
    else:
        yield from pg_schema()


def test_a_batch_gives_what_one_mail_at_a_time_gives(make_settings, db_url, second_db_url, caplog, monkeypatch):
    one_by_one = build_app(make_settings(db_url=db_url))
    try:
        mails = corpus(one_by_one.settings)
        # The reference: each mail in a savepoint of its own, numbered at once (the way taken when
        # the one-flush way fails).
        with monkeypatch.context() as m:
            m.setattr(Pipeline, "_in_one_flush", lambda *_: None)
            alone = [Pipeline(one_by_one).process(raw, source="test") for raw in mails]
        expected = state(one_by_one)
        numbers = [one_by_one.settings.mailbot.number_format.format(seq=k) for k in range(1, 8)]
    finally:
        one_by_one.close()
    batched = build_app(make_settings(db_url=second_db_url))
    try:
        written = []
        monkeypatch.setattr(batch, "write_new", lambda session: written.append(write_new(session)) or written[-1])
        with caplog.at_level(logging.INFO, logger="mailbot.pipeline"):
            together = Pipeline(batched).process_batch([Item(raw, source="test") for raw in mails])
        assert not [r for r in caplog.records if "taken again" in r.getMessage()]  # the one-flush way ran
        if batched.settings.database_url.startswith("sqlite"):
            assert True in written  # the new rows went in by executemany, without the unit of work
        got = state(batched)
    finally:
        batched.close()
    assert [(o.action, o.ticket) for o in together] == [(o.action, o.ticket) for o in alone]
    assert got == expected
    # What the mails did, as a person would check it.
    actions = [o.action for o in alone]
    assert actions.count("created") == 7
    assert {"duplicate", "bounce", "ignored"} <= set(actions)
    assert [t[1] for t in got["tickets"]] == numbers
    linked = {t[1]: t[6] for t in got["tickets"]}
    assert linked[numbers[3]] == numbers[0]  # the stranger's ticket links to ticket 1


def test_the_ticket_counter_is_free_while_a_batch_is_taken_in(make_settings, pg_url):
    # Another process on the same PostgreSQL needs the counter row for its own new tickets. The
    # batch numbers its tickets at its end, so half-way through it has not locked the row yet.
    app = build_app(make_settings(db_url=pg_url))
    schema = pg_url.rsplit("%3D", 1)[1]
    try:
        Pipeline(app).process(make_mail(message_id="<first@cliente.com.mx>"))  # the counter row exists
        seen: list[int] = []
        calls = 0

        def clock():
            nonlocal calls
            calls += 1
            if calls == 6:  # five new tickets opened before this mail
                with psycopg.connect(PG_URL) as other:
                    other.execute("SET lock_timeout = '3s'")
                    seen.append(other.execute(f"SELECT value FROM {schema}.counters FOR UPDATE").fetchone()[0])
                    other.rollback()
            return app.clock()

        mails = [
            Item(make_mail(sender=f"C{k} <c{k}@empresa{k}.mx>", subject=f"Caso {k}", message_id=f"<k{k}@e.mx>"))
            for k in range(10)
        ]
        out = Pipeline(replace(app, clock=clock)).process_batch(mails)
        assert seen == [1]  # taken without waiting, and none of the batch's numbers taken yet
        fmt = app.settings.mailbot.number_format
        assert [o.ticket for o in out] == [fmt.format(seq=k) for k in range(2, 12)]  # gapless, in mail order
    finally:
        app.close()


def test_run_once_acknowledges_the_first_clients_while_the_backlog_is_still_coming_in(
    make_settings, dovecot, smtp_sink
):
    n = 300
    append_many(dovecot, n, "Atraso")
    settings = make_settings(imap=imap_section(dovecot, batch_size=20), smtp=smtp_section(smtp_sink))
    cli("run", "--once", config=settings.source)
    app = build_app(settings)
    try:
        with app.sessions() as s:
            first_sent = s.scalar(select(func.min(Outbox.sent_at)))
            last_ticket = s.scalar(select(func.max(Ticket.created_at)))
            assert s.scalar(select(func.count()).select_from(Ticket)) == n
    finally:
        app.close()
    assert first_sent < last_ticket  # the first acknowledgement left before the last mail was taken in
    assert len(smtp_sink.wait_for(n, 30)) >= n


def test_postgresql_sessions_are_named_mailbot_unless_the_url_names_them(make_settings, pg_url):
    # Ops (and bench/processes.py) tell processes apart in pg_stat_activity by the name the URL gives.
    for url, name in ((pg_url, "mailbot"), (pg_url + "&application_name=mesa-norte", "mesa-norte")):
        app = build_app(make_settings(db_url=url))
        try:
            with app.sessions() as s:
                assert s.scalar(select(func.current_setting("application_name"))) == name
        finally:
            app.close()
