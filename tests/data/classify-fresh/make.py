"""Write the fresh held-out classification set: ``mails/NNN.eml`` and ``labels.toml``.

A second, independent set next to ``tests/data/classify``: new client companies, new
people, new cases, every mail in the ``heldout`` split. The cases below were written
from the customer's support terms only (``reference/terminos-soporte-imagenti.txt``:
CRITICIDAD DE INCIDENCIAS, INCIDENTES MAS COMUNES, LIMITANTES DEL SERVICIO). Nobody
writing them opened mailbot's rules or benchmark, or ran the classifier on these mails.

Each case is the client's new text, its subject, who wrote it and how (reply with quoted
history, forward, HTML part, no accents, ALL CAPS, typos, English), and the label an
IMAGEN TI engineer would give it, with a one-line reason.

Run from the repository root; the output is deterministic (fixed seed, fixed MIME
boundaries), so running it again rewrites the same bytes:

    .venv/bin/python tests/data/classify-fresh/make.py

The mail-building helpers follow ``tests/data/classify/make.py`` so both sets look alike
on the wire (mail programs, headers, reply and forward formats, transfer encodings).
"""

from __future__ import annotations

import html
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from textwrap import dedent

HERE = Path(__file__).resolve().parent
DESK = "soporte@imagenti.mx"
ESCALATION = ("Francisco Martínez", "francisco.martinez@imagenti.mx")  # second level, from the terms
MX = timezone(timedelta(hours=-6), "CST")  # America/Mexico_City, no DST since 2022
SEED = 20270111

SEVERITIES = ("critica", "grave", "leve")
LIMITS = {
    "terceros": "problemas causados por productos de terceros: sistema operativo, software de oficina, antivirus de terceros",
    "parchado": "el parchado de vulnerabilidades",
    "migracion": "migración/integración de aplicaciones (salvo la de la propuesta comercial)",
    "codigo": "desarrollo de código",
    "modificaciones": "desarrollo de modificaciones y alteraciones a las aplicaciones o infraestructura del cliente",
    "infraestructura": "problemas existentes en la infraestructura: Active Directory, DNS, red UTP, eléctrica",
    "otro_software": "problemas de software diferente a la solución adquirida",
}
INCIDENTS = {
    "computadora_lenta": "Computadora lenta",
    "virus_malware": "Virus o Malware en la computadora o red",
    "bloqueo_web": "Bloqueo para acceder a página Web",
    "bloqueo_aplicaciones": "Bloqueo de aplicaciones",
    "puertos": "Permitir o denegar puertos entrada y salida",
    "exclusiones": "Exclusiones de archivos o aplicaciones",
    "red_lenta": "Red Lenta",
    "contrasenas_consola": "Restablecer contraseñas de acceso a consolas",
    "perfiles_usuario": "Asignación de perfiles de usuario",
    "configuraciones_nuevas": "Configuraciones nuevas",
    "llaves_licencia": "Recuperación de llaves de licencia",
    "informes_reportes": "Informes y reportes de las soluciones",
    "errores_agentes": "Errores en funcionamiento de agentes o clientes",
    "actualizaciones": "Actualizaciones de consola y agentes",
    "restricciones_consola": "Restricciones de acceso a consolas",
}


# ---------------------------------------------------------------------------
# Who writes: invented client companies (.com.mx), their people and signatures.
# None of them appears in tests/data/classify.
# ---------------------------------------------------------------------------

DISCLAIMERS = {
    "conf": (
        "Este mensaje es confidencial y para uso exclusivo de su destinatario. Si lo recibió por error, "
        "le agradeceremos avisar al remitente y borrarlo de su sistema."
    ),
    "privacidad": "Consulte nuestro Aviso de Privacidad en www.{domain}/aviso-de-privacidad",
    "coop": (
        "{company} es una Sociedad Cooperativa de Ahorro y Préstamo autorizada y supervisada por la CNBV. "
        "Si recibió este mensaje por error, repórtelo de forma urgente a nuestro Oficial de Cumplimiento en "
        "cumplimiento@{domain}."
    ),
    "clinica": (
        "Este correo puede contener información de salud de pacientes, protegida por la Ley Federal de "
        "Protección de Datos Personales. Si no es el destinatario, le pedimos eliminarlo sin reenviarlo."
    ),
    "legal": (
        "Este correo y sus anexos pueden contener información privilegiada sujeta a secreto profesional. "
        "Cualquier uso, copia o divulgación no autorizada está prohibida."
    ),
    "en": (
        "This message and any attachments are confidential and intended only for the named recipient(s). "
        "If you received it in error, please notify the sender and delete it."
    ),
    "scan_en": "This email has been scanned for viruses and malware by our email security gateway.",
    "eco": "Cuidemos el planeta: no imprima este correo si no es necesario.",
}


@dataclass(frozen=True)
class Person:
    name: str
    local: str
    domain: str
    company: str
    title: str
    phone: str
    program: str = "outlook"  # outlook | gmail | apple | thunderbird | iphone
    lang: str = "es"
    closing: str = "Saludos."
    disclaimers: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # more signature lines (web, address, slogans)
    colleague: tuple[str, str] = ("", "")  # (name, local part) of someone at the same company

    @property
    def addr(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def colleague_addr(self) -> str:
        return f"{self.colleague[1]}@{self.domain}"

    def signature(self) -> str:
        if self.program == "iphone":
            first = next(w for w in self.name.split() if not w.endswith(".") and w not in ("MVZ", "Mtro", "Mtra"))
            return f"{self.closing}\n{first}\n\nEnviado desde mi iPhone"
        lines = [self.closing, "", self.name, self.title, self.company]
        if self.phone:
            lines.append(("Tel. " if self.lang == "es" else "Phone: ") + self.phone)
        lines.extend(self.extra)
        out = "\n".join(lines)
        for key in self.disclaimers:
            out += "\n\n" + DISCLAIMERS[key].format(domain=self.domain, company=self.company.split(",")[0])
        return out


PEOPLE = {
    "canto": Person(
        "Ing. Rubén Canto Pech",
        "rcanto",
        "dmsureste.com.mx",
        "Distribuidora Médica del Sureste, S.A. de C.V.",
        "Jefe de Sistemas",
        "(999) 943 2710 ext. 112",
        closing="Saludos cordiales.",
        disclaimers=("conf",),
        extra=("Calle 60 Norte #415, Mérida, Yucatán",),
        colleague=("Lic. Gabriel Chan", "gchan"),
    ),
    "lorena": Person(
        "Lorena Osuna",
        "lorena.osuna",
        "bahiadorada.com.mx",
        "Grupo Hotelero Bahía Dorada",
        "Coordinadora de TI",
        "(669) 986 4400 ext. 7012",
        program="gmail",
        closing="Saludos!",
        colleague=("Martín Tirado", "mtirado"),
    ),
    "enrique": Person(
        "Mtro. Enrique Salinas",
        "esalinas",
        "ievallealto.com.mx",
        "Instituto Educativo Valle Alto",
        "Responsable de Cómputo",
        "(81) 8356 1290",
        program="thunderbird",
        closing="Saludos",
        colleague=("Mtra. Leticia Garza", "lgarza"),
    ),
    "gerardo": Person(
        "Gerardo Zavala",
        "gzavala",
        "trefpotosinos.com.mx",
        "Transportes Refrigerados Potosinos, S.A. de C.V.",
        "Encargado de Sistemas",
        "(444) 824 5566",
        closing="saludos",
        colleague=("Brenda Loredo", "bloredo"),
    ),
    "silvia": Person(
        "C.P. Silvia Cervantes Ochoa",
        "scervantes",
        "cervantesochoa.com.mx",
        "Despacho Fiscal Cervantes Ochoa, S.C.",
        "Socia Directora",
        "55 5601 3344",
        program="iphone",
        closing="Saludos",
        colleague=("Lic. Norma Reséndiz", "nresendiz"),
    ),
    "javier": Person(
        "Javier Orozco",
        "jorozco",
        "mueblesfinostapatios.com.mx",
        "Muebles Finos Tapatíos",
        "Gerente Administrativo",
        "(33) 3631 7788",
        program="gmail",
        closing="Saludos,",
        disclaimers=("privacidad",),
        colleague=("Sandra Íñiguez", "siniguez"),
    ),
    "paola": Person(
        "Ing. Paola Reyes Montiel",
        "preyes",
        "cesanrafael.com.mx",
        "Clínica de Especialidades San Rafael",
        "Jefa de Tecnologías de la Información",
        "(777) 318 2200 ext. 405",
        closing="Quedo al pendiente, saludos.",
        disclaimers=("clinica",),
        extra=("Urgencias 24 horas: (777) 318 2211",),
        colleague=("Dr. Alfonso Quiroz", "aquiroz"),
    ),
    "ramiro": Person(
        "Ramiro Valenzuela",
        "rvalenzuela",
        "agroyaqui.com.mx",
        "Agroquímicos del Yaqui, S.A. de C.V.",
        "Soporte Técnico",
        "(644) 413 0090",
        closing="Gracias, saludos.",
        colleague=("Ing. Karina Félix", "kfelix"),
    ),
    "felipe": Person(
        "Ing. Felipe Magaña",
        "fmagana",
        "canterarosa.com.mx",
        "Edificaciones Cantera Rosa",
        "Sistemas",
        "(443) 324 1108",
        program="gmail",
        closing="Saludos",
        colleague=("Arq. Tania Pérez", "tperez"),
    ),
    "rocio": Person(
        "Rocío Gutiérrez",
        "rgutierrez",
        "gglosaltos.com.mx",
        "Grupo Gasolinero Los Altos",
        "Auxiliar de Sistemas",
        "(378) 781 2040",
        closing="Saludos",
        extra=("EN CASO DE EMERGENCIA O FUGA EN ESTACIÓN LLAME DE MANERA URGENTE AL 800 900 2040",),
        colleague=("C.P. Gilberto Franco", "gfranco"),
    ),
    "omar": Person(
        "Omar Delgado",
        "odelgado",
        "superlupita.com.mx",
        "Tiendas Súper Lupita",
        "Jefe de Soporte",
        "(871) 712 6060 ext. 31",
        closing="Saludos.",
        extra=("Cel. 871 155 0923",),
        colleague=("Yolanda Ríos", "yrios"),
    ),
    "sergio": Person(
        "Sergio Camacho",
        "scamacho",
        "litozocalo.com.mx",
        "Imprenta y Litografía Zócalo",
        "Encargado de TI",
        "55 5522 8190",
        program="thunderbird",
        closing="Saludos",
        colleague=("Rafael Zamora", "rzamora"),
    ),
    "araceli": Person(
        "Lic. Araceli Mora Cisneros",
        "amora",
        "cpsanisidro.com.mx",
        "Caja Popular San Isidro, S.C. de A.P. de R.L. de C.V.",
        "Coordinadora de Sistemas",
        "(461) 612 0450 ext. 118",
        closing="Atentamente,",
        disclaimers=("coop",),
        colleague=("Lic. Rogelio Olvera", "rolvera"),
    ),
    "alan": Person(
        "Alan Beltrán",
        "abeltran",
        "marcortes.com.mx",
        "Empacadora Mar de Cortés",
        "Sistemas",
        "(622) 222 3150",
        program="gmail",
        closing="Saludos",
        colleague=("Ing. Daniela Ochoa", "dochoa"),
    ),
    "bruno": Person(
        "Lic. Bruno Ferrer Olmedo",
        "bferrer",
        "salgadoferrer.com.mx",
        "Salgado & Ferrer Abogados, S.C.",
        "Socio",
        "55 5540 2020",
        program="apple",
        closing="Saludos cordiales,",
        disclaimers=("legal",),
        colleague=("Lic. Mónica Salgado", "msalgado"),
    ),
    "tono": Person(
        "Antonio Leyva",
        "antonio.leyva",
        "refaccionariaelguero.com.mx",
        "Refaccionaria El Güero",
        "Encargado",
        "(614) 415 3380",
        program="gmail",
        closing="saludos",
        colleague=("Lupita Leyva", "lupita"),
    ),
    "carolina": Person(
        "MVZ Carolina Rangel Soto",
        "crangel",
        "vetpatitas.com.mx",
        "Grupo Veterinario Patitas",
        "Directora General",
        "(442) 223 5510",
        program="iphone",
        closing="Saludos",
        colleague=("Diego Arellano", "darellano"),
    ),
    "hugo": Person(
        "Ing. Hugo Cantú Elizondo",
        "hcantu",
        "corrugadosreg.com.mx",
        "Corrugados Regiomontanos, S.A. de C.V.",
        "Jefe de Infraestructura y Desarrollo de Sistemas",
        "(81) 8158 4400 ext. 2105",
        closing="Saludos.",
        extra=("Cero accidentes graves: la seguridad es primero.",),
        colleague=("Ing. Marcela Villarreal", "mvillarreal"),
    ),
    "fernando": Person(
        "Fernando Aceves",
        "faceves",
        "linguaviva.com.mx",
        "Lingua Viva Escuela de Idiomas",
        "Coordinador de Sistemas",
        "(311) 213 0909",
        program="thunderbird",
        closing="Saludos cordiales",
        colleague=("Andrea Ruelas", "aruelas"),
    ),
    "wendy": Person(
        "Wendy Pool Canché",
        "wpool",
        "mundomayatours.com.mx",
        "Mundo Maya Tours",
        "Administración",
        "(998) 887 3320",
        program="gmail",
        closing="Saludos!",
        colleague=("Manuel Ek", "mek"),
    ),
    "mauricio": Person(
        "Ing. Mauricio Ríos Anaya",
        "mrios",
        "lacteosvolcanes.com.mx",
        "Grupo Lácteo Los Volcanes, S.A. de C.V.",
        "Gerente de TI | Sistemas Críticos de Planta",
        "(222) 303 1800 ext. 250",
        closing="Saludos cordiales.",
        disclaimers=("eco",),
        colleague=("Lic. Pamela Aguilar", "paguilar"),
    ),
    "haro": Person(
        "Luis Fernando Haro",
        "lfharo",
        "sgzacatecas.com.mx",
        "Semillas y Granos de Zacatecas",
        "Sistemas | Proyecto de Migración SAP Business One",
        "(492) 924 7070",
        closing="Saludos.",
        colleague=("Ing. Rosario Dávila", "rdavila"),
    ),
    "nancy": Person(
        "Nancy Herrera",
        "nherrera",
        "opticasvisionclara.com.mx",
        "Ópticas Visión Clara",
        "Gerente Administrativa",
        "(55) 5364 2810",
        program="gmail",
        closing="Gracias, saludos",
        colleague=("Jonathan Cruz", "jcruz"),
    ),
    "ricardo": Person(
        "Ricardo Estévez",
        "restevez",
        "casaazulsma.com.mx",
        "Hotel Boutique Casa Azul",
        "Gerente General",
        "(415) 152 0606",
        program="iphone",
        closing="Saludos",
        colleague=("Fátima Cortés", "fcortes"),
    ),
    "julio": Person(
        "Ing. Julio Esparza",
        "jesparza",
        "maqprecision.com.mx",
        "Maquinados de Precisión de Aguascalientes",
        "Ingeniero de Procesos y Sistemas",
        "(449) 971 0330",
        closing="Saludos.",
        colleague=("Ing. Adrián Macías", "amacias"),
    ),
    "kevin": Person(
        "Kevin O'Brien",
        "kobrien",
        "sierrawire.com.mx",
        "Sierra Wire Harness de México",
        "IT Manager",
        "+52 (899) 921 4400 ext. 310",
        lang="en",
        closing="Thanks,",
        disclaimers=("en",),
        extra=("Critical-to-Quality: every connection counts.",),
        colleague=("Alejandra Peña", "apena"),
    ),
    "priya": Person(
        "Priya Nair",
        "pnair",
        "brightlinemd.com.mx",
        "Brightline Medical Devices de México",
        "IT Supervisor",
        "+52 (664) 231 8800",
        lang="en",
        closing="Best regards,",
        disclaimers=("scan_en",),
        colleague=("Roberto Lomelí", "rlomeli"),
    ),
    "greg": Person(
        "Greg Halvorsen",
        "ghalvorsen",
        "lakeshorefoods.com.mx",
        "Lakeshore Foods México",
        "Plant Manager",
        "+52 (461) 618 7000",
        program="gmail",
        lang="en",
        closing="Thanks,",
        extra=("URGENT food safety issues: QA hotline ext. 911",),
        colleague=("Mariela Soto", "msoto"),
    ),
    "rachel": Person(
        "Rachel Foster",
        "rfoster",
        "apexaero.com.mx",
        "Apex Aerostructures Querétaro",
        "IT Analyst",
        "+52 (442) 290 1500 ext. 4410",
        lang="en",
        closing="Regards,",
        disclaimers=("en",),
        colleague=("Jaime Olguín", "jolguin"),
    ),
    "mark": Person(
        "Mark Sullivan",
        "msullivan",
        "blueagaveimports.com.mx",
        "Blue Agave Imports",
        "CFO",
        "+52 (33) 3817 2200",
        program="apple",
        lang="en",
        closing="Cheers,",
        colleague=("Ana Paula Zúñiga", "azuniga"),
    ),
    "luisg": Person(
        "Luis Garza",
        "lgarza",
        "northgateplastics.com.mx",
        "Northgate Plastics Monterrey",
        "IT Coordinator",
        "+52 (81) 8000 3300",
        lang="en",
        closing="Thanks,",
        disclaimers=("en",),
        colleague=("Steve Miller", "smiller"),
    ),
}

IMAGENTI = ("Soporte IMAGEN TI", DESK)
ENGINEER = ("Ing. Karen Villalobos | IMAGEN TI", "karen.villalobos@imagenti.mx")


# ---------------------------------------------------------------------------
# One case: the client's new text and how an IMAGEN TI engineer labels it.
# ---------------------------------------------------------------------------


@dataclass
class Quote:
    """History below the new text: a reply's quoted mail or a forwarded one."""

    text: str
    author: str = "colleague"  # colleague | imagenti | engineer | self | "Name <addr>"
    subject: str = ""
    days: int = 3
    forward: bool = False
    to: str = ""  # who the quoted mail was sent to, when not the obvious one


@dataclass
class Case:
    severity: str
    why: str
    who: str
    subject: str
    body: str
    incident: str | None = None
    limit: str | None = None
    quote: Quote | None = None
    html: bool = False
    caps: bool = False
    noacc: bool = False
    cc: bool = False
    escalate: bool = False  # Cc the second level of support
    hour: int | None = None  # when the text names a time of day


CASES: list[Case] = []


def m(severity: str, who: str, subject: str, body: str, why: str, **kw) -> None:
    CASES.append(Case(severity, why, who, subject, dedent(body).strip("\n"), **kw))


def q(text: str, **kw) -> Quote:
    return Quote(dedent(text).strip("\n"), **kw)


def fwd(text: str, **kw) -> Quote:
    return Quote(dedent(text).strip("\n"), forward=True, **kw)


# ===========================================================================
# OUT OF SCOPE (LIMITANTES DEL SERVICIO)
# ===========================================================================

# --- terceros: OS, office software, third-party antivirus ------------------

m(
    "leve",
    "javier",
    "No funciona la cámara en Teams de la gerente de compras",
    """
    Hola, buenas tardes.

    A la gerente de compras no le funciona la cámara de su laptop desde la actualización de Windows del
    martes: en Teams sale "No encontramos una cámara" y en Zoom tampoco la detecta. En el administrador de
    dispositivos la cámara aparece con un signo de admiración.

    Ya probamos deshabilitar un rato el WithSecure y sigue igual. Ella está tomando sus juntas solo con
    audio. ¿Nos podrían ayudar a repararlo?
    """,
    "A Windows camera driver problem (the OS), WithSecure ruled out; one user with a workaround: leve.",
    limit="terceros",
)
m(
    "grave",
    "hugo",
    "Error del menú Inicio en equipos de Ventas",
    """
    Buenos días,

    Desde la actualización de Windows de anoche, a los 5 ejecutivos de Ventas les sale al iniciar sesión
    el mensaje "Error crítico: El menú Inicio no funciona. Intentaremos corregirlo la próxima vez que
    inicie sesión" y no les abre ni el menú ni la barra de tareas, así que no pueden entrar al sistema de
    cotizaciones. Están levantando los pedidos desde una sola computadora.

    Revisamos la consola de WithSecure y no hay ninguna detección ni bloqueo en esos equipos.
    ¿Nos pueden apoyar a reparar Windows en esos 5 equipos?
    """,
    "A Windows (OS) fault, no WithSecure event; five salespeople hampered: grave. 'Error crítico' is "
    "Windows' message, not the client's rating.",
    limit="terceros",
)
m(
    "leve",
    "kevin",
    "Excel freezing on our controller's laptop",
    """
    Hi team,

    Not urgent, but could someone take a look at Excel on our controller's laptop? It freezes for 30-40
    seconds whenever she opens the monthly cost workbook (about 80 MB, lots of pivot tables).

    We already ran an Office online repair and turned off WithSecure real-time scanning for an hour as a
    test. It still freezes, so we don't think it's the antivirus. Is there anything you can do on the
    Office side?
    """,
    "Excel (office software) with the antivirus ruled out; 'not urgent': leve.",
    limit="terceros",
)
m(
    "leve",
    "bruno",
    "Kaspersky no deja entrar a la página del Tribunal",
    """
    Buenas tardes:

    El Lic. Salgado trae su laptop personal con Kaspersky (lo compró él por su cuenta; esa máquina no tiene
    WithSecure ni se conecta a la red del despacho) y desde ayer Kaspersky no le deja entrar a la página
    del Tribunal Federal de Justicia Administrativa, dice que el certificado no es de confianza.

    ¿Nos ayudan a configurar Kaspersky para que permita ese sitio? Desde su computadora de la oficina sí
    entra sin problema.
    """,
    "A third-party antivirus (Kaspersky) on a machine without WithSecure; one user: leve.",
    limit="terceros",
)
m(
    "critica",
    "canto",
    "Nadie puede enviar ni recibir correo (Microsoft 365)",
    """
    Buen día,

    Desde las 8:30 ningún usuario de la empresa (somos 70) puede enviar ni recibir correo: Outlook pide la
    contraseña una y otra vez y en el centro de administración de Microsoft 365 aparece un aviso de
    incidente en Exchange Online. Lo probamos desde celulares con datos móviles, fuera de nuestra red, y
    pasa exactamente lo mismo, así que no es el SonicWall.

    Los pedidos de los hospitales nos llegan por correo y no estamos pudiendo surtir. ¿Nos pueden ayudar a
    levantar el caso con Microsoft o a darle la vuelta de alguna forma?
    """,
    "Exchange Online / Outlook (third-party office service) down, SonicWall ruled out; the whole company "
    "cannot take orders: critica.",
    limit="terceros",
    hour=10,
)

# --- parchado: patching the client's systems ------------------------------

m(
    "leve",
    "rachel",
    "FW: Pentest findings - action items",
    """
    Hello,

    Forwarding the summary from our pentest provider. Could your team install the pending Windows updates
    on those 6 servers for us over a weekend? No rush, we have until the end of March to close the
    findings.
    """,
    "Installing missing Windows patches is vulnerability patching; 'No rush' (the pentester's "
    "'URGENT' rates a finding, in forwarded text): leve.",
    limit="parchado",
    quote=fwd(
        """
        Rachel,

        Please find below the remediation items from the external test we performed last month.

        Finding EXT-04 - Risk: High - remediation URGENT
        Missing cumulative security updates (last 4 months) on:
        MXQRO-FS01, MXQRO-DC01, MXQRO-DC02, MXQRO-PRN01, MXQRO-MES01, MXQRO-SQL01

        Recommendation: apply all pending security updates and reboot.

        Ciberdefensa Consultores
        """,
        author="Ciberdefensa Consultores <reportes@ciberdefensaconsultores.com.mx>",
        subject="Pentest findings - action items",
        days=6,
    ),
)
m(
    "grave",
    "ramiro",
    "Parche de OpenSSH en el servidor de la tienda en línea",
    """
    Buenas tardes,

    El escaneo trimestral que nos pide el banco para la terminal virtual marcó la vulnerabilidad de OpenSSH
    en nuestro servidor Ubuntu de la tienda en línea. Nosotros no sabemos mucho de Linux y nos da miedo
    tirar la página.

    Lo consideramos grave porque el banco nos dio plazo al viernes. ¿Nos pueden ayudar a aplicar el parche?
    """,
    "Patching OpenSSH on the client's Linux server is vulnerability patching; client says 'Lo consideramos "
    "grave': grave.",
    limit="parchado",
)
m(
    "leve",
    "felipe",
    "Fwd: Boletín de seguridad - WinRAR",
    """
    Hola,

    Nos llegó este boletín. Tenemos unas 35 computadoras entre oficina y obras y casi todas tienen WinRAR
    de hace años. ¿Ustedes nos pueden ayudar a actualizarlo en todos los equipos de forma remota?

    Todo está funcionando normal, solo queremos estar cubiertos.
    """,
    "Updating a third-party tool for a vulnerability is patching; nothing interrupted (the bulletin's "
    "'CRÍTICA' describes the vulnerability, in forwarded text): leve.",
    limit="parchado",
    quote=fwd(
        """
        ALERTA CRÍTICA

        Se identificó una vulnerabilidad en WinRAR que permite ejecutar código al abrir un archivo
        comprimido manipulado, y ya se está explotando en campañas de correo. Se recomienda actualizar de
        inmediato a la versión más reciente en todos los equipos de la organización.

        Boletín Ciberseguridad MX
        """,
        author="Boletín Ciberseguridad MX <boletin@alertaciber.mx>",
        subject="Boletín de seguridad - WinRAR",
        days=1,
    ),
)
m(
    "critica",
    "mauricio",
    "Parche de Tomcat en el servidor del portal de pedidos",
    """
    Buenos días,

    El portal donde nuestros distribuidores capturan sus pedidos corre en un Apache Tomcat 9 que aparece
    como vulnerable en el aviso que salió el lunes, y ya vimos intentos de explotación en los registros del
    SonicWall. Necesitamos actualizar Tomcat cuanto antes; es crítico para nosotros porque todos los
    pedidos de los distribuidores entran por ese portal.

    ¿Pueden conectarse hoy a aplicarlo junto con nosotros?
    """,
    "Updating a vulnerable Tomcat on the client's server is patching; client says 'es crítico para nosotros': critica.",
    limit="parchado",
)
m(
    "leve",
    "gerardo",
    "parche para el nas synology",
    """
    buen dia

    nos llego un correo de synology que hay una vulnerabilidad en el DSM de los NAS y que hay que instalar la
    actualizacion de seguridad. tenemos el NAS donde guardamos las cartas porte escaneadas. ustedes nos
    pueden instalar el parche? el NAS trabaja normal, nomas es para no quedarnos atras
    """,
    "Installing a NAS security update is vulnerability patching; nothing down: leve.",
    limit="parchado",
    noacc=True,
)

# --- migracion: moving or integrating applications ------------------------

m(
    "leve",
    "silvia",
    "Cambio de servidor del despacho",
    """
    Hola, buenas tardes.

    En marzo vamos a cambiar el servidor del despacho por uno nuevo. Queremos saber si ustedes nos pueden
    pasar todo lo de CONTPAQi (contabilidad y nóminas de los 40 clientes) y las carpetas compartidas al
    servidor nuevo.

    No hay prisa, es para planearlo. Gracias
    """,
    "Moving CONTPAQi data and shares to a new server is a migration; a plan, nothing down: leve.",
    limit="migracion",
)
m(
    "grave",
    "lorena",
    "Migración de correos a Google Workspace a medias",
    """
    Hola buen día,

    El proveedor que nos iba a migrar los correos de nuestro hosting a Google Workspace nos dejó a medias:
    12 cuentas del área de reservaciones ya están en Google pero no les llegan los correos viejos ni los
    de algunos clientes. Las reservaciones las están contestando desde cuentas personales.

    ¿Ustedes nos podrían ayudar a terminar la migración? Es urgente.
    """,
    "Finishing a mail migration is out of scope; 'urgente' with one area (12 people) affected: grave.",
    limit="migracion",
)
m(
    "leve",
    "priya",
    "WithSecure alerts into ServiceNow",
    """
    Hi,

    We've moved our IT ticketing to ServiceNow and would like every WithSecure Elements alert to open an
    incident there automatically, with the device name, and with WithSecure's alert severity mapped to
    ServiceNow's priority field.

    Can IMAGEN TI build that integration for us? Not urgent, we'd like it in place by Q2.
    """,
    "Integrating WithSecure with a ticketing application is 'integración de aplicaciones'; 'Not urgent': leve.",
    limit="migracion",
)
m(
    "leve",
    "haro",
    "Migrar base de datos de Microsip",
    """
    Buen día,

    Queremos pasar la base de datos de Microsip del SQL Server 2012 viejo a un SQL Server 2022 en el
    servidor nuevo. ¿Ustedes nos pueden hacer la migración? Si tiene costo, favor de mandarnos la
    cotización. Prioridad baja, lo queremos para el segundo trimestre.
    """,
    "A database migration of another application; 'prioridad baja': leve.",
    limit="migracion",
)
m(
    "critica",
    "mark",
    "Moving our ERP to the new Azure tenant",
    """
    Hi all,

    Following the acquisition, we have to move our Acumatica ERP and its SQL database to the parent
    company's Azure tenant before the month-end close on Friday. This is critical for us: if it isn't
    done, we can't close the books with the new owners.

    Can your team take this on this week? Happy to get on a call today.
    """,
    "Moving an ERP to another cloud tenant is a migration; client says 'This is critical': critica.",
    limit="migracion",
)

# --- codigo: developing code -----------------------------------------------

m(
    "leve",
    "hugo",
    "Aplicación para registrar paros de máquina",
    """
    Buen día,

    Queremos una pequeña aplicación web para que los supervisores registren los paros de máquina desde una
    tablet (máquina, motivo, minutos) y que se guarden en una base de datos para sacar indicadores.
    ¿Ustedes nos la pueden desarrollar?
    """,
    "Building a web application is code development; nothing interrupted: leve.",
    limit="codigo",
)
m(
    "leve",
    "sergio",
    "script para ordenar los pdf de ordenes de trabajo",
    """
    Buenas tardes

    Queremos un script que tome los PDF de las ordenes de trabajo que salen del sistema, les cambie el
    nombre con el numero de orden y el cliente y los acomode en carpetas por cliente en el servidor. Nos lo
    pueden hacer?? no corre prisa
    """,
    "Asks for a script to be written: code development; 'no corre prisa': leve.",
    limit="codigo",
)
m(
    "grave",
    "bruno",
    "Error en la sección de citas de la página web",
    """
    Buenos días:

    Desde que el hosting actualizó PHP a la versión 8.2, la sección "Agenda tu consulta" de nuestra página
    web (la hizo un freelance hace años) muestra un error 500 y los clientes no pueden agendar. Ya
    perdimos un par de consultas de clientes nuevos.

    ¿Ustedes podrían corregir el código para que funcione con la versión nueva? Es urgente.
    """,
    "Fixing the client's own PHP code is code development; 'urgente', clients slightly affected: grave.",
    limit="codigo",
)
m(
    "leve",
    "wendy",
    "Programa para generar los vouchers",
    """
    Hola!

    Queremos un programita que genere los vouchers de los tours en PDF, con nuestro logo y los datos del
    cliente, a partir de la hoja de Excel donde capturamos las reservas. ¿Ustedes hacen ese tipo de
    desarrollos? Cuando tengan chance nos dicen.
    """,
    "Writing a small program is code development; nothing interrupted: leve.",
    limit="codigo",
)
m(
    "leve",
    "tono",
    "programita para aviso de internet",
    """
    que tal buen dia

    quiero ver si me pueden hacer un programita que me mande un whatsapp cuando se caiga el internet de la
    refaccionaria, para enterarme aunque no este ahi. el internet ahorita anda bien, es nomas para tenerlo

    gracias
    """,
    "Asks for a small program to be written: code development; internet works: leve.",
    limit="codigo",
    caps=True,
    noacc=True,
)

# --- modificaciones: altering the client's applications or infrastructure ---

m(
    "leve",
    "julio",
    "Cambio en el flujo de autorizaciones del sistema de requisiciones",
    """
    Buenas tardes,

    Nuestro sistema de requisiciones (lo hizo un proveedor local y corre en nuestro servidor) manda todas
    las compras a autorización del gerente de planta. Queremos modificarlo para que las de más de 50 mil
    pesos pasen además por el director, y que el correo de aviso incluya el centro de costos.

    ¿Ustedes pueden hacer esa modificación?
    """,
    "Changing the client's requisitions system is a modification of its application; nothing down: leve.",
    limit="modificaciones",
)
m(
    "leve",
    "paola",
    "Cambios al portal de citas en línea",
    """
    Buen día,

    Queremos que el portal de citas en línea de la clínica (el que está en nuestro servidor web) permita a
    los pacientes cancelar o cambiar su cita ellos mismos, y que les mande un recordatorio por correo un
    día antes.

    ¿Ustedes pueden hacer esa modificación?
    """,
    "Changing the client's appointment portal is a modification of its application; nothing down: leve "
    "(the signature's 'Urgencias' line is the ER's phone).",
    limit="modificaciones",
)
m(
    "grave",
    "fernando",
    "Cambio en Moodle antes de los exámenes",
    """
    Buenas tardes

    Necesitamos modificar el módulo de inscripción de nuestra plataforma Moodle para que los alumnos de
    los cursos sabatinos puedan elegir el horario de su examen de certificación. Los exámenes empiezan el
    sábado y hoy 3 coordinadoras están asignando los horarios a mano, alumno por alumno.

    Es urgente. ¿Lo pueden hacer ustedes?
    """,
    "Changing the client's Moodle is a modification of its application; 'urgente', one area slowed: grave.",
    limit="modificaciones",
)
m(
    "leve",
    "luisg",
    "Reorganizing the shared folders on our file server",
    """
    Hi,

    We'd like to reorganize the shared folders on our file server: one top-level folder per department,
    move the existing data into them, rename the mapped drives and redo the NTFS permissions to match.

    Can you quote this as a project? Nothing is broken, it's just housekeeping.
    """,
    "Restructuring the client's file shares alters its infrastructure; nothing broken: leve.",
    limit="modificaciones",
)
m(
    "leve",
    "ramiro",
    "Modificar formato de factura del sistema de ventas",
    """
    Buenos días,

    Nuestro sistema de ventas (lo desarrolló un programador que ya no trabaja con nosotros) genera la
    factura en PDF y queremos modificar el formato para que salga el logo nuevo y el número de lote de
    cada producto.

    ¿Ustedes nos pueden apoyar con esa modificación?
    """,
    "Changing the client's own sales system is a modification of its application; nothing down: leve.",
    limit="modificaciones",
)

# --- infraestructura: AD, DNS, cabling, electrical -------------------------

m(
    "critica",
    "mauricio",
    "Planta sin red: un montacargas arrancó el cableado",
    """
    Buenos días,

    Hace una hora un montacargas se llevó la charola donde pasa la fibra y el cable UTP que conectan el
    site con la nave de producción. Toda la planta se quedó sin red: las envasadoras no reciben órdenes, el
    almacén no puede registrar entradas ni salidas y la línea de envasado está parada. El SonicWall y los
    servidores están bien, es el cableado.

    Necesitamos ayuda para diagnosticar y reponer el cableado lo antes posible. Es crítico.
    """,
    "Torn fibre and UTP cabling is the client's infrastructure; 'Es crítico', the plant stopped: critica.",
    limit="infraestructura",
    hour=9,
)
m(
    "grave",
    "alan",
    "Red lenta en el área de empaque",
    """
    Hola buenas,

    En el área de empaque la red anda lentísima y se corta; los 8 equipos de ahí tardan minutos en
    registrar las cajas. Ya lo revisamos con el electricista: el switch TP-Link de esa área se mojó con la
    humedad y tiene varios puertos dañados. En oficinas todo está bien y el SonicWall no marca nada raro.

    ¿Nos pueden ayudar a diagnosticar y cambiar el switch?
    """,
    "Slow network traced to a wet, damaged non-SonicWall switch: infrastructure (the client's LAN); "
    "8 workstations slowed: grave.",
    limit="infraestructura",
)
m(
    "grave",
    "enrique",
    "Error de relación de confianza con el dominio en laboratorios",
    """
    Buen día

    Desde ayer en los 2 laboratorios de cómputo los alumnos no pueden iniciar sesión: sale "Error en la
    relación de confianza entre esta estación de trabajo y el dominio principal" en casi todas las PCs.
    Parece que es del Active Directory, porque el servidor se restauró de un respaldo el fin de semana.

    ¿Nos pueden ayudar? Los maestros están dando clase sin computadoras.
    """,
    "A broken Active Directory trust is the client's infrastructure; two labs without PCs: grave.",
    limit="infraestructura",
)
m(
    "leve",
    "carolina",
    "No break pitando",
    """
    Hola buenas tardes, el no break del consultorio 1 empezó a pitar a cada rato y marca batería baja
    aunque sí hay luz. ¿Qué hacemos? ¿Ustedes lo pueden revisar o cambiarle la batería?

    Todo sigue funcionando.
    """,
    "A UPS battery is electrical infrastructure; everything works: leve.",
    limit="infraestructura",
)
m(
    "critica",
    "rocio",
    "SE QUEMÓ EL SWITCH DEL SITE DESPUÉS DEL APAGÓN",
    """
    Buen día

    Anoche hubo un apagón en el corporativo y al regresar la luz el switch principal del site (el HP) ya
    no prendió; el regulador huele a quemado. El SonicWall sí prende y tiene todas sus luces normales.

    Sin ese switch no hay red en el corporativo y el servidor de facturación no se ve, así que ninguna de
    las 12 estaciones puede facturar ni mandar sus ventas. ¿Nos pueden ayudar a ver qué hacemos con la
    instalación eléctrica y el switch?
    """,
    "A burnt non-SonicWall switch and power regulator after an outage: infrastructure (electrical); "
    "no station can bill: critica. The signature's 'URGENTE' is an emergency line.",
    limit="infraestructura",
    caps=True,
    noacc=True,
)
m(
    "leve",
    "greg",
    "Domain password reset for a user",
    """
    Hi,

    Our shipping clerk, Rosa Medina, locked herself out of her Windows domain account after the password
    change this morning. Our usual IT guy is on vacation; can you reset her Active Directory password?
    She's using a shared PC in the meantime.
    """,
    "Resetting an Active Directory password is infrastructure, not a console password; one user: leve.",
    limit="infraestructura",
)

# --- otro_software: software other than the one bought ---------------------

m(
    "critica",
    "javier",
    "Nadie puede timbrar facturas en CONTPAQi",
    """
    Buenas tardes,

    Desde las 10 de la mañana nadie en la empresa puede timbrar facturas en CONTPAQi Comercial, marca
    "Error 301: el certificado no corresponde". Lo probamos con el antivirus desactivado y desde una laptop
    conectada al celular (fuera del firewall) y sale el mismo error, así que no creemos que sea WithSecure
    ni el SonicWall.

    Tenemos 30 pedidos que no podemos facturar ni embarcar. ¿Nos pueden ayudar con CONTPAQi?
    """,
    "A CONTPAQi stamping error with WithSecure and the SonicWall ruled out: other software; the company "
    "cannot bill: critica.",
    limit="otro_software",
    hour=13,
)
m(
    "grave",
    "haro",
    "FortiGate de la bodega Fresnillo sin VPN",
    """
    Buen día,

    En la bodega de Fresnillo tenemos un FortiGate que instaló otro proveedor cuando la abrimos (no es de
    los equipos que ustedes nos vendieron). Desde ayer su VPN no levanta con la oficina y los 6 de la
    bodega no pueden entrar al sistema de inventarios; están mandando las entradas por WhatsApp.

    El proveedor ya no nos contesta, ¿ustedes nos pueden ayudar con el FortiGate?
    """,
    "A Fortinet firewall bought elsewhere is other software; six people at one site interrupted: grave.",
    limit="otro_software",
)
m(
    "leve",
    "sergio",
    "CorelDRAW se cierra con archivos grandes",
    """
    Que tal buenas tardes

    En la compu de diseño 2 el CorelDRAW se cierra solo cuando abrimos archivos grandes (lonas de mas de
    500 MB), sale "CorelDRAW ha dejado de funcionar". Ya lo reinstale y le quite los complementos. En las
    otras compus de diseño si abren esos archivos, ahi estamos trabajando mientras.

    Me pueden apoyar con eso?? porfa
    """,
    "A design application (CorelDRAW) crashing is other software; one PC with a workaround: leve.",
    limit="otro_software",
)
m(
    "leve",
    "ricardo",
    "Licencia del punto de venta del bar",
    """
    Buenas tardes. En la caja del bar el punto de venta (Wansoft) no abre, dice que la licencia venció.
    Mientras, estamos cobrando en la caja del restaurante.

    ¿Ustedes nos pueden renovar o revisar esa licencia? Gracias
    """,
    "A point-of-sale licence is other software (not a WithSecure/Safetica/SonicWall key); one till with a "
    "workaround: leve.",
    limit="otro_software",
)
m(
    "grave",
    "priya",
    "Urgent: calibration software license server won't start",
    """
    Hi team,

    Urgent: since last night's server restart, the license service of our calibration management software
    won't start ("License server unavailable"), so the 5 metrology technicians can't record calibrations.
    We get the same error with WithSecure real-time scanning disabled, and nothing shows in the WithSecure
    console for that server.

    Could you help us troubleshoot the calibration software?
    """,
    "Calibration software is other software and WithSecure was ruled out; 'Urgent', five people stopped: grave.",
    limit="otro_software",
)

# ===========================================================================
# IN SCOPE: the fifteen common incidents
# ===========================================================================

# --- computadora_lenta -------------------------------------------------------

m(
    "grave",
    "araceli",
    "Equipos de ventanilla lentos en Sucursal Celaya Centro",
    """
    Buen día,

    Desde el martes los 5 equipos de ventanilla de la sucursal Celaya Centro están muy lentos: abrir el
    sistema de captación tarda hasta 3 minutos y los socios se están quejando de la espera. En el
    administrador de tareas el proceso de WithSecure está consumiendo casi todo el disco. Las demás
    sucursales están normales.

    ¿Nos pueden revisar?
    """,
    "Five tellers' PCs slow at one branch, members waiting: grave (the disclaimer's 'urgente' is boilerplate).",
    incident="computadora_lenta",
)
m(
    "critica",
    "omar",
    "Equipos del CEDIS lentísimos - no salen los camiones",
    """
    Buenas tardes,

    Desde la mañana las 18 computadoras del CEDIS están lentísimas: cada recibo de mercancía y cada
    embarque tarda como 5 minutos en registrarse, y los camiones que surten a las 9 tiendas no han podido
    salir. Las tiendas ya se están quedando sin producto. En el administrador de tareas WithSecure está al
    100% de disco en todos los equipos.

    Es crítico. Favor de llamarme al celular.
    """,
    "Every PC at the distribution centre slow, stores running out of stock; client says 'Es crítico': critica.",
    incident="computadora_lenta",
    html=True,
)
m(
    "leve",
    "greg",
    "Re: WithSecure rollout finished",
    """
    Hi Karen,

    Not urgent: our QA lab technician's PC gets very sluggish whenever she opens the lab's Access database
    from the network share; it takes a minute or more to open and to save. Other PCs open it fine. Could
    WithSecure's scanning of network drives be the cause? Can someone check when you have a moment?
    """,
    "One PC slow; 'Not urgent': leve.",
    incident="computadora_lenta",
    quote=q(
        """
        Hi Greg,

        We finished deploying the WithSecure agent to all 85 PCs and servers at the Celaya plant. Please
        let us know if you notice anything unusual.

        Regards,
        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="WithSecure rollout finished",
        days=8,
    ),
)
m(
    "leve",
    "tono",
    "la compu del patron anda lentisima",
    """
    que tal

    la compu de la oficina de mi papa (el patron) anda lentisima desde hace como 3 dias, se tarda mucho en
    abrir todo y el ventilador suena bien feo. le sale el iconito del antivirus de ustedes dando vueltas
    todo el rato. el la usa nomas para ver el banco y los correos

    me echan la mano?
    """,
    "One PC slow with the WithSecure agent busy: leve.",
    incident="computadora_lenta",
    noacc=True,
)
m(
    "leve",
    "paola",
    "PC del consultorio de cardiología lenta",
    """
    Buen día,

    La computadora del consultorio de cardiología del Dr. Quiroz está lenta desde el lunes al abrir los
    estudios de ecocardiograma; tarda unos 20 segundos más de lo normal. No es urgente, el doctor puede
    seguir consultando.

    ¿Pueden revisar si el agente de WithSecure está escaneando algo de más?
    """,
    "One PC slow; client says 'No es urgente' (the signature's 'Urgencias' is the ER's phone): leve.",
    incident="computadora_lenta",
)

m(
    "critica",
    "fernando",
    "Computadora de la directora lentísima",
    """
    Buenas tardes

    La computadora de la directora está lentísima desde que la prendió: tarda minutos en abrir cualquier
    archivo y el agente de WithSecure aparece escaneando todo el tiempo. En una hora tiene la presentación
    con la gente de la SEP y la necesita. Es crítico.

    ¿Se pueden conectar ahorita?
    """,
    "One user's PC slow, but the client says 'Es crítico' and the explicit statement decides: critica.",
    incident="computadora_lenta",
)

# --- virus_malware -----------------------------------------------------------

m(
    "critica",
    "hugo",
    "Ransomware - producción detenida",
    """
    Buenos días,

    Desde las 7:00 el sistema de programación de producción no abre porque su base de datos quedó cifrada, y
    en el servidor y en varios equipos de planeación apareció un archivo README_RECOVER.txt pidiendo
    rescate. WithSecure aisló automáticamente 11 equipos. Desconectamos la planta de internet; producción
    está detenida porque sin el sistema no hay órdenes de fabricación.

    Necesitamos su apoyo ya, favor de llamarme.
    """,
    "Ransomware, production stopped: critica.",
    incident="virus_malware",
    hour=8,
)
m(
    "grave",
    "lorena",
    "Minero de criptomonedas en equipos del restaurante",
    """
    Hola,

    WithSecure detectó un minero de criptomonedas (CoinMiner) en la computadora de la caja del restaurante
    del hotel Bahía Dorada Centro y en las 2 de room service. Se pusieron lentísimas y las tuvimos que
    apagar, así que estamos cobrando con la terminal y anotando los pedidos a mano.

    ¿Nos ayudan a limpiarlas?
    """,
    "Malware on three PCs of one area, its work hampered: grave.",
    incident="virus_malware",
)
m(
    "critica",
    "kevin",
    "URGENT - malware spreading across production PCs",
    """
    Team,

    URGENT. Since 6 am WithSecure has been raising detections of the same malware (Worm.Win32.Autorun) on
    PCs all over the production floor: 47 devices so far and counting. The test stations on lines 1 to 6
    are infected and we have stopped all six lines to keep it from spreading.

    We need someone on a remote session right now. Please call me on my cell.
    """,
    "Urgent, and a worm stopped every production line: critica.",
    incident="virus_malware",
    hour=8,
)
m(
    "leve",
    "bruno",
    "Correo sospechoso que le llegó a una asistente",
    """
    Buenas tardes:

    Les reenvío este correo que le llegó a una de nuestras asistentes con un ZIP adjunto. Ella no lo
    abrió y nadie más lo recibió. ¿Me confirman si WithSecure lo hubiera bloqueado y si debemos hacer algo
    más?
    """,
    "A question about one suspected malware mail nobody opened: leve. 'URGENTE'/'ES CRÍTICO' are the "
    "phishing text's, in the forwarded mail.",
    incident="virus_malware",
    quote=fwd(
        """
        URGENTE: Su cuenta empresarial ha sido suspendida por actividad sospechosa.

        Para evitar el bloqueo definitivo descargue el comprobante adjunto y siga las instrucciones en las
        próximas 24 horas. ES CRÍTICO que atienda este aviso.

        Banca Empresarial - Centro de Seguridad
        """,
        author="Banca Empresarial <avisos@bnte-notificaciones.com>",
        subject="URGENTE: Aviso de suspensión de cuenta",
        to="asistente3@salgadoferrer.com.mx",
        days=0,
    ),
)
m(
    "grave",
    "felipe",
    "laptop de obra con virus",
    """
    Hola

    La laptop del residente de la obra de Altozano está con virus: se abren ventanas de publicidad solas y
    el WithSecure marca detecciones a cada rato pero no las quita. Es urjente porque con esa laptop lleva
    las estimaciones de la obra y ahorita no la puede usar.
    """,
    "One user's laptop infected and unusable; 'urjente' (misspelt urgente) makes it at least grave: grave.",
    incident="virus_malware",
    noacc=True,
)
m(
    "critica",
    "araceli",
    "Posible ransomware - sucursales sin sistema",
    """
    Buenas tardes,

    WithSecure está mostrando detecciones de comportamiento de ransomware en el servidor del sistema de
    captación y en varios equipos de la matriz. Apagamos el servidor como medida preventiva, por lo que
    las 7 sucursales no pueden atender a los socios: ni retiros, ni depósitos, ni pagos de créditos.

    Es crítico. Necesitamos apoyo inmediato para revisar y aislar los equipos desde la consola.
    """,
    "Ransomware behaviour; every branch unable to serve members; client says 'Es crítico': critica.",
    incident="virus_malware",
    html=True,
)
m(
    "leve",
    "sergio",
    "URGENTE exclusion para el RIP nuevo",
    """
    Buenos dias

    Perdon, puse urgente en el asunto por costumbre, en realidad no es urgente: el mes que entra vamos a
    instalar la version nueva del RIP y el proveedor pide excluir del antivirus la carpeta C:\\RIP\\Spool
    en la compu que manda los trabajos a la CTP. Nos pueden agregar la exclusion para esa fecha??
    """,
    "The client corrects his own subject: 'en realidad no es urgente'; a planned exclusion: leve.",
    incident="exclusiones",
)

# --- bloqueo_web -------------------------------------------------------------

m(
    "grave",
    "javier",
    "No podemos entrar a la página de Estafeta para generar guías",
    """
    Buen día,

    Desde ayer en la tarde las 4 personas de embarques no pueden entrar a la página de Estafeta donde
    generamos las guías de envío: sale una página del SonicWall que dice que el sitio está bloqueado por la
    política de filtrado de contenido. Están generando las guías desde el celular de uno de ellos y se
    están atrasando los envíos.

    ¿Nos lo pueden desbloquear?
    """,
    "The SonicWall content filter blocks a site for a four-person area: grave.",
    incident="bloqueo_web",
)
m(
    "critica",
    "greg",
    "Nobody can open web pages - WithSecure blocking everything",
    """
    Hi,

    Since about 9:15 every PC in the plant and the office (around 60) gets a WithSecure "This website has
    been blocked" page for every HTTPS site, including our web-based ERP and the customer portals where we
    receive orders. Shipping can't print bills of lading and the office can't take orders.

    Please help as soon as possible.
    """,
    "Every PC blocked from every site, the company cannot take orders or ship: critica (the signature's "
    "'URGENT' is a QA hotline).",
    incident="bloqueo_web",
    hour=10,
)
m(
    "grave",
    "rocio",
    "URGENTE NO ENTRA LA PÁGINA DE PEDIDOS DE COMBUSTIBLE",
    """
    Buenas tardes

    Desde el corporativo no podemos entrar a la página del proveedor para hacer los pedidos de
    combustible, sale que el SonicWall la bloquea. Somos 3 las que hacemos pedidos. Lo estamos haciendo
    desde el celular pero es muy tardado y tenemos hasta las 2.

    Es urgente
    """,
    "'Urgente'; three people blocked from a site with a workaround: grave.",
    incident="bloqueo_web",
    caps=True,
    noacc=True,
    hour=11,
)
m(
    "leve",
    "nancy",
    "Re: Página del laboratorio óptico bloqueada",
    """
    Hola Karen,

    Ya le abre la página a Jonathan, gracias. Pero a Diana, de la sucursal Lindavista, todavía le sale
    bloqueada. ¿Me ayudas a revisarla también? Ella está haciendo los pedidos por teléfono mientras.
    """,
    "One user still blocked from a site, with a workaround: leve.",
    incident="bloqueo_web",
    quote=q(
        """
        Hola Nancy,

        Ya quedó permitido el sitio www.labopticocentral.com.mx en la política de WithSecure del equipo de
        Jonathan. ¿Nos confirmas si ya le abre?

        Saludos,
        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Página del laboratorio óptico bloqueada",
        days=0,
    ),
)
m(
    "critica",
    "lorena",
    "Recepciones sin acceso al sistema de reservaciones",
    """
    Buenos días,

    Desde las 7 de la mañana ninguna de las 4 recepciones de los hoteles puede entrar al sistema de
    reservaciones (Opera Cloud): WithSecure lo bloquea como sitio dañino. No podemos hacer check-in ni
    check-out y hoy llegan dos grupos. Es crítico.

    Urge que lo revisen.
    """,
    "WithSecure blocks the reservations site in every hotel; client says 'Es crítico': critica.",
    incident="bloqueo_web",
    hour=8,
)
m(
    "grave",
    "ramiro",
    "RE: Ticket IMG-2027-0208 recibido",
    """
    Ing. Villalobos, le contesto:

    1. El problema: las 3 computadoras de cobranza no pueden entrar al portal de Banorte Empresas, sale una
       pantalla de WithSecure de sitio bloqueado.
    2. Desde ayer como a las 4 de la tarde.
    3. En la oficina de Cd. Obregón, área de cobranza.
    4. Solo esas 3 computadoras; el resto de la oficina sí entra.
    5. Reiniciamos los equipos y probamos con Chrome y con Edge.

    No hemos podido aplicar los pagos de los clientes de ayer ni de hoy.
    """,
    "Answers the desk's diagnostic questions: three Collections PCs blocked from the bank site: grave.",
    incident="bloqueo_web",
    quote=q(
        """
        Buen día,

        Registramos su reporte con el ticket IMG-2027-0208. Para el diagnóstico inicial, ¿nos puede
        indicar cuál es el problema, cuándo ocurrió, dónde ocurrió, cuál es el alcance y qué han hecho para
        tratar de resolverlo?

        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Ticket IMG-2027-0208 recibido",
        days=0,
    ),
)
m(
    "leve",
    "haro",
    "Portal de proveedor bloqueado en compras",
    """
    Buen día,

    No es grave, pero a las 2 personas de compras les sale bloqueado por el SonicWall el portal de
    proveedores de Syngenta desde esta semana. Por ahora entran desde la computadora de la gerencia.
    ¿Nos ayudan a permitirlo?
    """,
    "Client says 'No es grave'; two people with a workaround: leve (the signature's 'Migración' is a project title).",
    incident="bloqueo_web",
)

# --- bloqueo_aplicaciones ----------------------------------------------------

m(
    "critica",
    "sergio",
    "DeepGuard bloqueo el RIP, produccion parada",
    """
    Buenos dias

    Desde hoy en la mañana el WithSecure (DeepGuard) esta bloqueando el programa RIP que manda los
    trabajos a la CTP y al plotter. Sin eso no podemos sacar placas y toda la produccion esta parada,
    tenemos 3 prensas sin trabajar y entregas hoy.

    Ya intente permitirlo desde la compu pero me pide permisos de administrador.

    Por favor ayudenos lo mas rapido que puedan
    """,
    "DeepGuard blocks the application the whole print shop depends on; production stopped: critica.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "ramiro",
    "Application Control bloquea el software de básculas",
    """
    Buenas tardes,

    En la recepción de grano tenemos 2 computadoras con el software de las básculas (Rinstrum) y desde
    hoy WithSecure no lo deja abrir, sale el aviso de Application Control. Los camiones se están pesando y
    anotando a mano y se está haciendo cola en la entrada.

    ¿Nos ayudan a permitir el programa?
    """,
    "Application Control blocks the scale software on two PCs; trucks queueing: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "mark",
    "WithSecure blocking the bank's signing app on my laptop",
    """
    Hi,

    Since yesterday WithSecure blocks the bank's desktop signing app on my MacBook, the one I use to
    authorize transfers. I'm authorizing with the token on my phone for now, so no big deal. Could you
    check whether it's safe and let it through?
    """,
    "One user, one application blocked, with a workaround: leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "silvia",
    "WithSecure bloquea Dropbox",
    """
    Buenas tardes.

    Desde ayer WithSecure nos bloquea la aplicación de Dropbox en mi computadora y en la de Norma, y por ahí
    compartimos los papeles de trabajo con los clientes. Estamos en temporada de declaraciones. Lo
    consideramos grave.

    Gracias
    """,
    "WithSecure blocks an application on two PCs; client says 'Lo consideramos grave': grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "haro",
    "WithSecure bloquea el ejecutable nuevo de Aspel",
    """
    Buen día,

    El fin de semana el proveedor de Aspel cambió Aspel SAE a un servidor nuevo, y ahora en la PC de la
    auxiliar de almacén WithSecure bloquea el ejecutable nuevo de la terminal. En las demás PCs sí abre.

    ¿Me ayudan a permitirlo? Ella está capturando en la PC del jefe de almacén mientras.
    """,
    "WithSecure blocks an application on one PC (the migration was done by someone else): leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "enrique",
    "Bloqueo del programa de inglés en los laboratorios",
    """
    Buenas tardes

    En los 2 laboratorios WithSecure está bloqueando el programa de práctica de inglés desde que el
    proveedor lo actualizó. No es urgente: estamos en periodo vacacional y los grupos regresan en dos
    semanas, pero sí nos gustaría dejarlo resuelto antes.
    """,
    "Client says 'No es urgente'; the labs are empty during holidays: leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "critica",
    "alan",
    "WithSecure bloquea el programa de trazabilidad en las líneas",
    """
    Buenos días,

    Desde el arranque del turno de las 6, WithSecure bloquea el programa de trazabilidad (el que imprime las
    etiquetas de lote) en las PCs de las 3 líneas de empaque. Sin etiqueta no podemos embarcar producto y
    tenemos 2 tráilers de exportación esperando. Es crítico.

    Marqué al teléfono de soporte y sigo en espera.
    """,
    "The traceability application blocked on every packing line; client says 'Es crítico': critica.",
    incident="bloqueo_aplicaciones",
    hour=7,
)
m(
    "grave",
    "gerardo",
    "GRAVE - DeepGuard bloquea el sistema de despacho",
    """
    buenos dias

    desde las 6 am el deepguard de withsecure bloquea el programa de despacho (el TMS) en todas las
    computadoras, no podemos asignar viajes ni imprimir cartas porte y ningun camion ha salido. lo reporto
    como grave
    """,
    "The client rates it 'grave' himself (subject and text), though the whole company is stopped: grave.",
    incident="bloqueo_aplicaciones",
    noacc=True,
    hour=8,
)

# --- puertos -----------------------------------------------------------------

m(
    "leve",
    "alan",
    "Abrir puerto para el monitoreo de los cuartos fríos",
    """
    Hola,

    El proveedor que nos da mantenimiento a los cuartos fríos quiere monitorear las temperaturas a
    distancia y nos pide abrir en el SonicWall el puerto 502 (Modbus) de entrada hacia el PLC de los
    cuartos (192.168.10.60), solo desde su IP 189.203.44.17. ¿Nos ayudan a hacerlo? Sin prisa.
    """,
    "Opening an inbound port on the SonicWall (the PLC is only the target): leve.",
    incident="puertos",
)
m(
    "grave",
    "hugo",
    "Puerto de escritorio remoto publicado a internet",
    """
    Buenas tardes,

    Revisando encontramos que en el SonicWall hay una regla que publica el puerto 3389 (escritorio remoto)
    del servidor de contabilidad hacia internet; al parecer la dejó un proveedor hace años. Necesitamos
    cerrarla y dejar el acceso solo por VPN.

    Lo consideramos grave.
    """,
    "Closing an inbound port on the SonicWall; client says 'Lo consideramos grave': grave.",
    incident="puertos",
)
m(
    "leve",
    "gerardo",
    "abrir puerto para proveedor de gps",
    """
    buenas tardes

    el proveedor del gps de las cajas refrigeradas necesita que abramos el puerto 5055 de entrada hacia el
    servidor de monitoreo (192.168.1.20) para que le lleguen los datos de las unidades. nos ayudan a
    abrirlo en el sonicwall? solo desde las ips de ellos:

    201.163.12.40
    201.163.12.41
    """,
    "Opening an inbound port on the SonicWall for a vendor: leve.",
    incident="puertos",
    noacc=True,
)
m(
    "grave",
    "enrique",
    "Puertos para el examen de certificación en línea",
    """
    Buenas tardes

    El sábado aplicamos el examen de certificación en línea en los 2 laboratorios y en la prueba de hoy no
    conectó. El proveedor nos mandó la lista de puertos de salida que deben estar abiertos hacia sus
    servidores (TCP 8443 y 5222).

    ¿Nos ayudan a abrirlos en el SonicWall? Hay 60 alumnos inscritos, es urgente.
    """,
    "Allowing outbound ports; 'urgente', nothing stopped yet: grave.",
    incident="puertos",
)
m(
    "leve",
    "mauricio",
    "Bloquear salida por el puerto 25",
    """
    Buenos días,

    Queremos que en el SonicWall quede bloqueada la salida por el puerto 25 (SMTP) para todos los equipos,
    excepto para el servidor de correo (10.10.5.20), para que ninguna PC pueda mandar correo directo a
    internet. ¿Nos ayudan a configurar la regla?
    """,
    "Denying an outbound port on the SonicWall (the mail server is only the exception): leve. The "
    "signature's 'Críticos' is a job title.",
    incident="puertos",
)
m(
    "critica",
    "canto",
    "Desde el cambio en el SonicWall no entran los pedidos de los hospitales",
    """
    Buenas tardes,

    Desde que ayer en la noche se cambiaron las reglas del SonicWall, nuestro sistema de pedidos en línea
    (entra por el puerto 8090 hacia el servidor 192.168.20.15) no recibe ninguna orden. Los 14 hospitales
    que nos compran no pueden hacer pedidos y el almacén está detenido sin nada que surtir.

    ¿Nos ayudan a volver a abrir el puerto?
    """,
    "A closed inbound port stops all customer orders; the company cannot sell: critica.",
    incident="puertos",
)

# --- exclusiones -------------------------------------------------------------

m(
    "leve",
    "paola",
    "Exclusión para la carpeta del PACS",
    """
    Buen día,

    El proveedor del PACS de Imagenología nos pide excluir del escaneo en tiempo real la carpeta
    D:\\PACS\\Storage del servidor de imágenes, porque cuando llegan estudios grandes de tomografía el
    escaneo hace más lento el guardado. Todo funciona, es una recomendación del proveedor.

    ¿Nos ayudan a agregarla?
    """,
    "A folder exclusion the vendor recommends; nothing interrupted: leve.",
    incident="exclusiones",
)
m(
    "leve",
    "luisg",
    "Exclusions for the new MES SQL server",
    """
    Hi,

    We're bringing up a new SQL Server 2022 box for our MES next Monday. Could you add Microsoft's
    recommended antivirus exclusions for SQL (data and log folders, sqlservr.exe, etc.) to its WithSecure
    Server Security profile before then? I can send the paths.
    """,
    "WithSecure exclusions for a new server: leve.",
    incident="exclusiones",
)
m(
    "grave",
    "canto",
    "Exclusión para la sincronización de las terminales Zebra",
    """
    Buenas tardes,

    Desde ayer las terminales Zebra del almacén no terminan de sincronizar con el servidor: en el registro
    de WithSecure aparece el escaneo en tiempo real bloqueando los archivos .db de la carpeta
    D:\\SyncZebra mientras se copian. Los surtidores están capturando parte de los pedidos a mano.
    Necesitamos excluir esa carpeta en el servidor.

    Lo consideramos grave.
    """,
    "A folder exclusion; client says 'Lo consideramos grave': grave.",
    incident="exclusiones",
)
m(
    "leve",
    "kevin",
    "Exclusion for the new tester software",
    """
    Hi,

    Our engineering team is rolling out a new version of the harness continuity tester software (folder
    C:\\CTS\\bin and the service cts_agent.exe). The vendor recommends excluding that folder from
    real-time scanning to avoid timing issues. Could you add the exclusion to the "Test Stations" profile?
    It's for next week's rollout.
    """,
    "A WithSecure exclusion ahead of a rollout: leve (the signature's 'Critical-to-Quality' is a slogan).",
    incident="exclusiones",
)
m(
    "leve",
    "gerardo",
    "exclusion para programa de rastreo",
    """
    buen dia

    nos pueden poner una exclusion para la carpeta del programa de rastreo satelital C:\\Rastreo en las 3
    compus de monitoreo? cada vez que se actualiza el programa el antivirus lo revisa y tarda mucho en
    abrir. no es urgente
    """,
    "An exclusion; client says 'no es urgente': leve.",
    incident="exclusiones",
    noacc=True,
)

# --- red_lenta ---------------------------------------------------------------

m(
    "critica",
    "ricardo",
    "Internet lentísimo en todo el hotel",
    """
    Buenas noches. Desde las 6 de la tarde el internet está lentísimo en todo el hotel, los huéspedes se
    están quejando y el sistema de reservaciones y las terminales de cobro no cargan. Estamos llenos por el
    festival.

    Es crítico, por favor llámenme.
    """,
    "Whole hotel's network slow, reservations and card payments down; client says 'Es crítico': critica.",
    incident="red_lenta",
    hour=20,
)
m(
    "grave",
    "fernando",
    "Red lenta en el edificio B",
    """
    Buen día

    Desde que la semana pasada se activó la inspección SSL en el SonicWall, en el edificio B (3 salones y la
    oficina administrativa) la navegación está muy lenta, las videollamadas de las clases en línea se
    cortan y las maestras tienen que reconectarse a cada rato. El edificio A está normal.

    ¿Pueden revisar la configuración?
    """,
    "Slow network in one building, classes interrupted to a degree: grave.",
    incident="red_lenta",
)
m(
    "grave",
    "greg",
    "Urgent: very slow network in the shipping office",
    """
    Hi,

    Urgent: the network in our shipping office has been crawling since yesterday afternoon. The 5 people
    there take several minutes to print bills of lading and the carrier portals time out. The rest of the
    plant is fine. The SonicWall dashboard shows the X3 interface (shipping) at 100% most of the time.

    Can someone look at it today?
    """,
    "'Urgent'; one area of five people slowed: grave.",
    incident="red_lenta",
)
m(
    "leve",
    "omar",
    "Internet lento en tienda 4",
    """
    Buenas tardes,

    No es urgente: en la tienda 4 (Gómez Palacio) el internet se pone lento en las tardes y a veces las
    terminales tardan en autorizar, pero las ventas salen. ¿Pueden revisar desde el SonicWall de la tienda
    si hay algo consumiendo el ancho de banda?
    """,
    "Client says 'No es urgente'; one store slowed, sales go through: leve.",
    incident="red_lenta",
)
m(
    "critica",
    "kevin",
    "Critical: network extremely slow plant-wide, lines stopping",
    """
    Team,

    This is critical. Since 10:40 the network in the whole plant is extremely slow: MES transactions are
    timing out on every line and 4 of our 6 lines have stopped because operators can't scan traceability
    labels. Internet through the SonicWall is barely usable too. The SonicWall CPU is pegged at 99%.

    Please call me now.
    """,
    "Client says 'This is critical'; production lines stopped: critica.",
    incident="red_lenta",
    hour=11,
)

# --- contrasenas_consola -----------------------------------------------------

m(
    "leve",
    "felipe",
    "Olvidé la contraseña de WithSecure",
    """
    Hola,

    No me acuerdo de la contraseña del portal de WithSecure Elements y la intenté tantas veces que creo que
    la bloqueé. ¿Me ayudan a restablecerla? No hay ningún problema con los equipos, es para sacar un
    reporte.
    """,
    "Console password reset, nothing affected: leve.",
    incident="contrasenas_consola",
)
m(
    "grave",
    "mark",
    "Urgent - WithSecure portal admin account locked",
    """
    Hi,

    Urgent: our only admin account on the WithSecure portal got locked after too many failed logins and
    the reset email never arrives. There's an alert about a suspicious file on Ana Paula's laptop that we
    can't look at without access.

    Can you help us reset the password?
    """,
    "Console password reset; 'Urgent', no users interrupted: grave.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "nancy",
    "Contraseña de la consola de Safetica vencida",
    """
    Hola,

    Al entrar a la consola de Safetica me pidió cambiar la contraseña porque venció, y al ponerle la nueva me
    marca "error al actualizar la contraseña" y ya no me deja entrar ni con la anterior. ¿Nos ayudan a
    restablecerla? Safetica sigue funcionando normal en los equipos.
    """,
    "Console password reset, Safetica works: leve.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "tono",
    "se me olvido la contraseña del sonicwall",
    """
    que tal

    se me olvido la contra del sonicwall, la anote en una libreta y ya no la encuentro jaja. me la pueden
    resetear o decirme como? no hay ningun problema, nomas queria ver unas cosas
    """,
    "SonicWall admin password reset, nothing affected: leve.",
    incident="contrasenas_consola",
    noacc=True,
)
m(
    "critica",
    "gerardo",
    "no podemos entrar a la consola del sonicwall",
    """
    buen dia

    no podemos entrar a la consola del sonicwall, la contraseña de admin no la acepta desde que se reinicio
    el equipo ayer. hoy viene la auditoria de seguridad de nuestro cliente principal y necesitan ver las
    reglas y los logs en vivo. el director dice que es critico, si no pasamos la auditoria perdemos el
    contrato

    por favor ayudenos a restablecer la contraseña
    """,
    "Console password reset; the client states 'es critico' (his director's rating, in his own new text): critica.",
    incident="contrasenas_consola",
    noacc=True,
)

# --- perfiles_usuario --------------------------------------------------------

m(
    "leve",
    "araceli",
    "RV: Cambio de puesto Karla Hernández",
    """
    Buen día,

    Les reenvío el aviso de Recursos Humanos. ¿Nos ayudan a cambiarle a Karla el perfil de Safetica de
    "Ventanilla" a "Gerencia de sucursal" a partir del lunes?

    Gracias.
    """,
    "Assigning a different Safetica profile to one user: leve.",
    incident="perfiles_usuario",
    quote=fwd(
        """
        Araceli:

        Te informo que a partir del lunes Karla Hernández (usuario khernandez) deja la ventanilla y queda
        como gerente de la sucursal Apaseo. Favor de hacer los cambios de accesos que correspondan.

        Saludos,
        Rogelio
        """,
        subject="Cambio de puesto Karla Hernández",
        days=2,
    ),
)
m(
    "grave",
    "javier",
    "Vendedores con el perfil equivocado en Safetica",
    """
    Hola,

    Desde ayer los 5 vendedores de piso aparecen con el perfil de "Almacén" en Safetica y no pueden copiar
    los catálogos a USB ni mandar cotizaciones con adjuntos por correo. Le están pidiendo a la
    administradora que les mande todo.

    ¿Nos ayudan a regresarles su perfil de Ventas?
    """,
    "Five salespeople on the wrong Safetica profile, work hampered: grave.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "mauricio",
    "Perfiles de Safetica por grupos del Active Directory",
    """
    Buenos días,

    Safetica ya sincroniza bien los usuarios del Active Directory. Ahora queremos que el perfil se asigne
    según el grupo del AD: "GG-Calidad" con el perfil de Laboratorio y "GG-Ventas" con el de Comercial,
    para no hacerlo a mano cada que entra alguien. ¿Nos ayudan a dejarlo así?
    """,
    "Assigning Safetica profiles by group (AD is only the source and works): leve.",
    incident="perfiles_usuario",
)
m(
    "grave",
    "canto",
    "Perfil de Safetica del nuevo gerente de compras",
    """
    Buenas tardes,

    El nuevo gerente de compras, el Lic. Chan, entró el lunes y en Safetica quedó con el perfil por
    defecto, que le bloquea subir archivos a los portales de proveedores y usar su USB. No ha podido mandar
    las órdenes de compra de la semana.

    Es urgente, ¿le pueden asignar el perfil de Gerencia?
    """,
    "One user's profile; 'urgente' makes it at least grave: grave.",
    incident="perfiles_usuario",
)

# --- configuraciones_nuevas --------------------------------------------------

m(
    "leve",
    "ricardo",
    "Configurar la segunda línea de internet en el SonicWall",
    """
    Hola. Ya nos instalaron una segunda línea de internet (Totalplay) para tener respaldo. Queremos que la
    configuren en el SonicWall para que, si se cae la de Telmex, el hotel se pase solo a la otra. ¿Cuándo
    lo podrían hacer?

    Gracias
    """,
    "A new WAN failover configuration on the SonicWall: leve.",
    incident="configuraciones_nuevas",
)
m(
    "grave",
    "haro",
    "VPN para la nueva bodega de Río Grande",
    """
    Buen día,

    El lunes abrimos la bodega de Río Grande y ya está instalado el SonicWall TZ que nos vendieron para
    ahí. Necesitamos que configuren la VPN sitio a sitio con la oficina de Zacatecas para que el personal
    pueda entrar al sistema de inventarios desde el primer día.

    Es urgente porque sin eso no podemos recibir grano allá.
    """,
    "A new site-to-site VPN between two SonicWalls; 'urgente': grave.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "luisg",
    "New Safetica policy for drawings",
    """
    Hi,

    Quality wants a new Safetica policy so that files from the \\\\fs01\\Drawings share can't be printed or
    copied to USB, except by the Quality group. Could you set it up? Happy to do a call to go through it.
    """,
    "A new Safetica policy: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "julio",
    "Integrar la nave 3 al SonicWall",
    """
    Buenos días,

    Terminamos la nave 3 y ya tiene su switch y cableado nuevo (lo hizo el contratista). Necesitamos
    integrarla al SonicWall: una VLAN nueva para esa nave, con su DHCP desde el SonicWall y las mismas
    reglas que producción. ¿Nos ayudan a configurarlo? Empezamos a operar ahí el mes que entra.
    """,
    "A new VLAN and rules on the SonicWall ('integrar' is not an application integration): leve.",
    incident="configuraciones_nuevas",
)
m(
    "grave",
    "bruno",
    "Políticas de Safetica para la auditoría del jueves",
    """
    Buenos días:

    Nuestro cliente principal, un banco, nos va a auditar el jueves y uno de los requisitos es que ninguna
    computadora del despacho pueda copiar información a USB ni subir archivos a correos personales (Gmail,
    Hotmail). Tenemos Safetica pero nunca configuramos esas políticas.

    Lo consideramos grave: si no lo cumplimos podemos perder la cuenta.
    """,
    "New Safetica policies; client says 'Lo consideramos grave': grave.",
    incident="configuraciones_nuevas",
)

# --- llaves_licencia ---------------------------------------------------------

m(
    "leve",
    "silvia",
    "Clave de WithSecure para mi laptop",
    """
    Hola. El técnico que me formateó la laptop me pide la clave de suscripción de WithSecure para volver a
    instalarlo y no la encuentro en mis correos. ¿Me la pueden reenviar?

    Gracias
    """,
    "Licence key recovery: leve.",
    incident="llaves_licencia",
)
m(
    "grave",
    "sergio",
    "urgente clave de withsecure no valida",
    """
    Buenas tardes

    Es urgente, reinstalamos Windows en 2 compus de diseño y al instalar WithSecure pide la clave de
    suscripcion, la que tengo en mi libreta dice "clave no valida". El dueño no deja que se conecten a la
    red sin antivirus y los diseñadores estan parados esperando.
    """,
    "Licence key recovery; 'urgente', two designers waiting: grave.",
    incident="llaves_licencia",
)
m(
    "leve",
    "felipe",
    "Re: VPN de la obra Altozano",
    """
    Hola Karen,

    Aprovecho este hilo: para cerrar el expediente de esa falla el corporativo me pide el número de
    licencia de WithSecure y la fecha de vencimiento. ¿Me lo pueden mandar?

    Gracias
    """,
    "Licence key and expiry request; the quoted closure of a 'crítica' incident is history: leve.",
    incident="llaves_licencia",
    quote=q(
        """
        Felipe, buenas tardes:

        Te confirmamos que quedó restablecida la VPN de la obra Altozano. La falla, clasificada como
        incidencia crítica, dejó a todo el personal de obra sin acceso al sistema de estimaciones durante
        la mañana. Quedamos atentos.

        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="VPN de la obra Altozano",
        days=12,
    ),
)
m(
    "critica",
    "priya",
    "Keycodes for the new line don't activate",
    """
    Hi,

    The WithSecure keycodes you sent for the 40 PCs of our new production line return "invalid
    subscription key" on every machine. The line goes live on Monday under FDA validation and the PCs must
    be protected before the validation run on Saturday.

    This is critical for us. Please send valid keys today.
    """,
    "Licence keys; client says 'This is critical': critica.",
    incident="llaves_licencia",
)

# --- informes_reportes -------------------------------------------------------

m(
    "leve",
    "araceli",
    "RE: Cierre de ticket IMG-2027-0031",
    """
    Buenas tardes Ing. Villalobos,

    Gracias por el apoyo. Para que no se repita, queremos que los encargados de sucursal ya no puedan
    crear ni quitar excepciones de DeepGuard desde la consola; que solo puedan ver. ¿Nos ayudan a
    restringirles el acceso?
    """,
    "Restricting what branch managers can do in the console; the quoted 'CRÍTICA' is the closed ticket's: leve.",
    incident="restricciones_consola",
    quote=q(
        """
        Lic. Mora:

        Se cierra el ticket IMG-2027-0031, clasificado como incidencia CRÍTICA: una excepción de DeepGuard
        borrada por error dejó bloqueado el sistema de captación en las 7 sucursales durante 2 horas. Se
        restauró la excepción y se verificó la operación en todas las sucursales.

        Quedamos atentos.
        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Cierre de ticket IMG-2027-0031",
        days=2,
    ),
)
m(
    "leve",
    "kevin",
    "RE: Closing ticket IMG-2026-0977",
    """
    Hi Karen,

    Thanks again. Separate request: for our corporate IT review we need a report from the SonicWall of the
    top blocked web categories and the most-blocked sites per department for the last quarter. Could you
    prepare it? The review is in three weeks.
    """,
    "A SonicWall report for a review three weeks away; the quoted 'critical' closure is history: leve.",
    incident="informes_reportes",
    quote=q(
        """
        Kevin,

        We're closing ticket IMG-2026-0977 (critical severity): the plant-wide internet outage was caused
        by the WAN failover on the SonicWall not switching to the backup link. The failover settings were
        corrected and tested with your team.

        Regards,
        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Closing ticket IMG-2026-0977",
        days=5,
    ),
)
m(
    "grave",
    "mauricio",
    "Reporte de Safetica de un exgerente",
    """
    Buenas tardes,

    Dirección necesita hoy mismo un reporte de Safetica con los archivos que copió a USB y los que subió a
    sitios externos el exgerente de ventas (usuario jmartell) en sus últimas dos semanas; los abogados lo
    presentan mañana temprano. Es urgente.
    """,
    "A Safetica report; 'urgente': grave.",
    incident="informes_reportes",
)
m(
    "leve",
    "hugo",
    "RV: Equipos sin antivirus",
    """
    Buenos días,

    Les reenvío lo que me pidió el director. No es urgente, con que lo tengamos el viernes está bien: ¿nos
    pueden mandar un reporte de la consola de WithSecure con los equipos que no tienen el agente o que no
    se han conectado en más de 15 días?
    """,
    "A console report; the sender says 'No es urgente' (the director's 'URGENTE'/'GRAVE' is in the "
    "forwarded mail): leve.",
    incident="informes_reportes",
    quote=fwd(
        """
        Hugo:

        URGENTE. En el comité me dijeron que hay computadoras sin antivirus. Es algo GRAVE, quiero la lista
        completa hoy mismo.

        Roberto Elizondo
        Director General
        """,
        author="Ing. Roberto Elizondo <relizondo@corrugadosreg.com.mx>",
        subject="Equipos sin antivirus",
        days=0,
    ),
)
m(
    "critica",
    "ramiro",
    "Reporte de WithSecure para la aseguradora",
    """
    Buenas tardes,

    La aseguradora de ciberriesgos nos pide, para procesar el reclamo del incidente de la semana pasada, el
    reporte de la consola de WithSecure con el estado de protección de todos los equipos y las detecciones
    de esa semana. Nos dan de plazo hoy a las 6 pm.

    Es crítico para nosotros: si no lo entregamos rechazan el reclamo.
    """,
    "A console report; client says 'Es crítico para nosotros': critica.",
    incident="informes_reportes",
    hour=12,
)
m(
    "leve",
    "rocio",
    "Reporte de detecciones por estación",
    """
    Buenas tardes

    Me pueden mandar un reporte de la consola de WithSecure con cuántas detecciones hubo en cada estación
    en el último trimestre? Es para el informe trimestral de sistemas.

    Gracias
    """,
    "A console report: leve (the signature's 'URGENTE' line is the stations' emergency number).",
    incident="informes_reportes",
    caps=True,
    noacc=True,
)

# --- errores_agentes ---------------------------------------------------------

m(
    "leve",
    "omar",
    "Agentes que no reportan en 15 cajas",
    """
    Buenos días,

    En la consola de WithSecure hay 15 cajas de distintas tiendas que no se comunican desde hace 10 días.
    Las cajas funcionan normal. No es urgente, pero sí quisiera que lo revisáramos esta semana para que no
    se queden sin protección.
    """,
    "Agents not reporting, tills work; client says 'No es urgente': leve.",
    incident="errores_agentes",
)
m(
    "grave",
    "rachel",
    "Safetica client causing save errors in CATIA",
    """
    Hi,

    Since the Safetica client was updated on Monday, the 7 engineers in the tooling design team get
    "Access denied" errors about half of the time when saving CATIA files to the network share. They're
    losing work and re-saving locally. If we stop the Safetica service on one PC, the error goes away.

    Can you look into it?
    """,
    "The Safetica agent misbehaves for a seven-person team: grave.",
    incident="errores_agentes",
)
m(
    "critica",
    "greg",
    "Nobody can print - Safetica agent blocking print jobs",
    """
    Hi,

    Since 7 am nobody in the company can print: every job to every printer fails, and the Safetica client
    log on the PCs shows the jobs being blocked by the endpoint agent even though we have no print policy.
    Shipping can't print bills of lading or export paperwork, 6 trucks are waiting at the dock, and
    invoicing is down too.

    Please get someone on this immediately.
    """,
    "The Safetica agent stops all printing; shipping and invoicing down: critica.",
    incident="errores_agentes",
    hour=9,
)
m(
    "leve",
    "carolina",
    "Fwd: Escudito rojo en la compu de recepción",
    """
    Hola buen día, les reenvío lo que me dice Diego. ¿Lo pueden revisar? La compu sí funciona.

    Gracias
    """,
    "One agent showing protection off, the PC works: leve.",
    incident="errores_agentes",
    quote=fwd(
        """
        Doctora, en la compu de recepción de la sucursal Centro el escudito de WithSecure sale en rojo y
        dice "Protección desactivada". Ya la reinicié y sigue igual.

        Diego
        """,
        subject="Escudito rojo en la compu de recepción",
        days=0,
    ),
)
m(
    "leve",
    "enrique",
    "Re: Instalación de Safetica en laboratorio 3",
    """
    Buen día

    Les comento que en el laboratorio 3 (20 PCs) la consola de Safetica marca "Endpoint client service
    stopped" en casi todas, varias veces al día. Los alumnos trabajan normal, no les afecta en nada; lo
    que nos preocupa es que en esos ratos no se registra la actividad. ¿Nos ayudan a revisar?
    """,
    "Agent service errors that interrupt nobody: leve.",
    incident="errores_agentes",
    quote=q(
        """
        Mtro. Salinas, buenas tardes:

        Le confirmamos que quedó instalado el cliente de Safetica en las 20 computadoras del laboratorio 3
        con la política "Alumnos".

        Saludos,
        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Instalación de Safetica en laboratorio 3",
        days=9,
    ),
)
m(
    "grave",
    "bruno",
    "Word se cierra al guardar en Worldox desde la actualización del agente",
    """
    Buenas tardes:

    Desde que se actualizó el agente de WithSecure el martes, a 4 abogados se les cierra Word cada vez que
    guardan un escrito en Worldox. Si desactivamos la protección de WithSecure en esos equipos ya no pasa,
    así que creemos que es el agente y no Office ni Worldox. Están guardando en el escritorio y subiendo
    después, y ya se perdieron un par de cambios.

    ¿Nos ayudan?
    """,
    "The WithSecure agent (not Office) makes Word crash for four lawyers: grave.",
    incident="errores_agentes",
)
m(
    "grave",
    "canto",
    "RE: Error en agente de WithSecure - almacén",
    """
    Buen día,

    Ahora sí es urgente: ya son 6 equipos del almacén con el mismo error del agente ("Error al cargar el
    módulo de protección") y desde ayer se reinician solos cada hora. Los surtidores pierden lo que estaban
    capturando.
    """,
    "Agent errors on six warehouse PCs; the new text says 'Ahora sí es urgente' (the quoted 'no es "
    "urgente' is the older mail): grave.",
    incident="errores_agentes",
    quote=q(
        """
        Buenos días,

        Un equipo del almacén marca error en el agente de WithSecure ("Error al cargar el módulo de
        protección"). Funciona normal, no es urgente, pero ¿lo pueden revisar cuando puedan?

        Saludos cordiales.
        Ing. Rubén Canto Pech
        """,
        author="self",
        subject="Error en agente de WithSecure - almacén",
        days=4,
    ),
)

# --- actualizaciones ---------------------------------------------------------

m(
    "leve",
    "hugo",
    "RE: Resumen de la revisión trimestral",
    """
    Buenos días,

    Gracias por el resumen. Sobre el punto 2: ¿nos ayudan a actualizar esos 30 equipos a la versión actual
    del agente? No hay fallas, es para tenerlos al día.
    """,
    "Updating WithSecure agents; the quoted review's 'grave' is negated history: leve.",
    incident="actualizaciones",
    quote=q(
        """
        Ing. Cantú:

        Le compartimos el resumen de la revisión trimestral del servicio:

        1. Estado general de la consola: bueno.
        2. 30 equipos con una versión anterior del agente de WithSecure.
        3. 2 equipos sin conexión en más de 30 días (se anexa lista).

        No se registró ningún incidente grave en el periodo.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Resumen de la revisión trimestral",
        days=3,
    ),
)
m(
    "leve",
    "luisg",
    "FW: DLP software version compliance",
    """
    Hi,

    See below from corporate. We're on Safetica 10.5, so I understand we need to move the server and the
    140 clients to the current version. Can you plan the upgrade with us? Any weekend in March works.
    """,
    "Upgrading the Safetica console and clients; no statement in the new text (the forwarded "
    "'CRITICAL' rates a future audit finding): leve.",
    incident="actualizaciones",
    quote=fwd(
        """
        All sites,

        By March 31 every site must run a vendor-supported version of its DLP software, servers and
        endpoint clients. Unsupported versions will be reported as a CRITICAL finding in the Q1 internal
        audit.

        Global Information Security
        """,
        author="Global InfoSec <infosec@northgateplastics.com>",
        subject="DLP software version compliance",
        to="site-it-leads@northgateplastics.com",
        days=1,
    ),
)
m(
    "grave",
    "fernando",
    "Policy Manager no arranca después de actualizar",
    """
    Buenas tardes

    Ayer actualizamos la consola de WithSecure Policy Manager a la versión nueva como nos indicaron y desde
    entonces el servicio no arranca, sale error al conectar con la base de datos. Los equipos siguen
    protegidos pero no podemos administrar nada. Lo consideramos grave.
    """,
    "A console update gone wrong; client says 'Lo consideramos grave': grave.",
    incident="actualizaciones",
)
m(
    "leve",
    "nancy",
    "Actualización de Safetica",
    """
    Hola,

    Nos salió un aviso en la consola de Safetica de que hay una versión nueva. ¿La actualización la hacen
    ustedes o nosotros? Si la hacen ustedes, ¿cuándo podría ser? Lo reportamos como leve, todo funciona.
    """,
    "Console/agent update question; client says 'leve': leve.",
    incident="actualizaciones",
)
m(
    "leve",
    "alan",
    "actualizar netextender en laptops de supervisores",
    """
    hola

    el sonicwall nos avisa que hay una versión nueva de NetExtender y a los 4 supervisores les sale un
    aviso cada que se conectan. nos ayudan a actualizarlo en sus laptops? la vpn les funciona bien

    gracias
    """,
    "Updating the SonicWall VPN client; VPN works: leve.",
    incident="actualizaciones",
    noacc=True,
)

# --- restricciones_consola ---------------------------------------------------

m(
    "leve",
    "araceli",
    "Baja de ex-empleado en consolas",
    """
    Buen día,

    El Ing. Mario Pedraza dejó de trabajar con nosotros el viernes y tenía usuario administrador en la
    consola de WithSecure y en la de Safetica. ¿Nos ayudan a darlo de baja en las dos?
    """,
    "Removing a former employee's console access: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "ricardo",
    "Permisos del técnico externo en WithSecure",
    """
    Hola buen día. El técnico externo que nos apoya, Diego Anaya, tiene usuario de administrador completo
    en el portal de WithSecure porque así se lo dimos al principio. Queremos que solo pueda ver los
    equipos y las alertas, sin poder cambiar políticas ni borrar equipos. ¿Nos ayudan a restringirlo?

    Gracias
    """,
    "Restricting a console user to read-only: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "mauricio",
    "Administración del SonicWall solo desde la VLAN de Sistemas",
    """
    Buenos días,

    Por recomendación de la auditoría queremos que la administración del SonicWall (HTTPS y SSH) solo se
    pueda hacer desde la VLAN de Sistemas (10.10.99.0/24) y no desde cualquier red interna como está
    ahorita. ¿Nos ayudan a configurarlo?
    """,
    "Restricting where the console can be reached from: leve.",
    incident="restricciones_consola",
)
m(
    "grave",
    "lorena",
    "Alguien está cambiando las políticas de Safetica",
    """
    Hola,

    Nos dimos cuenta de que alguien está modificando las políticas de Safetica: ayer quitaron el bloqueo de
    USB al área de reservaciones. En la consola hay 4 usuarios con permisos de administrador y no sabemos
    quién fue.

    Es urgente: necesitamos dejar solo mi usuario como administrador y a los demás solo con lectura.
    """,
    "Restricting console access; 'urgente': grave.",
    incident="restricciones_consola",
)
m(
    "grave",
    "rachel",
    "Urgent: former IT admin still has SonicWall access",
    """
    Hi,

    Urgent: we just found out that our former IT admin, who left on bad terms last Friday, still has an
    admin account on the SonicWall and on the WithSecure portal, and his account logged in to the
    SonicWall on Sunday night. Please remove his access to both today.
    """,
    "Removing console access; 'Urgent': grave.",
    incident="restricciones_consola",
)

# ===========================================================================
# IN SCOPE, none of the fifteen: VPN, links through the SonicWall, training,
# the memoria técnica, a question about an alert, an escalation.
# ===========================================================================

m(
    "critica",
    "haro",
    "RE: Seguimiento túnel Loreto",
    """
    Buenos días,

    Ahora no es solo Loreto: después del corte de luz de las 11, en el SonicWall de la oficina los túneles
    de las 4 sucursales aparecen arriba pero no pasa nada de tráfico. Ninguna sucursal puede facturar ni
    consultar existencias, estamos detenidos.
    """,
    "The SonicWall VPN to every branch passes no traffic, no branch can bill (the quoted mail was a "
    "routine follow-up): critica.",
    quote=q(
        """
        Luis Fernando, buen día:

        ¿Pudieron confirmar si el túnel de Loreto se ha mantenido estable desde el cambio del viernes? Si
        no hay novedad, cerramos el ticket.

        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="Seguimiento túnel Loreto",
        days=5,
    ),
    hour=12,
)
m(
    "grave",
    "paola",
    "Caída de la VPN con el Centro de Imagen",
    """
    Buen día,

    Desde ayer en la noche está caído el túnel VPN entre el SonicWall de la clínica y el del Centro de Imagen
    de Jiutepec, así que los estudios de rayos X y tomografía de allá no llegan al PACS de la clínica. Los
    6 radiólogos no pueden interpretarlos y se están acumulando; los urgentes los estamos mandando en USB
    con un mensajero.
    """,
    "A SonicWall site-to-site tunnel down, one area's work interrupted to a degree: grave (the 'urgentes' "
    "are patients' studies, not the client's rating).",
)
m(
    "leve",
    "enrique",
    "Capacitación en la consola del SonicWall",
    """
    Buen día

    Dos maestros de informática nos van a apoyar con la red y nos gustaría que les dieran la capacitación
    de la consola del SonicWall (ver los registros, el filtro de contenido y los reportes básicos). ¿Qué
    días tendrían disponibles?
    """,
    "Training on the product: in scope, none of the fifteen; leve.",
)
m(
    "leve",
    "silvia",
    "Revisión trimestral",
    """
    Hola, ¿cuándo nos toca la revisión trimestral del servicio? Nos gustaría que esta vez vinieran al
    despacho para revisar también las laptops de las socias.

    Gracias
    """,
    "The quarterly service review and a visit: in scope, none of the fifteen; leve.",
)
m(
    "critica",
    "rocio",
    "SIN INTERNET EN TODO EL CORPORATIVO",
    """
    Buenos días

    Desde las 7 no hay internet en todo el corporativo, el SonicWall tiene la luz de alerta prendida y no
    carga la página de administración. Sin internet no se puede facturar ni mandar los reportes de
    volumétricos de las 12 estaciones.

    Es crítico, favor de marcarme
    """,
    "The SonicWall down, no internet for the corporate office, nobody can bill; 'Es crítico': critica.",
    caps=True,
    noacc=True,
    hour=8,
)
m(
    "grave",
    "ricardo",
    "Re: SonicWall reiniciándose",
    """
    Hola Karen. Hoy ya van 3 reinicios del SonicWall y cada vez nos quedamos sin internet unos 5 minutos:
    se cortan los cobros con tarjeta en recepción y el restaurante, y los huéspedes se quejan del wifi.
    ¿Pueden venir a revisarlo o mandarnos uno de cambio?
    """,
    "The SonicWall rebooting several times a day, short outages for part of the operation: grave.",
    quote=q(
        """
        Ricardo, buenas tardes:

        Revisamos los registros: el SonicWall se reinició por un error de memoria. Aplicamos la
        configuración recomendada y quedamos en monitorear. Cualquier reinicio nuevo, avísanos.

        Ing. Karen Villalobos
        Soporte IMAGEN TI
        """,
        author="engineer",
        subject="SonicWall reiniciándose",
        days=2,
    ),
)
m(
    "critica",
    "mark",
    "SonicWall stuck in a boot loop - whole office offline",
    """
    Hi,

    Our SonicWall has been stuck in a boot loop since this morning: the lights keep cycling and the admin
    page never comes up. The whole office (15 people) has no internet, which means we can't file the
    customs entries, and we have 4 trucks waiting at the border to release.

    Please help as soon as you can.
    """,
    "The SonicWall down, the whole company offline and unable to clear goods: critica.",
)
m(
    "grave",
    "mark",
    "VPN to the Manzanillo warehouse drops every afternoon",
    """
    Hi,

    It's not critical, but since Monday the SonicWall tunnel to our Manzanillo warehouse drops every
    afternoon for about 20 minutes. The 3 people there lose the ERP each time and have to redo the
    receipts they were entering. Could someone take a look?
    """,
    "'Not critical' rules out critica; three employees' work interrupted to a degree: grave.",
)
m(
    "grave",
    "alan",
    "Re: Ticket IMG-2027-0112 registrado",
    """
    Ing. Martínez, buenas tardes:

    Le escribo para escalar este ticket. Desde las 9 de la mañana está caída la VPN entre la planta de
    Guaymas y la oficina de Hermosillo; las 10 personas de la planta no pueden entrar al sistema de
    inventarios y llevamos 4 horas sin respuesta.
    """,
    "An escalation: the SonicWall VPN down for one site of ten people: grave. The quoted "
    "acknowledgement lists the SLA levels, it rates nothing.",
    quote=q(
        """
        Estimado cliente:

        Su reporte quedó registrado con el ticket IMG-2027-0112. Los tiempos de atención dependen de la
        criticidad de la incidencia: crítica, no mayor a 2 horas; grave, no mayor a 4 horas; leve, no
        mayor a 24 horas.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Ticket IMG-2027-0112 registrado",
        days=0,
    ),
    escalate=True,
    hour=13,
)


# ---------------------------------------------------------------------------
# Building the mails (helpers as in tests/data/classify/make.py).
# ---------------------------------------------------------------------------

DIAS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
DIAS_LARGOS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MESES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")
MESES_LARGOS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
DAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAYS_EN_LONG = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_EN_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CTE = {"outlook": "quoted-printable", "gmail": "quoted-printable", "apple": "quoted-printable"}
MAILER = {
    "outlook": ("X-Mailer", "Microsoft Outlook 16.0"),
    "apple": ("X-Mailer", "Apple Mail (2.3826.300.87.4.3)"),
    "iphone": ("X-Mailer", "iPhone Mail (22D72)"),
    "thunderbird": ("User-Agent", "Mozilla Thunderbird"),
}


def strip_accents(text: str) -> str:
    """How people who type without accents write: no á é í ó ú ü ¿ ¡ (ñ kept)."""
    text = text.replace("ñ", "\0").replace("Ñ", "\1").replace("¿", "").replace("¡", "")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text.replace("\0", "ñ").replace("\1", "Ñ")


def when_es(d: datetime) -> str:
    return f"{DIAS[d.weekday()]}, {d.day} {MESES[d.month - 1]} {d.year} a las {d:%H:%M}"


def when_es_long(d: datetime) -> str:
    hour = d.strftime("%I:%M").lstrip("0")
    ampm = "a. m." if d.hour < 12 else "p. m."
    return f"{DIAS_LARGOS[d.weekday()]}, {d.day} de {MESES_LARGOS[d.month - 1]} de {d.year} {hour} {ampm}"


def when_en(d: datetime) -> str:
    hour = d.strftime("%I:%M %p").lstrip("0")
    return f"{DAYS_EN[d.weekday()]}, {MONTHS_EN[d.month - 1]} {d.day}, {d.year} at {hour}"


def when_en_long(d: datetime) -> str:
    hour = d.strftime("%I:%M %p").lstrip("0")
    return f"{DAYS_EN_LONG[d.weekday()]}, {MONTHS_EN_LONG[d.month - 1]} {d.day}, {d.year} {hour}"


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def author_of(quote: Quote, person: Person) -> tuple[str, str]:
    if quote.author == "colleague":
        return person.colleague[0], person.colleague_addr
    if quote.author == "imagenti":
        return IMAGENTI
    if quote.author == "engineer":
        return ENGINEER
    if quote.author == "self":
        return person.name, person.addr
    name, _, addr = quote.author.partition(" <")
    return name, addr.rstrip(">")


def history(quote: Quote, person: Person, when: datetime) -> str:
    """The quoted or forwarded block as the sender's mail program writes it."""
    name, addr = author_of(quote, person)
    to = quote.to or (DESK if quote.author == "self" else person.addr)
    prog, en = person.program, person.lang == "en"
    if quote.forward:
        if prog == "gmail":
            if en:
                return (
                    f"---------- Forwarded message ---------\nFrom: {name} <{addr}>\nDate: {when_en(when)}\n"
                    f"Subject: {quote.subject}\nTo: <{to}>\n\n{quote.text}"
                )
            return (
                f"---------- Mensaje reenviado ---------\nDe: {name} <{addr}>\nDate: {when_es(when)}\n"
                f"Subject: {quote.subject}\nTo: <{to}>\n\n{quote.text}"
            )
        if prog in ("apple", "iphone"):
            head = "Begin forwarded message:" if en else "Inicio del mensaje reenviado:"
            return (
                f"{head}\n\nDe: {name} <{addr}>\nAsunto: {quote.subject}\nFecha: {when_es(when)}\n"
                f"Para: {to}\n\n{quote.text}"
            )
        if prog == "thunderbird":
            return (
                f"-------- Mensaje reenviado --------\nAsunto: \t{quote.subject}\nFecha: \t{when_es(when)}\n"
                f"De: \t{name} <{addr}>\nPara: \t{to}\n\n{quote.text}"
            )
        if en:
            return (
                f"________________________________\nFrom: {name} <{addr}>\nSent: {when_en_long(when)}\n"
                f"To: {to}\nSubject: {quote.subject}\n\n{quote.text}"
            )
        return (
            f"________________________________\nDe: {name} <{addr}>\nEnviado el: {when_es_long(when)}\n"
            f"Para: {to}\nAsunto: {quote.subject}\n\n{quote.text}"
        )
    if prog == "outlook":
        if en:
            return (
                f"________________________________\nFrom: {name} <{addr}>\nSent: {when_en_long(when)}\nTo: {to}\n"
                f"Subject: {quote.subject}\n\n{quote.text}"
            )
        return (
            f"________________________________\nDe: {name} <{addr}>\nEnviado el: {when_es_long(when)}\n"
            f"Para: {to}\nAsunto: {quote.subject}\n\n{quote.text}"
        )
    if en:
        return f"On {when_en(when)} {name} <{addr}> wrote:\n\n{quoted(quote.text)}"
    if prog == "thunderbird":
        return f"El {when:%d/%m/%y} a las {when:%H:%M}, {name} escribió:\n{quoted(quote.text)}"
    if prog in ("apple", "iphone"):
        return (
            f"El {when.day} {MESES[when.month - 1]} {when.year}, a las {when:%H:%M}, {name} <{addr}> "
            f"escribió:\n\n{quoted(quote.text)}"
        )
    return f"El {when_es(when)}, {name} (<{addr}>) escribió:\n\n{quoted(quote.text)}"


def to_html(text: str) -> str:
    """A plain HTML rendering of the text part, as mail programs send next to it."""
    out, para, quote = [], [], []

    def flush_para():
        if para:
            out.append("<p>" + "<br>\n".join(html.escape(line) for line in para) + "</p>")
            para.clear()

    def flush_quote():
        if quote:
            inner = "<br>\n".join(html.escape(line[1:].lstrip()) for line in quote)
            out.append(
                f'<blockquote style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">{inner}</blockquote>'
            )
            quote.clear()

    for line in text.split("\n"):
        if line.startswith(">"):
            flush_para()
            quote.append(line)
        elif not line.strip():
            flush_para()
            flush_quote()
        else:
            flush_quote()
            para.append(line)
    flush_para()
    flush_quote()
    body = "\n".join(out)
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
        f'<body><div style="font-family:Calibri,Arial,sans-serif;font-size:11pt">\n{body}\n</div></body></html>\n'
    )


def message_id(rng: random.Random, person: Person) -> str:
    hexa = "0123456789ABCDEF"
    if person.program == "outlook":
        box = f"{rng.choice(['PH0PR', 'SA1PR', 'CO1PR', 'MW4PR', 'BL1PR'])}{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}"
        tail = "".join(rng.choice(hexa) for _ in range(32))
        return f"<{box}{tail}@{box}.namprd{rng.randint(10, 19)}.prod.outlook.com>"
    if person.program == "gmail":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return f"<CA{''.join(rng.choice(alphabet) for _ in range(40))}@mail.gmail.com>"
    parts = [8, 4, 4, 4, 12]
    uid = "-".join("".join(rng.choice(hexa) for _ in range(n)) for n in parts)
    if person.program == "thunderbird":
        return f"<{uid.lower()}@{person.domain}>"
    return f"<{uid}@{person.domain}>"


def sent_times(rng: random.Random, n: int) -> list[datetime]:
    """n send times from mid-January to mid-March 2027, mostly in business hours, in order."""
    start = datetime(2027, 1, 11, tzinfo=MX)
    closed = {datetime(2027, 2, 1, tzinfo=MX).date()}  # Constitution Day (first Monday of February)
    out = []
    for _ in range(n):
        while True:
            day = start + timedelta(days=rng.randint(0, 60))
            odd = rng.random() < 0.08  # a few after hours or on a weekend
            if odd or (day.weekday() < 5 and day.date() not in closed):
                break
        hour = rng.choice([7, 20, 21, 22]) if odd else rng.randint(8, 18)
        out.append(day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59)))
    return sorted(out)


def build(case: Case, when: datetime, rng: random.Random) -> bytes:
    person = PEOPLE[case.who]
    if case.hour is not None:
        when = when.replace(hour=case.hour)
    else:  # keep the greeting and the hour of the Date header together
        opening = strip_accents(case.body.split("\n", 1)[0]).lower()
        if opening.startswith("buenas tardes") and when.hour < 13:
            when = when.replace(hour=13 + when.hour % 6)
        elif opening.startswith(("buenos dias", "buen dia")) and when.hour >= 13:
            when = when.replace(hour=8 + when.hour % 4)
    subject, body = case.subject, case.body
    if case.noacc:
        subject, body = strip_accents(subject), strip_accents(body)
    if case.caps:
        subject, body = subject.upper(), body.upper()
    text = f"{body}\n\n{person.signature()}"
    in_reply_to = None
    if case.quote:
        if case.quote.days:
            earlier = (when - timedelta(days=case.quote.days)).replace(
                hour=rng.randint(9, 17), minute=rng.randint(0, 59)
            )
            while earlier.weekday() >= 5:  # the quoted mail was sent on a working day
                earlier -= timedelta(days=1)
        else:
            earlier = when - timedelta(minutes=rng.randint(20, 90))
        text += "\n\n" + history(case.quote, person, earlier)
        if not case.quote.forward:
            in_reply_to = message_id(rng, person)
    text += "\n"

    msg = EmailMessage()
    msg["From"] = formataddr((person.name, person.addr))
    msg["To"] = DESK
    cc = []
    if case.cc or rng.random() < 0.12:
        cc.append(formataddr((person.colleague[0], person.colleague_addr)))
    if case.escalate:
        cc.append(formataddr(ESCALATION))
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id(rng, person)
    msg["MIME-Version"] = "1.0"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if person.program in MAILER:
        msg[MAILER[person.program][0]] = MAILER[person.program][1]
    if person.program == "outlook":
        msg["Content-Language"] = "en-US" if person.lang == "en" else "es-MX"
    cte = CTE.get(person.program, "8bit")
    msg.set_content(text, charset="utf-8", cte=cte)
    if case.html or (person.program in ("outlook", "apple", "gmail") and rng.random() < 0.12):
        msg.add_alternative(to_html(text), subtype="html", charset="utf-8", cte="quoted-printable")
        msg.set_boundary(f"----=_NextPart_{rng.getrandbits(64):016X}")
    return msg.as_bytes(policy=policy.default)


# ---------------------------------------------------------------------------
# Checks, numbering, labels.
# ---------------------------------------------------------------------------


def check(cases: list[Case]) -> None:
    for case in cases:
        assert case.severity in SEVERITIES, case
        assert case.who in PEOPLE, case
        assert case.limit is None or case.limit in LIMITS, case
        assert case.incident is None or case.incident in INCIDENTS, case
        assert not (case.limit and case.incident), case
        assert "\n" not in case.why, case
        assert case.quote is None or case.quote.subject, case
    assert {c.severity for c in cases} == set(SEVERITIES)
    assert {c.limit for c in cases if c.limit} == set(LIMITS)
    assert {c.incident for c in cases if c.incident} == set(INCIDENTS)
    # out of scope in every severity
    assert {c.severity for c in cases if c.limit} == set(SEVERITIES)


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def halves(numbered: list[tuple[str, Case]]) -> dict[str, str]:
    """Each file's half: within each (severity, in or out of scope), alternately dev and heldout.

    The whole set was measured once, untouched, as held-out (80.8 % together); it was then
    split so that rules could be tuned on one half and checked on the other.
    """
    seen: dict[tuple[str, bool], int] = {}
    out = {}
    for name, case in numbered:
        key = (case.severity, bool(case.limit))
        out[name] = "dev" if seen.get(key, 0) % 2 == 0 else "heldout"
        seen[key] = seen.get(key, 0) + 1
    return out


def labels_toml(numbered: list[tuple[str, Case]]) -> str:
    split = halves(numbered)
    lines = [
        "# Labels of the fresh held-out classification set (see README.md in this folder).",
        "# Written from IMAGEN TI's support terms, not from mailbot's rules; generated by make.py.",
        "# severity: critica | grave | leve",
        "# out_of_scope: true when the mail asks for something the terms' LIMITANTES DEL SERVICIO exclude",
        f"# limit (only when out of scope): {' | '.join(LIMITS)}",
        f"# incident (when it is one of the 15 INCIDENTES MAS COMUNES): {' | '.join(INCIDENTS)}",
        "# split: dev (rules may be tuned against it) | heldout (never look at it while writing rules)",
        "# The halves alternate within each severity and scope, in file order (halves()).",
        "",
    ]
    for name, case in numbered:
        lines.append("[[mail]]")
        lines.append(f"file = {toml_str(name)}")
        lines.append(f"severity = {toml_str(case.severity)}")
        lines.append(f"out_of_scope = {'true' if case.limit else 'false'}")
        if case.limit:
            lines.append(f"limit = {toml_str(case.limit)}")
        if case.incident:
            lines.append(f"incident = {toml_str(case.incident)}")
        lines.append(f"split = {toml_str(split[name])}")
        lines.append(f"why = {toml_str(case.why)}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    rng = random.Random(SEED)
    cases = list(CASES)
    check(cases)
    rng.shuffle(cases)  # file numbers say nothing about the kind of mail
    times = sent_times(rng, len(cases))
    out = HERE / "mails"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    numbered = []
    for i, (case, when) in enumerate(zip(cases, times, strict=True), start=1):
        name = f"{i:03d}.eml"
        (out / name).write_bytes(build(case, when, random.Random(SEED * 1000 + i)))
        numbered.append((name, case))
    (HERE / "labels.toml").write_text(labels_toml(numbered), encoding="utf-8")
    print(f"{len(numbered)} mails written to {out}")
    print(summary(cases))
    print()
    print(styles(numbered))


def summary(cases: list[Case]) -> str:
    """The counts table of README.md: every mail is heldout."""

    def row(title: str, pick) -> str:
        return f"| {title} | {sum(1 for c in cases if pick(c))} |"

    lines = ["| | heldout |", "| --- | ---: |", row("mails", lambda c: True)]
    lines += [row(f"severity {sev}", lambda c, sev=sev: c.severity == sev) for sev in SEVERITIES]
    lines.append(row("in scope", lambda c: not c.limit))
    lines.append(row("out of scope", lambda c: bool(c.limit)))
    lines += [
        row(f"out of scope, severity {sev}", lambda c, sev=sev: bool(c.limit) and c.severity == sev)
        for sev in SEVERITIES
    ]
    lines += [row(f"limit `{name}`", lambda c, name=name: c.limit == name) for name in LIMITS]
    lines += [row(f"incident `{name}`", lambda c, name=name: c.incident == name) for name in INCIDENTS]
    lines.append(row("in scope, none of the 15", lambda c: not c.limit and not c.incident))
    return "\n".join(lines)


def styles(numbered: list[tuple[str, Case]]) -> str:
    """How the mails were written (the README's second table)."""
    cases = [c for _, c in numbered]
    html_parts = sum(1 for name, _ in numbered if b"text/html" in (HERE / "mails" / name).read_bytes())
    rows = [
        ("client companies", len({PEOPLE[c.who].domain for c in cases})),
        ("in English", sum(1 for c in cases if PEOPLE[c.who].lang == "en")),
        ("replies with quoted history", sum(1 for c in cases if c.quote and not c.quote.forward)),
        ("forwards", sum(1 for c in cases if c.quote and c.quote.forward)),
        ("no accents", sum(1 for c in cases if c.noacc)),
        ("ALL CAPS", sum(1 for c in cases if c.caps)),
        ("with an HTML part", html_parts),
    ]
    for prog in ("outlook", "gmail", "apple", "iphone", "thunderbird"):
        rows.append((f"sent with {prog}", sum(1 for c in cases if PEOPLE[c.who].program == prog)))
    return "\n".join(["| how written | mails |", "| --- | ---: |"] + [f"| {k} | {v} |" for k, v in rows])


if __name__ == "__main__":
    main()
