"""``mailbot rules test``: one mail through the whole pipeline, nothing kept.

The mail runs through the very code the daemon uses (screen, thread,
classify, apply, templates) inside a transaction that is rolled back, so
what it prints is what would happen, not a second implementation of it. It
threads against the configured database when that exists at the current
schema, else against an empty in-memory one (and says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event as sa_event

from mailbot.app import App, load_rules, make_calendar
from mailbot.config import Settings
from mailbot.db import engine as dbengine
from mailbot.db.models import Event, MessageRow, Ticket
from mailbot.parse import parse
from mailbot.screen import screen
from mailbot.templates import Templates
from mailbot.thread_match import find_ticket


@dataclass
class DryRun:
    database: str
    action: str
    detail: str
    screening: dict
    thread: dict
    rules: dict | None
    ticket: dict | None
    mails: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in
                ("database", "action", "detail", "screening", "thread", "rules", "ticket", "mails", "events")}

    def lines(self) -> list[str]:
        out = [f"database:  {self.database} (dry run: nothing is saved or sent)"]
        s = self.screening
        out.append(f"screening: {s['kind']}, sender is {s['role']}"
                   + (f" ({s['vendor']})" if s.get("vendor") else "")
                   + (", authenticated" if s["trusted"] else "")
                   + (f": {'; '.join(s['reasons'])}" if s["reasons"] else ""))
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
                out.append(f"  - {h['rule']} ({where}): {sets}"
                           + (f" [overridden: {', '.join(h['superseded'])}]" if h["superseded"] else ""))
                for why in h["why"]:
                    out.append(f"      {why}")
        out.append(f"result:    {self.action}" + (f" {self.ticket['number']}" if self.ticket else "")
                   + (f" ({self.detail})" if self.detail else ""))
        if self.ticket:
            for key in ("severity", "category", "product", "assignee", "out_of_scope", "status",
                        "attention_due_local"):
                if self.ticket.get(key) is not None:
                    out.append(f"  {key}: {self.ticket[key]}")
        if self.mails:
            out.append(f"would send {len(self.mails)} mail(s):")
            for m in self.mails:
                out.append(f"  - {m['kind']} to {', '.join(m['to'])}: {m['subject']}")
        else:
            out.append("would send no mail")
        return out


def _app_for(settings: Settings) -> tuple[App, str]:
    url = settings.database_url
    engine = None
    where = url.split("@")[-1]
    sqlite_file = url.startswith("sqlite:///") and url[len("sqlite:///"):] not in ("", ":memory:")
    if not sqlite_file or Path(url[len("sqlite:///"):]).exists():
        engine = dbengine.make_engine(url)
        try:
            if not dbengine.is_current(engine):
                engine.dispose()
                engine, where = None, f"empty in-memory database ({where} is not at the current schema)"
        except Exception as exc:
            engine.dispose()
            engine, where = None, f"empty in-memory database ({where} unreachable: {type(exc).__name__})"
    else:
        where = f"empty in-memory database ({where} does not exist yet)"
    if engine is None:
        engine = dbengine.make_engine("sqlite://")
        dbengine.upgrade(engine)
    app = App(settings=settings, engine=engine, sessions=dbengine.session_factory(engine),
              templates=Templates(settings.templates_dir), rules=load_rules(settings),
              calendar=make_calendar(settings))
    return app, where


def dry_run(settings: Settings, raw: bytes, *, app: App | None = None) -> DryRun:
    """Run ``raw`` through the pipeline and roll everything back."""
    from mailbot.pipeline import Pipeline

    owned = app is None
    if app is None:
        app, where = _app_for(settings)
    else:
        where = settings.database_url.split("@")[-1]
    try:
        mail = parse(raw, max_message_size=settings.mailbot.max_message_size,
                     max_attachment_size=settings.mailbot.max_attachment_size)
        screening = screen(mail, settings)
        created: list = []
        session = app.sessions()
        # Rows flushed early (autoflush before a query) are no longer in
        # session.new at the end: collect them as they are flushed.
        sa_event.listen(session, "before_flush", lambda s, _ctx, _i: created.extend(s.new))
        try:
            with session.begin():
                match = find_ticket(session, mail, screening, settings)
                thread = {"ticket": match.ticket.number if match.ticket else None, "how": match.how,
                          "linked": match.linked.number if match.linked else None}
                outcome = Pipeline(app)._apply(session, app, mail, "dry-run")
                session.flush()
                report = DryRun(
                    database=where, action=outcome.action, detail=outcome.detail,
                    screening={"kind": screening.kind, "role": screening.role, "trusted": screening.trusted,
                               "vendor": screening.vendor, "reasons": list(screening.reasons)},
                    thread=thread,
                    rules=app.rules.classify(mail).to_json() if app.rules is not None else None,
                    ticket=_ticket_json(app, outcome.ticket, created, session),
                    mails=[_mail_json(m) for m in created if isinstance(m, MessageRow) and m.direction == "out"],
                    events=[{"ticket": e.ticket.number if e.ticket else None, "kind": e.kind, "actor": e.actor,
                             "data": e.data} for e in created if isinstance(e, Event)],
                )
                session.rollback()
        finally:
            session.close()
        return report
    finally:
        if owned:
            app.close()


def _ticket_json(app, number, created, session) -> dict | None:
    from mailbot.sla import local_text

    if number is None:
        return None
    ticket = next((t for t in created if isinstance(t, Ticket) and t.number == number), None)
    if ticket is None:
        from sqlalchemy import select

        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    return {
        "number": ticket.number, "new": any(t is ticket for t in created), "status": ticket.status,
        "severity": ticket.severity, "category": ticket.category, "product": ticket.product,
        "assignee": ticket.assignee, "out_of_scope": ticket.out_of_scope, "requester": ticket.requester,
        "attention_due": ticket.attention_due.isoformat() if ticket.attention_due else None,
        "attention_due_local": local_text(app, ticket.attention_due) if ticket.attention_due else None,
    }


def _mail_json(m: MessageRow) -> dict:
    return {"kind": m.kind, "to": list(m.to_addrs), "cc": list(m.cc_addrs or []), "subject": m.subject,
            "body": m.body_text}
