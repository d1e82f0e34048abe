"""The read-only web board: the desk's tickets, clocks and threads in a browser, behind a login sent by mail.

Nothing here changes a ticket: actions stay ``#commands`` by mail, where they
are authenticated and recorded. The only state the web writes is its own
login (a one-time link mailed to a team address, then a signed session
cookie) and the login mail it queues for the daemons to send.

- ``app``: the Starlette application (``create_app``), its middleware (session
  required everywhere but the login pages and static files; security headers;
  CSRF on every POST) and how it runs (inside the daemon's event loop, or alone
  as ``mailbot web``).
- ``auth``: the login by mail and the session.
- ``views``: the pages (board, ticket, client, search, report, attachments).
- ``search``: full-text search over subjects and bodies (SQLite FTS5, PostgreSQL).
- ``templates/``: Jinja2 HTML, autoescaped; ``base.html`` is every page's frame.

Handlers that touch the database are plain ``def`` functions: Starlette runs them
in its thread pool, so database work stays off the event loop LMTP shares.
"""
