"""Test settings: the team, the [imap] and [smtp] sections for the test servers, a whole config and its TOML."""

from __future__ import annotations

import json
from pathlib import Path

from mailbot.config import settings_from_dict

ENGINEERS = ["ana.lopez@imagenti.mx", "luis.garcia@imagenti.mx", "carla.ruiz@imagenti.mx"]
MANAGER = "francisco.martinez@imagenti.mx"
# The authserv-id of our own MTA: its Authentication-Results are the ones that vouch for the team.
AUTHSERV_ID = "mx.imagenti.mx"


def imap_section(dovecot, **kw) -> dict:
    section = {
        "host": "127.0.0.1",
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.USER,
        "password": dovecot.PASSWORD,
        "folder": "INBOX",
        "poll_interval": "1s",
    }
    section.update(kw)
    return section


def smtp_section(sink, **kw) -> dict:
    section = {"host": "127.0.0.1", "port": sink.port, "security": "none"}
    section.update(kw)
    return section


def config_data(data_dir, db_url: str, *, imap: dict | None = None, smtp: dict | None = None, **sections) -> dict:
    """A config for one test's mailbot: data in ``data_dir``, the team, no LMTP; ``sections`` merge into it."""
    data = {
        "mailbot": {"data_dir": str(data_dir)},
        "database": {"url": db_url},
        "lmtp": {"enabled": False},
        "team": {"engineers": ENGINEERS, "manager": MANAGER},
        "security": {"authserv_id": AUTHSERV_ID},
    }
    if imap is not None:
        data["imap"] = imap
    if smtp is not None:
        data["smtp"] = smtp
    merge_sections(data, sections)
    return data


def merge_sections(data: dict, sections: dict) -> dict:
    """Each of ``sections`` updates its table of ``data`` (a new table when there was none)."""
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    return data


def write_settings(path: Path, data: dict):
    """``data`` written to ``path`` (so a test can run the real ``mailbot --config path``) and loaded from it."""
    path.write_text(to_toml(data))
    return settings_from_dict(data, source=path)


def to_toml(data: dict) -> str:
    """Enough TOML for test configs: tables of scalars, lists and sub-tables."""

    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)

    out = []

    def table(prefix, d):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)}
        if scalars or not prefix:
            if prefix:
                out.append(f"[{prefix}]")
            out.extend(f"{k} = {val(v)}" for k, v in scalars.items())
        for k, v in d.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(out) + "\n"
