"""Screening as an ordered list of detectors: the same kinds and reasons, in the same order, as before."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.config import settings_from_dict
from mailbot.mail.parse import parse
from mailbot.mail.screen import DETECTORS, Screening, screen
from mailbot.vocab import Role, ScreeningKind

SETTINGS = settings_from_dict(
    {"team": {"engineers": ["ana.lopez@imagenti.mx"], "manager": "francisco.martinez@imagenti.mx"}}
)
OWN = SETTINGS.mailbot.address

# -- the screening before detectors, kept word for word as the oracle ---------------

_NOREPLY_LOCAL = re.compile(
    r"^(mailer-daemon|postmaster|(no|do[-_.]?not)[-_.]?reply([-_+.].*)?|bounces?([-+].*)?|.*-bounces(\+.*)?|"
    r"notifications?|daemon|auto-?reply|autoresponder)$"
)
_AUTO_SUBMITTED = re.compile(r"\s*(?:\([^)]*\)\s*)*([A-Za-z0-9_-]*)")
_RESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-AutoReply-From", "X-Mail-Autoreply")
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?\s*reply|respuesta\s+autom[aá]tica|out of (the )?office|fuera de la oficina|"
    r"ausencia|undeliverable|undelivered mail|delivery status notification|mail delivery failed|"
    r"no se puede entregar|returned mail)",
    re.I,
)


def _is_own(sender: str, own: str) -> bool:
    if not sender:
        return False
    local, _, domain = sender.lower().rpartition("@")
    own_local, _, own_domain = own.lower().rpartition("@")
    return domain == own_domain and (local == own_local or local.startswith(own_local + "+"))


def reference_kind(mail, own: str) -> tuple[str, list[str]]:
    reasons = []
    kind = "normal"
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
    return kind, reasons


# -- mails built from the pieces screening looks at ---------------------------------

SENDERS = [
    "juan.perez@cliente.com.mx",
    "MAILER-DAEMON@mx.cliente.com.mx",
    "postmaster@cliente.com.mx",
    "no-reply@proveedor.com",
    "newsletter-bounces@lista.org",
    OWN,
    "soporte+7@imagenti.mx",
    "ana.lopez@imagenti.mx",
    "support@withsecure.com",
    "",
]
SUBJECTS = [
    "Problema con el antivirus",
    "Respuesta automática: fuera",
    "Out of office",
    "Undeliverable: hola",
    "Re: Undeliverable",
]
HEADERS = [
    ("Auto-Submitted", "auto-replied"),
    ("Auto-Submitted", "auto-generated"),
    ("Auto-Submitted", "no"),
    ("Auto-Submitted", "(comment) auto-notified"),
    ("X-Autoreply", "yes"),
    ("X-Autorespond", "no"),
    ("X-AutoReply-From", "x@y.z"),
    ("X-Mail-Autoreply", "false"),
    ("X-Auto-Response-Suppress", "All"),
    ("X-Auto-Response-Suppress", "None"),
    ("Precedence", "bulk"),
    ("Precedence", "auto_reply"),
    ("Precedence", "Junk"),
    ("Precedence", "first-class"),
    ("List-Id", "<lista.org>"),
    ("List-Unsubscribe", "<mailto:u@lista.org>"),
    ("Return-Path", "<>"),
    ("Return-Path", "<a@b.c>"),
]
REPORTS = [None, "delivery-status", "global-delivery-status", "disposition-notification", "feedback-report", ""]


def build(sender: str, subject: str, headers: list[tuple[str, str]], report: str | None) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    if sender:
        head = f"From: {sender}\r\n" + head
    head += f"To: soporte@imagenti.mx\r\nSubject: {subject}\r\nMessage-ID: <s1@cliente.com.mx>\r\n"
    if report is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\nHola.\r\n").encode()
    rtype = f"; report-type={report}" if report else ""
    return (
        head + f"MIME-Version: 1.0\r\nContent-Type: multipart/report{rtype}; boundary=R\r\n\r\n"
        "--R\r\nContent-Type: text/plain\r\n\r\nInforme.\r\n--R--\r\n"
    ).encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sender=st.sampled_from(SENDERS),
    subject=st.sampled_from(SUBJECTS),
    headers=st.lists(st.sampled_from(HEADERS), max_size=6),
    report=st.sampled_from(REPORTS),
)
def test_detectors_add_up_to_the_kind_and_reasons_screening_gave_before(sender, subject, headers, report):
    mail = parse(build(sender, subject, headers, report))
    screening = screen(mail, SETTINGS)
    assert (screening.kind, list(screening.reasons)) == reference_kind(mail, OWN)
    assert isinstance(screening.kind, ScreeningKind) and isinstance(screening.role, Role)


def test_the_detectors_run_in_this_order():
    names = [d.detect.__name__ for d in DETECTORS]
    assert names == [
        "_delivery_report",
        "_own_address",
        "_other_report",
        "_auto_submitted",
        "_responder_X-Autoreply",
        "_responder_X-Autorespond",
        "_responder_X-AutoReply-From",
        "_responder_X-Mail-Autoreply",
        "_suppress_autoresponse",
        "_precedence",
        "_list_header_List-Id",
        "_list_header_List-Unsubscribe",
        "_automatic_sender",
        "_auto_subject",
        "_daemon_report",
    ]
    assert [d.final for d in DETECTORS[:2]] == [True, True] and not any(d.final for d in DETECTORS[2:])


def test_a_bounce_and_our_own_mail_stop_screening_at_once():
    bounce = screen(parse(build("no-reply@x.com", "Out of office", [("List-Id", "<l>")], "delivery-status")), SETTINGS)
    assert (bounce.kind, bounce.reasons) == (ScreeningKind.BOUNCE, ("multipart/report delivery-status",))
    own = screen(parse(build(OWN, "Out of office", [("Precedence", "bulk")], None)), SETTINGS)
    assert (own.kind, own.reasons) == (ScreeningKind.SELF, ("sent from our own address",))


def test_autoreply_is_sticky_and_the_list_header_then_says_nothing():
    s = screen(
        parse(
            build(
                "juan.perez@cliente.com.mx",
                "Hola",
                [("X-Autoreply", "yes"), ("Precedence", "bulk"), ("List-Id", "<l>")],
                None,
            )
        ),
        SETTINGS,
    )
    assert s.kind == ScreeningKind.AUTOREPLY
    assert s.reasons == ("X-Autoreply: yes", "Precedence: bulk")


def test_a_report_from_the_mailer_daemon_is_a_bounce_without_another_reason():
    s = screen(parse(build("MAILER-DAEMON@mx.cliente.com.mx", "Aviso", [], "disposition-notification")), SETTINGS)
    assert s.kind == ScreeningKind.BOUNCE
    assert s.reasons == (
        "multipart/report disposition-notification",
        "automatic sender mailer-daemon@mx.cliente.com.mx",
    )


def test_roles_come_from_the_vocabulary():
    team = screen(parse(build("ana.lopez@imagenti.mx", "Hola", [], None)), SETTINGS)
    assert team.role == Role.ENGINEER and team.team and not team.trusted
    vendor = screen(parse(build("support@withsecure.com", "Case 1", [], None)), SETTINGS)
    assert (vendor.role, vendor.vendor) == (Role.VENDOR, "withsecure")
    assert not hasattr(Screening, "automatic")
