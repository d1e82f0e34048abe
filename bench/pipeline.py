"""Intake throughput: mails per second through Pipeline.process, on SQLite and on PostgreSQL.

    .venv/bin/python bench/pipeline.py [--mails 1000] [--seed 7] [--db sqlite,postgresql] [--pg URL]

A realistic mix: new client mails (some with a PDF attached, some HTML-only),
replies threaded into earlier tickets, out-of-office answers, engineers' mails,
and redeliveries of mails already taken in. Each mail is one full pipeline run
(parse, screen, thread, classify with the shipped rules, apply, queue the
acknowledgement and notice, commit); nothing is sent. PostgreSQL is the one of
MAILBOT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test), in a schema
of its own that is dropped afterwards; it is skipped, with a line saying so,
when it cannot be reached. No assertions: it reports, CI or a person judges.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.app import build_app  # noqa: E402
from mailbot.config import settings_from_dict  # noqa: E402
from mailbot.mail.parse import parse  # noqa: E402
from mailbot.pipeline.core import Pipeline  # noqa: E402

PG_URL = os.environ.get("MAILBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ENGINEERS = ["ana.lopez@imagenti.mx", "luis.garcia@imagenti.mx", "carla.ruiz@imagenti.mx"]
SUBJECTS = [
    "La computadora de contabilidad está muy lenta",
    "WithSecure bloquea la página del banco",
    "El agente de Safetica no reporta a la consola",
    "Abrir el puerto 8443 en el SonicWall",
    "Olvidé la contraseña de la consola",
    "Sin internet en la sucursal",
    "Troyano detectado en laptop de ventas",
    "Reporte mensual de equipos",
    "Outlook no abre tras la actualización",
    "Licencia de F-Secure vencida",
]
BODY = (
    "Buenas tardes,\n\nDesde ayer tenemos el problema: {s}. Ya reiniciamos el equipo y seguimos igual. "
    "{extra}\n\nQuedo atento a sus comentarios.\n\nSaludos cordiales,\n{name}\n{company}\nTel. 55 1234 5678\n"
)
PDF = b"%PDF-1.4\n" + bytes(random.Random(1).randrange(256) for _ in range(150_000))


def _mail(
    i: int, sender: str, subject: str, body: str, *, in_reply_to=None, headers=None, html=False, attachment=False
) -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "soporte@imagenti.mx"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    mid = f"<bench-{i}@{sender.rpartition('@')[2].rstrip('>')}>"
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for k, v in (headers or {}).items():
        msg[k] = v
    if html:
        msg.set_content("<html><body><p>" + body.replace("\n", "<br>") + "</p></body></html>", subtype="html")
    else:
        msg.set_content(body)
    if attachment:
        msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="captura.pdf")
    return mid, msg.as_bytes()


def make_mails(n: int, rng: random.Random) -> tuple[list[bytes], Counter]:
    mails: list[bytes] = []
    kinds: Counter = Counter()
    earlier: list[tuple[str, str, str]] = []  # (message id, sender, subject) of new mails
    for i in range(n):
        roll = rng.random()
        if earlier and roll < 0.20:
            mid, sender, subject = rng.choice(earlier)
            _, raw = _mail(i, sender, "RE: " + subject, "Sigue igual, adjunto más detalles.", in_reply_to=mid)
            kind = "client reply"
        elif earlier and roll < 0.27:
            mid, sender, subject = rng.choice(earlier)
            _, raw = _mail(
                i,
                f"Ana López <{rng.choice(ENGINEERS)}>",
                "RE: " + subject,
                "Ya revisamos el equipo, favor de confirmar.",
                in_reply_to=mid,
                headers={"Authentication-Results": "mx.imagenti.mx; dkim=pass header.d=imagenti.mx"},
            )
            kind = "engineer reply"
        elif earlier and roll < 0.32:
            mid, sender, subject = rng.choice(earlier)
            _, raw = _mail(
                i,
                sender,
                "Respuesta automática: " + subject,
                "Estoy fuera de la oficina.",
                in_reply_to=mid,
                headers={"Auto-Submitted": "auto-replied"},
            )
            kind = "out-of-office"
        elif mails and roll < 0.36:
            raw = rng.choice(mails)
            kind = "redelivery"
        else:
            c = rng.randrange(400)
            sender = f"Usuario {c} <usuario{c}@cliente{c % 60}.com.mx>"
            subject = rng.choice(SUBJECTS)
            body = BODY.format(
                s=subject.lower(),
                extra=" ".join(rng.sample(SUBJECTS, 2)),
                name=f"Usuario {c}",
                company=f"Cliente {c % 60} S.A. de C.V.",
            )
            attachment = rng.random() < 0.10
            mid, raw = _mail(i, sender, subject, body, html=rng.random() < 0.15, attachment=attachment)
            earlier.append((mid, sender, subject))
            kind = "new" + (" with 150 KB PDF" if attachment else "")
        mails.append(raw)
        kinds[kind] += 1
    return mails, kinds


def run(label: str, url: str, mails: list[bytes], tmp: Path) -> None:
    data = {
        "mailbot": {"data_dir": str(tmp / label)},
        "database": {"url": url},
        "lmtp": {"enabled": False},
        "team": {"engineers": ENGINEERS, "manager": "francisco.martinez@imagenti.mx"},
        "security": {"authserv_id": "mx.imagenti.mx"},
    }
    settings = settings_from_dict(data, source=tmp / f"{label}.toml")
    app = build_app(settings)
    try:
        pipeline = Pipeline(app)
        for i in range(20):  # warm up: connections, templates, rules, first inserts
            pipeline.process(_mail(10_000_000 + i, f"warm{i}@calentamiento.mx", "Prueba", "Hola")[1])
        times, actions = [], Counter()
        start = time.perf_counter()
        for raw in mails:
            t0 = time.perf_counter_ns()
            actions[pipeline.process(raw, source="bench").action] += 1
            times.append((time.perf_counter_ns() - t0) / 1e6)
        total = time.perf_counter() - start
    finally:
        app.close()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{label:10} {len(mails) / total:7.0f} mails/s   {len(mails)} mails in {total:.2f} s; per mail: "
        f"median {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms"
    )
    print(f"{'':10} outcomes: " + ", ".join(f"{k} {v}" for k, v in actions.most_common()))


def pg_schema(url: str):
    import psycopg

    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    return schema, f"{url}{sep}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mails", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (default: MAILBOT_TEST_PG or the test database)")
    args = ap.parse_args(argv)
    logging.disable(logging.INFO)  # one log line per mail would measure the terminal
    mails, kinds = make_mails(args.mails, random.Random(args.seed))
    size = sum(map(len, mails))
    print(
        f"mails: {len(mails)}, {size / len(mails) / 1024:.1f} KB on average; "
        + ", ".join(f"{k} {v}" for k, v in kinds.most_common())
    )
    start = time.perf_counter()
    for raw in mails:
        parse(raw)
    parse_s = time.perf_counter() - start
    print(f"{'parse only':10} {len(mails) / parse_s:7.0f} mails/s   ({parse_s / len(mails) * 1e3:.2f} ms per mail)")
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "sqlite" in wanted:
            run("sqlite", f"sqlite:///{tmp}/bench.db", mails, tmp)
        if "postgresql" in wanted:
            try:
                schema, url = pg_schema(args.pg)
            except Exception as exc:
                print(f"postgresql skipped: {args.pg.split('@')[-1]} not reachable ({type(exc).__name__}: {exc})")
            else:
                try:
                    run("postgresql", url, mails, tmp)
                finally:
                    drop_schema(args.pg, schema)


if __name__ == "__main__":
    main()
