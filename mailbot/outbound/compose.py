"""Composing an outbound mail: our headers in a fixed order, then the MIME body, as the bytes a relay gets.

Built with the compat32 MIME classes: the modern EmailMessage parses every
header it is given back into a token tree, which cost a third of the intake
pipeline's time for headers we write ourselves.
"""

from __future__ import annotations

import email.policy
import re
import uuid
from datetime import datetime
from email import base64mime, encoders
from email.charset import QP, Charset
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from mailbot.mail.text import clean_line

_BODY_CHARSET = Charset("utf-8")
_BODY_CHARSET.body_encoding = QP  # quoted-printable and CRLF: safe through any relay, 8BITMIME or not
# 8bit only lets an address with a UTF-8 local part (RFC 6532) through as it is;
# every body is quoted-printable or base64 already.


# Tab and printable ASCII: compat32 splits lines at \x0b, \x0c and \x1c-\x1e as well as CR and LF.
_PLAIN = re.compile(r"[\t\x20-\x7e]*\Z")


class _Compat32(email.policy.Compat32):
    """compat32, with a short ASCII header written as it is, and encoded words folded directly.

    compat32 runs every header through ``email.header.Header`` to fold it, which cost a tenth of
    intake's CPU (13 headers per acknowledgement). A header of printable ASCII within the
    line length comes out of that unchanged (``test_compose_fast_fold`` checks the two agree), so
    it skips the work; anything else takes compat32's own path.
    """

    def fold_binary(self, name, value):
        if type(value) is _EncodedWords:
            return _fold_at_spaces(name, value, self.max_line_length or 0, self.linesep)
        if isinstance(value, str) and len(name) + 2 + len(value) <= (self.max_line_length or 0) and _PLAIN.match(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Compat32(linesep="\r\n", cte_type="8bit")


class _EncodedWords(str):
    """A header value of RFC 2047 encoded words joined by single spaces (``_subject``'s).

    compat32 folds such a value at its spaces, filling each line up to the line length, but gets
    there by parsing and measuring it again: ``_fold_at_spaces`` writes the same lines
    (``test_compose_fast_fold`` checks they agree).
    """


def _fold_at_spaces(name: str, value: str, limit: int, linesep: str) -> bytes:
    words = value.split(" ")
    lines, line = [], f"{name}: {words[0]}"
    for word in words[1:]:
        if len(line) + 1 + len(word) <= limit:
            line += " " + word
        else:
            lines.append(line)
            line = " " + word
    lines.append(line)
    return (linesep.join(lines) + linesep).encode("ascii")


# RFC 5322 allows trimming References; we keep the first and the newest ones.
MAX_REFERENCES = 20


def new_message_id(domain: str) -> str:
    # uuid4, not make_msgid: that one draws on the shared `random` and a 10 ms
    # clock, so two mails queued in the same tick after a re-seed collide.
    return f"<{uuid.uuid4().hex}.mailbot@{domain}>"


def thread_references(in_reply_to: str | None, references) -> list[str]:
    """The References of an answer: the ones given, then the mail answered, at most MAX_REFERENCES."""
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if len(refs) > MAX_REFERENCES:
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1) :]
    return refs


def compose(
    settings,
    *,
    message_id: str,
    to: list[str],
    cc: list[str],
    subject: str,
    body: str,
    now: datetime,
    in_reply_to: str | None = None,
    references: list[str] = (),
    auto: bool | None = False,
    ticket_number: str | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """The bytes of one mail from us; ``to`` and ``cc`` as they go on the wire (``wire_address``).

    ``auto``: True for an automatic reply (RFC 3834 ``auto-replied``), False
    for other machine-made mail (``auto-generated``), None for a person's
    words relayed as they wrote them (no ``Auto-Submitted``).
    """
    headers = [
        ("From", formataddr((settings.mailbot.name, settings.mailbot.address))),
        ("To", _addresses(to)),
        ("Cc", _addresses(cc) if cc else None),
        ("Subject", _subject(subject)),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id),
        ("In-Reply-To", clean_line(in_reply_to) if in_reply_to else None),
        ("References", clean_line(" ".join(references)) if references else None),
        ("Auto-Submitted", "auto-replied" if auto else ("auto-generated" if auto is not None else None)),
        ("X-Auto-Response-Suppress", "All" if auto else None),
        ("X-Mailbot-Ticket", ticket_number),
    ]
    return build_mail(headers, body, html=html, attachments=attachments, inline=inline)


# UTF-8 bytes per RFC 2047 encoded word: base64 makes 60 characters of them, 72 with the
# "=?utf-8?b?…?=" around them, within the 75 an encoded word may have. The first is shorter
# (52 + 12), to fit on the line after "Subject: " within 78 characters: compat32 would
# otherwise fold before it, and some readers keep that fold as a leading space.
_WORD_BYTES = 45
_FIRST_WORD_BYTES = 39


def _subject(subject: str) -> str:
    if subject.isascii() and max(map(len, subject.split()), default=0) < 900:
        return subject  # compat32 folds it at spaces
    # Encoded words, cut between characters, joined by spaces (which decoders drop between
    # encoded words), so compat32 folds the line there: no line past RFC 5322's 998 characters.
    # email.header.Header does the same but measures every candidate cut anew, which cost a
    # tenth of intake's CPU for Spanish subjects.
    words: list[bytes] = []
    chunk = bytearray()
    for ch in subject:
        b = ch.encode("utf-8", "replace")
        if len(chunk) + len(b) > (_WORD_BYTES if words else _FIRST_WORD_BYTES):
            words.append(bytes(chunk))
            chunk.clear()
        chunk += b
    if chunk:
        words.append(bytes(chunk))
    return _EncodedWords(" ".join(base64mime.header_encode(w, "utf-8") for w in words))


def _addresses(addrs) -> str:
    joined = ", ".join(clean_line(a) for a in addrs)
    # RFC 2047 must not touch an address: a non-ASCII one is written as raw UTF-8.
    return joined if joined.isascii() else joined.encode().decode("ascii", "surrogateescape")


def build_mail(
    headers: list[tuple[str, object]],
    body: str,
    *,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    inline: list[tuple[str, str, bytes]] = (),
) -> bytes:
    """The mail's bytes: text (and HTML alternative), files attached, headers in the order given.

    ``inline``: (Content-ID without brackets, content type, bytes) of images the
    HTML shows as ``<img src="cid:…">``: a ``multipart/related`` around the HTML
    (RFC 2387), which is how mail programs show pictures inside a mail.
    """
    root: MIMEBase = MIMEText(body, "plain", _BODY_CHARSET)
    if html is not None:
        shown: MIMEBase = MIMEText(html, "html", _BODY_CHARSET)
        if inline:
            shown = MIMEMultipart("related", _subparts=[shown])
            for cid, content_type, content in inline:
                maintype, _, subtype = content_type.partition("/")
                part = MIMEBase(maintype, subtype)
                part.set_payload(content)
                encoders.encode_base64(part)
                part.add_header("Content-ID", f"<{clean_line(cid)}>")
                part.add_header("Content-Disposition", "inline", filename=clean_line(cid))
                shown.attach(part)
        root = MIMEMultipart("alternative", _subparts=[root, shown])
    if attachments:
        root = MIMEMultipart("mixed", _subparts=[root])
        for filename, content_type, content in attachments:
            maintype, _, subtype = content_type.partition("/")
            if maintype in ("multipart", "message") or not subtype:
                maintype, subtype = "application", "octet-stream"
            part = MIMEBase(maintype, subtype)
            part.set_payload(content)
            encoders.encode_base64(part)
            name = clean_line(filename)
            part.add_header(
                "Content-Disposition", "attachment", filename=name if name.isascii() else ("utf-8", "", name)
            )
            root.attach(part)
    for part in root.walk():
        if part is not root:
            del part["MIME-Version"]
    # Our headers first, in the order given, then the MIME ones the classes wrote.
    mime = root.items()
    for name, _value in mime:
        del root[name]
    for name, value in headers:
        if value is not None:
            root[name] = value
    for name, value in mime:
        root[name] = value
    return root.as_bytes(policy=_POLICY)
