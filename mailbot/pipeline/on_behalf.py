"""Reports the team brings in for a client: a phone call written up, and a client's mail forwarded.

The terms take reports by phone as well as by mail, and clients write to their
engineer directly. An authenticated engineer or the manager brings such a
report in by mail to the support address:

- **A call** (or a WhatsApp message): a new mail with ``#cliente ADDRESS`` in its
  leading command block, optionally ``#recibido HH:MM`` or ``#recibido
  YYYY-MM-DD HH:MM`` (local time) and ``#sin-acuse``. The text below the
  commands is the report: the rules classify it as the client's own mail.
- **A forward**: the client's mail forwarded inline (Outlook, Gmail, Apple Mail,
  Thunderbird) or attached whole (``mailbot.mail.forward``). The ticket is the
  original sender's, classified on the original's text, from the original's
  date; what the forwarder wrote above it is an internal note whose #commands
  apply. A forward of mail that belongs to a ticket joins that ticket.

Either way the ticket belongs to the client, its clocks start when the client
reported (bounded by ``[intake] max_backdate``), the team member who brought
it in is recorded (and becomes the assignee, over a rule's, unless ``#asignar``
says otherwise), and the client is acknowledged unless ``#sin-acuse``. A mail from a
team address our MTA did not authenticate is never read this way: it is that
sender's own mail, as any other.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import Enum
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mailbot.addresses import looks_like_address, normalize_address
from mailbot.db.models import MessageRow, Ticket
from mailbot.errors import BadInput
from mailbot.mail.forward import Forward, find_forward, is_forward_subject
from mailbot.mail.parse import InboundMail, parse
from mailbot.mail.quotes import split_reply
from mailbot.mail.screen import Screening, screen
from mailbot.mail.text import fold
from mailbot.outbound.outbox import queue_mail
from mailbot.pipeline.apply import closed_for_replies
from mailbot.pipeline.outcome import Action, Outcome
from mailbot.tickets import opening, replies
from mailbot.tickets.actions import event
from mailbot.tickets.commands import help_text, parse_commands
from mailbot.tickets.merge import current
from mailbot.tickets.record import Inbound, add_participants, record_message, record_unticketed
from mailbot.tickets.replies import CommandErrors
from mailbot.tickets.thread_match import find_repeat, find_ticket, repeat_key
from mailbot.vocab import MessageKind, Origin, Role, ScreeningKind

log = logging.getLogger("mailbot.apply")

# The commands only a report brought in for a client reads, as typed (folded), the Spanish word first.
CLIENT = ("cliente", "client")
RECEIVED = ("recibido", "received")
NO_ACK = ("sin-acuse", "no-ack")
_OWN_COMMANDS = {name: words for words in (CLIENT, RECEIVED, NO_ACK) for name in words}
# Same reading as tickets.commands: "#" and a letter, an optional colon, the argument.
_COMMAND = re.compile(r"[ \t]*#(?P<name>[^\W\d_][\w-]*)[ \t]*:?[ \t]*(?P<arg>.*)")
_NAMED = re.compile(r'^\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^<]*?))\s*<(?P<addr>[^<>\s]+)>\s*$')
_TIME = re.compile(r"^(?:(?P<date>\d{4}-\d{2}-\d{2})[ T]+)?(?P<h>\d{1,2}):(?P<m>\d{2})$")
# A future time this close to now is the clocks of two machines, not a mistake.
_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PhoneReport:
    """What ``#cliente`` and its companions say; ``errors`` in Spanish, one per wrong line."""

    client: str | None
    name: str
    received_at: datetime | None  # None: when the mail arrived
    ack: bool
    text: str  # the new text without these commands: the other #commands and the report
    errors: tuple[str, ...] = ()
    named_client: bool = False  # #cliente was written (``client`` is None when it did not read)


def read_phone(text: str, *, now: datetime, tz, max_backdate: timedelta) -> PhoneReport | None:
    """The phone-report commands in the leading block of ``text`` (its new part), or None without ``#cliente``."""
    report = read_report_commands(text, now=now, tz=tz, max_backdate=max_backdate)
    return report if report.client is not None or report.named_client else None


def read_report_commands(text: str, *, now: datetime, tz, max_backdate: timedelta) -> PhoneReport:
    """``#cliente``, ``#recibido`` and ``#sin-acuse`` in the leading block of ``text``, and the text without them.

    The block is read as ``tickets.commands`` reads it: lines from the top, blank
    lines allowed, up to the first line that is not a command. The other
    commands stay in ``text`` for ``tickets.commands``.
    """
    own: dict[str, tuple[int, str]] = {}
    keep: list[str] = []
    errors: list[str] = []
    in_block = True
    for i, line in enumerate(text.splitlines()):
        if in_block and not line.strip():
            keep.append(line)
            continue
        m = _COMMAND.fullmatch(line) if in_block else None
        if m is None:
            in_block = False
            keep.append(line)
            continue
        words = _OWN_COMMANDS.get(fold(m.group("name")))
        if words is None:
            keep.append(line)  # another #command: tickets.commands reads it
            continue
        if words[0] in own:
            errors.append(f"Línea {i + 1}: «{line.strip()}»: #{words[0]} aparece dos veces")
        own[words[0]] = (i + 1, m.group("arg").strip())
    client, name = None, ""
    if CLIENT[0] in own:
        line_no, arg = own[CLIENT[0]]
        client, name = _client(arg)
        if client is None:
            errors.append(
                f"Línea {line_no}: «#cliente {arg}»: se espera la dirección del cliente, "
                'p. ej. #cliente ana@empresa.mx o #cliente "Ana Ruiz" <ana@empresa.mx>'
            )
    received = None
    if RECEIVED[0] in own:
        line_no, arg = own[RECEIVED[0]]
        received, problem = _received(arg, now=now, tz=tz, max_backdate=max_backdate)
        if problem:
            errors.append(f"Línea {line_no}: «#recibido {arg}»: {problem.text(max_backdate)}")
    if NO_ACK[0] in own and own[NO_ACK[0]][1]:
        line_no, arg = own[NO_ACK[0]]
        errors.append(f"Línea {line_no}: «#sin-acuse {arg}»: no lleva valor")
    return PhoneReport(
        client,
        name,
        received,
        NO_ACK[0] not in own,
        "\n".join(keep).strip("\n"),
        tuple(errors),
        named_client=CLIENT[0] in own,
    )


def _client(arg: str) -> tuple[str | None, str]:
    m = _NAMED.match(arg)
    if m:
        addr, name = m.group("addr"), (m.group("quoted") if m.group("quoted") is not None else m.group("bare"))
    else:
        addr, name = arg.strip(), ""
    if not looks_like_address(addr):
        return None, ""
    return normalize_address(addr), (name or "").strip()


class TimeProblem(Enum):
    """Why a reception time is refused: (Spanish for the #recibido reply, English for the CLI and the log)."""

    FORMAT = (
        "se espera una hora HH:MM o una fecha y hora AAAA-MM-DD HH:MM (hora local)",
        "expected HH:MM or YYYY-MM-DD HH:MM (local time)",
    )
    INVALID = ("no es una fecha y hora válidas", "not a valid date and time")
    FUTURE = ("es una hora futura", "is in the future")
    TOO_OLD = (
        "es de hace más de {days:g} días ([intake] max_backdate)",
        "is more than {days:g} days ago ([intake] max_backdate)",
    )

    def text(self, max_backdate: timedelta, *, english: bool = False) -> str:
        return self.value[english].format(days=max_backdate.total_seconds() / 86400)


def _received(arg: str, *, now: datetime, tz, max_backdate: timedelta) -> tuple[datetime | None, TimeProblem | None]:
    m = _TIME.match(arg.strip())
    if m is None:
        return None, TimeProblem.FORMAT
    local_now = now.astimezone(tz)
    try:
        day = datetime.strptime(m.group("date"), "%Y-%m-%d").date() if m.group("date") else local_now.date()
        when = datetime(day.year, day.month, day.day, int(m.group("h")), int(m.group("m")), tzinfo=tz)
    except ValueError:
        return None, TimeProblem.INVALID
    # A bare HH:MM is today's: one later than now is refused, not read as yesterday's (a typo
    # would silently start the clocks a day early); yesterday is written with its date.
    return bounded(when, now=now, max_backdate=max_backdate)


def bounded(when: datetime, *, now: datetime, max_backdate: timedelta) -> tuple[datetime | None, TimeProblem | None]:
    """``when`` as a ticket's reception time, or why it cannot be: not in the future, not too old."""
    if when > now + _SKEW:
        return None, TimeProblem.FUTURE
    if when < now - max_backdate:
        return None, TimeProblem.TOO_OLD
    return min(when, now), None


def _as_client(ctx: Inbound, mail: InboundMail) -> Inbound:
    """``ctx`` with the client's mail in it: what the rules, the acknowledgement and the loop guard look at."""
    return replace(ctx, mail=mail, screening=Screening(ScreeningKind.NORMAL, Role.CLIENT, trusted=False))


# -- a call, written up --------------------------------------------------------------


def phone_report(ctx: Inbound) -> PhoneReport | None:
    """The ``#cliente`` report in a trusted team member's new mail, or None."""
    new = split_reply(ctx.mail.text).new
    return read_phone(new, now=ctx.now, tz=_zone(ctx), max_backdate=ctx.settings.intake.max_backdate)


def _zone(ctx: Inbound) -> ZoneInfo:
    return ZoneInfo(ctx.settings.mailbot.timezone)


def open_phone(ctx: Inbound, report: PhoneReport, *, described: str | None = None, by_hand: bool = False) -> Outcome:
    """Open the client's ticket for a call a team member wrote up (``by_hand``: typed on the server, by nobody)."""
    mail = ctx.mail
    errors = list(report.errors) + _client_errors(ctx.settings, report.client)
    if errors:
        return _refused(ctx, errors)
    if described is None:
        described = parse_commands(report.text, vendors=ctx.settings.vendors.keys()).public.strip()
    client_mail = replace(mail, from_addr=report.client, from_name=report.name, text=described, html="")
    client = _as_client(ctx, client_mail)
    new = opening.Opening(
        requester=report.client,
        requester_name=report.name,
        subject=mail.subject,
        received_at=report.received_at or ctx.now,
        origin=Origin.PHONE,
        taken_by=None if by_hand else mail.from_addr,
    )
    # The first message is the report as the client gave it: what a vendor's case mail quotes
    # as the client's words. The mail's raw bytes (commands, #nota) are kept as received.
    as_described = replace(ctx, mail=replace(mail, text=described, html=""))
    commands = "" if by_hand else report.text
    return _open(
        ctx,
        client,
        new,
        commands,
        ack=report.ack,
        record=lambda t: record_message(as_described, t, kind=MessageKind.PHONE),
    )


def _client_errors(settings, client: str | None) -> list[str]:
    """A client address that is the desk's own side: refused, or the desk would acknowledge itself."""
    if client is None:
        return []
    if client == settings.mailbot.address or client in settings.team.members:
        return [f"«#cliente {client}»: es una dirección del equipo o del soporte, no de un cliente"]
    domain = client.rpartition("@")[2]
    if any(domain == v.address.rpartition("@")[2].lower() for v in settings.vendors.values()):
        return [f"«#cliente {client}»: es una dirección de un fabricante, no de un cliente"]
    return []


# -- a client's mail, forwarded --------------------------------------------------------


def forwarded(ctx: Inbound, *, threaded: bool) -> Forward | None:
    """The client's mail a trusted team member forwarded, or None (not a forward, or a team member's own mail).

    ``threaded``: the mail already belongs to a ticket (a reply in its thread, or its tag).
    Then only a subject that says forward (``RV:``, ``Fwd:``…) makes it one: an answer
    to the client whose quoted history holds a forward must still reach the client.
    A forward written to anyone outside the desk (the client copied) is an answer, not
    a report handed to the desk: it goes the way of any team mail.
    """
    mail, settings = ctx.mail, ctx.settings
    if threaded and not is_forward_subject(mail.subject):
        return None
    team = frozenset(settings.team.members)
    own = settings.mailbot.address
    if own not in mail.to or any(a != own and a not in team for a in mail.recipients):
        return None
    fwd = find_forward(
        mail,
        tz=_zone(ctx),
        team=team,
        max_message_size=settings.mailbot.max_message_size,
        max_attachment_size=settings.mailbot.max_attachment_size,
    )
    if fwd is None or not fwd.sender or fwd.sender in team or fwd.sender == own:
        return None
    # A forwarded mail that is not a person's report (a vendor's, a list's, an automatic
    # one, our own domain's) stays the team member's own mail: nobody is acknowledged.
    screening = screen(client_mail_of(ctx, fwd), settings)
    if screening.kind != ScreeningKind.NORMAL or screening.role != Role.CLIENT:
        return None
    if fwd.sender.rpartition("@")[2] == settings.mail_domain:
        return None
    return fwd


def client_mail_of(ctx: Inbound, fwd: Forward) -> InboundMail:
    """The forwarded mail as the client wrote it: the attached mail itself, or the inline one rebuilt."""
    if fwd.original is not None:
        return fwd.original
    return replace(
        ctx.mail,
        from_addr=fwd.sender,
        from_name=fwd.sender_name or "",
        subject=fwd.subject or ctx.mail.subject,
        text=fwd.text,
        html="",
        to=tuple(fwd.to),
        cc=tuple(fwd.cc),
        in_reply_to=(),
        references=(),
    )


def apply_forward(ctx: Inbound, fwd: Forward, ticket: Ticket | None) -> Outcome:
    """Open the client's ticket for a forward, or add it to the ticket its mail belongs to."""
    backdate = ctx.settings.intake.max_backdate
    # The forwarder's note may say what the forwarded mail cannot: #recibido (when the client
    # reported, e.g. by phone before mailing), #cliente (whose report it is), #sin-acuse.
    own = read_report_commands(fwd.note or "", now=ctx.now, tz=_zone(ctx), max_backdate=backdate)
    errors = list(own.errors) + _client_errors(ctx.settings, own.client)
    if errors:
        return _refused(ctx, errors)
    client_mail = client_mail_of(ctx, fwd)
    if own.client is not None:
        client_mail = replace(client_mail, from_addr=own.client, from_name=own.name or client_mail.from_name)
    client = _as_client(ctx, client_mail)
    ticket = _current(ctx, ticket) if ticket is not None else _ticket_of(ctx, client, fwd)
    linked, link_reason = None, None
    if ticket is not None:
        link_reason = closed_for_replies(client, ticket)
        if link_reason is None:
            return _append_forward(ctx, client, fwd, ticket, own.text)
        # Closed (or resolved long ago): the client's new mail is a new report, as if they had written to us.
        linked, ticket = ticket, None
    received, problem = (None, None) if fwd.date is None else bounded(fwd.date, now=ctx.now, max_backdate=backdate)
    if own.received_at is not None:
        received, problem = own.received_at, None
    new = opening.Opening(
        requester=client_mail.from_addr,
        requester_name=client_mail.from_name,
        subject=client_mail.subject,
        received_at=received or ctx.now,
        origin=Origin.FORWARD,
        taken_by=ctx.mail.from_addr,
    )
    outcome = _open(
        ctx,
        client,
        new,
        own.text,
        ack=own.ack,
        record=lambda t: _record_forward(ctx, client, fwd, t),
        extra={"forward": fwd.style, "original_date": fwd.date.isoformat() if fwd.date else None},
        linked=linked,
        link_reason=link_reason,
    )
    if problem and outcome.ticket:
        log.info(
            "%s: the forwarded mail's date %s %s; its clocks start on arrival",
            outcome.ticket,
            fwd.date.isoformat(),
            problem.text(backdate, english=True),
        )
    return outcome


def _current(ctx: Inbound, ticket: Ticket) -> Ticket:
    """The ticket mail for ``ticket`` goes to now: itself, or the one it was merged into (locked)."""
    return current(ctx.session, ticket)


def _ticket_of(ctx: Inbound, client: Inbound, fwd: Forward) -> Ticket | None:
    """The ticket the forwarded mail belongs to: its Message-ID stored, the tag in its subject, or the
    same mail sent to the desk too (same sender, subject and text within ``[loops] repeat_window``)."""
    session = ctx.session
    if fwd.message_id:
        ticket_id = session.scalar(
            select(MessageRow.ticket_id).where(
                MessageRow.message_id == fwd.message_id, MessageRow.ticket_id.is_not(None)
            )
        )
        if ticket_id is not None:
            locked = session.scalar(select(Ticket).where(Ticket.id == ticket_id).with_for_update())
            return _current(ctx, locked)
    match = find_ticket(session, client.mail, client.screening, ctx.settings)
    if match.ticket is not None:
        return match.ticket
    repeat = find_repeat(session, client.mail, client.screening, ctx.settings, ctx.now, repeat_key(client.mail))
    return _current(ctx, repeat.ticket) if repeat is not None else None


def _record_forward(ctx: Inbound, client: Inbound, fwd: Forward, ticket: Ticket) -> None:
    if fwd.original is not None and not _stored(ctx, fwd.original.message_id):
        # Attached whole: the client's mail is a message of its own (its Message-ID threads
        # the client's later replies), and the forwarding mail is the team member's.
        record_message(client, ticket, kind=MessageKind.FORWARDED)
        record_message(ctx, ticket)
    elif fwd.original is not None:
        record_message(ctx, ticket)
    else:
        # Inline: one mail, the client's text in it; stored as received, shown as the client's.
        record_message(client, ticket, kind=MessageKind.FORWARDED)


def _stored(ctx: Inbound, message_id: str | None) -> bool:
    return bool(message_id) and (
        ctx.session.scalar(select(MessageRow.id).where(MessageRow.message_id == message_id)) is not None
    )


def _append_forward(ctx: Inbound, client: Inbound, fwd: Forward, ticket: Ticket, commands_text: str) -> Outcome:
    """The client's mail joins its ticket as the client's own reply would (reopening a resolved
    ticket, telling the assignee); the forwarder's note and its #commands go with it."""
    mail = ctx.mail
    _record_forward(ctx, client, fwd, ticket)
    add_participants(client, ticket, is_new=False)
    ticket.updated_at = ctx.now
    event(
        ctx,
        ticket,
        "forwarded",
        actor=mail.from_addr,
        message_id=mail.message_id,
        client=client.mail.from_addr,
        original=fwd.message_id,
        forward=fwd.style,
    )
    replies.client_reply(client, ticket)
    detail = _note_and_commands(ctx, ticket, commands_text)
    return Outcome(Action.APPENDED, ticket.number, mail.message_id, f"forward of {client.mail.from_addr}: {detail}")


# -- both ----------------------------------------------------------------------------


def _open(
    ctx: Inbound,
    client: Inbound,
    new: opening.Opening,
    commands_text: str,
    *,
    ack,
    record,
    extra=None,
    linked: Ticket | None = None,
    link_reason: str | None = None,
) -> Outcome:
    """Open the client's ticket, apply the team member's #commands, then acknowledge: all, or nothing.

    The commands apply before the acknowledgement and the team's notice are written, so
    both state the severity and the deadline the ticket really has. A command that cannot
    apply undoes the ticket (its number too) and the sender is told; the client hears nothing.
    """
    cls = ctx.app.rules.classify(client.mail) if ctx.app.rules is not None else None
    extra = dict(extra or {})
    if cls is not None and cls.ignore:
        # An ignore rule is for mail nobody asked for; a team member bringing a report in did ask.
        extra["ignore_rule_overridden"] = cls.ignore
    refusal = opening.ack_refusal(client, cls, ack=ack, reason=f"#sin-acuse by {ctx.mail.from_addr}")
    try:
        with ctx.session.begin_nested():
            ticket = opening.new_ticket(client, new, cls, linked=linked)
            record(ticket)
            add_participants(client, ticket, is_new=True)
            opening.created_events(client, ticket, new, cls, **extra)
            if linked is not None:
                event(client, ticket, "linked", linked_to=linked.number, reason=link_reason)
                event(client, linked, "linked_from", ticket=ticket.number, sender=client.mail.from_addr)
            detail = _note_and_commands(ctx, ticket, commands_text, described=new.origin == Origin.PHONE)
            opening.announce(client, ticket, cls, refusal)
    except CommandErrors as failed:
        return _refused(ctx, failed.errors)
    how = "phone report" if new.origin == Origin.PHONE else "forward"
    return Outcome(
        Action.CREATED,
        ticket.number,
        ctx.mail.message_id,
        f"{how} for {new.requester} by {new.taken_by}, {ticket.severity}"
        + (f", no ack: {refusal.reason}" if refusal else "")
        + f"; {detail}",
        severity=ticket.severity,
    )


def _note_and_commands(ctx: Inbound, ticket: Ticket, text: str, *, described: bool = False) -> str:
    """Apply the #commands of ``text`` as its sender's; keep its plain text as an internal note.

    ``described``: the plain text is the report itself (a call), already the ticket's first message.
    Raises ``CommandErrors`` when a command cannot apply (nothing of ``text`` applied).
    """
    if not text.strip():
        return "no commands"
    block = parse_commands(text, vendors=ctx.settings.vendors.keys())
    if block.errors:
        raise CommandErrors(list(block.errors))
    if block.public.strip() and not described:
        event(ctx, ticket, "note", actor=ctx.mail.from_addr, text=block.public.strip())
    if not block.commands and block.note is None and block.summary is None:
        return "no commands"
    return replies.team_reply(ctx, ticket, text=text, relay=False, answer_errors=False)


def _refused(ctx: Inbound, errors: list[str]) -> Outcome:
    """A report that cannot be brought in as written: kept unticketed, and its sender told why."""
    mail, settings = ctx.mail, ctx.settings
    record_unticketed(ctx, "report for a client refused: " + "; ".join(errors))
    rendered = ctx.app.templates.render(
        "report_refused.txt", subject=mail.subject, errors=errors, help=help_text(vendors=settings.vendors.keys())
    )
    queue_mail(
        ctx.session,
        settings,
        kind=MessageKind.COMMAND_ERROR,
        to=[mail.from_addr],
        subject=rendered.subject,
        body=rendered.body,
        in_reply_to=mail.message_id,
        auto=True,
        now=ctx.now,
    )
    return Outcome(Action.IGNORED, None, mail.message_id, f"report for a client refused: {len(errors)} error(s)")


# -- from the command line -----------------------------------------------------------


def open_by_hand(
    session,
    app,
    *,
    client: str,
    subject: str,
    body: str,
    received: str | None = None,
    ack: bool = True,
    by: str | None = None,
) -> Outcome:
    """``mailbot tickets open``: a call written up on the server, as ``#cliente`` would bring it in by mail.

    ``client`` reads as ``#cliente`` does (an address, or ``"Name" <address>``), ``received`` as
    ``#recibido``; ``by``, a team address, is who took the call. Raises BadInput on any of them
    wrong. The report is stored as a mail of its own (from ``by``, else the support address),
    so the ticket's first message is there like any other.
    """
    settings = app.settings
    now = app.clock()
    address, name = _client(client)
    if address is None:
        raise BadInput(f'--client {client!r}: expected an address, e.g. ana@empresa.mx or "Ana Ruiz" <ana@empresa.mx>')
    if _client_errors(settings, address):
        raise BadInput(f"--client {address}: a team, support or vendor address, not a client's")
    when = None
    if received is not None:
        backdate = settings.intake.max_backdate
        when, problem = _received(received, now=now, tz=ZoneInfo(settings.mailbot.timezone), max_backdate=backdate)
        if problem:
            raise BadInput(f"--received {received!r}: {problem.text(backdate, english=True)}")
    if by is not None:
        by = normalize_address(by)
        if by not in settings.team.members:
            raise BadInput(f"--by {by}: not a team address ([team] engineers or manager)")
    if not subject.strip():
        raise BadInput("--subject: the ticket needs a subject")
    if any(c in subject for c in "\r\n") or not subject.isprintable():
        raise BadInput("--subject: one line of printable text, please")
    msg = EmailMessage()
    msg["From"] = by or settings.mailbot.address
    msg["To"] = settings.mailbot.address
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=settings.mail_domain)
    msg.set_content(body or "(sin texto)")
    mail = parse(
        msg.as_bytes(),
        max_message_size=settings.mailbot.max_message_size,
        max_attachment_size=settings.mailbot.max_attachment_size,
    )
    role = Role.MANAGER if by and by == settings.team.manager else Role.ENGINEER
    ctx = Inbound(
        app=app,
        session=session,
        mail=mail,
        screening=Screening(ScreeningKind.NORMAL, role, trusted=True),
        source="cli",
        now=now,
    )
    # The body is the client's report as typed: no #commands are read in it.
    report = PhoneReport(address, name, when, ack, text="", named_client=True)
    return open_phone(ctx, report, described=mail.text.strip(), by_hand=by is None)
