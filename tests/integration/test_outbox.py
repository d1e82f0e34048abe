"""The outbox sender against a real SMTP server that refuses, then accepts."""

import pytest

from mailbot.app import build_app
from mailbot.outbox import OutboxSender
from tests.conftest import imap_section, make_mail, smtp_section
from tests.integration.helpers import run_once, ticket
from tests.servers import wait_until

pytestmark = pytest.mark.servers


def test_temporary_refusal_is_retried_and_permanent_failure_is_recorded(make_settings, dovecot, smtp_sink, db_url):
    settings = make_settings(db_url=db_url, imap=imap_section(dovecot), smtp=smtp_section(smtp_sink),
                             outbox={"retry_base": "1s", "retry_max": "1s"},
                             team={"notify": ["no-existe@imagenti.mx"]})
    dovecot.append(make_mail(message_id="<ob1@cliente.com.mx>"))
    smtp_sink.refuse = "451 4.3.0 try again later"
    run_once(settings)
    shown = ticket(settings, "IMG-000001")
    assert [m["status"] for m in shown["messages"] if m["direction"] == "out"] == ["queued", "queued"]
    assert smtp_sink.messages == []

    smtp_sink.refuse = None
    app = build_app(settings)
    sender = OutboxSender(settings, app.sessions)
    wait_until(lambda: sender.send_due().sent == 0 and sender.pending() == 0, 20, interval=0.2,
               what="queued mail to be sent after the relay recovered")
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
