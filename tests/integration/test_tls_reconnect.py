"""The intake spine over TLS and STARTTLS, and IMAP reconnecting after a server restart.

Real servers only: Dovecot with a certificate from a throwaway CA (made with
the ``openssl`` CLI), aiosmtpd sinks with STARTTLS / implicit TLS / AUTH.

The TLS tests run on SQLite only: what they exercise (the IMAP and SMTP
connections) does not touch the database, the database matrix is covered by
test_intake_spine.py, and doubling every TLS case for PostgreSQL would double
their runtime for nothing. The reconnect test runs on both.
"""

from __future__ import annotations

import logging
import ssl
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Outbox, utcnow
from mailbot.errors import Unavailable
from mailbot.intake.imap import ImapSource
from mailbot.outbound.outbox import OutboxSender
from mailbot.pipeline.core import Pipeline
from tests.support.config import imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import Running, run_once
from tests.support.servers import wait_until

pytestmark = pytest.mark.servers

SMTP_USER, SMTP_PASSWORD = "mailbot@imagenti.mx", "s3cret-smtp"


def imap_tls(dovecot, certs, security, **kw):
    """[imap] for the TLS Dovecot: implicit TLS on its imaps port, STARTTLS on the plain one."""
    port = dovecot.tls_port if security == "tls" else dovecot.port
    return imap_section(dovecot, security=security, port=port, ca_file=str(certs.ca), **kw)


def outbox_rows(settings):
    app = build_app(settings)
    try:
        with app.sessions() as s:
            return [
                {"status": r.status, "attempts": r.attempts, "last_error": r.last_error, "to": r.rcpt_to}
                for r in s.scalars(select(Outbox).order_by(Outbox.id))
            ]
    finally:
        app.close()


def send_due_later(settings, hours=2):
    """Send what is queued as if its retry time had come (no waiting for the backoff)."""
    app = build_app(settings)
    try:
        return OutboxSender(settings, app.sessions).send_due(now=utcnow() + timedelta(hours=hours))
    finally:
        app.close()


# -- (a) TLS and STARTTLS, both ways ------------------------------------------


@pytest.mark.parametrize("smtp_security", ["starttls", "tls"])
@pytest.mark.parametrize("imap_security", ["tls", "starttls"])
def test_mail_fetched_over_tls_is_ticketed_and_acknowledged_over_tls(
    make_settings, dovecot_tls, smtp_sink_factory, tls_certs, imap_security, smtp_security
):
    sink = smtp_sink_factory(tls=smtp_security)
    settings = make_settings(
        imap=imap_tls(dovecot_tls, tls_certs, imap_security),
        smtp=smtp_section(sink, security=smtp_security, ca_file=str(tls_certs.ca)),
    )
    tls_logins = dovecot_tls.tls_logins()
    dovecot_tls.append(make_mail(subject="Correo cifrado", message_id=f"<tls-{imap_security}@cliente.com.mx>"))

    run_once(settings)

    [t] = tickets(settings)
    assert t["number"] == "IMG-000001" and t["subject"] == "Correo cifrado"
    # mailbot logged in to Dovecot over TLS (Dovecot's own login record says so; its log is written
    # by a separate process, hence the wait).
    wait_until(lambda: dovecot_tls.tls_logins() == tls_logins + 1, 10, what="Dovecot to log a TLS login")
    assert all(b"\\Seen" in flags for flags in dovecot_tls.flags().values())
    sent = sink.wait_for(2)
    assert all(m["tls"] and m["tls"].startswith("TLSv1.") for m in sent)
    [ack] = [m for m in sent if m["to"] == [CLIENT]]
    assert "IMG-000001" in str(ack["msg"]["Subject"])
    assert ticket(settings, "IMG-000001")["acknowledged_at"] is not None
    assert [r["status"] for r in outbox_rows(settings)] == ["sent", "sent"]


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imap_refuses_an_untrusted_certificate_and_takes_nothing(make_settings, dovecot_tls, tls_certs, security):
    imap = imap_tls(dovecot_tls, tls_certs, security)
    del imap["ca_file"]  # the system trust store does not know the test CA
    settings = make_settings(imap=imap)
    dovecot_tls.append(make_mail(message_id=f"<untrusted-{security}@cliente.com.mx>"))
    logins = dovecot_tls.logins()

    # One line for ops (exit 69 from the CLI), naming the server and the reason.
    port = dovecot_tls.tls_port if security == "tls" else dovecot_tls.port
    with pytest.raises(Unavailable, match=f"^IMAP 127.0.0.1:{port}: TLS: certificate verify failed") as info:
        run_once(settings)
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)

    # The password never crossed the wire: no login at all happened.
    assert dovecot_tls.logins() == logins
    assert tickets(settings) == []
    assert [b"\\Seen" in flags for flags in dovecot_tls.flags().values()] == [False]


def test_imap_starttls_against_a_server_without_it_fails_and_takes_nothing(make_settings, dovecot):
    # The default test Dovecot has ssl = no: it does not offer STARTTLS.
    settings = make_settings(imap=imap_section(dovecot, security="starttls"))
    dovecot.append(make_mail(message_id="<no-starttls@cliente.com.mx>"))
    logins = dovecot.logins()

    with pytest.raises(Unavailable, match=f"^IMAP 127.0.0.1:{dovecot.port}: .*(?i:does not support STARTTLS)"):
        run_once(settings)

    assert dovecot.logins() == logins
    assert tickets(settings) == []
    assert [b"\\Seen" in flags for flags in dovecot.flags().values()] == [False]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_untrusted_certificate_keeps_mail_queued_never_plaintext(
    make_settings, dovecot, smtp_sink_factory, tls_certs, security
):
    sink = smtp_sink_factory(tls=security)
    smtp = smtp_section(sink, security=security)  # no ca_file: the test CA is not trusted
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp)
    dovecot.append(make_mail(message_id=f"<smtp-untrusted-{security}@cliente.com.mx>"))

    with pytest.raises(Unavailable, match=f"^SMTP relay 127.0.0.1:{sink.port}: .*certificate verify failed"):
        run_once(settings)

    [t] = tickets(settings)  # the intake side worked
    rows = outbox_rows(settings)
    assert [r["status"] for r in rows] == ["queued", "queued"]
    # The relay failed, not the mail: the first mail tried records why, the other waits for
    # its retry untried.
    assert [r["attempts"] for r in rows] == [1, 0] and "CERTIFICATE_VERIFY_FAILED" in rows[0]["last_error"]
    assert sink.messages == []
    assert ticket(settings, t["number"])["acknowledged_at"] is None

    # Once the CA is configured, the same queued mail goes out (over TLS).
    fixed = make_settings(imap=imap_section(dovecot), smtp=dict(smtp, ca_file=str(tls_certs.ca)))
    assert send_due_later(fixed).sent == 2
    sent = sink.wait_for(2)
    assert all(m["tls"] for m in sent)
    assert [r["status"] for r in outbox_rows(fixed)] == ["sent", "sent"]


def test_smtp_starttls_against_a_server_without_it_keeps_mail_queued(make_settings, dovecot, smtp_sink):
    # The default sink speaks plain SMTP only and would accept the mail if asked.
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp_section(smtp_sink, security="starttls"))
    dovecot.append(make_mail(message_id="<smtp-no-starttls@cliente.com.mx>"))

    with pytest.raises(Unavailable, match=f"^SMTP relay 127.0.0.1:{smtp_sink.port}: .*STARTTLS"):
        run_once(settings)

    rows = outbox_rows(settings)
    assert [r["status"] for r in rows] == ["queued", "queued"]
    # The relay failed, not the mail: the first mail tried records why, the other waits for
    # its retry untried.
    assert [r["attempts"] for r in rows] == [1, 0] and "STARTTLS" in rows[0]["last_error"]
    assert smtp_sink.messages == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_auth_over_tls(make_settings, dovecot, smtp_sink_factory, tls_certs, security):
    sink = smtp_sink_factory(tls=security, auth=(SMTP_USER, SMTP_PASSWORD))
    smtp = smtp_section(sink, security=security, ca_file=str(tls_certs.ca), username=SMTP_USER)
    settings = make_settings(imap=imap_section(dovecot), smtp=dict(smtp, password=SMTP_PASSWORD))
    dovecot.append(make_mail(message_id=f"<auth-{security}@cliente.com.mx>"))

    run_once(settings)

    sent = sink.wait_for(2)
    assert [m["auth"] for m in sent] == [SMTP_USER, SMTP_USER]
    assert all(m["tls"] for m in sent)
    assert [r["status"] for r in outbox_rows(settings)] == ["sent", "sent"]
    # One connection, one login, for the whole batch.
    assert [ok for _mech, _user, ok in sink.auth_attempts] == [True]


def test_smtp_auth_with_a_wrong_password_keeps_mail_queued(make_settings, dovecot, smtp_sink_factory, tls_certs):
    sink = smtp_sink_factory(tls="starttls", auth=(SMTP_USER, SMTP_PASSWORD))
    smtp = smtp_section(sink, security="starttls", ca_file=str(tls_certs.ca), username=SMTP_USER, password="wrong")
    settings = make_settings(imap=imap_section(dovecot), smtp=smtp)
    dovecot.append(make_mail(message_id="<auth-wrong@cliente.com.mx>"))

    with pytest.raises(Unavailable, match=f"^SMTP relay 127.0.0.1:{sink.port}: .*535") as info:
        run_once(settings)
    assert "wrong" not in str(info.value)  # the password

    rows = outbox_rows(settings)
    assert [r["status"] for r in rows] == ["queued", "queued"]
    # The relay failed, not the mail: the first mail tried records why, the other waits for
    # its retry untried.
    assert [r["attempts"] for r in rows] == [1, 0] and "535" in rows[0]["last_error"]
    assert sink.messages == []
    assert [(user, ok) for _mech, user, ok in sink.auth_attempts][:1] == [(SMTP_USER, False)]


def test_running_daemon_idles_over_tls(make_settings, dovecot_tls, smtp_sink_factory, tls_certs):
    """IDLE on a TLS socket: a new mail is seen without waiting for a poll."""
    sink = smtp_sink_factory(tls="starttls")
    settings = make_settings(
        imap=imap_tls(dovecot_tls, tls_certs, "tls", idle=True, poll_interval="1h"),
        smtp=smtp_section(sink, security="starttls", ca_file=str(tls_certs.ca)),
    )
    with Running(settings) as daemon:
        wait_until(lambda: daemon.imap.stats.idle, 15, what="IDLE over TLS")
        dovecot_tls.append(make_mail(subject="Por IDLE cifrado", message_id="<idle-tls@cliente.com.mx>"))
        wait_until(lambda: sink.to(CLIENT), 30, what="acknowledgement over STARTTLS")
    assert [t["subject"] for t in tickets(settings)] == ["Por IDLE cifrado"]


# -- (b) IMAP reconnect with backoff ------------------------------------------


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "poll"])
def test_imap_reconnects_after_dovecot_restarts(make_settings, dovecot, smtp_sink, db_url, idle, caplog):
    caplog.set_level(logging.WARNING, logger="mailbot.imap")
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot, idle=idle), smtp=smtp_section(smtp_sink))
    port = dovecot.port
    with Running(settings) as daemon:
        imap: ImapSource = daemon.imap
        wait_until(lambda: imap.stats.idle if idle else imap.stats.connected, 15, what="IMAP session")
        dovecot.append(make_mail(subject="Antes del reinicio", message_id="<before@cliente.com.mx>"))
        wait_until(lambda: smtp_sink.to(CLIENT), 30, what="first acknowledgement")
        assert imap.stats.reconnects == 0

        dovecot.stop()
        wait_until(lambda: imap.stats.reconnects >= 1, 30, what="mailbot to notice the lost IMAP connection")
        dovecot.start()
        assert dovecot.port == port

        dovecot.append(make_mail(subject="Después del reinicio", message_id="<after@cliente.com.mx>"))
        acks = wait_until(
            lambda: len(smtp_sink.to(CLIENT)) >= 2 and smtp_sink.to(CLIENT),
            60,
            what="acknowledgement of the mail appended after the restart",
        )
        assert "IMG-000002" in str(acks[1]["msg"]["Subject"])
        assert imap.stats.connected and imap.stats.reconnects >= 1

    assert [t["subject"] for t in tickets(settings)] == ["Antes del reinicio", "Después del reinicio"]
    assert ticket(settings, "IMG-000002")["acknowledged_at"] is not None
    warnings = [r.getMessage() for r in caplog.records if r.name == "mailbot.imap" and r.levelno == logging.WARNING]
    assert any("connection problem" in w and "reconnecting in" in w for w in warnings), warnings
    assert all(b"\\Seen" in flags for flags in dovecot.flags().values())


def test_imap_source_run_forever_survives_a_restart_without_the_daemon(make_settings, dovecot, caplog):
    """The same, one level down: ImapSource.run_forever in a thread, a stop Event to end it."""
    caplog.set_level(logging.WARNING, logger="mailbot.imap")
    settings = make_settings(imap=imap_section(dovecot, idle=False))
    app = build_app(settings)
    stop = threading.Event()
    source = ImapSource(settings, Pipeline(app), stop=stop)
    thread = threading.Thread(target=source.run_forever, daemon=True)
    thread.start()
    try:
        wait_until(lambda: source.stats.connected, 15, what="IMAP session")
        dovecot.stop()
        wait_until(lambda: source.stats.reconnects >= 1, 30, what="the lost connection to be noticed")
        assert not source.stats.connected and source.stats.last_error
        dovecot.start()
        dovecot.append(make_mail(message_id="<rf@cliente.com.mx>"))
        wait_until(lambda: source.stats.counts.get("created"), 60, what="the mail after the restart")
    finally:
        stop.set()
        source.wake.set()
        thread.join(30)
        app.close()
    assert not thread.is_alive()
    assert [t["number"] for t in tickets(settings)] == ["IMG-000001"]
    assert any("reconnecting in" in r.getMessage() for r in caplog.records if r.name == "mailbot.imap")


def test_imap_idle_notices_a_server_that_died_without_bye(make_settings, dovecot, smtp_sink, db_url, caplog):
    """Killed, not stopped: no BYE, just EOF on the IDLE socket (imapclient's idle_check swallows it).

    Before the fix the IDLE loop spun on the dead socket until the next IDLE
    renewal (25 minutes by default) and never reconnected in between.
    """
    caplog.set_level(logging.WARNING, logger="mailbot.imap")
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot, idle=True), smtp=smtp_section(smtp_sink))
    with Running(settings) as daemon:
        imap: ImapSource = daemon.imap
        wait_until(lambda: imap.stats.idle, 15, what="IDLE")
        dovecot.kill()
        wait_until(lambda: imap.stats.reconnects >= 1, 30, what="mailbot to notice the dead IDLE connection")
        assert "EOF" in imap.stats.last_error or "reset" in imap.stats.last_error.lower()
        dovecot.start()
        dovecot.append(make_mail(subject="Tras la caída", message_id="<after-kill@cliente.com.mx>"))
        [ack] = wait_until(lambda: smtp_sink.to(CLIENT), 60, what="acknowledgement after the crash")
        assert "IMG-000001" in str(ack["msg"]["Subject"])
    assert any("connection problem" in r.getMessage() for r in caplog.records if r.name == "mailbot.imap")
