"""The intake spine end to end: Dovecot → pipeline → database → SMTP sink."""

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import MailboxCursor
from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import cli, cli_json, run_once

pytestmark = pytest.mark.servers


@pytest.fixture
def settings(make_settings, dovecot, smtp_sink, db_url):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def test_new_mail_becomes_ticket_and_acknowledgement_reaches_client(settings, dovecot, smtp_sink):
    raw = make_mail(
        subject="No abre la consola de WithSecure",
        message_id="<first@cliente.com.mx>",
        references="<older@cliente.com.mx>",
    )
    dovecot.append(raw)
    run_once(settings)

    [t] = tickets(settings)
    assert t["number"] == "IMG-000001"
    assert t["requester"] == CLIENT and t["status"] == "new" and t["message_count"] == 1

    sent = smtp_sink.wait_for(2)
    [ack] = [m for m in sent if m["to"] == [CLIENT]]
    msg = ack["msg"]
    assert str(msg["Subject"]).strip().startswith("[IMAGEN TI #IMG-000001]")
    assert "No abre la consola de WithSecure" in msg["Subject"]
    assert msg["In-Reply-To"] == "<first@cliente.com.mx>"
    assert msg["References"].split() == ["<older@cliente.com.mx>", "<first@cliente.com.mx>"]
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Message-ID"].endswith("@imagenti.mx>")
    assert ack["from"] == "soporte@imagenti.mx"
    body = msg.get_content()
    assert "IMG-000001" in body
    for question in (
        "¿Cuál es el problema?",
        "¿Cuándo ocurrió el problema?",
        "¿Dónde ocurrió el problema?",
        "¿Cuál es el alcance del problema?",
        "¿Qué han hecho para tratar de resolver el problema?",
    ):
        assert question in body
    assert "lunes a viernes de 09:00 a 18:00" in body

    [notice] = [m for m in sent if m["to"] != [CLIENT]]
    assert sorted(notice["to"]) == sorted(ENGINEERS)
    assert str(notice["msg"]["Subject"]).strip().startswith("[IMAGEN TI #IMG-000001]")

    # Marked only after the commit, and the cursor moved past it.
    assert all(b"\\Seen" in flags for flags in dovecot.flags().values())
    shown = ticket(settings, "IMG-000001")
    assert shown["acknowledged_at"] is not None
    assert [m["kind"] for m in shown["messages"]] == ["client", "ack", "notice"]
    assert all(m["status"] == "sent" for m in shown["messages"] if m["direction"] == "out")


def test_replies_thread_by_in_reply_to_and_by_subject_tag(settings, dovecot, smtp_sink):
    dovecot.append(make_mail(subject="Equipos lentos", message_id="<q1@cliente.com.mx>"))
    run_once(settings)
    ack = smtp_sink.to(CLIENT)[0]["msg"]
    notice = smtp_sink.to(ENGINEERS[0])[0]["msg"]

    # A reply to our acknowledgement, by In-Reply-To only (subject changed).
    dovecot.append(make_mail(subject="otra cosa", message_id="<q2@cliente.com.mx>", in_reply_to=ack["Message-ID"]))
    # A new mail that only carries the tag, behind RE:/[EXTERNAL] and with text glued after it.
    dovecot.append(
        make_mail(subject="RE: [EXTERNAL] [IMAGEN TI #IMG-000001]Adjunto captura", message_id="<q3@cliente.com.mx>")
    )
    # An engineer answering the new-ticket notice.
    dovecot.append(
        make_mail(
            sender=f"Ana López <{ENGINEERS[0]}>",
            to="soporte@imagenti.mx",
            subject="Re: " + str(notice["Subject"]).strip(),
            message_id="<e1@imagenti.mx>",
            in_reply_to=notice["Message-ID"],
            headers=team_headers(),
        )
    )
    run_once(settings)

    assert len(tickets(settings)) == 1
    shown = ticket(settings, "IMG-000001")
    inbound = [m for m in shown["messages"] if m["direction"] == "in"]
    assert [m["message_id"] for m in inbound] == [
        "<q1@cliente.com.mx>",
        "<q2@cliente.com.mx>",
        "<q3@cliente.com.mx>",
        "<e1@imagenti.mx>",
    ]
    assert inbound[3]["kind"] == "engineer"
    threaded = [e["data"]["threaded_by"] for e in shown["events"] if e["kind"] == "message"]
    assert threaded == ["reference", "tag", "reference"]
    # Replies get no second acknowledgement; the engineer's answer is relayed.
    assert [m["msg"]["X-Mailbot-Ticket"] for m in smtp_sink.to(CLIENT)] == ["IMG-000001"] * 2
    assert [m["kind"] for m in shown["messages"] if m["direction"] == "out" and m["to"] == [CLIENT]] == ["ack", "relay"]


def test_same_message_twice_makes_one_ticket(settings, make_settings, dovecot, smtp_sink, db_url):
    raw = make_mail(subject="Virus en la red", message_id="<dup@cliente.com.mx>")
    dovecot.append(raw)
    dovecot.append(raw)  # the same mail delivered twice into the folder
    run_once(settings)
    # The same mail in a second folder, read by a config watching that folder.
    dovecot.append(raw, folder="Archivo")
    other = make_settings(db_url=db_url, imap=imap_section(dovecot, folder="Archivo"), smtp=smtp_section(smtp_sink))
    run_once(other)
    # And again through the MTA pipe, after IMAP.
    proc = cli("ingest", "-", config=settings.source, input=raw)
    assert proc.stdout.decode().startswith("duplicate")

    assert [t["number"] for t in tickets(settings)] == ["IMG-000001"]
    assert ticket(settings, "IMG-000001")["message_count"] == 1
    assert len(smtp_sink.to(CLIENT)) == 1
    assert all(b"\\Seen" in f for f in dovecot.flags().values())
    assert all(b"\\Seen" in f for f in dovecot.flags("Archivo").values())


def test_uidvalidity_change_makes_no_new_tickets(make_settings, dovecot, smtp_sink, db_url):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot, folder="Soporte"), smtp=smtp_section(smtp_sink))
    mails = [make_mail(subject=f"Caso {i}", message_id=f"<uv{i}@cliente.com.mx>") for i in range(3)]
    for raw in mails:
        dovecot.append(raw, folder="Soporte")
    run_once(settings)
    assert len(tickets(settings)) == 3
    app = build_app(settings)
    with app.sessions() as s:
        [before] = s.scalars(select(MailboxCursor)).all()
    app.close()

    # The folder is deleted and recreated with the same mails: new UIDVALIDITY.
    with dovecot.client() as c:
        c.delete_folder("Soporte")
    for raw in mails:
        dovecot.append(raw, folder="Soporte")
    dovecot.append(make_mail(subject="Caso nuevo", message_id="<uv-new@cliente.com.mx>"), folder="Soporte")
    run_once(settings)

    numbers = [t["subject"] for t in tickets(settings)]
    assert numbers == ["Caso 0", "Caso 1", "Caso 2", "Caso nuevo"]
    app = build_app(settings)
    with app.sessions() as s:
        [after] = s.scalars(select(MailboxCursor)).all()
    app.close()
    assert after.uidvalidity != before.uidvalidity and after.last_uid == 4
    assert len(smtp_sink.to(CLIENT)) == 4


CHARSET_CASES = [
    # (raw headers+body, expected subject, expected text fragment)
    (
        b"Subject: =?windows-1252?Q?Configuraci=F3n_nueva_=96_urgente?=\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"El equipo est\xe1 muy lento \x96 \x93ayuda\x94\r\n",
        "Configuración nueva – urgente",
        "El equipo está muy lento – “ayuda”",
    ),
    (
        b"Subject: =?ISO-8859-1?B?QWN0dWFsaXphY2nzbiBkZSBhZ2VudGVz?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"La actualizaci=F3n fall=F3 en el se=F1or equipo\r\n",
        "Actualización de agentes",
        "La actualización falló en el señor equipo",
    ),
    (
        b"Subject: =?UTF-8?B?wr9Qb3IgcXXDqSBubyBhcnJhbmNhIGVsIGFnZW50ZT8=?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Año 2026: contraseña olvidada, niño, pingüino".encode()
        + b"\r\n",
        "¿Por qué no arranca el agente?",
        "Año 2026: contraseña olvidada, niño, pingüino",
    ),
    (
        b"Subject: Solo HTML\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<html><body><p>Hola,</p><p>La <b>página web</b> está bloqueada.</p><script>alert(1)</script>"
        "</body></html>".encode()
        + b"\r\n",
        "Solo HTML",
        "La página web está bloqueada.",
    ),
]


@pytest.mark.parametrize(
    "headers_body,subject,fragment", CHARSET_CASES, ids=["windows-1252", "iso-8859-1-qp", "utf-8-b", "html-only"]
)
def test_charsets_and_encoded_subjects_read_correctly(settings, dovecot, headers_body, subject, fragment):
    raw = (
        b"From: =?iso-8859-1?Q?Mar=EDa_Ib=E1=F1ez?= <maria@cliente.com.mx>\r\n"
        b"To: soporte@imagenti.mx\r\nMessage-ID: <cs@cliente.com.mx>\r\nMIME-Version: 1.0\r\n"
    ) + headers_body
    dovecot.append(raw)
    run_once(settings)
    shown = cli_json("tickets", "show", "IMG-000001", config=settings.source)
    assert shown["subject"] == subject
    assert shown["requester_name"] == "María Ibáñez"
    body = shown["messages"][0]["body"]
    assert fragment in " ".join(body.split())
    assert "alert(1)" not in body
    listed = cli_json("tickets", "list", config=settings.source)
    assert listed[0]["subject"] == subject


def test_subject_tag_from_a_stranger_opens_a_linked_ticket(settings, dovecot, smtp_sink):
    dovecot.append(
        make_mail(sender="juan.perez@cliente.com.mx", subject="Licencia vencida", message_id="<own@cliente.com.mx>")
    )
    run_once(settings)
    # A colleague at the requester's own company may add to the ticket...
    dovecot.append(
        make_mail(
            sender="lucia@cliente.com.mx",
            subject="RE: [IMAGEN TI #IMG-000001] Licencia",
            message_id="<colleague@cliente.com.mx>",
        )
    )
    # ...a stranger who copies the number may not.
    dovecot.append(
        make_mail(
            sender="intruso@otraempresa.com",
            subject="[IMAGEN TI #IMG-000001] hola",
            message_id="<stranger@otraempresa.com>",
        )
    )
    run_once(settings)
    listed = tickets(settings)
    assert [t["number"] for t in listed] == ["IMG-000001", "IMG-000002"]
    first = ticket(settings, "IMG-000001")
    assert [m["message_id"] for m in first["messages"] if m["direction"] == "in"] == [
        "<own@cliente.com.mx>",
        "<colleague@cliente.com.mx>",
    ]
    second = ticket(settings, "IMG-000002")
    assert second["requester"] == "intruso@otraempresa.com"
    assert second["linked_ticket"] == "IMG-000001"


def test_public_mail_domain_is_no_company(make_settings, dovecot, smtp_sink, db_url):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))
    dovecot.append(make_mail(sender="pedro@gmail.com", subject="Ayuda", message_id="<g1@gmail.com>"))
    run_once(settings)
    dovecot.append(
        make_mail(sender="otro@gmail.com", subject="Re: [IMAGEN TI #IMG-000001] Ayuda", message_id="<g2@gmail.com>")
    )
    run_once(settings)
    assert ticket(settings, "IMG-000002")["linked_ticket"] == "IMG-000001"


def test_ticket_numbers_follow_the_configured_format(make_settings, dovecot, smtp_sink):
    settings = make_settings(
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        mailbot={"number_format": "SOP-{seq:04d}", "subject_tag": "[Soporte {number}]"},
    )
    dovecot.append(make_mail(message_id="<f1@cliente.com.mx>"))
    run_once(settings)
    assert tickets(settings)[0]["number"] == "SOP-0001"
    assert str(smtp_sink.to(CLIENT)[0]["msg"]["Subject"]).strip().startswith("[Soporte SOP-0001]")
    dovecot.append(make_mail(subject="RE: [Soporte SOP-0001] gracias", message_id="<f2@cliente.com.mx>"))
    run_once(settings)
    assert len(tickets(settings)) == 1
