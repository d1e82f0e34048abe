"""Moved to tests/support/: this module only re-exports, for new test files not yet pointed there.

Remove it once nothing imports it (``grep -rn "tests.integration.helpers" tests``).
"""

from tests.support.db import ticket, tickets
from tests.support.desk import DeskBase
from tests.support.mail import AUTH_OK, append_many, team_headers
from tests.support.runners import Running, cli, cli_json, run_once

__all__ = [
    "AUTH_OK",
    "DeskBase",
    "Running",
    "append_many",
    "cli",
    "cli_json",
    "run_once",
    "team_headers",
    "ticket",
    "tickets",
]
