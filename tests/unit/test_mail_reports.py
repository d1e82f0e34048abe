"""Delivery reports read during the one parse: the original Message-IDs and the diagnostic."""

from __future__ import annotations

import email
import importlib.util
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.errors import ParseError
from mailbot.mail.parse import parse
from mailbot.mail.reports import DeliveryReport
from tests.support.mail import make_mail

# -- what pipeline/apply.py read by parsing the stored bytes again, kept as the oracle --

_MSGID = re.compile(r"<[^<>\s]+>")


def reference_ids(raw: bytes) -> list[str]:
    msg = email.message_from_bytes(raw)
    ids = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                mid = payload[0].get("Message-ID")
            else:
                text = part.get_payload(decode=True) or b""
                inner = email.message_from_bytes(text if isinstance(text, bytes) else text.encode())
                mid = inner.get("Message-ID")
            if mid:
                ids += _MSGID.findall(str(mid))
    return ids


def reference_diagnostic(raw: bytes) -> str | None:
    msg = email.message_from_bytes(raw)
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
                code = block.get("Diagnostic-Code") or block.get("Status")
                if code:
                    return str(code)[:500]
    return None


# -- reports --------------------------------------------------------------------------

ORIGINAL = make_mail(sender="soporte@imagenti.mx", to="juan.perez@cliente.com.mx", message_id="<ack1@imagenti.mx>")
STATUS = (
    "Reporting-MTA: dns; mx.cliente.com.mx\r\n\r\n"
    "Final-Recipient: rfc822; juan.perez@cliente.com.mx\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <juan.perez@cliente.com.mx>: User unknown\r\n"
)


def report(
    original_part: bytes,
    *,
    status: str = STATUS,
    report_type: str = "delivery-status",
    sender: str = "MAILER-DAEMON@mx.cliente.com.mx",
) -> bytes:
    return (
        (
            f"From: {sender}\r\nTo: soporte@imagenti.mx\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: <dsn@mx.cliente.com.mx>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/report; report-type={report_type}; boundary=RPT\r\n\r\n"
            "--RPT\r\nContent-Type: text/plain\r\n\r\nNo se pudo entregar.\r\n"
            f"--RPT\r\nContent-Type: message/delivery-status\r\n\r\n{status}\r\n"
        ).encode()
        + original_part
        + b"--RPT--\r\n"
    )


def rfc822(original: bytes, disposition: str = "") -> bytes:
    return b"--RPT\r\nContent-Type: message/rfc822\r\n" + disposition.encode() + b"\r\n" + original + b"\r\n"


def headers_part(original: bytes, ctype: str = "text/rfc822-headers") -> bytes:
    head = original.split(b"\r\n\r\n", 1)[0]
    return b"--RPT\r\nContent-Type: " + ctype.encode() + b"\r\n\r\n" + head + b"\r\n\r\n"


@pytest.mark.parametrize(
    "part",
    [
        rfc822(ORIGINAL),
        rfc822(ORIGINAL, "Content-Disposition: attachment; filename=original.eml\r\n"),
        headers_part(ORIGINAL),
        headers_part(ORIGINAL, "message/rfc822-headers"),
    ],
    ids=["message-rfc822", "attached-rfc822", "text-rfc822-headers", "message-rfc822-headers"],
)
def test_a_bounce_names_the_original_mail_and_what_the_server_said(part):
    raw = report(part)
    mail = parse(raw)
    assert mail.delivery_report == DeliveryReport(
        original_message_ids=("<ack1@imagenti.mx>",),
        diagnostic="smtp; 550 5.1.1 <juan.perez@cliente.com.mx>: User unknown",
    )
    assert list(mail.delivery_report.original_message_ids) == reference_ids(raw)
    assert mail.delivery_report.diagnostic == reference_diagnostic(raw)


def test_without_a_diagnostic_code_the_status_is_the_diagnostic_and_it_is_bounded():
    status = "Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; x@y.z\r\nAction: failed\r\nStatus: 5.2.2\r\n"
    assert parse(report(rfc822(ORIGINAL), status=status)).delivery_report.diagnostic == "5.2.2"
    long = STATUS.replace("User unknown", "x" * 800)
    assert len(parse(report(rfc822(ORIGINAL), status=long)).delivery_report.diagnostic) == 500


def test_a_report_without_the_original_has_no_ids_and_a_plain_mail_has_no_report():
    assert parse(report(b"")).delivery_report.original_message_ids == ()
    assert parse(make_mail()).delivery_report is None
    # A forwarded mail is no delivery report, even though it holds a mail.
    fwd = EmailMessage()
    fwd["From"], fwd["To"], fwd["Subject"] = "juan.perez@cliente.com.mx", "soporte@imagenti.mx", "Fwd"
    fwd.set_content("Les reenvío esto.")
    fwd.add_attachment(email.message_from_bytes(ORIGINAL))
    assert parse(fwd.as_bytes()).delivery_report is None


def test_the_report_is_read_before_parts_are_dropped_under_the_size_limits():
    big = ORIGINAL.replace(b"Buen d", b"x" * 300_000 + b"\r\nBuen d")
    mail = parse(report(rfc822(big, "Content-Disposition: attachment\r\n")), max_attachment_size=100_000)
    assert mail.attachments[0].dropped
    assert mail.delivery_report.original_message_ids == ("<ack1@imagenti.mx>",)


def _corpus() -> list[bytes]:
    spec = importlib.util.find_spec("test")
    if not (spec and spec.submodule_search_locations):
        return []
    data = Path(next(iter(spec.submodule_search_locations))) / "test_email" / "data"
    return [p.read_bytes() for p in sorted(data.glob("msg_*.txt"))]


@pytest.mark.parametrize("raw", _corpus() + [report(rfc822(ORIGINAL) + headers_part(ORIGINAL))])
def test_reports_read_as_the_stored_bytes_were_read_again_before(raw):
    try:
        mail = parse(raw)
    except ParseError:
        return
    found = mail.delivery_report
    if found is None:
        assert not mail.content_type.startswith("multipart/report")
        return
    assert list(found.original_message_ids) == reference_ids(mail.raw)
    assert found.diagnostic == reference_diagnostic(mail.raw)
