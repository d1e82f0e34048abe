"""Decide what kind of mail this is before anything else looks at it.

Pure: no I/O. Loop protection follows RFC 3834 and the headers real
responders send; sender trust follows our own ``Authentication-Results``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailbot.config import Settings
from mailbot.addresses import normalize_domain
from mailbot.mail.parse import InboundMail

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


@dataclass(frozen=True)
class Screening:
    # "normal"; "autoreply" (out-of-office and other responders: never a new
    # ticket); "auto" (machine-generated: a ticket, never an acknowledgement);
    # "bulk" (lists, newsletters: likewise); "bounce"; "self" (our own mail).
    kind: str
    role: str  # "client", "engineer", "manager", "vendor"
    trusted: bool  # sender authenticated (or trust relaxed) — gates #commands
    vendor: str | None = None
    reasons: tuple[str, ...] = field(default=())

    @property
    def automatic(self) -> bool:
        return self.kind != "normal"

    @property
    def team(self) -> bool:
        return self.role in ("engineer", "manager")


def screen(mail: InboundMail, settings: Settings) -> Screening:
    reasons = []
    kind = "normal"
    own = settings.mailbot.address
    sender = mail.from_addr
    local = sender.partition("@")[0]
    ctype = mail.content_type
    if ctype == "multipart/report" and mail.report_type in ("delivery-status", "global-delivery-status", None):
        kind = "bounce"
        reasons.append("multipart/report delivery-status")
    elif _is_own(sender, own):
        kind = "self"
        reasons.append("sent from our own address")
    else:
        if ctype == "multipart/report":
            # Read receipts (disposition-notification), abuse (feedback-report) and
            # other reports are machine answers: threaded when they belong, never answered.
            kind = "autoreply"
            reasons.append(f"multipart/report {mail.report_type}")
        auto_header = mail.header("Auto-Submitted")
        if auto_header is not None:
            auto = _AUTO_SUBMITTED.match(auto_header).group(1).lower()
            if auto != "no":
                if kind != "autoreply":
                    kind = "autoreply" if auto == "auto-replied" else "auto"
                reasons.append(f"Auto-Submitted: {auto_header}")
        for h in _RESPONDER_HEADERS:
            v = mail.header(h)
            if v is not None and v.strip().lower() not in ("no", "none", "false", "0"):
                kind = "autoreply"
                reasons.append(f"{h}: {v}")
        v = mail.header("X-Auto-Response-Suppress")
        if v is not None and v.strip().lower() not in ("", "none"):
            kind = kind if kind != "normal" else "auto"
            reasons.append(f"X-Auto-Response-Suppress: {v}")
        precedence = (mail.header("Precedence") or "").strip().lower()
        if precedence in ("bulk", "junk", "list", "auto_reply"):
            if kind != "autoreply":
                kind = "autoreply" if precedence == "auto_reply" else "bulk"
            reasons.append(f"Precedence: {precedence}")
        for h in ("List-Id", "List-Unsubscribe"):
            if mail.header(h) is not None and kind != "autoreply":
                kind = "bulk"
                reasons.append(f"{h} present")
        if mail.return_path == "" or not sender:
            kind = "auto" if kind == "normal" else kind
            reasons.append("null sender")
        elif _NOREPLY_LOCAL.match(local):
            kind = "auto" if kind == "normal" else kind
            reasons.append(f"automatic sender {sender}")
        if kind in ("normal", "auto") and _AUTO_SUBJECT.match(mail.subject):
            kind = "autoreply"
            reasons.append("automatic-reply subject")
        if local in ("mailer-daemon", "postmaster") and ctype.startswith("multipart/report"):
            kind = "bounce"
    role, vendor = _role(sender, settings)
    trusted = role in ("engineer", "manager") and (
        settings.security.trust_unauthenticated or authenticated(mail, settings)
    )
    return Screening(kind=kind, role=role, trusted=trusted, vendor=vendor, reasons=tuple(reasons))


def _is_own(sender: str, own: str) -> bool:
    """Our address, also with a +detail (soporte+123@…), in any case."""
    if not sender:
        return False
    local, _, domain = sender.lower().rpartition("@")
    own_local, _, own_domain = own.lower().rpartition("@")
    return domain == own_domain and (local == own_local or local.startswith(own_local + "+"))


def _role(sender: str, settings: Settings) -> tuple[str, str | None]:
    if settings.team.manager and sender == settings.team.manager:
        return "manager", None
    if sender in settings.team.engineers:
        return "engineer", None
    for name, vendor in settings.vendors.items():
        if sender == vendor.address or sender.rpartition("@")[2] == vendor.address.rpartition("@")[2]:
            return "vendor", name
    return "client", None


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
