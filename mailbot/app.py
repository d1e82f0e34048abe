"""The runtime objects one mailbot process works with, built from settings.

A reload (``daemon.reload``) builds a new ``App`` with fresh settings,
rules, templates and calendar on the same engine; the engine lives as long
as the process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db import engine as dbengine
from mailbot.db.models import utcnow
from mailbot.errors import ConfigError
from mailbot.outbound.templates import Templates
from mailbot.rules import RuleSet
from mailbot.rules import load_rules as load_rules_folder
from mailbot.sla.calendar import BusinessCalendar


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    templates: Templates
    rules: RuleSet | None = None  # build_app always loads one
    calendar: BusinessCalendar | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    def close(self):
        self.engine.dispose()


def load_rules(settings: Settings) -> RuleSet:
    """The rule set in force: ops' rules folder (it replaces the shipped rules whole), else the shipped one."""
    problems = settings.folder_problems("rules")
    if problems:
        raise ConfigError(problems)
    return load_rules_folder(settings.rules_dir, vendors=settings.vendors.keys())


def load_templates(settings: Settings) -> Templates:
    """The templates in force: ops' folder file by file, the shipped templates for what it lacks."""
    problems = settings.folder_problems("templates")
    if problems:
        raise ConfigError(problems)
    return Templates(settings.templates_dirs)


def make_calendar(settings: Settings) -> BusinessCalendar:
    return BusinessCalendar.from_settings(settings)


def build_app(
    settings: Settings,
    *,
    upgrade: bool = True,
    clock=None,
    create: bool = True,
    rules: RuleSet | None = None,
    templates: Templates | None = None,
) -> App:
    """The runtime objects for ``settings``.

    ``upgrade``: bring the schema to this mailbot's newest first (the daemon,
    ``ingest``). ``create=False`` is for commands that only read or change
    existing tickets: a missing SQLite file, an unreachable server or a schema
    that is not this mailbot's raise ``Unavailable`` naming the database, and
    no file or folder is created.
    """
    # Ops' files first: a mistake in them is reported before anything touches the database.
    # ``rules`` and ``templates``: the ones a caller has just read from ``settings`` (``check_all``).
    templates = templates if templates is not None else load_templates(settings)
    rules = rules if rules is not None else load_rules(settings)
    calendar = make_calendar(settings)
    engine = dbengine.make_engine(settings.database_url, create=create)
    try:
        if upgrade:
            dbengine.upgrade(engine)
        elif not create:
            dbengine.require_current(engine)
    except BaseException:
        engine.dispose()
        raise
    app = App(
        settings=settings,
        engine=engine,
        sessions=dbengine.session_factory(engine),
        templates=templates,
        rules=rules,
        calendar=calendar,
    )
    if clock is not None:
        app.clock = clock
    return app
