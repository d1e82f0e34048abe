"""The board's Starlette application, the guard every request passes, and how it is served.

``create_app(current_app)`` builds the application over the callable that
returns the App in force (the daemon's, which a reload replaces). Every
request passes ``Guard``, one ASGI middleware that in order:

- believes ``X-Forwarded-For`` / ``X-Forwarded-Proto`` only from a peer in
  ``[web] trusted_proxies`` (the client's IP then feeds the rate limits), and
  says once in the log when another peer sends them;
- answers only to a Host that is ``[web] base_url``'s host, ``localhost`` or an
  IP address (``host_allowed``): a page of another name is a DNS-rebinding
  attacker's, or a proxy's mistake;
- reads the signed session cookie (``request.state.user``, ``request.state.csrf``);
  without a valid one, anything but ``/login…`` and ``/static…`` is a 303 to
  the login page (GET, HEAD) or a 403 (other methods); the login pages get a
  signed pre-session cookie carrying their form token instead;
- checks the form token of every POST (form field ``csrf``) and hands the
  parsed form to the handler (``pages.form``);
- signs the session anew on every page, so it ends only after ``[web] session_idle``
  without use.

Every response, errors included, carries the security headers (``SECURITY_HEADERS``):
a Content-Security-Policy with no script at all, no framing, no referrer; and
``Strict-Transport-Security`` when it goes out over https and ``base_url`` has
no path (under a path the host is shared). Links and redirects are paths under
``base_url``'s path (``pages.root_of``), never built from the Host header
(Starlette's trailing-slash redirect is off); cookies live under that path too.
Errors (404, 405, 500) are pages in Spanish.

Served by uvicorn in the caller's event loop (``start_server``), bound on a
socket opened here (a port in use is one ``Unavailable`` line), without its
signal handlers: the daemon, or ``mailbot web``, keeps SIGTERM and SIGHUP.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

import uvicorn
from markupsafe import escape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request, cookie_parser
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mailbot.app import App
from mailbot.errors import Unavailable
from mailbot.web import auth, pages
from mailbot.web.views import routes as page_routes

log = logging.getLogger("mailbot.web")

CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    # No other site may load a page or an attachment as an image, script or media of its own.
    "cross-origin-resource-policy": "same-origin",
}
# Over https only: a year, this host only (the organisation's other hosts are not ours). Not at all when
# base_url has a path: the host is then shared, and HSTS would bind every application on it for a year.
HSTS = "max-age=31536000"
MAX_FORM = 16 * 1024  # bytes: the board's forms are a token and an address


# -- the login pages -------------------------------------------------------------


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def login(request: Request):
    """GET: the form; POST: a link for the address typed, if it is the team's (the same page either way)."""
    if request.method == "GET":
        if request.state.user:
            return RedirectResponse(pages.path_for(request, "board"), status_code=303)
        return pages.render(request, "login.html")
    app = pages.current_app(request)
    typed = pages.form(request).get("address", "")
    address = auth.fold_address(typed)
    if address is None:
        return pages.render(
            request, "login.html", 400, address=typed[:320], error="Escriba una dirección de correo completa."
        )
    ip = _client_ip(request)
    token = auth.request_link(app, address, ip)
    if token is None:
        return pages.render(
            request,
            "login.html",
            429,
            address=typed[:320],
            error="Se pidieron demasiados enlaces en poco tiempo. Espere unos minutos y vuelva a intentarlo.",
        )
    minutes = int(auth.LINK_TTL.total_seconds() // 60)
    response = pages.render(request, "login_sent.html", address=address, minutes=minutes)
    # The mail after the answer, whoever asked: its time must not tell a team address from another.
    response.background = BackgroundTask(auth.send_link, app, address, token, ip)
    return response


def login_confirm(request: Request):
    """GET (the mailed link): a button, the token untouched; POST: the token used up, the session begun."""
    if request.method == "GET":
        token = request.query_params.get("token", "")
        if not auth.link_pending(pages.current_app(request), token):
            return pages.render(request, "login_invalid.html", 400)
        return pages.render(request, "login_confirm.html", token=token)
    return confirm_post(request)


def confirm_post(request: Request):
    app = pages.current_app(request)
    address = auth.use_link(app, pages.form(request).get("token", ""))
    if address is None:
        return pages.render(request, "login_invalid.html", 400)
    cookies = auth.Cookies(request.app.state.secrets.get(app), app)
    response = RedirectResponse(pages.path_for(request, "board"), status_code=303)
    # A new session, with a new form token: nothing from before the login carries over.
    value = cookies.dump_session(cookies.new_session(address))
    secure, path = cookies.secure, cookies.path
    for header in (
        auth.cookie_header(auth.SESSION_COOKIE, value, max_age=cookies.session_max_age(), secure=secure, path=path),
        auth.cookie_header(auth.PRE_COOKIE, "", max_age=0, secure=secure, path=path),
        *auth.root_leftovers((auth.SESSION_COOKIE, auth.PRE_COOKIE), secure=secure, path=path),
    ):
        response.headers.append("set-cookie", header)
    return response


def logout(request: Request):
    app = pages.current_app(request)
    auth.sign_out(app, request.state.user)
    response = RedirectResponse(pages.path_for(request, "login"), status_code=303)
    secure, path = app.settings.web.secure, auth.cookie_path(app.settings)
    for header in (
        auth.cookie_header(auth.SESSION_COOKIE, "", max_age=0, secure=secure, path=path),
        *auth.root_leftovers((auth.SESSION_COOKIE,), secure=secure, path=path),
    ):
        response.headers.append("set-cookie", header)
    log.info("web logout: %s", request.state.user)
    return response


# -- the application -------------------------------------------------------------


class _Board(Starlette):
    """Starlette, with the security headers outside everything (Starlette's own error pages too)."""

    def build_middleware_stack(self):
        return SecurityHeaders(super().build_middleware_stack())


def create_app(current_app: Callable[[], App]) -> Starlette:
    """The board over ``current_app`` (called per request: the App in force after a reload)."""
    routes = [
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/login/confirm", login_confirm, methods=["GET", "POST"], name="login_confirm"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Mount("/static", app=StaticFiles(directory=pages.STATIC), name="static"),
        *page_routes(),
    ]
    errors = {404: http_error, 405: http_error, 500: server_error}
    board = _Board(routes=routes, middleware=[Middleware(Guard)], exception_handlers=errors)
    # Starlette's "/login/" → "/login" redirect is an absolute URL built from the Host header, without
    # base_url's path: no such redirect, the Spanish 404 page (with its links under base_url) answers.
    board.router.redirect_slashes = False
    board.state.current_app = current_app
    board.state.secrets = auth.SecretStore()
    board.state.once = Once()
    return board


# -- error pages -----------------------------------------------------------------

ERROR_TITLES = {404: "No encontrado", 405: "Método no permitido"}
ERROR_TEXTS = {
    404: "Esa página no existe en el tablero.",
    405: "Esa dirección no acepta esa clase de solicitud: el tablero es de solo lectura.",
}


def http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's 404 and 405 (a path no route takes, a method a route does not answer), in Spanish."""
    code = exc.status_code
    response = pages.render(
        request, "not_found.html", code, title=ERROR_TITLES.get(code, "Error"), message=ERROR_TEXTS.get(code, "")
    )
    for name, value in (exc.headers or {}).items():  # Allow, for a 405
        response.headers[name] = value
    return response


def server_error(request: Request, exc: Exception) -> Response:
    """A bug or a database that stopped answering: a page that needs neither (uvicorn logs the traceback)."""
    root = pages.root_of(request.app.state.current_app())
    return _page(
        500,
        "Error del tablero",
        "El tablero no pudo mostrar esta página. Intente de nuevo en un momento; si sigue igual, avise a quien "
        "administra la mesa de ayuda (el registro del servicio dice por qué).",
        root,
    )


# -- the guard -------------------------------------------------------------------


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response, and ``Cache-Control: no-store`` to all but static files."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")
        # Starlette put the board in the scope; the App in force says whether the host is the board's alone.
        own_host = not pages.root_of(scope["app"].state.current_app())

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                if not static:
                    extra["cache-control"] = "no-store"
                # The scheme as the Guard left it: https from a trusted proxy's X-Forwarded-Proto.
                if scope.get("scheme") == "https" and own_host:
                    extra["strict-transport-security"] = HSTS
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]):
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _trusted(host: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in networks)


class Once:
    """What this board has said in the log already: a warning once per peer or Host, and only so many of each kind.

    Each kind has its own ``LIMIT``: requests naming made-up Hosts, which anyone can
    send, must not use up the budget of the warning that the proxy is not trusted.
    """

    LIMIT = 16

    def __init__(self):
        self._lock = threading.Lock()
        self._said: dict[str, set[str]] = {}

    def __call__(self, kind: str, key: str) -> bool:
        with self._lock:
            said = self._said.setdefault(kind, set())
            if key in said or len(said) >= self.LIMIT:
                return False
            said.add(key)
            return True


def apply_proxy_headers(scope, trusted: list[str]) -> bool:
    """The client and scheme as the reverse proxy saw them, believed only when the peer is a trusted proxy.

    X-Forwarded-For is read from the right: the first address that is not a
    trusted proxy is the client (a client can write anything on the left).
    True when a peer not trusted sent X-Forwarded-For, and it was ignored: most
    likely the reverse proxy, missing from ``trusted_proxies``, so that every
    client behind it shares its address and its login rate limit.
    """
    client = scope.get("client")
    if not client:
        return False
    networks = _networks(tuple(trusted))
    if not _trusted(client[0], networks):
        return any(name == b"x-forwarded-for" for name, _ in scope.get("headers", []))
    forwarded, proto = [], None
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
        elif name == b"x-forwarded-proto":
            proto = value.decode("latin-1").split(",")[-1].strip().lower()
    if proto in ("http", "https"):
        scope["scheme"] = proto
    if forwarded:
        host = next((h for h in reversed(forwarded) if not _trusted(h, networks)), forwarded[0])
        scope["client"] = (host[:64], 0)
    return False


def host_allowed(host: str, base_url: str) -> bool:
    """Whether a request's Host names this board: ``base_url``'s host, ``localhost``, or an IP address.

    A DNS-rebinding page reaches a board on loopback under its own name, never
    under ours nor an address; a proxy that forwards its upstream's address
    (nginx's default, without ``proxy_set_header Host``) names an address.
    """
    try:
        name = urlsplit("//" + host).hostname
    except ValueError:  # "[::1" and the like
        return False
    if not name:
        return False
    name = name.rstrip(".")
    if name == "localhost" or name == (urlsplit(base_url).hostname or "").rstrip("."):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _public(path: str) -> bool:
    return path == "/login" or path.startswith(("/login/", "/static/"))


class Guard:
    """Proxy headers, the session (or the redirect to the login page), the CSRF check of every POST."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        board = scope["app"]
        app: App = board.state.current_app()
        web = app.settings.web
        source = str(app.settings.source or "<config>")
        once: Once = board.state.once
        if apply_proxy_headers(scope, web.trusted_proxies) and once("proxy", scope["client"][0]):
            peer = scope["client"][0]
            log.warning(
                "%s: [web] trusted_proxies does not name %s, which sends X-Forwarded-For: it is ignored, and every "
                'client behind %s shares one login rate limit (if it is your reverse proxy, add "%s"; docs/web.md)',
                source,
                peer,
                peer,
                peer,
            )
        state = scope.setdefault("state", {})
        state["user"], state["csrf"], state["form"] = None, "", {}
        path, method = scope["path"], scope["method"]
        root = pages.root_of(app)
        host = _header(scope, b"host")
        if host and not host_allowed(host, web.base_url):
            if once("host", host[:100]):
                log.warning(
                    "%s: web request for Host %r refused: the board answers to [web] base_url's host (%s), "
                    "localhost or an IP address (a proxy must forward Host as it came, or its upstream address)",
                    source,
                    host[:100],
                    urlsplit(web.base_url).hostname,
                )
            return await _misdirected(web.base_url, root)(scope, receive, send)
        if path.startswith("/static/"):
            return await self.app(scope, receive, send)

        store: auth.SecretStore = board.state.secrets
        secret = store.cached(app) or await run_in_threadpool(store.get, app)
        cookies = auth.Cookies(secret, app)
        jar = cookie_parser(_header(scope, b"cookie"))
        session = cookies.read_session(jar.get(auth.SESSION_COOKIE))
        if session is not None and await run_in_threadpool(auth.signed_out, app, session):
            session = None  # signed out since: the cookie is a copy of a closed session
        if "\x00" in path or b"%00" in scope.get("query_string", b"").lower():
            # No text with a NUL byte reaches a page or the database (PostgreSQL refuses them).
            return await PlainTextResponse("Solicitud no válida.", 400)(scope, receive, send)
        set_cookies: list[tuple[str, str]] = []
        if session is not None:
            state["user"], state["csrf"] = session.user, session.csrf
            # Signed anew: the idle expiry counts from this request.
            value = cookies.dump_session(session)
            set_cookies.append(
                (auth.SESSION_COOKIE, _set(cookies, auth.SESSION_COOKIE, value, cookies.session_max_age()))
            )
        elif not _public(path):
            if method in ("GET", "HEAD"):
                return await RedirectResponse(root + "/login", status_code=303)(scope, receive, send)
            return await _forbidden("Inicie sesión para continuar.", root)(scope, receive, send)
        else:
            csrf = cookies.read_pre(jar.get(auth.PRE_COOKIE))
            if csrf is None:
                csrf = auth.new_csrf()
                max_age = int(auth.PRE_SESSION_TTL.total_seconds())
                set_cookies.append((auth.PRE_COOKIE, _set(cookies, auth.PRE_COOKIE, cookies.dump_pre(csrf), max_age)))
            state["csrf"] = csrf

        if method == "POST":
            body = await _read_body(receive, MAX_FORM)
            if body is None:
                return await PlainTextResponse("Solicitud demasiado grande.", 413)(scope, receive, send)
            form = {}
            if _header(scope, b"content-type").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                try:
                    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
                except ValueError:  # more fields than any of our forms has
                    return await PlainTextResponse("Solicitud no válida.", 400)(scope, receive, send)
                form = {k: v[0] for k, v in fields.items()}
                if any("\x00" in v for v in form.values()):
                    return await PlainTextResponse("Solicitud no válida.", 400)(scope, receive, send)
            if not auth.same_token(form.get("csrf"), state["csrf"]):
                log.warning("web: POST %s refused: missing or wrong form token (from %s)", path, scope["client"][0])
                return await _forbidden(
                    "El formulario venció o no vino de esta página. Vuelva a cargar la página e inténtelo otra vez.",
                    root,
                )(scope, receive, send)
            state["form"] = form
            receive = _replay(body, receive)

        if not set_cookies:
            return await self.app(scope, receive, send)

        async def with_cookies(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # The handler's own cookie (login, logout) wins over the refreshed one.
                own = {v.split(b"=", 1)[0].strip().decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"}
                headers += [(b"set-cookie", v.encode("latin-1")) for name, v in set_cookies if name not in own]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cookies)


def _set(cookies: auth.Cookies, name: str, value: str, max_age: int) -> str:
    return auth.cookie_header(name, value, max_age=max_age, secure=cookies.secure, path=cookies.path)


def _header(scope, name: bytes) -> str:
    joiner = "; " if name == b"cookie" else ", "
    return joiner.join(v.decode("latin-1") for k, v in scope.get("headers", []) if k == name)


def _page(status: int, title: str, text: str, root: str, link: tuple[str, str] | None = None) -> Response:
    """A page of the Guard's own (before any handler, or when one failed): ``text`` is ours, never a request's."""
    href, label = link or (root + "/login", "Entrar")
    page = (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f'<link rel="stylesheet" href="{escape(root)}/static/style.css"></head><body><main>'
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f'<p><a href="{escape(href)}">{escape(label)}</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=status)


def _forbidden(text: str, root: str) -> Response:
    return _page(403, "Prohibido", text, root)


def _misdirected(base_url: str, root: str) -> Response:
    return _page(
        400,
        "Dirección no válida",
        "Este tablero no responde con el nombre con que se pidió esta página. Ábralo en su dirección:",
        root,
        (base_url + "/", base_url),
    )


async def _read_body(receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive):
    """The request's body again for the handler, then the server's own messages (a disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# -- serving ---------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the process that embeds it keeps SIGTERM, SIGINT and SIGHUP."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class WebServer:
    """The board being served in this event loop; ``stop()`` ends it (connections under way finish, up to 5 s)."""

    def __init__(self, server: _Server, task: asyncio.Task, host: str, port: int):
        self.server, self.task, self.host, self.port = server, task, host, port

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


def bind(host: str, port: int) -> socket.socket:
    """The listening socket; ``Unavailable`` naming the address when it cannot be had (in use, no such host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, addr = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
        except BaseException:
            sock.close()
            raise
    except OSError as exc:
        raise Unavailable(f"web listener {host}:{port}: {_os_reason(exc)}") from None
    sock.setblocking(False)
    return sock


async def start_server(board: Starlette, host: str, port: int) -> WebServer:
    """Serve ``board`` on host:port in the running event loop; returns once it listens."""
    sock = bind(host, port)
    config = uvicorn.Config(
        board,
        host=host,
        port=port,
        log_config=None,
        log_level="warning",
        access_log=False,  # the login link's token is in a URL: no request lines in the log
        lifespan="off",
        proxy_headers=False,  # the Guard believes X-Forwarded-* from [web] trusted_proxies only
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web")
    while not server.started:
        if task.done():
            sock.close()
            exc = task.exception()
            raise Unavailable(f"web listener {host}:{port}: {exc or 'did not start'}")
        await asyncio.sleep(0.01)
    return WebServer(server, task, host, sock.getsockname()[1])


async def serve_in_loop(board: Starlette, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve ``board`` until ``stop`` is set (``mailbot web``; the daemon uses ``start_server``)."""
    server = await start_server(board, host, port)
    try:
        await stop.wait()
    finally:
        await server.stop()


def _os_reason(exc: OSError) -> str:
    if exc.errno and exc.errno > 0:
        reason = os.strerror(exc.errno)
    else:
        reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]
