"""The ``mailbot`` command is one module per command, each loaded only when it is needed.

``mailbot --help`` lists every command from a table in ``mailbot.cli`` without
importing the modules; these tests keep that table true to the modules, and
keep the modules out of a start-up that does not need them.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import click
import pytest

import mailbot.cli
from mailbot.cli import COMMANDS, _exit_for
from mailbot.errors import EscalationRefused
from mailbot.exitcodes import Exit

_SHARED = {"common"}  # modules of the package that hold no command


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_is_the_module_of_its_name_and_the_table_says_its_help(name):
    command = getattr(importlib.import_module(f"mailbot.cli.{name}"), name)
    assert isinstance(command, click.Command) and command.name == name
    assert COMMANDS[name] == _first_paragraph(command.help)
    stand_in = click.Command(name, help=COMMANDS[name])
    for limit in (30, 45, 60, 80, 200):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_every_command_module_is_in_the_table():
    modules = {m.name for m in pkgutil.iter_modules(mailbot.cli.__path__)}
    assert modules - _SHARED == set(COMMANDS)


def _loaded_after(code: str, *argv: str) -> dict:
    """Which mailbot.cli modules, and whether SQLAlchemy, a fresh interpreter has loaded after ``code``."""
    probe = (
        "import json, sys\n"
        f"sys.argv = ['mailbot', *{list(argv)!r}]\n"
        "try:\n"
        f"    {code}\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps({'cli': sorted(m for m in sys.modules if m.startswith('mailbot.cli.')),\n"
        "                  'sqlalchemy': 'sqlalchemy' in sys.modules,\n"
        "                  'config': 'mailbot.config' in sys.modules}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_the_top_level_help_imports_no_command_module_and_no_database_layer():
    loaded = _loaded_after("from mailbot.cli import main; main()", "--help")
    assert loaded == {"cli": ["mailbot.cli.common"], "sqlalchemy": False, "config": False}


def test_a_command_imports_its_own_module_only():
    loaded = _loaded_after("from mailbot.cli import main; main()", "sla", "--help")
    assert loaded["cli"] == ["mailbot.cli.common", "mailbot.cli.sla"]


def test_a_refused_escalation_is_bad_data():
    assert _exit_for(EscalationRefused("ya existe un caso abierto")) == (Exit.DATAERR, ["ya existe un caso abierto"])
