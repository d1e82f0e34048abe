import os
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

import pytest

from tests.servers import PG_URL, Dovecot, SmtpSink, make_certs, postgres_available, unavailable


def pytest_configure(config):
    os.environ.setdefault("MAILBOT_TEST_RUN", "1")


@pytest.fixture(scope="session")
def dovecot_server():
    server = Dovecot().start()
    yield server
    server.cleanup()


@pytest.fixture
def dovecot(dovecot_server):
    if dovecot_server.proc is None:  # a test stopped it
        dovecot_server.start()
    dovecot_server.reset()
    return dovecot_server


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory):
    """A throwaway CA and a server certificate for 127.0.0.1/localhost (``CertFiles``)."""
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def dovecot_tls_server(tls_certs):
    server = Dovecot(tls=tls_certs).start()
    yield server
    server.cleanup()


@pytest.fixture
def dovecot_tls(dovecot_tls_server):
    """Dovecot with STARTTLS on ``port`` and implicit TLS on ``tls_port``."""
    if dovecot_tls_server.proc is None:  # a test stopped it
        dovecot_tls_server.start()
    dovecot_tls_server.reset()
    return dovecot_tls_server


@pytest.fixture
def smtp_sink_factory(tls_certs):
    """Start SmtpSink(tls=..., auth=...) instances for one test; all stop afterwards."""
    sinks = []

    def make(**kw):
        kw.setdefault("certs", tls_certs)
        sink = SmtpSink(**kw).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()


@pytest.fixture(scope="session")
def smtp_server():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_server):
    smtp_server.clear()
    smtp_server.refuse = None
    smtp_server.delay = 0.0
    yield smtp_server
    smtp_server.refuse = None
    smtp_server.delay = 0.0


@pytest.fixture(scope="session")
def _pg_ok():
    return postgres_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, _pg_ok):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/mailbot.db"
        return
    if not _pg_ok:
        unavailable(f"PostgreSQL is not reachable at {PG_URL}")
    yield from _pg_schema()


@pytest.fixture
def pg_url(_pg_ok):
    if not _pg_ok:
        unavailable(f"PostgreSQL is not reachable at {PG_URL}")
    yield from _pg_schema()


def _pg_schema():
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


ENGINEERS = ["ana.lopez@imagenti.mx", "luis.garcia@imagenti.mx", "carla.ruiz@imagenti.mx"]
MANAGER = "francisco.martinez@imagenti.mx"


@pytest.fixture
def make_settings(tmp_path):
    """Settings for a test: data in tmp_path; pass sections to override."""
    from mailbot.config import settings_from_dict

    def make(db_url=None, imap=None, smtp=None, **sections):
        data = {
            "mailbot": {"data_dir": str(tmp_path / "var")},
            "database": {"url": db_url or f"sqlite:///{tmp_path}/mailbot.db"},
            "lmtp": {"enabled": False},
            "team": {"engineers": ENGINEERS, "manager": MANAGER},
            "security": {"authserv_id": "mx.imagenti.mx"},
        }
        if imap is not None:
            data["imap"] = imap
        if smtp is not None:
            data["smtp"] = smtp
        for key, value in sections.items():
            data.setdefault(key, {}).update(value)
        # Also written out, so tests can run the real `mailbot --config` on it.
        path = tmp_path / "mailbot.toml"
        path.write_text(to_toml(data))
        return settings_from_dict(data, source=path)

    return make


def imap_section(dovecot, **kw):
    section = {"host": "127.0.0.1", "port": dovecot.port, "security": "none", "username": dovecot.USER,
               "password": dovecot.PASSWORD, "folder": "INBOX", "poll_interval": "1s"}
    section.update(kw)
    return section


def smtp_section(sink, **kw):
    section = {"host": "127.0.0.1", "port": sink.port, "security": "none"}
    section.update(kw)
    return section


def make_mail(
    *,
    sender="Juan Pérez <juan.perez@cliente.com.mx>",
    to="soporte@imagenti.mx",
    subject="Problema con el antivirus",
    body="Buen día, el agente no actualiza.",
    message_id=None,
    in_reply_to=None,
    references=None,
    cc=None,
    headers=None,
    charset="utf-8",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = message_id or make_msgid(domain="cliente.com.mx")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body, charset=charset)
    return msg.as_bytes()


def to_toml(data: dict) -> str:
    """Enough TOML for test configs: tables of scalars, lists and sub-tables."""
    import json

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
