"""The board's pages: open tickets by whose turn it is, a ticket, a client, search, the quarterly report, attachments.

Every handler is a plain ``def``: Starlette runs it in its thread pool, so
the database work (and the report's chart drawing, a short subprocess) stays
off the event loop. Nothing here writes: the session is read-only, and acting
on a ticket stays a ``#command`` by mail.

What a mail brought (subjects, bodies, names, file names) reaches the
templates as plain text and is autoescaped there; bodies are shown as text in
``<pre>``, never as HTML. An attachment is served as
``application/octet-stream`` with ``Content-Disposition: attachment``
whatever type the mail declared, so no HTML or SVG a client sent ever renders
in the board's origin. Stored slugs (severities, statuses, turns, kinds) are
shown as people read them (``mailbot.reports.labels`` and the words below).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.db.models import AttachmentRow, MessageRow
from mailbot.reports import charts as ch
from mailbot.reports import client as cl
from mailbot.reports import digest, labels
from mailbot.reports import quarterly as qr
from mailbot.sla import deadlines as sla
from mailbot.sla.calendar import duration_text
from mailbot.tickets import attachments
from mailbot.tickets.views import TicketFilter, count_tickets, find, list_tickets, local_time, show_ticket
from mailbot.vocab import (
    INTERNAL_KINDS,
    OPEN_STATUSES,
    Direction,
    MessageKind,
    Role,
    Severity,
    Status,
    Turn,
)
from mailbot.web import search as fulltext
from mailbot.web.pages import client_path, current_app, path_for, render, root, session

# -- words ---------------------------------------------------------------------------------

# The board's groups, in this order: whose move each open ticket waits on.
TURN_GROUPS = (
    (Turn.DESK, "Turno de la mesa de ayuda"),
    (Turn.CLIENT, "Turno del cliente"),
    (Turn.VENDOR, "Turno del fabricante"),
)
# The assignee filter's value for tickets nobody has.
UNASSIGNED = "sin-asignar"
# Open statuses in the order a ticket goes through them (the state filter's options).
STATUS_ORDER = (Status.NEW, Status.IN_PROGRESS, Status.WAITING_CLIENT, Status.WAITING_VENDOR)

KIND_NAMES = {
    Role.CLIENT: "Cliente",
    Role.ENGINEER: "Ingeniero",
    Role.MANAGER: "Gerente",
    Role.VENDOR: "Fabricante",
    MessageKind.UNVERIFIED: "Remitente del equipo sin verificar",
    MessageKind.PHONE: "Reporte registrado por el equipo",
    MessageKind.FORWARDED: "Correo reenviado por el equipo",
    "autoreply": "Respuesta automática",
    "auto": "Correo automático",
    "bulk": "Correo masivo",
    "bounce": "Aviso de no entrega",
    "self": "Correo propio",
    MessageKind.ACK: "Acuse al cliente",
    MessageKind.RELAY: "Respuesta al cliente",
    MessageKind.MERGE_NOTICE: "Aviso de fusión al cliente",
    MessageKind.CLOSURE: "Aviso de cierre al cliente",
    MessageKind.WAITING_REMINDER: "Recordatorio al cliente",
    MessageKind.WAITING_RESOLVED: "Resuelto por falta de respuesta",
    MessageKind.NOTICE: "Aviso al equipo: ticket nuevo",
    MessageKind.UPDATE_NOTICE: "Aviso al equipo: actualización",
    MessageKind.COMMAND_ERROR: "Error en comandos",
    MessageKind.NOTE_ONLY: "Aviso al equipo: nota",
    MessageKind.ESCALATION: "Escalamiento",
    MessageKind.MANAGER_REMINDER: "Recordatorio al gerente",
    MessageKind.VENDOR_OVERDUE: "Fabricante sin respuesta",
    MessageKind.LOOP_GUARD_NOTICE: "Protección contra bucles",
    MessageKind.REPORT: "Reporte",
    MessageKind.DIGEST: "Resumen diario",
    MessageKind.VENDOR_CASE: "Caso al fabricante",
    MessageKind.VENDOR_REMINDER: "Recordatorio al fabricante",
}
SEND_STATUS = {"queued": "en cola", "sent": "enviado", "failed": "no enviado"}

EVENT_NAMES = {
    "created": "Ticket creado",
    "message": "Correo recibido en el hilo",
    "first_response": "Primera respuesta",
    "parts_dropped": "Partes del correo no conservadas (tamaño)",
    "classified": "Clasificado por las reglas",
    "status": "Cambio de estado",
    "status_unchanged": "Estado sin cambio",
    "assigned": "Asignación",
    "turn": "Cambio de turno",
    "clock_started": "Reloj de atención iniciado",
    "clock_stopped": "Reloj de atención detenido",
    "clock_moved": "Reloj de atención recibido de otro ticket",
    "note": "Nota interna",
    "summary": "Resumen",
    "response": "Respuesta al cliente",
    "command": "Comando",
    "command_error": "Error en comandos",
    "severity_unchanged": "Criticidad sin cambio",
    "escalated": "Escalamiento",
    "escalation_skipped": "Escalamiento no enviado",
    "client_asked_escalation": "El cliente pidió escalar",
    "merged": "Fusionado en otro ticket",
    "merged_from": "Recibió un ticket fusionado",
    "split_to": "Correo separado a otro ticket",
    "split_from": "Separado de otro ticket",
    "linked": "Relacionado con otro ticket",
    "linked_from": "Otro ticket lo menciona",
    "reopened": "Reabierto",
    "closed": "Cerrado",
    "close_repeated": "Cierre repetido",
    "ack_suppressed": "Acuse retenido",
    "reminder": "Recordatorio",
    "reminder_skipped": "Recordatorio no enviado",
    "waiting_reminder": "Recordatorio al cliente",
    "resolved_unanswered": "Resuelto por falta de respuesta",
    "send_failed": "Envío fallido",
    "bounced": "Correo rebotado",
    "team_mail": "Correo del equipo",
    "loop_guard_notice": "Protección contra bucles",
}
# Why a clock stopped (``vocab.ClockStop``; older values kept, as old clocks still carry them).
# ``#commands`` as the team types them (events store the English name).
COMMAND_WORDS = {
    "status": "estado",
    "severity": "severidad",
    "assign": "asignar",
    "escalate": "escalar",
    "merge": "fusionar",
    "split": "separar",
    "handled": "atendido",
    "note": "nota",
    "summary": "resumen",
}
CLOCK_STOPS = {
    "answered": "respondido",
    "handled": "atendido (#atendido)",
    "waiting_client": "el turno pasó al cliente",
    "waiting_vendor": "el turno pasó al fabricante",
    "resolved": "resuelto",
    "closed": "cerrado",
    "merged": "fusionado en otro ticket",
    "split": "el correo pasó a un ticket propio",
}


# -- helpers -------------------------------------------------------------------------------


def _zone(app) -> str:
    return app.settings.mailbot.timezone


def _span(app, seconds: int | None) -> str:
    """A duration as attention time counts it: "2h30m hábiles" (business time), else "2h30m"."""
    if seconds is None:
        return "-"
    text = duration_text(timedelta(seconds=seconds))
    return text + (" hábiles" if sla.business(app) else "")


def _plain_span(seconds: int | None) -> str:
    return "-" if seconds is None else duration_text(timedelta(seconds=seconds))


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1048576:.1f} MB"


def _not_found(request: Request, message: str, title: str = "No encontrado") -> Response:
    return render(request, "not_found.html", status_code=404, title=title, message=message)


# The largest id an INTEGER column holds on PostgreSQL (SQLite's go further): a larger one in a URL
# names nothing, and must not reach the database (which refuses it with an error).
MAX_ID = 2**31 - 1


def _param(request: Request, name: str) -> str:
    return (request.query_params.get(name) or "").strip()


class _Links:
    """Links to tickets and clients for a page with many of them: ``path_for``'s paths, its work done once.

    ``url_path_for`` costs a route search per call (a thousand rows, two links each); its
    path for a parameter is the path for any other one with the parameter swapped, so each
    route's path is made once and the parameter appended. A value the route would refuse
    (a slash, a backslash) still goes through it.
    """

    def __init__(self, request: Request):
        self.request = request
        self.root = root(request)
        self.bases: dict[str, str] = {}

    def _url(self, route: str, param: str, value: str) -> str:
        if "/" in value or "\\" in value or not value:
            return path_for(self.request, route, **{param: value})
        base = self.bases.get(route)
        if base is None:
            base = self.bases[route] = path_for(self.request, route, **{param: "_"})[:-1]
        return base + value

    def ticket(self, number: str) -> str:
        return self._url("ticket", "number", number)

    def client(self, domain: str) -> str:
        return self.root + client_path(domain)


def _people(app) -> list[str]:
    team = app.settings.team
    return list(dict.fromkeys([*team.engineers, *([team.manager] if team.manager else [])]))


# -- the board -----------------------------------------------------------------------------


def _board_row(app, item: digest.Item, zone: str, links: _Links) -> SimpleNamespace:
    """One row of the board; attributes, not a dict: Jinja reads ``r.x`` as an attribute first
    (a dict's costs a caught AttributeError each: thousands per render)."""
    if item.overdue:
        risk, due_note = "overdue", f"VENCIDA hace {_span(app, item.late_seconds)}"
    elif item.at_risk:
        risk, due_note = "at-risk", f"en riesgo: quedan {_span(app, item.left_seconds)}"
    elif item.due is not None:
        risk, due_note = "", f"quedan {_span(app, item.left_seconds)}"
    else:
        risk, due_note = "", ""
    return SimpleNamespace(
        number=item.number,
        href=links.ticket(item.number),
        severity=labels.severity(item.severity),
        severity_class=f"sev-{item.severity}" if item.severity in set(Severity) else "",
        subject=item.subject or "(sin asunto)",
        status=labels.status(item.status),
        requester=item.requester,
        requester_name=item.requester_name,
        domain=item.domain,
        client_href=links.client(item.domain) if item.domain else "",
        assignee=item.assignee or "",
        turn=labels.turn(item.turn),
        since=local_time(item.turn_since, zone),
        waited=_span(app, item.turn_seconds) if item.turn_seconds is not None else "",
        due=local_time(item.due, zone) if item.due else "",
        due_note=due_note,
        followup=item.followup,
        risk=risk,
        vendor=item.vendor or "",
        vendor_since=local_time(item.vendor_since, zone) if item.vendor_since else "",
    )


def board(request: Request) -> Response:
    app = current_app(request)
    zone = _zone(app)
    chosen = {k: _param(request, k) for k in ("assignee", "client", "severity", "status")}
    with session(request) as s:
        now = app.clock()
        items = digest.open_items(app, s, now)
    domains = sorted({i.domain for i in items if i.domain})
    shown = items
    if chosen["assignee"] == UNASSIGNED:
        shown = [i for i in shown if not i.assignee]
    elif chosen["assignee"]:
        who = chosen["assignee"].lower()
        shown = [i for i in shown if (i.assignee or "").lower() == who]
    if chosen["client"]:
        domain = cl.normalize(chosen["client"])
        shown = [i for i in shown if i.domain == domain]
    if chosen["severity"]:
        shown = [i for i in shown if i.severity == chosen["severity"]]
    if chosen["status"]:
        shown = [i for i in shown if i.status == chosen["status"]]
    links = _Links(request)
    groups = [
        {
            "turn": turn.value,
            "title": title,
            "rows": [_board_row(app, i, zone, links) for i in shown if i.turn == turn],
        }
        for turn, title in TURN_GROUPS
    ]
    people = _people(app)
    for i in items:  # an assignee no longer in [team] can still be filtered on
        if i.assignee and i.assignee not in people:
            people.append(i.assignee)
    return render(
        request,
        "board.html",
        groups=groups,
        total=len(items),
        shown=len(shown),
        overdue=sum(1 for i in shown if i.overdue),
        at_risk=sum(1 for i in shown if i.at_risk),
        chosen=chosen,
        filtered=any(chosen.values()),
        now=local_time(now, zone),
        business=sla.business(app),
        options={
            "assignee": [(UNASSIGNED, "(sin asignar)"), *((p, p) for p in people)],
            "client": [(d, d) for d in domains],
            "severity": [(s.value, s.label) for s in Severity],
            "status": [(st.value, labels.status(st)) for st in STATUS_ORDER if st in OPEN_STATUSES],
        },
    )


# -- a ticket ------------------------------------------------------------------------------


def _clock_lines(app, data: dict, now: datetime, zone: str) -> list[tuple[str, str, str]]:
    """(label, text, css class) lines: whose turn, since when, the running clock, time left, durations.

    The CLI's ``tickets show`` explanation (``cli.tickets.clock_lines``), in Spanish.
    """
    out = []
    turn = data["turn"]
    if turn:
        since = data["turn_since"]
        waited = sla.elapsed_seconds(app, datetime.fromisoformat(since), now) if since else None
        text = f"{labels.turn(turn)}, desde {local_time(since, zone)}"
        if waited is not None:
            text += f" (hace {_span(app, waited)})"
        out.append(("Turno de", text, ""))
    else:
        out.append(("Turno de", "nadie (resuelto o cerrado)", ""))
    clock = data.get("clock")
    if clock:
        due = datetime.fromisoformat(clock["due"])
        out.append(
            (
                "Reloj de atención",
                f"{_clock_what(clock)} del {local_time(clock['started_at'], zone)}, "
                f"criticidad {labels.severity(clock['severity'])}",
                "",
            )
        )
        if turn and turn != Turn.DESK:
            out.append(
                ("", f"El turno es del {labels.turn(turn)}, pero ese correo sigue sin respuesta: el reloj corre.", "")
            )
        if now > due:
            late = sla.elapsed_seconds(app, due, now)
            out.append(
                ("Responder a más tardar", f"{local_time(due, zone)}: VENCIDO hace {_span(app, late)}", "overdue")
            )
        else:
            left = sla.elapsed_seconds(app, now, due)
            risky = left <= digest.AT_RISK
            out.append(("Responder a más tardar", local_time(due, zone), "at-risk" if risky else ""))
            out.append(
                ("Tiempo restante", _span(app, left) + (" (en riesgo)" if risky else ""), "at-risk" if risky else "")
            )
    elif turn:
        out.append(("Reloj de atención", "ninguno corriendo: nada del cliente espera respuesta", ""))
    later = [c for c in data.get("clocks", []) if not c["first"]]
    if later:
        late = sum(1 for c in later if c["late"])
        out.append(("Avisos posteriores", f"{len(later)}, {late} atendidos tarde", ""))
    d = data["durations"]
    spent = ", ".join(
        f"{name} {_span(app, d[key])}"
        for key, name in (("desk", "mesa de ayuda"), ("client", "cliente"), ("vendor", "fabricante"))
        if d[key]
    )
    out.append(("Primera respuesta", _span(app, d["first_response"]), ""))
    out.append(("Resolución", _span(app, d["resolution"]), ""))
    out.append(("Tiempo por turno (terminados)", spent or "-", ""))
    return out


def _clock_what(clock: dict) -> str:
    """The notice a clock times: the report, a later mail of the client's, a vendor's answer (the desk's move)."""
    source = clock.get("source") or ("report" if clock.get("first") else "client")
    return {"report": "el reporte", "vendor": "la respuesta del fabricante"}.get(source, "el correo del cliente")


def _audience(direction: str, kind: str) -> tuple[str, str]:
    """(css class, mark) of a thread entry: what the client saw, the team's own, a vendor's."""
    # The team's own mail to the desk (its #notes included) never reached the client as written: the relay did.
    team_in = direction == Direction.IN and kind in (Role.ENGINEER, Role.MANAGER, MessageKind.UNVERIFIED)
    if kind in INTERNAL_KINDS or team_in:
        return "internal", "Interno"
    if kind in (Role.VENDOR, MessageKind.VENDOR_CASE, MessageKind.VENDOR_REMINDER):
        return "vendor", "Fabricante"
    return "public", ""


def _thread(s, ticket_id: int, events: list[dict], zone: str) -> list[dict]:
    """The ticket's mail in and out and its internal notes, oldest first; bodies as text."""
    rows = s.scalars(
        select(MessageRow)
        .where(MessageRow.ticket_id == ticket_id)
        .options(selectinload(MessageRow.attachments))
        .order_by(MessageRow.id)
    ).all()
    entries = []
    for m in rows:
        css, mark = _audience(m.direction, m.kind)
        entries.append(
            {
                "key": (m.at, 0, m.id),
                "css": css,
                "mark": mark,
                "direction": "Recibido" if m.direction == Direction.IN else "Enviado",
                "kind": KIND_NAMES.get(m.kind, m.kind),
                "from": m.from_addr,
                "to": ", ".join(m.to_addrs or []),
                "cc": ", ".join(m.cc_addrs or []),
                "subject": m.subject,
                "at": local_time(m.at, zone),
                "status": SEND_STATUS.get(m.status or "", "") if m.direction == Direction.OUT else "",
                "body": m.body_text or "",
                "attachments": [
                    {
                        "id": a.id,
                        "name": download_name(a.filename),
                        "size": _size(a.size),
                        "dropped": a.dropped,
                    }
                    for a in sorted(m.attachments, key=lambda a: a.position)
                ],
            }
        )
    for n, e in enumerate(events):
        if e["kind"] != "note":
            continue
        data = e["data"] or {}
        at = datetime.fromisoformat(e["at"])
        # A merged ticket's notes came along with its mail: said where they were written.
        where = f" (en {data['from_ticket']})" if data.get("from_ticket") else ""
        entries.append(
            {
                "key": (at, 1, n),
                "css": "internal",
                "mark": "Interno",
                "direction": "",
                "kind": "Nota interna" + where,
                "from": e["actor"],
                "to": "",
                "cc": "",
                "subject": "",
                "at": local_time(at, zone),
                "status": "",
                "body": str(data.get("text") or ""),
                "attachments": [],
            }
        )
    entries.sort(key=lambda x: x["key"])
    return entries


def _event_text(e: dict, zone: str, vendors: dict[str, str]) -> str:
    """What an event says, in Spanish where it is easy; empty when only its kind is shown."""
    data, kind = e["data"] or {}, e["kind"]

    def g(key):
        value = data.get(key)
        return "" if value is None else str(value)

    if kind == "status":
        return f"{labels.status(g('old') or None)} → {labels.status(g('new') or None)}"
    if kind == "assigned":
        return f"{g('old') or '(nadie)'} → {g('new') or '(nadie)'}"
    if kind == "turn":
        return f"{labels.turn(g('old') or None)} → {labels.turn(g('new') or None)}"
    if kind == "clock_started":
        return f"responder a más tardar {local_time(g('due') or None, zone)}"
    if kind == "clock_stopped":
        why = CLOCK_STOPS.get(g("why"), g("why"))
        late = " (tarde)" if data.get("late") else ""
        return f"{why}{late}, tras {_plain_span(data.get('seconds'))}"
    if kind == "clock_moved":
        return f"de {g('from_ticket')}"
    if kind == "command":
        name, arg = g("name"), g("arg")
        if name == "status":
            arg = labels.status(arg)
        elif name == "severity":
            arg = labels.severity(arg)
        elif name in ("note", "summary"):
            arg = ""  # the text is in the thread (a note) or in its own event (a summary)
        return f"#{COMMAND_WORDS.get(name, name)} {arg}".strip()
    if kind == "escalated":
        target = g("target")
        return "al gerente" if target == Role.MANAGER else f"a {vendors.get(target, target)} (nivel {g('level')})"
    if kind == "first_response":
        return "fuera de tiempo" if data.get("late") else "a tiempo"
    if kind == "message":
        return KIND_NAMES.get(g("role") or g("kind"), g("role") or g("kind"))
    if kind == "merged":
        return f"en {g('into')}"
    if kind == "linked":
        return f"con {g('linked_to')}"
    if kind == "linked_from":
        return f"desde {g('ticket')}"
    if kind in ("summary", "response"):
        text = " ".join(g("text").split())
        return text[:160] + ("…" if len(text) > 160 else "")
    if kind == "escalation_skipped":
        return g("target")
    return ""


def ticket(request: Request) -> Response:
    app = current_app(request)
    zone = _zone(app)
    number = request.path_params["number"]
    with session(request) as s:
        now = app.clock()
        # "²" is a digit that int() refuses, and 10**30 no column holds: neither names a ticket.
        found = find(s, number)
        data = show_ticket(s, found) if found is not None else None
        if data is None:
            return _not_found(request, f"No hay ningún ticket {number}.", "Ticket no encontrado")
        thread = _thread(s, found.id, data["events"], zone)
    vendors = {key: v.name or key for key, v in app.settings.vendors.items()}
    events = [
        {
            "at": local_time(e["at"], zone),
            "kind": EVENT_NAMES.get(e["kind"], e["kind"]),
            "actor": e["actor"],
            "text": _event_text(e, zone, vendors)
            + (f" (en {e['data']['from_ticket']})" if (e["data"] or {}).get("from_ticket") else ""),
            "css": "internal" if e["kind"] == "note" else "",
        }
        for e in data["events"]
    ]
    tag = app.settings.mailbot.subject_tag.format(number=data["number"])
    requester = data["requester"] or ""
    fields = [
        ("Estado", labels.status(data["status"])),
        ("Criticidad", labels.severity(data["severity"])),
        ("Categoría", labels.category(data["category"])),
        ("Producto", data["product"] or "-"),
        ("Asignado a", data["assignee"] or "(sin asignar)"),
        ("Solicitante", f"{data['requester_name']} <{requester}>" if data["requester_name"] else requester or "-"),
        ("Recibido", local_time(data["received_at"], zone)),
        ("Acuse", local_time(data["acknowledged_at"], zone)),
        ("Primera respuesta", local_time(data["first_response_at"], zone)),
        ("Resuelto", local_time(data["resolved_at"], zone)),
        ("Cerrado", local_time(data["closed_at"], zone)),
        ("Nivel de escalamiento", str(data["escalation_level"])),
    ]
    if data["out_of_scope"]:
        fields.append(("Fuera de alcance", data["out_of_scope"]))
    return render(
        request,
        "ticket.html",
        t=data,
        severity_class=f"sev-{data['severity']}" if data["severity"] in set(Severity) else "",
        domain=cl.normalize(requester.rpartition("@")[2]) if "@" in requester else "",
        fields=fields,
        clock=_clock_lines(app, data, now, zone),
        thread=thread,
        events=events,
        participants=data["participants"],
        tag=tag,
        desk_address=app.settings.mailbot.address,
        escalations=[
            {
                "target": "gerente" if e["target"] == Role.MANAGER else vendors.get(e["target"], e["target"]),
                "level": e["level"],
                "at": local_time(e["at"], zone),
                "due": local_time(e["due"], zone),
                "responded": local_time(e["responded_at"], zone),
            }
            for e in data["escalations"]
        ],
    )


# -- a client ------------------------------------------------------------------------------


def client(request: Request) -> Response:
    app = current_app(request)
    zone = _zone(app)
    domain = cl.normalize(request.path_params["domain"])
    if not domain or "@" in domain:
        return _not_found(request, "Eso no es el dominio de un cliente.", "Cliente no encontrado")
    with session(request) as s:
        now = app.clock()
        if not count_tickets(s, TicketFilter(client=domain)):
            return _not_found(request, f"No hay tickets de {domain}.", "Cliente no encontrado")
        since = cl.months_back(now.astimezone(ZoneInfo(zone)).date(), cl.DEFAULT_MONTHS, zone)
        h = cl.history(app, s, domain, since, now)
        recent = list_tickets(s, TicketFilter(client=domain), limit=50, newest_first=True)
    opened = [
        {
            "number": r["ticket"],
            "severity": r["severity_text"],
            "severity_class": f"sev-{r['severity']}" if r["severity"] in set(Severity) else "",
            "status": r["status_text"],
            "turn": r["turn_text"],
            "since": r["since_local"],
            "due": local_time(r["due"], zone) if r["due"] else "",
            "overdue": r["overdue"],
            "subject": r["subject"] or "(sin asunto)",
        }
        for r in h["open"]
    ]
    tickets = [
        {
            "number": t["number"],
            "severity": labels.severity(t["severity"]),
            "status": labels.status(t["status"]),
            "subject": t["subject"] or "(sin asunto)",
            "requester": t["requester"],
            "received": local_time(t["received_at"], zone),
            "assignee": t["assignee"] or "",
            "merged_into": t["merged_into"],
        }
        for t in recent
    ]
    return render(
        request,
        "client.html",
        domain=domain,
        since=local_time(since, zone)[:10],
        summary=cl.summary_rows(h),
        opened=opened,
        tickets=tickets,
    )


# -- search --------------------------------------------------------------------------------


def search(request: Request) -> Response:
    app = current_app(request)
    zone = _zone(app)
    q = _param(request, "q")
    results = []
    if q:
        with session(request) as s:
            found = fulltext.search(s, q, limit=50)
        for r in found:
            at = r.get("at")
            results.append(
                {
                    "number": r.get("number") or "",
                    "subject": r.get("subject") or "(sin asunto)",
                    "snippet": r.get("snippet") or "",
                    "status": labels.status(r.get("status")),
                    "at": local_time(at, zone) if at else "",
                }
            )
    return render(request, "search.html", q=q, results=results, searched=bool(q))


# -- the quarterly report ------------------------------------------------------------------


def _report_quarters(today) -> list[str]:
    """The quarter being lived and the eight before it, newest first (the form's choices)."""
    year, q = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(9):
        out.append(f"{year}Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out


def _report_body(report: dict, images: list[str] | None) -> dict:
    """The report's parts for the template (``quarterly.render_html`` without its document and inline styles)."""
    charts = qr.report_charts(report)
    overdue = [r for r in report.get("open", []) if r["overdue"]]
    misses = report.get("acknowledgement_misses", [])
    miss_lines = [
        f"{m['ticket']}, {m['requester'] or '(sin dirección)'}, recibido {m['received_local']}: "
        f"{m['reason_text']}" + (f" ({m['detail'][:200]})" if m["detail"] else "")
        for m in misses[: qr.MISSES_SHOWN]
    ]
    unit = "horas hábiles" if report.get("business_hours", True) else "horas"
    return {
        "summary": qr.summary_rows(report),
        "attention_rule": qr.attention_rule(report),
        "attention": qr.attention_lines(report),
        "charts": [
            {
                "title": c.title,
                "alt": c.alt,
                "image": images[i] if images else None,
                "table": ch.table(c),
            }
            for i, c in enumerate(charts)
        ],
        "clients_title": f"Por cliente (tiempos en {unit})",
        "clients": qr.client_rows(report) if report["clients"] else [],
        "overdue_title": qr.OVERDUE_TITLE,
        "overdue": cl.open_rows(overdue[: qr.OPEN_SHOWN], client_column=True) if overdue else [],
        "overdue_more": max(len(overdue) - qr.OPEN_SHOWN, 0),
        "misses": miss_lines,
        "misses_more": max(len(misses) - qr.MISSES_SHOWN, 0),
    }


def report(request: Request) -> Response:
    app = current_app(request)
    zone = _zone(app)
    now = app.clock()
    today = now.astimezone(ZoneInfo(zone)).date()
    text = _param(request, "quarter")
    try:
        year, q = qr.parse_quarter(text) if text else qr.previous_quarter(today)
    except ValueError:
        return render(
            request,
            "report.html",
            status_code=400,
            error=f"«{text}» no es un trimestre: escríbalo como 2026Q3.",
            quarter=text,
            quarters=_report_quarters(today),
            body=None,
            title="Reporte trimestral",
        )
    with session(request) as s:
        data = qr.quarterly(app, s, year, q, now=now)
    pngs = qr.draw_charts(data, qr.report_charts(data))  # a short subprocess; this handler runs in a thread
    images = [f"data:image/png;base64,{base64.b64encode(p).decode()}" for p in pngs] if pngs else None
    company = app.settings.mailbot.company
    return render(
        request,
        "report.html",
        error="",
        quarter=data["quarter"],
        quarters=_report_quarters(today),
        title=f"Reporte trimestral de soporte {company}: {data['quarter']}",
        body=_report_body(data, images),
    )


# -- attachments ---------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f"\\/;<>:|?*]')


def download_name(name: str | None, fallback: str = "adjunto") -> str:
    """A file name safe in a header and on disk: no path, quotes, controls (CR, LF), bidi marks; never empty."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in name)
    name = _UNSAFE_NAME.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    return name[:200] or fallback


def _disposition(name: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip(" .") or "adjunto"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(request: Request) -> Response:
    ident = request.path_params["id"]
    with session(request) as s:
        att = s.get(AttachmentRow, ident) if ident <= MAX_ID else None
        if att is None:
            return _not_found(request, "No hay ningún adjunto con ese número.", "Adjunto no encontrado")
        name = download_name(att.filename)
        if att.dropped:
            return _not_found(
                request,
                f"El adjunto «{name}» ({_size(att.size)}) superaba el límite de tamaño: no se conservó.",
                "Adjunto no conservado",
            )
        try:
            data = attachments.content(s, att.id)
        except LookupError:
            return _not_found(request, f"El adjunto «{name}» no está en el correo guardado.", "Adjunto no disponible")
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": _disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# -- routes --------------------------------------------------------------------------------


def routes() -> list[Route]:
    return [
        Route("/", board, name="board", methods=["GET"]),
        Route("/tickets/{number}", ticket, name="ticket", methods=["GET"]),
        Route("/clientes/{domain}", client, name="client", methods=["GET"]),
        Route("/buscar", search, name="search", methods=["GET"]),
        Route("/reporte", report, name="report", methods=["GET"]),
        Route("/adjuntos/{id:int}", attachment, name="attachment", methods=["GET"]),
    ]
