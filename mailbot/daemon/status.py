"""``mailbot status``: is a daemon running, and is it keeping up?

Answered from the database, which every process shares: the heartbeats
(mailbot/heartbeat.py) say which processes are alive and what each reports of
itself (its IMAP session), and health.facts adds the outbox and the waiting
acknowledgements. No HTTP is needed, so it works with ``[health]`` off and from
another machine on the same PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from mailbot.daemon.health import facts
from mailbot.db.engine import safe_url, sqlite_path
from mailbot.db.heartbeat import EXPIRY, db_now, processes
from mailbot.db.models import utcnow
from mailbot.exitcodes import Exit

# IMAP states in which a session holds the mailbox and takes mail in.
HOLDING = ("idle", "connected")
_NO_FILE = "no database file"


def sqlite_file_missing(url: str) -> Path | None:
    """The SQLite file a URL names, when it does not exist (then no daemon has ever run on it)."""
    path = sqlite_path(url)
    return path if path is not None and not path.exists() else None


def _process(p, now: datetime) -> dict:
    return {
        "id": p.id,
        "host": p.host,
        "pid": p.pid,
        "started_at": p.started_at.isoformat(),
        "beat_at": p.beat_at.isoformat(),
        "beat_age_seconds": round((now - p.beat_at).total_seconds(), 1),
        "facts": p.facts or {},
    }


def gather(app, *, now: datetime | None = None) -> tuple[dict, Exit]:
    """The status as data, and the exit code that goes with it."""
    now = now or utcnow()
    settings = app.settings
    data = facts(app, now=now)
    data["database"]["url"] = safe_url(settings.database_url)
    with app.sessions() as s:
        beat_now = db_now(s)  # heartbeats are on the database's clock (PostgreSQL: the server's)
        alive, dead = processes(s, beat_now)
    data["running"] = bool(alive)
    data["processes"] = [_process(p, beat_now) for p in alive]
    data["last_seen"] = _process(dead[0], beat_now) if dead and not alive else None
    if settings.imap is None:
        data["imap"] = {"state": "off"}
    else:
        sessions = [dict(p.facts["imap"], host=p.host, pid=p.pid) for p in alive if (p.facts or {}).get("imap")]
        # One process holds the mailbox; the others wait on standby (mailbot/lease.py).
        holder = next((i for i in sessions if i.get("state") in HOLDING), None)
        down = next((i for i in sessions if i.get("state") == "disconnected"), None)
        data["imap"] = (
            holder or down or (sessions[0] if sessions else {"state": "disconnected" if alive else "not running"})
        )
    if not alive:
        data["status"] = "not running"
        return data, Exit.NOT_RUNNING
    late = data.get("oldest_unacknowledged_seconds")
    data["acknowledgements_late"] = late is not None and late > settings.sla.acknowledge.total_seconds()
    # Degraded: no mailbox session, or a report already waits longer than the
    # terms allow for its acknowledgement (a relay down, the outbox stuck).
    healthy = (
        data["database"]["reachable"]
        and data["imap"]["state"] in HOLDING + ("off",)
        and not data["acknowledgements_late"]
    )
    data["status"] = "ok" if healthy else "degraded"
    return data, Exit.OK if healthy else Exit.DEGRADED


def not_running(url: str) -> tuple[dict, Exit]:
    """No database at all: nothing has ever run on it."""
    return (
        {
            "status": "not running",
            "running": False,
            "processes": [],
            "last_seen": None,
            "database": {"reachable": False, "url": safe_url(url), "error": _NO_FILE},
        },
        Exit.NOT_RUNNING,
    )


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86400}d"


def lines(data: dict) -> list[str]:
    """The status for a person, in the CLI's language (English)."""
    out = []
    if not data["running"]:
        seen = data.get("last_seen")
        when = (
            f"; last heartbeat {_age(seen['beat_age_seconds'])} ago from {seen['host']} pid {seen['pid']}"
            if seen
            else ""
        )
        out.append(f"status:     not running (no heartbeat in the last {int(EXPIRY.total_seconds())}s{when})")
    else:
        out.append(f"status:     {data['status']}")
        for p in data["processes"]:
            mode = p["facts"].get("mode", "run")
            out.append(
                f"process:    {p['host']} pid {p['pid']} ({mode}), last heartbeat {_age(p['beat_age_seconds'])} ago"
            )
    db = data["database"]
    if db.get("error") == _NO_FILE:
        out.append(f"database:   none yet at {db['url']} (nothing has run with this config)")
    else:
        out.append(
            f"database:   {'reachable' if db['reachable'] else 'UNREACHABLE'} {db.get('url', '')}"
            + (f" ({db['error']})" if db.get("error") else "")
        )
    imap = data.get("imap")
    if imap is not None:
        if imap["state"] == "off":
            out.append("imap:       IMAP intake is off (no [imap] in the config)")
        elif "mailbox" in imap:
            out.append(
                f"imap:       {imap['state']} {imap['mailbox']} on {imap['host']} pid {imap['pid']}, "
                f"{imap.get('reconnects', 0)} reconnects"
                + (f", last error: {imap['last_error']}" if imap.get("last_error") else "")
            )
        else:
            out.append(f"imap:       {imap['state']}")
    if "outbox" in data:
        o = data["outbox"]
        out.append(
            f"outbox:     {o['queued']} queued, {o['failed']} failed"
            + (f", oldest queued {_age(o['oldest_queued_seconds'])} ago" if o["oldest_queued_seconds"] else "")
        )
        oldest = data.get("oldest_unacknowledged_seconds")
        out.append(
            "unacknowledged: "
            + (f"oldest waiting {_age(oldest)}" if oldest is not None else "none")
            + (" — LATE: past the acknowledgement deadline" if data.get("acknowledgements_late") else "")
        )
    if data.get("escalations"):
        e = data["escalations"]
        out.append(
            f"escalations: {e['manager']} to the manager ({e['sla_breaches']} for SLA breaches), "
            f"{e['vendor']} to vendors"
        )
    return out
