"""The pipeline, intake, config and SLA speak ``mailbot.vocab``: what they store and show stays the same words."""

import ast
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from mailbot.app import build_app, make_calendar
from mailbot.config import load_settings, settings_from_dict
from mailbot.errors import ConfigError
from mailbot.pipeline.core import Pipeline
from mailbot.pipeline.outcome import Action, Outcome
from mailbot.sla import deadlines
from mailbot.sla.calendar import BusinessCalendar
from mailbot.vocab import Severity
from tests.support.mail import make_mail

ROOT = Path(__file__).resolve().parents[2]


def test_actions_are_the_words_doors_logs_and_metrics_always_showed():
    assert [a.value for a in Action] == ["created", "appended", "duplicate", "ignored", "bounce", "quarantined"]
    outcome = Outcome(Action.CREATED, "IMG-000001", "<a@b>", severity=Severity.GRAVE)
    assert (
        json.dumps({"action": outcome.action, "severity": outcome.severity})
        == '{"action": "created", "severity": "grave"}'
    )
    assert f"{outcome.action} {outcome.severity}" == "created grave"
    assert "250 2.0.0 OK " + Action.DUPLICATE == "250 2.0.0 OK duplicate"


def test_default_severity_is_a_severity_and_its_error_reads_as_before(tmp_path):
    assert settings_from_dict({}).mailbot.default_severity is Severity.LEVE
    assert settings_from_dict({"mailbot": {"default_severity": "critica"}}).mailbot.default_severity is Severity.CRITICA
    config = tmp_path / "mailbot.toml"
    config.write_text('[mailbot]\naddress = "soporte@imagenti.mx"\ndefault_severity = "alta"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.problems == [
        (str(config), 3, "mailbot.default_severity: Input should be 'critica', 'grave' or 'leve'")
    ]


def test_one_attention_target_text_per_severity_keyed_by_the_stored_word():
    settings = settings_from_dict({"calendar": {"always_open": True}})
    texts = deadlines.target_texts(settings)
    assert texts == {"critica": "2 horas", "grave": "4 horas", "leve": "24 horas"}
    assert all(type(key) is str for key in texts)  # plain words for the templates, not enum members
    assert [deadlines.attention_target(settings, s).total_seconds() / 3600 for s in Severity] == [2, 4, 24]


def test_make_calendar_builds_the_business_calendar():
    assert isinstance(make_calendar(settings_from_dict({})), BusinessCalendar)


def _mail(sender: str, message_id: str) -> bytes:
    return make_mail(
        sender=sender,
        cc="colega@cliente.com.mx",
        subject="El antivirus no actualiza",
        body="Buen día, el agente no actualiza desde ayer.",
        message_id=message_id,
        date=False,
    )


def test_the_pipeline_stores_the_same_words(tmp_path):
    settings = settings_from_dict(
        {
            "mailbot": {"data_dir": str(tmp_path / "var")},
            "database": {"url": f"sqlite:///{tmp_path}/mailbot.db"},
            "team": {"engineers": ["ana.lopez@imagenti.mx"]},
        }
    )
    app = build_app(settings)
    try:
        pipeline = Pipeline(app)
        created = pipeline.process(_mail("juan.perez@cliente.com.mx", "<uno@cliente.com.mx>"), source="test")
        assert created.action is Action.CREATED and created.severity == Severity.LEVE
        again = pipeline.process(_mail("juan.perez@cliente.com.mx", "<uno@cliente.com.mx>"), source="test")
        assert again.action is Action.DUPLICATE
        own = pipeline.process(_mail("soporte@imagenti.mx", "<propio@imagenti.mx>"), source="test")
        assert own.action is Action.IGNORED
        with app.engine.connect() as conn:
            row = conn.execute(text("SELECT status, severity, origin FROM tickets")).one()
            assert tuple(row) == ("new", "leve", "normal")
            assert set(conn.execute(text("SELECT address, role FROM participants")).all()) == {
                ("juan.perez@cliente.com.mx", "requester"),
                ("colega@cliente.com.mx", "watcher"),
            }
            inbound = conn.execute(text("SELECT kind FROM messages WHERE direction = 'in' ORDER BY id")).scalars()
            assert list(inbound) == ["client", "self"]  # a person's mail: who wrote it; other mail: what it is
            outbound = conn.execute(
                text("SELECT m.kind, o.status FROM outbox o JOIN messages m ON m.id = o.message_row_id ORDER BY o.id")
            ).all()
            assert [tuple(r) for r in outbound] == [("ack", "queued"), ("notice", "queued")]
    finally:
        app.close()


# The modules this vocabulary work tidied: none imports a mailbot module inside a function.
TIDIED = [
    "mailbot/pipeline",
    "mailbot/intake",
    "mailbot/sla",
    "mailbot/app.py",
    "mailbot/config.py",
    "mailbot/db/engine.py",
    "mailbot/db/heartbeat.py",
    "mailbot/tickets/record.py",
    "mailbot/tickets/thread_match.py",
    "mailbot/tickets/views.py",
    "mailbot/tickets/numbering.py",
    "mailbot/addresses.py",
    "mailbot/resources.py",
    "mailbot/tomlpos.py",
]


def _function_level_mailbot_imports(path: Path) -> list[str]:
    found = []
    for func in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                f"{path.relative_to(ROOT)}:{node.lineno} {n}"
                for n in names
                if n == "mailbot" or n.startswith("mailbot.")
            ]
    return found


def test_no_function_level_imports_of_mailbot_modules():
    files = [p for name in TIDIED for p in ((ROOT / name).rglob("*.py") if (ROOT / name).is_dir() else [ROOT / name])]
    assert len(files) > 15
    assert [hit for f in files for hit in _function_level_mailbot_imports(f)] == []
