"""mailbot as ops install it: a wheel in a virtualenv of its own, run from a folder that holds nothing of it.

And the read-only side of the same promise: a command that only reads never
creates a database, and says which database it could not use.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from mailbot.app import build_app
from mailbot.db import engine as dbengine
from mailbot.errors import Unavailable
from mailbot.exitcodes import Exit
from tests.support.config import config_data, imap_section, smtp_section, to_toml
from tests.support.mail import CLIENT, make_mail
from tests.support.servers import free_port, wait_until

# Building the wheel and installing its dependencies into a new virtualenv takes a while on a
# shared 2-core machine (pip's cache keeps it to a download-free install).
pytestmark = [pytest.mark.servers, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
# What the checkout holds that is not the project: never copied into the build.
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", "var", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "mailbot.toml"
)


def _run(cmd, **kw):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The ``mailbot`` script of a wheel built from this checkout, installed in a fresh virtualenv."""
    base = tmp_path_factory.mktemp("install")
    # A copy, so the build's build/ and *.egg-info stay out of the checkout; symlinks kept,
    # as git keeps them (mailbot/defaults/ points at the top-level folders).
    src = base / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=NOT_SOURCE)
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", venv])
    pip = venv / "bin" / "pip"
    _run([pip, "wheel", "--no-deps", "-q", "-w", base / "dist", src])
    [wheel] = (base / "dist").glob("mailbot-*.whl")
    _run([pip, "install", "-q", wheel])
    shutil.rmtree(src)  # nothing of the checkout is left for the installed package to lean on
    where = _run([venv / "bin" / "python", "-c", "import mailbot; print(mailbot.__file__)"], cwd=base).stdout
    assert Path(where.strip()).is_relative_to(venv), where
    return venv / "bin" / "mailbot"


def _env():
    # Only what a service would have: nothing pointing into the checkout or at a test config.
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MAILBOT_", "VIRTUAL_ENV"))}


def mailbot(exe, *args, cwd, config=None, check=True):
    cmd = [exe] + (["--config", config] if config else []) + list(args)
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120, cwd=cwd, env=_env())
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, f"mailbot {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}"
    return proc


def _rows(data):
    # The list's JSON may be a bare list or wrap the rows with counts; only the rows matter here.
    if isinstance(data, list):
        return data
    [rows] = [v for v in data.values() if isinstance(v, list)]
    return rows


def test_the_installed_package_works_from_a_folder_holding_nothing_of_it(installed, tmp_path, dovecot, smtp_sink):
    work, etc, state = tmp_path / "work", tmp_path / "etc" / "mailbot", tmp_path / "var" / "lib" / "mailbot"
    work.mkdir()
    etc.mkdir(parents=True)
    config = etc / "mailbot.toml"
    # The service layout: config alone in its folder, state under absolute paths.
    config.write_text(
        to_toml(
            config_data(
                state, f"sqlite:///{state / 'mailbot.db'}", imap=imap_section(dovecot), smtp=smtp_section(smtp_sink)
            )
        )
    )
    sample = tmp_path / "sample.eml"
    sample.write_bytes(
        make_mail(
            subject="Servidor caído, urgente",
            message_id="<pip1@cliente.com.mx>",
            body="Buen día, el servidor de archivos no responde, es una emergencia.",
        )
    )

    checked = mailbot(installed, "check", cwd=work, config=config)
    assert "error" not in checked.stderr
    mailbot(installed, "db", "upgrade", cwd=work, config=config)
    assert (state / "mailbot.db").is_file()

    # The shipped rules are in force: the sample's words make it critical.
    tried = mailbot(installed, "rules", "test", sample, "--json", cwd=work, config=config)
    assert "critica" in tried.stdout, tried.stdout

    taken = mailbot(installed, "ingest", sample, cwd=work, config=config)
    assert "IMG-000001" in taken.stdout
    listed = mailbot(installed, "tickets", "list", "--json", cwd=work, config=config)
    assert [row["number"] for row in _rows(json.loads(listed.stdout))] == ["IMG-000001"]

    dovecot.append(make_mail(subject="La impresora no imprime", message_id="<pip2@cliente.com.mx>"))
    mailbot(installed, "run", "--once", cwd=work, config=config)
    acks = wait_until(
        lambda: [m for m in smtp_sink.to(CLIENT) if "IMG-000002" in str(m["msg"]["Subject"])],
        30,
        what="the acknowledgement of the IMAP mail at the SMTP sink",
    )
    # The shipped acknowledgement template (in Spanish), read from the installed package.
    assert "Hemos recibido su reporte" in acks[0]["msg"].get_body().get_content()

    assert list(work.iterdir()) == [], "the installed mailbot wrote into the folder it was run from"


def test_a_read_only_command_from_an_empty_folder_creates_nothing_and_names_the_database(installed, tmp_path):
    proc = mailbot(installed, "tickets", "list", cwd=tmp_path, check=False)
    assert proc.returncode == Exit.UNAVAILABLE, proc.stderr
    [line] = proc.stderr.splitlines()
    assert f"sqlite:///{tmp_path.resolve() / 'var' / 'mailbot.db'}" in line
    assert list(tmp_path.iterdir()) == []


# build_app(create=False), in this process, on both databases.


def test_create_false_refuses_a_missing_sqlite_file_and_makes_no_folder(make_settings, tmp_path):
    db = tmp_path / "no" / "such" / "mailbot.db"
    settings = make_settings(db_url=f"sqlite:///{db}")
    with pytest.raises(Unavailable) as info:
        build_app(settings, upgrade=False, create=False)
    assert str(info.value) == f"no database at sqlite:///{db} (run `mailbot db upgrade`, or give --config)"
    assert not (tmp_path / "no").exists()


def test_create_false_names_an_unreachable_server_without_its_password(make_settings):
    port = free_port()
    settings = make_settings(db_url=f"postgresql://mailbot:s3creta@127.0.0.1:{port}/mailbot")
    with pytest.raises(Unavailable) as info:
        build_app(settings, upgrade=False, create=False)
    message = str(info.value)
    assert f"mailbot:***@127.0.0.1:{port}/mailbot" in message and "s3creta" not in message
    assert "\n" not in message


def test_the_daemon_s_upgrade_names_an_unreachable_server_too(make_settings):
    port = free_port()
    settings = make_settings(db_url=f"postgresql://mailbot:s3creta@127.0.0.1:{port}/mailbot")
    with pytest.raises(Unavailable) as info:
        build_app(settings)
    assert f"127.0.0.1:{port}" in str(info.value) and "s3creta" not in str(info.value)


def _migrated_to(db_url, revision):
    engine = dbengine.make_engine(db_url)
    command.upgrade(dbengine.alembic_config(engine), revision)
    engine.dispose()


def test_create_false_refuses_an_older_schema(make_settings, db_url):
    _migrated_to(db_url, "0001")
    settings = make_settings(db_url=db_url)
    with pytest.raises(Unavailable) as info:
        build_app(settings, upgrade=False, create=False)
    assert "is at schema 0001, older than this mailbot's" in str(info.value)
    assert "run `mailbot db upgrade`" in str(info.value)
    build_app(settings).close()  # the daemon's start brings it up to date
    build_app(settings, upgrade=False, create=False).close()


def test_create_false_refuses_a_database_without_the_schema(make_settings, db_url):
    engine = dbengine.make_engine(db_url)  # an empty SQLite file, or an empty PostgreSQL schema
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    with pytest.raises(Unavailable) as info:
        build_app(make_settings(db_url=db_url), upgrade=False, create=False)
    assert "has no mailbot schema: run `mailbot db upgrade`" in str(info.value)


def test_a_schema_from_a_newer_mailbot_is_refused_in_one_line(make_settings, db_url):
    settings = make_settings(db_url=db_url)
    build_app(settings).close()
    engine = dbengine.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for kw in ({"upgrade": False, "create": False}, {}):
        with pytest.raises(Unavailable) as info:
            build_app(settings, **kw)
        assert "is at schema 9999, which this mailbot" in str(info.value), kw
