import json
import subprocess
import sys


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "mailbot", "sla", "deadline", *args], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_sla_deadline_friday_evening_critica_is_monday_morning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # built-in defaults: Mon-Fri 09-18 Mexico City
    data = json.loads(run("--severity", "critica", "--from", "2026-11-27T17:30", "--json"))
    assert data["deadline"]["local"] == "2026-11-30T10:30:00-06:00"
    assert [d["reason"] for d in data["closed_days"]] == ["weekend", "weekend"]


def test_sla_deadline_skips_independence_day(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = run("--severity", "critica", "--from", "2026-09-15T17:00")
    assert "deadline: 2026-09-17T10:00:00-06:00" in out
