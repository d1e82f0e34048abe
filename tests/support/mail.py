"""Mail as tests feed it to mailbot: a client's mail, a team member's reply, delivery reports, many at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.support.config import AUTHSERV_ID

CLIENT = "juan.perez@cliente.com.mx"
CLIENT_FROM = f"Juan Pérez <{CLIENT}>"
DESK = "soporte@imagenti.mx"  # the help desk's address, where clients write

# What our own MTA stamps on a team member's authenticated mail.
AUTH_OK = f"{AUTHSERV_ID}; dkim=pass header.d=imagenti.mx; spf=pass smtp.mailfrom=imagenti.mx"

# A critical report: the shipped rules make it CRÍTICA (the SLA tests' usual ticket).
CRITICAL_SUBJECT = "URGENTE: caida del firewall SonicWall"
CRITICAL_BODY = "Toda la empresa esta sin internet desde las 9."


def make_mail(
    *,
    sender: str = CLIENT_FROM,
    to: str = DESK,
    subject: str = "Problema con el antivirus",
    body: str = "Buen día, el agente no actualiza.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    charset: str = "utf-8",
    date: bool = True,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> bytes:
    """One mail's bytes: text/plain ``body``, then each of ``attachments`` as (file name, bytes, MIME type).

    ``message_id`` None: a fresh one. ``date`` False: no Date header (bytes
    that are the same on every run). ``headers``: more headers, a mapping or
    (name, value) pairs, after the standard ones.
    """
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    if date:
        msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="cliente.com.mx")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in headers.items() if isinstance(headers, Mapping) else headers or ():
        msg[name] = value
    msg.set_content(body, charset=charset)
    for filename, data, mime_type in attachments:
        maintype, subtype = mime_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def team_headers(extra: Mapping[str, str] | None = None) -> dict:
    """Headers our own MTA adds to a team member's authenticated mail."""
    return {"Authentication-Results": AUTH_OK, **(extra or {})}


def critical_mail(n: int = 1, **kw) -> bytes:
    """The ``n``-th critical report of the client (``kw`` as for make_mail)."""
    kw.setdefault("subject", CRITICAL_SUBJECT)
    # Each its own report: the same mail again within the hour would join the first ticket as a repeat.
    kw.setdefault("body", CRITICAL_BODY if n == 1 else f"{CRITICAL_BODY}\nEquipo {n}.")
    return make_mail(message_id=f"<c{n}@cliente.com.mx>", **kw)


def append_many(dovecot, count: int, prefix: str) -> None:
    """``count`` client mails, each from its own sender (no rate limit), in one IMAP session."""
    with dovecot.client() as c:
        for k in range(1, count + 1):
            msg = EmailMessage()
            msg["From"] = f"Cliente {k} <cliente{k}@empresa{k % 7}.com.mx>"
            msg["To"] = DESK
            msg["Subject"] = f"{prefix} {k}: el equipo no enciende"
            msg["Message-ID"] = make_msgid(idstring=f"{prefix}{k}", domain="empresa.com.mx")
            msg.set_content("Buen día, el equipo no enciende desde ayer.")
            c.append("INBOX", msg.as_bytes())


# -- reports by mail servers (RFC 3464 and kin) -------------------------------------------


def report_mail(
    report_type: str,
    *,
    subject: str,
    message_id: str,
    status: str,
    original: bytes | None = None,
    headers_only: bool = False,
    sender: str = CLIENT,
    references: str | None = None,
) -> bytes:
    """A multipart/report of ``report_type`` with ``status`` as its machine part, ``original`` after it."""
    lines = [
        f"From: {sender}",
        f"To: {DESK}",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Date: Mon, 02 Mar 2026 10:00:00 -0600",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type={report_type}; boundary="RPT"',
    ]
    if references:
        lines += [f"References: {references}", f"In-Reply-To: {references}"]
    body = [
        "",
        "--RPT",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Informe automático.",
        "",
        "--RPT",
        f"Content-Type: message/{report_type}",
        "",
        status,
    ]
    out = ("\r\n".join(lines + body) + "\r\n").encode()
    if original is not None:
        if headers_only:
            head = original.split(b"\r\n\r\n", 1)[0]
            out += b"--RPT\r\nContent-Type: text/rfc822-headers\r\n\r\n" + head + b"\r\n\r\n"
        else:
            out += b"--RPT\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n"
    return out + b"--RPT--\r\n"


def dsn(original: bytes, rcpt: str, *, headers_only=False, message_id="<dsn1@mx.cliente.com.mx>") -> bytes:
    """The client's server bouncing ``original`` for ``rcpt``: 5.1.1, user unknown."""
    status = (
        f"Reporting-MTA: dns; mx.cliente.com.mx\r\nArrival-Date: Mon, 02 Mar 2026 10:00:00 -0600\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n"
    )
    return report_mail(
        "delivery-status",
        subject="Undelivered Mail Returned to Sender",
        message_id=message_id,
        status=status,
        original=original,
        headers_only=headers_only,
        sender="MAILER-DAEMON@mx.cliente.com.mx",
    )
