"""End-to-end intake: a real Dovecot and SMTP sink, `mailbot run` as its own process.

    .venv/bin/python bench/intake.py [--mails 2000] [--db sqlite|postgresql] [--steady 60] [--no-big]

Prints, in one run:
- the raw limit: imapclient FETCH of the same mails plus parsing, no database;
- intake: mails/s from the daemon's start until every acknowledgement reached the sink;
- acknowledgement latency p50/p99 from APPEND to arrival at the sink, with IDLE,
  mails appended at a steady 5 per second;
- the daemon's peak RSS (VmHWM), with a 25 MB mail in the batch unless --no-big.
No assertions: it reports, a person judges (targets in the README).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MAILBOT_REQUIRE_SERVERS", "0")

from mailbot.intake.imap import quiet_imaplib  # noqa: E402
from mailbot.mail.parse import parse  # noqa: E402
from tests.support.config import ENGINEERS, to_toml  # noqa: E402
from tests.support.servers import PG_URL, Dovecot, SmtpSink  # noqa: E402


def mail(k: int, prefix: str, big: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Cliente {k} <{prefix}{k}@empresa{k % 17}.com.mx>"
    msg["To"] = "soporte@imagenti.mx"
    msg["Subject"] = f"Reporte {k}: el antivirus no actualiza firmas"
    msg["Message-ID"] = make_msgid(idstring=f"{prefix}{k}", domain="empresa.com.mx")
    msg.set_content(
        "Buen día,\n\ndesde ayer el agente de WithSecure no actualiza firmas en 3 equipos de "
        "contabilidad. Ya reiniciamos los equipos.\n\nSaludos,\nJuan\n"
    )
    if big:
        msg.add_attachment(
            os.urandom(25 * 1024 * 1024 - 200_000),
            maintype="application",
            subtype="octet-stream",
            filename="respaldo.bin",
        )
    return msg.as_bytes()


def raw_limit(dovecot: Dovecot, n: int) -> float:
    with quiet_imaplib(dovecot.client()) as c:  # as the daemon's client
        c.select_folder("INBOX", readonly=True)
        uids = c.search("ALL")
        start = time.perf_counter()
        for i in range(0, len(uids), 100):
            for data in c.fetch(uids[i : i + 100], ["BODY.PEEK[]"]).values():
                parse(bytes(data[b"BODY[]"]))
        return len(uids) / (time.perf_counter() - start)


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=2000)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--steady", type=int, default=60, help="mails appended at 5/s for the latency figures")
    ap.add_argument("--no-big", action="store_true")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="mailbot-bench-e2e-"))
    dovecot = Dovecot().start()
    sink = SmtpSink().start()
    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    def watch():  # the ack's In-Reply-To names the client's mail
        seen = 0
        while not stop.is_set():
            with sink.cond:
                sink.cond.wait(0.5)
                new = sink.messages[seen:]
                seen = len(sink.messages)
            now = time.perf_counter()
            for m in new:
                if m["msg"]["Auto-Submitted"] == "auto-replied":
                    with lock:
                        arrivals.setdefault(str(m["msg"]["In-Reply-To"]), now)

    stop = threading.Event()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    schema = None
    proc = None
    try:
        n = args.mails
        with dovecot.client() as c:
            for k in range(n):
                c.append("INBOX", mail(k, "bulk", big=(k == n // 2 and not args.no_big)))
        raw = raw_limit(dovecot, n)

        if args.db == "postgresql":
            import psycopg

            schema = "bench_" + uuid.uuid4().hex[:10]
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            db_url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        else:
            db_url = f"sqlite:///{tmp}/mailbot.db"
        cfg = tmp / "mailbot.toml"
        cfg.write_text(
            to_toml(
                {
                    "mailbot": {"data_dir": str(tmp / "var")},
                    "loops": {"sender_ceiling": 1000},
                    "database": {"url": db_url},
                    "imap": {
                        "host": "127.0.0.1",
                        "port": dovecot.port,
                        "security": "none",
                        "username": dovecot.USER,
                        "password": dovecot.PASSWORD,
                        "idle": True,
                        "batch_size": 200,
                    },
                    "smtp": {"host": "127.0.0.1", "port": sink.port, "security": "none"},
                    "lmtp": {"enabled": False},
                    "outbox": {"interval": "1s"},
                    "team": {"engineers": ENGINEERS, "notify": ["avisos@imagenti.mx"]},
                }
            )
        )
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot", "--config", str(cfg), "run"],
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "mailbot.log", "wb"),  # noqa: SIM115 (open while the daemon runs)
        )
        while len(arrivals) < n:
            if proc.poll() is not None:
                raise SystemExit(f"mailbot exited; see {tmp / 'mailbot.log'}")
            time.sleep(0.2)
        intake = n / (time.perf_counter() - start)

        # Steady state: IDLE, 5 mails/s, APPEND to acknowledgement at the sink.
        appended: dict[str, float] = {}
        with dovecot.client() as c:
            for k in range(args.steady):
                raw_mail = mail(k, "steady")
                mid = raw_mail.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip().decode()
                appended[mid] = time.perf_counter()
                c.append("INBOX", raw_mail)
                time.sleep(max(0.0, appended[mid] + 0.2 - time.perf_counter()))
        deadline = time.monotonic() + 120
        while any(mid not in arrivals for mid in appended) and time.monotonic() < deadline:
            time.sleep(0.1)
        lat = sorted((arrivals[mid] - t) * 1000 for mid, t in appended.items() if mid in arrivals)
        rss = vm_hwm(proc.pid)

        print(f"mailbot end-to-end intake, {n} mails, {args.db}" + ("" if args.no_big else ", one of 25 MB"))
        print(f"  raw limit (FETCH + parse, no database): {raw:8.1f} mails/s")
        print(f"  intake until every acknowledgement:      {intake:8.1f} mails/s ({100 * intake / raw:.0f}% of raw)")
        if lat:
            p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
            print(
                f"  ack latency at 5 mails/s with IDLE:      p50 {statistics.median(lat):6.0f} ms, "
                f"p99 {p99:6.0f} ms ({len(lat)}/{len(appended)} arrived)"
            )
        print(f"  daemon peak RSS:                         {rss:8d} MB")
    finally:
        stop.set()
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        sink.stop()
        dovecot.cleanup()
        if schema:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
