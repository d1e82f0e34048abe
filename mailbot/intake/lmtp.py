"""LMTP (or SMTP) listener: an MTA delivers here; 250 only after the commit."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from mailbot.errors import TemporaryFailure
from mailbot.pipeline.core import Pipeline

log = logging.getLogger("mailbot.lmtp")


class DeliveryHandler:
    def __init__(self, pipeline: Pipeline, *, lmtp: bool):
        self.pipeline = pipeline
        self.lmtp = lmtp

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if session.peer else "?"
        try:
            outcome = await asyncio.to_thread(self.pipeline.process, raw, source=f"lmtp:{peer}")
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
