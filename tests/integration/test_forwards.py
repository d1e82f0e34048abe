"""A client's mail forwarded to the desk by a team member, through Dovecot and the SMTP sink."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Ticket, utcnow
from mailbot.tickets import attachments
from mailbot.tickets.actions import Ops
from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import make_mail, team_headers
from tests.support.runners import cli, run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]
MX = ZoneInfo("America/Mexico_City")
CLIENT = "jorge.mendez@transportesdelnorte.com.mx"
CLIENT_NAME = "Jorge Méndez"
SUBJECT = "DeepGuard bloquea Aspel COI en 12 equipos"
BODY = (
    "Buenos días,\n\n"
    "Desde esta mañana WithSecure DeepGuard bloquea Aspel COI en 12 equipos de contabilidad.\n"
    "No podemos facturar. Adjunto captura del mensaje.\n\n"
    "Saludos,\nJorge Méndez\nTransportes del Norte"
)
NOTE = "#severidad grave\nFrancisco, me llegó directo a mí. Lo registro."


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _sent_at() -> datetime:
    """When the client wrote: two hours ago, to the minute (inline forwards show no seconds)."""
    return (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)


def _es_date(dt: datetime) -> str:
    days = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    months = [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
        "agosto", "septiembre", "octubre", "noviembre", "diciembre",
    ]  # fmt: skip
    d = dt.astimezone(MX)
    return f"{days[d.weekday()]}, {d.day} de {months[d.month - 1]} de {d.year} {d:%H:%M}"


def _inline(style: str, sent: datetime) -> tuple[str, str]:
    """(subject, body) of an inline forward as ``style``'s mail program writes it."""
    d = sent.astimezone(MX)
    if style == "outlook-es":
        head = (
            "________________________________\n"
            f"De: {CLIENT_NAME} <{CLIENT}>\n"
            f"Enviado: {_es_date(sent)}\n"
            f"Para: Ana López <{ANA}>\n"
            f"Asunto: {SUBJECT}\n"
        )
        return f"RV: {SUBJECT}", f"{NOTE}\n\n{head}\n{BODY}\n"
    if style == "gmail-en":
        head = (
            "---------- Forwarded message ---------\n"
            f"From: {CLIENT_NAME} <{CLIENT}>\n"
            f"Date: {d:%a, %b} {d.day}, {d.year} at {d:%I:%M %p}\n"
            f"Subject: {SUBJECT}\n"
            f"To: <{ANA}>\n"
        )
        return f"Fwd: {SUBJECT}", f"{NOTE}\n\n{head}\n\n{BODY}\n"
    if style == "apple-es":
        months = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                  "octubre", "noviembre", "diciembre"]  # fmt: skip
        head = (
            "Inicio del mensaje reenviado:\n\n"
            f"De: {CLIENT_NAME} <{CLIENT}>\n"
            f"Asunto: {SUBJECT}\n"
            f"Fecha: {d.day} de {months[d.month - 1]} de {d.year}, {d:%H:%M}:00 CST\n"
            f"Para: Ana López <{ANA}>\n"
        )
        return f"Fwd: {SUBJECT}", f"{NOTE}\n\n{head}\n{BODY}\n"
    if style == "thunderbird-en":
        head = (
            "-------- Forwarded Message --------\n"
            f"Subject: \t{SUBJECT}\n"
            f"Date: \t{format_datetime(d)}\n"
            f"From: \t{CLIENT_NAME} <{CLIENT}>\n"
            f"To: \t{ANA}\n"
        )
        return f"Fwd: {SUBJECT}", f"{NOTE}\n\n\n{head}\n\n\n{BODY}\n"
    raise AssertionError(style)


def _forward(subject, body, *, attachments=(), headers="ok", message_id=None) -> bytes:
    return make_mail(
        sender=f"Ana López <{ANA}>",
        subject=subject,
        body=body,
        attachments=attachments,
        message_id=message_id,
        headers=team_headers() if headers == "ok" else headers,
    )


SCREENSHOT = ("captura.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def _client_mail(sent: datetime, message_id="<orig-1@transportesdelnorte.com.mx>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{CLIENT_NAME} <{CLIENT}>"
    msg["To"] = ANA
    msg["Subject"] = SUBJECT
    msg["Date"] = format_datetime(sent.astimezone(UTC))
    msg["Message-ID"] = message_id
    msg.set_content(BODY)
    msg.add_attachment(SCREENSHOT[1], maintype="image", subtype="png", filename=SCREENSHOT[0])
    return msg


def _attached(sent: datetime, *, as_eml: bool, note: str = NOTE) -> bytes:
    original = _client_mail(sent)
    fwd = EmailMessage()
    fwd["From"] = f"Ana López <{ANA}>"
    fwd["To"] = "soporte@imagenti.mx"
    fwd["Subject"] = f"RV: {SUBJECT}"
    fwd["Message-ID"] = "<fwd-att@imagenti.mx>"
    fwd["Authentication-Results"] = team_headers()["Authentication-Results"]
    fwd.set_content(note)
    if as_eml:
        fwd.add_attachment(original.as_bytes(), maintype="application", subtype="octet-stream", filename="correo.eml")
    else:
        fwd.add_attachment(original)  # message/rfc822
    return fwd.as_bytes()


def _client_files(settings, number) -> list[str]:
    """The files of the client's mail on the ticket, as a vendor's case mail would carry them."""
    app = build_app(settings)
    try:
        with app.sessions() as s:
            t = s.scalar(select(Ticket).where(Ticket.number == number))
            files, _lines = attachments.client_files(Ops(app, s, app.clock()), t)
            return [name for name, _type, _content in files]
    finally:
        app.close()


def _inbound(shown):
    return [m for m in shown["messages"] if m["direction"] == "in"]


def _assert_clients_ticket(settings, smtp_sink, sent):
    [t] = tickets(settings)
    shown = ticket(settings, t["number"])
    assert shown["requester"] == CLIENT and shown["requester_name"] == CLIENT_NAME
    assert shown["origin"] == "forward" and shown["subject"] == SUBJECT
    assert datetime.fromisoformat(shown["received_at"]) == sent
    assert shown["severity"] == "grave"  # the #command in the forwarder's note applied
    assert shown["assignee"] == ANA
    notes = [e["data"]["text"] for e in shown["events"] if e["kind"] == "note"]
    assert any("me llegó directo a mí" in n for n in notes)
    client_rows = [m for m in _inbound(shown) if m["from"] == CLIENT]
    assert client_rows and "DeepGuard bloquea Aspel COI" in client_rows[0]["body"]
    assert "me llegó directo" not in client_rows[0]["body"]  # the note is not the client's text
    smtp_sink.wait_for(1)
    [ack] = smtp_sink.to(CLIENT)
    assert t["number"] in str(ack["msg"]["Subject"])
    return t["number"], shown, ack


@pytest.mark.parametrize("style", ["outlook-es", "gmail-en", "apple-es", "thunderbird-en"])
def test_an_inline_forward_opens_the_original_senders_ticket(settings, dovecot, smtp_sink, style):
    sent = _sent_at()
    subject, body = _inline(style, sent)
    dovecot.append(_forward(subject, body, attachments=[SCREENSHOT]))
    run_once(settings)
    number, _shown, ack = _assert_clients_ticket(settings, smtp_sink, sent)
    assert _client_files(settings, number) == ["captura.png"]
    # The client's later reply to the acknowledgement threads into the ticket.
    smtp_sink.clear()
    dovecot.append(
        make_mail(
            sender=f"{CLIENT_NAME} <{CLIENT}>",
            subject="RE: " + str(ack["msg"]["Subject"]),
            body="Ya reiniciamos los equipos y sigue igual.",
            in_reply_to=ack["msg"]["Message-ID"],
        )
    )
    run_once(settings)
    assert len(tickets(settings)) == 1
    assert any("sigue igual" in m["body"] for m in _inbound(ticket(settings, number)))


@pytest.mark.parametrize("as_eml", [False, True], ids=["message-rfc822", "eml-file"])
def test_an_attached_client_mail_opens_its_ticket_with_its_attachments(settings, dovecot, smtp_sink, as_eml):
    sent = _sent_at()
    dovecot.append(_attached(sent, as_eml=as_eml))
    run_once(settings)
    number, shown, _ = _assert_clients_ticket(settings, smtp_sink, sent)
    [original] = [m for m in _inbound(shown) if m["message_id"] == "<orig-1@transportesdelnorte.com.mx>"]
    assert original["from"] == CLIENT
    assert _client_files(settings, number) == ["captura.png"]
    # The client answers in their own thread (to Ana, support copied): it threads by its Message-ID.
    dovecot.append(
        make_mail(
            sender=f"{CLIENT_NAME} <{CLIENT}>",
            cc="soporte@imagenti.mx",
            subject="RE: " + SUBJECT,
            body="Les comparto otra captura.",
            in_reply_to="<orig-1@transportesdelnorte.com.mx>",
        )
    )
    run_once(settings)
    assert len(tickets(settings)) == 1
    assert any("otra captura" in m["body"] for m in _inbound(ticket(settings, number)))


def test_a_forward_of_mail_that_belongs_to_a_ticket_joins_that_ticket(settings, dovecot, smtp_sink):
    sent = _sent_at()
    # The client wrote to support first; then the same mail reaches Ana and she forwards it.
    dovecot.append(_client_mail(sent).as_bytes())
    run_once(settings)
    [t] = tickets(settings)
    smtp_sink.clear()
    dovecot.append(_attached(sent, as_eml=False))
    run_once(settings)
    assert [x["number"] for x in tickets(settings)] == [t["number"]]
    shown = ticket(settings, t["number"])
    assert any(e["kind"] == "forwarded" for e in shown["events"])
    assert shown["severity"] == "grave"  # the note's command applied to that ticket
    assert not smtp_sink.to(CLIENT)  # no second acknowledgement, nothing relayed

    # An inline forward whose subject carries the ticket's tag joins it too.
    tag_subject = f"RV: RE: [IMAGEN TI #{t['number']}] {SUBJECT}"
    _, body = _inline("outlook-es", sent)
    dovecot.append(_forward(tag_subject, body.replace(SUBJECT, "RE: " + SUBJECT)))
    run_once(settings)
    assert [x["number"] for x in tickets(settings)] == [t["number"]]


def test_the_same_forward_from_a_spoofed_team_address_is_that_senders_own_mail(settings, dovecot, smtp_sink):
    subject, body = _inline("outlook-es", _sent_at())
    dovecot.append(_forward(subject, body, headers=None))
    run_once(settings)
    [t] = tickets(settings)
    assert t["requester"] == ANA and ticket(settings, t["number"])["origin"] == "normal"
    assert not smtp_sink.to(CLIENT)


def test_a_forward_older_than_max_backdate_starts_its_clocks_on_arrival(settings, dovecot, smtp_sink):
    sent = utcnow() - timedelta(days=30)
    subject, body = _inline("thunderbird-en", sent.replace(second=0, microsecond=0))
    before = utcnow()
    dovecot.append(_forward(subject, body))
    run_once(settings)
    [t] = tickets(settings)
    shown = ticket(settings, t["number"])
    assert shown["requester"] == CLIENT
    assert datetime.fromisoformat(shown["received_at"]) >= before - timedelta(seconds=1)


def test_a_forward_into_a_closed_ticket_opens_a_new_linked_ticket_and_acknowledges(settings, dovecot, smtp_sink):
    dovecot.append(_client_mail(_sent_at()).as_bytes())
    run_once(settings)
    [old] = tickets(settings)
    cli("tickets", "close", old["number"], "--summary", "Se liberó Aspel en DeepGuard.", config=settings.source)
    run_once(settings)
    smtp_sink.clear()
    # The client wrote to Ana about a new problem, in the old thread; she forwards it.
    sent = _sent_at()
    d = sent.astimezone(MX)
    body = (
        "________________________________\n"
        f"De: {CLIENT_NAME} <{CLIENT}>\n"
        f"Enviado: {_es_date(sent)}\n"
        f"Para: Ana López <{ANA}>\n"
        f"Asunto: RE: [IMAGEN TI #{old['number']}] {SUBJECT}\n\n"
        f"Ahora no imprime nadie en contabilidad ({d:%H:%M})."
    )
    dovecot.append(_forward(f"RV: RE: [IMAGEN TI #{old['number']}] {SUBJECT}", body))
    run_once(settings)
    new = [t for t in tickets(settings) if t["number"] != old["number"]]
    assert len(new) == 1
    shown = ticket(settings, new[0]["number"])
    assert shown["requester"] == CLIENT and shown["linked_ticket"] == old["number"]
    assert ticket(settings, old["number"])["status"] == "closed"
    smtp_sink.wait_for(1)
    assert [new[0]["number"] in str(m["msg"]["Subject"]) for m in smtp_sink.to(CLIENT)] == [True]


def test_the_acknowledgement_states_the_severity_the_forwarders_note_set(settings, dovecot, smtp_sink):
    sent = _sent_at()
    subject, body = _inline("outlook-es", sent)
    dovecot.append(_forward(subject, body.replace("#severidad grave", "#severidad critica")))
    run_once(settings)
    [t] = tickets(settings)
    assert t["severity"] == "critica"
    smtp_sink.wait_for(1)
    [ack] = smtp_sink.to(CLIENT)
    text = ack["msg"].get_body(("plain",)).get_content()
    assert "CRÍTICA" in text and "LEVE" not in text


def test_a_forward_of_a_vendors_or_a_machines_mail_acknowledges_nobody(settings, dovecot, smtp_sink):
    subject, body = _inline("gmail-en", _sent_at())
    vendor = body.replace(f"{CLIENT_NAME} <{CLIENT}>", "WithSecure Support <support@withsecure.com>")
    dovecot.append(_forward(subject, vendor, message_id="<fv1@imagenti.mx>"))
    noreply = body.replace(f"{CLIENT_NAME} <{CLIENT}>", "Alertas <no-reply@transportesdelnorte.com.mx>")
    dovecot.append(_forward(subject + " (2)", noreply, message_id="<fv2@imagenti.mx>"))
    run_once(settings)
    assert {t["requester"] for t in tickets(settings)} == {ANA}  # the team member's own mails, as before
    assert not smtp_sink.to("support@withsecure.com") and not smtp_sink.to("no-reply@transportesdelnorte.com.mx")


def test_a_forward_written_to_the_client_is_an_answer_not_a_report(settings, dovecot, smtp_sink):
    dovecot.append(_client_mail(_sent_at()).as_bytes())
    run_once(settings)
    [t] = tickets(settings)
    smtp_sink.clear()
    _, body = _inline("outlook-es", _sent_at())
    answer = make_mail(
        sender=f"Ana López <{ANA}>",
        to=CLIENT,
        cc="soporte@imagenti.mx",
        subject=f"RV: [IMAGEN TI #{t['number']}] {SUBJECT}",
        body="Jorge, ya quedó: agregamos la excepción de Aspel en DeepGuard.\n\n" + body,
        headers=team_headers(),
    )
    dovecot.append(answer)
    run_once(settings)
    shown = ticket(settings, t["number"])
    assert shown["first_response_at"] is not None  # her answer counts as the desk's answer
    assert not [e for e in shown["events"] if e["kind"] == "forwarded"]


def test_an_appended_forward_reads_the_report_commands_in_its_note(settings, dovecot, smtp_sink):
    sent = _sent_at()
    dovecot.append(_client_mail(sent).as_bytes())
    run_once(settings)
    [t] = tickets(settings)
    dovecot.append(_attached(sent, as_eml=False, note="#sin-acuse\n#severidad grave\nYa lo tenemos."))
    run_once(settings)
    shown = ticket(settings, t["number"])
    assert shown["severity"] == "grave"
    assert not [e for e in shown["events"] if e["kind"] == "command_error"]
