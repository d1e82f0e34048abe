"""Intake throughput with one and with two `mailbot run` processes on one PostgreSQL, in one run.

    .venv/bin/python bench/processes.py [--mails 600] [--senders 8] [--pg postgresql://postgres@127.0.0.1:5432/test]

Each round starts N real processes on a fresh schema, each with its LMTP
listener (the door every process serves; the IMAP session is held by one
process only), delivers the mails over LMTP from several client threads
spread over the processes, and times until every ticket is committed (LMTP
answers 250 only after the commit). Outbound mail goes to .eml files. Prints
mails/s per round; no assertions.
"""

from __future__ import annotations

import argparse
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.config import to_toml  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mail(k: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"cliente{k}@empresa{k % 11}.com.mx"
    msg["To"] = "soporte@imagenti.mx"
    msg["Subject"] = f"Reporte {k}: la VPN se desconecta cada hora"
    msg["Message-ID"] = make_msgid(idstring=f"bench{k}", domain="empresa.com.mx")
    msg.set_content(
        "Buen día, desde ayer la VPN del SonicWall se desconecta y los usuarios pierden "
        "acceso a la contabilidad. Ya reiniciamos el equipo.\n" * 3
    )
    return msg.as_bytes()


def wait_port(port: int, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mailbot exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mailbot did not listen")


def round_(pg: str, processes: int, mails: int, senders: int) -> float:
    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    tmp = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
    procs, ports = [], []
    try:
        for i in range(processes):
            port = free_port()
            cfg = tmp / f"p{i}.toml"
            cfg.write_text(
                to_toml(
                    {
                        "mailbot": {"data_dir": str(tmp / f"var{i}")},
                        "database": {"url": url},
                        "lmtp": {"enabled": True, "port": port},
                        "team": {"engineers": ["ana@imagenti.mx"]},
                    }
                )
            )
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "mailbot", "--config", str(cfg), "run"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            ports.append(port)
        for p, port in zip(procs, ports, strict=True):
            wait_port(port, p)
        payloads = [mail(k) for k in range(mails)]
        errors: list = []

        def send(worker: int):
            port = ports[worker % processes]
            client = smtplib.LMTP("127.0.0.1", port, timeout=60)
            try:
                for k in range(worker, mails, senders):
                    refused = client.sendmail(f"cliente{k}@empresa.com.mx", ["soporte@imagenti.mx"], payloads[k])
                    if refused:
                        errors.append(refused)
            finally:
                client.quit()

        threads = [threading.Thread(target=send, args=(w,)) for w in range(senders)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        with psycopg.connect(url) as c:
            made = c.execute("SELECT count(*) FROM tickets").fetchone()[0]
        if errors or made != mails:
            print(f"  warning: {len(errors)} refusals, {made} tickets for {mails} mails")
        return mails / elapsed
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
        with psycopg.connect(pg, autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mails", type=int, default=600)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    print(f"LMTP intake into PostgreSQL, {args.mails} mails, {args.senders} client connections")
    for n in (1, 2):
        rate = round_(args.pg, n, args.mails, args.senders)
        print(f"  {n} process{'es' if n > 1 else ''}: {rate:7.1f} mails/s")


if __name__ == "__main__":
    main()
