"""Where rules, templates and migrations come from: the shipped set, ops' own folders, and mistakes in them."""

from pathlib import Path

import pytest

from mailbot import resources
from mailbot.app import load_rules, load_templates
from mailbot.config import load_settings
from mailbot.daemon.checks import check_all, describe_sources
from mailbot.db.engine import safe_url
from mailbot.errors import ConfigError
from mailbot.rules import load_rules_text

ACK = "acknowledgement.txt"
OWN_ACK = "Subject: Recibido {{ tag }}\n\nTexto propio de la mesa.\n"
OWN_RULE = """[[rule]]
name = "solo-local"
description = "A rule of ops' own"
[rule.match]
subject.any = ["servidor caido"]
[rule.set]
severity = "critica"
"""


def config(folder: Path, text: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mailbot.toml"
    path.write_text(text)
    return path


def problems_of(exc_info) -> list[tuple[str, int | None, str]]:
    return list(exc_info.value.problems)


def test_shipped_folders_are_found_through_the_package():
    templates, rules, migrations = (resources.shipped(n) for n in ("templates", "rules", "migrations"))
    assert (templates / ACK).is_file()
    assert sorted(p.name for p in rules.glob("*.toml"))[0] == "10-ignorar.toml"
    assert (migrations / "env.py").is_file() and any((migrations / "versions").glob("0001_*.py"))


def test_without_a_config_file_the_shipped_set_is_used_even_beside_other_folders(tmp_path, monkeypatch):
    # A rules/ folder in whatever directory mailbot happens to run from is not ops' folder:
    # only one beside a config file is.
    (tmp_path / "rules").mkdir()
    monkeypatch.chdir(tmp_path)
    s = load_settings(None)
    assert s.rules_dir == resources.shipped("rules")
    assert s.templates_dirs == (resources.shipped("templates"),)
    assert load_rules(s).rules


def test_templates_override_file_by_file(tmp_path):
    own = tmp_path / "etc" / "templates"
    own.mkdir(parents=True)
    (own / ACK).write_text(OWN_ACK)
    s = load_settings(config(tmp_path / "etc"))
    templates = load_templates(s)
    assert templates.render(ACK, tag="[T #1]").body == "Texto propio de la mesa.\n"
    assert templates.paths[ACK] == own / ACK
    # What the folder lacks (it was copied from an older version, say) comes from the shipped set.
    assert templates.paths["closure.txt"] == resources.shipped("templates") / "closure.txt"
    assert set(templates.sources) >= {p.name for p in resources.shipped("templates").iterdir()}
    problems, _ = check_all(s)
    assert problems == []


def test_a_template_error_names_the_file_it_came_from(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / ACK).write_text("Subject: x\n\nhola\n{{ ticket.number }\n")
    s = load_settings(config(tmp_path))
    problems, _ = check_all(s)
    assert [(f, line) for f, line, _ in problems] == [(str(own / ACK), 4)]


def test_relative_folders_resolve_against_the_config_file_not_the_working_directory(tmp_path, monkeypatch):
    etc = tmp_path / "etc"
    (etc / "mis-plantillas").mkdir(parents=True)
    (etc / "mis-plantillas" / ACK).write_text(OWN_ACK)
    (etc / "mis-reglas").mkdir()
    (etc / "mis-reglas" / "10-local.toml").write_text(OWN_RULE)
    path = config(
        etc,
        '[mailbot]\ntemplates_dir = "mis-plantillas"\nrules_dir = "mis-reglas"\n'
        '[database]\nurl = "sqlite:///estado/mailbot.db"\n',
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_settings(path)
    assert s.templates_dirs[0] == etc.resolve() / "mis-plantillas"
    assert s.rules_dir == etc.resolve() / "mis-reglas"
    assert s.database_url == f"sqlite:///{etc.resolve() / 'estado' / 'mailbot.db'}"
    assert [r.name for r in load_rules(s).rules] == ["solo-local"]


def test_a_rules_folder_replaces_the_shipped_rules_and_check_names_what_it_lacks(tmp_path):
    own = tmp_path / "rules"
    own.mkdir()
    ignorar = (resources.shipped("rules") / "10-ignorar.toml").read_text()
    (own / "10-ignorar.toml").write_text(ignorar)
    (own / "60-local.toml").write_text(OWN_RULE)
    s = load_settings(config(tmp_path))
    assert s.rules_dir == own
    # Exactly the folder's rules: none of the other shipped files is merged in.
    assert {r.name for r in load_rules(s).rules} == {r.name for r in load_rules_text(ignorar).rules} | {"solo-local"}
    problems, warnings = check_all(s)
    assert problems == []
    notice = [w for w in warnings if w[0] == str(own)]
    assert len(notice) == 1, warnings
    lacking = sorted(p.name for p in resources.shipped("rules").glob("*.toml") if p.name != "10-ignorar.toml")
    assert ", ".join(lacking) in notice[0][2] and "10-ignorar.toml" not in notice[0][2]


def test_a_rules_folder_with_every_shipped_file_gets_no_notice(tmp_path):
    import shutil

    shutil.copytree(resources.shipped("rules"), tmp_path / "rules")
    (tmp_path / "rules" / "60-local.toml").write_text(OWN_RULE)
    s = load_settings(config(tmp_path))
    problems, warnings = check_all(s)
    assert problems == [] and not [w for w in warnings if "rule file" in w[2]]


@pytest.mark.parametrize("kind", ["rules", "templates"])
def test_a_configured_folder_that_is_missing_is_an_error_naming_key_line_and_path(tmp_path, kind):
    path = config(tmp_path, f'[mailbot]\naddress = "soporte@imagenti.mx"\n{kind}_dir = "/etc/mailbot/{kind}z"\n')
    s = load_settings(path)
    load = load_rules if kind == "rules" else load_templates
    with pytest.raises(ConfigError) as info:
        load(s)
    assert problems_of(info) == [(str(path), 3, f"mailbot.{kind}_dir: /etc/mailbot/{kind}z: no such folder")]
    problems, _ = check_all(s)
    assert (str(path), 3, f"mailbot.{kind}_dir: /etc/mailbot/{kind}z: no such folder") in problems


@pytest.mark.parametrize("kind,fragment", [("rules", "no rule files (*.toml)"), ("templates", "no template files")])
def test_a_configured_folder_that_is_empty_is_an_error(tmp_path, kind, fragment):
    folder = tmp_path / "vacia"
    folder.mkdir()
    (folder / "notas.txt" if kind == "rules" else folder / ".keep").write_text("")  # neither counts
    path = config(tmp_path, f'[mailbot]\n{kind}_dir = "vacia"\n')
    problems, _ = check_all(load_settings(path))
    assert [(f, line) for f, line, m in problems if fragment in m] == [(str(path), 2)], problems
    assert str(folder) in problems[0][2]


def test_an_empty_rules_folder_beside_the_config_is_an_error_not_the_shipped_rules(tmp_path):
    (tmp_path / "rules").mkdir()
    s = load_settings(config(tmp_path))
    with pytest.raises(ConfigError) as info:
        load_rules(s)
    [(where, line, message)] = problems_of(info)
    assert (where, line) == (str(tmp_path / "rules"), None)
    assert "no rule files" in message and "remove it to use the shipped rules" in message


def test_a_configured_path_that_is_a_file_is_an_error(tmp_path):
    (tmp_path / "plantillas").write_text("no soy una carpeta")
    path = config(tmp_path, '[mailbot]\ntemplates_dir = "plantillas"\n')
    with pytest.raises(ConfigError) as info:
        load_templates(load_settings(path))
    assert problems_of(info) == [(str(path), 2, f"mailbot.templates_dir: {tmp_path / 'plantillas'}: not a folder")]


def test_an_unreadable_folder_is_an_error(tmp_path, monkeypatch):
    # Simulated: the tests may run as root, for whom no permission bit refuses a read.
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "10-local.toml").write_text(OWN_RULE)
    s = load_settings(config(tmp_path))
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == folder:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(ConfigError) as info:
        load_rules(s)
    assert problems_of(info) == [
        (
            str(folder),
            None,
            "rules folder beside the config file: cannot read the "
            "folder: Permission denied (remove it to use the shipped rules)",
        )
    ]


def test_describe_sources_names_config_folders_and_database_without_password(tmp_path):
    etc = tmp_path / "etc"
    (etc / "rules").mkdir(parents=True)
    (etc / "rules" / "10-local.toml").write_text(OWN_RULE)
    (etc / "templates").mkdir()
    (etc / "templates" / ACK).write_text(OWN_ACK)
    path = config(etc, '[database]\nurl = "postgresql://mailbot:s3creta@db.example:5432/mailbot"\n')
    lines = describe_sources(load_settings(path))
    shipped_templates = resources.shipped("templates")
    assert lines == [
        f"config:    {path.resolve()}",
        f"rules:     {etc.resolve() / 'rules'} (replaces the shipped rules)",
        f"templates: {etc.resolve() / 'templates'}, then {shipped_templates} (shipped) for files it lacks",
        "database:  postgresql://mailbot:***@db.example:5432/mailbot",
    ]


def test_describe_sources_with_the_built_in_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = describe_sources(load_settings(None))
    assert lines[0].startswith("config:    none")
    assert lines[1] == f"rules:     {resources.shipped('rules')} (shipped)"
    assert lines[2] == f"templates: {resources.shipped('templates')} (shipped)"
    assert lines[3] == f"database:  sqlite:///{tmp_path.resolve() / 'var' / 'mailbot.db'}"


@pytest.mark.parametrize(
    "url,shown",
    [
        ("postgresql://mailbot:s3creta@db/mailbot", "postgresql://mailbot:***@db/mailbot"),
        ("postgresql+psycopg://mailbot:p%40ss@db:5433/m", "postgresql+psycopg://mailbot:***@db:5433/m"),
        ("postgresql://mailbot@db/mailbot?password=s3creta", "postgresql://mailbot@db/mailbot?password=***"),
        ("postgresql://mailbot@db/mailbot", "postgresql://mailbot@db/mailbot"),
        ("sqlite:////var/lib/mailbot/mailbot.db", "sqlite:////var/lib/mailbot/mailbot.db"),
        ("weird://user:s3creta@host", "weird://user:***@host"),
    ],
)
def test_safe_url_hides_passwords(url, shown):
    assert safe_url(url) == shown
