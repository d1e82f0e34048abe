"""The web board in a real browser: Debian's headless Chromium, driven by Selenium, against the running daemon.

The daemon (``Running``) reads a real Dovecot, sends through the SMTP sink and
serves the board on a free loopback port, over a clock the test moves: every
mail of the desk goes in through IMAP and the pipeline, at its own time
(Thursday 3 to Monday 7 December 2026, Mexico City). The browser logs in the
way a person does: the address typed in the form, the link read from the
mail the sink got, the «Entrar» button clicked.

Then hostile mail arrives (script tags, event handlers, ``javascript:`` links,
an HTML-only mail with SVG, CSS ``expression()``, an HTML file attached) and
every view shows it: no dialog ever opens, no live element is in the DOM,
the browser never even refuses a script under the CSP (its console says so
when it does), and every page carries the CSP header.

Chromium and its driver are given by path (``/usr/bin/chromium``,
``/usr/bin/chromedriver``: ``apt-get install chromium chromium-driver``, as
``.ci/run`` does), so Selenium never looks for or downloads a driver. Missing,
the test skips; with MAILBOT_REQUIRE_SERVERS=1 it fails.

``MAILBOT_SCREENSHOTS=1`` also writes the README's pictures of the board and
of a ticket (``docs/images/web-board.png``, ``docs/images/web-ticket.png``);
without it nothing in the checkout is written.
"""

from __future__ import annotations

import http.client
import os
import re
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import select

from mailbot.app import build_app
from mailbot.db.models import AttachmentRow, MessageRow, Ticket
from mailbot.tickets.views import show_ticket
from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.desk import MX
from tests.support.mail import make_mail, team_headers
from tests.support.runners import Running
from tests.support.servers import free_port, unavailable, wait_until

pytestmark = pytest.mark.servers

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = os.environ.get("MAILBOT_SCREENSHOTS") == "1"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
DESKTOP = (1280, 900)
TICKET_SHOT = (1280, 1650)  # tall enough for the clock and the client's mail with its attachment
PHONE = (390, 844)

ANA, LUIS, CARLA = ENGINEERS
CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

EVIL = "mal@hostil.mx"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = '<a href="javascript:alert(1)">clic aquí</a>'
SVG = "<svg onload=alert(1)>"
CSS = '<div style="background:expression(alert(1))">fondo</div>'
HTML_FILE = b"<html><body><script>alert(1)</script><svg onload=alert(1)></svg></body></html>"
AGENT_LOG = (
    "2026-12-07 08:52:10 Update: downloading virus definitions from guts2.fsapi.com\n"
    "2026-12-07 08:52:41 Update: connection timed out (error 12002)\n"
)

# Live markup in a serialized DOM (escaped text is serialized escaped, so none of these can be text).
LIVE = [
    re.compile(r"<script", re.I),
    re.compile(r"<svg", re.I),
    re.compile(r"<(iframe|object|embed)", re.I),
    re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.I),
    re.compile(r"<[a-z][^<>]*(href|src)\s*=\s*[\"']?\s*javascript:", re.I),
    re.compile(r"<[a-z][^<>]*\sstyle\s*=", re.I),
]
# The same, asked of the DOM itself.
LIVE_SELECTOR = (
    "script, svg, iframe, object, embed, [style], [onload], [onerror], [onclick], [onmouseover],"
    " a[href^='javascript:' i], img[src='x']"
)


def mx(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, d, hh, mm, tzinfo=MX)


NOW = mx(7, 12)  # Monday noon: what the board shows


class Clock:
    """The daemon's wall clock, set by the test."""

    def __init__(self, start: datetime):
        self.now = start.astimezone(UTC)

    def set(self, when: datetime) -> None:
        self.now = when.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


def html_only_mail(message_id: str) -> bytes:
    """The hostile client's mail with no text part: the markup is all there is."""
    msg = EmailMessage()
    msg["From"] = f'"Mal {SVG}" <{EVIL}>'
    msg["To"] = "soporte@imagenti.mx"
    msg["Subject"] = f"Factura en HTML {SVG}"
    msg["Message-ID"] = message_id
    msg.set_content(
        f"<html><head><style>body{{background:expression(alert(1))}}</style></head><body>"
        f"<p>Hola {SVG}</p><p>{LINK}</p>{CSS}<p>{SCRIPT}</p><p>{IMG}</p>"
        '<p style="background:expression(alert(1))">zanahoria morada</p></body></html>',
        subtype="html",
    )
    return msg.as_bytes()


class Desk:
    """The running daemon, its clock, Dovecot, the sink, and a way to read its database."""

    def __init__(self, settings, clock, dovecot, sink):
        self.settings, self.clock, self.dovecot, self.sink = settings, clock, dovecot, sink
        self.base = settings.web.base_url
        self.port = settings.web.port
        self.app = build_app(settings)
        self.n = 0

    def number(self, message_id: str) -> str | None:
        """The ticket the mail ``message_id`` went to, once the pipeline took it."""
        with self.app.sessions() as s:
            return s.scalar(
                select(Ticket.number)
                .join(MessageRow, MessageRow.ticket_id == Ticket.id)
                .where(MessageRow.message_id == message_id)
            )

    def ticket(self, number: str) -> dict:
        with self.app.sessions() as s:
            return show_ticket(s, number)

    def mail(self, when: datetime, make=None, **kw) -> str:
        """Deliver a client's mail at ``when`` and wait for its ticket; its number.

        ``make(message_id)``: the mail's bytes (else ``make_mail(**kw)``).
        """
        self.n += 1
        message_id = f"<desk{self.n}@correo.example.mx>"
        self.clock.set(when)
        self.dovecot.append(make(message_id) if make else make_mail(message_id=message_id, **kw))
        return wait_until(lambda: self.number(message_id), 30, what=f"the ticket of mail {self.n}")

    def notice(self, number: str):
        """The team's new-ticket notice of ``number``, as the sink got it."""

        def find():
            with self.sink.cond:
                mails = list(self.sink.messages)
            for m in mails:
                subject = str(m["msg"]["Subject"])
                if "Nuevo ticket" in subject and number in subject:
                    return m["msg"]
            return None

        return wait_until(find, 30, what=f"the new-ticket notice of {number}")

    def answer(self, number: str, when: datetime, body: str, sender: str = ANA) -> None:
        """An engineer answers the notice of ``number`` at ``when``; waits until the pipeline took it."""
        notice = self.notice(number)
        self.n += 1
        message_id = f"<team{self.n}@imagenti.mx>"
        self.clock.set(when)
        self.dovecot.append(
            make_mail(
                sender=sender,
                subject="Re: " + str(notice["Subject"]),
                body=body,
                message_id=message_id,
                in_reply_to=notice["Message-ID"],
                headers=team_headers(),
            )
        )
        wait_until(lambda: self.number(message_id) == number, 30, what=f"the answer on {number}")

    def attachment(self, filename: str) -> AttachmentRow:
        with self.app.sessions() as s:
            return s.scalar(select(AttachmentRow).where(AttachmentRow.filename == filename))

    def login_link(self, address: str) -> str:
        def links():
            for m in self.sink.to(address):
                if "Enlace para entrar" in str(m["msg"]["Subject"]):
                    return m["msg"].get_body(("plain",)).get_content()
            return None

        text = wait_until(links, 30, what=f"the login mail to {address}")
        return re.search(r"https?://\S+/login/confirm\?token=[A-Za-z0-9_\-]+", text).group(0)


def seed(desk: Desk) -> dict[str, str]:
    """An ordinary week of the desk: several clients, each severity, answers, a vendor case, an attachment."""
    t = {}
    # Thursday: a question about licences; Luis asks the client and waits for the answer.
    t["licencias"] = desk.mail(
        mx(3, 11),
        sender="Laura Gómez <laura.gomez@ferreteriadelvalle.mx>",
        subject="Consulta sobre licencias de Microsoft 365",
        body="Buen día, ¿cuántas licencias de Microsoft 365 nos quedan disponibles? No es urgente.\n\nLaura Gómez",
    )
    desk.answer(
        t["licencias"],
        mx(3, 14),
        "#asignar luis\n#estado esperando-cliente\n"
        "Laura, buen día. ¿Nos confirma cuántos usuarios nuevos necesitan? Con eso revisamos las licencias.",
        sender=LUIS,
    )
    # Friday 09:30: the VPN of a branch office; escalated to SonicWall.
    t["vpn"] = desk.mail(
        mx(4, 9, 30),
        sender="Juan Pérez <juan.perez@cliente.com.mx>",
        subject="VPN SonicWall sin conexión en la sucursal Norte",
        body="Buen día. Varios usuarios de la sucursal Norte no pueden conectarse a la VPN desde ayer.\n\nJuan Pérez",
    )
    desk.answer(
        t["vpn"],
        mx(4, 10),
        "#asignar luis\n#escalar sonicwall\n#estado esperando-fabricante\n"
        "Juan, lo escalamos con SonicWall; le avisamos en cuanto respondan.",
        sender=LUIS,
    )
    # Friday 10:00: nobody answered; overdue by Monday.
    t["correo"] = desk.mail(
        mx(4, 10),
        sender="Marta Ríos <marta.rios@cliente.com.mx>",
        subject="Varios usuarios sin correo en Outlook",
        body="Desde esta mañana varios usuarios de contabilidad no reciben correo en Outlook. Es grave.\n\nMarta Ríos",
    )
    # Monday 09:10: an antivirus agent that does not update, its log attached; Carla answers with a note.
    t["agente"] = desk.mail(
        mx(7, 9, 10),
        sender="Roberto Sánchez <rsanchez@transporteslagos.mx>",
        subject="El agente de WithSecure no actualiza en facturación",
        body="Hola, desde el viernes el agente de WithSecure de la computadora de facturación no descarga "
        "actualizaciones. Adjunto el registro del agente. No es urgente.\n\nRoberto Sánchez\nTransportes Lagos",
        attachments=[("registro del agente.txt", AGENT_LOG.encode(), "text/plain")],
    )
    desk.answer(
        t["agente"],
        mx(7, 9, 40),
        "#asignar carla\n"
        "Roberto, buen día. Parece que el equipo no llega al servidor de actualizaciones. "
        "¿Nos permite conectarnos a las 13:00 para revisarlo?\n"
        "#nota el proxy de Transportes Lagos bloqueó guts2.fsapi.com la vez pasada",
        sender=CARLA,
    )
    # Monday 10:30: the whole clinic without internet; CRÍTICA, due 12:30.
    t["internet"] = desk.mail(
        mx(7, 10, 30),
        sender="Patricia Luna <patricia.luna@clinicasanjose.mx>",
        subject="URGENTE: caída del firewall SonicWall",
        body="Toda la empresa está sin internet desde las 10. No podemos atender pacientes.\n\nPatricia Luna",
    )
    desk.answer(t["internet"], mx(7, 10, 40), "#asignar ana\n#nota revisando la consola del firewall", sender=ANA)
    # Monday 11:00: a new user for Monday next week; nobody's yet.
    t["alta"] = desk.mail(
        mx(7, 11),
        sender="Juan Pérez <juan.perez@cliente.com.mx>",
        subject="Alta de usuario nuevo en el dominio",
        body="Buen día, el lunes entra una persona nueva a compras: necesitamos su usuario y correo. "
        "No es urgente.\n\nJuan Pérez",
    )
    desk.clock.set(NOW)
    return t


def hostile(desk: Desk) -> dict[str, str]:
    """The hostile client: a plain mail with markup everywhere and an HTML file, then an HTML-only mail."""
    t = {}
    t["hostil"] = desk.mail(
        mx(7, 12, 5),
        sender=f'"{SCRIPT}" <{EVIL}>',
        subject=f"Ayuda {SCRIPT} {IMG}",
        body=f"Hola {SCRIPT}\n{IMG}\n{LINK}\n{SVG}\n{CSS}\nzanahoria {SCRIPT}",
        attachments=[("x.html", HTML_FILE, "text/html")],
    )
    desk.answer(t["hostil"], mx(7, 12, 10), f"Lo revisamos.\n#nota el cliente insiste {IMG} {SCRIPT}", sender=ANA)
    t["html"] = desk.mail(mx(7, 12, 15), html_only_mail)
    desk.clock.set(mx(7, 12, 20))
    return t


@pytest.fixture
def desk(make_settings, dovecot, smtp_sink, tmp_path):
    port = free_port()
    settings = make_settings(
        db_url=f"sqlite:///{tmp_path}/mailbot.db",
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        outbox={"interval": "1s"},
        web={"enabled": True, "port": port, "base_url": f"http://127.0.0.1:{port}"},
    )
    clock = Clock(mx(3, 9))
    running = Running(settings, app=build_app(settings, clock=clock))
    daemon = running.__enter__()
    d = Desk(settings, clock, dovecot, smtp_sink)
    try:
        wait_until(lambda: daemon.imap.stats.connected, 15, what="the IMAP session")
        wait_until(lambda: daemon.web is not None, 15, what="the web board to listen")
        yield d
    finally:
        running.__exit__(None, None, None)
        d.app.close()


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through Debian's chromedriver, both by path; downloads go to tmp_path/downloads."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            unavailable(f"{path} is not installed (apt-get install {package})")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed (pip install -e '.[test]')")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-dev-shm-usage", "--disable-gpu", "--lang=es-MX", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument("--force-device-scale-factor=1")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    # A dialog stays open until the test looks for it (the default would dismiss it at the next command).
    options.unhandled_prompt_behavior = "ignore"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.downloads = downloads
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


# -- what every page must be ------------------------------------------------------------


def no_dialog(driver, where: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
        text = alert.text
    except NoAlertPresentException:
        return
    alert.dismiss()
    raise AssertionError(f"a dialog opened on {where}: {text!r}")


def assert_inert(driver, where: str, status: int = 200) -> None:
    """No dialog, no live element, nothing the CSP had to refuse, nothing the console complains of.

    ``status``: the page's own HTTP status (a 400 or 404 page is in the console as a failed load).
    """
    from selenium.webdriver.common.by import By

    no_dialog(driver, where)
    source = driver.page_source
    for pattern in LIVE:
        found = pattern.search(source)
        assert not found, (where, pattern.pattern, found and found.group(0))
    for raw in (SCRIPT, IMG, SVG, LINK, CSS):  # as text they are serialized with &lt; and &gt;
        assert raw not in source, (where, raw)
    live = driver.find_elements(By.CSS_SELECTOR, LIVE_SELECTOR)
    assert live == [], (where, [e.get_attribute("outerHTML")[:200] for e in live])
    # The console: a blocked script or style would be a CSP report here; anything else is an error too.
    expected = f"{driver.current_url} - Failed to load resource: the server responded with a status of {status} "
    complaints = [
        e["message"]
        for e in driver.get_log("browser")
        if "favicon.ico" not in e["message"] and not e["message"].startswith(expected)
    ]
    assert complaints == [], (where, complaints)
    no_dialog(driver, where)


def fits(driver, where: str) -> None:
    """Nothing wider than the window: no horizontal scrolling."""
    wide = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    assert wide[0] <= wide[1], (where, wide)


def visit(driver, desk: Desk, path: str, title: str | None = None, status: int = 200) -> None:
    driver.get(desk.base + path)
    assert driver.current_url.startswith(desk.base + path.split("?", 1)[0]), (path, driver.current_url)
    if title is not None:
        assert title in driver.title, (path, driver.title)
    assert_inert(driver, path, status)


def plain_get(desk: Desk, path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
    """``path`` fetched over plain HTTP with the browser's session cookie: status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", desk.port, timeout=15)
    try:
        conn.request("GET", path, headers={"Cookie": f"mailbot_session={cookie}"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def viewport(driver, width: int, height: int) -> None:
    """Size the window so that the page itself gets ``width`` x ``height`` (the window's frame is extra)."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    assert inner == [width, height], inner


def screenshot(driver, name: str, size: tuple[int, int]) -> None:
    """The README's picture, written only when MAILBOT_SCREENSHOTS=1."""
    if not SCREENSHOTS:
        return
    viewport(driver, *size)
    driver.execute_script("window.scrollTo(0, 0);")
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    assert driver.save_screenshot(str(path)), path
    assert path.stat().st_size < 300_000, (path, path.stat().st_size)


def downloaded(driver, name: str) -> bytes:
    """The bytes of ``name`` once the browser finished downloading it."""
    path = driver.downloads / name
    wait_until(
        lambda: path.exists() and not list(driver.downloads.glob("*.crdownload")), 20, what=f"the download of {name}"
    )
    return path.read_bytes()


# -- the test -----------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_login_board_ticket_attachment_and_hostile_mail_in_a_real_browser(browser, desk):
    from selenium.webdriver.common.by import By

    driver = browser
    t = seed(desk)
    assert desk.ticket(t["internet"])["severity"] == "critica"
    assert desk.ticket(t["correo"])["severity"] == "grave"
    assert desk.ticket(t["agente"])["severity"] == "leve"
    assert desk.ticket(t["licencias"])["status"] == "waiting_client"

    # The board's address, signed out: the login page.
    driver.get(desk.base + "/")
    assert urlsplit(driver.current_url).path == "/login"
    assert "Entrar a la mesa de ayuda" in driver.find_element(By.TAG_NAME, "h1").text
    assert_inert(driver, "/login")
    driver.find_element(By.NAME, "address").send_keys(ANA)
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    # A click starts a navigation: wait for the next page, never read the old one.
    wait_until(lambda: _heading(driver) == "Revise su correo", 15, what="the page after asking for a link")
    assert ANA in driver.find_element(By.CSS_SELECTOR, "p.notice").text
    assert_inert(driver, "login sent")

    # The link from the mail: GET only shows the button; the click signs in.
    link = desk.login_link(ANA)
    assert link.startswith(desk.base + "/login/confirm?token=")
    driver.get(link)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Confirmar entrada"
    assert driver.get_cookie("mailbot_session") is None
    assert_inert(driver, "/login/confirm")
    driver.find_element(By.XPATH, "//button[normalize-space()='Entrar']").click()
    wait_until(lambda: urlsplit(driver.current_url).path == "/", 15, what="the board after «Entrar»")
    session = driver.get_cookie("mailbot_session")
    assert session and session["httpOnly"] and session["sameSite"] == "Lax"
    cookie = session["value"]

    # The board: every open ticket, overdue and at-risk marked, the user shown.
    assert driver.find_element(By.TAG_NAME, "h1").text == "Tickets abiertos"
    assert_inert(driver, "/")
    board = driver.find_element(By.TAG_NAME, "main").text
    for number in (t["licencias"], t["vpn"], t["correo"], t["agente"], t["internet"], t["alta"]):
        assert number in board
    assert "Al 2026-12-07 12:00" in board
    assert "Varios usuarios sin correo en Outlook" in board and "VENCIDA hace" in board
    assert "Caso con SonicWall" in board
    assert f"Salir ({ANA})" in driver.find_element(By.CSS_SELECTOR, "header.top").text
    overdue = driver.find_elements(By.CSS_SELECTOR, "tr.overdue td:first-child a")
    assert [a.text for a in overdue] == [t["correo"]]
    at_risk = driver.find_elements(By.CSS_SELECTOR, "tr.at-risk td:first-child a")
    assert t["internet"] in [a.text for a in at_risk]
    # The page's stylesheet loaded (the CSP allows 'self'): the header bar is coloured.
    assert driver.find_element(By.CSS_SELECTOR, "header.top").value_of_css_property("background-color") != (
        "rgba(0, 0, 0, 0)"
    )
    fits(driver, "/ at 1280")
    screenshot(driver, "web-board.png", DESKTOP)
    status, headers, _ = plain_get(desk, "/", cookie)
    assert status == 200 and headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"

    # A ticket, opened from the board: its thread, the engineer's answer, the note marked, the attachment.
    driver.find_element(By.LINK_TEXT, t["agente"]).click()
    wait_until(lambda: urlsplit(driver.current_url).path == f"/tickets/{t['agente']}", 15, what="the ticket page")
    assert_inert(driver, "the agent's ticket")
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "El agente de WithSecure no actualiza en facturación" in page
    assert "¿Nos permite conectarnos a las 13:00" in page
    notes = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "article.message.internal")]
    assert any("bloqueó guts2.fsapi.com" in n for n in notes)
    public = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "article.message.public")]
    assert not any("bloqueó" in p for p in public)
    fits(driver, "ticket at 1280")
    screenshot(driver, "web-ticket.png", TICKET_SHOT)
    status, headers, _ = plain_get(desk, f"/tickets/{t['agente']}", cookie)
    assert status == 200 and headers["content-security-policy"] == CSP

    # Its attachment: a download, never a page; the bytes as the client sent them.
    log = desk.attachment("registro del agente.txt")
    link = driver.find_element(By.LINK_TEXT, "registro del agente.txt")
    assert urlsplit(link.get_attribute("href")).path == f"/adjuntos/{log.id}"
    link.click()
    assert downloaded(driver, "registro del agente.txt") == AGENT_LOG.encode()
    assert urlsplit(driver.current_url).path == f"/tickets/{t['agente']}"  # the page stayed
    assert_inert(driver, "after the download")
    status, headers, body = plain_get(desk, f"/adjuntos/{log.id}", cookie)
    assert status == 200 and body == AGENT_LOG.encode()
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;")
    assert headers["content-security-policy"] == CSP and headers["x-content-type-options"] == "nosniff"

    # On a phone: the board and a ticket fit the width (tables become lists).
    viewport(driver, *PHONE)
    for path in ("/", f"/tickets/{t['agente']}"):
        visit(driver, desk, path)
        fits(driver, f"{path} at {PHONE[0]}px")
    viewport(driver, *DESKTOP)

    # -- hostile mail arrives, and every view shows it ------------------------------------
    t.update(hostile(desk))
    visit(driver, desk, "/", "Tablero")
    board = driver.find_element(By.TAG_NAME, "main").text
    assert f"Ayuda {SCRIPT} {IMG}" in board  # shown as the text it is
    assert f"Factura en HTML {SVG}" in board

    visit(driver, desk, f"/tickets/{t['hostil']}", t["hostil"])
    page = driver.find_element(By.TAG_NAME, "main").text
    assert f"Hola {SCRIPT}" in page and LINK in page and CSS in page
    assert f"el cliente insiste {IMG} {SCRIPT}" in page
    assert driver.find_elements(By.PARTIAL_LINK_TEXT, "clic aquí") == []

    visit(driver, desk, f"/tickets/{t['html']}", t["html"])
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "zanahoria morada" in page

    # The HTML file: opened and clicked, it downloads; it is never a page of the board's origin.
    evil = desk.attachment("x.html")
    assert evil is not None and not evil.dropped
    visit(driver, desk, f"/tickets/{t['hostil']}")
    driver.find_element(By.LINK_TEXT, "x.html").click()
    assert downloaded(driver, "x.html") == HTML_FILE
    assert_inert(driver, "after downloading x.html")
    driver.get(f"{desk.base}/adjuntos/{evil.id}")  # typed in the address bar: still a download
    time.sleep(0.5)
    assert urlsplit(driver.current_url).path == f"/tickets/{t['hostil']}"
    assert_inert(driver, f"/adjuntos/{evil.id}")
    status, headers, body = plain_get(desk, f"/adjuntos/{evil.id}", cookie)
    assert status == 200 and body == HTML_FILE
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment;") and "x.html" in headers["content-disposition"]
    assert headers["x-content-type-options"] == "nosniff" and headers["content-security-policy"] == CSP

    # The other views, with the payloads in their addresses too.
    for path, title, code in (
        ("/clientes/hostil.mx", "hostil.mx", 200),
        ("/clientes/cliente.com.mx", "cliente.com.mx", 200),
        ("/buscar?q=zanahoria", "Buscar", 200),
        ("/buscar?q=" + quote(SCRIPT), "Buscar", 200),
        ("/?client=" + quote('"><script>alert(1)</script>'), "Tablero", 200),
        ("/reporte?quarter=2026Q4", "Reporte", 200),
        ("/reporte?quarter=" + quote(SCRIPT), None, 400),
        ("/tickets/" + quote(IMG, safe=""), None, 404),
    ):
        visit(driver, desk, path, title, code)
        status, headers, _ = plain_get(desk, path, cookie)
        assert status == code and headers["content-security-policy"] == CSP, path
    found = driver.find_element(By.TAG_NAME, "main").text
    assert IMG in found  # the unknown ticket's "number", as text
    visit(driver, desk, "/buscar?q=zanahoria", "Buscar")
    results = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='/tickets/']")]
    assert t["hostil"] in results and t["html"] in results

    # The check would see a dialog: a script the test itself runs opens one, and it is caught.
    driver.execute_script("window.alert('canario')")
    with pytest.raises(AssertionError, match="canario"):
        no_dialog(driver, "the canary")
    no_dialog(driver, "after the canary")


def _heading(driver) -> str | None:
    """The page's h1 text, or None while the page is being replaced."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return driver.find_element(By.TAG_NAME, "h1").text
    except (NoSuchElementException, StaleElementReferenceException):
        return None
