"""Mail templates edited by ops, rendered in Jinja2's sandbox.

A template file is a mail: a ``Subject:`` line, a blank line, then the body.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from mailbot.errors import TemplateError
from mailbot.vocab import Severity, Status

# What the `severity` and `status` filters write in client and team mail.
SEVERITY_LABELS = {s: s.label for s in Severity}
STATUS_LABELS = {
    Status.NEW: "nuevo",
    Status.IN_PROGRESS: "en progreso",
    Status.WAITING_CLIENT: "esperando al cliente",
    Status.WAITING_VENDOR: "esperando al fabricante",
    Status.RESOLVED: "resuelto",
    Status.CLOSED: "cerrado",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class Templates:
    """The template files of one or more folders, read once.

    ``directories`` are looked up in order, file by file: ops' own folder
    first, the shipped templates after it, so a folder copied from an older
    version keeps working when a later version adds a template.

    The files are read into memory when loaded: an edit on disk takes effect
    at the next reload (SIGHUP), after ``check`` has passed on it, never
    half-way through a running daemon's day.
    """

    def __init__(self, directories: Path | Sequence[Path]):
        if isinstance(directories, (str, os.PathLike)):
            directories = [directories]
        self.directories = tuple(Path(d) for d in directories)
        self.sources: dict[str, str] = {}
        self.paths: dict[str, Path] = {}  # where each template was read: error lines name that file
        for directory in self.directories:
            for name, (path, text) in _read_folder(directory).items():
                if name not in self.sources:
                    self.sources[name], self.paths[name] = text, path
        self.env = SandboxedEnvironment(
            loader=_SnapshotLoader(self.sources, self.paths),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["severity"] = lambda s: SEVERITY_LABELS.get(s, str(s).upper())
        self.env.filters["status"] = lambda s: STATUS_LABELS.get(s, s)

    def render(self, name: str, **context) -> Rendered:
        path = self.paths.get(name, self.directories[0] / name)
        try:
            text = self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError([(str(path), exc.lineno, exc.message)]) from None
        except jinja2.TemplateNotFound:
            raise TemplateError([(str(path), None, "template not found")]) from None
        except Exception as exc:
            raise TemplateError([(str(path), _error_line(exc, name), f"{type(exc).__name__}: {exc}")]) from None
        head, sep, body = text.partition("\n\n")
        if not sep or not head.lower().startswith("subject:"):
            raise TemplateError([(str(path), 1, "must start with a 'Subject:' line followed by a blank line")])
        return Rendered(subject=" ".join(head[len("subject:") :].split()), body=body.lstrip("\n"))

    def check(self, samples: dict[str, dict]) -> list[tuple[str, int | None, str]]:
        problems = []
        for name, context in samples.items():
            try:
                self.render(name, **context)
            except TemplateError as exc:
                problems.extend(exc.problems)
        return problems


class _SnapshotLoader(jinja2.BaseLoader):
    """Serves the files as read at load time, under their real paths (for error lines)."""

    def __init__(self, sources: dict[str, str], paths: dict[str, Path]):
        self.sources, self.paths = sources, paths

    def get_source(self, environment, template):
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        return self.sources[template], str(self.paths[template]), lambda: True

    def list_templates(self):
        return sorted(self.sources)


def _read_folder(directory: Path) -> dict[str, tuple[Path, str]]:
    sources = {}
    if directory.is_dir():
        for path in sorted(directory.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                try:
                    sources[path.relative_to(directory).as_posix()] = (path, path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError) as exc:
                    raise TemplateError([(str(path), None, f"cannot read: {exc}")]) from None
    return sources


def _error_line(exc: Exception, name: str) -> int | None:
    # Jinja2 rewrites tracebacks so the template's own frame carries its line.
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
