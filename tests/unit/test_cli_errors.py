"""Every mistake on the command line is one line ``error: ...`` and a documented exit code.

The real ``mailbot`` command, run with click's CliRunner in this process (no
mocks): what a person typing it would see on stderr, and the exit code a
script or service manager gets.
"""

from importlib.metadata import version

import click
import pytest

from mailbot import cli as cli_module
from mailbot.cli import cli
from mailbot.cli.common import SEVERITY, STATUS
from mailbot.errors import AlreadyRunning
from mailbot.exitcodes import Exit
from tests.support.runners import in_process_cli


@pytest.fixture
def mailbot(tmp_path, monkeypatch):
    """Run ``mailbot ARGS`` in an empty folder (built-in defaults unless --config is given)."""
    monkeypatch.chdir(tmp_path)
    invoke = in_process_cli(monkeypatch)

    def run(*args, input=None):
        return invoke(*args, input=input, prog_name="mailbot")

    return run


def one_error_line(result, code):
    """The result failed with ``code`` and said why in exactly one ``error:`` line, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught exception
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "args,says",
    [
        (
            ["tickets", "list", "--status", "abierto"],
            [
                "'abierto' is not a status",
                "nuevo, en-progreso, esperando-cliente, esperando-fabricante, resuelto, cerrado",
                "in_progress",
            ],
        ),
        (["tickets", "list", "--severity", "urgente"], ["'urgente' is not a severity", "critica, grave, leve"]),
        (["tickets", "list", "--limit", "0"], ["--limit"]),
        (["tickets", "list", "--limit", "5", "--all"], ["--limit N or --all, not both"]),
        (["quarantine", "retry"], ["give the ids of held mails", "--all"]),
        (["quarantine", "retry", "3", "--all"], ["ids or --all, not both"]),
        (["tickets", "close", "IMG-000001", "--summary", ""], ["--summary", "must not be blank"]),
        (["tickets", "close", "IMG-000001", "--summary", "  \t "], ["--summary", "must not be blank"]),
        (["tickets", "close", "IMG-000001"], ["missing option '--summary'"]),
        (["tickets", "escalate", "IMG-000001"], ["exactly one of --vendor NAME or --manager"]),
        (
            ["tickets", "escalate", "IMG-000001", "--vendor", "kaspersky"],
            ["'kaspersky' is not a configured vendor", "withsecure"],
        ),
        (["sla", "deadline", "--severity", "critica", "--from", "ayer"], ["--from", "'ayer' is not an ISO time"]),
        (["sla", "deadline", "--severity", "alta", "--from", "2026-11-27T17:30"], ["'alta' is not a severity"]),
        (["report", "quarterly", "--quarter", "2026Q5"], ["--quarter", "not a quarter"]),
        (["report", "quarterly", "--send", "--client", "cliente.com.mx"], ["leave out --client"]),
        (["tickets", "lista"], ["no such command 'lista'"]),
        (["--no-such-option", "check"], ["no such option"]),
        (["rules", "test", "no-such-file.eml"], ["no-such-file.eml", "No such file"]),
    ],
)
def test_bad_arguments_are_refused_with_one_line_and_exit_64(mailbot, tmp_path, args, says):
    line = one_error_line(mailbot(*args), Exit.USAGE)
    for text in says:
        assert text in line, line
    assert "(see 'mailbot" in line  # where the valid forms are
    assert not any(tmp_path.iterdir())  # refused before anything was opened


def test_a_bare_group_prints_its_help_and_exits_64(mailbot):
    result = mailbot("tickets")
    assert result.exit_code == Exit.USAGE
    assert "list" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("typed", ["crítica", "CRITICA", "Crítica", "critica", " CRÍTICA "])
def test_severities_accept_what_people_type(mailbot, typed):
    result = mailbot("sla", "deadline", "--severity", typed, "--from", "2026-11-27T17:30", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"severity": "critica"' in result.stdout


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("nuevo", "new"),
        ("Nuevo", "new"),
        ("new", "new"),
        ("en-progreso", "in_progress"),
        ("En progreso", "in_progress"),
        ("EN_PROGRESO", "in_progress"),
        ("in_progress", "in_progress"),
        ("in-progress", "in_progress"),
        ("esperando-cliente", "waiting_client"),
        ("waiting_client", "waiting_client"),
        ("resuelto", "resolved"),
        ("RESUELTO", "resolved"),
        ("resolved", "resolved"),
        ("cerrado", "closed"),
        ("Cerrado", "closed"),
        ("closed", "closed"),
    ],
)
def test_statuses_accept_the_words_of_estado_and_the_stored_values(typed, stored):
    assert STATUS.convert(typed, None, None) == stored


@pytest.mark.parametrize("typed", ["grave", "GRAVE", "Leve", "leve"])
def test_other_severities(typed):
    assert SEVERITY.convert(typed, None, None) == typed.lower()


def test_config_errors_are_one_line_each_and_exit_78(mailbot, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[mailbot]\ncolor = "azul"\n[lmtp]\nport = "x"\n')
    result = mailbot("--config", str(bad), "tickets", "list")
    assert result.exit_code == Exit.CONFIG, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"error: {bad}:") for line in lines), result.stderr
    assert any("mailbot.color" in line for line in lines)
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_one_line_and_exit_78(mailbot, tmp_path):
    line = one_error_line(mailbot("--config", str(tmp_path / "nope.toml"), "check"), Exit.CONFIG)
    assert line == f"error: {tmp_path / 'nope.toml'}: cannot read: No such file or directory"


@pytest.mark.parametrize(
    "content,says",
    [
        (b"", "empty"),
        (b"\n  \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4, "not a mail"),
        (b"Hola, la VPN no conecta desde ayer.\nSaludos\n", "not a mail"),
    ],
)
def test_rules_test_on_something_that_is_not_a_mail_says_so_and_exits_65(mailbot, tmp_path, content, says):
    sample = tmp_path / "sample.eml"
    sample.write_bytes(content)
    line = one_error_line(mailbot("rules", "test", str(sample)), Exit.DATAERR)
    assert line.startswith(f"error: {sample}: {says}"), line
    stdin = one_error_line(mailbot("rules", "test", "-", input=content), Exit.DATAERR)
    assert stdin.startswith(f"error: standard input: {says}"), stdin


def test_rules_test_still_reads_an_odd_but_real_mail(mailbot):
    # Conservative: a header and a body is a mail, even without From.
    result = mailbot("rules", "test", "-", input=b"Subject: sin remitente\n\nla vpn no conecta\n")
    assert result.exit_code == 0, result.stderr
    assert "would send" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["ingest"],  # no SOURCE
        ["ingest", "no-such-file.eml"],
        ["ingest", "--bogus", "-"],
    ],
)
def test_ingest_answers_an_mta_with_75_even_for_a_bad_command_line(mailbot, args):
    # Any code but 0 or 75 makes the MTA bounce the client's mail.
    one_error_line(mailbot(*args, input=b""), Exit.TEMPFAIL)


def test_ingest_with_a_broken_config_is_75_not_78(mailbot, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[mailbot\n")
    line = one_error_line(mailbot("--config", str(bad), "ingest", "-", input=b"From: a@b.mx\n\nhola\n"), Exit.TEMPFAIL)
    assert str(bad) in line and "TOML" in line


def test_ingest_help_lists_its_exit_codes(mailbot):
    result = mailbot("ingest", "-h")
    assert result.exit_code == 0
    assert "0 " in result.stdout and "75" in result.stdout and "bounce" in result.stdout


def test_version_and_short_help(mailbot):
    result = mailbot("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"mailbot {version('mailbot')}"
    assert mailbot("-h").stdout == mailbot("--help").stdout
    sub = mailbot("tickets", "list", "-h")
    assert sub.exit_code == 0 and "--overdue" in sub.stdout


def _commands(group: click.Group, path=("mailbot",)):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_command_and_option_has_a_help_line():
    missing = []
    for path, command in [(("mailbot",), cli), *_commands(cli)]:
        if not (command.help or command.short_help):
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not param.help:
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_already_running_maps_to_75():
    assert cli_module._exit_for(AlreadyRunning("another mailbot holds var/mailbot.db"))[0] == Exit.TEMPFAIL
