"""How many: the number written before a word, for the ``count`` operator.

"10 personas", "las 6 computadoras", "más de 80 equipos", "treinta y dos
cajas", "ten new remote users": the number is the nearest one before the
counted word, with at most :data:`MAX_BETWEEN` other words in between
("8 software developers"), none of them a small word such as "de", "los"
or "the" ("desde las 9 los usuarios" counts nobody). Digits and number
words in Spanish and English are read, on the folded text (lowercase, no
accents).
"""

from __future__ import annotations

import re

MAX_BETWEEN = 2

NUMBER_WORDS = {
    # Spanish
    "un": 1, "uno": 1, "una": 1, "par": 2, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintitantos": 20,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100, "cientos": 100, "doscientos": 200, "trescientos": 300, "quinientos": 500,
    "mil": 1000, "miles": 1000, "decenas": 30, "docenas": 36,
    # English
    "one": 1, "two": 2, "couple": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "hundreds": 100,
    "thousand": 1000, "thousands": 1000, "dozen": 12, "dozens": 36,
}  # fmt: skip
# Counted with "de"/"of" before the word: "decenas de equipos", "un par de usuarios", "dozens of users".
_COLLECTIVE = frozenset(
    ("par", "decenas", "docenas", "cientos", "miles", "couple", "dozen", "dozens", "hundreds", "thousands")
)

# Words that may not stand between the number and the counted word.
# fmt: off
_SMALL = frozenset((
    "de", "del", "el", "la", "los", "las", "lo", "en", "a", "al", "y", "o", "con", "por", "para", "que", "se", "sus",
    "su", "nuestros", "nuestras", "mis",
    "the", "of", "in", "on", "at", "to", "and", "or", "with", "for", "by", "from", "our", "my", "their", "its",
))
# fmt: on
_ANY_NUMBER = re.compile(r"\d|\b(?:" + "|".join(sorted(NUMBER_WORDS)) + r")\b")
_TOKEN = re.compile(r"(\w+)|[.,;:!?¡¿()\[\]{}\"|«»—–]|\n[ \t]*\n")
_WINDOW = 80


def _value(word: str) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= 7 else None
    return NUMBER_WORDS.get(word)


def number_before(text: str, start: int) -> int | None:
    """The number written just before position ``start`` of ``text`` (see the module), or None."""
    lo = max(0, start - _WINDOW)
    while lo > 0 and (text[lo - 1].isalnum() or text[lo - 1] == "_"):
        lo -= 1
    if not _ANY_NUMBER.search(text, lo, start):
        return None  # the usual case, found at once
    tokens = [m.group(1) for m in _TOKEN.finditer(text, lo, start)]
    for between, i in enumerate(range(len(tokens) - 1, -1, -1)):
        w = tokens[i]
        if w is None:
            return None  # a clause ends before a number was found
        n = _value(w)
        if n is not None:
            # "treinta y dos": tens, "y", a unit
            if n < 10 and i >= 2 and tokens[i - 1] == "y" and (tens := _value(tokens[i - 2] or "")) and tens >= 20:
                n += tens
            return n
        if w in ("de", "of") and i and tokens[i - 1] in _COLLECTIVE:
            return NUMBER_WORDS[tokens[i - 1]]
        if w in _SMALL or between == MAX_BETWEEN:
            return None
    return None
