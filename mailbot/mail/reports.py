"""Reading delivery reports (RFC 3464): which of our mails bounced, and what the receiving side said.

``ReportReader`` is fed every part of the one MIME walk of ``mailbot.mail.parse``
(in document order) and hands back a ``DeliveryReport``: the Message-IDs of
the original mail, found in ``message/rfc822``, ``message/rfc822-headers`` and
``text/rfc822-headers`` parts, and the first ``Diagnostic-Code`` (or, without
one, ``Status``) of a ``message/delivery-status`` part, cut to 500 characters.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message

from mailbot.mail.blobs import payload_bytes

# The parts that carry the original mail, or its header.
ORIGINAL_TYPES = frozenset({"message/rfc822", "message/rfc822-headers", "text/rfc822-headers"})
DELIVERY_STATUS = "message/delivery-status"
MAX_DIAGNOSTIC = 500
# Looser than the parser's Message-ID pattern on purpose: an original id is only
# looked up among our own outbound mail, never shown or written into a header.
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class DeliveryReport:
    # The Message-IDs of the mail that could not be delivered, in document order (repeats kept).
    original_message_ids: tuple[str, ...] = ()
    # What the receiving side said: the first Diagnostic-Code, or Status, of the report.
    diagnostic: str | None = None


class ReportReader:
    """Collects what a delivery report says, one part at a time."""

    def __init__(self, max_depth: int):
        self._max_depth = max_depth
        self._ids: list[str] = []
        self._diagnostic: str | None = None
        self._has_status = False

    def see(self, part: Message, ctype: str) -> None:
        """One part of the walk (before its children, if the walk goes into them)."""
        if ctype in ORIGINAL_TYPES:
            self._ids += _original_ids(part)
        elif ctype == DELIVERY_STATUS:
            self._has_status = True
            if self._diagnostic is None:
                self._diagnostic = _diagnostic(part)

    def see_inside(self, part: Message, depth: int) -> None:
        """The parts under ``part``, which the walk keeps whole (an attached mail, a report part)."""
        payload = _children(part)
        stack = [(p, depth + 1) for p in reversed(payload)]
        while stack:
            inner, level = stack.pop()
            if level > self._max_depth:
                continue
            try:
                ctype = inner.get_content_type()
            except Exception:
                continue
            self.see(inner, ctype)
            stack.extend((p, level + 1) for p in reversed(_children(inner)))

    def report(self, content_type: str) -> DeliveryReport | None:
        """The report of a mail whose type is ``content_type``: None unless it is one (or holds a status part)."""
        if not (content_type.startswith("multipart/report") or self._has_status):
            return None
        return DeliveryReport(original_message_ids=tuple(self._ids), diagnostic=self._diagnostic)


def _children(part: Message) -> list[Message]:
    try:
        payload = part.get_payload()
    except Exception:
        payload = getattr(part, "_payload", None)
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _original_ids(part: Message) -> list[str]:
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    try:
        if isinstance(payload, list) and payload:
            mid = payload[0].get("Message-ID")
        else:
            # Only the header of the original, as text: read it as a mail of its own.
            mid = email.message_from_bytes(payload_bytes(part)).get("Message-ID")
    except Exception:
        return []
    return _MSGID.findall(str(mid)) if mid else []


def _diagnostic(part: Message) -> str | None:
    try:
        blocks = part.get_payload()
    except Exception:
        return None
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        code = block.get("Diagnostic-Code") or block.get("Status")
        if code:
            return str(code)[:MAX_DIAGNOSTIC]
    return None
