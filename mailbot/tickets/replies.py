"""Mail that threads into an existing ticket: team, client and vendor replies.

Called by ``apply.append`` after the message is recorded. A trusted team
reply is read for ``#commands``: all of them apply, or none and the sender
gets the errors. Its public part reaches the client (relayed when the client
was not among its recipients) and the first one stops the attention clock.
"""

from __future__ import annotations

import re

from mailbot.tickets import actions as ticket_ops
from mailbot.tickets.commands import fold, help_text, parse_commands
from mailbot.db.models import Ticket
from mailbot.tickets.escalation import escalate_to_manager, open_vendor_case
from mailbot.mail.quotes import split_reply
from mailbot.tickets.actions import event

WHO_LABEL = {"client": "El cliente", "vendor": "El fabricante", "watcher": "Un colaborador del cliente"}


def team_reply(ctx, ticket: Ticket) -> str:
    """Returns a short detail for the log line."""
    mail, settings = ctx.mail, ctx.settings
    sender = mail.from_addr
    reply = split_reply(mail.text)
    text, signature = reply.new, reply.signature.strip()
    if any(line.lstrip().startswith("#") for line in signature.splitlines()):
        # "#nota" below a "-- " line is still a note: read it, relay no signature.
        text, signature = reply.new + "\n" + reply.signature, ""
    block = parse_commands(text, vendors=settings.vendors.keys())
    errors = list(block.errors) + _precheck(ctx, ticket, block)
    if errors:
        event(ctx, ticket, "command_error", actor=sender, errors=errors, message_id=mail.message_id)
        ticket_ops.send_internal(ctx, ticket, "command_error", "command_error.txt", [sender],
                                 in_reply_to=mail.message_id, auto=True, errors=errors,
                                 help=help_text(vendors=settings.vendors.keys()))
        return f"command errors: {len(errors)}"
    public = block.public.strip()
    client_side = ticket_ops.client_side(ctx, ticket)
    outsiders = _outside_recipients(ctx, client_side)
    # Written straight to someone on the client's side (support copied): already delivered.
    client_copied = any(a in client_side for a in mail.recipients)
    to_client = public and not outsiders and not client_copied and settings.mailbot.address in mail.to
    relayed = False
    if public and (to_client or client_copied):
        # The client's side has it (straight from the engineer, whoever else was copied) or gets it now.
        relayed = to_client and ticket_ops.send_public(ctx, ticket, "relay", "relay.txt", auto=None, text=public,
                                                       signature=signature) is not None
        ticket_ops.record_response(ctx, ticket, sender, text=public, relayed=bool(relayed))
    elif public:
        # Written to a vendor or someone else with the support address copied: not an answer
        # to the client, so it is neither relayed nor the first response.
        event(ctx, ticket, "team_mail", actor=sender, text=public, to=list(mail.recipients))
    if sender == settings.team.manager:
        ticket_ops.answered(ctx, ticket, "manager")
    if block.note:
        event(ctx, ticket, "note", actor=sender, text=block.note)
        if not public and "\n\n" in block.note and not client_copied:
            # Several paragraphs and nothing for the client: maybe an answer written
            # below "#nota". Kept internal (never guess towards the client), but said;
            # unless written to the client directly, who then has read all of it anyway.
            ticket_ops.send_internal(ctx, ticket, "note_only", "note_only.txt", [sender],
                                     in_reply_to=mail.message_id, auto=True, note=block.note,
                                     commands=[c.raw.splitlines()[0] for c in block.commands if c.name != "note"])
    if block.summary:  # before a "#estado cerrado" written above it reads the summary
        ticket_ops.add_summary(ctx, ticket, block.summary, sender)
    for cmd in block.commands:
        event(ctx, ticket, "command", actor=sender, name=cmd.name, arg=cmd.arg, line=cmd.line)
        if cmd.name == "status":
            ticket_ops.set_status(ctx, ticket, cmd.arg, sender)
        elif cmd.name == "severity":
            ticket_ops.set_severity(ctx, ticket, cmd.arg, sender)
        elif cmd.name == "assign":
            ticket_ops.assign(ctx, ticket, cmd.arg, sender)
        elif cmd.name == "escalate" and cmd.arg == "manager":
            escalate_to_manager(ctx, ticket, reason="command", actor=sender)
        elif cmd.name == "escalate":
            open_vendor_case(ctx, ticket, cmd.arg, actor=sender, diagnosis=block.note)
    done = [c.name for c in block.commands]
    return ("relayed" if relayed else "recorded") + \
        (f", commands: {', '.join(done)}" if done else "")


def _precheck(ctx, ticket: Ticket, block) -> list[str]:
    """Errors only the ticket's state can show, found before anything applies (all or nothing)."""
    from mailbot.tickets.escalation import existing

    settings, errors = ctx.settings, []
    for cmd in block.commands:
        where = f"Línea {cmd.line}: «{cmd.raw}»"
        if cmd.name == "escalate" and cmd.arg == "manager":
            if not settings.team.manager:
                errors.append(f"{where}: no hay gerente configurado ([team] manager).")
            elif existing(ctx, ticket, "manager") is not None:
                errors.append(f"{where}: el ticket ya se escaló al gerente.")
        elif cmd.name == "escalate" and existing(ctx, ticket, cmd.arg) is not None:
            errors.append(f"{where}: ya existe un caso abierto con {cmd.arg}.")
        elif cmd.name == "assign" and ticket_ops.resolve_assignee(settings, cmd.arg) not in settings.team.members:
            team = ", ".join(sorted(settings.team.members)) or "(nadie configurado)"
            errors.append(f"{where}: «{cmd.arg}» no es un miembro del equipo. Equipo: {team}.")
    return errors


def _outside_recipients(ctx, client_side: set[str]) -> list[str]:
    """Recipients who are neither us, the team, nor the client's side of the ticket."""
    own, team = ctx.settings.mailbot.address, ctx.settings.team.members
    return [a for a in ctx.mail.recipients if a != own and a not in team and a not in client_side]


def client_reply(ctx, ticket: Ticket) -> str:
    mail = ctx.mail
    sender = mail.from_addr
    reopened = False
    if ticket.status == "resolved":
        ticket_ops.set_status(ctx, ticket, "in_progress", sender)
        event(ctx, ticket, "reopened", actor=sender, message_id=mail.message_id)
        reopened = True
    elif ticket.status == "waiting_client":
        ticket_ops.set_status(ctx, ticket, "in_progress", sender)
    new_text = split_reply(mail.text).new
    escalated = False
    words = wants_escalation(new_text, ctx.settings.sla.escalate_words)
    if words:
        escalated = escalate_to_manager(ctx, ticket, reason="client_request", actor=sender) is not None
        if escalated:
            event(ctx, ticket, "client_asked_escalation", actor=sender, words=words)
    role = "client" if sender == ticket.requester else "watcher"
    _notify_team(ctx, ticket, role, new_text, reopened=reopened, escalated=escalated)
    return ("reopened" if reopened else "client reply") + (", escalated to manager" if escalated else "")


def vendor_reply(ctx, ticket: Ticket, vendor: str | None) -> str:
    if vendor:
        ticket_ops.answered(ctx, ticket, vendor)
    _notify_team(ctx, ticket, "vendor", split_reply(ctx.mail.text).new)
    return f"vendor reply ({vendor})"


def _notify_team(ctx, ticket, role, text, *, reopened=False, escalated=False) -> None:
    # Engineers do not see what comes to the support address: tell them,
    # unless they were already among the mail's recipients.
    to = [a for a in ticket_ops.team_recipients(ctx, ticket) if a not in ctx.mail.recipients]
    ticket_ops.send_internal(ctx, ticket, "update_notice", "update_notice.txt", to, in_reply_to=ctx.mail.message_id,
                             who_label=WHO_LABEL[role], sender=ctx.mail.from_addr, body=text,
                             reopened=reopened, escalated=escalated)


def wants_escalation(text: str, words: list[str]) -> list[str]:
    """The configured escalation words found in ``text`` (case, accents and word boundaries ignored)."""
    folded = fold(text)
    return [w for w in words if re.search(rf"(?<!\w){re.escape(fold(w))}(?!\w)", folded)]
