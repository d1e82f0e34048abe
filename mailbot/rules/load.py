"""Read rule files, validate them, compile them into a RuleSet.

Validation collects every problem of every file before giving up, each as
``(file, line, "rule 'name': where: what")``, so ops fix a file in one pass.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from mailbot import config, tomlpos
from mailbot.addresses import looks_like_address
from mailbot.errors import RulesError
from mailbot.mail.text import fold, strip_accents
from mailbot.rules import engine
from mailbot.rules.fold import normalize_keyword
from mailbot.rules.model import CEILING, FIELDS, IMPACT, KINDS, SEVERITIES, STATEMENT
from mailbot.vocab import Severity

# The vendors rules may name when the caller gives none: those of the default [vendors] table.
DEFAULT_VENDORS = tuple(config.DEFAULT_VENDORS)

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SLUG = re.compile(r"^[a-z0-9]+([-_][a-z0-9]+)*$")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
_RULE_KEYS = ("name", "description", "kind", "match", "set", "enabled")
_ACTIONS = (
    "severity",
    "category",
    "product",
    "vendor",
    "assignee",
    "group",
    "out_of_scope",
    "no_autoreply",
    "ignore",
    "stop",
)
_OPS = ("any", "all", "none", "affirmed", "negated", "count", "regex", "not_regex", "glob", "not_glob", "exists")
_MATCH_KEYS = engine.TARGETS + ("not_set", "is_set")
_ADDRESS_TARGETS = ("from", "to", "cc", "recipients")
# Targets that hold sentences, where a keyword can be negated.
_TEXT_TARGETS = ("subject", "body", "new_subject", "new_body", "subject_or_body", "new_text")
# An uppercase letter that is not an escape (\S, \D, \W, \B, \A, \Z are escapes).
_UPPER_LITERAL = re.compile(r"(?<!\\)(?:\\\\)*[^\W\d_a-z]")
_SYNTAX_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")
_RULE_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
_SUB_HEADER = re.compile(r"^(\s*\[)\s*rule\s*\.")
_QUOTED_KEY = re.compile(
    r"""^(\s*)((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)(\s*=)"""
)


def _bare(key: str) -> str:
    """A quoted key as a bare key ``tomlpos`` can follow (paths get the same treatment)."""
    return re.sub(r"[^A-Za-z0-9_\-]", "_", key)


class _Positions:
    """Line numbers for paths inside one rule file, via :func:`mailbot.tomlpos.locate`.

    ``tomlpos`` does not know that ``[rule.match]`` belongs to the latest
    ``[[rule]]``; each rule's lines are handed to it on their own, with such
    headers (and quoted dotted keys) rewritten into the form it follows.
    """

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        self.starts = [i for i, line in enumerate(self.lines) if _RULE_HEADER.match(line)]
        self._chunks: dict[int, str] = {}

    def _chunk(self, index: int) -> str:
        if index not in self._chunks:
            start = self.starts[index]
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
            out = []
            for line in self.lines[start:end]:
                if _SUB_HEADER.match(line):
                    line = _SUB_HEADER.sub(r"\1rule.0.", line, count=1)
                    line = re.sub(r"""("[^"]*"|'[^']*')""", lambda q: _bare(q.group(0)[1:-1]), line)
                m = _QUOTED_KEY.match(line)
                if m and ('"' in m.group(2) or "'" in m.group(2)):
                    key = re.sub(r"""("[^"]*"|'[^']*')""", lambda q: _bare(q.group(0)[1:-1]), m.group(2))
                    line = m.group(1) + key + line[m.end(2) :]
                out.append(line)
            self._chunks[index] = "\n".join(out)
        return self._chunks[index]

    def line(self, path: tuple, value=None) -> int | None:
        if len(path) >= 2 and path[0] == "rule" and isinstance(path[1], int) and path[1] < len(self.starts):
            start = self.starts[path[1]]
            found = tomlpos.locate(self._chunk(path[1]), ("rule", 0, *(_bare(str(p)) for p in path[2:])))
            lineno = start + found if found else start + 1
        else:
            lineno = tomlpos.locate(self.text, path) or tomlpos.locate(self.text, (*path, 0))
        if lineno and isinstance(value, str):
            lineno = self._value_line(lineno, value)
        return lineno

    def _value_line(self, lineno: int, value: str) -> int:
        """The line of one item of a multi-line list, when it can be told."""
        forms = (f'"{value}"', f"'{value}'", '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"')
        for i in range(lineno - 1, min(len(self.lines), lineno + 200)):
            line = self.lines[i]
            if i > lineno - 1 and (
                _QUOTED_KEY.match(line)
                or (line.lstrip().startswith("[") and not line.lstrip().startswith(('["', "['")))
            ):
                break  # the next key or table: the value is not in this list
            if any(f in line for f in forms):
                return i + 1
        return lineno


class _Loader:
    def __init__(self, vendors: Iterable[str]):
        self.vendors = tuple(sorted({str(v).lower() for v in vendors}))
        self.problems: list[tuple[str, int | None, str]] = []
        self.rules: list[engine.Rule] = []
        self.files: list[tuple[Path | str, str]] = []
        self.names: dict[str, str] = {}

    # -- files ---------------------------------------------------------------

    def add_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.problems.append((str(path), None, f"cannot read: {exc.strerror}"))
            return
        self.files.append((path, hashlib.sha256(data).hexdigest()))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append((str(path), None, f"not UTF-8: {exc}"))
            return
        self.add_text(text, str(path), path.name)

    def add_text(self, text: str, label: str, short: str) -> None:
        first = len(self.problems)
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = _SYNTAX_LINE.search(msg)
            line = int(m.group(1)) if m else getattr(exc, "lineno", None)
            self.problems.append((label, line, f"TOML syntax: {_SYNTAX_LINE.sub('', msg)}"))
            return
        pos = _Positions(text)
        for key in doc:
            if key != "rule":
                self.problems.append(
                    (label, pos.line((key,)), f"unknown top-level key {key!r} (rules are written as [[rule]] tables)")
                )
        rules = doc.get("rule", [])
        if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
            self.problems.append((label, pos.line(("rule",)), "rules must be written as [[rule]] tables"))
            rules = []
        for index, raw in enumerate(rules):
            _RuleReader(self, label, short, pos, index, raw).read()
        # Within a file, report in line order.
        self.problems[first:] = sorted(self.problems[first:], key=lambda p: p[1] or 0)


class _RuleReader:
    """Validates and compiles one [[rule]] table, reporting problems to the loader."""

    def __init__(self, loader: _Loader, label: str, short: str, pos: _Positions, index: int, raw: dict):
        self.loader, self.file, self.short, self.pos, self.index, self.raw = loader, label, short, pos, index, raw
        name = raw.get("name")
        self.name = name if isinstance(name, str) and name else None
        self.ok = True

    def problem(self, path: tuple, message: str, value=None) -> None:
        self.ok = False
        who = f"rule {self.name!r}" if self.name else f"rule #{self.index + 1} (no name)"
        where = ".".join(str(p) for p in path)
        text = f"{who}: {where}: {message}" if where else f"{who}: {message}"
        # A table written only through dotted keys (subject.any = ...) has no
        # line of its own: point at its first key instead.
        node, deep = self.raw, list(path)
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        while path and isinstance(node, dict) and node:
            key = next(iter(node))
            deep.append(key)
            node = node[key]
        self.loader.problems.append((self.file, self.pos.line(("rule", self.index, *deep), value), text))

    def read(self) -> None:
        raw = self.raw
        for key in raw:
            if key not in _RULE_KEYS:
                self.problem((key,), f"unknown key{_suggest(key, _RULE_KEYS)} (known: {', '.join(_RULE_KEYS)})")
        line = self.pos.line(("rule", self.index))
        self._name(line)
        description = raw.get("description")
        if not isinstance(description, str) or not description.strip():
            self.problem(
                ("description",) if "description" in raw else (),
                "a description is required (one sentence saying what the rule is for)",
            )
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            self.problem(("enabled",), "must be true or false")
        conditions = self._match(raw.get("match"))
        actions = self._set(raw.get("set"))
        kind = self._kind(actions)
        if self.ok and enabled:
            self.loader.rules.append(
                engine.Rule(
                    name=self.name,
                    description=description.strip(),
                    file=self.short,
                    line=line,
                    conditions=tuple(sorted(conditions, key=lambda c: c.cost)),
                    actions=actions,
                    stop=bool(actions.get("stop")),
                    kind=kind,
                )
            )

    def _kind(self, actions: dict) -> str:
        kind = self.raw.get("kind", IMPACT)
        if kind not in KINDS:
            shown = kind if isinstance(kind, str) else repr(kind)
            self.problem(
                ("kind",),
                f"unknown kind {shown!r}{_suggest(shown, KINDS)} (known: {STATEMENT}: the client's own level, "
                f"decides the severity; {CEILING}: the highest severity impact may give; "
                f"{IMPACT}: what is affected, the default)",
            )
            return IMPACT
        if kind != IMPACT and "severity" not in actions and "severity" not in (self.raw.get("set") or {}):
            self.problem(("kind",), f'kind = "{kind}" is about severity, and this rule sets none')
        return kind

    def _name(self, line) -> None:
        name = self.raw.get("name")
        if name is None:
            self.problem((), 'a name is required (kebab-case, e.g. name = "critica-servicio-caido")')
        elif not isinstance(name, str) or not _NAME.match(name):
            self.name = None if not isinstance(name, str) else name
            self.problem(("name",), f"{name!r} is not a kebab-case name (lowercase letters, digits and -)")
        else:
            where = f"{self.file}:{line}" if line else self.file
            first = self.loader.names.get(name)
            if first is not None:
                self.problem(("name",), f"duplicate rule name, first defined at {first}")
            else:
                self.loader.names[name] = where

    # -- match ---------------------------------------------------------------

    def _match(self, match) -> list:
        if match is None:
            self.problem((), "a [rule.match] table with at least one condition is required")
            return []
        if not isinstance(match, dict):
            self.problem(("match",), "must be a table of conditions")
            return []
        if not match:
            self.problem(("match",), "empty rule: no conditions (a rule may not match every mail)")
            return []
        out = []
        for key, spec in match.items():
            path = ("match", key)
            if key in ("not_set", "is_set"):
                fields = spec if isinstance(spec, list) else None
                if not fields or not all(isinstance(f, str) for f in fields):
                    self.problem(path, f"must be a list of field names ({', '.join(FIELDS)})")
                    continue
                bad = [f for f in fields if f not in FIELDS]
                for f in bad:
                    self.problem(path, f"unknown field {f!r}{_suggest(f, FIELDS)} (known: {', '.join(FIELDS)})", f)
                if not bad:
                    out.append(engine.FieldsState(key, tuple(fields), key == "is_set"))
            elif key == "header":
                if not isinstance(spec, dict) or not spec:
                    self.problem(path, 'write header."Header-Name".regex = "..." (a table of header names)')
                    continue
                for hname, hspec in spec.items():
                    if not _HEADER_NAME.match(hname):
                        self.problem(path + (hname,), "not a valid header name")
                        continue
                    out += self._ops(engine.header_target(hname), f'header."{hname}"', hspec, path + (hname,))
            elif key in engine.TARGETS:
                out += self._ops(key, key, spec, path)
            else:
                self.problem(path, f"unknown condition{_suggest(key, _MATCH_KEYS)} (known: {', '.join(_MATCH_KEYS)})")
        return out

    def _ops(self, target: str, label: str, spec, path: tuple) -> list:
        if not isinstance(spec, dict) or not spec:
            self.problem(
                path, f'write {label}.any = [...], {label}.regex = "..." and so on (one of: {", ".join(_OPS)})'
            )
            return []
        out = []
        for op, value in spec.items():
            p = path + (op,)
            lab = f"{label}.{op}"
            if op in ("any", "none"):
                spelled = self._keywords(p, value)
                if spelled:
                    cls = engine.AnyKeyword if op == "any" else engine.NoKeyword
                    out.append(cls(target, lab, spelled))
            elif op in ("affirmed", "negated"):
                if target not in _TEXT_TARGETS:
                    self.problem(p, f"{op} reads sentences: use it on {', '.join(_TEXT_TARGETS)}")
                    continue
                spelled = self._keywords(p, value)
                if spelled:
                    out.append(engine.Stated(target, lab, spelled, negated=op == "negated"))
            elif op == "all":
                if not isinstance(value, list) or not value:
                    self.problem(p, "must be a non-empty list; an item that is a list means one of its words")
                    continue
                spelled, groups, good = {}, [], True
                for item in value:
                    words = self._keywords(p, item if isinstance(item, list) else [item])
                    if words is None:
                        good = False
                        continue
                    spelled.update(words)
                    groups.append(frozenset(words))
                if good:
                    out.append(engine.AllKeywords(target, lab, spelled, tuple(groups)))
            elif op == "count":
                cond = self._count(target, lab, p, value)
                if cond is not None:
                    out.append(cond)
            elif op in ("regex", "not_regex"):
                patterns = self._regexes(p, value)
                if patterns:
                    out.append(engine.Pattern(target, lab, patterns, negate=op == "not_regex", glob=False))
            elif op in ("glob", "not_glob"):
                patterns = self._globs(p, value, target)
                if patterns:
                    out.append(engine.Pattern(target, lab, patterns, negate=op == "not_glob", glob=True))
            elif op == "exists":
                if not isinstance(value, bool):
                    self.problem(p, "must be true or false")
                else:
                    out.append(engine.Exists(target, lab, value))
            else:
                self.problem(p, f"unknown condition{_suggest(op, _OPS)} for {label} (known: {', '.join(_OPS)})")
        return out

    def _count(self, target, label, path, value):
        if target not in _TEXT_TARGETS:
            self.problem(path, f"count reads sentences: use it on {', '.join(_TEXT_TARGETS)}")
            return None
        if not isinstance(value, dict) or "of" not in value or not ({"min", "max"} & value.keys()):
            self.problem(path, 'write a table: {of = ["personas", "usuarios"], min = 2, max = 24} (min, max or both)')
            return None
        good = True
        for key in value:
            if key not in ("of", "min", "max"):
                self.problem(path + (key,), f"unknown key{_suggest(key, ('of', 'min', 'max'))} (known: of, min, max)")
                good = False
        bounds = []
        for key in ("min", "max"):
            n = value.get(key)
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
                self.problem(path + (key,), "must be a whole number, 0 or more")
                good = False
                n = None
            bounds.append(n)
        low, high = bounds
        if low is not None and high is not None and low > high:
            self.problem(path + ("max",), f"max {high} is below min {low}")
            good = False
        spelled = self._keywords(path + ("of",), value["of"])
        if not good or not spelled:
            return None
        return engine.Count(target, label, spelled, low, high)

    def _keywords(self, path, value) -> dict | None:
        """Canonical form -> spelling as written; None (problems reported) when any is bad."""
        if not isinstance(value, list) or not value:
            self.problem(path, 'must be a non-empty list of keywords, e.g. ["caida", "no funciona"]')
            return None
        out, good = {}, True
        for kw in value:
            try:
                out.setdefault(normalize_keyword(kw), kw)
            except ValueError as exc:
                self.problem(path, str(exc), kw if isinstance(kw, str) else None)
                good = False
        return out if good else None

    def _strings(self, path, value, what) -> list[str] | None:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
            self.problem(path, f"must be a {what} or a non-empty list of them")
            return None
        return items

    def _regexes(self, path, value):
        items = self._strings(path, value, "regular expression")
        if items is None:
            return None
        out, good = [], True
        for written in items:
            try:
                pattern = strip_accents(written)
                # The text is already lowercase; IGNORECASE (slower) only for uppercase literals.
                rx = re.compile(pattern, re.IGNORECASE if _UPPER_LITERAL.search(pattern) else 0)
            except re.error as exc:
                where = f" at position {exc.pos}" if exc.pos is not None else ""
                self.problem(path, f"bad regular expression {written!r}: {exc.msg}{where}", written)
                good = False
                continue
            if rx.search(""):
                self.problem(
                    path,
                    f"regular expression {written!r} matches the empty string, "
                    "so it would match every mail (use exists = true for that)",
                    written,
                )
                good = False
                continue
            out.append((written, rx))
        return out if good else None

    def _globs(self, path, value, target):
        items = self._strings(path, value, "glob")
        if items is None:
            return None
        out, good = [], True
        for written in items:
            why = _bad_glob(written, target)
            if why:
                self.problem(path, f"bad glob {written!r}: {why}", written)
                good = False
                continue
            out.append((written, re.compile(fnmatch.translate(fold(written)))))
        return out if good else None

    # -- set -----------------------------------------------------------------

    def _set(self, actions) -> dict:
        if actions is None:
            self.problem((), "a [rule.set] table with at least one action is required")
            return {}
        if not isinstance(actions, dict):
            self.problem(("set",), "must be a table of actions")
            return {}
        if not actions:
            self.problem(("set",), "empty rule: no actions (known: " + ", ".join(_ACTIONS) + ")")
            return {}
        out = {}
        for key, value in actions.items():
            p = ("set", key)
            if key not in _ACTIONS:
                self.problem(p, f"unknown action{_suggest(key, _ACTIONS)} (known: {', '.join(_ACTIONS)})")
            elif key == "severity":
                sev = fold(value).strip() if isinstance(value, str) else None
                if sev not in SEVERITIES:
                    self.problem(p, f"unknown severity {value!r} (use one of: {', '.join(SEVERITIES)})")
                else:
                    out[key] = Severity(sev)
            elif key in ("category", "group", "product"):
                if not isinstance(value, str) or not _SLUG.match(value):
                    self.problem(p, f"{value!r} is not a valid {key} name (lowercase letters, digits, - and _)")
                else:
                    out[key] = value
            elif key == "vendor":
                if not isinstance(value, str) or value.lower() not in self.loader.vendors:
                    self.problem(p, f"unknown vendor {value!r} (configured: {', '.join(self.loader.vendors)})")
                else:
                    out[key] = value.lower()
            elif key == "assignee":
                if not looks_like_address(value):
                    self.problem(p, f"{value!r} is not an email address")
                else:
                    out[key] = value.strip().lower()
            elif key in ("out_of_scope", "ignore"):
                if not isinstance(value, str) or not value.strip():
                    self.problem(p, "must be a non-empty text (the reason)")
                else:
                    out[key] = " ".join(value.split())
            elif key in ("no_autoreply", "stop"):
                if value is not True:
                    self.problem(p, "can only be true (leave it out otherwise)")
                else:
                    out[key] = True
        # product and vendor are one decision.
        product, vendor = out.get("product"), out.get("vendor")
        if product is not None and vendor is None:
            if product in self.loader.vendors:
                out["vendor"] = product
            else:
                self.problem(
                    ("set", "product"),
                    f"unknown vendor {product!r}: a product that is not a vendor "
                    f"name needs vendor = one of {', '.join(self.loader.vendors)}",
                )
        elif vendor is not None and product is None:
            out["product"] = vendor
        # Keep a stable, readable order in hits.
        return {k: out[k] for k in _ACTIONS if k in out}


def _bad_glob(glob: str, target: str) -> str | None:
    if glob != glob.strip() or any(c.isspace() for c in glob):
        return "contains spaces"
    depth = 0
    for c in glob:
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
    if depth:
        return "'[' without a closing ']'"
    if target in _ADDRESS_TARGETS and "@" not in glob and "*" not in glob:
        return 'an address glob needs "@" or "*" (e.g. "*@cliente.com.mx"); for a domain use from_domain'
    if target == "from_domain" and "@" in glob:
        return 'a domain has no "@" (e.g. "*.cliente.com.mx"); for an address use from'
    return None


def _suggest(word: str, known) -> str:
    close = difflib.get_close_matches(str(word), list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _finish(loader: _Loader) -> engine.RuleSet:
    if loader.problems:
        raise RulesError(loader.problems)
    return engine.RuleSet(loader.rules, loader.files)


def load_rules(directory: Path | str, *, vendors: Iterable[str] = DEFAULT_VENDORS) -> engine.RuleSet:
    """Load every ``*.toml`` of ``directory`` in file-name order; raise RulesError listing all problems."""
    directory = Path(directory)
    loader = _Loader(vendors)
    if not directory.is_dir():
        raise RulesError([(str(directory), None, "rules directory not found")])
    paths = sorted(
        (p for p in directory.iterdir() if p.suffix == ".toml" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )
    for path in paths:
        loader.add_file(path)
    return _finish(loader)


def load_rules_text(text: str, name: str = "<rules>", *, vendors: Iterable[str] = DEFAULT_VENDORS) -> engine.RuleSet:
    """Load rules from one TOML text (``name`` is used in problems and hits)."""
    loader = _Loader(vendors)
    loader.files.append((name, hashlib.sha256(text.encode("utf-8")).hexdigest()))
    loader.add_text(text, name, name)
    return _finish(loader)
