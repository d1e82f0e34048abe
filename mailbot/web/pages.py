"""What every page handler shares: the App in force, a database session, and rendering a template.

``create_app`` (``mailbot.web.app``) stores the callable that returns the App
in force (the daemon's, which a reload replaces) as ``app.state.current_app``;
the session middleware puts the signed-in address in ``request.state.user``
and the form token in ``request.state.csrf``. Templates' ``url_for`` and
``client_href`` write paths under ``[web] base_url``'s path, never absolute URLs.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
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


def root_of(app: App) -> str:
    """The path ``[web] base_url`` puts before every page ("" or e.g. "/mesa", which the proxy strips).

    Links are paths under it, never absolute URLs: an absolute URL would be built from the
    request's Host header, which whoever sends the request writes.
    """
    return urlsplit(app.settings.web.base_url).path.rstrip("/")


def root(request: Request) -> str:
    return root_of(current_app(request))


def path_for(request: Request, name: str, /, **params) -> str:
    """The link to the route ``name``: a path under ``root``, whatever Host the request named."""
    return root(request) + str(request.app.url_path_for(name, **params))


def client_path(domain: str | None) -> str:
    """The link to a client's page (``root`` goes before it). A domain comes from mail, and a client can write
    one no route takes (a slash in it): that one links to a search for it instead of failing the whole page."""
    if not domain or "/" in domain or "\\" in domain:
        return "/buscar?q=" + quote(domain or "", safe="")
    return "/clientes/" + quote(domain, safe="@")


@pass_context
def _url_for(context, name: str, /, **params) -> str:
    return path_for(context["request"], name, **params)


@pass_context
def _client_href(context, domain: str | None) -> str:
    return root(context["request"]) + client_path(domain)


# Starlette's own url_for writes absolute URLs from the Host header: replaced by paths.
templates.env.globals["url_for"] = _url_for
templates.env.globals["client_href"] = _client_href


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
