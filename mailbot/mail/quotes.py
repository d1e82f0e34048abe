"""Split a reply into the new part, the quoted history and the signature.

The new part is what the engineer wrote this time: it is relayed to the client
and its ``#commands`` are run.  The full original is stored elsewhere; this
module only decides where the new part ends.

mail-parser-reply supplies the quote headers it knows: "On … wrote:" in
English (Gmail, Apple Mail, Thunderbird, also wrapped over two lines), the
Outlook header blocks "From:/Sent:/To:/Subject:" and "De:/Enviado:/Para:/
Asunto:", and "-----Original Message-----".  The small patterns below add what
it misses (its Spanish "escribió:" pattern never matches, see ``_EXTRA``).

The new part ends at the earliest of: a quote header, a separator line, or the
first line that starts with ">".  Text written below or between quoted lines
(bottom-posting, inline answers) is therefore not part of the new part; the
team is asked to write at the top, as Outlook and Gmail do.

Signatures are cut only when it is clearly a signature, because cutting real
content loses what the client should read while a signature left in place
costs nothing: the "-- " line, a line like "Enviado desde mi iPhone", or a
closing word alone on its line ("Saludos," "Atentamente") followed by at most
a short name block.  The library's own signature and disclaimer heuristics are
not used: they cut from any line starting with "Gracias," or "- " (lists), and
drop any sentence that starts with "Advertencia:" and mentions mail.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from dataclasses import dataclass

from mailparser_reply.parser import EmailMessage

log = logging.getLogger("mailbot.quotes")

# The library's "On … wrote:" pattern is quadratic in the line length; lines
# longer than this cannot be a quote header and are hidden from the search.
_MAX_HEADER_LINE = 1000

# A name block after "Saludos,": name, title, company, phone, mail, web.
_MAX_SIGNATURE_LINES = 6
_MAX_SIGNATURE_WORDS = 10

_Q = r"^[ \t]*(?:>[ \t]?)*"  # a line start, possibly inside quoted levels

# Quote boundaries the library does not know, per language ("" = any).
_EXTRA = {
    "": [
        r"^[ \t]*>",  # the first quoted line
        r"^[ \t]*_{20,}[ \t]*$",  # Outlook's underscore line above its header block
    ],
    "es": [
        # Gmail "El lun, 23 nov 2026 a las 10:00, Juan (<j@x>) escribió:",
        # Apple Mail "El 23 nov 2026, a las 10:00, Juan <j@x> escribió:",
        # Thunderbird "El 23/11/26 a las 10:00, Juan escribió:".  Gmail may
        # wrap it over two lines; a digit (the date) must be on the first one.
        _Q + r"El\s(?=[^\n]*\d)[^\n]*(?:\n[^\n]*)?\sescribi[oó]\s?:[ \t]*$",
        # Outlook's "Enviado el:" variant breaks the library's header block.
        _Q + r"\*?De\*?:[^\n]*\n" + _Q[1:] + r"\*?(?:Enviado(?: el)?|Fecha|Para)\*?:",
        _Q + r"-{2,}\s*(?:Mensaje original|Mensaje reenviado)\s*-{2,}[ \t]*$",
    ],
    "en": [
        # The library knows "-----Original Message-----" but not Gmail's forward.
        _Q + r"-{2,}\s*Forwarded message\s*-{2,}[ \t]*$",
    ],
}

_SIGNATURE_DELIMITER = re.compile(r"--[ \t]*")
_SENT_FROM = re.compile(
    r"(?:Enviado desde mi|Sent from my) \S.{0,30}"
    r"|(?:Enviado desde|Sent from|Obtener|Get) Outlook(?: (?:para|for) \S.{0,20})?",
    re.IGNORECASE,
)
_CLOSINGS = {
    "es": ["Saludos", "Saludos cordiales", "Un saludo", "Atentamente", "Cordialmente"],
    "en": ["Regards", "Best regards", "Kind regards", "Best wishes", "Best", "Cheers"],
}


@dataclass(frozen=True)
class Reply:
    """One reply split in three; each part stripped, possibly empty."""

    new: str
    quoted: str = ""
    signature: str = ""


def split_reply(text: str, *, languages=("es", "en")) -> Reply:
    """Split ``text`` (a decoded text body) into new part, quoted history and signature.

    Never raises: when anything goes wrong the whole text is the new part,
    because relaying too much is recoverable and losing the reply is not.
    """
    if not isinstance(text, str):
        return Reply(new="")
    try:
        return _split(text, tuple(languages))
    except Exception:
        log.exception("quote split failed; keeping the whole text as the new part")
        return Reply(new=text.strip())


def _split(text: str, languages: tuple[str, ...]) -> Reply:
    # The library's patterns expect "\n" and no trailing blanks ("$" after
    # "wrote:"); indentation is kept because it may be meaningful.
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    searchable = "\n".join("x" * len(line) if len(line) > _MAX_HEADER_LINE else line for line in lines)
    cut = min((m.start() for m in (rx.search(searchable) for rx in _boundaries(languages)) if m), default=len(text))
    new, signature = _split_signature(text[:cut], languages)
    return Reply(new=new.strip(), quoted=text[cut:].strip(), signature=signature.strip())


@functools.lru_cache(maxsize=8)
def _boundaries(languages: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    # Building the message runs the library's text normalisation, whose
    # positional re.sub() flags warn on Python 3.13; the pattern is unaffected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        library = EmailMessage(text="", languages=list(languages)).HEADER_REGEX
    extra = [p for lang in ("", *languages) for p in _EXTRA.get(lang, ())]
    return (library, *(re.compile(p, re.MULTILINE | re.IGNORECASE) for p in extra))


def _split_signature(text: str, languages: tuple[str, ...]) -> tuple[str, str]:
    closing = _closing_regex(languages)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        # A closing word needs text above it: "Saludos" on top is a greeting.
        closes = closing is not None and closing.fullmatch(stripped) and any(lines[:i])
        if _SIGNATURE_DELIMITER.fullmatch(stripped) or (
            (closes or _SENT_FROM.fullmatch(stripped)) and _is_name_block(lines[i + 1 :])
        ):
            return "\n".join(lines[:i]), "\n".join(lines[i:])
    return text, ""


@functools.lru_cache(maxsize=8)
def _closing_regex(languages: tuple[str, ...]) -> re.Pattern | None:
    words = [re.escape(w) for lang in languages for w in _CLOSINGS.get(lang, ())]
    if not words:
        return None
    return re.compile(rf"(?:{'|'.join(words)})\s*[,.!]?", re.IGNORECASE)


def _is_name_block(lines: list[str]) -> bool:
    # Short lines of few words, none a command: a name, a title, a phone.
    rest = [line.strip() for line in lines if line.strip()]
    return len(rest) <= _MAX_SIGNATURE_LINES and all(
        len(line.split()) <= _MAX_SIGNATURE_WORDS and not line.startswith("#") for line in rest
    )
