"""Real servers for the integration suite: Dovecot (IMAP), an aiosmtpd sink, PostgreSQL.

Each binds 127.0.0.1 on a free port with a private config. A server that is
not installed makes its tests skip, unless MAILBOT_REQUIRE_SERVERS=1 (CI),
where it fails them instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
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


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Dovecot:
    """A private Dovecot on 127.0.0.1 with one user, mailbox in a temp dir."""

    USER = "soporte@imagenti.mx"
    PASSWORD = "s3cret-imap"

    def __init__(self):
        self.binary = shutil.which("dovecot") or (os.path.exists("/usr/sbin/dovecot") and "/usr/sbin/dovecot")
        if not self.binary:
            unavailable("dovecot is not installed (apt-get install dovecot-imapd)")
        self.dir = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
        os.chmod(self.dir, 0o755)
        self.port = free_port()
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
        self.conf.write_text(f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
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
    port = 0
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
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.conf)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: _port_open(self.port) or self.proc.poll() is not None, 15, what="dovecot to listen")
        except AssertionError:
            self.stop()
            raise
        if self.proc.poll() is not None:
            out = self.proc.stdout.read().decode(errors="replace")
            log = (self.dir / "dovecot.log").read_text(errors="replace") if (self.dir / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {out}\n{log}")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

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


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class SmtpSink:
    """An aiosmtpd server that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.cond = threading.Condition()
        self.port = free_port()
        self.refuse: str | None = None  # e.g. "451 4.3.0 try later" to simulate an outage

        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                if sink.refuse:
                    return sink.refuse
                msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                with sink.cond:
                    sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg,
                                          "raw": envelope.original_content or envelope.content})
                    sink.cond.notify_all()
                return "250 2.0.0 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

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


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3):
            return True
    except Exception:
        return False
