"""What the command modules share: the object every command gets, the words people type, how output is printed."""

from __future__ import annotations

import json
import re
from datetime import datetime

import click

from mailbot.mail.text import fold
from mailbot.tickets.commands import STATUSES
from mailbot.vocab import Severity, Status


class Ctx:
    """What every command gets (``@click.pass_obj``): the config file, and its settings read on first use."""

    def __init__(self, config_path):
        self.config_path = config_path
        self._settings = None

    @property
    def settings(self):
        if self._settings is None:
            # Imported on first use: pydantic and the config model cost 0.15 s, which `mailbot --help`
            # and a mistyped command line never need.
            from mailbot.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    def app(self, readonly: bool = False, **kw):
        """The runtime objects; ``readonly`` for commands that only look: no database is created or upgraded.

        A missing SQLite file, an unreachable server or an old schema is then
        ``Unavailable`` naming the URL, instead of a fresh empty database that
        answers "no ticket".
        """
        # Imported on first use: the app (SQLAlchemy, the rules, the templates) costs 0.35 s, which
        # `sla deadline`, `check`, `--help` and a mistyped command line never need.
        from mailbot.app import build_app

        if readonly:
            kw.setdefault("upgrade", False)
            kw.setdefault("create", False)
        return build_app(self.settings, **kw)


JSON_HELP = "Print JSON (for scripts) instead of text."


def dump(data) -> None:
    """``--json`` output: indented, non-ASCII as it is, times and other values as their text."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cut(text: str | None, width: int) -> str:
    """One line of at most ``width`` characters, "…" where it was cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def key(text: str) -> str:
    """A typed value in the form the tables use: folded, "_" and spaces as "-" ("En progreso" → "en-progreso")."""
    return re.sub(r"[\s_]+", "-", fold(text.strip()))


class Words(click.ParamType):
    """A fixed set of values, accepting Spanish or English, any case, with or without accents."""

    def __init__(self, name: str, table: dict[str, str], shown: str):
        self.name = name
        self.table = table
        self.shown = shown

    def convert(self, value, param, ctx):
        found = self.table.get(key(value))
        if found is None:
            self.fail(f"{value!r} is not a {self.name}; valid: {self.shown}", param, ctx)
        return found


# The words of `#estado` (mailbot.tickets.commands), "nuevo" (a status no command sets), and the
# stored values, in either spelling.
_STATUS_WORDS = {"nuevo": Status.NEW, **STATUSES, **{s.replace("_", "-"): s for s in Status}}

STATUS = Words("status", _STATUS_WORDS, f"nuevo, {', '.join(STATUSES)} (or {', '.join(Status)})")
SEVERITY = Words("severity", {s: s for s in Severity}, ", ".join(Severity))


def not_blank(ctx, param, value):
    """An option callback: a value given must say something."""
    if value is not None and not value.strip():
        raise click.BadParameter("must not be blank", ctx, param)
    return value


def local_iso(ctx, param, value):
    """``--from``: an ISO time; without an offset, in the configured timezone (set later)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO time; write e.g. 2026-11-27T17:30 or 2026-11-27T17:30-06:00", ctx, param
        ) from None
