"""An internationalised domain reaches a relay that does not offer SMTPUTF8, in its IDNA form."""

import pytest

from mailbot.outbound.outbox import OutboxSender
from tests.support.config import smtp_section
from tests.support.desk import DeskBase

pytestmark = pytest.mark.servers

RAW = (
    "From: José M. Núñez <jmnunez@ópticasnúñez.mx>\r\n"
    "To: soporte@imagenti.mx\r\n"
    "Subject: El antivirus no actualiza\r\n"
    "Message-ID: <idn-1@ópticasnúñez.mx>\r\n"
    "Date: Thu, 03 Dec 2026 10:00:00 -0600\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Buen día, el agente no actualiza desde ayer.\r\n"
).encode()


def test_acknowledgement_to_a_unicode_domain_goes_to_its_xn_form(make_settings, db_url, smtp_sink):
    # The suite's sink is aiosmtpd without SMTPUTF8 (SmtpSink's default).
    desk = DeskBase(make_settings(db_url=db_url, smtp=smtp_section(smtp_sink)))
    try:
        assert desk.pipeline.process(RAW, source="test").action == "created"
        report = OutboxSender(desk.settings, desk.app.sessions).send_due()
        assert report.failed == 0
        acks = [m for m in smtp_sink.messages if m["msg"]["Auto-Submitted"] == "auto-replied"]
        assert len(acks) == 1
        assert acks[0]["to"] == ["jmnunez@xn--pticasnez-r6ao5g.mx"]
        assert "jmnunez@xn--pticasnez-r6ao5g.mx" in str(acks[0]["msg"]["To"])
        # The raw mail is plain ASCII headers: any relay and mail program takes it.
        head = acks[0]["raw"].split(b"\r\n\r\n", 1)[0]
        assert head.isascii()
    finally:
        desk.close()
