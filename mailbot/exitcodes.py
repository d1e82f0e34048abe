"""The exit codes of the ``mailbot`` command, defined once (sysexits.h style).

A service manager reads them: systemd's ``RestartPreventExitStatus=78`` keeps
a bad configuration from restarting in a loop, and an MTA pipe (``ingest``)
keeps the mail on 75 and bounces it on anything but 0 or 75.
"""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    # `status`: running, but no IMAP session, or an acknowledgement is later than [sla] acknowledge.
    DEGRADED = 1
    # `status`: no mailbot process is running (the LSB init-script convention).
    NOT_RUNNING = 3
    USAGE = 64  # bad arguments: an unknown choice, a missing id, an empty --summary
    DATAERR = 65  # bad data: not a mail, no such ticket, a change the ticket refuses, a retry that fails again
    UNAVAILABLE = 69  # the database or a server cannot be reached or refused our login; a port is taken
    TEMPFAIL = 75  # try again later (`ingest`: the MTA keeps the mail); another process holds the SQLite file
    CONFIG = 78  # config, rules or templates are wrong
