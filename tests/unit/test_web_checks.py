"""The web board's configuration warnings (``web_problems``) and the names it answers to (``host_allowed``).

``mailbot check``, ``mailbot run`` and ``mailbot web`` print what ``web_problems``
finds, one line each naming the file and the key's line; the board itself
refuses a Host that is none of its names.
"""

from __future__ import annotations

import pytest

from mailbot.daemon.checks import check_all, web_problems
from mailbot.web.app import host_allowed
from mailbot.web.auth import cookie_header, cookie_path
from tests.support.config import config_data, write_settings
from tests.support.runners import in_process_cli


def settings_with(tmp_path, **web):
    return write_settings(
        tmp_path / "mailbot.toml", config_data(tmp_path / "var", f"sqlite:///{tmp_path}/mailbot.db", web=web)
    )


def warnings_of(settings, always=False) -> list[tuple[int | None, str]]:
    warnings: list = []
    assert web_problems(settings, warnings, always=always) == []
    for file, _line, _msg in warnings:
        assert file == str(settings.source)
    return [(line, msg) for _file, line, msg in warnings]


def test_a_proxied_board_without_trusted_proxies_is_one_warning_naming_the_key(tmp_path):
    settings = settings_with(tmp_path, enabled=True, base_url="https://mesa.imagenti.mx")
    [(line, msg)] = warnings_of(settings)
    lines = settings.source.read_text().splitlines()
    assert lines[line - 1].startswith("base_url")
    assert msg.startswith("web.base_url https://mesa.imagenti.mx is not loopback but web.trusted_proxies is empty")
    assert "login rate limit" in msg and 'trusted_proxies = ["127.0.0.1"]' in msg
    # An empty trusted_proxies written out is the line named.
    settings = settings_with(tmp_path, enabled=True, base_url="https://mesa.imagenti.mx", trusted_proxies=[])
    [(line, msg)] = warnings_of(settings)
    assert settings.source.read_text().splitlines()[line - 1].startswith("trusted_proxies")
    # mailbot web says it too (the board served whatever `enabled` says), and check_all through the daemon.
    settings = settings_with(tmp_path, base_url="https://mesa.imagenti.mx")
    assert [m for _, m in warnings_of(settings, always=True) if "trusted_proxies is empty" in m]
    settings = settings_with(tmp_path, enabled=True, base_url="https://mesa.imagenti.mx")
    _problems, warnings = check_all(settings)
    assert [w for w in warnings if "web.trusted_proxies is empty" in w[2]]


@pytest.mark.parametrize(
    "web",
    [
        {"enabled": True, "base_url": "https://mesa.imagenti.mx", "trusted_proxies": ["127.0.0.1"]},
        {"enabled": True, "base_url": "http://127.0.0.1:8026"},  # loopback: nobody else comes in
        {"enabled": True, "base_url": "http://localhost:8026"},
        {"enabled": False, "base_url": "https://mesa.imagenti.mx"},  # the board is not served
    ],
)
def test_no_proxy_warning_when_the_proxy_is_named_or_there_is_none(tmp_path, web):
    assert [m for _, m in warnings_of(settings_with(tmp_path, **web)) if "trusted_proxies" in m] == []


def test_a_board_open_to_the_network_is_still_its_own_single_warning(tmp_path):
    settings = settings_with(tmp_path, enabled=True, host="0.0.0.0", base_url="https://mesa.imagenti.mx")
    [(_line, msg)] = warnings_of(settings)
    assert msg.startswith("web.host 0.0.0.0 is not loopback and web.trusted_proxies is empty")


@pytest.mark.parametrize(
    "host,allowed",
    [
        ("mesa.imagenti.mx", True),
        ("MESA.imagenti.mx:443", True),
        ("mesa.imagenti.mx.", True),
        ("localhost:8026", True),
        ("127.0.0.1:8026", True),
        ("10.0.0.5", True),  # a proxy forwarding its upstream's address
        ("[::1]:8026", True),
        ("evil.example", False),
        ("mesa.imagenti.mx.evil.example", False),
        ("evil.example@mesa.imagenti.mx", True),  # urlsplit's host: the part after the @ (ours)
        ("mesa.imagenti.mx, evil.example", False),  # two Host headers
        ("[::1", False),
        ("", False),
        ("a b", False),
    ],
)
def test_host_allowed(host, allowed):
    assert host_allowed(host, "https://mesa.imagenti.mx/mesa") is allowed


def test_mailbot_check_says_it_in_one_line(tmp_path, monkeypatch):
    settings = settings_with(tmp_path, enabled=True, base_url="https://mesa.imagenti.mx")
    done = in_process_cli(monkeypatch)("--config", settings.source, "check", prog_name="mailbot")
    assert done.exit_code == 0, done.output
    line = settings.key_line("web", "base_url")
    said = [w for w in done.stderr.splitlines() if "trusted_proxies" in w]
    assert said == [
        f"warning: {settings.source}:{line}: web.base_url https://mesa.imagenti.mx is not loopback but "
        "web.trusted_proxies is empty: behind a reverse proxy every client shares the proxy's address and its "
        'login rate limit (name the proxy, e.g. trusted_proxies = ["127.0.0.1"]; docs/web.md)'
    ]


@pytest.mark.parametrize(
    ("base_url", "path"),
    [
        ("https://mesa.imagenti.mx", "/"),
        ("https://mesa.imagenti.mx/", "/"),
        ("https://intranet.imagenti.mx/mesa", "/mesa/"),
        ("https://intranet.imagenti.mx/mesa/ayuda/", "/mesa/ayuda/"),
        ("https://intranet.imagenti.mx/méxico", "/m%C3%A9xico/"),  # as the browser sends the path
        ("https://intranet.imagenti.mx/a;b", "/a%3Bb/"),  # a ";" would end the Path attribute
    ],
)
def test_the_cookies_path_is_base_urls(tmp_path, base_url, path):
    settings = settings_with(tmp_path, base_url=base_url)
    assert cookie_path(settings) == path
    line = cookie_header("mailbot_session", "v", max_age=60, secure=True, path=cookie_path(settings))
    assert line == f"mailbot_session=v; Path={path}; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
