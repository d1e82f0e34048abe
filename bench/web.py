"""The web board's speed on a big desk: the board, a ticket page and the search, on SQLite and PostgreSQL.

    .venv/bin/python bench/web.py [--tickets 100000] [--open 1000] [--runs 20] [--pg URL | --no-pg] [--profile]

Builds a database per backend (a SQLite file in a temporary folder; a fresh
schema on PostgreSQL, at --pg or the test server when it answers, dropped
afterwards) with --tickets tickets of which --open are open: realistic
Spanish subjects and bodies, every ticket its client's report (an inbound
mail with its raw bytes) and its first attention clock, the open ones a few
more mails (acknowledgement, team notice, replies), events, a participant,
vendor cases for those waiting on a vendor. Rows go in through SQLAlchemy Core
(executemany) at revision 0009; the upgrade to 0010 then builds the search
index over them (its time is shown: the backfill or the index build).

Then it times, through the real application (``mailbot.web.app.create_app``
and Starlette's TestClient, signed in with a session cookie made by
``mailbot.web.auth``): the board, an open and a closed ticket's page, the
search page; and ``mailbot.web.search.search`` alone for a few queries.
Median and p90 of --runs runs after two warm-ups. ``--profile`` prints where
the board's time goes (cProfile of its handler). No assertions: the issue's
target is the board and a ticket page under 200 ms with 100k tickets.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402

from mailbot.app import build_app  # noqa: E402
from mailbot.db.engine import alembic_config, make_engine  # noqa: E402
from mailbot.db.models import Clock, Escalation, Event, MessageRow, Participant, Ticket  # noqa: E402
from tests.support.config import ENGINEERS, config_data, write_settings  # noqa: E402

PG_TEST_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 7, 8, 17, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Mexico City: inside business hours
BATCH = 5000

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
    "Solicitud de instalación de",
    "Contraseña expirada en",
    "Mensaje de error en",
    "Configuración de",
    "Respaldo fallido de",
    "Alerta de seguridad en",
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
    "el escáner",
    "la licencia de Windows",
    "el punto de venta",
    "la cámara de seguridad",
    "el conmutador",
]
PLACES = [
    "recepción",
    "contabilidad",
    "almacén",
    "sucursal Monterrey",
    "sucursal Guadalajara",
    "dirección",
    "ventas",
    "el segundo piso",
    "la sala de juntas",
    "recursos humanos",
]
SENTENCES = [
    "Buen día, desde ayer {thing} presenta fallas en {place}.",
    "Los usuarios de {place} reportan que {thing} no responde.",
    "Ya reiniciamos el equipo y el problema continúa.",
    "Aparece el mensaje «acceso denegado» al intentar entrar.",
    "La contraseña expiró y no nos deja cambiarla.",
    "Es urgente porque afecta la facturación del día.",
    "Adjunto captura de pantalla del error.",
    "El problema ocurre solo por las mañanas.",
    "No sabemos si es un problema de la red o del equipo.",
    "Por favor apóyennos a la brevedad, gracias.",
    "¿Pueden revisar de forma remota {thing}?",
    "Desde la actualización de ayer {thing} está muy lento.",
]
FIRST_NAMES = ["Juan", "María", "José", "Lucía", "Carlos", "Ana", "Luis", "Sofía", "Miguel", "Elena"]
LAST_NAMES = ["Pérez", "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Sánchez"]
OPEN = [("new", 0.3), ("in_progress", 0.4), ("waiting_client", 0.2), ("waiting_vendor", 0.1)]
SEVERITIES = [("critica", 0.1), ("grave", 0.3), ("leve", 0.6)]
CATEGORIES = ["general", "correo", "red", "antivirus", "impresion", "accesos"]
RARE = "ornitorrinco"  # in a handful of tickets
QUERIES = ["impresora", "contraseña expiró", '"acceso denegado"', "vpn monterrey", RARE, "zzzyxw"]


def pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def subject(rng: random.Random) -> str:
    return f"{rng.choice(PROBLEMS)} {rng.choice(THINGS)} en {rng.choice(PLACES)}"


def body(rng: random.Random, k: int) -> str:
    thing, place = rng.choice(THINGS), rng.choice(PLACES)
    lines = [s.format(thing=thing, place=place) for s in rng.sample(SENTENCES, rng.randint(3, 6))]
    if k % 20011 == 7:
        lines.append(f"Parece que un {RARE} mordió el cable.")
    return " ".join(lines) + "\n\nSaludos,\n" + rng.choice(FIRST_NAMES) + " " + rng.choice(LAST_NAMES)


def raw_mail(frm: str, subj: str, text_: str, mid: str, at: datetime) -> bytes:
    head = (
        f"From: {frm}\r\nTo: soporte@imagenti.mx\r\nSubject: {subj}\r\nMessage-ID: {mid}\r\n"
        f"Date: {at:%a, %d %b %Y %H:%M:%S +0000}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        "Received: from mx.cliente.com.mx (mx.cliente.com.mx [203.0.113.5]) by mx.imagenti.mx\r\n\r\n"
    )
    return (head + text_.replace("\n", "\r\n")).encode()


# -- the data ----------------------------------------------------------------------------------


def populate(engine, tickets: int, open_: int, seed: int = 7) -> None:
    """``tickets`` tickets, the last ``open_`` of them open, with their mail, clocks, events (Core executemany)."""
    rng = random.Random(seed)
    first_open = tickets - open_ + 1
    span = timedelta(days=3 * 365)
    step = span / tickets
    start = NOW - span
    rows: dict[str, list[dict]] = {"tickets": [], "messages": [], "clocks": [], "events": [], "others": []}
    msg_id = clock_id = 0

    def flush(conn, final=False):
        if not final and len(rows["tickets"]) < BATCH:
            return
        for table, key in ((Ticket, "tickets"), (MessageRow, "messages"), (Clock, "clocks"), (Event, "events")):
            if rows[key]:
                conn.execute(table.__table__.insert(), rows[key])
                rows[key].clear()

    with engine.begin() as conn:
        for k in range(1, tickets + 1):
            is_open = k >= first_open
            received = start + step * k if not is_open else NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 20))
            sev = pick(rng, SEVERITIES)
            status = pick(rng, OPEN) if is_open else ("closed" if rng.random() < 0.9 else "resolved")
            who = rng.randint(1, 5000)
            requester = f"usuario{who}@cliente{who % 350}.com.mx"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            subj = subject(rng)
            due = received + timedelta(hours={"critica": 2, "grave": 4, "leve": 24}[sev])
            answered = None if status == "new" else received + timedelta(minutes=rng.randint(5, 300))
            done = None if is_open else received + timedelta(hours=rng.randint(1, 200))
            rows["tickets"].append(
                dict(
                    id=k,
                    seq=k,
                    number=f"IMG-{k:06d}",
                    status=status,
                    severity=sev,
                    category=rng.choice(CATEGORIES),
                    assignee=rng.choice([*ENGINEERS, None]) if status != "new" else None,
                    requester=requester,
                    requester_name=name,
                    subject=subj,
                    created_at=received,
                    updated_at=done or answered or received,
                    received_at=received,
                    acknowledged_at=received + timedelta(seconds=5),
                    ack_due=received + timedelta(minutes=15),
                    attention_due=due,
                    first_response_at=answered,
                    resolved_at=done,
                    closed_at=done if status == "closed" else None,
                    origin="normal",
                    turn_since=(answered or received) if is_open else None,
                    first_response_seconds=int((answered - received).total_seconds()) if answered else None,
                    resolution_seconds=int((done - received).total_seconds()) if done else None,
                )
            )
            text_ = body(rng, k)
            mid = f"<r{k}@cliente{who % 350}.com.mx>"
            msg_id += 1
            thread = [
                dict(
                    id=msg_id,
                    direction="in",
                    kind="client",
                    message_id=mid,
                    from_addr=requester,
                    subject=subj,
                    body_text=text_,
                    raw=raw_mail(f"{name} <{requester}>", subj, text_, mid, received),
                    at=received,
                    status=None,
                )
            ]
            if is_open:
                later = [
                    ("out", "ack", f"[IMG-{k:06d}] Hemos recibido su reporte: {subj}", "Hemos recibido su reporte…"),
                    ("out", "notice", f"Nuevo ticket IMG-{k:06d}: {subj}", text_),
                ]
                if answered:
                    later.append(("in", "engineer", f"Re: Nuevo ticket IMG-{k:06d}", "Lo reviso. #asignar\n" + text_))
                if rng.random() < 0.5:
                    later.append(("in", "client", f"RE: {subj}", "Seguimos igual. " + body(rng, k + 1)))
                for n, (direction, kind, s, b) in enumerate(later, start=1):
                    msg_id += 1
                    thread.append(
                        dict(
                            id=msg_id,
                            direction=direction,
                            kind=kind,
                            message_id=f"<m{k}.{n}@imagenti.mx>",
                            from_addr="soporte@imagenti.mx" if direction == "out" else requester,
                            subject=s,
                            body_text=b,
                            raw=None if direction == "out" else raw_mail(requester, s, b, f"<m{k}.{n}>", received),
                            at=received + timedelta(minutes=n),
                            status="sent" if direction == "out" else None,
                        )
                    )
            for m in thread:
                m.update(ticket_id=k, source=None, to_addrs=["soporte@imagenti.mx"], cc_addrs=[], in_reply_to=None)
            rows["messages"].extend(thread)
            clock_id += 1
            running = status in ("new", "in_progress")
            clock_due = NOW + timedelta(minutes=rng.randint(-600, 1200)) if running else due
            stop = None if running else (answered or done or received)
            rows["clocks"].append(
                dict(
                    id=clock_id,
                    ticket_id=k,
                    first=True,
                    severity=sev,
                    started_at=received,
                    due=clock_due,
                    message_id=mid,
                    stopped_at=stop,
                    stopped_by=None if running else "answered",
                    actor=None,
                    business_seconds=None,
                )
            )
            kinds = ["created", "acknowledged"] + (["assigned", "status"] if is_open else ["closed"])
            for n, kind in enumerate(kinds):
                rows["events"].append(
                    dict(ticket_id=k, at=received + timedelta(seconds=n), kind=kind, actor="mailbot", data={"n": n})
                )
            if is_open:
                rows["others"].append(("p", dict(ticket_id=k, address=requester, role="requester")))
                if status == "waiting_vendor":
                    rows["others"].append(
                        (
                            "e",
                            dict(
                                ticket_id=k,
                                target="withsecure",
                                clock_id=0,
                                level=3,
                                reason="command",
                                actor=ENGINEERS[0],
                                at=received + timedelta(hours=1),
                                due=received + timedelta(days=2),
                                message_id=f"<v{k}@imagenti.mx>",
                            ),
                        )
                    )
            flush(conn)
        flush(conn, final=True)
        participants = [r for kind, r in rows["others"] if kind == "p"]
        escalations = [r for kind, r in rows["others"] if kind == "e"]
        if participants:
            conn.execute(Participant.__table__.insert(), participants)
        if escalations:
            conn.execute(Escalation.__table__.insert(), escalations)
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages))")
            )


# -- timing ------------------------------------------------------------------------------------


def timed(fn, runs: int) -> tuple[float, float]:
    """(median, p90) in milliseconds of ``runs`` calls after two warm-ups."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]


def profiled(fn, holder: dict):
    """``fn`` run under cProfile when ``holder['on']``: the stats pile up in ``holder['prof']``."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        if not holder.get("on"):
            return fn(*a, **kw)
        prof = holder.setdefault("prof", cProfile.Profile())
        prof.enable()
        try:
            return fn(*a, **kw)
        finally:
            prof.disable()

    return wrapper


def run_backend(label: str, url: str, args, tmp: Path) -> list[tuple]:
    print(f"\n[{label}] {args.tickets:,} tickets, {args.open:,} open: loading…", flush=True)
    engine = make_engine(url)
    try:
        cfg = alembic_config(engine)
        command.upgrade(cfg, "0010")
        command.downgrade(cfg, "0009")  # load without the search index, as a database from before it
        t0 = time.perf_counter()
        populate(engine, args.tickets, args.open)
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        command.upgrade(cfg, "head")
        indexed = time.perf_counter() - t0
        if engine.dialect.name == "postgresql":
            with engine.connect() as c:
                c.execute(text("ANALYZE"))
                c.commit()
        print(f"[{label}] loaded in {loaded:.1f} s; upgrade to 0010 (search index over them) {indexed:.1f} s")
    finally:
        engine.dispose()

    from starlette.testclient import TestClient

    from mailbot.web import auth, views
    from mailbot.web import search as fulltext
    from mailbot.web.app import create_app

    settings = write_settings(tmp / f"{label}.toml", config_data(tmp / f"var-{label}", url))
    app = build_app(settings, clock=lambda: NOW)
    holder: dict = {}
    original = views.board
    views.board = profiled(original, holder)  # create_app reads views.routes(), which reads views.board
    try:
        board = create_app(lambda: app)
    finally:
        views.board = original
    results = []
    try:
        with TestClient(board, base_url="http://127.0.0.1:8026", follow_redirects=False) as client:
            cookies = auth.Cookies(board.state.secrets.get(app), app)
            client.cookies.set(auth.SESSION_COOKIE, cookies.dump_session(cookies.new_session(ENGINEERS[0])))

            def page(path):
                def get():
                    r = client.get(path)
                    if r.status_code != 200:
                        raise SystemExit(f"{path}: HTTP {r.status_code} {r.headers.get('location', '')}")
                    return r

                return get

            open_number = f"IMG-{args.tickets - args.open // 2:06d}"
            closed_number = f"IMG-{args.tickets // 2:06d}"
            pages = [
                ("board", "/"),
                (f"ticket {open_number} (open)", f"/tickets/{open_number}"),
                (f"ticket {closed_number} (closed)", f"/tickets/{closed_number}"),
                ("search page: impresora", "/buscar?q=impresora"),
            ]
            for name, path in pages:
                med, p90 = timed(page(path), args.runs)
                results.append((label, name, med, p90))
                print(f"  {name:<36} {med:8.1f} {p90:8.1f}", flush=True)
            for q in QUERIES:

                def query(q=q):
                    with app.sessions() as s:
                        return fulltext.search(s, q, limit=50)

                hits = len(query())
                med, p90 = timed(query, args.runs)
                results.append((label, f"search() {q} [{hits} hits]", med, p90))
                print(f"  {f'search() {q} [{hits} hits]':<36} {med:8.1f} {p90:8.1f}", flush=True)
            if args.profile:
                holder["on"] = True
                for _ in range(5):
                    page("/")()
                holder["on"] = False
                out = io.StringIO()
                pstats.Stats(holder["prof"], stream=out).sort_stats("cumulative").print_stats(35)
                print(f"\n[{label}] the board, 5 renders, by cumulative time:\n{out.getvalue()}")
    finally:
        app.close()
    return results


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--open", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--pg", default=None, help=f"PostgreSQL URL (default: {PG_TEST_URL} when it answers)")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--profile", action="store_true", help="print where the board's time goes")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mailbot-bench-web-"))
    try:
        results = measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'backend':<11} {'page':<36} {'median ms':>9} {'p90 ms':>8}")
    for backend, name, med, p90 in results:
        print(f"{backend:<11} {name:<36} {med:9.1f} {p90:8.1f}")


def measure(args, tmp: Path) -> list[tuple]:
    results = []
    if not args.no_sqlite:
        results += run_backend("sqlite", f"sqlite:///{tmp}/mailbot.db", args, tmp)
    pg = None if args.no_pg else (args.pg or (PG_TEST_URL if pg_reachable(PG_TEST_URL) else None))
    if pg:
        import psycopg

        schema = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(pg, autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {schema}")
        try:
            url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
            results += run_backend("postgresql", url, args, tmp)
        finally:
            with psycopg.connect(pg, autocommit=True) as c:
                c.execute(f"DROP SCHEMA {schema} CASCADE")
    elif not args.no_pg:
        print(f"\n(PostgreSQL skipped: nothing answers at {PG_TEST_URL}; give --pg URL)")
    return results


if __name__ == "__main__":
    main()
