"""Real servers for the integration suite: Dovecot (IMAP), an aiosmtpd sink, PostgreSQL.

Each binds 127.0.0.1 on a free port with a private config. A server that is
not installed makes its tests skip, unless MAILBOT_REQUIRE_SERVERS=1 (CI),
where it fails them instead. Also what tests use to talk to them: a private
PostgreSQL schema per test, an LMTP client, ``wait_until``.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest

REQUIRE = os.environ.get("MAILBOT_REQUIRE_SERVERS") == "1"
PG_URL = os.environ.get("MAILBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f"{reason} (MAILBOT_REQUIRE_SERVERS=1: servers are required)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    """Does something listen on 127.0.0.1:``port``?"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class CertFiles:
    """A private CA and a server certificate for 127.0.0.1 / localhost signed by it."""

    ca: Path  # the CA certificate: what a client's ca_file points at
    cert: Path  # the server certificate (leaf)
    key: Path  # the server's private key


_SERVER_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


def make_certs(directory: Path) -> CertFiles:
    """Create a throwaway CA and a server certificate with the ``openssl`` CLI.

    The extensions are the ones a strict verifier wants (CA basic constraints
    and key usage, SAN for the IP address and the name, key identifiers).
    """
    openssl = shutil.which("openssl")
    if not openssl:
        unavailable("the openssl command is not installed")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args):
        proc = subprocess.run([openssl, *args], cwd=directory, capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")

    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/O=mailbot tests/CN=mailbot test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-addext",
        "subjectKeyIdentifier=hash",
    )
    run("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/O=mailbot tests/CN=localhost")
    (directory / "server.ext").write_text(_SERVER_EXT)
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")),
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    )
    os.chmod(directory / "server.key", 0o600)
    return CertFiles(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key")


def server_ssl_context(certs: CertFiles) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(certs.cert, certs.key)
    return ctx


class Dovecot:
    """A private Dovecot on 127.0.0.1 with one user, mailbox in a temp dir."""

    USER = "soporte@imagenti.mx"
    PASSWORD = "s3cret-imap"

    def __init__(self, tls: CertFiles | None = None):
        """``tls``: serve STARTTLS on ``port`` and implicit TLS (imaps) on ``tls_port``."""
        self.binary = shutil.which("dovecot") or (os.path.exists("/usr/sbin/dovecot") and "/usr/sbin/dovecot")
        if not self.binary:
            unavailable("dovecot is not installed (apt-get install dovecot-imapd)")
        self.dir = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.tls = tls
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.proc = None
        if os.geteuid() == 0:
            # Dovecot refuses to run mail processes as root.
            account = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
        else:
            account = pwd.getpwuid(os.geteuid())
        self.uid, self.gid, self.login_user = account.pw_uid, account.pw_gid, account.pw_name
        for sub in ("run", "state", "mail", "home"):
            (self.dir / sub).mkdir()
        for sub in ("mail", "home", "state"):
            os.chown(self.dir / sub, self.uid, self.gid) if os.geteuid() == 0 else None
        (self.dir / "passwd").write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}::::::\n")
        self.conf = self.dir / "dovecot.conf"
        self.write_config()

    def write_config(self):
        d = self.dir
        if self.tls:
            ssl_conf = f"ssl = yes\nssl_cert = <{self.tls.cert}\nssl_key = <{self.tls.key}\nssl_min_protocol = TLSv1.2"
            imaps = f"address = 127.0.0.1\n    port = {self.tls_port}\n    ssl = yes"
        else:
            ssl_conf, imaps = "ssl = no", "port = 0"
        self.conf.write_text(f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_conf}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%n
first_valid_uid = {min(self.uid, 100) if self.uid else 1}
default_internal_user = {self.login_user}
default_login_user = {self.login_user}
mail_uid = {self.uid}
mail_gid = {self.gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={d}/home/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
""")

    def start(self):
        """Start (or start again, after ``stop()``) on the same port(s)."""
        # A session of its own, so stop() can end the master and its session processes together.
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.conf)],
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        ports = [p for p in (self.port, self.tls_port) if p]
        try:
            wait_until(
                lambda: all(port_open(p) for p in ports) or self.proc.poll() is not None, 15, what="dovecot to listen"
            )
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            out = self.proc.stdout.read().decode(errors="replace")
            log = (self.dir / "dovecot.log").read_text(errors="replace") if (self.dir / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {out}\n{log}")
        return self

    def stop(self):
        """Stop Dovecot the way ``systemctl stop`` does: every process of it, at once.

        SIGTERM to the master alone leaves the imap processes of connected
        clients running for about 30 s more (they then say BYE), so a client
        would not notice the stop right away.
        """
        if self.proc and self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
            try:
                wait_until(lambda: not _group_alive(self.proc.pid), 10, what="dovecot's processes to exit")
            except AssertionError:
                _signal_group(self.proc.pid, signal.SIGKILL)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def kill(self):
        """Die like a crash or a cut cable would look to a client: SIGKILL, no BYE to anyone."""
        if self.proc and self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            wait_until(lambda: not _group_alive(self.proc.pid), 10, what="dovecot's processes to die")
        self.stop()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- client helpers ---------------------------------------------------
    def client(self):
        import imapclient

        c = imapclient.IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        c.login(self.USER, self.PASSWORD)
        return c

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw)
        # APPENDUID response: b'[APPENDUID <validity> <uid>] ...'
        return resp

    def flags(self, folder: str = "INBOX") -> dict:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            return {uid: data[b"FLAGS"] for uid, data in c.fetch(uids, ["FLAGS"]).items()} if uids else {}

    def logins(self) -> list[str]:
        """Dovecot's record of every successful IMAP login so far (one log line each)."""
        log = self.dir / "dovecot.log"
        if not log.exists():
            return []
        return [line for line in log.read_text(errors="replace").splitlines() if "imap-login: Info: Login:" in line]

    def tls_logins(self) -> int:
        """How many logins came over TLS (implicit or after STARTTLS): Dovecot marks them ``TLS``."""
        return sum(1 for line in self.logins() if ", TLS" in line)

    def reset(self):
        """Delete every folder but INBOX and empty INBOX."""
        with self.client() as c:
            for _flags, _delim, name in c.list_folders():
                if name != "INBOX":
                    c.delete_folder(name)
            c.select_folder("INBOX")
            uids = c.search("ALL")
            if uids:
                c.delete_messages(uids)
                c.expunge()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    """Is any process of the group still running (zombies, which nobody may reap here, do not count)?"""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class SmtpSink:
    """An aiosmtpd server that keeps every message it receives.

    ``tls="starttls"`` offers STARTTLS and refuses mail before it
    (``require_starttls``); ``tls="tls"`` is implicit TLS from the first
    byte. ``auth=(user, password)`` requires SMTP AUTH, offered over TLS only.
    """

    def __init__(
        self,
        *,
        tls: str | None = None,
        certs: CertFiles | None = None,
        auth: tuple[str, str] | None = None,
        port: int | None = None,
        smtputf8: bool = False,
    ):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert tls in (None, "starttls", "tls") and (tls is None or certs is not None)
        self.messages: list = []
        self.cond = threading.Condition()
        self.port = port or free_port()  # a given port: a relay coming back where it was
        self.refuse: str | None = None  # e.g. "451 4.3.0 try later" to simulate an outage
        self.delay = 0.0  # seconds before each DATA is answered: a slow relay keeps claims open
        self.auth_attempts: list = []  # (mechanism, user, accepted)

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                if sink.refuse:
                    return sink.refuse
                if auth and not session.authenticated:
                    return "530 5.7.0 Authentication required"
                msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                ssl_object = server.transport.get_extra_info("ssl_object")
                with sink.cond:
                    sink.messages.append(
                        {
                            "from": envelope.mail_from,
                            "to": list(envelope.rcpt_tos),
                            "msg": msg,
                            "raw": envelope.original_content or envelope.content,
                            "tls": ssl_object.version() if ssl_object is not None else None,
                            "auth": session.auth_data if session.authenticated else None,
                        }
                    )
                    sink.cond.notify_all()
                return "250 2.0.0 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            user = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None
            ok = user is not None and (user, auth_data.password.decode()) == auth
            sink.auth_attempts.append((mechanism, user, ok))
            return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

        kwargs = {"enable_SMTPUTF8": smtputf8}
        if tls == "starttls":
            kwargs.update(tls_context=server_ssl_context(certs), require_starttls=True)
        elif tls == "tls":
            kwargs.update(ssl_context=server_ssl_context(certs))
        if auth and tls == "tls":
            # aiosmtpd only counts STARTTLS as TLS for AUTH (aio-libs/aiosmtpd#281): on an implicit
            # TLS listener it would never offer AUTH. The transport is TLS from the first byte, so
            # lift its check; handle_DATA refuses unauthenticated mail instead of auth_required
            # (which, without auth_require_tls, warns).
            kwargs.update(authenticator=authenticator, auth_require_tls=False)
        elif auth:
            kwargs.update(authenticator=authenticator, auth_required=True)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"SMTP sink got {len(self.messages)} of {count} messages in {timeout}s")
                self.cond.wait(left)
            return list(self.messages)

    def clear(self):
        with self.cond:
            self.messages.clear()

    def to(self, address: str) -> list:
        with self.cond:
            return [m for m in self.messages if address in m["to"]]


def lmtp_client(port: int) -> smtplib.LMTP | None:
    """An LMTP session with mailbot on ``port``, or None while nothing listens there (for ``wait_until``)."""
    try:
        return smtplib.LMTP("127.0.0.1", port, timeout=10)
    except OSError:
        return None


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3):
            return True
    except Exception:
        return False


def pg_schema():
    """A database URL on a PostgreSQL schema of its own (a generator: the schema is dropped after the yield)."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
