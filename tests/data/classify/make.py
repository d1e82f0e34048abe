"""Write the classification evaluation set: ``mails/NNN.eml`` and ``labels.toml``.

The cases below were written from the customer's support terms
(``reference/terminos-soporte-imagenti.txt``: the three severities, the fifteen
common incidents and the seven limits of the service), never from mailbot's
rules. Each case is the client's new text, its subject, who wrote it and how
(reply with quoted history, forward, HTML part, no accents, ALL CAPS), and the
label an IMAGEN TI engineer would give it, with a one-line reason.

Run from the repository root; the output is deterministic (fixed seed), so
running it again rewrites the same bytes:

    .venv/bin/python tests/data/classify/make.py

The generated files are committed; this script documents how they were made
and is the place to add cases (append to CASES; numbering and the dev/heldout
split are derived, see ``assign_splits``).
"""

from __future__ import annotations

import html
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from textwrap import dedent

HERE = Path(__file__).resolve().parent
DESK = "soporte@imagenti.mx"
MX = timezone(timedelta(hours=-6), "CST")  # America/Mexico_City, no DST since 2022
SEED = 20261207

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
# ---------------------------------------------------------------------------

DISCLAIMERS = {
    "conf": (
        "AVISO DE CONFIDENCIALIDAD: Este correo electrónico y cualquier archivo adjunto son confidenciales "
        "y están dirigidos exclusivamente a su destinatario. Si usted no es el destinatario, le pedimos "
        "notificarlo al remitente y eliminar este mensaje. Queda prohibida su reproducción o distribución "
        "sin autorización."
    ),
    "privacidad": (
        "Aviso de Privacidad: sus datos personales son tratados conforme a la Ley Federal de Protección de "
        "Datos Personales en Posesión de los Particulares. Consulte nuestro aviso integral en "
        "www.{domain}/privacidad"
    ),
    "virus": (
        "Este mensaje y sus anexos han sido revisados con software antivirus; sin embargo, {company} no se "
        "hace responsable por virus, malware o daños que pudieran ocasionar. Se recomienda al destinatario "
        "verificarlos antes de abrirlos."
    ),
    "eco": "Antes de imprimir este correo, piense en su responsabilidad con el medio ambiente.",
    "medico": (
        "La información contenida en este mensaje puede incluir datos clínicos protegidos por la NOM-004-SSA3-2012. "
        "Si usted lo recibió por error, notifique de inmediato al remitente y destrúyalo."
    ),
    "financiera": (
        "{company}, S.A. de C.V., SOFOM, E.N.R., para su constitución y operación con tal carácter no requiere "
        "autorización de la Secretaría de Hacienda y Crédito Público y está sujeta a la supervisión de la CNBV "
        "únicamente para efectos de prevención de lavado de dinero."
    ),
    "critico": (
        "Este correo puede contener información crítica para la operación de {company}. Si lo recibió por "
        "error, notifíquelo de manera URGENTE al remitente y elimínelo."
    ),
    "en": (
        "CONFIDENTIALITY NOTICE: This e-mail message, including any attachments, is for the sole use of the "
        "intended recipient(s) and may contain confidential and privileged information. Any unauthorized "
        "review, use, disclosure or distribution is prohibited."
    ),
    "legal": (
        "La información de este correo electrónico está protegida por el secreto profesional y es de carácter "
        "confidencial y privilegiado. Si usted no es el destinatario, cualquier uso, copia o divulgación está "
        "estrictamente prohibido y puede constituir un delito en términos del Código Penal Federal."
    ),
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
            return f"{self.closing}\n{self.name.split()[0]}\n\nEnviado desde mi iPhone"
        lines = [self.closing, "", self.name, self.title, self.company]
        if self.phone:
            lines.append(("Tel. " if self.lang == "es" else "Phone: ") + self.phone)
        lines.extend(self.extra)
        out = "\n".join(lines)
        for key in self.disclaimers:
            out += "\n\n" + DISCLAIMERS[key].format(domain=self.domain, company=self.company.split(",")[0])
        return out


PEOPLE = {
    "laura": Person(
        "Ing. Laura Gómez Treviño",
        "lgomez",
        "logisticabajio.com.mx",
        "Grupo Logístico del Bajío, S.A. de C.V.",
        "Jefa de Sistemas",
        "(477) 712 3344 ext. 210",
        disclaimers=("conf",),
        extra=("www.logisticabajio.com.mx",),
        colleague=("Luis Aranda", "laranda"),
    ),
    "hector": Person(
        "Héctor Ramírez Soto",
        "hector.ramirez",
        "farmaciassangabriel.com.mx",
        "Farmacias San Gabriel",
        "Coordinador de TI",
        "(33) 3615 8820 ext. 45",
        program="gmail",
        closing="Saludos cordiales,",
        disclaimers=("privacidad",),
        colleague=("Rosa Elena Díaz", "rdiaz"),
    ),
    "mariana": Person(
        "Mariana Fuentes",
        "mfuentes",
        "constructoratlaloc.com.mx",
        "Constructora Tláloc, S.A. de C.V.",
        "Administradora de Sistemas",
        "55 5544 1290",
        closing="Quedo atenta, gracias.",
        disclaimers=("eco",),
        colleague=("Ing. Ramón Pacheco", "rpacheco"),
    ),
    "jorge": Person(
        "C.P. Jorge Rivera Alcázar",
        "jrivera",
        "riveracontadores.com.mx",
        "Rivera y Asociados, Contadores Públicos",
        "Socio Director",
        "55 5687 2211",
        program="apple",
        closing="Atentamente,",
        disclaimers=("conf",),
        colleague=("C.P. Alma Núñez", "anunez"),
    ),
    "sofia": Person(
        "Ing. Sofía Castañeda Ruiz",
        "scastaneda",
        "hsantalucia.com.mx",
        "Hospital Santa Lucía de Querétaro",
        "Jefa de Informática",
        "(442) 215 6070 ext. 1104",
        closing="Saludos,",
        disclaimers=("medico",),
        colleague=("Dr. Emilio Vargas", "evargas"),
    ),
    "raul": Person(
        "Raúl Treviño Garza",
        "rtrevino",
        "autopartesdelnorte.com.mx",
        "Autopartes del Norte, S.A. de C.V.",
        "Gerente de TI",
        "(81) 8340 2255",
        closing="Saludos.",
        extra=("Av. Ruiz Cortines 3401, Monterrey, N.L.",),
        colleague=("Brenda Cantú", "bcantu"),
    ),
    "paty": Person(
        "Patricia Hernández",
        "phernandez",
        "thuasteca.com.mx",
        "Transportes Huasteca",
        "Auxiliar Administrativo",
        "(833) 213 4455",
        program="gmail",
        closing="Gracias",
        colleague=("Don Felipe Reyes", "freyes"),
    ),
    "alberto": Person(
        "Alberto Zamudio",
        "azamudio",
        "lacosecha.com.mx",
        "Alimentos La Cosecha, S.A. de C.V.",
        "Encargado de Sistemas",
        "(228) 812 9090 ext. 130",
        closing="Saludos y gracias.",
        disclaimers=("conf", "eco"),
        colleague=("Lic. Norma Arellano", "narellano"),
    ),
    "fernanda": Person(
        "Fernanda Ibarra",
        "fibarra",
        "textilesorizaba.com.mx",
        "Textiles Orizaba",
        "Analista de Infraestructura",
        "(272) 724 1188",
        program="thunderbird",
        closing="Saludos,",
        colleague=("Ing. Marco Polo Sánchez", "msanchez"),
    ),
    "miguel": Person(
        "Miguel Ángel Torres",
        "matorres",
        "puntanorte.com.mx",
        "Inmobiliaria Punta Norte",
        "Soporte Técnico",
        "55 4433 9021",
        closing="Saludos!",
        colleague=("Arq. Daniela Pons", "dpons"),
    ),
    "claudia": Person(
        "QFB Claudia Méndez",
        "cmendez",
        "labvida.com.mx",
        "Laboratorios Clínicos Vida",
        "Gerente de Calidad y Sistemas",
        "(222) 240 7788",
        closing="Saludos cordiales.",
        disclaimers=("medico",),
        colleague=("Q. Iván Lozano", "ilozano"),
    ),
    "ernesto": Person(
        "Lic. Ernesto Villaseñor",
        "evillasenor",
        "segurosaltamira.com.mx",
        "Seguros Altamira, S.A.",
        "Director Administrativo",
        "55 5091 6600 ext. 301",
        closing="Atentamente,",
        disclaimers=("conf", "privacidad"),
        colleague=("Lic. Regina Ávila", "ravila"),
    ),
    "adriana": Person(
        "Lic. Adriana Pineda",
        "apineda",
        "notaria214.com.mx",
        "Notaría Pública 214 de la Ciudad de México",
        "Coordinadora Administrativa",
        "55 5203 1400",
        closing="Saludos.",
        disclaimers=("legal",),
        colleague=("Lic. Federico Landa", "flanda"),
    ),
    "memo": Person(
        "Guillermo Gómez",
        "memo.gomez",
        "ferregomez.com.mx",
        "Distribuidora Ferretera Gómez",
        "Compras y Sistemas",
        "(449) 915 2030",
        program="iphone",
        closing="Saludos",
        colleague=("Chuy Gómez", "jgomez"),
    ),
    "itzel": Person(
        "Itzel Chávez",
        "ichavez",
        "costaesmeralda.com.mx",
        "Hoteles Costa Esmeralda",
        "Soporte TI",
        "(998) 884 5510",
        program="gmail",
        closing="Saludos desde Cancún,",
        extra=("Blvd. Kukulcán km 9.5, Zona Hotelera",),
        colleague=("Rafael Uc", "ruc"),
    ),
    "arturo": Person(
        "Arturo Lemus",
        "alemus",
        "aapacifico.com.mx",
        "Agencia Aduanal del Pacífico",
        "Jefe de TI",
        "(314) 332 0770",
        closing="Saludos.",
        disclaimers=("conf",),
        colleague=("Lic. Gloria Carrillo", "gcarrillo"),
    ),
    "gabriela": Person(
        "Gabriela Solís",
        "gsolis",
        "pipsa.com.mx",
        "Plásticos Industriales de Puebla, S.A. de C.V.",
        "Coordinadora de Sistemas",
        "(222) 282 1300 ext. 220",
        closing="Quedo al pendiente.",
        disclaimers=("eco",),
        colleague=("Ing. Héctor Juárez", "hjuarez"),
    ),
    "oscar": Person(
        "Óscar Medina",
        "omedina",
        "azpapel.com.mx",
        "Comercializadora Azteca de Papel",
        "Administrador de Red",
        "55 5762 3390",
        program="thunderbird",
        closing="Saludos",
        colleague=("Lic. Sandra Olvera", "solvera"),
    ),
    "lucia": Person(
        "Lic. Lucía Ortega Lara",
        "lortega",
        "ortegalara.com.mx",
        "Ortega Lara Abogados, S.C.",
        "Socia",
        "55 5280 4411",
        program="apple",
        closing="Atentamente,",
        disclaimers=("legal",),
        colleague=("Lic. Pedro Lara", "plara"),
    ),
    "diana": Person(
        "Dra. Diana Robles",
        "drobles",
        "sonrisaplena.com.mx",
        "Clínica Dental Sonrisa Plena",
        "Directora",
        "(999) 926 3040",
        program="iphone",
        closing="Gracias",
        colleague=("Karen Pech", "kpech"),
    ),
    "jesus": Person(
        "Jesús Quintero",
        "jquintero",
        "gasinaloa.com.mx",
        "Grupo Agroindustrial de Sinaloa",
        "Jefe de Sistemas",
        "(667) 760 1200 ext. 115",
        closing="Saludos,",
        disclaimers=("conf",),
        colleague=("Ing. Mario Félix", "mfelix"),
    ),
    "rodrigo": Person(
        "Rodrigo Barragán",
        "rbarragan",
        "cerveceriamontealban.com.mx",
        "Cervecería Artesanal Monte Albán",
        "TI",
        "(951) 516 2299",
        program="gmail",
        closing="Saludos!",
        colleague=("Lupita Martínez", "lmartinez"),
    ),
    "veronica": Person(
        "Verónica Salazar",
        "vsalazar",
        "fsolidaria.com.mx",
        "Financiera Solidaria del Centro",
        "Gerente de Tecnologías de la Información",
        "(461) 613 5500 ext. 20",
        closing="Saludos cordiales,",
        disclaimers=("financiera", "privacidad"),
        colleague=("Lic. Octavio Ledesma", "oledesma"),
    ),
    # Signatures with misleading words: the title or the legal notice says "crítica",
    # "urgente", "Active Directory", "Desarrollo", "virus"; the mail itself is about something else.
    "ivan": Person(
        "Ing. Iván Cárdenas",
        "icardenas",
        "eristmo.com.mx",
        "Energía Renovable del Istmo",
        "Coordinador de Infraestructura Crítica",
        "(971) 711 0400",
        closing="Saludos.",
        disclaimers=("critico",),
        extra=("Departamento de Infraestructura Crítica | Centro de Control Juchitán",),
        colleague=("Ing. Lorena Toledo", "ltoledo"),
    ),
    "tomas": Person(
        "Tomás Aguirre",
        "taguirre",
        "mesaltillo.com.mx",
        "Manufacturas Eléctricas de Saltillo",
        "Gerente de Respuesta a Incidentes Críticos | SOC",
        "(844) 438 9000",
        closing="Saludos,",
        extra=("Línea URGENTE 24/7 del SOC: (844) 438 9099", "Nuestra prioridad: cero paros de planta"),
        colleague=("Ing. Karina Valdés", "kvaldes"),
    ),
    "beatriz": Person(
        "Beatriz Luna",
        "bluna",
        "cdlerma.com.mx",
        "Centro de Distribución Lerma",
        "Jefa de Redes, Active Directory y DNS",
        "(728) 282 6100 ext. 17",
        closing="Saludos.",
        disclaimers=("conf",),
        colleague=("Eduardo Nava", "enava"),
    ),
    "samuel": Person(
        "Samuel Ruiz",
        "sruiz",
        "editorialnuevosol.com.mx",
        "Editorial Nuevo Sol",
        "Gerente de Desarrollo de Software y Migraciones",
        "55 5658 7001",
        program="thunderbird",
        closing="Gracias,",
        extra=("«Programamos hoy lo que se lee mañana»",),
        colleague=("Elena Quiroz", "equiroz"),
    ),
    "karla": Person(
        "Karla Domínguez",
        "kdominguez",
        "saborjarocho.com.mx",
        "Operadora de Restaurantes Sabor Jarocho",
        "Coordinadora de Operaciones",
        "(229) 931 4477",
        closing="Saludos,",
        disclaimers=("virus", "conf"),
        colleague=("Chef Andrés Pulido", "apulido"),
    ),
    "pablo": Person(
        "Pablo Estrada",
        "pestrada",
        "gaanahuac.com.mx",
        "Grupo Automotriz Anáhuac",
        "Gerente de Sistemas",
        "(55) 5398 2200",
        closing="Saludos,",
        extra=("Para emergencias críticas fuera de horario: 55 1234 0099 (guardia de sistemas)",),
        disclaimers=("eco",),
        colleague=("Lic. Alejandra Soto", "asoto"),
    ),
    # English-speaking managers at foreign-owned plants.
    "mike": Person(
        "Michael Turner",
        "mturner",
        "pcmexico.com.mx",
        "Precision Components de México",
        "IT Manager",
        "+52 (442) 196 0300",
        lang="en",
        closing="Thanks,",
        disclaimers=("en",),
        colleague=("Luis Herrera", "lherrera"),
    ),
    "jennifer": Person(
        "Jennifer Walsh",
        "jwalsh",
        "nortekjuarez.com.mx",
        "Nortek Juárez Manufacturing",
        "Plant Controller",
        "+52 (656) 688 1500",
        program="gmail",
        lang="en",
        closing="Best regards,",
        disclaimers=("en",),
        colleague=("Carlos Mendoza", "cmendoza"),
    ),
    "david": Person(
        "David Kim",
        "dkim",
        "bajafresh.com.mx",
        "Baja Fresh Produce Exports",
        "Operations Director",
        "+52 (646) 174 8800",
        lang="en",
        closing="Regards,",
        colleague=("Sofía Meza", "smeza"),
    ),
    "sarah": Person(
        "Sarah Mitchell",
        "smitchell",
        "pclmexico.com.mx",
        "Pacific Coast Logistics México",
        "Regional IT Lead",
        "+52 (612) 123 4050",
        program="apple",
        lang="en",
        closing="Cheers,",
        colleague=("Tom Becker", "tbecker"),
    ),
    "carlos": Person(
        "Carlos Mendoza",
        "cmendoza",
        "nortekjuarez.com.mx",
        "Nortek Juárez Manufacturing",
        "Systems Engineer",
        "+52 (656) 688 1500 ext. 2231",
        lang="en",
        closing="Thank you,",
        disclaimers=("en",),
        colleague=("Jennifer Walsh", "jwalsh"),
    ),
}

IMAGENTI = ("Soporte IMAGEN TI", DESK)
ENGINEER = ("Ing. Daniel Ortiz | IMAGEN TI", "daniel.ortiz@imagenti.mx")


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
    split: str = field(default="", repr=False)


CASES: list[Case] = []


def m(severity: str, who: str, subject: str, body: str, why: str, **kw) -> None:
    CASES.append(Case(severity, why, who, subject, dedent(body).strip("\n"), **kw))


def q(text: str, **kw) -> Quote:
    return Quote(dedent(text).strip("\n"), **kw)


def fwd(text: str, **kw) -> Quote:
    return Quote(dedent(text).strip("\n"), forward=True, **kw)


# Quoted histories that say something alarming while the new text above them does not.
OLD_OUTAGE = """\
URGENTE!!! Toda la empresa está sin internet desde las 8:00, el SonicWall no responde.
Es crítico, no podemos facturar ni recibir pedidos. Por favor llámenme en cuanto lean esto."""
OLD_RANSOM_CLOSURE = """\
Estimado cliente:

Se cierra el ticket #2026-0388 (incidencia CRÍTICA).
Resumen de acciones: contención del ransomware que afectó a toda la empresa, aislamiento de
los 46 equipos comprometidos desde la consola de WithSecure, restauración de servidores y
verificación del agente en todos los equipos.

Soporte IMAGEN TI"""
OLD_VPN_CLOSURE = """\
Buenas tardes,

Les confirmamos que quedó restablecida la VPN de todas las sucursales; la caída afectó a toda
la operación desde las 7:40. Quedamos atentos a cualquier comentario.

Ing. Daniel Ortiz
Soporte IMAGEN TI"""


# === Incident: Computadora lenta =============================================

m(
    "leve",
    "laura",
    "Laptop lenta desde que se instaló WithSecure",
    """
    Buen día,

    La laptop de la Lic. Martínez (Contabilidad) está muy lenta desde que se le instaló el agente de
    WithSecure la semana pasada: tarda casi 10 minutos en arrancar y al abrir archivos de Excel grandes
    se congela unos segundos. Ella sigue trabajando, pero es molesto.

    ¿Pueden revisar si el escaneo está bien configurado para ese equipo?
    """,
    "One user's PC slow (Computadora lenta), she keeps working: leve.",
    incident="computadora_lenta",
)
m(
    "grave",
    "raul",
    "Equipos de cobranza muy lentos después de actualización del antivirus",
    """
    Buenas tardes,

    Desde la actualización del agente de WithSecure de ayer, las 6 computadoras del área de cobranza están
    lentísimas. Abrir el sistema de cartera tarda varios minutos y las ejecutivas van muy atrasadas con las
    llamadas del día. En el administrador de tareas se ve el proceso de WithSecure con mucho disco.

    ¿Nos pueden apoyar hoy?
    """,
    "Slow PCs for one area of six people, work interrupted to a degree: grave.",
    incident="computadora_lenta",
)
m(
    "critica",
    "gabriela",
    "Todas las computadoras de planta lentas - producción detenida",
    """
    Buenos días,

    Desde las 8 de la mañana todas las computadoras de la planta (más de 80 equipos) están extremadamente
    lentas. En todas se ve el servicio de WithSecure al 100% de CPU. Los supervisores no pueden registrar
    la producción en el sistema y en embarques no podemos facturar ni imprimir remisiones, los camiones
    están detenidos en el patio.

    Necesitamos apoyo inmediato, por favor.
    """,
    "Every PC in the plant unusable, production and billing stopped: critica.",
    incident="computadora_lenta",
)
m(
    "leve",
    "memo",
    "compu lenta a medio dia",
    """
    hola buenas

    mi compu se pone bien lenta como a las 12 cuando corre el escaneo del antivirus, se puede mover el
    escaneo para la noche? o que no sea diario
    """,
    "One user's PC slow during the scheduled scan, asks to move it: leve.",
    incident="computadora_lenta",
    noacc=True,
)
m(
    "leve",
    "mike",
    "Workstation sluggish during WithSecure full scan",
    """
    Hi team,

    One of our design engineers reports that his workstation gets very sluggish every Wednesday morning
    while the WithSecure full scan runs. Not urgent at all, but could we reschedule the full scan for
    the engineering profile to the weekend?
    """,
    "Explicit 'not urgent'; one user's slow PC during a scan: leve.",
    incident="computadora_lenta",
)
m(
    "grave",
    "sofia",
    "Equipos de recepción del hospital muy lentos",
    """
    Buen día,

    Les reporto que las 4 computadoras de recepción y admisión del hospital están muy lentas desde el
    lunes; el agente de WithSecure aparece con uso de disco alto todo el tiempo. Lo consideramos grave
    porque los pacientes están esperando más de lo normal para su registro.

    Quedo atenta a su llamada.
    """,
    "Client says 'lo consideramos grave'; four reception PCs slow: grave.",
    incident="computadora_lenta",
)
m(
    "leve",
    "hector",
    "Re: URGENTE sin internet en toda la empresa",
    """
    Gracias Daniel, ya quedó todo funcionando.

    Aprovecho para comentarte otra cosa: la computadora de mi asistente se pone lenta al abrir Excel desde
    que tiene WithSecure, ¿puede ser por el escaneo en tiempo real? No es urgente, cuando tengas chance.
    """,
    "New text: one PC slow, 'no es urgente'; the quoted outage is old history: leve.",
    incident="computadora_lenta",
    quote=q(OLD_OUTAGE, author="self", subject="URGENTE sin internet en toda la empresa", days=6),
)
m(
    "critica",
    "karla",
    "Cajas congeladas en todas las sucursales",
    """
    Es crítico: las 25 cajas de nuestras sucursales se congelan cada pocos minutos desde la actualización
    del cliente de WithSecure de anoche. No podemos cobrar, los meseros están tomando pedidos en papel y
    hay filas en todos los restaurantes.

    Por favor márquenme al (229) 931 4477.
    """,
    "Client says 'es crítico'; all cash registers freeze, cannot charge customers: critica.",
    incident="computadora_lenta",
)
m(
    "grave",
    "paty",
    "URGENTE COMPUTADORAS LENTAS EN DISEÑO",
    """
    URGENTE

    LAS COMPUTADORAS DEL AREA DE DISEÑO ESTAN MUY LENTAS DESDE QUE LES PUSIERON EL ANTIVIRUS NUEVO, SON 5
    PERSONAS Y NO PUEDEN TRABAJAR CON LOS PLANOS DE LAS RUTAS, SE TARDAN HORAS.
    """,
    "'Urgente' cue plus one area of five people slowed: grave.",
    incident="computadora_lenta",
    caps=True,
)
m(
    "leve",
    "ivan",
    "Consulta: equipo lento en sala de control",
    """
    Buen día,

    Uno de los equipos de monitoreo de la sala de control (solo uno) tarda mucho en iniciar sesión desde que
    se actualizó el agente de WithSecure. El operador lo usa sin problema una vez que arranca.

    ¿Hay alguna configuración que podamos ajustar para ese equipo?
    """,
    "One PC slow to log on, then fine; 'Infraestructura Crítica' is only the signature: leve.",
    incident="computadora_lenta",
)


# === Incident: Virus o Malware ================================================

m(
    "critica",
    "adriana",
    "¡¡Ransomware en la notaría!!",
    """
    Buenos días,

    Tenemos ransomware. Varios equipos y el servidor de archivos tienen los documentos con extensión
    .lockbit y apareció una nota de rescate en el escritorio. Ya apagamos los equipos, pero la notaría
    está completamente detenida: no podemos consultar expedientes ni firmar escrituras.

    Necesitamos que nos apoyen de inmediato.
    """,
    "Ransomware on servers and PCs, the whole office stopped: critica.",
    incident="virus_malware",
)
m(
    "grave",
    "gabriela",
    "Troyano detectado en equipos de compras",
    """
    Buenas tardes,

    WithSecure detectó un troyano (Trojan.Agent.FXWP) en 3 equipos del área de Compras y los aisló de la red
    automáticamente. Los compradores no pueden trabajar desde hace una hora.

    ¿Nos ayudan a confirmar que están limpios y a liberarlos del aislamiento?
    """,
    "Malware isolated three purchasing PCs, those users cannot work: grave.",
    incident="virus_malware",
)
m(
    "leve",
    "fernanda",
    "Detección PUA en laptop de practicante",
    """
    Hola,

    La consola de WithSecure muestra una detección de tipo PUA (aplicación potencialmente no deseada) en la
    laptop de un practicante; ya está en cuarentena y el equipo funciona normal.

    ¿Hay que hacer algo más o con eso es suficiente?
    """,
    "A quarantined PUA on one laptop, nobody interrupted: leve.",
    incident="virus_malware",
)
m(
    "leve",
    "sarah",
    "WithSecure alert - Trojan quarantined on one PC",
    """
    Hi,

    We got an alert from WithSecure Elements about Trojan.GenericKD.7163 on one of the dispatch PCs. It was
    quarantined automatically and the user is working normally. Could you confirm nothing else is needed on
    our side? Not urgent.
    """,
    "Explicit 'not urgent'; one quarantined detection: leve.",
    incident="virus_malware",
)
m(
    "critica",
    "alberto",
    "URGENTE - malware en toda la red",
    """
    Urgente por favor.

    Un correo de phishing se propagó esta mañana y WithSecure está detectando malware en prácticamente
    toda la red: más de 50 equipos con alertas. Desconectamos el internet para que no se siga propagando
    y no podemos operar: ni pedidos, ni facturación, ni embarques.
    """,
    "'Urgente' and the impact is company-wide, operation stopped: critica.",
    incident="virus_malware",
)
m(
    "grave",
    "raul",
    "Gusano en sucursal Monterrey",
    """
    Buen día,

    Es grave: en la sucursal Monterrey Centro hay un gusano que se está propagando por la red, la consola
    de WithSecure ya muestra 12 equipos infectados. Los equipos del corporativo hasta ahora están bien.

    ¿Cómo procedemos?
    """,
    "Client says 'es grave'; one branch affected: grave.",
    incident="virus_malware",
)
m(
    "leve",
    "lucia",
    "Duda sobre protección contra macros",
    """
    Buenas tardes,

    Un proveedor nos envió un archivo de Word con macros que nos pareció sospechoso y no lo abrimos. ¿WithSecure
    protege contra macros maliciosas en archivos de Office? Solo es una duda, no tenemos ningún problema.
    """,
    "A question about malware protection, nothing affected: leve.",
    incident="virus_malware",
)
m(
    "grave",
    "claudia",
    "USB infectada en laboratorio",
    """
    Buenos días,

    Una memoria USB infectó las computadoras del laboratorio de química (8 equipos). WithSecure bloquea el
    archivo, pero siguen apareciendo alertas cada minuto y las analistas no pueden capturar resultados,
    vamos retrasados con las entregas de la mañana.
    """,
    "Malware on eight lab PCs, analysts cannot capture results, one area: grave.",
    incident="virus_malware",
)
m(
    "leve",
    "tomas",
    "Archivo sospechoso en equipo de almacén",
    """
    Buenas tardes,

    El escaneo semanal encontró un archivo sospechoso en un equipo de almacén y lo puso en cuarentena
    (W32/Agent.gen). El equipo sigue operando. ¿Pueden revisar si se trata de un falso positivo?
    """,
    "One quarantined file, equipment working; the 'Incidentes Críticos'/'URGENTE' words are the signature: leve.",
    incident="virus_malware",
)
m(
    "critica",
    "memo",
    "virus en el servidor",
    """
    tenemos un virus en el servidor de la base de datos, todas las sucursales estan sin sistema y no podemos
    vender nada, el antivirus saca alertas y no deja abrir el sistema. ayuda por favor
    """,
    "Malware on the database server, every branch without system, cannot sell: critica.",
    incident="virus_malware",
    noacc=True,
)
m(
    "leve",
    "karla",
    "Consulta sobre alerta de phishing",
    """
    Hola, buen día,

    Recibimos una alerta de WithSecure de que bloqueó un enlace de phishing en el correo de la gerente de la
    sucursal Boca del Río. Nadie abrió nada. ¿Nos pueden decir si conviene hacer algún escaneo adicional?
    """,
    "A blocked phishing link, nobody affected; the disclaimer's 'virus, malware' is boilerplate: leve.",
    incident="virus_malware",
)


# === Incident: Bloqueo para acceder a página Web ==============================

m(
    "leve",
    "alberto",
    "Desbloquear portal IDSE para nómina",
    """
    Buen día,

    El SonicWall bloquea el acceso al portal IDSE del IMSS para la encargada de nómina; marca "Web Site
    Blocked" por categoría. ¿Lo pueden desbloquear para su equipo?
    """,
    "One user blocked from one web site: leve.",
    incident="bloqueo_web",
)
m(
    "grave",
    "raul",
    "Ventas sin acceso a portal de cliente",
    """
    Buenos días,

    Desde esta mañana el área de ventas (10 personas) no puede entrar a la página de proveedores de nuestro
    cliente Liverpool para subir los pedidos; el SonicWall marca "This site has been blocked by the network
    administrator" por Content Filter. Ayer funcionaba bien.
    """,
    "A sales team of ten blocked from a site they need to work: grave.",
    incident="bloqueo_web",
)
m(
    "critica",
    "jorge",
    "No podemos entrar al SAT ni al banco",
    """
    Buen día,

    Ningún equipo del despacho puede abrir el portal del SAT ni la banca en línea; el firewall SonicWall
    dice "This site has been blocked by the network administrator". Estamos en día de declaraciones y no
    podemos timbrar facturas ni presentar las declaraciones de nuestros clientes.
    """,
    "Every PC blocked from SAT and banks, the firm cannot bill or file: critica.",
    incident="bloqueo_web",
)
m(
    "leve",
    "david",
    "YouTube blocked for marketing",
    """
    Hi,

    YouTube is blocked for the marketing team by the SonicWall content filter. We will need it for a
    campaign next week. Not urgent — whenever you can.
    """,
    "Explicit 'not urgent'; a site blocked for a team that does not need it yet: leve.",
    incident="bloqueo_web",
)
m(
    "grave",
    "jorge",
    "URGENTE - bloqueo página SAT",
    """
    Urgente:

    El contador Núñez no puede entrar a la página del SAT desde su equipo, WithSecure la bloquea como "sitio
    dañino". Hoy vence la declaración de uno de nuestros clientes.
    """,
    "'Urgente' cue with one user blocked from a site: grave (not critica, the impact is one user).",
    incident="bloqueo_web",
)
m(
    "grave",
    "memo",
    "no abre la pagina de truper",
    """
    buenas tardes, desde ayer no podemos entrar a la pagina de pedidos de truper en las 3 compus de
    mostrador, sale un letrero de withsecure que dice que es sitio peligroso. tenemos que hacer los pedidos
    por telefono y se tarda mucho
    """,
    "Three counter PCs blocked from the supplier site, work slowed: grave.",
    incident="bloqueo_web",
    noacc=True,
)
m(
    "leve",
    "ernesto",
    "Permitir sitio solo para Dirección",
    """
    Buenas tardes,

    ¿Cómo podemos permitir en el SonicWall el acceso a LinkedIn solo para el grupo de Dirección? Para el
    resto del personal debe seguir bloqueado.
    """,
    "A question about allowing a site for one group: leve.",
    incident="bloqueo_web",
)
m(
    "leve",
    "hector",
    "Re: URGENTE nadie puede navegar",
    """
    Ya pueden navegar todos, muchas gracias por el apoyo.

    Solo queda pendiente que la página de Mercado Libre sigue bloqueada para el equipo de almacén, ¿la
    pueden liberar cuando puedan?
    """,
    "New text: one site for one PC, when they can; the quoted company-wide outage is resolved history: leve.",
    incident="bloqueo_web",
    quote=q(
        """\
        Urgente, nadie en la empresa puede navegar desde las 9. Es crítico, las sucursales no pueden
        consultar existencias. Favor de atender de inmediato.""",
        author="self",
        subject="URGENTE nadie puede navegar",
        days=1,
    ),
)
m(
    "grave",
    "gabriela",
    "Compras sin acceso a Compranet",
    """
    Buen día,

    No es crítico pero sí nos afecta: las 6 personas de Compras no pueden entrar a la plataforma de Compranet,
    el firewall SonicWall la bloquea desde ayer. Tenemos licitaciones que revisar esta semana.
    """,
    "'No es crítico pero' rules out critica; six people blocked from a site they work with: grave.",
    incident="bloqueo_web",
)
m(
    "leve",
    "pablo",
    "Página de refacciones bloqueada",
    """
    Buen día,

    La página de catálogo de refacciones de Nissan aparece bloqueada por el filtro web en el equipo del jefe
    de taller. Él puede consultarla desde su celular mientras tanto. ¿La pueden desbloquear?
    """,
    "One user blocked, has a workaround; 'emergencias críticas' is only in the signature: leve.",
    incident="bloqueo_web",
)


# === Incident: Bloqueo de aplicaciones ========================================

m(
    "leve",
    "miguel",
    "DeepGuard bloquea programa de cotizaciones",
    """
    Buenas,

    DeepGuard de WithSecure bloqueó el programa de cotizaciones "CotizaPro.exe" en la computadora de uno de
    los asesores. Le sale el aviso "Application blocked by DeepGuard". Es solo en ese equipo.

    ¿Me ayudan a permitirlo?
    """,
    "DeepGuard (WithSecure) blocking an application is in scope, even a third-party app; one user: leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "critica",
    "hector",
    "DeepGuard bloquea punto de venta en todas las tiendas",
    """
    Buenos días,

    Desde las 10:00 DeepGuard está bloqueando el ejecutable de nuestro sistema de punto de venta en todas
    las farmacias (32 cajas). No podemos vender, los clientes se están yendo. Parece que empezó con la
    actualización de firmas de esta mañana.

    Por favor, es lo más urgente que tenemos.
    """,
    "WithSecure blocks the POS in every store, no sales (in scope though the POS is third-party): critica.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "jorge",
    "CONTPAQi bloqueado por WithSecure",
    """
    Buenas tardes,

    Después de la actualización de WithSecure, CONTPAQi Contabilidad no abre en las 5 computadoras de los
    auxiliares contables; aparece "Application blocked by DeepGuard". El resto del despacho trabaja normal.
    """,
    "The block comes from WithSecure (in scope); five accountants cannot use their application: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "critica",
    "mike",
    "Critical: Application Control blocking MES - line 2 down",
    """
    Team,

    Critical: WithSecure Application Control is blocking our MES client on the production floor since
    the policy sync at 6 AM. Line 2 is stopped and line 3 will follow when the shift changes.

    Please call me ASAP.
    """,
    "Client says 'critical'; a production line stopped: critica.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "itzel",
    "Safetica bloquea WhatsApp Desktop en reservaciones",
    """
    Hola buen día,

    Safetica está bloqueando WhatsApp Desktop en las 4 computadoras de reservaciones y por ahí atendemos a
    los huéspedes y agencias. Desde ayer tienen que contestar desde sus celulares personales.

    ¿Nos ayudan a permitirlo para ese grupo?
    """,
    "Safetica blocking an app is in scope; four reservation agents hampered: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "fernanda",
    "Aviso de DeepGuard con Notepad++",
    """
    Hola,

    Es leve, pero cada vez que abro Notepad++ portable DeepGuard me muestra un aviso y tengo que dar
    "Permitir". ¿Se puede evitar para mi equipo?
    """,
    "Client says 'es leve': leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "ernesto",
    "Teams bloqueado en Recursos Humanos",
    """
    Buenos días,

    Desde ayer el SonicWall bloquea Microsoft Teams en los equipos de Recursos Humanos (App Control, según
    el mensaje del firewall). Tienen entrevistas programadas toda la semana y las están moviendo a
    teléfono.
    """,
    "A SonicWall App Control block (in scope) for one department: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "paty",
    "me bloquea el instalador",
    """
    buen dia

    el deepguard me bloquea el instalador del driver de la impresora nueva, me pueden ayudar a
    permitirlo? solo es en mi equipo
    """,
    "One user's installer blocked by DeepGuard: leve.",
    incident="bloqueo_aplicaciones",
    noacc=True,
)
m(
    "leve",
    "adriana",
    "Safetica bloquea escaneo en multifuncionales",
    """
    Buenas tardes,

    No es urgente: Safetica está bloqueando la aplicación de escaneo de todas las multifuncionales de la
    notaría. Por ahora estamos escaneando desde la PC de recepción, así que podemos esperar a que lo
    revisen con calma.
    """,
    "Client says 'no es urgente' (and has a workaround) although every scanner is affected: leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "claudia",
    "GRAVE - DeepGuard bloquea software del analizador",
    """
    Buenos días,

    El software del analizador de química clínica no arranca en ninguna de las 3 estaciones desde la
    mañana; al abrirlo aparece la ventana de WithSecure DeepGuard y se cierra. Las muestras se están
    acumulando.
    """,
    "'GRAVE' in the subject is the client's word: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "raul",
    "RV: Error en sistema de garantías",
    """
    Buenas tardes,

    Les reenvío lo que nos contestó el proveedor del sistema de garantías: según ellos el problema es
    WithSecure, que bloquea el servicio de su aplicación. Son 8 usuarios de servicio que no pueden
    registrar garantías desde ayer. ¿Pueden revisarlo?
    """,
    "The vendor points at a WithSecure block (in scope); eight users of one area stopped: grave.",
    incident="bloqueo_aplicaciones",
    quote=fwd(
        """\
        Estimado Raúl:

        Revisamos los registros del servidor y el servicio GarantiasSvc.exe es terminado por el antivirus
        WithSecure en cuanto arranca (evento 1116). No es un problema de nuestra aplicación; favor de
        solicitar a su proveedor de antivirus que agregue la excepción correspondiente.

        Atentamente,
        Soporte Técnico SysGar""",
        author="Soporte SysGar <soporte@sysgar.com.mx>",
        subject="Error en sistema de garantías",
        days=1,
    ),
)
m(
    "critica",
    "veronica",
    "SonicWall bloquea Outlook y Office 365 en toda la financiera",
    """
    Buen día,

    Desde las 9:30 ningún colaborador puede usar Outlook ni Teams: el SonicWall está bloqueando las
    conexiones a Office 365 (aparece en el log como App Control / bloqueado). Las sucursales no pueden
    enviar los expedientes de crédito y los desembolsos del día están detenidos.
    """,
    "The SonicWall blocks Office 365 for everyone (a block by the solution, not an Office problem); business stopped: critica.",
    incident="bloqueo_aplicaciones",
)


# === Incident: Permitir o denegar puertos =====================================

m(
    "leve",
    "beatriz",
    "Solicitud: abrir puerto 3389 para proveedor",
    """
    Buen día,

    Necesitamos abrir el puerto 3389 hacia el servidor 192.168.10.20, solo desde la IP pública de nuestro
    proveedor de WMS (201.150.33.12). Lo requerimos para la próxima semana.

    Les agradeceré confirmar fecha.
    """,
    "A SonicWall rule to allow a port is in scope; planned change: leve. 'Active Directory y DNS' is only her title.",
    incident="puertos",
)
m(
    "grave",
    "arturo",
    "Almacén sin conexión a SQL después de cambio de reglas",
    """
    Buenas tardes,

    Desde el cambio de reglas del viernes el SonicWall está bloqueando el puerto 1433 y los 5 usuarios de
    almacén no se pueden conectar al servidor SQL del sistema de tráfico. Están capturando las entradas en
    Excel para no detenerse.
    """,
    "A firewall rule blocks a port for one area of five: grave.",
    incident="puertos",
)
m(
    "critica",
    "rodrigo",
    "Tienda en línea caída - puerto 443",
    """
    Hola,

    Después del mantenimiento de anoche se cerró el puerto 443 entrante en el SonicWall y nuestra tienda en
    línea no está accesible desde internet. Estamos en plena campaña del Buen Fin y no estamos vendiendo
    nada por la web.
    """,
    "A closed port takes the online store down, no sales: critica.",
    incident="puertos",
)
m(
    "leve",
    "mike",
    "Allow outbound TCP 8883 (MQTT)",
    """
    Hello,

    Could you please allow outbound TCP 8883 (MQTT over TLS) to our IoT provider (broker.iotvendor.com)
    on the SonicWall? It's for a pilot on two machines, not urgent.
    """,
    "A port rule for a pilot, 'not urgent': leve.",
    incident="puertos",
)
m(
    "leve",
    "ernesto",
    "Cerrar puerto 21 de salida por auditoría",
    """
    Buenas tardes,

    En la auditoría interna nos pidieron cerrar la salida por el puerto 21 (FTP) en el firewall, salvo
    para el servidor de respaldos. ¿Lo pueden hacer esta semana?
    """,
    "Deny a port (audit request), nobody affected: leve.",
    incident="puertos",
)
m(
    "grave",
    "itzel",
    "Urgente: puerto para conmutador nuevo",
    """
    Hola,

    Urgente por favor: hoy instalaron el conmutador IP nuevo y necesitamos que se abra el puerto 5060/UDP
    y el rango RTP en el SonicWall; la recepción del hotel no está recibiendo llamadas externas.
    """,
    "'Urgente' cue, one area (reception) without external calls: grave.",
    incident="puertos",
)
m(
    "grave",
    "memo",
    "no podemos imprimir etiquetas",
    """
    buenas tardes el sonicwal esta bloqueando el puerto 9100 y no podemos imprimir en la impresora de
    etiquetas de embarques desde que cambiaron la regla, el area de embarques esta parada
    """,
    "A blocked port stops the shipping area (one area): grave.",
    incident="puertos",
    noacc=True,
)
m(
    "leve",
    "jesus",
    "RE: Sin internet en toda la empresa - CRÍTICO",
    """
    Ingeniero, buenas tardes:

    Otra solicitud aparte de lo de la semana pasada: ¿nos pueden abrir el puerto 8080 hacia la cámara del
    estacionamiento (192.168.1.60) para verla desde el celular del jefe de seguridad?
    """,
    "New text: a routine port request; the quoted company-wide outage is last week's ticket: leve.",
    incident="puertos",
    quote=q(OLD_OUTAGE, author="self", subject="Sin internet en toda la empresa - CRÍTICO", days=8),
)
m(
    "critica",
    "veronica",
    "Puerto 22 hacia SFTP del banco - dispersión de nómina",
    """
    Buen día,

    Lo consideramos crítico: el banco nos pide que la conexión al puerto 22 de su SFTP esté abierta para
    enviar la dispersión de nómina hoy antes de las 15:00, y el SonicWall la rechaza. Si no sale, ningún
    empleado cobra esta quincena.
    """,
    "Client says 'lo consideramos crítico'; payroll for everyone blocked: critica.",
    incident="puertos",
)
m(
    "critica",
    "oscar",
    "Nadie puede navegar después de la nueva regla (DNS)",
    """
    Buenos días,

    Ayer en la tarde se agregó en el SonicWall la regla que nos recomendaron para bloquear DNS externo y
    desde hoy ningún equipo de la empresa resuelve nombres: nadie puede navegar, ni entrar al portal de
    pedidos de nuestros clientes. La bodega y las ventas están detenidas.

    ¿Pueden revisar la regla?
    """,
    "A SonicWall port rule (DNS, port 53) blocks the whole company: in scope, not an infrastructure DNS fault; critica.",
    incident="puertos",
)


# === Incident: Exclusiones ====================================================

m(
    "leve",
    "laura",
    "Exclusión para carpeta de respaldos SQL",
    """
    Buen día,

    Por favor agreguen una exclusión en WithSecure para la carpeta D:\\Respaldos\\SQL del servidor
    SRV-DB01; el escaneo hace que el respaldo nocturno tarde casi el doble.
    """,
    "A requested exclusion, nothing interrupted: leve.",
    incident="exclusiones",
)
m(
    "leve",
    "carlos",
    "Exclusion request for Veeam on servers",
    """
    Hi team,

    Please add an exclusion for C:\\Program Files\\Veeam and the Veeam repository path (E:\\Backups) in the
    WithSecure server profile. Veeam's KB recommends it.
    """,
    "An exclusion in the WithSecure profile is in scope even for third-party software; routine: leve.",
    incident="exclusiones",
)
m(
    "grave",
    "ernesto",
    "WithSecure pone en cuarentena la base de nómina",
    """
    Buenos días,

    WithSecure está poniendo en cuarentena el archivo de la base de datos de nuestro sistema de nómina en
    el servidor, y el área de Recursos Humanos (4 personas) no puede trabajar desde las 9. Necesitamos que
    agreguen la exclusión.
    """,
    "WithSecure quarantines an app's data; one department of four stopped: grave.",
    incident="exclusiones",
)
m(
    "critica",
    "gabriela",
    "WithSecure eliminó el ejecutable del ERP en el servidor",
    """
    Buenos días,

    El antivirus WithSecure eliminó el ejecutable del ERP en el servidor principal esta madrugada; nadie en
    la empresa puede entrar al ERP (producción, almacén, compras, facturación). Necesitamos restaurarlo y
    excluirlo de inmediato.
    """,
    "The ERP removed by WithSecure, nobody in the company can work: critica.",
    incident="exclusiones",
)
m(
    "leve",
    "jorge",
    "Exclusión preventiva para sistema de facturación",
    """
    Buen día,

    Necesitamos agregar una exclusión para la carpeta del sistema crítico de facturación (C:\\Facturas\\XML).
    Por ahora todo funciona normal, es solo para prevenir que el escaneo bloquee algún archivo en el cierre.
    """,
    "'Crítico' describes the system, not the incident; a preventive exclusion with nothing broken: leve.",
    incident="exclusiones",
)
m(
    "grave",
    "veronica",
    "Macro de tesorería bloqueada",
    """
    Buen día,

    No es crítico pero sí urgente: WithSecure marca como sospechosa la macro de Excel que usa Tesorería
    para conciliar y la bloquea. Las 3 personas del área no pueden cerrar el día.
    """,
    "'No es crítico' rules out critica, 'urgente' makes it at least grave; one area: grave.",
    incident="exclusiones",
)
m(
    "leve",
    "paty",
    "exclusion para el checador",
    """
    hola

    pueden agregar una exclusion para la aplicacion del checador de asistencia? sale una alerta del
    antivirus cada que se abre pero si funciona
    """,
    "An exclusion for an app that still works: leve.",
    incident="exclusiones",
    noacc=True,
)
m(
    "leve",
    "samuel",
    "Excluir ruta de SharePoint de la política de Safetica",
    """
    Hola,

    Safetica genera alertas de fuga de información cada vez que el área editorial sube originales a
    nuestro SharePoint corporativo. Queremos excluir esa ruta de la política de monitoreo. No bloquea a
    nadie, solo llena la consola de alertas.
    """,
    "An exclusion in a Safetica policy, nothing blocked; 'Desarrollo de Software y Migraciones' is only his title: leve.",
    incident="exclusiones",
)
m(
    "grave",
    "claudia",
    "Exclusión urgente para java.exe del sistema de laboratorio",
    """
    Buenos días,

    WithSecure está bloqueando el proceso java.exe del sistema de resultados en las 3 estaciones de toma de
    muestras. Necesitamos la exclusión hoy, estamos registrando en papel.
    """,
    "Three stations of one area interrupted by a missing exclusion: grave.",
    incident="exclusiones",
    html=True,
)
m(
    "leve",
    "oscar",
    "Script de TI bloqueado por WithSecure",
    """
    Hola,

    WithSecure bloquea un script de PowerShell que usamos en TI para el inventario de equipos
    (\\\\srv-fs01\\scripts\\inventario.ps1). Necesitamos la exclusión cuando puedan, lo corremos una vez al mes.
    """,
    "An exclusion for an existing script (not code development); monthly use: leve.",
    incident="exclusiones",
)


# === Incident: Red lenta ======================================================

m(
    "critica",
    "rodrigo",
    "Red lentísima en toda la oficina",
    """
    Hola,

    Toda la red de la oficina y la planta está lentísima desde que activaron el Gateway Anti-Virus en el
    SonicWall. El sistema de pedidos en la nube no carga y no podemos atender a los distribuidores ni
    facturar.
    """,
    "The whole company's network unusable after a SonicWall change, cannot bill: critica.",
    incident="red_lenta",
)
m(
    "grave",
    "fernanda",
    "Internet lento en el segundo piso",
    """
    Hola,

    El internet en el segundo piso (área de ingeniería, 15 personas) está muy lento desde el lunes; en el
    SonicWall el CPU está al 95% en horas pico. Las videollamadas con clientes se cortan y subir archivos
    tarda muchísimo.
    """,
    "Slow network for one area of fifteen, work hampered: grave.",
    incident="red_lenta",
)
m(
    "leve",
    "lucia",
    "Descargas lentas por la tarde",
    """
    Buenas tardes,

    Hemos notado que las descargas son más lentas por la tarde. ¿Pueden revisar si hay alguna regla de
    ancho de banda en el SonicWall que lo cause? No está afectando el trabajo.
    """,
    "Slower downloads, 'no está afectando el trabajo': leve.",
    incident="red_lenta",
)
m(
    "grave",
    "sarah",
    "Urgent: throughput dropped on the SonicWall",
    """
    Hi team,

    Urgent: throughput through our SonicWall NSa 2700 dropped to about 5 Mbps since this morning. The
    customs team can't upload the pedimento files to the brokers and is falling behind. Other areas are
    working, just slowly.
    """,
    "'Urgent' cue, one team blocked, others slowed: grave.",
    incident="red_lenta",
)
m(
    "grave",
    "ernesto",
    "Internet extremadamente lento en toda la empresa",
    """
    Buenos días,

    Es grave: el internet de toda la empresa está extremadamente lento desde las 9:00 y ninguno de los 60
    colaboradores puede trabajar en el sistema de pólizas en la nube.
    """,
    "Client says 'es grave'; the client's own word wins over the company-wide impact: grave.",
    incident="red_lenta",
)
m(
    "critica",
    "memo",
    "la red esta lentisima en sucursales",
    """
    la red esta muy lenta en todas las sucursales que se conectan por vpn al corporativo, no pasan las
    ventas al sistema central y los clientes se estan yendo porque no podemos cobrar con terminal
    """,
    "Every branch's network unusable, cannot charge customers: critica.",
    incident="red_lenta",
    noacc=True,
)
m(
    "leve",
    "oscar",
    "Ver consumo de ancho de banda por equipo",
    """
    Hola,

    ¿El SonicWall tiene alguna forma de ver qué equipo está consumiendo más ancho de banda? Queremos
    entender por qué la red se pone lenta algunas tardes.
    """,
    "A question about occasional slowness: leve.",
    incident="red_lenta",
)
m(
    "leve",
    "jesus",
    "Re: Red caída en toda la planta",
    """
    Gracias, ya está funcionando todo.

    Solo comentar que en la sala de juntas la red sigue algo lenta para videollamadas. Cuando puedan lo
    revisan, no es prioridad.
    """,
    "New text: one meeting room slightly slow, 'no es prioridad'; the quoted plant outage is history: leve.",
    incident="red_lenta",
    quote=q(
        """\
        Buenos días, la red está caída en toda la planta desde las 6:00, es crítico, tenemos los
        embarques detenidos. Les llamé al 5555127337 y no contestan.""",
        author="self",
        subject="Red caída en toda la planta",
        days=2,
    ),
)
m(
    "leve",
    "veronica",
    "Red lenta en toda la financiera - no urgente",
    """
    Buenas tardes,

    No es urgente, pero desde hace una semana la red de toda la financiera se pone lenta entre 13:00 y
    15:00. Todos siguen trabajando. ¿Lo pueden revisar en el SonicWall cuando tengan oportunidad?
    """,
    "Client says 'no es urgente' and nobody is interrupted: leve.",
    incident="red_lenta",
)


# === Incident: Restablecer contraseñas de acceso a consolas ===================

m(
    "leve",
    "miguel",
    "Olvidé la contraseña de la consola WithSecure",
    """
    Buenas tardes,

    Se me olvidó la contraseña de la consola de WithSecure Elements (usuario matorres@puntanorte.com.mx).
    ¿Me pueden ayudar a restablecerla?
    """,
    "A console password reset: leve.",
    incident="contrasenas_consola",
)
m(
    "grave",
    "claudia",
    "Urgente - no podemos entrar a la consola de Safetica",
    """
    Buen día,

    Urgente: nadie de sistemas puede entrar a la consola de Safetica, la contraseña de administrador ya no
    funciona, y necesitamos liberar hoy la USB del auditor de COFEPRIS que está en sitio.
    """,
    "'Urgente' cue; a console password problem: grave.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "jennifer",
    "Password reset - SonicWall admin",
    """
    Hi,

    Please reset the password for the SonicWall admin account, our former IT manager left the company and
    nobody has it. Not urgent, nothing is broken.
    """,
    "A console password reset, 'not urgent': leve.",
    incident="contrasenas_consola",
)
m(
    "critica",
    "tomas",
    "¡Es crítico! Sin acceso a consola durante ataque",
    """
    Daniel:

    Estamos en medio de un ataque (se está cifrando el servidor de archivos de la planta) y no podemos
    entrar a la consola de WithSecure para aislar los equipos: alguien cambió la contraseña del
    administrador. ¡Es crítico!
    """,
    "Client says 'es crítico', during an active attack; filed under the console password it asks for: critica.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "memo",
    "me bloquee en la consola",
    """
    buen dia

    me bloquee la cuenta de la consola de safetica por intentos fallidos, me ayudan a restablecer la
    contraseña?
    """,
    "A locked console account: leve.",
    incident="contrasenas_consola",
    noacc=True,
)
m(
    "leve",
    "ernesto",
    "Restablecer contraseña usuario auditor SonicWall",
    """
    Buenas tardes,

    No es urgente: necesitamos restablecer la contraseña del usuario "auditor" en la consola del SonicWall
    para la revisión del próximo mes.
    """,
    "Client says 'no es urgente': leve.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "ivan",
    "Restablecimiento de contraseña WithSecure Elements",
    """
    Buen día,

    Solicito el restablecimiento de la contraseña de mi usuario en la consola de WithSecure Elements; el
    enlace de recuperación no me llega.
    """,
    "A password reset; 'Infraestructura Crítica' and 'URGENTE' are only in the signature: leve.",
    incident="contrasenas_consola",
)
m(
    "grave",
    "raul",
    "Equipo de TI sin acceso a consola WithSecure",
    """
    Buenos días,

    Ninguno de los 3 ingenieros de TI puede entrar a la consola de WithSecure desde ayer (dice "invalid
    credentials" después del cambio obligatorio de contraseña). No podemos atender las alertas ni instalar
    el agente en los 10 equipos nuevos que tienen que entregarse hoy.
    """,
    "The whole IT team locked out, work interrupted to a degree: grave.",
    incident="contrasenas_consola",
)


# === Incident: Asignación de perfiles de usuario ==============================

m(
    "leve",
    "laura",
    "Perfil de Safetica para nuevos de ventas",
    """
    Buen día,

    Dimos de alta a 3 personas nuevas en Ventas (jperez, mlopez, acruz). ¿Les pueden asignar el perfil de
    Safetica "Ventas" igual que al resto del área?
    """,
    "Assign a profile to new users: leve.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "sarah",
    "Move laptops to Remote Workers profile",
    """
    Hi,

    Could you move these 5 laptops to the "Remote workers" profile in WithSecure Elements?
    LPT-LAP-014, LPT-LAP-021, LPT-LAP-022, LPT-LAP-030, LPT-LAP-031.
    """,
    "A profile assignment: leve.",
    incident="perfiles_usuario",
)
m(
    "grave",
    "veronica",
    "Perfil equivocado a Dirección Financiera",
    """
    Buen día,

    Al director financiero y a su equipo (4 personas) se les asignó por error el perfil restrictivo de
    Safetica y desde la mañana no pueden enviar archivos adjuntos a los bancos ni a la CNBV.
    """,
    "A wrong profile hampers one team of four: grave.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "memo",
    "perfil para jlopez",
    """
    necesito que al usuario jlopez le pongan el perfil de administrador de solo lectura en la consola del
    sonicwall para que vea los reportes de navegacion
    """,
    "A profile change for one user: leve.",
    incident="perfiles_usuario",
    noacc=True,
)
m(
    "critica",
    "alberto",
    "Perfil de bloqueo aplicado a toda la empresa",
    """
    Buenos días,

    Se aplicó el perfil "Bloqueo total" de Safetica a todos los usuarios del dominio en lugar de solo a los
    practicantes. Nadie en la empresa puede copiar archivos, imprimir ni mandar correos con adjuntos:
    facturación, embarques y compras están detenidos.
    """,
    "A profile applied to everyone stops the whole company: critica.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "hector",
    "Re: URGENTE - caída general de sucursales",
    """
    Hola Daniel,

    Una duda que me quedó de la llamada: ¿cómo le asigno un perfil distinto de WithSecure a un solo equipo
    sin moverlo de grupo?
    """,
    "New text: a how-to question; the quoted general outage is closed history: leve.",
    incident="perfiles_usuario",
    quote=q(OLD_VPN_CLOSURE, author="engineer", subject="URGENTE - caída general de sucursales", days=2),
)
m(
    "grave",
    "jennifer",
    "Urgent: developers assigned wrong WithSecure profile",
    """
    Hi,

    Urgent: the 8 software developers in the test lab were moved to the "Office" profile in WithSecure
    yesterday and their compilers and debuggers are being blocked. They can't build the firmware release
    due Friday.
    """,
    "'Urgent' cue, one team of eight hampered: grave.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "gabriela",
    "Perfil de navegación para becarios",
    """
    Buen día,

    Es leve: queremos que los usuarios del grupo "Becarios" tengan el perfil de navegación restringido en
    el SonicWall, igual que el de almacén.
    """,
    "Client says 'es leve': leve.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "samuel",
    "Asignar perfil de desarrollador en WithSecure",
    """
    Hola,

    Entraron dos programadores nuevos al equipo; ¿les pueden asignar el perfil "Desarrollo" de WithSecure a
    sus laptops (ENS-DEV-07 y ENS-DEV-08)?
    """,
    "A profile assignment for two laptops (the words 'programadores' and 'Desarrollo' do not make it code development): leve.",
    incident="perfiles_usuario",
)


# === Incident: Configuraciones nuevas =========================================

m(
    "leve",
    "hector",
    "VPN site-to-site con nueva bodega",
    """
    Buenos días,

    Queremos configurar una VPN site-to-site entre el SonicWall de las oficinas de Guadalajara y la bodega
    nueva en Tlaquepaque (ya tiene su TZ270). ¿Cuándo podrían agendarlo?
    """,
    "A new SonicWall VPN configuration is in scope; planned work: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "veronica",
    "Nueva política de Safetica para USB en finanzas",
    """
    Buen día,

    Necesitamos crear una política nueva en Safetica para bloquear el uso de memorias USB en el área de
    Finanzas, salvo las memorias cifradas que entregó TI.
    """,
    "A new Safetica policy is in scope: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "mike",
    "SSL-VPN (NetExtender) for 10 new remote users",
    """
    Hi,

    We'd like to set up SSL-VPN (NetExtender) access for 10 new remote users in the quality team. Can you
    schedule a session with us next week?
    """,
    "A new NetExtender configuration: leve.",
    incident="configuraciones_nuevas",
)
m(
    "grave",
    "gabriela",
    "Urgente: VLAN de invitados para tabletas de supervisores",
    """
    Buen día,

    Urgente: mañana arranca el nuevo turno en la planta y necesitamos configurar en el SonicWall una VLAN
    para las tabletas de los supervisores. Sin eso no van a poder registrar los paros de línea.
    """,
    "'Urgente' cue for a new SonicWall configuration: grave.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "lucia",
    "Activar doble factor en consola WithSecure",
    """
    Buenas tardes,

    Queremos activar la autenticación de dos factores para entrar a la consola de WithSecure Elements.
    ¿Nos pueden guiar?
    """,
    "A new configuration: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "laura",
    "Configuración inicial SonicWall sucursal Celaya",
    """
    Buen día,

    Compramos con ustedes un SonicWall TZ270 para la sucursal Celaya que abre en enero. Necesitamos la
    puesta a punto y configuración inicial; ¿qué información les tenemos que enviar?
    """,
    "A new device to set up, opening next month: leve.",
    incident="configuraciones_nuevas",
)
m(
    "grave",
    "karla",
    "Sucursal Puebla sin configurar",
    """
    Hola,

    Hoy abrimos el restaurante de Puebla y el SonicWall nuevo todavía no está configurado: los 6 empleados
    de la sucursal no tienen internet ni acceso al sistema de comandas, estamos trabajando con notas.
    """,
    "One site of six employees without service until the new device is configured: grave.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "jorge",
    "Regla de Safetica para Google Drive",
    """
    Buen día,

    No es crítico, pero nos gustaría tenerlo antes del cierre de mes: configurar en Safetica una regla que
    alerte cuando alguien suba archivos a un Google Drive personal.
    """,
    "'No es crítico' and a planned new rule, nobody affected: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "paty",
    "WIFI PARA INVITADOS",
    """
    BUENAS TARDES

    QUEREMOS CONFIGURAR EL SONICWALL PARA QUE LOS CHOFERES Y VISITAS TENGAN UNA RED WIFI SEPARADA DE LA
    DE LA OFICINA. COMO LE HACEMOS?
    """,
    "A new SonicWall configuration question: leve.",
    incident="configuraciones_nuevas",
    caps=True,
)
m(
    "leve",
    "itzel",
    "Alertas por correo de WithSecure",
    """
    Hola,

    ¿Pueden configurar las alertas por correo en WithSecure Elements para que nos llegue un aviso a
    sistemas@costaesmeralda.com.mx cada vez que haya una detección?
    """,
    "A new alert configuration: leve.",
    incident="configuraciones_nuevas",
    html=True,
)
m(
    "leve",
    "tomas",
    "RV: URGENTE política USB",
    """
    Daniel, buenas tardes:

    Te reenvío lo que pidió el director. No es urgente, lo podemos ver la próxima semana: necesitamos una
    política de Safetica que bloquee las USB en toda la planta salvo las de TI.
    """,
    "The sender says 'no es urgente'; a new policy; the forwarded 'urgente, crítico' is the director's old mail: leve.",
    incident="configuraciones_nuevas",
    quote=fwd(
        """\
        Tomás:

        URGENTE. Es crítico que nadie vuelva a usar memorias USB en la planta después de lo que pasó en
        el área de pruebas. Coordínalo con el proveedor.

        Ing. Karina Valdés
        Dirección de Planta""",
        author="colleague",
        subject="URGENTE política USB",
        days=4,
    ),
)


# === Incident: Recuperación de llaves de licencia =============================

m(
    "leve",
    "alberto",
    "Llave de licencia WithSecure",
    """
    Buen día,

    ¿Nos pueden reenviar la llave de licencia de WithSecure? La necesitamos para instalar el agente en 5
    equipos nuevos.
    """,
    "A licence key request: leve.",
    incident="llaves_licencia",
)
m(
    "leve",
    "carlos",
    "License key for Capture ATP",
    """
    Hello,

    Could you send us the license key for the SonicWall Capture ATP subscription? We need to re-register
    the appliance after the RMA replacement.
    """,
    "A licence key request: leve.",
    incident="llaves_licencia",
)
m(
    "grave",
    "fernanda",
    "URGENTE clave de licencia Safetica",
    """
    Hola,

    URGENTE: se formateó el servidor de Safetica y necesitamos la clave de licencia para reinstalarlo.
    """,
    "'Urgente' cue on a licence key: grave.",
    incident="llaves_licencia",
)
m(
    "critica",
    "jesus",
    "Licencias vencidas - todos los equipos sin protección",
    """
    Buenos días,

    Las licencias de WithSecure aparecen vencidas en la consola desde hoy y los 120 equipos muestran
    "protección desactivada". La renovación ya se pagó (orden de compra 4500123). Es crítico, necesitamos la
    llave nueva hoy mismo.
    """,
    "Client says 'es crítico'; the whole fleet unprotected: critica.",
    incident="llaves_licencia",
)
m(
    "leve",
    "memo",
    "codigo de suscripcion",
    """
    hola, no encuentro el codigo de suscripcion de withsecure para el equipo nuevo de mostrador, me lo
    pueden mandar? gracias
    """,
    "A licence key request: leve.",
    incident="llaves_licencia",
    noacc=True,
)
m(
    "leve",
    "ernesto",
    "RE: Licenciamiento - auditoría",
    """
    Estimados,

    ¿Me pueden confirmar la llave de licencia vigente de Safetica y su fecha de vencimiento? Gracias.
    """,
    "New text: a licence key question; the colleague's quoted 'gravísimo' is not this mail's report: leve.",
    incident="llaves_licencia",
    quote=q(
        """\
        Ernesto, esto es gravísimo: si la auditoría ve que no tenemos las licencias en orden nos van a
        multar. Urge que lo revises con el proveedor.""",
        author="colleague",
        subject="Licenciamiento - auditoría",
        days=1,
    ),
)
m(
    "grave",
    "arturo",
    "Recuperar licencia después de cambio de SonicWall",
    """
    Buenas tardes,

    Lo consideramos grave: cambiaron nuestro SonicWall por garantía y las suscripciones de filtrado de
    contenido y Gateway Anti-Virus no aparecen en el equipo nuevo. Necesitamos recuperar las llaves de
    licencia para activarlas; mientras tanto estamos navegando sin filtrado.
    """,
    "Client says 'lo consideramos grave': grave.",
    incident="llaves_licencia",
)
m(
    "leve",
    "gabriela",
    "Lista de llaves de licencia para inventario",
    """
    Buen día,

    Es leve: para el inventario anual de software necesitamos la lista de llaves de licencia de WithSecure
    y del SonicWall que tenemos contratadas con ustedes.
    """,
    "Client says 'es leve': leve.",
    incident="llaves_licencia",
)


# === Incident: Informes y reportes ============================================

m(
    "leve",
    "laura",
    "Reporte de estatus de equipos - noviembre",
    """
    Buen día,

    ¿Nos pueden enviar el reporte de estatus de los equipos en la consola de WithSecure del mes de
    noviembre? Es para la junta de dirección del día 10.
    """,
    "A report on demand (the terms' status report): leve.",
    incident="informes_reportes",
)
m(
    "leve",
    "david",
    "Quarterly threat report for board meeting",
    """
    Hi,

    Please send us the quarterly report of threats blocked by the SonicWall and WithSecure for our board
    meeting on the 15th.
    """,
    "A report request: leve.",
    incident="informes_reportes",
)
m(
    "grave",
    "arturo",
    "Urgente: reporte de equipos protegidos para auditoría",
    """
    Buenas tardes,

    Urgente: la auditoría externa nos pide hoy el reporte de equipos protegidos de WithSecure y no logro
    exportarlo desde la consola (el botón de exportar se queda cargando).
    """,
    "'Urgente' cue on a report: grave.",
    incident="informes_reportes",
)
m(
    "leve",
    "claudia",
    "Informe semanal automático en Safetica",
    """
    Buenos días,

    ¿Cómo programo un informe semanal automático en Safetica con los incidentes de fuga de datos, que
    llegue a calidad@labvida.com.mx?
    """,
    "A how-to question about reports: leve.",
    incident="informes_reportes",
)
m(
    "leve",
    "paty",
    "REPORTE DE NAVEGACION",
    """
    NECESITO EL REPORTE DE NAVEGACION DEL USUARIO MGARCIA DEL ULTIMO MES DEL SONICWALL, LO PIDE RECURSOS
    HUMANOS PARA UNA REVISION.
    """,
    "A report request: leve.",
    incident="informes_reportes",
    caps=True,
)
m(
    "leve",
    "karla",
    "Informe de detecciones de malware del trimestre",
    """
    Buen día,

    Solicito el informe de detecciones de malware y virus del último trimestre en los equipos de las
    sucursales, para presentarlo en el comité.
    """,
    "A report about detections, not an infection; the virus disclaimer is boilerplate: leve.",
    incident="informes_reportes",
)
m(
    "leve",
    "mike",
    "Report of endpoints with outdated agent",
    """
    Hi,

    Not urgent — could you share a report of which endpoints are not on the latest WithSecure agent
    version? We want to plan the upgrades.
    """,
    "'Not urgent' report request: leve.",
    incident="informes_reportes",
)
m(
    "grave",
    "veronica",
    "Informes programados de Safetica no llegan",
    """
    Buen día,

    Lo consideramos grave: los informes programados de Safetica dejaron de llegar hace dos semanas y el
    comité de cumplimiento los necesita mañana para el reporte a la CNBV.
    """,
    "Client says 'lo consideramos grave': grave.",
    incident="informes_reportes",
)
m(
    "leve",
    "adriana",
    "RE: Cierre de ticket #2026-0388",
    """
    Buenas tardes,

    Ya que se resolvió el incidente, ¿nos pueden enviar un informe de lo que pasó y de los equipos afectados
    para presentarlo al notario titular?
    """,
    "New text: a report request after the fact; the quoted critical ransomware ticket is closed: leve.",
    incident="informes_reportes",
    quote=q(OLD_RANSOM_CLOSURE, author="imagenti", subject="Cierre de ticket #2026-0388", days=5),
)
m(
    "leve",
    "beatriz",
    "Reporte de navegación por departamento",
    """
    Buen día,

    ¿Se puede sacar del SonicWall un reporte mensual de navegación por departamento (por grupo del
    directorio)? Lo pide la gerencia para diciembre.
    """,
    "A report request: leve.",
    incident="informes_reportes",
)


# === Incident: Errores en funcionamiento de agentes o clientes ================

m(
    "grave",
    "raul",
    "Agente WithSecure no se instala en laptops nuevas",
    """
    Buenos días,

    El agente de WithSecure no se instala en las 10 laptops nuevas de los vendedores; marca "Installation
    failed 0x80070643". Los vendedores deberían empezar a trabajar con ellas hoy y no las podemos entregar
    sin antivirus.
    """,
    "An agent install error holds back ten users: grave.",
    incident="errores_agentes",
)
m(
    "leve",
    "fernanda",
    "Equipo desconectado en la consola",
    """
    Hola,

    Un equipo (TOR-PC-044) aparece como "desconectado" en la consola de WithSecure desde hace una semana,
    aunque está encendido y el usuario trabaja normal.
    """,
    "One agent not reporting, nobody affected: leve.",
    incident="errores_agentes",
)
m(
    "critica",
    "lucia",
    "Pantallazo azul en todas las computadoras - Safetica",
    """
    Buenas tardes,

    El cliente de Safetica está provocando pantallazo azul en todas las computadoras del despacho después
    de reiniciar (el volcado menciona stmon.sys). Llevamos dos horas con toda la oficina sin poder
    trabajar y con audiencias esta tarde.
    """,
    "The Safetica client crashes every PC, the whole office stopped: critica.",
    incident="errores_agentes",
)
m(
    "leve",
    "carlos",
    "Real-time scanning turned off on file server",
    """
    Hello,

    The WithSecure agent on our file server (NJM-FS02) keeps showing "Real-time scanning turned off" in
    the console. Users aren't affected. Could you take a look?
    """,
    "An agent error with no user affected: leve.",
    incident="errores_agentes",
)
m(
    "grave",
    "hector",
    "NetExtender no conecta a vendedores foráneos",
    """
    Buen día,

    NetExtender no conecta desde ayer para los vendedores foráneos (8 personas); marca "Authentication
    failed" aunque la contraseña es correcta. No pueden levantar pedidos en el sistema.
    """,
    "The SonicWall NetExtender client (in scope) fails for eight field users: grave.",
    incident="errores_agentes",
)
m(
    "leve",
    "memo",
    "safetica no reporta en sucursal",
    """
    el cliente de safetica no reporta a la consola en los equipos de la sucursal san marcos (7 equipos),
    salen en gris desde el viernes. los muchachos trabajan normal, nomas no se ven en la consola
    """,
    "Agents not reporting, nobody interrupted: leve.",
    incident="errores_agentes",
    noacc=True,
)
m(
    "leve",
    "miguel",
    "Ventana de error del agente al iniciar sesión",
    """
    Buenas tardes,

    No es crítico pero sí molesto: el agente de WithSecure muestra una ventana de error al iniciar sesión
    en las 3 computadoras de recepción. Se cierra y pueden trabajar normal.
    """,
    "'No es crítico'; an error window the users close and keep working: leve.",
    incident="errores_agentes",
)
m(
    "critica",
    "veronica",
    "URGENTE: agente desinstalado en servidores - firma electrónica caída",
    """
    Buen día,

    URGENTE: el agente de WithSecure se desinstaló solo en todos los servidores después del reinicio de
    mantenimiento y desde entonces el servicio de firma electrónica no arranca. No podemos formalizar
    ningún crédito en las 9 sucursales.
    """,
    "'Urgente' plus business stopped in every branch: critica.",
    incident="errores_agentes",
    html=True,
)
m(
    "leve",
    "jorge",
    "RE: Error del agente en equipo de Carlos",
    """
    Buenas tardes,

    ¿Ya tienen respuesta del fabricante sobre el error del agente en el equipo de Carlos? Gracias.
    """,
    "New text: a follow-up question on one PC: leve.",
    incident="errores_agentes",
    quote=q(
        """\
        Jorge, te escalo: lo consideramos grave, la computadora de Carlos se reinicia sola cada vez
        que el agente intenta actualizar y no ha podido trabajar en toda la mañana.""",
        author="colleague",
        subject="Error del agente en equipo de Carlos",
        days=3,
    ),
)
m(
    "critica",
    "jennifer",
    "This is critical - NetExtender won't connect",
    """
    Hi,

    This is critical: my laptop can't connect with NetExtender since this morning ("Server not
    reachable"), and I have to present the quarterly results to corporate in one hour from home.
    """,
    "Client says 'this is critical'; the client's word wins over the one-user impact: critica.",
    incident="errores_agentes",
)
m(
    "grave",
    "pablo",
    "Windows no arranca después de instalar agente WithSecure",
    """
    Buen día,

    En 2 equipos de la agencia de Toluca, después de instalar el agente de WithSecure, Windows ya no
    arranca (se queda en "Preparando reparación automática"). Son los equipos de los asesores de servicio y
    están atendiendo a los clientes en un solo equipo compartido.
    """,
    "Windows fails after the WithSecure agent install, the agent is the cause (in scope); two users of one area: grave.",
    incident="errores_agentes",
)
m(
    "leve",
    "beatriz",
    "Safetica no reconoce usuarios del directorio",
    """
    Buen día,

    En la consola de Safetica los equipos aparecen con el usuario local en lugar del usuario del Active
    Directory, así que las políticas por usuario no se están aplicando; por ahora aplican las de equipo.
    Nadie está bloqueado.
    """,
    "A Safetica agent that does not read the directory user is the product's problem (in scope), nobody blocked: leve.",
    incident="errores_agentes",
)


# === Incident: Actualizaciones de consola y agentes ===========================

m(
    "leve",
    "arturo",
    "Actualización de Policy Manager",
    """
    Buenos días,

    Nos llegó el aviso de WithSecure de que hay que actualizar Policy Manager a la versión 16. ¿Cuándo la
    podemos programar?
    """,
    "A console update to plan: leve.",
    incident="actualizaciones",
)
m(
    "leve",
    "alberto",
    "Programar actualización de firmware SonicWall",
    """
    Buen día,

    Queremos programar la actualización del firmware del SonicWall a SonicOS 7.1 fuera de horario, de
    preferencia un sábado. ¿Tienen disponibilidad?
    """,
    "A planned firmware update: leve.",
    incident="actualizaciones",
)
m(
    "grave",
    "claudia",
    "Administradores sin políticas después de actualizar consola",
    """
    Buenos días,

    Después de actualizar la consola de Safetica a la última versión, los administradores no podemos ver
    ni editar las políticas, aparece un error 500. La mesa de ayuda no puede atender las solicitudes de
    desbloqueo de los laboratorios.
    """,
    "A console update broke the admins' work: grave.",
    incident="actualizaciones",
)
m(
    "critica",
    "raul",
    "SonicWall reiniciándose tras actualización - sin internet",
    """
    Buenos días,

    La actualización automática del SonicWall de anoche lo dejó reiniciándose en ciclo; toda la empresa
    está sin internet ni VPN y las 4 sucursales no pueden facturar.
    """,
    "An update leaves the whole company without network, no billing: critica.",
    incident="actualizaciones",
)
m(
    "critica",
    "david",
    "Critical: Outlook crashing on every PC after WithSecure update",
    """
    Hi,

    Critical: since yesterday's WithSecure agent update, Outlook crashes on every PC in the company as
    soon as it opens. Shipping confirmations to our US customers are not going out.
    """,
    "Client says 'critical'; an agent update breaks Outlook company-wide (the update, not Office, is the cause): critica.",
    incident="actualizaciones",
)
m(
    "leve",
    "memo",
    "actualizacion pendiente de safetica",
    """
    oigan, hay una actualizacion pendiente del agente de safetica, la instalamos nosotros o ustedes?
    """,
    "A question about an agent update: leve.",
    incident="actualizaciones",
    noacc=True,
)
m(
    "leve",
    "gabriela",
    "Equipos con versión antigua del agente",
    """
    Buen día,

    No es urgente: vimos en la consola que hay 20 equipos con una versión antigua del agente de WithSecure.
    ¿Pueden actualizarlos de forma remota?
    """,
    "Client says 'no es urgente': leve.",
    incident="actualizaciones",
)
m(
    "grave",
    "lucia",
    "No llegan alertas tras actualizar consola",
    """
    Buenas tardes,

    Lo consideramos grave: desde la actualización de la consola de WithSecure, sistemas ya no recibe las
    alertas por correo de las detecciones.
    """,
    "Client says 'lo consideramos grave': grave.",
    incident="actualizaciones",
)
m(
    "leve",
    "rodrigo",
    "Actualizar agente por vulnerabilidad anunciada",
    """
    Hola,

    Vimos el boletín de WithSecure sobre una vulnerabilidad en versiones anteriores del agente. ¿Pueden
    actualizar nuestros agentes a la versión corregida cuando les sea posible?
    """,
    "Updating the WithSecure agent is 'Actualizaciones de consola y agentes' (in scope), not patching the client's systems: leve.",
    incident="actualizaciones",
)
m(
    "leve",
    "itzel",
    "RV: [WithSecure Security Advisory] Critical vulnerability in Elements Agent",
    """
    Hola,

    Nos llegó este boletín de WithSecure. ¿Esto nos afecta? ¿Hay que actualizar algo en nuestros equipos?
    No es urgente, solo queremos saber.
    """,
    "The sender says 'no es urgente'; 'Critical' is the advisory's title about a product update: leve.",
    incident="actualizaciones",
    quote=fwd(
        """\
        WithSecure Security Advisory WSA-2026-011

        Severity: CRITICAL
        A vulnerability in WithSecure Elements Agent versions prior to 24.6 could allow local privilege
        escalation. Customers should update to version 24.6 or later. Agents set to automatic updates
        will receive the fix during the next maintenance window.""",
        author="WithSecure <no-reply@withsecure.com>",
        subject="[WithSecure Security Advisory] Critical vulnerability in Elements Agent",
        days=1,
    ),
)


# === Incident: Restricciones de acceso a consolas =============================

m(
    "leve",
    "ernesto",
    "Acceso de solo lectura para auditor",
    """
    Buenas tardes,

    Queremos que el auditor externo tenga acceso de solo lectura a la consola de WithSecure durante 2
    semanas, a partir del lunes.
    """,
    "A console access restriction request: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "mike",
    "Restrict SonicWall management access",
    """
    Hi,

    Please restrict SonicWall management access (HTTPS and SSH) to our IT subnet only, 10.1.5.0/24.
    """,
    "A console access restriction: leve.",
    incident="restricciones_consola",
)
m(
    "grave",
    "sofia",
    "Acceso denegado a consola de Safetica",
    """
    Buen día,

    La consola de Safetica nos dice "acceso denegado" a las 2 administradoras desde la mañana y no podemos
    liberar las solicitudes de USB de Urgencias y Quirófano que están en espera.
    """,
    "Console access broken for the admins, requests waiting in two areas: grave.",
    incident="restricciones_consola",
)
m(
    "leve",
    "alberto",
    "Quitar acceso a exempleado",
    """
    Buen día,

    Un exempleado (rcastro) sigue apareciendo como administrador en la consola de WithSecure. Por favor
    quítenle el acceso.
    """,
    "Remove console access: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "memo",
    "permisos en consola safetica",
    """
    no es urgente, pero quisieramos que solo 2 personas de sistemas puedan modificar politicas en la
    consola de safetica y los demas solo ver
    """,
    "Client says 'no es urgente': leve.",
    incident="restricciones_consola",
    noacc=True,
)
m(
    "grave",
    "paty",
    "URGENTE NO PODEMOS ENTRAR AL SONICWALL",
    """
    URGENTE: ALGUIEN CAMBIÓ LOS PERMISOS DE LA CONSOLA DEL SONICWALL Y YA NO PODEMOS ENTRAR A ADMINISTRARLO
    NI YO NI DON FELIPE.
    """,
    "'Urgente' cue on lost console access: grave.",
    incident="restricciones_consola",
    caps=True,
)
m(
    "leve",
    "ivan",
    "Habilitar acceso a consola desde Monterrey",
    """
    Buen día,

    ¿Pueden habilitar el acceso a la consola de WithSecure desde la IP de nuestra oficina de Monterrey
    (187.141.20.8)? Hoy solo nos deja entrar desde la red de Juchitán.
    """,
    "A console access change; the 'crítica' and 'URGENTE' words are in the signature: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "sarah",
    "Limit who can change WithSecure policies",
    """
    Hi,

    We'd like only two admins to be able to change WithSecure policies; the helpdesk should have view-only
    access. Low priority.
    """,
    "'Low priority' and a routine restriction: leve.",
    incident="restricciones_consola",
)


# === In scope, none of the fifteen: VPN tunnels, training, memoria técnica =====

m(
    "critica",
    "hector",
    "Se cayó la VPN con todas las sucursales",
    """
    Buenos días,

    Se cayó el túnel VPN entre el SonicWall del corporativo y las 12 sucursales desde las 8:10. Ninguna
    farmacia puede facturar ni consultar inventario; estamos vendiendo solo en efectivo y sin ticket.
    """,
    "A SonicWall VPN down is in scope; every branch cannot bill: critica.",
)
m(
    "grave",
    "beatriz",
    "VPN site-to-site con Querétaro caída",
    """
    Buen día,

    La VPN site-to-site del SonicWall con la bodega de Querétaro está caída desde la mañana; los 10 usuarios
    de esa bodega no pueden entrar al WMS. El resto del centro de distribución opera normal.
    """,
    "A SonicWall tunnel down (in scope, not infrastructure) for one site of ten users: grave.",
)
m(
    "grave",
    "carlos",
    "IPsec tunnel to El Paso plant down",
    """
    Hello,

    The IPsec tunnel between our SonicWall and the El Paso plant has been down since 7 AM. The shipping
    team (5 people) can't print the cross-border labels from the US system. Other departments are fine.
    """,
    "A SonicWall tunnel down for one team: grave.",
)
m(
    "leve",
    "jesus",
    "Túnel VPN se cae en la madrugada",
    """
    Buen día,

    El túnel VPN con la bodega de Navolato se cae unos segundos cada noche alrededor de las 2 am. No afecta
    la operación, pero nos gustaría saber por qué. ¿Lo pueden revisar?
    """,
    "A tunnel flap at night that affects nobody: leve.",
)
m(
    "leve",
    "veronica",
    "Capacitación de consola Safetica",
    """
    Buen día,

    Nos gustaría agendar la capacitación de la consola de Safetica para 3 personas nuevas de TI. ¿Qué
    fechas tienen en enero?
    """,
    "Training (transferencia de conocimiento, in the terms): leve.",
)
m(
    "leve",
    "oscar",
    "Memoria técnica de la implementación",
    """
    Hola,

    ¿Nos pueden enviar la memoria técnica de la implementación del SonicWall que hicieron en septiembre?
    No la encontramos.
    """,
    "A request for the memoria técnica the terms promise: leve.",
)
m(
    "grave",
    "laura",
    "RV: Sucursal Irapuato sin sistema",
    """
    Buenas tardes,

    Les reenvío el reporte de la gerente de la sucursal Irapuato. Son los 4 equipos de esa sucursal; las
    demás están bien.
    """,
    "The forwarded report is the content: one branch's VPN to the SonicWall down, four PCs: grave.",
    quote=fwd(
        """\
        Hola Laura,

        Desde hoy en la mañana ninguna de las computadoras de la sucursal puede entrar al sistema de
        guías. Dice que no hay conexión con el servidor y el aparatito del SonicWall tiene una luz
        naranja. Estamos haciendo las guías a mano y los clientes se quejan.

        Saludos,
        Marisol Vega
        Gerente Sucursal Irapuato""",
        author="Marisol Vega <mvega@logisticabajio.com.mx>",
        subject="Sucursal Irapuato sin sistema",
        days=0,
    ),
)
m(
    "leve",
    "tomas",
    "RV: Alert: Possible port scan detected",
    """
    Buenas tardes,

    Nos llegó esta alerta del SonicWall. ¿Debemos preocuparnos o es normal? Todo funciona bien.
    """,
    "A question about a SonicWall alert; nothing affected. The 'Incidentes Críticos' title is the signature: leve.",
    quote=fwd(
        """\
        SonicWall Alert
        Category: Intrusion Prevention
        Message: Possible port scan detected
        Source: 45.155.205.99, WAN
        Priority: ALERT""",
        author="SonicWall NSa 2700 <alertas@mesaltillo.com.mx>",
        subject="Alert: Possible port scan detected",
        days=0,
    ),
)
m(
    "leve",
    "david",
    "On-site visit next week",
    """
    Hi,

    Could one of your engineers come to the Ensenada packing house next Thursday to review the SonicWall
    setup with our new IT contractor? Nothing is broken, it's a walkthrough.
    """,
    "A visit to review the setup, nothing broken: leve.",
)


# === Limit: productos de terceros (sistema operativo, ofimática, antivirus ajeno) ===

m(
    "leve",
    "mariana",
    "Outlook se cierra al abrir adjuntos",
    """
    Buen día,

    Outlook se cierra solo cada vez que la gerente de obra abre un correo con adjuntos en su laptop. Ya
    reparamos Office desde el Panel de control y sigue igual. ¿Nos pueden ayudar a corregirlo?
    """,
    "Office itself misbehaving on one laptop: third-party product, out of scope; one user: leve.",
    limit="terceros",
)
m(
    "grave",
    "alberto",
    "Impresoras no imprimen después de actualización de Windows",
    """
    Buenas tardes,

    Después de la actualización de Windows 11 del martes (KB5044284) las impresoras de red no imprimen en
    el área de facturación (5 equipos). Ya quitamos y pusimos los controladores. ¿Nos apoyan a
    diagnosticarlo?
    """,
    "A Windows update breaking printing: third-party OS, out of scope; one area: grave.",
    limit="terceros",
)
m(
    "critica",
    "ernesto",
    "Pantalla azul en todas las computadoras tras actualización de Windows",
    """
    Buenos días,

    La actualización de Windows de anoche dejó todas las computadoras de la aseguradora en pantalla azul
    al arrancar (CRITICAL_PROCESS_DIED). Ya probamos desinstalando WithSecure en una y sigue igual, así que
    no es el antivirus. Nadie puede trabajar y tenemos siniestros que atender.
    """,
    "The client ruled out WithSecure: a Windows fault, out of scope; the whole company stopped: critica.",
    limit="terceros",
)
m(
    "leve",
    "david",
    "Excel freezing on large files",
    """
    Hi,

    Excel keeps freezing when I open our large pricing workbooks (40 MB). Could you take a look at my PC?
    """,
    "Excel on one PC: third-party office software, out of scope: leve.",
    limit="terceros",
)
m(
    "leve",
    "jesus",
    "Kaspersky no actualiza en Tijuana",
    """
    Buen día,

    En la sucursal Tijuana todavía tenemos Kaspersky en los equipos (no se migraron a WithSecure) y no
    actualiza las firmas desde hace un mes. ¿Nos pueden ayudar a configurarlo?
    """,
    "A third-party antivirus: out of scope; nobody interrupted: leve.",
    limit="terceros",
)
m(
    "leve",
    "lucia",
    "Error de licencia en McAfee de servidores",
    """
    Buenas tardes,

    El McAfee que tenemos en los dos servidores marca error de licencia desde ayer. ¿Nos apoyan a
    revisarlo?
    """,
    "A third-party antivirus licence: out of scope: leve.",
    limit="terceros",
)
m(
    "leve",
    "miguel",
    "Computadora lenta por Windows Update",
    """
    Buenas,

    Mi computadora anda muy lenta y ya vi que es Windows Update, que se queda descargando todo el día al
    99%. ¿Me pueden ayudar a arreglar Windows Update?
    """,
    "Slowness the client traces to Windows Update and asks to fix Windows: third-party OS, out of scope: leve.",
    limit="terceros",
)
m(
    "grave",
    "pablo",
    "URGENTE: Teams no deja entrar a reuniones",
    """
    Buen día,

    Urgente: Microsoft Teams no deja entrar a ninguna reunión a los 12 asesores del área comercial,
    marca error de inicio de sesión (código 0xCAA70004). El firewall no bloquea nada, ya revisamos el log.
    """,
    "A Teams sign-in error with the firewall ruled out: third-party, out of scope; 'urgente' and one area: grave.",
    limit="terceros",
)
m(
    "leve",
    "memo",
    "office sin activar",
    """
    el office dice que la licencia no esta activada en 3 computadoras de administracion, todavia deja
    editar pero sale el aviso rojo arriba. nos ayudan a activarlo?
    """,
    "Office activation: third-party office software, out of scope; still working: leve.",
    limit="terceros",
    noacc=True,
)
m(
    "leve",
    "samuel",
    "macOS no reconoce impresora en diseño",
    """
    Hola,

    Es leve: en las Mac del área de diseño, después de actualizar a macOS Sequoia, ya no aparece la
    impresora de pruebas de color. Pueden imprimir en la otra.
    """,
    "macOS printing: third-party OS, out of scope; client says 'es leve': leve.",
    limit="terceros",
)


# === Limit: parchado de vulnerabilidades ======================================

m(
    "leve",
    "laura",
    "Instalar parches de Windows pendientes",
    """
    Buen día,

    En la consola de WithSecure (Vulnerability Management) aparecen 35 parches de Windows pendientes en
    nuestros equipos. ¿Nos pueden instalar esos parches?
    """,
    "Installing Windows patches is 'parchado de vulnerabilidades', out of scope (the console is only where they saw it): leve.",
    limit="parchado",
)
m(
    "grave",
    "arturo",
    "Vulnerabilidad en servidor Apache - plazo de cliente",
    """
    Buenas tardes,

    Lo consideramos grave: el escaneo de vulnerabilidades de nuestro cliente principal encontró CVE-2024-38475
    en nuestro servidor Apache y nos dan 48 horas para corregirla o nos suspenden el acceso a su portal.
    Necesitamos que la parchen.
    """,
    "Patching a server vulnerability: out of scope; client says 'lo consideramos grave': grave.",
    limit="parchado",
)
m(
    "critica",
    "karla",
    "Es crítico: banco bloqueó terminales por vulnerabilidad",
    """
    Buen día,

    Es crítico: el banco nos detectó una vulnerabilidad en el servidor de pagos y bloqueó nuestras
    terminales hasta que la parchemos. No podemos cobrar con tarjeta en ningún restaurante. ¿Nos ayudan a
    aplicar el parche hoy?
    """,
    "Applying a vulnerability patch: out of scope; 'es crítico' and no card payments anywhere: critica.",
    limit="parchado",
)
m(
    "leve",
    "mike",
    "Missing patches from pentest report",
    """
    Hi,

    Our pentest report lists several missing patches on the Windows Server 2016 machines (MS17-010 among
    others). Can your team patch them? Not urgent, we have until the end of January.
    """,
    "Patching servers: out of scope; 'not urgent': leve.",
    limit="parchado",
)
m(
    "leve",
    "oscar",
    "Parches de seguridad de Exchange",
    """
    Hola,

    ¿Pueden aplicar los parches de seguridad de Exchange 2019 en nuestro servidor de correo? Salieron
    varios el mes pasado.
    """,
    "Patching Exchange: out of scope: leve.",
    limit="parchado",
)
m(
    "leve",
    "memo",
    "vulnerabilidad en vmware",
    """
    nos llego un boletin de que hay una vulnerabilidad en vmware esxi, nos pueden parchar los dos host?
    """,
    "Patching hypervisors: out of scope: leve.",
    limit="parchado",
    noacc=True,
)
m(
    "grave",
    "rodrigo",
    "Urgente: vulnerabilidad crítica de Chrome",
    """
    Hola,

    Urgente: salió una vulnerabilidad crítica de Chrome que se está explotando activamente. ¿Pueden
    parchar los navegadores de todos los equipos hoy?
    """,
    "Patching browsers: out of scope. 'Crítica' describes the CVE, 'urgente' is a cue with nothing broken: grave.",
    limit="parchado",
)
m(
    "leve",
    "hector",
    "RV: Microsoft Security Update - actively exploited",
    """
    Hola,

    ¿Ustedes nos pueden aplicar el parche de Windows que mencionan en este boletín en los equipos de las
    sucursales? No es urgente.
    """,
    "Applying a Windows patch: out of scope; 'no es urgente'; the bulletin's 'Critical' is not the client's word: leve.",
    limit="parchado",
    quote=fwd(
        """\
        Microsoft Security Response Center

        CVE-2026-21044 | Windows SMB Client Elevation of Privilege Vulnerability
        Max Severity: Critical
        Exploited: Yes
        Customers should apply the December security update as soon as possible.""",
        author="Microsoft Security <securitynotifications@microsoft.com>",
        subject="Microsoft Security Update - actively exploited",
        days=1,
    ),
)
m(
    "leve",
    "jorge",
    "RE: Hallazgos auditoría TI",
    """
    Buenas tardes,

    Siguiendo con el reporte del auditor (abajo), ¿ustedes pueden parchar las vulnerabilidades del
    servidor de archivos? No hay nada caído, es para cerrar los hallazgos antes de marzo.
    """,
    "Patching a file server: out of scope; the quoted 'hallazgos críticos' are the auditor's; nothing down: leve.",
    limit="parchado",
    quote=q(
        """\
        C.P. Rivera:

        Derivado de la revisión se identificaron 3 hallazgos críticos en el servidor de archivos
        (SRV-ARCH01): Windows Server sin parches desde 2025, SMBv1 habilitado y OpenSSL vulnerable.
        Se recomienda su corrección inmediata.

        Lic. Tania Ruelas
        Auditoría de TI""",
        author="Lic. Tania Ruelas <truelas@auditoresdelvalle.com.mx>",
        subject="Hallazgos auditoría TI",
        days=7,
    ),
)


# === Limit: migración / integración de aplicaciones ===========================

m(
    "leve",
    "adriana",
    "Migración de SAP Business One a servidor nuevo",
    """
    Buenas tardes,

    Vamos a cambiar el servidor donde tenemos SAP Business One. ¿Ustedes nos pueden apoyar con la migración
    del sistema y la base de datos al servidor nuevo?
    """,
    "Migrating an application: out of scope: leve.",
    limit="migracion",
)
m(
    "leve",
    "tomas",
    "Integración de WithSecure con Splunk",
    """
    Buenas tardes,

    Queremos integrar los eventos de WithSecure con nuestro SIEM (Splunk) para el SOC. ¿Nos ayudan a hacer la
    integración y los dashboards?
    """,
    "Integrating applications with a SIEM: 'Migración/Integración de aplicaciones', out of scope: leve.",
    limit="migracion",
)
m(
    "leve",
    "jennifer",
    "Moving email to Microsoft 365",
    """
    Hi,

    We are moving our email from the on-premise Exchange server to Microsoft 365 next quarter. Can IMAGEN
    TI handle the mailbox migration?
    """,
    "A mail migration: out of scope: leve.",
    limit="migracion",
)
m(
    "grave",
    "claudia",
    "Urgente: migración de nómina a medias",
    """
    Buenos días,

    Urgente: la migración del sistema de nómina al servidor nuevo se quedó a medias el fin de semana y
    Recursos Humanos no puede timbrar los recibos. ¿Nos apoyan a terminar la migración?
    """,
    "Finishing an application migration: out of scope; 'urgente', one department: grave.",
    limit="migracion",
)
m(
    "leve",
    "memo",
    "pasar archivos al nas nuevo",
    """
    queremos pasar todos los datos del servidor de archivos viejo al nas nuevo que compramos, ustedes lo
    hacen? cuanto cobrarian?
    """,
    "A data migration: out of scope: leve.",
    limit="migracion",
    noacc=True,
)
m(
    "leve",
    "jorge",
    "Migrar CONTPAQi a la nube",
    """
    Buen día,

    Estamos evaluando migrar las bases de CONTPAQi del servidor local a un servidor en la nube. ¿Nos pueden
    hacer la migración?
    """,
    "An application migration: out of scope: leve.",
    limit="migracion",
)
m(
    "critica",
    "rodrigo",
    "Tienda en línea caída después de migrar de hosting",
    """
    Hola,

    Ayer migramos nuestra tienda en línea a un hosting nuevo y desde la mañana no funciona, marca error de
    conexión a la base de datos. No estamos vendiendo nada en línea. ¿Nos pueden ayudar a terminar la
    migración de la base de datos?
    """,
    "Finishing a site migration: out of scope; online sales stopped: critica.",
    limit="migracion",
)
m(
    "leve",
    "itzel",
    "RE: Cierre de ticket - configuración SonicWall",
    """
    Gracias, todo bien con el SonicWall.

    Otra pregunta: ¿nos pueden cotizar la migración de los buzones de Gmail de los hoteles a Outlook?
    """,
    "New text: a mailbox migration quote: out of scope: leve.",
    limit="migracion",
    quote=q(
        """\
        Hola Itzel,

        Se cierra el ticket de la configuración del SonicWall del hotel Playa. Resumen: se configuraron las
        VLAN de huéspedes y administración y las reglas de acceso.

        Soporte IMAGEN TI""",
        author="imagenti",
        subject="Cierre de ticket - configuración SonicWall",
        days=3,
    ),
)
m(
    "leve",
    "david",
    "Integrate Safetica with our HR system",
    """
    Hi,

    Could you integrate Safetica with our HR system (BambooHR) so that new hires and departures update
    the user list automatically? No rush.
    """,
    "Integrating two applications: out of scope; 'no rush': leve.",
    limit="migracion",
)


# === Limit: desarrollo de código ==============================================

m(
    "leve",
    "raul",
    "Script para revisar agente WithSecure",
    """
    Buenos días,

    ¿Nos pueden hacer un script en PowerShell que revise cada noche si el agente de WithSecure está
    corriendo en todos los equipos y nos mande un correo con los que no?
    """,
    "Writing a script is code development: out of scope: leve.",
    limit="codigo",
)
m(
    "leve",
    "carlos",
    "Tool to pull WithSecure API into our dashboard",
    """
    Hello,

    Could your team develop a small Python tool that pulls detections from the WithSecure Elements API and
    loads them into our Power BI dashboard?
    """,
    "Developing a tool: out of scope: leve.",
    limit="codigo",
)
m(
    "leve",
    "veronica",
    "Macro para consolidar reportes de Safetica",
    """
    Buen día,

    Necesitamos una macro de Excel que consolide los reportes de Safetica que exportamos de cada sucursal
    en un solo archivo. ¿La pueden desarrollar?
    """,
    "Writing a macro: out of scope: leve.",
    limit="codigo",
)
m(
    "grave",
    "gabriela",
    "Script de respaldo dejó de funcionar",
    """
    Buen día,

    Lo consideramos grave: el script de respaldo que nos hizo el programador que ya no está dejó de
    funcionar y Contabilidad (4 personas) no tiene sus reportes diarios. ¿Nos pueden corregir el código?
    """,
    "Fixing the client's own code: out of scope; 'lo consideramos grave': grave.",
    limit="codigo",
)
m(
    "leve",
    "memo",
    "pagina para pedir desbloqueo de usb",
    """
    pueden programar una paginita web para que los empleados pidan el desbloqueo de usb y a mi me llegue
    un correo?
    """,
    "Programming a web page: out of scope: leve.",
    limit="codigo",
    noacc=True,
)
m(
    "leve",
    "ernesto",
    "Aplicación para alta de usuarios",
    """
    Buenas tardes,

    No es urgente: queremos una aplicación que dé de alta automáticamente a los usuarios nuevos en la consola
    de WithSecure desde nuestro sistema de Recursos Humanos.
    """,
    "Developing an application: out of scope; 'no es urgente': leve.",
    limit="codigo",
)
m(
    "critica",
    "hector",
    "Conector de pedidos con error - se pierden ventas",
    """
    Buen día,

    Es crítico: el conector que desarrollamos entre el ERP y la tienda en línea tiene un error en el código
    desde la última versión y no se están registrando los pedidos; estamos perdiendo ventas. ¿Pueden
    revisar el código?
    """,
    "Debugging the client's code: out of scope; 'es crítico', lost sales: critica.",
    limit="codigo",
)
m(
    "grave",
    "sarah",
    "Urgent: webhook for our ticketing tool",
    """
    Hi,

    Urgent: we need a webhook developed so that SonicWall alerts create tickets in our internal Jira. Our
    auditors want it working by Friday.
    """,
    "Developing an integration webhook: code development, out of scope; 'urgent': grave.",
    limit="codigo",
)
m(
    "leve",
    "paty",
    "ARCHIVO BAT PARA UNIDADES DE RED",
    """
    HOLA, NOS PUEDEN HACER UN ARCHIVO .BAT QUE CONECTE LAS UNIDADES DE RED CUANDO PRENDEN LA COMPU?
    """,
    "Writing a batch file: out of scope: leve.",
    limit="codigo",
    caps=True,
)


# === Limit: modificaciones y alteraciones a aplicaciones o infraestructura =====

m(
    "leve",
    "miguel",
    "Doble factor en portal de clientes",
    """
    Buenas tardes,

    Queremos que modifiquen nuestro portal de clientes (el que hizo la agencia web) para que tenga inicio
    de sesión con doble factor. ¿Lo pueden hacer?
    """,
    "Modifying the client's application: out of scope: leve.",
    limit="modificaciones",
)
m(
    "leve",
    "fernanda",
    "Rediseño de la red de planta",
    """
    Hola,

    Queremos rediseñar toda la red de la planta: cambiar el direccionamiento IP de todos los equipos,
    reemplazar los switches de piso y mover los servidores al rack nuevo. ¿Ustedes lo pueden ejecutar?
    """,
    "Re-addressing the network and moving servers alters the client's infrastructure: out of scope: leve.",
    limit="modificaciones",
)
m(
    "leve",
    "mike",
    "Intranet changes for HR forms",
    """
    Hi,

    Can you change our intranet (SharePoint) layout and add a new section for the HR request forms?
    """,
    "Modifying the client's intranet: out of scope: leve.",
    limit="modificaciones",
)
m(
    "grave",
    "veronica",
    "Urgente: cambiar formato de dispersión en sistema de tesorería",
    """
    Buen día,

    Urgente: el banco cambió el layout del archivo de dispersión y hay que modificar nuestro sistema de
    tesorería para que lo genere con el formato nuevo. Tesorería no puede pagar a proveedores.
    """,
    "Modifying the client's application: out of scope; 'urgente', one area: grave.",
    limit="modificaciones",
)
m(
    "leve",
    "memo",
    "campo nuevo en la pagina",
    """
    quiero que le agreguen un campo de RFC al formulario de contacto de nuestra pagina web
    """,
    "Modifying the client's web site: out of scope: leve.",
    limit="modificaciones",
    noacc=True,
)
m(
    "leve",
    "jesus",
    "Reacomodo del cuarto de servidores",
    """
    Buen día,

    Vamos a ampliar el cuarto de servidores: hay que instalar un rack nuevo, reacomodar los servidores y
    rehacer el cableado de los patch panels. ¿Nos apoyan con el proyecto?
    """,
    "Altering the client's infrastructure: out of scope: leve.",
    limit="modificaciones",
)
m(
    "leve",
    "lucia",
    "Reestructurar carpetas compartidas",
    """
    Buenas tardes,

    No es urgente: queremos cambiar la estructura del servidor de archivos para que cada área tenga su
    carpeta con permisos distintos y mover ahí los expedientes.
    """,
    "Restructuring the client's file server: out of scope; 'no es urgente': leve.",
    limit="modificaciones",
)
m(
    "critica",
    "karla",
    "Es crítico: sistema de facturación no soporta nuevo complemento",
    """
    Buen día,

    Es crítico: el SAT publica hoy la nueva versión del complemento de pago y nuestro sistema de
    facturación, que es hecho a la medida, no la soporta. Si no se modifica hoy, mañana ningún restaurante
    podrá facturar. ¿Nos pueden ayudar a modificarlo?
    """,
    "Modifying the client's billing application: out of scope; 'es crítico': critica.",
    limit="modificaciones",
)
m(
    "leve",
    "gabriela",
    "RE: Configuración SonicWall planta 2",
    """
    Ya que están en eso, ¿nos pueden modificar el sistema de inventarios para que lea los códigos QR de las
    etiquetas nuevas?
    """,
    "New text: modifying the client's inventory system: out of scope: leve.",
    limit="modificaciones",
    quote=q(
        """\
        Gabriela, buenas tardes:

        El SonicWall de la planta 2 quedó configurado con las reglas que acordamos. Quedo atento.

        Ing. Daniel Ortiz
        Soporte IMAGEN TI""",
        author="engineer",
        subject="Configuración SonicWall planta 2",
        days=2,
    ),
)


# === Limit: infraestructura (Active Directory, DNS, red UTP, eléctrica) ========

m(
    "critica",
    "alberto",
    "Se cayó el Active Directory",
    """
    Buenos días,

    Se cayó el Active Directory: desde las 8:00 nadie en la empresa puede iniciar sesión en su computadora
    (el controlador de dominio no responde). Producción y facturación detenidas.
    """,
    "An Active Directory outage: infrastructure, out of scope; the whole company stopped: critica.",
    limit="infraestructura",
)
m(
    "grave",
    "fernanda",
    "DNS interno no resuelve el servidor de archivos",
    """
    Hola,

    El DNS interno (en el controlador de dominio) no resuelve el nombre del servidor de archivos y el área
    de ingeniería (10 personas) no puede abrir sus planos. ¿Nos ayudan?
    """,
    "An internal DNS fault: infrastructure, out of scope; one area: grave.",
    limit="infraestructura",
)
m(
    "leve",
    "adriana",
    "Cable de red dañado en sala de juntas",
    """
    Buenas tardes,

    Se dañó el cable UTP del nodo de la sala de juntas (lo mordió la silla). ¿Nos pueden mandar a alguien a
    cambiarlo?
    """,
    "UTP cabling: infrastructure, out of scope: leve.",
    limit="infraestructura",
)
m(
    "critica",
    "claudia",
    "Corto en el site - servidores apagados",
    """
    Buenos días,

    Hubo un corto en el site y el UPS no levanta; todos los servidores están apagados y el laboratorio no
    puede liberar resultados. ¿Nos pueden apoyar con la instalación eléctrica y el UPS?
    """,
    "An electrical failure: infrastructure, out of scope; every server down: critica.",
    limit="infraestructura",
)
m(
    "grave",
    "carlos",
    "DHCP handing out duplicate IPs in warehouse",
    """
    Hello,

    Our Windows DHCP server is handing out duplicate IPs in the warehouse and 6 handheld scanners keep
    disconnecting. Receiving is slowed down. Can you help?
    """,
    "A DHCP server fault: infrastructure, out of scope; one area: grave.",
    limit="infraestructura",
)
m(
    "leve",
    "jesus",
    "Red lenta en bodega por cable",
    """
    Buen día,

    La red está lenta solo en la bodega; ya revisamos y el problema es el cable que va al switch de la
    bodega, que está maltratado. Los 3 montacarguistas siguen trabajando, pero tarda. ¿Nos pueden apoyar
    a recablear?
    """,
    "Slowness the client traced to a damaged cable, asks for recabling: infrastructure, out of scope: leve.",
    limit="infraestructura",
)
m(
    "grave",
    "memo",
    "no replica el dominio",
    """
    se cayo la replicacion entre los controladores de dominio de aguascalientes y zacatecas, los usuarios
    de zacatecas no pueden cambiar su contraseña ni entrar los nuevos
    """,
    "Active Directory replication: infrastructure, out of scope; one site's users: grave.",
    limit="infraestructura",
    noacc=True,
)
m(
    "leve",
    "oscar",
    "Switch del piso 2 se reinicia",
    """
    Hola,

    No es urgente: queremos que revisen por qué el switch del piso 2 (un HP, no el SonicWall) se reinicia
    solo de vez en cuando.
    """,
    "A non-SonicWall switch: network infrastructure, out of scope; 'no es urgente': leve.",
    limit="infraestructura",
)
m(
    "critica",
    "pablo",
    "URGENTE: servidor DNS no responde",
    """
    Buen día,

    URGENTE: el servidor DNS de la empresa (el Windows Server del corporativo) no responde desde las 10.
    Nadie en las agencias puede navegar ni entrar al correo ni al sistema de ventas.
    """,
    "The client's DNS server: infrastructure, out of scope; 'urgente' and every site stopped: critica.",
    limit="infraestructura",
)
m(
    "leve",
    "itzel",
    "Access points de la bodega",
    """
    Hola,

    Es leve, pero los access points Ubiquiti de la bodega se desconectan un par de veces al día. ¿Nos
    pueden revisar la instalación?
    """,
    "Third-party Wi-Fi access points: network infrastructure, out of scope; 'es leve': leve.",
    limit="infraestructura",
)


# === Limit: software diferente a la solución adquirida ========================

m(
    "leve",
    "hector",
    "Configurar cuotas en Salesforce",
    """
    Buen día,

    ¿Nos pueden ayudar a configurar el CRM de Salesforce para que los representantes vean sus cuotas del
    mes en la pantalla de inicio?
    """,
    "A CRM is not a solution bought from IMAGEN TI: out of scope: leve.",
    limit="otro_software",
)
m(
    "grave",
    "jorge",
    "Aspel COI no abre - error de base de datos",
    """
    Buen día,

    Aspel COI no abre en el área de contabilidad, marca "Error al conectar con la base de datos". No tiene
    que ver con el antivirus, ya lo revisamos con WithSecure desactivado. Son 4 personas sin trabajar.
    """,
    "An accounting application with the antivirus ruled out: other software, out of scope; one area: grave.",
    limit="otro_software",
)
m(
    "critica",
    "karla",
    "Firewall Fortinet del corporativo apagado",
    """
    Buen día,

    Nuestro firewall Fortinet del corporativo (no es el SonicWall de ustedes, ese es de otro proveedor) se
    apagó y no enciende. Ningún restaurante tiene conexión al sistema de comandas ni puede cobrar con
    tarjeta.
    """,
    "Another vendor's firewall, not bought from IMAGEN TI: out of scope; every site stopped: critica.",
    limit="otro_software",
)
m(
    "leve",
    "david",
    "Veeam backup jobs failing",
    """
    Hi,

    Could you help us fix our Veeam Backup jobs? They fail every night with "Failed to create VM snapshot".
    Production isn't affected.
    """,
    "Backup software not bought from IMAGEN TI: out of scope; nobody affected: leve.",
    limit="otro_software",
)
m(
    "grave",
    "karla",
    "Soft Restaurant no imprime comandas",
    """
    Hola,

    En la sucursal Boca del Río, Soft Restaurant dejó de imprimir las comandas en la cocina. Están
    llevando las órdenes a mano y los tiempos se alargaron.
    """,
    "A restaurant POS application: other software, out of scope; one branch slowed: grave.",
    limit="otro_software",
)
m(
    "leve",
    "gabriela",
    "Reglas del Sophos de la planta",
    """
    Buen día,

    ¿Ustedes dan soporte al Sophos XG que tenemos en la planta 3? Las reglas de acceso no están funcionando
    como esperábamos.
    """,
    "Another vendor's firewall: out of scope: leve.",
    limit="otro_software",
)
m(
    "leve",
    "ernesto",
    "Cálculo de ISR en CONTPAQi Nóminas",
    """
    Buenas tardes,

    No es urgente, pero quisiéramos que revisaran por qué CONTPAQi Nóminas no calcula bien el ISR de los
    aguinaldos.
    """,
    "A payroll application: other software, out of scope; 'no es urgente': leve.",
    limit="otro_software",
)
m(
    "grave",
    "paty",
    "Urgente checador no sincroniza",
    """
    urgente, el sistema del checador (zkteco) no sincroniza las checadas desde el lunes y recursos humanos
    tiene que pagar la nomina mañana
    """,
    "A time-clock system: other software, out of scope; 'urgente': grave.",
    limit="otro_software",
    noacc=True,
)
m(
    "leve",
    "jesus",
    "Política en Safetica comprado con otro distribuidor",
    """
    Buen día,

    Con ustedes tenemos WithSecure, pero el Safetica lo compramos el año pasado con otro distribuidor.
    ¿Nos pueden ayudar a crear una política para bloquear las USB en almacén?
    """,
    "Safetica was not bought from IMAGEN TI: software other than the solution acquired, out of scope: leve.",
    limit="otro_software",
)
m(
    "leve",
    "mike",
    "SonicWall at the Celaya site (not purchased through you)",
    """
    Hi,

    The SonicWall at our Celaya warehouse came from our US headquarters, it's not one of the units we
    bought through IMAGEN TI. Could you review its content filter anyway? Not urgent.
    """,
    "The client says this unit is not a solution acquired from IMAGEN TI: out of scope; 'not urgent': leve.",
    limit="otro_software",
)


# === More explicit statements and traps ======================================

m(
    "leve",
    "raul",
    "LinkedIn bloqueado para ventas",
    """
    Buenas tardes,

    No es grave, pero 3 usuarios de ventas no pueden entrar a LinkedIn por el filtro del SonicWall y lo
    usan para prospectar. ¿Se los pueden habilitar?
    """,
    "Client says 'no es grave': leve.",
    incident="bloqueo_web",
)
m(
    "critica",
    "arturo",
    "Portal del banco bloqueado en cobranza",
    """
    Buen día,

    Es crítico para nosotros: las 2 personas de cobranza no pueden entrar al portal empresarial del banco,
    WithSecure lo marca como sitio no seguro. Hoy tenemos que liberar los pagos de los pedimentos.
    """,
    "Client says 'es crítico'; the client's word wins over the two-person impact: critica.",
    incident="bloqueo_web",
)
m(
    "grave",
    "sarah",
    "Urgent: WithSecure isolated the HR file server",
    """
    Hi,

    Urgent: WithSecure flagged ransomware-like behaviour on the HR file share this morning and isolated the
    server. Nothing else shows detections. HR (6 people) can't reach their files.
    """,
    "'Urgent' cue; malware contained to one server, one department: grave.",
    incident="virus_malware",
)
m(
    "grave",
    "gabriela",
    "GRAVE - toda la planta sin internet",
    """
    Buen día,

    Desde las 7:30 toda la planta está sin internet; el SonicWall tiene el LED de prueba encendido y no
    responde a ping. Producción trabaja con el sistema local, pero no salen correos ni facturas.
    """,
    "'GRAVE' in the subject is the client's word, though the whole plant is affected: grave.",
)
m(
    "critica",
    "paty",
    "URGENTE SE CAYO EL INTERNET EN TODA LA EMPRESA",
    """
    URGENTE SE CAYO EL INTERNET EN TODA LA EMPRESA, EL SONICWALL TIENE UNA LUZ ROJA Y NADIE PUEDE TRABAJAR,
    NO PODEMOS DAR SEGUIMIENTO A LOS CAMIONES NI FACTURAR LOS VIAJES.
    """,
    "'Urgente' plus the whole company stopped by the SonicWall: critica.",
    caps=True,
)
m(
    "critica",
    "hector",
    "Re: Exclusión para sistema de punto de venta",
    """
    Daniel:

    Siguiendo con la exclusión que les pedimos el lunes: WithSecure acaba de borrar el ejecutable del punto
    de venta en todas las farmacias. Ninguna sucursal puede vender desde hace 20 minutos.
    """,
    "New text is the outage (every store cannot sell) above a mild quoted request: critica.",
    incident="exclusiones",
    quote=q(
        """\
        Hola Hector, recibido. Agendamos la exclusión para el jueves por la tarde, ya que nos indicas que
        no es urgente.

        Ing. Daniel Ortiz""",
        author="engineer",
        subject="Exclusión para sistema de punto de venta",
        days=2,
    ),
)
m(
    "leve",
    "mariana",
    "Computadora de recepción lenta - ya probamos sin antivirus",
    """
    Buen día,

    La computadora de recepción está muy lenta. Ya desactivamos WithSecure para probar y sigue igual; el
    disco está al 100% con procesos de Windows. ¿Nos pueden ayudar a reinstalar Windows?
    """,
    "The client ruled out WithSecure and asks to reinstall Windows: third-party OS, out of scope: leve.",
    limit="terceros",
)
m(
    "critica",
    "jennifer",
    "Power outage - all servers down",
    """
    Hi,

    We had a power outage in the admin building, the generator didn't start and all servers are down.
    The whole plant is stopped. Can you help us with the electrical panel and the UPS?
    """,
    "An electrical failure: infrastructure, out of scope; the whole plant stopped: critica.",
    limit="infraestructura",
)
m(
    "leve",
    "memo",
    "la conzola no me deja entrar",
    """
    buenas, la conzola de withsecur no me deja entar, me dise contraseña incorecta y ya la puse bien
    barias veses. me la pueden resetear?
    """,
    "A console password reset (typos): leve.",
    incident="contrasenas_consola",
    noacc=True,
)
m(
    "leve",
    "miguel",
    "URGENTE",
    """
    Buenas tardes,

    Perdón por el asunto, en realidad no es urgente: es una consulta. ¿Cuántas licencias de WithSecure nos
    quedan disponibles y nos pueden mandar la llave para instalar en dos equipos más?
    """,
    "The client's own 'no es urgente' overrides the subject's 'URGENTE': leve.",
    incident="llaves_licencia",
)
m(
    "leve",
    "adriana",
    "Prioridad baja: informe de equipos de la notaría",
    """
    Buenas tardes,

    Prioridad baja. Cuando puedan, ¿nos envían el reporte de estatus de los equipos en la consola de
    WithSecure? Lo queremos para el cierre del año.
    """,
    "'Prioridad baja' and a report request: leve.",
    incident="informes_reportes",
)
m(
    "grave",
    "pablo",
    "Exclusión para el DMS de la agencia",
    """
    Buen día,

    WithSecure está deteniendo el servicio del sistema DMS de la agencia (CDK) en los equipos de
    refacciones. Los 5 refaccionarios no pueden surtir órdenes; los de ventas y servicio están bien.
    Necesitamos la exclusión.
    """,
    "WithSecure stops a third-party application's service (in scope); one area of five: grave.",
    incident="exclusiones",
)
m(
    "leve",
    "sofia",
    "RE: URGENTE - Hospital sin red",
    """
    Buenas tardes,

    Todo quedó funcionando, gracias. Para documentar, ¿nos pueden enviar el reporte de la incidencia y los
    equipos en la consola de WithSecure que quedaron sin agente?
    """,
    "New text: a report request; the quoted hospital-wide outage is resolved: leve.",
    incident="informes_reportes",
    quote=q(
        """\
        URGENTE: el hospital está sin red desde las 6:00, el SonicWall no deja pasar nada. Es crítico,
        Urgencias no puede consultar expedientes. Favor de llamar a la extensión 1104.""",
        author="self",
        subject="URGENTE - Hospital sin red",
        days=1,
    ),
    html=True,
)
m(
    "grave",
    "david",
    "Antivirus blocking the packing line labeling app",
    """
    Hi team,

    Since this morning WithSecure blocks the labeling app on the 3 packing line PCs ("Blocked by
    DeepGuard"). The line keeps packing but we're labeling pallets by hand, which slows shipping.
    """,
    "A DeepGuard block on one area's PCs, work slowed: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "claudia",
    "Perfil de Safetica para auditores internos",
    """
    Buenos días,

    ¿Nos pueden crear un perfil en Safetica para los 2 auditores internos, que les permita usar USB
    cifradas pero no servicios de nube? Lo necesitan a partir de enero.
    """,
    "A profile for two users, planned: leve.",
    incident="perfiles_usuario",
)
m(
    "critica",
    "ivan",
    "Es crítico - SCADA bloqueado por WithSecure",
    """
    Ing. Ortiz:

    Es crítico: desde la actualización de firmas de las 11:00 WithSecure bloquea el cliente SCADA en las
    estaciones del centro de control y no tenemos visibilidad de los aerogeneradores. El parque opera en
    modo local.
    """,
    "Client says 'es crítico' (and the control room lost visibility of the whole park): critica.",
    incident="bloqueo_aplicaciones",
)


# ---------------------------------------------------------------------------
# Building the mails.
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
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CTE = {"outlook": "quoted-printable", "gmail": "quoted-printable", "apple": "quoted-printable"}
MAILER = {
    "outlook": ("X-Mailer", "Microsoft Outlook 16.0"),
    "apple": ("X-Mailer", "Apple Mail (2.3826.200.121)"),
    "iphone": ("X-Mailer", "iPhone Mail (22B91)"),
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
    to = DESK if quote.author == "self" else person.addr
    prog, en = person.program, person.lang == "en"
    if quote.forward:
        if prog == "gmail":
            head = "---------- Forwarded message ---------" if en else "---------- Mensaje reenviado ---------"
            return (
                f"{head}\nDe: {name} <{addr}>\nDate: {when_es(when)}\nSubject: {quote.subject}\nTo: <{to}>\n\n"
                f"{quote.text}"
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
        return (
            f"________________________________\nDe: {name} <{addr}>\nEnviado el: {when_es_long(when)}\n"
            f"Para: {to}\nAsunto: {quote.subject}\n\n{quote.text}"
        )
    if prog == "outlook":
        if en:
            return (
                f"________________________________\nFrom: {name} <{addr}>\nSent: {when_en(when)}\nTo: {to}\n"
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
        box = f"{rng.choice(['SJ0PR', 'MN2PR', 'BY5PR', 'DM6PR', 'CH2PR'])}{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}"
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
    """n send times from October to mid-December 2026, mostly in business hours, in order."""
    start = datetime(2026, 10, 5, tzinfo=MX)
    closed = {datetime(2026, 11, 16, tzinfo=MX).date()}  # Revolution Day (third Monday of November)
    out = []
    for _ in range(n):
        while True:
            day = start + timedelta(days=rng.randint(0, 74))
            odd = rng.random() < 0.08  # a few after hours or on a weekend
            if odd or (day.weekday() < 5 and day.date() not in closed):
                break
        hour = rng.choice([7, 20, 21, 22]) if odd else rng.randint(8, 18)
        out.append(day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59)))
    return sorted(out)


def build(case: Case, when: datetime, rng: random.Random) -> bytes:
    person = PEOPLE[case.who]
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
        else:
            earlier = when - timedelta(minutes=rng.randint(20, 90))
        text += "\n\n" + history(case.quote, person, earlier)
        if not case.quote.forward:
            in_reply_to = message_id(rng, person)
    text += "\n"

    msg = EmailMessage()
    msg["From"] = formataddr((person.name, person.addr))
    msg["To"] = DESK
    if case.cc or rng.random() < 0.12:
        msg["Cc"] = formataddr(person.colleague[:1] + (person.colleague_addr,))
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
    if case.html or (person.program in ("outlook", "apple") and rng.random() < 0.15):
        msg.add_alternative(to_html(text), subtype="html", charset="utf-8", cte="quoted-printable")
        msg.set_boundary(f"----=_NextPart_{rng.getrandbits(64):016X}")
    return msg.as_bytes(policy=policy.default)


# ---------------------------------------------------------------------------
# Split, numbering, labels.
# ---------------------------------------------------------------------------


def kind(case: Case) -> str:
    return case.limit or case.incident or "otro"


def assign_splits(cases: list[Case]) -> None:
    """Every other mail of each kind (its limit, else its incident, else "otro") goes to heldout.

    Within a kind the mails are ordered by severity before alternating, so both halves get the same
    mix; whether a kind starts in dev or in heldout is chosen, kind by kind, to keep the halves'
    severity counts even (otherwise the first mail of every kind, often its critica, lands in dev).
    """
    by_kind: dict[str, list[Case]] = {}
    for case in cases:
        by_kind.setdefault(kind(case), []).append(case)
    count = {(half, sev): 0 for half in ("dev", "heldout") for sev in SEVERITIES}

    def imbalance(extra: dict) -> int:
        return sum(
            abs(count["dev", sev] + extra.get(("dev", sev), 0) - count["heldout", sev] - extra.get(("heldout", sev), 0))
            for sev in SEVERITIES
        )

    for name in sorted(by_kind):
        group = sorted(by_kind[name], key=lambda c: SEVERITIES.index(c.severity))  # stable
        options = []
        for first in ("dev", "heldout"):
            other = "heldout" if first == "dev" else "dev"
            halves = [first if i % 2 == 0 else other for i in range(len(group))]
            extra: dict = {}
            for case, half in zip(group, halves, strict=True):
                extra[half, case.severity] = extra.get((half, case.severity), 0) + 1
            options.append((imbalance(extra), first != "dev", halves))
        _, _, halves = min(options)
        for case, half in zip(group, halves, strict=True):
            case.split = half
            count[half, case.severity] += 1


def check(cases: list[Case]) -> None:
    for case in cases:
        assert case.severity in SEVERITIES, case
        assert case.who in PEOPLE, case
        assert case.limit is None or case.limit in LIMITS, case
        assert case.incident is None or case.incident in INCIDENTS, case
        assert not (case.limit and case.incident), case
    for half in ("dev", "heldout"):
        mine = [c for c in cases if c.split == half]
        assert {c.severity for c in mine} == set(SEVERITIES), half
        assert {c.limit for c in mine if c.limit} == set(LIMITS), half
        assert {c.incident for c in mine if c.incident} == set(INCIDENTS), half


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def labels_toml(numbered: list[tuple[str, Case]]) -> str:
    lines = [
        "# Labels of the classification evaluation set (see README.md in this folder).",
        "# Written from IMAGEN TI's support terms, not from mailbot's rules; generated by make.py.",
        "# severity: critica | grave | leve",
        "# out_of_scope: true when the mail asks for something the terms' LIMITANTES DEL SERVICIO exclude",
        f"# limit (only when out of scope): {' | '.join(LIMITS)}",
        f"# incident (when it is one of the 15 INCIDENTES MAS COMUNES): {' | '.join(INCIDENTS)}",
        "# split: dev (rules may be written against it) | heldout (never look at it while writing rules)",
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
        lines.append(f"split = {toml_str(case.split)}")
        lines.append(f"why = {toml_str(case.why)}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    rng = random.Random(SEED)
    cases = list(CASES)
    assign_splits(cases)
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


def summary(cases: list[Case]) -> str:
    """The counts table of README.md: dev / heldout / all, per severity, scope, limit and incident."""

    def row(title: str, pick) -> str:
        n = [sum(1 for c in cases if pick(c) and c.split == half) for half in ("dev", "heldout")]
        return f"| {title} | {n[0]} | {n[1]} | {n[0] + n[1]} |"

    lines = ["| | dev | heldout | all |", "| --- | ---: | ---: | ---: |", row("mails", lambda c: True)]
    lines += [row(f"severity {sev}", lambda c, sev=sev: c.severity == sev) for sev in SEVERITIES]
    lines.append(row("in scope", lambda c: not c.limit))
    lines.append(row("out of scope", lambda c: bool(c.limit)))
    lines += [row(f"limit `{name}`", lambda c, name=name: c.limit == name) for name in LIMITS]
    lines += [row(f"incident `{name}`", lambda c, name=name: c.incident == name) for name in INCIDENTS]
    lines.append(row("in scope, none of the 15", lambda c: not c.limit and not c.incident))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
