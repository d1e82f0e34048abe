"""Raw bytes in, one immutable ``InboundMail`` out.

mail-parser does the MIME walk, address and attachment work; text parts are
decoded here with a fallback chain because mail in the wild declares charsets
Python does not know (``unknown-8bit``, ``x-user-defined``) or lies about them.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message

import mailparser

_MSGID = re.compile(r"<[^<>\s]+>")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
_CHARSET_ALIASES = {"ks_c_5601-1987": "cp949", "x-user-defined": "windows-1252",
                    "unknown-8bit": "utf-8", "iso-8859-8-i": "iso-8859-8"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class InboundMail:
    """Everything the pipeline looks at, decoded once."""

    raw: bytes = field(repr=False)
    message_id: str
    synthetic_id: bool
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    subject: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    return_path: str | None = None
    content_type: str = "text/plain"
    report_type: str | None = None
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

    @property
    def sender_domain(self) -> str:
        return self.from_addr.rpartition("@")[2]

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first."""
        seen, out = set(), []
        for mid in self.in_reply_to + tuple(reversed(self.references)):
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
        return tuple(out)


def clean_line(text: str) -> str:
    """One line of text safe to reuse in a header: no CR/LF, no controls."""
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = _CTRL.sub("", text)
    return re.sub(r" {2,}", " ", text).strip()


def _decode_header_value(value) -> str:
    if value is None:
        return ""
    value = str(value)
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    values = [_decode_header_value(v) for v in msg.get_all(name, [])]
    out = []
    for display, addr in email.utils.getaddresses(values):
        addr = clean_line(addr).strip("<>").lower()
        if "@" in addr and " " not in addr:
            out.append((clean_line(display), addr))
    return out


def _ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(_MSGID.findall(str(value)))


def decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    declared = (part.get_content_charset() or "").lower()
    charsets = []
    if declared:
        charsets.append(_CHARSET_ALIASES.get(declared, declared))
    charsets += [c for c in _FALLBACK_CHARSETS if c not in charsets]
    for cs in charsets:
        try:
            return payload.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")  # cannot fail: every byte is a code point


def _text_parts(msg: Message) -> tuple[str, str]:
    plain, html = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        if disposition.startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(decode_part(part))
        elif ctype == "text/html":
            html.append(decode_part(part))
    return "\n".join(plain), "\n".join(html)


def html_to_text(html: str) -> str:
    from inscriptis import get_text

    try:
        return get_text(html).strip()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)


def parse(raw: bytes) -> InboundMail:
    """Parse one message. Raises only on input no mail library can read."""
    parsed = mailparser.parse_from_bytes(raw)
    msg: Message = parsed.message
    from_list = _addresses(msg, "From")
    from_name, from_addr = from_list[0] if from_list else ("", "")
    sender = _addresses(msg, "Sender")
    if not from_addr and sender:
        from_name, from_addr = sender[0]
    message_ids = _ids(msg.get("Message-ID"))
    if message_ids:
        message_id, synthetic = message_ids[0], False
    else:
        # A stable stand-in so a second delivery of the same bytes is still a duplicate.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@mailbot.invalid>"
        synthetic = True
    plain, html = _text_parts(msg)
    text = plain if plain.strip() else (html_to_text(html) if html else "")
    attachments = tuple(
        Attachment(
            filename=a.get("filename") or "",
            content_type=a.get("mail_content_type") or "application/octet-stream",
            size=len(a.get("payload") or ""),
        )
        for a in (parsed.attachments or [])
    )
    headers = tuple((k, clean_line(_decode_header_value(v))) for k, v in msg.items())
    return_path = msg.get("Return-Path")
    if return_path is not None:
        return_path = clean_line(str(return_path)).strip("<>").lower()
    report_type = None
    if msg.get_content_type() == "multipart/report":
        report_type = (msg.get_param("report-type") or "").lower() or None
    defects = tuple(type(d).__name__ for d in getattr(msg, "defects", []))
    return InboundMail(
        raw=raw,
        message_id=message_id,
        synthetic_id=synthetic,
        from_addr=from_addr,
        from_name=from_name,
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        reply_to=tuple(a for _, a in _addresses(msg, "Reply-To")),
        subject=clean_line(_decode_header_value(msg.get("Subject"))),
        in_reply_to=_ids(msg.get("In-Reply-To")),
        references=_ids(msg.get("References")),
        text=text.replace("\r\n", "\n"),
        html=html,
        attachments=attachments,
        headers=headers,
        return_path=return_path,
        content_type=msg.get_content_type(),
        report_type=report_type,
        defects=defects,
    )
