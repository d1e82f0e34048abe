"""parse() against hostile and broken mail: injection, charsets, HTML, file names, sizes, fuzzing.

parse() either returns an InboundMail whose every string is safe to store and
to reuse in a reply, or raises ParseError (never anything else).
"""

import base64
import email
import importlib.util
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.config import MailbotSection
from mailbot.errors import MailbotError, ParseError
from mailbot.mail.headers import MAX_ID_LENGTH
from mailbot.mail.parse import MAX_REFERENCES, InboundMail, parse
from mailbot.mail.text import clean_line, safe_filename
from tests.support.mail import make_mail

HEAD = (
    b"From: Juan Perez <juan.perez@cliente.com.mx>\r\nTo: soporte@imagenti.mx\r\n"
    b"Message-ID: <h1@cliente.com.mx>\r\nMIME-Version: 1.0\r\n"
)


def mail_with(headers: bytes, body: bytes = b"Hola\r\n", ctype: bytes = b"text/plain; charset=utf-8") -> bytes:
    return HEAD + headers + b"Content-Type: " + ctype + b"\r\n\r\n" + body


def assert_clean(mail: InboundMail) -> None:
    """The invariants every parsed mail keeps, whatever came in."""
    one_line = [
        mail.subject,
        mail.from_name,
        mail.from_addr,
        mail.message_id,
        mail.content_type,
        *(a.filename for a in mail.attachments),
        *(a.content_type for a in mail.attachments),
        *(k for k, _ in mail.headers),
        *(v for _, v in mail.headers),
        *mail.to,
        *mail.cc,
        *mail.reply_to,
        *mail.in_reply_to,
        *mail.references,
        *mail.notes,
    ]
    for s in one_line + [mail.text, mail.html]:
        assert isinstance(s, str)
        assert "\x00" not in s
        s.encode("utf-8")  # no lone surrogates: storable in PostgreSQL, sanitizable, sendable
    for s in one_line:
        assert "\r" not in s and "\n" not in s, repr(s)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", s), repr(s)
    assert "\r" not in mail.text
    assert re.fullmatch(r"<[^<>\s]+>", mail.message_id) and len(mail.message_id) <= MAX_ID_LENGTH
    for mid in mail.in_reply_to + mail.references:
        assert re.fullmatch(r"<[^<>\s]+>", mid) and len(mid) <= MAX_ID_LENGTH
    assert len(mail.references) <= MAX_REFERENCES
    for addr in (mail.from_addr, *mail.to, *mail.cc, *mail.reply_to):
        if addr:
            assert "@" in addr and not re.search(r"\s", addr) and len(addr) <= 254
    assert len(mail.from_name) <= 255 and len(mail.subject) <= 998
    for a in mail.attachments:
        assert a.filename and "/" not in a.filename and "\\" not in a.filename
        assert not a.filename.startswith(".") and len(a.filename.encode()) <= 255
        assert a.size >= 0
    assert "<script" not in mail.html.lower()
    assert isinstance(mail.raw, bytes) and mail.size > 0


# -- header injection ----------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        b"=?UTF-8?Q?x=0ABcc:_someone@example.com?=",
        b"=?UTF-8?Q?x=0D=0ABcc:_someone@example.com?=",
        b"=?UTF-8?B?" + base64.b64encode(b"x\r\nBcc: someone@example.com") + b"?=",
        b"=?UTF-8?Q?x=0D?= =?UTF-8?Q?=0ACc:_someone@example.com?=",
        b"=?UTF-8?Q?x=E2=80=A8Bcc:_someone@example.com?=",  # U+2028 LINE SEPARATOR
    ],
)
def test_encoded_line_breaks_in_the_subject_are_cleaned(subject):
    mail = parse(mail_with(b"Subject: " + subject + b"\r\n"))
    assert mail.subject in ("x Bcc: someone@example.com", "x Cc: someone@example.com")
    assert_clean(mail)


def test_encoded_line_breaks_in_names_and_ids_are_cleaned():
    raw = (
        b"From: =?UTF-8?Q?Juan=0D=0ABcc:_evil@example.com?= <juan@cliente.com.mx>\r\n"
        b"To: soporte@imagenti.mx\r\nSubject: hola\r\n"
        b"Message-ID: <a@b>\r\nIn-Reply-To: =?UTF-8?Q?<x@y>=0ABcc:_evil@example.com?=\r\n"
        b"X-Custom: =?UTF-8?Q?a=0Db=00c?=\r\n\r\nbody\r\n"
    )
    mail = parse(raw)
    assert mail.from_name == "Juan Bcc: evil@example.com" and mail.from_addr == "juan@cliente.com.mx"
    assert mail.header("X-Custom") == "a bc"
    assert_clean(mail)


def test_an_encoded_word_cannot_smuggle_an_address_into_from():
    # Decoded before splitting, this would read "ana.lopez@imagenti.mx, <x@evil.example>".
    raw = (
        b"From: =?UTF-8?Q?ana.lopez@imagenti.mx=2C?= <x@evil.example>\r\nTo: soporte@imagenti.mx\r\n"
        b"Subject: hola\r\n\r\nbody\r\n"
    )
    mail = parse(raw)
    assert mail.from_addr == "x@evil.example"
    assert mail.from_name == "ana.lopez@imagenti.mx,"


def test_clean_line():
    assert clean_line("a\r\nBcc: b\tc\x00d\x7f  e\u2028f") == "a Bcc: b cd e f"


# -- charsets --------------------------------------------------------------------


@pytest.mark.parametrize(
    "charset,body,expected",
    [
        (b"unknown-8bit", "Configuración lista".encode(), "Configuración lista"),
        (b"unknown-8bit", "Configuración lista".encode("cp1252"), "Configuración lista"),
        (b"x-user-defined", "“Contraseña” – olvidada".encode("cp1252"), "“Contraseña” – olvidada"),
        (b"x-no-such-charset", "Año nuevo".encode(), "Año nuevo"),
        (b"us-ascii", "señal".encode("latin-1"), "señal"),
        (b"utf-8", b"caf\xe9 \x81", "café \x81"),  # not UTF-8 after all, and not quite Windows-1252 either
        (b"unicode_escape", b"caf\\xe9 \\x00", "caf\\xe9 \\x00"),  # a codec, but no mail charset
        (b"idna", b"xn--caf-dma", "xn--caf-dma"),
        (b'"utf-8"', "ñandú".encode(), "ñandú"),
    ],
)
def test_unknown_or_wrong_charsets_fall_back_to_sensible_decoding(charset, body, expected):
    mail = parse(mail_with(b"Subject: x\r\n", body + b"\r\n", b"text/plain; charset=" + charset))
    assert mail.text.strip() == expected
    assert_clean(mail)


@pytest.mark.parametrize(
    "subject,expected",
    [
        (b"=?unknown-8bit?Q?Configuraci=F3n?=", "Configuración"),
        (b"=?x-user-defined?Q?=93hola=94?=", "“hola”"),
        (b"=?x-no-such-charset?B?" + base64.b64encode("Año".encode()) + b"?=", "Año"),
        ("Configuración raw 8-bit".encode(), "Configuración raw 8-bit"),
        ("Configuración raw cp1252".encode("cp1252"), "Configuración raw cp1252"),
        ("Re: ñ".encode() + b" =?utf-8?q?=C2=BFqu=C3=A9=3F?= listo", "Re: ñ ¿qué? listo"),
        (b"=?utf-8?q?a?= =?utf-8?q?b?= c", "ab c"),
        (b"Fallo =?utf-8?b?A?=", "Fallo =?utf-8?b?A?="),  # broken base64: shown as it came
    ],
)
def test_encoded_and_raw_subjects_decode(subject, expected):
    mail = parse(mail_with(b"Subject: " + subject + b"\r\n"))
    assert mail.subject == expected
    assert_clean(mail)


def test_nul_and_controls_never_reach_the_text():
    mail = parse(mail_with(b"Subject: x\r\n", b"a\x00b\x1bc\r\nd\re\x0cf\r\n"))
    assert mail.text == "abc\nd\nef\n"


# -- HTML -------------------------------------------------------------------------

HOSTILE_HTML = (
    "<html><head><title>Titulo</title><style>p{color:red}</style><script>alert('head')</script></head>"
    '<body onload="steal()"><p>La <b>consola</b> no abre.</p>'
    '<img src=x onerror="alert(1)"><a href="javascript:alert(2)">clic</a>'
    '<iframe src="https://evil.example/"></iframe><svg><script>alert(3)</script></svg>'
    '<form action="https://evil.example/"><input name=p></form>'
    '<a href="https://imagenti.mx/" onclick="x()">sitio</a></body></html>'
)


def test_html_is_sanitized_before_anything_stores_or_shows_it():
    mail = parse(mail_with(b"Subject: html\r\n", HOSTILE_HTML.encode(), b"text/html; charset=utf-8"))
    low = mail.html.lower()
    for bad in (
        "<script",
        "alert(",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "<iframe",
        "<style",
        "<form",
        "titulo",
    ):
        assert bad not in low, bad
    assert "<b>consola</b>" in mail.html and 'href="https://imagenti.mx/"' in mail.html
    assert "La consola no abre." in " ".join(mail.text.split())
    assert "alert" not in mail.text and "Titulo" not in mail.text and "color" not in mail.text


def test_html_alternative_is_sanitized_and_plain_text_wins():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@cliente.com.mx", "soporte@imagenti.mx", "alt"
    msg.set_content("Texto plano")
    msg.add_alternative(HOSTILE_HTML, subtype="html")
    mail = parse(msg.as_bytes())
    assert mail.text.strip() == "Texto plano"
    assert "<script" not in mail.html and "consola" in mail.html


# -- attachment file names ---------------------------------------------------------


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\System32\\evil.dll", "evil.dll"),
        ("/var/mail/../x.pdf", "x.pdf"),
        ("C:\\Users\\juan\\Desktop\\factura.xml", "factura.xml"),
        ("factura\u202efdp.exe", "facturafdp.exe"),  # right-to-left override: would show as "exe.pdf"
        ("a\x00b\x07c\r\nd.txt", "abcd.txt"),
        ("..", "attachment"),
        ("...", "attachment"),
        ("", "attachment"),
        ("../", "attachment"),
        (".bashrc", "bashrc"),
        ("reporte.pdf. . ", "reporte.pdf"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ('a<b>c:d"e|f?g*.txt', "a_b_c_d_e_f_g_.txt"),
        ("dos  espacios\tx.doc", "dos espacios x.doc"),
        ("año.pdf", "año.pdf"),
    ],
)
def test_attachment_file_names_are_sanitized(name, expected):
    assert safe_filename(name) == expected


def test_a_long_file_name_keeps_its_extension_within_255_bytes():
    name = safe_filename("ñ" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= 255 and name.startswith("ñ")


@pytest.mark.parametrize(
    "disposition,expected",
    [
        (b'attachment; filename="../../etc/passwd"', "passwd"),
        (b"attachment; filename*=utf-8''..%2F..%2Fboot%0D%0A.ini", "boot.ini"),
        (b'attachment; filename="=?utf-8?q?..=2F..=2Fx=0A.exe?="', "x.exe"),
        (b"attachment", "attachment-1"),
        (b'attachment; filename="\xe2\x80\xaefdp.exe"', "fdp.exe"),
    ],
)
def test_file_names_from_mime_headers_are_sanitized(disposition, expected):
    raw = (
        HEAD + b"Subject: adjunto\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nVer adjunto\r\n"
        b"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
        + disposition
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--B--\r\n"
    )
    mail = parse(raw)
    [att] = mail.attachments
    assert att.filename == expected and att.size == 5
    assert mail.text.strip() == "Ver adjunto"
    assert_clean(mail)


def test_an_attached_mail_is_one_attachment_and_not_body_text():
    inner = make_mail(subject="Reenviado", body="texto del correo adjunto")
    raw = (
        HEAD + b"Subject: fwd\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nVer el correo adjunto\r\n"
        b'--B\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="fwd.eml"\r\n\r\n'
        + inner
        + b"\r\n--B--\r\n"
    )
    mail = parse(raw)
    assert [(a.filename, a.content_type) for a in mail.attachments] == [("fwd.eml", "message/rfc822")]
    assert "texto del correo adjunto" not in mail.text


# -- size limits -------------------------------------------------------------------


def big_mail(*attachments, body="Adjunto los archivos.", message_id="<big@cliente.com.mx>") -> bytes:
    """A mail with one attachment per (name, size), each of one repeated byte."""
    return make_mail(
        sender="Juan <juan@cliente.com.mx>",
        subject="Archivos",
        body=body,
        message_id=message_id,
        date=False,
        attachments=[
            (name, bytes([65 + len(name) % 26]) * size, "application/octet-stream") for name, size in attachments
        ],
    )


def test_an_attachment_over_the_limit_is_dropped_and_said_so():
    raw = big_mail(("respaldo.zip", 300_000), ("captura.png", 40_000))
    mail = parse(raw, max_message_size=10_000_000, max_attachment_size=100_000)
    assert [(a.filename, a.size, a.dropped) for a in mail.attachments] == [
        ("respaldo.zip", 300_000, True),
        ("captura.png", 40_000, False),
    ]
    [note] = mail.notes
    assert note.startswith('attachment "respaldo.zip" (application/octet-stream, 293 KB) dropped: larger than')
    assert mail.text.startswith("Adjunto los archivos.") and f"[mailbot] {note}" in mail.text
    # The stored bytes hold the note in place of the part; the rest is intact.
    assert mail.size == len(raw) and len(mail.raw) < 100_000
    stored = email.message_from_bytes(mail.raw)
    parts = [p for p in stored.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/plain", "application/octet-stream"]
    assert parts[1]["X-Mailbot-Dropped"] == "yes" and "respaldo.zip" in parts[1].get_payload(decode=True).decode()
    assert parts[2].get_filename() == "captura.png" and len(parts[2].get_payload(decode=True)) == 40_000
    again = parse(mail.raw, max_message_size=10_000_000, max_attachment_size=100_000)
    assert again.message_id == mail.message_id and again.notes == ()
    assert note in again.text  # the note is part of the stored mail now


def test_a_mail_over_the_size_limit_drops_its_largest_attachments_until_it_fits():
    raw = big_mail(("a.bin", 60_000), ("b.bin", 90_000), ("c.bin", 20_000))
    mail = parse(raw, max_message_size=150_000, max_attachment_size=None)
    assert [(a.filename, a.dropped) for a in mail.attachments] == [("a.bin", False), ("b.bin", True), ("c.bin", False)]
    assert len(mail.notes) == 1 and "the mail (" in mail.notes[0] and "b.bin" in mail.notes[0]
    assert len(mail.raw) <= 150_000


def test_a_huge_text_body_is_cut_and_said_so():
    mail = parse(big_mail(body="línea de registro\n" * 20_000), max_attachment_size=50_000)
    assert len(mail.text) < 60_000 and mail.text.startswith("línea de registro\n")
    assert len(mail.notes) == 1 and mail.notes[0].startswith("text/plain body (")
    assert len(mail.raw) < 80_000


def test_within_the_limits_nothing_changes():
    raw = big_mail(("a.bin", 50_000))
    mail = parse(raw, max_message_size=10_000_000, max_attachment_size=1_000_000)
    assert mail.raw == raw and mail.notes == () and not mail.attachments[0].dropped
    unlimited = parse(raw, max_message_size=None, max_attachment_size=None)
    assert unlimited.raw == raw and unlimited.notes == ()


def test_the_default_limits_are_25_mb_per_mail_and_per_attachment():
    assert (MailbotSection().max_message_size, MailbotSection().max_attachment_size) == (25 * 1024 * 1024,) * 2
    raw = big_mail(("video.mp4", 26 * 1024 * 1024))
    mail = parse(raw)
    assert mail.attachments[0].dropped
    assert any("25.0 MB limit" in note for note in mail.notes), mail.notes
    assert len(mail.raw) < 10_000 and mail.size == len(raw)


# -- messages that are not mail, and structure limits ---------------------------


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"", "empty"),
        (b" \r\n\r\n\t", "empty"),
        (b"Hola, esto no tiene encabezados.\r\n\r\nNada.\r\n", "not a mail"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a mail"),
    ],
)
def test_bytes_that_are_no_mail_raise_parse_error(raw, reason):
    with pytest.raises(ParseError) as info:
        parse(raw)
    assert info.value.reason == reason
    assert isinstance(info.value, MailbotError)


def test_blank_lines_before_the_header_are_tolerated():
    mail = parse(b"\r\n\r\nFrom: a@cliente.com.mx\r\nSubject: desde un pipe\r\n\r\nhola\r\n")
    assert (mail.from_addr, mail.subject, mail.text.strip()) == ("a@cliente.com.mx", "desde un pipe", "hola")


def test_non_bytes_raise_parse_error():
    with pytest.raises(ParseError):
        parse("From: a@b.c\r\n\r\nx")  # type: ignore[arg-type]


def nested(depth: int) -> bytes:
    head = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(depth))
    return b"From: a@cliente.com.mx\r\nSubject: nested\r\n" + head + b"Content-Type: text/plain\r\n\r\nfondo\r\n"


def test_absurd_nesting_is_a_parse_error_and_deep_nesting_is_read_to_a_limit():
    with pytest.raises(ParseError) as info:
        parse(nested(5000))
    assert info.value.reason == "too deeply nested"
    mail = parse(nested(300))
    assert "MultipartTooDeep" in mail.defects and mail.subject == "nested"
    assert parse(nested(20)).text.strip() == "fondo"


def test_ids_are_bounded():
    refs = " ".join(f"<r{i}@x>" for i in range(5000))
    long_id = "<" + "a" * 400 + "@x>"
    mail = parse(mail_with(f"Subject: x\r\nReferences: {refs}\r\nIn-Reply-To: {long_id}\r\n".encode()))
    assert len(mail.references) == MAX_REFERENCES
    assert mail.references[0] == "<r0@x>" and mail.references[-1] == "<r4999@x>"
    assert mail.in_reply_to == ()
    raw = make_mail(message_id=long_id)
    assert parse(raw).synthetic_id


def test_a_synthetic_message_id_is_stable_for_the_same_bytes():
    raw = b"From: a@cliente.com.mx\r\nSubject: sin id\r\n\r\nhola\r\n"
    first, second = parse(raw), parse(raw)
    assert first.synthetic_id and first.message_id == second.message_id
    assert parse(raw + b"x").message_id != first.message_id


def test_long_display_names_and_addresses_are_bounded():
    raw = (
        f'From: "{"N" * 1000}" <juan@cliente.com.mx>\r\n'
        f"To: soporte@imagenti.mx, {'x' * 300}@cliente.com.mx\r\nSubject: {'s' * 5000}\r\n\r\nhola\r\n"
    ).encode()
    mail = parse(raw)
    assert len(mail.from_name) == 255 and mail.to == ("soporte@imagenti.mx",)
    assert len(mail.subject) == 998
    assert_clean(mail)


# -- fuzzing -------------------------------------------------------------------------


def _seed_mails() -> list[bytes]:
    seeds = [
        make_mail(),
        make_mail(
            subject="Re: [IMAGEN TI #IMG-000001] Configuración",
            in_reply_to="<a@b>",
            references="<z@b> <a@b>",
            cc="Ana <ana@cliente.com.mx>",
            charset="utf-8",
            body="Año: ñandú\n> citado\n",
        ),
        big_mail(("factura.pdf", 3000), ("foto.jpg", 2000)),
        mail_with(
            b"Subject: =?windows-1252?Q?Configuraci=F3n_=96_urgente?=\r\n",
            b"El equipo est\xe1 muy lento \x96 \x93ayuda\x94\r\n",
            b"text/plain; charset=windows-1252",
        ),
        mail_with(b"Subject: html\r\n", HOSTILE_HTML.encode(), b"text/html; charset=utf-8"),
        (
            b"From: MAILER-DAEMON@mx.cliente.com.mx\r\nTo: soporte@imagenti.mx\r\nSubject: Undelivered Mail\r\n"
            b"Message-ID: <dsn@mx>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            b"--R\r\nContent-Type: text/plain\r\n\r\nNo se pudo entregar.\r\n"
            b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; x@cliente.com.mx\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <orig@imagenti.mx>\r\nSubject: x\r\n"
            b"--R--\r\n"
        ),
    ]
    spec = importlib.util.find_spec("test")
    if spec and spec.submodule_search_locations:
        data = Path(next(iter(spec.submodule_search_locations))) / "test_email" / "data"
        seeds += [p.read_bytes() for p in sorted(data.glob("msg_*.txt"))]
    return seeds


SEEDS = _seed_mails()
TOKENS = [
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    b"=?",
    b"?=",
    b"--",
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x80\xae",
    b'"',
    b"boundary=",
    b"charset=",
    b"=?utf-8?b?",
    b"=?unknown-8bit?q?=F3?=",
    b"charset=unicode_escape",
    b"Content-Type: multipart/mixed; boundary=B\r\n",
    b"--B\r\n",
    b"filename*=utf-8''..%2F%0A",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Type: message/rfc822\r\n",
    b"<",
    b">",
    b"\\",
]


@st.composite
def mutated_mails(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    ops = draw(
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(0, 1 << 20),
                st.one_of(st.binary(min_size=1, max_size=12), st.sampled_from(TOKENS)),
            ),
            min_size=1,
            max_size=10,
        )
    )
    for op, pos, data in ops:
        pos %= len(raw) + 1
        if op == 0:
            raw[pos : pos + len(data)] = data
        elif op == 1:
            raw[pos:pos] = data
        elif op == 2:
            del raw[pos : pos + 4 * len(data)]
        else:
            raw[pos:pos] = raw[pos : pos + 80]
    return bytes(raw)


FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def parse_or_documented_error(raw: bytes, **limits) -> InboundMail | None:
    try:
        mail = parse(raw, **limits)
    except ParseError as exc:
        assert exc.reason in ("empty", "not a mail", "too deeply nested"), exc
        return None
    assert_clean(mail)
    return mail


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_arbitrary_bytes(raw):
    parse_or_documented_error(raw)


@FUZZ
@given(st.binary(max_size=300).map(lambda b: b"From: a@cliente.com.mx\r\nSubject: x\r\n" + b))
def test_fuzz_arbitrary_bytes_after_a_header(raw):
    assert parse_or_documented_error(raw) is not None


@FUZZ
@given(mutated_mails())
def test_fuzz_mutated_real_mails(raw):
    mail = parse_or_documented_error(raw)
    if mail is not None:
        assert parse(raw).message_id == mail.message_id  # deterministic: a redelivery is a duplicate


@FUZZ
@given(mutated_mails(), st.integers(200, 5000), st.integers(100, 3000))
def test_fuzz_mutated_real_mails_under_tight_size_limits(raw, max_message, max_attachment):
    mail = parse_or_documented_error(raw, max_message_size=max_message, max_attachment_size=max_attachment)
    if mail is not None and mail.notes:
        assert mail.raw != raw and all(f"[mailbot] {n}" in mail.text for n in mail.notes)
        # What was kept is a mail again, and a smaller one.
        assert parse_or_documented_error(mail.raw) is not None


def test_memory_stays_bounded_while_a_large_mail_is_parsed():
    import tracemalloc

    raw = big_mail(("respaldo.bin", 30 * 1024 * 1024))  # 40 MB as base64: over the mail limit
    kept = big_mail(("log.zip", 6 * 1024 * 1024))
    tracemalloc.start()
    try:
        dropped = parse(raw)
        peak_dropped = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        whole = parse(kept)
        peak_kept = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The stdlib parser alone peaks near eight times a mail; the big body is read from the bytes instead.
    assert dropped.attachments[0].dropped and peak_dropped < 1.2 * 30 * 1024 * 1024
    assert not whole.attachments[0].dropped and whole.attachments[0].size == 6 * 1024 * 1024
    assert whole.raw == kept and peak_kept < 2 * len(kept)
