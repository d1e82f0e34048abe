"""The web board's login by mail, and its session.

A person types an address; when it is the team's (``[team]`` engineers,
manager, notify, ``[web] viewers``) a one-time link is queued for the daemons
to send. The answer is the same page either way, and a request row is kept
either way: the rate limits (per address, per client IP) count every attempt.

The link's token is 32 random bytes; only its SHA-256 is stored, and it is used
up by the POST of the confirmation page, never by the GET (mail scanners open
links before people do). It lasts ``LINK_TTL``. The desk's record of the mail
(``messages``) holds the link without its token (``HIDDEN``): only the outbox's
copy, the one that is sent, carries it.

The session is a cookie signed with itsdangerous (``URLSafeTimedSerializer``),
timed by the App's clock: it ends after ``[web] session_idle`` without use
(every request signs it anew) and ``MAX_SESSION`` after the login whatever
happens. It carries the address and the session's CSRF token. Before a session
exists, a signed pre-session cookie carries the login forms' CSRF token.

The signing key is ``[web] secret_env``'s variable when set, else a key made
once and kept in the database (``web_secrets``): the first web process inserts
it, every other one reads the same row, so a session signed by one process is
good on another.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from mailbot.addresses import looks_like_address, normalize_address
from mailbot.app import App
from mailbot.config import Settings
from mailbot.db.models import WebLogin, WebSecret, WebSignout
from mailbot.errors import ConfigError
from mailbot.outbound.outbox import queue_mail
from mailbot.sla.deadlines import local_text
from mailbot.vocab import MessageKind

log = logging.getLogger("mailbot.web")

LINK_TTL = timedelta(minutes=15)
# Login links asked for within WINDOW: per address (typed, folded) and per client IP.
WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 5
IP_LIMIT = 20
MAX_SESSION = timedelta(days=7)
PRE_SESSION_TTL = timedelta(hours=12)  # a login form left open this long must be loaded again

SESSION_COOKIE = "mailbot_session"
PRE_COOKIE = "mailbot_pre"
# SameSite=Lax, not Strict: the board is reached from links in the team's mail (a
# notice, a digest); Strict would drop the cookie on that first cross-site navigation
# and send people to the login page although they are signed in. Lax still keeps the
# cookie off cross-site POSTs, and every POST carries a CSRF token besides.
SAMESITE = "lax"

_SECRET_NAME = "session"
HIDDEN = "[oculto]"  # the token, in the desk's record of the login mail
_TOKEN_MAX = 128  # characters: a real token is 43


def team_addresses(settings: Settings) -> set[str]:
    """Who may sign in: [team] engineers, manager and notify, and [web] viewers."""
    team = settings.team
    return {*team.members, *team.notify_addresses, *settings.web.viewers}


def fold_address(text: str) -> str | None:
    """The address as typed, in its stored form; None when it is not an address."""
    text = (text or "").strip()
    if len(text) > 320 or not looks_like_address(text):
        return None
    return normalize_address(text)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# -- the link --------------------------------------------------------------------


# SQLite serves one process: its requests take turns here. PostgreSQL takes a lock per address and per IP.
_SQLITE_TURN = threading.Lock()


def request_link(app: App, address: str, ip: str) -> str | None:
    """Record a request for a login link: the token to mail, or None when a rate limit refuses it.

    ``address`` is folded already (``fold_address``). The same work whoever the
    address is: the mail (``send_link``, for a team address only) goes after the
    answer, so the answer's time says nothing about who is on the team.
    """
    sqlite = app.engine.dialect.name == "sqlite"
    with _SQLITE_TURN if sqlite else contextlib.nullcontext():
        return _record(app, address, ip, lock=not sqlite)


def _record(app: App, address: str, ip: str, *, lock: bool) -> str | None:
    now = app.clock()
    since = now - WINDOW
    with app.sessions() as s:
        if lock:
            # Count and insert as one step: requests at the same moment must not all pass the limit.
            for key in ("address:" + address, "ip:" + ip):
                s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        by_address = s.scalar(
            select(func.count()).select_from(WebLogin).where(WebLogin.address == address, WebLogin.requested_at > since)
        )
        by_ip = s.scalar(
            select(func.count()).select_from(WebLogin).where(WebLogin.ip == ip, WebLogin.requested_at > since)
        )
        if by_address >= ADDRESS_LIMIT or by_ip >= IP_LIMIT:
            log.warning(
                "web login refused: too many requests (%s for the address, %s from %s within %s)",
                by_address,
                by_ip,
                ip,
                WINDOW,
            )
            return None
        token = secrets.token_urlsafe(32)
        # Unknown addresses get a row too (with a token nobody is sent): they count against the limits.
        s.add(
            WebLogin(
                token_hash=token_hash(token), address=address, ip=ip[:64], requested_at=now, expires_at=now + LINK_TTL
            )
        )
        s.commit()
    return token


def send_link(app: App, address: str, token: str, ip: str) -> None:
    """Queue the login mail for a team address (after the answer went out); nothing for anyone else."""
    if address not in team_addresses(app.settings):
        log.info("web login asked for %s from %s: not a team address, nothing sent", address, ip)
        return
    settings, now = app.settings, app.clock()
    mail = app.templates.render(
        "web_login.txt",
        company=settings.mailbot.company,
        address=address,
        link=f"{settings.web.base_url}/login/confirm?token={token}",
        expires_local=local_text(app, now + LINK_TTL),
        minutes=int(LINK_TTL.total_seconds() // 60),
    )
    with app.sessions.begin() as s:
        row = queue_mail(
            s,
            settings,
            kind=MessageKind.WEB_LOGIN,
            to=[address],
            subject=mail.subject,
            body=mail.body,
            now=now,
            auto=False,
        )
        # Whoever reads the database (a backup, a report over messages) must not find a link that signs in:
        # the record keeps what was sent but the token; the outbox row, composed already, sends it whole.
        row.body_text = row.body_text.replace(token, HIDDEN)
        row.subject = row.subject.replace(token, HIDDEN)
    log.info("web login link queued for %s (asked from %s)", address, ip)


def _usable(now):
    return (WebLogin.used_at.is_(None), WebLogin.expires_at > now)


def link_pending(app: App, token: str) -> bool:
    """Is ``token`` a link not used yet and not expired? (Reads only: the GET of the link.)"""
    if not token or len(token) > _TOKEN_MAX:
        return False
    with app.sessions() as s:
        found = s.scalar(select(WebLogin.id).where(WebLogin.token_hash == token_hash(token), *_usable(app.clock())))
    return found is not None


def use_link(app: App, token: str) -> str | None:
    """Use up ``token``: the address it signs in, or None (unknown, used, expired, no longer the team's)."""
    if not token or len(token) > _TOKEN_MAX:
        return None
    now = app.clock()
    digest = token_hash(token)
    with app.sessions() as s:
        # One UPDATE decides: of two POSTs with the same token, one wins.
        done = s.execute(
            update(WebLogin)
            .where(WebLogin.token_hash == digest, *_usable(now))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            s.rollback()
            return None
        address = s.scalar(select(WebLogin.address).where(WebLogin.token_hash == digest))
        if address not in team_addresses(app.settings):  # removed from the team since it was sent
            s.rollback()
            return None
        s.commit()
    log.info("web login: %s signed in", address)
    return address


# -- the signing key -------------------------------------------------------------


class SecretStore:
    """The key that signs cookies, read once per database and variable, then kept."""

    def __init__(self):
        self._lock = threading.Lock()
        self._known: dict[tuple, str] = {}

    def cached(self, app: App) -> str | None:
        return self._known.get(self._key(app))

    def get(self, app: App) -> str:
        """The key (may read or write the database: call it off the event loop)."""
        key = self._key(app)
        with self._lock:
            if key not in self._known:
                self._known[key] = _load_secret(app)
            return self._known[key]

    @staticmethod
    def _key(app: App) -> tuple:
        env = app.settings.web.secret_env
        return (str(app.engine.url), env, os.environ.get(env) if env else None)


def _load_secret(app: App) -> str:
    env = app.settings.web.secret_env
    if env:
        value = os.environ.get(env)
        if not value:
            raise ConfigError(
                [(str(app.settings.source or "<config>"), None, f"environment variable {env} is not set")]
            )
        return value
    with app.sessions() as s:
        row = s.get(WebSecret, _SECRET_NAME)
        if row is not None:
            return row.value
        # Insert if absent, then read: of two processes starting together, one row wins.
        s.add(WebSecret(name=_SECRET_NAME, value=secrets.token_urlsafe(48), created_at=app.clock()))
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
        return s.scalars(
            select(WebSecret.value).where(WebSecret.name == _SECRET_NAME).execution_options(populate_existing=True)
        ).one()


# -- the cookies -----------------------------------------------------------------


@dataclass(frozen=True)
class WebSession:
    user: str
    csrf: str
    issued: int  # when the person signed in (seconds since the epoch, the App's clock)


class Cookies:
    """Signing and reading the session and pre-session cookies, on the App's clock."""

    def __init__(self, secret: str, app: App):
        self.app = app
        clock = app.clock

        class _ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        self._session = URLSafeTimedSerializer(secret, salt="mailbot.web.session", signer=_ClockSigner)
        self._pre = URLSafeTimedSerializer(secret, salt="mailbot.web.pre-session", signer=_ClockSigner)

    @property
    def secure(self) -> bool:
        return self.app.settings.web.secure

    @property
    def path(self) -> str:
        return cookie_path(self.app.settings)

    def new_session(self, user: str) -> WebSession:
        return WebSession(user=user, csrf=secrets.token_urlsafe(32), issued=int(self.app.clock().timestamp()))

    def dump_session(self, session: WebSession) -> str:
        return self._session.dumps({"u": session.user, "c": session.csrf, "i": session.issued})

    def read_session(self, value: str | None) -> WebSession | None:
        """The session in a cookie, or None: forged, altered, idle too long, too old, or no longer the team's."""
        if not value:
            return None
        idle = self.app.settings.web.session_idle
        try:
            data = self._session.loads(value, max_age=int(idle.total_seconds()))
            session = WebSession(user=str(data["u"]), csrf=str(data["c"]), issued=int(data["i"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if self.app.clock().timestamp() - session.issued > MAX_SESSION.total_seconds():
            return None
        if session.user not in team_addresses(self.app.settings):
            return None
        return session

    def dump_pre(self, csrf: str) -> str:
        return self._pre.dumps(csrf)

    def read_pre(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            csrf = self._pre.loads(value, max_age=int(PRE_SESSION_TTL.total_seconds()))
        except BadSignature:
            return None
        return csrf if isinstance(csrf, str) and csrf else None

    def session_max_age(self) -> int:
        return int(self.app.settings.web.session_idle.total_seconds())


def sign_out(app: App, address: str) -> None:
    """Void every session ``address`` signed in before now, on every web process (logout)."""
    now = app.clock()
    with app.sessions.begin() as session:
        row = session.get(WebSignout, address)
        if row is None:
            session.add(WebSignout(address=address, at=now))
        else:
            row.at = now


def signed_out(app: App, session: WebSession) -> bool:
    """Whether the person signed out after this session began (a copied cookie is then worthless)."""
    with app.sessions() as s:
        at = s.scalar(select(WebSignout.at).where(WebSignout.address == session.user))
    return at is not None and session.issued <= at.timestamp()


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def same_token(sent: str | None, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def cookie_path(settings: Settings) -> str:
    """The board's cookies' Path: ``base_url``'s path (``/mesa/``), or ``/`` when it has none.

    Under a path the host is shared with other applications: a cookie at ``/``
    would carry the session to every one of them. Percent-encoded as a browser
    sends the path (``/méxico`` → ``/m%C3%A9xico/``); a ``;`` would end the attribute.
    """
    return quote(urlsplit(settings.web.base_url).path.rstrip("/"), safe="/%!$&'()*+,=:@-._~") + "/"


def cookie_header(name: str, value: str, *, max_age: int, secure: bool, path: str) -> str:
    """A Set-Cookie value: under ``path`` (``cookie_path``), HttpOnly, SameSite (see SAMESITE), Secure over https."""
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly", f"SameSite={SAMESITE.capitalize()}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def root_leftovers(names: tuple[str, ...], *, secure: bool, path: str) -> list[str]:
    """Set-Cookie values that remove ``names`` at ``/``, when the board's cookies live under another path.

    Before this release a board under a path set its cookies at ``/``. A browser
    sends such a copy after the one at the path, and Starlette keeps the last: a
    signed-out session left at ``/`` would shadow every new one until it expired.
    """
    if path == "/":
        return []
    return [cookie_header(name, "", max_age=0, secure=secure, path="/") for name in names]
