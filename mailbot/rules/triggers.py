"""Words a glob or a regular expression needs, so rules can be skipped cheaply.

A rule set evaluates a rule only when one of its *trigger* words occurs in
the mail (see ``RuleSet``). For keyword conditions the trigger is the list
itself; this module derives triggers for globs and regular expressions.

Everything here must be sound: a word is returned only when every value
the pattern matches contains it as a whole word (a token of
:data:`mailbot.rules.fold.WORD`). When in doubt the answer is None, and the
rule is simply evaluated for every mail.
"""

from __future__ import annotations

import re

from mailbot.mail.text import fold
from mailbot.rules.fold import WORD

try:  # the parser behind ``re``; private, so any surprise means "no trigger"
    from re import _constants as _C
    from re import _parser as _sre

    _EDGES = (
        _C.AT_BOUNDARY,
        _C.AT_BEGINNING,
        _C.AT_BEGINNING_STRING,
        _C.AT_BEGINNING_LINE,
        _C.AT_END,
        _C.AT_END_STRING,
        _C.AT_END_LINE,
    )
    _REPEATS = tuple(
        getattr(_C, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(_C, name)
    )
except (ImportError, AttributeError):  # pragma: no cover - other Pythons
    _sre = _C = None


def glob_words(glob: str) -> set[str]:
    """Whole words every value matching ``glob`` (folded) must contain.

    A word of a literal part counts when it is bounded on both sides by a
    non-word literal character or by the start/end of the pattern, so it is
    a complete word of any matching value: "*.cliente.com" gives
    {"cliente", "com"}; "cliente*" gives nothing.
    """
    out = set()
    parts = re.split(r"(\*|\?|\[[^\]]*\])", glob)
    for i, part in enumerate(parts):
        if i % 2 or not part:
            continue  # a wildcard
        first, last = i == 0, i == len(parts) - 1
        for m in WORD.finditer(part):
            left = m.start() > 0 or first
            right = m.end() < len(part) or last
            if left and right:
                out.add(m.group(0))
    return out


# Atom kinds of a parsed regular expression, as seen from a neighbouring word.
_EDGE = "edge"  # \b, ^, $, \A, \Z: the neighbour of a word here is no word character
_NONWORD = "nonword"  # one or more characters, none of them a word character
_NONWORD0 = "nonword0"  # zero or more characters, none of them a word character
_CHAR = "char"  # one literal character
_ALTS = "alts"  # one of several literal strings
_GROUP = "group"  # one of several sub-sequences (a branch or a group), analysed in context
_OTHER = "other"


def regex_words(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Folded words of which every match of ``pattern`` contains one, or None."""
    if _sre is None:
        return None
    try:
        parsed = _sre.parse(pattern, flags)
        if parsed.state.flags & (re.ASCII | re.LOCALE):
            return None  # \b would not agree with how the text is split into words
        return _sequence(list(parsed), False, False)
    except Exception:  # any construct this module does not expect
        return None


def _is_word_char(code: int) -> bool:
    return bool(WORD.match(chr(code)))


def _nonword_class(items) -> bool:
    """A character class none of whose members is a word character."""
    for op, av in items:
        if op is _C.LITERAL and not _is_word_char(av):
            continue
        if op is _C.CATEGORY and av in (_C.CATEGORY_SPACE, _C.CATEGORY_NOT_WORD):
            continue
        return False
    return True


def _single_nonword(items) -> bool:
    if len(items) != 1:
        return False
    op, av = items[0]
    if op is _C.LITERAL:
        return not _is_word_char(av)
    return op is _C.IN and _nonword_class(av)


def _literal_string(items) -> str | None:
    if items and all(op is _C.LITERAL for op, _ in items):
        return "".join(chr(av) for _, av in items)
    return None


def _atoms(items):
    """One (kind, value) per parsed item, plus trigger sets found inside repeats."""
    atoms, inner = [], []
    for op, av in items:
        if op is _C.LITERAL:
            atoms.append((_CHAR, chr(av)))
        elif op is _C.AT:
            atoms.append((_EDGE if av in _EDGES else _OTHER, None))
        elif op is _C.IN:
            atoms.append((_NONWORD if _nonword_class(av) else _OTHER, None))
        elif op in _REPEATS:
            low, _high, sub = av
            sub = list(sub)
            if _single_nonword(sub):
                atoms.append((_NONWORD if low >= 1 else _NONWORD0, None))
                continue
            if low >= 1:
                # At least one repetition; its neighbours may be itself, so no context.
                found = _sequence(sub, False, False)
                if found:
                    inner.append(found)
            atoms.append((_OTHER, None))
        elif op is _C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            sub = list(sub)
            if add_flags or del_flags:
                atoms.append((_OTHER, None))
            elif len(sub) == 1 and sub[0][0] is _C.BRANCH:
                atoms.append(_branch(sub[0][1]))
            else:
                text = _literal_string(sub)
                atoms.append((_ALTS, [text]) if text else (_GROUP, [sub]))
        elif op is _C.BRANCH:
            atoms.append(_branch(av))
        else:
            atoms.append((_OTHER, None))
    return atoms, inner


def _branch(av):
    branches = [list(b) for b in av[1]]
    texts = [_literal_string(b) for b in branches]
    if all(texts):
        return (_ALTS, texts)
    return (_GROUP, branches)


def _bounded(atoms, index: int, step: int, edge_ok: bool) -> bool:
    """Is the text next to atom ``index`` (towards ``step``) surely not a word character?"""
    i = index + step
    while 0 <= i < len(atoms):
        kind, value = atoms[i]
        if kind in (_EDGE, _NONWORD):
            return True
        if kind == _CHAR:
            return not WORD.match(value)
        if kind != _NONWORD0:
            return False
        i += step
    return edge_ok  # past the sequence: what surrounds it, if known


def _word_of(text: str, left_ok: bool, right_ok: bool) -> str | None:
    """The longest whole word of literal ``text``, given what surrounds it."""
    best = None
    for m in WORD.finditer(text):
        whole = (m.start() > 0 or left_ok) and (m.end() < len(text) or right_ok)
        if whole and (best is None or len(m.group(0)) > len(best)):
            best = m.group(0)
    return best


def _sequence(items, left_ok: bool, right_ok: bool) -> frozenset[str] | None:
    """Trigger words of a sequence; ``left_ok``/``right_ok``: is it bounded by non-word text?"""
    atoms, candidates = _atoms(items)
    i = 0
    while i < len(atoms):
        kind, value = atoms[i]
        if kind == _CHAR:
            j = i
            while j < len(atoms) and atoms[j][0] == _CHAR:
                j += 1
            text = "".join(v for _, v in atoms[i:j])
            word = _word_of(text, _bounded(atoms, i, -1, left_ok), _bounded(atoms, j - 1, +1, right_ok))
            if word:
                candidates.append(frozenset([fold(word)]))
            i = j
            continue
        if kind in (_ALTS, _GROUP):
            left, right = _bounded(atoms, i, -1, left_ok), _bounded(atoms, i, +1, right_ok)
            if kind == _ALTS:
                found = [_word_of(t, left, right) for t in value]
                found = [frozenset([fold(w)]) if w else None for w in found]
            else:
                found = [_sequence(sub, left, right) for sub in value]
            if all(found):
                candidates.append(frozenset().union(*found))
        i += 1
    if not candidates:
        return None
    return min(candidates, key=lambda s: (len(s), -min(len(w) for w in s)))
