"""Keyword matching shared by the loader and the engine.

Rules and mail are compared in one normal form, ``mailbot.mail.text.fold``:
case folded, compatibility forms normalised (NFKD) and accents removed, so
"Caída", "caida" and "CAIDA" are the same word. Keywords match whole
words: the folded text is split into words (letters, digits, underscore) and
a keyword matches a run of whole words, so "dns" does not match inside "adnsx". A keyword ending in ``*``
matches words that start with it ("lent*": lenta, lento, lentitud).

All keywords of a rule set go into one :class:`KeywordIndex`; it finds every
keyword present in a text in one pass over that text's distinct words, so the
cost per mail barely grows with the number of rules.
"""

from __future__ import annotations

import itertools
import re

from mailbot.mail.text import fold

WORD = re.compile(r"\w+")

# Splitting into words is most of the cost of finding keywords. Folded text is nearly
# always ASCII words with ASCII or non-ASCII punctuation between them: then bytes are
# split faster than a regular expression can, with the very same result.
_NON_ASCII_WORD_CHAR = re.compile(r"[^\W\x00-\x7f]")
_ASCII_WORDS = bytes(b if (chr(b).isalnum() and b < 128) or b == 0x5F else 0x20 for b in range(256))


def words(text: str) -> list[str]:
    """The words of ``text``, as ``WORD.findall(text)``."""
    if text.isascii() or not _NON_ASCII_WORD_CHAR.search(text):
        return text.encode("ascii", "replace").translate(_ASCII_WORDS).decode("ascii").split()
    return WORD.findall(text)


# A prefix keyword shorter than this would match far too many words.
MIN_PREFIX = 3
_MEMO_LIMIT = 100_000


def normalize_keyword(keyword: str) -> str:
    """The canonical form of a keyword: folded words joined by one space, ``*`` kept at the end.

    Raises ValueError with a message for ops when the keyword cannot work.
    """
    if not isinstance(keyword, str):
        raise ValueError(f"keyword {keyword!r} is not a string")
    text = keyword.strip()
    prefix = text.endswith("*")
    if prefix:
        text = text[:-1]
    if "*" in text:
        raise ValueError(f"keyword {keyword!r}: '*' is only allowed at the end of a keyword")
    words = WORD.findall(fold(text))
    if not words:
        raise ValueError(f"keyword {keyword!r} has no letters or digits")
    if prefix and (len(words[-1]) < MIN_PREFIX or not text.rstrip()[-1:].isalnum()):
        raise ValueError(f"keyword {keyword!r}: a prefix needs at least {MIN_PREFIX} letters right before '*'")
    return " ".join(words) + ("*" if prefix else "")


class KeywordIndex:
    """Every keyword of a rule set, arranged to be found in one pass over a text.

    The work per text is a handful of set operations done in C: its distinct
    words against the single-word keywords, its word pairs against the
    two-word phrases (and the first pair of longer phrases), the first three
    letters of its words against the prefixes. Only the few candidates those
    leave are checked one by one, so the cost follows the length of the text
    and the keywords it actually contains, not the number of rules.
    """

    def __init__(self, keywords):
        # The most words a keyword has: a phrase can straddle a cut by one word less.
        self.longest = max((kw.count(" ") + 1 for kw in set(keywords)), default=1)
        singles = set()
        pairs: dict[tuple[str, str], str] = {}
        # first two words -> [(" w1 w2 w3 ", keyword)]: checked in the joined text
        longer: dict[tuple[str, str], list[tuple[str, str]]] = {}
        # first word -> [(" w1 pre", keyword)]: phrases whose last word is a prefix
        prefix_phrases: dict[str, list[tuple[str, str]]] = {}
        # first three letters -> [prefix]
        prefixes: dict[str, list[str]] = {}
        for kw in set(keywords):
            is_prefix = kw.endswith("*")
            words = kw.rstrip("*").split(" ")
            if len(words) == 1 and not is_prefix:
                singles.add(words[0])
            elif len(words) == 1:
                prefixes.setdefault(words[0][:MIN_PREFIX], []).append(words[0])
            elif is_prefix:
                prefix_phrases.setdefault(words[0], []).append((" " + " ".join(words), kw))
            elif len(words) == 2:
                pairs[(words[0], words[1])] = kw
            else:
                longer.setdefault((words[0], words[1]), []).append((" " + kw + " ", kw))
        self._singles = frozenset(singles)
        self._pairs = pairs
        self._longer = longer
        self._pair_keys = frozenset(pairs) | frozenset(longer)
        self._prefix_phrases = prefix_phrases
        self._prefix_heads = frozenset(prefix_phrases)
        self._prefixes = prefixes
        # Words repeat from mail to mail: remember which words were already
        # looked up and, for the few that start with a prefix keyword, which
        # ones. Then a mail costs two set operations plus its new words.
        # Bounded; a race between threads only repeats a lookup.
        self._seen: set[str] = set()
        self._prefix_hits: dict[str, tuple[str, ...]] = {}

    def find(self, text: str) -> set[str]:
        """The canonical keywords present in ``text`` (already folded)."""
        return self.find_words(words(text))

    def find_in_start(self, tokens: list[str], n: int, found: set[str]) -> set[str]:
        """The keywords present in ``tokens[:n]``, given ``found``, those present in all of ``tokens``.

        Only the keywords also found near and after the cut can be missing
        from the start; each is looked for there. The start of a reply (what
        is above its quoted history and signature) costs little this way.
        """
        if n >= len(tokens):
            return set(found)
        if n <= 0:
            return set()
        if n <= len(tokens) - n:  # a short start after a long history: as cheap to look it up
            return self.find_words(tokens[:n])
        doubtful = found & self.find_words(tokens[max(0, n - self.longest + 1) :])
        if not doubtful:
            return set(found)
        start = tokens[:n]
        distinct = set(start)
        joined = " " + " ".join(start) + " "
        out = set(found)
        for kw in doubtful:
            if kw.endswith("*"):
                present = " " + kw[:-1] in joined
            elif " " in kw:
                present = " " + kw + " " in joined
            else:
                present = kw in distinct
            if not present:
                out.discard(kw)
        return out

    def find_words(self, tokens: list[str]) -> set[str]:
        """The canonical keywords present in a text split into ``tokens`` (see :func:`words`)."""
        if not tokens:
            return set()
        distinct = set(tokens)
        found = distinct & self._singles
        joined = None
        if self._pair_keys and len(tokens) > 1:
            for pair in self._pair_keys.intersection(itertools.pairwise(tokens)):
                kw = self._pairs.get(pair)
                if kw:
                    found.add(kw)
                for needle, kw in self._longer.get(pair, ()):
                    if joined is None:
                        joined = " " + " ".join(tokens) + " "
                    if needle in joined:
                        found.add(kw)
        if self._prefix_heads:
            for head in self._prefix_heads.intersection(distinct):
                if joined is None:
                    joined = " " + " ".join(tokens) + " "
                for needle, kw in self._prefix_phrases[head]:
                    if needle in joined:
                        found.add(kw)
        if self._prefixes:
            seen, hits = self._seen, self._prefix_hits
            new = distinct - seen
            if new:
                if len(seen) > _MEMO_LIMIT:
                    seen, hits = self._seen, self._prefix_hits = set(), {}
                    new = distinct
                for t in new:
                    hit = tuple(p + "*" for p in self._prefixes.get(t[:MIN_PREFIX], ()) if t.startswith(p))
                    if hit:
                        hits[t] = hit
                seen |= new
            for t in hits.keys() & distinct:
                found.update(hits[t])
        return found
