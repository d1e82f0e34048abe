"""Reports the team brings in for a client by phone (``#cliente``), through Dovecot and the SMTP sink."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.app import build_app
from mailbot.db.models import utcnow
from mailbot.sla import deadlines
from mailbot.vocab import Severity
from tests.support.config import ENGINEERS, MANAGER, imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import make_mail, team_headers
from tests.support.runners import cli, cli_json, run_once

pytestmark = pytest.mark.servers
ANA, LUIS = ENGINEERS[0], ENGINEERS[1]
MX = ZoneInfo("America/Mexico_City")
CLIENT = "ana.ruiz@farmaciasdelvalle.com.mx"


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink):
    return make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink))


def _phone(body, *, sender=ANA, subject="Llamada: VPN caída en sucursal Puebla", headers="ok", message_id=None):
    return make_mail(
        sender=sender,
        subject=subject,
        body=body,
        message_id=message_id,
        headers=team_headers() if headers == "ok" else headers,
    )


def _local(dt: datetime) -> str:
    return dt.astimezone(MX).strftime("%Y-%m-%d %H:%M")


def _deadline(settings, received: datetime, severity: Severity) -> datetime:
    """The attention deadline the terms give a report of ``severity`` received at ``received``."""
    app = build_app(settings)
    try:
        target = deadlines.attention_target(settings, severity)
        return deadlines.add_time(app, received, target, settings.sla.attention.business_time)
    finally:
        app.close()


def test_a_call_written_up_opens_the_clients_ticket_from_when_they_called(settings, dovecot, smtp_sink):
    called = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    dovecot.append(
        _phone(
            f'#cliente "Ana Ruiz" <{CLIENT}>\n'
            f"#recibido {_local(called)}\n"
            "\n"
            "Llamó Ana Ruiz: el túnel VPN de la sucursal Puebla con matriz está caído desde la mañana.\n"
            "Toda la sucursal está detenida, no pueden facturar.\n"
        )
    )
    run_once(settings)

    [t] = tickets(settings)
    shown = ticket(settings, t["number"])
    assert shown["requester"] == CLIENT and shown["requester_name"] == "Ana Ruiz"
    assert shown["origin"] == "phone"
    assert datetime.fromisoformat(shown["received_at"]) == called
    severity = Severity(shown["severity"])
    assert datetime.fromisoformat(shown["sla"]["attention_due"]) == _deadline(settings, called, severity)
    assert shown["assignee"] == ANA  # who took the call
    [reported] = [e for e in shown["events"] if e["kind"] == "reported"]
    assert reported["actor"] == ANA and reported["data"]["via"] == "phone" and reported["data"]["client"] == CLIENT
    [first] = [m for m in shown["messages"] if m["direction"] == "in"]
    assert first["from"] == ANA and first["kind"] == "phone" and "túnel VPN" in first["body"]

    # The client is acknowledged with the number; nothing goes to the engineer as if they were the client.
    smtp_sink.wait_for(1)
    [ack] = smtp_sink.to(CLIENT)
    assert t["number"] in str(ack["msg"]["Subject"])
    assert not [m for m in smtp_sink.messages if ANA in m["to"] and "acuse" in str(m["msg"]["Subject"]).lower()]


def test_the_rules_read_the_report_as_the_clients_own_mail(settings, dovecot, smtp_sink):
    dovecot.append(
        _phone(
            f"#cliente {CLIENT}\n\nEl firewall SonicWall de matriz se reinicia solo. Toda la empresa sin internet.\n",
            subject="Llamada de Farmacias del Valle",
        )
    )
    # The same words written by the client themself, for comparison.
    dovecot.append(
        make_mail(
            sender=f"Ana Ruiz <{CLIENT}>",
            subject="Llamada de Farmacias del Valle",
            body="El firewall SonicWall de matriz se reinicia solo. Toda la empresa sin internet.\n",
        )
    )
    run_once(settings)
    by_origin = {t["number"]: ticket(settings, t["number"]) for t in tickets(settings)}
    phone, own = sorted(by_origin.values(), key=lambda t: t["origin"] != "phone")
    assert phone["origin"] == "phone" and own["origin"] == "normal"
    for key in ("severity", "category", "product", "out_of_scope"):
        assert phone[key] == own[key], key


def test_commands_with_the_report_apply_and_no_ack_is_sent_when_asked(settings, dovecot, smtp_sink):
    dovecot.append(
        _phone(
            f"#client {CLIENT}\n#no-ack\n#asignar luis\n#severidad grave\n\n"
            "Reporta por WhatsApp que el agente de WithSecure no actualiza en 3 equipos.\n",
            subject="WhatsApp de Farmacias del Valle",
        )
    )
    run_once(settings)
    [t] = tickets(settings)
    shown = ticket(settings, t["number"])
    assert shown["assignee"] == LUIS and shown["severity"] == "grave"
    assert [e["data"]["reason"] for e in shown["events"] if e["kind"] == "ack_suppressed"]
    assert not smtp_sink.to(CLIENT)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("#recibido 2999-01-01 10:00", "futura"),
        ("#recibido 2020-01-01 10:00", "max_backdate"),
        ("#recibido ayer", "HH:MM"),
        ("#cliente", "dirección del cliente"),
    ],
)
def test_a_report_that_does_not_read_is_refused_and_its_sender_told(settings, dovecot, smtp_sink, line, why):
    first = f"#cliente {CLIENT}\n" if not line.startswith("#cliente") else ""
    dovecot.append(_phone(f"{first}{line}\n\nLlamó Ana: no hay VPN.\n", message_id="<tel-bad@imagenti.mx>"))
    run_once(settings)
    assert tickets(settings) == []
    smtp_sink.wait_for(1)
    [reply] = smtp_sink.to(ANA)
    text = reply["msg"].get_body(("plain",)).get_content()
    assert why in text and "No se abrió ningún ticket" in text
    assert not smtp_sink.to(CLIENT)


def test_a_spoofed_team_address_is_that_senders_own_mail(settings, dovecot, smtp_sink):
    dovecot.append(_phone(f"#cliente {CLIENT}\n\nLlamó Ana: no hay VPN.\n", headers=None))
    run_once(settings)
    [t] = tickets(settings)
    assert t["requester"] == ANA and ticket(settings, t["number"])["origin"] == "normal"
    assert not smtp_sink.to(CLIENT)


def test_the_manager_may_bring_a_call_in_too(settings, dovecot, smtp_sink):
    dovecot.append(_phone(f"#cliente {CLIENT}\n\nLlamó Ana: no hay VPN en Puebla.\n", sender=MANAGER))
    run_once(settings)
    [t] = tickets(settings)
    assert t["requester"] == CLIENT and t["assignee"] == MANAGER


def test_tickets_open_is_the_command_line_twin(settings, smtp_sink, tmp_path):
    body = tmp_path / "llamada.txt"
    body.write_text("El túnel VPN de Puebla está caído. Toda la sucursal detenida.\n")
    called = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    cli("db", "upgrade", config=settings.source)  # as the daemon's first start would; `open` creates no database
    out = cli_json(
        "tickets",
        "open",
        "--client",
        f'"Ana Ruiz" <{CLIENT}>',
        "--subject",
        "Llamada: VPN caída",
        "--received",
        _local(called),
        "--body-file",
        str(body),
        "--by",
        LUIS,
        config=settings.source,
    )
    shown = ticket(settings, out["number"])
    assert shown["requester"] == CLIENT and shown["origin"] == "phone" and shown["assignee"] == LUIS
    assert datetime.fromisoformat(shown["received_at"]) == called
    assert "túnel VPN" in shown["messages"][0]["body"]
    run_once(settings)
    smtp_sink.wait_for(1)
    assert smtp_sink.to(CLIENT)

    # Each mistake is one line and exit 65, and nothing is opened.
    for args, said in [
        (["--client", "nadie", "--subject", "x"], "--client"),
        (["--client", CLIENT, "--subject", "x", "--received", "2999-01-01 10:00"], "future"),
    ]:
        proc = cli("tickets", "open", *args, "--body-file", str(body), config=settings.source, check=False)
        assert proc.returncode == 65, proc.stderr
        [line] = proc.stderr.decode().strip().splitlines()
        assert line.startswith("error:") and said in line
    assert len(tickets(settings)) == 1


def test_a_call_with_a_command_that_does_not_read_opens_nothing(settings, dovecot, smtp_sink):
    dovecot.append(_phone(f"#cliente {CLIENT}\n#severidad urgente\n\nLlamó Ana: no hay VPN.\n"))
    run_once(settings)
    assert tickets(settings) == []
    smtp_sink.wait_for(1)
    [reply] = smtp_sink.to(ANA)
    assert "#severidad urgente" in reply["msg"].get_body(("plain",)).get_content()
    assert not smtp_sink.to(CLIENT)


def test_the_acknowledgement_of_a_call_states_its_final_severity_and_the_note_stays_internal(
    settings, dovecot, smtp_sink
):
    dovecot.append(
        _phone(
            f"#cliente {CLIENT}\n#severidad critica\n\nLlamó Ana: la VPN de Puebla está caída.\n\n"
            "#nota tienen 3 facturas vencidas, no comentarlo\n"
        )
    )
    run_once(settings)
    [t] = tickets(settings)
    shown = ticket(settings, t["number"])
    assert shown["severity"] == "critica"
    [first] = [m for m in shown["messages"] if m["direction"] == "in"]
    # The first message is the client's report: what a vendor's case mail would quote.
    assert "VPN de Puebla" in first["body"] and "facturas" not in first["body"] and "#cliente" not in first["body"]
    assert any("facturas vencidas" in e["data"].get("text", "") for e in shown["events"] if e["kind"] == "note")
    smtp_sink.wait_for(1)
    [ack] = smtp_sink.to(CLIENT)
    text = ack["msg"].get_body(("plain",)).get_content()
    assert "CRÍTICA" in text and "facturas" not in text


@pytest.mark.parametrize("who", ["soporte@imagenti.mx", ENGINEERS[2], "support@withsecure.com"])
def test_the_desks_own_addresses_are_not_clients(settings, dovecot, smtp_sink, who):
    dovecot.append(_phone(f"#cliente {who}\n\nPrueba.\n"))
    run_once(settings)
    assert tickets(settings) == []
    proc = cli("tickets", "open", "--client", who, "--subject", "x", config=settings.source, check=False)
    assert proc.returncode == 65, proc.stderr
    assert "not a client" in proc.stderr.decode()
