"""Raw bytes in, one immutable ``InboundMail`` out: the MIME walk, with the limits hostile mail is held to.

The standard library's ``email`` parser reads the bytes once (``compat32``,
the parse mail-parser also builds on; see the README for why it is not used);
one walk over the MIME tree, written here, finds the text bodies, the parts
of delivery reports and the attachments, because that walk is where hostile
mail has to be held to limits. The jobs around it live apart: text hygiene
(``mail.text``), header fields (``mail.headers``), HTML (``mail.html``),
cutting out large encoded bodies (``mail.blobs``), delivery reports
(``mail.reports``).

- Every string handed on is clean (``mail.text``): no NUL, no lone surrogates,
  and the ones that may end up in a header of a reply carry no CR/LF or other
  control characters and are bounded in length.
- Text is decoded with a fallback chain; HTML is sanitized with nh3 before
  anything stores or shows it; attachment file names are reduced to a bare,
  printable file name.
- MIME nesting is read to ``MAX_DEPTH``.
- Size limits: a part larger than ``max_attachment_size`` is dropped, and so
  are the largest attachments of a mail larger than ``max_message_size``,
  until it fits; text bodies past the limits are truncated. The mail is still
  taken in: the dropped parts are replaced by a short note in ``raw`` (which
  keeps the part's file name, so the stored mail lists the same attachments in
  the same order), listed in ``notes`` and said at the end of ``text``.

Attachments are not copied out of the mail: ``InboundMail.attachments`` lists
them (name, type, size) and their bytes stay in ``raw``, the mail as stored.
``attachment_content`` and ``attachment_files`` read them back from the stored
mail by position, with this same walk (docs/attachments.md).

Errors: ``parse`` raises only ``ParseError``, for bytes that are not a mail
at all (empty, no header field, MIME nesting too deep for the parser), or —
never expected — an internal error, which it wraps rather than let escape.
The pipeline quarantines the raw bytes with the reason in both cases.
"""

from __future__ import annotations

import base64
import email
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from io import BytesIO

from mailbot.addresses import normalize_address
from mailbot.errors import ParseError
from mailbot.mail import blobs
from mailbot.mail.headers import (
    addresses,
    decode_header_text,
    header_line,
    message_ids,
    raw_header,
)
from mailbot.mail.html import html_to_text, sanitize_html
from mailbot.mail.reports import DeliveryReport, ReportReader
from mailbot.mail.text import clean_line, clean_text, decode_bytes, safe_filename, truncate

DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024  # the default of [mailbot] max_message_size
DEFAULT_MAX_ATTACHMENT_SIZE = 25 * 1024 * 1024  # the default of [mailbot] max_attachment_size
MAX_DEPTH = 64  # MIME nesting read; deeper parts are left in ``raw``, unread
MAX_REFERENCES = 100  # Message-IDs kept of a References header (the first and the newest)
MAX_SUBJECT_LENGTH = 998  # one RFC 5322 line

_BODY_TYPES = ("text/plain", "text/html")
_REPORT_TYPES = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "message/global-headers",
    }
)
_CTYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitized: a bare file name, printable, never empty
    content_type: str
    size: int  # decoded bytes
    # Over a size limit: not in ``InboundMail.raw`` any more (or, for a text part, only its start).
    dropped: bool = False


@dataclass(frozen=True)
class InboundMail:
    """Everything the pipeline looks at, decoded once."""

    # The bytes as received — or, when parts were dropped under the size
    # limits, those bytes with each dropped part replaced by a short note.
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
    html: str  # sanitized (nh3): safe to store and show
    # In document order; ``attachment_content(raw, i)`` reads the bytes of ``attachments[i]``.
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    return_path: str | None = None
    content_type: str = "text/plain"
    report_type: str | None = None
    defects: tuple[str, ...] = ()
    # What parse had to do to the mail (parts dropped or truncated), one sentence each.
    notes: tuple[str, ...] = ()
    size: int = 0  # bytes as received
    # What a delivery report says (multipart/report, or a mail holding a delivery-status part); else None.
    delivery_report: DeliveryReport | None = None

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


# -- one part ------------------------------------------------------------------


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:
        ctype = ""
    return ctype if _CTYPE.match(ctype) else "application/octet-stream"


def _raw_payload(part: Message):
    """The payload as parsed (a list of parts, or the body text still transfer-encoded)."""
    try:
        return part.get_payload()
    except Exception:  # get_payload decodes 8-bit text with the declared charset, whatever it is
        return getattr(part, "_payload", None)


def _disposition(part: Message) -> str:
    return header_line(part, "Content-Disposition").split(";", 1)[0].strip().lower()


def _filename(part: Message) -> str:
    try:
        source = part
        if any(isinstance(part.get(h), Header) for h in ("Content-Disposition", "Content-Type")):
            # Raw 8-bit parameters: read them with the charset chain, not as "unknown-8bit".
            source = Message()
            for h in ("Content-Disposition", "Content-Type"):
                if part.get(h) is not None:
                    source[h] = clean_line(raw_header(part.get(h)))
        name = source.get_filename()
    except Exception:
        name = None
    return decode_header_text(name) if name else ""


def _encoded_size(part: Message) -> int:
    """Bytes the part takes in the mail (its body as transmitted)."""
    total, stack = 0, [part]
    while stack:
        p = stack.pop()
        payload = _raw_payload(p)
        if isinstance(payload, list):
            stack.extend(x for x in payload if isinstance(x, Message))
        elif isinstance(payload, (str, bytes)):
            where = blobs.span(p)
            total += where[1] - where[0] if where else len(payload)
    return total


def _subtree(part: Message):
    """``part`` and every part under it."""
    stack = [part]
    while stack:
        p = stack.pop()
        yield p
        payload = _raw_payload(p)
        if isinstance(payload, list):
            stack.extend(x for x in payload if isinstance(x, Message))


# -- the MIME walk -------------------------------------------------------------


@dataclass
class _Leaf:
    part: Message
    role: str  # "body", "attachment", "report"
    ctype: str
    filename: str = ""  # as the mail names it (decoded, not yet sanitized)
    data: bytes = b""  # decoded body, for bodies and leaf attachments
    size: int = 0
    encoded: int = 0
    name: str = ""  # the sanitized file name, for attachments (and bodies the mail names)
    drop: str | None = None  # the note saying it was dropped, and why
    limit: int | None = None  # body text kept, in characters


def _walk(msg: Message, defects: list[str], reader: ReportReader | None = None) -> list[_Leaf]:
    """The leaves of ``msg`` in document order, the attachments among them named."""
    leaves: list[_Leaf] = []
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    while stack:
        part, depth, attached = stack.pop()
        if depth > MAX_DEPTH:
            if "MultipartTooDeep" not in defects:
                defects.append("MultipartTooDeep")
            continue
        ctype = _content_type(part)
        if reader is not None:
            reader.see(part, ctype)
        disposition = _disposition(part)
        if ctype in _REPORT_TYPES:
            leaves.append(_Leaf(part, "report", ctype))
            if reader is not None:
                reader.see_inside(part, depth)
            continue
        payload = _raw_payload(part)
        if isinstance(payload, list):
            name = _filename(part)
            if (
                part is not msg
                and not attached
                and ctype == "message/rfc822"
                and (disposition == "attachment" or (name and disposition != "inline"))
            ):
                # A mail attached to this one: one attachment, its insides are not our text.
                leaves.append(_Leaf(part, "attachment", ctype, filename=name or "message.eml"))
                if reader is not None:
                    reader.see_inside(part, depth)
                continue
            inner = attached or disposition == "attachment"
            stack.extend(reversed([(p, depth + 1, inner) for p in payload if isinstance(p, Message)]))
            continue
        if ctype.startswith("multipart/"):
            # A multipart without a usable boundary: its body is all the text there is.
            ctype = "text/plain"
        if ctype in _BODY_TYPES and not attached and disposition != "attachment":
            leaves.append(_Leaf(part, "body", ctype, filename=_filename(part)))
        else:
            leaves.append(_Leaf(part, "attachment", ctype, filename=_filename(part)))
    for i, leaf in enumerate(_named(leaves), 1):
        leaf.name = safe_filename(leaf.filename, f"attachment-{i}")
    return leaves


def _named(leaves: list[_Leaf]) -> list[_Leaf]:
    """The leaves ``InboundMail.attachments`` lists: every attachment, and the bodies the mail gives a file name."""
    return [x for x in leaves if x.role == "attachment" or (x.role == "body" and x.filename)]


def _measure(leaves: list[_Leaf]) -> None:
    """Decode the bodies and attachments, and note their sizes (decoded and as transmitted)."""
    for leaf in leaves:
        if leaf.role == "report":
            continue
        payload = _raw_payload(leaf.part)
        if isinstance(payload, list):  # an attached mail
            leaf.encoded = _encoded_size(leaf.part)
            leaf.size = leaf.encoded
        else:
            leaf.data = blobs.payload_bytes(leaf.part)
            leaf.size = len(leaf.data)
            where = blobs.span(leaf.part)
            leaf.encoded = (
                (where[1] - where[0] if where else len(payload)) if isinstance(payload, (str, bytes)) else leaf.size
            )


# -- size limits ---------------------------------------------------------------


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _apply_limits(leaves: list[_Leaf], total: int, max_message: int | None, max_part: int | None) -> list[str]:
    """Decide what to drop or truncate; returns the notes saying so."""
    notes: list[str] = []
    attachments = [x for x in leaves if x.role == "attachment"]
    bodies = [x for x in leaves if x.role == "body"]

    def drop(x: _Leaf, why: str) -> None:
        x.drop = f'attachment "{x.name}" ({x.ctype}, {_human(x.size)}) dropped: {why}'

    if max_part is not None:
        for x in attachments:
            if x.size > max_part:
                drop(x, f"larger than the {_human(max_part)} limit for one attachment")
        for x in bodies:
            if x.size > max_part:
                x.limit = max_part
    if max_message is not None and total > max_message:
        remaining = total - sum(x.encoded for x in attachments if x.drop)
        for x in sorted((x for x in attachments if not x.drop), key=lambda x: -x.encoded):
            if remaining <= max_message:
                break
            drop(x, f"the mail ({_human(total)}) is larger than the {_human(max_message)} limit")
            remaining -= x.encoded
        if remaining > max_message and bodies:
            share = max(max_message // (2 * len(bodies)), 1024)
            for x in bodies:
                if x.size > share:
                    x.limit = min(x.limit or share, share)
    notes += [x.drop for x in attachments if x.drop]
    for x in bodies:
        if x.limit is not None:
            notes.append(f"{x.ctype} body ({_human(x.size)}) cut to its first {_human(x.limit)}")
    return notes


def _placeholder(part: Message, ctype: str, text: str, dropped: bool, filename: str = "") -> None:
    """Turn ``part`` in place into a small UTF-8 part holding ``text``.

    A part the mail listed as an attachment keeps its (sanitized) file name, so
    the stored mail lists the same attachments in the same order as the mail
    received: attachment positions stay valid for ``attachment_content``.
    """
    for h in (
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "Content-ID",
        "Content-Description",
        "Content-Location",
        "X-Mailbot-Dropped",
    ):
        del part[h]
    part.set_payload(base64.encodebytes(text.encode("utf-8")).decode("ascii"))
    part["Content-Type"] = f'{ctype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    if dropped or filename:
        part["Content-Disposition"] = "inline"
    if filename:
        part.set_param(
            "filename", filename, header="Content-Disposition", charset=None if filename.isascii() else "utf-8"
        )
    if dropped:
        part["X-Mailbot-Dropped"] = "yes"


def _reduced_raw(
    raw: bytes, msg: Message, leaves: list[_Leaf], notes: list[str], texts: dict[int, str]
) -> tuple[bytes, bool]:
    """The mail to store, with the dropped parts and cut bodies replaced; and whether its parts survived.

    False when the tree could not be written back and only the header and the
    notes are kept: then no attachment is in the stored mail.
    """
    # Every cut-out body of what is kept goes back in, also those inside an attached mail.
    blobs.restore(p for x in leaves if not x.drop for p in _subtree(x.part))
    for x in leaves:
        if x.role == "attachment" and x.drop:
            _placeholder(x.part, "text/plain", f"[mailbot] {x.drop}\n", dropped=True, filename=x.name)
        elif x.role == "body" and x.limit is not None:
            _placeholder(x.part, x.ctype, texts[id(x)], dropped=False, filename=x.name)
    try:
        out = BytesIO()
        BytesGenerator(out, mangle_from_=False).flatten(msg)
        return out.getvalue(), True
    except Exception:
        # The tree cannot be written back (deep or broken MIME): keep the header
        # block as it came and a plain body with the notes.
        head, _, _ = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
        keep = []
        for line in head.splitlines(keepends=True):
            name = line.split(b":", 1)[0].strip().lower()
            if line[:1] in (b" ", b"\t"):
                if keep and keep[-1] is not None:
                    keep.append(line)
                continue
            keep.append(None if name in (b"content-type", b"content-transfer-encoding") else line)
        header = b"".join(x for x in keep if x is not None)
        if header and not header.endswith(b"\n"):
            header += b"\r\n"
        body = "".join(f"[mailbot] {n}\n" for n in notes).encode("utf-8")
        return (
            header + b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + body
        ), False


# -- parse ---------------------------------------------------------------------


def parse(
    raw: bytes,
    *,
    max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    max_attachment_size: int | None = DEFAULT_MAX_ATTACHMENT_SIZE,
) -> InboundMail:
    """Parse one message. Raises only ``ParseError`` (see the module docstring)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ParseError("not a mail", f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw or raw.isspace():
        raise ParseError("empty")
    skeleton, table = blobs.cut(raw)
    try:
        with blobs.reading(raw, table):
            return _parse(raw, max_message_size, max_attachment_size, skeleton)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("too deeply nested", "the MIME structure nests deeper than the parser can follow") from None
    except Exception as exc:
        raise ParseError("internal", f"{type(exc).__name__}: {exc}") from exc


def _message(skeleton: bytes) -> Message:
    """The parsed tree; raises ParseError when there is no header field at all."""
    msg: Message = email.message_from_bytes(skeleton)
    if not msg.keys() and skeleton[:1] in (b"\r", b"\n"):
        msg = email.message_from_bytes(skeleton.lstrip(b"\r\n"))  # blank lines before the header, from a pipe
    if not msg.keys():
        raise ParseError("not a mail", "no header field before the body")
    return msg


def _parse(raw: bytes, max_message: int | None, max_part: int | None, skeleton: bytes | None = None) -> InboundMail:
    skeleton = raw if skeleton is None else skeleton
    msg = _message(skeleton)
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
    from_list = addresses(msg, "From")
    from_name, from_addr = from_list[0] if from_list else ("", "")
    sender = addresses(msg, "Sender")
    if not from_addr and sender:
        from_name, from_addr = sender[0]
    ids = message_ids(msg.get("Message-ID"))
    if ids:
        message_id, synthetic = ids[0], False
    else:
        # A stable stand-in so a second delivery of the same bytes is still a duplicate.
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@mailbot.invalid>"
        synthetic = True

    reader = ReportReader(MAX_DEPTH)
    leaves = _walk(msg, defects, reader)
    _measure(leaves)
    notes: list[str] = []
    if (max_message is not None and len(raw) > max_message) or (max_part is not None and len(raw) > max_part):
        notes = _apply_limits(leaves, len(raw), max_message, max_part)

    plain, html, texts = [], [], {}
    for x in leaves:
        if x.role != "body":
            continue
        text = decode_bytes(x.data, _charset(x.part))
        if x.limit is not None:
            text = text[: x.limit] + "\n[…]"
            texts[id(x)] = text
        (html if x.ctype == "text/html" else plain).append(text)
    plain_text = clean_text("\n".join(plain))
    html_text = sanitize_html("\n".join(html)) if html else ""
    text = plain_text if plain_text.strip() else (clean_text(html_to_text(html_text)) if html_text else "")
    if notes:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + "\n".join(f"[mailbot] {n}" for n in notes)

    content_type = _content_type(msg)
    # The report is read before the tree is reduced: what it says is kept even when parts of it are not.
    delivery_report = reader.report(content_type)
    stored, kept = _reduced_raw(raw, msg, leaves, notes, texts) if notes else (raw, True)
    attachments = tuple(
        Attachment(
            filename=x.name, content_type=x.ctype, size=x.size, dropped=bool(x.drop) or x.limit is not None or not kept
        )
        for x in _named(leaves)
    )

    headers = []
    for k, v in msg.items():
        try:
            headers.append((clean_line(k), clean_line(decode_header_text(v))))
        except Exception:
            defects.append("UnreadableHeader")
    return_path = msg.get("Return-Path")
    if return_path is not None:
        return_path = normalize_address(clean_line(raw_header(return_path)).strip("<>").strip())
    report_type = None
    if content_type == "multipart/report":
        try:
            value = msg.get_param("report-type")
            value = email.utils.collapse_rfc2231_value(value) if value else ""
        except Exception:
            value = ""
        report_type = clean_line(value).lower() or None
    return InboundMail(
        raw=stored,
        message_id=message_id,
        synthetic_id=synthetic,
        from_addr=from_addr,
        from_name=from_name,
        to=tuple(a for _, a in addresses(msg, "To")),
        cc=tuple(a for _, a in addresses(msg, "Cc")),
        reply_to=tuple(a for _, a in addresses(msg, "Reply-To")),
        subject=truncate(clean_line(decode_header_text(msg.get("Subject"))), MAX_SUBJECT_LENGTH),
        in_reply_to=message_ids(msg.get("In-Reply-To"), limit=10),
        references=message_ids(msg.get("References"), limit=MAX_REFERENCES),
        text=text,
        html=html_text,
        attachments=attachments,
        headers=tuple(headers),
        return_path=return_path,
        content_type=content_type,
        report_type=report_type,
        defects=tuple(defects),
        notes=tuple(notes),
        size=len(raw),
        delivery_report=delivery_report,
    )


# -- attachments read back from the stored mail ----------------------------------


@dataclass(frozen=True)
class File:
    """One file as a mail carries it."""

    filename: str  # sanitized
    content_type: str
    content: bytes = field(repr=False)


def attachment_content(raw: bytes, position: int) -> bytes:
    """The decoded bytes of attachment ``position`` of a stored mail (``InboundMail.raw``).

    ``position`` indexes ``InboundMail.attachments`` of the mail that was
    stored; the stored mail is walked again with the parser's own walk and
    limits. An attached mail comes back as the bytes of that mail. Raises
    LookupError when the mail has no attachment there (or cannot be read);
    a dropped attachment's bytes are not in the stored mail (its position
    holds the note that replaced it).
    """
    found = _read_attachments(raw, {position}, _content_of)
    if position not in found:
        raise LookupError(f"the stored mail has no attachment {position}")
    return found[position]


def attachment_files(raw: bytes, positions) -> dict[int, list[File]]:
    """The files the sender named, per attachment position of a stored mail, in one walk.

    An attachment the mail gives a file name is that one file; an attached
    mail holds the named files inside it, at any depth; a part with no file
    name holds none. This is what a case mail to a vendor carries of a
    client's mail. Positions the stored mail does not have are left out.
    """
    return _read_attachments(raw, set(positions), _files_of)


def _read_attachments(raw: bytes, positions: set[int], read) -> dict:
    if not positions or not raw:
        return {}
    raw = bytes(raw)
    skeleton, table = blobs.cut(raw)
    try:
        with blobs.reading(raw, table):
            named = _named(_walk(_message(skeleton), []))
            return {i: read(named[i]) for i in sorted(positions) if 0 <= i < len(named)}
    except Exception:  # it was parsed when it came in; what cannot be read back now is not there
        return {}


def _content_of(leaf: _Leaf) -> bytes:
    payload = _raw_payload(leaf.part)
    if not isinstance(payload, list):
        return blobs.payload_bytes(leaf.part)
    inner = payload[0] if payload and isinstance(payload[0], Message) else Message()
    blobs.restore(_subtree(inner))
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False).flatten(inner)
    return out.getvalue()


def _files_of(leaf: _Leaf) -> list[File]:
    if not isinstance(_raw_payload(leaf.part), list):
        if not leaf.filename:
            return []
        return [File(safe_filename(leaf.filename), _content_type(leaf.part), blobs.payload_bytes(leaf.part))]
    files = []
    stack = [(leaf.part, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        payload = _raw_payload(part)
        if isinstance(payload, list):
            stack.extend(reversed([(p, depth + 1) for p in payload if isinstance(p, Message)]))
            continue
        name = _filename(part)
        if name:
            files.append(File(safe_filename(name), _content_type(part), blobs.payload_bytes(part)))
    return files
