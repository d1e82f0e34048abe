"""The ``#commands`` a team member writes at the top of a reply.

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
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

STATUSES = {
    "en-progreso": "in_progress",
    "esperando-cliente": "waiting_client",
    "resuelto": "resolved",
    "cerrado": "closed",
}
SEVERITIES = ("critica", "grave", "leve")
MANAGER = ("gerente", "manager")

_NAMES = {
    "estado": "status", "status": "status",
    "severidad": "severity", "severity": "severity",
    "asignar": "assign", "assign": "assign",
    "escalar": "escalate", "escalate": "escalate",
    "nota": "note", "note": "note",
    "resumen": "summary", "summary": "summary",
}
_ANYWHERE = {"note", "summary"}

# "#" and a letter, so "#123" (a ticket number) and "# Título" are text.
_COMMAND = re.compile(r"[ \t]*#(?P<name>[^\W\d_][\w-]*)[ \t]*:?[ \t]*(?P<arg>.*)")


@dataclass(frozen=True)
class Command:
    name: str  # canonical: status, severity, assign, escalate, note, summary
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
        name = _NAMES.get(fold(m["name"])) if m else None
        if m is None or (not leading and name not in _ANYWHERE):
            leading = leading and not line.strip()
            public.append(line)
            i += 1
            continue
        end = i + 1
        if name == "note":
            end = len(lines)
        elif name == "summary":
            while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("#"):
                end += 1
        raw = "\n".join(lines[i:end]).strip()
        arg = "\n".join([m["arg"], *lines[i + 1:end]]).strip()
        if name is None:
            errors.append(f"Línea {i + 1}: comando desconocido «#{m['name']}». "
                          f"Comandos válidos: {_summary_line(vendors)}.")
        elif any(c.name == name for c in commands):
            errors.append(f"Línea {i + 1}: «#{m['name']}» está repetido; escríbelo una sola vez.")
        else:
            value, error = _check(name, arg, vendors)
            if error:
                errors.append(f"Línea {i + 1}: «{line.strip()}»: {error}")
            else:
                commands.append(Command(name, value, i + 1, raw))
        i = end
    found = {c.name: c.arg for c in commands}
    return CommandBlock(
        commands=tuple(commands),
        # A #resumen taken from between paragraphs leaves its blank lines behind.
        public=re.sub(r"\n{3,}", "\n\n", "\n".join(public)).strip(),
        note=found.get("note"),
        summary=found.get("summary"),
        errors=tuple(errors),
    )


def help_text(*, vendors: Iterable[str] = ()) -> str:
    """The list of valid commands, in Spanish, for the error reply."""
    vendors = tuple(vendors)
    targets = "|".join((MANAGER[0], *vendors)) if vendors else "gerente|FABRICANTE"
    return "\n".join([
        "Comandos válidos (al inicio de la respuesta, uno por línea):",
        f"  #estado {'|'.join(STATUSES)}",
        f"  #severidad {'|'.join(SEVERITIES)}",
        "  #asignar NOMBRE o CORREO",
        f"  #escalar {targets}",
        "  #resumen TEXTO  (resumen de cierre; sigue en las líneas siguientes"
        " hasta una línea en blanco)",
        "  #nota TEXTO  (nota interna: todo lo que sigue, hasta el final,"
        " no se envía al cliente)",
        "También en inglés: #status #severity #assign #escalate #summary #note.",
        "Mayúsculas y acentos dan igual, y se admite «#estado: resuelto».",
        "#nota y #resumen valen también al inicio de cualquier línea más abajo;"
        " los demás, solo arriba, antes del texto.",
    ])


def _check(name: str, arg: str, vendors: tuple[str, ...]) -> tuple[str, str | None]:
    """The canonical value of ``arg``, or an error in Spanish."""
    if not arg:
        what = {"assign": "un nombre o correo", "note": "un texto", "summary": "un texto"}
        valid = _valid(name, vendors)
        return "", f"falta {what.get(name, 'un valor')}." + (f" Valores válidos: {valid}." if valid else "")
    if name in ("assign", "note", "summary"):
        return arg, None
    # Fixed values: "En progreso", "EN_PROGRESO." and "en-progreso" are the same.
    key = re.sub(r"[\s_]+", "-", fold(arg).rstrip(".,;!"))
    if name == "status" and key in STATUSES:
        return STATUSES[key], None
    if name == "severity" and key in SEVERITIES:
        return key, None
    if name == "escalate":
        if key in MANAGER:
            return "manager", None
        for vendor in vendors:
            if fold(vendor) == fold(arg):
                return vendor, None
    return "", f"valor no válido «{arg}». Valores válidos: {_valid(name, vendors)}."


def _valid(name: str, vendors: tuple[str, ...]) -> str:
    return {
        "status": ", ".join(STATUSES),
        "severity": ", ".join(SEVERITIES),
        "escalate": ", ".join((MANAGER[0], *vendors)),
    }.get(name, "")


def _summary_line(vendors: tuple[str, ...]) -> str:
    targets = "|".join((MANAGER[0], *vendors))
    return (f"#estado {'|'.join(STATUSES)}, #severidad {'|'.join(SEVERITIES)}, "
            f"#asignar NOMBRE, #escalar {targets}, #resumen TEXTO, #nota TEXTO")


def fold(s: str) -> str:
    """Case and accents folded: "CRÍTICA" is "critica"."""
    decomposed = unicodedata.normalize("NFKD", s.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
