"""Rules as ops live with them: dry-run a mail, check a bad edit, reload under load."""

import json
import shutil
import signal
import threading
from pathlib import Path

import pytest

from mailbot.daemon.checks import sample_contexts
from mailbot.daemon.runner import Daemon
from mailbot.resources import shipped
from tests.support.config import smtp_section
from tests.support.db import ticket, tickets
from tests.support.mail import CLIENT, make_mail
from tests.support.runners import Running, cli, cli_json, mailbot_run, run_once
from tests.support.servers import free_port, lmtp_client, wait_until

pytestmark = pytest.mark.servers

NEW_RULE = """
[[rule]]
name = "categoria-zanahoria"
description = "A rule added while the daemon runs"
[rule.match]
subject_or_body.any = ["zanahoria"]
[rule.set]
category = "prueba-recarga"
"""

BAD_RULE = """
[[rule]]
name = "regla-rota"
description = "An unknown severity"
[rule.match]
subject.any = ["zanahoria"]
[rule.set]
severity = "urgentisima"
"""


@pytest.fixture
def rules_dir(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(shipped("rules"), target)
    return target


def _eml(tmp_path, name, raw) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


# -- mailbot rules test ----------------------------------------------------------


def test_rules_test_shows_rules_fields_and_mails_and_writes_nothing(make_settings, db_url, tmp_path):
    settings = make_settings(db_url=db_url)
    mail = _eml(
        tmp_path,
        "caida.eml",
        make_mail(
            subject="URGENTE: caida del firewall SonicWall",
            body="Toda la empresa esta sin internet desde las 9.",
            message_id="<dry1@cliente.com.mx>",
        ),
    )
    out = cli("rules", "test", str(mail), config=settings.source).stdout.decode()
    assert "thread:    new ticket" in out
    assert "critica-muchos-usuarios-afectados (20-severidad.toml:" in out
    assert "producto-sonicwall (40-productos.toml:" in out
    assert "severity: critica" in out and "product: sonicwall" in out
    assert f"ack to {CLIENT}: [IMAGEN TI #IMG-000001]" in out
    assert "notice to ana.lopez@imagenti.mx" in out

    report = json.loads(cli("rules", "test", "--json", str(mail), config=settings.source).stdout)
    assert report["action"] == "created"
    assert report["ticket"]["severity"] == "critica" and report["ticket"]["new"] is True
    assert [m["kind"] for m in report["mails"]] == ["ack", "notice"]
    assert "IMG-000001" in report["mails"][0]["body"]
    assert {h["rule"] for h in report["rules"]["hits"]} >= {"critica-muchos-usuarios-afectados", "producto-sonicwall"}
    assert "created" in [e["kind"] for e in report["events"]]

    # Nothing was kept: the real intake still numbers its first ticket 1, and no mail was written.
    assert tickets(settings) == []
    assert not list((settings.data_dir / "outbox").glob("*.eml")) if (settings.data_dir / "outbox").exists() else True
    assert cli("ingest", str(mail), config=settings.source).stdout.decode().startswith("created IMG-000001")


def test_rules_test_threads_against_the_configured_database(make_settings, db_url, tmp_path):
    settings = make_settings(db_url=db_url)
    cli("ingest", "-", config=settings.source, input=make_mail(message_id="<orig@cliente.com.mx>"))
    reply = _eml(
        tmp_path, "reply.eml", make_mail(subject="RE: Problema con el antivirus", in_reply_to="<orig@cliente.com.mx>")
    )
    report = json.loads(cli("rules", "test", "--json", str(reply), config=settings.source).stdout)
    assert report["thread"] == {"ticket": "IMG-000001", "how": "reference", "linked": None}
    assert report["action"] == "appended"
    # The reply was not kept: the ticket still holds only the first mail.
    inbound = [m for m in ticket(settings, "IMG-000001")["messages"] if m["direction"] == "in"]
    assert [m["message_id"] for m in inbound] == ["<orig@cliente.com.mx>"]


def test_rules_test_on_a_fresh_install_uses_an_empty_database(make_settings, tmp_path):
    settings = make_settings()
    mail = _eml(tmp_path, "m.eml", make_mail(subject="Cotizacion de licencias Safetica"))
    out = cli("rules", "test", str(mail), config=settings.source).stdout.decode()
    assert "empty in-memory database" in out and "does not exist yet" in out
    assert not Path(settings.database_url[len("sqlite:///") :]).exists()


def test_rules_test_of_an_ignored_mail_sends_nothing(make_settings, rules_dir, tmp_path):
    (rules_dir / "05-test.toml").write_text("""
[[rule]]
name = "ignorar-boletin"
description = "newsletters"
[rule.match]
subject.any = ["boletin"]
[rule.set]
ignore = "boletín informativo"
""")
    settings = make_settings(mailbot={"rules_dir": str(rules_dir)})
    mail = _eml(tmp_path, "b.eml", make_mail(subject="Boletin de noviembre"))
    report = json.loads(cli("rules", "test", "--json", str(mail), config=settings.source).stdout)
    assert report["action"] == "ignored" and report["mails"] == [] and report["ticket"] is None
    assert report["rules"]["ignore"] == "boletín informativo"


# -- mailbot check on a bad rules edit ----------------------------------------------


def test_check_reports_bad_rules_with_file_line_and_rule_name(make_settings, rules_dir):
    path = rules_dir / "60-local.toml"
    path.write_text(
        BAD_RULE
        + """
[[rule]]
name = "regex-rota"
description = "bad regex"
[rule.match]
subject.regex = ['(sin cerrar']
[rule.set]
category = "x"
"""
    )
    settings = make_settings(mailbot={"rules_dir": str(rules_dir)})
    proc = cli("check", config=settings.source, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 78  # a configuration error (mailbot/exitcodes.py)
    lines = [line for line in err.splitlines() if "60-local.toml" in line]
    assert any(":8:" in line and "regla-rota" in line and "urgentisima" in line for line in lines), err
    assert any(":14:" in line and "regex-rota" in line and "regular expression" in line for line in lines), err


# -- reload --------------------------------------------------------------------------


class Feeder:
    """Delivers numbered mails over LMTP in a thread until stopped."""

    def __init__(self, port):
        self.port, self.sent, self.errors = port, 0, []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        client = wait_until(lambda: lmtp_client(self.port), 15, what="LMTP")
        try:
            while not self.stop.is_set():
                n = self.sent + 1
                refused = client.sendmail(
                    CLIENT,
                    ["soporte@imagenti.mx"],
                    make_mail(subject=f"Consulta {n}", message_id=f"<feed{n}@cliente.com.mx>"),
                )
                if refused:
                    self.errors.append(refused)
                self.sent = n
        except Exception as exc:  # surfaced by the test's assertion
            self.errors.append(exc)
        finally:
            client.quit()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


def _send(client, subject):
    assert client.sendmail(CLIENT, ["soporte@imagenti.mx"], make_mail(subject=subject, body="Una pregunta.")) == {}


def _category(settings, subject):
    [t] = [t for t in tickets(settings) if t["subject"] == subject]
    return ticket(settings, t["number"])["category"]


def test_reload_swaps_rules_while_mail_flows_and_keeps_the_last_good_set(make_settings, db_url, rules_dir):
    port = free_port()
    settings = make_settings(db_url=db_url, mailbot={"rules_dir": str(rules_dir)}, lmtp={"enabled": True, "port": port})
    with Running(settings) as daemon, Feeder(port) as feeder:
        wait_until(lambda: feeder.sent >= 3, 30, what="mail flowing")
        client = wait_until(lambda: lmtp_client(port), 15, what="LMTP")
        _send(client, "Zanahoria antes")
        (rules_dir / "60-local.toml").write_text(NEW_RULE)
        assert daemon.reload().ok
        _send(client, "Zanahoria despues")

        # A broken edit is refused: the rules in force (with the new rule) stay.
        (rules_dir / "60-local.toml").write_text(NEW_RULE + BAD_RULE)
        result = daemon.reload()
        assert not result.ok
        assert any("60-local.toml" in p[0] and p[1] and "regla-rota" in p[2] for p in result.problems)
        _send(client, "Zanahoria tras error")
        client.quit()
        sent_before_stop = feeder.sent
        wait_until(lambda: feeder.sent >= sent_before_stop + 3, 30, what="mail still flowing")
    assert feeder.errors == []
    (rules_dir / "60-local.toml").write_text(NEW_RULE)  # the helpers below load the rules too
    subjects = [t["subject"] for t in tickets(settings)]
    # Every mail fed during the reloads became exactly one ticket.
    assert sorted(s for s in subjects if s.startswith("Consulta")) == sorted(
        f"Consulta {n}" for n in range(1, feeder.sent + 1)
    )
    assert _category(settings, "Zanahoria antes") != "prueba-recarga"
    assert _category(settings, "Zanahoria despues") == "prueba-recarga"
    assert _category(settings, "Zanahoria tras error") == "prueba-recarga"


def test_reload_takes_template_and_config_changes_but_not_restart_only_sections(make_settings, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(shipped("templates"), templates)
    port = free_port()
    settings = make_settings(mailbot={"templates_dir": str(templates)}, lmtp={"enabled": True, "port": port})
    daemon = Daemon(settings)
    try:
        ack = templates / "acknowledgement.txt"
        ack.write_text(ack.read_text().replace("Hemos recibido su reporte", "Recibimos su reporte", 1))
        text = settings.source.read_text()
        settings.source.write_text(
            text.replace(
                "[lmtp]\nenabled = true\nport = " + str(port), "[lmtp]\nenabled = true\nport = " + str(port + 1)
            )
            + '\n[sla.attention]\ncritica = "90m"\n'
        )
        result = daemon.reload()
        assert result.ok and result.restart_needed == ["lmtp"]
        assert daemon.app.settings.lmtp.port == port  # the listener keeps its port until a restart
        assert daemon.app.settings.sla.attention.critica.total_seconds() == 90 * 60
        assert "Recibimos su reporte" in daemon.app.templates.render("acknowledgement.txt", **_sample(daemon)).subject

        # A template edit that does not compile is refused with its file and line.
        ack.write_text(ack.read_text() + "\n{% if %}\n")
        result = daemon.reload()
        assert not result.ok
        assert [(Path(f).name, bool(line)) for f, line, _ in result.problems] == [("acknowledgement.txt", True)]
        assert "{% if %}" not in daemon.app.templates.sources["acknowledgement.txt"]
    finally:
        daemon.close()


def _sample(daemon):
    return sample_contexts(daemon.app.settings)["acknowledgement.txt"]


def test_sighup_reloads_a_running_mailbot_process(make_settings, rules_dir, tmp_path):
    port = free_port()
    settings = make_settings(mailbot={"rules_dir": str(rules_dir)}, lmtp={"enabled": True, "port": port})
    log = tmp_path / "mailbot.log"
    with open(log, "wb") as errfile:
        proc = mailbot_run(settings.source, stderr=errfile)
        try:
            client = wait_until(lambda: proc.poll() is None and lmtp_client(port), 30, what="mailbot run")
            (rules_dir / "60-local.toml").write_text(NEW_RULE)
            proc.send_signal(signal.SIGHUP)
            wait_until(lambda: b"reloaded:" in log.read_bytes(), 30, what="reload log line")
            _send(client, "Zanahoria por SIGHUP")
            (rules_dir / "60-local.toml").write_text(BAD_RULE)
            proc.send_signal(signal.SIGHUP)
            wait_until(lambda: b"reload refused" in log.read_bytes(), 30, what="refusal log line")
            _send(client, "Zanahoria tras SIGHUP malo")
            client.quit()
            assert proc.poll() is None  # a bad reload never stops the daemon
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    text = log.read_text()
    (rules_dir / "60-local.toml").write_text(NEW_RULE)  # the helpers below load the rules too
    assert "60-local.toml:" in text and "regla-rota" in text
    assert _category(settings, "Zanahoria por SIGHUP") == "prueba-recarga"
    assert _category(settings, "Zanahoria tras SIGHUP malo") == "prueba-recarga"


# -- what a ticket keeps of its classification -------------------------------------


def test_ticket_records_rule_hits_and_out_of_scope_ack_cites_the_terms(make_settings, db_url, smtp_sink):
    settings = make_settings(db_url=db_url, smtp=smtp_section(smtp_sink))
    cli(
        "ingest",
        "-",
        config=settings.source,
        input=make_mail(
            subject="Cotización: necesitamos cableado estructurado para la oficina nueva",
            body="Queremos instalar cableado de red en el piso 3.",
            message_id="<scope@cliente.com.mx>",
        ),
    )
    run_once(settings)
    shown = cli_json("tickets", "show", "IMG-000001", config=settings.source)
    hits = shown["classification"]["hits"]
    assert shown["out_of_scope"] and hits
    assert all(h["file"].endswith(".toml") and h["line"] and h["set"] and h["why"] for h in hits)
    [classified] = [e for e in shown["events"] if e["kind"] == "classified"]
    assert [h["rule"] for h in classified["data"]["rules"]["hits"]] == [h["rule"] for h in hits]
    [ack] = smtp_sink.to(CLIENT)
    body = ack["msg"].get_body().get_content()
    assert "fuera del alcance del servicio" in body and "Limitantes del servicio" in body
    assert shown["out_of_scope"] in " ".join(body.split())


def test_reload_keeps_the_timezone_until_a_restart(make_settings):
    settings = make_settings()
    daemon = Daemon(settings)
    try:
        settings.source.write_text(
            settings.source.read_text().replace("[mailbot]\n", '[mailbot]\ntimezone = "America/Cancun"\n', 1)
        )
        result = daemon.reload()
        assert result.ok and result.restart_needed == ["mailbot.timezone"]
        assert daemon.app.settings.mailbot.timezone == "America/Mexico_City"
    finally:
        daemon.close()


def test_reload_keeps_the_web_listener_until_a_restart_and_takes_who_may_sign_in(make_settings):
    settings = make_settings(web={"enabled": False, "port": 18026, "viewers": []})
    daemon = Daemon(settings)
    try:
        text = settings.source.read_text()
        text = text.replace("port = 18026", "port = 18027").replace("viewers = []", 'viewers = ["vera@imagenti.mx"]')
        settings.source.write_text(text)
        result = daemon.reload()
        assert result.ok and result.restart_needed == ["web (enabled, host, port)"]
        assert daemon.app.settings.web.port == 18026
        assert daemon.app.settings.web.viewers == ["vera@imagenti.mx"]
    finally:
        daemon.close()
