"""``mailbot rules test`` shows what a call, a forward, ``#fusionar`` and ``#separar`` would do, and keeps nothing."""

import json
from datetime import UTC, datetime

import pytest

from mailbot.vocab import MessageKind
from tests.support.config import ENGINEERS
from tests.support.db import ticket, tickets
from tests.support.desk import ClockDesk, engineer_reply
from tests.support.mail import make_mail, team_headers
from tests.support.runners import cli

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]
CLIENT = "ana.ruiz@farmaciasdelvalle.com.mx"


def _dry(settings, tmp_path, raw: bytes) -> dict:
    path = tmp_path / "mail.eml"
    path.write_bytes(raw)
    return json.loads(cli("rules", "test", "--json", str(path), config=settings.source).stdout)


def _text(settings, tmp_path, raw: bytes) -> str:
    path = tmp_path / "mail.eml"
    path.write_bytes(raw)
    return cli("rules", "test", str(path), config=settings.source).stdout.decode()


def test_a_call_and_a_forward_are_shown_as_the_clients_tickets(make_settings, db_url, tmp_path):
    settings = make_settings(db_url=db_url)
    call = make_mail(
        sender=ANA,
        subject="Llamada: firewall caído",
        body=f"#cliente {CLIENT}\n\nEl firewall SonicWall de matriz no arranca. Toda la empresa sin internet.",
        headers=team_headers(),
    )
    report = _dry(settings, tmp_path, call)
    assert report["action"] == "created"
    assert report["ticket"]["requester"] == CLIENT and report["ticket"]["origin"] == "phone"
    assert report["ticket"]["product"] == "sonicwall"  # classified on the client's report
    assert [m["to"] for m in report["mails"] if m["kind"] == "ack"] == [[CLIENT]]
    assert "reported" in [e["kind"] for e in report["events"]]
    out = _text(settings, tmp_path, call)
    assert f"requester: {CLIENT}" in out and "origin: phone" in out

    forward = make_mail(
        sender=ANA,
        subject="RV: Antivirus bloquea Aspel",
        body=(
            "Me llegó directo.\n\n"
            "________________________________\n"
            f"De: Ana Ruiz <{CLIENT}>\n"
            "Enviado: lunes, 7 de diciembre de 2026 09:10\n"
            f"Para: {ANA}\n"
            "Asunto: Antivirus bloquea Aspel\n\n"
            "WithSecure bloquea Aspel COI en 12 equipos."
        ),
        headers=team_headers(),
    )
    report = _dry(settings, tmp_path, forward)
    assert report["ticket"]["requester"] == CLIENT and report["ticket"]["origin"] == "forward"
    assert report["ticket"]["product"] == "withsecure"
    assert tickets(settings) == []  # nothing kept


def test_merge_and_split_are_shown_and_not_done(make_settings, db_url, tmp_path):
    settings = make_settings(db_url=db_url)
    desk = ClockDesk(settings, datetime.now(UTC))
    try:
        desk.mail(make_mail(sender=CLIENT, subject="VPN caída", message_id="<a@farmaciasdelvalle.com.mx>"))
        desk.mail(make_mail(sender=CLIENT, subject="Sigue la VPN caída", message_id="<b@farmaciasdelvalle.com.mx>"))
        [ack] = desk.out(MessageKind.ACK, "IMG-000001")
        # The client answers the first ticket's acknowledgement with a new problem.
        desk.mail(
            make_mail(
                sender=CLIENT,
                subject="RE: " + ack.subject,
                body="Otra cosa: la impresora de recepción no imprime.",
                message_id="<c@farmaciasdelvalle.com.mx>",
                in_reply_to=ack.message_id,
            )
        )
        [update] = desk.out(MessageKind.UPDATE_NOTICE, "IMG-000001")
        merge = engineer_reply(desk, "IMG-000002", "#fusionar IMG-000001\n#nota es el mismo caso", n=7)
        split = make_mail(
            sender=ANA,
            subject="Re: " + update.subject,
            body="#separar",
            message_id="<team8@imagenti.mx>",
            in_reply_to=update.message_id,
            headers=team_headers(),
        )
    finally:
        desk.close()

    report = _dry(settings, tmp_path, merge)
    kinds = [e["kind"] for e in report["events"]]
    assert "merged" in kinds and "merged_from" in kinds
    assert [m["kind"] for m in report["mails"]] == ["merge_notice"]
    assert "merged (IMG-000002)" in _text(settings, tmp_path, merge)

    report = _dry(settings, tmp_path, split)
    kinds = [e["kind"] for e in report["events"]]
    assert "split_to" in kinds and "split_from" in kinds
    assert [m["to"] for m in report["mails"] if m["kind"] == "ack"] == [[CLIENT]]

    # Nothing was done.
    assert sorted(t["number"] for t in tickets(settings)) == ["IMG-000001", "IMG-000002"]
    assert ticket(settings, "IMG-000002")["status"] == "new"
    assert len([m for m in ticket(settings, "IMG-000001")["messages"] if m["direction"] == "in"]) == 2
