"""``mailbot rules test``: one mail through the whole pipeline, nothing kept.

The mail runs through the very code the daemon uses (screen, thread,
classify, apply, templates) inside a transaction that is rolled back, so
what it prints is what would happen, not a second implementation of it. It
threads against the configured database when that exists at the current
schema, else against an empty in-memory one (and says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event as sa_event
from sqlalchemy import select

from mailbot.app import App, build_app, load_rules, load_templates, make_calendar
from mailbot.config import Settings
from mailbot.db import engine as dbengine
from mailbot.db.models import Event, MessageRow, Ticket
from mailbot.errors import BadInput, ParseError, Unavailable
from mailbot.mail.parse import parse
from mailbot.mail.screen import screen
from mailbot.pipeline.core import apply_mail
from mailbot.pipeline.outcome import Action
from mailbot.tickets.thread_match import find_ticket
from mailbot.tickets.views import local_time
from mailbot.vocab import Direction


@dataclass
class DryRun:
    database: str
    action: Action
    detail: str
    screening: dict
    thread: dict
    rules: dict | None
    ticket: dict | None
    mails: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("database", "action", "detail", "screening", "thread", "rules", "ticket", "mails", "events")
        }

    def lines(self) -> list[str]:
        out = [f"database:  {self.database} (dry run: nothing is saved or sent)"]
        s = self.screening
        out.append(
            f"screening: {s['kind']}, sender is {s['role']}"
            + (f" ({s['vendor']})" if s.get("vendor") else "")
            + (", authenticated" if s["trusted"] else "")
            + (f": {'; '.join(s['reasons'])}" if s["reasons"] else "")
        )
        t = self.thread
        if t["ticket"]:
            out.append(f"thread:    ticket {t['ticket']} (by {t['how']})")
        elif t["linked"]:
            out.append(f"thread:    new ticket linked to {t['linked']} (sender is not part of it)")
        else:
            out.append("thread:    new ticket")
        if self.rules is not None:
            hits = self.rules["hits"]
            out.append(f"rules:     {len(hits)} matched" + ("" if hits else " (defaults apply)"))
            for h in hits:
                sets = ", ".join(f"{k}={v}" for k, v in h["set"].items())
                where = f"{h['file']}:{h['line']}" if h.get("line") else h["file"]
                # A statement (the client's own word) or a ceiling is named: it outranks impact rules.
                kind = f" [{h['kind']}]" if h.get("kind") not in (None, "impact") else ""
                out.append(
                    f"  - {h['rule']}{kind} ({where}): {sets}"
                    + (f" [overridden: {', '.join(h['superseded'])}]" if h["superseded"] else "")
                )
                for why in h["why"]:
                    out.append(f"      {why}")
        out.append(
            f"result:    {self.action}"
            + (f" {self.ticket['number']}" if self.ticket else "")
            + (f" ({self.detail})" if self.detail else "")
        )
        if self.ticket:
            keys = ("requester", "origin", "received_local", "severity", "category", "product", "assignee")
            for key in (*keys, "out_of_scope", "status", "attention_due_local"):
                if self.ticket.get(key) is not None:
                    out.append(f"  {key}: {self.ticket[key]}")
        if self.events:
            # What a forward, #cliente, #fusionar or #separar would do shows here (reported, merged, split_to…).
            out.append(
                "events:    "
                + ", ".join(f"{e['kind']} ({e['ticket']})" if e["ticket"] else e["kind"] for e in self.events)
            )
        if self.mails:
            out.append(f"would send {len(self.mails)} mail(s):")
            for m in self.mails:
                out.append(f"  - {m['kind']} to {', '.join(m['to'])}: {m['subject']}")
        else:
            out.append("would send no mail")
        return out


def _app_for(settings: Settings) -> tuple[App, str]:
    """The configured database when this mailbot can read it as it is, else an empty in-memory one.

    Never creates or upgrades the configured database: a dry run leaves no trace.
    """
    url = settings.database_url
    where = dbengine.safe_url(url)
    path = dbengine.sqlite_path(url)
    if path is not None and not path.is_file():
        reason = f"{where} does not exist yet"
    else:
        try:
            return build_app(settings, upgrade=False, create=False), where
        except Unavailable as exc:  # unreachable, or not at this mailbot's schema
            reason = str(exc)
    engine = dbengine.make_engine("sqlite://")
    dbengine.upgrade(engine)
    app = App(
        settings=settings,
        engine=engine,
        sessions=dbengine.session_factory(engine),
        templates=load_templates(settings),
        rules=load_rules(settings),
        calendar=make_calendar(settings),
    )
    return app, f"empty in-memory database ({reason})"


def dry_run(settings: Settings, raw: bytes, *, app: App | None = None) -> DryRun:
    """Run ``raw`` through the pipeline and roll everything back.

    Raises ``BadInput`` when ``raw`` cannot be taken in as a mail at all:
    the daemon would quarantine it, and there is nothing to show.
    """
    try:
        mail = parse(
            raw,
            max_message_size=settings.mailbot.max_message_size,
            max_attachment_size=settings.mailbot.max_attachment_size,
        )
    except ParseError as exc:
        raise BadInput(_not_a_mail(exc)) from None

    owned = app is None
    if app is None:
        app, where = _app_for(settings)
    else:
        where = dbengine.safe_url(settings.database_url)
    try:
        screening = screen(mail, settings)
        created: list = []
        session = app.sessions()
        # Rows flushed early (autoflush before a query) are no longer in
        # session.new at the end: collect them as they are flushed.
        sa_event.listen(session, "before_flush", lambda s, _ctx, _i: created.extend(s.new))
        try:
            with session.begin():
                match = find_ticket(session, mail, screening, settings)
                thread = {
                    "ticket": match.ticket.number if match.ticket else None,
                    "how": match.how,
                    "linked": match.linked.number if match.linked else None,
                }
                outcome = apply_mail(session, app, mail, "dry-run")
                session.flush()
                report = DryRun(
                    database=where,
                    action=outcome.action,
                    detail=outcome.detail,
                    screening={
                        "kind": screening.kind,
                        "role": screening.role,
                        "trusted": screening.trusted,
                        "vendor": screening.vendor,
                        "reasons": list(screening.reasons),
                    },
                    thread=thread,
                    rules=_rules_json(app, mail, outcome.ticket, created),
                    ticket=_ticket_json(app, outcome.ticket, created, session),
                    mails=[
                        _mail_json(m) for m in created if isinstance(m, MessageRow) and m.direction == Direction.OUT
                    ],
                    events=[
                        {
                            "ticket": e.ticket.number if e.ticket else None,
                            "kind": e.kind,
                            "actor": e.actor,
                            "data": e.data,
                        }
                        for e in created
                        if isinstance(e, Event)
                    ],
                )
                session.rollback()
        finally:
            session.close()
        return report
    finally:
        if owned:
            app.close()


def _not_a_mail(exc: ParseError) -> str:
    # parse() decides conservatively: "not a mail" is no header field at all (a text file, binary
    # junk); anything with a header is read as a mail, however odd.
    if exc.reason == "empty":
        return "empty: there is no mail to test"
    if exc.reason == "not a mail":
        return "not a mail: it has no header fields (From:, Subject:, ...)"
    return f"would be quarantined: {exc}"


def _rules_json(app, mail, number, created) -> dict | None:
    """What the rules decided: for a new ticket what it was classified on (for a forward or a
    call brought in by the team, the client's text, not the team member's mail)."""
    if app.rules is None:
        return None
    ticket = next((t for t in created if isinstance(t, Ticket) and t.number == number), None)
    if ticket is not None and ticket.classification is not None:
        return ticket.classification
    return app.rules.classify(mail).to_json()


def _ticket_json(app, number, created, session) -> dict | None:
    if number is None:
        return None
    ticket = next((t for t in created if isinstance(t, Ticket) and t.number == number), None)
    if ticket is None:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    return {
        "number": ticket.number,
        "new": any(t is ticket for t in created),
        "status": ticket.status,
        "severity": ticket.severity,
        "category": ticket.category,
        "product": ticket.product,
        "assignee": ticket.assignee,
        "out_of_scope": ticket.out_of_scope,
        "requester": ticket.requester,
        "origin": ticket.origin,
        "received_local": local_time(ticket.received_at, app.settings.mailbot.timezone),
        "attention_due": ticket.attention_due.isoformat() if ticket.attention_due else None,
        # For the text output, in the CLI's language and the configured timezone.
        "attention_due_local": (
            local_time(ticket.attention_due, app.settings.mailbot.timezone) if ticket.attention_due else None
        ),
    }


def _mail_json(m: MessageRow) -> dict:
    return {
        "kind": m.kind,
        "to": list(m.to_addrs),
        "cc": list(m.cc_addrs or []),
        "subject": m.subject,
        "body": m.body_text,
    }
