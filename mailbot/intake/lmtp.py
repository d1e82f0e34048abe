"""LMTP (or SMTP) listener: an MTA delivers here; 250 only after the commit.

Deliveries that arrive while others are being taken in wait for them and
then go in together (``GroupCommit``): one transaction, one flush, one
commit, and the ticket counter taken once for all of them. One mail a
transaction, each in a thread of its own, had every session of a busy MTA
queue on the counter row, while the threads took turns at the one core
Python code runs on.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from mailbot.errors import TemporaryFailure
from mailbot.pipeline.core import Item, Pipeline
from mailbot.pipeline.outcome import Outcome

log = logging.getLogger("mailbot.lmtp")

# At most this many deliveries in one transaction: the first of them waits for the last.
GROUP_MAX = 50


class GroupCommit:
    """Takes in, in one batch, the deliveries that arrived while the previous batch was being taken in.

    Runs on the event loop: the list needs no lock. A lone delivery goes in at once, alone.
    """

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self._waiting: list[tuple[Item, asyncio.Future]] = []
        self._running: asyncio.Task | None = None  # held: the loop keeps only a weak reference

    async def deliver(self, raw: bytes, source: str) -> Outcome:
        """The delivery's outcome once committed; raises what ``process_batch`` raises."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((Item(raw, source), future))
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting[:GROUP_MAX], self._waiting[GROUP_MAX:]
                try:
                    outcomes = await asyncio.to_thread(self.pipeline.process_batch, [item for item, _ in group])
                except Exception as exc:  # TemporaryFailure: nothing stored, every sender retries
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
        finally:
            self._running = None


class DeliveryHandler:
    def __init__(self, pipeline: Pipeline, *, lmtp: bool):
        self.pipeline = pipeline
        self.lmtp = lmtp
        self.group = GroupCommit(pipeline)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if session.peer else "?"
        try:
            outcome = await self.group.deliver(raw, f"lmtp:{peer}")
            status = "250 2.0.0 OK " + (outcome.ticket or outcome.action)
        except TemporaryFailure as exc:
            log.warning("temporary failure, asking the MTA to retry: %s", exc)
            status = "451 4.3.0 Temporary failure, try again later"
        except Exception:
            log.exception("delivery failed")
            status = "451 4.3.0 Internal error, try again later"
        if self.lmtp:
            # LMTP answers DATA once per recipient; the message is stored once.
            return "\r\n".join([status] * max(len(envelope.rcpt_tos), 1))
        return status


async def start_listener(pipeline: Pipeline, host: str, port: int, protocol: str = "lmtp"):
    loop = asyncio.get_running_loop()
    handler = DeliveryHandler(pipeline, lmtp=protocol == "lmtp")
    cls = LMTP if protocol == "lmtp" else SMTP
    server = await loop.create_server(
        lambda: cls(
            handler, enable_SMTPUTF8=True, decode_data=False, data_size_limit=None, hostname="mailbot", ident="mailbot"
        ),
        host=host,
        port=port,
    )
    log.info("%s listener on %s:%s", protocol.upper(), host, port)
    return server
