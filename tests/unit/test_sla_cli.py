import json

from tests.support.runners import cli


def run(*args):
    """What ``mailbot sla deadline ARGS`` printed (it must exit 0)."""
    return cli("sla", "deadline", *args, text=True).stdout


def test_sla_deadline_friday_evening_critica_is_monday_morning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # built-in defaults: Mon-Fri 09-18 Mexico City
    data = json.loads(run("--severity", "critica", "--from", "2026-11-27T17:30", "--json"))
    assert data["deadline"]["local"] == "2026-11-30T10:30:00-06:00"
    assert [d["reason"] for d in data["closed_days"]] == ["weekend", "weekend"]


def test_sla_deadline_skips_independence_day(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run("--severity", "critica", "--from", "2026-09-15T17:00")
    assert "deadline: 2026-09-17T10:00:00-06:00" in out


def test_sla_deadline_explains_in_english_with_a_short_target(tmp_path, monkeypatch):
    # The CLI speaks one language (English); client mail stays Spanish.
    monkeypatch.chdir(tmp_path)
    out = run("--severity", "Crítica", "--from", "2026-11-27T17:30")
    assert out.splitlines()[0] == ("severity critica, target 2h of business time, from 2026-11-27T17:30:00-06:00")
    assert "  2026-11-27 Friday 17:30: 0:30 counted until close 18:00" in out.splitlines()
    assert "  2026-11-28 Saturday: closed (weekend)" in out.splitlines()
    assert "  2026-11-30 Monday: opens 09:00, 1:30 counted → 10:30" in out.splitlines()
    for spanish in ("viernes", "sábado", "lunes", "1 day", "0:00:00"):
        assert spanish not in out


def test_sla_deadline_leve_target_is_hours_not_days(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = run("--severity", "leve", "--from", "2026-11-23T10:00").splitlines()[0]
    assert first.startswith("severity leve, target 24h of business time")
