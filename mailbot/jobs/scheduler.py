"""The SLA duties (escalations, reminders, closing resolved tickets) and the scheduler that times every job.

APScheduler only says *when*; each job here is a plain function of
``(app, now)`` that claims its rows in the database (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite serves one process) and handles each row in a
savepoint, so one bad ticket is logged and retried at the next tick while
the others go on, and a second process never sends the same mail twice
(the ``escalations`` unique key is the last guard). The quarterly report's
job is ``mailbot.jobs.quarterly``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import and_, delete, exists, select

from mailbot.db.models import Clock, Escalation, Ticket, WebLogin
from mailbot.errors import EscalationRefused
from mailbot.jobs.digest import add_digest_jobs
from mailbot.jobs.quarterly import add_report_job
from mailbot.sla.deadlines import add_days, days_floor
from mailbot.tickets import actions as ticket_ops
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import escalate_to_manager, remind_manager, remind_vendor
from mailbot.tickets.waiting import remind_waiting_client, resolve_due, resolve_unanswered
from mailbot.vocab import OPEN_STATUSES, Role, Status

log = logging.getLogger("mailbot.scheduler")

BATCH = 100
LOGIN_ROWS_KEPT = timedelta(days=1)


@dataclass
class TickReport:
    escalated: list[str] = field(default_factory=list)
    manager_reminders: list[str] = field(default_factory=list)
    vendor_reminders: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    # Waiting on the client: reminded, and resolved after no answer.
    waiting_reminders: list[str] = field(default_factory=list)
    waiting_resolved: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Breached tickets the escalation refused (another process escalated them first), and why.
    not_escalated: dict[str, str] = field(default_factory=dict)

    @property
    def mails(self) -> int:
        return (
            len(self.escalated)
            + len(self.manager_reminders)
            + len(self.vendor_reminders)
            + len(self.closed)
            + len(self.waiting_reminders)
            + len(self.waiting_resolved)
        )


def _claim(session, query):
    return session.scalars(query.limit(BATCH).with_for_update(skip_locked=True)).all()


def _each(app, now, query, action, into: list[str], report: TickReport, what: str) -> None:
    with app.sessions.begin() as session:
        ops = Ops(app, session, now)
        for row in _claim(session, query):
            ticket = row if isinstance(row, Ticket) else row.ticket  # an Escalation or a Clock
            try:
                with session.begin_nested():
                    if action(ops, row) is not False:
                        into.append(ticket.number)
            except Exception as exc:
                report.failed.append(ticket.number)
                log.error(
                    "%s %s failed (retried at the next tick): %s: %s", what, ticket.number, type(exc).__name__, exc
                )


def sla_tick(app, now: datetime | None = None) -> TickReport:
    """One pass of every SLA duty that is due at ``now``."""
    now = now or app.clock()
    report = TickReport()
    # Each attention clock that ran out while it was the desk's move, once per clock.
    manager_escalated = exists().where(
        and_(
            Escalation.ticket_id == Clock.ticket_id,
            Escalation.target == Role.MANAGER,
            Escalation.clock_id == Clock.id,
        )
    )
    breached = (
        select(Clock)
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .where(
            Clock.stopped_at.is_(None),
            Clock.due <= now,
            # Whatever the status: a wait set without answering the client's mail answers nobody.
            Ticket.status.in_(OPEN_STATUSES),
            ~manager_escalated,
        )
        .order_by(Clock.due)
    )

    def escalate(ops, clock) -> bool:
        ticket = clock.ticket
        try:
            escalate_to_manager(ops, ticket, reason="sla_breach", clock=clock)
        except EscalationRefused as refused:
            # Not a failure: nothing to retry (the escalation records the refusal on the ticket).
            report.not_escalated[ticket.number] = refused.reason
            log.info("sla tick: %s not escalated: %s", ticket.number, refused.reason)
            return False
        return True

    if app.settings.team.manager:
        # Without a manager there is nobody to escalate to; the breach shows in the report and
        # the tickets escalate once one is configured (no event per ticket and tick meanwhile).
        _each(app, now, breached, escalate, report.escalated, report, "escalation of")

    def reminder(manager: bool):
        query = (
            select(Escalation)
            .join(Ticket)
            .where(
                Escalation.responded_at.is_(None),
                Escalation.reminded_at.is_(None),
                Escalation.due <= now,
                Ticket.status.in_(OPEN_STATUSES),
            )
            .order_by(Escalation.due)
        )
        return (
            query.where(Escalation.target == Role.MANAGER)
            if manager
            else query.where(Escalation.target != Role.MANAGER)
        )

    if app.settings.team.manager:
        _each(
            app, now, reminder(manager=True), remind_manager, report.manager_reminders, report, "manager reminder for"
        )
    _each(app, now, reminder(manager=False), remind_vendor, report.vendor_reminders, report, "vendor reminder for")

    # "resuelto" for longer than the reopen window: closed, with the closure mail.
    stale = (
        select(Ticket)
        .where(Ticket.status == Status.RESOLVED, Ticket.resolved_at <= now - app.settings.tickets.reopen_window)
        .order_by(Ticket.resolved_at)
    )
    _each(app, now, stale, lambda ops, t: ticket_ops.close(ops, t, "mailbot"), report.closed, report, "closing")

    # Waiting on the client: a reminder once the wait is [tickets] remind_waiting_after business
    # days old, and resolved (with a notice saying how to reopen) at resolve_waiting_after.
    tickets_cfg = app.settings.tickets
    # Not while a client's mail is unanswered: the desk owes the next word, not the client.
    unanswered = exists().where(and_(Clock.ticket_id == Ticket.id, Clock.stopped_at.is_(None)))
    waiting = select(Ticket).where(Ticket.status == Status.WAITING_CLIENT, Ticket.turn_since.is_not(None), ~unanswered)

    def remind(ops, ticket) -> bool:
        if ticket.waiting_reminded_at is not None:
            return False
        if add_days(app, ticket.turn_since, tickets_cfg.remind_waiting_after) > now:
            return False
        remind_waiting_client(ops, ticket)
        return True

    def resolve(ops, ticket) -> bool:
        due = resolve_due(app, ticket)
        if due is None or due > now:
            return False
        resolve_unanswered(ops, ticket)
        return True

    # Candidates by the least calendar time the business days can take; the exact test is per ticket.
    if tickets_cfg.resolve_waiting_after:
        old = waiting.where(Ticket.turn_since <= now - days_floor(app, tickets_cfg.resolve_waiting_after))
        _each(app, now, old.order_by(Ticket.turn_since), resolve, report.waiting_resolved, report, "resolving")
    if tickets_cfg.remind_waiting_after:
        old = waiting.where(
            Ticket.turn_since <= now - days_floor(app, tickets_cfg.remind_waiting_after),
            Ticket.waiting_reminded_at.is_(None),
        )
        _each(app, now, old.order_by(Ticket.turn_since), remind, report.waiting_reminders, report, "reminding")
    # Web board login requests: their rows only serve the rate limits (15 minutes) and the one-time
    # links (15 minutes); a day's worth is kept for whoever looks, then they go.
    with app.sessions.begin() as session:
        session.execute(delete(WebLogin).where(WebLogin.requested_at < now - LOGIN_ROWS_KEPT))
    for name in (
        "escalated",
        "manager_reminders",
        "vendor_reminders",
        "closed",
        "waiting_reminders",
        "waiting_resolved",
    ):
        if getattr(report, name):
            log.info("sla tick: %s %s", name.replace("_", " "), ", ".join(getattr(report, name)))
    return report


def _interval(settings) -> float:
    return max(settings.sla.check_interval.total_seconds(), 1)


class Scheduler:
    """APScheduler in a background thread: the SLA tick and the quarterly report job, on the daemon's current App."""

    def __init__(self, current_app, *, on_mail=None):
        self.current_app = current_app  # a callable: the App in force after reloads
        self.on_mail = on_mail or (lambda: None)
        settings = current_app().settings
        self.scheduler = BackgroundScheduler(timezone=settings.mailbot.timezone)
        self.interval = _interval(settings)
        self.scheduler.add_job(
            self.run_sla,
            "interval",
            id="sla",
            seconds=self.interval,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now().astimezone(),
        )
        add_report_job(self)
        add_digest_jobs(self)

    def run_sla(self) -> TickReport | None:
        app = self.current_app()
        interval = _interval(app.settings)
        if interval != self.interval:  # [sla] check_interval changed by a reload
            log.info("SLA check interval is now %ss", interval)
            self.interval = interval
            self.scheduler.reschedule_job("sla", trigger="interval", seconds=interval)
        try:
            report = sla_tick(app)
        except Exception:
            # The scheduler keeps its schedule: the next tick tries again.
            log.exception("SLA tick failed; retrying at the next tick")
            return None
        if report.mails:
            self.on_mail()
        return report

    def start(self):
        self.scheduler.start()

    def shutdown(self):
        self.scheduler.shutdown(wait=True)
