"""Mail that threads into an existing ticket: team, client and vendor replies.

Called by ``pipeline.apply.append`` after the message is recorded. A trusted
team reply is read for ``#commands``: all of them apply, or none and the
sender gets the errors. Its public part reaches the client (relayed when the
client was not among its recipients) and the first one stops the attention clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mailbot.db.models import Ticket
from mailbot.errors import EscalationRefused, MergeRefused
from mailbot.mail.quotes import split_reply
from mailbot.mail.text import fold
from mailbot.tickets import actions as ticket_ops
from mailbot.tickets import clocks, escalation, merge
from mailbot.tickets.actions import event
from mailbot.tickets.commands import (
    REGISTRY,
    Command,
    CommandBlock,
    NoteCommand,
    StatusCommand,
    help_text,
    parse_commands,
)
from mailbot.vocab import ClockSource, ClockStop, MessageKind, Party, Role, Severity, Status

WHO_LABEL = {Party.REQUESTER: "El cliente", Role.VENDOR: "El fabricante", Party.WATCHER: "Un colaborador del cliente"}


class CommandErrors(Exception):
    """The #commands of a mail that cannot apply, one Spanish line each: nothing of it was applied."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def team_reply(ctx, ticket: Ticket, *, text: str | None = None, relay: bool = True, answer_errors: bool = True) -> str:
    """A trusted team member's mail on ``ticket``: its #commands, and its public part for the client.

    ``text``: what to read instead of the mail's own text (a report brought in for
    a client, with its own commands taken out). ``relay`` False: the public part
    is not an answer to the client (it is the report itself) and goes nowhere.
    ``answer_errors`` False: commands that cannot apply raise ``CommandErrors``
    instead of being answered here (the caller undoes more than the commands).
    Returns a short detail for the log line.
    """
    mail, settings = ctx.mail, ctx.settings
    sender = mail.from_addr
    reply = split_reply(mail.text if text is None else text)
    text, signature = reply.new, reply.signature.strip()
    if any(line.lstrip().startswith("#") for line in signature.splitlines()):
        # "#nota" below a "-- " line is still a note: read it, relay no signature.
        text, signature = reply.new + "\n" + reply.signature, ""
    block = parse_commands(text, vendors=settings.vendors.keys())
    desk = _ReplyDesk(ctx, ticket, sender, block)
    errors = list(block.errors) + _precheck(desk, block)
    if not errors:
        try:
            # All or nothing: an escalation (or a merge) another process made since the
            # precheck undoes what this reply already did, and the sender hears why.
            with ctx.session.begin_nested():
                return _apply(ctx, ticket, desk, signature, relay=relay)
        except (EscalationRefused, MergeRefused) as refused:
            errors = [f"{_where(desk.current)}: {refused.reason}."]
    if not answer_errors:
        raise CommandErrors(errors)
    event(ctx, ticket, "command_error", actor=sender, errors=errors, message_id=mail.message_id)
    ticket_ops.send_internal(
        ctx,
        ticket,
        MessageKind.COMMAND_ERROR,
        "command_error.txt",
        [sender],
        in_reply_to=mail.message_id,
        auto=True,
        errors=errors,
        help=help_text(vendors=settings.vendors.keys()),
    )
    return f"command errors: {len(errors)}"


def _apply(ctx, ticket: Ticket, desk: _ReplyDesk, signature: str, *, relay: bool = True) -> str:
    mail, settings, block, sender = ctx.mail, ctx.settings, desk.block, desk.sender
    public = block.public.strip() if relay else ""
    client_side = ticket_ops.client_side(ctx, ticket)
    outsiders = _outside_recipients(ctx, client_side)
    # Written straight to someone on the client's side (support copied): already delivered.
    desk.client_copied = any(a in client_side for a in mail.recipients)
    to_client = public and not outsiders and not desk.client_copied and settings.mailbot.address in mail.to
    relayed = False
    if public and (to_client or desk.client_copied):
        # The client's side has it (straight from the engineer, whoever else was copied) or gets it now.
        relayed = (
            to_client
            and ticket_ops.send_public(
                ctx, ticket, MessageKind.RELAY, "relay.txt", auto=None, text=public, signature=signature
            )
            is not None
        )
        ticket_ops.record_response(ctx, ticket, sender, text=public, relayed=bool(relayed))
    elif public:
        # Written to a vendor or someone else with the support address copied: not an answer
        # to the client, so it is neither relayed nor the first response.
        event(ctx, ticket, "team_mail", actor=sender, text=public, to=list(mail.recipients))
    if sender == settings.team.manager:
        ticket_ops.answered(ctx, ticket, Role.MANAGER)
    # The note and the summary first, wherever written (see CommandSpec.early); then each
    # command in the order written, with its event; a merge last (CommandSpec.last), when
    # what the others did to this ticket is there to move with it.
    for cmd in sorted(
        (c for c in block.commands if REGISTRY[c.name].early is not None), key=lambda c: REGISTRY[c.name].early
    ):
        REGISTRY[cmd.name].apply(desk, cmd)
    for cmd in block.commands:
        event(ctx, ticket, "command", actor=sender, name=cmd.name, arg=cmd.arg, line=cmd.line)
        if REGISTRY[cmd.name].early is None and not REGISTRY[cmd.name].last:
            desk.current = cmd
            REGISTRY[cmd.name].apply(desk, cmd)
    for cmd in block.commands:
        if REGISTRY[cmd.name].last:
            desk.current = cmd
            REGISTRY[cmd.name].apply(desk, cmd)
    done = [c.name for c in block.commands]
    return ("relayed" if relayed else "recorded") + (f", commands: {', '.join(done)}" if done else "")


def _where(cmd: Command) -> str:
    return f"Línea {cmd.line}: «{cmd.raw}»"


def _precheck(desk: _ReplyDesk, block: CommandBlock) -> list[str]:
    """Errors only the ticket's state can show, found before anything applies (all or nothing)."""
    errors = []
    for cmd in block.commands:
        refused = REGISTRY[cmd.name].precheck(desk, cmd)
        if refused:
            errors.append(f"{_where(cmd)}: {refused}")
    return errors


@dataclass
class _ReplyDesk:
    """What a team reply's #commands do to its ticket (``commands.Desk``), as the reply's sender."""

    ctx: Any  # the Inbound being applied
    ticket: Ticket
    sender: str
    block: CommandBlock
    client_copied: bool = False  # the reply went straight to the client's side
    current: Command | None = None  # the command being applied, named if it is refused

    @property
    def team(self) -> set[str]:
        return self.ctx.settings.team.members

    def resolve_assignee(self, who: str) -> str:
        return ticket_ops.resolve_assignee(self.ctx.settings, who)

    def set_status(self, status: Status) -> None:
        ticket_ops.set_status(self.ctx, self.ticket, status, self.sender)

    def set_severity(self, severity: Severity) -> None:
        ticket_ops.set_severity(self.ctx, self.ticket, severity, self.sender)

    def assign(self, who: str) -> None:
        ticket_ops.assign(self.ctx, self.ticket, who, self.sender)

    def escalation_refusal(self, target: str) -> str | None:
        return escalation.refusal(self.ctx, self.ticket, target)

    def escalate_to_manager(self) -> None:
        escalation.escalate_to_manager(self.ctx, self.ticket, reason="command", actor=self.sender)

    def open_vendor_case(self, vendor: str) -> None:
        # The note written with the command goes to the vendor as part of the diagnosis.
        escalation.open_vendor_case(self.ctx, self.ticket, vendor, actor=self.sender, diagnosis=self.block.note)
        if not any(c.name == StatusCommand.name for c in self.block.commands):
            # The move is the vendor's now, unless the same reply says otherwise (#estado).
            ticket_ops.set_status(self.ctx, self.ticket, Status.WAITING_VENDOR, self.sender)

    def handled_refusal(self) -> str | None:
        if clocks.running(self.ctx, self.ticket) is None:
            return "no hay un correo del cliente pendiente de respuesta en este ticket"
        return None

    def mark_handled(self) -> None:
        # Answered in the same reply already: that stopped the clock, and this has nothing left to do.
        clocks.stop(self.ctx, self.ticket, ClockStop.HANDLED, self.sender)

    def add_summary(self, text: str) -> None:
        ticket_ops.add_summary(self.ctx, self.ticket, text, self.sender)

    def merge_refusal(self, seq: int, force: bool) -> str | None:
        return merge.merge_refusal(self.ctx, self.ticket, seq, force=force)

    def merge_into(self, seq: int, force: bool) -> None:
        merge.merge(self.ctx, self.ticket, seq, actor=self.sender, force=force)

    def split_refusal(self) -> str | None:
        return merge.split_refusal(self.ctx, self.ticket, self._replied())

    def split(self) -> None:
        merge.split(self.ctx, self.ticket, self._replied(), actor=self.sender)

    def _replied(self) -> str | None:
        """The client's mail this reply answers (through our notice of it), for #separar."""
        return merge.replied_mail(self.ctx, self.ctx.mail.in_reply_to)

    def keep_note(self, text: str) -> None:
        ctx, mail = self.ctx, self.ctx.mail
        event(ctx, self.ticket, "note", actor=self.sender, text=text)
        if not self.block.public.strip() and "\n\n" in text and not self.client_copied:
            # Several paragraphs and nothing for the client: maybe an answer written
            # below "#nota". Kept internal (never guess towards the client), but said;
            # unless written to the client directly, who then has read all of it anyway.
            ticket_ops.send_internal(
                ctx,
                self.ticket,
                MessageKind.NOTE_ONLY,
                "note_only.txt",
                [self.sender],
                in_reply_to=mail.message_id,
                auto=True,
                note=text,
                commands=[c.raw.splitlines()[0] for c in self.block.commands if c.name != NoteCommand.name],
            )


def _outside_recipients(ctx, client_side: set[str]) -> list[str]:
    """Recipients who are neither us, the team, nor the client's side of the ticket."""
    own, team = ctx.settings.mailbot.address, ctx.settings.team.members
    return [a for a in ctx.mail.recipients if a != own and a not in team and a not in client_side]


def client_reply(ctx, ticket: Ticket) -> str:
    mail = ctx.mail
    sender = mail.from_addr
    reopened = False
    if ticket.status == Status.RESOLVED:
        ticket_ops.set_status(ctx, ticket, Status.IN_PROGRESS, sender)
        event(ctx, ticket, "reopened", actor=sender, message_id=mail.message_id)
        reopened = True
    elif ticket.status in (Status.WAITING_CLIENT, Status.WAITING_VENDOR):
        # The client awaits an answer: whoever the desk waited on, the move is the desk's now.
        ticket_ops.set_status(ctx, ticket, Status.IN_PROGRESS, sender)
    clocks.start(ctx, ticket, message_id=mail.message_id)
    new_text = split_reply(mail.text).new
    escalated = False
    words = wants_escalation(new_text, ctx.settings.sla.escalate_words)
    if words:
        try:
            escalation.escalate_to_manager(ctx, ticket, reason="client_request", actor=sender)
        except EscalationRefused:
            pass  # the client is not told; the ticket's escalation_skipped event says why
        else:
            escalated = True
            event(ctx, ticket, "client_asked_escalation", actor=sender, words=words)
    who = Party.REQUESTER if sender == ticket.requester else Party.WATCHER
    _notify_team(ctx, ticket, who, new_text, reopened=reopened, escalated=escalated)
    return ("reopened" if reopened else "client reply") + (", escalated to manager" if escalated else "")


def vendor_reply(ctx, ticket: Ticket, vendor: str | None) -> str:
    if vendor:
        ticket_ops.answered(ctx, ticket, vendor)
    if ticket.status == Status.WAITING_VENDOR:
        # The vendor's answer hands the turn back: the desk owes the client the next step.
        ticket_ops.set_status(ctx, ticket, Status.IN_PROGRESS, ctx.mail.from_addr)
        clocks.start(ctx, ticket, message_id=ctx.mail.message_id, source=ClockSource.VENDOR)
    _notify_team(ctx, ticket, Role.VENDOR, split_reply(ctx.mail.text).new)
    return f"vendor reply ({vendor})"


def _notify_team(ctx, ticket, who, text, *, reopened=False, escalated=False) -> None:
    # Engineers do not see what comes to the support address: tell them,
    # unless they were already among the mail's recipients.
    to = [a for a in ticket_ops.team_recipients(ctx, ticket) if a not in ctx.mail.recipients]
    ticket_ops.send_internal(
        ctx,
        ticket,
        MessageKind.UPDATE_NOTICE,
        "update_notice.txt",
        to,
        in_reply_to=ctx.mail.message_id,
        who_label=WHO_LABEL[who],
        sender=ctx.mail.from_addr,
        body=text,
        reopened=reopened,
        escalated=escalated,
    )


def wants_escalation(text: str, words: list[str]) -> list[str]:
    """The configured escalation words found in ``text`` (case, accents and word boundaries ignored)."""
    folded = fold(text)
    return [w for w in words if re.search(rf"(?<!\w){re.escape(fold(w.strip()))}(?!\w)", folded)]
