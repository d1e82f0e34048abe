"""Moved to tests/support/servers.py: this module only re-exports, for bench/intake.py.

Remove it once nothing imports it (``grep -rn "tests.servers" bench tests``).
"""

from tests.support.servers import PG_URL, Dovecot, SmtpSink

__all__ = ["PG_URL", "Dovecot", "SmtpSink"]
