"""A refused escalation reaches whoever asked, and the manager's thread leaves internal mail out.

End to end through Dovecot and the SMTP sink, as in ``test_thread``: a team
reply with ``#escalar`` that cannot be honoured gets the reason in the
command-error reply and changes nothing; a client's "escalar" that cannot be
honoured is an ``escalation_skipped`` event on the ticket.
"""

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.config import TeamSection
from mailbot.db.models import Ticket
from mailbot.errors import EscalationRefused
from mailbot.tickets import escalation
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import escalate_to_manager, open_vendor_case
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.db import ticket
from tests.support.mail import make_mail, team_headers
from tests.support.runners import run_once

pytestmark = pytest.mark.servers
CLIENT = "juan.perez@cliente.com.mx"
ANA = ENGINEERS[0]
SUBJECT = "El antivirus no actualiza"
WITHSECURE = "support@withsecure.com"  # one of the default vendors


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _open_ticket(dovecot, settings, smtp_sink):
    dovecot.append(make_mail(subject=SUBJECT, message_id="<c1@cliente.com.mx>"))
    run_once(settings)
    notice = smtp_sink.to(settings.team.notify_addresses[0])[0]["msg"]
    smtp_sink.clear()
    return notice


def _engineer_reply(notice, body, message_id, sender=ANA):
    return make_mail(
        sender=sender,
        subject="RE: " + str(notice["Subject"]).strip(),
        body=body,
        in_reply_to=notice["Message-ID"],
        message_id=message_id,
        headers=team_headers(),
    )


def _client_reply(body, message_id):
    return make_mail(subject=f"RE: [IMAGEN TI #IMG-000001] {SUBJECT}", body=body, message_id=message_id)


def _text(sink_message) -> str:
    return " ".join(sink_message["msg"].get_body(("plain",)).get_content().split())


def _events(settings, kind):
    return [e for e in ticket(settings, "IMG-000001")["events"] if e["kind"] == kind]


def test_a_second_escalar_gerente_tells_the_engineer_when_it_was_escalated(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#escalar gerente\n\nJuan, lo pasamos al gerente.", "<e1@imagenti.mx>"))
    run_once(settings)
    assert len(smtp_sink.to(MANAGER)) == 1 and len(smtp_sink.to(CLIENT)) == 1
    smtp_sink.clear()

    dovecot.append(_engineer_reply(notice, "#estado resuelto\n#escalar gerente\n\nJuan, ya quedó.", "<e2@imagenti.mx>"))
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    text = _text(error)
    assert "No se aplicó nada" in text
    assert "Línea 2: «#escalar gerente»: el ticket ya se escaló al gerente el " in text
    assert smtp_sink.to(MANAGER) == [] and smtp_sink.to(CLIENT) == []  # all or nothing
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "in_progress" and [e["target"] for e in shown["escalations"]] == ["manager"]


def test_escalar_gerente_without_a_manager_is_refused_to_the_engineer_and_a_client_asking_is_recorded(
    settings, dovecot, smtp_sink
):
    settings = settings.model_copy(update={"team": TeamSection(engineers=ENGINEERS)})
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#escalar gerente", "<e1@imagenti.mx>"))
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    assert "Línea 1: «#escalar gerente»: no hay gerente configurado ([team] manager)." in _text(error)
    smtp_sink.clear()

    dovecot.append(_client_reply("Necesito hablar con el gerente de soporte.", "<c2@cliente.com.mx>"))
    run_once(settings)
    [skipped] = _events(settings, "escalation_skipped")
    assert skipped["data"] == {"target": "manager", "reason": "no [team] manager"} and skipped["actor"] == CLIENT
    assert ticket(settings, "IMG-000001")["escalations"] == []
    # The engineers hear of the client's mail, not of an escalation.
    [update] = smtp_sink.messages
    assert update["to"] == ENGINEERS and "se envió al gerente" not in _text(update)


def test_a_client_asking_again_is_recorded_not_escalated_twice(settings, dovecot, smtp_sink):
    _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_client_reply("Necesito hablar con el gerente de soporte.", "<c2@cliente.com.mx>"))
    run_once(settings)
    dovecot.append(_client_reply("Por favor escalen, sigue igual.", "<c3@cliente.com.mx>"))
    run_once(settings)
    assert len(smtp_sink.to(MANAGER)) == 1
    [skipped] = _events(settings, "escalation_skipped")
    assert skipped["data"]["reason"] == "already escalated" and skipped["actor"] == CLIENT
    assert skipped["data"]["detail"].startswith("el ticket ya se escaló al gerente el ")
    assert len(_events(settings, "client_asked_escalation")) == 1


def test_unknown_vendor_is_refused_to_the_engineer_and_by_the_escalation_module(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#escalar kaspersky\n\nLo vemos.", "<e1@imagenti.mx>"))
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    assert (
        "«#escalar kaspersky»: valor no válido «kaspersky». Valores válidos: gerente, withsecure, safetica, sonicwall."
    ) in _text(error)
    assert ticket(settings, "IMG-000001")["escalations"] == []

    # The CLI and the jobs call the escalation module directly: it refuses with the reason.
    app = build_app(settings)
    try:
        with app.sessions.begin() as s:
            t = s.scalar(select(Ticket).where(Ticket.number == "IMG-000001"))
            with pytest.raises(EscalationRefused) as refused:
                open_vendor_case(Ops(app, s, app.clock()), t, "kaspersky", actor="cli", reason="cli")
            assert (
                refused.value.reason
                == "fabricante desconocido «kaspersky» (configurados: withsecure, safetica, sonicwall)"
            )
            open_vendor_case(Ops(app, s, app.clock()), t, "withsecure", actor="cli", reason="cli")
            with pytest.raises(EscalationRefused) as again:
                open_vendor_case(Ops(app, s, app.clock()), t, "withsecure", actor="cli", reason="cli")
            assert again.value.reason.startswith("ya existe un caso abierto con withsecure desde el ")
    finally:
        app.close()


def test_a_second_escalar_vendor_is_refused_with_when_the_case_was_opened(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#escalar withsecure", "<e1@imagenti.mx>"))
    run_once(settings)
    assert len(smtp_sink.to(WITHSECURE)) == 1
    smtp_sink.clear()
    dovecot.append(_engineer_reply(notice, "#escalar WithSecure", "<e2@imagenti.mx>"))
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    assert "«#escalar WithSecure»: ya existe un caso abierto con withsecure desde el " in _text(error)
    assert "responda en ese hilo." in _text(error) and smtp_sink.to(WITHSECURE) == []


def test_an_escalation_lost_to_another_process_undoes_the_whole_reply_and_says_why(
    settings, dovecot, smtp_sink, monkeypatch
):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    # Another process (here: the client's words) escalated the ticket...
    dovecot.append(_client_reply("Necesito hablar con el gerente de soporte.", "<c2@cliente.com.mx>"))
    run_once(settings)
    assert len(smtp_sink.to(MANAGER)) == 1
    smtp_sink.clear()
    # ... after this reply's precheck looked: the unique row is the last guard.
    monkeypatch.setattr(escalation, "refusal", lambda ops, ticket, target: None)
    dovecot.append(
        _engineer_reply(
            notice, "#estado resuelto\n#severidad grave\n#escalar gerente\n\nJuan, ya quedó.", "<e1@imagenti.mx>"
        )
    )
    run_once(settings)
    [error] = smtp_sink.to(ANA)
    assert "Línea 3: «#escalar gerente»: el ticket ya se escaló al gerente el " in _text(error)
    assert smtp_sink.to(MANAGER) == [] and smtp_sink.to(CLIENT) == []
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "new" and shown["severity"] == "leve" and shown["first_response_at"] is None
    assert [e["kind"] for e in shown["events"]].count("command_error") == 1
    assert not [e for e in shown["events"] if e["kind"] in ("command", "response", "severity")]
    assert len(shown["escalations"]) == 1


def test_escalate_to_manager_raises_for_each_refusal(settings, dovecot, smtp_sink):
    _open_ticket(dovecot, settings, smtp_sink)
    app = build_app(settings)
    try:
        with app.sessions.begin() as s:
            t = s.scalar(select(Ticket).where(Ticket.number == "IMG-000001"))
            ops = Ops(app, s, app.clock())
            assert escalate_to_manager(ops, t, reason="cli", actor="cli").target == "manager"
            with pytest.raises(EscalationRefused, match=r"^el ticket ya se escaló al gerente el "):
                escalate_to_manager(ops, t, reason="cli", actor="cli")
    finally:
        app.close()


def test_the_managers_thread_leaves_out_internal_mail_to_someone_no_longer_on_the_team(
    make_settings, db_url, dovecot, smtp_sink
):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))
    notice = _open_ticket(dovecot, settings, smtp_sink)
    # Ana keeps a note with nothing for the client: she is told, by internal mail.
    dovecot.append(
        _engineer_reply(
            notice, "#nota era el proxy del cliente\n\nHola Juan, ya quedó: era el proxy.", "<n1@imagenti.mx>"
        )
    )
    run_once(settings)
    assert "no se le envió nada" in _text(smtp_sink.to(ANA)[0])
    # Ana leaves the team: the notice and the note mail went to someone no longer on it.
    later = make_settings(
        db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), team={"engineers": ENGINEERS[1:]}
    )
    dovecot.append(_client_reply("Necesito hablar con el gerente de soporte.", "<c3@cliente.com.mx>"))
    run_once(later)
    [mail] = smtp_sink.to(MANAGER)
    conversation = _text(mail).split("----- Conversación hasta ahora -----", 1)[1]
    assert "Soporte IMAGEN TI → juan.perez@cliente.com.mx" in conversation  # the acknowledgement stays
    assert "Necesito hablar con el gerente" in conversation
    assert "Nuevo ticket IMG-000001" not in conversation and "no se le envió nada" not in conversation
    assert "Soporte IMAGEN TI → " + ANA not in conversation
