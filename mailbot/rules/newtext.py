"""What the sender wrote this time: the ``new_subject``, ``new_body`` and ``new_text`` targets.

``new_body`` is the body without the quoted history of a reply or forward
(:func:`mailbot.mail.quotes.split_reply`) and without the signature. The
signature is cut harder than ``split_reply`` cuts it for relaying: there,
cutting real content loses what the client should read, so a closing word
counts only when a short name block follows; here a closing line counts
whatever follows it, because a signature's title ("Coordinador de
Infraestructura Crítica") or a legal notice ("notifíquelo de manera
URGENTE") must not classify the mail, while a line lost after "Saludos"
costs little. The cut is at the first line, below some text, that is:

- a closing on its own ("Saludos", "Saludos cordiales,", "Atentamente",
  "Gracias", "Quedo al pendiente.", "Best regards,", "Thanks,"...);
- "Enviado desde mi iPhone", "Sent from my…", "Get Outlook for…";
- the "-- " signature delimiter;
- the start of a legal notice ("AVISO DE CONFIDENCIALIDAD…", "Este correo
  … es confidencial … destinatario", "CONFIDENTIALITY NOTICE…").

That is every cut ``split_reply`` makes, and more. ``split_reply`` searches
the whole text with its quote patterns, which costs as much as classifying;
when the text holds none of the words and marks those patterns need ("De:",
"escribió", "wrote", "> "...), the search is skipped and the result is the
same.

A forward is the exception: when the note above it hands the forwarded mail
over as the report ("Les reenvío el reporte de la gerente de la sucursal"),
that mail's text is part of the new text, after the note. Any other
forwarded mail ("Te reenvío lo que pidió el director", a vendor's
bulletin) is history like a quote.

``new_subject`` is the subject, except for a reply ("RE:", "RES:", "AW:"),
whose subject is the old conversation's ("RE: Sin internet en toda la
empresa - CRÍTICO" says nothing about the new text). A forward keeps its
subject only when it names the mail being reported (the note above hands the
forwarded mail over as the report, asks for help with it, or there is no
note): "Fwd: URGENTE - documentos de su trámite" over "¿revisan si mi cuenta
tiene virus?" or "¿es seguro?" is the forwarded mail's word, not the
client's; "Fwd: CRITICO: toda la empresa sin sistema" over "¿Nos pueden
ayudar con esto lo antes posible?" is the client's request.
"""

from __future__ import annotations

import re

from mailbot.mail.forward import is_forward_subject, strip_prefixes
from mailbot.mail.quotes import split_reply
from mailbot.mail.text import fold

# What the quote patterns of mailbot.mail.quotes (and its library) need, a superset:
# one of these words or marks, or a line that starts with a header label and a colon.
_QUOTE_WORDS = (
    ">",
    "_" * 20,
    "escribi",
    "wrote",
    "original message",
    "mensaje original",
    "mensaje reenviado",
    "forwarded message",
)
_HEADER_LINE = re.compile(
    r"^[ \t>*]*(?:de|enviado|para|asunto|fecha|cc|organizaci[oó]n|from|sent|to|subject|date|organization)[ *]*:",
    re.MULTILINE,
)


def maybe_quoted(text: str) -> bool:
    """False when no quote pattern of split_reply can match ``text``."""
    low = text.lower()
    for word in _QUOTE_WORDS:
        if word in low:
            return True
    return ":" in low and _HEADER_LINE.search(low) is not None


_CLOSING = re.compile(
    r"(?:saludos|un saludo|cordiales saludos|atentamente|cordialmente|gracias|muchas gracias|mil gracias"
    r"|quedo (?:atent[oa]|al pendiente|a sus ordenes|a la espera)|sin mas por el momento"
    r"|regards|best regards|kind regards|warm regards|best wishes|best|cheers|thanks|thank you|many thanks"
    r"|sincerely)\b[^.!?\n]{0,30}[.,!]*",
    re.IGNORECASE,
)
_SENT_FROM = re.compile(r"(?:enviado desde|sent from|obtener outlook|get outlook)\b.{0,40}", re.IGNORECASE)
_DELIMITER = re.compile(r"--[ \t]*")
# A legal notice: a heading of its own, or a line that opens like one and speaks like one.
_NOTICE_HEADING = re.compile(
    r"(?:aviso de confidencialidad|aviso de privacidad|nota de confidencialidad|confidencialidad|"
    r"confidentiality notice|confidentiality|disclaimer|aviso legal|legal notice)\b",
)
_NOTICE_OPENING = re.compile(
    r"(?:este (?:correo|mensaje|e ?mail)|la informacion (?:contenida|de este)|el contenido de este|"
    r"this (?:e ?mail|message|communication)|the information (?:contained|in this))\b"
)
_NOTICE_WORDS = re.compile(r"confidencial|destinatario|privilegiad|prohibid|recipient|privileged|prohibited")
# A closing line is short: "Gracias Daniel, ya quedó todo funcionando." is a sentence.
_MAX_CLOSING = 40


def cut_signature(text: str) -> str:
    """``text`` up to its first closing, "Enviado desde…", "-- " or legal-notice line below some text."""
    lines = text.split("\n")
    above = False
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        if _DELIMITER.fullmatch(s) or _SENT_FROM.fullmatch(s):
            return "\n".join(lines[:i]).strip()
        if above:
            head = fold(s[:60])
            if (
                (len(s) <= _MAX_CLOSING and _CLOSING.fullmatch(head))
                or _NOTICE_HEADING.match(head)
                or (_NOTICE_OPENING.match(head) and _NOTICE_WORDS.search(fold(s)))
            ):
                return "\n".join(lines[:i]).strip()
        above = True
    return text.strip()


def new_body(text: str, subject: str = "") -> str:
    """The body without quoted history and signature; with the forwarded report under a note that says so."""
    if maybe_quoted(text):
        reply = split_reply(text)
        new = cut_signature(reply.new)
        if reply.quoted and is_forward_subject(subject) and _REPORT_NOTE.search(fold(new)):
            return new + "\n\n" + forwarded_report(reply.quoted)
        return new
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return cut_signature("\n".join(line.rstrip() for line in lines))


# A forwarding note that hands the forwarded mail over as the report: "Les reenvío el reporte de
# la gerente de la sucursal". "Te reenvío lo que pidió el director" does not.
_REPORT_NOTE = re.compile(
    r"\b(?:reenvio|reenviamos|reenvie|paso|pasamos|comparto|compartimos|forwarding|forwarded|forward)\b"
    r"[^.\n?!:]{0,30}\b(?:reporte|report|incidente|incident|falla|problema|problem)\b"
)
# A note that asks for help with what it forwards ("¿Nos pueden ayudar con esto lo antes posible?", "can
# you check this?") keeps the forward's subject: it names what the client asks help with. The forwarded
# text stays history (it may be a bulletin, or carry its own sender's urgency). Not "¿pueden revisar si mi
# cuenta tiene virus?": that asks about something else.
_HELP_NOTE = re.compile(
    r"\b(?:nos|me)\s+(?:pueden|podrian|puedes|podrias)\s+(?:ayudar|apoyar)"
    r"|\b(?:pueden|podrian|puedes|podrias)\s+(?:ayudarnos|ayudarme|apoyarnos|apoyarme)"
    r"|\b(?:nos|me)\s+(?:ayudan|apoyan|ayudas|apoyas)\b"
    r"|\b(?:ayudanos|ayudenos|apoyenos|apoyanos|necesitamos (?:ayuda|apoyo)|necesito (?:ayuda|apoyo))\b"
    r"|\b(?:pueden|podrian|puedes|podrias)\s+(?:revisar|checar|atender|ver)(?:lo|la|los|las)?\b(?!\s+(?:si|que)\b)"
    r"|\b(?:revisen|chequen|atiendan)(?:lo|la)?\b(?!\s+(?:si|que)\b)"
    r"|\b(?:please\s+(?:help|check|look|advise|assist)|(?:can|could)\s+you\s+(?:help|check|look|assist|take a look))\b"
    r"(?!\s+(?:if|whether)\b)"
    r"|\b(?:we|i)\s+need\s+(?:help|assistance|support)\b"
)
# A note that asks whether the forwarded mail can be trusted: "¿es seguro?", "is this legit?", "¿es
# phishing?". Then the forwarded mail is the thing in doubt, not a report, however the help is asked for.
_DOUBT_NOTE = re.compile(
    r"\b(?:seguro|segura|confiable|legitim[oa]|es real|es verdadero|falso(?!\s+positivo)|phishing|phising|fraude"
    r"|estafa|spam"
    r"|sospechos[oa]|enga[nñ]o|safe|legit|legitimate|genuine|scam|fake|suspicious|clic|click)\b"
)


def names_the_request(note: str) -> bool:
    """The folded forwarding ``note`` hands the forwarded mail over as the report, or asks help with it."""
    if _REPORT_NOTE.search(note):
        return True
    return _HELP_NOTE.search(note) is not None and _DOUBT_NOTE.search(note) is None


_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_HEADER_FIELD = re.compile(
    r"^[ \t*]*(?:de|from|enviado(?: el)?|sent|para|to|cc|asunto|subject|fecha|date)[ \t*]*:", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"^[ \t]*(?:_{5,}|-{2,}.*-{2,}|inicio del mensaje reenviado:|begin forwarded message:)[ \t]*$", re.IGNORECASE
)


def forwarded_report(quoted: str) -> str:
    """What the forwarded mail says: its header block, quote marks, own history and signature left out."""
    lines = [_QUOTE_MARKS.sub("", line) for line in quoted.split("\n")]
    lines = [line for line in lines if not (_HEADER_FIELD.match(line) or _SEPARATOR.match(line))]
    return cut_signature(split_reply("\n".join(lines)).new)


def new_subject(subject: str, text: str | None = None) -> str:
    """The subject, or "" for a reply's, and for a forward's unless its note hands the mail over or asks help.

    A forward's subject is the forwarded mail's, written by its first sender: "Fwd: URGENTE - documentos
    de su trámite" over "¿pueden revisar si mi cuenta tiene virus?" is the phishing mail's word, not the
    client's. It stays when the note above says the forwarded mail is the report ("Les reenvío el reporte
    de la sucursal") or asks for help with it ("¿Nos pueden ayudar con esto?", not when it asks whether the
    mail is safe), when there is no note, or when ``text`` is not given.
    """
    if not subject:
        return subject
    if not is_forward_subject(subject):
        return "" if strip_prefixes(subject) != subject.strip() else subject
    if text is None or not maybe_quoted(text):
        return subject
    reply = split_reply(text)
    note = fold(cut_signature(reply.new))
    if reply.quoted and note.strip() and not names_the_request(note):
        return ""
    return subject
