"""The folders shipped inside the package: the default rules and templates, and the migrations.

They are found through :mod:`importlib.resources`, so the same lookup serves a
wheel in any site-packages and an editable install of the checkout.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mailbot.errors import ConfigError

SHIPPED = ("migrations", "rules", "templates")


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (one of ``SHIPPED``) as a real directory.

    Alembic and the rule and template loaders read files by path, so the
    package must be installed as files (pip's normal install), not run from
    a zip; an install missing its data is reported, naming where it looked.
    """
    if name not in SHIPPED:
        raise ValueError(f"no shipped folder {name!r}")
    folder = resources.files("mailbot.defaults") / name
    if not isinstance(folder, Path):
        raise ConfigError(
            [
                (
                    str(folder),
                    None,
                    "mailbot's shipped files are not on the file system (install the package with pip, not as a zip)",
                )
            ]
        )
    if not folder.is_dir():
        raise ConfigError(
            [
                (
                    str(folder),
                    None,
                    f"the shipped {name} folder is missing: this mailbot install is incomplete (reinstall it)",
                )
            ]
        )
    # Resolved: in an editable install the symlinks in mailbot/defaults/ lead to the checkout's
    # top-level folders, and messages should name the file people edit.
    return folder.resolve()
