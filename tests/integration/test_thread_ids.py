"""Our mail to the client joins the conversation the client sees (issue 13, point 3).

Through Dovecot and the SMTP sink, on SQLite and PostgreSQL: what we send in a
ticket's thread answers the last mail from the client's side, never an
out-of-office or a bounce, and its References carry our acknowledgement.
"""

import pytest

from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.db import ticket
from tests.support.mail import CLIENT, dsn, make_mail, team_headers
from tests.support.runners import cli, run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]
SUBJECT = "[IMAGEN TI #IMG-000001] El antivirus no actualiza"


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _refs(sink_message) -> list[str]:
    return str(sink_message["msg"]["References"] or "").split()


def _open(dovecot, settings, smtp_sink):
    """The client's first mail; returns (our acknowledgement, the engineers' notice) as the sink got them."""
    dovecot.append(make_mail(subject="El antivirus no actualiza", message_id="<c1@cliente.com.mx>"))
    run_once(settings)
    [ack] = smtp_sink.to(CLIENT)
    [notice] = smtp_sink.to(ANA)
    smtp_sink.clear()
    return ack, notice


def _out_of_office(answering: str) -> bytes:
    return make_mail(
        subject="Respuesta automática: RE: " + SUBJECT,
        message_id="<ooo@cliente.com.mx>",
        body="Estoy fuera de la oficina hasta el lunes.",
        in_reply_to=answering,
        headers={"Auto-Submitted": "auto-replied"},
    )


def test_closure_after_an_out_of_office_answers_the_clients_last_own_mail(settings, dovecot, smtp_sink):
    ack, notice = _open(dovecot, settings, smtp_sink)
    ack_id = ack["msg"]["Message-ID"]
    dovecot.append(
        make_mail(
            subject="RE: " + SUBJECT,
            body="Les mando la versión del agente: 23.1.",
            in_reply_to=ack_id,
            references=f"<c1@cliente.com.mx> {ack_id}",
            message_id="<c2@cliente.com.mx>",
        )
    )
    # The client's auto-responder answers our acknowledgement after that: recorded on the ticket.
    dovecot.append(_out_of_office(ack_id))
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert [(m["message_id"], m["kind"]) for m in shown["messages"] if m["direction"] == "in"] == [
        ("<c1@cliente.com.mx>", "client"),
        ("<c2@cliente.com.mx>", "client"),
        ("<ooo@cliente.com.mx>", "autoreply"),
    ]
    smtp_sink.clear()

    cli("tickets", "close", "IMG-000001", "--summary", "Se actualizó el agente.", config=settings.source)
    run_once(settings)
    [closure] = smtp_sink.to(CLIENT)
    assert "Ticket cerrado" in str(closure["msg"]["Subject"])
    assert closure["msg"]["In-Reply-To"] == "<c2@cliente.com.mx>"
    refs = _refs(closure)
    assert ack_id in refs and "<c1@cliente.com.mx>" in refs
    assert refs[-1] == "<c2@cliente.com.mx>"  # the answered mail last, as RFC 5322 has it
    assert "<ooo@cliente.com.mx>" not in refs
    assert notice["msg"]["Message-ID"] not in refs  # the engineers' notice is no part of the client's thread


def test_a_relay_answers_the_client_not_a_bounce_or_auto_reply_and_carries_the_thread(settings, dovecot, smtp_sink):
    ack, notice = _open(dovecot, settings, smtp_sink)
    ack_id = ack["msg"]["Message-ID"]
    # The only mails after the client's own are machines': an out-of-office and a delivery report.
    dovecot.append(_out_of_office(ack_id))
    dovecot.append(dsn(ack["raw"], CLIENT, message_id="<dsn1@cliente.com.mx>"))
    dovecot.append(
        make_mail(
            sender=ANA,
            subject="RE: " + str(notice["msg"]["Subject"]).strip(),
            body="Juan, ya quedó: reinstalamos el agente.",
            in_reply_to=notice["msg"]["Message-ID"],
            message_id="<r1@imagenti.mx>",
            headers=team_headers(),
        )
    )
    run_once(settings)
    kinds = [(m["message_id"], m["kind"]) for m in ticket(settings, "IMG-000001")["messages"] if m["direction"] == "in"]
    assert ("<ooo@cliente.com.mx>", "autoreply") in kinds and ("<dsn1@cliente.com.mx>", "bounce") in kinds
    [relay] = smtp_sink.to(CLIENT)
    assert "reinstalamos el agente" in relay["msg"].get_body(("plain",)).get_content()
    assert relay["msg"]["In-Reply-To"] == "<c1@cliente.com.mx>"
    refs = _refs(relay)
    assert ack_id in refs and refs[-1] == "<c1@cliente.com.mx>"
    assert not {"<ooo@cliente.com.mx>", "<dsn1@cliente.com.mx>", "<r1@imagenti.mx>"} & set(refs)
    smtp_sink.clear()

    # The closure that follows carries the relay too: the client has it in the thread.
    cli("tickets", "close", "IMG-000001", "--summary", "Listo.", config=settings.source)
    run_once(settings)
    [closure] = smtp_sink.to(CLIENT)
    assert closure["msg"]["In-Reply-To"] == "<c1@cliente.com.mx>"
    assert {ack_id, relay["msg"]["Message-ID"]} <= set(_refs(closure))


def test_a_long_thread_keeps_the_first_the_acknowledgement_and_the_newest_references(settings, dovecot, smtp_sink):
    ack, _ = _open(dovecot, settings, smtp_sink)
    for k in range(2, 24):
        dovecot.append(
            make_mail(subject="RE: " + SUBJECT, body=f"Dato adicional número {k}.", message_id=f"<c{k}@cliente.com.mx>")
        )
    run_once(settings)
    smtp_sink.clear()
    cli("tickets", "close", "IMG-000001", "--summary", "Listo.", config=settings.source)
    run_once(settings)
    [closure] = smtp_sink.to(CLIENT)
    refs = _refs(closure)
    # 24 in the conversation (23 client mails and our acknowledgement): RFC 5322 lets a long
    # list drop from the middle; the thread's root, our acknowledgement and the newest, the
    # answered one last, stay.
    assert len(refs) == 20
    assert (
        refs[0] == "<c1@cliente.com.mx>" and refs[1] == ack["msg"]["Message-ID"] and refs[-1] == "<c23@cliente.com.mx>"
    )
    assert refs[2:-1] == [f"<c{k}@cliente.com.mx>" for k in range(6, 23)]
    assert closure["msg"]["In-Reply-To"] == "<c23@cliente.com.mx>"
