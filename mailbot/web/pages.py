"""What every page handler shares: the App in force, a database session, and rendering a template.

``create_app`` (``mailbot.web.app``) stores the callable that returns the App
in force (the daemon's, which a reload replaces) as ``app.state.current_app``;
the session middleware puts the signed-in address in ``request.state.user``
and the form token in ``request.state.csrf``.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from mailbot.app import App

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Autoescaped everywhere (not only *.html): nothing from a mail is ever markup.
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))
)


def client_href(domain: str | None) -> str:
    """The link to a client's page. A domain comes from mail, and a client can write one no route
    takes (a slash in it): that one links to a search for it instead of failing the whole page."""
    if not domain or "/" in domain or "\\" in domain:
        return "/buscar?q=" + quote(domain or "", safe="")
    return "/clientes/" + quote(domain, safe="@")


templates.env.globals["client_href"] = client_href


def current_app(request: Request) -> App:
    return request.app.state.current_app()


@contextmanager
def session(request: Request):
    """A read-only database session of the App in force (the web changes no ticket)."""
    with current_app(request).sessions() as s:
        yield s


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """The template ``name`` with what every page shows: the company, who is signed in, the form token."""
    app = current_app(request)
    base = {
        "company": app.settings.mailbot.company,
        "user": getattr(request.state, "user", None),
        "csrf": getattr(request.state, "csrf", ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def form(request: Request) -> dict[str, str]:
    """The fields of a POSTed form (the first value of each), as the guard parsed them after its CSRF check."""
    return getattr(request.state, "form", None) or {}
