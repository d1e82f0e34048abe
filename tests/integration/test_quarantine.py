"""Quarantine through the real mailbox: what cannot be taken in is kept raw with the
reason, the mailbox is not blocked, nothing else waits, and `mailbot quarantine` brings it back.
"""

from __future__ import annotations

import shutil

import pytest

from mailbot.resources import shipped
from tests.support.config import imap_section, smtp_section
from tests.support.db import tickets
from tests.support.mail import make_mail
from tests.support.runners import cli, cli_json, run_once

pytestmark = pytest.mark.servers

NOT_A_MAIL = b"Esto no es un correo.\r\nNi tiene encabezados.\r\n"
# An ops mistake that only some mails meet: the template check renders its sample and passes.
BREAKS_ON_ROMPE = '{% if "ROMPE" in ticket.subject %}{{ ticket.campo_inexistente.x }}{% endif %}'


@pytest.fixture
def desk(make_settings, db_url, dovecot, smtp_sink, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(shipped("templates"), templates)
    ack = templates / "acknowledgement.txt"
    good = ack.read_text()
    subject, rest = good.split("\n", 1)
    ack.write_text(subject + "\n" + BREAKS_ON_ROMPE + rest)
    settings = make_settings(
        db_url=db_url,
        imap=imap_section(dovecot),
        smtp=smtp_section(smtp_sink),
        mailbot={"templates_dir": str(templates)},
    )
    return settings, ack, good


def _mail(n, subject="El antivirus no actualiza"):
    return make_mail(
        sender=f"Cliente {n} <cliente{n}@empresa.com.mx>", subject=subject, message_id=f"<m{n}@empresa.com.mx>"
    )


def test_held_mail_blocks_nothing_and_comes_back_with_quarantine_retry(desk, dovecot, smtp_sink):
    settings, ack, good = desk
    config = settings.source
    assert cli("check", config=config).returncode == 0  # the mistake is invisible to the check
    for raw in (_mail(1), NOT_A_MAIL, _mail(3, subject="ROMPE: el firewall no arranca"), _mail(4), _mail(5)):
        dovecot.append(raw)
    run_once(settings)

    # Everything else went through, numbered without a gap, each client acknowledged.
    got = {t["number"]: t["requester"] for t in tickets(settings)}
    assert got == {
        "IMG-000001": "cliente1@empresa.com.mx",
        "IMG-000002": "cliente4@empresa.com.mx",
        "IMG-000003": "cliente5@empresa.com.mx",
    }
    for n in (1, 4, 5):
        assert len(smtp_sink.to(f"cliente{n}@empresa.com.mx")) == 1
    assert smtp_sink.to("cliente3@empresa.com.mx") == []
    # Every source message is marked, held ones included: the poller does not come back to them.
    flags = dovecot.flags()
    assert len(flags) == 5 and all(b"\\Seen" in f for f in flags.values())

    held = cli_json("quarantine", "list", config=config)
    assert [(h["message_id"], h["reason"].split(":")[0], h["attempts"], h["status"]) for h in held] == [
        (None, "unparseable", 1, "held"),
        ("<m3@empresa.com.mx>", "apply failed", 1, "held"),
    ]
    assert "campo_inexistente" in held[1]["reason"]
    assert all(h["source"].startswith("imap:") for h in held)
    bad_id, broken_id = held[0]["id"], held[1]["id"]
    assert cli("quarantine", "show", str(bad_id), "--raw", config=config).stdout == NOT_A_MAIL
    shown = cli_json("quarantine", "show", str(broken_id), config=config)
    assert shown["message_id"] == "<m3@empresa.com.mx>" and shown["size"] > 0

    run_once(settings)  # nothing new: nothing is taken in again, nothing held twice
    assert [h["attempts"] for h in cli_json("quarantine", "list", config=config)] == [1, 1]

    # Retrying before the template is fixed fails the same way: still held, one more attempt, exit 65.
    still = cli("quarantine", "retry", str(broken_id), config=config, check=False)
    assert still.returncode == 65
    assert [h["attempts"] for h in cli_json("quarantine", "list", config=config)] == [1, 2]

    ack.write_text(good)  # ops fix the template
    retried = cli("quarantine", "retry", "--all", "--json", config=config, check=False)
    assert retried.returncode == 65  # the bytes that are no mail stay held
    import json

    results = {r["id"]: r for r in json.loads(retried.stdout)}
    assert results[broken_id]["action"] == "created" and results[broken_id]["ticket"] == "IMG-000004"
    assert results[bad_id]["action"] == "quarantined"
    assert [h["id"] for h in cli_json("quarantine", "list", config=config)] == [bad_id]
    everything = {h["id"]: h["status"] for h in cli_json("quarantine", "list", "--all", config=config)}
    assert everything == {bad_id: "held", broken_id: "applied"}

    run_once(settings)  # the retried mail's acknowledgement goes out like any other
    [ack_mail] = smtp_sink.to("cliente3@empresa.com.mx")
    assert "IMG-000004" in str(ack_mail["msg"]["Subject"])
    # A second retry of an applied mail does nothing.
    assert json.loads(cli("quarantine", "retry", str(broken_id), "--json", config=config).stdout) == []
