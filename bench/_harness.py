"""What bench/intake.py, bench/floor.py and bench/processes.py share: the mails, the servers, the measuring.

Nothing here is timed itself. The programs measured run as child processes;
this module starts the servers they talk to (a private Dovecot from
tests/support, an aiosmtpd sink) and reads their cost from the kernel
(``os.wait4``'s rusage, /proc/PID/stat).

Run as a program it is one of three helpers, each in a process of its own:

    _harness.py sink                      # bench/processes.py's SMTP sink (its CPU told apart):
                                          # prints "port N", answers "count" on stdin
    _harness.py launcher                  # forks the programs measured and reports their rusage
    _harness.py profile FILE wall|cpu -m MODULE ARGS...   # cProfile in every thread, merged
"""

from __future__ import annotations

import base64
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# A bench starts its own servers: a missing one is an error, not a pytest skip.
os.environ.setdefault("MAILBOT_REQUIRE_SERVERS", "0")

DESK = "soporte@imagenti.mx"
CLK_TCK = os.sysconf("SC_CLK_TCK")
BIG_MAIL_BYTES = 25_000_000  # the "25 MB mail": under max_message_size (25 MiB), so it is a ticket

# -- the mails -------------------------------------------------------------------------------

SUBJECTS = [
    "La computadora de contabilidad está muy lenta",
    "WithSecure bloquea la página del banco",
    "El agente de Safetica no reporta a la consola",
    "Abrir el puerto 8443 en el SonicWall",
    "Olvidé la contraseña de la consola",
    "Sin internet en la sucursal Querétaro",
    "Troyano detectado en laptop de ventas",
    "Outlook no abre tras la actualización",
    "Licencia de F-Secure vencida",
    "La impresora de recepción no imprime",
    "No puedo entrar a la VPN desde casa",
    "Correo rebotado al enviar a un proveedor",
    "Alta de usuario nuevo en el dominio",
    "Pantalla azul al encender el equipo",
]
DETAILS = [
    "Ya reiniciamos el equipo y seguimos igual.",
    "Le pasa a tres personas del área de cobranza.",
    "Empezó después de la actualización del viernes.",
    "El mensaje de error dice «acceso denegado».",
    "Es urgente porque hoy cerramos el mes.",
    "Adjunto captura de pantalla del error.",
    "El equipo es una Dell Latitude 5420 con Windows 11.",
    "Probamos con otro cable de red y no cambió nada.",
]
SIGNATURE = (
    "\n\n--\n{name}\n{role}\n{company} S.A. de C.V.\nTel. 55 {tel} ext. {ext}\n\n"
    "AVISO DE CONFIDENCIALIDAD: este correo y sus anexos son confidenciales y para uso "
    "exclusivo del destinatario. Si lo recibió por error, avise al remitente y bórrelo.\n"
)
ROLES = ["Contabilidad", "Gerente de Ventas", "Recepción", "Director Administrativo", "Compras"]
FIRST = ["Juan", "María", "José", "Guadalupe", "Luis", "Ana", "Carlos", "Sofía", "Jorge", "Lucía"]
LAST = ["Pérez", "García", "Hernández", "López", "Martínez", "González", "Rodríguez", "Sánchez"]
_PDF = b"%PDF-1.4\n" + random.Random(1).randbytes(90_000)


def message_id(k: int, prefix: str) -> str:
    return f"<{prefix}-{k}@cliente{k % 40}.com.mx>"


def client_mail(k: int, prefix: str, rng: random.Random, *, size: int | None = None) -> tuple[str, bytes]:
    """A client's first report: its own sender (no rate limit, no repeat), Spanish, signed.

    One in six has an HTML alternative, one in ten a 90 KB PDF; ``size`` makes
    it a mail of about that many bytes with one attachment (the big mail).
    """
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = f"Cliente {k % 40}"
    subject = f"{rng.choice(SUBJECTS)} (folio {prefix}-{k})"
    text = (
        f"Buen día,\n\n{subject}. {' '.join(rng.sample(DETAILS, 3))}\n\n"
        "¿Nos pueden apoyar lo antes posible? Quedo atento a sus comentarios.\n\nSaludos cordiales,"
        + SIGNATURE.format(
            name=f"{first} {last}",
            role=rng.choice(ROLES),
            company=company,
            tel=rng.randrange(1000, 9999),
            ext=rng.randrange(100, 999),
        )
    )
    mid = message_id(k, prefix)
    local = unicodedata.normalize("NFKD", first.lower()).encode("ascii", "ignore").decode()
    domain = f"cliente{k % 40}.com.mx"
    sender = f"{local}.{prefix}{k}@{domain}"
    now = format_datetime(datetime.now(UTC))
    msg = EmailMessage()
    # The trace and signature headers real mail carries: a good part of what a parser reads.
    msg["Return-Path"] = f"<{sender}>"
    for hop, (by, frm) in enumerate((("mx.imagenti.mx", f"mail.{domain}"), (f"mail.{domain}", "PC-CONTA01.local"))):
        msg["Received"] = (
            f"from {frm} ({frm} [10.{hop}.{k % 250}.{k % 199}]) by {by} with ESMTPS id {k:08X}{hop} for <{DESK}>; {now}"
        )
    sig = base64.b64encode(random.Random(k + 1_000_000).randbytes(256)).decode()
    signature = " ".join(sig[i : i + 64] for i in range(0, len(sig), 64))  # folded as signers fold it
    msg["DKIM-Signature"] = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=sel1; t=1767225600; "
        "h=from:to:subject:date:message-id:mime-version:content-type; "
        f"bh={base64.b64encode(random.Random(k).randbytes(32)).decode()}; b={signature}"
    )
    msg["From"] = f"{first} {last} <{sender}>"
    msg["To"] = f"Soporte IMAGEN TI <{DESK}>"
    msg["Subject"] = subject
    msg["Date"] = now
    msg["Message-ID"] = mid
    msg["X-Mailer"] = "Microsoft Outlook 16.0"
    msg.set_content(text)
    if rng.random() < 1 / 6:
        html = "<html><body><p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p></body></html>"
        msg.add_alternative(html, subtype="html")
    if size is not None:
        # base64 grows by 4/3 and adds a line end per 76 characters.
        payload = random.Random(k).randbytes(int((size - len(msg.as_bytes()) - 400) * 57 / 78))
        msg.add_attachment(payload, maintype="application", subtype="octet-stream", filename="respaldo.zip")
    elif rng.random() < 0.10:
        msg.add_attachment(_PDF, maintype="application", subtype="pdf", filename="captura.pdf")
    return mid, msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))  # as mail travels


def client_mails(n: int, prefix: str, *, big: bool = False, seed: int = 18) -> list[tuple[str, bytes]]:
    """``n`` first reports; with ``big`` the middle one is a mail of BIG_MAIL_BYTES."""
    rng = random.Random(seed)
    return [client_mail(k, prefix, rng, size=BIG_MAIL_BYTES if big and k == n // 2 else None) for k in range(n)]


# -- the IMAP server -------------------------------------------------------------------------


class MailboxTemplate:
    """A Dovecot mailbox filled once; every run gets a fresh Dovecot holding a copy of it.

    Filling 2,000 mails by APPEND takes seconds; copying the maildir (index
    included, as Dovecot left it after the APPENDs) takes a tenth of one, so
    each program can start from the same untouched mailbox.
    """

    def __init__(self, mails: list[bytes]):
        from tests.support.servers import Dovecot

        self.count = len(mails)
        self.bytes = sum(map(len, mails))
        dovecot = Dovecot().start()
        try:
            with dovecot.client() as c:
                batch: list[bytes] = []
                for raw in mails:
                    batch.append(raw)
                    if len(batch) == 100 or len(raw) > 1_000_000:
                        c.multiappend("INBOX", batch)
                        batch = []
                if batch:
                    c.multiappend("INBOX", batch)
        finally:
            dovecot.stop()
        self.dir = dovecot.dir

    def fresh(self):
        """A started Dovecot whose INBOX is a copy of the template's (call ``.cleanup()`` after)."""
        from tests.support.servers import Dovecot

        dovecot = Dovecot()
        user = Dovecot.USER.split("@", 1)[0]
        # cp -a keeps the owner: the mail files belong to Dovecot's mail user.
        subprocess.run(["cp", "-a", str(self.dir / "mail" / user), str(dovecot.dir / "mail" / user)], check=True)
        return dovecot.start()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def empty_dovecot():
    from tests.support.servers import Dovecot

    return Dovecot().start()


# -- the SMTP sink ---------------------------------------------------------------------------


class AckSink:
    """An aiosmtpd sink in this process that notes when each acknowledgement arrived.

    An acknowledgement is a mail with ``Auto-Submitted: auto-replied``; its
    In-Reply-To names the client's Message-ID. Only the header block is
    parsed (compat32), so the sink takes as little of the machine as it can
    from the program being measured.
    """

    def __init__(self):
        from aiosmtpd.controller import Controller

        from tests.support.servers import free_port

        self.cond = threading.Condition()
        self.arrivals: dict[str, float] = {}  # client Message-ID -> time.monotonic() at DATA
        self.received = 0
        self.port = free_port()
        parser = BytesHeaderParser(policy=compat32)
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                now = time.monotonic()
                raw = envelope.original_content or envelope.content
                end = raw.find(b"\r\n\r\n")
                head = parser.parsebytes(raw if end < 0 else raw[: end + 4])
                answered = " ".join((head["In-Reply-To"] or "").split())
                with sink.cond:
                    sink.received += 1
                    if (head["Auto-Submitted"] or "").strip().lower() == "auto-replied" and answered:
                        sink.arrivals.setdefault(answered, now)
                    sink.cond.notify_all()
                return "250 2.0.0 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self) -> AckSink:
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def clear(self):
        with self.cond:
            self.arrivals.clear()
            self.received = 0

    def times(self, ids) -> list[float]:
        """Arrival times of the acknowledgements of ``ids`` that came (unordered)."""
        with self.cond:
            return [self.arrivals[i] for i in ids if i in self.arrivals]

    def wait_for(self, ids, deadline: float) -> bool:
        """Until every one of ``ids`` was acknowledged, or time.monotonic() passes ``deadline``."""
        ids = list(ids)
        with self.cond:
            while True:
                if all(i in self.arrivals for i in ids):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))


def _sink_main():
    """The sink as a process of its own (bench/processes.py): counts mails; "count" on stdin asks how many."""
    from aiosmtpd.controller import Controller

    from tests.support.servers import free_port

    received = [0]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received[0] += 1
            return "250 2.0.0 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"port {controller.port}", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "count":
                print(received[0], flush=True)
    finally:
        controller.stop()


class SinkProcess:
    """bench/_harness.py sink as a child process."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "sink"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.proc.kill()
            raise RuntimeError(f"the SMTP sink did not start: {line!r}")
        self.port = int(line.split()[1])
        self.pid = self.proc.pid

    def count(self) -> int:
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- measuring a child process ---------------------------------------------------------------
#
# Linux carries a process's peak RSS across exec: a child's ru_maxrss is at least the peak of
# the process that forked it. This bench holds 25 MB mails and their parsed forms, so children
# forked from it would all show its peak. They are forked instead by a launcher, a small Python
# (-S) started before the bench grows, which reaps them and reports os.wait4's rusage.
# All times are time.monotonic(): one clock for every process of the machine.


@dataclass
class Child:
    """A finished child process: its exit, its wall time, its cost (itself and every child it reaped)."""

    returncode: int
    pid: int
    started: float  # time.monotonic() just before the spawn
    wall: float  # seconds from spawn to exit
    cpu: float  # user + system seconds
    maxrss_mb: float
    stdout: str
    log: Path | None = None


class Launcher:
    """`bench/_harness.py launcher` as a child: spawns one program at a time and reports its rusage."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-S", __file__, "launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def spawn(self, argv: list[str], *, out: Path, err: Path, cwd: Path = ROOT) -> tuple[int, float]:
        """Start ``argv``; (its pid, the monotonic time just before the spawn)."""
        request = {"argv": argv, "stdout": str(out), "stderr": str(err), "cwd": str(cwd)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"cannot start {argv[0]}: {reply['error']}")
        return reply["pid"], reply["started"]

    def reaped(self) -> dict:
        """Block until the spawned program exits: {ended, returncode, cpu, maxrss_kb}."""
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def _launcher_main():
    for line in sys.stdin:
        req = json.loads(line)
        with open(req["stdout"], "wb") as out, open(req["stderr"], "wb") as err:
            started = time.monotonic()
            try:
                proc = subprocess.Popen(req["argv"], stdout=out, stderr=err, cwd=req["cwd"])
            except OSError as exc:
                print(json.dumps({"error": str(exc)}), flush=True)
                continue
            print(json.dumps({"pid": proc.pid, "started": started}), flush=True)
            _pid, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        reply = {
            "ended": ended,
            "returncode": proc.returncode,
            "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss,
        }
        print(json.dumps(reply), flush=True)


_launcher: Launcher | None = None


def start_launcher() -> Launcher:
    """Call first thing, while this process is still small (see above)."""
    global _launcher
    if _launcher is None:
        _launcher = Launcher()
    return _launcher


class Running:
    """A program spawned through the launcher; ``finish()`` waits for its end and its figures."""

    def __init__(self, argv: list[str], *, log: Path):
        if _launcher is None:
            raise RuntimeError("start_launcher() first")
        self.log = log
        self.out = log.with_suffix(".out")
        self.pid, self.started = _launcher.spawn(argv, out=self.out, err=log)

    def terminate(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def finish(self, timeout: float) -> Child:
        # The launcher blocks in wait4; a program past its time is killed so that wait ends.
        watchdog = threading.Timer(timeout, lambda: _kill(self.pid))
        watchdog.start()
        try:
            done = _launcher.reaped()
        finally:
            watchdog.cancel()
        return Child(
            returncode=done["returncode"],
            pid=self.pid,
            started=self.started,
            wall=done["ended"] - self.started,
            cpu=done["cpu"],
            maxrss_mb=done["maxrss_kb"] / 1024,
            stdout=self.out.read_text(errors="replace"),
            log=self.log,
        )


def _kill(pid: int):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_child(argv: list[str], *, timeout: float, log: Path) -> Child:
    """Run ``argv`` to its end through the launcher."""
    return Running(argv, log=log).finish(timeout)


def tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class ProcStat:
    """One line of /proc/PID/stat, the fields the benches use."""

    pid: int
    comm: str
    ppid: int
    cpu: float  # utime + stime, seconds
    children_cpu: float  # cutime + cstime: children it reaped
    starttime: int  # clock ticks after boot: tells a reused pid apart


def proc_stat(pid: int) -> ProcStat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    f = text[text.rindex(")") + 2 :].split()
    # Fields from the third (state): ppid is 4th, utime 14th, stime 15th, cutime 16th, cstime 17th, starttime 22nd.
    return ProcStat(
        pid=pid,
        comm=comm,
        ppid=int(f[1]),
        cpu=(int(f[11]) + int(f[12])) / CLK_TCK,
        children_cpu=(int(f[13]) + int(f[14])) / CLK_TCK,
        starttime=int(f[19]),
    )


def processes_named(name: str) -> dict[int, ProcStat]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            st = proc_stat(int(entry.name))
            if st is not None and st.comm == name:
                found[st.pid] = st
    return found


# -- figures ---------------------------------------------------------------------------------


@dataclass
class Runs:
    """One figure over the repeated runs: the median printed, the spread kept."""

    values: list[float] = field(default_factory=list)

    def add(self, v: float | None):
        if v is not None:
            self.values.append(v)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    def spread(self, fmt: str = "{:,.0f}") -> str:
        if len(self.values) < 2:
            return ""
        return f"{fmt.format(min(self.values))}–{fmt.format(max(self.values))}"


def fmt(v: float | None, spec: str = ",.1f", none: str = "—") -> str:
    return none if v is None else format(v, spec)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def _profile_main():
    """`_harness.py profile FILE wall|cpu -m MODULE ARGS...`: ``python -m cProfile``, but in every thread.

    cProfile sees only the thread that started it, and mailbot takes mail in
    and sends it in worker threads (asyncio.to_thread): a plain ``-m cProfile``
    shows start-up and the event loop waiting. Here each new thread enables a
    profiler of its own; all are merged into FILE.
    """
    import cProfile
    import pstats
    import runpy

    out, clock, flag, module = sys.argv[2:6]
    if flag != "-m" or clock not in ("wall", "cpu"):
        raise SystemExit("usage: _harness.py profile FILE wall|cpu -m MODULE [ARGS...]")
    sys.argv = [module, *sys.argv[6:]]
    # cpu: each thread's own CPU time (time.thread_time), so waits for locks and sockets drop out.
    timer = (time.thread_time,) if clock == "cpu" else ()
    profiles = [cProfile.Profile(*timer)]

    def in_new_thread(_frame, _event, _arg):
        sys.setprofile(None)
        profiler = cProfile.Profile(*timer)
        profiles.append(profiler)
        profiler.enable()

    threading.setprofile(in_new_thread)
    code = 0
    profiles[0].enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
    finally:
        profiles[0].disable()
        threading.setprofile(None)
        stats = pstats.Stats(profiles[0])
        for profiler in profiles[1:]:
            stats.add(profiler)
        stats.dump_stats(out)
    sys.exit(code)


if __name__ == "__main__":
    {"sink": _sink_main, "launcher": _launcher_main, "profile": _profile_main}[sys.argv[1]]()
