import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.config import load_settings, parse_duration
from mailbot.errors import ConfigError
from mailbot.exitcodes import Exit
from mailbot.resources import shipped

ROOT = Path(__file__).resolve().parents[2]


def problems_of(tmp_path, text):
    p = tmp_path / "mailbot.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(p)
    return [(Path(f).name, line, msg) for f, line, msg in info.value.problems]


@pytest.mark.parametrize(
    "text,line,fragment",
    [
        ('[mailbot]\naddress = "soporte@imagenti.mx"\ntimezon = "UTC"\n', 3, "mailbot.timezon: unknown key"),
        ('[imap]\nhost = "h"\nusername = "u"\nport = "abc"\n', 4, "imap.port"),
        ('[imap]\nhost = "h"\n', 1, "imap.username: required key is missing"),
        ('\n[sla.attention]\ncritica = "2x"\n', 3, "not a duration"),
        ('[team]\nengineers = ["ana@imagenti.mx", "no-es-correo"]\n', 2, "not an email address"),
        ('[calendar]\nhours = ["18:00", "09:00"]\n', 2, "opening hour must come before"),
        ('[mailbot]\ntimezone = "Mars/Olympus"\n', 2, "unknown time zone"),
        ('[mailbot]\nnumber_format = "IMG-{n}"\n', 2, "{seq}"),
        (
            '[vendors.withsecure]\naddress = "support@withsecure.com"\nlanguage = "fr"\n',
            3,
            "vendors.withsecure.language",
        ),
        ("[mailbot\naddress = 1\n", 1, "TOML syntax"),
        (
            '[smtp]\nhost = "h"\ntimeout = "2m"\n[outbox]\nlease = "5m"\n',
            5,
            "outbox.lease (0:05:00) must be at least 4",
        ),
        ('[smtp]\nhost = "h"\ntimeout = "2m"\n', 3, "must be at least 4 × smtp.timeout (0:02:00)"),
        ("[lmtp]\nenabled = true\nport = 70000\n", 3, "lmtp.port: not a port number: 70000 (use 1-65535)"),
        ("[health]\nport = 0\n", 2, "health.port: not a port number: 0"),
        ('[imap]\nhost = "h"\nusername = "u"\nport = 65536\n', 4, "imap.port: not a port number"),
        ('[smtp]\nhost = "h"\nport = -25\n', 3, "smtp.port: not a port number: -25"),
        ("[lmtp]\nport = true\n", 2, "lmtp.port: not a port number: True"),
        ('[database]\nurl = "mysql://mailbot@db/mailbot"\n', 2, "database.url: unknown database URL scheme 'mysql://'"),
        ('# ops\n[database]\nurl = "postgres://mailbot@db/mailbot"\n', 3, "unknown database URL scheme 'postgres://'"),
        ('[database]\nurl = "var/mailbot.db"\n', 2, "database.url: unknown database URL scheme"),
    ],
)
def test_config_errors_name_file_line_and_key(tmp_path, text, line, fragment):
    problems = problems_of(tmp_path, text)
    assert any(f == "mailbot.toml" and ln == line and fragment in msg for f, ln, msg in problems), problems


def test_several_errors_are_reported_at_once(tmp_path):
    problems = problems_of(tmp_path, '[mailbot]\nbogus = 1\n[sla]\ncheck_interval = "soon"\n')
    assert [ln for _, ln, _ in problems] == [2, 4]


def test_example_config_is_valid_and_documents_the_terms():
    s = load_settings(ROOT / "config.example.toml")
    assert s.mailbot.address == "soporte@imagenti.mx"
    assert s.team.manager == "francisco.martinez@imagenti.mx"
    assert {v: s.vendors[v].address for v in s.vendors} == {
        "withsecure": "support@withsecure.com",
        "safetica": "support@esetla.com",
        "sonicwall": "support@sonicwall.com",
    }
    assert s.calendar.hours == ("09:00", "18:00")
    assert s.sla.attention.critica.total_seconds() == 7200


def test_secrets_stay_out_of_repr(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[imap]\nhost = "h"\nusername = "u"\npassword = "hunter2"\n')
    s = load_settings(p)
    assert "hunter2" not in repr(s) and s.imap.secret() == "hunter2"


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), (45, 45)])
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


def test_check_command_fails_on_bad_config(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[mailbot]\naddress = "soporte@imagenti.mx"\ncolor = "azul"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(p), "check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode != 0
    assert f"{p}:3: mailbot.color: unknown key" in proc.stderr


def test_check_command_reports_template_line(tmp_path):
    tdir = tmp_path / "templates"
    tdir.mkdir()
    for name in ("acknowledgement.txt", "new_ticket_notice.txt"):
        (tdir / name).write_text((shipped("templates") / name).read_text())
    (tdir / "acknowledgement.txt").write_text("Subject: x\n\nhola\n{{ ticket.number }\n")
    p = tmp_path / "c.toml"
    p.write_text(f'[mailbot]\ntemplates_dir = "{tdir}"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(p), "check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == Exit.CONFIG
    assert f"{tdir / 'acknowledgement.txt'}:4:" in proc.stderr


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///var/mailbot.db",
        "sqlite:////var/lib/mailbot/mailbot.db",
        "postgresql://mailbot@db/mailbot",
        "postgresql+psycopg://mailbot:pw@db:5433/m",
    ],
)
def test_database_urls_mailbot_can_open_are_accepted(tmp_path, url):
    p = tmp_path / "mailbot.toml"
    p.write_text(f'[database]\nurl = "{url}"\n')
    assert load_settings(p).database.url == url


def test_ports_at_the_ends_of_the_range_are_accepted(tmp_path):
    p = tmp_path / "mailbot.toml"
    p.write_text("[lmtp]\nport = 1\n[health]\nport = 65535\n")
    s = load_settings(p)
    assert (s.lmtp.port, s.health.port) == (1, 65535)


def test_check_command_names_the_database_url_key(tmp_path):
    p = tmp_path / "mailbot.toml"
    p.write_text('[mailbot]\naddress = "soporte@imagenti.mx"\n\n[database]\nurl = "mysql://mailbot:pw@db/m"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(p), "check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == Exit.CONFIG
    assert f"{p}:5: database.url:" in proc.stderr and "Traceback" not in proc.stderr
    assert ":pw@" not in proc.stderr
