"""Header fields read safely: encoded words decoded, address lists and Message-ID lists split and bounded.

What comes out may end up in a header of a reply (names, addresses,
Message-IDs), so every value is one clean line (``text.clean_line``) and
bounded in length; an encoded word can never smuggle a separator or an
address into an address list.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from email.header import decode_header
from email.message import Message

from mailbot.addresses import normalize_address
from mailbot.mail.text import clean_line, decode_bytes, truncate, unicode_clean

MAX_ID_LENGTH = 250
MAX_NAME_LENGTH = 255  # display names (stored in VARCHAR(255))
MAX_ADDRESS_LENGTH = 254  # RFC 5321 path limit

_MSGID = re.compile(rf"<[^<>\s\x00-\x1f\x7f]{{1,{MAX_ID_LENGTH - 2}}}>")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def raw_header(value) -> str:
    """A header value as text, encoded words not yet decoded; raw 8-bit bytes read by the charset chain."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # compat32 hands back a Header (charset unknown-8bit) for raw 8-bit header bytes.
    try:
        chunks = decode_header(value)
    except Exception:
        return str(value)
    return "".join(
        c if isinstance(c, str) else decode_bytes(c, None if cs == "unknown-8bit" else cs) for c, cs in chunks
    )


def decode_header_text(value) -> str:
    """Decode RFC 2047 encoded words of a header value, whatever charsets they name."""
    text = raw_header(value)
    if "=?" not in text:
        return unicode_clean(text)
    try:
        chunks = decode_header(text)
    except Exception:  # a malformed encoded word: show the header as it came
        return unicode_clean(text)
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
            edge = out[-1][-1:] if encoded else piece[:1]  # where the two meet
            if not edge.isspace():
                out.append(" ")
        out.append(piece)
        last_encoded = encoded
    return unicode_clean("".join(out))


def header_line(part: Message, name: str) -> str:
    """Header ``name`` of ``part`` as one clean line, encoded words left as they are ("" when absent)."""
    try:
        return clean_line(raw_header(part.get(name)))
    except Exception:
        return ""


def addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    """(display name, normalized address) of every usable address in the header fields ``name``."""
    try:
        values = [raw_header(v) for v in msg.get_all(name, [])]
    except Exception:
        return []
    if not values:
        return []
    if not any("=?" in v for v in values):
        return [
            (truncate(clean_line(display), MAX_NAME_LENGTH), addr) for display, addr in _split_addresses(values, None)
        ]
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
    out = []
    for display, addr in _split_addresses(hidden, words):
        # Encoded words side by side join without a space; only ours are touched (the patterns are
        # fixed, compiled once: one per header made re's cache drop the parser's own).
        display = _ADJACENT_TOKENS.sub(
            lambda m: m.group(1) if m.group(1) in words and m.group(2) in words else m.group(0), display
        )
        display = _TOKEN.sub(
            lambda m: decode_header_text(words[m.group(0)]) if m.group(0) in words else m.group(0), display
        )
        out.append((truncate(clean_line(display), MAX_NAME_LENGTH), addr))
    return out


# What ``addresses`` hides an encoded word behind: a nonce of the header's own, then its index.
_TOKEN = re.compile(r"ew[0-9a-f]{10}n\d+x")
_ADJACENT_TOKENS = re.compile(r"(ew[0-9a-f]{10}n\d+x)\s+(?=(ew[0-9a-f]{10}n\d+x))")


# One address as most mail programs write it: a plain name (words of letters, digits and ._-',
# single spaces; no quotes, comments or specials) and the address in angle brackets, or the bare
# address. getaddresses() parses the header twice over (its strict mode); for these it gives the
# name and the address as they stand (``test_simple_address_short_cut`` holds the two together).
_NAME_WORD = r"[^\s\"(),:;<>@\[\]\\]+"
_ADDR = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+"
_SIMPLE_ADDRESS = re.compile(rf"[ \t]*(?:({_NAME_WORD}(?: {_NAME_WORD})*) ?<({_ADDR})>|<?({_ADDR})>?)[ \t]*")


def _getaddresses(values: list[str]) -> list[tuple[str, str]]:
    if len(values) == 1:
        m = _SIMPLE_ADDRESS.fullmatch(values[0])
        if m is not None and (m.group(3) is None or values[0].count("<") == values[0].count(">")):
            return [(m.group(1), m.group(2))] if m.group(3) is None else [("", m.group(3))]
    return email.utils.getaddresses(values)


def _split_addresses(values: list[str], hidden: dict[str, str] | None):
    for display, addr in _getaddresses(values):
        addr = normalize_address(clean_line(addr).strip("<>"))
        if (
            "@" in addr
            and " " not in addr
            and len(addr) <= MAX_ADDRESS_LENGTH
            and not (hidden and any(t in hidden for t in _TOKEN.findall(addr)))
        ):
            yield display, addr


def message_ids(value, limit: int | None = None) -> tuple[str, ...]:
    """The Message-IDs in a header value; past ``limit``, the first one and the newest ``limit - 1``."""
    if not value:
        return ()
    ids = _MSGID.findall(clean_line(raw_header(value)))
    if limit is not None and len(ids) > limit:
        ids = ids[:1] + ids[-(limit - 1) :]
    return tuple(ids)
