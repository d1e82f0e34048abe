"""The shipped rules on severity and scope, mail by mail (issue 15).

Hand-written mails, not taken from the evaluation set: the client's own
statement against the impact, negation, counts of affected people, each of
the seven limits of the service, and the VPN and firewall problems that look
like a limit but are IMAGEN TI's to solve.
"""

import pytest

from mailbot.mail.parse import parse
from mailbot.resources import shipped
from mailbot.rules import load_rules
from tests.support.mail import make_mail

SIGNATURE = (
    "\n\nSaludos,\n\nIng. Iván Cárdenas\nCoordinador de Infraestructura Crítica\nEnergía del Istmo\n"
    "Línea URGENTE 24/7: 55 1234 0099\n\n"
    "AVISO DE CONFIDENCIALIDAD: Este correo es confidencial. Si lo recibió por error, notifíquelo de manera "
    "URGENTE al remitente y elimínelo; puede contener virus o malware."
)


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(shipped("rules"))


def classify(ruleset, subject, body, **kw):
    c = ruleset.classify(parse(make_mail(subject=subject, body=body, message_id="<s-1@cliente.com.mx>", **kw)))
    return c


def decided_by(c, field="severity"):
    return [h.rule for h in c.hits if field in h.set and field not in h.superseded]


def check(ruleset, subject, body, severity, out_of_scope=False):
    c = classify(ruleset, subject, body)
    why = "\n".join(f"{h.rule} ({h.kind}): {h.set} {h.why} superseded={h.superseded}" for h in c.hits)
    assert (c.severity or "leve", c.out_of_scope is not None) == (severity, out_of_scope), why
    return c


# --- the client's own statement decides -------------------------------------------------------------------

STATEMENTS = [
    # The statement wins over a bigger impact...
    ("NetExtender", "Es grave, ya son varios días así: 10 personas no pueden conectarse con NetExtender.", "grave"),
    (
        "DeepGuard bloquea Aspel",
        "Lo consideramos grave: 36 personas no pueden trabajar, DeepGuard bloquea Aspel.",
        "grave",
    ),
    ("Sin internet", "GRAVE. Toda la planta está sin internet desde las 7, el SonicWall no responde.", "grave"),
    ("Red", "Toda la empresa sin red, pero no es urgente: trabajamos con los datos del celular.", "leve"),
    # ...and over a smaller one.
    ("This is critical - NetExtender", "This is critical: my laptop can't connect with NetExtender.", "critica"),
    ("Cobranza", "Es crítico para nosotros: las 2 personas de cobranza no pueden timbrar.", "critica"),
    ("Puerto 22", "Lo consideramos crítico: el SonicWall rechaza el puerto 22 hacia el banco.", "critica"),
    ("CRÍTICO: firewall", "El firewall reinicia solo cada hora.", "critica"),
    ("Firewall reinicia - CRÍTICO", "El firewall reinicia solo cada hora.", "critica"),
    # In capitals, without accents, in English.
    ("GRAVE - EL ANTIVIRUS DETECTÓ UNA AMENAZA", "PROBLEMA GRAVE, FAVOR DE REVISAR.", "grave"),
    ("Consola", "es critico, la consola no abre y no podemos liberar equipos", "critica"),
    ("Console", "It's critical, the console is down.", "critica"),
    ("Informe", "Es leve: necesitamos el informe mensual de la consola.", "leve"),
    ("Report", "Low priority: please send the monthly WithSecure report.", "leve"),
    ("Prioridad baja", "Cuando puedan nos envían la llave de licencia.", "leve"),
]


@pytest.mark.parametrize("subject, body, severity", STATEMENTS)
def test_the_clients_statement_decides(ruleset, subject, body, severity):
    c = check(ruleset, subject, body, severity)
    kinds = {h.rule: h.kind for h in c.hits}
    assert kinds[decided_by(c)[0]] == "statement"


def test_an_impact_rule_that_lost_to_a_statement_is_superseded(ruleset):
    c = check(ruleset, "Sin internet", "Es grave: toda la empresa está sin internet, no podemos facturar.", "grave")
    impact = [h for h in c.hits if h.kind == "impact" and "severity" in h.set]
    assert impact and all("severity" in h.superseded for h in impact)
    assert decided_by(c) == ["declarada-grave"]


# --- negation ---------------------------------------------------------------------------------------------

NEGATIONS = [
    ("Duda", "No es urgente: ¿cuándo vence la licencia de Safetica?", "leve"),
    ("Duda", "no es urgente, cuando tengan tiempo revisan la politica", "leve"),
    ("DUDA", "NO ES URGENTE. SOLO QUEREMOS SABER COMO SE GENERA EL REPORTE.", "leve"),
    ("Puerto", "Nada urgente: hay que abrir el 8443 para la cámara.", "leve"),
    ("Port", "Could you open port 8443? Not urgent.", "leve"),
    ("Port", "It isn't urgent, but please open port 8443.", "leve"),
    ("Port", "No rush, please open port 8443 next week.", "leve"),
    ("Equipo lento", "No es grave, una computadora va lenta en las tardes.", "leve"),
    ("Equipo lento", "No es prioridad, la computadora de recepción va lenta.", "leve"),
    # "Urgente" in the subject, and the body takes it back.
    ("URGENTE: política USB", "En realidad no es urgente, lo vemos la próxima semana.", "leve"),
    # "No es crítico pero…" rules out CRÍTICA; the impact decides between GRAVE and LEVE.
    ("Página", "No es crítico, pero seis personas de compras no pueden entrar al portal del SAT.", "grave"),
    ("Página", "No es crítico: no abre una página en la laptop de Ana.", "leve"),
    ("Planta", "No es crítico pero toda la planta está sin internet.", "grave"),
    # A comma ends what a negation denies.
    ("VPN", "No funciona la VPN de la sucursal, es urgente.", "grave"),
]


@pytest.mark.parametrize("subject, body, severity", NEGATIONS)
def test_negation_is_understood(ruleset, subject, body, severity):
    check(ruleset, subject, body, severity)


@pytest.mark.parametrize(
    "subject, body, severity",
    [
        ("Urgente: llave de licencia", "Necesitamos la llave de licencia de Safetica hoy.", "grave"),
        ("URGENT", "The customs team can't upload files through the SonicWall.", "grave"),
        ("Urgente", "Una laptop no abre la VPN.", "grave"),
        ("URGENTE: caida del firewall SonicWall", "Toda la empresa esta sin internet desde las 9.", "critica"),
        ("Urgente por favor", "Malware en más de 50 equipos, no podemos operar.", "critica"),
    ],
)
def test_urgente_alone_is_at_least_grave_and_critica_only_with_the_impact(ruleset, subject, body, severity):
    c = check(ruleset, subject, body, severity)
    assert "grave-urgente" in c.matched
    assert all(h.kind != "statement" for h in c.hits)


# --- impact: counts and scope of the affected ------------------------------------------------------------

IMPACT = [
    # CRÍTICA: the whole company, many users, the business stopped.
    ("Sin internet", "Toda la empresa está sin internet desde las 8.", "critica"),
    ("Red", "Nadie en la oficina puede trabajar, la red no responde.", "critica"),
    ("Punto de venta", "DeepGuard bloquea el punto de venta en todas las tiendas. No podemos vender.", "critica"),
    ("ERP", "WithSecure borró el ejecutable del ERP: no podemos facturar.", "critica"),
    ("Equipos", "Más de 60 equipos con alertas de malware en la consola.", "critica"),
    ("Equipos", "Tenemos treinta y dos cajas sin sistema por el firewall.", "critica"),
    ("Equipos", "Decenas de equipos infectados desde esta mañana.", "critica"),
    ("VPN", "Se cayó la VPN con las 12 sucursales.", "critica"),
    ("Whole company down", "The whole company is offline since 9 am, the SonicWall does not respond.", "critica"),
    ("Production", "Production line stopped: DeepGuard blocks the MES client.", "critica"),
    # GRAVE: some employees, one area, one site.
    ("Cobranza", "Las 6 computadoras del área de cobranza están lentísimas desde la actualización.", "grave"),
    ("Compras", "Los compradores no pueden trabajar, WithSecure aisló sus equipos.", "grave"),
    ("Ingeniería", "El área de ingeniería (10 personas) no puede abrir los planos.", "grave"),
    ("NetExtender", "Ocho vendedores foráneos no pueden conectarse con NetExtender.", "grave"),
    ("Sucursal", "La sucursal Puebla está sin sistema desde la mañana.", "grave"),
    ("VPN", "La VPN se desconecta cada 10 minutos, afecta a algunos empleados.", "grave"),
    ("Internet lento", "El internet está muy lento en toda la oficina.", "grave"),
    ("Sales team", "Our sales team can't reach the supplier portal, the firewall blocks it.", "grave"),
    # LEVE: one user, a question, a change, a report, a licence key.
    ("Página", "La página del banco no abre en la laptop de Ana, está bloqueada por WithSecure.", "leve"),
    ("Duda", "¿WithSecure protege contra macros en archivos de Word?", "leve"),
    ("Política", "Queremos bloquear las USB en toda la empresa con Safetica.", "leve"),
    ("Reporte", "¿Nos envían el reporte de estatus de los equipos?", "leve"),
    ("Licencia", "Necesitamos la llave de licencia para instalar 5 equipos nuevos.", "leve"),
    ("Agentes", "Siete equipos no reportan a la consola, los usuarios trabajan normal.", "leve"),
    ("NetExtender", "We'd like to set up NetExtender for 10 new remote users next week.", "leve"),
]


@pytest.mark.parametrize("subject, body, severity", IMPACT)
def test_the_impact_decides_without_a_statement(ruleset, subject, body, severity):
    c = check(ruleset, subject, body, severity)
    assert all(h.kind != "statement" for h in c.hits)


def test_a_count_of_people_is_read_and_explained(ruleset):
    c = check(ruleset, "NetExtender", "Los 8 usuarios de almacén no pueden conectarse.", "grave")
    [hit] = [h for h in c.hits if h.rule == "grave-cifra-de-afectados"]
    assert 'new_text.count: found 8 "usuarios" (2 to 24)' in hit.why
    c = check(ruleset, "Malware", "Más de 80 equipos infectados.", "critica")
    assert "critica-muchos-equipos-afectados" in decided_by(c)


# --- only the new text counts -----------------------------------------------------------------------------


def test_signature_and_legal_notice_do_not_set_severity_or_scope(ruleset):
    c = check(
        ruleset, "Contraseña", "Solicito restablecer la contraseña de la consola de WithSecure." + SIGNATURE, "leve"
    )
    assert c.category == "restablecer-contrasena-consola"


def test_quoted_history_does_not_set_severity(ruleset):
    body = (
        "Otra cosa: ¿nos abren el puerto 8080 hacia la cámara? Gracias.\n\n"
        "El mar, 8 dic 2026 a las 16:46, Soporte <soporte@imagenti.mx> escribió:\n"
        "> URGENTE!!! Toda la empresa está sin internet, es crítico, no podemos facturar.\n"
    )
    check(ruleset, "RE: Sin internet en toda la empresa - CRÍTICO", body, "leve")


def test_the_new_text_above_a_mild_quote_decides(ruleset):
    body = (
        "Se cayó la red en toda la planta, nadie puede trabajar.\n\n"
        "El lun, 7 dic 2026 a las 10:00, Ana <ana@cliente.com.mx> escribió:\n"
        "> ¿Nos mandan el reporte mensual cuando puedan? No es urgente.\n"
    )
    check(ruleset, "RE: reporte mensual", body, "critica")


# --- out of scope: the seven limits ------------------------------------------------------------------------

T = "fuera-de-alcance-"
LIMITS = [
    # third-party products
    ("Outlook", "A la contadora no le abre el Outlook desde ayer, marca error de perfil.", T + "productos-de-terceros"),
    ("Lentitud", "La computadora va lenta desde la actualización de Windows.", T + "terceros-por-windows-update"),
    (
        "Pantalla azul",
        "Pantalla azul en la laptop tras actualizar Windows. Ya desinstalamos WithSecure y sigue igual, no es el antivirus.",
        T + "terceros-descartada-nuestra-solucion",
    ),
    # vulnerability patching
    (
        "Parches",
        "¿Pueden aplicar los parches de seguridad de Windows en los servidores?",
        T + "parchado-de-vulnerabilidades",
    ),
    (
        "Chrome",
        "Hay una vulnerabilidad crítica en Chrome, ¿la pueden corregir en todos los equipos?",
        T + "corregir-vulnerabilidad",
    ),
    # migration or integration
    ("Correo", "Queremos migrar el correo de Exchange a Microsoft 365.", T + "migracion-integracion"),
    ("SIEM", "Could you integrate WithSecure Elements with our SIEM?", T + "migracion-integracion"),
    ("Nube", "Queremos pasar el servidor de archivos a la nube.", T + "migracion-a-la-nube"),
    # code development
    (
        "Script",
        "¿Nos pueden hacer un script que revise si el agente de WithSecure está instalado?",
        T + "desarrollo-de-codigo",
    ),
    ("Tool", "Can you develop a small Python tool that exports SonicWall logs?", T + "desarrollo-de-codigo"),
    ("Conector", "El conector que desarrollamos tiene un error en el código, ¿lo revisan?", T + "desarrollo-de-codigo"),
    # changes to the client's applications or infrastructure
    (
        "Formulario",
        "Queremos agregar un campo nuevo al formulario de nuestra página web.",
        T + "modificaciones-cliente",
    ),
    (
        "Red",
        "Queremos cambiar el direccionamiento IP de toda la red y mover los servidores.",
        T + "modificaciones-cliente",
    ),
    # infrastructure problems
    ("Dominio", "No podemos unir equipos al dominio, el Active Directory marca error.", T + "infraestructura"),
    ("DNS", "El servidor DNS interno no resuelve el nombre del servidor de archivos.", T + "infraestructura"),
    ("Red lenta", "La red está lenta en la bodega por un cable dañado, hay que recablear.", T + "infraestructura"),
    # other software
    ("CONTPAQi", "El CONTPAQi no abre en la computadora de contabilidad.", T + "software-diferente"),
    ("Fortigate", "¿Nos ayudan con las reglas del Fortigate de la planta?", T + "firewall-de-otra-marca"),
    (
        "Safetica",
        "El Safetica lo compramos con otro distribuidor; ¿nos ayudan con una política?",
        T + "comprado-con-otro-proveedor",
    ),
]


@pytest.mark.parametrize(
    "subject, body, rule", LIMITS, ids=[f"{r[len(T) :]}-{i}" for i, (_, _, r) in enumerate(LIMITS)]
)
def test_each_limit_is_out_of_scope(ruleset, subject, body, rule):
    c = classify(ruleset, subject, body)
    assert c.out_of_scope is not None, [h.rule for h in c.hits]
    # The first rule that set the reason decided it (a later one with the same reason is not superseded).
    assert decided_by(c, "out_of_scope")[0] in (
        rule,
        rule.replace("desarrollo-de-codigo", "desarrollo-de-codigo-del-cliente"),
    )


def test_every_limit_of_the_terms_has_a_reason(ruleset):
    reasons = {r.actions["out_of_scope"] for r in ruleset if "out_of_scope" in r.actions}
    assert len(reasons) == 7
    assert all(r.startswith("Le comentamos") and "«" in r for r in reasons)


# --- in scope, though it looks like a limit ------------------------------------------------------------------

IN_SCOPE = [
    ("Urgente: túnel VPN", "Urgente: se cayó el túnel VPN con matriz. Es crítico, estamos detenidos.", "critica"),
    ("VPN", "La VPN site-to-site con la bodega está caída; los 10 usuarios de la bodega no pueden entrar.", "grave"),
    ("NetExtender", "NetExtender no conecta desde Windows 11 en la laptop del director.", "leve"),
    ("Firewall", "El firewall bloquea Teams en Recursos Humanos, están moviendo las entrevistas a teléfono.", "grave"),
    ("SonicWall bloquea Office 365", "El SonicWall bloquea Outlook y Office 365 para todos los usuarios.", "critica"),
    ("DeepGuard", "DeepGuard bloquea CONTPAQi en las 5 computadoras de contabilidad; no pueden trabajar.", "grave"),
    ("DeepGuard", "DeepGuard bloquea el instalador del driver de la impresora en mi equipo.", "leve"),
    ("Regla DNS", "Necesitamos una regla en el SonicWall para el DNS del nuevo servidor.", "leve"),
    ("Exclusión Veeam", "Necesitamos una exclusión en WithSecure para el respaldo de Veeam.", "leve"),
    ("Exclusión script", "Necesitamos una exclusión para el script de PowerShell que corre cada noche.", "leve"),
    ("Agente", "Vimos el boletín de la vulnerabilidad del agente; ¿pueden actualizar nuestros agentes?", "leve"),
    ("Safetica y AD", "El agente de Safetica no lee los usuarios de Active Directory.", "leve"),
    ("Agentes y nube", "Tres agentes no se conectan a la nube de WithSecure, aparecen sin reportar.", "leve"),
    ("Firmas", "Las actualizaciones de seguridad del agente no se descargan en la sucursal.", "leve"),
    (
        "Outlook y WithSecure",
        "Desde la actualización del agente de WithSecure, Outlook se cierra en dos laptops.",
        "leve",
    ),
    (
        "Firma",
        "Necesito que asignen el perfil Desarrollo a dos laptops." + SIGNATURE.replace("Crítica", "de Migraciones"),
        "leve",
    ),
]


@pytest.mark.parametrize("subject, body, severity", IN_SCOPE)
def test_our_products_vpn_and_firewall_problems_are_in_scope(ruleset, subject, body, severity):
    check(ruleset, subject, body, severity, out_of_scope=False)
