"""Engineers, the manager and clients in a ticket's thread, through Dovecot and the SMTP sink."""

from datetime import timedelta

import pytest

from mailbot.app import build_app
from mailbot.db.models import utcnow
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import cli, cli_json, run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _open_ticket(dovecot, settings, smtp_sink, **kw):
    kw.setdefault("subject", "El antivirus no actualiza")
    kw.setdefault("message_id", "<c1@cliente.com.mx>")
    dovecot.append(make_mail(**kw))
    run_once(settings)
    [notice] = smtp_sink.to(ANA)
    smtp_sink.clear()
    return notice["msg"]


def _engineer_reply(notice, body, *, sender=ANA, to="soporte@imagenti.mx", cc=None, headers="ok", message_id=None):
    return make_mail(
        sender=sender,
        to=to,
        cc=cc,
        subject="RE: " + str(notice["Subject"]).strip(),
        body=body,
        in_reply_to=notice["Message-ID"],
        message_id=message_id,
        headers=team_headers() if headers == "ok" else headers,
    )


def _text(sink_message) -> str:
    return sink_message["msg"].get_body(("plain",)).get_content()


def _events(settings, kind):
    return [e for e in ticket(settings, "IMG-000001")["events"] if e["kind"] == kind]


def test_engineer_commands_change_the_ticket_and_the_public_part_is_relayed(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink, cc="maria.diaz@cliente.com.mx")
    before = ticket(settings, "IMG-000001")
    dovecot.append(
        _engineer_reply(
            notice,
            (
                "#estado esperando-cliente\n"
                "#severidad grave\n"
                "#asignar ana\n"
                "\n"
                "Hola Juan, ya revisamos la consola: el agente tiene la versión 23.\n"
                "¿Nos confirma si el equipo reinició?\n"
                "\n"
                "#nota el cliente tiene licencia vencida, no decirle todavía\n"
                "Esto tampoco debe salir.\n"
                "\n"
                "El mar., 24 nov. 2026 a las 10:00, Soporte IMAGEN TI escribió:\n"
                "> Nuevo ticket IMG-000001.\n"
            ),
        )
    )
    run_once(settings)

    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "waiting_client" and shown["severity"] == "grave"
    assert shown["assignee"] == ANA
    # The new severity's deadline counts from the original reception.
    assert shown["sla"]["attention_due"] != before["sla"]["attention_due"]
    assert shown["received_at"] == before["received_at"]
    assert shown["first_response_at"] is not None

    [relay] = smtp_sink.to(CLIENT)
    text = _text(relay)
    assert "ya revisamos la consola" in text and "reinició" in text
    assert "#" not in text and "licencia vencida" not in text and "tampoco debe salir" not in text
    assert "Nuevo ticket" not in text  # the quoted notice is not relayed
    msg = relay["msg"]
    assert "[IMAGEN TI #IMG-000001]" in str(msg["Subject"])
    assert msg["From"].addresses[0].addr_spec == "soporte@imagenti.mx"
    assert msg["In-Reply-To"] == "<c1@cliente.com.mx>" and msg["Auto-Submitted"] is None
    assert relay["to"] == [CLIENT, "maria.diaz@cliente.com.mx"]  # the client's colleague is a watcher
    kinds = [e["kind"] for e in shown["events"]]
    assert {"status", "severity", "assigned", "note", "first_response", "response"} <= set(kinds)
    [note] = [e for e in shown["events"] if e["kind"] == "note"]
    assert "licencia vencida" in note["data"]["text"] and note["actor"] == ANA
    assert [e["data"]["name"] for e in shown["events"] if e["kind"] == "command"] == [
        "status",
        "severity",
        "assign",
        "note",
    ]


def test_reply_all_to_the_client_is_recorded_not_relayed(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "Juan, le llamo en 5 minutos.", to=CLIENT, cc="soporte@imagenti.mx"))
    run_once(settings)
    assert smtp_sink.to(CLIENT) == []  # the client already has it from the engineer
    [response] = _events(settings, "response")
    assert response["data"]["relayed"] is False
    assert ticket(settings, "IMG-000001")["first_response_at"] is not None


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {
            "Authentication-Results": "mx.imagenti.mx; dkim=fail header.d=imagenti.mx; spf=fail smtp.mailfrom=imagenti.mx"
        },
        # A pass stamped by someone else's server (or written by the sender) is not ours.
        {"Authentication-Results": "evil.example; dkim=pass header.d=imagenti.mx"},
    ],
    ids=["none", "failing", "foreign"],
)
def test_spoofed_engineer_runs_no_command(settings, dovecot, smtp_sink, headers):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#estado cerrado\n#resumen nada\n\nYa quedó.", headers=headers))
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "new" and shown["first_response_at"] is None
    assert smtp_sink.to(CLIENT) == []
    [security] = [e for e in shown["events"] if e["kind"] == "security"]
    assert security["actor"] == ANA
    assert [m["kind"] for m in shown["messages"] if m["direction"] == "in"] == ["client", "unverified"]


def test_unknown_command_changes_nothing_and_answers_the_engineer(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#estatus resuelto\n#severidad altisima\n\nListo, ya quedó."))
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "new" and shown["severity"] == "leve" and shown["first_response_at"] is None
    assert smtp_sink.to(CLIENT) == []
    [error] = smtp_sink.to(ANA)
    text = _text(error)
    assert "#estatus" in text and "altisima" in text
    assert "#estado en-progreso|esperando-cliente|esperando-fabricante|resuelto|cerrado" in text  # what is valid
    assert error["msg"]["Auto-Submitted"] == "auto-replied"
    assert error["msg"]["In-Reply-To"] is not None
    assert [e["kind"] for e in shown["events"]].count("command_error") == 1


def test_client_reply_reopens_a_resolved_ticket_and_notifies_the_engineer(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#estado resuelto\n#asignar ana.lopez\n\nQuedó actualizado."))
    run_once(settings)
    assert ticket(settings, "IMG-000001")["status"] == "resolved"
    [relay] = smtp_sink.to(CLIENT)
    smtp_sink.clear()

    dovecot.append(
        make_mail(
            subject="RE: " + str(relay["msg"]["Subject"]),
            body="Volvió a fallar hoy.",
            in_reply_to=relay["msg"]["Message-ID"],
            message_id="<c2@cliente.com.mx>",
        )
    )
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "in_progress" and len(tickets(settings)) == 1
    assert [e["kind"] for e in shown["events"]].count("reopened") == 1
    # Only the assignee hears about it, with the client's words.
    [update] = smtp_sink.messages
    assert update["to"] == [ANA] and "Volvió a fallar hoy." in _text(update) and "reabrió" in _text(update)


def test_late_client_reply_and_reply_to_closed_ticket_open_linked_tickets(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#estado resuelto\n\nQuedó actualizado."))
    run_once(settings)
    [relay] = smtp_sink.to(CLIENT)

    # Eight days later (the window is seven), the client answers the old thread.
    later = utcnow() + timedelta(days=8)
    dovecot.append(
        make_mail(
            subject="RE: " + str(relay["msg"]["Subject"]),
            body="Otra vez no actualiza.",
            in_reply_to=relay["msg"]["Message-ID"],
            message_id="<late@cliente.com.mx>",
        )
    )
    app = build_app(settings, clock=lambda: later)
    run_once(settings, app=app)
    numbers = {t["number"]: t for t in tickets(settings)}
    assert set(numbers) == {"IMG-000001", "IMG-000002"}
    new = ticket(settings, "IMG-000002")
    assert [e["data"]["linked_to"] for e in new["events"] if e["kind"] == "linked"] == ["IMG-000001"]
    # The stale resolved ticket was closed by the scheduler's pass, with its closure mail.
    old = ticket(settings, "IMG-000001")
    assert old["status"] == "closed"

    # A reply to a closed ticket, even a minute later, opens another linked ticket.
    dovecot.append(
        make_mail(
            subject="RE: [IMAGEN TI #IMG-000001] El antivirus no actualiza",
            body="¿Siguen ahí?",
            message_id="<closed@cliente.com.mx>",
        )
    )
    run_once(settings, app=build_app(settings, clock=lambda: later + timedelta(minutes=1)))
    assert len(tickets(settings)) == 3
    third = ticket(settings, "IMG-000003")
    assert [e["data"]["linked_to"] for e in third["events"] if e["kind"] == "linked"] == ["IMG-000001"]


def test_closure_by_command_sends_the_summary(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink, cc="maria.diaz@cliente.com.mx")
    dovecot.append(_engineer_reply(notice, "Actualizamos la firma del agente.", message_id="<r1@imagenti.mx>"))
    run_once(settings)
    smtp_sink.clear()
    dovecot.append(
        _engineer_reply(
            notice,
            (
                "#estado cerrado\n"
                "#resumen Se reinstaló el agente de WithSecure y se forzó la actualización de firmas.\n"
                "Se verificó en la consola que el equipo reporta.\n"
            ),
        )
    )
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "closed" and shown["closed_at"] is not None
    [closure] = smtp_sink.to(CLIENT)
    text = _text(closure)
    assert "Se reinstaló el agente de WithSecure" in text and "equipo reporta" in text
    assert "IMG-000001" in text and "LEVE" in text and "abriremos un nuevo ticket" in text
    assert "Ticket cerrado" in str(closure["msg"]["Subject"])
    assert closure["to"] == [CLIENT, "maria.diaz@cliente.com.mx"]


def test_closure_without_summary_uses_the_public_replies(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "Aplicamos el parche 23.4 en el servidor.", message_id="<r1@imagenti.mx>"))
    run_once(settings)
    dovecot.append(_engineer_reply(notice, "#estado cerrado", message_id="<r2@imagenti.mx>"))
    run_once(settings)
    closure = [m for m in smtp_sink.to(CLIENT) if "Ticket cerrado" in str(m["msg"]["Subject"])]
    assert len(closure) == 1 and "Aplicamos el parche 23.4" in _text(closure[0])


def test_tickets_close_cli_sends_the_closure_mail(settings, dovecot, smtp_sink):
    _open_ticket(dovecot, settings, smtp_sink)
    out = cli("tickets", "close", "IMG-000001", "--summary", "Se restableció la VPN.", config=settings.source)
    assert "queued closure to juan.perez@cliente.com.mx" in out.stdout.decode()
    again = cli("tickets", "close", "IMG-000001", "--summary", "otra vez", config=settings.source, check=False)
    assert again.returncode == 65 and "already closed" in again.stderr.decode()
    run_once(settings)
    [closure] = smtp_sink.to(CLIENT)
    assert "Se restableció la VPN." in _text(closure)
    shown = cli_json("tickets", "show", "IMG-000001", config=settings.source)
    assert shown["status"] == "closed"
    assert [e["data"]["text"] for e in shown["events"] if e["kind"] == "summary"] == ["Se restableció la VPN."]


def test_manager_reply_is_a_first_response_too(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "Lo reviso yo.", sender=MANAGER))
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["first_response_at"] is not None
    assert [m["to"] for m in smtp_sink.to(CLIENT)] == [[CLIENT]]


def test_relaxed_trust_is_warned_by_check_and_lets_unauthenticated_team_mail_run(make_settings, dovecot, smtp_sink):
    settings = make_settings(
        imap=imap_section(dovecot), smtp=smtp_section(smtp_sink), security={"trust_unauthenticated": True}
    )
    checked = cli("check", config=settings.source)
    assert "warning:" in checked.stderr.decode() and "trust_unauthenticated" in checked.stderr.decode()
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#estado en-progreso\n\nLo estoy revisando.", headers=None))
    run_once(settings)
    assert ticket(settings, "IMG-000001")["status"] == "in_progress"
    assert len(smtp_sink.to(CLIENT)) == 1


def test_colleagues_copied_by_the_client_later_become_watchers(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(
        make_mail(
            subject="RE: [IMAGEN TI #IMG-000001] El antivirus no actualiza",
            cc="pedro.ruiz@cliente.com.mx",
            body="Copio a Pedro, de sistemas.",
            message_id="<c2@cliente.com.mx>",
        )
    )
    run_once(settings)
    participants = {p["address"]: p["role"] for p in ticket(settings, "IMG-000001")["participants"]}
    assert participants["pedro.ruiz@cliente.com.mx"] == "watcher"
    dovecot.append(_engineer_reply(notice, "Pedro, Juan: ya quedó."))
    run_once(settings)
    [relay] = [m for m in smtp_sink.to(CLIENT) if m["msg"]["Auto-Submitted"] is None]
    assert relay["to"] == [CLIENT, "pedro.ruiz@cliente.com.mx"]
    assert "Copio a Pedro" in _text(smtp_sink.to(ANA)[0])  # the engineers heard of the client's reply


# -- found in review --------------------------------------------------------------------------


def test_a_pass_forged_below_our_mtas_header_is_not_trusted(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    forged = {"Authentication-Results": "mx.imagenti.mx; spf=fail smtp.mailfrom=imagenti.mx", "X-Filler": "x"}
    raw = _engineer_reply(notice, "#estado cerrado\n\nYa quedó.", headers=forged)
    # The sender wrote a pass with our id further down; our MTA's own header (a fail) is on top.
    raw = raw.replace(b"X-Filler: x", b"Authentication-Results: mx.imagenti.mx; dkim=pass header.d=imagenti.mx")
    dovecot.append(raw)
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["status"] == "new" and [e for e in shown["events"] if e["kind"] == "security"]
    assert smtp_sink.to(CLIENT) == []


def test_a_note_below_the_signature_line_is_still_a_note(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink, cc="maria.diaz@cliente.com.mx")
    dovecot.append(
        _engineer_reply(notice, "Hola Juan, ya quedó.\n\n-- \nAna López\n#nota el cliente no ha pagado, no decirle")
    )
    run_once(settings)
    [relay] = smtp_sink.to(CLIENT)
    assert "ya quedó" in _text(relay) and "no ha pagado" not in _text(relay) and "#" not in _text(relay)
    assert [e["data"]["text"] for e in _events(settings, "note")] == ["el cliente no ha pagado, no decirle"]


def test_a_mail_to_a_vendor_with_support_copied_is_not_relayed_to_the_client(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(
        _engineer_reply(
            notice, "The customer's license expired, internal only.", to="support@esetla.com", cc="soporte@imagenti.mx"
        )
    )
    run_once(settings)
    assert smtp_sink.to(CLIENT) == []
    shown = ticket(settings, "IMG-000001")
    assert shown["first_response_at"] is None and _events(settings, "team_mail")


def test_a_job_title_in_the_clients_signature_does_not_escalate(settings, dovecot, smtp_sink):
    _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(
        make_mail(
            subject="RE: [IMAGEN TI #IMG-000001] El antivirus no actualiza",
            body="Sigue igual.\n\nJuan Pérez\nGerente de Sistemas",
            message_id="<c9@cliente.com.mx>",
        )
    )
    run_once(settings)
    assert ticket(settings, "IMG-000001")["escalations"] == []
    dovecot.append(
        make_mail(
            subject="RE: [IMAGEN TI #IMG-000001] El antivirus no actualiza",
            body="Necesito hablar con el gerente de soporte.",
            message_id="<c10@cliente.com.mx>",
        )
    )
    run_once(settings)
    assert [e["target"] for e in ticket(settings, "IMG-000001")["escalations"]] == ["manager"]


def test_assigning_someone_outside_the_team_is_an_error(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(_engineer_reply(notice, "#asignar anna\n\nLo vemos.", message_id="<as1@imagenti.mx>"))
    run_once(settings)
    assert ticket(settings, "IMG-000001")["assignee"] is None and smtp_sink.to(CLIENT) == []
    assert "no es un miembro del equipo" in _text(smtp_sink.to(ANA)[0])
    dovecot.append(_engineer_reply(notice, "#asignar Ána López\n\nLo vemos.", message_id="<as2@imagenti.mx>"))
    run_once(settings)
    assert ticket(settings, "IMG-000001")["assignee"] == ANA


def test_a_vendor_writes_by_subject_tag_only_into_tickets_with_a_case_open_with_it(settings, dovecot, smtp_sink):
    _open_ticket(dovecot, settings, smtp_sink)
    tagged = dict(
        sender="WithSecure Support <support@withsecure.com>",
        subject="RE: [IMAGEN TI #IMG-000001] Support case: El antivirus no actualiza",
    )
    # Nothing authenticates a vendor's From: without a case, the tag opens a new, linked ticket.
    dovecot.append(make_mail(body="Please run this tool.", message_id="<wv1@withsecure.com>", **tagged))
    run_once(settings)
    assert [m["message_id"] for m in ticket(settings, "IMG-000001")["messages"] if m["direction"] == "in"] == [
        "<c1@cliente.com.mx>"
    ]
    assert ticket(settings, "IMG-000002")["linked_ticket"] == "IMG-000001"
    cli("tickets", "escalate", "IMG-000001", "--vendor", "withsecure", config=settings.source)
    dovecot.append(make_mail(body="Please send the fsdiag file.", message_id="<wv2@withsecure.com>", **tagged))
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert "<wv2@withsecure.com>" in [m["message_id"] for m in shown["messages"]]
    [case] = shown["escalations"]
    assert case["target"] == "withsecure" and case["responded_at"] is not None


def test_an_answer_written_below_a_leading_note_stays_internal_and_the_engineer_is_told(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(
        _engineer_reply(
            notice,
            "#estado resuelto\n#nota era el proxy del cliente\n\nHola Juan, ya quedó: era el proxy.",
            message_id="<n1@imagenti.mx>",
        )
    )
    run_once(settings)
    assert smtp_sink.to(CLIENT) == []  # never guessed towards the client
    [told] = smtp_sink.to(ANA)
    text = " ".join(_text(told).split())
    assert "no se le envió nada" in text and "Hola Juan, ya quedó" in text and "#estado resuelto" in text
    assert told["msg"]["In-Reply-To"] == "<n1@imagenti.mx>" and told["msg"]["Auto-Submitted"] == "auto-replied"
    assert ticket(settings, "IMG-000001")["status"] == "resolved"
    smtp_sink.clear()
    # A one-paragraph note with nothing for the client is plainly a note: no mail about it.
    dovecot.append(_engineer_reply(notice, "#nota llamé al cliente, queda pendiente el lunes"))
    run_once(settings)
    assert smtp_sink.to(ANA) == [] and smtp_sink.to(CLIENT) == []
    assert len(_events(settings, "note")) == 2


def test_an_answer_straight_to_the_client_with_someone_new_copied_is_the_first_response(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    dovecot.append(
        _engineer_reply(
            notice,
            "Juan, ya quedó; copio a nuestro contacto de WithSecure.",
            to=CLIENT,
            cc="soporte@imagenti.mx, soporte@withsecure.com",
        )
    )
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert shown["first_response_at"] is not None  # the client has it, whoever else was copied
    assert smtp_sink.to(CLIENT) == []  # already delivered by the engineer's own mail: not relayed again
    assert [e["data"]["relayed"] for e in shown["events"] if e["kind"] == "response"] == [False]


def test_the_managers_escalation_mail_shows_the_clients_conversation_not_internal_mail(settings, dovecot, smtp_sink):
    notice = _open_ticket(dovecot, settings, smtp_sink)
    # A note with several paragraphs and nothing for the client: the engineer is told (internal mail).
    dovecot.append(
        _engineer_reply(
            notice,
            "#nota era el proxy del cliente\n\nHola Juan, ya quedó: era el proxy.",
            message_id="<n1@imagenti.mx>",
        )
    )
    run_once(settings)
    assert "no se le envió nada" in " ".join(_text(smtp_sink.to(ANA)[0]).split())
    dovecot.append(
        make_mail(
            subject="RE: [IMAGEN TI #IMG-000001] El antivirus no actualiza",
            body="Necesito hablar con el gerente de soporte.",
            message_id="<c3@cliente.com.mx>",
        )
    )
    run_once(settings)
    [escalation] = smtp_sink.to(MANAGER)
    conversation = " ".join(_text(escalation).split("----- Conversación hasta ahora -----", 1)[1].split())
    assert "Soporte IMAGEN TI → juan.perez@cliente.com.mx" in conversation  # our acknowledgement
    assert "Necesito hablar con el gerente" in conversation
    # The engineers' notice and the mail about the kept note went to the team only.
    assert "Nuevo ticket IMG-000001" not in conversation and "no se le envió nada" not in conversation
