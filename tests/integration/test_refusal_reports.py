"""A refused escalation (``EscalationRefused``) is reported by whoever asked: the SLA job and the CLI.

The refusals a caller can foresee (no manager, a case already open) are
checked before asking; these tests make the escalation itself refuse, as
when another process escalates the same ticket at the same moment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mailbot.db.models import Escalation, MessageRow
from mailbot.errors import EscalationRefused
from mailbot.jobs import scheduler
from mailbot.vocab import MessageKind, Role
from tests.support.desk import ClockDesk, mx_time
from tests.support.mail import critical_mail
from tests.support.runners import in_process_cli

pytestmark = pytest.mark.servers

# A Monday in July 2026, an ordinary business day: a CRÍTICA report at 10:00 is due at 12:00.
RECEIVED = mx_time(2026, 7, 6, 10)
BREACHED = mx_time(2026, 7, 6, 12, 1)


class Desk(ClockDesk):
    def escalations(self) -> int:
        return self.scalar(select(func.count()).select_from(Escalation))

    def escalation_mails(self) -> int:
        return self.scalar(
            select(func.count()).select_from(MessageRow).where(MessageRow.kind == MessageKind.ESCALATION)
        )


@pytest.fixture
def desk(make_settings, db_url):
    d = Desk(make_settings(db_url=db_url), RECEIVED)
    assert d.mail(critical_mail()).ticket == "IMG-000001"
    yield d
    d.close()


def test_the_sla_job_counts_a_refused_escalation_as_not_escalated_and_logs_why(desk, monkeypatch, caplog):
    real = scheduler.escalate_to_manager

    def another_process_was_first(ops, ticket, **kw):
        ops.session.add(
            Escalation(
                ticket_id=ticket.id,
                target=Role.MANAGER,
                clock_id=kw["clock"].id,  # the same attention clock the job is escalating
                level=2,
                reason="sla_breach",
                actor="mailbot",
                at=ops.now,
                due=ops.now + timedelta(minutes=30),
            )
        )
        ops.session.flush()
        return real(ops, ticket, **kw)

    monkeypatch.setattr(scheduler, "escalate_to_manager", another_process_was_first)
    caplog.set_level(logging.INFO, "mailbot.scheduler")
    report = desk.tick(BREACHED)

    # Not a failure to retry, and no mail: only the reason, on the report and in the log.
    assert report.escalated == [] and report.failed == [] and report.mails == 0
    assert list(report.not_escalated) == ["IMG-000001"] and report.not_escalated["IMG-000001"]
    assert any(
        r.levelno == logging.INFO
        and "IMG-000001 not escalated: " + report.not_escalated["IMG-000001"] in r.getMessage()
        for r in caplog.records
    )
    assert desk.escalation_mails() == 0


@pytest.mark.parametrize(
    "args,refused",
    [
        (["--manager"], "escalate_to_manager"),
        (["--vendor", "withsecure"], "open_vendor_case"),
    ],
)
def test_the_cli_says_why_an_escalation_was_refused_in_one_line_and_exits_65(desk, monkeypatch, args, refused):
    def refuse(*a, **kw):
        raise EscalationRefused("otro proceso lo escaló al mismo tiempo")

    monkeypatch.setattr(f"mailbot.cli.tickets.{refused}", refuse)
    mailbot = in_process_cli(monkeypatch)

    result = mailbot("--config", desk.settings.source, "tickets", "escalate", "IMG-000001", *args)
    assert result.exit_code == 65, (result.output, result.exception)
    assert result.stderr == "error: otro proceso lo escaló al mismo tiempo\n"
    assert result.stdout == ""
    assert desk.escalations() == 0 and desk.escalation_mails() == 0
