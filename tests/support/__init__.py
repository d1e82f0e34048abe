"""What the tests share: real servers, mail builders, settings, runners and looks at the database.

Fixtures stay in tests/conftest.py; everything a test imports comes from here:

- ``servers``: Dovecot, the SMTP sink, PostgreSQL schemas, certificates, ``wait_until``.
- ``config``: the team, [imap] and [smtp] sections, a whole config and its TOML.
- ``mail``: ``make_mail`` and the other mail builders (team replies, delivery reports).
- ``runners``: mailbot run in a thread or a process, one daemon pass, the CLI.
- ``db``: looks at a mailbot database from outside (counts, tickets as the CLI shows them).
- ``desk``: one mailbot in this process, mail in through the pipeline (on a hand-moved clock if needed).
- ``health``: /healthz and /metrics of a running mailbot.
"""
