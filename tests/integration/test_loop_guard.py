"""Loop protection never costs a person an acknowledgement (issue 13), end to end:
Dovecot → pipeline → database (SQLite and PostgreSQL) → aiosmtpd, on a hand-moved clock.

What marks a loop is told apart from a busy client: automatic mail and answers
in a ticket's thread are never acknowledged (test_loops_bounces.py), the same
mail again joins its first ticket, and the per-sender ceiling (50 an hour) is
the last guard, of which the team hears once per sender a day.
"""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.app import build_app
from tests.support.config import imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import cli, cli_json, run_once

pytestmark = pytest.mark.servers

NOTIFY = "mesa@imagenti.mx"


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


def take_in(settings, clock):
    """One daemon pass on the clock: take in what waits in the mailbox, send what is due."""
    run_once(settings, app=build_app(settings, clock=clock))


def acks(smtp_sink, address=CLIENT):
    return [m["msg"] for m in smtp_sink.to(address) if m["msg"]["Auto-Submitted"] == "auto-replied"]


def loop_notices(smtp_sink):
    return [m["msg"] for m in smtp_sink.to(NOTIFY) if "Acuses de recibo detenidos" in str(m["msg"]["Subject"])]


def events(settings, number, kind):
    return [e for e in ticket(settings, number)["events"] if e["kind"] == kind]


@pytest.fixture
def settings(make_settings, dovecot, smtp_sink, db_url):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


REPORTS = [
    ("No imprime la impresora del piso 2", "La HP del piso 2 marca error de fusor."),
    ("Sin acceso a la VPN", "Desde las 9:00 la VPN rechaza mi contraseña."),
    ("El antivirus marca una amenaza", "WithSecure detectó un troyano en la PC de recepción."),
    ("Correo lento", "Outlook tarda cinco minutos en abrir."),
    ("Servidor de archivos no responde", "La unidad S: no abre en ningún equipo."),
    ("Teléfono IP sin tono", "La extensión 214 no tiene tono."),
    ("Alta de usuario", "Necesitamos una cuenta para la nueva contadora."),
    ("Licencia vencida", "Office dice que la licencia venció."),
    ("Pantalla azul", "La laptop de ventas reinicia con pantalla azul."),
    ("Respaldo falló", "El respaldo de anoche terminó con error."),
    ("Red inalámbrica caída", "No hay Wi-Fi en la sala de juntas."),
    ("Cámara sin imagen", "La cámara de la entrada no graba."),
]


def test_a_client_with_twelve_distinct_reports_in_ten_minutes_gets_twelve_acknowledgements(
    make_settings, dovecot, smtp_sink, db_url
):
    # A config copied from the old example still says autoreply_limit = 5: it caps nothing any more.
    settings = make_settings(
        db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), mailbot={"autoreply_limit": 5}
    )
    clock = Clock()
    for k, (subject, body) in enumerate(REPORTS):
        dovecot.append(make_mail(subject=subject, body=body, message_id=f"<crisis{k}@cliente.com.mx>"))
        take_in(settings, clock)
        clock.advance(seconds=50)  # twelve reports in ten minutes

    got = acks(smtp_sink)
    assert sorted(m["In-Reply-To"] for m in got) == sorted(f"<crisis{k}@cliente.com.mx>" for k in range(12))
    listed = tickets(settings)
    assert len(listed) == 12 and all(t["acknowledged_at"] is not None for t in listed)
    assert all(not events(settings, t["number"], "ack_suppressed") for t in listed)


def test_the_same_mail_twice_within_the_hour_joins_the_first_ticket_without_a_second_acknowledgement(
    settings, dovecot, smtp_sink
):
    clock = Clock()
    subject = "Sin internet en la sucursal Centro"
    body = 'Buen día:\n\nDesde las 9:00 no hay "internet" en la sucursal Centro.\n\nSaludos,\nJuan'
    dovecot.append(make_mail(subject=subject, body=body, message_id="<dup1@cliente.com.mx>"))
    take_in(settings, clock)
    [first] = tickets(settings)
    assert len(acks(smtp_sink)) == 1

    # Forty minutes later the same mail comes again (a mail program sending it twice, or the
    # client resending it): a new Message-ID, its own spacing, quote marks and case, a colleague copied.
    clock.advance(minutes=40)
    again = "Buen  día:\nDesde las 9:00 no hay “internet” en la sucursal centro.\nSaludos,\n  Juan\n"
    dovecot.append(
        make_mail(
            subject="SIN INTERNET en la sucursal  Centro",
            body=again,
            message_id="<dup2@cliente.com.mx>",
            cc="Ana Ruiz <ana.ruiz@cliente.com.mx>",
        )
    )
    take_in(settings, clock)
    assert [t["number"] for t in tickets(settings)] == [first["number"]]
    shown = ticket(settings, first["number"])
    assert [m["message_id"] for m in shown["messages"] if m["direction"] == "in"] == [
        "<dup1@cliente.com.mx>",
        "<dup2@cliente.com.mx>",
    ]
    [repeat] = [e for e in shown["events"] if e["kind"] == "repeat"]
    assert (
        repeat["data"]["first"] == "<dup1@cliente.com.mx>" and repeat["data"]["message_id"] == "<dup2@cliente.com.mx>"
    )
    assert {"address": "ana.ruiz@cliente.com.mx", "role": "watcher"} in shown["participants"]
    assert len(acks(smtp_sink)) == 1 and acks(smtp_sink, "ana.ruiz@cliente.com.mx") == []

    # In the same hour, the same subject with other words, or the same words with a screenshot
    # attached, is another report: acknowledged.
    clock.advance(minutes=5)
    dovecot.append(make_mail(subject=subject, body="Ahora tampoco hay teléfono.", message_id="<dup3@cliente.com.mx>"))
    with_capture = email.message_from_bytes(
        make_mail(subject=subject, body=body, message_id="<dup4@cliente.com.mx>"), policy=email.policy.default
    )
    with_capture.add_attachment(
        b"\x89PNG\r\n\x1a\n" + bytes(100), maintype="image", subtype="png", filename="captura.png"
    )
    dovecot.append(with_capture.as_bytes())
    take_in(settings, clock)
    assert len(tickets(settings)) == 3
    assert sorted(m["In-Reply-To"] for m in acks(smtp_sink)) == [
        "<dup1@cliente.com.mx>",
        "<dup3@cliente.com.mx>",
        "<dup4@cliente.com.mx>",
    ]

    # After the hour, the same mail again is a new report.
    clock.advance(minutes=61)
    dovecot.append(make_mail(subject=subject, body=body, message_id="<dup5@cliente.com.mx>"))
    take_in(settings, clock)
    assert len(tickets(settings)) == 4 and len(acks(smtp_sink)) == 4


def test_the_same_mail_twice_in_one_fetch_is_one_ticket(settings, dovecot, smtp_sink):
    # Both copies wait in the mailbox and are taken in one chunk, in one transaction.
    dovecot.append(make_mail(subject="Sin internet", body="No hay internet.", message_id="<t1@cliente.com.mx>"))
    dovecot.append(make_mail(subject="Sin internet", body="No hay internet.", message_id="<t2@cliente.com.mx>"))
    take_in(settings, Clock())
    [opened] = tickets(settings)
    assert opened["message_count"] == 2
    assert [m["In-Reply-To"] for m in acks(smtp_sink)] == ["<t1@cliente.com.mx>"]


def test_the_same_mail_after_its_ticket_was_closed_is_a_new_report(settings, dovecot, smtp_sink):
    clock = Clock()
    dovecot.append(make_mail(subject="Sin internet", body="No hay internet.", message_id="<c1@cliente.com.mx>"))
    take_in(settings, clock)
    [first] = tickets(settings)
    cli("tickets", "close", first["number"], "--summary", "Se reinició el módem.", config=settings.source)
    clock.advance(minutes=20)
    # Still broken: the client sends the very same mail again.
    dovecot.append(make_mail(subject="Sin internet", body="No hay internet.", message_id="<c2@cliente.com.mx>"))
    take_in(settings, clock)
    assert len(tickets(settings)) == 2
    assert sorted(m["In-Reply-To"] for m in acks(smtp_sink)) == ["<c1@cliente.com.mx>", "<c2@cliente.com.mx>"]


def test_past_the_ceiling_acknowledgements_stop_and_the_team_is_told_once_a_day(
    make_settings, dovecot, smtp_sink, db_url
):
    settings = make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        loops={"sender_ceiling": 3},
        team={"notify": [NOTIFY]},
    )
    clock = Clock()
    sent = iter(range(1, 100))

    def client_writes(count):
        for _ in range(count):
            n = next(sent)
            dovecot.append(
                make_mail(subject=f"Reporte {n}", body=f"Problema número {n}.", message_id=f"<p{n}@cliente.com.mx>")
            )
            take_in(settings, clock)
            clock.advance(minutes=5)

    client_writes(5)
    assert len(acks(smtp_sink)) == 3
    [notice] = loop_notices(smtp_sink)
    # The fourth report tripped the ceiling: the notice is on its ticket, and in Spanish for the team.
    [fourth] = [t for t in tickets(settings) if t["subject"] == "Reporte 4"]
    assert notice["X-Mailbot-Ticket"] == fourth["number"] and notice["In-Reply-To"] == "<p4@cliente.com.mx>"
    assert notice["Auto-Submitted"] == "auto-generated"
    assert CLIENT in str(notice["Subject"])
    text = notice.get_content()
    assert f"dejó de enviar acuses de recibo automáticos a {CLIENT}" in text and fourth["number"] in text
    assert "contéstenle ustedes" in text
    for number in (t["number"] for t in tickets(settings) if t["subject"] in ("Reporte 4", "Reporte 5")):
        [withheld] = events(settings, number, "ack_suppressed")
        assert withheld["data"]["reason"].startswith(f"loop guard: 3 automatic replies to {CLIENT}")

    # Two hours later the window has passed: answered again up to the ceiling; the team knows already.
    clock.advance(hours=2)
    client_writes(4)
    assert len(acks(smtp_sink)) == 6 and len(loop_notices(smtp_sink)) == 1
    # The next day it trips again: told again.
    clock.advance(days=1)
    client_writes(4)
    assert len(acks(smtp_sink)) == 9 and len(loop_notices(smtp_sink)) == 2
    assert len(tickets(settings)) == 13  # every report is a ticket, acknowledged or not


def utf8_mail(sender: str, subject: str, message_id: str, body: str) -> bytes:
    """A mail as an RFC 6532 mail program writes it: UTF-8 straight in the header."""
    return (
        f"From: José Núñez <{sender}>\r\nTo: soporte@imagenti.mx\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 02 Mar 2026 10:00:00 -0600\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_an_international_domain_in_either_form_is_one_client(make_settings, dovecot, smtp_sink_factory, db_url):
    relay = smtp_sink_factory(smtputf8=True)
    settings = make_settings(
        db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(relay), loops={"sender_ceiling": 1}
    )
    clock = Clock()
    unicode_form, ascii_form = "jmnunez@ópticasnúñez.mx", "jmnunez@XN--PTICASNEZ-R6AO5G.MX"
    dovecot.append(utf8_mail(unicode_form, "Lentes sin graduar", "<i1@x>", "Llegaron sin graduar."))
    take_in(settings, clock)
    [opened] = tickets(settings)
    assert opened["requester"] == unicode_form

    def acknowledgements():  # in whichever form the outbox writes the domain for this relay
        return [m for m in relay.messages if m["msg"]["Auto-Submitted"] == "auto-replied"]

    assert len(acknowledgements()) == 1

    # The same person's mail program writes the domain in its ASCII form: a reply with the tag only
    # threads into the ticket (a stranger's would not)...
    clock.advance(minutes=5)
    dovecot.append(utf8_mail(ascii_form, f"Re: [IMAGEN TI #{opened['number']}] Lentes", "<i2@x>", "¿Alguna novedad?"))
    # ...and a new report counts against the same sender's ceiling (one, in this test).
    dovecot.append(utf8_mail(ascii_form, "Otra sucursal", "<i3@x>", "En la otra sucursal tampoco."))
    take_in(settings, clock)
    listed = tickets(settings)
    assert [t["requester"] for t in listed] == [unicode_form, unicode_form]
    shown = ticket(settings, opened["number"])
    assert [m["message_id"] for m in shown["messages"] if m["direction"] == "in"] == ["<i1@x>", "<i2@x>"]
    assert len(acknowledgements()) == 1
    [withheld] = events(settings, listed[1]["number"], "ack_suppressed")
    assert withheld["data"]["reason"].startswith(f"loop guard: 1 automatic replies to {unicode_form}")
    # The report knows one client domain.
    quarter = f"{clock.now.year}Q{(clock.now.month - 1) // 3 + 1}"
    report = cli_json("report", "quarterly", "--quarter", quarter, config=settings.source)
    assert list(report["clients"]) == ["ópticasnúñez.mx"]
