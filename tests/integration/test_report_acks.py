"""The quarterly report's acknowledgement figure tells the truth (issue 13, point 6).

Every report a person sent by mail counts; one that got no acknowledgement, or
got it late, counts against the 30 minutes whatever kept it from the client,
and the report says why. Mail that is no report (a machine's alert, list mail,
an out-of-office, a bounce) stays out of the figure.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import MessageRow, Outbox
from mailbot.outbound.outbox import OutboxSender
from mailbot.reports import quarterly as rep
from tests.support.config import imap_section, smtp_section
from tests.support.db import tickets
from tests.support.desk import ClockDesk
from tests.support.desk import mx_time as at
from tests.support.mail import dsn, make_mail
from tests.support.runners import cli, run_once
from tests.support.servers import SmtpSink

pytestmark = pytest.mark.servers

JUAN = "juan.perez@cliente.com.mx"
GONE = "ex.empleado@cliente.com.mx"  # the client's relay refuses it for good
LAURA = "laura.gomez@otra.com.mx"


class _RefuseRecipient:
    """The sink's handler, with one recipient refused at RCPT TO (550): a permanent relay failure."""

    def __init__(self, inner, refused: str):
        self.inner, self.refused = inner, refused

    # aiosmtpd finds hooks with dir(): each is spelled out, none reached through __getattr__.
    async def handle_DATA(self, server, session, envelope):
        return await self.inner.handle_DATA(server, session, envelope)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"


@pytest.fixture
def refusing_sink():
    sink = SmtpSink()
    sink.controller.handler = _RefuseRecipient(sink.controller.handler, GONE)
    sink.start()
    yield sink
    sink.stop()


def test_a_report_whose_acknowledgement_the_relay_refused_counts_against_and_is_named(
    make_settings, db_url, dovecot, refusing_sink
):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(refusing_sink))
    # Three reports by three people, and mail that is no report: a firewall's alert (a
    # ticket, no acknowledgement owed), list mail (a ticket too), an out-of-office (none).
    dovecot.append(
        make_mail(sender=JUAN, subject="No imprime la impresora de recepción", message_id="<r1@cliente.com.mx>")
    )
    dovecot.append(
        make_mail(sender=f"Pedro Ruiz <{GONE}>", subject="Sin acceso a la VPN", message_id="<r2@cliente.com.mx>")
    )
    dovecot.append(make_mail(sender=LAURA, subject="Outlook no abre", message_id="<r3@otra.com.mx>"))
    dovecot.append(
        make_mail(
            sender="alertas@otra.com.mx",
            subject="Alerta: VPN caida en sucursal Norte",
            message_id="<a1@otra.com.mx>",
            headers={"Auto-Submitted": "auto-generated"},
        )
    )
    dovecot.append(
        make_mail(
            sender=LAURA,
            subject="Boletín de agosto",
            message_id="<b1@otra.com.mx>",
            headers={"List-Id": "Boletin <boletin.otra.com.mx>"},
        )
    )
    dovecot.append(
        make_mail(
            sender=JUAN,
            subject="Respuesta automática: fuera de la oficina",
            message_id="<o1@cliente.com.mx>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    received = at(2026, 8, 5, 10)  # a quarter already over: the report's figures are final
    run_once(settings, app=build_app(settings, clock=lambda: received))
    assert len(tickets(settings)) == 5
    assert [m["to"] for m in refusing_sink.messages if m["msg"]["Auto-Submitted"] == "auto-replied"] == [
        [JUAN],
        [LAURA],
    ]

    data = json.loads(cli("report", "quarterly", "--quarter", "2026Q3", "--json", config=settings.source).stdout)
    overall = data["overall"]
    assert overall["tickets"] == 5
    assert (overall["acknowledgement_owed"], overall["acknowledged_in_time"]) == (3, 2)
    assert overall["acknowledged_in_time_pct"] == 66.7
    assert overall["acknowledgement_missed"] == {"relay_failure": 1}
    assert data["clients"]["cliente.com.mx"]["acknowledged_in_time_pct"] == 50.0
    assert data["clients"]["otra.com.mx"]["acknowledged_in_time_pct"] == 100.0
    [miss] = data["acknowledgement_misses"]
    gone = next(t["number"] for t in tickets(settings) if t["requester"] == GONE)
    assert (miss["ticket"], miss["requester"], miss["reason"]) == (gone, GONE, "relay_failure")
    assert "550" in miss["detail"] and miss["acknowledged_at"] is None

    text = cli("report", "quarterly", "--quarter", "2026Q3", config=settings.source).stdout.decode()
    assert "Reportes de clientes por correo: 3" in text
    assert "Acuse en 30 minutos o menos (%): 66.7" in text
    assert "Sin acuse en 30 minutos o menos: 1 (rechazado por el servidor de correo: 1)" in text
    [line] = [ln for ln in text.splitlines() if ln.strip().startswith(gone)]
    assert f"{GONE}, recibido 2026-08-05 10:00: rechazado por el servidor de correo (" in line and "550" in line


@pytest.fixture
def desk(make_settings, db_url):
    # A ceiling of one automatic reply an hour: the second report of one sender trips it.
    d = ClockDesk(make_settings(db_url=db_url, loops={"sender_ceiling": 1}), at(2026, 8, 5, 10))
    yield d
    d.close()


def _send(d: ClockDesk) -> None:
    OutboxSender(d.settings, d.app.sessions, clock=lambda: d.now).send_due(now=d.now)


def test_withheld_late_and_bounced_acknowledgements_all_count_against(desk):
    d = desk
    first = d.at(at(2026, 8, 5, 10)).mail(make_mail(sender=JUAN, subject="No imprime", message_id="<p1@c.mx>"))
    _send(d.at(at(2026, 8, 5, 10, 1)))
    # A distinct second report within the hour: loop protection withholds its acknowledgement.
    withheld = d.at(at(2026, 8, 5, 10, 10)).mail(
        make_mail(sender=JUAN, subject="Tampoco escanea", message_id="<p2@c.mx>")
    )
    bounced = d.at(at(2026, 8, 5, 11)).mail(make_mail(sender=LAURA, subject="Outlook no abre", message_id="<p3@o.mx>"))
    _send(d.at(at(2026, 8, 5, 11, 2)))
    with d.app.sessions() as s:
        ack = s.scalar(
            select(Outbox.data)
            .join(MessageRow, MessageRow.id == Outbox.message_row_id)
            .where(MessageRow.kind == "ack")
            .order_by(Outbox.id.desc())
            .limit(1)
        )
    # Sent in time, then bounced: the client never had it.
    assert d.at(at(2026, 8, 5, 11, 5)).pipeline.process(dsn(ack, LAURA)).action == "bounce"
    late = d.at(at(2026, 8, 6, 12)).mail(make_mail(sender=LAURA, subject="Sin internet", message_id="<p4@o.mx>"))
    _send(d.at(at(2026, 8, 6, 12, 40)))

    with d.app.sessions() as s:
        data = rep.quarterly(d.app, s, 2026, 3)
    overall = data["overall"]
    assert (overall["acknowledgement_owed"], overall["acknowledged_in_time"]) == (4, 1)
    assert overall["acknowledged_in_time_pct"] == 25.0
    # Before issue 13 the withheld one counted as not owed, and the figure said 50.0.
    assert overall["acknowledgement_missed"] == {"late": 1, "loop_protection": 1, "bounced": 1}
    assert [(m["ticket"], m["reason"]) for m in data["acknowledgement_misses"]] == [
        (withheld.ticket, "loop_protection"),
        (bounced.ticket, "bounced"),
        (late.ticket, "late"),
    ]
    assert data["acknowledgement_misses"][0]["detail"]  # the guard's own words, e.g. its ceiling
    text = rep.render_text(data, "IMAGEN TI")
    assert (
        "Sin acuse en 30 minutos o menos: 3 (acuse enviado tarde: 1, retenido por la protección contra "
        "bucles: 1, el acuse rebotó: 1)"
    ) in text
    assert f"{late.ticket}, {LAURA}, recibido 2026-08-06 12:00: acuse enviado tarde (a los 40 min)" in text
    assert first.ticket not in text  # acknowledged in a minute: nothing to explain
