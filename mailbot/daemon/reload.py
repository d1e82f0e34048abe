"""Reloading what ops edit (rules, templates, most of the config) in a running daemon.

A reload builds a complete new ``App`` beside the running one and swaps it in
with one assignment, so a message in flight finishes with the set it started
with and the next one sees the new set whole. When anything in the new set
is wrong, nothing is swapped: the last good set stays in force.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from mailbot.app import App, make_calendar
from mailbot.config import load_settings
from mailbot.daemon.checks import check_all
from mailbot.errors import OpsInputError

log = logging.getLogger("mailbot.reload")

# Sections whose change needs a restart: connections and listeners already open.
RESTART_ONLY = ("database", "imap", "smtp", "lmtp", "outbox", "health")


@dataclass
class ReloadResult:
    app: App | None  # the new App, or None when the reload was refused
    problems: list  # (file, line, message) that refused it
    restart_needed: list[str]  # sections changed on disk that keep their running values

    @property
    def ok(self) -> bool:
        return self.app is not None


def reload_app(app: App) -> ReloadResult:
    """The new set of config, rules and templates, checked whole; the running ``app`` is left as it is."""
    old = app.settings
    try:
        new = load_settings(old.source) if old.source is not None else old
    except OpsInputError as exc:
        return ReloadResult(None, list(exc.problems), [])
    changed = [name for name in RESTART_ONLY if getattr(new, name) != getattr(old, name)]
    new = new.model_copy(update={name: getattr(old, name) for name in RESTART_ONLY})
    # The web board's listener is bound once; who may sign in, proxies and the session take effect now.
    listener = ("enabled", "host", "port")
    if any(getattr(new.web, k) != getattr(old.web, k) for k in listener):
        changed.append("web (enabled, host, port)")
        new = new.model_copy(update={"web": new.web.model_copy(update={k: getattr(old.web, k) for k in listener})})
    if new.mailbot.timezone != old.mailbot.timezone:
        # The scheduler's calendar jobs were set up in the old zone: keep one zone until a restart.
        changed.append("mailbot.timezone")
        new = new.model_copy(update={"mailbot": new.mailbot.model_copy(update={"timezone": old.mailbot.timezone})})
    # The rules and templates that passed the check are the ones put in force: a file that changes
    # again in between cannot slip in unchecked.
    loaded: dict = {}
    problems, _warnings = check_all(new, loaded)
    if problems:
        return ReloadResult(None, problems, changed)
    fresh = replace(
        app, settings=new, templates=loaded["templates"], rules=loaded["rules"], calendar=make_calendar(new)
    )
    return ReloadResult(fresh, [], changed)


def log_result(result: ReloadResult) -> None:
    for file, line, msg in result.problems:
        log.error("reload refused: %s%s: %s", file, f":{line}" if line else "", msg)
    if not result.ok:
        log.error("reload refused: the rules, templates and config loaded before stay in force")
        return
    for name in result.restart_needed:
        log.warning("reload: %s changed on disk; it takes effect at the next restart", name)
    rules = result.app.rules
    log.info(
        "reloaded: %s rules, %s templates",
        len(rules.rules) if rules is not None else 0,
        len(result.app.templates.sources),
    )
