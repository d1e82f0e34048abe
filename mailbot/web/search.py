"""Full-text search over tickets' subjects and what people wrote to the desk: SQLite FTS5 or PostgreSQL.

What is searched: every ticket's subject, and the subject and text of every
mail that came in (``direction = 'in'``: the client's, the team's, a vendor's,
a phone report). What mailbot itself sends (acknowledgements, notices,
reminders) is left out: its boilerplate would match every ticket.

The index (migration 0010, which explains how it is kept in step):

- SQLite: FTS5 tables ``search_messages`` and ``search_tickets`` over the rows
  themselves (external content), tokenizer unicode61 with diacritics removed:
  case and accents do not count ("contraseña" finds "CONTRASENA"). No Spanish
  stemmer ships with SQLite: a word of three letters or more matches as a
  prefix, without its plural and last vowel (``stem``), so "impresoras" finds
  "impresora" and "impresor".
- PostgreSQL: GIN expression indexes on ``to_tsvector('spanish', …)`` of the
  text folded by ``search_fold`` (accents off; the Spanish stemmer would keep
  the ñ), queried with the same expression: Spanish stems, stop words ignored.

The query is data, never search syntax: it is cut into words and "quoted
phrases"; every word must be there (AND). On SQLite each word goes into the
MATCH expression as a quoted string, so FTS5 operators (OR, NOT, NEAR, ``*``,
``^``, column filters, parentheses) typed by the user are just words, and a
quoted phrase must appear as typed; on PostgreSQL the words go through
``plainto_tsquery``, which knows no operators (a phrase's words are required
in any order: see ``_pg_tsquery``). A query of nothing searchable (or only
stop words, on PostgreSQL) finds nothing. At most ``MAX_TERMS`` words and
phrases are taken.

One hit per ticket, for its newest matching mail (or, matched only by its
subject, the ticket's reception), newest first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from mailbot.db.models import MessageRow, Ticket

MAX_QUERY_CHARS = 1000  # a longer query is cut here
MAX_TERMS = 16  # words and phrases taken from the query; the rest are ignored
MAX_TERM_CHARS = 64  # no word is longer; a longer "word" is cut
SNIPPET_CHARS = 180

# A token as FTS5's unicode61 sees one: letters, digits (and private-use characters).
_WORD = re.compile(r"[^\W_]+")
_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|([^"\s]+)')


def _fold_table() -> dict[int, str]:
    """Lower case without accents, one character for one (so positions in the folded text are the original's)."""
    table = {}
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0].lower()
        if len(base) == 1 and base != char and base.isascii():
            table[code] = base
    return table


_FOLD = _fold_table()


def fold(s: str) -> str:
    """``s`` without the accents of Latin letters (ñ → n), same length; case is left to IGNORECASE."""
    return s.translate(_FOLD)


def terms(query: str) -> list[tuple[str, ...]]:
    """The query as words and phrases: each a tuple of words (one word: a word; more: a phrase)."""
    query = unicodedata.normalize("NFC", (query or "")[:MAX_QUERY_CHARS])  # "n" + combining tilde is an ñ
    out: list[tuple[str, ...]] = []
    for phrase, loose in _PHRASE_OR_WORD.findall(query):
        words = [w[:MAX_TERM_CHARS] for w in _WORD.findall(phrase or loose)]
        if not words:
            continue
        if phrase:
            out.append(tuple(words))
        else:  # loose text such as "a-b" or "x.y" is several words
            out.extend((w,) for w in words)
        if len(out) >= MAX_TERMS:
            break
    return out[:MAX_TERMS]


def stem(word: str) -> str:
    """A Spanish word without its plural and its last vowel, for a prefix match: "impresoras" → "impresor".

    Words of three letters or fewer stay whole. Crude next to PostgreSQL's stemmer,
    but what SQLite can do: the prefix finds "impresora", "impresoras", "impresor".
    """
    w = fold(word).lower()
    if len(w) >= 5 and w.endswith("es"):
        w = w[:-2]
    elif len(w) >= 4 and w.endswith("s"):
        w = w[:-1]
    if len(w) >= 5 and w[-1] in "aeo":
        w = w[:-1]
    return w


def fts5_query(parts: list[tuple[str, ...]]) -> str:
    """An FTS5 MATCH expression: each word quoted (so it is only a word), all of them required.

    A lone word of three letters or more matches as a prefix (its ``stem``); a
    phrase's words match whole.
    """
    pieces = []
    for words in parts:
        if len(words) == 1 and len(words[0]) >= 3:
            pieces.append(f'"{stem(words[0])}"*')
        else:  # words are letters and digits only: nothing in them to escape
            pieces.append('"' + " ".join(words) + '"')
    return " AND ".join(pieces)


# The indexed expressions of migration 0010: the query must repeat them exactly for the indexes to serve.
PG_MESSAGE_DOC = "to_tsvector('spanish', search_fold(coalesce(m.subject, '') || ' ' || coalesce(m.body_text, '')))"
PG_TICKET_DOC = "to_tsvector('spanish', search_fold(coalesce(t.subject, '')))"

_RANKED = """
SELECT tid, mid FROM (
    SELECT tid, mid, at, row_number() OVER (PARTITION BY tid ORDER BY at DESC, mid IS NULL, mid DESC) AS n
    FROM ({hits}) AS hits
) AS ranked
WHERE n = 1
ORDER BY at DESC, mid IS NULL, mid DESC, tid DESC
LIMIT :limit
"""

# CROSS JOIN: SQLite then reads the FTS index first and looks each hit up by its id (a plain JOIN
# may walk every inbound message and ask the index about each).
_SQLITE_HITS = """
SELECT m.ticket_id AS tid, m.id AS mid, m.at AS at
FROM search_messages CROSS JOIN messages m ON m.id = search_messages.rowid
WHERE search_messages MATCH :q AND m.direction = 'in' AND m.ticket_id IS NOT NULL
UNION ALL
SELECT t.id, NULL, t.received_at
FROM search_tickets CROSS JOIN tickets t ON t.id = search_tickets.rowid
WHERE search_tickets MATCH :q
"""

_PG_HITS = """
SELECT m.ticket_id AS tid, m.id AS mid, m.at AS at
FROM messages m
WHERE {message_doc} @@ {tsquery} AND m.direction = 'in' AND m.ticket_id IS NOT NULL
UNION ALL
SELECT t.id, NULL, t.received_at
FROM tickets t
WHERE {ticket_doc} @@ {tsquery}
"""


def _pg_tsquery(parts: list[tuple[str, ...]], params: dict) -> str:
    """Every word required: ``plainto_tsquery`` of the words, folded like the index (it knows no operators).

    A phrase's words count as words: matching their order (``phraseto_tsquery``)
    makes PostgreSQL recompute the tsvector of every mail holding them all (a
    GIN index keeps no positions), seconds on a big desk for common words.
    """
    params["w"] = fold(" ".join(w for words in parts for w in words))
    return "plainto_tsquery('spanish', search_fold(:w))"


def search(session: Session, query: str, *, limit: int = 50) -> list[dict]:
    """Tickets whose subject or inbound mail holds every word of ``query``: newest first, one hit per ticket.

    Each hit: ``number``, ``subject`` (the ticket's), ``snippet`` (plain text
    around the first word found), ``status`` and ``at`` (ISO time of the
    matching mail; the ticket's reception when only its subject matched).
    """
    parts = terms(query)
    if not parts or limit <= 0:
        return []
    params: dict = {"limit": int(limit)}
    if session.get_bind().dialect.name == "postgresql":
        tsquery = _pg_tsquery(parts, params)
        hits = _PG_HITS.format(message_doc=PG_MESSAGE_DOC, ticket_doc=PG_TICKET_DOC, tsquery=tsquery)
    else:
        params["q"] = fts5_query(parts)
        hits = _SQLITE_HITS
    ranked = session.execute(text(_RANKED.format(hits=hits)), params).all()
    if not ranked:
        return []
    tickets = {
        t.id: t
        for t in session.execute(
            select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.received_at).where(
                Ticket.id.in_([tid for tid, _ in ranked])
            )
        )
    }
    message_ids = [mid for _, mid in ranked if mid is not None]
    messages = {
        m.id: m
        for m in session.execute(
            select(MessageRow.id, MessageRow.subject, MessageRow.body_text, MessageRow.at).where(
                MessageRow.id.in_(message_ids or [-1])
            )
        )
    }
    words = [w for words in parts for w in words]
    out = []
    for tid, mid in ranked:
        t = tickets[tid]
        m = messages.get(mid) if mid is not None else None
        at: datetime = m.at if m is not None else t.received_at
        texts = [m.body_text or "", m.subject or ""] if m is not None else [t.subject or ""]
        out.append(
            {
                "number": t.number,
                "subject": t.subject,
                "snippet": snippet(texts, words),
                "status": t.status,
                "at": at.isoformat() if at is not None else None,
            }
        )
    return out


def snippet(texts: list[str], words: list[str], width: int = SNIPPET_CHARS) -> str:
    """Plain text around the first of ``words`` found in the first of ``texts`` that has one (else its start)."""
    stems = sorted({stem(w) for w in words}, key=len, reverse=True)
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(s) for s in stems) + ")", re.IGNORECASE)
    chosen, at = next((t for t in texts if t.strip()), ""), 0
    for candidate in texts:
        found = pattern.search(fold(candidate))
        if found:
            chosen, at = candidate, found.start()
            break
    start = max(0, at - width // 3)
    if start:  # begin at a word
        space = chosen.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(chosen), start + width)
    if end < len(chosen):
        space = chosen.rfind(" ", start, end)
        end = space if space > at else end
    shown = " ".join(chosen[start:end].split())
    return ("…" if start > 0 else "") + shown + ("…" if end < len(chosen) else "")
