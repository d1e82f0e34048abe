"""Typed settings, loaded from TOML and validated once.

Unknown keys are errors; every error names the file, the line and the key.
Secrets are ``SecretStr`` so they never appear in a repr or a log line.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from mailbot import resources, tomlpos
from mailbot.addresses import looks_like_address, normalize_address
from mailbot.errors import ConfigError
from mailbot.vocab import Severity

DEFAULT_CONFIG = Path("mailbot.toml")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value) -> timedelta:
    """Turn "90s", "30m", "2h", "1d" (or a number of seconds) into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f'not a duration: {value!r} (write e.g. "90s", "30m", "2h", "1d")')


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _address(value):
    if not looks_like_address(value):
        raise ValueError(f"not an email address: {value!r}")
    # The form intake stores (mailbot/addresses.py): a team address written with
    # an xn-- domain must match the same address in a mail.
    return normalize_address(value.strip())


Address = Annotated[str, BeforeValidator(_address)]


def _port(value):
    # Checked before pydantic's int coercion: "port = true" is a mistake, not port 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a port number: {value!r} (use 1-65535)")
    if not 1 <= value <= 65535:
        raise ValueError(f"not a port number: {value} (use 1-65535)")
    return value


Port = Annotated[int, BeforeValidator(_port)]

# What make_engine can open; anything else would fail later with a traceback.
DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgresql+psycopg://")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Secret(_Section):
    password: SecretStr | None = None
    password_env: str | None = None

    def secret(self) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError([(None, None, f"environment variable {self.password_env} is not set")])
            return value
        return self.password.get_secret_value() if self.password else None


class MailbotSection(_Section):
    address: Address = "soporte@imagenti.mx"
    name: str = "Soporte IMAGEN TI"
    company: str = "IMAGEN TI"
    timezone: str = "America/Mexico_City"
    number_format: str = "IMG-{seq:06d}"
    subject_tag: str = "[IMAGEN TI #{number}]"
    # An enum: a wrong value reads "Input should be 'critica', 'grave' or 'leve'", as a Literal did.
    default_severity: Severity = Severity.LEVE
    default_category: str = "general"
    data_dir: Path = Path("var")
    templates_dir: Path | None = None
    rules_dir: Path | None = None
    max_message_size: int = 25 * 1024 * 1024  # bytes; a larger mail is ticketed with its big parts dropped
    max_attachment_size: int = 25 * 1024 * 1024  # bytes per attachment; larger ones are dropped, with a note
    # Replaced by [loops]; still read so a config copied from an older example
    # loads, and `check` says the old cap is no longer applied.
    autoreply_limit: int | None = None
    autoreply_window: Duration | None = None
    public_domains: list[str] = Field(default_factory=lambda: list(PUBLIC_DOMAINS))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @field_validator("number_format")
    @classmethod
    def _number_format(cls, v):
        try:
            sample = v.format(seq=1)
        except (KeyError, IndexError, ValueError):
            raise ValueError('must contain {seq} (e.g. "IMG-{seq:06d}") and nothing else in braces') from None
        if "1" not in sample:
            raise ValueError("must contain {seq}")
        return v

    @field_validator("subject_tag")
    @classmethod
    def _subject_tag(cls, v):
        try:
            v.format(number="X")
        except (KeyError, IndexError, ValueError):
            raise ValueError("must contain {number} and nothing else in braces") from None
        if "{number}" not in v:
            raise ValueError("must contain {number}")
        return v


PUBLIC_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.es",
    "outlook.com",
    "outlook.es",
    "live.com",
    "live.com.mx",
    "msn.com",
    "yahoo.com",
    "yahoo.com.mx",
    "icloud.com",
    "me.com",
    "aol.com",
    "prodigy.net.mx",
    "protonmail.com",
    "proton.me",
    "gmx.com",
    "zoho.com",
)


class DatabaseSection(_Section):
    url: str = "sqlite:///var/mailbot.db"

    @field_validator("url")
    @classmethod
    def _scheme(cls, v):
        if not v.startswith(DATABASE_SCHEMES):
            scheme = v.split("://", 1)[0] + "://" if "://" in v else v
            raise ValueError(
                f"unknown database URL scheme {scheme!r}: use sqlite:///PATH or "
                "postgresql://USER@HOST/DB (or postgresql+psycopg://)"
            )
        return v


class ImapSection(_Secret):
    host: str
    port: Port | None = None
    security: Literal["tls", "starttls", "none"] = "tls"
    username: str
    folder: str = "INBOX"
    processed_folder: str | None = None
    idle: bool = True
    idle_renew: Duration = timedelta(minutes=25)
    poll_interval: Duration = timedelta(seconds=60)
    timeout: Duration = timedelta(seconds=60)
    ca_file: Path | None = None
    batch_size: int = 100

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class SmtpSection(_Secret):
    host: str
    port: Port | None = None
    security: Literal["tls", "starttls", "none"] = "starttls"
    username: str | None = None
    timeout: Duration = timedelta(seconds=30)
    ca_file: Path | None = None

    @property
    def effective_port(self) -> int:
        return self.port or {"tls": 465, "starttls": 587, "none": 25}[self.security]


class LmtpSection(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 8024
    protocol: Literal["lmtp", "smtp"] = "lmtp"


class HealthSection(_Section):
    # /healthz and /metrics over HTTP; keep it on loopback (or behind a proxy).
    enabled: bool = False
    host: str = "127.0.0.1"
    port: Port = 8025


def _proxy(value):
    # An address or a network (CIDR) the reverse proxy connects from.
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise ValueError(f'not an IP address or network: {value!r} (e.g. "127.0.0.1" or "10.0.0.0/24")') from None


Proxy = Annotated[str, BeforeValidator(_proxy)]


class WebSection(_Section):
    # The read-only web board (docs/operations.md, "Web board"), served by the daemon (or
    # `mailbot web`). On loopback by default: meant to sit behind the organisation's
    # reverse proxy, whose X-Forwarded-For/-Proto are believed only from trusted_proxies.
    enabled: bool = False
    host: str = "127.0.0.1"
    port: Port = 8026
    # The address people open (the login link in the mail points here); https:// makes
    # the session cookie Secure.
    base_url: str = "http://127.0.0.1:8026"
    trusted_proxies: list[Proxy] = Field(default_factory=list)
    # Who may sign in besides [team] engineers, manager and notify.
    viewers: list[Address] = Field(default_factory=list)
    # The environment variable holding the key that signs session cookies; unset: a key
    # made once and kept in the database, shared by every web process.
    secret_env: str | None = None
    # A session unused this long ends; none lasts more than 7 days.
    session_idle: Duration = timedelta(hours=8)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v):
        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f'must start with http:// or https:// and name a host: {v!r} (e.g. "https://mesa.imagenti.mx")'
            )
        if parts.query or parts.fragment:
            raise ValueError(f"must have no query or fragment: {v!r}")
        return v.rstrip("/")

    @field_validator("session_idle")
    @classmethod
    def _idle(cls, v):
        if not timedelta(minutes=1) <= v <= timedelta(days=7):
            raise ValueError(f"must be between 1m and 7d: {v}")
        return v

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, v):
        if v is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v):
            raise ValueError(f"not an environment variable name: {v!r}")
        return v

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://")


class OutboxSection(_Section):
    dir: Path | None = None
    max_attempts: int = 12
    retry_base: Duration = timedelta(seconds=30)
    retry_max: Duration = timedelta(hours=1)
    interval: Duration = timedelta(seconds=5)
    # A claimed mail is another process's to send again only after this (a
    # process that died while sending): longer than any one send takes.
    lease: Duration = timedelta(minutes=5)


class TeamSection(_Section):
    engineers: list[Address] = Field(default_factory=list)
    manager: Address | None = None
    notify: list[Address] | None = None

    @property
    def notify_addresses(self) -> list[str]:
        return list(self.notify if self.notify is not None else self.engineers)

    @property
    def members(self) -> set[str]:
        out = set(self.engineers)
        if self.manager:
            out.add(self.manager)
        return out


class SecuritySection(_Section):
    authserv_id: str | None = None
    trust_unauthenticated: bool = False


class AttentionSection(_Section):
    # One attention target per Severity, keyed by its stored value (sla.deadlines.attention_target).
    critica: Duration = timedelta(hours=2)
    grave: Duration = timedelta(hours=4)
    leve: Duration = timedelta(hours=24)
    business_time: bool = True


class SlaSection(_Section):
    check_interval: Duration = timedelta(minutes=1)
    acknowledge: Duration = timedelta(minutes=30)
    manager_response: Duration = timedelta(minutes=30)
    # Words in a client's reply that escalate the ticket to the manager at once.
    # Phrases, not bare titles: "Gerente de Sistemas" sits in many signatures.
    escalate_words: list[str] = Field(
        default_factory=lambda: [
            "escalar",
            "escalen",
            "escalarlo",
            "escalamiento",
            "hablar con el gerente",
            "hablar con su gerente",
            "gerente de soporte",
            "con un supervisor",
            "con su supervisor",
            "jefe de soporte",
        ]
    )
    attention: AttentionSection = Field(default_factory=AttentionSection)


class LoopsSection(_Section):
    # Loop protection never withholds a person's distinct report: loops are told
    # by what marks them (automatic headers, answers to our own automatic mail,
    # the same mail again). The ceiling is the last guard against a responder
    # that looks human: automatic replies to one sender per window.
    sender_ceiling: int = Field(default=50, ge=1)
    ceiling_window: Duration = timedelta(hours=1)
    # A mail from the same sender with the same subject and body (whitespace
    # and quotes normalised) within this window joins the first one's ticket.
    repeat_window: Duration = timedelta(hours=1)


class ReportSection(_Section):
    # Who gets the quarterly report; empty: the manager.
    recipients: list[Address] = Field(default_factory=list)


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class DigestSection(_Section):
    # The morning digests (docs/operations.md, "Digests"), local time HH:MM on business days;
    # "" turns one off. Each person gets at most one a day.
    engineers_at: str = "08:30"
    manager_at: str = "08:45"
    # Tickets nobody is assigned: listed in every engineer's digest, or only in the manager's board.
    unassigned_to: Literal["everyone", "manager"] = "everyone"

    @field_validator("engineers_at", "manager_at")
    @classmethod
    def _time(cls, v):
        v = v.strip()
        if v and not _TIME_OF_DAY.match(v):
            raise ValueError(f'not a time of day HH:MM: {v!r} (e.g. "08:30"; "" turns this digest off)')
        return v


class TicketsSection(_Section):
    # A client reply this soon after "resuelto" reopens the ticket; later, or
    # after "cerrado", it opens a new ticket linked to the old one. A resolved
    # ticket is closed (and the closure mail sent) when the window has passed.
    reopen_window: Duration = timedelta(days=7)
    # Waiting on the client (#estado esperando-cliente): a polite reminder this many business
    # days after the wait began, and the ticket resolved (with how to reopen it) after this
    # many. 0 turns either off.
    remind_waiting_after: int = Field(default=2, ge=0)
    resolve_waiting_after: int = Field(default=5, ge=0)

    @model_validator(mode="after")
    def _waiting_order(self):
        both = self.remind_waiting_after and self.resolve_waiting_after
        if both and self.resolve_waiting_after <= self.remind_waiting_after:
            raise ValueError(
                f"resolve_waiting_after ({self.resolve_waiting_after}) must come after "
                f"remind_waiting_after ({self.remind_waiting_after}), or be 0 (never)"
            )
        return self


class IntakeSection(_Section):
    # A report the team brings in for a client (a call written up with #recibido, a
    # forwarded mail's date) may start its clocks this far back, and no further:
    # an older date is more likely a typo or a stale forward than a report.
    max_backdate: Duration = timedelta(days=7)


class CalendarSection(_Section):
    always_open: bool = False
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"]
    )
    hours: tuple[str, str] = ("09:00", "18:00")
    country: str = "MX"
    extra_closed: list[date] = Field(default_factory=list)
    extra_open: list[date] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v):
        for h in v:
            if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", h):
                raise ValueError(f"not a time of day HH:MM: {h!r}")
        if v[0] >= v[1]:
            raise ValueError("the opening hour must come before the closing hour")
        return v


class VendorSection(_Section):
    address: Address
    name: str | None = None
    language: Literal["en", "es"] = "en"
    response: Duration = timedelta(hours=24)
    business_time: bool = False
    template: str = "vendor_case"
    products: list[str] = Field(default_factory=list)


# Level 3 of the terms ("Soporte Fabricantes"); a config that has a [vendors]
# table replaces this list as a whole.
DEFAULT_VENDORS = {
    "withsecure": VendorSection(
        address="support@withsecure.com", name="WithSecure", products=["withsecure", "f-secure"]
    ),
    "safetica": VendorSection(
        address="support@esetla.com", name="Safetica (ESET Latinoamérica)", language="es", products=["safetica"]
    ),
    "sonicwall": VendorSection(address="Support@sonicwall.com", name="SonicWall", products=["sonicwall"]),
}


class Settings(_Section):
    mailbot: MailbotSection = Field(default_factory=MailbotSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    imap: ImapSection | None = None
    smtp: SmtpSection | None = None
    lmtp: LmtpSection = Field(default_factory=LmtpSection)
    health: HealthSection = Field(default_factory=HealthSection)
    web: WebSection = Field(default_factory=WebSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    team: TeamSection = Field(default_factory=TeamSection)
    security: SecuritySection = Field(default_factory=SecuritySection)
    sla: SlaSection = Field(default_factory=SlaSection)
    tickets: TicketsSection = Field(default_factory=TicketsSection)
    intake: IntakeSection = Field(default_factory=IntakeSection)
    report: ReportSection = Field(default_factory=ReportSection)
    digest: DigestSection = Field(default_factory=DigestSection)
    loops: LoopsSection = Field(default_factory=LoopsSection)
    calendar: CalendarSection = Field(default_factory=CalendarSection)
    vendors: dict[str, VendorSection] = Field(default_factory=lambda: dict(DEFAULT_VENDORS))

    # Where the settings came from; relative paths are resolved against it.
    source: Path | None = Field(default=None, exclude=True)
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _vendor_names(self):
        for name in self.vendors:
            if not re.match(r"^[a-z][a-z0-9_-]*$", name):
                raise ValueError(f"vendor name {name!r}: use lowercase letters, digits, - and _")
        return self

    # Paths, resolved against the config file's folder.
    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def data_dir(self) -> Path:
        return self.path(self.mailbot.data_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.path(self.outbox.dir) if self.outbox.dir else self.data_dir / "outbox"

    # Rules and templates: ops' own folder ([mailbot] rules_dir / templates_dir,
    # else rules/ or templates/ beside the config file), else the shipped set.
    def ops_folder(self, kind: Literal["rules", "templates"]) -> Path | None:
        """Ops' own rules or templates folder, or None when the shipped set is used alone."""
        configured = getattr(self.mailbot, f"{kind}_dir")
        if configured is not None:
            return self.path(configured)
        if self.source is not None:
            beside = self.base_dir / kind
            if beside.is_dir():
                return beside
        return None

    @property
    def rules_dir(self) -> Path:
        """The one rules folder in force: ops' own replaces the shipped rules whole (rules are one set)."""
        return self.ops_folder("rules") or resources.shipped("rules")

    @property
    def templates_dirs(self) -> tuple[Path, ...]:
        """Where a template is looked up, file by file: ops' folder first, the shipped templates after."""
        own = self.ops_folder("templates")
        shipped = resources.shipped("templates")
        return (own, shipped) if own is not None else (shipped,)

    def folder_problems(self, kind: Literal["rules", "templates"]) -> list[tuple[str, int | None, str]]:
        """Ops' rules or templates folder, if any, is there, readable and not empty; else why not.

        A typo in rules_dir must not quietly leave every mail at the default severity.
        """
        folder = self.ops_folder(kind)
        if folder is None:
            return []
        try:
            names = [
                p.name
                for p in folder.iterdir()
                if not p.name.startswith(".") and (kind == "templates" or p.suffix == ".toml")
            ]
        except FileNotFoundError:
            problem = "no such folder"
        except NotADirectoryError:
            problem = "not a folder"
        except OSError as exc:
            problem = f"cannot read the folder: {exc.strerror or exc}"
        else:
            if names:
                return []
            problem = (
                "no rule files (*.toml); a rules folder replaces the shipped rules whole"
                if kind == "rules"
                else "no template files"
            )
        key = f"{kind}_dir"
        if getattr(self.mailbot, key) is None:  # found beside the config file, not named in it
            return [
                (
                    str(folder),
                    None,
                    f"{kind} folder beside the config file: {problem} (remove it to use the shipped {kind})",
                )
            ]
        return [(str(self.source or "<config>"), self.key_line("mailbot", key), f"mailbot.{key}: {folder}: {problem}")]

    def key_line(self, *loc: str) -> int | None:
        """The line of a key in the config file, when there is one and it can be read."""
        if self.source is None:
            return None
        try:
            text = Path(self.source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return tomlpos.locate(text, loc)

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    @property
    def mail_domain(self) -> str:
        return self.mailbot.address.split("@", 1)[1]


def _format_loc(loc) -> str:
    return ".".join(str(p) for p in loc)


def settings_from_dict(data: dict, *, source: Path | None = None, text: str = "") -> Settings:
    name = str(source) if source else "<config>"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = tomlpos.locate(text, loc) if text else None
            # pydantic prefixes a validator's own message with "Value error, ": noise to ops.
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append((name, line, f"{_format_loc(loc)}: {msg}"))
        raise ConfigError(problems) from None
    if settings.smtp is not None and settings.outbox.lease < 4 * settings.smtp.timeout:
        # The sender gives claimed mail back half-way through the lease; one send
        # must fit well inside that, or another process could send it a second time.
        line = (
            (tomlpos.locate(text, ("outbox", "lease")) or tomlpos.locate(text, ("smtp", "timeout"))) if text else None
        )
        raise ConfigError(
            [
                (
                    name,
                    line,
                    f"outbox.lease ({settings.outbox.lease}) must be at least 4 × smtp.timeout "
                    f"({settings.smtp.timeout})",
                )
            ]
        )
    base = source.resolve().parent if source else Path(".").resolve()
    return settings.model_copy(update={"source": source, "base_dir": base})


def load_settings(path: Path | str | None = None) -> Settings:
    """Load ``path``; with None, ``./mailbot.toml`` if present, else built-in defaults."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return settings_from_dict({})
        path = DEFAULT_CONFIG
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(str(path), None, f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([(str(path), None, f"not UTF-8: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        raise ConfigError([(str(path), line, f"TOML syntax: {exc.args[0] if exc.args else exc}")]) from None
    return settings_from_dict(data, source=path, text=text)


def _line_from_message(msg: str) -> int | None:
    m = re.search(r"line (\d+)", msg)
    return int(m.group(1)) if m else None


def deprecations(settings: Settings) -> list[tuple[str, int | None, str]]:
    """Keys an older config may still carry that no longer act, as (file, line, message) warnings."""
    out = []
    name = str(settings.source or "<config>")
    for key in ("autoreply_limit", "autoreply_window"):
        if getattr(settings.mailbot, key) is not None:
            out.append(
                (
                    name,
                    settings.key_line("mailbot", key),
                    f"mailbot.{key} is no longer applied: a person's distinct reports are "
                    "always acknowledged; the last guard against loops is [loops] sender_ceiling "
                    f"(now {settings.loops.sender_ceiling} per {settings.loops.ceiling_window}); "
                    "remove this key",
                )
            )
    return out
