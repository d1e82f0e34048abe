"""Two tickets that are one (#fusionar, `tickets merge`) and a client's mail that is a new ticket (#separar, `tickets split`).

End to end as in ``test_thread``: mail through Dovecot into one daemon pass,
team replies with our MTA's Authentication-Results, what was sent read from
the SMTP sink, the tickets as the CLI shows them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import AttachmentRow, MessageRow, Ticket
from mailbot.reports import quarterly as rep
from mailbot.sla import deadlines as sla
from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.db import Db, ticket, tickets
from tests.support.mail import CLIENT, make_mail, team_headers
from tests.support.runners import cli, in_process_cli, run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]
MARIA = "maria.diaz@cliente.com.mx"  # the same client company as CLIENT
PEDRO = "pedro.ruiz@cliente.com.mx"
OTHER = "laura.gomez@otra.com.mx"  # another client
B_TAG, A_TAG = "[IMAGEN TI #IMG-000001]", "[IMAGEN TI #IMG-000002]"


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


@pytest.fixture
def mailbot(monkeypatch, settings):
    """``mailbot --config SETTINGS ARGS`` in this process: (exit code, stdout, stderr)."""
    invoke = in_process_cli(monkeypatch)

    def run(*args):
        result = invoke("--config", settings.source, *args)
        return result.exit_code, result.stdout, result.stderr

    return run


def _report(dovecot, settings, smtp_sink, sender, subject, message_id, **kw) -> dict:
    """A client's new report through one daemon pass: its acknowledgement and the team's notice."""
    dovecot.append(make_mail(sender=sender, subject=subject, message_id=message_id, **kw))
    run_once(settings)
    address = sender.rpartition("<")[2].rstrip(">")
    [ack] = smtp_sink.to(address)
    [notice] = smtp_sink.to(ANA)
    smtp_sink.clear()
    return {"ack": ack["msg"], "notice": notice["msg"]}


def _team_reply(to_msg, body, message_id, *, in_reply_to=True):
    """Ana's authenticated answer to one of our mails (a notice), the #commands at the top."""
    return make_mail(
        sender=ANA,
        subject="RE: " + str(to_msg["Subject"]).strip(),
        body=body,
        message_id=message_id,
        in_reply_to=to_msg["Message-ID"] if in_reply_to else None,
        headers=team_headers(),
    )


def _text(sink_message) -> str:
    return " ".join(sink_message["msg"].get_body(("plain",)).get_content().split())


def _kinds(shown) -> list[str]:
    return [e["kind"] for e in shown["events"]]


def _attachment_ticket(settings, filename) -> str:
    """The number of the ticket whose mail holds the attachment ``filename``."""
    db = Db(settings)
    try:
        return db.scalar(
            select(Ticket.number)
            .join(MessageRow, MessageRow.ticket_id == Ticket.id)
            .join(AttachmentRow, AttachmentRow.message_row_id == MessageRow.id)
            .where(AttachmentRow.filename == filename)
        )
    finally:
        db.close()


def test_fusionar_moves_the_thread_and_mail_to_the_old_number_lands_in_the_target(settings, dovecot, smtp_sink):
    _report(dovecot, settings, smtp_sink, CLIENT, "El antivirus no actualiza", "<b1@cliente.com.mx>")
    a = _report(
        dovecot,
        settings,
        smtp_sink,
        f"María Díaz <{MARIA}>",
        "Antivirus vencido en recepción",
        "<a1@cliente.com.mx>",
        cc=PEDRO,
        attachments=[("captura.png", b"\x89PNG fake", "image/png")],
    )
    dovecot.append(
        _team_reply(a["notice"], "#fusionar IMG-000001\n#nota es el mismo caso que el de Juan", "<t1@imagenti.mx>")
    )
    run_once(settings)

    old, new = ticket(settings, "IMG-000002"), ticket(settings, "IMG-000001")
    assert old["status"] == "closed" and old["closed_at"] is not None and old["merged_into"] == "IMG-000001"
    assert old["messages"] == [] and old["participants"] == []
    # What the merge did to it: its client's notice is answered in the target (which had one
    # waiting already), the desk's turn ends, and the merge itself.
    assert _kinds(old) == ["clock_stopped", "turn", "merged"]
    assert old["events"][-1]["data"]["into"] == "IMG-000001" and old["events"][-1]["actor"] == ANA
    assert new["status"] == "new" and new["merged_from"] == ["IMG-000002"] and new["merged_into"] is None
    # The whole thread moved: the client's mail, our acknowledgement and notice, Ana's reply.
    moved = {m["message_id"] for m in new["messages"]}
    assert {
        "<a1@cliente.com.mx>",
        "<t1@imagenti.mx>",
        str(a["ack"]["Message-ID"]),
        str(a["notice"]["Message-ID"]),
    } <= moved
    assert _attachment_ticket(settings, "captura.png") == "IMG-000001"
    assert {(p["address"], p["role"]) for p in new["participants"]} == {
        (CLIENT, "requester"),
        (MARIA, "client"),  # A's requester writes into B now: B's public mail reaches her
        (PEDRO, "watcher"),
    }
    came = [e for e in new["events"] if e["data"].get("from_ticket") == "IMG-000002"]
    assert {"created", "note", "command"} <= {e["kind"] for e in came}
    [merged_from] = [e for e in new["events"] if e["kind"] == "merged_from"]
    assert merged_from["data"]["ticket"] == "IMG-000002" and "<a1@cliente.com.mx>" in merged_from["data"]["message_ids"]

    # A's client side hears the new number, in A's conversation, under B's tag; no closure mail; B's client hears nothing.
    [notice] = smtp_sink.messages
    assert notice["to"] == [MARIA, PEDRO]
    subject = str(notice["msg"]["Subject"])
    assert B_TAG in subject and "IMG-000002" in subject and "cerrado" not in subject.lower()
    assert "continúa en el ticket IMG-000001" in _text(notice)
    assert notice["msg"]["In-Reply-To"] == "<a1@cliente.com.mx>"
    assert [t["number"] for t in tickets(settings) if t["status"] != "closed"] == ["IMG-000001"]
    smtp_sink.clear()

    # María answers A's acknowledgement (A's tag, In-Reply-To A's mail), then writes with only A's tag.
    dovecot.append(
        make_mail(
            sender=MARIA,
            subject="RE: " + str(a["ack"]["Subject"]),
            body="Les mando otra captura.",
            message_id="<a2@cliente.com.mx>",
            in_reply_to=a["ack"]["Message-ID"],
        )
    )
    dovecot.append(
        make_mail(
            sender=MARIA,
            subject=f"{A_TAG} sigue igual",
            body="Sigue sin actualizar.",
            message_id="<a3@cliente.com.mx>",
        )
    )
    run_once(settings)
    assert len(tickets(settings)) == 2
    new = ticket(settings, "IMG-000001")
    assert {"<a2@cliente.com.mx>", "<a3@cliente.com.mx>"} <= {m["message_id"] for m in new["messages"]}
    threaded = {e["data"]["message_id"]: e["data"]["threaded_by"] for e in new["events"] if e["kind"] == "message"}
    assert threaded["<a2@cliente.com.mx>"] == "reference" and threaded["<a3@cliente.com.mx>"] == "tag"
    assert ticket(settings, "IMG-000002")["messages"] == []
    updates = smtp_sink.to(ANA)
    assert len(updates) == 2 and all(B_TAG in str(u["msg"]["Subject"]) for u in updates)
    assert smtp_sink.to(MARIA) == []  # a reply into an open ticket: no new acknowledgement

    # The quarterly report counts B once, with its own acknowledgement, and says one was merged.
    app = build_app(settings)
    try:
        now = app.clock()
        year, quarter = now.year, (now.month - 1) // 3 + 1
        with app.sessions() as s:
            data = rep.quarterly(app, s, year, quarter)
    finally:
        app.close()
    assert data["overall"]["tickets"] == 1 and data["overall"]["acknowledgement_owed"] == 1
    assert data["overall"]["acknowledged_in_time"] == 1 and data["overall"]["by_severity"]["leve"] == 1
    assert data["merged"] == [{"ticket": "IMG-000002", "into": "IMG-000001", "client": "cliente.com.mx"}]
    text = rep.render_text(data, "IMAGEN TI")
    assert "Tickets recibidos: 1" in text and "Tickets fusionados en otro (no cuentan en estas cifras): 1" in text


def test_refused_merges_come_back_to_the_engineer_and_change_nothing(settings, dovecot, smtp_sink):
    _report(dovecot, settings, smtp_sink, CLIENT, "El antivirus no actualiza", "<b1@cliente.com.mx>")
    _report(dovecot, settings, smtp_sink, OTHER, "No hay internet", "<o1@otra.com.mx>")
    a = _report(dovecot, settings, smtp_sink, MARIA, "Antivirus vencido", "<a1@cliente.com.mx>")
    closed = _report(dovecot, settings, smtp_sink, CLIENT, "La impresora no imprime", "<c1@cliente.com.mx>")
    merged = _report(dovecot, settings, smtp_sink, PEDRO, "Antivirus en mi equipo", "<p1@cliente.com.mx>")
    dovecot.append(_team_reply(closed["notice"], "#estado cerrado\n#resumen Se cambió el tóner.", "<t1@imagenti.mx>"))
    dovecot.append(_team_reply(merged["notice"], "#merge 1", "<t2@imagenti.mx>"))
    run_once(settings)
    assert ticket(settings, "IMG-000004")["status"] == "closed"
    assert ticket(settings, "IMG-000005")["merged_into"] == "IMG-000001"
    before = ticket(settings, "IMG-000003")
    smtp_sink.clear()

    refusals = {
        "<r1@imagenti.mx>": (
            "#estado en-progreso\n#fusionar IMG-000002\n\nMaría, lo vemos en el otro ticket.",
            "Línea 2: «#fusionar IMG-000002»: el cliente de IMG-000003 (maria.diaz@cliente.com.mx) es de otro"
            " dominio que el de IMG-000002 (laura.gomez@otra.com.mx); si de verdad es el mismo caso, agregue"
            " «forzar» (#fusionar IMG-000002 forzar; en la línea de comandos, --force).",
        ),
        "<r2@imagenti.mx>": (
            "#fusionar IMG-000004",
            "Línea 1: «#fusionar IMG-000004»: el ticket IMG-000004 está cerrado; reábralo primero"
            " (#estado en-progreso en su hilo) y vuelva a fusionar.",
        ),
        "<r3@imagenti.mx>": (
            "#fusionar img-3",
            "Línea 1: «#fusionar img-3»: no se puede fusionar el ticket IMG-000003 consigo mismo.",
        ),
        "<r4@imagenti.mx>": (
            "#fusionar IMG-000099",
            "Línea 1: «#fusionar IMG-000099»: no existe el ticket IMG-000099.",
        ),
        "<r5@imagenti.mx>": (
            "#fusionar IMG-000005",
            "Línea 1: «#fusionar IMG-000005»: el ticket IMG-000005 ya se fusionó en IMG-000001; fusione en IMG-000001.",
        ),
        "<r6@imagenti.mx>": (
            "#fusionar mañana",
            "Línea 1: «#fusionar mañana»: «mañana» no es un número de ticket.",
        ),
    }
    for message_id, (body, _) in refusals.items():
        dovecot.append(_team_reply(a["notice"], body, message_id))
    run_once(settings)

    errors = {m["msg"]["In-Reply-To"]: _text(m) for m in smtp_sink.to(ANA)}
    assert set(errors) == set(refusals)
    for message_id, (_, reason) in refusals.items():
        assert "No se aplicó nada" in errors[message_id] and reason in errors[message_id], message_id
    assert smtp_sink.to(MARIA) == [] and smtp_sink.to(OTHER) == [] and smtp_sink.to(CLIENT) == []
    after = ticket(settings, "IMG-000003")
    assert after["status"] == before["status"] == "new" and after["merged_into"] is None
    assert after["first_response_at"] is None  # all or nothing: neither #estado nor the answer to María
    assert [e for e in after["events"] if e["kind"] in ("merged", "status", "command", "response")] == []
    assert _kinds(after).count("command_error") == len(refusals)
    assert ticket(settings, "IMG-000002")["merged_from"] == [] and ticket(settings, "IMG-000004")["status"] == "closed"
    smtp_sink.clear()

    # Across client domains, "forzar" says it is meant.
    dovecot.append(_team_reply(a["notice"], "#fusionar IMG-000002 forzar", "<r7@imagenti.mx>"))
    run_once(settings)
    assert ticket(settings, "IMG-000003")["merged_into"] == "IMG-000002"
    [event] = [e for e in ticket(settings, "IMG-000002")["events"] if e["kind"] == "merged_from"]
    assert event["data"]["cross_domain"] is True
    [notice] = smtp_sink.to(MARIA)
    assert "[IMAGEN TI #IMG-000002]" in str(notice["msg"]["Subject"])
    assert "No hay internet" not in _text(notice)  # the other client's subject is not theirs to read
    assert smtp_sink.to(OTHER) == []


def test_tickets_merge_on_the_command_line(settings, dovecot, smtp_sink, mailbot):
    _report(dovecot, settings, smtp_sink, CLIENT, "El antivirus no actualiza", "<b1@cliente.com.mx>")
    _report(dovecot, settings, smtp_sink, MARIA, "Antivirus vencido", "<a1@cliente.com.mx>")
    _report(dovecot, settings, smtp_sink, PEDRO, "Antivirus en mi equipo", "<p1@cliente.com.mx>")
    _report(dovecot, settings, smtp_sink, OTHER, "No hay internet", "<o1@otra.com.mx>")

    # Refused: exit 65, one line, nothing changed.
    refused = cli(
        "tickets", "merge", "IMG-000003", "--into", "IMG-000004", config=settings.source, check=False, text=True
    )
    assert refused.returncode == 65 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "error: el cliente de IMG-000003 (pedro.ruiz@cliente.com.mx) es de otro dominio que el de IMG-000004"
        " (laura.gomez@otra.com.mx); si de verdad es el mismo caso, agregue «forzar»"
        " (#fusionar IMG-000004 forzar; en la línea de comandos, --force)"
    ]
    assert ticket(settings, "IMG-000003")["merged_into"] is None

    # A chain: 3 into 2, then 2 into 1.
    code, out, _ = mailbot("tickets", "merge", "3", "--into", "IMG-000002", "--by", ANA)
    assert code == 0 and out.splitlines()[:2] == [
        "IMG-000003 merged into IMG-000002",
        "IMG-000002: new, escalation level 1",
    ]
    assert f"queued merge_notice to {PEDRO}: [IMAGEN TI #IMG-000002] Su reporte IMG-000003" in out
    code, out, _ = mailbot("tickets", "merge", "IMG-000002", "--into", "IMG-000001", "--json")
    assert code == 0 and '"merged_from": [\n    "IMG-000002"\n  ]' in out
    for args, line in (
        (("2", "--into", "1"), "el ticket IMG-000002 ya se fusionó en IMG-000001"),
        (("4", "--into", "2", "--force"), "el ticket IMG-000002 ya se fusionó en IMG-000001; fusione en IMG-000001"),
        (("4", "--into", "IMG-000077"), "no existe el ticket IMG-000077"),
        (("4", "--into", "img-000004"), "no se puede fusionar el ticket IMG-000004 consigo mismo"),
    ):
        assert mailbot("tickets", "merge", *args) == (65, "", f"error: {line}\n")

    code, out, _ = mailbot("tickets", "show", "IMG-000003")
    assert code == 0 and "status: closed, merged into IMG-000002" in out
    assert "merged from: IMG-000002" in mailbot("tickets", "show", "IMG-000001")[1]
    assert '"merged_into": "IMG-000001"' in mailbot("tickets", "list", "--json")[1]

    # The notices go out at the next pass; the client of 3 writes with 3's tag: it lands in 1, along the chain.
    run_once(settings)
    # Pedro is on 2's client side since 3 went there: he hears of both moves; María of hers.
    assert len(smtp_sink.to(PEDRO)) == 2 and len(smtp_sink.to(MARIA)) == 1 and smtp_sink.to(CLIENT) == []
    smtp_sink.clear()
    dovecot.append(
        make_mail(
            sender=PEDRO,
            subject="RE: [IMAGEN TI #IMG-000003] Antivirus",
            body="¿Alguna novedad?",
            message_id="<p2@cliente.com.mx>",
        )
    )
    run_once(settings)
    assert "<p2@cliente.com.mx>" in {m["message_id"] for m in ticket(settings, "IMG-000001")["messages"]}
    assert len(tickets(settings)) == 4


def _second_problem(dovecot, settings, smtp_sink):
    """Juan's ticket 1, then a reply in it about another problem, with a file: the team's update notice of it."""
    first = _report(dovecot, settings, smtp_sink, CLIENT, "El antivirus no actualiza", "<c1@cliente.com.mx>")
    dovecot.append(
        make_mail(
            subject=f"RE: {B_TAG} La impresora no imprime",  # a new problem, written in the old thread
            body="Otra cosa: la impresora de recepción no imprime desde hoy.",
            message_id="<c2@cliente.com.mx>",
            in_reply_to=first["ack"]["Message-ID"],
            cc=PEDRO,
            attachments=[("error.pdf", b"%PDF-1.4 fake", "application/pdf")],
        )
    )
    run_once(settings)
    [update] = smtp_sink.to(ANA)
    smtp_sink.clear()
    arrived = next(
        m["at"] for m in ticket(settings, "IMG-000001")["messages"] if m["message_id"] == "<c2@cliente.com.mx>"
    )
    return first, update["msg"], datetime.fromisoformat(arrived)


def _assert_split_off(settings, smtp_sink, arrived, actor):
    old, new = ticket(settings, "IMG-000001"), ticket(settings, "IMG-000002")
    assert new["origin"] == "split" and new["requester"] == CLIENT and new["linked_ticket"] == "IMG-000001"
    assert new["subject"] == "La impresora no imprime"  # the old ticket's tag and the "RE:" left out
    # The clocks run from the mail's arrival, not from the split.
    assert datetime.fromisoformat(new["received_at"]) == arrived
    app = build_app(settings)
    try:
        due = sla.add_time(
            app, arrived, sla.attention_target(settings, new["severity"]), settings.sla.attention.business_time
        )
    finally:
        app.close()
    assert datetime.fromisoformat(new["sla"]["attention_due"]) == due
    assert [(m["direction"], m["kind"]) for m in new["messages"]] == [
        ("in", "client"),
        ("out", "ack"),
        ("out", "notice"),
    ]
    assert new["messages"][0]["message_id"] == "<c2@cliente.com.mx>"
    assert "<c2@cliente.com.mx>" not in {m["message_id"] for m in old["messages"]}
    assert _attachment_ticket(settings, "error.pdf") == "IMG-000002"
    assert {(p["address"], p["role"]) for p in new["participants"]} == {(CLIENT, "requester"), (PEDRO, "watcher")}
    [split_to] = [e for e in old["events"] if e["kind"] == "split_to"]
    assert split_to["data"]["ticket"] == "IMG-000002" and split_to["actor"] == actor
    assert any(e["kind"] == "note" and "IMG-000002" in e["data"]["text"] for e in old["events"])
    [split_from] = [e for e in new["events"] if e["kind"] == "split_from"]
    assert split_from["data"] == {"ticket": "IMG-000001", "message_id": "<c2@cliente.com.mx>"}
    [reported] = [e for e in new["events"] if e["kind"] == "reported"]
    assert reported["data"]["via"] == "split"
    # Juan is acknowledged with the new number, in reply to his own mail.
    [ack] = smtp_sink.to(CLIENT)
    assert str(ack["msg"]["Subject"]) == "[IMAGEN TI #IMG-000002] Hemos recibido su reporte: La impresora no imprime"
    assert ack["msg"]["In-Reply-To"] == "<c2@cliente.com.mx>"
    assert ack["to"] == [CLIENT]


def test_separar_in_a_reply_to_the_update_notice_opens_an_acknowledged_ticket(settings, dovecot, smtp_sink):
    first, update, arrived = _second_problem(dovecot, settings, smtp_sink)
    dovecot.append(_team_reply(update, "#separar", "<t1@imagenti.mx>"))
    run_once(settings)
    _assert_split_off(settings, smtp_sink, arrived, ANA)
    smtp_sink.clear()

    refusals = {
        # Again, to the same notice.
        "<r1@imagenti.mx>": (update, "#separar", "ya se separó en el ticket IMG-000002"),
        # The new-ticket notice: the ticket's first mail.
        "<r2@imagenti.mx>": (first["notice"], "#split", "ese correo es el primero del ticket IMG-000001"),
        # Ana's own reply, answered by her again.
        "<r3@imagenti.mx>": (
            {"Subject": update["Subject"], "Message-ID": "<t1@imagenti.mx>"},
            "#separar",
            f"ese correo es del equipo ({ANA}), no de un cliente",
        ),
        "<r4@imagenti.mx>": (update, "#separar ahora", "«#separar ahora»: no lleva valor; escriba solo «#separar»"),
    }
    for message_id, (to_msg, body, _) in refusals.items():
        dovecot.append(_team_reply(to_msg, body, message_id))
    # No In-Reply-To at all (threaded by the tag): no client mail to split.
    dovecot.append(_team_reply(update, "#separar", "<r5@imagenti.mx>", in_reply_to=False))
    run_once(settings)
    errors = {m["msg"]["In-Reply-To"]: _text(m) for m in smtp_sink.to(ANA)}
    for message_id, (_, _, reason) in refusals.items():
        assert reason in errors[message_id], (message_id, errors.get(message_id))
    [untied] = [text for mid, text in errors.items() if mid not in refusals]
    assert "no se encontró el correo del cliente" in untied
    assert len(tickets(settings)) == 2 and smtp_sink.to(CLIENT) == []


def test_tickets_split_on_the_command_line(settings, dovecot, smtp_sink, mailbot):
    _, _, arrived = _second_problem(dovecot, settings, smtp_sink)
    code, out, err = mailbot("tickets", "split", "IMG-000001", "--message", "c1@cliente.com.mx")
    assert code == 65 and err == "error: ese correo es el primero del ticket IMG-000001: no hay de qué separarlo\n"
    code, out, _ = mailbot("tickets", "split", "1", "--message", "<c2@cliente.com.mx>", "--by", ANA)
    assert code == 0 and out.splitlines()[:2] == [
        "IMG-000002 split off IMG-000001",
        "IMG-000002: new, escalation level 1",
    ]
    assert f"queued ack to {CLIENT}: [IMAGEN TI #IMG-000002] Hemos recibido su reporte" in out
    run_once(settings)
    _assert_split_off(settings, smtp_sink, arrived, ANA)
    code, _, err = mailbot("tickets", "split", "1", "--message", "c2@cliente.com.mx")
    assert code == 65 and err == "error: ese correo ya se separó en el ticket IMG-000002\n"


def test_the_closure_mail_of_the_target_does_not_carry_what_was_written_on_the_merged_ticket(
    settings, dovecot, smtp_sink
):
    b = _report(dovecot, settings, smtp_sink, CLIENT, "La VPN no conecta", "<b1@cliente.com.mx>")
    a = _report(dovecot, settings, smtp_sink, OTHER, "Otra VPN", "<a1@otra.com.mx>")
    # On A, Ana answers A's client (a response), then merges A into B across domains.
    dovecot.append(_team_reply(a["notice"], "Laura, su contrato vence el viernes.", "<t1@imagenti.mx>"))
    run_once(settings)
    dovecot.append(_team_reply(a["notice"], "#fusionar IMG-000001 forzar", "<t2@imagenti.mx>"))
    dovecot.append(_team_reply(b["notice"], "Pedro, ya quedó la VPN.", "<t3@imagenti.mx>"))
    run_once(settings)
    dovecot.append(_team_reply(b["notice"], "#estado cerrado", "<t4@imagenti.mx>"))
    run_once(settings)
    closures = [m for m in smtp_sink.to(CLIENT) if "ya quedó la VPN" in _text(m)]
    assert closures, [_text(m) for m in smtp_sink.to(CLIENT)]
    assert not [m for m in smtp_sink.to(CLIENT) if "contrato vence" in _text(m)]
