"""Engineers' corrections teach ops: ``tickets set`` and ``rules stats``, after corrections by mail."""

import json

import pytest

from tests.support.config import ENGINEERS, imap_section, smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import make_mail, team_headers
from tests.support.runners import cli, run_once

pytestmark = pytest.mark.servers
ANA = ENGINEERS[0]

# Ops' own rules, kept small so the test says which rule a correction counts against.
RULES = """
[[rule]]
name = "caida-es-critica"
description = "a mail that says caída is critical"
[rule.match]
subject_or_body.any = ["caida"]
[rule.set]
severity = "critica"

[[rule]]
name = "licencia-es-leve"
description = "a licence question is leve"
[rule.match]
subject_or_body.any = ["licencia"]
[rule.set]
severity = "leve"
category = "licencias"
"""


@pytest.fixture
def settings(make_settings, db_url, dovecot, smtp_sink, tmp_path):
    rules = tmp_path / "my-rules"
    rules.mkdir()
    (rules / "10-mias.toml").write_text(RULES)
    return make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        mailbot={"rules_dir": str(rules)},
    )


def _notice_of(smtp_sink, number):
    [notice] = [m for m in smtp_sink.to(ANA) if number in str(m["msg"]["Subject"])]
    return notice["msg"]


def test_rules_stats_counts_what_engineers_corrected_and_against_which_rule(settings, dovecot, smtp_sink):
    for n, (subject, body) in enumerate(
        [
            ("Caída del correo de un usuario", "A Pedro no le llega el correo, caída solo de su buzón."),
            ("Caída de la VPN de una sucursal", "La sucursal Puebla no conecta, caída desde las 9."),
            ("Caída total", "Toda la empresa sin internet, caída general."),
            ("Duda de licencia", "¿Cuándo vence la licencia de WithSecure?"),
        ]
    ):
        dovecot.append(make_mail(subject=subject, body=body, message_id=f"<rs{n}@cliente.com.mx>"))
    run_once(settings)
    by_subject = {t["subject"]: t["number"] for t in tickets(settings)}
    assert {ticket(settings, n)["severity"] for n in by_subject.values()} == {"critica", "leve"}

    # Two corrections by mail: the rule made both of these critical.
    for subject, severity in [("Caída del correo de un usuario", "leve"), ("Caída de la VPN de una sucursal", "grave")]:
        number = by_subject[subject]
        notice = _notice_of(smtp_sink, number)
        dovecot.append(
            make_mail(
                sender=ANA,
                subject="RE: " + str(notice["Subject"]),
                body=f"#severidad {severity}\n#nota corregido",
                in_reply_to=notice["Message-ID"],
                headers=team_headers(),
            )
        )
    run_once(settings)
    # A correction of a correction corrects a person, not the rule.
    cli("tickets", "set", by_subject["Caída del correo de un usuario"], "--severity", "grave", config=settings.source)
    # And one on the command line, against the other rule.
    cli("tickets", "set", by_subject["Duda de licencia"], "--severity", "grave", "--by", ANA, config=settings.source)

    report = json.loads(cli("rules", "stats", "--json", config=settings.source).stdout)
    stats = {r["rule"]: r for r in report["rules"]}
    caida, licencia = stats["caida-es-critica"], stats["licencia-es-leve"]
    assert (caida["fired"], caida["decided_severity"], caida["overridden"]) == (3, 3, 2)
    assert caida["corrected_to"] == {"leve": 1, "grave": 1}
    assert sorted(caida["examples"]) == sorted(
        [by_subject["Caída del correo de un usuario"], by_subject["Caída de la VPN de una sucursal"]]
    )
    assert (licencia["fired"], licencia["overridden"], licencia["corrected_to"]) == (1, 1, {"grave": 1})
    assert report["rules"][0]["rule"] == "caida-es-critica"  # the most corrected first

    out = cli("rules", "stats", config=settings.source).stdout.decode()
    assert "caida-es-critica" in out and "leve 1" in out and "(67%)" in out

    # Since a date after every ticket: nothing.
    later = json.loads(cli("rules", "stats", "--since", "2999-01-01", "--json", config=settings.source).stdout)
    assert later["rules"] == []


def test_tickets_set_changes_what_the_commands_change_and_refuses_mistakes(settings, dovecot, smtp_sink):
    dovecot.append(make_mail(subject="Duda de licencia", body="¿Cuándo vence la licencia?"))
    run_once(settings)
    [t] = tickets(settings)
    cli(
        "tickets", "set", t["number"], "--severity", "GRAVE", "--status", "esperando-cliente", "--assignee", "ana",
        config=settings.source,
    )  # fmt: skip
    shown = ticket(settings, t["number"])
    assert (shown["severity"], shown["status"], shown["assignee"]) == ("grave", "waiting_client", ANA)
    [sev] = [e for e in shown["events"] if e["kind"] == "severity"]
    assert sev["data"]["decided_by"] == "rule" and sev["data"]["rule"] == "licencia-es-leve"

    for args, code, said in [
        (["--severity", "urgente"], 64, "severity"),
        (["--assignee", "nadie@otro.mx"], 65, "not a team member"),
        (["--status", "cerrado"], 64, "tickets close"),
        ([], 64, "at least one"),
    ]:
        proc = cli("tickets", "set", t["number"], *args, config=settings.source, check=False)
        assert proc.returncode == code, proc.stderr
        [line] = proc.stderr.decode().strip().splitlines()
        assert line.startswith("error:") and said in line
    proc = cli("tickets", "set", "IMG-999999", "--severity", "leve", config=settings.source, check=False)
    assert proc.returncode == 65 and "no ticket" in proc.stderr.decode()


def test_a_confirmation_is_not_a_correction_and_the_real_one_still_counts(settings, dovecot, smtp_sink):
    dovecot.append(make_mail(subject="Duda de licencia", body="¿Cuándo vence la licencia?"))
    run_once(settings)
    [t] = tickets(settings)
    cli("tickets", "set", t["number"], "--severity", "leve", config=settings.source)  # what the rule said
    cli("tickets", "set", t["number"], "--severity", "grave", config=settings.source)
    stats = {r["rule"]: r for r in json.loads(cli("rules", "stats", "--json", config=settings.source).stdout)["rules"]}
    assert (stats["licencia-es-leve"]["overridden"], stats["licencia-es-leve"]["corrected_to"]) == (1, {"grave": 1})
    kinds = [e["kind"] for e in ticket(settings, t["number"])["events"]]
    assert "severity_unchanged" in kinds
