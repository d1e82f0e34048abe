"""The web board's pages over a desk seeded through the real pipeline, on SQLite and PostgreSQL.

The desk: Monday 7 December 2026, 12:00 (Mexico City; business hours 09:00-18:00,
Monday to Friday). Clients write, an engineer answers with a ``#nota``, one
ticket waits on the client and one on SonicWall; one client is hostile: its
subjects, names, bodies, an HTML-only mail and an HTML file carry script,
event handlers, ``javascript:`` links and CSS ``expression()``. Every page is
read through ``TestClient`` (at ``BASE``, the address people open) and must show
all of it as text.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from mailbot.db.models import AttachmentRow, MessageRow, Outbox, Ticket
from mailbot.tickets import actions
from mailbot.tickets.actions import Ops
from mailbot.tickets.escalation import open_vendor_case
from mailbot.vocab import Status
from mailbot.web import search as fulltext
from mailbot.web import views
from mailbot.web.app import create_app
from tests.support.config import ENGINEERS
from tests.support.desk import ClockDesk, engineer_reply
from tests.support.desk import mx_time as at
from tests.support.mail import CRITICAL_BODY, CRITICAL_SUBJECT, make_mail

pytestmark = pytest.mark.servers

ANA, LUIS, CARLA = ENGINEERS
A = "juan.perez@cliente.com.mx"
B = "laura.gomez@otra.com.mx"
EVIL = "mal@hostil.mx"
NOW = at(2026, 12, 7, 12)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = '<a href="javascript:alert(1)">clic</a>'
SVG = "<svg onload=alert(1)>"
CSS = '<div style="width: expression(alert(1))">ancho</div>'
HTML_FILE = b"<html><body><script>alert(document.cookie)</script><svg onload=alert(2)></svg></body></html>"
MAX_ATTACHMENT = 50_000
BASE = "https://mesa.imagenti.mx"


def escaped(text: str) -> str:
    """``text`` as Jinja2's autoescape writes it."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


# A real tag (not escaped text) carrying an event handler, a script, a javascript: URL or a style attribute.
LIVE = [
    re.compile(r"<script", re.I),
    re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.I),
    re.compile(r"<[a-z][^<>]*(href|src)\s*=\s*[\"']?\s*javascript:", re.I),
    re.compile(r"<[a-z][^<>]*\sstyle\s*=", re.I),
    re.compile(r"<svg", re.I),
    re.compile(r"<iframe|<object|<embed", re.I),
]


def assert_inert(html: str) -> None:
    for pattern in LIVE:
        assert not pattern.search(html), (pattern.pattern, pattern.search(html).group(0))
    for raw in (SCRIPT, IMG, SVG, 'javascript:alert(1)"', 'expression(alert(1))">'):
        assert raw not in html


def html_only_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Mal <{EVIL}>"
    msg["To"] = "soporte@imagenti.mx"
    msg["Subject"] = "Consulta en HTML " + SVG
    msg["Message-ID"] = "<html1@hostil.mx>"
    msg.set_content(
        f"<html><body><p>Hola {SVG}</p><p>{LINK}</p>{CSS}<p>{SCRIPT}</p><p>zanahoria roja</p></body></html>",
        subtype="html",
    )
    return msg.as_bytes()


class Seed:
    def __init__(self, desk: ClockDesk):
        self.d = desk
        self.n = 0

    def ticket(self, when, sender, subject, body, severity=None, **kw) -> str:
        self.n += 1
        kw.setdefault("message_id", f"<seed{self.n}@example.mx>")
        out = self.d.at(when).mail(make_mail(sender=sender, subject=subject, body=body, **kw))
        if severity:
            assert self.d.ticket(out.ticket)["severity"] == severity, subject
        return out.ticket

    def reply(self, number, when, body):
        self.n += 1
        self.d.at(when).mail(engineer_reply(self.d, number, body, n=self.n))

    def act(self, number, when, fn):
        with self.d.app.sessions.begin() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.number == number))
            fn(Ops(self.d.app, s, when), ticket)

    def assign(self, number, who):
        self.act(number, self.d.now, lambda ops, t: setattr(t, "assignee", actions.resolve_assignee(ops.settings, who)))

    def status(self, number, status, when):
        self.act(number, when, lambda ops, t: actions.set_status(ops, t, status, ANA))


def seed(d: ClockDesk) -> dict[str, str]:
    s = Seed(d)
    # Thursday 11:00: LEVE, handed to the client at 15:00.
    client = s.ticket(at(2026, 12, 3, 11), B, "Una consulta", "Quisiera saber algo, no es urgente.", "leve")
    s.reply(client, at(2026, 12, 3, 14), "¿Nos confirma el modelo del equipo?")
    s.status(client, Status.WAITING_CLIENT, at(2026, 12, 3, 15))
    # Thursday 12:00: resolved; not on the board.
    done = s.ticket(at(2026, 12, 3, 12), A, "Otra consulta", "Una duda, no es urgente.", "leve")
    s.status(done, Status.RESOLVED, at(2026, 12, 3, 16))
    # Friday 09:30: GRAVE, waiting on SonicWall since 12:00.
    vendor = s.ticket(at(2026, 12, 4, 9, 30), A, "Firewall SonicWall sin VPN", "Varios usuarios no pueden trabajar.")
    s.reply(vendor, at(2026, 12, 4, 10), "Lo escalamos al fabricante.")
    s.act(vendor, at(2026, 12, 4, 12), lambda ops, t: open_vendor_case(ops, t, "sonicwall", actor=LUIS))
    s.status(vendor, Status.WAITING_VENDOR, at(2026, 12, 4, 12))
    # Friday 10:00: GRAVE, never answered: due Friday 14:00, overdue on Monday. Its subject is hostile.
    over = s.ticket(
        at(2026, 12, 4, 10), A, "Varios usuarios sin correo " + SCRIPT, "Varios usuarios no pueden trabajar.", "grave"
    )
    # Friday 11:00: the hostile client's HTML-only mail (LEVE, due Tuesday).
    s.n += 1
    html = d.at(at(2026, 12, 4, 11)).mail(html_only_mail()).ticket
    # Monday 09:00: the hostile client's plain mail, with an HTML file, a file with a Spanish name and one too large.
    hostile = s.ticket(
        at(2026, 12, 7, 9),
        f'"{SCRIPT}" <{EVIL}>',
        f"Ayuda {SCRIPT} {IMG}",
        f"Hola {SCRIPT}\n{IMG}\n{LINK}\n{CSS}\nzanahoria {SCRIPT}",
        attachments=[
            ("<script>.html", HTML_FILE, "text/html"),
            ("reporte año.txt", b"texto del reporte", "text/plain"),
            ("enorme.zip", b"z" * (MAX_ATTACHMENT + 10_000), "application/zip"),
        ],
    )
    s.reply(hostile, at(2026, 12, 7, 9, 30), f"Lo revisamos.\n#nota el cliente insiste {IMG} {SCRIPT}")
    # Monday 09:30: LEVE, due in 24 business hours; nobody's.
    fine = s.ticket(at(2026, 12, 7, 9, 30), A, "Una pregunta", "Quisiera saber algo más, no es urgente.", "leve")
    # Monday 10:30: CRÍTICA, due 12:30: half an hour left at noon.
    risk = s.ticket(at(2026, 12, 7, 10, 30), B, CRITICAL_SUBJECT, CRITICAL_BODY, "critica")
    for number, who in ((client, LUIS), (done, ANA), (vendor, LUIS), (over, ANA), (risk, LUIS), (hostile, CARLA)):
        s.assign(number, who)
    d.at(NOW)
    return dict(client=client, done=done, vendor=vendor, over=over, html=html, hostile=hostile, fine=fine, risk=risk)


@pytest.fixture
def desk(make_settings, db_url):
    settings = make_settings(db_url=db_url, mailbot={"max_attachment_size": MAX_ATTACHMENT}, web={"base_url": BASE})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    d.t = seed(d)
    yield d
    d.close()


def login(client: TestClient, desk: ClockDesk, address: str = ANA) -> None:
    """Sign ``client`` in as the board's login does: the form, the mailed link, its confirmation POST."""

    def csrf(html):
        return re.search(r'name="csrf" value="([^"]*)"', html).group(1)

    form = client.get("/login")
    assert client.post("/login", data={"csrf": csrf(form.text), "address": address}).status_code == 200
    with desk.app.sessions() as s:  # the mail as the outbox will send it (the record keeps no token)
        data = s.scalars(
            select(Outbox.data)
            .join(MessageRow, MessageRow.id == Outbox.message_row_id)
            .where(MessageRow.kind == "web_login")
            .order_by(Outbox.id.desc())
        ).first()
    body = message_from_bytes(data, policy=policy.default).get_body(("plain",)).get_content()
    token = re.search(r"/login/confirm\?token=([A-Za-z0-9_\-]+)", body).group(1)
    confirm = client.get(f"/login/confirm?token={token}")
    done = client.post("/login/confirm", data={"csrf": csrf(confirm.text), "token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text


@pytest.fixture
def web(desk):
    """A TestClient signed in (as Ana) to the board of ``desk``, as ``create_app`` serves it."""
    with TestClient(create_app(lambda: desk.app), base_url=BASE) as client:
        login(client, desk)
        yield client


def page(web, url: str, status: int = 200) -> str:
    r = web.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    assert_inert(r.text)
    assert "script-src" not in r.headers["content-security-policy"]
    assert "style-src 'self'" in r.headers["content-security-policy"]
    # Links are paths: nothing on a page is built from the request's Host header.
    assert not re.search(r'(href|action|src)="(https?:)?//', r.text), url
    return r.text


def board_groups(html: str) -> dict[str, list[str]]:
    """The ticket numbers of each group of the board, in order."""
    out = {}
    for turn, body in re.findall(r'<section class="group turn-(\w+)".*?>(.*?)</section>', html, re.S):
        out[turn] = re.findall(r'<a href="[^"]*/tickets/([^"]+)">', body)
    return out


def overdue_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="overdue">\s*<td><a href="[^"]*/tickets/([^"]+)"', html)


# -- the board -------------------------------------------------------------------------------


def test_board_groups_by_turn_overdue_and_at_risk_first(web, desk):
    t = desk.t
    html = page(web, "/")
    groups = board_groups(html)
    assert list(groups) == ["desk", "client", "vendor"]
    # Overdue first, then at risk, then by business time left; answered ones (no clock) after.
    assert groups["desk"][:3] == [t["over"], t["risk"], t["html"]]
    assert set(groups["desk"]) == {t["over"], t["risk"], t["html"], t["fine"], t["hostile"]}
    assert groups["desk"].index(t["fine"]) < groups["desk"].index(t["hostile"])
    assert groups["client"] == [t["client"]]
    assert groups["vendor"] == [t["vendor"]]
    assert t["done"] not in html
    assert overdue_rows(html) == [t["over"]]
    assert re.search(rf'<tr class="at-risk">\s*<td><a href="[^"]*/tickets/{t["risk"]}"', html)
    # Labels, never slugs; the due time and how late.
    assert "CRÍTICA" in html and "GRAVE" in html and "LEVE" in html
    assert ">critica<" not in html and "waiting_client" not in html.replace('value="waiting_client"', "")
    assert "2026-12-04 14:00" in html  # the overdue ticket's deadline, local time
    assert "VENCIDA hace" in html
    assert "Caso con SonicWall" in html
    assert "1 con la atención vencida" in html
    # The hostile subject and display name are text.
    assert escaped(SCRIPT) in html


def test_board_filters(web, desk):
    t = desk.t

    def numbers(url):
        return [n for g in board_groups(page(web, url)).values() for n in g]

    assert sorted(numbers(f"/?assignee={ANA}")) == sorted([t["over"]])
    assert sorted(numbers(f"/?assignee={LUIS.upper()}")) == sorted([t["client"], t["vendor"], t["risk"]])
    assert sorted(numbers("/?assignee=sin-asignar")) == sorted([t["html"], t["fine"]])
    assert sorted(numbers("/?client=otra.com.mx")) == sorted([t["client"], t["risk"]])
    assert sorted(numbers("/?client=@OTRA.com.mx")) == sorted([t["client"], t["risk"]])
    assert numbers("/?severity=critica") == [t["risk"]]
    assert numbers("/?status=waiting_client") == [t["client"]]
    assert numbers("/?status=waiting_vendor&severity=grave") == [t["vendor"]]
    assert numbers("/?severity=critica&client=cliente.com.mx") == []
    # The form keeps what was chosen.
    html = page(web, "/?severity=grave&client=cliente.com.mx")
    assert '<option value="grave" selected>' in html
    assert '<option value="cliente.com.mx" selected>' in html
    assert "Quitar filtros" in html
    # A hostile filter value is only ever text.
    html = page(web, "/?client=" + quote('"><script>alert(1)</script>'))
    assert board_groups(html) == {"desk": [], "client": [], "vendor": []}


# -- a ticket --------------------------------------------------------------------------------


def test_ticket_page_thread_as_text_with_internal_notes(web, desk):
    t = desk.t
    html = page(web, f"/tickets/{t['hostile']}")
    assert escaped(f"Ayuda {SCRIPT} {IMG}") in html
    # The client's body, as text in a <pre>.
    pres = re.findall(r"<pre>(.*?)</pre>", html, re.S)
    assert any(escaped(f"Hola {SCRIPT}\n{IMG}\n{LINK}\n{CSS}") in p for p in pres)
    # The note: internal, marked, escaped.
    notes = re.findall(r'<article class="message internal">(.*?)</article>', html, re.S)
    note = [n for n in notes if "Nota interna" in n]
    assert len(note) == 1 and "Interno" in note[0]
    assert escaped(f"el cliente insiste {IMG} {SCRIPT}") in note[0]
    # The team's new-ticket notice is internal too; the acknowledgement and the relayed answer are not.
    assert any("Aviso al equipo: ticket nuevo" in n for n in notes)
    public = re.findall(r'<article class="message public">(.*?)</article>', html, re.S)
    assert any("Acuse al cliente" in p for p in public)
    assert any("Respuesta al cliente" in p and "Lo revisamos." in p for p in public)
    assert not any("el cliente insiste" in p for p in public)
    # Attachments: safe names linking by id; the dropped one named, not linked.
    with desk.app.sessions() as s:
        atts = {a.filename: a for a in s.scalars(select(AttachmentRow).order_by(AttachmentRow.id))}
    assert set(atts) >= {"_script_.html", "reporte año.txt", "enorme.zip"}
    assert f'href="/adjuntos/{atts["_script_.html"].id}"' in html
    assert f'href="/adjuntos/{atts["reporte año.txt"].id}"' in html
    assert f'/adjuntos/{atts["enorme.zip"].id}"' not in html
    assert "enorme.zip" in html and "no se conservó" in html
    # The timeline in Spanish; the clock explained.
    events = html.split("<h2>Historial</h2>", 1)[1]
    assert "Ticket creado" in events and "Clasificado por las reglas" in events
    assert "<td>Cambio de estado</td><td>ana.lopez@imagenti.mx</td><td>nuevo → en progreso</td>" in events
    assert "<td>Comando</td><td>ana.lopez@imagenti.mx</td><td>#nota</td>" in events
    assert '<tr class="internal"><td>2026-12-07 09:30</td><td>Nota interna</td>' in events
    assert "<td>Respuesta al cliente</td><td>ana.lopez@imagenti.mx</td><td>Lo revisamos.</td>" in events
    assert "<td>Primera respuesta</td><td>ana.lopez@imagenti.mx</td><td>a tiempo</td>" in events
    assert "el cliente insiste" not in events  # the note's text is in the thread, marked; not repeated here
    assert "ninguno corriendo: nada del cliente espera respuesta" in html
    assert "mesa de ayuda, desde 2026-12-07 09:00" in html
    assert "[IMAGEN TI #" + t["hostile"] + "]" in html and "#nota" in html


def test_ticket_page_clock_overdue_and_at_risk(web, desk):
    t = desk.t
    html = page(web, f"/tickets/{t['over']}")
    assert re.search(r'<tr class="overdue"><th>Responder a más tardar</th><td>2026-12-04 14:00: VENCIDO hace', html)
    assert "criticidad GRAVE" in html and "el reporte del 2026-12-04 10:00" in html
    assert escaped("Varios usuarios sin correo " + SCRIPT) in html
    html = page(web, f"/tickets/{t['risk']}")
    assert re.search(r'<tr class="at-risk"><th>Tiempo restante</th><td>30m hábiles \(en riesgo\)', html)
    html = page(web, f"/tickets/{t['vendor']}")
    assert "fabricante, desde 2026-12-04 12:00" in html
    assert "ninguno corriendo: nada del cliente espera respuesta" in html
    assert "SonicWall" in html
    assert "<td>en progreso → esperando al fabricante</td>" in html
    assert "<td>Escalamiento</td><td>luis.garcia@imagenti.mx</td><td>a SonicWall (nivel 3)</td>" in html
    assert "<td>Cambio de turno</td><td>ana.lopez@imagenti.mx</td><td>mesa de ayuda → fabricante</td>" in html
    html = page(web, f"/tickets/{t['html']}")
    # The HTML-only mail: its text, never its markup.
    assert "zanahoria roja" in html
    assert escaped("Consulta en HTML " + SVG) in html


def test_unknown_ticket_and_client_are_404(web, desk):
    html = page(web, "/tickets/IMG-999999", 404)
    assert "No hay ningún ticket IMG-999999" in html
    html = page(web, "/tickets/" + quote(IMG, safe=""), 404)
    assert escaped(IMG) in html
    page(web, "/clientes/nadie.example", 404)


# -- a client --------------------------------------------------------------------------------


def test_client_page(web, desk):
    t = desk.t
    html = page(web, "/clientes/cliente.com.mx")
    assert "Cliente cliente.com.mx" in html
    assert "Primera respuesta dentro del tiempo comprometido" in html
    assert "Tickets abiertos" in html and "(1 con la atención vencida)" in html
    opened = html.split("Tickets abiertos (", 1)[1].split("Últimos tickets", 1)[0]
    assert set(re.findall(r"/tickets/([^\"]+)\"", opened)) == {t["over"], t["vendor"], t["fine"]}
    assert "VENCIDA" in opened
    recent = html.split("Últimos tickets", 1)[1]
    assert t["done"] in recent and t["risk"] not in recent
    assert escaped(SCRIPT) in html
    html = page(web, "/clientes/hostil.mx")
    assert escaped(f"Ayuda {SCRIPT} {IMG}") in html


# -- attachments -----------------------------------------------------------------------------


def _attachment(desk, name):
    with desk.app.sessions() as s:
        return s.scalar(select(AttachmentRow).where(AttachmentRow.filename == name))


def test_attachment_download_is_never_rendered(web, desk):
    att = _attachment(desk, "_script_.html")
    r = web.get(f"/adjuntos/{att.id}")
    assert r.status_code == 200
    assert r.content == HTML_FILE
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["x-content-type-options"] == "nosniff"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''_script_.html" in disposition
    assert "<" not in disposition and "\r" not in disposition and "\n" not in disposition
    att = _attachment(desk, "reporte año.txt")
    r = web.get(f"/adjuntos/{att.id}")
    assert r.content == b"texto del reporte"
    assert r.headers["content-type"] == "application/octet-stream"
    assert "filename*=UTF-8''reporte%20a%C3%B1o.txt" in r.headers["content-disposition"]
    assert 'filename="reporte a_o.txt"' in r.headers["content-disposition"]


def test_dropped_and_unknown_attachments_are_404(web, desk):
    att = _attachment(desk, "enorme.zip")
    assert att.dropped
    html = page(web, f"/adjuntos/{att.id}", 404)
    assert "no se conservó" in html
    page(web, "/adjuntos/987654", 404)
    assert web.get("/adjuntos/abc").status_code == 404


def test_pages_and_attachments_need_a_session(desk):
    att = _attachment(desk, "_script_.html")
    with TestClient(create_app(lambda: desk.app), base_url=BASE) as anonymous:
        for url in ("/", f"/tickets/{desk.t['hostile']}", f"/adjuntos/{att.id}", "/clientes/hostil.mx", "/buscar"):
            r = anonymous.get(url, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login", url
            assert HTML_FILE not in r.content


def test_download_name_is_header_safe():
    assert views.download_name('../../etc/pa"ss\r\nX-Evil: 1;.txt') == "pa_ss__X-Evil_ 1_.txt"
    assert views.download_name("C:\\Users\\x\\<script>.html") == "_script_.html"
    assert views.download_name("\u202egnp.exe") == "_gnp.exe"
    assert views.download_name("") == "adjunto"
    assert views.download_name("..") == "adjunto"


# -- search ----------------------------------------------------------------------------------


def test_search_page_shows_results_as_text(web, desk, monkeypatch):
    t = desk.t
    calls = []

    def fake(session, q, limit=50):
        calls.append((q, limit))
        return [
            {
                "number": t["hostile"],
                "subject": f"Ayuda {SCRIPT} {IMG}",
                "snippet": f"… zanahoria {SCRIPT} {LINK} …",
                "status": "in_progress",
                "at": desk.now,
            }
        ]

    monkeypatch.setattr(fulltext, "search", fake)
    html = page(web, "/buscar?q=" + quote(f"zanahoria {SCRIPT}"))
    assert calls == [(f"zanahoria {SCRIPT}", 50)]
    assert f'href="/tickets/{t["hostile"]}"' in html
    assert escaped(f"Ayuda {SCRIPT} {IMG}") in html
    assert escaped(f"… zanahoria {SCRIPT} {LINK} …") in html
    assert f'value="{escaped(f"zanahoria {SCRIPT}")}"' in html
    assert "en progreso" in html and "2026-12-07 12:00" in html
    # No query: the form, no search.
    html = page(web, "/buscar")
    assert len(calls) == 1 and 'name="q"' in html


def test_search_page_with_the_real_index(web, desk):
    t = desk.t
    html = page(web, "/buscar?q=zanahoria")
    found = re.findall(r'href="/tickets/([^"]+)"', html.split("<main>", 1)[1])
    assert sorted(found) == sorted([t["hostile"], t["html"]])
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', html, re.S)
    assert any(escaped(SCRIPT) in s for s in snippets), snippets
    # A query made of markup is words, shown as text.
    html = page(web, "/buscar?q=" + quote(SCRIPT))
    assert f'value="{escaped(SCRIPT)}"' in html


# -- the report ------------------------------------------------------------------------------


def test_report_page(web, desk):
    t = desk.t
    html = page(web, "/reporte?quarter=2026Q4")
    assert "Reporte trimestral de soporte IMAGEN TI: 2026Q4" in html
    assert html.count("<html") == 1 and html.count("<body") == 1
    assert "Resumen" in html and "Tickets recibidos" in html
    assert "Clientes que requieren atención" in html
    # The overdue ticket listed (its hostile subject as text), the clients linked.
    assert f'href="/tickets/{t["over"]}"' in html
    assert escaped("Varios usuarios sin correo") in html
    assert 'href="/clientes/cliente.com.mx"' in html
    # Charts as data: PNGs (when the drawing process works) and always as tables.
    images = re.findall(r'<img class="chart" src="([^"]+)"', html)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert '<table class="figures">' in html
    # The default is the last finished quarter; a wrong one is a 400 with the form.
    html = page(web, "/reporte")
    assert "2026Q3" in html
    html = page(web, "/reporte?quarter=" + quote(SCRIPT), 400)
    assert "no es un trimestre" in html and escaped(SCRIPT) in html


def test_every_page_is_inert(web, desk):
    """Every page of the seeded desk, hostile mail included: no live markup, no inline style, no external resource."""
    t = desk.t
    urls = ["/", "/clientes/hostil.mx", "/clientes/cliente.com.mx", "/reporte?quarter=2026Q4"]
    urls += [f"/tickets/{n}" for n in t.values()]
    for url in urls:
        html = page(web, url)
        assert not re.search(r"(src|href)=\"(https?:)?//", html), url
    with desk.app.sessions() as s:
        bodies = [m.body_text for m in s.scalars(select(MessageRow).where(MessageRow.body_text.like("%alert(1)%")))]
    assert bodies  # the payloads are stored as written: the escaping is the page's


def test_a_client_domain_no_route_takes_breaks_no_page(web, desk):
    # A client can write from a domain with a slash in it; its ticket must not fail the board.
    number = Seed(desk).ticket(
        desk.now, "Raro <juan@cliente/x.mx>", "Dominio raro", "Una duda, no es urgente.", message_id="<raro@x.mx>"
    )
    board = page(web, "/")
    assert number in board and 'href="/buscar?q=cliente%2Fx.mx"' in board
    ticket = page(web, "/tickets/" + number)
    assert 'href="/buscar?q=cliente%2Fx.mx"' in ticket


# -- odd requests ----------------------------------------------------------------------------


def test_numbers_no_column_holds_and_unknown_paths_are_404_pages_in_spanish(web, desk):
    # Each of these was a 500: a sequence or an id past what the database stores, a digit int() refuses.
    for url in (
        "/tickets/99999999999999999999",
        "/tickets/" + "9" * 5000,
        "/tickets/%C2%B2",  # "²": a digit to str.isdigit, not to int()
        "/tickets/2147483648",
        "/adjuntos/2147483648",
        "/adjuntos/99999999999999999999999",
    ):
        html = page(web, url, 404)
        assert "Volver al tablero" in html, url
    # A path no route takes, and a method a page does not answer: the board's own page, in Spanish.
    html = page(web, "/no-existe", 404)
    assert "<h1>No encontrado</h1>" in html and "Esa página no existe" in html
    r = web.request("DELETE", "/")
    assert r.status_code == 405 and "Método no permitido" in r.text and r.headers["allow"]
    assert r.headers["content-security-policy"] and r.headers["cache-control"] == "no-store"
    # The sequence number still finds its ticket.
    assert page(web, "/tickets/" + str(int(desk.t["over"].split("-")[1])))


def test_a_page_that_fails_is_a_500_page_in_spanish_with_the_security_headers(desk, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "show_ticket", broken)
    with TestClient(create_app(lambda: desk.app), base_url=BASE, raise_server_exceptions=False) as client:
        login(client, desk)
        r = client.get(f"/tickets/{desk.t['over']}")
    assert r.status_code == 500
    assert "Error del tablero" in r.text and "database" not in r.text and "Traceback" not in r.text
    assert r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"


def test_the_host_header_builds_nothing_and_another_name_is_refused(web, desk):
    # Links are paths whatever Host says; a name that is not base_url's (a DNS-rebinding page,
    # a Host-header injection) gets a 400 and nothing else: no page, no login mail.
    for host in ("evil.example", "evil.example:443", "mesa.imagenti.mx.evil.example", "[::1", "a b"):
        r = web.get("/", headers={"Host": host})
        assert r.status_code == 400, host
        assert "evil" not in r.text and f'href="{BASE}/"' in r.text
        assert r.headers["content-security-policy"]
    anonymous = TestClient(create_app(lambda: desk.app), base_url=BASE)
    form = anonymous.get("/login")
    asked = anonymous.post(
        "/login",
        data={"csrf": re.search(r'name="csrf" value="([^"]*)"', form.text).group(1), "address": ANA},
        headers={"Host": "evil.example"},
    )
    assert asked.status_code == 400
    with desk.app.sessions() as s:
        assert len(s.scalars(select(MessageRow).where(MessageRow.kind == "web_login")).all()) == 1  # web's own login
    # base_url's host in any case, with a trailing dot; localhost and addresses (a proxy's upstream).
    for host in ("MESA.imagenti.mx", "mesa.imagenti.mx.", "mesa.imagenti.mx:8443", "localhost:8026", "127.0.0.1:8026"):
        r = web.get("/", headers={"Host": host})
        assert r.status_code == 200, host
        assert not re.search(r'(href|action|src)="(https?:)?//', r.text)
    # Over https the answer says to stay on https.
    assert web.get("/").headers["strict-transport-security"] == "max-age=31536000"


def under(prefix: str, asgi):
    """The reverse proxy of docs/web.md under a path: it takes ``prefix``/… and forwards …, ``prefix`` stripped."""

    async def proxy(scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            assert path == prefix or path.startswith(prefix + "/"), path
            stripped = path[len(prefix) :] or "/"
            scope = {**scope, "path": stripped, "raw_path": stripped.encode()}
        await asgi(scope, receive, send)

    return proxy


def cookie_lines(response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_base_url_with_a_path_puts_it_before_every_link_redirect_and_cookie(make_settings, db_url):
    """base_url = https://intranet.imagenti.mx/mesa: the proxy strips /mesa, the board's links keep it.

    The browser (TestClient at …/mesa, through ``under``) keeps cookies by path as
    browsers do: cookies at /mesa/ reach the board, and no other application on the host.
    """
    settings = make_settings(db_url=db_url, web={"base_url": "https://intranet.imagenti.mx/mesa/"})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    try:
        number = Seed(d).ticket(at(2026, 12, 3, 10), A, "Una consulta", "Quisiera saber algo, no es urgente.")
        board = under("/mesa", create_app(lambda: d.app))
        with TestClient(board, base_url="https://intranet.imagenti.mx/mesa") as client:
            r = client.get("/", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/mesa/login"
            form = client.get("/login")
            assert 'action="/mesa/login"' in form.text and 'href="/mesa/static/style.css"' in form.text
            [pre] = cookie_lines(form)
            assert pre.startswith("mailbot_pre=") and "; Path=/mesa/;" in pre and "Secure" in pre
            login(client, d)
            assert {c.name: c.path for c in client.cookies.jar} == {"mailbot_session": "/mesa/"}
            html = client.get("/").text
            assert f'href="/mesa/tickets/{number}"' in html and 'href="/mesa/clientes/cliente.com.mx"' in html
            links = re.findall(r'(?:href|action|src)="([^"]*)"', html)
            assert links and all(link.startswith("/mesa/") for link in links), links
            csrf = re.search(r'name="csrf" value="([^"]*)"', html).group(1)
            out = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
            assert out.headers["location"] == "/mesa/login"
            # The session is removed where it lives, and at / where a board under a path once put it.
            removed = cookie_lines(out)
            assert [c for c in removed if c.startswith("mailbot_session=;")] == removed and len(removed) == 2
            assert {c.split("; Path=")[1].split(";")[0] for c in removed} == {"/mesa/", "/"}
            assert all("Max-Age=0" in c for c in removed)
        with d.app.sessions() as s:
            [record] = s.scalars(select(MessageRow.body_text).where(MessageRow.kind == "web_login")).all()
        assert "https://intranet.imagenti.mx/mesa/login/confirm?token=" in record
    finally:
        d.close()


def test_a_session_left_at_the_hosts_root_does_not_shadow_a_new_login(make_settings, db_url):
    """A board under a path that once set its cookies at / : signing in again removes that copy."""
    settings = make_settings(db_url=db_url, web={"base_url": "https://intranet.imagenti.mx/mesa"})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    try:
        with TestClient(under("/mesa", create_app(lambda: d.app)), base_url="https://intranet.imagenti.mx/mesa") as c:
            login(c, d)
            done = [line for line in cookie_lines(c.get("/")) if line.startswith("mailbot_session=")]
            assert len(done) == 1 and "; Path=/mesa/;" in done[0]
            # The same session at / (as the board set it before), then a sign-out voids both copies.
            old = c.cookies.get("mailbot_session", path="/mesa/")
            c.cookies.set("mailbot_session", old, domain="intranet.imagenti.mx", path="/")
            csrf = re.search(r'name="csrf" value="([^"]*)"', c.get("/").text).group(1)
            d.at(at(2026, 12, 3, 9, 1))
            c.post("/logout", data={"csrf": csrf}, follow_redirects=False)
            d.at(at(2026, 12, 3, 9, 2))
            login(c, d)
            # Left at /, the signed-out copy would come last in the Cookie header and win: a 303 to the login.
            assert c.get("/", follow_redirects=False).status_code == 200
            assert {k.path for k in c.cookies.jar if k.name == "mailbot_session"} == {"/mesa/"}
    finally:
        d.close()


def test_a_trailing_slash_is_a_spanish_404_never_a_redirect_built_from_host(make_settings, db_url):
    """Starlette would answer /login/ with 307 to http://<Host>/login: the Host's name and no /mesa."""
    settings = make_settings(db_url=db_url, web={"base_url": "https://intranet.example.mx/mesa"})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    try:
        with TestClient(under("/mesa", create_app(lambda: d.app)), base_url="https://intranet.example.mx/mesa") as c:
            for path in ("/login/", "/login/confirm/", "/static/"):
                r = c.get(path, headers={"Host": "intranet.example.mx"}, follow_redirects=False)
                assert r.status_code == 404 and "location" not in r.headers, (path, r.status_code, r.headers)
                assert "No encontrado" in r.text and 'href="/mesa/' in r.text
            login(c, d)
            for path in ("/buscar/", "/reporte/", "/tickets/IMG-000001/"):
                r = c.get(path, headers={"Host": "10.0.0.5:8026"}, follow_redirects=False)
                assert r.status_code == 404 and "location" not in r.headers, (path, r.status_code, r.headers)
                assert "No encontrado" in r.text
                links = re.findall(r'(?:href|action|src)="([^"]*)"', r.text)
                assert links and all(link.startswith("/mesa/") for link in links), links
            assert c.get("/buscar", follow_redirects=False).status_code == 200
    finally:
        d.close()


@pytest.mark.parametrize(
    ("base_url", "path", "hsts"),
    [("https://mesa.imagenti.mx", "/", True), ("https://intranet.imagenti.mx/mesa", "/mesa/", False)],
)
def test_cookies_live_under_base_urls_path_and_hsts_only_on_a_host_of_its_own(
    make_settings, db_url, base_url, path, hsts
):
    settings = make_settings(db_url=db_url, web={"base_url": base_url})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    root = path.rstrip("/")
    board = create_app(lambda: d.app)
    try:
        with TestClient(under(root, board) if root else board, base_url=base_url) as c:
            first = c.get("/login")
            for r in (first, c.get("/", follow_redirects=False), c.get("/no-existe"), c.get("/static/style.css")):
                assert ("strict-transport-security" in r.headers) is hsts, (base_url, r.url, r.status_code)
            [pre] = cookie_lines(first)
            assert pre.startswith("mailbot_pre=") and f"; Path={path};" in pre
            login(c, d)
            [session] = cookie_lines(c.get("/"))
            assert session.startswith("mailbot_session=") and f"; Path={path};" in session
    finally:
        d.close()


def test_made_up_host_names_leave_the_untrusted_proxy_warning_its_own_budget(make_settings, db_url, caplog):
    """Anyone can send many Host names; that must not silence the warning that the reverse proxy is not trusted."""
    settings = make_settings(db_url=db_url, web={"base_url": BASE})
    d = ClockDesk(settings, at(2026, 12, 3, 9))
    try:
        with (
            TestClient(create_app(lambda: d.app), base_url=BASE) as c,
            caplog.at_level("WARNING", logger="mailbot.web"),
        ):
            for i in range(40):
                assert c.get("/login", headers={"Host": f"n{i}.evil.example"}).status_code == 400
            refused = [r for r in caplog.records if "web request for Host" in r.getMessage()]
            assert len(refused) == 16  # the Host warnings' own limit
            assert c.get("/login", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200
            assert c.get("/login", headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 200
        said = [r.getMessage() for r in caplog.records if "trusted_proxies does not name testclient" in r.getMessage()]
        assert len(said) == 1, said
    finally:
        d.close()
