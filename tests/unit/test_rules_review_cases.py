"""The shipped rules on the misfires a reviewer found in the tuning of issue 15 (commit d55bcb5).

Each mail is ordinary client mail that the new wording misread: a ceiling phrase inside a negation or a
question, a card terminal or a street taken for the place the business runs, files counted as people, a
count of registered customers with nobody affected, a website taken for the client's site, a forward whose
note asks for help, our own product's integration or agent taken for someone else's software.
"""

import pytest

from mailbot.mail.parse import parse
from mailbot.resources import shipped
from mailbot.rules import load_rules
from mailbot.rules.newtext import new_subject
from tests.support.mail import make_mail

FORWARD = "\n\n---------- Forwarded message ---------\nDe: {sender}\nAsunto: {subject}\n\n{body}"


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(shipped("rules"))


def classify(ruleset, subject, body):
    c = ruleset.classify(parse(make_mail(subject=subject, body=body, message_id="<review-1@cliente.com.mx>")))
    why = "\n".join(f"{h.rule} ({h.kind}): {h.set} {h.why} superseded={h.superseded}" for h in c.hits)
    return c, why


# (id, subject, body, the severities that are right)
SEVERITY = [
    # 1. "trabajar normal", "si funcionan", "siguen funcionando" negated or asked about cap nothing
    (
        "negated-work-normal",
        "Servidor caído",
        "Se cayó el servidor, nadie puede facturar. No podemos trabajar normal desde las 9.",
        {"critica"},
    ),
    (
        "backups-in-doubt",
        "Sin internet",
        "Toda la empresa sin internet desde las 8. No sabemos si funcionan los respaldos.",
        {"critica"},
    ),
    (
        "backups-asked-about",
        "Ransomware",
        "Nos entró un ransomware: todos los equipos muestran la nota de rescate. ¿Siguen funcionando los respaldos?",
        {"critica"},
    ),
    (
        "no-longer-work-normal",
        "Internet",
        "Cada hora toda la empresa se queda sin internet; ya no podemos trabajar normal.",
        {"critica"},
    ),
    # what is affected still works: still capped
    (
        "rest-works",
        "Toques en la caja",
        "La caja 1 da toques cuando la tocas; la caja sí funciona y la usa normal la cajera.",
        {"leve"},
    ),
    (
        "users-work-normally",
        "Alerta en la consola",
        "En la consola salen 3 equipos con error de actualización, los usuarios trabajan normal.",
        {"leve"},
    ),
    # 2. a card terminal, a street, a construction site are not the place the business runs
    (
        "card-terminal",
        "Terminal",
        "La terminal está detenida en 'procesando pago' desde hace rato en la caja 2.",
        {"leve", "grave"},
    ),
    ("terminal-down-the-hall", "Agent", "Please install the agent on the terminal down the hall.", {"leve"}),
    ("hospital-down-the-street", "New client", "The hospital down the street is our new client.", {"leve"}),
    (
        "site-stopped-by-rain",
        "Antivirus",
        "La obra está detenida por la lluvia, así que aprovechen para que actualicen el antivirus de las laptops.",
        {"leve"},
    ),
    # the place the business runs still counts
    ("port-terminal", "Terminal", "La terminal está detenida: no podemos registrar la descarga.", {"critica"}),
    ("plant-is-down", "Plant", "The plant is down since the firewall update.", {"critica"}),
    # 3. none of the files, none of the suggestions are not people
    (
        "none-of-the-attachments",
        "Adjuntos",
        "Ninguno de los archivos adjuntos puede abrirse en mi computadora.",
        {"leve", "grave"},
    ),
    (
        "none-of-the-suggestions",
        "License",
        "None of the suggestions could fix the license error on my PC.",
        {"leve", "grave"},
    ),
    ("none-of-our-dispatchers", "Rutas", "Ninguno de nuestros despachadores puede entrar al sistema.", {"critica"}),
    ("none-of-our-agents", "Login", "None of our agents can log in to the CRM since 8 am.", {"critica"}),
    # 4. customers counted with nobody affected; a whole website
    (
        "registered-customers",
        "Reporte lento",
        "Tenemos 200 clientes registrados y el reporte de cartera se ve lento en mi equipo.",
        {"leve", "grave"},
    ),
    (
        "whole-website",
        "YouTube",
        "Quiero desbloquear todo el sitio de YouTube para marketing; no pueden entrar.",
        {"leve", "grave"},
    ),
    (
        "customers-without-service",
        "Sin monitoreo",
        "Desde el cambio de reglas hay más de 200 clientes sin monitoreo de alarmas en la central.",
        {"critica"},
    ),
    # 5. a forward whose note asks for help with it keeps its subject
    (
        "forward-asking-for-help",
        "Fwd: CRITICO: toda la empresa sin sistema, nadie puede facturar",
        "¿Nos pueden ayudar con esto lo antes posible?"
        + FORWARD.format(
            sender="Gerente <gerente@cliente.com.mx>",
            subject="CRITICO: toda la empresa sin sistema, nadie puede facturar",
            body="Toda la empresa sin sistema.",
        ),
        {"critica"},
    ),
    (
        "forwarded-phishing-asked-about",
        "Fwd: URGENTE: su cuenta será suspendida",
        "¿Es seguro abrir esto? ¿Nos pueden ayudar a revisarlo?"
        + FORWARD.format(
            sender="Banco <avisos@banco-falso.com>",
            subject="URGENTE: su cuenta será suspendida",
            body="URGENTE: actualice sus datos hoy.",
        ),
        {"leve"},
    ),
]


@pytest.mark.parametrize("subject, body, right", [c[1:] for c in SEVERITY], ids=[c[0] for c in SEVERITY])
def test_severity(ruleset, subject, body, right):
    c, why = classify(ruleset, subject, body)
    assert (c.severity or "leve") in right, why


@pytest.mark.parametrize(
    "subject, note, expected",
    [
        ("Fwd: CRITICO: sin sistema", "¿Nos pueden ayudar con esto lo antes posible?", "Fwd: CRITICO: sin sistema"),
        ("FW: Branch down", "Can you check this please?", "FW: Branch down"),
        ("FW: Branch down", "Please help, they can't work.", "FW: Branch down"),
        ("RV: Sucursal sin red", "¿Pueden revisar esto hoy?", "RV: Sucursal sin red"),
        ("Fwd: URGENTE", "¿Es seguro? ¿Nos pueden ayudar?", ""),
        ("Fwd: URGENT", "Is this legit? Can you check it?", ""),
        ("Fwd: URGENTE", "¿Esto es phishing?", ""),
        ("FW: URGENT - license inventory due Friday", "Friday is fine", ""),
    ],
)
def test_a_forwards_subject_with_a_request_for_help(subject, note, expected):
    body = note + FORWARD.format(sender="x <x@y.com>", subject=subject.split(":", 1)[1].strip(), body="Hola")
    assert new_subject(subject, body) == expected


# 6. our product's own integration, our product blocking an application, our agent's fault: in scope
IN_SCOPE = [
    (
        "Integración con el AD",
        "La integración de Safetica con el Active Directory que ustedes configuraron dejó de sincronizar; esa "
        "integración marca error desde el lunes.",
    ),
    (
        "Zendesk bloqueado",
        "El agente de WithSecure bloquea Zendesk en todas las máquinas desde la actualización de ayer.",
    ),
    (
        "Agente sin actualizar",
        "La consola se ve bien pero el agente no se actualiza en 3 equipos; el sistema dice error.",
    ),
]


@pytest.mark.parametrize("subject, body", IN_SCOPE)
def test_our_own_product_stays_in_scope(ruleset, subject, body):
    c, why = classify(ruleset, subject, body)
    assert c.out_of_scope is None, why


# what stays out of scope next to them
OUT_OF_SCOPE = [
    ("Integración con RH", "Queremos integrar Safetica con nuestro sistema de RH para dar de alta a los usuarios."),
    ("Zendesk", "¿Nos ayudan a conectar la consola de WithSecure con Zendesk para que abra tickets solos?"),
    (
        "Error en el sistema de inventarios",
        "El sistema de inventarios marca 'violación de llave primaria'. La consola de WithSecure se ve bien.",
    ),
]


@pytest.mark.parametrize("subject, body", OUT_OF_SCOPE)
def test_the_clients_own_software_stays_out_of_scope(ruleset, subject, body):
    c, why = classify(ruleset, subject, body)
    assert c.out_of_scope is not None, why
