"""mailbot's intake beside the same-work floor, in one run on the same machine state (issue #18).

    .venv/bin/python bench/intake.py [--mails 2000] [--repeat 3] [--steady 60] [--no-big]
                                     [--only fetch,parse,floor,startup,mailbot,steady]
                                     [--db sqlite|postgresql] [--profile FILE]

The same --mails client reports (Spanish, signed, one in six with an HTML
part, one in ten with a 90 KB PDF, each its own sender, and unless --no-big
one mail of 25 MB in the middle) are appended once to a template Dovecot
mailbox. Every run of every program then gets a fresh Dovecot holding a copy
of that mailbox and a fresh database; the programs take turns within each
repeat, so a busy moment of the machine falls on all of them. Each is a child
process; its CPU (user + system, its children included) and peak RSS come
from os.wait4. The acknowledgements go to an aiosmtpd sink in this process,
which notes when each arrived (its In-Reply-To names the client's mail).

- fetch, parse: bench/floor.py --stage fetch|parse: one FETCH per 50 mails,
  then also the standard library's compat32 parser; no mailbot code. Mails/s
  and CPU are the loop's own (start-up excluded), RSS the whole process.
- floor: bench/floor.py, the same-work floor (its docstring says what it does).
- mailbot: `mailbot run --once` on a database whose schema `mailbot db upgrade`
  made before the clock starts, config without [team] (one mail per ticket, the
  acknowledgement). Floor and mailbot alike: mails/s from the spawn until the
  last acknowledgement reached the sink, CPU per 1,000 mails (= ms per ticket)
  of the whole process, start-up and sending included, and the time until the
  FIRST acknowledgement arrived.
- startup: `mailbot run --once` on an empty mailbox: the fixed cost inside the
  mailbot figures.
- steady: `mailbot run` (the daemon, IDLE), --steady mails appended at 5 per
  second after one warm-up mail: acknowledgement latency p50/p99 from APPEND to
  arrival at the sink; beside it, how long Dovecot takes to announce a new mail
  to a plain IDLE session (it waits about half a second before it tells), the
  part of the latency no client can save.
--profile FILE: one more `run --once` under cProfile (its figures are not in the
table), then the top 40 functions by cumulative and by own time. Not `python -m
cProfile`, which sees only the main thread while mailbot takes mail in and
sends in worker threads: bench/_harness.py profiles every thread and merges
them; --profile-clock cpu counts each thread's CPU time instead of wall time.

Medians of --repeat runs are printed, with the spread of mails/s, and the
issue's targets beside them. No assertions: it reports, a person judges.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import _harness as h
from _harness import Runs, fmt

FLOOR = Path(__file__).resolve().parent / "floor.py"
PROGRAMS = ("fetch", "parse", "floor", "startup", "mailbot", "steady")
LABELS = {
    "fetch": "FETCH only",
    "parse": "FETCH + stdlib compat32",
    "floor": "same-work floor (floor.py)",
    "mailbot": "mailbot run --once",
}
TIMEOUT = 1800.0


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="mailbot-bench-intake-"))
        self.sink = h.AckSink().start()
        self.template: h.MailboxTemplate | None = None
        self.ids: list[str] = []
        self.bytes = 0
        self.figures: dict[str, dict[str, Runs]] = {p: {} for p in PROGRAMS}
        self.notes: list[str] = []

    def fig(self, program: str, name: str) -> Runs:
        return self.figures[program].setdefault(name, Runs())

    def cleanup(self):
        self.sink.stop()
        if self.template:
            self.template.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- set-up ------------------------------------------------------------------------------

    def fill(self):
        mails = h.client_mails(self.args.mails, "bulk", big=not self.args.no_big)
        self.ids = [mid for mid, _ in mails]
        self.bytes = sum(len(raw) for _, raw in mails)
        started = time.monotonic()
        self.template = h.MailboxTemplate([raw for _, raw in mails])
        print(
            f"  mailbox: {len(mails):,} mails, {self.bytes / 1e6:,.1f} MB, appended in "
            f"{time.monotonic() - started:.1f} s (once; each run gets a copy)",
            flush=True,
        )

    def workdir(self, name: str) -> Path:
        path = self.tmp / f"{name}-{uuid.uuid4().hex[:6]}"
        path.mkdir()
        return path

    def database(self, work: Path) -> tuple[str, str | None]:
        """A fresh database: (its URL, the PostgreSQL schema to drop after or None)."""
        if self.args.db == "sqlite":
            return f"sqlite:///{work}/mailbot.db", None
        import psycopg

        from tests.support.servers import PG_URL

        schema = "bench_" + uuid.uuid4().hex[:10]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}", schema

    def drop(self, schema: str | None):
        if schema:
            import psycopg

            from tests.support.servers import PG_URL

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")

    def mailbot_config(self, work: Path, dovecot, db_url: str) -> Path:
        from tests.support.config import to_toml

        cfg = work / "mailbot.toml"
        # No [team]: one mail per ticket, the acknowledgement, as in the floor.
        cfg.write_text(
            to_toml(
                {
                    "mailbot": {"data_dir": str(work / "var")},
                    "database": {"url": db_url},
                    "imap": {
                        "host": "127.0.0.1",
                        "port": dovecot.port,
                        "security": "none",
                        "username": dovecot.USER,
                        "password": dovecot.PASSWORD,
                        "idle": True,
                    },
                    "smtp": {"host": "127.0.0.1", "port": self.sink.port, "security": "none"},
                    "lmtp": {"enabled": False},
                }
            )
        )
        proc = subprocess.run(
            [sys.executable, "-m", "mailbot", "--config", str(cfg), "db", "upgrade"],
            capture_output=True,
            text=True,
            cwd=h.ROOT,
        )
        if proc.returncode != 0:
            raise SystemExit(f"mailbot db upgrade failed ({proc.returncode}): {proc.stderr.strip()}")
        return cfg

    def tickets(self, db_url: str, schema: str | None) -> int:
        if schema is None:
            with sqlite3.connect(h.ROOT / db_url.removeprefix("sqlite:///")) as conn:
                return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        import psycopg

        from tests.support.servers import PG_URL

        with psycopg.connect(PG_URL, autocommit=True) as conn:
            return conn.execute(f"SELECT count(*) FROM {schema}.tickets").fetchone()[0]

    # -- the programs ------------------------------------------------------------------------

    def stage(self, program: str, run: int):
        """FETCH only, or FETCH + parse: the loop's own figures."""
        work = self.workdir(program)
        dovecot = self.template.fresh()
        try:
            argv = [sys.executable, str(FLOOR), "--stage", program, "--imap-port", str(dovecot.port)]
            argv += ["--user", dovecot.USER, "--password", dovecot.PASSWORD]
            child = h.run_child(argv, timeout=TIMEOUT, log=work / "log")
            inner = self.inner(child, program)
        finally:
            dovecot.cleanup()
        rate = inner["mails"] / inner["seconds"]
        self.fig(program, "rate").add(rate)
        self.fig(program, "cpu").add(1000 * inner["cpu"] / inner["mails"])
        self.fig(program, "rss").add(child.maxrss_mb)
        self.progress(program, run, f"{rate:9,.0f} mails/s, {child.maxrss_mb:.0f} MB")
        shutil.rmtree(work, ignore_errors=True)

    def inner(self, child: h.Child, program: str) -> dict:
        if child.returncode != 0:
            raise SystemExit(f"{program} failed (exit {child.returncode}):\n{h.tail(child.log)}")
        return json.loads(child.stdout.strip().splitlines()[-1])

    def floor(self, run: int):
        work = self.workdir("floor")
        dovecot = self.template.fresh()
        self.sink.clear()
        try:
            argv = [sys.executable, str(FLOOR), "--imap-port", str(dovecot.port), "--user", dovecot.USER]
            argv += ["--password", dovecot.PASSWORD, "--smtp-port", str(self.sink.port), "--db", str(work / "f.db")]
            child = h.run_child(argv, timeout=TIMEOUT, log=work / "log")
            inner = self.inner(child, "floor")
        finally:
            dovecot.cleanup()
        self.acknowledged("floor", run, child, inner["tickets"])
        shutil.rmtree(work, ignore_errors=True)

    def mailbot(self, run: int, *, program: str = "mailbot", empty: bool = False, profile: str | None = None):
        work = self.workdir(program)
        dovecot = h.empty_dovecot() if empty else self.template.fresh()
        db_url, schema = self.database(work)
        self.sink.clear()
        try:
            cfg = self.mailbot_config(work, dovecot, db_url)
            argv = [sys.executable, "-m", "mailbot", "--config", str(cfg), "run", "--once"]
            if profile:
                argv[1:1] = [str(Path(h.__file__).resolve()), "profile", profile, self.args.profile_clock]
            child = h.run_child(argv, timeout=TIMEOUT, log=work / "log")
            if child.returncode != 0:
                self.notes.append(f"{program} run {run}: exit {child.returncode}; its log ends:\n{h.tail(child.log)}")
            made = self.tickets(db_url, schema)
        finally:
            dovecot.cleanup()
            self.drop(schema)
        if empty:
            self.fig(program, "wall").add(child.wall)
            self.fig(program, "cpu").add(child.cpu)
            self.fig(program, "rss").add(child.maxrss_mb)
            self.progress(program, run, f"{child.wall:.2f} s, CPU {child.cpu:.2f} s, {child.maxrss_mb:.0f} MB")
        elif profile:
            got = self.sink.times(self.ids)
            print(
                f"  profiled run: {len(got)} acknowledgements, exit {child.returncode}, {child.wall:.1f} s "
                f"(under cProfile: slower than the table's runs)"
            )
        else:
            self.acknowledged(program, run, child, made)
        if child.returncode == 0:
            shutil.rmtree(work, ignore_errors=True)

    def acknowledged(self, program: str, run: int, child: h.Child, tickets: int):
        """Figures of a run that ends when every acknowledgement reached the sink."""
        got = sorted(self.sink.times(self.ids))
        n = len(self.ids)
        if len(got) < n:
            self.notes.append(f"{program} run {run}: {len(got)} of {n} acknowledgements reached the sink")
        if tickets != n:
            self.notes.append(f"{program} run {run}: {tickets} tickets for {n} mails")
        end = got[-1] - child.started if got else child.wall
        rate = len(got) / end if got else 0.0
        self.fig(program, "rate").add(rate)
        self.fig(program, "cpu").add(1000 * child.cpu / max(tickets, 1))
        self.fig(program, "rss").add(child.maxrss_mb)
        first = got[0] - child.started if got else None
        self.fig(program, "first").add(first)
        self.fig(program, "tail").add(child.wall - end)
        self.progress(
            program,
            run,
            f"{rate:9,.1f} mails/s, CPU {1000 * child.cpu / max(tickets, 1):.2f} ms/ticket, "
            f"{child.maxrss_mb:.0f} MB, first ack {fmt(first, '.2f')} s, {len(got)} acks, {tickets} tickets",
        )

    def steady(self):
        """The daemon under IDLE, mails at 5/s: APPEND to acknowledgement."""
        args = self.args
        work = self.workdir("steady")
        dovecot = h.empty_dovecot()
        db_url, schema = self.database(work)
        self.sink.clear()
        daemon = None
        try:
            cfg = self.mailbot_config(work, dovecot, db_url)
            daemon = h.Running([sys.executable, "-m", "mailbot", "--config", str(cfg), "run"], log=work / "log")
            mails = h.client_mails(args.steady + 1, "steady")
            with dovecot.client() as c:
                # One mail first: the daemon is up, logged in and in IDLE once it is answered.
                c.append("INBOX", mails[0][1])
                if not self.sink.wait_for([mails[0][0]], time.monotonic() + 120):
                    raise SystemExit(f"the daemon answered no warm-up mail in 120 s:\n{h.tail(work / 'log')}")
                watcher = IdleWatcher(dovecot).start()
                cpu0 = h.proc_stat(daemon.pid).cpu
                appended: dict[str, float] = {}
                start = time.monotonic()
                for k, (mid, raw) in enumerate(mails[1:], 1):
                    appended[mid] = time.monotonic()
                    c.append("INBOX", raw)
                    time.sleep(max(0.0, start + k / 5 - time.monotonic()))
            self.sink.wait_for(appended, time.monotonic() + 60)
            cpu = h.proc_stat(daemon.pid).cpu - cpu0
            notices = watcher.stop()
            # The k-th mail of the steady phase is message k + 1 (after the warm-up mail).
            told = []
            for k, t in enumerate(appended.values(), 2):
                seen = [at for count, at in notices if count >= k]
                if seen:
                    told.append(1000 * (min(seen) - t))
            told.sort()
            with self.sink.cond:
                arrived = {mid: self.sink.arrivals[mid] for mid in appended if mid in self.sink.arrivals}
            lat = sorted(1000 * (arrived[mid] - t) for mid, t in appended.items() if mid in arrived)
            daemon.terminate()
            child, daemon = daemon.finish(60), None
            self.steady_figures = {
                "sent": len(appended),
                "arrived": len(lat),
                "p50": h.percentile(lat, 0.50) if lat else None,
                "p99": h.percentile(lat, 0.99) if lat else None,
                "max": lat[-1] if lat else None,
                "cpu": 1000 * cpu / len(appended),
                "rss": child.maxrss_mb,
                "idle_p50": h.percentile(told, 0.50) if told else None,
                "idle_p99": h.percentile(told, 0.99) if told else None,
            }
            self.progress(
                "steady",
                1,
                f"{len(lat)} of {len(appended)} acknowledged, p50 {fmt(self.steady_figures['p50'], ',.0f')} ms, "
                f"p99 {fmt(self.steady_figures['p99'], ',.0f')} ms",
            )
        finally:
            if daemon is not None:
                daemon.terminate()
                daemon.finish(60)
            dovecot.cleanup()
            self.drop(schema)
        shutil.rmtree(work, ignore_errors=True)

    def progress(self, program: str, run: int, text: str):
        print(f"  {program:<8} run {run}: {text}", flush=True)

    # -- the report --------------------------------------------------------------------------

    def report(self, selected: list[str]):
        floor_rate = self.figures["floor"].get("rate", Runs()).median
        if any(p in selected for p in ("fetch", "parse", "floor", "startup", "mailbot")):
            self.table(selected, floor_rate)
        steady = getattr(self, "steady_figures", None)
        if steady:
            print()
            print(
                f"steady: mailbot run (IDLE), {steady['sent']} mails at 5/s: acknowledgement latency "
                f"p50 {fmt(steady['p50'], ',.0f')} ms, p99 {fmt(steady['p99'], ',.0f')} ms, "
                f"max {fmt(steady['max'], ',.0f')} ms ({steady['arrived']} of {steady['sent']} arrived); "
                f"CPU {steady['cpu']:.1f} ms per mail while steady, peak RSS {steady['rss']:.0f} MB"
            )
            print(
                f"  of which Dovecot's own IDLE notice (a plain IDLE session beside mailbot, APPEND to EXISTS): "
                f"p50 {fmt(steady['idle_p50'], ',.0f')} ms, p99 {fmt(steady['idle_p99'], ',.0f')} ms"
            )
        self.targets(selected, floor_rate, steady)
        for note in self.notes:
            print(f"note: {note}")

    def table(self, selected: list[str], floor_rate: float | None):
        args, f = self.args, self.figures
        n = len(self.ids)
        print()
        what = f"{n:,} mails, {self.bytes / 1e6:,.1f} MB" + ("" if args.no_big else ", one of 25 MB")
        if n:
            print(f"intake, issue #18 — {what}; mailbot on {args.db}; median of {args.repeat} (spread of mails/s)")
        print()
        head = f"{'program':<28} {'mails/s':>9} {'spread':>13} {'× floor':>8} {'CPU s/1,000':>12} {'peak RSS':>9} {'first ack':>10}"
        print(head)
        print("-" * len(head))
        for program in ("fetch", "parse", "floor", "mailbot"):
            if program not in selected:
                continue
            figs = f[program]
            rate = figs["rate"].median
            ratio = rate / floor_rate if rate and floor_rate and program in ("floor", "mailbot") else None
            first = figs.get("first", Runs()).median
            print(
                f"{LABELS[program]:<28} {fmt(rate, ',.1f'):>9} {figs['rate'].spread():>13} {fmt(ratio, '.2f'):>8}"
                f" {fmt(figs['cpu'].median, '.2f'):>12} {fmt(figs['rss'].median, '.0f'):>6} MB"
                f" {fmt(first, '.2f') + ' s' if first is not None else '—':>10}"
            )
        if "startup" in selected:
            s = f["startup"]
            print(
                f"{'  mailbot, empty mailbox':<28} start-up alone: {fmt(s['wall'].median, '.2f')} s wall, "
                f"{fmt(s['cpu'].median, '.2f')} s CPU, {fmt(s['rss'].median, '.0f')} MB"
            )
        print()
        print("  fetch, parse: the loop's own time and CPU (start-up excluded); peak RSS of the process.")
        print("  floor, mailbot: from the spawn until the LAST acknowledgement reached the sink; CPU of the")
        print("  process and its children, start-up and sending included, per 1,000 mails = ms per ticket.")
        if "mailbot" in selected:
            tail_s = f["mailbot"]["tail"].median
            print(f"  mailbot exited {fmt(tail_s, '.2f')} s after its last acknowledgement arrived (median).")
            if "startup" in selected:
                net = f["mailbot"]["cpu"].median - 1000 * f["startup"]["cpu"].median / n
                print(f"  mailbot's CPU per ticket less its empty-mailbox start-up: {net:.2f} ms.")

    def targets(self, selected, floor_rate, steady):
        rows = []
        m = self.figures["mailbot"]
        if "mailbot" in selected:
            rate = m["rate"].median
            if floor_rate:
                rows.append(("mailbot ÷ floor", rate / floor_rate, "≥ 0.60", lambda v: v >= 0.6, ".2f", "×"))
            rows.append(("CPU per new ticket", m["cpu"].median, "≤ 3 ms", lambda v: v <= 3, ".2f", "ms"))
            if not self.args.no_big:
                rows.append(
                    ("peak RSS, 25 MB mail in batch", m["rss"].median, "< 200 MB", lambda v: v < 200, ".0f", "MB")
                )
            rows.append(("first acknowledgement", m["first"].median, "≤ 1 s", lambda v: v <= 1, ".2f", "s"))
        if steady and steady["p99"] is not None:
            ok = steady["arrived"] == steady["sent"]
            rows.append(
                ("ack latency p99 at 5/s, IDLE", steady["p99"], "≤ 1,000 ms", lambda v: ok and v <= 1000, ",.0f", "ms")
            )
        if not rows:
            return
        print()
        print(f"{'targets (issue #18)':<32} {'measured':>12} {'target':>12}")
        for name, value, target, met, spec, unit in rows:
            verdict = "—" if value is None else ("met" if met(value) else "NOT MET")
            print(f"  {name:<30} {fmt(value, spec):>8} {unit:<3} {target:>12}   {verdict}")


class IdleWatcher:
    """A plain IMAP session in IDLE beside mailbot: when Dovecot announces each new message count."""

    def __init__(self, dovecot):
        self.client = dovecot.client()
        self.client.select_folder("INBOX", readonly=True)
        self.notices: list[tuple[int, float]] = []  # (EXISTS count, time.monotonic())
        self.done = threading.Event()

    def start(self) -> IdleWatcher:
        self.client.idle()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self.done.is_set():
            for answer in self.client.idle_check(timeout=0.2):
                if len(answer) > 1 and answer[1] == b"EXISTS":
                    self.notices.append((answer[0], time.monotonic()))

    def stop(self) -> list[tuple[int, float]]:
        self.done.set()
        self.thread.join()
        self.client.idle_done()
        self.client.logout()
        return self.notices


def print_profile(path: str):
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(path, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(40)
        text = out.getvalue()
        # pstats starts with the file name and totals; keep from the totals on.
        print(f"\nprofile of mailbot run --once, every thread, top 40 by {order} ({path}):")
        print(text[text.find("function calls") - 10 :].rstrip() if "function calls" in text else text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--mails", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each program; the median is printed")
    ap.add_argument("--steady", type=int, default=60, help="mails appended at 5/s for the latency figures")
    ap.add_argument("--no-big", action="store_true", help="no 25 MB mail in the batch")
    ap.add_argument("--only", default=",".join(PROGRAMS), help=f"a subset of {','.join(PROGRAMS)}")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="mailbot's database")
    ap.add_argument("--profile", metavar="FILE", help="also one run --once under cProfile, written to FILE")
    ap.add_argument(
        "--profile-clock",
        choices=("wall", "cpu"),
        default="wall",
        help="what the profile counts: wall time, or each thread's CPU time",
    )
    args = ap.parse_args()
    selected = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(selected) - set(PROGRAMS))
    if unknown:
        ap.error(f"--only: unknown {', '.join(unknown)} (choose from {','.join(PROGRAMS)})")
    if args.steady < 1 and "steady" in selected:
        selected.remove("steady")

    h.start_launcher()  # before this process grows: see bench/_harness.py
    bench = Bench(args)
    print(f"bench/intake.py on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    try:
        if set(selected) & {"fetch", "parse", "floor", "mailbot"} or args.profile:
            bench.fill()
        for run in range(1, args.repeat + 1):
            for program in ("fetch", "parse", "floor", "startup", "mailbot"):
                if program not in selected:
                    continue
                if program in ("fetch", "parse"):
                    bench.stage(program, run)
                elif program == "floor":
                    bench.floor(run)
                else:
                    bench.mailbot(run, program=program, empty=program == "startup")
        if "steady" in selected:
            bench.steady()
        bench.report(selected)
        if args.profile:
            print()
            bench.mailbot(1, program="profile", profile=str(Path(args.profile).resolve()))
            print_profile(str(Path(args.profile).resolve()))
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
