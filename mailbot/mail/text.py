"""Text hygiene: every string mailbot takes from a mail or compares is made safe and comparable here.

- ``unicode_clean``: no lone surrogates (they cannot be encoded, stored or sanitized).
- ``clean_line``: one line safe to reuse in a header of a reply (no CR/LF or other controls).
- ``clean_text``: a body fit to store and show (LF line ends, no NUL or other controls).
- ``decode_bytes``/``codec``: bytes to text with a fallback chain, because mail in the wild
  declares charsets Python does not know (``unknown-8bit``, ``x-user-defined``) or lies about them.
- ``safe_filename``: a bare, printable file name, whatever the mail said.
- ``fold``/``strip_accents``: the one normal form rules, commands and mail are compared in
  (case folded, compatibility forms normalised, accents removed: "Caída" is "caida").
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BODY_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Controls, C1 controls, and the bidirectional overrides that make "fdp.exe" look like "exe.pdf".
_NAME_CTRL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[ \t]{2,}")
_FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "x-user-defined": "windows-1252",
    "unknown-8bit": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "x-unknown": "utf-8",
    "unknown": "utf-8",
    "default": "utf-8",
    "x-mac-roman": "mac-roman",
    "ansi_x3.4-1968": "us-ascii",
    "windows-874": "cp874",
}
# Python codecs a mail may name but that are no text charset for mail: escape
# decoders turn "\x00" text into control characters, IDNA/punycode work on host names.
_NOT_MAIL_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"}
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def unicode_clean(text: str) -> str:
    """No lone surrogates (they cannot be encoded, stored or sanitized)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


# A line clean_line would leave as it is: no controls or line breaks (C0, DEL, NEL, U+2028/9), no
# lone surrogates, single spaces between words; the ends are checked apart (strip() takes any
# Unicode space). Most header values are such lines: one match instead of eight passes.
_CLEAN_LINE = re.compile(
    r"[^\x00-\x20\x7f\x85\u2028\u2029\ud800-\udfff]+(?: [^\x00-\x20\x7f\x85\u2028\u2029\ud800-\udfff]+)*"
)


def clean_line(text: str) -> str:
    """One line of text safe to reuse in a header: no CR/LF, no controls."""
    if type(text) is str and _CLEAN_LINE.fullmatch(text) and not text[0].isspace() and not text[-1].isspace():
        return text
    return _clean_line(text)


def _clean_line(text) -> str:
    text = unicode_clean(str(text))
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    text = _CTRL.sub("", text)
    # Unicode line and paragraph separators are line breaks to some readers.
    text = text.replace("\u2028", " ").replace("\u2029", " ").replace("\x85", " ")
    return _SPACES.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """A body text fit to store and show: LF line ends, no NUL or other controls."""
    text = unicode_clean(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CTRL.sub("", text)


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, an ellipsis saying it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A bare file name: no directories, no controls or bidi overrides, at most 255 bytes."""
    name = unicodedata.normalize("NFC", unicode_clean(name or ""))
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


def codec(charset: str | None) -> str | None:
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
    first = codec(charset)
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


def fold(text: str) -> str:
    """Lowercase, without accents: the form every comparison uses."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.casefold()))


def strip_accents(text: str) -> str:
    """Remove accents but keep case (used on regular expressions: ``\\S`` must stay ``\\S``)."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))
