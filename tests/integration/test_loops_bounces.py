"""No mail loops (RFC 3834) and bounces (RFC 3464), through the real pipeline and database.

Outbound mail goes to the FileTransport outbox (no [smtp] section): each sent
mail is an .eml file whose first lines are the envelope.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from mailbot.db.models import AutoReplyLog, Event, MessageRow, Outbox
from mailbot.outbound.outbox import OutboxSender
from tests.support.config import ENGINEERS
from tests.support.desk import DeskBase
from tests.support.mail import CLIENT, dsn, make_mail, report_mail, team_headers
from tests.support.runners import cli_json

pytestmark = pytest.mark.servers

OWN = "soporte@imagenti.mx"


class Desk(DeskBase):
    """Take mail in, send what is queued, look."""

    def __init__(self, settings, clock=None):
        super().__init__(settings, clock)
        self.sender = OutboxSender(settings, self.app.sessions)
        self._seen: set[str] = set()

    def take(self, raw: bytes):
        return self.pipeline.process(raw, source="test")

    def send(self) -> list[email.message.EmailMessage]:
        """Send what is due; the mails written to the outbox folder since the last call."""
        self.sender.send_due(now=self.app.clock())
        new = sorted(p for p in self.settings.outbox_dir.glob("*.eml") if p.name not in self._seen)
        self._seen.update(p.name for p in new)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in new]

    def count(self, model, *where):
        with self.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(model).where(*where))

    def outbox_recipients(self) -> list[str]:
        with self.app.sessions() as s:
            return [a for rcpt in s.scalars(select(Outbox.rcpt_to)) for a in rcpt]


@pytest.fixture
def desk(make_settings, db_url):
    d = Desk(make_settings(db_url=db_url))
    yield d
    d.close()


# -- RFC 3834: automatic mail is never answered ----------------------------------

AUTOMATIC = [
    # (id, sender, extra headers, outcome action)
    ("auto-submitted-generated", CLIENT, {"Auto-Submitted": "auto-generated"}, "created"),
    (
        "auto-submitted-with-parameters",
        CLIENT,
        {"Auto-Submitted": 'auto-generated; owner-email="it@cliente.com.mx"'},
        "created",
    ),
    ("auto-submitted-notified", CLIENT, {"Auto-Submitted": "auto-notified"}, "created"),
    ("auto-submitted-unknown-keyword", CLIENT, {"Auto-Submitted": "notification"}, "created"),
    ("auto-submitted-replied", CLIENT, {"Auto-Submitted": "auto-replied"}, "ignored"),
    ("precedence-bulk", CLIENT, {"Precedence": "bulk"}, "created"),
    ("precedence-junk", CLIENT, {"Precedence": "junk"}, "created"),
    ("precedence-list", CLIENT, {"Precedence": "list"}, "created"),
    ("list-id", CLIENT, {"List-Id": "Avisos <avisos.cliente.com.mx>"}, "created"),
    ("list-unsubscribe", CLIENT, {"List-Unsubscribe": "<mailto:baja@cliente.com.mx>"}, "created"),
    ("x-autoreply", CLIENT, {"X-Autoreply": "yes"}, "ignored"),
    ("x-autorespond", CLIENT, {"X-Autorespond": "Estoy de vacaciones"}, "ignored"),
    ("x-auto-response-suppress", CLIENT, {"X-Auto-Response-Suppress": "All"}, "created"),
    ("null-return-path", CLIENT, {"Return-Path": "<>"}, "created"),
    ("mailer-daemon", "MAILER-DAEMON@mx.cliente.com.mx", {}, "created"),
    ("postmaster", "Postmaster <postmaster@cliente.com.mx>", {}, "created"),
    ("noreply", "Avisos <noreply@cliente.com.mx>", {}, "created"),
    ("no-reply", "no-reply@cliente.com.mx", {}, "created"),
    ("no_reply", "no_reply@cliente.com.mx", {}, "created"),
    ("do-not-reply", "do-not-reply@cliente.com.mx", {}, "created"),
    ("own-address", f"Soporte IMAGEN TI <{OWN}>", {}, "ignored"),
    ("own-address-with-detail", "soporte+IMG-000007@imagenti.mx", {}, "ignored"),
    ("own-address-upper-case", "SOPORTE@IMAGENTI.MX", {}, "ignored"),
]


@pytest.mark.parametrize("sender,headers,action", [a[1:] for a in AUTOMATIC], ids=[a[0] for a in AUTOMATIC])
def test_automatic_mail_is_never_answered(desk, sender, headers, action):
    outcome = desk.take(make_mail(sender=sender, headers=headers, message_id="<auto1@cliente.com.mx>"))
    assert outcome.action == action
    addr = email.utils.parseaddr(sender)[1].lower()
    assert addr not in desk.outbox_recipients()
    assert desk.count(AutoReplyLog) == 0
    assert desk.count(MessageRow, MessageRow.direction == "out", MessageRow.kind == "ack") == 0
    # Nothing lost: the mail is stored either way.
    assert desk.count(MessageRow, MessageRow.direction == "in", MessageRow.message_id == "<auto1@cliente.com.mx>") == 1
    if action == "created":
        [t] = desk.tickets()
        shown = desk.show(t["number"])
        [suppressed] = [e for e in shown["events"] if e["kind"] == "ack_suppressed"]
        assert suppressed["data"]["reason"].split(":")[0] in ("auto mail", "bulk mail")
    else:
        assert desk.tickets() == []
    sent = desk.send()
    assert all(addr not in m["X-Envelope-To"] for m in sent)


MACHINE = "Alertas SonicWall <alertas@cliente.com.mx>"


def _engineer_answers(desk, body):
    return desk.take(
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            to=OWN,
            subject="Re: Alerta",
            in_reply_to="<m1@cliente.com.mx>",
            references="<m1@cliente.com.mx>",
            body=body,
            headers=team_headers(),
        )
    )


def test_a_ticket_opened_by_machine_mail_writes_only_to_people_who_wrote_into_it(desk):
    opened = desk.take(
        make_mail(
            sender=MACHINE,
            cc="Jefe de TI <it@cliente.com.mx>",
            subject="Alerta",
            message_id="<m1@cliente.com.mx>",
            headers={"Auto-Submitted": "auto-generated"},
        )
    )
    assert opened.action == "created"
    shown = desk.show(opened.ticket)
    assert shown["origin"] == "auto"
    assert shown["sla"]["attention_due"] is not None  # a machine's alert may be an incident: the SLA runs
    assert {"address": "it@cliente.com.mx", "role": "recipient"} in shown["participants"]
    desk.send()
    # Nobody on the client's side asked for anything yet: the answer is recorded, mailed to no one.
    assert _engineer_answers(desk, "Ya lo estamos revisando.").action == "appended"
    assert [m for m in desk.send() if "imagenti.mx" not in m["X-Envelope-To"]] == []
    # A person writes into the ticket, copying a colleague: from now on they hear, the machine never.
    person = desk.take(
        make_mail(
            sender="Jefe de TI <it@cliente.com.mx>",
            cc="ops@cliente.com.mx",
            subject="Re: Alerta",
            body="¿Alguna novedad?",
            in_reply_to="<m1@cliente.com.mx>",
        )
    )
    assert (person.action, person.ticket) == ("appended", opened.ticket)
    desk.send()
    assert _engineer_answers(desk, "#estado cerrado\nYa revisamos el equipo.").action == "appended"
    sent = desk.send()
    client_side = sorted(
        (m["X-Envelope-To"], str(m["X-Mailbot-Ticket"])) for m in sent if "imagenti.mx" not in m["X-Envelope-To"]
    )
    assert client_side == [("it@cliente.com.mx, ops@cliente.com.mx", opened.ticket)] * 2  # the relay, the closure
    assert all("alertas@cliente.com.mx" not in m["X-Envelope-To"] for m in sent)
    withheld = [e for e in desk.show(opened.ticket)["events"] if e["kind"] == "public_mail_withheld"]
    assert [e["data"]["kind"] for e in withheld] == ["relay", "relay", "closure"]


def test_a_ticket_opened_by_list_mail_never_mails_the_list_and_is_never_escalated(desk):
    opened = desk.take(
        make_mail(
            sender=MACHINE,
            to="Todos <todos@listas.cliente.com.mx>",
            cc=OWN,
            subject="Alerta",
            message_id="<m1@cliente.com.mx>",
            headers={"List-Id": "Todos <todos.listas.cliente.com.mx>"},
        )
    )
    shown = desk.show(opened.ticket)
    assert (shown["origin"], shown["sla"]["attention_due"]) == ("bulk", None)
    desk.send()
    assert _engineer_answers(desk, "#estado cerrado\nEs un boletín.").action == "appended"
    assert [m for m in desk.send() if "imagenti.mx" not in m["X-Envelope-To"]] == []
    assert not any("listas.cliente.com.mx" in a or "alertas@" in a for a in desk.outbox_recipients())
    shown = desk.show(opened.ticket)
    assert shown["status"] == "closed"
    assert [e["data"]["kind"] for e in shown["events"] if e["kind"] == "public_mail_withheld"] == ["relay", "closure"]
    assert [e for e in shown["events"] if e["kind"] == "response"]  # the engineer's answer is on record


def test_a_list_members_reply_all_does_not_put_the_list_on_the_ticket(desk):
    opened = desk.take(
        make_mail(
            sender=MACHINE,
            to="Avisos <avisos@listas.cliente.com.mx>",
            cc=OWN,
            subject="Alerta",
            message_id="<m1@cliente.com.mx>",
            headers={"List-Id": "Avisos <avisos.listas.cliente.com.mx>"},
        )
    )
    # A member answers the list, copying support: she is on the client's side now, the list is not.
    desk.take(
        make_mail(
            sender="Pedro <pedro@cliente.com.mx>",
            to="avisos@listas.cliente.com.mx",
            cc=OWN,
            subject="Re: Alerta",
            body="¿Alguien lo revisa?",
            in_reply_to="<m1@cliente.com.mx>",
        )
    )
    roles = {p["address"]: p["role"] for p in desk.show(opened.ticket)["participants"]}
    assert roles["avisos@listas.cliente.com.mx"] == "recipient" and roles["pedro@cliente.com.mx"] == "client"
    desk.send()
    assert _engineer_answers(desk, "#estado cerrado\nYa quedó.").action == "appended"
    to_client_side = [m["X-Envelope-To"] for m in desk.send() if "imagenti.mx" not in m["X-Envelope-To"]]
    assert to_client_side == ["pedro@cliente.com.mx"] * 2  # the relay and the closure, never the list


def test_answering_the_person_who_wrote_into_a_machine_ticket_is_a_response(desk):
    opened = desk.take(
        make_mail(
            sender=MACHINE,
            subject="Alerta",
            message_id="<m1@cliente.com.mx>",
            headers={"Auto-Submitted": "auto-generated"},
        )
    )
    desk.take(
        make_mail(
            sender="Pedro <pedro@cliente.com.mx>",
            subject="Re: Alerta",
            body="¿Qué pasó?",
            in_reply_to="<m1@cliente.com.mx>",
        )
    )
    desk.send()
    # The engineer writes to Pedro directly, copying support: an answer, recorded, not relayed again.
    desk.take(
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            to="pedro@cliente.com.mx",
            cc=OWN,
            subject="Re: Alerta",
            body="Era una falsa alarma.",
            in_reply_to="<m1@cliente.com.mx>",
            headers=team_headers(),
        )
    )
    shown = desk.show(opened.ticket)
    assert shown["first_response_at"] is not None
    assert [e["data"]["text"] for e in shown["events"] if e["kind"] == "response"] == ["Era una falsa alarma."]
    assert [e for e in shown["events"] if e["kind"] == "team_mail"] == []


@pytest.mark.parametrize("value", ["no", "No", "no (a person wrote this)"])
def test_auto_submitted_no_is_a_person(desk, value):
    outcome = desk.take(make_mail(headers={"Auto-Submitted": value}))
    assert outcome.action == "created"
    [ack] = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    assert ack["Auto-Submitted"] == "auto-replied" and ack["X-Auto-Response-Suppress"] == "All"


def test_out_of_office_reply_threads_into_its_ticket_and_is_never_answered(desk):
    assert desk.take(make_mail(subject="La VPN no conecta", message_id="<c1@cliente.com.mx>")).action == "created"
    sent = desk.send()
    [ack] = [m for m in sent if m["X-Envelope-To"] == CLIENT]
    tag_subject = str(ack["Subject"])

    # An engineer writes to the client, copying the desk.
    engineer = desk.take(
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            to=CLIENT,
            cc=OWN,
            subject="Re: " + tag_subject,
            message_id="<e1@imagenti.mx>",
            in_reply_to="<c1@cliente.com.mx>",
            references="<c1@cliente.com.mx>",
            headers=team_headers(),
        )
    )
    assert (engineer.action, engineer.ticket) == ("appended", "IMG-000001")
    # The client's out-of-office answers the engineer's mail (RFC 3834 headers)...
    oof = desk.take(
        make_mail(
            subject="Respuesta automática: Re: " + tag_subject,
            to=f"{ENGINEERS[0]}, {OWN}",
            message_id="<oof1@cliente.com.mx>",
            in_reply_to="<e1@imagenti.mx>",
            references="<c1@cliente.com.mx> <e1@imagenti.mx>",
            headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
            body="Estoy fuera de la oficina hasta el lunes.",
        )
    )
    # ...and another one answers our acknowledgement, recognisable only by its subject.
    oof2 = desk.take(
        make_mail(
            subject="Fuera de la oficina: " + tag_subject,
            message_id="<oof2@cliente.com.mx>",
            in_reply_to=str(ack["Message-ID"]),
            body="Regreso el lunes.",
        )
    )
    assert (oof.action, oof.ticket) == ("appended", "IMG-000001")
    assert (oof2.action, oof2.ticket) == ("appended", "IMG-000001")
    # An out-of-office that belongs to no ticket is recorded, not ticketed.
    stray = desk.take(
        make_mail(
            subject="Respuesta automática: Cotización",
            message_id="<oof3@cliente.com.mx>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert stray.action == "ignored"

    assert [t["number"] for t in desk.tickets()] == ["IMG-000001"]
    shown = desk.show("IMG-000001")
    inbound = [(m["message_id"], m["kind"]) for m in shown["messages"] if m["direction"] == "in"]
    assert inbound == [
        ("<c1@cliente.com.mx>", "client"),
        ("<e1@imagenti.mx>", "engineer"),
        ("<oof1@cliente.com.mx>", "autoreply"),
        ("<oof2@cliente.com.mx>", "autoreply"),
    ]
    assert desk.send() == []  # nothing answered any of them
    assert desk.count(Outbox) == 2  # the acknowledgement and the engineers' notice, from the first mail
    assert desk.count(Event, Event.kind == "not_ticketed", Event.ticket_id.is_(None)) == 1
    assert desk.count(MessageRow, MessageRow.message_id == "<oof3@cliente.com.mx>", MessageRow.ticket_id.is_(None)) == 1


def test_read_receipts_and_other_reports_are_never_answered(desk):
    desk.take(make_mail(subject="Impresora", message_id="<p1@cliente.com.mx>"))
    [ack] = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    mdn = report_mail(
        "disposition-notification",
        subject="Leído: " + str(ack["Subject"]),
        references=str(ack["Message-ID"]),
        message_id="<mdn1@cliente.com.mx>",
        status=f"Original-Message-ID: {ack['Message-ID']}\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n",
    )
    stray = report_mail(
        "disposition-notification",
        subject="Leído: Cotización",
        message_id="<mdn2@cliente.com.mx>",
        status="Disposition: manual-action/MDN-sent-manually; displayed\r\n",
    )
    assert (desk.take(mdn).action, desk.take(stray).action) == ("appended", "ignored")
    assert [t["number"] for t in desk.tickets()] == ["IMG-000001"]
    assert desk.send() == []


def test_the_sender_ceiling_stops_ping_pong_with_a_responder_that_looks_human(make_settings, db_url):
    """A helpdesk that answers every mail with a new, unthreaded mail without RFC 3834 headers and
    with new words each time: nothing marks it as a loop, so only the ceiling (50 an hour by
    default) stops it; the team hears of it once."""
    now = [datetime(2026, 3, 2, 16, 0, tzinfo=UTC)]
    desk = Desk(make_settings(db_url=db_url), clock=lambda: now[0])
    responder = "mesa@proveedor-x.com"
    counter = iter(range(1, 1000))

    def responder_mail():
        n = next(counter)
        return make_mail(
            sender=f"Mesa de ayuda <{responder}>",
            subject=f"Solicitud {4700 + n} registrada",
            message_id=f"<r{n}@proveedor-x.com>",
            body=f"Su solicitud {4700 + n} fue registrada.",
        )

    def loop_notices():
        return desk.count(MessageRow, MessageRow.kind == "loop_guard_notice")

    try:
        inbox = [responder_mail()]
        rounds = 0
        while inbox and rounds < 80:
            rounds += 1
            for raw in inbox:
                desk.take(raw)
            now[0] += timedelta(seconds=30)
            # The responder answers every mail it receives with a new mail.
            inbox = [responder_mail() for m in desk.send() if m["X-Envelope-To"] == responder]
        assert not inbox, "the ping-pong did not stop"
        assert desk.count(MessageRow, MessageRow.kind == "ack") == 50
        tickets = desk.tickets()
        assert len(tickets) == 51  # every mail is still ticketed; only the acknowledgements stop
        last = desk.show(tickets[-1]["number"])
        [withheld] = [e for e in last["events"] if e["kind"] == "ack_suppressed"]
        assert withheld["data"]["reason"].startswith(f"loop guard: 50 automatic replies to {responder}")
        assert withheld["data"]["guard"] == "sender_ceiling"
        # The team is told, in Spanish, naming the sender; the notice is on the ticket that tripped.
        [told] = [e for e in last["events"] if e["kind"] == "loop_guard_notice"]
        assert told["data"]["sender"] == responder and sorted(told["data"]["to"]) == sorted(ENGINEERS)
        [notice] = [m for m in last["messages"] if m["kind"] == "loop_guard_notice"]
        assert notice["to"] == told["data"]["to"] and responder in notice["subject"]
        assert "dejó de enviar acuses de recibo automáticos a " + responder in notice["body"]

        # It writes on later in the day: recorded, not answered, and the team is not told again.
        now[0] += timedelta(minutes=10)
        assert desk.take(responder_mail()).action == "created"
        assert [m["X-Envelope-To"] for m in desk.send()].count(responder) == 0
        assert loop_notices() == 1
        # The ceiling is per sender: a client writing now is answered.
        desk.take(make_mail(message_id="<other@cliente.com.mx>"))
        assert [m["X-Envelope-To"] for m in desk.send()].count(CLIENT) == 1
        # Once the window has passed, the responder is answered again (a notice a day: test_loop_guard.py).
        now[0] += timedelta(minutes=61)
        desk.take(responder_mail())
        assert [m["X-Envelope-To"] for m in desk.send()].count(responder) == 1
    finally:
        desk.close()


def test_a_responder_answering_in_the_thread_gets_one_acknowledgement(desk):
    """A responder without RFC 3834 headers that answers every mail we send, in the thread: its
    answers join the ticket, where nothing is acknowledged, so the exchange stops at once; after
    a closure, its answer to the closure opens one new ticket (a person's mail could mean the
    problem is back), and that is all."""

    def answer(to: email.message.EmailMessage, n: int) -> bytes:
        return make_mail(
            subject="Re: " + str(to["Subject"]),
            message_id=f"<a{n}@cliente.com.mx>",
            in_reply_to=str(to["Message-ID"]),
            references=str(to["Message-ID"]),
            body="Gracias por su correo, lo atenderemos a la brevedad.",
        )

    assert desk.take(make_mail(subject="Sin correo", message_id="<s1@cliente.com.mx>")).action == "created"
    answered, n = 0, 0
    inbox = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    while inbox and n < 20:
        for mail in inbox:
            n += 1
            outcome = desk.take(answer(mail, n))
            assert (outcome.action, outcome.ticket) == ("appended", "IMG-000001")
        answered += len(inbox)
        inbox = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    assert answered == 1  # our acknowledgement, answered once; nothing went back
    assert desk.count(MessageRow, MessageRow.kind == "ack") == 1

    cli_json("tickets", "close", "IMG-000001", "--summary", "Se restableció el buzón.", config=desk.settings.source)
    inbox = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    assert len(inbox) == 1  # the closure
    rounds = 0
    while inbox and rounds < 20:
        rounds += 1
        for mail in inbox:
            n += 1
            desk.take(answer(mail, n))
        inbox = [m for m in desk.send() if m["X-Envelope-To"] == CLIENT]
    assert [t["number"] for t in desk.tickets()] == ["IMG-000001", "IMG-000002"]
    assert desk.show("IMG-000002")["linked_ticket"] == "IMG-000001"
    assert desk.count(MessageRow, MessageRow.kind == "ack") == 2
    assert rounds == 2  # the closure answered (a new ticket, acknowledged), its acknowledgement answered (joined)


# -- RFC 3464: bounces ---------------------------------------------------------------


@pytest.mark.parametrize("headers_only", [False, True], ids=["message-rfc822", "text-rfc822-headers"])
def test_bounce_attaches_to_its_ticket_and_marks_the_outbound_mail_failed(desk, headers_only):
    desk.take(
        make_mail(sender="Juan <juan.perez@cliente.com.mx>", subject="Sin internet", message_id="<b1@cliente.com.mx>")
    )
    sent = desk.send()
    [ack] = [m for m in sent if m["X-Envelope-To"] == CLIENT]
    ack_bytes = ack.as_bytes(policy=email.policy.SMTP).split(b"\r\n", 2)[2]  # without the envelope lines
    outbox_before = desk.count(Outbox)

    bounce = dsn(ack_bytes, CLIENT, headers_only=headers_only)
    outcome = desk.take(bounce)
    assert (outcome.action, outcome.ticket) == ("bounce", "IMG-000001")
    assert desk.take(bounce).action == "duplicate"

    shown = cli_json("tickets", "show", "IMG-000001", config=desk.settings.source)
    assert len(cli_json("tickets", "list", config=desk.settings.source)) == 1
    out = {m["kind"]: m for m in shown["messages"] if m["direction"] == "out"}
    assert out["ack"]["message_id"] == str(ack["Message-ID"]) and out["ack"]["status"] == "failed"
    assert out["notice"]["status"] == "sent"
    [report] = [m for m in shown["messages"] if m["direction"] == "in" and m["kind"] == "bounce"]
    assert report["message_id"] == "<dsn1@mx.cliente.com.mx>"
    [bounced] = [e for e in shown["events"] if e["kind"] == "bounced"]
    assert bounced["data"]["message_id"] == str(ack["Message-ID"]) and bounced["data"]["to"] == [CLIENT]
    assert "550 5.1.1" in bounced["data"]["diagnostic"]
    # No reply to the mailer daemon, no new ticket.
    assert desk.count(Outbox) == outbox_before and desk.send() == []


def test_bounce_of_unknown_mail_creates_no_ticket_and_is_kept(desk):
    original = make_mail(sender=OWN, to=CLIENT, message_id="<nunca-enviado@imagenti.mx>")
    outcome = desk.take(dsn(original, CLIENT))
    assert (outcome.action, outcome.ticket) == ("bounce", None)
    assert desk.tickets() == [] and desk.count(Outbox) == 0
    assert desk.count(MessageRow, MessageRow.kind == "bounce", MessageRow.ticket_id.is_(None)) == 1
    assert desk.count(Event, Event.kind == "bounce_unmatched") == 1


def test_bounce_of_an_engineer_notice_marks_only_that_mail(make_settings, db_url):
    desk = Desk(make_settings(db_url=db_url, team={"notify": ["no-existe@imagenti.mx"]}))
    try:
        desk.take(make_mail(message_id="<n1@cliente.com.mx>"))
        [notice] = [m for m in desk.send() if m["X-Envelope-To"] == "no-existe@imagenti.mx"]
        raw = notice.as_bytes(policy=email.policy.SMTP).split(b"\r\n", 2)[2]
        assert desk.take(dsn(raw, "no-existe@imagenti.mx", message_id="<dsn2@imagenti.mx>")).ticket == "IMG-000001"
        statuses = {m["kind"]: m["status"] for m in desk.show("IMG-000001")["messages"] if m["direction"] == "out"}
        assert statuses == {"ack": "sent", "notice": "failed"}
    finally:
        desk.close()
