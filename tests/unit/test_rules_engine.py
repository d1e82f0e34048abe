"""The rules engine: every condition and action, precedence, explanations, load errors."""

import json
from dataclasses import FrozenInstanceError
from textwrap import dedent

import pytest

from mailbot.errors import OpsInputError
from mailbot.mail.parse import parse
from mailbot.rules import Classification, RulesError, fold, load_rules, load_rules_text
from tests.support.mail import make_mail


def parsed_mail(subject="Hola", body="Texto", *, sender="Ana <ana@cliente.com.mx>", attachments=(), **kw):
    """This file's mail, parsed: Ana's unless said, one fixed Message-ID, no Date; ``kw`` as for make_mail."""
    files = [(name, b"data", "application/octet-stream") for name in attachments]
    return parse(
        make_mail(
            subject=subject,
            body=body,
            sender=sender,
            message_id="<engine-test@cliente.com.mx>",
            date=False,
            attachments=files,
            **kw,
        )
    )


def rules(text, **kw):
    return load_rules_text(dedent(text), "t.toml", **kw)


def one_rule(match, sets='category = "x"'):
    """A rule set with a single rule named "r"."""
    return rules(f'[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\n{dedent(match)}\n[rule.set]\n{sets}\n')


def matches(match, mail):
    return one_rule(match).classify(mail).matched == ("r",)


def problems(text, **kw):
    with pytest.raises(RulesError) as info:
        rules(text, **kw)
    return info.value.problems


# --- folding, word boundaries ----------------------------------------------------------------------


def test_fold_removes_case_and_accents():
    assert fold("Caída CAÍDA caida Contraseña ÜBER ﬁn") == "caida caida caida contrasena uber fin"


@pytest.mark.parametrize("keyword", ["caída", "caida", "CAIDA", "Caída"])
@pytest.mark.parametrize("text", ["Reporto una caída", "reporto una caida", "REPORTO UNA CAIDA", "una CAÍDA!"])
def test_keywords_ignore_case_and_accents(keyword, text):
    assert matches(f'body.any = ["{keyword}"]', parsed_mail(body=text))


@pytest.mark.parametrize(
    "text, hit",
    [
        ("el servidor dns no responde", True),
        ("DNS.", True),
        ("(dns)", True),
        ("adnsx", False),
        ("dnsmasq", False),
        ("mydns", False),
    ],
)
def test_keywords_match_whole_words(text, hit):
    assert matches('body.any = ["dns"]', parsed_mail(body=text)) is hit


def test_phrases_match_across_spacing_and_punctuation_but_in_order():
    rs = one_rule('body.any = ["no funciona nada"]')
    assert rs.classify(parsed_mail(body="Ya NO\nfunciona,   nada.")).matched == ("r",)
    assert rs.classify(parsed_mail(body="nada funciona no")).matched == ()
    assert rs.classify(parsed_mail(body="no funcionan nada")).matched == ()


def test_punctuation_in_a_keyword_is_a_word_separator():
    rs = one_rule('body.any = ["F-Secure"]')
    for text in ("tengo F-Secure", "tengo f secure", "tengo f.secure"):
        assert rs.classify(parsed_mail(body=text)).matched == ("r",), text
    assert rs.classify(parsed_mail(body="tengo fsecure")).matched == ()


def test_prefix_keywords():
    rs = one_rule('body.any = ["lent*", "red sat*"]')
    for text in ("está lenta", "mucha LENTITUD", "lento", "la red saturada"):
        assert rs.classify(parsed_mail(body=text)).matched == ("r",), text
    for text in ("me alenté", "la red", "satura la red"):
        assert rs.classify(parsed_mail(body=text)).matched == (), text


# --- keyword lists: any / all / none, targets -----------------------------------------------------


def test_all_needs_every_item_and_a_nested_list_needs_one_of_its_words():
    rs = one_rule('subject_or_body.all = ["licencia", ["perdí", "olvidé", "recuperar"]]')
    assert rs.classify(parsed_mail("Licencia", "la perdi")).matched == ("r",)
    assert rs.classify(parsed_mail("hola", "quiero recuperar la licencia")).matched == ("r",)
    assert rs.classify(parsed_mail("Licencia", "renovar")).matched == ()
    assert rs.classify(parsed_mail("hola", "olvidé la clave")).matched == ()


def test_none_excludes():
    rs = one_rule('body.any = ["urgente"]\nbody.none = ["no es urgente", "prueba"]')
    assert rs.classify(parsed_mail(body="Es urgente")).matched == ("r",)
    assert rs.classify(parsed_mail(body="No es urgente")).matched == ()
    assert rs.classify(parsed_mail(body="urgente, es una PRUEBA")).matched == ()


def test_subject_body_and_subject_or_body_are_separate_targets():
    subject = one_rule('subject.any = ["virus"]')
    body = one_rule('body.any = ["virus"]')
    either = one_rule('subject_or_body.any = ["virus"]')
    in_subject = parsed_mail("Virus", "hola")
    in_body = parsed_mail("hola", "un virus")
    assert subject.classify(in_subject).matched == ("r",) and subject.classify(in_body).matched == ()
    assert body.classify(in_body).matched == ("r",) and body.classify(in_subject).matched == ()
    assert either.classify(in_subject).matched == either.classify(in_body).matched == ("r",)


def test_a_phrase_does_not_span_subject_and_body():
    rs = one_rule('subject_or_body.any = ["red lenta"]')
    assert rs.classify(parsed_mail("problema de red", "lenta desde ayer")).matched == ()
    assert rs.classify(parsed_mail("problema", "red lenta desde ayer")).matched == ("r",)


def test_all_conditions_of_a_rule_must_hold():
    rs = one_rule('subject.any = ["consola"]\nbody.any = ["contraseña"]\nfrom_domain.glob = ["cliente.com.mx"]')
    assert rs.classify(parsed_mail("Consola", "olvidé la contraseña")).matched == ("r",)
    assert rs.classify(parsed_mail("Consola", "olvidé el usuario")).matched == ()
    assert rs.classify(parsed_mail("Consola", "contraseña", sender="x@otro.com")).matched == ()


def test_from_name_keywords():
    assert matches('from_name.any = ["Pérez"]', parsed_mail(sender="Juan Perez <j@cliente.com.mx>"))
    assert not matches('from_name.any = ["Pérez"]', parsed_mail(sender="Juan Paz <j@cliente.com.mx>"))


# --- regular expressions ---------------------------------------------------------------------------


def test_regex_runs_on_folded_text_so_accents_and_case_do_not_matter():
    for pattern in ("ca[ií]da\\s+total", "caída total", "CAIDA TOTAL"):
        rs = one_rule(f"subject.regex = '{pattern}'")
        assert rs.classify(parsed_mail("Caída  TOTAL del servicio")).matched == ("r",), pattern


def test_regex_list_and_not_regex():
    rs = one_rule("""body.regex = ['\\bcve-\\d{4}-\\d+', 'parche']\nsubject.not_regex = '^(re|rv):'""")
    assert rs.classify(parsed_mail("Vulnerabilidad", "la CVE-2024-3400")).matched == ("r",)
    assert rs.classify(parsed_mail("Vulnerabilidad", "aplicar el parche")).matched == ("r",)
    assert rs.classify(parsed_mail("RE: Vulnerabilidad", "la CVE-2024-3400")).matched == ()
    assert rs.classify(parsed_mail("Vulnerabilidad", "nada")).matched == ()


def test_header_regex_exists_and_keywords():
    rs = one_rule("header.\"X-Priority\".regex = '^1'")
    assert rs.classify(parsed_mail(headers=[("X-Priority", "1 (Highest)")])).matched == ("r",)
    assert rs.classify(parsed_mail(headers=[("X-Priority", "3")])).matched == ()
    assert rs.classify(parsed_mail()).matched == ()
    present = one_rule('header."List-Id".exists = true')
    absent = one_rule('header."list-id".exists = false')
    with_list = parsed_mail(headers=[("List-Id", "<x.lists.example>")])
    assert present.classify(with_list).matched == ("r",) and present.classify(parsed_mail()).matched == ()
    assert absent.classify(parsed_mail()).matched == ("r",) and absent.classify(with_list).matched == ()
    kw = one_rule('header."X-Mailer".any = ["outlook"]')
    assert kw.classify(parsed_mail(headers=[("X-Mailer", "Microsoft Outlook 16.0")])).matched == ("r",)


# --- globs -------------------------------------------------------------------------------------------


def test_sender_address_and_domain_globs():
    rs = one_rule('from.glob = ["*@cliente.com.mx", "jefe@*"]')
    assert rs.classify(parsed_mail(sender="Ana <ANA@Cliente.com.mx>")).matched == ("r",)
    assert rs.classify(parsed_mail(sender="jefe@otro.com")).matched == ("r",)
    assert rs.classify(parsed_mail(sender="ana@cliente.com.mx.evil.com")).matched == ()
    domain = one_rule('from_domain.glob = ["*.gob.mx", "cliente.com"]')
    assert domain.classify(parsed_mail(sender="a@sat.gob.mx")).matched == ("r",)
    assert domain.classify(parsed_mail(sender="a@cliente.com")).matched == ("r",)
    assert domain.classify(parsed_mail(sender="a@subcliente.com")).matched == ()
    not_glob = one_rule('from_domain.not_glob = ["imagenti.mx"]')
    assert not_glob.classify(parsed_mail(sender="a@imagenti.mx")).matched == ()
    assert not_glob.classify(parsed_mail(sender="a@cliente.mx")).matched == ("r",)


def test_recipient_globs():
    mail = parsed_mail(to="soporte@imagenti.mx", cc="Gerente <gerente@cliente.com.mx>")
    assert matches('to.glob = ["soporte@*"]', mail)
    assert not matches('to.glob = ["gerente@*"]', mail)
    assert matches('cc.glob = ["gerente@*"]', mail)
    assert matches('recipients.glob = ["gerente@cliente.com.mx"]', mail)
    assert not matches('recipients.glob = ["ventas@*"]', mail)


def test_attachment_globs():
    mail = parsed_mail(attachments=["Diagnostico.EXE", "fsdiag.zip"])
    assert matches('attachment.glob = ["*.exe"]', mail)
    assert matches('attachment.glob = ["fsdiag*.zip"]', mail)
    assert not matches('attachment.glob = ["*.pdf"]', mail)
    assert matches("attachment.exists = true", mail)
    assert matches("attachment.exists = false", parsed_mail())


# --- actions ----------------------------------------------------------------------------------------

ALL_ACTIONS = """
[[rule]]
name = "todo"
description = "sets every field"
[rule.match]
body.any = ["hola"]
[rule.set]
severity = "Crítica"
category = "exclusiones"
product = "withsecure"
assignee = "Ana@ImagenTI.mx"
group = "nivel-1"
out_of_scope = "Texto   para el cliente."
no_autoreply = true
"""


def test_every_action_is_applied():
    c = rules(ALL_ACTIONS).classify(parsed_mail(body="hola"))
    assert c.severity == "critica"  # accents and case folded
    assert c.category == "exclusiones"
    assert (c.product, c.vendor) == ("withsecure", "withsecure")
    assert c.assignee == "ana@imagenti.mx"
    assert c.group == "nivel-1"
    assert c.out_of_scope == "Texto para el cliente."
    assert c.no_autoreply is True
    assert c.ignore is None


def test_no_rule_matching_gives_an_empty_classification():
    c = rules(ALL_ACTIONS).classify(parsed_mail(body="adiós"))
    assert c == Classification()
    assert c.severity is None and c.no_autoreply is False and c.hits == ()


def test_product_and_vendor():
    text = """
    [[rule]]
    name = "a"
    description = "producto con su fabricante"
    [rule.match]
    body.any = ["policy"]
    [rule.set]
    product = "policy-manager"
    vendor = "withsecure"

    [[rule]]
    name = "b"
    description = "solo fabricante"
    [rule.match]
    body.any = ["tz"]
    [rule.set]
    vendor = "sonicwall"

    [[rule]]
    name = "c"
    description = "fabricante configurado por ops"
    [rule.match]
    body.any = ["acme"]
    [rule.set]
    product = "acme"
    """
    rs = rules(text, vendors=["withsecure", "sonicwall", "acme"])
    c = rs.classify(parsed_mail(body="policy"))
    assert (c.product, c.vendor) == ("policy-manager", "withsecure")
    c = rs.classify(parsed_mail(body="tz"))
    assert (c.product, c.vendor) == ("sonicwall", "sonicwall")
    c = rs.classify(parsed_mail(body="acme tz"))
    # product and vendor are one decision: the first rule that sets them.
    assert (c.product, c.vendor) == ("sonicwall", "sonicwall")
    assert c.hits[1].superseded == ("product", "vendor")


def test_ignore_records_the_reason_and_ends_evaluation():
    text = """
    [[rule]]
    name = "spam"
    description = "spam"
    [rule.match]
    subject.any = ["oferta"]
    [rule.set]
    ignore = "publicidad"

    [[rule]]
    name = "despues"
    description = "never reached"
    [rule.match]
    subject.any = ["oferta"]
    [rule.set]
    severity = "critica"
    """
    c = rules(text).classify(parsed_mail("Gran oferta"))
    assert c.ignore == "publicidad"
    assert c.severity is None
    assert c.matched == ("spam",)


def test_stop_ends_evaluation():
    text = """
    [[rule]]
    name = "primero"
    description = "d"
    [rule.match]
    body.any = ["vip"]
    [rule.set]
    group = "gerencia"
    stop = true

    [[rule]]
    name = "segundo"
    description = "d"
    [rule.match]
    body.any = ["vip"]
    [rule.set]
    severity = "leve"
    """
    c = rules(text).classify(parsed_mail(body="cliente vip"))
    assert c.matched == ("primero",)
    assert c.group == "gerencia" and c.severity is None
    assert c.hits[0].set == {"group": "gerencia", "stop": True}


# --- precedence --------------------------------------------------------------------------------------

PRECEDENCE = """
[[rule]]
name = "leve-primero"
description = "d"
[rule.match]
body.any = ["a"]
[rule.set]
severity = "leve"
category = "primera"
assignee = "uno@imagenti.mx"

[[rule]]
name = "critica"
description = "d"
[rule.match]
body.any = ["b"]
[rule.set]
severity = "critica"
category = "segunda"
no_autoreply = true

[[rule]]
name = "grave"
description = "d"
[rule.match]
body.any = ["c"]
[rule.set]
severity = "grave"
assignee = "dos@imagenti.mx"
out_of_scope = "fuera"
"""


def test_highest_severity_wins_and_other_fields_first_wins():
    c = rules(PRECEDENCE).classify(parsed_mail(body="a b c"))
    assert c.severity == "critica"
    assert c.category == "primera"
    assert c.assignee == "uno@imagenti.mx"
    assert c.out_of_scope == "fuera"
    assert c.no_autoreply is True
    assert c.matched == ("leve-primero", "critica", "grave")
    superseded = {h.rule: h.superseded for h in c.hits}
    assert superseded == {"leve-primero": ("severity",), "critica": ("category",), "grave": ("severity", "assignee")}
    assert rules(PRECEDENCE).classify(parsed_mail(body="c a")).severity == "grave"


KINDS = """
[[rule]]
name = "impacto-critica"
description = "d"
[rule.match]
body.any = ["toda la empresa"]
[rule.set]
severity = "critica"

[[rule]]
name = "impacto-grave"
description = "d"
[rule.match]
body.any = ["urgente"]
[rule.set]
severity = "grave"

[[rule]]
name = "dice-leve"
description = "d"
kind = "statement"
[rule.match]
new_text.negated = ["grave", "urgente"]
[rule.set]
severity = "leve"

[[rule]]
name = "dice-grave"
description = "d"
kind = "statement"
[rule.match]
new_text.affirmed = ["grave"]
[rule.set]
severity = "grave"
category = "declarada"
"""


@pytest.mark.parametrize(
    "subject, body, severity, decided_by",
    [
        # Impact alone: the highest impact wins.
        ("Red", "Toda la empresa sin red, urgente", "critica", "impacto-critica"),
        ("Red", "urgente", "grave", "impacto-grave"),
        # A statement decides, lower or higher than the impact, and wherever it stands among the rules.
        ("Red", "Toda la empresa sin red. Es grave.", "grave", "dice-grave"),
        ("Red", "Toda la empresa sin red, pero no es grave.", "leve", "dice-leve"),
        ("GRAVE - red", "Se cayó la red de un equipo", "grave", "dice-grave"),
        # Two statements: the highest of them.
        ("No es urgente", "pero sí es grave", "grave", "dice-grave"),
        # No rule at all.
        ("Hola", "Texto", None, None),
    ],
)
def test_a_statement_decides_severity_over_impact(subject, body, severity, decided_by):
    c = rules(KINDS).classify(parsed_mail(subject, body))
    assert c.severity == severity
    deciders = [h.rule for h in c.hits if "severity" in h.set and "severity" not in h.superseded]
    assert deciders == ([decided_by] if decided_by else [])
    assert {h.kind for h in c.hits if h.rule.startswith("dice-")} <= {"statement"}
    assert {h.kind for h in c.hits if h.rule.startswith("impacto-")} <= {"impact"}


def test_kind_leaves_other_fields_alone_and_is_in_the_hits():
    c = rules(KINDS).classify(parsed_mail("Red", "Toda la empresa sin red. Es grave."))
    assert c.category == "declarada"
    data = c.to_json()
    assert {h["rule"]: h["kind"] for h in data["hits"]} == {"impacto-critica": "impact", "dice-grave": "statement"}
    assert {h["rule"]: h["superseded"] for h in data["hits"]} == {"impacto-critica": ["severity"], "dice-grave": []}


def test_on_a_severity_tie_only_the_first_rule_decides():
    text = PRECEDENCE.replace('severity = "grave"', 'severity = "critica"')
    c = rules(text).classify(parsed_mail(body="a b c"))
    assert c.severity == "critica"
    assert {h.rule: "severity" in h.superseded for h in c.hits} == {
        "leve-primero": True,
        "critica": False,
        "grave": True,
    }


def test_not_set_severity_sees_the_statement_decision():
    text = (
        KINDS
        + """
[[rule]]
name = "tras-declaracion"
description = "d"
[rule.match]
body.any = ["sin red"]
is_set = ["severity"]
[rule.set]
group = "con-severidad"
"""
    )
    c = rules(text).classify(parsed_mail("Red", "sin red"))
    assert c.group is None
    c = rules(text).classify(parsed_mail("Es grave", "sin red"))
    assert c.group == "con-severidad"


CEILINGS = (
    KINDS
    + """
[[rule]]
name = "tope-grave"
description = "d"
kind = "ceiling"
[rule.match]
new_text.negated = ["critico"]
[rule.set]
severity = "grave"

[[rule]]
name = "tope-leve"
description = "d"
kind = "ceiling"
[rule.match]
new_text.any = ["trabajan normal"]
[rule.set]
severity = "leve"
"""
)


@pytest.mark.parametrize(
    "body, severity, decided_by",
    [
        # A ceiling lowers the impact, and then decided.
        ("Toda la empresa sin red, no es crítico.", "grave", "tope-grave"),
        ("Toda la empresa sin red, no es crítico; los usuarios trabajan normal.", "leve", "tope-leve"),
        # It never raises it.
        ("urgente, no es crítico", "grave", "impacto-grave"),
        ("Hola, no es crítico", None, None),
        # A statement is not capped.
        ("Toda la empresa sin red; trabajan normal. Es grave.", "grave", "dice-grave"),
    ],
)
def test_a_ceiling_caps_the_impact_not_a_statement(body, severity, decided_by):
    c = rules(CEILINGS).classify(parsed_mail("Red", body))
    assert c.severity == severity
    deciders = [h.rule for h in c.hits if "severity" in h.set and "severity" not in h.superseded]
    assert deciders == ([decided_by] if decided_by else [])


@pytest.mark.parametrize(
    "kind, sets, message",
    [
        ('"statment"', 'severity = "leve"', "kind: unknown kind 'statment' (did you mean 'statement'?)"),
        ("1", 'severity = "leve"', "kind: unknown kind '1'"),
        ('"statement"', 'category = "x"', 'kind = "statement" is about severity, and this rule sets none'),
        ('"ceiling"', 'group = "x"', 'kind = "ceiling" is about severity, and this rule sets none'),
        ('"techo"', 'severity = "leve"', "known: statement: the client's own level"),
    ],
)
def test_kind_problems_name_file_and_line(kind, sets, message):
    text = (
        f'[[rule]]\nname = "r"\ndescription = "d"\nkind = {kind}\n[rule.match]\nbody.any = ["x"]\n[rule.set]\n{sets}\n'
    )
    [(file, line, msg)] = problems(text)
    assert (file, line) == ("t.toml", 4)
    assert msg.startswith("rule 'r': ") and message in msg


# --- the new text of the body ------------------------------------------------------------------------------

REPLY = (
    "Ya reinstalamos el agente y sigue igual.\n\n"
    "Saludos,\nAna López\nGerente de Soluciones Críticas\n\n"
    "El lun, 1 dic 2026 a las 10:00, Soporte <soporte@imagenti.mx> escribió:\n"
    "> Es urgente que nos confirme si todos los usuarios están afectados.\n"
)


def test_new_body_leaves_out_quoted_history_and_signature():
    mail = parsed_mail("RE: agente", REPLY)
    assert matches('body.any = ["urgente"]', mail)
    assert matches('body.any = ["criticas"]', mail)
    assert not matches('new_body.any = ["urgente"]', mail)
    assert not matches('new_body.any = ["criticas"]', mail)
    assert matches('new_body.any = ["reinstalamos"]', mail)
    assert matches('new_text.any = ["agente"]', mail)
    assert not matches('new_text.any = ["usuarios"]', mail)
    assert matches('new_body.none = ["urgente"]', mail)
    assert matches("new_body.regex = '^ya reinstalamos'", mail)


def test_new_body_of_a_mail_that_is_not_a_reply_is_its_body():
    mail = parsed_mail("Agente", "El agente no actualiza, es urgente.")
    assert matches('new_body.any = ["urgente"]', mail)
    assert matches('new_body.affirmed = ["urgente"]', mail)


def test_new_body_is_worked_out_once_and_only_when_a_rule_needs_it(monkeypatch):
    from mailbot.rules import newtext

    calls = []
    real = newtext.new_body

    def counting(text, subject=""):
        calls.append(text)
        return real(text, subject)

    monkeypatch.setattr(newtext, "new_body", counting)
    rs = rules(
        KINDS
        + """
[[rule]]
name = "otra"
description = "d"
[rule.match]
new_body.any = ["grave"]
new_body.regex = 'es grave'
[rule.set]
group = "g"
"""
    )
    rs.classify(parsed_mail("Hola", "nada que ver"))
    assert calls == []  # no keyword of a new_body rule in the body: no split
    rs.classify(parsed_mail("Hola", "Es grave"))
    assert len(calls) == 1


def test_only_rules_on_the_new_text_read_it_once_per_mail(monkeypatch):
    from mailbot.rules import newtext

    calls = []
    real = newtext.new_body

    def counting(text, subject=""):
        calls.append(text)
        return real(text, subject)

    monkeypatch.setattr(newtext, "new_body", counting)
    rs = rules(
        '[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\nnew_text.any = ["grave"]\n[rule.set]\ngroup = "g"\n'
    )
    assert rs.classify(parsed_mail("RE: x", REPLY.replace("sigue igual", "es grave"))).group == "g"
    assert rs.classify(parsed_mail("Hola", "nada que ver")).group is None
    assert len(calls) == 2  # pre-selected on the new text itself: once per mail


@pytest.mark.parametrize(
    "subject, new_subject",
    [
        ("Sin internet - CRÍTICO", "Sin internet - CRÍTICO"),
        ("RE: Sin internet - CRÍTICO", ""),
        ("Re: RV: urgente", ""),
        ("[EXT] RE: urgente", ""),
        ("RV: Sucursal sin sistema", "RV: Sucursal sin sistema"),
        ("Fwd: urgente", "Fwd: urgente"),
        ("Urgente: VPN", "Urgente: VPN"),
    ],
)
def test_new_subject_is_empty_for_a_reply(subject, new_subject):
    from mailbot.rules.newtext import new_subject as ns

    assert ns(subject) == new_subject


SIGNED = (
    "Necesito restablecer la contraseña de la consola.\n\n"
    "Saludos.\n\nIng. Iván Cárdenas\nCoordinador de Infraestructura Crítica\nTel. 55 1234\n\n"
    "AVISO DE CONFIDENCIALIDAD: Si lo recibió por error, notifíquelo de manera URGENTE al remitente."
)


@pytest.mark.parametrize(
    "body, new",
    [
        (SIGNED, "Necesito restablecer la contraseña de la consola."),
        # a legal notice without a closing line before it
        (
            "La VPN no conecta.\n\nEste correo es confidencial y para uso exclusivo del destinatario; es URGENTE avisar.",
            "La VPN no conecta.",
        ),
        ("La VPN no conecta.\n\nCONFIDENTIALITY NOTICE: this e-mail is urgent to delete.", "La VPN no conecta."),
        ("la vpn no conecta\n\nEnviado desde mi iPhone", "la vpn no conecta"),
        ("La VPN no conecta.\n-- \nAna", "La VPN no conecta."),
        ("The VPN is down.\nBest regards,\nAna\nIT", "The VPN is down."),
        # a closing on top is a greeting; a sentence that starts with "Gracias" is no closing
        ("Saludos.\nLa VPN no conecta, es urgente.", "Saludos.\nLa VPN no conecta, es urgente."),
        (
            "Gracias Daniel, ya quedó todo funcionando.\nOtra cosa: es urgente la VPN.",
            "Gracias Daniel, ya quedó todo funcionando.\nOtra cosa: es urgente la VPN.",
        ),
        # "Este mensaje de error…" is no legal notice
        (
            "Hola.\nEste mensaje de error aparece al abrir la consola.",
            "Hola.\nEste mensaje de error aparece al abrir la consola.",
        ),
    ],
)
def test_new_body_cuts_signatures_and_legal_notices(body, new):
    from mailbot.rules.newtext import new_body

    assert new_body(body) == new


FORWARD = (
    "Buenas tardes,\n\n{note}\n\nSaludos.\nLaura\n\n"
    "________________________________\n"
    "De: Marisol Vega <mvega@cliente.com.mx>\n"
    "Enviado el: miércoles, 7 de octubre de 2026 4:13 p. m.\n"
    "Para: laura@cliente.com.mx\n"
    "Asunto: URGENTE sucursal sin sistema\n\n"
    "Hola Laura,\n\nNinguna computadora de la sucursal entra al sistema, estamos haciendo las guías a mano.\n\n"
    "Saludos,\nMarisol Vega\nGerente Sucursal\n"
)


def test_a_forwarded_report_is_part_of_the_new_text_a_forwarded_request_is_not():
    from mailbot.rules.newtext import new_body

    report = new_body(FORWARD.format(note="Les reenvío el reporte de la gerente de la sucursal."), "RV: sucursal")
    assert report.startswith("Buenas tardes,\n\nLes reenvío el reporte")
    assert "guías a mano" in report
    assert "De:" not in report and "URGENTE" not in report and "Gerente Sucursal" not in report
    request = new_body(FORWARD.format(note="Te reenvío lo que pidió la gerente."), "RV: sucursal")
    assert request == "Buenas tardes,\n\nTe reenvío lo que pidió la gerente."
    # A reply is never a forwarded report.
    assert "guías" not in new_body(FORWARD.format(note="Les reenvío el reporte."), "RE: sucursal")


def test_the_quick_way_to_the_new_body_gives_what_split_reply_gives():
    """Without a quote boundary split_reply's search is skipped: the result must not change."""
    from mailbot.mail.quotes import split_reply
    from mailbot.rules.newtext import cut_signature, maybe_quoted, new_body

    texts = [
        SIGNED,
        REPLY,
        FORWARD.format(note="x"),
        "Hola\r\nla VPN no conecta   \r\n\r\nSaludos,\r\nAna\r\n",
        "On Mon, Dec 1, 2026 at 10:00 AM Ana <a@b.mx> wrote:\n> hola",
        "-----Original Message-----\nFrom: x\nSent: y\nTo: z\nSubject: w\n\nhola",
        "*De:* Ana\n*Enviado el:* lunes\n*Para:* x\n",
        "Texto con dos puntos: 10:30 y nada más.",
        "",
    ]
    for text in texts:
        assert new_body(text) == cut_signature(split_reply(text).new), text
    assert not maybe_quoted(SIGNED) and maybe_quoted(REPLY)


@pytest.mark.parametrize(
    "text",
    [
        "hola, mundo: ¿qué tal? «bien» — gracias",
        "caida total del servicio_web en l'oficina",
        "x² ½ 𝟙 straße ø kobenhavn 東京 test_x __ a-b",
        "\u00a0no\u2003es urgente\u200b",
        "",
    ],
)
def test_words_are_split_as_the_keyword_pattern_splits_them(text):
    from mailbot.rules.fold import WORD, words

    assert words(fold(text)) == WORD.findall(fold(text))


def test_keywords_of_the_start_of_a_text_come_from_those_of_the_whole():
    from mailbot.rules.fold import KeywordIndex, words

    index = KeywordIndex(["urgente", "no es", "red lent*", "sin red", "toda la empresa", "lent*", "saludos"])
    whole = words(fold("Toda la empresa sin red, no es urgente. Saludos, la red lenta de toda la empresa"))
    for n in range(len(whole) + 1):
        expected = index.find_words(whole[:n])
        assert index.find_in_start(whole, n, index.find_words(whole)) == expected, n


# --- counting -----------------------------------------------------------------------------------------------

PEOPLE = '["personas", "usuarios", "equipos", "computadoras", "developers", "users", "cajas"]'


@pytest.mark.parametrize(
    "text, low, high, holds",
    [
        ("10 personas no pueden trabajar", 2, 24, True),
        ("las 6 computadoras del área", 2, 24, True),
        ("(más de 80 equipos)", 25, None, True),
        ("treinta y dos cajas sin sistema", 25, None, True),
        ("8 software developers", 2, 24, True),
        ("ten new remote users", 2, 24, True),
        ("un par de usuarios", 2, 24, True),
        ("decenas de equipos infectados", 25, None, True),
        ("dozens of users", 25, None, True),
        ("DOS COMPUTADORAS", 2, 24, True),
        ("80 equipos", 2, 24, False),
        ("un usuario", 2, 24, False),
        ("desde las 9 los usuarios no pueden", 2, 24, False),
        ("son las 9, usuarios sin red", 2, 24, False),
        ("los usuarios de ventas", 1, None, False),
    ],
)
def test_count_reads_the_number_before_the_word(text, low, high, holds):
    bounds = ", ".join(f"{k} = {v}" for k, v in (("min", low), ("max", high)) if v is not None)
    assert matches(f"body.count = {{ {bounds}, of = {PEOPLE} }}", parsed_mail(body=text)) is holds


def test_count_explains_what_it_counted():
    c = one_rule(f"new_text.count = {{ min = 2, max = 24, of = {PEOPLE} }}").classify(
        parsed_mail(body="El área de ventas (10 personas) no puede entrar.")
    )
    assert c.hits[0].why == ['new_text.count: found 10 "personas" (2 to 24)']
    c = one_rule(f"body.count = {{ min = 25, of = {PEOPLE} }}").classify(parsed_mail(body="Más de 80 equipos."))
    assert c.hits[0].why == ['body.count: found 80 "equipos" (at least 25)']


@pytest.mark.parametrize(
    "spec, message",
    [
        ('["personas"]', "write a table: {of ="),
        ('{ of = ["personas"] }', "write a table: {of ="),
        ("{ min = 2 }", "write a table: {of ="),
        ('{ min = 2, of = ["personas"], desde = 1 }', "count.desde: unknown key"),
        ('{ min = -1, of = ["personas"] }', "count.min: must be a whole number, 0 or more"),
        ('{ min = "dos", of = ["personas"] }', "count.min: must be a whole number"),
        ('{ min = 5, max = 2, of = ["personas"] }', "count.max: max 2 is below min 5"),
        ("{ min = 2, of = [] }", "count.of: must be a non-empty list of keywords"),
    ],
)
def test_count_problems(spec, message):
    found = problems(
        f'[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\nbody.count = {spec}\n[rule.set]\ncategory = "x"\n'
    )
    assert len(found) == 1, found
    assert found[0][1] == 5 and message in found[0][2]


def test_count_needs_a_text_target():
    [(_, line, msg)] = problems(
        '[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\nfrom.count = { min = 2, of = ["x"] }\n'
        '[rule.set]\ncategory = "x"\n'
    )
    assert line == 5 and "count reads sentences" in msg


# --- negation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "No es urgente",
        "no es urgente",
        "NO ES URGENTE",
        "nada urgente, cuando puedan",
        "no lo consideramos urgente",
        "No es algo urgente.",
        "no es tan urgente",
        "sin urgencia",
        "no creo que sea urgente",
        "It is not urgent",
        "This isn't urgent",
        "not urgent at all",
        "no\nes urgente",  # a line wrapped inside the sentence
    ],
)
def test_negated_keywords(text):
    keywords = '["urgente", "urgent", "urgencia"]'
    assert matches(f"body.negated = {keywords}", parsed_mail(body=text))
    assert not matches(f"body.affirmed = {keywords}", parsed_mail(body=text))


@pytest.mark.parametrize(
    "text",
    [
        "Es urgente",
        "URGENTE: no funciona la VPN",
        "No funciona la VPN, es urgente",
        "No funciona la VPN. Urgente",
        "no podemos trabajar es urgente",
        "No sé qué pasa; urgente",
        "no funciona - urgente",
        "no funciona\n\nurgente",
        "no es leve pero tampoco es crítico: es urgente",
        "It's urgent, nothing works",
    ],
)
def test_affirmed_keywords(text):
    keywords = '["urgente", "urgent"]'
    assert matches(f"body.affirmed = {keywords}", parsed_mail(body=text))
    assert not matches(f"body.negated = {keywords}", parsed_mail(body=text))


def test_a_keyword_said_both_ways_is_affirmed_and_negated():
    mail = parsed_mail(body="No es crítico para ellos, pero para nosotros es crítico.")
    assert matches('body.affirmed = ["critico"]', mail)
    assert matches('body.negated = ["critico"]', mail)


def test_negation_with_phrases_prefixes_and_accents():
    assert matches('body.negated = ["es critico"]', parsed_mail(body="NO ES CRÍTICO"))
    assert matches('body.negated = ["critic*"]', parsed_mail(body="nada crítica"))
    assert matches('body.affirmed = ["critic*"]', parsed_mail(body="situación crítica"))
    assert not matches('body.affirmed = ["critic*"]', parsed_mail(body="ningún problema crítico"))
    assert matches('subject.negated = ["grave"]', parsed_mail("Nada grave", "x"))


def test_negation_explains_where():
    c = one_rule('body.negated = ["urgente"]').classify(parsed_mail(body="Hola. Esto no es urgente, gracias"))
    assert c.hits[0].why == ['body.negated: found "urgente" negated in "esto no es urgente"']
    c = one_rule('body.affirmed = ["urgente"]').classify(parsed_mail(body="Hola. Es urgente"))
    assert c.hits[0].why == ['body.affirmed: found "urgente" not negated in "es urgente"']


def test_negation_needs_a_text_target():
    [(_, line, msg)] = problems(
        '[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\nfrom.affirmed = ["x"]\n[rule.set]\ncategory = "x"\n'
    )
    assert line == 5 and "affirmed reads sentences: use it on subject, body, new_subject, new_body" in msg


def test_not_set_and_is_set_look_at_earlier_rules():
    text = """
    [[rule]]
    name = "producto"
    description = "d"
    [rule.match]
    body.any = ["withsecure"]
    [rule.set]
    product = "withsecure"

    [[rule]]
    name = "fuera"
    description = "d"
    [rule.match]
    body.any = ["office"]
    not_set = ["product", "category"]
    [rule.set]
    out_of_scope = "office no"

    [[rule]]
    name = "con-producto"
    description = "d"
    [rule.match]
    body.any = ["office"]
    is_set = ["product"]
    [rule.set]
    group = "productos"
    """
    rs = rules(text)
    c = rs.classify(parsed_mail(body="office no abre"))
    assert (c.out_of_scope, c.group) == ("office no", None)
    c = rs.classify(parsed_mail(body="withsecure bloquea office"))
    assert (c.out_of_scope, c.group) == (None, "productos")
    assert c.hits[1].why[0] == "is_set: product already set"


# --- explanations -------------------------------------------------------------------------------------


def test_hits_record_rule_file_description_set_and_why():
    text = """
    [[rule]]
    name = "critica-servicio-caido"
    description = "Negocio interrumpido"
    [rule.match]
    subject_or_body.any = ["caída", "no funciona nada", "todos los usuarios"]
    body.none = ["prueba"]
    from.glob = ["*@cliente.com.mx"]
    header."X-Priority".regex = "^1"
    [rule.set]
    severity = "critica"
    """
    mail = parsed_mail("CAIDA del servicio", "No funciona nada", headers=[("X-Priority", "1")])
    c = rules(text).classify(mail)
    (hit,) = c.hits
    assert (hit.rule, hit.file, hit.line, hit.description) == (
        "critica-servicio-caido",
        "t.toml",
        2,
        "Negocio interrumpido",
    )
    assert hit.set == {"severity": "critica"}
    assert 'subject_or_body.any: found "caída", "no funciona nada"' in hit.why
    assert "body.none: none of 1 keywords found" in hit.why
    assert 'from.glob: "*@cliente.com.mx" matched "ana@cliente.com.mx"' in hit.why
    assert 'header."X-Priority".regex: "^1" matched "1"' in hit.why
    data = c.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["severity"] == "critica"
    assert data["hits"][0]["rule"] == "critica-servicio-caido"
    assert data["hits"][0]["why"] == hit.why


def test_classification_is_frozen():
    c = Classification()
    with pytest.raises(FrozenInstanceError):
        c.severity = "critica"


def test_disabled_rules_are_validated_but_not_evaluated():
    text = """
    [[rule]]
    name = "apagada"
    description = "d"
    enabled = false
    [rule.match]
    body.any = ["hola"]
    [rule.set]
    severity = "critica"
    """
    rs = rules(text)
    assert len(rs) == 0
    assert rs.classify(parsed_mail(body="hola")).severity is None
    assert problems(text.replace('"critica"', '"altisima"'))


def test_many_rules_share_one_keyword_index():
    blocks = [
        f'[[rule]]\nname = "r{i}"\ndescription = "d"\n[rule.match]\nsubject_or_body.any = ["palabra{i}", "frase {i}"]\n'
        f'[rule.set]\ncategory = "c{i}"\n'
        for i in range(600)
    ]
    rs = load_rules_text("\n".join(blocks), "big.toml")
    assert len(rs) == 600
    c = rs.classify(parsed_mail("palabra599", "y la frase 17"))
    assert c.matched == ("r17", "r599")
    assert c.category == "c17"


# --- loading a directory ---------------------------------------------------------------------------------


def _rule(name, word, sets='category = "x"'):
    return f'[[rule]]\nname = "{name}"\ndescription = "d"\n[rule.match]\nbody.any = ["{word}"]\n[rule.set]\n{sets}\n'


def test_load_rules_reads_toml_files_in_name_order(tmp_path):
    (tmp_path / "20-b.toml").write_text(_rule("b", "hola", 'category = "segunda"'), encoding="utf-8")
    (tmp_path / "10-a.toml").write_text(_rule("a", "hola", 'category = "primera"'), encoding="utf-8")
    (tmp_path / "README.md").write_text("not rules", encoding="utf-8")
    (tmp_path / ".#10-a.toml").write_text("editor lock", encoding="utf-8")
    rs = load_rules(tmp_path)
    assert len(rs) == 2
    assert rs.names == ("a", "b")
    assert [p.name for p, _ in rs.files] == ["10-a.toml", "20-b.toml"]
    assert all(len(digest) == 64 for _, digest in rs.files)
    c = rs.classify(parsed_mail(body="hola"))
    assert c.category == "primera"
    assert [(h.rule, h.file) for h in c.hits] == [("a", "10-a.toml"), ("b", "20-b.toml")]


def test_missing_directory_is_an_ops_error(tmp_path):
    with pytest.raises(OpsInputError) as info:
        load_rules(tmp_path / "nope")
    assert info.value.problems[0][2] == "rules directory not found"


def test_duplicate_names_across_files_and_all_files_reported(tmp_path):
    (tmp_path / "10-a.toml").write_text(_rule("igual", "x"), encoding="utf-8")
    (tmp_path / "20-b.toml").write_text("# comment\n\n" + _rule("igual", "y"), encoding="utf-8")
    (tmp_path / "30-c.toml").write_text("[[rule]\nname = 'roto'\n", encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(tmp_path)
    found = [(f.rsplit("/", 1)[-1], line, msg) for f, line, msg in info.value.problems]
    assert found[0] == (
        "20-b.toml",
        4,
        f"rule 'igual': name: duplicate rule name, first defined at {tmp_path / '10-a.toml'}:1",
    )
    assert found[1][:2] == ("30-c.toml", 1) and found[1][2].startswith("TOML syntax:")
    assert len(found) == 2


# --- load errors, with lines and rule names -------------------------------------------------------------

BROKEN = """\
# Reglas con errores: cada uno debe reportarse, todos a la vez.
[[rule]]
name = "uno"
description = "varios errores"
colour = "rojo"
[rule.match]
subjetc.any = ["x"]
body.regex = "([a-z"
header."X-Priority".regex = "(("
from.glob = ["cliente.com.mx"]
subject.anyy = ["y"]
[rule.set]
severity = "urgente"
vendor = "eset"
categoria = "x"

[[rule]]
name = "uno"
description = "nombre repetido"
[rule.match]
body.any = [
  "bien",
  "*mal",
  "ab*",
]
not_set = ["productt"]
[rule.set]
product = "kaspersky"

[[rule]]
name = "Tres"
[rule.match]
[rule.set]
stop = false

[[rule]]
description = "sin nombre"
[rule.match]
body.regex = 'x*'
attachment.glob = ["[abc"]
"""


def test_every_problem_is_reported_at_once_with_line_and_rule_name():
    found = problems(BROKEN)
    assert all(f == "t.toml" for f, _, _ in found)
    got = [(line, msg.split(":")[0], msg) for _, line, msg in found]
    expect = [
        (5, "rule 'uno'", "colour: unknown key"),
        (7, "rule 'uno'", "match.subjetc: unknown condition (did you mean 'subject'?)"),
        (8, "rule 'uno'", "match.body.regex: bad regular expression '([a-z': unterminated character set"),
        (9, "rule 'uno'", "match.header.X-Priority.regex: bad regular expression '(('"),
        (10, "rule 'uno'", "match.from.glob: bad glob 'cliente.com.mx'"),
        (11, "rule 'uno'", "match.subject.anyy: unknown condition (did you mean 'any'?)"),
        (13, "rule 'uno'", "set.severity: unknown severity 'urgente' (use one of: critica, grave, leve)"),
        (14, "rule 'uno'", "set.vendor: unknown vendor 'eset'"),
        (15, "rule 'uno'", "set.categoria: unknown action (did you mean 'category'?)"),
        (18, "rule 'uno'", "name: duplicate rule name, first defined at t.toml:2"),
        (23, "rule 'uno'", "match.body.any: keyword '*mal': '*' is only allowed at the end"),
        (24, "rule 'uno'", "match.body.any: keyword 'ab*': a prefix needs at least 3 letters"),
        (26, "rule 'uno'", "match.not_set: unknown field 'productt' (did you mean 'product'?)"),
        (28, "rule 'uno'", "set.product: unknown vendor 'kaspersky'"),
        (30, "rule 'Tres'", "rule 'Tres': a description is required"),
        (31, "rule 'Tres'", "name: 'Tres' is not a kebab-case name"),
        (32, "rule 'Tres'", "match: empty rule: no conditions"),
        (34, "rule 'Tres'", "set.stop: can only be true"),
        (36, "rule #4 (no name)", "rule #4 (no name): a name is required"),
        (39, "rule #4 (no name)", "match.body.regex: regular expression 'x*' matches the empty string"),
        (40, "rule #4 (no name)", "match.attachment.glob: bad glob '[abc': '[' without a closing ']'"),
        (36, "rule #4 (no name)", "a [rule.set] table with at least one action is required"),
    ]
    assert len(got) == len(expect), "\n".join(map(str, got))
    for (line, who, msg), (want_line, want_who, want_text) in zip(sorted(got), sorted(expect), strict=True):
        assert (line, who) == (want_line, want_who), msg
        assert want_text in msg, msg


def test_ops_input_error_message_lists_file_and_line():
    with pytest.raises(OpsInputError) as info:
        rules(BROKEN)
    text = str(info.value)
    assert "t.toml:13: rule 'uno': set.severity: unknown severity 'urgente'" in text
    assert len(text.splitlines()) == len(info.value.problems)


def test_toml_syntax_error_names_the_line():
    found = problems('[[rule]]\nname = "a"\ndescription = "d"\nbody.any = ["x"\n[rule.set]\n')
    assert len(found) == 1
    file, line, msg = found[0]
    assert (file, line) == ("t.toml", 5)
    assert msg.startswith("TOML syntax:") and "line" not in msg


def test_unknown_top_level_key():
    found = problems('[[rules]]\nname = "a"\n')
    assert found == [("t.toml", 1, "unknown top-level key 'rules' (rules are written as [[rule]] tables)")]


@pytest.mark.parametrize(
    "match, sets, message",
    [
        ('body.any = "texto"', 'category = "x"', "must be a non-empty list of keywords"),
        ("body.any = []", 'category = "x"', "must be a non-empty list of keywords"),
        ('body.any = ["¡!"]', 'category = "x"', "has no letters or digits"),
        ("body.all = []", 'category = "x"', "must be a non-empty list"),
        ("body.regex = 5", 'category = "x"', "must be a regular expression"),
        ('body.exists = "si"', 'category = "x"', "must be true or false"),
        ('from_domain.glob = ["*@x.com"]', 'category = "x"', 'a domain has no "@"'),
        ('from.glob = ["a b@x.com"]', 'category = "x"', "contains spaces"),
        ('header."Bad Name".regex = "x"', 'category = "x"', "not a valid header name"),
        ('body.any = ["x"]', "", "empty rule: no actions"),
        ('body.any = ["x"]', 'category = "Mi Categoría"', "is not a valid category name"),
        ('body.any = ["x"]', 'assignee = "ana"', "is not an email address"),
        ('body.any = ["x"]', 'out_of_scope = "  "', "must be a non-empty text"),
        ('body.any = ["x"]', "no_autoreply = false", "can only be true"),
        ('body.any = ["x"]', "severity = 1", "unknown severity 1"),
    ],
)
def test_value_problems(match, sets, message):
    found = problems(f'[[rule]]\nname = "r"\ndescription = "d"\n[rule.match]\n{match}\n[rule.set]\n{sets}\n')
    assert len(found) == 1, found
    assert found[0][1] in (5, 6, 7)
    assert message in found[0][2] and found[0][2].startswith("rule 'r': ")


def test_table_form_of_conditions_is_accepted_and_located():
    text = """\
    [[rule]]
    name = "tabla"
    description = "d"
    [rule.match.subject]
    any = ["hola"]
    regex = "(("
    [rule.set]
    category = "x"
    """
    found = problems(text)
    assert [(line, "bad regular expression" in msg) for _, line, msg in found] == [(6, True)]
    ok = rules(text.replace('regex = "(("', 'none = ["adios"]'))
    assert ok.classify(parsed_mail("Hola")).category == "x"
