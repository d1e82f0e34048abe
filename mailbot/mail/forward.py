"""Forwarded mail: whose mail the team forwarded, when it was written, what it said.

An engineer forwards a client's mail to the desk; the ticket must be the
client's: opened for the original sender, at the original date, on the
original text and attachments. What the engineer wrote above the forward is
an internal note. ``find_forward`` reads that out of a parsed mail. It is pure
(no database), never raises, and returns None for a mail that is no forward.
Call it for mail from the team only: a client forwarding their vendor's mail
to the desk is the client's own report.

Attached or inline
------------------
- Attached (Outlook's "forward as attachment", and the same in Gmail,
  Thunderbird, Apple Mail): the mail carries a ``message/rfc822`` part or a
  file named ``*.eml``. That attached mail is the forward when it is the only
  attached mail AND the forwarding mail's own text is only a note: no forward
  header block, no quoted reply ("El … escribió:"), at most ``MAX_NOTE_CHARS``
  characters (a signature with a legal notice fits). The attached mail is
  parsed again with ``parse``, so ``Forward.original`` carries its own text,
  attachments and raw bytes under the parser's limits and defences. Several
  attached mails are no forward (which one would the ticket be?), and a mail
  attached under an inline forward is an attachment of the forwarded mail.
- Inline: a separator line and/or a header block in the text, as the mail
  programs write them, in Spanish and English (labels of either language are
  read in any block: Gmail in Spanish writes "De:" next to "Date:"):

  Outlook desktop/web/mobile  ``____…`` (8+) or ``-----Mensaje original-----`` /
                              ``-----Original Message-----`` or nothing, then
                              ``De:``/``From:``, ``Enviado el:``/``Enviado:``/``Sent:``/
                              ``Fecha:``/``Date:``, ``Para:``/``To:``, ``CC:``, ``Asunto:``/``Subject:``
                              (labels may be bold-as-text, ``*De:*``)
  Gmail web/mobile            ``---------- Mensaje reenviado ---------`` /
                              ``---------- Forwarded message ---------``
  Apple Mail                  ``Inicio del mensaje reenviado:`` / ``Begin forwarded message:``
  Thunderbird                 ``-------- Mensaje reenviado --------`` /
                              ``-------- Forwarded Message --------``, Subject first

  Lines quoted with ">" (plain-text forwards of some programs) are read
  through their quote marks; HTML-only mail is read in the text the parser
  made of it (``InboundMail.text``), and a sender written as a bare name
  (Outlook on the web links the name to "mailto:") is looked up among the
  mail's "mailto:" links and "Name <address>" pairs.

  A block without a separator (Outlook) must start with From/De, have the
  date label second and a To or Subject label: prose does not look like that.

Not a forward
-------------
- A reply: the first quoted history in the text is a reply header
  ("El mar, 1 dic 2026 a las 10:35, Ana <ana@x.mx> escribió:", "On … wrote:"),
  or an Outlook block (which Outlook writes alike for replies and forwards)
  under a subject that starts with a reply prefix ("RE:", "RES:", "AW:").
- Prose that mentions a forwarded message: a separator must be a line of its own
  and be followed by a header block with a sender.

Forwards of forwards
--------------------
A forwarded block may hold another forward, or a thread whose quoted replies
(Outlook blocks, "El … escribió:") name earlier senders; they form a chain,
outermost first. The ticket belongs to the person who reported to the team:
the OUTERMOST link whose sender is not in ``team``. Its ``text`` keeps all
that is below its header (the inner forwards stay part of the original text),
and ``note`` is all that is above it (the forwarder's words, and the header
blocks and words of the team members in between). When every sender of the
chain is in the team, the INNERMOST link is returned: the first mail of the
chain. A link whose sender has no readable address is skipped. An attached
mail from a team member is the outermost link of the chain its own text
holds (its ``original`` is then that attached mail, whose attachments are
the client's).

Dates
-----
Read from the header block's date in Spanish or English: month and weekday
names full or abbreviated, with or without accents ("1 de diciembre de 2026,
10:35:12 CST", "mar, 1 dic 2026 a las 10:35", "Tuesday, December 1, 2026
10:35 AM", "01/12/2026 10:35 p. m.", RFC 2822 "Tue, 1 Dec 2026 10:35:12
-0600"); 12 h with AM/PM or "a. m."/"p. m.", or 24 h; the date comes before
the time. A numeric date is read day first, as Mexico writes it ("01/12/2026"
is 1 December), unless its second number cannot be a month. A zone given
as an offset ("-0600", "GMT-6", "UTC-06:00") or a common abbreviation (CST,
CDT, EST, PST, GMT, CET…) is used; without a zone, or with one not known, the
time is local time in ``tz`` (the desk's zone). A date that cannot be read
(no time, no four-digit year, 31 February, 25:99) is None, never an error.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import unquote

from mailbot.addresses import looks_like_address, normalize_address
from mailbot.mail.headers import MAX_ADDRESS_LENGTH, MAX_NAME_LENGTH
from mailbot.mail.parse import (
    DEFAULT_MAX_ATTACHMENT_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_SUBJECT_LENGTH,
    InboundMail,
    attachment_content,
    parse,
)
from mailbot.mail.text import clean_line, fold, truncate

log = logging.getLogger("mailbot.forward")

# The forwarding mail's own text is a note, not a letter of its own, up to this
# many characters (the attached-mail rule above).
MAX_NOTE_CHARS = 2000
MAX_LINES = 20_000  # lines of a text searched for forward blocks (a forward is near the top)
MAX_LINE = 1000  # longer lines are never a separator or a header line
MAX_HEADER_LINES = 30  # lines one header block may take (Outlook lists attachments, long To lines)
MAX_CHAIN = 32  # forward links read in one text
MAX_ADDRESSES = 100  # addresses kept of a To or Cc line
MAX_HTML_SCAN = 2_000_000  # characters of HTML searched for a mailto: link
MAX_NAME_LOOKUPS = 4  # senders written as a bare name looked up in one mail (each search reads the mail)
MAX_TEXT_SCAN = 500_000  # characters of text searched for "Name <address>"
MIN_YEAR, MAX_YEAR = 1970, 2100  # a year outside is no date a mail was written on


class ForwardStyle(StrEnum):
    """How the forward was written (for logs and tests)."""

    OUTLOOK = "outlook"
    GMAIL = "gmail"
    APPLE = "apple"
    THUNDERBIRD = "thunderbird"
    REPLY = "reply"  # a reply quoted inside a forwarded thread ("El … escribió:")
    ATTACHED = "attached"  # message/rfc822 or a .eml file


@dataclass(frozen=True)
class Forward:
    """The original mail inside a forward (see the module docstring)."""

    style: ForwardStyle
    sender: str  # normalized address
    sender_name: str | None
    date: datetime | None  # timezone-aware; None when not readable
    subject: str | None
    # The original's Message-ID: always for an attached mail (synthetic, stable, when
    # it had none: ``original.synthetic_id``); None for an inline forward.
    message_id: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    text: str  # the original mail's text
    note: str  # what the forwarder(s) wrote above it, stripped; may be ""
    # The mail whose attachments belong to the original: the parsed attached mail
    # when the original is (or was found inside) an attached mail; None for an
    # inline forward, whose attachments are the forwarding mail's own.
    original: InboundMail | None = field(default=None, repr=False)
    nested: int = 0  # forward links above this one (0: the outermost)


def find_forward(
    mail: InboundMail,
    *,
    tz: tzinfo,
    team: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
    max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
    max_attachment_size: int | None = DEFAULT_MAX_ATTACHMENT_SIZE,
) -> Forward | None:
    """The original mail ``mail`` forwards, or None when it is no forward.

    ``tz``: the desk's zone, for dates written without one. ``team``: the
    team's addresses (normalized here), for forwards of forwards. The size
    limits are ``parse``'s, for an attached mail (pass ``[mailbot]``'s).
    Never raises: a mail that cannot be read as a forward is no forward.
    """
    try:
        members = frozenset(normalize_address(a.strip()) for a in team or () if isinstance(a, str))
        return _find(mail, tz, members, max_message_size, max_attachment_size)
    except Exception:
        log.exception("forward detection failed for %s; treated as no forward", getattr(mail, "message_id", "?"))
        return None


# -- the two kinds ---------------------------------------------------------------


def _find(mail: InboundMail, tz: tzinfo, team: frozenset[str], max_message, max_part) -> Forward | None:
    text = mail.text or ""
    lines = text.split("\n")
    rows = _rows(lines)
    scan = _scan(rows, top=True, reply_subject=_is_reply_subject(mail.subject))
    if not scan.history and len(text.strip()) <= MAX_NOTE_CHARS:
        attached = [i for i, a in enumerate(mail.attachments) if _is_attached_mail(a)]
        # One attached mail, readable (a dropped one's bytes are not in the stored mail).
        if len(attached) == 1 and not mail.attachments[attached[0]].dropped:
            found = _from_attached(mail, attached[0], tz, team, max_message, max_part)
            if found is not None:
                return found
    if not scan.blocks:
        return None
    return _choose(scan.blocks, lines, mail, tz, team, original=None, outer_note="")


def _is_attached_mail(attachment) -> bool:
    return attachment.content_type == "message/rfc822" or attachment.filename.lower().endswith(".eml")


def _from_attached(mail: InboundMail, position: int, tz, team, max_message, max_part) -> Forward | None:
    try:
        inner = parse(
            attachment_content(mail.raw, position), max_message_size=max_message, max_attachment_size=max_part
        )
    except Exception:  # LookupError, ParseError: an .eml that is no mail is an ordinary file
        return None
    if not inner.from_addr or not looks_like_address(inner.from_addr):
        return None
    note = (mail.text or "").strip()
    if inner.from_addr in team:
        # A team member's mail, attached: the client may be inside it, forwarded inline.
        lines = (inner.text or "").split("\n")
        rows = _rows(lines)
        scan = _scan(rows, top=False, reply_subject=False)
        found = _choose(scan.blocks, lines, inner, tz, team, original=inner, outer_note=note)
        if found is not None:
            return found
    return Forward(
        style=ForwardStyle.ATTACHED,
        sender=inner.from_addr,
        sender_name=inner.from_name or None,
        date=_header_date(inner.header("Date"), tz),
        subject=inner.subject or None,
        message_id=inner.message_id,
        to=inner.to,
        cc=inner.cc,
        text=(inner.text or "").strip(),
        note=note,
        original=inner,
    )


# -- lines -------------------------------------------------------------------------

_QUOTE_RUN = re.compile(r"[ \t]*(?:>[ \t]?)+")
_ONE_QUOTE = re.compile(r"[ \t]*>[ \t]?")


class _Row(NamedTuple):
    depth: int  # quote levels (">") before the content
    text: str  # the content, stripped ("" for a blank line); "\x00" for one too long to be a marker


def _rows(lines: list[str]) -> list[_Row]:
    rows = []
    for line in lines[:MAX_LINES]:
        line = line.strip()
        depth = 0
        if line[:1] == ">":
            m = _QUOTE_RUN.match(line)
            depth = m.group().count(">")
            line = line[m.end() :].strip()
        rows.append(_Row(depth, line if len(line) <= MAX_LINE else "\x00"))
    return rows


def _dequote(line: str, levels: int) -> str:
    for _ in range(levels):
        m = _ONE_QUOTE.match(line)
        if not m:
            break
        line = line[m.end() :]
    return line


# -- separators and header blocks ----------------------------------------------------

# One line of its own (stripped, bold marks aside). The dashes' count tells
# Thunderbird (8) from Gmail (10/9); Outlook's underscore line is 32 long in
# the wild, HTML conversions make it other lengths.
_SEPARATOR = re.compile(
    r"(?P<fwd>-{2,}[ \t]*(?:forwarded message|mensaje reenviado)[ \t]*-{2,})"
    r"|(?P<apple>(?:begin forwarded message|inicio del mensaje reenviado|comienza el mensaje reenviado)[ \t]*:)"
    r"|(?P<orig>-{2,}[ \t]*(?:original message|mensaje original)[ \t]*-{2,})"
    r"|(?P<rule>_{8,})",
    re.IGNORECASE,
)

_FROM, _DATE, _TO, _CC, _SUBJECT, _OTHER = "from", "date", "to", "cc", "subject", "other"
# Header labels (folded: lower case, no accents) of Spanish and English mail programs.
_LABELS = {
    "from": _FROM,
    "de": _FROM,
    "remitente": _FROM,
    "date": _DATE,
    "sent": _DATE,
    "fecha": _DATE,
    "enviado": _DATE,
    "enviado el": _DATE,
    "enviada": _DATE,
    "to": _TO,
    "para": _TO,
    "a": _TO,  # HubSpot (es)
    "cc": _CC,
    "con copia": _CC,
    "subject": _SUBJECT,
    "asunto": _SUBJECT,
    # Read so they do not end the block; their values are not used.
    "bcc": _OTHER,
    "cco": _OTHER,
    "reply-to": _OTHER,
    "responder a": _OTHER,
    "importance": _OTHER,
    "importancia": _OTHER,
    "priority": _OTHER,
    "prioridad": _OTHER,
    "attachments": _OTHER,
    "datos adjuntos": _OTHER,
    "adjuntos": _OTHER,
}
# "Label: value", the label possibly bold-as-text ("*De:*", "**From**:"): at most three
# words. Every quantifier before the colon is bounded: two unbounded runs of blanks
# side by side backtrack quadratically on a long line of blanks.
_LABEL_LINE = re.compile(
    r"[*_]{0,2}([^\W\d_][\w.-]{0,15}(?: [\w.-]{1,15}){0,2})[*_]{0,2}[ \t]{0,3}[*_]{0,2}:[*_]{0,2}[ \t]*(.*)"
)
_LONE_ADDRESS = re.compile(r"[<\[(]?\s*(?:mailto:)?\s*[^\s<>\[\]()@]+@[^\s<>\[\]()@]+\s*[>\])]?", re.IGNORECASE)


def _label(s: str) -> tuple[str | None, str]:
    m = _LABEL_LINE.match(s)
    if not m:
        return None, ""
    return _LABELS.get(fold(m.group(1).strip())), m.group(2).strip()


@dataclass
class _Header:
    fields: dict[str, str]
    order: list[str]
    end: int  # the first row after the block


def _read_header(rows: list[_Row], i: int) -> _Header:
    """The header block from row ``i`` on (blank rows before it are skipped)."""
    fields: dict[str, str] = {}
    order: list[str] = []
    blanks = 0
    stop = min(len(rows), i + MAX_HEADER_LINES)
    while i < stop:
        s = rows[i].text
        if not s:
            if order or blanks >= 3:  # Apple and Thunderbird leave blank lines after the separator
                break
            blanks += 1
            i += 1
            continue
        key, value = _label(s)
        if key is None:
            last = order[-1] if order else None
            if last in (_TO, _CC) and fields[last].endswith((",", ";")) and "@" in s:
                fields[last] += " " + s  # a long recipient list, wrapped
            elif last == _FROM and not _ADDRESS.search(fields[_FROM]) and _LONE_ADDRESS.fullmatch(s):
                fields[_FROM] += " " + s  # "De: Ana Ruiz" / "<ana@…>" on the next line
            else:
                break
            i += 1
            continue
        if key in fields and key != _OTHER:
            break  # a second "De:": the next block
        fields[key] = value
        order.append(key)
        i += 1
    return _Header(fields, order, i)


# -- replies ---------------------------------------------------------------------------

# "El mar, 1 dic 2026 a las 10:35, Ana Ruiz <ana@x.mx> escribió:" (Gmail, Apple,
# Thunderbird, Outlook 2019 in Spanish) and "On Tue, Dec 1, 2026 at 10:35 AM Ana
# Ruiz <ana@x.mx> wrote:"; Gmail wraps it over two lines. A digit (the date) comes first.
# Head and tail are matched apart (the tail only in the last characters): one
# pattern spanning the line is quadratic on a long line that only starts alike.
_ATTRIBUTION_START = re.compile(r"(?:el|on)\s[^\n]*\d", re.IGNORECASE)
_ATTRIBUTION_HEAD = re.compile(r"(?:el|on)\s+", re.IGNORECASE)
_ATTRIBUTION_TAIL = re.compile(r"(?:escribi[oó]|wrote)[ \t]*:$", re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?\s?m\.?(?![^\W\d_]))?", re.IGNORECASE)

_REPLY_PREFIX = re.compile(r"\s*(?:\[[^\]]{0,60}\]\s*)?([^\W\d_]{1,8})\s*(?:\[\d+\]|\(\d+\))?\s*:", re.IGNORECASE)
# The one list of subject prefixes mailbot knows (used by threading, merges and splits too):
# Spanish, English, Portuguese, German and Scandinavian mail programs.
REPLY_WORDS = frozenset({"re", "res", "resp", "aw", "sv"})
FORWARD_WORDS = frozenset({"rv", "fw", "fwd", "reenv", "tr", "enc", "wg"})


def _first_prefix(subject: str) -> str | None:
    m = _REPLY_PREFIX.match(subject or "")
    return fold(m.group(1)) if m else None


def _is_reply_subject(subject: str) -> bool:
    """The subject's first prefix says reply ("RE:"), not forward ("RV:", "FW:", "Fwd:")."""
    return _first_prefix(subject) in REPLY_WORDS


def is_forward_subject(subject: str) -> bool:
    """The subject's first prefix says forward: "RV:", "FW:", "Fwd:" (a tag in brackets before it allowed)."""
    return _first_prefix(subject) in FORWARD_WORDS


def _attribution(s: str):
    """(from value, date value) of a reply header line, or None."""
    head = _ATTRIBUTION_HEAD.match(s)
    tail = _ATTRIBUTION_TAIL.search(s, max(0, len(s) - 16))
    if not head or not tail or tail.start() <= head.end():
        return None
    body = s[head.end() : tail.start()].rstrip()
    found = list(_ADDRESS.finditer(body))
    if not found:
        return None
    addr = found[-1]
    before = _strip_name_tail(body[: addr.start()])
    times = list(_TIME_OF_DAY.finditer(before))
    if times:
        date, name = before[: times[-1].end()], before[times[-1].end() :]
    else:
        date, _, name = before.rpartition(",")
    name = name.strip(" ,\t\"'*")
    return f"{name} <{addr.group()}>" if name else addr.group(), date.strip(" ,")


def strip_prefixes(subject: str) -> str:
    """``subject`` without its reply and forward prefixes ("RE: RV: Fwd: x" → "x")."""
    for _ in range(10):
        m = _REPLY_PREFIX.match(subject)
        if not m or fold(m.group(1)) not in REPLY_WORDS | FORWARD_WORDS:
            break
        subject = subject[m.end() :]
    return subject.strip()


# -- the scan ----------------------------------------------------------------------------


@dataclass
class _Block:
    style: ForwardStyle
    start: int  # the first row: the separator, the first header line, the reply header
    body: int  # the first row after the header
    quote: int  # quote levels the body's lines carry at this link
    fields: dict[str, str]


@dataclass
class _Scan:
    blocks: list[_Block]
    history: bool  # any quoted history at all: a forward block, or a reply before it


def _scan(rows: list[_Row], *, top: bool, reply_subject: bool) -> _Scan:
    """The forward links of a text, outermost first.

    ``top``: the text of the mail the team sent (not of a forwarded mail);
    there a reply header before the first forward block means the mail is a
    reply, and so does an Outlook block under a reply subject.
    """
    blocks: list[_Block] = []
    n = len(rows)
    i = 0
    while i < n and len(blocks) < MAX_CHAIN:
        row = rows[i]
        s = row.text
        # Every line that can matter holds a colon (a label, a reply header's time,
        # Apple's separator) or is a line of dashes or underscores: prose is skipped cheaply.
        if not s or (":" not in s and s[0] not in "-_*"):
            i += 1
            continue
        sep = _SEPARATOR.fullmatch(s.strip("*"))
        if sep:
            head = _read_header(rows, i + 1)
            if _FROM in head.fields and len(head.order) >= 2:
                style = _separator_style(sep, s, head)
                if top and not blocks and reply_subject and style is ForwardStyle.OUTLOOK:
                    return _Scan([], True)
                blocks.append(_Block(style, i, head.end, row.depth, head.fields))
                i = head.end
                continue
            i += 1
            continue
        key, _ = _label(s)
        if key == _FROM:
            head = _read_header(rows, i)
            if len(head.order) >= 3 and head.order[1] == _DATE and (_TO in head.fields or _SUBJECT in head.fields):
                if top and not blocks and reply_subject:
                    return _Scan([], True)
                blocks.append(_Block(ForwardStyle.OUTLOOK, i, head.end, row.depth, head.fields))
                i = head.end
                continue
        elif _ATTRIBUTION_START.match(s):
            found, used = _attribution(s), 1
            if found is None and i + 1 < n and rows[i + 1].text:
                found, used = _attribution(s + " " + rows[i + 1].text), 2
            if found is not None:
                if top and not blocks:
                    return _Scan([], True)  # a reply, not a forward
                sender, date = found
                fields = {_FROM: sender, _DATE: date}
                blocks.append(_Block(ForwardStyle.REPLY, i, i + used, row.depth + 1, fields))
                i += used
                continue
        i += 1
    return _Scan(blocks, bool(blocks))


def _separator_style(sep: re.Match, s: str, head: _Header) -> ForwardStyle:
    kind = sep.lastgroup
    if kind == "apple":
        return ForwardStyle.APPLE
    if kind == "fwd":
        dashes = len(s) - len(s.lstrip("-"))
        # Thunderbird writes 8 dashes and the subject first; Gmail 10 and the sender first.
        return ForwardStyle.THUNDERBIRD if dashes == 8 or head.order[0] == _SUBJECT else ForwardStyle.GMAIL
    return ForwardStyle.OUTLOOK


# -- choosing the link ------------------------------------------------------------------


def _choose(
    blocks: list[_Block],
    lines: list[str],
    mail: InboundMail,
    tz,
    team: frozenset[str],
    *,
    original: InboundMail | None,
    outer_note: str,
) -> Forward | None:
    """The outermost link sent from outside the team, else the innermost (module docstring); None without a sender."""
    chosen = None
    lookups: dict[str, str | None] = {}
    for k, block in enumerate(blocks):
        name, addr = _sender(block.fields.get(_FROM, ""), mail, lookups)
        if addr is None:
            continue
        chosen = (k, block, name, addr)
        if addr not in team:
            break
    else:
        if chosen is None:
            return None
    k, block, name, addr = chosen
    subject = _subject(block.fields.get(_SUBJECT))
    if block.style is ForwardStyle.REPLY and k > 0:
        # A reply header names no subject: the thread's, from the block above it.
        subject = _subject(strip_prefixes(blocks[k - 1].fields.get(_SUBJECT, "")))
    note = _join(lines[: block.start])
    if outer_note:
        note = (outer_note + "\n\n" + note).strip() if note else outer_note
    return Forward(
        style=block.style,
        sender=addr,
        sender_name=name,
        date=_date(block.fields.get(_DATE), tz),
        subject=subject,
        message_id=None,
        to=_addresses(block.fields.get(_TO)),
        cc=_addresses(block.fields.get(_CC)),
        text=_join(_dequote(line, block.quote) for line in lines[block.body :]),
        note=note,
        original=original,
        nested=k,
    )


def _join(lines) -> str:
    """Lines as one text: trailing blanks cut, the common indentation (HTML conversion) removed, stripped."""
    return textwrap.dedent("\n".join(line.rstrip() for line in lines)).strip("\n").strip()


def _subject(value: str | None) -> str | None:
    if not value:
        return None
    return truncate(clean_line(value), MAX_SUBJECT_LENGTH) or None


# -- senders and recipients ----------------------------------------------------------------

# An address inside a header value: "<ana@x.mx>", "[mailto:ana@x.mx]", "ana@x.mx<mailto:ana@x.mx>".
_ADDRESS = re.compile(r"[^\s<>\[\]()\"',;:@*?/]{1,64}@[^\s<>\[\]()\"',;:@*?/]{1,253}")
_NAME_TAIL = " \t\"'*<[("  # what stands between a display name and its address
_SPACES = re.compile(r"\s+")
_MAILTO = re.compile(
    r"<a\s[^>]{0,500}?href=\"mailto:([^\"?>]{1,300})[^\"]{0,300}\"[^>]{0,500}>(.{0,500}?)</a>", re.I | re.S
)
_TAG = re.compile(r"<[^>]{0,500}>")


def _address(raw: str) -> str | None:
    raw = raw.strip(".")
    if len(raw) > MAX_ADDRESS_LENGTH:
        return None
    addr = normalize_address(raw)
    return addr if looks_like_address(addr) else None


def _strip_name_tail(s: str) -> str:
    """``s`` without what stands between a display name and its address (' "<', " [mailto:")."""
    s = s.rstrip(_NAME_TAIL)
    if s[-7:].lower() == "mailto:":
        s = s[:-7].rstrip(_NAME_TAIL)
    return s


def _display_name(raw: str) -> str | None:
    name = _SPACES.sub(" ", _strip_name_tail(raw)).strip(" \t\"'*_")
    if not name or "@" in name:
        return None
    return truncate(clean_line(name), MAX_NAME_LENGTH) or None


def _sender(value: str, mail: InboundMail, lookups: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(display name, address) of a From value; a bare name is looked up in the mail.

    ``lookups``: the names looked up so far in this mail and what was found;
    each lookup reads the whole mail, so a mail gets ``MAX_NAME_LOOKUPS``.
    """
    value = clean_line(value)[:MAX_LINE]
    m = _ADDRESS.search(value)
    if m:
        return _display_name(value[: m.start()]), _address(m.group())
    name = _display_name(value)
    if name is None:
        return None, None
    if name not in lookups:
        if len(lookups) >= MAX_NAME_LOOKUPS:
            return name, None
        lookups[name] = _mailto_for(name, mail.html) or _named_address(name, mail.text or "")
    return name, lookups[name]


def _mailto_for(name: str, html: str) -> str | None:
    """The address the HTML links to under the text ``name`` (Outlook on the web: "De: <a href=mailto:…>Ana</a>")."""
    if not html or "mailto:" not in html:
        return None
    target = fold(name)
    for m in _MAILTO.finditer(html, 0, min(len(html), MAX_HTML_SCAN)):
        label = fold(clean_line(htmllib.unescape(_TAG.sub("", m.group(2))))).strip("\"' ")
        if label == target:
            return _address(unquote(m.group(1)))
    return None


def _named_address(name: str, text: str) -> str | None:
    """The address written next to ``name`` somewhere in the text ("Ana Ruiz <ana@…>")."""
    pattern = re.compile(
        re.escape(name) + r"[\"'*]?\s{0,3}[<\[(]\s{0,3}(?:mailto:)?\s{0,3}(" + _ADDRESS.pattern + ")", re.IGNORECASE
    )
    m = pattern.search(text, 0, MAX_TEXT_SCAN)
    return _address(m.group(1)) if m else None


def _addresses(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    out: list[str] = []
    for m in _ADDRESS.finditer(clean_line(value)):
        addr = _address(m.group())
        if addr and addr not in out:
            out.append(addr)
            if len(out) >= MAX_ADDRESSES:
                break
    return tuple(out)


# -- dates -----------------------------------------------------------------------------------

_MONTHS = {
    **dict.fromkeys(("enero", "ene", "january", "jan"), 1),
    **dict.fromkeys(("febrero", "feb", "february"), 2),
    **dict.fromkeys(("marzo", "mar", "march"), 3),
    **dict.fromkeys(("abril", "abr", "april", "apr"), 4),
    **dict.fromkeys(("mayo", "may"), 5),
    **dict.fromkeys(("junio", "jun", "june"), 6),
    **dict.fromkeys(("julio", "jul", "july"), 7),
    **dict.fromkeys(("agosto", "ago", "august", "aug"), 8),
    **dict.fromkeys(("septiembre", "setiembre", "sep", "sept", "set", "september"), 9),
    **dict.fromkeys(("octubre", "oct", "october"), 10),
    **dict.fromkeys(("noviembre", "nov", "november"), 11),
    **dict.fromkeys(("diciembre", "dic", "december", "dec"), 12),
}
# Zone abbreviations mail programs print (Apple Mail: "10:35:12 CST"), in hours from UTC.
# CST is read as North American Central (Mexico), not China.
_ZONES = {
    "utc": 0,
    "ut": 0,
    "gmt": 0,
    "z": 0,
    "cst": -6,
    "cdt": -5,
    "mst": -7,
    "mdt": -6,
    "pst": -8,
    "pdt": -7,
    "est": -5,
    "edt": -4,
    "akst": -9,
    "hst": -10,
    "cet": 1,
    "cest": 2,
    "wet": 0,
    "west": 1,
    "bst": 1,
    "eet": 2,
    "eest": 3,
}
_MERIDIEM = re.compile(r"(?<![^\W\d_])([ap])\.?\s?m\.?(?![^\W\d_])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d{1,6})?(?![\d:])(?:\s*(am|pm)(?![^\W\d_]))?")
_OFFSET = re.compile(r"(?:\b(?:gmt|utc|ut)\s*)?([+\-\u2212])(\d{1,2})(?::?(\d{2}))?(?!\d)|\b([a-z]{1,5})\b")
_NUMERIC_DATE = re.compile(r"(?<![\d:])(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})(?![\d:])")
_NUMBER = re.compile(r"(?<![\d:])\d{1,4}(?![\d:])")
_WORD = re.compile(r"[a-z]+")


def _header_date(value: str | None, tz: tzinfo) -> datetime | None:
    """The Date header of an attached mail (RFC 5322), else read like a forward's date."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # ValueError, TypeError, IndexError on odd values
        return _date(value, tz)
    if when is None or not MIN_YEAR <= when.year <= MAX_YEAR:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=tz)


def _date(value: str | None, tz: tzinfo) -> datetime | None:
    """A forward header's date, read in Spanish or English (module docstring); None when unreadable."""
    if not value:
        return None
    try:
        return _read_date(fold(clean_line(value))[:200], tz)
    except (ValueError, OverflowError):  # 31 February, 25:99
        return None


def _read_date(s: str, tz: tzinfo) -> datetime | None:
    s = _MERIDIEM.sub(r" \1m", s)  # "10:35 a. m." → "10:35  am"
    t = _TIME.search(s)
    if not t:
        return None
    hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
    if t.group(4) and 1 <= hour <= 12:
        hour = hour % 12 + (12 if t.group(4) == "pm" else 0)
    zone = _zone(s[t.end() :], tz)
    if zone is None:
        return None
    rest = s[: t.start()]  # the date comes before the time in every layout read here
    d = _NUMERIC_DATE.search(rest)
    if d:
        a, b, c = int(d.group(1)), int(d.group(3)), int(d.group(4))
        if len(d.group(1)) == 4:  # 2026-12-01
            year, month, day = a, b, c
        else:  # day first (Mexico), unless the second number cannot be a month
            day, month, year = (b, a, c) if b > 12 else (a, b, c)
            if len(d.group(4)) == 2:
                year += 2000
    else:
        months = [_MONTHS[w] for w in _WORD.findall(rest) if w in _MONTHS]
        years = [int(x) for x in _NUMBER.findall(rest) if len(x) == 4]
        days = [int(x) for x in _NUMBER.findall(rest) if len(x) <= 2]
        if not months or len(years) != 1 or not days:
            return None
        # "mar, 1 dic 2026": the weekday "mar" (martes) is no month when a month follows.
        month, year, day = months[-1], years[0], days[0]
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return datetime(year, month, day, hour, minute, second, tzinfo=zone)


def _zone(after: str, tz: tzinfo) -> tzinfo | None:
    """The zone written after the time; ``tz`` when none (or one not known); None when absurd."""
    for m in _OFFSET.finditer(after[:60]):
        if m.group(4) is not None:
            word = m.group(4)
            if word in _ZONES:
                return timezone(timedelta(hours=_ZONES[word]))
            continue
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            return None
        sign = -1 if m.group(1) in ("-", "\u2212") else 1  # also the Unicode minus sign
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return tz
