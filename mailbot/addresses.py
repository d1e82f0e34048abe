"""One spelling per mail address, on the way in and on the way out.

The same client is the same client everywhere
(threading, participants, the per-sender loop guard, the report by domain):
the whole address in lower case, as mailbot has always compared it, and an
international domain in Unicode. ``jmnunez@xn--pticasnez-r6ao5g.mx`` (the
ASCII form a relay or an older mail program writes) and
``jmnunez@ópticasnúñez.mx`` are one address; Unicode is the form stored and
shown, because it is the one people read and type; outbound mail goes back to
the ASCII form (``wire_address``). IDNA 2008 with the UTS #46 mapping
(the ``idna`` package): Python's own ``idna`` codec is IDNA 2003, which maps
away letters such as "ß" that IDNA 2008 keeps.
"""

from __future__ import annotations

import re
import unicodedata

import idna

# What ops may write where an address is expected (config, rules): one local
# part, one "@", a dotted domain, no spaces or angle brackets. Deliberately
# loose: the relay is the judge of deliverability; this catches typing slips.
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def looks_like_address(value) -> bool:
    return isinstance(value, str) and ADDRESS.match(value.strip()) is not None


def normalize_domain(domain: str) -> str:
    """The stored form of a mail domain: lower case, international labels in Unicode (NFC)."""
    lowered = domain.lower()
    if lowered.isascii() and "xn--" not in lowered:
        return lowered  # nearly all mail: nothing to map
    try:
        return idna.decode(domain, uts46=True)
    except (idna.IDNAError, UnicodeError, ValueError):
        # Not a valid IDN (an underscore, a broken A-label): one form still, as written.
        return unicodedata.normalize("NFC", lowered)


def normalize_address(address: str) -> str:
    """The stored form of an address: see ``normalize_domain``; the local part in lower case."""
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    return f"{local.lower()}@{normalize_domain(domain)}"


def wire_address(address: str) -> str:
    """The address as it goes on the wire: a non-ASCII domain in its IDNA form (``xn--``).

    Any relay carries an A-label domain; only a non-ASCII local part needs the
    relay's SMTPUTF8 (RFC 6531), and that one is left as it is for the sender to judge.
    """
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at or not local.isascii():
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return address  # not a valid IDN: sent as written (SMTPUTF8, else a clear failure)
