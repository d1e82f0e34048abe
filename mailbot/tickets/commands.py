"""The ``#commands`` a team member writes at the top of a reply: each command, and reading them.

``parse_commands`` reads the new part of a reply (see ``mailbot.mail.quotes``) and
returns what to do, what to relay to the client, and every mistake, so that
the caller can either apply all of it or nothing and answer with the errors.

Rules, kept few so that engineers can predict them:

- A command is a line that starts with ``#`` and a letter: ``#estado
  resuelto``, ``#Estado: RESUELTO``.  Names and fixed values ignore case and
  accents; English names (``#status`` …) are aliases.
- Commands are read in the leading block only: the lines at the top, blank
  lines allowed, up to the first line that is not a command.  Below that,
  ``#estado`` and the like are plain text and are relayed as written.
- Two exceptions, valid at the start of any line: ``#nota`` and ``#resumen``.
  ``#nota`` makes the rest of the text, to the end, an internal note; it never
  reaches the client, even when written under the public answer.  ``#resumen``
  takes its line and the following lines up to a blank line or a line that
  starts with ``#``.
- ``public`` is the text without command lines and without the note.
- Each command may appear once; a repeated one is an error.  In the leading
  block an unknown ``#word`` is an error rather than text, so that a typo is
  reported instead of being sent to the client.
- ``#fusionar`` applies after the others, wherever written: they act on this
  ticket, whose thread then moves into the target.

Each command is one class registered in ``REGISTRY``: its names, how its
argument reads, what the ticket's state may refuse (``precheck``) and what it
does (``apply``). The last two act through a ``Desk`` that
``mailbot.tickets.replies`` provides: this module sits below the ticket
actions and escalation (see the import contract), so it never reaches the
database itself, and the parser stays a pure function the unit tests call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from mailbot.mail.text import fold
from mailbot.vocab import Role, Severity, Status

# The words the team types for a status (kept stable: documented in the README and docs).
STATUSES = {
    "en-progreso": Status.IN_PROGRESS,
    "esperando-cliente": Status.WAITING_CLIENT,
    "esperando-fabricante": Status.WAITING_VENDOR,
    "resuelto": Status.RESOLVED,
    "cerrado": Status.CLOSED,
}
# Also understood, not listed in the help: the English words, as the CLI shows them too.
STATUS_ALIASES = {
    "in-progress": Status.IN_PROGRESS,
    "waiting-client": Status.WAITING_CLIENT,
    "waiting-on-client": Status.WAITING_CLIENT,
    "waiting-vendor": Status.WAITING_VENDOR,
    "waiting-on-vendor": Status.WAITING_VENDOR,
    "resolved": Status.RESOLVED,
    "closed": Status.CLOSED,
}
# Severities are typed as stored: the Spanish words are the values.
SEVERITIES = tuple(Severity)
# "#escalar gerente" (or "manager"); the first word is the one shown.
MANAGER = ("gerente", "manager")

# "#" and a letter, so "#123" (a ticket number) and "# Título" are text.
_COMMAND = re.compile(r"[ \t]*#(?P<name>[^\W\d_][\w-]*)[ \t]*:?[ \t]*(?P<arg>.*)")


@dataclass(frozen=True)
class Command:
    name: str  # canonical: status, severity, assign, escalate, merge, split, handled, note, summary
    arg: str  # canonical value, or the text for assign, note and summary
    line: int  # 1-based, in the text given to parse_commands
    raw: str  # the line(s) as written


@dataclass(frozen=True)
class CommandBlock:
    commands: tuple[Command, ...] = ()
    public: str = ""
    note: str | None = None
    summary: str | None = None
    errors: tuple[str, ...] = ()


class Desk(Protocol):
    """What a command may do to the ticket its reply is in; ``tickets.replies`` implements it."""

    @property
    def team(self) -> set[str]: ...
    def resolve_assignee(self, who: str) -> str: ...
    def set_status(self, status: Status) -> None: ...
    def set_severity(self, severity: Severity) -> None: ...
    def assign(self, who: str) -> None: ...
    def escalation_refusal(self, target: str) -> str | None: ...
    def escalate_to_manager(self) -> None: ...
    def open_vendor_case(self, vendor: str) -> None: ...
    def keep_note(self, text: str) -> None: ...
    def add_summary(self, text: str) -> None: ...
    def merge_refusal(self, seq: int, force: bool) -> str | None: ...
    def merge_into(self, seq: int, force: bool) -> None: ...
    def split_refusal(self) -> str | None: ...
    def split(self) -> None: ...
    def handled_refusal(self) -> str | None: ...
    def mark_handled(self) -> None: ...


class BadArgument(Exception):
    """A command's argument does not read; the message is the Spanish error for the sender."""


class CommandSpec:
    """One ``#command``. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]  # canonical, English: stored in events
    aliases: ClassVar[tuple[str, ...]]  # as typed, folded: the Spanish word first, then the English
    placeholder: ClassVar[str] = ""  # shown for a free-text argument in the one-line summary
    help_arg: ClassVar[str] = ""  # ... and in the help; defaults to the placeholder
    missing: ClassVar[str] = "un valor"  # "falta ..." when the argument is empty
    # Valid at the start of any line, not only in the leading block.
    anywhere: ClassVar[bool] = False
    # Applied before the other commands, in this order, wherever written; None: in the order written.
    early: ClassVar[int | None] = None
    # Applied after all the others, wherever written: it ends the ticket's life as it is (#fusionar).
    last: ClassVar[bool] = False
    # False: the command takes no argument (#separar); one written is an error.
    takes_arg: ClassVar[bool] = True

    def values(self, vendors: tuple[str, ...]) -> tuple[str, ...]:
        """The fixed values, as typed; () for free text."""
        return ()

    def shown(self, vendors: tuple[str, ...], *, full: bool = False) -> str:
        """The argument as the help (``full``) or the one-line summary shows it."""
        values = self.values(vendors)
        if values:
            return "|".join(values)
        return (self.help_arg or self.placeholder) if full else self.placeholder

    def end(self, lines: list[str], i: int) -> int:
        """Where the command starting on line ``i`` ends (exclusive)."""
        return i + 1

    def parse(self, arg: str, vendors: tuple[str, ...]) -> str:
        """The canonical value of ``arg`` (not empty); raises BadArgument."""
        return arg

    def precheck(self, desk: Desk, cmd: Command) -> str | None:
        """What the ticket's state refuses, as a Spanish sentence, found before anything applies."""
        return None

    def apply(self, desk: Desk, cmd: Command) -> None:
        raise NotImplementedError

    def invalid(self, arg: str, vendors: tuple[str, ...]) -> BadArgument:
        return BadArgument(f"valor no válido «{arg}». Valores válidos: {', '.join(self.values(vendors))}.")


def _key(arg: str) -> str:
    """A fixed value as compared: "En progreso", "EN_PROGRESO." and "en-progreso" are the same."""
    return re.sub(r"[\s_]+", "-", fold(arg).rstrip(".,;!"))


class StatusCommand(CommandSpec):
    name, aliases = "status", ("estado", "status")

    def values(self, vendors):
        return tuple(STATUSES)

    def parse(self, arg, vendors):
        status = STATUSES.get(_key(arg)) or STATUS_ALIASES.get(_key(arg))
        if status is None:
            raise self.invalid(arg, vendors)
        return status

    def apply(self, desk, cmd):
        desk.set_status(Status(cmd.arg))


class SeverityCommand(CommandSpec):
    name, aliases = "severity", ("severidad", "severity")

    def values(self, vendors):
        return SEVERITIES

    def parse(self, arg, vendors):
        if _key(arg) not in SEVERITIES:
            raise self.invalid(arg, vendors)
        return Severity(_key(arg))

    def apply(self, desk, cmd):
        desk.set_severity(Severity(cmd.arg))


class AssignCommand(CommandSpec):
    name, aliases = "assign", ("asignar", "assign")
    placeholder, help_arg, missing = "NOMBRE", "NOMBRE o CORREO", "un nombre o correo"

    def precheck(self, desk, cmd):
        if desk.resolve_assignee(cmd.arg) in desk.team:
            return None
        team = ", ".join(sorted(desk.team)) or "(nadie configurado)"
        return f"«{cmd.arg}» no es un miembro del equipo. Equipo: {team}."

    def apply(self, desk, cmd):
        desk.assign(cmd.arg)


class EscalateCommand(CommandSpec):
    """``#escalar gerente`` (the arg is ``Role.MANAGER``, the escalation's target) or a vendor's configured name."""

    name, aliases = "escalate", ("escalar", "escalate")

    def values(self, vendors):
        return (MANAGER[0], *vendors)

    def shown(self, vendors, *, full=False):
        return "gerente|FABRICANTE" if full and not vendors else super().shown(vendors)

    def parse(self, arg, vendors):
        if _key(arg) in MANAGER:
            return Role.MANAGER
        for vendor in vendors:
            if fold(vendor.strip()) == fold(arg):
                return vendor
        raise self.invalid(arg, vendors)

    def precheck(self, desk, cmd):
        refused = desk.escalation_refusal(cmd.arg)
        return f"{refused}." if refused else None

    def apply(self, desk, cmd):
        if cmd.arg == Role.MANAGER:
            desk.escalate_to_manager()
        else:
            desk.open_vendor_case(cmd.arg)


class SummaryCommand(CommandSpec):
    name, aliases = "summary", ("resumen", "summary")
    placeholder, missing, anywhere = "TEXTO", "un texto", True
    help_arg = "TEXTO  (resumen de cierre; sigue en las líneas siguientes hasta una línea en blanco)"
    # Before a "#estado cerrado" written above it: the closure mail reads the summary.
    early = 1

    def end(self, lines, i):
        end = i + 1
        while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("#"):
            end += 1
        return end

    def apply(self, desk, cmd):
        desk.add_summary(cmd.arg)


class NoteCommand(CommandSpec):
    name, aliases = "note", ("nota", "note")
    placeholder, missing, anywhere = "TEXTO", "un texto", True
    help_arg = "TEXTO  (nota interna: todo lo que sigue, hasta el final, no se envía al cliente)"
    early = 0

    def end(self, lines, i):
        return len(lines)  # the rest of the text, whatever it holds

    def apply(self, desk, cmd):
        desk.keep_note(cmd.arg)


# "IMG-000123", "img-123", "#123" or "123": the digits are the ticket's sequence number, whatever
# the prefix (the number format is config, which this pure module does not read).
_TICKET_NUMBER = re.compile(r"#?(?:[^\W\d_]+[-_]?)?(?P<seq>\d{1,12})")
# "#fusionar IMG-000123 forzar": merge across clients of different mail domains.
FORCE = ("forzar", "force")


class MergeCommand(CommandSpec):
    """``#fusionar NUMBER [forzar]``: this ticket into NUMBER. The arg is the target's seq, then " force" if given."""

    name, aliases = "merge", ("fusionar", "merge")
    placeholder, missing = "NÚMERO [forzar]", "el número del ticket en el que se fusiona este"
    help_arg = "NÚMERO [forzar]  (este ticket pasa a NÚMERO y se cierra; forzar: si el cliente es de otro dominio)"
    # Whatever else the reply does acts on this ticket first, and moves with its thread.
    last = True

    def parse(self, arg, vendors):
        words = arg.split()
        number = _TICKET_NUMBER.fullmatch(words[0])
        force = [fold(w) for w in words[1:]]
        if number is None or len(force) > 1 or (force and force[0] not in FORCE):
            raise BadArgument(
                f"«{arg}» no es un número de ticket. Escriba «#fusionar NÚMERO» (p. ej. #fusionar 123),"
                " o «#fusionar NÚMERO forzar» si el cliente es de otro dominio."
            )
        return str(int(number["seq"])) + (" force" if force else "")

    @staticmethod
    def target(cmd: Command) -> tuple[int, bool]:
        """(the target's seq, forced) of a parsed ``#fusionar``."""
        seq, _, force = cmd.arg.partition(" ")
        return int(seq), force == "force"

    def precheck(self, desk, cmd):
        refused = desk.merge_refusal(*self.target(cmd))
        return f"{refused}." if refused else None

    def apply(self, desk, cmd):
        desk.merge_into(*self.target(cmd))


class SplitCommand(CommandSpec):
    """``#separar`` in a reply to the notice of a client's mail (or to the mail): that mail becomes a ticket of its own."""

    name, aliases = "split", ("separar", "split")
    takes_arg = False
    # The help's column of explanations starts two spaces after the command, as the others'.
    help_arg = " (en respuesta al aviso de un correo del cliente: ese correo pasa a un ticket nuevo)"

    def precheck(self, desk, cmd):
        refused = desk.split_refusal()
        return f"{refused}." if refused else None

    def apply(self, desk, cmd):
        desk.split()


class HandledCommand(CommandSpec):
    """``#atendido``: the client's last mail needs no answer ("gracias"); its attention clock stops."""

    name, aliases = "handled", ("atendido", "handled")
    takes_arg = False
    help_arg = " (el último correo del cliente no requiere respuesta: se detiene su plazo de atención)"

    def precheck(self, desk, cmd):
        refused = desk.handled_refusal()
        return f"{refused}." if refused else None

    def apply(self, desk, cmd):
        desk.mark_handled()


# In the order the help lists them.
REGISTRY: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        StatusCommand(),
        SeverityCommand(),
        AssignCommand(),
        EscalateCommand(),
        MergeCommand(),
        SplitCommand(),
        HandledCommand(),
        SummaryCommand(),
        NoteCommand(),
    )
}
_BY_ALIAS = {alias: spec for spec in REGISTRY.values() for alias in spec.aliases}


def parse_commands(text: str, *, vendors: Iterable[str]) -> CommandBlock:
    """Read the commands of ``text``; ``vendors`` are the names #escalar accepts."""
    vendors = tuple(vendors)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    commands: list[Command] = []
    errors: list[str] = []
    public: list[str] = []
    leading = True
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _COMMAND.fullmatch(line)
        spec = _BY_ALIAS.get(fold(m["name"])) if m else None
        if m is None or (not leading and not (spec and spec.anywhere)):
            leading = leading and not line.strip()
            public.append(line)
            i += 1
            continue
        end = spec.end(lines, i) if spec else i + 1
        raw = "\n".join(lines[i:end]).strip()
        arg = "\n".join([m["arg"], *lines[i + 1 : end]]).strip()
        if spec is None:
            errors.append(
                f"Línea {i + 1}: comando desconocido «#{m['name']}». Comandos válidos: {_summary_line(vendors)}."
            )
        elif any(c.name == spec.name for c in commands):
            errors.append(f"Línea {i + 1}: «#{m['name']}» está repetido; escríbelo una sola vez.")
        else:
            try:
                commands.append(Command(spec.name, _parse(spec, arg, vendors), i + 1, raw))
            except BadArgument as bad:
                errors.append(f"Línea {i + 1}: «{line.strip()}»: {bad}")
        i = end
    found = {c.name: c.arg for c in commands}
    return CommandBlock(
        commands=tuple(commands),
        # A #resumen taken from between paragraphs leaves its blank lines behind.
        public=re.sub(r"\n{3,}", "\n\n", "\n".join(public)).strip(),
        note=found.get(NoteCommand.name),
        summary=found.get(SummaryCommand.name),
        errors=tuple(errors),
    )


def _parse(spec: CommandSpec, arg: str, vendors: tuple[str, ...]) -> str:
    if not spec.takes_arg:
        if arg:
            raise BadArgument(f"no lleva valor; escriba solo «#{spec.aliases[0]}».")
        return ""
    if not arg:
        valid = ", ".join(spec.values(vendors))
        raise BadArgument(f"falta {spec.missing}." + (f" Valores válidos: {valid}." if valid else ""))
    return spec.parse(arg, vendors)


def help_text(*, vendors: Iterable[str] = ()) -> str:
    """The list of valid commands, in Spanish, for the error reply."""
    vendors = tuple(vendors)
    return "\n".join(
        [
            "Comandos válidos (al inicio de la respuesta, uno por línea):",
            *(f"  #{spec.aliases[0]} {spec.shown(vendors, full=True)}".rstrip() for spec in REGISTRY.values()),
            f"También en inglés: {' '.join('#' + spec.aliases[1] for spec in REGISTRY.values())}.",
            "Mayúsculas y acentos dan igual, y se admite «#estado: resuelto».",
            "#nota y #resumen valen también al inicio de cualquier línea más abajo;"
            " los demás, solo arriba, antes del texto.",
        ]
    )


def _summary_line(vendors: tuple[str, ...]) -> str:
    return ", ".join(f"#{spec.aliases[0]} {spec.shown(vendors)}".rstrip() for spec in REGISTRY.values())
