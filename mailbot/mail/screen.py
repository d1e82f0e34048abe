"""Decide what kind of mail this is before anything else looks at it.

Pure: no I/O. Loop protection follows RFC 3834 and the headers real
responders send; sender trust follows our own ``Authentication-Results``.

The kind comes from an ordered list of detectors (``DETECTORS``). Each looks
at one thing (a header, the sender, the subject) and returns a ``Finding``
(a kind and the reason, as stored on events) or None. How a finding combines
with what came before is part of its ``Detector``: which kinds so far it
replaces, whether its reason is said even when the kind stays, and whether it
ends screening (a delivery report, our own mail). The order of the list is
the order of ``Screening.reasons``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mailbot.addresses import normalize_domain
from mailbot.config import Settings
from mailbot.mail.parse import InboundMail
from mailbot.vocab import TEAM_ROLES, Role, ScreeningKind

_NOREPLY_LOCAL = re.compile(
    r"^(mailer-daemon|postmaster|(no|do[-_.]?not)[-_.]?reply([-_+.].*)?|bounces?([-+].*)?|.*-bounces(\+.*)?|"
    r"notifications?|daemon|auto-?reply|autoresponder)$"
)
# RFC 3834 §5: the first token of Auto-Submitted; anything but "no" is automatic.
_AUTO_SUBMITTED = re.compile(r"\s*(?:\([^)]*\)\s*)*([A-Za-z0-9_-]*)")
# Headers responders set on the replies they send (X-Auto-Response-Suppress is handled apart).
_RESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-AutoReply-From", "X-Mail-Autoreply")
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?\s*reply|respuesta\s+autom[aá]tica|out of (the )?office|fuera de la oficina|"
    r"ausencia|undeliverable|undelivered mail|delivery status notification|mail delivery failed|"
    r"no se puede entregar|returned mail)",
    re.I,
)
_DELIVERY_REPORT_TYPES = ("delivery-status", "global-delivery-status", None)
_DAEMONS = ("mailer-daemon", "postmaster")
_FALSE_WORDS = ("no", "none", "false", "0")
_PRECEDENCE_BULK = ("bulk", "junk", "list", "auto_reply")


@dataclass(frozen=True)
class Screening:
    kind: ScreeningKind
    role: Role
    trusted: bool  # sender authenticated (or trust relaxed) — gates #commands
    vendor: str | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def team(self) -> bool:
        return self.role in TEAM_ROLES


@dataclass(frozen=True)
class Finding:
    kind: ScreeningKind
    reason: str | None  # None: decides the kind without a word (the reasons said it already)


_ANY = frozenset(ScreeningKind)
_NOT_AUTOREPLY = _ANY - {ScreeningKind.AUTOREPLY}  # an autoreply stays one: it is never answered


@dataclass(frozen=True)
class Detector:
    detect: Callable[[InboundMail, Settings], Finding | None]
    replaces: frozenset[ScreeningKind] = _ANY  # the kinds so far its finding overrides
    always_say: bool = True  # its reason is kept even when the kind so far stays
    final: bool = False  # when it finds something, screening ends there


def _local(mail: InboundMail) -> str:
    return mail.from_addr.partition("@")[0]


def _delivery_report(mail: InboundMail, settings: Settings) -> Finding | None:
    if mail.content_type == "multipart/report" and mail.report_type in _DELIVERY_REPORT_TYPES:
        return Finding(ScreeningKind.BOUNCE, "multipart/report delivery-status")
    return None


def _own_address(mail: InboundMail, settings: Settings) -> Finding | None:
    if _is_own(mail.from_addr, settings.mailbot.address):
        return Finding(ScreeningKind.SELF, "sent from our own address")
    return None


def _other_report(mail: InboundMail, settings: Settings) -> Finding | None:
    # Read receipts (disposition-notification), abuse (feedback-report) and
    # other reports are machine answers: threaded when they belong, never answered.
    if mail.content_type == "multipart/report":
        return Finding(ScreeningKind.AUTOREPLY, f"multipart/report {mail.report_type}")
    return None


def _auto_submitted(mail: InboundMail, settings: Settings) -> Finding | None:
    value = mail.header("Auto-Submitted")
    if value is None:
        return None
    auto = _AUTO_SUBMITTED.match(value).group(1).lower()
    if auto == "no":
        return None
    kind = ScreeningKind.AUTOREPLY if auto == "auto-replied" else ScreeningKind.AUTO
    return Finding(kind, f"Auto-Submitted: {value}")


def _responder(name: str) -> Callable[[InboundMail, Settings], Finding | None]:
    def detect(mail: InboundMail, settings: Settings) -> Finding | None:
        value = mail.header(name)
        if value is not None and value.strip().lower() not in _FALSE_WORDS:
            return Finding(ScreeningKind.AUTOREPLY, f"{name}: {value}")
        return None

    detect.__name__ = f"_responder_{name}"
    return detect


def _suppress_autoresponse(mail: InboundMail, settings: Settings) -> Finding | None:
    value = mail.header("X-Auto-Response-Suppress")
    if value is not None and value.strip().lower() not in ("", "none"):
        return Finding(ScreeningKind.AUTO, f"X-Auto-Response-Suppress: {value}")
    return None


def _precedence(mail: InboundMail, settings: Settings) -> Finding | None:
    value = (mail.header("Precedence") or "").strip().lower()
    if value not in _PRECEDENCE_BULK:
        return None
    kind = ScreeningKind.AUTOREPLY if value == "auto_reply" else ScreeningKind.BULK
    return Finding(kind, f"Precedence: {value}")


def _list_header(name: str) -> Callable[[InboundMail, Settings], Finding | None]:
    def detect(mail: InboundMail, settings: Settings) -> Finding | None:
        if mail.header(name) is not None:
            return Finding(ScreeningKind.BULK, f"{name} present")
        return None

    detect.__name__ = f"_list_header_{name}"
    return detect


def _automatic_sender(mail: InboundMail, settings: Settings) -> Finding | None:
    if mail.return_path == "" or not mail.from_addr:
        return Finding(ScreeningKind.AUTO, "null sender")
    if _NOREPLY_LOCAL.match(_local(mail)):
        return Finding(ScreeningKind.AUTO, f"automatic sender {mail.from_addr}")
    return None


def _auto_subject(mail: InboundMail, settings: Settings) -> Finding | None:
    if _AUTO_SUBJECT.match(mail.subject):
        return Finding(ScreeningKind.AUTOREPLY, "automatic-reply subject")
    return None


def _daemon_report(mail: InboundMail, settings: Settings) -> Finding | None:
    # A report from the mailer daemon is a bounce whatever its report-type says.
    if _local(mail) in _DAEMONS and mail.content_type.startswith("multipart/report"):
        return Finding(ScreeningKind.BOUNCE, None)
    return None


DETECTORS: tuple[Detector, ...] = (
    Detector(_delivery_report, final=True),
    Detector(_own_address, final=True),
    Detector(_other_report),
    Detector(_auto_submitted, replaces=_NOT_AUTOREPLY),
    *(Detector(_responder(h)) for h in _RESPONDER_HEADERS),
    # Machine mail asking for no answer; a kind already found says more.
    Detector(_suppress_autoresponse, replaces=frozenset({ScreeningKind.NORMAL})),
    Detector(_precedence, replaces=_NOT_AUTOREPLY),
    Detector(_list_header("List-Id"), replaces=_NOT_AUTOREPLY, always_say=False),
    Detector(_list_header("List-Unsubscribe"), replaces=_NOT_AUTOREPLY, always_say=False),
    Detector(_automatic_sender, replaces=frozenset({ScreeningKind.NORMAL})),
    Detector(_auto_subject, replaces=frozenset({ScreeningKind.NORMAL, ScreeningKind.AUTO}), always_say=False),
    Detector(_daemon_report),
)


def screen(mail: InboundMail, settings: Settings) -> Screening:
    kind, reasons = _kind(mail, settings)
    role, vendor = _role(mail.from_addr, settings)
    trusted = role in TEAM_ROLES and (settings.security.trust_unauthenticated or authenticated(mail, settings))
    return Screening(kind=kind, role=role, trusted=trusted, vendor=vendor, reasons=tuple(reasons))


def _kind(mail: InboundMail, settings: Settings) -> tuple[ScreeningKind, list[str]]:
    """The detectors in order: the kind they add up to, and their reasons."""
    kind, reasons = ScreeningKind.NORMAL, []
    for detector in DETECTORS:
        found = detector.detect(mail, settings)
        if found is None:
            continue
        applies = kind in detector.replaces
        if applies:
            kind = found.kind
        if found.reason is not None and (applies or detector.always_say):
            reasons.append(found.reason)
        if detector.final:
            break
    return kind, reasons


def _is_own(sender: str, own: str) -> bool:
    """Our address, also with a +detail (soporte+123@…), in any case."""
    if not sender:
        return False
    local, _, domain = sender.lower().rpartition("@")
    own_local, _, own_domain = own.lower().rpartition("@")
    return domain == own_domain and (local == own_local or local.startswith(own_local + "+"))


def _role(sender: str, settings: Settings) -> tuple[Role, str | None]:
    if settings.team.manager and sender == settings.team.manager:
        return Role.MANAGER, None
    if sender in settings.team.engineers:
        return Role.ENGINEER, None
    for name, vendor in settings.vendors.items():
        if sender == vendor.address or sender.rpartition("@")[2] == vendor.address.rpartition("@")[2]:
            return Role.VENDOR, name
    return Role.CLIENT, None


_AR_METHOD = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*(\w+)([^;]*)", re.I)


def authenticated(mail: InboundMail, settings: Settings) -> bool:
    """True when our own MTA stamped a DKIM/SPF/DMARC pass aligned with the From domain.

    Only the topmost ``Authentication-Results`` counts, and only when its
    authserv-id is ours: our MTA adds its header above everything the sender
    wrote, so a pass forged further down (even with our id) is never read.
    The MTA must stamp every inbound mail (and should strip headers with its
    id, RFC 8601 section 5); the README says so.
    """
    authserv = settings.security.authserv_id
    if not authserv:
        return False
    domain = mail.sender_domain
    for value in mail.header_all("Authentication-Results")[:1]:
        serv, _, rest = value.partition(";")
        if serv.strip().split()[0:1] != [authserv]:
            continue
        for method, result, props in _AR_METHOD.findall(rest):
            if result.lower() != "pass":
                continue
            method = method.lower()
            m = re.search(r"(header\.d|header\.from|smtp\.mailfrom|header\.i)\s*=\s*([^\s;]+)", props, re.I)
            if not m:
                continue
            # DKIM's d= carries an international domain in its ASCII form; the From domain is stored in Unicode.
            seen = normalize_domain(m.group(2).rpartition("@")[2])
            if seen == domain or (method == "dkim" and domain.endswith("." + seen)):
                return True
    return False
