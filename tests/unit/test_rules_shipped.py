"""The shipped rules (rules/*.toml) against realistic client mail, table-driven.

Each case is a mail as a client of IMAGEN TI would write it (accents or not,
misspellings, the clue in the subject or in the body) and what the rules
must decide: severity (None from the rules counts as the configured default,
leve), category, product and which out-of-scope rule, if any, applies.
"""

import pytest

from mailbot.mail.parse import parse
from mailbot.resources import shipped
from mailbot.rules import load_rules
from tests.support.mail import CLIENT_FROM, make_mail

RULES_DIR = shipped("rules")  # what the package carries, wheel or checkout


def parsed_mail(subject, body, *, sender=CLIENT_FROM, headers=(), attachments=()):
    """A client's mail, parsed: one fixed Message-ID, no Date, each attachment a zip file."""
    files = [(name, b"PK\x03\x04", "application/zip") for name in attachments]
    return parse(
        make_mail(
            subject=subject,
            body=body,
            sender=sender,
            message_id="<test-1@cliente.com.mx>",
            date=False,
            headers=headers,
            attachments=files,
        )
    )


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(RULES_DIR)


T = "fuera-de-alcance-"

# (id, subject, body, severity, category, product, out-of-scope rule or None)
CASES = [
    # --- CRÍTICA ---
    (
        "critica-internet-caido",
        "URGENTE: caída total del internet en la oficina",
        "Buenas tardes, desde las 10 am se cayó el internet en toda la empresa, el SonicWall tiene la luz de "
        "alerta encendida. Nadie puede trabajar.",
        "critica",
        None,
        "sonicwall",
        None,
    ),
    (
        "critica-ransomware",
        "Ransomware en el servidor",
        "Nos encriptaron los archivos del servidor de archivos, aparece una nota de rescate. Tenemos "
        "WithSecure Elements.",
        "critica",
        "virus-malware",
        "withsecure",
        None,
    ),
    (
        "critica-no-podemos-facturar",
        "Todos los usuarios sin sistema",
        "Ningún usuario puede abrir el sistema de facturación, WithSecure lo bloquea desde esta mañana. "
        "No podemos facturar.",
        "critica",
        "bloqueo-aplicaciones",
        "withsecure",
        None,
    ),
    (
        "critica-sin-acentos-mal-escrito",
        "se callo todo el sistema",
        "buen dia, todas las computadoras de la oficina estan sin red, necesitamos apoyo urgente",
        "critica",
        None,
        None,
        None,
    ),
    (
        "critica-regex-cifra",
        "equipos infectados",
        "Tenemos mas de 50 equipos con virus detectados por F-Secure Client Security.",
        "critica",
        "virus-malware",
        "withsecure",
        None,
    ),
    (
        "critica-mayusculas",
        "CAIDA GENERAL DEL SERVICIO",
        "EL PORTAL DE VENTAS ESTA FUERA DE SERVICIO, ESTAMOS PERDIENDO DINERO. EL SONICWALL REINICIA SOLO.",
        "critica",
        None,
        "sonicwall",
        None,
    ),
    # --- GRAVE ---
    (
        "grave-pagina-bloqueada",
        "Algunos usuarios no pueden entrar a una página",
        "Hola, varios usuarios del área de compras no pueden entrar a la página del SAT, dice que está "
        "bloqueada por el firewall. ¿Pueden revisar?",
        "grave",
        "bloqueo-pagina-web",
        None,
        None,
    ),
    (
        "grave-netextender",
        "Intermitencia VPN NetExtender",
        "La VPN con NetExtender se desconecta cada 10 minutos, afecta a algunos empleados que trabajan desde casa.",
        "grave",
        "errores-agentes",
        "sonicwall",
        None,
    ),
    (
        "grave-troyano",
        "urgente - equipo con virus",
        "El antivirus detectó un troyano en la laptop de la gerente, la tiene en cuarentena pero sigue "
        "saliendo la alerta. El equipo tiene WithSecure.",
        "grave",
        "virus-malware",
        "withsecure",
        None,
    ),
    (
        "grave-safetica-bloquea-app",
        "No puedo trabajar",
        "Safetica me bloquea la aplicación de nómina desde ayer y no puedo trabajar, me urge.",
        "grave",
        "bloqueo-aplicaciones",
        "safetica",
        None,
    ),
    (
        "grave-red-lenta-sucursal",
        "Red lenta en sucursal",
        "Desde ayer la red está muy lenta en la sucursal de Puebla, varios equipos tardan en abrir el "
        "sistema. Tenemos un SonicWall TZ 370.",
        "grave",
        "red-lenta",
        "sonicwall",
        None,
    ),
    (
        "grave-internet-lento-oficina",
        "INTERNET MUY LENTO",
        "desde la mañana el internet esta muy lento en toda la oficina",
        "grave",
        "red-lenta",
        None,
        None,
    ),
    (
        "grave-kaspersky-fuera",
        "Errores en antivirus",
        "Tenemos Kaspersky en algunas máquinas y marca errores al iniciar, ¿nos ayudan?",
        "grave",
        None,
        None,
        T + "antivirus-de-terceros",
    ),
    # --- LEVE y categorías ---
    (
        "leve-reporte-mensual",
        "Consulta: reporte mensual",
        "Buen día, quisiera saber cómo generar un reporte mensual del estatus de los equipos en la consola "
        "de WithSecure. No es urgente.",
        "leve",
        "informes-reportes",
        "withsecure",
        None,
    ),
    (
        "leve-informe-trimestral",
        "Informe de amenazas",
        "¿Pueden enviarnos el informe trimestral de amenazas detectadas?",
        "leve",
        "informes-reportes",
        None,
        None,
    ),
    (
        "leve-computadora-lenta",
        "computadora lenta",
        "Mi computadora esta muy lenta desde que se instalo el agente, cuando puedan la revisan",
        "leve",
        "computadora-lenta",
        None,
        None,
    ),
    (
        # Slowness that comes from Windows Update is a third-party problem (the terms' first limit).
        "leve-compu-lentisima-windows-fuera",
        "lentitud",
        "la compu esta lentisima desde la ultima actualizacion de windows",
        "leve",
        "computadora-lenta",
        None,
        T + "terceros-por-windows-update",
    ),
    (
        "exclusion-office-withsecure",
        "Exclusión para Office en WithSecure",
        "Necesitamos agregar una exclusión en WithSecure para la carpeta de plantillas de Office, el escaneo "
        "en tiempo real detecta las macros.",
        "leve",
        "exclusiones",
        "withsecure",
        None,
    ),
    (
        "exclusion-excel-sin-producto",
        "Excepción para archivo de Excel",
        "Por favor agreguen una excepcion para el archivo de Excel con macros de contabilidad, lo marca como amenaza.",
        "leve",
        "exclusiones",
        None,
        None,
    ),
    (
        "falso-positivo",
        "falso positivo",
        "El F-Secure marca como malicioso nuestro sistema de inventarios, creemos que es un falso positivo.",
        "leve",
        "exclusiones",
        "withsecure",
        None,
    ),
    (
        "puertos",
        "Abrir puerto 3389",
        "Necesitamos permitir el puerto 3389 de entrada hacia el servidor de nómina en el firewall.",
        "leve",
        "puertos",
        None,
        None,
    ),
    (
        "contrasena-consola",
        "restablecer contraseña consola",
        "Olvidé la contraseña de la consola de Elements, ¿me ayudan a restablecerla?",
        "leve",
        "restablecer-contrasena-consola",
        "withsecure",
        None,
    ),
    (
        "contrasena-mal-escrita",
        "olvide mi pasword del policy manager",
        "no recuerdo el pasword de admin del policy manager",
        "leve",
        "restablecer-contrasena-consola",
        "withsecure",
        None,
    ),
    (
        "contrasena-solo-asunto",
        "Safetica - restablecer password consola",
        "Gracias",
        "leve",
        "restablecer-contrasena-consola",
        "safetica",
        None,
    ),
    (
        "perfiles",
        "Perfiles de usuario",
        "Necesito asignar un perfil de usuario de solo lectura en la consola de Safetica para el auditor.",
        "leve",
        "perfiles-usuario",
        "safetica",
        None,
    ),
    (
        "licencia-perdida",
        "Licencia",
        "Perdimos la llave de licencia de WithSecure Elements, ¿nos la pueden reenviar?",
        "leve",
        "llaves-licencia",
        "withsecure",
        None,
    ),
    (
        "keycode-psb",
        "keycode F-Secure",
        "¿Cuál es el keycode de nuestra suscripción de F-Secure PSB? Lo necesito para instalar un equipo nuevo.",
        "leve",
        "llaves-licencia",
        "withsecure",
        None,
    ),
    (
        "licencia-no-urgente",
        "vencimiento",
        "No es urgente: ¿cuándo vence nuestra licencia de Safetica?",
        "leve",
        "llaves-licencia",
        "safetica",
        None,
    ),
    (
        "actualizar-consola",
        "Actualizar consola",
        "¿Cuándo podemos actualizar el Policy Manager a la nueva versión?",
        "leve",
        "actualizaciones-consola-agentes",
        "withsecure",
        None,
    ),
    (
        "firmware-mal-escrito",
        "firmware",
        "Queremos programar la actualizacion del firmware del sonicwal",
        "leve",
        "actualizaciones-consola-agentes",
        "sonicwall",
        None,
    ),
    (
        "agentes-no-reportan",
        "Agentes no reportan",
        "Cinco equipos aparecen desconectados en la consola, el agente no reporta desde el lunes.",
        "leve",
        "errores-agentes",
        None,
        None,
    ),
    (
        "agente-safetica-error",
        "error en agente de Safetica",
        "El cliente de Safetica marca error al iniciar en dos laptops.",
        "leve",
        "errores-agentes",
        "safetica",
        None,
    ),
    (
        "restringir-consola",
        "Restringir acceso a consola",
        "Queremos restringir el acceso a la consola de WithSecure solo desde la IP de la oficina.",
        "leve",
        "restricciones-acceso-consola",
        "withsecure",
        None,
    ),
    (
        "politica-dlp",
        "Nueva política DLP",
        "Queremos configurar una nueva política en Safetica para evitar que se copien archivos a USB.",
        "leve",
        "configuraciones-nuevas",
        "safetica",
        None,
    ),
    (
        "vpn-sucursal",
        "VPN nueva",
        "Necesitamos configurar una VPN para una nueva sucursal en el SonicWall.",
        "leve",
        "configuraciones-nuevas",
        "sonicwall",
        None,
    ),
    (
        "dns-en-sonicwall-en-alcance",
        "DNS en SonicWall",
        "Necesitamos agregar un servidor DNS en la configuración del SonicWall.",
        "leve",
        "configuraciones-nuevas",
        "sonicwall",
        None,
    ),
    (
        "pagina-sin-acentos",
        "bloqueo de pagina",
        "no me deja entrar a la pagina del banco, sale bloqueado por withsecure",
        "leve",
        "bloqueo-pagina-web",
        "withsecure",
        None,
    ),
    (
        "alerta-malware",
        "Alerta de malware",
        "Withsecure mostró una alerta de malware en un archivo descargado, ya lo eliminó. ¿Debemos hacer algo más?",
        "leve",
        "virus-malware",
        "withsecure",
        None,
    ),
    (
        "withsecure-bloquea-outlook",
        "Outlook",
        "Desde que instalamos WithSecure no deja abrir Outlook en una laptop.",
        "leve",
        None,
        "withsecure",
        None,
    ),
    (
        "whitsecure-mal-escrito",
        "duda whitsecure",
        "una consulta, el whitsecure se puede instalar en mac?",
        "leve",
        None,
        "withsecure",
        None,
    ),
    # --- fuera de alcance: los 7 limitantes ---
    (
        "fuera-outlook",
        "Outlook no abre",
        "Buenas tardes, a una usuaria no le abre el Outlook desde ayer, marca error de perfil.",
        "leve",
        None,
        None,
        T + "productos-de-terceros",
    ),
    (
        "fuera-windows-update",
        "Windows no actualiza",
        "El Windows 11 de la laptop no termina de instalar las actualizaciones.",
        "leve",
        None,
        None,
        T + "productos-de-terceros",
    ),
    (
        "fuera-impresora",
        "Impresora",
        "La impresora de recepción no imprime desde la red.",
        "leve",
        None,
        None,
        T + "productos-de-terceros",
    ),
    (
        "fuera-no-comprado-con-imagen",
        "SonicWall de la bodega",
        "El SonicWall de la bodega no lo compramos con ustedes, ¿pueden revisar una regla?",
        "leve",
        None,
        "sonicwall",
        T + "no-comprado-con-imagen",
    ),
    (
        "fuera-migracion-de-datos",
        "Datos al NAS nuevo",
        "Queremos pasar todos los datos del servidor de archivos viejo al NAS nuevo. ¿Cuánto cobrarían?",
        "leve",
        None,
        None,
        T + "migracion-de-datos",
    ),
    (
        "fuera-integracion-con-sistema-del-cliente",
        "Bajas automáticas",
        "Queremos que WithSecure se sincronice con nuestro sistema de RH para dar de baja a los que se van.",
        "leve",
        None,
        "withsecure",
        T + "integracion-con-sistema-del-cliente",
    ),
    (
        "fuera-pedido-de-aplicacion",
        "Aplicación para altas",
        "Queremos una aplicación que dé de alta automáticamente a los usuarios nuevos en la consola.",
        "leve",
        None,
        None,
        T + "pedido-de-aplicacion",
    ),
    (
        "fuera-otro-software-descartada",
        "Aspel no abre",
        "Aspel COI no abre, marca error de base de datos. No tiene que ver con el antivirus, ya lo revisamos con WithSecure desactivado.",
        "leve",
        None,
        "withsecure",
        T + "otro-software-descartada-nuestra-solucion",
    ),
    (
        "fuera-antivirus-de-terceros-falla",
        "McAfee se cierra",
        "En la sucursal todavía tenemos McAfee (no se pasó a WithSecure) y se cierra solo al iniciar. ¿Nos ayudan?",
        "leve",
        None,
        "withsecure",
        T + "antivirus-de-terceros-falla",
    ),
    (
        "fuera-parches",
        "Parches",
        "Nos llegó un escaneo con 30 vulnerabilidades en los servidores, necesitamos aplicar los parches de seguridad.",
        "leve",
        None,
        None,
        T + "parchado-de-vulnerabilidades",
    ),
    (
        "fuera-cve",
        "CVE",
        "¿Cómo parchamos la CVE-2024-3400 en nuestros servidores?",
        "leve",
        None,
        None,
        T + "parchado-de-vulnerabilidades",
    ),
    (
        "fuera-migracion",
        "Migración a la nube",
        "Queremos migrar nuestro sistema de nómina a un servidor en la nube, ¿nos pueden apoyar?",
        "leve",
        None,
        None,
        T + "migracion-integracion",
    ),
    (
        "fuera-migracion-a-la-nube",
        "Nube",
        "¿Nos ayudan a llevar el servidor de archivos a la nube?",
        "leve",
        None,
        None,
        T + "migracion-a-la-nube",
    ),
    (
        "fuera-integracion",
        "Integración",
        "Necesitamos integrar nuestro sistema de inventarios con el sistema de ventas.",
        "leve",
        None,
        None,
        T + "migracion-integracion",
    ),
    (
        "fuera-script",
        "Script",
        "¿Nos pueden desarrollar un script en PowerShell que instale el agente de WithSecure en las laptops nuevas?",
        "leve",
        None,
        "withsecure",
        T + "desarrollo-de-codigo",
    ),
    (
        "fuera-pedido-de-script",
        "Script",
        "¿Nos ayudan con un script que mapee las unidades de red al iniciar sesión?",
        "leve",
        None,
        None,
        T + "pedido-de-script",
    ),
    (
        "fuera-macro",
        "Macro de Excel",
        "Necesitamos que nos hagan una macro en Excel para consolidar los datos de ventas.",
        "leve",
        None,
        None,
        T + "desarrollo-de-codigo",
    ),
    (
        "fuera-modificaciones",
        "Modificar sistema",
        "Requerimos modificaciones a nuestro sistema de punto de venta para que imprima otro formato.",
        "leve",
        None,
        None,
        T + "modificaciones-cliente",
    ),
    (
        "fuera-topologia",
        "Cambiar topología",
        "Queremos cambiar la topología de la red y hacer nuevo cableado en el segundo piso.",
        "leve",
        None,
        None,
        T + "modificaciones-cliente",
    ),
    (
        "fuera-dns",
        "DNS",
        "Los equipos no resuelven nombres, creemos que es el servidor DNS del dominio.",
        "leve",
        None,
        None,
        T + "infraestructura",
    ),
    (
        "fuera-active-directory",
        "Directorio activo",
        "No puedo unir una computadora nueva al Directorio Activo, marca error de credenciales.",
        "leve",
        None,
        None,
        T + "infraestructura",
    ),
    (
        "fuera-apagon",
        "Se fue la luz",
        "Hubo un apagón y desde entonces el switch del segundo piso no enciende.",
        "leve",
        None,
        None,
        T + "infraestructura",
    ),
    (
        "fuera-contpaqi",
        "CONTPAQi",
        "El CONTPAQi no abre en la computadora de contabilidad, marca error de licencia.",
        "leve",
        None,
        None,
        T + "software-diferente",
    ),
    (
        "fuera-autocad",
        "AutoCAD se cierra",
        "AutoCAD se cierra solo al abrir planos grandes.",
        "leve",
        None,
        None,
        T + "software-diferente",
    ),
    (
        "fuera-fortigate",
        "VPN Fortigate",
        "¿Nos ayudan a configurar la VPN del Fortigate?",
        "leve",
        None,
        None,
        T + "firewall-de-otra-marca",
    ),
    (
        "fuera-comprado-con-otro-proveedor",
        "Política de Safetica",
        "El Safetica de la planta lo compramos con otro distribuidor, ¿nos ayudan a crear una política nueva?",
        "leve",
        "configuraciones-nuevas",
        "safetica",
        T + "comprado-con-otro-proveedor",
    ),
    (
        "fuera-vulnerabilidad-de-chrome",
        "Chrome vulnerable",
        "Salió una vulnerabilidad en Chrome, ¿pueden actualizarlo en los equipos de la oficina?",
        "leve",
        None,
        None,
        T + "corregir-vulnerabilidad",
    ),
    (
        "fuera-codigo-del-cliente",
        "Error en nuestro conector",
        "El conector de nuestro sistema de pedidos falla desde ayer, ¿pueden revisar el código fuente?",
        "leve",
        None,
        None,
        T + "desarrollo-de-codigo-del-cliente",
    ),
    (
        "fuera-outlook-sin-el-antivirus",
        "Outlook se cierra",
        "Outlook se cierra al abrir adjuntos en la laptop de Ana. Ya desactivamos WithSecure y sigue igual.",
        "leve",
        None,
        "withsecure",
        T + "terceros-descartada-nuestra-solucion",
    ),
    (
        "fuera-tomcat-vulnerable-con-sonicwall",
        "Tomcat vulnerable",
        "El portal de pedidos corre en un Tomcat que aparece como vulnerable; ya vimos intentos en los registros "
        "del SonicWall. ¿Nos ayudan a pasarlo a la versión más reciente?",
        "leve",
        None,
        "sonicwall",
        T + "parchado-software-de-terceros",
    ),
    (
        "fuera-switch-quemado-sonicwall-bien",
        "Se quemó el switch",
        "Después del apagón el switch del site ya no prendió. El SonicWall sí prende y tiene sus luces normales.",
        "leve",
        None,
        "sonicwall",
        T + "infraestructura-danada",
    ),
    (
        "fuera-mismo-error-sin-withsecure",
        "Error en el sistema de calidad",
        "Nuestro sistema de calidad marca error al guardar. Con WithSecure desactivado sale el mismo error.",
        "leve",
        None,
        "withsecure",
        T + "falla-sigue-sin-nuestra-solucion",
    ),
    # Our solution named only to say it shows nothing: the product is recognised, the request is not ours.
    (
        "fuera-office-withsecure-no-marca-nada",
        "Excel se traba en compras",
        "A la jefa de compras se le traba Excel al abrir los archivos grandes. WithSecure no está marcando nada "
        "en su laptop. ¿Nos ayudan?",
        "leve",
        "computadora-lenta",
        "withsecure",
        T + "terceros-nuestra-solucion-sin-hallazgos",
    ),
    (
        "fuera-active-directory-sonicwall-bien",
        "Cuentas de dominio bloqueadas",
        "Las cuentas de dominio de recepción se bloquean a cada rato en Active Directory. El SonicWall está "
        "bien y WithSecure no marca nada.",
        "leve",
        None,
        "withsecure",
        T + "infraestructura-nuestra-solucion-sin-hallazgos",
    ),
    (
        "fuera-sistema-propio-sin-detecciones",
        "Error en el sistema de cobranza",
        "El sistema de cobranza marca 'error de conversión' al generar estados de cuenta. WithSecure no tiene "
        "ninguna detección en ese servidor.",
        "leve",
        None,
        "withsecure",
        T + "otro-software-nuestra-solucion-sin-hallazgos",
    ),
    (
        "fuera-actualizaciones-de-seguridad-de-tablets",
        "Actualizaciones de las tablets",
        "¿Nos pueden instalar las actualizaciones de seguridad de Android en las tablets de los repartidores?",
        "leve",
        None,
        None,
        T + "actualizaciones-de-seguridad",
    ),
]


@pytest.mark.parametrize(
    "subject, body, severity, category, product, out_of_scope",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_shipped_rules(ruleset, subject, body, severity, category, product, out_of_scope):
    c = ruleset.classify(parsed_mail(subject, body))
    why = "\n".join(f"{h.rule}: {h.set} {h.why}" for h in c.hits)
    assert (c.severity or "leve", c.category, c.product) == (severity, category, product), why
    oos_rule = next((h.rule for h in c.hits if "out_of_scope" in h.set and "out_of_scope" not in h.superseded), None)
    assert oos_rule == out_of_scope, why
    assert (c.out_of_scope is not None) == (out_of_scope is not None)
    assert c.ignore is None and c.no_autoreply is False


def test_every_category_product_and_limitation_is_covered(ruleset):
    """The table exercises each category, product and out-of-scope rule that ships."""
    shipped_categories = {r.actions["category"] for r in ruleset if "category" in r.actions}
    shipped_products = {r.actions["product"] for r in ruleset if "product" in r.actions}
    shipped_oos = {r.name for r in ruleset if "out_of_scope" in r.actions}
    assert len(shipped_categories) == 15
    assert shipped_products == {"withsecure", "safetica", "sonicwall"}
    # Several rules may quote one limitation; the seven limitations of the terms are all there.
    assert len({r.actions["out_of_scope"] for r in ruleset if "out_of_scope" in r.actions}) == 7
    assert {c[4] for c in CASES} >= shipped_categories
    assert {c[5] for c in CASES} >= shipped_products
    assert {c[6] for c in CASES} - {None} == shipped_oos
    assert {c[3] for c in CASES} == {"critica", "grave", "leve"}
    assert len(CASES) >= 40


def test_out_of_scope_reasons_quote_the_terms(ruleset):
    for rule in ruleset:
        reason = rule.actions.get("out_of_scope")
        if reason is None:
            continue
        assert "«" in reason and "»" in reason, rule.name
        assert reason.startswith("Le comentamos"), rule.name


def test_spam_flag_is_ignored(ruleset):
    mail = parsed_mail("Oferta", "Gane dinero desde casa", headers=[("X-Spam-Flag", "YES")])
    c = ruleset.classify(mail)
    assert c.ignore and "spam" in c.ignore.lower()
    assert c.matched == ("ignorar-spam-marcado",)


def test_spam_subject_mark_is_ignored(ruleset):
    c = ruleset.classify(parsed_mail("[SPAM] Facturas pendientes", "Descargue su factura"))
    assert c.ignore is not None


def test_no_reply_sender_gets_no_acknowledgement(ruleset):
    mail = parsed_mail(
        "Alerta: equipo sin protección",
        "El agente del equipo PC-12 está desactivado.",
        sender="WithSecure Elements <no-reply@withsecure.com>",
    )
    c = ruleset.classify(mail)
    assert c.no_autoreply is True
    assert c.ignore is None
    assert c.product == "withsecure"
    assert c.category == "errores-agentes"


def test_vendor_domain_sets_product(ruleset):
    mail = parsed_mail(
        "Case 00123456 update", "We have reviewed the logs you sent.", sender="Support <support@withsecure.com>"
    )
    c = ruleset.classify(mail)
    assert (c.product, c.vendor) == ("withsecure", "withsecure")
    assert "producto-por-remitente-fabricante" in c.matched


def test_diagnostic_attachment_sets_product(ruleset):
    mail = parsed_mail("Adjunto diagnóstico", "Les envío el archivo que pidieron.", attachments=["fsdiag.zip"])
    c = ruleset.classify(mail)
    assert c.product == "withsecure"
    assert c.matched == ("producto-withsecure-por-adjunto",)


def test_home_office_and_signature_addresses_are_not_third_party(ruleset):
    body = "Estoy en home office y la VPN de SonicWall no conecta.\n\n--\nAna López\nana.lopez@outlook.com"
    c = ruleset.classify(parsed_mail("VPN", body))
    assert c.out_of_scope is None
    assert c.product == "sonicwall"
