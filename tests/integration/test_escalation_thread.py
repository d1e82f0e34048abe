"""The manager's escalation mail shows the conversation the client saw, never the team's internal mail.

Its "Conversación hasta ahora" (``_thread`` in mailbot/tickets/escalation.py,
rendered by templates/escalation.txt) leaves out every outbound mail of an
internal kind (INTERNAL_KINDS: the new-ticket notice, the mail about a kept
note, a command error, reminders...) whoever it went to, and any mail that
went to the team only.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from mailbot.db.models import MessageRow, Ticket
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import escalate_to_manager
from mailbot.vocab import INTERNAL_KINDS, Direction, MessageKind, SendStatus
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.desk import DeskBase
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]
CONVERSATION = "----- Conversación hasta ahora -----"


def _text(sink_message) -> str:
    return " ".join(sink_message["msg"].get_body(("plain",)).get_content().split())


def _conversation(text: str) -> str:
    _head, marker, thread = text.partition(CONVERSATION)
    assert marker, text
    return thread


def _team_reply(notice, body: str, message_id: str) -> bytes:
    """Ana answering the new-ticket notice, from our own (authenticated) mail server."""
    return make_mail(
        sender=ANA,
        subject="RE: " + str(notice["Subject"]).strip(),
        body=body,
        in_reply_to=notice["Message-ID"],
        message_id=message_id,
        headers=team_headers(),
    )


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _escalated_after_a_note_and_a_command_error(settings, dovecot, smtp_sink) -> str:
    """A client's mail, Ana's #nota, a command that fails, then Ana's #escalar gerente: the manager's conversation."""
    dovecot.append(
        make_mail(
            subject="El antivirus no actualiza",
            message_id="<c1@cliente.com.mx>",
            body="Buen día, el agente no actualiza desde el lunes.",
        )
    )
    run_once(settings)
    [notice] = smtp_sink.to(ANA)  # the new-ticket notice
    notice = notice["msg"]
    smtp_sink.clear()

    # A note with nothing for the client: Ana is told, by mail, that nothing went out.
    dovecot.append(
        _team_reply(
            notice,
            "#nota la licencia del cliente vence el viernes, no decirle\n\nRevisé la consola: el agente no reporta.",
            "<e1@imagenti.mx>",
        )
    )
    run_once(settings)
    [note_only] = smtp_sink.to(ANA)
    assert "no se le envió nada" in _text(note_only) and smtp_sink.to(CLIENT) == []
    smtp_sink.clear()

    # A command that cannot be done: Ana is told what was wrong.
    dovecot.append(_team_reply(notice, "#asignar anna\n\nLo vemos.", "<e2@imagenti.mx>"))
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    assert "no es un miembro del equipo" in _text(error)
    smtp_sink.clear()

    dovecot.append(_team_reply(notice, "#escalar gerente", "<e3@imagenti.mx>"))
    run_once(settings)
    [escalation] = smtp_sink.to(MANAGER)
    return _conversation(_text(escalation))


def test_escalar_gerente_shows_the_manager_the_clients_words_and_none_of_the_mail_sent_to_the_team(
    settings, dovecot, smtp_sink
):
    conversation = _escalated_after_a_note_and_a_command_error(settings, dovecot, smtp_sink)
    assert "Buen día, el agente no actualiza desde el lunes." in conversation  # the client's words
    assert f"Soporte IMAGEN TI → {CLIENT}" in conversation  # our acknowledgement, which the client saw
    # The notice, the mail about the kept note and the command error went to the team only.
    assert "Nuevo ticket IMG-000001" not in conversation
    assert "no se le envió nada" not in conversation and "no es un miembro del equipo" not in conversation
    assert f"→ {ANA}" not in conversation


@pytest.mark.xfail(
    strict=True,  # a known gap, not a pass: when the thread learns to cut notes this turns red, to be unmarked
    reason="a team member's own mail is shown as written, its #nota and #commands included: "
    "_thread leaves out outbound internal mail only (the manager is team, so no note reaches outside it)",
)
def test_escalar_gerente_keeps_the_note_out_of_the_managers_conversation(settings, dovecot, smtp_sink):
    conversation = _escalated_after_a_note_and_a_command_error(settings, dovecot, smtp_sink)
    assert "la licencia del cliente vence el viernes" not in conversation


def test_every_internal_kind_is_left_out_whoever_it_went_to_and_so_is_mail_to_the_team_only(make_settings, db_url):
    desk = DeskBase(make_settings(db_url=db_url))
    try:
        assert desk.pipeline.process(
            make_mail(body="El equipo de recepción no enciende.", message_id="<k1@cliente.com.mx>"), source="test"
        ).ticket
        with desk.app.sessions.begin() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == "IMG-000001"))
            now = desk.app.clock()

            def sent(kind, to, text, n):
                s.add(
                    MessageRow(
                        ticket_id=ticket.id,
                        direction=Direction.OUT,
                        message_id=f"<k{n}@imagenti.mx>",
                        kind=kind,
                        from_addr="soporte@imagenti.mx",
                        to_addrs=to,
                        subject=text,
                        body_text=text,
                        at=now + timedelta(seconds=n),
                        status=SendStatus.SENT,
                    )
                )

            # Every internal kind, to someone who is not (or no longer) on the team: its kind leaves it out.
            for n, kind in enumerate(sorted(INTERNAL_KINDS), start=2):
                sent(kind, ["ex.ingeniera@imagenti.mx"], f"Texto interno de {kind}.", n)
            # A kind the client may see, but sent to the team only: its recipients leave it out.
            sent(MessageKind.RELAY, [ENGINEERS[1]], "Copia solo para el equipo.", 50)
            # A kind the client sees, sent to the client: the conversation.
            sent(MessageKind.RELAY, [CLIENT], "Juan, reinicie el equipo por favor.", 51)
            esc = escalate_to_manager(Ops(desk.app, s, now + timedelta(minutes=5)), ticket, reason="cli", actor="cli")
        with desk.app.sessions() as s:
            escalation = s.scalar(
                select(MessageRow).where(MessageRow.message_id == esc.message_id, MessageRow.direction == Direction.OUT)
            )
        conversation = _conversation(" ".join(escalation.body_text.split()))
        assert "El equipo de recepción no enciende." in conversation
        assert "Juan, reinicie el equipo por favor." in conversation
        assert "Texto interno" not in conversation, conversation
        assert "Copia solo para el equipo." not in conversation
    finally:
        desk.close()
