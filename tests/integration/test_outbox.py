"""The outbox sender against a real SMTP server that refuses, then accepts."""

import socket
import threading
import time

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import Outbox
from mailbot.outbound.outbox import OutboxSender
from mailbot.pipeline.core import Pipeline
from tests.support.config import imap_section, smtp_section
from tests.support.db import ticket
from tests.support.mail import make_mail
from tests.support.runners import run_once
from tests.support.servers import SmtpSink, wait_until

pytestmark = pytest.mark.servers


def test_temporary_refusal_is_retried_and_permanent_failure_is_recorded(make_settings, dovecot, smtp_sink, db_url):
    settings = make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        outbox={"retry_base": "1s", "retry_max": "1s"},
        team={"notify": ["no-existe@imagenti.mx"]},
    )
    dovecot.append(make_mail(message_id="<ob1@cliente.com.mx>"))
    smtp_sink.refuse = "451 4.3.0 try again later"
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert [m["status"] for m in shown["messages"] if m["direction"] == "out"] == ["queued", "queued"]
    assert smtp_sink.messages == []

    smtp_sink.refuse = None
    app = build_app(settings)
    sender = OutboxSender(settings, app.sessions)
    wait_until(
        lambda: sender.send_due().sent == 0 and sender.pending() == 0,
        20,
        interval=0.2,
        what="queued mail to be sent after the relay recovered",
    )
    app.close()
    got = smtp_sink.wait_for(2)
    assert {m["to"][0] for m in got} == {"juan.perez@cliente.com.mx", "no-existe@imagenti.mx"}
    # The resend is the same mail: the Message-ID was fixed when it was queued.
    shown = ticket(settings, "IMG-000001")
    queued_ids = {m["message_id"] for m in shown["messages"] if m["direction"] == "out"}
    assert {str(m["msg"]["Message-ID"]) for m in got} == queued_ids

    dovecot.append(make_mail(message_id="<ob2@cliente.com.mx>", subject="Otro"))
    smtp_sink.refuse = "550 5.1.1 no such user"
    run_once(settings)
    shown = ticket(settings, "IMG-000002")
    assert [m["status"] for m in shown["messages"] if m["direction"] == "out"] == ["failed", "failed"]
    failures = [e for e in shown["events"] if e["kind"] == "send_failed"]
    assert len(failures) == 2 and "550" in failures[0]["data"]["error"]


def _dribbling_relay(delay: float):
    """A real SMTP server on loopback that answers every command just inside the client's timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:

                def reply(text, conn=conn):
                    time.sleep(delay)  # the relay's slowness is what is under test
                    conn.sendall(text.encode() + b"\r\n")

                try:
                    reply("220 lento")
                    in_data = False
                    for line in lines:
                        if in_data:
                            if line == b".\r\n":
                                in_data = False
                                reply("250 ok")
                        elif line[:4].upper() == b"DATA":
                            in_data = True
                            reply("354 adelante")
                        elif line[:4].upper() == b"QUIT":
                            reply("221 adios")
                            break
                        else:
                            reply("250 ok")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_a_relay_that_dribbles_answers_cannot_hold_one_mail_past_its_share_of_the_lease(make_settings, db_url):
    relay = _dribbling_relay(0.9)
    settings = make_settings(
        db_url=db_url,
        smtp={"host": "127.0.0.1", "port": relay.getsockname()[1], "security": "none", "timeout": "1s"},
        outbox={"lease": "4s", "retry_base": "1s"},
    )
    app = build_app(settings)
    try:
        Pipeline(app).process(make_mail(), source="test")
        report = OutboxSender(settings, app.sessions).send_due()
        assert report.sent == 0 and report.retried >= 1
        with app.sessions() as s:
            rows = list(s.scalars(select(Outbox)))
        # Each command came within smtplib's 1 s timeout, yet the exchange was cut at a quarter
        # of the 4 s lease: the mail stays queued for a retry, and no other process can have sent it.
        assert all(r.status == "queued" for r in rows)
        assert any("over the time allowed for one mail" in (r.last_error or "") for r in rows)
    finally:
        relay.close()
        app.close()


@pytest.mark.parametrize("smtputf8", [False, True], ids=["relay-without-smtputf8", "relay-with-smtputf8"])
def test_a_client_address_that_is_not_ascii(make_settings, db_url, smtputf8):
    sink = SmtpSink(smtputf8=smtputf8).start()
    settings = make_settings(db_url=db_url, smtp=smtp_section(sink))
    app = build_app(settings)
    try:
        raw = (
            "From: José Pérez <josé@empresa.mx>\r\nTo: soporte@imagenti.mx\r\nSubject: Sin acceso\r\n"
            "Message-ID: <j1@empresa.mx>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNo puedo entrar.\r\n"
        )
        assert Pipeline(app).process(raw.encode(), source="test").action == "created"
        Pipeline(app).process(make_mail(message_id="<otro@cliente.com.mx>"), source="test")
        OutboxSender(settings, app.sessions).send_due()
        with app.sessions() as s:
            rows = {tuple(r.rcpt_to): r for r in s.scalars(select(Outbox))}
        to_jose = rows[("josé@empresa.mx",)]
        delivered = [a for m in sink.messages for a in m["to"]]
        if smtputf8:
            assert to_jose.status == "sent" and "josé@empresa.mx" in delivered
        else:
            # Said at once and for good, where it used to stall the run; nothing else waits for it.
            assert to_jose.status == "failed" and "SMTPUTF8" in to_jose.last_error
            assert "josé@empresa.mx" not in delivered
        assert all(r.status == "sent" for k, r in rows.items() if k != ("josé@empresa.mx",))
    finally:
        app.close()
        sink.stop()


def test_a_kept_connection_the_relay_dropped_while_idle_does_not_fail_the_next_mail(make_settings, smtp_sink):
    # One connection serves a whole sending run; between two claims it may sit idle (a claim
    # waiting for the database) and the relay may drop it. The next mail must go, not fail.
    from mailbot.outbound.transport import IDLE_CHECK, SmtpTransport

    settings = make_settings(smtp=smtp_section(smtp_sink))
    transport = SmtpTransport(settings)
    try:
        transport.send("soporte@imagenti.mx", ["a@cliente.com.mx"], make_mail(message_id="<k1@x.mx>"), outbox_id=1)
        transport.conn.sock.shutdown(socket.SHUT_RDWR)  # the connection is gone, as after a relay's idle timeout
        transport._last_used -= IDLE_CHECK + 1
        transport.send("soporte@imagenti.mx", ["a@cliente.com.mx"], make_mail(message_id="<k2@x.mx>"), outbox_id=2)
    finally:
        transport.close()
    assert [m["msg"]["Message-ID"] for m in smtp_sink.wait_for(2)] == ["<k1@x.mx>", "<k2@x.mx>"]
