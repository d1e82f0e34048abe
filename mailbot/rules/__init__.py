"""The rules engine: rules are data (``rules/*.toml``), one small evaluator classifies mail.

    ruleset = load_rules(settings.rules_dir, vendors=settings.vendors)
    result = ruleset.classify(mail)      # Classification, with hits and why

The evaluation semantics are documented in :mod:`mailbot.rules.engine` and in
``rules/README.md``.
"""

from mailbot.errors import RulesError
from mailbot.rules.engine import Rule, RuleSet

# The one fold (mailbot.mail.text), also offered here. Bound after the engine import on
# purpose: importing the submodule mailbot.rules.fold sets the package's "fold" attribute.
from mailbot.rules.fold import fold
from mailbot.rules.load import DEFAULT_VENDORS, load_rules, load_rules_text
from mailbot.rules.model import FIELDS, SEVERITIES, Classification, RuleHit

__all__ = [
    "DEFAULT_VENDORS",
    "FIELDS",
    "SEVERITIES",
    "Classification",
    "Rule",
    "RuleHit",
    "RuleSet",
    "RulesError",
    "fold",
    "load_rules",
    "load_rules_text",
]
