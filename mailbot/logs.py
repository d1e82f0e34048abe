"""Logging: one line per event, human-readable or JSON."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra={"fields": {...}}`` adds machine-readable fields."""

    def format(self, record):
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class DemoteToDebug(logging.Filter):
    """Log a library's INFO records as DEBUG: shown with -v, dropped otherwise.

    aiosmtpd (logger ``mail.log``) writes about ten INFO lines per LMTP
    delivery ("Peer: ...", "AUTH mechanisms: ...", "EHLO ..."): routine for a
    daemon that takes every delivery, and they would bury mailbot's own one
    line per mail. Its warnings and errors stay as they are.
    """

    def filter(self, record):
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            # The logger's level check has passed already (it saw INFO): ask again for DEBUG.
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


def configure(level=logging.INFO, json_logs: bool = False):
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("imapclient", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    smtp_sessions = logging.getLogger("mail.log")
    smtp_sessions.filters[:] = [f for f in smtp_sessions.filters if not isinstance(f, DemoteToDebug)]
    smtp_sessions.addFilter(DemoteToDebug())
