"""Engines and sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from mailbot import resources
from mailbot.errors import TemporaryFailure, Unavailable


def safe_url(url) -> str:
    """``url`` (a string or a SQLAlchemy URL) with any password hidden, for messages and logs."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: still never show what looks like a password
        shown = re.sub(r"(://[^/@:]*:)[^@]*@", r"\1***@", str(url))
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", shown)


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL; None for an in-memory or a server database."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for ``url``; with ``create=False`` a missing SQLite file is an error, not a new database.

    Read-only commands pass ``create=False``: run from the wrong folder they
    must say where they looked, not open a fresh empty database and report
    that there is nothing in it.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None and not create and not path.is_file():
            raise Unavailable(f"no database at {safe_url(url)} (run `mailbot db upgrade`, or give --config)")
        if path is not None and create:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Unavailable(
                    f"cannot create the folder {path.parent} for the database {safe_url(url)}: {exc.strerror or exc}"
                ) from None
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy's BEGIN take the write lock up front (see below),
            # instead of pysqlite's implicit transactions.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE: a writer waits for the lock at BEGIN rather than
            # failing half-way with "database is locked" on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    # application_name: ops can tell mailbot's sessions apart in pg_stat_activity; a name the URL
    # gives (?application_name=, or options=-capplication_name=...) is theirs to choose.
    named = "application_name" in url
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={} if named else {"application_name": "mailbot"},
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# alembic is imported inside the functions that need it: it costs about 0.12 s to import,
# paid only where the schema is read or upgraded.
def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    # The option goes through ConfigParser interpolation: a "%" in the path must be doubled.
    cfg.set_main_option("script_location", str(resources.shipped("migrations")).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def reaching(engine: Engine):
    """Turn "cannot connect" into one line naming the database (password hidden)."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = reason[0] if reason else type(exc).__name__
        where = safe_url(engine.url)
        if engine.dialect.name == "sqlite" and "locked" in reason:
            raise TemporaryFailure(f"the database {where} is held by another process ({reason}); try again") from None
        raise Unavailable(f"cannot reach the database {where}: {reason}") from None


_UPGRADE_LOCK = 0x6D61696C626F7401  # "mailbot" + 1: one migrator at a time per database

# The newest migration's revision (``tests/unit/test_schema.py`` holds it to alembic's head). A
# database already there needs no alembic at all: importing it and reading the migrations cost a
# quarter of a second of every start, a fifth of the daemon's.
SCHEMA_HEAD = "0012"


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is this mailbot's newest, by one plain query."""
    # A locked or unreachable database is said once, here, in reaching()'s words; only a missing
    # version table (no schema yet) sends the caller down the full way.
    with reaching(engine), engine.connect() as conn:
        try:
            found = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except (sa_exc.ProgrammingError, sa_exc.OperationalError) as exc:
            if "alembic_version" in str(getattr(exc, "orig", exc)):
                return False
            raise
    return found == [SCHEMA_HEAD]


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent, safe when processes start together)."""
    if at_head(engine):
        return
    from alembic import command
    from alembic.util import CommandError

    cfg = alembic_config(engine)
    with reaching(engine):
        try:
            if engine.dialect.name != "postgresql":
                command.upgrade(cfg, "head")  # SQLite: BEGIN IMMEDIATE serialises writers
                return
            # Several processes starting at once would race to create the same tables:
            # the first migrates, the others wait here and then find nothing to do.
            with engine.connect() as lock:
                lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _UPGRADE_LOCK})
                try:
                    command.upgrade(cfg, "head")
                finally:
                    lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _UPGRADE_LOCK})
                    lock.commit()
        except CommandError as exc:
            _refuse_unknown_revision(engine)  # the likely cause, said plainly
            raise Unavailable(f"cannot upgrade the database {safe_url(engine.url)}: {exc}") from None


def schema_revisions(engine: Engine) -> tuple[str | None, str, set[str]]:
    """(the database's revision or None, this mailbot's newest, every revision this mailbot knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    with reaching(engine), engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head(), known


def _refuse_unknown_revision(engine: Engine, revisions=None) -> None:
    current, head, known = revisions or schema_revisions(engine)
    if current is not None and current not in known:
        raise Unavailable(
            f"the database {safe_url(engine.url)} is at schema {current}, which this mailbot "
            f"(newest {head}) does not know: a newer mailbot upgraded it; run that version"
        )


def require_current(engine: Engine) -> None:
    """Refuse a database this mailbot cannot read as it is: no schema, an older one, or a newer one."""
    if at_head(engine):
        return
    revisions = schema_revisions(engine)
    current, head, _known = revisions
    if current == head:
        return
    where = safe_url(engine.url)
    if current is None:
        raise Unavailable(
            f"the database {where} has no mailbot schema: run `mailbot db upgrade` (with the same --config)"
        )
    _refuse_unknown_revision(engine, revisions)
    raise Unavailable(
        f"the database {where} is at schema {current}, older than this mailbot's {head}: run `mailbot db upgrade`"
    )


def is_current(engine: Engine) -> bool:
    current, head, _known = schema_revisions(engine)
    return current == head
