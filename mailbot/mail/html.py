"""HTML from mail: sanitized (nh3) before anything stores or shows it, and read as plain text (inscriptis)."""

from __future__ import annotations

import re

from mailbot.mail.text import clean_text

# Removed with everything inside them; other tags outside nh3's allow-list lose the tag, keep the text.
# (Not <form>: generated mail often wraps its whole body in one.)
_DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "title",
        "head",
        "template",
        "object",
        "embed",
        "applet",
        "iframe",
        "frame",
        "frameset",
        "svg",
        "math",
    }
)
_cleaner = None


def html_to_text(html: str) -> str:
    """The text a reader sees in ``html`` (already sanitized)."""
    # Imported here: inscriptis pulls in lxml, which most mails (plain text) never need.
    from inscriptis import get_text

    try:
        return get_text(html).strip()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)


def sanitize_html(html: str) -> str:
    """HTML from mail made safe to store and show: no script, style, event handlers or javascript: URLs."""
    global _cleaner
    # Imported here, like inscriptis: only mail with an HTML part pays for loading it.
    import nh3

    if _cleaner is None:
        if hasattr(nh3, "Cleaner"):  # nh3 >= 0.3: configured once
            _cleaner = nh3.Cleaner(clean_content_tags=set(_DROP_WITH_CONTENT)).clean
        else:
            _cleaner = lambda text: nh3.clean(text, clean_content_tags=set(_DROP_WITH_CONTENT))  # noqa: E731
    try:
        return _cleaner(clean_text(html))
    except Exception:  # never expected; then nothing of it is kept
        return ""
