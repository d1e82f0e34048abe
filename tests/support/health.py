"""What ops see of a running mailbot over HTTP: /healthz and /metrics on its [health] port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def http_get(port: int, path: str) -> tuple[int, str]:
    """The HTTP status and body of ``path`` (an error status is an answer too; OSError when nothing listens)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def healthz(port: int) -> tuple[int, dict]:
    code, body = http_get(port, "/healthz")
    return code, json.loads(body)


def health_or_none(port: int) -> dict | None:
    """/healthz read, healthy or not; None while nothing answers on ``port``."""
    try:
        return healthz(port)[1]
    except OSError:
        return None


def metric(text: str, name: str) -> float | None:
    """The value of the sample ``name`` (labels included, as written) in a /metrics page; None when absent."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None
