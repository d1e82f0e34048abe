"""Raw bytes in, one immutable ``InboundMail`` out.

The standard library's ``email`` parser reads the bytes once (``compat32``,
the parse mail-parser also builds on; see the README for why it is not used); one walk over the MIME tree, written
here, finds the text bodies, the report parts of bounces and the attachments,
because that walk is where hostile mail has to be held to limits:

- Text is decoded with a fallback chain, because mail in the wild declares
  charsets Python does not know (``unknown-8bit``, ``x-user-defined``) or lies
  about them; the same chain reads raw 8-bit header bytes.
- Every string handed on is clean: no NUL, no lone surrogates, and the ones
  that may end up in a header of a reply (subject, names, addresses,
  Message-IDs) carry no CR/LF or other control characters and are bounded in
  length (``clean_line``).
- HTML is sanitized with nh3 before anything stores or shows it.
- Attachment file names are reduced to a bare, printable file name.
- Size limits: a part larger than ``max_attachment_size`` is dropped, and so
  are the largest attachments of a mail larger than ``max_message_size``,
  until it fits; text bodies past the limits are truncated. The mail is still
  taken in: the dropped parts are replaced by a short note in ``raw``, listed
  in ``notes`` and said at the end of ``text``.

Errors: ``parse`` raises only ``ParseError``, for bytes that are not a mail
at all (empty, no header field, MIME nesting too deep for the parser), or —
never expected — an internal error, which it wraps rather than let escape.
The pipeline quarantines the raw bytes with the reason in both cases.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextvars
import email
import email.utils
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message


from mailbot.addresses import normalize_address, normalize_domain  # noqa: F401 (re-exported)
from mailbot.errors import ParseError

DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024  # the default of [mailbot] max_message_size
DEFAULT_MAX_ATTACHMENT_SIZE = 25 * 1024 * 1024  # the default of [mailbot] max_attachment_size
MAX_DEPTH = 64  # MIME nesting read; deeper parts are left in ``raw``, unread
MAX_REFERENCES = 100  # Message-IDs kept of a References header (the first and the newest)
MAX_ID_LENGTH = 250
MAX_NAME_LENGTH = 255  # display names (stored in VARCHAR(255))
MAX_ADDRESS_LENGTH = 254  # RFC 5321 path limit
MAX_SUBJECT_LENGTH = 998  # one RFC 5322 line

_MSGID = re.compile(r"<[^<>\s\x00-\x1f\x7f]{1,%d}>" % (MAX_ID_LENGTH - 2))
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BODY_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Controls, C1 controls, and the bidirectional overrides that make "fdp.exe" look like "exe.pdf".
_NAME_CTRL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t]{2,}")
_FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
_CHARSET_ALIASES = {"ks_c_5601-1987": "cp949", "x-user-defined": "windows-1252",
                    "unknown-8bit": "utf-8", "iso-8859-8-i": "iso-8859-8", "x-unknown": "utf-8",
                    "unknown": "utf-8", "default": "utf-8", "x-mac-roman": "mac-roman",
                    "ansi_x3.4-1968": "us-ascii", "windows-874": "cp874"}
# Python codecs a mail may name but that are no text charset for mail: escape
# decoders turn "\x00" text into control characters, IDNA/punycode work on host names.
_NOT_MAIL_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"}
_BODY_TYPES = ("text/plain", "text/html")
_REPORT_TYPES = frozenset({
    "message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
    "message/global-disposition-notification", "message/feedback-report", "text/rfc822-headers",
    "message/rfc822-headers", "message/global-headers",
})
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@dataclass(frozen=True)
class Attachment:
    filename: str  # sanitized: a bare file name, printable, never empty
    content_type: str
    size: int  # decoded bytes
    dropped: bool = False  # over a size limit: not in ``InboundMail.raw`` any more


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
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    return_path: str | None = None
    content_type: str = "text/plain"
    report_type: str | None = None
    defects: tuple[str, ...] = ()
    # What parse had to do to the mail (parts dropped or truncated), one sentence each.
    notes: tuple[str, ...] = ()
    size: int = 0  # bytes as received

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


# -- text hygiene ------------------------------------------------------------

def _unicode_clean(text: str) -> str:
    """No lone surrogates (they cannot be encoded, stored or sanitized)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def clean_line(text: str) -> str:
    """One line of text safe to reuse in a header: no CR/LF, no controls."""
    text = _unicode_clean(str(text))
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = _CTRL.sub("", text)
    # Unicode line and paragraph separators are line breaks to some readers.
    text = text.replace("\u2028", " ").replace("\u2029", " ").replace("\x85", " ")
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """A body text fit to store and show: LF line ends, no NUL or other controls."""
    text = _unicode_clean(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CTRL.sub("", text)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A bare file name: no directories, no controls or bidi overrides, at most 255 bytes."""
    name = unicodedata.normalize("NFC", _unicode_clean(name or ""))
    name = _NAME_CTRL.sub("", name.replace("\t", " "))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")  # no hidden files, no ".."; Windows drops trailing dots
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.lower() in _WINDOWS_DEVICES:
        name = "_" + name
    if len(name.encode("utf-8")) > 255:
        ext = ("." + ext) if dot and len(ext) <= 16 else ""
        room = 255 - len(ext.encode("utf-8"))
        base = name[: len(name) - len(ext)] if ext else name
        base = base.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
        name = (base or fallback) + ext
    return name


# -- decoding ----------------------------------------------------------------

def _codec(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when there is no usable one."""
    if not charset:
        return None
    charset = str(charset).strip().strip('"').lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError, TypeError):
        return None
    if info.name.replace("-", "_") in _NOT_MAIL_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: the declared charset if it works, else UTF-8, Windows-1252, Latin-1."""
    tried = []
    first = _codec(charset)
    if first:
        tried.append(first)
    for cs in _FALLBACK_CHARSETS:
        if cs not in tried:
            tried.append(cs)
    for cs in tried:
        try:
            return data.decode(cs)
        except Exception:  # UnicodeDecodeError, and the odd codec raising ValueError
            continue
    return data.decode("latin-1")  # cannot fail: every byte is a code point


def _raw_header(value) -> str:
    """A header value as text, encoded words not yet decoded; raw 8-bit bytes read by the chain."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # compat32 hands back a Header (charset unknown-8bit) for raw 8-bit header bytes.
    try:
        chunks = decode_header(value)
    except Exception:
        return str(value)
    return "".join(c if isinstance(c, str) else decode_bytes(c, None if cs == "unknown-8bit" else cs)
                   for c, cs in chunks)


def decode_header_text(value) -> str:
    """Decode RFC 2047 encoded words of a header value, whatever charsets they name."""
    text = _raw_header(value)
    if "=?" not in text:
        return _unicode_clean(text)
    try:
        chunks = decode_header(text)
    except Exception:  # a malformed encoded word: show the header as it came
        return _unicode_clean(text)
    out: list[str] = []
    last_encoded = None
    for data, charset in chunks:
        if isinstance(data, str):
            piece, encoded = data, False
        elif charset is None:
            # Text between encoded words, which decode_header re-encoded this way.
            try:
                piece = data.decode("raw-unicode-escape")
            except Exception:
                piece = data.decode("latin-1")
            encoded = False
        else:
            piece, encoded = decode_bytes(data, charset), True
        # Like email.header.make_header: a space where an encoded word meets plain text.
        if out and last_encoded is not None and encoded != last_encoded and piece:
            if encoded and not out[-1][-1:].isspace():
                out.append(" ")
            elif not encoded and not piece[0].isspace():
                out.append(" ")
        out.append(piece)
        last_encoded = encoded
    return _unicode_clean("".join(out))


# -- addresses -------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    try:
        values = [_raw_header(v) for v in msg.get_all(name, [])]
    except Exception:
        return []
    if not values:
        return []
    if not any("=?" in v for v in values):
        return [(_truncate(clean_line(display), MAX_NAME_LENGTH), addr)
                for display, addr in _split_addresses(values, None)]
    # Split the addresses first and decode the names after, so an encoded word
    # cannot smuggle a comma, a colon or an address into the list: each one is
    # hidden behind a plain token while the header is split.
    nonce = hashlib.sha256("\n".join(values).encode("utf-8", "replace")).hexdigest()[:10]
    words: dict[str, str] = {}

    def hide(m: re.Match) -> str:
        token = f"ew{nonce}n{len(words)}x"
        words[token] = m.group(0)
        return token

    hidden = [_ENCODED_WORD.sub(hide, v) for v in values]
    adjacent = re.compile(rf"(ew{nonce}n\d+x)\s+(?=ew{nonce}n\d+x)")
    token = re.compile(rf"ew{nonce}n\d+x")
    out = []
    for display, addr in _split_addresses(hidden, token):
        display = adjacent.sub(r"\1", display)  # encoded words side by side join without a space
        display = token.sub(lambda m: decode_header_text(words.get(m.group(0), "")), display)
        out.append((_truncate(clean_line(display), MAX_NAME_LENGTH), addr))
    return out


def _split_addresses(values: list[str], token: re.Pattern | None):
    for display, addr in email.utils.getaddresses(values):
        addr = normalize_address(clean_line(addr).strip("<>"))
        if "@" in addr and " " not in addr and len(addr) <= MAX_ADDRESS_LENGTH and not (token and token.search(addr)):
            yield display, addr


def _ids(value, limit: int | None = None) -> tuple[str, ...]:
    if not value:
        return ()
    ids = _MSGID.findall(clean_line(_raw_header(value)))
    if limit is not None and len(ids) > limit:
        ids = ids[:1] + ids[-(limit - 1):]
    return tuple(ids)


def _get(part: Message, name: str) -> str:
    try:
        return clean_line(_raw_header(part.get(name)))
    except Exception:
        return ""


# -- large encoded bodies ------------------------------------------------------
#
# The stdlib parser holds a body as a list of line strings and then as one
# string: about eight times the mail's size at its peak. A run of base64 lines
# of a megabyte or more is therefore cut out of the bytes before parsing and
# left as a marker line; the part's body is read back from the original bytes
# (one slice, one decode) when it is needed. Memory stays near twice the mail.

BLOB_MIN = 1024 * 1024
# Every run of base64-looking lines, possessively (no backtracking stack, and
# finditer resumes after each run: linear in the mail); long ones are cut.
_BLOB = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]{1,998}+\r?\n)++")
_blobs: contextvars.ContextVar[dict | None] = contextvars.ContextVar("mailbot_blobs", default=None)


def _cut_blobs(raw: bytes) -> tuple[bytes, dict]:
    """Replace long runs of base64 lines by marker lines; returns (skeleton, {marker: (start, end)})."""
    if len(raw) < BLOB_MIN:
        return raw, {}
    token = secrets.token_hex(8)
    table: dict[str, tuple[int, int]] = {}
    pieces, pos = [], 0
    for m in _BLOB.finditer(raw):
        if m.end() - m.start() < BLOB_MIN:
            continue
        marker = f"mailbot-blob-{token}-{len(table)}"
        table[marker] = (m.start(), m.end())
        pieces += [raw[pos:m.start()], marker.encode() + b"\r\n"]
        pos = m.end()
    if not table:
        return raw, {}
    pieces.append(raw[pos:])
    return b"".join(pieces), table


def _blob_of(part: Message) -> tuple[int, int] | None:
    """The (start, end) in the original bytes of a body that was cut out, if this part's is."""
    ctx = _blobs.get()
    if not ctx:
        return None
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str) and len(payload) < 200:
        return ctx["table"].get(payload.strip())
    return None


def _restore_blobs(parts) -> None:
    """Put the cut-out bodies back (before the tree is written out again)."""
    ctx = _blobs.get()
    if not ctx:
        return
    for part in parts:
        span = _blob_of(part)
        if span is not None:
            part._payload = ctx["raw"][span[0]:span[1]].decode("ascii")


def _payload_bytes(part: Message) -> bytes:
    span = _blob_of(part)
    if span is not None:
        data = memoryview(_blobs.get()["raw"])[span[0]:span[1]]  # no copy of a big body
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte == "base64":
            try:
                return binascii.a2b_base64(data)  # reads the buffer in place; skips line breaks
            except Exception:
                return b""
        if cte == "quoted-printable":
            import quopri

            return quopri.decodestring(bytes(data))
        return bytes(data)  # base64-looking lines in a body that is not base64: the lines themselves
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    return payload if isinstance(payload, bytes) else b""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def decode_part(part: Message) -> str:
    return decode_bytes(_payload_bytes(part), _charset(part))


_CTYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


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
    return _get(part, "Content-Disposition").split(";", 1)[0].strip().lower()


def _filename(part: Message) -> str:
    try:
        source = part
        if any(isinstance(part.get(h), Header) for h in ("Content-Disposition", "Content-Type")):
            # Raw 8-bit parameters: read them with the charset chain, not as "unknown-8bit".
            source = Message()
            for h in ("Content-Disposition", "Content-Type"):
                if part.get(h) is not None:
                    source[h] = clean_line(_raw_header(part.get(h)))
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
            span = _blob_of(p)
            total += span[1] - span[0] if span else len(payload)
    return total


def html_to_text(html: str) -> str:
    from inscriptis import get_text

    try:
        return get_text(html).strip()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)


# Removed with everything inside them; other tags outside nh3's allow-list lose the tag, keep the text.
# (Not <form>: generated mail often wraps its whole body in one.)
_DROP_WITH_CONTENT = frozenset({
    "script", "style", "title", "head", "template", "object", "embed", "applet", "iframe", "frame", "frameset",
    "svg", "math"})
_cleaner = None


def sanitize_html(html: str) -> str:
    """HTML from mail made safe to store and show: no script, style, event handlers or javascript: URLs."""
    global _cleaner
    import nh3

    if _cleaner is None:
        if hasattr(nh3, "Cleaner"):  # nh3 >= 0.3: configured once
            _cleaner = nh3.Cleaner(clean_content_tags=set(_DROP_WITH_CONTENT)).clean
        else:
            _cleaner = lambda text: nh3.clean(text, clean_content_tags=set(_DROP_WITH_CONTENT))  # noqa: E731
    try:
        return _cleaner(clean_text(html))
    except Exception:  # never expected; then nothing of it is kept
        return ""


# -- the MIME walk -------------------------------------------------------------

@dataclass
class _Leaf:
    part: Message
    role: str  # "body", "attachment", "report"
    ctype: str
    filename: str = ""
    data: bytes = b""  # decoded body, for bodies and leaf attachments
    size: int = 0
    encoded: int = 0
    name: str = ""  # the sanitized file name, for attachments
    drop: str | None = None  # the note saying it was dropped, and why
    limit: int | None = None  # body text kept, in characters


def _walk(msg: Message, defects: list[str]) -> list[_Leaf]:
    leaves: list[_Leaf] = []
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    while stack:
        part, depth, attached = stack.pop()
        if depth > MAX_DEPTH:
            if "MultipartTooDeep" not in defects:
                defects.append("MultipartTooDeep")
            continue
        ctype = _content_type(part)
        disposition = _disposition(part)
        if ctype in _REPORT_TYPES:
            leaves.append(_Leaf(part, "report", ctype))
            continue
        payload = _raw_payload(part)
        if isinstance(payload, list):
            name = _filename(part)
            if (part is not msg and not attached and ctype == "message/rfc822"
                    and (disposition == "attachment" or (name and disposition != "inline"))):
                # A mail attached to this one: one attachment, its insides are not our text.
                leaves.append(_Leaf(part, "attachment", ctype, filename=name or "message.eml"))
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
    named = (x for x in leaves if x.role == "attachment" or (x.role == "body" and x.filename))
    for i, leaf in enumerate(named, 1):
        leaf.name = safe_filename(leaf.filename, f"attachment-{i}")
    for leaf in leaves:
        if leaf.role == "report":
            continue
        payload = _raw_payload(leaf.part)
        if isinstance(payload, list):  # an attached mail
            leaf.encoded = _encoded_size(leaf.part)
            leaf.size = leaf.encoded
        else:
            leaf.data = _payload_bytes(leaf.part)
            leaf.size = len(leaf.data)
            span = _blob_of(leaf.part)
            leaf.encoded = (span[1] - span[0] if span else len(payload)) if isinstance(payload, (str, bytes)) \
                else leaf.size
    return leaves


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


def _placeholder(part: Message, ctype: str, text: str, dropped: bool) -> None:
    """Turn ``part`` in place into a small UTF-8 part holding ``text``."""
    for h in ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
              "Content-Description", "Content-Location", "X-Mailbot-Dropped"):
        del part[h]
    part.set_payload(base64.encodebytes(text.encode("utf-8")).decode("ascii"))
    part["Content-Type"] = f'{ctype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    if dropped:
        part["Content-Disposition"] = "inline"
        part["X-Mailbot-Dropped"] = "yes"


def _reduced_raw(raw: bytes, msg: Message, leaves: list[_Leaf], notes: list[str], texts: dict[int, str]) -> bytes:
    _restore_blobs(x.part for x in leaves if not x.drop)
    for x in leaves:
        if x.role == "attachment" and x.drop:
            _placeholder(x.part, "text/plain", f"[mailbot] {x.drop}\n", dropped=True)
        elif x.role == "body" and x.limit is not None:
            _placeholder(x.part, x.ctype, texts[id(x)], dropped=False)
    try:
        from email.generator import BytesGenerator
        from io import BytesIO

        out = BytesIO()
        BytesGenerator(out, mangle_from_=False).flatten(msg)
        return out.getvalue()
    except Exception:
        # The tree cannot be written back (deep or broken MIME): keep the header
        # block as it came and a plain body with the notes.
        head, sep, _ = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
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
        return (header + b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
                + body)


# -- parse ---------------------------------------------------------------------

def parse(raw: bytes, *, max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
          max_attachment_size: int | None = DEFAULT_MAX_ATTACHMENT_SIZE) -> InboundMail:
    """Parse one message. Raises only ``ParseError`` (see the module docstring)."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ParseError("not a mail", f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw or raw.isspace():
        raise ParseError("empty")
    skeleton, table = _cut_blobs(raw)
    token = _blobs.set({"raw": raw, "table": table} if table else None)
    try:
        return _parse(raw, max_message_size, max_attachment_size, skeleton)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("too deeply nested", "the MIME structure nests deeper than the parser can follow") from None
    except Exception as exc:
        raise ParseError("internal", f"{type(exc).__name__}: {exc}") from exc
    finally:
        _blobs.reset(token)


def _parse(raw: bytes, max_message: int | None, max_part: int | None, skeleton: bytes | None = None) -> InboundMail:
    skeleton = raw if skeleton is None else skeleton
    msg: Message = email.message_from_bytes(skeleton)
    if not msg.keys() and skeleton[:1] in (b"\r", b"\n"):
        msg = email.message_from_bytes(skeleton.lstrip(b"\r\n"))  # blank lines before the header, from a pipe
    if not msg.keys():
        raise ParseError("not a mail", "no header field before the body")
    defects = [type(d).__name__ for d in getattr(msg, "defects", [])]
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

    leaves = _walk(msg, defects)
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

    attachments = tuple(Attachment(filename=x.name, content_type=x.ctype, size=x.size, dropped=bool(x.drop))
                        for x in leaves if x.name)
    stored = _reduced_raw(raw, msg, leaves, notes, texts) if notes else raw

    headers = []
    for k, v in msg.items():
        try:
            headers.append((clean_line(k), clean_line(decode_header_text(v))))
        except Exception:
            defects.append("UnreadableHeader")
    return_path = msg.get("Return-Path")
    if return_path is not None:
        return_path = normalize_address(clean_line(_raw_header(return_path)).strip("<>").strip())
    report_type = None
    content_type = _content_type(msg)
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
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        reply_to=tuple(a for _, a in _addresses(msg, "Reply-To")),
        subject=_truncate(clean_line(decode_header_text(msg.get("Subject"))), MAX_SUBJECT_LENGTH),
        in_reply_to=_ids(msg.get("In-Reply-To"), limit=10),
        references=_ids(msg.get("References"), limit=MAX_REFERENCES),
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
    )
