"""The bytes of an outbound mail, as a mail client and a relay read them."""

from __future__ import annotations

import email
import email.policy
from types import SimpleNamespace

from mailbot.outbound.outbox import queue_mail


class _Session:
    def __init__(self):
        self.added = []

    def add(self, obj):
        self.added.append(obj)


def _settings():
    return SimpleNamespace(
        mailbot=SimpleNamespace(name="Soporte IMAGEN TI", address="soporte@imagenti.mx"), mail_domain="imagenti.mx"
    )


def _queue(**kw):
    session = _Session()
    args = dict(kind="ack", to=["cliente@empresa.mx"], subject="Recibimos su reporte", body="Hola\n")
    args.update(kw)
    row = queue_mail(session, _settings(), **args)
    outbox = session.added[-1]
    return row, outbox, email.message_from_bytes(outbox.data, policy=email.policy.default)


def test_spanish_text_and_subject_read_back_exactly():
    body = "Estimado José:\n\nsu número de ticket es IMG-2026-00001. Atención: ¡gracias!\n" + "línea " * 40 + "\n"
    row, outbox, msg = _queue(subject="[IMG-2026-00001] Corrección de la configuración del año", body=body)
    assert msg["Subject"] == "[IMG-2026-00001] Corrección de la configuración del año" == row.subject
    assert msg.get_content().replace("\r\n", "\n") == body
    assert msg["Message-ID"] == row.message_id == outbox.message_id
    assert all(len(line) <= 998 for line in outbox.data.split(b"\r\n"))
    assert b"\n" not in outbox.data.replace(b"\r\n", b"")  # CRLF everywhere
    assert outbox.data.isascii()


def test_auto_headers_follow_the_kind_of_mail():
    _, _, auto = _queue(auto=True)
    _, _, generated = _queue(auto=False)
    _, _, relayed = _queue(auto=None)
    assert auto["Auto-Submitted"] == "auto-replied" and auto["X-Auto-Response-Suppress"] == "All"
    assert generated["Auto-Submitted"] == "auto-generated" and generated["X-Auto-Response-Suppress"] is None
    assert relayed["Auto-Submitted"] is None


def test_threading_headers_and_recipients():
    refs = [f"<r{i}@x.mx>" for i in range(30)]
    _, outbox, msg = _queue(to=["a@x.mx", "b@y.mx"], cc=["c@z.mx"], in_reply_to="<last@x.mx>", references=refs)
    assert msg["In-Reply-To"] == "<last@x.mx>"
    kept = str(msg["References"]).split()
    assert len(kept) == 20 and kept[0] == "<r0@x.mx>" and kept[-1] == "<last@x.mx>"
    assert [a.addr_spec for a in msg["To"].addresses] == ["a@x.mx", "b@y.mx"]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["c@z.mx"]
    assert outbox.rcpt_to == ["a@x.mx", "b@y.mx", "c@z.mx"]


def test_a_subject_with_an_encoded_newline_cannot_add_a_header():
    _, outbox, msg = _queue(subject="x\r\nBcc: intruso@example.com")
    assert msg["Bcc"] is None and b"\r\nBcc:" not in outbox.data


def test_html_alternative_and_attachments_with_spanish_names():
    files = [
        ("diagnóstico año.pdf", "application/pdf", b"%PDF-1.4 datos"),
        ("log.txt", "text/plain", b"linea\n"),
        ("raro", "multipart/mixed", b"no es multipart"),
    ]
    _, _, msg = _queue(html="<p>Hola</p>", attachments=files)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hola\n"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hola</p>"
    got = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in msg.iter_attachments()]
    assert got == [
        ("diagnóstico año.pdf", "application/pdf", b"%PDF-1.4 datos"),
        ("log.txt", "text/plain", b"linea\n"),
        ("raro", "application/octet-stream", b"no es multipart"),
    ]
    assert sum(1 for k in msg.walk() if k["MIME-Version"]) == 1


def test_an_internationalised_address_is_not_mangled():
    _, outbox, _ = _queue(to=["josé@empresa.mx"])
    assert "To: josé@empresa.mx\r\n".encode() in outbox.data


def test_an_endless_word_in_the_subject_is_folded_within_the_line_limit():
    subject = "[IMG-2026-00001] " + "x" * 990
    row, outbox, msg = _queue(subject=subject)
    assert all(len(line) <= 998 for line in outbox.data.split(b"\r\n"))
    assert str(msg["Subject"]) == subject == row.subject


def test_an_address_cannot_carry_a_header_of_its_own():
    _, outbox, msg = _queue(to=["jö@b.mx\r\nBcc: intruso@example.com"])
    assert msg["Bcc"] is None and b"\r\nBcc:" not in outbox.data


def test_a_long_spanish_subject_reads_back_exactly_from_its_first_line_on():
    # Encoded words of our own (compose._subject): cut between characters, the first one on the
    # Subject line itself (a fold right after "Subject:" reads back with a leading space).
    subject = (
        "[IMAGEN TI #IMG-000123] Hemos recibido su reporte: Falla en la sincronización del agente "
        "WithSecure en más de 30 equipos de contabilidad — urgente, ñandú 🙂 " + "ä" * 120
    )
    row, outbox, msg = _queue(subject=subject)
    assert str(msg["Subject"]) == subject == row.subject
    head = outbox.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    first = next(line for line in head if line.startswith(b"Subject:"))
    assert first.startswith(b"Subject: =?utf-8?b?")
    assert all(len(line) <= 78 for line in head)
