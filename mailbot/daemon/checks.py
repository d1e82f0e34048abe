"""``mailbot check``: everything ops can get wrong, reported with file and line."""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

from mailbot import resources
from mailbot.app import load_rules, load_templates
from mailbot.config import Settings, deprecations
from mailbot.db.engine import safe_url
from mailbot.errors import OpsInputError
from mailbot.sla import deadlines as sla
from mailbot.tickets.numbering import subject_tag
from mailbot.vocab import Severity, Status


def sample_contexts(settings: Settings) -> dict[str, dict]:
    """A realistic context per template, so a check renders every branch we can."""
    now = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    ticket = SimpleNamespace(
        number=settings.mailbot.number_format.format(seq=123),
        seq=123,
        status=Status.NEW,
        severity=Severity.CRITICA,
        category="Computadora lenta",
        product="withsecure",
        out_of_scope=None,
        assignee=None,
        requester="cliente@example.com",
        requester_name="Cliente de Prueba",
        subject="Servidor caído",
        created_at=now,
        updated_at=now,
        received_at=now,
        acknowledged_at=None,
        ack_due=now,
        attention_due=now + timedelta(hours=2),
        first_response_at=None,
        escalation_level=1,
    )

    class _App:
        pass

    app = _App()
    app.settings = settings
    base = {
        "ticket": ticket,
        "tag": subject_tag(settings, ticket.number),
        "company": settings.mailbot.company,
        "support_address": settings.mailbot.address,
        "received_local": sla.local_text(app, now),
        "attention_due_local": sla.local_text(app, ticket.attention_due),
        **sla.hours_context(settings),
        "out_of_scope": "Desarrollo de código (ejemplo).",
    }
    local = base["received_local"]
    thread = [{"at": local, "who": ticket.requester, "text": "El servidor no responde."}]
    samples = {
        "acknowledgement.txt": dict(base),
        "new_ticket_notice.txt": dict(base, body="Texto del cliente", rule_hits=["regla-ejemplo"]),
        "relay.txt": dict(base, text="Ya revisamos la consola.", signature="Ana López\nIMAGEN TI"),
        "note_only.txt": dict(base, note="Revisé el log.\n\nEra el proxy.", commands=["#estado resuelto"]),
        "command_error.txt": dict(base, errors=["Línea 1: comando desconocido «#estatus»."], help="(ayuda)"),
        "merge_notice.txt": dict(
            base, old_number="IMG-000122", old_subject="Servidor caído", client_name="Cliente de Prueba"
        ),
        "report_refused.txt": dict(
            subject="Llamada de Ana", errors=["Línea 2: «#recibido 25:00»: no es una hora"], help="(ayuda)"
        ),
        "update_notice.txt": dict(
            base, who_label="El cliente", sender=ticket.requester, body="Sigue igual.", reopened=True, escalated=True
        ),
        "closure.txt": dict(base, summary="Se aplicó el parche.", closed_local=local),
        "waiting_reminder.txt": dict(
            base, waiting_since_local=local, resolve_local=local, last_question="¿Nos envía el registro?"
        ),
        "waiting_resolved.txt": dict(base, waiting_since_local=local, reopen_until_local=local),
        "escalation.txt": dict(
            base,
            reason="sla_breach",
            actor="mailbot",
            late="15 minutos",
            due_local=local,
            later_notice=True,
            vendor_notice=False,
            notice_local=local,
            client_text="El servidor no responde.",
            thread=thread,
        ),
        "manager_reminder.txt": dict(base, escalated_local=local, due_local=local, window="30 minutos"),
        "loop_guard_notice.txt": dict(base, sender=ticket.requester, sent=50, limit=50, window="1 hora"),
        "web_login.txt": dict(
            company=settings.mailbot.company,
            address="ana@example.com",
            link=f"{settings.web.base_url}/login/confirm?token=EJEMPLO",
            expires_local=local,
            minutes=15,
        ),
    }
    if settings.vendors:
        samples["vendor_overdue_notice.txt"] = dict(
            base, vendor=next(iter(settings.vendors.values())), opened_local=local, window="24 horas"
        )
    for vendor in settings.vendors.values():
        extra = dict(
            base,
            vendor=vendor,
            product=vendor.name,
            severity_en="critical",
            client_domain="example.com",
            client_text="El servidor no responde.",
            diagnosis="(diagnóstico)",
            attachments=["log.txt"],
            received_utc="2026-11-27 17:30 UTC",
            window="24 hours",
            opened_utc="2026-11-27 17:30 UTC",
            opened_local=local,
        )
        samples[f"{vendor.template}.{vendor.language}.txt"] = extra
        samples[f"vendor_reminder.{vendor.language}.txt"] = extra
    return samples


def check_all(settings: Settings, loaded: dict | None = None) -> tuple[list, list]:
    """Return (problems, warnings), each a list of (file, line, message).

    ``loaded``: where to keep the rules and templates read for the check (keys ``rules`` and
    ``templates``), for a caller that goes on to build the app from them: reading and compiling
    the rules again cost a tenth of a second of every start.
    """
    problems, warnings = [], []
    loaded = {} if loaded is None else loaded
    try:
        templates = loaded["templates"] = load_templates(settings)
    except OpsInputError as exc:
        problems += exc.problems
    else:
        problems += templates.check(sample_contexts(settings))
    try:
        loaded["rules"] = load_rules(settings)
    except OpsInputError as exc:
        problems += exc.problems
    else:
        warnings += rules_notice(settings)
    warnings += deprecations(settings)
    if settings.security.trust_unauthenticated:
        warnings.append(
            (
                str(settings.source or "<config>"),
                None,
                "security.trust_unauthenticated is on: #commands run for any mail that claims a team sender address",
            )
        )
    elif settings.team.members and not settings.security.authserv_id:
        warnings.append(
            (
                str(settings.source or "<config>"),
                None,
                "security.authserv_id is not set: no team mail can be trusted, #commands will not run",
            )
        )
    problems += web_problems(settings, warnings)
    for section in (settings.imap, settings.smtp):
        if section is not None and section.password_env and section.password_env not in os.environ:
            problems.append(
                (str(settings.source or "<config>"), None, f"environment variable {section.password_env} is not set")
            )
    return problems, warnings


def web_problems(settings: Settings, warnings: list, always: bool = False) -> list[tuple[str, int | None, str]]:
    """[web], when the board is served (``always``: by `mailbot web`): the cookie key's variable
    must be set; a board open to the network without a proxy, behind a proxy trusted_proxies does not
    name, or over plain http, is worth a warning."""
    web, name = settings.web, str(settings.source or "<config>")
    if not (web.enabled or always):
        return []
    if web.enabled and always:  # check_all has said it already
        return []
    problems = []
    if web.secret_env and not os.environ.get(web.secret_env):
        problems.append(
            (name, settings.key_line("web", "secret_env"), f"environment variable {web.secret_env} is not set")
        )
    if not _loopback(web.host) and not web.trusted_proxies:
        warnings.append(
            (
                name,
                settings.key_line("web", "host"),
                f"web.host {web.host} is not loopback and web.trusted_proxies is empty: the board is served "
                "straight to the network (put it behind the reverse proxy, and name the proxy in trusted_proxies)",
            )
        )
    elif not _loopback(urlsplit(web.base_url).hostname or "") and not web.trusted_proxies:
        # People open another host, so a reverse proxy forwards to this loopback listener: without
        # its address in trusted_proxies, every client is the proxy to the per-IP login limit.
        line = settings.key_line("web", "trusted_proxies")
        if line == settings.key_line("web"):  # not written: the [web] header is all locate finds
            line = settings.key_line("web", "base_url")
        warnings.append(
            (
                name,
                line,
                f"web.base_url {web.base_url} is not loopback but web.trusted_proxies is empty: behind a reverse "
                "proxy every client shares the proxy's address and its login rate limit "
                '(name the proxy, e.g. trusted_proxies = ["127.0.0.1"]; docs/web.md)',
            )
        )
    if not web.secure and not _loopback(urlsplit(web.base_url).hostname or ""):
        warnings.append(
            (
                name,
                settings.key_line("web", "base_url"),
                f"web.base_url {web.base_url} is not https: login links and session cookies would cross the network in clear",
            )
        )
    return problems


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def rules_notice(settings: Settings) -> list[tuple[str, int | None, str]]:
    """Ops' rules folder replaces the shipped rules whole: name the shipped files it does not have.

    Not an error (ops may have dropped a file on purpose), but after an
    upgrade it is how ops learn that a new shipped rule file is not in force.
    """
    own = settings.ops_folder("rules")
    shipped = resources.shipped("rules")
    if own is None or _same(own, shipped):
        return []
    missing = sorted({p.name for p in shipped.glob("*.toml")} - {p.name for p in own.glob("*.toml")})
    if not missing:
        return []
    return [
        (
            str(own),
            None,
            f"replaces the shipped rules and lacks {len(missing)} shipped rule file(s): "
            f"{', '.join(missing)} (they are in {shipped})",
        )
    ]


def describe_sources(settings: Settings) -> list[str]:
    """Which config file, rules, templates and database are in use, one human line each.

    ``check`` prints these and the daemon logs them at start-up, so ops see at
    once when mailbot is not reading the folders they are editing.
    """
    lines = [
        f"config:    {settings.source.resolve()}"
        if settings.source is not None
        else "config:    none (built-in defaults: no ./mailbot.toml and no --config)"
    ]
    shipped_rules, shipped_templates = resources.shipped("rules"), resources.shipped("templates")
    own = settings.ops_folder("rules")
    if own is None or _same(own, shipped_rules):
        lines.append(f"rules:     {shipped_rules} (shipped)")
    else:
        lines.append(f"rules:     {own} (replaces the shipped rules)")
    own = settings.ops_folder("templates")
    if own is None or _same(own, shipped_templates):
        lines.append(f"templates: {shipped_templates} (shipped)")
    else:
        lines.append(f"templates: {own}, then {shipped_templates} (shipped) for files it lacks")
    lines.append(f"database:  {safe_url(settings.database_url)}")
    return lines


def _same(a, b) -> bool:
    # The checkout's rules/ and the package's defaults/rules are one folder in an editable install.
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
