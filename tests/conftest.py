"""Fixtures for the whole suite: the real servers, a database per test, settings. Helpers live in tests/support/."""

import os

import pytest

from tests.support.config import config_data, write_settings
from tests.support.servers import PG_URL, Dovecot, SmtpSink, make_certs, pg_schema, postgres_available, unavailable


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
    yield from pg_schema()


@pytest.fixture
def pg_url(_pg_ok):
    if not _pg_ok:
        unavailable(f"PostgreSQL is not reachable at {PG_URL}")
    yield from pg_schema()


@pytest.fixture
def make_settings(tmp_path):
    """Settings for a test: data in tmp_path; pass sections to override.

    Also written out to tmp_path/mailbot.toml (``settings.source``), so a test
    can run the real ``mailbot --config`` on it.
    """

    def make(db_url=None, imap=None, smtp=None, **sections):
        data = config_data(
            tmp_path / "var", db_url or f"sqlite:///{tmp_path}/mailbot.db", imap=imap, smtp=smtp, **sections
        )
        return write_settings(tmp_path / "mailbot.toml", data)

    return make
