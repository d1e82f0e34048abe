"""The one evaluator: run a mail through the compiled rules, record what matched and why.

Semantics (also in rules/README.md):

* Rules are evaluated in order: files by file name, then rules in the order
  they are written. A rule matches when every condition of its ``match``
  table holds.
* Every matching rule is recorded as a hit, with what it sets and why it
  matched (which condition found which keyword, pattern or value).
* ``severity`` is decided by kind (``kind`` of a rule: "statement",
  "ceiling" or "impact", the default). When a statement rule (the client's
  own level: "es crítico", "no es urgente") matches, the highest severity
  among the matching statement rules wins, and no other rule counts.
  Otherwise the highest among the matching impact rules wins
  (critica > grave > leve), lowered to the lowest of the matching ceiling
  rules ("no es crítico": at most grave), if one is lower. On a tie the
  first rule decides; every other rule that set a severity lists it under
  ``superseded``. None when no impact rule sets one (the pipeline then uses
  the configured default, leve).
* ``category``, ``assignee``, ``group``, ``out_of_scope``, ``ignore``: the
  first matching rule that sets the field wins; later rules cannot change it.
* ``product`` and ``vendor`` are one decision: the first matching rule that
  sets either sets both (a product that is a vendor name implies that vendor;
  a vendor alone implies the product of the same name).
* ``no_autoreply``: true when any matching rule sets it.
* ``stop = true`` ends the evaluation after the rule that says it;
  ``ignore`` (no ticket) ends it too, since nothing else matters then.
* ``not_set`` / ``is_set`` conditions look at the fields decided by the
  rules that matched before this one, so later files can defer to earlier
  ones (out-of-scope rules stand aside when a product or a common incident
  was already recognised).

Rules do no I/O and the evaluation does not change the rule set, so one
RuleSet can classify from several threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailbot.mail.parse import InboundMail
from mailbot.mail.text import fold
from mailbot.rules import negation, newtext
from mailbot.rules.counts import number_before
from mailbot.rules.fold import KeywordIndex, words
from mailbot.rules.model import CEILING, FIELDS, IMPACT, SEVERITY_RANK, STATEMENT, Classification, RuleHit
from mailbot.rules.triggers import glob_words, regex_words

# Only the start of a very long body (pasted logs) is looked at.
BODY_LIMIT = 100_000

_SIMPLE_TARGETS = {
    "from": lambda m: (m.from_addr,),
    "from_domain": lambda m: (m.sender_domain,),
    "from_name": lambda m: (m.from_name,),
    "to": lambda m: m.to,
    "cc": lambda m: m.cc,
    "recipients": lambda m: m.recipients,
    "subject": lambda m: (m.subject,),
    "body": lambda m: (m.text[:BODY_LIMIT],),
    # What the sender wrote this time (mailbot.rules.newtext): the subject unless a
    # reply's, the body without quoted history and signature.
    "new_subject": lambda m: (newtext.new_subject(m.subject, m.text[:BODY_LIMIT]),),
    "new_body": lambda m: (newtext.new_body(m.text[:BODY_LIMIT], m.subject),),
    "attachment": lambda m: tuple(a.filename for a in m.attachments),
}
_COMPOSITE_TARGETS = {"subject_or_body": ("subject", "body"), "new_text": ("new_subject", "new_body")}
TARGETS = tuple(_SIMPLE_TARGETS) + tuple(_COMPOSITE_TARGETS) + ("header",)

# The new text is the start of the body, so every keyword found in it is found in the
# body too: when the body's words are found anyway, rules are pre-selected on the body,
# and the new text (a reply must be split) is worked out only for a rule that gets that far.
_TRIGGER_SCOPE = {"new_subject": "subject", "new_body": "body", "new_text": "subject_or_body"}
_BODY_TARGETS = frozenset({"body", "subject_or_body"})
# new_subject and new_body start as subject and body do (both have at most one value).
_STARTS_OF = {"new_subject": "subject", "new_body": "body"}
# Targets whose value costs more than the others to work out.
_COSTLY = frozenset({"new_body", "new_text"})


# Pseudo-target used only to pre-select rules: the names of the headers present.
HEADER_NAMES = "@headers"


def header_target(name: str) -> str:
    return "header:" + name.lower()


def _header_trigger(target: str):
    return (HEADER_NAMES, frozenset([target[7:]])) if target.startswith("header:") else None


class _MailView:
    """One mail as the conditions see it; every derived form is computed once."""

    __slots__ = ("_counted", "_folded", "_found", "_raw", "_said", "_words", "index", "mail", "memo")

    def __init__(self, mail: InboundMail, index: KeywordIndex):
        self.mail = mail
        self.index = index
        self._raw: dict[str, tuple[str, ...]] = {}
        self._folded: dict[str, tuple[str, ...]] = {}
        self._found: dict[str, set[str]] = {}
        self._words: dict[str, tuple[list[str], ...]] = {}
        self._said: dict[tuple[str, str], tuple] = {}
        self._counted: dict[tuple[str, str], tuple] = {}
        # A condition's result for this mail, when its test and explanation share work.
        self.memo: dict = {}

    def raw(self, target: str) -> tuple[str, ...]:
        try:
            return self._raw[target]
        except KeyError:
            pass
        parts = _COMPOSITE_TARGETS.get(target)
        if parts:
            value = tuple(v for p in parts for v in self.raw(p))
        elif target.startswith("header:"):
            value = tuple(v for v in self.mail.header_all(target[7:]) if v)
        else:
            value = tuple(v for v in _SIMPLE_TARGETS[target](self.mail) if v)
        self._raw[target] = value
        return value

    def folded(self, target: str) -> tuple[str, ...]:
        try:
            return self._folded[target]
        except KeyError:
            pass
        parts = _COMPOSITE_TARGETS.get(target)
        if parts:
            value = tuple(v for p in parts for v in self.folded(p))
        else:
            value = tuple(fold(v) for v in self.raw(target))
        self._folded[target] = value
        return value

    def found(self, target: str) -> set[str]:
        try:
            return self._found[target]
        except KeyError:
            pass
        parts = _COMPOSITE_TARGETS.get(target)
        if parts:
            value = set().union(*(self.found(p) for p in parts))
        elif target == HEADER_NAMES:
            value = {k.lower() for k, v in self.mail.headers if v}
        elif _STARTS_OF.get(target) in self._found:
            value = self._found_in_start(target, _STARTS_OF[target])
        else:
            value = set()
            for tokens in self.words(target):
                value |= self.index.find_words(tokens)
        self._found[target] = value
        return value

    def words(self, target: str) -> tuple[list[str], ...]:
        """Each folded value of a simple target split into words."""
        try:
            return self._words[target]
        except KeyError:
            pass
        value = tuple(words(v) for v in self.folded(target))
        self._words[target] = value
        return value

    def _found_in_start(self, target: str, whole: str) -> set[str]:
        """new_subject and new_body start as subject and body: found from what was found there, if it was."""
        (part,) = self.words(target) or ([],)
        (tokens,) = self.words(whole) or ([],)
        n = len(part)
        if tokens[:n] != part:  # not a start after all: look it up on its own
            return self.index.find_words(part)
        return self.index.find_in_start(tokens, n, self.found(whole))

    def said(self, target: str, keyword: str) -> tuple:
        """Each occurrence of a found keyword: (folded value, match, negated?)."""
        key = (target, keyword)
        try:
            return self._said[key]
        except KeyError:
            pass
        pattern = negation.keyword_pattern(keyword)
        value = tuple((v, m, negation.negated(v, m.start())) for v in self.folded(target) for m in pattern.finditer(v))
        self._said[key] = value
        return value

    def counted(self, target: str, keyword: str) -> tuple:
        """Each occurrence of a found keyword with a number before it: (number, the words counted)."""
        key = (target, keyword)
        try:
            return self._counted[key]
        except KeyError:
            pass
        pattern = negation.keyword_pattern(keyword)
        value = tuple(
            (n, m.group(0))
            for v in self.folded(target)
            for m in pattern.finditer(v)
            if (n := number_before(v, m.start())) is not None
        )
        self._counted[key] = value
        return value


def _quote_list(items) -> str:
    return ", ".join(f'"{i}"' for i in items)


class Condition:
    """One test of a rule's ``match`` table. ``label`` is how ops wrote it."""

    cost = 1
    keywords: frozenset = frozenset()

    def __init__(self, target: str, label: str):
        self.target = target
        self.label = label
        if target in _COSTLY:
            self.cost = self.cost + 2

    @property
    def trigger(self) -> tuple[str, frozenset] | None:
        """(target, keywords): the condition can only hold when one of them is found there.

        None when there is no such cheap necessary test. The rule set uses
        triggers to skip rules that cannot match without evaluating them.
        """
        return None

    def test(self, view: _MailView, state: dict) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def explain(self, view: _MailView, state: dict) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class _Keywords(Condition):
    def __init__(self, target, label, spelled: dict[str, str]):
        super().__init__(target, label)
        # canonical form -> the spelling in the rule file, for explanations
        self.spelled = spelled
        self.keywords = frozenset(spelled)

    def _shown(self, canon) -> str:
        return _quote_list(self.spelled[c] for c in sorted(canon))


class AnyKeyword(_Keywords):
    @property
    def trigger(self):
        return (self.target, self.keywords)

    def test(self, view, state):
        return not self.keywords.isdisjoint(view.found(self.target))

    def explain(self, view, state):
        return f"{self.label}: found {self._shown(self.keywords & view.found(self.target))}"


class NoKeyword(_Keywords):
    def test(self, view, state):
        return self.keywords.isdisjoint(view.found(self.target))

    def explain(self, view, state):
        return f"{self.label}: none of {len(self.keywords)} keywords found"


class AllKeywords(_Keywords):
    """Every group must be found; a group is one keyword or a list of alternatives."""

    def __init__(self, target, label, spelled, groups: tuple[frozenset, ...]):
        super().__init__(target, label, spelled)
        self.groups = groups

    @property
    def trigger(self):
        return (self.target, min(self.groups, key=len))

    def test(self, view, state):
        found = view.found(self.target)
        for group in self.groups:
            if group.isdisjoint(found):
                return False
        return True

    def explain(self, view, state):
        found = view.found(self.target)
        return f"{self.label}: found {self._shown(set().union(*(g & found for g in self.groups)))}"


class Stated(_Keywords):
    """``affirmed`` / ``negated``: a keyword is found not negated / negated (see mailbot.rules.negation)."""

    cost = 2

    def __init__(self, target, label, spelled, negated: bool):
        super().__init__(target, label, spelled)
        self.negated = negated

    @property
    def trigger(self):
        return (self.target, self.keywords)

    def _first(self, view):
        """(keyword, folded value, match) of the first occurrence said the wanted way, or None."""
        try:
            return view.memo[self]
        except KeyError:
            pass
        first = None
        found = self.keywords & view.found(self.target)
        for kw in sorted(found):
            first = next(((kw, v, m) for v, m, neg in view.said(self.target, kw) if neg == self.negated), None)
            if first:
                break
        view.memo[self] = first
        return first

    def test(self, view, state):
        return self._first(view) is not None

    def explain(self, view, state):
        kw, value, m = self._first(view)
        context = negation.context(value, m)
        return f'{self.label}: found "{self.spelled[kw]}" {"negated" if self.negated else "not negated"} in "{context}"'


class Count(_Keywords):
    """``count``: one of the keywords with a number before it, within bounds ("10 personas")."""

    cost = 2

    def __init__(self, target, label, spelled, low: int | None, high: int | None):
        super().__init__(target, label, spelled)
        self.low = low
        self.high = high

    @property
    def trigger(self):
        return (self.target, self.keywords)

    def _first(self, view):
        try:
            return view.memo[self]
        except KeyError:
            pass
        hit = None
        low, high = self.low, self.high
        for kw in sorted(self.keywords & view.found(self.target)):
            hit = next(
                (
                    (n, words)
                    for n, words in view.counted(self.target, kw)
                    if (low is None or n >= low) and (high is None or n <= high)
                ),
                None,
            )
            if hit:
                break
        view.memo[self] = hit
        return hit

    def test(self, view, state):
        return self._first(view) is not None

    def explain(self, view, state):
        n, words = self._first(view)
        low, high = self.low, self.high
        bounds = (
            f"{low} to {high}"
            if low is not None and high is not None
            else f"at least {low}"
            if high is None
            else f"at most {high}"
        )
        return f'{self.label}: found {n} "{words}" ({bounds})'


class Pattern(Condition):
    """Regular expressions (``search``) or globs (whole value), on folded values."""

    cost = 3

    def __init__(self, target, label, patterns: list[tuple[str, object]], negate: bool, glob: bool):
        super().__init__(target, label)
        self.patterns = patterns  # (as written, compiled)
        self.negate = negate
        self.glob = glob

    @property
    def trigger(self):
        if self.negate:
            return None
        if self.target.startswith("header:"):
            return _header_trigger(self.target)
        # Each pattern needs one of a few whole words; the condition needs one of all of them.
        words = set()
        for written, rx in self.patterns:
            if self.glob:
                required = glob_words(fold(written))
                required = {max(sorted(required), key=len)} if required else None
            else:
                required = regex_words(rx.pattern, rx.flags)
            if not required:
                return None
            words |= required
        return (self.target, frozenset(words))

    def _first(self, view):
        for value in view.folded(self.target):
            for written, rx in self.patterns:
                m = rx.match(value) if self.glob else rx.search(value)
                if m:
                    return written, value, m
        return None

    def test(self, view, state):
        return (self._first(view) is None) if self.negate else (self._first(view) is not None)

    def explain(self, view, state):
        if self.negate:
            return f"{self.label}: no value matches {_quote_list(w for w, _ in self.patterns)}"
        written, value, m = self._first(view)
        shown = value if self.glob else m.group(0)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f'{self.label}: "{written}" matched "{shown}"'


class Exists(Condition):
    def __init__(self, target, label, want: bool):
        super().__init__(target, label)
        self.want = want

    @property
    def trigger(self):
        return _header_trigger(self.target) if self.want else None

    def test(self, view, state):
        return bool(view.raw(self.target)) == self.want

    def explain(self, view, state):
        return f"{self.label}: {'present' if self.want else 'absent'}"


class FieldsState(Condition):
    """``not_set`` / ``is_set``: fields decided by the rules that matched before."""

    cost = 0

    def __init__(self, label, fields: tuple[str, ...], want_set: bool):
        super().__init__("", label)
        self.fields = fields
        self.want_set = want_set

    def test(self, view, state):
        for f in self.fields:
            if (state.get(f) not in (None, False)) != self.want_set:
                return False
        return True

    def explain(self, view, state):
        return f"{self.label}: {', '.join(self.fields)} {'already' if self.want_set else 'not yet'} set"


@dataclass(frozen=True, eq=False)
class Rule:
    name: str
    description: str
    file: str
    line: int | None
    conditions: tuple[Condition, ...]
    actions: dict  # field -> value, with the implied vendor/product; "stop" too
    stop: bool
    kind: str = IMPACT  # how its severity counts: STATEMENT before IMPACT

    @property
    def trigger(self) -> tuple[str, frozenset] | None:
        """The most selective trigger among the conditions (keywords before header presence)."""
        triggers = [t for t in (c.trigger for c in self.conditions) if t]
        if not triggers:
            return None
        return min(triggers, key=lambda t: (t[0] == HEADER_NAMES, len(t[1])))

    def matches(self, view, state) -> bool:
        for c in self.conditions:
            if not c.test(view, state):
                return False
        return True


def _severity(severities: dict) -> tuple[str, int] | None:
    """(severity, deciding hit) from kind -> (severity, hit): statement, else impact under its ceiling."""
    decided = severities.get(STATEMENT)
    if decided is not None:
        return decided
    decided, ceiling = severities.get(IMPACT), severities.get(CEILING)
    if decided is not None and ceiling is not None and SEVERITY_RANK[ceiling[0]] < SEVERITY_RANK[decided[0]]:
        return ceiling
    return decided


def _apply(rule: Rule, hit: int, state: dict, severities: dict) -> None:
    """Apply one matching rule (the ``hit``-th) to the state; ``severities``: kind -> (severity, hit)."""
    actions = rule.actions
    for f, v in actions.items():
        if f == "severity":
            cur = severities.get(rule.kind)
            # The highest statement or impact, the lowest ceiling; the first on a tie.
            if cur is None or (
                SEVERITY_RANK[v] < SEVERITY_RANK[cur[0]]
                if rule.kind == CEILING
                else SEVERITY_RANK[v] > SEVERITY_RANK[cur[0]]
            ):
                severities[rule.kind] = (v, hit)
            decided = _severity(severities)
            state["severity"] = decided[0] if decided else None
        elif f == "no_autoreply":
            state["no_autoreply"] = True
        elif f == "product":
            if state.get("product") is None:
                state["product"] = v
                state["vendor"] = actions["vendor"]
        elif f in ("vendor", "stop"):
            pass  # decided with the product; stop is control flow
        elif state.get(f) is None:
            state[f] = v


class RuleSet:
    """Compiled, validated rules; ``classify`` is the only thing the pipeline calls."""

    def __init__(self, rules, files, *, preselect: bool = True):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.files: list[tuple[Path | str, str]] = list(files)
        keywords = {kw for r in self.rules for c in r.conditions for kw in c.keywords}
        # Rules on the new text are pre-selected on the whole body when other rules read the
        # body anyway (its words are then found already); otherwise on the new text itself.
        reads_body = any(c.target in _BODY_TARGETS for r in self.rules for c in r.conditions)
        scope = _TRIGGER_SCOPE if reads_body else {}
        # Pre-selection: a rule with a trigger is evaluated only when one of
        # its trigger keywords is found; the others are always evaluated.
        self._always: list[int] = []
        self._triggers: dict[str, dict[str, list[int]]] = {}
        for i, rule in enumerate(self.rules):
            trigger = rule.trigger if preselect else None
            if trigger is None:
                self._always.append(i)
                continue
            target, words = trigger
            target = scope.get(target, target)
            table = self._triggers.setdefault(target, {})
            for word in words:
                table.setdefault(word, []).append(i)
            if target != HEADER_NAMES:
                keywords |= words
        self._index = KeywordIndex(keywords)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self):
        return iter(self.rules)

    def __repr__(self) -> str:
        return f"<RuleSet {len(self.rules)} rules from {len(self.files)} files>"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)

    def classify(self, mail: InboundMail) -> Classification:
        view = _MailView(mail, self._index)
        state: dict = {}
        severities: dict[str, tuple[str, int]] = {}
        matched: list[tuple[Rule, list[str]]] = []
        candidates = set(self._always)
        for target, table in self._triggers.items():
            for word in table.keys() & view.found(target):
                candidates.update(table[word])
        rules = self.rules
        for i in sorted(candidates):
            rule = rules[i]
            if not rule.matches(view, state):
                continue
            # Explanations are built for matching rules only, before the
            # rule changes the state its not_set/is_set conditions saw.
            matched.append((rule, [c.explain(view, state) for c in rule.conditions]))
            _apply(rule, len(matched) - 1, state, severities)
            if rule.stop or "ignore" in rule.actions:
                break
        final = {f: state.get(f) for f in FIELDS}
        final["no_autoreply"] = bool(state.get("no_autoreply"))
        decided = _severity(severities)
        decider = decided[1] if decided else None
        hits = tuple(
            RuleHit(
                rule=rule.name,
                file=rule.file,
                description=rule.description,
                set=dict(rule.actions),
                why=why,
                line=rule.line,
                superseded=tuple(
                    f
                    for f, v in rule.actions.items()
                    if f != "stop" and (n != decider if f == "severity" else final[f] != v)
                ),
                kind=rule.kind,
            )
            for n, (rule, why) in enumerate(matched)
        )
        return Classification(**final, hits=hits)
