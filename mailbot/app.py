"""The runtime objects one mailbot process works with, built from settings.

Rules and templates can be swapped by a reload; everything else lives as
long as the process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config import Settings
from mailbot.db import engine as dbengine
from mailbot.db.models import utcnow
from mailbot.templates import Templates

log = logging.getLogger("mailbot")


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    templates: Templates
    rules: object | None = None  # mailbot.rules.RuleSet when rules are present
    calendar: object | None = None  # mailbot.calendar.BusinessCalendar
    clock: Callable[[], datetime] = field(default=utcnow)

    def close(self):
        self.engine.dispose()


def load_rules(settings: Settings):
    """The rule set from the rules folder, or None when there is no rules engine or folder."""
    try:
        from mailbot.rules import load_rules as _load
    except ImportError:
        return None
    if not settings.rules_dir.is_dir():
        return None
    return _load(settings.rules_dir, vendors=settings.vendors.keys())


def make_calendar(settings: Settings):
    from mailbot.calendar import BusinessCalendar

    return BusinessCalendar(settings.calendar, settings.mailbot.timezone)


def build_app(settings: Settings, *, upgrade: bool = True, clock=None) -> App:
    engine = dbengine.make_engine(settings.database_url)
    if upgrade:
        dbengine.upgrade(engine)
    app = App(
        settings=settings,
        engine=engine,
        sessions=dbengine.session_factory(engine),
        templates=Templates(settings.templates_dir),
        rules=load_rules(settings),
        calendar=make_calendar(settings),
    )
    if clock is not None:
        app.clock = clock
    return app
