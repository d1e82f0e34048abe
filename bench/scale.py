"""Costs that must not grow with history: the SLA tick, listings, a ticket, threading and the reports on a big desk.

    .venv/bin/python bench/scale.py [--sizes 100000,1000000] [--db sqlite,postgresql] [--reuse DIR]
                                    [--pg URL] [--runs 3] [--ops NAME,...] [--open 3000] [--days 730]
                                    [--timeout 300] [--keep-pg]

Fills one database per size and backend through the real schema (Alembic to
0009, rows in bulk with SQLAlchemy Core ``executemany``, then ``mailbot db
upgrade``'s own path to the newest revision, which builds the search index
over them). The desk it builds is a steady one: --days of history (two years),
a few thousand tickets open (--open), the rest closed, or resolved within the
reopen window; every ticket with the rows a real one has (the client's mail
with its raw bytes, the acknowledgement, the team's notice, the answer relayed,
the closure, a later notice and its answer for a quarter of them, about ten
events, attention clocks, a participant, the autoreply log); many client
domains of very different sizes; acknowledgements late, withheld, failed or
bounced now and then; manager escalations for every clock that ran out and
vendor cases; merged tickets; the oldest two months from before the stored
durations (migration 0008), as an upgraded desk has them. Nothing is due at
``NOW``, as on a desk whose scheduler runs: the SLA tick measures its queries.
The outbox is left empty (sent mail is not read by anything measured here).

The databases are kept for a second run: SQLite files in the folder printed
(``--reuse DIR`` takes them again); PostgreSQL works in a schema of its own,
dropped afterwards (``--keep-pg`` leaves it, to look into), and is kept as a
``pg_dump`` in the same folder, restored on reuse. A reused database is brought
to the newest revision first (PostgreSQL then VACUUM ANALYZEd, as autovacuum
would after a bulk load; SQLite keeps no statistics and gets none).

Each operation runs in a child process (so the fill's memory does not count),
--runs times in a row: the first run's and the median's wall time, and the
child's peak RSS (VmHWM, the interpreter and mailbot's imports included; the
RSS before the first run is shown beside it). An operation past --timeout is
stopped and shown as such. No assertions; the targets
(issue 18): each under 1 s and 200 MB at 1,000,000 tickets, the SLA tick
under 50 ms at 100,000.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from mailbot.db.models import (  # noqa: E402
    AutoReplyLog,
    Clock,
    Counter,
    Escalation,
    Event,
    MessageRow,
    Participant,
    Ticket,
)
from tests.support.config import ENGINEERS, MANAGER, config_data, write_settings  # noqa: E402

PG_TEST_URL = "postgresql://postgres@127.0.0.1:5432/test"
# A Wednesday, 11:00 in Mexico City: inside business hours, a week into 2026Q3.
NOW = datetime(2026, 7, 8, 17, 0, tzinfo=UTC)
QUARTER = (2026, 2)  # the last finished quarter at NOW: what `report quarterly` reports by default
BATCH = 2000  # tickets per executemany round
REOPEN = timedelta(days=7)  # [tickets] reopen_window's default: resolved longer than this is closed by the tick

PROBLEMS = [
    "No imprime",
    "Falla",
    "Error al abrir",
    "Lentitud en",
    "No enciende",
    "Sin acceso a",
    "Se desconecta",
    "Bloqueo de",
    "Actualización pendiente de",
    "Contraseña expirada en",
    "Mensaje de error en",
    "Respaldo fallido de",
]
THINGS = [
    "la impresora",
    "el servidor de archivos",
    "la VPN",
    "el correo",
    "Office",
    "la computadora",
    "el antivirus",
    "la red inalámbrica",
    "el sistema de nómina",
    "la consola de WithSecure",
    "el firewall SonicWall",
    "el punto de venta",
]
PLACES = ["recepción", "contabilidad", "almacén", "sucursal Monterrey", "dirección", "ventas", "recursos humanos"]
SENTENCES = [
    "Buen día, desde ayer {thing} presenta fallas en {place}.",
    "Los usuarios de {place} reportan que {thing} no responde.",
    "Ya reiniciamos el equipo y el problema continúa.",
    "Aparece el mensaje «acceso denegado» al intentar entrar.",
    "Es urgente porque afecta la facturación del día.",
    "El problema ocurre solo por las mañanas.",
    "Por favor apóyennos a la brevedad, gracias.",
    "¿Pueden revisar de forma remota {thing}?",
]
ANSWERS = [
    "Buen día, ya lo revisamos de forma remota; por favor intente de nuevo.",
    "Reiniciamos el servicio y quedó funcionando. Quedamos atentos.",
    "Le pedimos reiniciar el equipo y confirmarnos si el problema continúa.",
]
FIRST_NAMES = ["Juan", "María", "José", "Lucía", "Carlos", "Ana", "Luis", "Sofía", "Miguel", "Elena"]
LAST_NAMES = ["Pérez", "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Sánchez"]
SEVERITIES = [("critica", 0.1), ("grave", 0.3), ("leve", 0.6)]
ATTENTION = {"critica": timedelta(hours=2), "grave": timedelta(hours=4), "leve": timedelta(hours=24)}
CATEGORIES = [None, "correo", "red", "antivirus", "impresion", "accesos", "respaldos"]
OPEN = [("new", 0.25), ("in_progress", 0.4), ("waiting_client", 0.2), ("waiting_vendor", 0.15)]
ORIGINS = [("normal", 0.92), ("auto", 0.04), ("bulk", 0.01), ("phone", 0.02), ("forward", 0.01)]
VENDORS = ["withsecure", "sonicwall"]
# The kind of a ticket's first message, by origin.
FIRST_KIND = {"normal": "client", "auto": "auto", "bulk": "bulk", "phone": "phone", "forward": "forwarded"}
DESK = "soporte@imagenti.mx"


def pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def domains(size: int) -> tuple[list[str], list[float]]:
    """Client domains, a few big and many small (weights ~ 1/rank), some with an international name."""
    n = max(200, size // 500)
    names = [f"cliente{i}.com.mx" if i % 97 else f"ópticasnúñez{i}.mx" for i in range(n)]
    return names, [1 / (i + 3) for i in range(n)]


def raw_mail(frm: str, subj: str, text_: str, mid: str, at: datetime, reply_to: str | None = None) -> bytes:
    head = (
        f"From: {frm}\r\nTo: {DESK}\r\nSubject: {subj}\r\nMessage-ID: {mid}\r\n"
        + (f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else "")
        + f"Date: {at:%a, %d %b %Y %H:%M:%S +0000}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return (head + text_.replace("\n", "\r\n")).encode()


class Filler:
    """Rows of ``size`` tickets, generated in order of reception and inserted in batches."""

    def __init__(self, conn, size: int, open_: int, days: int, seed: int = 18):
        self.conn, self.size, self.rng = conn, size, random.Random(seed)
        self.start = NOW - timedelta(days=days)
        self.step = (NOW - timedelta(minutes=1) - self.start) / size
        self.legacy_before = self.start + timedelta(days=60)  # from before migration 0008: no stored durations
        self.pool = min(size, 4 * open_)  # the newest tickets, of which about a quarter are open
        self.old_open = max(1, open_ // 100)  # and a few open for a long time (waiting on a vendor)
        self.old_open_at = set(self.rng.sample(range(1, size - self.pool + 1), self.old_open))
        self.domains, self.weights = domains(size)
        self.rows = {t: [] for t in ("tickets", "messages", "events", "clocks", "escalations", "others", "log")}
        self.message_id = self.clock_id = 0

    # -- one ticket ------------------------------------------------------------------------------

    def ticket(self, k: int) -> None:
        rng = self.rng
        received = self.start + self.step * k + timedelta(seconds=rng.randint(0, 59))
        received = min(received, NOW - timedelta(minutes=1))
        legacy = received < self.legacy_before
        is_open = (k > self.size - self.pool and rng.random() < 0.25) or k in self.old_open_at
        status = pick(rng, OPEN) if is_open else "closed"
        if k in self.old_open_at:
            status = "waiting_vendor"
        domain = rng.choices(self.domains, self.weights)[0]
        requester = f"usuario{rng.randint(1, 40)}@{domain}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        origin = pick(rng, ORIGINS)
        if origin == "auto":
            requester, name = f"alertas@{domain}", ""
        elif origin == "bulk":
            requester, name = f"boletin@{domain}", ""
        role = "engineer" if origin == "normal" and rng.random() < 0.01 else "client"
        if role == "engineer":
            requester, name = rng.choice(ENGINEERS), ""
        severity = pick(rng, SEVERITIES)
        category = rng.choice(CATEGORIES)
        subject = f"{rng.choice(PROBLEMS)} {rng.choice(THINGS)} en {rng.choice(PLACES)}"
        thing, place = rng.choice(THINGS), rng.choice(PLACES)
        body = " ".join(s.format(thing=thing, place=place) for s in rng.sample(SENTENCES, rng.randint(2, 4)))
        body += f"\n\nSaludos,\n{name or 'Monitoreo'}"
        attention_due = None if origin == "bulk" else received + ATTENTION[severity]
        assignee = rng.choice(ENGINEERS) if status != "new" else None

        # The desk's first answer: in time mostly, late now and then.
        answered = None
        if status != "new" and attention_due is not None:
            late = rng.random() < 0.12
            spent = (
                (ATTENTION[severity] * rng.uniform(1.05, 3)) if late else ATTENTION[severity] * rng.uniform(0.05, 0.9)
            )
            answered = received + spent
            if answered >= NOW:
                answered = received + (NOW - received) / 2
        resolved = closed = None
        if not is_open:
            resolved = (answered or received) + timedelta(hours=rng.uniform(0.5, 120))
            if resolved >= NOW - timedelta(minutes=5):
                resolved = received + (NOW - received) * 0.9
            if resolved > NOW - REOPEN:
                status = "resolved"  # within the reopen window: the tick closes it later
            else:
                closed = min(resolved + (REOPEN if rng.random() < 0.8 else timedelta(hours=rng.uniform(1, 150))), NOW)
        merged_into = None
        if status == "closed" and k > 100 and rng.random() < 0.004:
            merged_into = k - rng.randint(1, 50)
        turn_since = None
        if status == "new":
            turn_since = received
        elif status == "in_progress":
            turn_since = answered or received
        elif status == "waiting_client":
            # Inside the resolve_waiting_after wait (5 business days): the tick has nothing to resolve.
            turn_since = max(answered or received, NOW - timedelta(days=rng.uniform(0.1, 3.9)))
        elif status == "waiting_vendor":
            turn_since = (answered or received) + timedelta(minutes=30)
        acked = None
        ack_kind = "none"
        owes_ack = origin == "normal" and role == "client"
        if owes_ack:
            r = rng.random()
            if r < 0.955:
                acked, ack_kind = received + timedelta(seconds=rng.randint(2, 90)), "sent"
            elif r < 0.975:
                acked, ack_kind = received + timedelta(minutes=rng.randint(31, 240)), "sent"  # late
            elif r < 0.99:
                ack_kind = "suppressed"
            elif r < 0.996:
                ack_kind = "failed"
            else:
                acked, ack_kind = received + timedelta(seconds=30), "bounced"
        first_secs = None if legacy or answered is None else int((answered - received).total_seconds())
        res_secs = None if legacy or resolved is None else int((resolved - received).total_seconds())
        self.rows["tickets"].append(
            dict(
                id=k,
                seq=k,
                number=f"IMG-{k:07d}",
                status=status,
                severity=severity,
                category=category,
                product=None,
                out_of_scope=None,
                assignee=assignee,
                requester=requester,
                requester_name=name,
                subject=subject,
                created_at=received,
                updated_at=closed or resolved or answered or received,
                received_at=received,
                acknowledged_at=acked,
                ack_due=received + timedelta(minutes=30),
                attention_due=attention_due,
                first_response_at=answered,
                resolved_at=resolved,
                closed_at=closed,
                escalation_level=1,
                linked_ticket_id=None,
                classification=None,
                origin=origin,
                merged_into_id=merged_into,
                turn_since=turn_since,
                waiting_reminded_at=turn_since + timedelta(days=1)
                if status == "waiting_client" and turn_since < NOW - timedelta(days=1)
                else None,
                first_response_seconds=first_secs,
                resolution_seconds=res_secs,
                desk_seconds=first_secs or 0,
                client_seconds=0,
                vendor_seconds=0,
            )
        )
        cmid = f"<r{k}.{rng.randrange(10**6)}@{domain}>"
        self._message(
            k,
            "in",
            FIRST_KIND[origin],
            cmid,
            requester,
            subject,
            body,
            received,
            raw=raw_mail(f"{name} <{requester}>", subject, body, cmid, received),
        )
        events = [
            (
                "created",
                requester,
                {
                    "message_id": cmid,
                    "source": None,
                    "kind": origin if origin in ("auto", "bulk") else "normal",
                    "role": role,
                    "severity": severity,
                    "category": category,
                    "product": None,
                    "attention_due": attention_due.isoformat() if attention_due else None,
                },
                received,
            ),
        ]
        if rng.random() < 0.4:
            events.append(("classified", "mailbot", {"rules": {"severity": severity, "hits": []}}, received))
        tag = f"[IMAGEN TI #IMG-{k:07d}]"
        if ack_kind != "none" and ack_kind != "suppressed":
            amid = f"<ack{k}.mailbot@imagenti.mx>"
            self._message(
                k,
                "out",
                "ack",
                amid,
                DESK,
                f"{tag} Hemos recibido su reporte: {subject}",
                "Hemos recibido su reporte en la mesa de ayuda.",
                received,
                to=requester,
                status="failed" if ack_kind == "failed" else "sent",
                reply_to=cmid,
            )
            self.rows["log"].append(dict(address=requester, at=received))
            if ack_kind == "failed":
                events.append(
                    (
                        "send_failed",
                        "mailbot",
                        {"message_id": amid, "error": "550 5.1.1 user unknown"},
                        received + timedelta(minutes=1),
                    )
                )
            if ack_kind == "bounced":
                events.append(
                    (
                        "bounced",
                        "mailbot",
                        {"message_id": amid, "diagnostic": "mailbox full"},
                        received + timedelta(minutes=3),
                    )
                )
        elif ack_kind == "suppressed":
            reason = "rule:sin-acuse" if rng.random() < 0.5 else "sender_ceiling"
            events.append(("ack_suppressed", "mailbot", {"reason": reason}, received))
        self._message(
            k,
            "out",
            "notice",
            f"<n{k}.mailbot@imagenti.mx>",
            DESK,
            f"{tag} Nuevo ticket {severity.upper()}: {subject}",
            f"Nuevo ticket IMG-{k:07d}.\n{body}",
            received,
            to=", ".join(ENGINEERS),
            status="sent",
            reply_to=cmid,
        )
        self.rows["others"].append(("p", dict(ticket_id=k, address=requester, role="requester")))

        # The first attention clock, and the manager's escalation when it ran out.
        clock = None
        if attention_due is not None:
            clock = self._clock(
                k, True, "report", severity, received, attention_due, answered, legacy, None if legacy else cmid
            )
            if answered is None and not is_open:
                # Resolved without an answer in the thread: stopped by the resolution.
                self._stop(clock, resolved, "resolved", legacy, received)
        if answered is not None:
            emid = f"<e{k}@imagenti.mx>"
            self._message(
                k,
                "in",
                "engineer",
                emid,
                assignee or ENGINEERS[0],
                f"Re: {tag} Nuevo ticket",
                ANSWERS[k % 3],
                answered,
                raw=raw_mail(assignee or ENGINEERS[0], f"Re: {tag}", ANSWERS[k % 3], emid, answered),
            )
            self._message(
                k,
                "out",
                "relay",
                f"<y{k}.mailbot@imagenti.mx>",
                DESK,
                f"{tag} RE: {subject}",
                ANSWERS[k % 3],
                answered,
                to=requester,
                status="sent",
                reply_to=cmid,
            )
            events += [
                ("message", assignee, {"message_id": emid, "role": "engineer", "kind": "normal"}, answered),
                ("response", assignee, {"text": ANSWERS[k % 3], "relayed": True}, answered),
                ("first_response", assignee, {"late": answered > attention_due}, answered),
                (
                    "clock_stopped",
                    assignee,
                    {"why": "answered", "late": answered > attention_due, "first": True},
                    answered,
                ),
                ("status", assignee, {"old": "new", "new": "in_progress"}, answered),
            ]
        if clock is not None and (clock["stopped_at"] or NOW) > clock["due"]:
            self._manager_escalation(k, clock, is_open)

        # A later notice (the client wrote again) for a quarter of them, answered unless still open.
        if answered is not None and not legacy and rng.random() < 0.25:
            wrote = answered + (((resolved or NOW) - answered) * rng.uniform(0.1, 0.6))
            fmid = f"<f{k}.{rng.randrange(10**6)}@{domain}>"
            text_ = "Seguimos igual, ¿nos pueden apoyar?\n\n> " + ANSWERS[k % 3]
            self._message(
                k,
                "in",
                "client",
                fmid,
                requester,
                f"RE: {subject}",
                text_,
                wrote,
                raw=raw_mail(requester, f"RE: {tag} {subject}", text_, fmid, wrote, reply_to=cmid),
            )
            self._message(
                k,
                "out",
                "update_notice",
                f"<u{k}.mailbot@imagenti.mx>",
                DESK,
                f"{tag} El cliente respondió: {subject}",
                text_,
                wrote,
                to=", ".join(ENGINEERS),
                status="sent",
                reply_to=fmid,
            )
            due = wrote + ATTENTION[severity]
            running = status == "in_progress" and rng.random() < 0.4
            back = None if running else min(wrote + ATTENTION[severity] * rng.uniform(0.1, 1.4), resolved or NOW)
            later = self._clock(k, False, "client", severity, wrote, due, back, False, fmid)
            events.append(("message", requester, {"message_id": fmid, "role": "client", "kind": "normal"}, wrote))
            events.append(("clock_started", "mailbot", {"due": due.isoformat(), "message_id": fmid}, wrote))
            if back is not None:
                self._message(
                    k,
                    "out",
                    "relay",
                    f"<z{k}.mailbot@imagenti.mx>",
                    DESK,
                    f"{tag} RE: {subject}",
                    ANSWERS[(k + 1) % 3],
                    back,
                    to=requester,
                    status="sent",
                    reply_to=fmid,
                )
                events.append(("clock_stopped", assignee, {"why": "answered", "late": back > due}, back))
            if (back or NOW) > due:
                self._manager_escalation(k, later, is_open)
        if status == "waiting_client":
            events.append(("status", assignee, {"old": "in_progress", "new": "waiting_client"}, turn_since))
        if status == "waiting_vendor":
            vendor = rng.choice(VENDORS)
            case_due = turn_since + timedelta(days=2)
            self.rows["escalations"].append(
                dict(
                    ticket_id=k,
                    target=vendor,
                    clock_id=0,
                    level=3,
                    reason="command",
                    actor=assignee or ENGINEERS[0],
                    at=turn_since,
                    due=case_due,
                    message_id=f"<v{k}.mailbot@imagenti.mx>",
                    responded_at=None,
                    reminded_at=case_due + timedelta(minutes=1) if case_due < NOW else None,
                )
            )
            events.append(("escalated", assignee, {"target": vendor, "level": 3}, turn_since))
        elif not is_open and rng.random() < 0.02:
            at = (answered or received) + timedelta(hours=1)
            self.rows["escalations"].append(
                dict(
                    ticket_id=k,
                    target=rng.choice(VENDORS),
                    clock_id=0,
                    level=3,
                    reason="command",
                    actor=assignee or ENGINEERS[0],
                    at=at,
                    due=at + timedelta(days=2),
                    message_id=f"<v{k}.mailbot@imagenti.mx>",
                    responded_at=at + timedelta(hours=20),
                    reminded_at=None,
                )
            )
        if resolved is not None:
            events += [
                ("status", assignee, {"old": "in_progress", "new": "resolved"}, resolved),
                ("turn", assignee, {"old": "desk", "new": None}, resolved),
            ]
        if closed is not None:
            if merged_into is not None:
                events.append(("merged", assignee, {"into": f"IMG-{merged_into:07d}"}, closed))
                self.rows["events"].append(
                    dict(
                        ticket_id=merged_into,
                        kind="merged_from",
                        actor=assignee or "mailbot",
                        at=closed,
                        data={"ticket": f"IMG-{k:07d}", "message_ids": [cmid]},
                    )
                )
            else:
                self._message(
                    k,
                    "out",
                    "closure",
                    f"<c{k}.mailbot@imagenti.mx>",
                    DESK,
                    f"{tag} Ticket cerrado: {subject}",
                    "Le informamos que el ticket quedó cerrado.",
                    closed,
                    to=requester,
                    status="sent",
                    reply_to=cmid,
                )
            events += [
                ("status", "mailbot", {"old": "resolved", "new": "closed"}, closed),
                ("closed", "mailbot", {}, closed),
            ]
        for kind, actor, data, at in events:
            self.rows["events"].append(dict(ticket_id=k, kind=kind, actor=actor or "mailbot", at=at, data=data))

    def _message(
        self, k, direction, kind, mid, frm, subject, body, at, *, raw=None, to=DESK, status=None, reply_to=None
    ):
        self.message_id += 1
        self.rows["messages"].append(
            dict(
                id=self.message_id,
                ticket_id=k,
                direction=direction,
                message_id=mid,
                kind=kind,
                source=None,
                from_addr=frm,
                to_addrs=[a.strip() for a in to.split(",")],
                cc_addrs=[],
                subject=subject,
                in_reply_to=reply_to,
                body_text=body,
                raw=raw,
                at=at,
                status=status,
            )
        )

    def _clock(self, k, first, source, severity, started, due, stopped, legacy, mid) -> dict:
        self.clock_id += 1
        row = dict(
            id=self.clock_id,
            ticket_id=k,
            first=first,
            source=source,
            severity=severity,
            started_at=started,
            due=due,
            message_id=mid,
            stopped_at=None,
            stopped_by=None,
            actor=None,
            business_seconds=None,
        )
        self.rows["clocks"].append(row)
        if stopped is not None:
            self._stop(row, stopped, "answered", legacy, started)
        return row

    @staticmethod
    def _stop(row, at, why, legacy, started):
        row.update(
            stopped_at=at, stopped_by=why, business_seconds=None if legacy else int((at - started).total_seconds())
        )

    def _manager_escalation(self, k, clock, is_open):
        at = clock["due"]
        due = at + timedelta(hours=4)
        open_and_due = is_open and due <= NOW
        self.rows["escalations"].append(
            dict(
                ticket_id=k,
                target="manager",
                clock_id=clock["id"],
                level=2,
                reason="sla_breach",
                actor="mailbot",
                at=at,
                due=due,
                message_id=f"<g{k}.{clock['id']}.mailbot@imagenti.mx>",
                responded_at=None if is_open else clock["stopped_at"],
                reminded_at=due + timedelta(minutes=1) if open_and_due else None,
            )
        )

    # -- in batches ----------------------------------------------------------------------------

    def run(self, progress=None) -> None:
        for k in range(1, self.size + 1):
            self.ticket(k)
            if k % BATCH == 0 or k == self.size:
                self.flush()
                if progress and k % (BATCH * 25) == 0:
                    progress(k)
        self.conn.execute(Counter.__table__.update().where(Counter.name == "ticket").values(value=self.size))

    def flush(self) -> None:
        r = self.rows
        for table, key in (
            (Ticket, "tickets"),
            (MessageRow, "messages"),
            (Clock, "clocks"),
            (Escalation, "escalations"),
        ):
            if r[key]:
                self.conn.execute(table.__table__.insert(), r[key])
                r[key].clear()
        # merged_from events may name a ticket of this batch only after it is in: events go last.
        if r["events"]:
            self.conn.execute(Event.__table__.insert(), r["events"])
            r["events"].clear()
        if r["others"]:
            self.conn.execute(Participant.__table__.insert(), [row for _, row in r["others"]])
            r["others"].clear()
        if r["log"]:
            self.conn.execute(AutoReplyLog.__table__.insert(), r["log"])
            r["log"].clear()


# -- databases -------------------------------------------------------------------------------------


def fill(url: str, size: int, args) -> None:
    from alembic import command

    from mailbot.db.engine import alembic_config, make_engine, upgrade

    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), "0009")  # before the search index: it is built over the rows after
        t0 = time.perf_counter()
        with engine.begin() as conn:
            Filler(conn, size, args.open, args.days).run(
                lambda k: print(f"    {k:,} tickets ({time.perf_counter() - t0:.0f} s)", flush=True)
            )
            if engine.dialect.name == "postgresql":
                for table in (
                    "tickets",
                    "messages",
                    "clocks",
                    "events",
                    "escalations",
                    "participants",
                    "autoreply_log",
                ):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))"
                        )
                    )
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        upgrade(engine)
        print(
            f"    rows in {loaded:.0f} s; mailbot's upgrade to the newest revision {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    finally:
        engine.dispose()


def bring_up(url: str) -> float:
    """``mailbot db upgrade``'s path on a reused database (new migrations, such as indexes); seconds it took."""
    from mailbot.db.engine import make_engine, upgrade

    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        upgrade(engine)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load
        return time.perf_counter() - t0
    finally:
        engine.dispose()


def shape(url: str) -> str:
    """What the database holds, in one line."""
    from mailbot.db.engine import make_engine
    from mailbot.vocab import OPEN_STATUSES

    engine = make_engine(url, create=False)
    try:
        with engine.connect() as c:
            count = {
                t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("tickets", "messages", "events", "clocks", "escalations")
            }
            opened = c.execute(
                Ticket.__table__.select().with_only_columns(text("count(*)")).where(Ticket.status.in_(OPEN_STATUSES))
            ).scalar()
    finally:
        engine.dispose()
    return f"{count['tickets']:,} tickets ({opened:,} open), " + ", ".join(
        f"{n:,} {t}" for t, n in count.items() if t != "tickets"
    )


def sqlite_db(folder: Path, size: int, args) -> str:
    path = folder / f"sqlite-{size}.db"
    done = folder / f"sqlite-{size}.done"
    url = f"sqlite:///{path}"
    if not done.exists():
        for stale in folder.glob(f"sqlite-{size}.db*"):
            stale.unlink()
        print(f"  filling {path} with {size:,} tickets…", flush=True)
        fill(url, size, args)
        done.write_text("filled\n")
    else:
        print(f"  reusing {path}", flush=True)
    return url


def pg_schema_url(pg: str, schema: str) -> str:
    return f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"


def pg_db(folder: Path, size: int, args) -> tuple[str, str]:
    """(URL, schema): the schema filled, or restored from the dump a first run left in ``folder``."""
    import psycopg

    schema = f"scale_{hashlib.sha1(str(folder).encode()).hexdigest()[:8]}_{size}"
    dump = folder / f"postgresql-{size}.dump"
    with psycopg.connect(args.pg, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if not dump.exists():
            c.execute(f"CREATE SCHEMA {schema}")
    url = pg_schema_url(args.pg, schema)
    if dump.exists():
        print(f"  restoring schema {schema} from {dump}…", flush=True)
        t0 = time.perf_counter()
        subprocess.run(["pg_restore", "--no-owner", "-j", "2", "-d", args.pg, str(dump)], check=True)
        print(f"    restored in {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        print(f"  filling schema {schema} with {size:,} tickets…", flush=True)
        fill(url, size, args)
        part = dump.with_suffix(".part")
        subprocess.run(["pg_dump", "-Fc", "-Z", "1", "-n", schema, "-f", str(part), args.pg], check=True)
        part.replace(dump)
        print(f"    kept as {dump}", flush=True)
    return url, schema


def drop_schema(pg: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# -- the operations (in a child process) -------------------------------------------------------------


def _facts(size: int) -> dict:
    """What the operations ask about, the same on every backend: a big client, a ticket of each kind."""
    names, _ = domains(size)
    return {
        "big_client": names[0],
        "mid_client": names[len(names) // 10],
        "old_ticket": size // 3,
        "open_ticket": size,  # the newest: open or just resolved
    }


def _op_sla_tick(app, f):
    from mailbot.jobs.scheduler import sla_tick

    report = sla_tick(app, NOW)
    return f"{report.mails} mails, {len(report.failed)} failed"


def _listing(app, **where):
    from mailbot.cli.tickets import DEFAULT_LIST_LIMIT
    from mailbot.tickets import actions
    from mailbot.tickets.views import TicketFilter, count_tickets, list_tickets

    if "assignee" in where:
        where["assignee"] = actions.resolve_assignee(app.settings, where["assignee"])
    flt = TicketFilter(**where)
    with app.sessions() as s:
        rows = list_tickets(s, flt, limit=DEFAULT_LIST_LIMIT, newest_first=True)
        total = len(rows) if len(rows) < DEFAULT_LIST_LIMIT else count_tickets(s, flt)
    return f"{len(rows)} of {total:,}"


def _op_show(app, f, number):
    from mailbot.cli.tickets import explain_clock
    from mailbot.tickets.views import show_ticket

    with app.sessions() as s:
        data = show_ticket(s, f"IMG-{number:07d}")
        explain_clock(app, data)
    return f"{data['status']}, {len(data['messages'])} mails, {len(data['events'])} events"


def _op_web_ticket(app, f):
    """The web ticket page's data: ``show_ticket`` and the thread (``mailbot.web.views``), without the template."""
    from mailbot.tickets.views import find, show_ticket
    from mailbot.web import views

    with app.sessions() as s:
        found = find(s, f"IMG-{f['old_ticket']:07d}")
        data = show_ticket(s, found)
        thread = views._thread(s, found.id, data["events"], app.settings.mailbot.timezone)
    return f"{len(thread)} thread entries"


def _op_thread(app, f):
    from sqlalchemy import select

    from mailbot.mail.parse import parse
    from mailbot.mail.screen import screen
    from mailbot.tickets.thread_match import find_ticket

    k = f["old_ticket"]
    with app.sessions() as s:
        mid, requester, subject = s.execute(
            select(MessageRow.message_id, Ticket.requester, Ticket.subject)
            .join(Ticket, Ticket.id == MessageRow.ticket_id)
            .where(MessageRow.ticket_id == k, MessageRow.direction == "in")
            .order_by(MessageRow.id)
            .limit(1)
        ).one()
    reply = raw_mail(requester, f"RE: {subject}", "Sigue fallando.", f"<again{time.time_ns()}@x.mx>", NOW, mid)
    # What the pipeline does before it looks for the ticket: parse and screen (not timed apart).
    mail = parse(reply)
    screening = screen(mail, app.settings)
    with app.sessions() as s:
        match = find_ticket(s, mail, screening, app.settings)
        found = match.ticket.number if match.ticket else None
        s.rollback()
    return f"{match.how} -> {found}"


def _op_quarterly(app, f, client=None):
    from mailbot.reports import quarterly as rep

    with app.sessions() as s:
        data = rep.quarterly(app, s, *QUARTER, client=client, now=NOW)
    rep.render_text(data, app.settings.mailbot.company)
    o = data["overall"]
    return f"{o['tickets']:,} tickets, {len(data['clients']):,} clients, {len(data['acknowledgement_misses']):,} misses"


def _op_client(app, f):
    from zoneinfo import ZoneInfo

    from mailbot.reports import client as history

    zone = app.settings.mailbot.timezone
    since = history.months_back(NOW.astimezone(ZoneInfo(zone)).date(), history.DEFAULT_MONTHS, zone)
    with app.sessions() as s:
        data = history.history(app, s, f["big_client"], since, NOW)
    history.render_text(data, app.settings.mailbot.company, zone)
    return f"{data['tickets']:,} tickets, {data['open_now']} open"


def _op_digest(app, f):
    from mailbot.reports import digest

    mails = digest.build(app, digest.MANAGER, NOW, draw=False) + digest.build(app, digest.ENGINEERS, NOW, draw=False)
    return f"{len(mails)} digests"


OPS = {
    "sla_tick": ("SLA tick (sla_tick)", _op_sla_tick),
    "list": ("tickets list", lambda app, f: _listing(app)),
    "list_new": ("tickets list --status new", lambda app, f: _listing(app, status="new")),
    "list_client": ("tickets list --client BIG", lambda app, f: _listing(app, client=f["big_client"])),
    "list_overdue": ("tickets list --overdue", lambda app, f: _listing(app, overdue_at=NOW)),
    "list_assignee": (
        "tickets list --assignee ana --severity grave",
        lambda app, f: _listing(app, assignee="ana.lopez", severity="grave"),
    ),
    "show_old": ("tickets show OLD", lambda app, f: _op_show(app, f, f["old_ticket"])),
    "show_open": ("tickets show NEWEST", lambda app, f: _op_show(app, f, f["open_ticket"])),
    "web_ticket": ("web ticket page's data", _op_web_ticket),
    "thread": ("thread a reply (find_ticket)", _op_thread),
    "quarterly": (f"report quarterly {QUARTER[0]}Q{QUARTER[1]}", _op_quarterly),
    "quarterly_client": ("report quarterly --client BIG", lambda app, f: _op_quarterly(app, f, f["big_client"])),
    "client": ("report client BIG (12 months)", _op_client),
    "digest": ("digests (board + engineers, no charts)", _op_digest),
}


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    from mailbot.app import build_app

    tmp = Path(tempfile.mkdtemp(prefix="mailbot-scale-child-"))
    settings = write_settings(
        tmp / "mailbot.toml", config_data(tmp / "var", args.url, report={"recipients": [MANAGER]})
    )
    app = build_app(settings, upgrade=False, create=False, clock=lambda: NOW)
    _name, fn = OPS[args.child]
    facts = _facts(args.size)
    # Imports the operation needs, and the connection: paid by any command before its work starts.
    import mailbot.jobs.scheduler
    import mailbot.reports.digest
    import mailbot.tickets.thread_match
    import mailbot.web.views  # noqa: F401

    with app.sessions() as s:
        s.execute(text("SELECT 1"))
    before = _rss_mb("VmRSS")
    times, said = [], ""
    try:
        for _ in range(args.runs):
            t0 = time.perf_counter()
            said = fn(app, facts)
            times.append(time.perf_counter() - t0)
    finally:
        app.close()
    print(json.dumps({"times": times, "before_mb": before, "peak_mb": _rss_mb("VmHWM"), "said": said}))


def watched(cmd: list[str], timeout: float) -> tuple[subprocess.CompletedProcess | None, float]:
    """Run ``cmd``; (its result, or None when it ran past ``timeout`` and was stopped; its peak RSS in MB)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        deadline, peak = time.monotonic() + timeout, 0.0
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                pass
            time.sleep(0.2)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            return None, peak
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read()), peak


def run_ops(url: str, size: int, args) -> list[dict]:
    out = []
    for key in args.ops:
        name = OPS[key][0]
        cmd = [sys.executable, __file__, "--child", key, "--url", url, "--size", str(size), "--runs", str(args.runs)]
        done, peak = watched(cmd, args.timeout)
        if done is None:
            print(f"    {name:<44} over {args.timeout:.0f} s: stopped (peak {peak:.0f} MB so far)", flush=True)
            out.append(dict(key=key, name=name, times=[float("inf")], peak_mb=peak, before_mb=0, said="stopped"))
            continue
        if done.returncode != 0:
            print(f"    {name}: FAILED\n{done.stderr[-3000:]}", flush=True)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        r.update(key=key, name=name)
        out.append(r)
        first, med = r["times"][0] * 1000, statistics.median(r["times"]) * 1000
        print(
            f"    {name:<44} {first:9.1f} {med:9.1f} {r['peak_mb']:8.0f} {r['before_mb']:8.0f}   {r['said']}",
            flush=True,
        )
    return out


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


HEAD = f"    {'operation':<44} {'first ms':>9} {'median ms':>9} {'peak MB':>8} {'start MB':>8}   result"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="ticket counts, comma-separated")
    ap.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    ap.add_argument("--reuse", metavar="DIR", default=None, help="the folder a previous run filled")
    ap.add_argument("--pg", default=PG_TEST_URL, help=f"PostgreSQL server (default {PG_TEST_URL})")
    ap.add_argument("--runs", type=int, default=3, help="runs of each operation in its process")
    ap.add_argument("--ops", default=",".join(OPS), help="which operations: " + ", ".join(OPS))
    ap.add_argument("--open", type=int, default=3000, help="open tickets (about)")
    ap.add_argument("--days", type=int, default=730, help="days of history")
    ap.add_argument("--timeout", type=float, default=300, help="seconds an operation may take before it is stopped")
    ap.add_argument(
        "--keep-pg", action="store_true", help="leave the PostgreSQL schemas (to look into them); say where"
    )
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--url", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    args.ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    unknown = [o for o in args.ops if o not in OPS]
    if unknown:
        ap.error(f"unknown --ops {', '.join(unknown)}; choose from {', '.join(OPS)}")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.db.split(",") if b.strip()]
    if any(b not in ("sqlite", "postgresql") for b in backends):
        ap.error("--db takes sqlite, postgresql or both")
    folder = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="mailbot-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"databases kept in {folder} (run again with --reuse {folder}); NOW = {NOW.isoformat()}", flush=True)
    results = []
    for size in sizes:
        for backend in backends:
            print(f"\n[{backend}, {size:,} tickets]", flush=True)
            if backend == "sqlite":
                url = sqlite_db(folder, size, args)
                print(f"  upgrade to the newest revision: {bring_up(url):.1f} s", flush=True)
                print(f"  {shape(url)}; {Path(url[len('sqlite:///') :]).stat().st_size / 2**30:.1f} GiB", flush=True)
                print(HEAD, flush=True)
                results += [dict(r, backend=backend, size=size) for r in run_ops(url, size, args)]
                continue
            if not pg_reachable(args.pg):
                print(f"  PostgreSQL skipped: nothing answers at {args.pg}", flush=True)
                continue
            url, schema = pg_db(folder, size, args)
            try:
                print(f"  upgrade to the newest revision and VACUUM ANALYZE: {bring_up(url):.1f} s", flush=True)
                print(f"  {shape(url)}", flush=True)
                print(HEAD, flush=True)
                results += [dict(r, backend=backend, size=size) for r in run_ops(url, size, args)]
            finally:
                if args.keep_pg:
                    print(f"  kept: {url}", flush=True)
                else:
                    drop_schema(args.pg, schema)
    print(f"\n{'backend':<11} {'tickets':>9}  {'operation':<44} {'median ms':>9} {'peak MB':>8}")
    for r in results:
        med = statistics.median(r["times"]) * 1000
        shown = f"{med:9.1f}" if med != float("inf") else f"{'>' + str(int(args.timeout)) + ' s':>9}"
        print(f"{r['backend']:<11} {r['size']:>9,}  {r['name']:<44} {shown} {r['peak_mb']:8.0f}")
    print(f"\ndatabases kept in {folder}")


if __name__ == "__main__":
    main()
