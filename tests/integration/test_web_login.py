"""The web board's login by mail, end to end: the daemon serves the board, the SMTP sink gets the link.

Each test runs a real daemon (``Running``) with ``[web] enabled`` on a free
loopback port, over a clock the test moves, and talks HTTP to it with
``http.client`` (no redirects followed, every header seen). The pages behind
the login are the real ones (``mailbot.web.views``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from mailbot.app import build_app
from mailbot.db.models import MessageRow, Outbox, Process, WebLogin
from mailbot.vocab import MessageKind, SendStatus
from tests.support.config import ENGINEERS, MANAGER, smtp_section
from tests.support.runners import MAILBOT, Running, cli
from tests.support.servers import free_port, port_open, wait_until

pytestmark = pytest.mark.servers

ANA = ENGINEERS[0]
VIEWER = "direccion@imagenti.mx"
STRANGER = "alguien@otra-empresa.com"
PAGES = ["/", "/buscar", "/reporte", "/adjuntos/1", "/tickets/IMG-000001", "/clientes/cliente.com.mx"]
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def advance(self, **kw):
        self.now += timedelta(**kw)

    def __call__(self):
        return self.now


class Reply:
    def __init__(self, resp: http.client.HTTPResponse):
        self.status = resp.status
        self.headers = resp.getheaders()
        self.body = resp.read().decode("utf-8", "replace")

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name), None)

    def cookies(self) -> dict[str, str]:
        """Set-Cookie lines by cookie name: the whole line, flags included."""
        return {v.split("=", 1)[0]: v for k, v in self.headers if k.lower() == "set-cookie"}

    @property
    def csrf(self) -> str:
        return re.search(r'name="csrf" value="([^"]*)"', self.body).group(1)


class Browser:
    """One person's browser: keeps cookies, follows no redirect."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port = port
        self.jar: dict[str, str] = {}
        self.extra = dict(headers or {})

    def request(self, method, path, fields=None, headers=None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        h = dict(self.extra, **(headers or {}))
        if self.jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=h)
            reply = Reply(conn.getresponse())
        finally:
            conn.close()
        for name, line in reply.cookies().items():
            value = line.split(";", 1)[0].split("=", 1)[1]
            if "Max-Age=0" in line or not value:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return reply

    def get(self, path, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw) -> Reply:
        return self.request("POST", path, fields=fields, **kw)

    def ask_link(self, address: str, **kw) -> Reply:
        page = self.get("/login", **kw)
        return self.post("/login", {"csrf": page.csrf, "address": address}, **kw)

    def confirm(self, token: str) -> Reply:
        page = self.get(f"/login/confirm?token={token}")
        assert page.status == 200, page.body
        return self.post("/login/confirm", {"csrf": page.csrf, "token": token})


class Board:
    """A running daemon serving the board, its settings, its clock and the sink its mail goes to."""

    def __init__(self, settings, clock, sink, daemon):
        self.settings, self.clock, self.sink, self.daemon = settings, clock, sink, daemon
        self.port = settings.web.port
        self.app = build_app(settings)

    def browser(self, **kw) -> Browser:
        return Browser(self.port, **kw)

    def link(self, address: str, n: int = 1) -> str:
        """The token of the ``n``-th login mail ``address`` got."""
        mails = wait_until(lambda: self._logins(address)[n - 1 :], 30, what=f"login mail {n} to {address}")
        body = mails[0]["msg"].get_body(("plain",)).get_content()
        return re.search(r"/login/confirm\?token=([A-Za-z0-9_\-]+)", body).group(1)

    def _logins(self, address):
        return [m for m in self.sink.to(address) if "Enlace para entrar" in str(m["msg"]["Subject"])]

    def rows(self, *where):
        with self.app.sessions() as s:
            return list(s.scalars(select(WebLogin).where(*where).order_by(WebLogin.id)))

    def login(self, address: str = ANA) -> Browser:
        b = self.browser()
        n = len(self._logins(address)) + 1
        assert b.ask_link(address).status == 200
        reply = b.confirm(self.link(address, n))
        assert reply.status == 303 and reply.header("location") == "/"
        return b


@pytest.fixture
def web_db_url(request, tmp_path):
    """SQLite unless a test asks for PostgreSQL (``indirect`` parametrization)."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path}/mailbot.db"


@pytest.fixture
def board(make_settings, smtp_sink, web_db_url):
    """``start(**web)``: a daemon serving the board with these [web] keys; stopped after the test."""
    started = []

    def start(**web):
        port = free_port()
        settings = make_settings(
            db_url=web_db_url,
            smtp=smtp_section(smtp_sink),
            outbox={"interval": "1s"},
            web={"enabled": True, "port": port, "base_url": f"http://127.0.0.1:{port}", "viewers": [VIEWER], **web},
        )
        clock = Clock()
        running = Running(settings, app=build_app(settings, clock=clock))
        daemon = running.__enter__()
        b = Board(settings, clock, smtp_sink, daemon)
        started.append((running, b))
        wait_until(lambda: daemon.web is not None, 15, what="the web board to listen")
        return b

    yield start
    for running, b in started:
        running.__exit__(None, None, None)
        b.app.close()


def assert_security_headers(reply: Reply, page: bool = True):
    assert reply.header("content-security-policy") == CSP
    assert "script" not in CSP
    assert reply.header("x-content-type-options") == "nosniff"
    assert reply.header("referrer-policy") == "no-referrer"
    if page:
        assert reply.header("cache-control") == "no-store"


# -- the login ---------------------------------------------------------------------


def _login_by_mail(board):
    b = board()
    me, stranger = b.browser(), b.browser()

    form = me.get("/login")
    assert form.status == 200 and "Entrar a la mesa de ayuda" in form.body
    assert "<script" not in form.body
    pre = form.cookies()["mailbot_pre"]
    assert "HttpOnly" in pre and "SameSite=Lax" in pre and "Secure" not in pre
    assert_security_headers(form)

    sent = me.post("/login", {"csrf": form.csrf, "address": ANA.upper()})
    unknown = stranger.ask_link(STRANGER)
    # The same answer, whether the address is the team's or not.
    assert sent.status == unknown.status == 200
    assert sent.body.replace(ANA, "X") == unknown.body.replace(STRANGER, "X")

    token = b.link(ANA)
    [mail] = b._logins(ANA)
    text = mail["msg"].get_body(("plain",)).get_content()
    assert f"{b.settings.web.base_url}/login/confirm?token={token}" in text
    assert "si no lo pidió, ignore este correo" in text.lower()
    assert mail["msg"]["Auto-Submitted"] == "auto-generated"
    # Only the team's address got mail; the stranger's request is a row all the same.
    with b.app.sessions() as s:
        kinds = list(s.scalars(select(MessageRow.to_addrs).where(MessageRow.kind == MessageKind.WEB_LOGIN)))
    assert kinds == [[ANA]]
    assert [r.address for r in b.rows()] == [ANA, STRANGER]
    assert all(len(r.token_hash) == 64 and token not in r.token_hash for r in b.rows())
    assert not b.sink.to(STRANGER)

    # A mail scanner opening the link (twice) does not use it up.
    for _ in range(2):
        look = b.browser().get(f"/login/confirm?token={token}")
        assert look.status == 200 and 'name="token"' in look.body
        assert_security_headers(look)
    assert b.rows(WebLogin.used_at.is_not(None)) == []

    done = me.confirm(token)
    assert done.status == 303 and done.header("location") == "/"
    session = done.cookies()["mailbot_session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    assert f"Max-Age={8 * 3600}" in session
    home = me.get("/")
    assert home.status == 200 and ANA in home.body
    assert_security_headers(home)
    assert "mailbot_session" in home.cookies()  # signed anew: the idle time starts again

    # Used once: refused after, in another browser too.
    assert b.browser().get(f"/login/confirm?token={token}").status == 400
    again = b.browser()
    page = again.get("/login")
    refused = again.post("/login/confirm", {"csrf": page.csrf, "token": token})
    assert refused.status == 400 and "ya no sirve" in refused.body and "mailbot_session" not in refused.cookies()

    # Logging out needs the form token, and then the cookie is gone.
    assert me.post("/logout", {"csrf": "wrong"}).status == 403
    assert me.get("/").status == 200
    copied = dict(me.jar)  # what someone who copied the cookie holds
    out = me.post("/logout", {"csrf": home.csrf})
    assert out.status == 303 and out.header("location") == "/login"
    assert "Max-Age=0" in out.cookies()["mailbot_session"]
    assert me.get("/").status == 303
    # Logout ends the session on the server too: the copied cookie opens nothing.
    thief = b.browser()
    thief.jar.update(copied)
    assert thief.get("/").status == 303


def test_a_team_address_gets_a_one_time_link_and_signs_in_with_its_post(board):
    _login_by_mail(board)


@pytest.mark.parametrize("web_db_url", ["postgresql"], indirect=True)
def test_the_login_by_mail_on_postgresql(board):
    _login_by_mail(board)


def test_viewers_sign_in_and_an_address_removed_from_the_team_loses_its_session(board):
    b = board()
    viewer = b.login(VIEWER)
    assert viewer.get("/").status == 200
    manager = b.login(MANAGER)
    assert manager.get("/buscar").status == 200
    # A reload without the viewer: its session ends at its next request.
    source = b.settings.source
    source.write_text(source.read_text().replace(f'viewers = ["{VIEWER}"]', "viewers = []"))
    assert b.daemon.reload().ok
    assert viewer.get("/").status == 303
    assert manager.get("/").status == 200
    assert b.browser().ask_link(VIEWER).status == 200  # the same answer, and no mail
    assert len(b._logins(VIEWER)) == 1


def test_an_expired_link_is_refused_and_a_session_ends_when_idle_and_after_seven_days(board):
    b = board()
    me = b.browser()
    me.ask_link(ANA)
    token = b.link(ANA)
    b.clock.advance(minutes=15, seconds=1)
    assert me.get(f"/login/confirm?token={token}").status == 400
    page = me.get("/login")
    assert me.post("/login/confirm", {"csrf": page.csrf, "token": token}).status == 400
    # A link whose row says it has expired (the row is what counts).
    me.ask_link(ANA)
    token = b.link(ANA, 2)
    assert me.get(f"/login/confirm?token={token}").status == 200
    with b.app.sessions() as s:
        row = s.scalars(select(WebLogin).order_by(WebLogin.id.desc())).first()
        row.expires_at = b.clock() - timedelta(seconds=1)
        s.commit()
    assert me.get(f"/login/confirm?token={token}").status == 400

    me = b.login(ANA)
    b.clock.advance(hours=7, minutes=59)
    assert me.get("/").status == 200  # used: the idle time starts again
    b.clock.advance(hours=8, seconds=1)
    assert me.get("/").status == 303

    me = b.login(ANA)
    for _ in range(23):  # used every 7 hours: never idle, but 7 days is the most a session lasts
        b.clock.advance(hours=7)
        assert me.get("/").status == 200
    b.clock.advance(hours=7)
    reply = me.get("/")
    assert reply.status == 303 and reply.header("location") == "/login"


def test_no_page_shows_anything_without_a_valid_session(board):
    b = board()
    me = b.login(ANA)
    good = me.jar["mailbot_session"]
    forged = {
        "none": None,
        "garbage": "abc",
        "altered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other payload": good.split(".", 1)[0] + "x." + good.split(".", 1)[1],
    }
    for name, value in forged.items():
        stranger = b.browser()
        if value is not None:
            stranger.jar["mailbot_session"] = value
        for path in PAGES:
            reply = stranger.get(path)
            assert reply.status == 303, (name, path, reply.status)
            assert reply.header("location") == "/login"
            assert ANA not in reply.body and reply.body == ""
            assert_security_headers(reply)
        assert stranger.request("POST", "/", fields={"csrf": "x"}).status == 403
        assert stranger.post("/logout", {"csrf": "x"}).status == 403
    # A public prefix does not open the rest: dot segments and encoded slashes reach no page.
    for path in ("/login/../", "/login/../tickets/IMG-000001", "/static/../adjuntos/1", "/login/..%2F..%2Fbuscar"):
        reply = b.browser().get(path)
        assert reply.status in (303, 404), (path, reply.status)
        assert ANA not in reply.body and "Tablero" not in reply.body
    # Static files are public; unknown paths are redirected too (nothing says what exists).
    css = b.browser().get("/static/style.css")
    assert css.status == 200
    assert_security_headers(css, page=False)
    assert b.browser().get("/no-such-page").status == 303
    assert me.get("/no-such-page").status == 404
    assert_security_headers(me.get("/no-such-page"))


def test_every_post_carries_the_form_token(board):
    b = board()
    me = b.browser()
    page = me.get("/login")
    assert me.post("/login", {"address": ANA}).status == 403
    assert me.post("/login", {"address": ANA, "csrf": "x" + page.csrf}).status == 403
    other = b.browser().get("/login")  # another browser's token is not this one's
    assert me.post("/login", {"address": ANA, "csrf": other.csrf}).status == 403
    # Without the pre-session cookie the form's token is worth nothing.
    bare = b.browser()
    assert bare.post("/login", {"address": ANA, "csrf": page.csrf}).status == 403
    assert b.rows() == []
    assert me.post("/login", {"address": ANA, "csrf": page.csrf}).status == 200
    token = b.link(ANA)
    look = me.get(f"/login/confirm?token={token}")
    assert me.post("/login/confirm", {"token": token}).status == 403
    assert b.rows(WebLogin.used_at.is_not(None)) == []
    assert me.post("/login/confirm", {"token": token, "csrf": look.csrf}).status == 303
    # Signed in: the session's token, not the old pre-session one.
    assert me.post("/logout", {"csrf": look.csrf}).status == 403


def test_malformed_requests_are_refused_with_400_not_an_error(board):
    b = board()
    me = b.browser()
    page = me.get("/login")
    many = {"csrf": page.csrf, "address": ANA, **{f"x{i}": "1" for i in range(25)}}
    assert me.post("/login", many).status == 400
    assert me.post("/login", {"csrf": page.csrf, "address": "ana\x00@imagenti.mx"}).status == 400
    assert me.get("/login?address=%00").status == 400
    assert b.rows() == []


def test_rate_limits_per_address_and_per_client_ip(board, caplog):
    b = board()
    me = b.browser()
    for _ in range(5):
        assert me.ask_link(ANA).status == 200
    limited = me.ask_link(ANA)
    assert limited.status == 429 and "demasiados" in limited.body.lower()
    # Unknown addresses count too (so a refusal says nothing about who is on the team).
    for _ in range(5):
        assert me.ask_link(STRANGER).status == 200
    assert me.ask_link(STRANGER).status == 429
    # Per IP: 20 requests within 15 minutes, whatever the addresses.
    for i in range(10):
        assert me.ask_link(f"persona{i}@cliente.com.mx").status == 200
    assert me.ask_link("otra@cliente.com.mx").status == 429
    assert len(b.rows()) == 20
    assert {r.ip for r in b.rows()} == {"127.0.0.1"}
    # X-Forwarded-For from a peer that is not a trusted proxy is not believed (nor its -Proto),
    # and the log says once, naming the file and the key, that the peer sends it.
    spoof = b.browser(headers={"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"})
    with caplog.at_level("WARNING", logger="mailbot.web"):
        assert spoof.ask_link("nueva@cliente.com.mx").status == 429
        assert spoof.get("/login").header("strict-transport-security") is None
    said = [r.getMessage() for r in caplog.records if "trusted_proxies does not name 127.0.0.1" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith(f"{b.settings.source}: [web] trusted_proxies")
    # The window passes.
    b.clock.advance(minutes=15, seconds=1)
    assert me.ask_link(ANA).status == 200
    b.link(ANA, 6)


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(board):
    b = board(trusted_proxies=["127.0.0.1"], base_url="https://mesa.imagenti.mx")
    proxied = b.browser(headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    page = proxied.get("/login")
    pre = page.cookies()["mailbot_pre"]
    assert "Secure" in pre  # base_url is https
    assert page.header("strict-transport-security") == "max-age=31536000"  # the proxy's scheme is believed
    assert b.browser().get("/login").header("strict-transport-security") is None  # plain http from the proxy
    for _ in range(20):
        assert proxied.post("/login", {"csrf": page.csrf, "address": STRANGER + "x"}).status in (200, 429)
    # Each client behind the proxy has its own count.
    other = b.browser(headers={"X-Forwarded-For": "203.0.113.99, 203.0.113.8"})
    assert other.ask_link(ANA).status == 200
    ips = [r.ip for r in b.rows()]
    assert set(ips) == {"203.0.113.7", "203.0.113.8"}
    token = b.link(ANA)
    [mail] = b._logins(ANA)
    assert f"https://mesa.imagenti.mx/login/confirm?token={token}" in mail["msg"].get_body(("plain",)).get_content()
    done = other.confirm(token)
    assert "Secure" in done.cookies()["mailbot_session"]


def test_the_desk_keeps_no_usable_copy_of_the_login_link(board):
    b = board()
    me = b.browser()
    me.ask_link(ANA)
    token = b.link(ANA)  # mailed whole
    with b.app.sessions() as s:
        [record] = s.scalars(select(MessageRow).where(MessageRow.kind == MessageKind.WEB_LOGIN)).all()
        stored = [r.token_hash for r in s.scalars(select(WebLogin))]
    assert token not in record.body_text and token not in record.subject
    assert f"{b.settings.web.base_url}/login/confirm?token=[oculto]" in record.body_text
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert me.confirm(token).status == 303


def test_the_outbox_keeps_no_login_link_once_it_is_sent(board):
    b = board()
    b.browser().ask_link(ANA)
    token = b.link(ANA)

    def sent():
        with b.app.sessions() as s:
            return s.scalars(
                select(Outbox.data)
                .join(MessageRow, MessageRow.id == Outbox.message_row_id)
                .where(MessageRow.kind == MessageKind.WEB_LOGIN, Outbox.status == SendStatus.SENT)
            ).all()

    [data] = wait_until(sent, 15, what="the login mail recorded as sent")
    text = message_from_bytes(data, policy=policy.default).get_body(("plain",)).get_content() if data else ""
    assert token not in text


def test_a_host_header_puts_nothing_in_a_login_mail(board):
    b = board()
    # Another name: refused before anything is recorded or queued.
    evil = b.browser(headers={"Host": "evil.example"})
    assert evil.get("/login").status == 400
    assert evil.request("POST", "/login", fields={"address": ANA, "csrf": "x"}).status == 400
    assert b.rows() == []
    # A name the board answers to that is not base_url's: the link is base_url's all the same.
    local = b.browser(headers={"Host": f"localhost:{b.port}"})
    assert local.ask_link(ANA).status == 200
    [mail] = wait_until(lambda: b._logins(ANA), 30, what="the login mail")
    text = mail["msg"].get_body(("plain",)).get_content()
    assert f"{b.settings.web.base_url}/login/confirm?token=" in text and "localhost" not in text


def test_the_daemon_tells_status_where_the_board_listens(board):
    b = board()

    def facts():
        with b.app.sessions() as s:
            return [p.facts for p in s.scalars(select(Process))]

    found = wait_until(lambda: [f for f in facts() if f.get("web")], 20, what="the heartbeat's facts")
    assert found[0]["web"] == f"127.0.0.1:{b.port}"


# -- mailbot web, and ports ----------------------------------------------------------


def test_mailbot_web_serves_the_board_alone_and_stops_on_sigterm(make_settings, tmp_path):
    port = free_port()
    settings = make_settings(web={"port": port, "base_url": f"http://127.0.0.1:{port}"})
    cli("db", "upgrade", config=settings.source)
    proc = subprocess.Popen(
        [*MAILBOT, "--config", str(settings.source), "web"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: port_open(port) or proc.poll() is not None, 30, what="mailbot web to listen")
        assert proc.poll() is None, proc.stderr.read().decode()
        me = Browser(port)
        assert me.get("/").status == 303
        assert me.ask_link(ANA).status == 200
        proc.terminate()
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    # It only queued the mail: a daemon sends it.
    app = build_app(settings)
    try:
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.kind == "web_login")) == 1
    finally:
        app.close()


@pytest.mark.parametrize("command", ["web", "run"])
def test_a_web_port_in_use_is_one_line_and_exit_69(make_settings, command):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = make_settings(web={"enabled": True, "port": port})
        if command == "web":
            cli("db", "upgrade", config=settings.source)
        done = cli(command, config=settings.source, check=False, text=True)
    assert done.returncode == 69, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: web listener 127.0.0.1:{port}: address already in use"]
    assert "Traceback" not in done.stderr


def test_a_bad_web_config_is_one_line_and_exit_78(make_settings, tmp_path):
    settings = make_settings()
    path = tmp_path / "bad.toml"
    path.write_text(settings.source.read_text() + '[web]\nbase_url = "mesa.imagenti.mx"\n')
    done = cli("web", config=path, check=False, text=True)
    assert done.returncode == 78
    assert "web.base_url: must start with http:// or https://" in done.stderr
    path.write_text(settings.source.read_text() + '[web]\nenabled = true\nsecret_env = "MAILBOT_TEST_NO_SUCH_VAR"\n')
    done = cli("web", config=path, check=False, text=True)
    assert done.returncode == 78 and "environment variable MAILBOT_TEST_NO_SUCH_VAR is not set" in done.stderr


def test_the_daemon_without_the_board_never_imports_it(make_settings):
    settings = make_settings()
    probe = (
        "import json, sys\n"
        "from mailbot.cli import cli\n"
        "try:\n"
        f"    cli.main(['--config', {str(settings.source)!r}, 'run', '--once'], prog_name='mailbot')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('mailbot.web', 'starlette', 'uvicorn', 'itsdangerous')))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_the_rate_limit_holds_for_requests_at_the_same_moment(make_settings, db_url):
    from concurrent.futures import ThreadPoolExecutor

    from mailbot.web import auth

    app = build_app(make_settings(db_url=db_url))
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            tokens = list(pool.map(lambda _: auth.request_link(app, ANA, "192.0.2.7"), range(30)))
    finally:
        app.close()
    assert sum(t is not None for t in tokens) == auth.ADDRESS_LIMIT


def test_login_request_rows_are_kept_a_day(make_settings, db_url):
    from datetime import timedelta

    from mailbot.jobs.scheduler import sla_tick
    from mailbot.web import auth

    app = build_app(make_settings(db_url=db_url))
    try:
        assert auth.request_link(app, ANA, "192.0.2.7") is not None
        later = app.clock() + timedelta(hours=23)
        sla_tick(app, later)
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(WebLogin)) == 1
        sla_tick(app, later + timedelta(hours=2))
        with app.sessions() as s:
            assert s.scalar(select(func.count()).select_from(WebLogin)) == 0
    finally:
        app.close()
