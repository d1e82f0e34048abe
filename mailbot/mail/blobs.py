"""Large encoded bodies cut out of a mail before the parser reads it, and read back when needed.

The stdlib parser holds a body as a list of line strings and then as one
string: about eight times the mail's size at its peak. A run of base64 lines
of a megabyte or more is therefore cut out of the bytes before parsing and
left as a marker line; the part's body is read back from the original bytes
(one slice, one decode) when it is needed. Memory stays near twice the mail.

Use: ``skeleton, table = cut(raw)``, then parse ``skeleton`` and read the
parts inside ``with reading(raw, table):`` (``payload_bytes``, ``span``,
``restore`` look the markers up there).
"""

from __future__ import annotations

import binascii
import contextvars
import quopri
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from email.message import Message

BLOB_MIN = 1024 * 1024
# Every run of base64-looking lines, possessively (no backtracking stack, and
# finditer resumes after each run: linear in the mail); long ones are cut.
_BLOB = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]{1,998}+\r?\n)++")
_blobs: contextvars.ContextVar[dict | None] = contextvars.ContextVar("mailbot_blobs", default=None)


def cut(raw: bytes) -> tuple[bytes, dict]:
    """Replace long runs of base64 lines by marker lines; returns (skeleton, {marker: (start, end)})."""
    if len(raw) < BLOB_MIN:
        return raw, {}
    token = secrets.token_hex(8)
    table: dict[str, tuple[int, int]] = {}
    pieces, pos = [], 0
    for m in _BLOB.finditer(raw):
        if m.end() - m.start() < BLOB_MIN:
            continue
        marker = f"mailbot-blob-{token}-{len(table)}"
        table[marker] = (m.start(), m.end())
        pieces += [raw[pos : m.start()], marker.encode() + b"\r\n"]
        pos = m.end()
    if not table:
        return raw, {}
    pieces.append(raw[pos:])
    return b"".join(pieces), table


@contextmanager
def reading(raw: bytes, table: dict) -> Iterator[None]:
    """Inside: parts parsed from the skeleton of ``raw`` are read through ``table``."""
    token = _blobs.set({"raw": raw, "table": table} if table else None)
    try:
        yield
    finally:
        _blobs.reset(token)


def span(part: Message) -> tuple[int, int] | None:
    """The (start, end) in the original bytes of a body that was cut out, if this part's is."""
    ctx = _blobs.get()
    if not ctx:
        return None
    payload = getattr(part, "_payload", None)
    if isinstance(payload, str) and len(payload) < 200:
        return ctx["table"].get(payload.strip())
    return None


def restore(parts: Iterable[Message]) -> None:
    """Put the cut-out bodies back (before the tree is written out again)."""
    ctx = _blobs.get()
    if not ctx:
        return
    for part in parts:
        where = span(part)
        if where is not None:
            part._payload = ctx["raw"][where[0] : where[1]].decode("ascii")


def payload_bytes(part: Message) -> bytes:
    """The decoded body of a leaf part (b"" when it has none or it cannot be decoded)."""
    where = span(part)
    if where is not None:
        data = memoryview(_blobs.get()["raw"])[where[0] : where[1]]  # no copy of a big body
        cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte == "base64":
            try:
                return binascii.a2b_base64(data)  # reads the buffer in place; skips line breaks
            except Exception:
                return b""
        if cte == "quoted-printable":
            return quopri.decodestring(bytes(data))
        return bytes(data)  # base64-looking lines in a body that is not base64: the lines themselves
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    return payload if isinstance(payload, bytes) else b""
