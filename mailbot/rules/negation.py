"""Is a keyword said, or said with a negation? For the ``affirmed`` and ``negated`` operators.

A client states a level ("es crítico", "lo consideramos grave") or denies
one ("no es urgente", "nada grave", "not urgent", "isn't critical"). An
occurrence of a keyword is **negated** when, reading backwards from it
within the same clause, a negation word comes before any word that is not a
small linking word, at most :data:`MAX_GAP` linking words away:

    no es urgente                 negated ("es" links)
    no lo consideramos crítico    negated ("lo", "consideramos" link)
    no es un problema grave       negated ("un", "problema" link)
    no es nada grave              negated ("nada" is itself a negation)
    it's not urgent               negated
    no funciona, es urgente       affirmed (the comma ends the clause)
    no podemos trabajar es grave  affirmed ("trabajar" is no linking word)
    no es crítico pero sí grave   "crítico" negated, "grave" affirmed

Everything works on the folded text (lowercase, no accents) split into the
same words as keywords (:data:`mailbot.rules.fold.WORD`). The word lists
below are the engine's; rules/README.md lists them for ops.
"""

from __future__ import annotations

import functools
import re

from mailbot.rules.fold import WORD

# Words that deny what follows them.
# fmt: off
NEGATIONS = frozenset((
    "no", "ni", "sin", "nada", "nunca", "jamas", "tampoco", "ningun", "ninguna",
    "not", "nothing", "never", "without", "non", "isn", "aren", "wasn", "don", "doesn", "didn",
))

# Words that may stand between a negation and the keyword it denies.
LINKING = frozenset((
    "es", "sea", "son", "sean", "seria", "sera", "era", "fue", "esta", "estan", "este", "parece", "parecen",
    "lo", "la", "le", "los", "las", "nos", "me", "se",
    "considero", "consideramos", "consideraria", "creo", "creemos", "pienso", "pensamos", "diria", "diriamos",
    "que", "de", "del", "un", "una", "tan", "muy", "algo", "realmente", "tanto", "como", "para", "hay", "tiene",
    "tenemos", "problema", "caso", "asunto", "tema", "incidente", "incidencia", "situacion", "falla",
    "is", "it", "s", "t", "this", "that", "be", "very", "so", "too", "really", "a", "an", "the", "we", "i",
    "think", "consider", "considered", "particularly", "at", "all", "problem", "issue", "matter", "case",
))
# fmt: on

# How many linking words may stand between the negation and the keyword.
MAX_GAP = 4

# What ends a clause: punctuation, a dash between spaces, a blank line.
_BREAK = r"[.,;:!?¡¿()\[\]{}\"|«»—–]|\s-+\s|\n[ \t]*\n"
# Reading backwards from a keyword: its words and the clause ends before it.
_TOKEN = re.compile(r"(\w+)|" + _BREAK)
_ANY_NEGATION = re.compile(r"\b(?:" + "|".join(sorted(NEGATIONS)) + r")\b")
# How far back to read: the longest clause a negation can open.
_WINDOW = 100


@functools.lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern:
    """A canonical keyword ("no es urgente", "urgen*") as a pattern over folded text.

    The same match as the keyword index: whole words, in order, whatever
    non-word characters lie between them; a trailing "*" is a prefix.
    """
    prefix = keyword.endswith("*")
    words = keyword.rstrip("*").split(" ")
    body = r"\W+".join(re.escape(w) for w in words)
    return re.compile(r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)"))


def negated(text: str, start: int) -> bool:
    """Is the word at ``start`` of ``text`` denied by a negation before it in its clause?"""
    lo = max(0, start - _WINDOW)
    while lo > 0 and (text[lo - 1].isalnum() or text[lo - 1] == "_"):
        lo -= 1  # not in the middle of a word
    if not _ANY_NEGATION.search(text, lo, start):
        return False  # the usual case, found at once
    for gap, m in enumerate(reversed(list(_TOKEN.finditer(text, lo, start)))):
        w = m.group(1)
        if w is None:
            return False  # the clause ends here
        if w in NEGATIONS:
            return True
        if w not in LINKING or gap == MAX_GAP:
            return False
    return False


def context(text: str, m: re.Match) -> str:
    """The match and up to three words before it in its clause, for explanations."""
    lo = max(0, m.start() - _WINDOW)
    words = []
    for t in reversed(list(_TOKEN.finditer(text, lo, m.start()))):
        if t.group(1) is None or len(words) == 3:
            break
        words.append(t.group(1))
    return " ".join([*reversed(words), *WORD.findall(m.group(0))])
