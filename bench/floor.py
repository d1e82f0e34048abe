"""The same-work floor of issue #18: what any helpdesk must spend, written without any of mailbot's code.

    .venv/bin/python bench/floor.py [--mails 2000] [--no-big]          # its own Dovecot and sink
    .venv/bin/python bench/floor.py --imap-port P --smtp-port S --db FILE [--stage fetch|parse|floor]

For each chunk of 50 mails: one IMAP FETCH (imapclient); each mail parsed by
the standard library's compat32 parser, its subject and sender decoded; then
ONE SQLite transaction (WAL, synchronous=NORMAL) in which each mail takes a
ticket number from a counter row and inserts its ticket and its raw message;
after the commit, a Jinja2 acknowledgement in Spanish (mailbot's wording:
number, subject, a severity placeholder) rendered and built as a MIME mail
per ticket and sent over ONE SMTP connection kept for the whole run; then
the chunk is flagged \\Seen. No rules, screening, threading, events or outbox
bookkeeping: nothing a helpdesk could leave out.

``--stage fetch`` stops after the FETCH, ``--stage parse`` after parsing:
the two yardsticks below the floor (read-only, nothing flagged).

With ports given, it is the loop alone (what bench/intake.py runs and times)
and prints one JSON line: mails, tickets, the loop's seconds and CPU. With no
ports it starts a private Dovecot holding --mails mails and an SMTP sink
(tests/support, through bench/_harness.py, outside the loop), runs itself as
a child process and prints mails/s until the last acknowledgement reached the
sink, CPU per 1,000 mails and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from datetime import datetime
from email import message_from_bytes
from email.charset import QP, Charset
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from zoneinfo import ZoneInfo

import imapclient
import jinja2

CHUNK = 50
DESK = "soporte@imagenti.mx"
TZ = ZoneInfo("America/Mexico_City")
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
WIRE = compat32.clone(linesep="\r\n")

ACK = jinja2.Environment(autoescape=False, keep_trailing_newline=True).from_string(
    """\
Estimado(a) {{ name or address }}:

Hemos recibido su reporte en la mesa de ayuda de IMAGEN TI y le asignamos el
número de ticket {{ number }}. Consérvelo para el seguimiento del caso.

  Ticket:            {{ number }}
  Asunto:            {{ subject or "(sin asunto)" }}
  Recibido:          {{ received }}
  Criticidad:        {{ severity }}

Los tiempos de atención se cuentan en nuestro horario de servicio: lunes a viernes
de 9:00 a 18:00 (días feriados obligatorios según la Ley Federal del Trabajo no laborables):
  - Incidencia crítica: no mayor a 2 horas hábiles
  - Incidencia grave: no mayor a 4 horas hábiles
  - Incidencia leve: no mayor a 24 horas hábiles

Para agilizar el diagnóstico inicial, le pedimos responder a este correo con:
  1. ¿Cuál es el problema?
  2. ¿Cuándo ocurrió el problema?
  3. ¿Dónde ocurrió el problema?
  4. ¿Cuál es el alcance del problema?
  5. ¿Qué han hecho para tratar de resolver el problema?

Para agregar información, responda a este correo conservando en el asunto
{{ tag }}. Si lo necesita, puede escalar el ticket con el Gerente de Soporte
Técnico respondiendo con la palabra "escalar".

Atentamente,
Mesa de ayuda IMAGEN TI

Este es un mensaje automático; no es necesario responderlo salvo para agregar información.
"""
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
INSERT OR IGNORE INTO counter VALUES (1, 0);
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, subject TEXT, requester TEXT NOT NULL,
    requester_name TEXT, severity TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets(id), message_id TEXT UNIQUE,
    sender TEXT NOT NULL, subject TEXT, raw BLOB NOT NULL, received_at TEXT NOT NULL);
"""


def decoded(value: str | None) -> str:
    if not value:
        return ""
    return str(make_header(decode_header(value)))


def read(raw: bytes) -> tuple[str, str, str, str]:
    """(Message-ID, sender address, sender name, subject) of one mail, parsed whole by compat32."""
    msg = message_from_bytes(raw, policy=compat32)
    name, address = parseaddr(msg["From"] or "")
    return (msg["Message-ID"] or "").strip(), address.lower(), decoded(name), decoded(msg["Subject"])


def acknowledgement(number: str, mid: str, address: str, name: str, subject: str, received: str) -> bytes:
    tag = f"[IMAGEN TI #{number}]"
    out = Message()
    out["From"] = formataddr(("Soporte IMAGEN TI", DESK))
    out["To"] = formataddr((name, address), charset="utf-8")
    line = f"{tag} Hemos recibido su reporte: {subject or '(sin asunto)'}"
    out["Subject"] = line if line.isascii() else Header(line, "utf-8")
    out["Date"] = formatdate(localtime=True)
    out["Message-ID"] = f"<ack-{number}@imagenti.mx>"
    if mid:
        out["In-Reply-To"] = mid
        out["References"] = mid
    out["Auto-Submitted"] = "auto-replied"
    out["MIME-Version"] = "1.0"
    body = ACK.render(
        name=name, address=address, number=number, subject=subject, received=received, severity="leve", tag=tag
    )
    out.set_payload(body, charset=UTF8_QP)
    return out.as_bytes(policy=WIRE)


def loop(args) -> dict:
    import smtplib

    started, cpu0 = time.perf_counter(), time.process_time()
    stage = args.stage
    imap = imapclient.IMAPClient(args.imap_host, port=args.imap_port, ssl=False, timeout=120)
    # imapclient turns imaplib's debug on and imaplib then formats every response, a
    # fetched mail included, for a log nobody reads; a plain program would not pay that.
    imap._imap.debug = 0
    imap.login(args.user, args.password)
    imap.select_folder("INBOX", readonly=stage != "floor")
    uids = imap.search(["UNSEEN"] if stage == "floor" else ["ALL"])
    db = smtp = None
    if stage == "floor":
        db = sqlite3.connect(args.db, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        smtp = smtplib.SMTP(args.smtp_host, args.smtp_port, timeout=120)
    fetched_bytes = tickets = 0
    for i in range(0, len(uids), CHUNK):
        chunk = uids[i : i + CHUNK]
        fetched = imap.fetch(chunk, ["BODY.PEEK[]"])
        raws = [bytes(fetched[uid][b"BODY[]"]) for uid in chunk if uid in fetched]
        fetched_bytes += sum(map(len, raws))
        if stage == "fetch":
            continue
        mails = [read(raw) for raw in raws]
        if stage == "parse":
            continue
        now = datetime.now(TZ)
        stamp = now.isoformat()
        made = []
        db.execute("BEGIN IMMEDIATE")
        for raw, (mid, address, name, subject) in zip(raws, mails, strict=True):
            (seq,) = db.execute("UPDATE counter SET last = last + 1 WHERE id = 1 RETURNING last").fetchone()
            number = f"IMG-{seq:06d}"
            ticket_id = db.execute(
                "INSERT INTO tickets (number, subject, requester, requester_name, severity, status, created_at)"
                " VALUES (?, ?, ?, ?, 'leve', 'nuevo', ?)",
                (number, subject, address, name, stamp),
            ).lastrowid
            db.execute(
                "INSERT INTO messages (ticket_id, message_id, sender, subject, raw, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (ticket_id, mid or None, address, subject, raw, stamp),
            )
            made.append((number, mid, address, name, subject))
        db.execute("COMMIT")
        received = now.strftime("%d/%m/%Y %H:%M")
        for number, mid, address, name, subject in made:
            smtp.sendmail(DESK, [address], acknowledgement(number, mid, address, name, subject, received))
        tickets += len(made)
        imap.add_flags(chunk, [imapclient.SEEN])
    if smtp is not None:
        smtp.quit()
        db.close()
    imap.logout()
    return {
        "stage": stage,
        "mails": len(uids),
        "tickets": tickets,
        "bytes": fetched_bytes,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu0,
    }


def standalone(args) -> None:
    """The loop as a child process against a private Dovecot and sink; the figures intake.py prints for it."""
    import shutil
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _harness as h

    h.start_launcher()  # before this process grows: see bench/_harness.py
    mails = h.client_mails(args.mails, "floor", big=not args.no_big)
    ids = [mid for mid, _ in mails]
    template = h.MailboxTemplate([raw for _, raw in mails])
    sink = h.AckSink().start()
    dovecot = template.fresh()
    tmp = Path(tempfile.mkdtemp(prefix="mailbot-bench-floor-"))
    try:
        argv = [sys.executable, __file__, *server_args(dovecot, sink.port, tmp / "floor.db"), "--stage", args.stage]
        child = h.run_child(argv, timeout=1800, log=tmp / "floor.log")
        if child.returncode != 0:
            raise SystemExit(f"floor.py failed ({child.returncode}):\n{h.tail(child.log)}")
        inner = json.loads(child.stdout.strip().splitlines()[-1])
        arrived = sorted(sink.times(ids))
        print(f"same-work floor ({args.stage}), {len(ids)} mails, {template.bytes / 1e6:,.1f} MB in the mailbox")
        if args.stage == "floor":
            last = arrived[-1] - child.started if arrived else child.wall
            print(f"  acknowledgements at the sink: {len(arrived)} of {len(ids)}")
            print(f"  mails/s until the last acknowledgement: {len(ids) / last:8.1f}")
            if arrived:
                print(f"  first acknowledgement after start:     {arrived[0] - child.started:8.2f} s")
        print(f"  mails/s in the loop (no start-up):      {inner['mails'] / inner['seconds']:8.1f}")
        print(f"  CPU per 1,000 mails (whole process):    {1000 * child.cpu / len(ids):8.2f} s")
        print(f"  peak RSS:                               {child.maxrss_mb:8.0f} MB")
    finally:
        dovecot.cleanup()
        sink.stop()
        template.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def server_args(dovecot, smtp_port: int, db) -> list[str]:
    return [
        "--imap-port",
        str(dovecot.port),
        "--user",
        dovecot.USER,
        "--password",
        dovecot.PASSWORD,
        "--smtp-port",
        str(smtp_port),
        "--db",
        str(db),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--stage", choices=("fetch", "parse", "floor"), default="floor")
    ap.add_argument("--imap-host", default="127.0.0.1")
    ap.add_argument("--imap-port", type=int, help="the loop alone, against this IMAP server")
    ap.add_argument("--user", default=DESK)
    ap.add_argument("--password", default="")
    ap.add_argument("--smtp-host", default="127.0.0.1")
    ap.add_argument("--smtp-port", type=int, default=25)
    ap.add_argument("--db", default="floor.db", help="SQLite file (created)")
    ap.add_argument("--mails", type=int, default=2000, help="standalone: mails in the private mailbox")
    ap.add_argument("--no-big", action="store_true", help="standalone: no 25 MB mail in the batch")
    args = ap.parse_args()
    if args.imap_port is None:
        standalone(args)
    else:
        print(json.dumps(loop(args)))


if __name__ == "__main__":
    main()
