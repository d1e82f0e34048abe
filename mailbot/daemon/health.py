"""What ops need to see that a mailbot process is alive and keeping its promises.

``facts`` gathers them (the same dict serves ``/healthz``, the live gauges
of ``/metrics`` and ``mailbot status``); ``HealthServer`` serves them over
HTTP on loopback, in a thread of its own so a slow scrape never holds up mail.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import func, select, text

from mailbot.db.models import Escalation, MessageRow, Outbox, Ticket, utcnow
from mailbot.vocab import MessageKind, SendStatus

log = logging.getLogger("mailbot.health")


def facts(app, imap=None, *, now: datetime | None = None) -> dict:
    now = now or utcnow()
    out: dict = {
        "time": now.isoformat(),
        "database": {"reachable": False},
        "outbox": {"queued": 0, "failed": 0, "oldest_queued_seconds": None},
        "oldest_unacknowledged_seconds": None,
    }
    try:
        with app.sessions() as s:
            s.execute(text("SELECT 1"))
            out["database"]["reachable"] = True
            counts = dict(
                s.execute(
                    select(Outbox.status, func.count())
                    .where(Outbox.status.in_((SendStatus.QUEUED, SendStatus.FAILED)))
                    .group_by(Outbox.status)
                ).all()
            )
            oldest_queued = s.scalar(select(func.min(Outbox.created_at)).where(Outbox.status == SendStatus.QUEUED))
            waiting = s.scalar(
                select(func.min(Ticket.received_at))
                .join(MessageRow, MessageRow.ticket_id == Ticket.id)
                .where(MessageRow.kind == MessageKind.ACK, MessageRow.status == SendStatus.QUEUED)
            )
            esc = s.execute(
                select(Escalation.level, Escalation.reason, func.count()).group_by(Escalation.level, Escalation.reason)
            ).all()
        out["escalations"] = {
            "manager": sum(n for level, _r, n in esc if level == 2),
            "vendor": sum(n for level, _r, n in esc if level == 3),
            "sla_breaches": sum(n for _l, reason, n in esc if reason == "sla_breach"),
        }
        out["outbox"] = {
            "queued": counts.get(SendStatus.QUEUED, 0),
            "failed": counts.get(SendStatus.FAILED, 0),
            "oldest_queued_seconds": _age(now, oldest_queued),
        }
        out["oldest_unacknowledged_seconds"] = _age(now, waiting)
    except Exception as exc:
        out["database"]["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if imap is not None:
        st = imap.stats
        out["imap"] = {
            "mailbox": imap.mailbox_key,
            "state": st.state,
            "reconnects": st.reconnects,
            "fetched": st.fetched,
            "last_error": st.last_error,
        }
    healthy = out["database"]["reachable"] and (imap is None or out["imap"]["state"] != "disconnected")
    out["status"] = "ok" if healthy else "degraded"
    return out


def _age(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:  # SQLite aggregates come back naive (UTC)
        then = then.replace(tzinfo=UTC)
    return round(max((now - then).total_seconds(), 0.0), 3)


class HealthServer:
    """``/healthz`` (``get_facts()`` as JSON) and ``/metrics`` (``get_metrics()``: a content type and the bytes)."""

    def __init__(self, host: str, port: int, get_facts, get_metrics):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    data = get_facts()
                    self._send(
                        200 if data["status"] == "ok" else 503,
                        "application/json",
                        json.dumps(data, ensure_ascii=False, default=str).encode(),
                    )
                elif path == "/metrics":
                    self._send(200, *get_metrics())
                else:
                    self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

            def _send(self, code, ctype, body):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):  # scrapes are not news
                log.debug("health %s", fmt % args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        # serve_forever looks for a shutdown request between waits of poll_interval
        # (0.5 s by default): a tenth of a second keeps a daemon's stop prompt.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="health", daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
