"""Attachments read back from the stored mail by position, with the parser's own walk."""

from __future__ import annotations

import email
import importlib.util
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.errors import ParseError
from mailbot.mail.parse import attachment_content, attachment_files, parse
from mailbot.mail.text import fold, safe_filename

PDF = b"%PDF-1.4 " + bytes(range(256)) * 8
BIG = bytes(range(256)) * 6000  # 1.5 MB: its base64 is cut out before parsing (mail.blobs)


def inner_mail() -> EmailMessage:
    inner = EmailMessage()
    inner["From"], inner["To"], inner["Subject"] = "ana@proveedor.com", "juan@cliente.com.mx", "Licencia"
    inner["Message-ID"] = "<inner@proveedor.com>"
    inner.set_content("Adjunto la licencia.")
    inner.add_attachment(b"LICENSE-KEY", maintype="application", subtype="octet-stream", filename="licencia.key")
    inner.add_attachment(b"sin nombre", maintype="application", subtype="octet-stream")
    return inner


def client_mail(*, big: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Juan <juan@cliente.com.mx>", "soporte@imagenti.mx", "Archivos"
    msg["Message-ID"] = "<files@cliente.com.mx>"
    msg.set_content("Les mando los archivos.")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="factura.pdf")
    msg.add_attachment(b"\x89PNG sin nombre", maintype="image", subtype="png")  # no file name
    msg.add_attachment("registro del agente\n", subtype="plain", filename="agente.log", disposition="inline")
    msg.add_attachment(inner_mail())  # message/rfc822, attached
    if big:
        msg.add_attachment(BIG, maintype="application", subtype="zip", filename="respaldo.zip")
    msg.add_attachment(b"ultimo", maintype="application", subtype="octet-stream", filename="último.bin")
    return msg.as_bytes()


def test_each_attachment_comes_back_by_its_position():
    mail = parse(client_mail(big=True))
    names = [a.filename for a in mail.attachments]
    assert names == ["factura.pdf", "attachment-2", "agente.log", "message.eml", "respaldo.zip", "último.bin"]
    assert attachment_content(mail.raw, 0) == PDF
    assert attachment_content(mail.raw, 1) == b"\x89PNG sin nombre"
    assert attachment_content(mail.raw, 2) == b"registro del agente\n"
    attached = email.message_from_bytes(attachment_content(mail.raw, 3))
    assert attached["Message-ID"] == "<inner@proveedor.com>"
    assert attachment_content(mail.raw, 4) == BIG
    assert attachment_content(mail.raw, 5) == b"ultimo"
    assert [len(attachment_content(mail.raw, i)) for i in (0, 1, 2, 4, 5)] == [
        mail.attachments[i].size for i in (0, 1, 2, 4, 5)
    ]


@pytest.mark.parametrize("position", [-1, 6, 100])
def test_a_position_the_mail_does_not_have_is_a_lookup_error(position):
    with pytest.raises(LookupError):
        attachment_content(parse(client_mail(big=True)).raw, position)


def test_positions_stay_valid_when_parts_were_dropped_or_cut():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "juan@cliente.com.mx", "soporte@imagenti.mx", "Grandes"
    msg.set_content("Van los archivos.")
    msg.add_attachment(b"a" * 300_000, maintype="application", subtype="zip", filename="grande.zip")
    msg.add_attachment("línea\n" * 40_000, subtype="plain", filename="bitacora.txt", disposition="inline")
    msg.add_attachment(b"chico", maintype="application", subtype="octet-stream", filename="chico.bin")
    msg.add_attachment(b"sin nombre", maintype="application", subtype="octet-stream")
    mail = parse(msg.as_bytes(), max_message_size=None, max_attachment_size=100_000)
    assert [(a.filename, a.dropped) for a in mail.attachments] == [
        ("grande.zip", True),
        ("bitacora.txt", True),
        ("chico.bin", False),
        ("attachment-4", False),
    ]
    # The stored mail lists the same attachments in the same places.
    stored = parse(mail.raw, max_message_size=None, max_attachment_size=None)
    assert [a.filename for a in stored.attachments] == [a.filename for a in mail.attachments]
    assert attachment_content(mail.raw, 2) == b"chico"
    assert attachment_content(mail.raw, 3) == b"sin nombre"
    assert b"dropped" in attachment_content(mail.raw, 0)  # the note that took its place


def test_an_attached_mail_that_is_kept_keeps_its_large_bodies():
    inner = inner_mail()
    inner.add_attachment(BIG, maintype="application", subtype="octet-stream", filename="volcado.bin")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "juan@cliente.com.mx", "soporte@imagenti.mx", "Reenvío"
    msg.set_content("Reenvío el correo del proveedor.")
    msg.add_attachment(inner)
    msg.add_attachment(BIG + BIG, maintype="application", subtype="zip", filename="enorme.zip")
    mail = parse(msg.as_bytes(), max_message_size=None, max_attachment_size=2_500_000)
    assert [(a.filename, a.dropped) for a in mail.attachments] == [("message.eml", False), ("enorme.zip", True)]
    [files] = attachment_files(mail.raw, [0]).values()
    assert [(f.filename, f.content) for f in files] == [("licencia.key", b"LICENSE-KEY"), ("volcado.bin", BIG)]


def test_the_files_the_sender_named_per_attachment():
    mail = parse(client_mail())
    found = attachment_files(mail.raw, range(len(mail.attachments)))
    got = {i: [(f.filename, f.content_type, f.content) for f in files] for i, files in found.items()}
    assert got == {
        0: [("factura.pdf", "application/pdf", PDF)],
        1: [],  # no file name: not a file the sender named
        2: [("agente.log", "text/plain", b"registro del agente\n")],
        3: [("licencia.key", "application/octet-stream", b"LICENSE-KEY")],  # the named file inside the mail
        4: [("último.bin", "application/octet-stream", b"ultimo")],
    }
    assert attachment_files(mail.raw, [9]) == {}


# -- the same files the case mail took from the stored bytes before ------------------


def reference_files(raw: bytes) -> list[tuple[str, str, bytes]]:
    """What tickets/escalation.py attached by parsing the stored mail again, kept as the oracle."""
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
        out = []
        for part in msg.walk():
            if part.is_multipart() or not part.get_filename():
                continue
            content = part.get_payload(decode=True)
            if content is None:
                continue
            out.append((safe_filename(part.get_filename() or ""), part.get_content_type(), content))
        return out
    except Exception:
        return []


def _corpus() -> list[bytes]:
    spec = importlib.util.find_spec("test")
    mails = [client_mail(), client_mail(big=True)]
    if spec and spec.submodule_search_locations:
        data = Path(next(iter(spec.submodule_search_locations))) / "test_email" / "data"
        mails += [p.read_bytes() for p in sorted(data.glob("msg_*.txt"))]
    return mails


@pytest.mark.parametrize("raw", _corpus())
def test_the_files_of_a_mail_are_those_read_from_its_stored_bytes_before(raw):
    try:
        mail = parse(raw)
    except ParseError:
        return
    found = attachment_files(mail.raw, range(len(mail.attachments)))
    files = [(f.filename, f.content_type, f.content) for i in sorted(found) for f in found[i]]
    assert files == reference_files(mail.raw)


def test_one_fold_for_rules_and_mail():
    from mailbot import rules
    from mailbot.rules import engine, load

    assert rules.fold is fold and engine.fold is fold and load.fold is fold
    assert fold("CRÍTICA Caída") == "critica caida"
