"""The rules, templates and migrations shipped with mailbot.

They live at the top of the repository (``rules/``, ``templates/``,
``migrations/``), where ops and reviewers look for them; the symlinks here
put them inside the package, so the wheel carries them as package data and
an editable install sees the checkout's files. Code finds them through
:mod:`mailbot.resources`, never by path arithmetic.
"""
