"""Write the third classification set: ``mails/NNN.eml`` and ``labels.toml``.

A third, independent set next to ``tests/data/classify`` and ``tests/data/classify-fresh``:
new client companies, new people, new cases. The cases below were written from the
customer's support terms only (``reference/terminos-soporte-imagenti.txt``: CRITICIDAD
DE INCIDENCIAS, INCIDENTES MAS COMUNES, LIMITANTES DEL SERVICIO) and the severity rule
of README.md. Nobody writing them opened mailbot's rules, classifier or benchmark, or
ran any classifier on these mails.

Each case is the client's new text, its subject, who wrote it and how (reply with quoted
history, forward, HTML part, no accents, ALL CAPS, typos, English), and the label an
IMAGEN TI engineer would give it, with a one-line reason.

Run from the repository root; the output is deterministic (fixed seed, fixed MIME
boundaries, fixed dates), so running it again rewrites the same bytes:

    .venv/bin/python tests/data/classify-third/make.py

The mail-building helpers are copied from ``tests/data/classify-fresh/make.py`` so the
three sets look alike on the wire (mail programs, headers, reply and forward formats,
transfer encodings); this folder does not import from the others.
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
SEED = 20270405

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
# None of them appears in tests/data/classify or tests/data/classify-fresh.
# ---------------------------------------------------------------------------

DISCLAIMERS = {
    "conf": (
        "La información de este correo es confidencial y está dirigida únicamente a su destinatario. "
        "Si usted no es el destinatario, le pedimos notificarlo al remitente y eliminar el mensaje."
    ),
    "privacidad": "Conozca nuestro Aviso de Privacidad en https://www.{domain}/privacidad",
    "hospital": (
        "Este mensaje puede contener datos clínicos de pacientes. Su uso está restringido al personal "
        "autorizado de {company}; si lo recibió por error, destrúyalo."
    ),
    "legal": (
        "Este correo está protegido por el secreto profesional abogado-cliente. Si lo recibió por error, "
        "no lo copie ni lo reenvíe y avísenos por esta misma vía."
    ),
    "kaspersky": "Mensaje analizado por Kaspersky Security for Mail Server. Libre de virus.",
    "en": (
        "CONFIDENTIALITY NOTICE: This e-mail, including any attachments, is for the sole use of the intended "
        "recipient(s) and may contain confidential information."
    ),
    "en_urgent": (
        "This mailbox is monitored Monday to Friday. For urgent client escalations outside business hours "
        "call our 24/7 line +52 (33) 4000 9100."
    ),
    "papel": "Antes de imprimir este correo, piense si es realmente necesario.",
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
            first = next(
                w for w in self.name.split() if not w.endswith(".") and w not in ("MVZ", "Mtro", "Mtra", "Dra", "Dr")
            )
            sent = "Sent from my iPhone" if self.lang == "en" else "Enviado desde mi iPhone"
            return f"{self.closing}\n{first}\n\n{sent}"
        lines = [self.closing, "", self.name, self.title, self.company]
        if self.phone:
            lines.append(("Tel. " if self.lang == "es" else "Phone: ") + self.phone)
        lines.extend(self.extra)
        out = "\n".join(lines)
        for key in self.disclaimers:
            out += "\n\n" + DISCLAIMERS[key].format(domain=self.domain, company=self.company.split(",")[0])
        return out


def P(name, local, domain, company, title, phone, colleague, **kw) -> Person:
    return Person(name, local, domain, company, title, phone, colleague=colleague, **kw)


PEOPLE = {
    "nadia": P(
        "Nadia Cordero Ruvalcaba",
        "ncordero",
        "ceramicatonala.com.mx",
        "Cerámica Artesanal Tonalá, S.A. de C.V.",
        "Coordinadora de Sistemas",
        "(33) 3683 2045 ext. 21",
        ("Iván Ponce", "iponce"),
        closing="Saludos cordiales.",
        disclaimers=("papel",),
    ),
    "efren": P(
        "Efrén Villegas",
        "efren.villegas",
        "fumigacioneselbosque.com.mx",
        "Fumigaciones El Bosque",
        "Administrador",
        "(55) 5871 3302",
        ("Marisol Trejo", "mtrejo"),
        program="gmail",
        closing="saludos",
        extra=("Eliminamos plagas, virus y bacterias de su negocio. Servicio urgente 24 h: 55 1209 7788",),
    ),
    "elisa": P(
        "Dra. Elisa Montaño Ibáñez",
        "emontano",
        "hcarmentoluca.com.mx",
        "Hospital del Carmen de Toluca",
        "Subdirectora de Informática Médica",
        "(722) 215 0900 ext. 1180",
        ("Dr. Saúl Benítez", "sbenitez"),
        closing="Quedo atenta, saludos.",
        disclaimers=("hospital",),
        extra=("Urgencias y Terapia Intensiva 24/7: (722) 215 0911",),
    ),
    "ulises": P(
        "Ulises Paredes",
        "uparedes",
        "molinosdelcentro.com.mx",
        "Molinos y Harinas del Centro, S.A. de C.V.",
        "Jefe de Sistemas",
        "(461) 615 3030",
        ("Ing. Gisela Amador", "gamador"),
        program="thunderbird",
        closing="Saludos",
    ),
    "marisa": P(
        "Lic. Marisa Vidal Cuevas",
        "mvidal",
        "vidalcuevas.com.mx",
        "Vidal Cuevas Abogados, S.C.",
        "Socia",
        "55 5207 4410",
        ("Lic. Tadeo Espinoza", "tespinoza"),
        program="apple",
        closing="Saludos cordiales,",
        disclaimers=("legal",),
        extra=("Especialistas en migración, visas, naturalización y amparo.",),
    ),
    "chava": P(
        "Salvador Arriaga",
        "chava.arriaga",
        "llanterarriaga.com.mx",
        "Llantera y Servicio Arriaga",
        "Dueño",
        "(477) 771 0456",
        ("Kari Arriaga", "karriaga"),
        program="gmail",
        closing="saludos",
    ),
    "renata": P(
        "Lic. Renata Aguayo Bravo",
        "raguayo",
        "cbcumbres.com.mx",
        "Colegio Bilingüe Cumbres de Xalapa",
        "Coordinadora de Tecnología Educativa",
        "(228) 812 6540 ext. 30",
        ("Mtro. Efraín Lagunes", "elagunes"),
        closing="Saludos.",
        disclaimers=("privacidad",),
    ),
    "rigo": P(
        "Rigoberto Tapia",
        "rtapia",
        "autotransdelmayo.com.mx",
        "Autotransportes Del Mayo, S.A. de C.V.",
        "Jefe de Monitoreo y Sistemas",
        "(644) 410 2200 ext. 15",
        ("Noemí Acosta", "nacosta"),
        closing="Saludos.",
        extra=("Centro de Monitoreo GPS 24/7. Reporte el robo de una unidad de manera URGENTE al 800 122 6629",),
    ),
    "ximena": P(
        "Q.F.B. Ximena Castellanos",
        "xcastellanos",
        "lfaltavista.com.mx",
        "Laboratorios Farmacéuticos Altavista",
        "Analista de Infraestructura y Validación de Sistemas (CSV)",
        "(55) 5390 1200 ext. 344",
        ("Q.F.B. Héctor Lugo", "hlugo"),
        closing="Saludos cordiales.",
        extra=("Farmacovigilancia: reporte las reacciones adversas graves al 800 909 1200",),
    ),
    "benito": P(
        "Ing. Benito Caballero",
        "bcaballero",
        "aceroslaguna.com.mx",
        "Aceros Planos de La Laguna, S.A. de C.V.",
        "Gerente de Tecnologías de Información",
        "(871) 729 4000 ext. 410",
        ("Ing. Mayra Escobedo", "mescobedo"),
        closing="Saludos.",
        extra=("Acero para proyectos críticos de infraestructura.",),
    ),
    "lupe": P(
        "Guadalupe Marín",
        "gmarin",
        "panlaespiga.com.mx",
        "Panificadora La Espiga",
        "Asistente de Dirección",
        "(222) 246 1180",
        ("Ramón Marín", "rmarin"),
        program="iphone",
        closing="Gracias",
    ),
    "german": P(
        "Germán Ortiz Lozada",
        "gortiz",
        "calzadoleonel.com.mx",
        "Calzado Leonel de León, S.A. de C.V.",
        "Encargado de Sistemas",
        "(477) 712 8890",
        ("Cecilia Muñiz", "cmuniz"),
        closing="Saludos",
    ),
    "itandehui": P(
        "Itandehui Santiago",
        "itandehui.santiago",
        "cafesoconusco.com.mx",
        "Café de Altura Soconusco",
        "Administración y Sistemas",
        "(962) 625 1133",
        ("Josué Gálvez", "jgalvez"),
        program="gmail",
        closing="Saludos!",
    ),
    "armando": P(
        "Lic. Armando Quezada",
        "aquezada",
        "empenoslaestrella.com.mx",
        "Casa de Empeño La Estrella",
        "Gerente de Operaciones",
        "(81) 8340 2211",
        ("Lic. Yesenia Corral", "ycorral"),
        closing="Atentamente,",
        disclaimers=("conf",),
    ),
    "rebeca": P(
        "Rebeca Lomas",
        "rlomas",
        "radiosierramadre.com.mx",
        "Grupo Radiofónico Sierra Madre",
        "Ingeniera de Transmisión y Sistemas",
        "(614) 410 9090",
        ("Fidel Zárate", "fzarate"),
        program="thunderbird",
        closing="Saludos",
    ),
    "teodoro": P(
        "Ing. Teodoro Balam",
        "tbalam",
        "tgprogreso.com.mx",
        "Terminal Granelera de Progreso",
        "Jefe de TI",
        "(969) 934 5500 ext. 230",
        ("Ing. Wilma Canul", "wcanul"),
        closing="Saludos cordiales.",
    ),
    "susana": P(
        "C.P. Susana Echeverría",
        "secheverria",
        "tierraroja.com.mx",
        "Tequilera Tierra Roja",
        "Contralora",
        "(374) 742 0150",
        ("Lic. Simón Bravo", "sbravo"),
        program="apple",
        closing="Saludos,",
    ),
    "nacho": P(
        "Ignacio Mejía",
        "nacho.mejia",
        "floresvillaguerrero.com.mx",
        "Exportadora de Flores Villa Guerrero",
        "Sistemas",
        "(714) 146 0321",
        ("Rosy Mejía", "rmejia"),
        program="gmail",
        closing="saludos",
    ),
    "consuelo": P(
        "Lic. Consuelo Barajas",
        "cbarajas",
        "funeralessanjudas.com.mx",
        "Funerales San Judas",
        "Gerente Administrativa",
        "(33) 3617 4020",
        ("Abel Garduño", "agarduno"),
        closing="Saludos cordiales.",
        extra=("Previsión funeraria: porque lo urgente no debe tomarle por sorpresa.",),
    ),
    "damian": P(
        "Damián Esquivel",
        "desquivel",
        "fuerzatotal.com.mx",
        "Gimnasios Fuerza Total",
        "TI",
        "",
        ("Yahir Rubio", "yrubio"),
        program="gmail",
        closing="Saludos",
    ),
    "estela": P(
        "Ing. Estela Gamboa",
        "egamboa",
        "elmanantial.com.mx",
        "Embotelladora El Manantial",
        "Jefa de Sistemas y Automatización",
        "(443) 323 7600 ext. 140",
        ("Ing. Raymundo Ceja", "rceja"),
        closing="Saludos.",
        extra=("Ruta crítica 2027: cero paros no programados.",),
    ),
    "joaquin": P(
        "Joaquín Sepúlveda",
        "jsepulveda",
        "elnoreste.com.mx",
        "Diario El Noreste",
        "Jefe de Sistemas",
        "(81) 8150 3300 ext. 612",
        ("Lorenza Cepeda", "lcepeda"),
        program="thunderbird",
        closing="Saludos",
    ),
    "cristina": P(
        "Cristina Oropeza",
        "coropeza",
        "meridianorenta.com.mx",
        "Arrendadora Vehicular Meridiano",
        "Coordinadora de Sistemas",
        "(998) 881 4470",
        ("Gonzalo Retana", "gretana"),
        closing="Saludos",
        disclaimers=("conf",),
    ),
    "anselmo": P(
        "Mtro. Anselmo Trujillo",
        "atrujillo",
        "ualtiplano.com.mx",
        "Universidad del Altiplano Potosino",
        "Director de Tecnologías de Información",
        "(444) 826 1500 ext. 2200",
        ("Mtra. Irma Saldaña", "isaldana"),
        closing="Atentamente,",
        extra=("Departamento de Desarrollo de Software y Migración de Plataformas Educativas",),
    ),
    "homero": P(
        "Lic. Homero Guzmán",
        "hguzman",
        "escudoseguridad.com.mx",
        "Escudo Seguridad Privada, S.A. de C.V.",
        "Coordinador de Sistemas",
        "(55) 5588 0120",
        ("Cmdte. Lázaro Nieto", "lnieto"),
        closing="Saludos.",
        extra=("Central de monitoreo 24 h: reporte emergencias graves al 800 237 2834",),
        disclaimers=("kaspersky",),
    ),
    "ofelia": P(
        "Ing. Ofelia Sandoval",
        "osandoval",
        "mcerroprieto.com.mx",
        "Minera Cerro Prieto, S.A. de C.V.",
        "Superintendente de TI",
        "(662) 259 7100 ext. 505",
        ("Ing. Bernardo Fierro", "bfierro"),
        closing="Saludos cordiales.",
    ),
    # --- US-owned plants and firms in Mexico, writing in English ---
    "dana": P(
        "Dana Whitfield",
        "dwhitfield",
        "ridgelineauto.com.mx",
        "Ridgeline Automotive Interiors de México",
        "IT Manager",
        "+52 (449) 910 4300",
        ("Jorge Almaraz", "jalmaraz"),
        lang="en",
        closing="Best regards,",
        disclaimers=("en",),
    ),
    "tyler": P(
        "Tyler Brooks",
        "tbrooks",
        "cascadereynosa.com.mx",
        "Cascade Appliance Components Reynosa",
        "Site IT Lead",
        "+52 (899) 930 1800",
        ("Liliana Reyna", "lreyna"),
        program="gmail",
        lang="en",
        closing="Thanks,",
    ),
    "megan": P(
        "Megan Castillo-Hart",
        "mhart",
        "harborviewcx.com.mx",
        "Harborview Customer Solutions Guadalajara",
        "Operations Director",
        "+52 (33) 4000 9000",
        ("Ana Sofía Quiñones", "aquinones"),
        program="apple",
        lang="en",
        closing="Thanks so much,",
        disclaimers=("en_urgent",),
    ),
    "nathan": P(
        "Nathan Reed",
        "nreed",
        "pinecresttj.com.mx",
        "Pinecrest Electronics Tijuana",
        "IT Supervisor",
        "+52 (664) 647 2500 ext. 3120",
        ("Omar Ybarra", "oybarra"),
        lang="en",
        closing="Regards,",
        extra=("1,000 days without a critical customer escape!",),
    ),
    "helen": P(
        "Helen Vogel",
        "hvogel",
        "vogelpack.com.mx",
        "Vogel Packaging de México",
        "Plant Controller",
        "+52 (442) 290 6600",
        ("Rubén Alarcón", "ralarcon"),
        program="iphone",
        lang="en",
        closing="Thanks",
    ),
    "curtis": P(
        "Curtis Lang",
        "clang",
        "mesaverdeproduce.com.mx",
        "Mesa Verde Produce Distributors",
        "IT Generalist",
        "+52 (667) 760 2300",
        ("Maribel Osorio", "mosorio"),
        program="thunderbird",
        lang="en",
        closing="Thanks,",
    ),
}

IMAGENTI = ("Soporte IMAGEN TI", DESK)
ENGINEER = ("Ing. Leonardo Quintanar | IMAGEN TI", "leonardo.quintanar@imagenti.mx")


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
    day: str | None = None  # "2027-05-12" when the text names a date


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
    "nadia",
    "Laptop de la diseñadora muy lenta por OneDrive",
    """
    Buenos días,

    La laptop de Paulina, de diseño, está muy lenta desde que le activamos la sincronización de OneDrive con
    la carpeta de catálogos (unos 60 GB de fotos). En el administrador de tareas el que se come el disco y
    el procesador es OneDrive; le pausamos el WithSecure media hora para probar y siguió igual de lenta.

    ¿Nos pueden ayudar a configurar OneDrive para que no sincronice todo? Ella sigue trabajando, nada más
    se le traba un poco.
    """,
    "Slowness caused by OneDrive (office software), WithSecure ruled out; one user still working: leve.",
    limit="terceros",
)
m(
    "grave",
    "dana",
    "Outlook crashing for the purchasing team after Office update",
    """
    Hi,

    Since the Office update that went out Tuesday night, Outlook crashes for the 8 people in Purchasing
    every time they open a message with a PDF attached. They can't send POs to suppliers from their own
    mailboxes; they're using webmail, which is slow for them.

    Outlook starts fine in safe mode, and we checked the WithSecure console: no detections, no blocks on
    those PCs. Could you help us figure out what's wrong with Office?
    """,
    "Outlook (office software) failing after an Office update, WithSecure ruled out; eight buyers hampered: grave.",
    limit="terceros",
)
m(
    "critica",
    "armando",
    "Ninguna sucursal puede registrar empeños - ESET borró archivo del sistema",
    """
    Buenos días,

    Hoy a las 9:10 el antivirus ESET que todavía tienen las computadoras de las 38 sucursales (ustedes nos
    vendieron WithSecure solo para el corporativo, las sucursales siguen con el ESET que compramos hace
    años por nuestra cuenta) puso en cuarentena una librería del sistema prendario. Desde entonces ninguna
    sucursal puede registrar empeños ni refrendos, y tenemos filas de clientes en todas.

    En el corporativo, con WithSecure, el sistema funciona normal. ¿Nos pueden ayudar a sacar el archivo de
    la cuarentena de ESET y a configurarlo para que no vuelva a pasar?
    """,
    "A third-party antivirus (ESET, not bought from IMAGEN TI) breaks the business system in every "
    "branch; no branch can lend: critica.",
    limit="terceros",
    hour=10,
)
m(
    "leve",
    "efren",
    "no jala la huella en la laptop",
    """
    que tal buenas tardes

    en mi laptop ya no jala el lector de huella para entrar a windows, dice "no pudimos encontrar un
    sensor de huellas dactilares compatible con Windows Hello". desde la actualizacion de la semana
    pasada. entro con el pin y si puedo trabajar normal, pero es mas rapido con la huella

    me ayudan a arreglarlo? grax
    """,
    "Windows Hello fingerprint sign-in broken after a Windows update (the OS); one user with a PIN workaround: leve.",
    limit="terceros",
    noacc=True,
)
m(
    "leve",
    "tyler",
    "Windows Firewall on the lab test PC",
    """
    Hi guys,

    No rush on this one. We have a standalone PC in the reliability lab that isn't on the domain and has no
    WithSecure (it only runs the humidity chamber software). The chamber vendor says Windows Defender
    Firewall on that PC is blocking TCP 4840 and their remote monitoring can't connect.

    Could you open that port in Windows Firewall for us? We tried and the rule didn't seem to stick.
    """,
    "Windows Defender Firewall on a PC without WithSecure is the OS, not the SonicWall; 'No rush': leve.",
    limit="terceros",
)
m(
    "grave",
    "joaquin",
    "Word dice producto no activado en la redacción",
    """
    Buenas tardes,

    Desde ayer a 6 reporteros de la sección de Deportes les aparece en Word y en Excel la barra roja de
    "Producto no activado" y ya no los deja editar documentos, solo leerlos. Están escribiendo sus notas en
    el Bloc de notas y pasándolas a los editores por correo.

    En el portal de Microsoft 365 aparecen con licencia asignada. El antivirus y el SonicWall no marcan
    nada. ¿Nos pueden ayudar a reactivar Office en esos equipos?
    """,
    "Office activation (office software) failing for six reporters, nothing from WithSecure or the "
    "SonicWall; one section hampered: grave.",
    limit="terceros",
)

# --- parchado: patching the client's systems ------------------------------

m(
    "leve",
    "ximena",
    "Actualizaciones acumulativas de SQL Server del LIMS",
    """
    Buenos días,

    En la auditoría interna de sistemas computarizados nos observaron que el SQL Server 2016 del servidor
    del LIMS no tiene las actualizaciones de seguridad de los últimos dos años. Tenemos plazo de 60 días
    para cerrar la observación.

    ¿Ustedes podrían aplicar esas actualizaciones en una ventana de mantenimiento un sábado? Tendríamos que
    coordinarlo con Calidad para la revalidación.
    """,
    "Applying SQL Server security updates is vulnerability patching; 60 days of time, nothing down: leve.",
    limit="parchado",
)
m(
    "critica",
    "nathan",
    "This is critical - HQ will disconnect us unless servers are patched",
    """
    Hello,

    This is critical for us. Corporate security ran a scan last week and our 14 Windows servers are missing
    the last three months of security updates. Their deadline is Friday 6 pm: any site that still has
    servers with the flagged vulnerabilities gets disconnected from the global WAN, which means no ERP, no
    shipping labels, nothing.

    Can your team help us apply the patches on all 14 servers this week? We can give you after-hours
    windows every night.
    """,
    "Installing Windows security updates on servers is vulnerability patching; the client says 'This is "
    "critical': critica.",
    limit="parchado",
)
m(
    "grave",
    "ulises",
    "Urgente: firmware vulnerable en las cámaras IP",
    """
    Buenas tardes,

    Les reenvío el resultado del escaneo que nos hizo el corporativo. Las 24 cámaras IP Hikvision de los
    silos y del patio tienen un firmware con una vulnerabilidad publicada y nos piden actualizarlas.

    Es urgente porque el corporativo quiere la evidencia esta semana. ¿Nos pueden apoyar a actualizar el
    firmware de las cámaras?
    """,
    "Updating camera firmware for a published vulnerability is patching; 'Es urgente' and nothing down: grave. "
    "The scan's 'Crítica' rates a finding, in forwarded text.",
    limit="parchado",
    quote=fwd(
        """
        Ulises:

        Te comparto los hallazgos de la planta Celaya del escaneo trimestral.

        Severidad: Crítica
        Activos: 24 cámaras IP Hikvision (VLAN 30)
        Hallazgo: firmware con vulnerabilidad de ejecución remota de comandos
        Acción: actualizar firmware y enviar evidencia

        Seguridad de la Información Corporativa
        """,
        author="Seguridad Corporativa <seguridad@molinosdelcentro.com.mx>",
        subject="Hallazgos escaneo trimestral - Celaya",
        days=2,
    ),
)
m(
    "leve",
    "renata",
    "Actualizar PHP del servidor de la página del colegio",
    """
    Buenas tardes,

    El proveedor que nos hizo la página del colegio nos avisó que el servidor donde está hospedada tiene
    PHP 7.4 y que esa versión ya tiene vulnerabilidades conocidas sin corregir. La página funciona bien.

    ¿Ustedes nos podrían ayudar a actualizar PHP en ese servidor durante las vacaciones de verano?
    """,
    "Upgrading PHP on the client's web server for known vulnerabilities is patching; nothing down: leve.",
    limit="parchado",
)
m(
    "leve",
    "cristina",
    "iPhones de los agentes de ventas sin actualizar",
    """
    Buenos días,

    En la revisión de seguridad que nos hizo el banco para renovar la línea de crédito, salió que 14 iPhones
    de los agentes de renta tienen versiones de iOS con vulnerabilidades ya corregidas por Apple. Nos piden
    que los actualicemos antes de fin de mes.

    ¿Nos pueden ayudar a instalarles las actualizaciones de seguridad? Los agentes los usan normal.
    """,
    "Installing iOS security updates on phones is vulnerability patching; nothing interrupted: leve.",
    limit="parchado",
)
m(
    "grave",
    "homero",
    "RV: Hallazgos auditoría de seguridad - servidor de videovigilancia",
    """
    Buenos días,

    Les reenvío lo que nos mandó el banco al que le damos servicio de vigilancia. El servidor de nuestro
    software de videovigilancia tiene Windows Server 2012 sin parches desde 2023 y nos piden parcharlo para
    renovar el contrato.

    Lo consideramos grave: sin la renovación perdemos a nuestro principal cliente. ¿Nos ayudan a aplicar los
    parches que falten este fin de semana?
    """,
    "Patching the client's Windows server is vulnerability patching; the client says 'Lo consideramos "
    "grave' (the bank's 'CRÍTICO' is in forwarded text): grave.",
    limit="parchado",
    quote=fwd(
        """
        Estimado proveedor:

        Como resultado de la auditoría anual a proveedores, se identificó el siguiente hallazgo:

        Hallazgo CRÍTICO 2027-07: el servidor VMS-01 (Windows Server 2012) carece de actualizaciones de
        seguridad. Se requiere evidencia de remediación antes de la renovación del contrato.

        Gerencia de Riesgo Tecnológico
        """,
        author="Riesgo Tecnológico <riesgo.proveedores@bancosierraazul.com.mx>",
        subject="Hallazgos auditoría de seguridad - servidor de videovigilancia",
        days=4,
    ),
)

# --- migracion: moving or integrating applications ------------------------

m(
    "leve",
    "marisa",
    "Pasar los expedientes del servidor a SharePoint",
    """
    Buenas tardes:

    Queremos dejar de usar el servidor viejo del despacho y pasar todos los expedientes (unos 300 GB) a
    SharePoint de Microsoft 365, con las mismas carpetas y permisos por abogado.

    ¿Ustedes nos pueden hacer la migración? No hay prisa, el servidor todavía funciona; la idea es hacerlo
    en julio.
    """,
    "Moving the firm's files from a server to SharePoint is a migration; planned, nothing down: leve.",
    limit="migracion",
)
m(
    "grave",
    "estela",
    "Urgente: integrar el sistema de básculas con SAP",
    """
    Buenos días,

    Necesitamos que el sistema de las básculas de embarque mande automáticamente el peso de cada tráiler a
    SAP Business One; hoy dos personas de embarques lo capturan a mano y se están equivocando en las
    remisiones.

    Es urgente, el cliente principal nos está rechazando remisiones. ¿Ustedes pueden hacer esa integración?
    """,
    "Integrating the scale system with SAP is application integration; 'Es urgente': grave.",
    limit="migracion",
)
m(
    "leve",
    "curtis",
    "Connecting our WMS to the carrier's API",
    """
    Hi,

    We'd like our warehouse management system to send shipment data straight to our main carrier's API
    instead of someone re-typing it into their website. The carrier gave us their API documentation and our
    WMS has an export module.

    Is this something your team could set up for us? It's a project for next quarter.
    """,
    "Connecting the WMS to a carrier API is application integration; a project: leve.",
    limit="migracion",
)
m(
    "critica",
    "susana",
    "Re: Migración del sistema de producción al servidor nuevo",
    """
    Buenos días,

    El proveedor del sistema de producción hizo la migración anoche al servidor nuevo y se fue. Desde las 7
    ninguna terminal de la planta ni de embarques se conecta a la base de datos nueva: la línea de envasado
    está detenida y no podemos liberar ni facturar ningún pedido.

    No contesta el teléfono. Ya revisamos con ustedes la semana pasada que el SonicWall y el antivirus no
    bloquean nada entre la red y el servidor nuevo. ¿Nos pueden ayudar a terminar de apuntar las
    terminales al servidor nuevo?
    """,
    "Finishing a migration the software vendor left half done (SonicWall and antivirus ruled out); "
    "production and invoicing stopped: critica.",
    limit="migracion",
    quote=q(
        """
        Contadora Echeverría:

        Le confirmamos que la migración de la base de datos al servidor nuevo quedó concluida con éxito. A
        partir de mañana las terminales deben trabajar con normalidad.

        Soporte Sistemas Agaveros
        """,
        author="Soporte Sistemas Agaveros <soporte@sistemasagaveros.com.mx>",
        subject="Migración del sistema de producción al servidor nuevo",
        days=1,
        to="secheverria@tierraroja.com.mx",
    ),
)
m(
    "leve",
    "anselmo",
    "Migrar el control escolar de Access a SQL en la nube",
    """
    Buenas tardes,

    El sistema de control escolar de la preparatoria está hecho en Access y ya no aguanta. Queremos pasar
    las tablas a una base SQL en Azure y que Servicios Escolares siga usando sus formularios.

    ¿Ustedes hacen ese tipo de migraciones? Lo planeamos para el próximo semestre.
    """,
    "Moving an Access application to cloud SQL is a migration; planned: leve. The signature's "
    "'Migración' is a department name.",
    limit="migracion",
)
m(
    "grave",
    "tyler",
    "Urgent: moving our label printing app to the new VM",
    """
    Hi,

    Urgent request: IT corporate is shutting down our old label server on Friday and we need the label
    printing application (Loftware) moved to the new virtual machine, with its templates and printer
    connections, before then.

    Labels still print today from the old server. Can someone from your team do the move with us on
    Thursday?
    """,
    "Moving an application to a new server is a migration; 'Urgent', nothing down yet: grave.",
    limit="migracion",
    day="2027-04-13",
)

# --- codigo: developing code -----------------------------------------------

m(
    "leve",
    "damian",
    "macro para juntar los check-ins de las sucursales",
    """
    Hola que tal

    cada sucursal nos manda un excel con los check-ins del dia y aqui los juntamos a mano. ¿ustedes nos
    podrian hacer una macro que junte los 6 archivos en uno y saque el total por hora?

    no es urgente, cuando tengan chance
    """,
    "Writing an Excel macro is code development; 'no es urgente': leve.",
    limit="codigo",
    noacc=True,
)
m(
    "grave",
    "joaquin",
    "El plugin de galerías del sitio no publica",
    """
    Buenos días,

    El plugin de galerías de fotos que programó nuestro desarrollador anterior para el sitio del periódico
    dejó de funcionar: al publicar una galería sale "Fatal error" en la línea 212 del plugin. Los 4
    editores web no pueden publicar galerías desde ayer, solo notas de texto.

    ¿Nos pueden ayudar a corregir el código del plugin?
    """,
    "Fixing the client's own plugin code is code development; four web editors hampered: grave.",
    limit="codigo",
)
m(
    "leve",
    "megan",
    "Script to email a daily summary of SonicWall VPN logins",
    """
    Hi team,

    Not urgent. Could you write us a small script (Python or PowerShell, whatever you prefer) that reads the
    SonicWall VPN login log every morning and emails our supervisors a table of who connected and for how
    long? We'd run it on our reporting server.
    """,
    "Writing a script is code development, even when it reads SonicWall logs; 'Not urgent': leve.",
    limit="codigo",
    html=True,
)
m(
    "critica",
    "rigo",
    "Es crítico: el programa que manda los GPS al cliente dejó de funcionar",
    """
    Buenos días,

    Es crítico. El programita que nos hizo un programador externo hace dos años, que toma las posiciones de
    nuestras unidades y se las manda al portal de nuestro cliente principal cada 5 minutos, dejó de
    funcionar ayer en la noche: marca error de autenticación. El cliente ya nos avisó que si no ve las
    posiciones hoy nos aplica penalización en todos los viajes.

    El programador ya no trabaja con nosotros. ¿Ustedes nos pueden corregir el programa? Tenemos el código
    fuente.
    """,
    "Fixing the client's own program is code development; the client says 'Es crítico': critica.",
    limit="codigo",
    caps=True,
)
m(
    "leve",
    "lupe",
    "Página para pedidos de las sucursales",
    """
    Hola buenas tardes

    El señor Marín pregunta si ustedes nos pueden hacer una pagina sencilla donde las 5 sucursales hagan su
    pedido de pan del dia siguiente, en vez de mandarlo por whatsapp.

    Me dice cuanto costaria
    """,
    "Building a web page is code development; nothing interrupted: leve.",
    limit="codigo",
    noacc=True,
)

# --- modificaciones: altering the client's applications or infrastructure ---

m(
    "leve",
    "cristina",
    "RE: Nueva cláusula de depósito en el contrato",
    """
    Hola,

    Les escribo por lo que comenta Gonzalo abajo. Necesitamos que el sistema de contratos de renta imprima
    la nueva cláusula de depósito en garantía y un campo para la firma del aval. ¿Ustedes pueden hacer ese
    cambio en el sistema? Tenemos hasta el 1 de julio.
    """,
    "Changing the client's contract system is a modification of its applications; a deadline weeks away: leve.",
    limit="modificaciones",
    quote=q(
        """
        Cristina, Jurídico ya aprobó la nueva cláusula de depósito. ¿Ves con sistemas que salga impresa en
        los contratos a partir de julio?

        Gonzalo
        """,
        subject="Nueva cláusula de depósito en el contrato",
        days=2,
    ),
)
m(
    "grave",
    "ofelia",
    "Urgente: ampliar la red al nuevo tajo",
    """
    Buenos días,

    Abrimos el tajo Norte y necesitamos extender la red hasta el comedor y la caseta de despacho nuevos:
    tender fibra desde el taller y poner 3 antenas Ubiquiti punto a punto. Hoy los despachadores de ese
    tajo reportan por radio.

    Es urgente. ¿Nos pueden cotizar y programar el trabajo?
    """,
    "Extending the client's network with new fibre and radio links is an alteration of its infrastructure; "
    "'Es urgente': grave.",
    limit="modificaciones",
)
m(
    "leve",
    "damian",
    "cambio en la app de socios",
    """
    Que tal

    queremos que en la app de socios aparezca el horario de clases de cada sucursal, hoy solo muestra la
    membresia. la app la tenemos con un proveedor que ya no nos contesta. ustedes le pueden meter ese
    cambio?
    """,
    "Changing the client's member app is a modification of its applications; nothing down: leve.",
    limit="modificaciones",
    noacc=True,
)
m(
    "critica",
    "anselmo",
    "Es crítico: cambio del sistema de inscripciones para el nuevo plan",
    """
    Buenos días,

    Es crítico para la universidad. El Consejo aprobó el nuevo plan de estudios de Ingeniería y el sistema
    de inscripciones no lo tiene: no deja inscribir a ningún alumno de primer ingreso a las materias nuevas.
    Las inscripciones abren el lunes para 1,200 alumnos.

    Necesitamos modificar el sistema para que acepte el plan nuevo. ¿Pueden apoyarnos?
    """,
    "Changing the client's enrolment system is a modification of its applications; the client says "
    "'Es crítico': critica.",
    limit="modificaciones",
)
m(
    "leve",
    "dana",
    "Visitor badge page on our intranet",
    """
    Hi,

    We'd like to change the visitor registration page on our intranet so the printed badge shows the new
    plant logo and a QR code with the visitor's host and area. Could your team make that change? Whenever
    you have time is fine.
    """,
    "Changing the client's intranet page is a modification of its applications; nothing down: leve.",
    limit="modificaciones",
)
m(
    "grave",
    "consuelo",
    "Cambio en la agenda de capillas",
    """
    Buenas tardes,

    La agenda de capillas de nuestro sistema interno no permite reservar dos velatorios a la misma hora en
    la sucursal Las Águilas, que ahora tiene dos salas. Las 3 recepcionistas están llevando esa agenda en
    papel y ya tuvimos un empalme con dos familias.

    Lo consideramos grave. ¿Pueden modificar el sistema para que maneje las dos salas?
    """,
    "Changing the client's scheduling system is a modification of its applications; the client says "
    "'Lo consideramos grave': grave.",
    limit="modificaciones",
)

# --- infraestructura: AD, DNS, cabling, electrical -------------------------

m(
    "grave",
    "german",
    "Usuarios de contabilidad se bloquean cada 10 minutos",
    """
    Buenos días,

    Desde el lunes los usuarios de dominio de las 5 personas de Contabilidad se bloquean cada 10 minutos
    ("la cuenta a la que se hace referencia está bloqueada"). Los desbloqueamos en Active Directory y a los
    pocos minutos otra vez. No pueden trabajar seguido.

    En la consola de WithSecure y en el SonicWall no hay nada. ¿Nos ayudan a encontrar qué está bloqueando
    las cuentas?
    """,
    "Active Directory account lockouts, WithSecure and SonicWall ruled out; five accountants hampered: grave.",
    limit="infraestructura",
)
m(
    "critica",
    "megan",
    "All agents down - SIP DNS records deleted",
    """
    Hi,

    At 8:15 someone on our side deleted the DNS zone records for our SIP domain while cleaning up the
    registrar account. Since then none of our 280 agents can log into the softphones and we can't take a
    single call for any of our clients.

    The SonicWall is passing traffic fine; it's the DNS records. Can your team help us rebuild the zone
    right now? We have a screenshot of the old records.
    """,
    "Rebuilding the client's DNS records is an infrastructure problem (DNS), SonicWall ruled out; the "
    "whole call centre stopped: critica.",
    limit="infraestructura",
    hour=9,
)
m(
    "grave",
    "rebeca",
    "Nodos de red muertos desde que pintaron",
    """
    Buenas tardes

    La semana pasada pintaron el tercer piso y desde entonces 7 nodos de red de Producción y de la
    redacción de noticias no dan servicio: la computadora dice "cable de red desconectado" aunque el cable
    está puesto. Movieron los muebles y creo que dañaron las rosetas o el cableado.

    Los 7 compañeros están compartiendo dos computadoras. ¿Pueden mandar a alguien a revisar el cableado?
    """,
    "Damaged UTP cabling is an infrastructure problem; seven people in two areas hampered: grave.",
    limit="infraestructura",
)
m(
    "leve",
    "lupe",
    "Las computadoras de caja dan toques",
    """
    Buenos dias

    En la sucursal Centro las 2 computadoras de caja dan toques cuando las tocan con el brazo. El
    electricista que vino dice que el local no tiene tierra fisica. Las cajas si funcionan.

    ¿Ustedes revisan la instalacion electrica o me recomiendan a alguien?
    """,
    "Missing earthing in the electrical installation is an infrastructure problem; tills still work: leve.",
    limit="infraestructura",
    noacc=True,
)
m(
    "critica",
    "tyler",
    "Plant network dropping every few minutes - switch loop",
    """
    Hi,

    Since 6 am the whole plant network goes down for 30-60 seconds every few minutes. We traced it to a loop
    on our Netgear switches: someone in maintenance plugged a cable between two wall jacks in the paint
    area. We unplugged it but the switches keep flapping, and the SonicWall logs show nothing unusual.

    Production scanning and the MES drop every time, so all four lines are stopped. We don't know how to
    configure spanning tree on those switches. Can you help?
    """,
    "A loop on the client's own (non-SonicWall) switches is an infrastructure problem; the whole plant "
    "stopped: critica.",
    limit="infraestructura",
)
m(
    "leve",
    "ulises",
    "Hora de las computadoras adelantada",
    """
    Buenas tardes,

    No es urgente. Todas las computadoras del dominio tienen la hora 5 minutos adelantada desde hace una
    semana; el servidor controlador de dominio tiene la misma hora mal. El checador de la entrada sí tiene
    la hora bien, así que no afecta la nómina.

    ¿Nos pueden ayudar a configurar bien la sincronización de hora del dominio?
    """,
    "Domain time synchronisation is an Active Directory matter; 'No es urgente': leve.",
    limit="infraestructura",
)

# --- otro_software: software other than the one bought ---------------------

m(
    "leve",
    "consuelo",
    "Conmutador no transfiere llamadas a la sucursal",
    """
    Buenos días,

    El software del conmutador telefónico no está transfiriendo las llamadas de la línea 800 a la sucursal
    Las Águilas; suena ocupado. Desde la recepción del corporativo sí se puede marcar directo a la sucursal.

    ¿Ustedes le saben al conmutador Panasonic?
    """,
    "The phone system's software is not the solution bought; a direct-dial workaround: leve.",
    limit="otro_software",
)
m(
    "grave",
    "armando",
    "Error en el módulo de avalúo en 3 sucursales",
    """
    Buenas tardes,

    En las sucursales Linda Vista, Guadalupe y Apodaca el módulo de avalúo del sistema prendario marca
    "Error 3021: no hay registro actual" al valuar relojes. Pueden valuar oro y electrónicos, pero los
    relojes los están rechazando.

    Ya revisamos: WithSecure no tiene ninguna detección ni bloqueo en esas máquinas. ¿Nos ayudan a revisar
    el sistema?
    """,
    "An error of the client's pawn system with WithSecure ruled out is other software; three branches "
    "partly hampered: grave.",
    limit="otro_software",
)
m(
    "critica",
    "estela",
    "Línea de embotellado parada - licencia del SCADA vencida",
    """
    Buenos días,

    A las 6:00 venció la licencia del SCADA de la línea de embotellado (Wonderware, lo compramos con el
    integrador de la línea) y desde entonces las pantallas de operación no dejan arrancar ningún equipo. La
    planta está parada completa, con pedidos de tres cadenas de autoservicio para hoy.

    El integrador no contesta. ¿Ustedes pueden recuperar o reactivar esa licencia?
    """,
    "A licence of a SCADA bought from another integrator is other software, not a WithSecure/Safetica/"
    "SonicWall key; the whole plant stopped: critica.",
    limit="otro_software",
    hour=8,
)
m(
    "leve",
    "nadia",
    "SketchUp se cierra al abrir los modelos",
    """
    Hola,

    En la computadora de Iván, del área de diseño de piezas, SketchUp sale con la ventana de "BugSplat" y se
    cierra cada vez que abre los modelos de la colección de temporada. Los demás programas le funcionan y
    WithSecure no muestra nada. ¿Nos ayudan a revisarlo? no es urgente, está adelantando en otra
    computadora.
    """,
    "A design program (not the solution bought) failing on one PC; 'no es urgente': leve.",
    limit="otro_software",
    noacc=True,
)
m(
    "grave",
    "helen",
    "Urgent - QuickBooks won't open the company file",
    """
    Hi,

    Urgent please. QuickBooks on my PC won't open our Mexico company file since this morning ("Error
    -6000, -82"). I need it to close the month with the US office.

    WithSecure shows nothing on my PC, I checked with Rubén. Can someone look at it today?
    """,
    "QuickBooks is other software, WithSecure ruled out; one user with 'Urgent': grave.",
    limit="otro_software",
)


# ===========================================================================
# IN SCOPE: the fifteen common incidents (INCIDENTES MAS COMUNES)
# ===========================================================================

# --- computadora_lenta -------------------------------------------------------

m(
    "critica",
    "megan",
    "All agent PCs crawling since this morning's WithSecure update",
    """
    Hi,

    Since the WithSecure update that came down around 8:30, all 280 agent PCs on both floors are crawling:
    the CRM takes a minute to open a customer record and the softphone freezes mid-call. Calls are dropping
    and we're missing the service levels for every client we handle. The PCs were fine yesterday.

    Please have someone look at this right away.
    """,
    "Every agent PC slow after a WithSecure update; the whole call centre cannot serve its clients: critica.",
    incident="computadora_lenta",
    hour=10,
)
m(
    "grave",
    "ximena",
    "Equipos del laboratorio de Control de Calidad muy lentos con el agente",
    """
    Buenos días,

    Desde que se instaló el agente de WithSecure en los 4 equipos del laboratorio de Control de Calidad, el
    software de los cromatógrafos tarda hasta 10 minutos en abrir cada corrida y a veces se congela. Los
    analistas están atrasados con las liberaciones de lote de esta semana.

    ¿Nos pueden revisar la configuración del agente en esos equipos?
    """,
    "Four lab PCs slow since the WithSecure agent, analysts behind: grave. The signature's 'reacciones "
    "adversas graves' is a pharmacovigilance line.",
    incident="computadora_lenta",
)
m(
    "grave",
    "chava",
    "las compus del mostrador bien lentas",
    """
    que onda buenas tardes

    las 3 compus del mostrador andan re lentas desde el lunes, se tardan como 5 min en sacar una nota y los
    clientes esperando. en las 3 el antivirus tiene un circulito girando todo el dia, creo que es el
    withsecure escaneando. me echan la mano?
    """,
    "Three counter PCs slow with WithSecure scanning, customers kept waiting: grave.",
    incident="computadora_lenta",
    caps=True,
    noacc=True,
)
m(
    "leve",
    "rebeca",
    "PC de la cabina lenta durante el escaneo",
    """
    Buenas tardes

    No es crítico, pero sí molesto: la PC de la cabina de producción se pone muy lenta de 12 a 1, que es
    cuando corre el análisis programado de WithSecure. La transmisión no se afecta porque sale de otro
    equipo, pero editar los promocionales en esa hora es desesperante.

    ¿Se puede mover el análisis de esa PC a la madrugada?
    """,
    "One PC slow during the scheduled scan, broadcast unaffected; 'No es crítico' rules out critica and "
    "the impact is one user: leve.",
    incident="computadora_lenta",
)
m(
    "leve",
    "helen",
    "Laptop very slow since the agent update",
    """
    Hi,

    My laptop has been very slow since the WithSecure agent updated on Monday, it takes ages to open
    Excel. Not urgent, I'm traveling until Thursday and can look at it with you when I'm back.
    """,
    "One laptop slow after an agent update; 'Not urgent': leve.",
    incident="computadora_lenta",
)
m(
    "leve",
    "renata",
    "RE: Ticket IMG-2027-0433 - computadora lenta",
    """
    Buenos días,

    Le contesto: es solo la computadora del maestro de música, en el salón de cantos. Empezó a ponerse lenta
    hace dos semanas, sobre todo al arrancar. Ya le reiniciamos y le borramos archivos temporales. Las demás
    computadoras del colegio están bien.
    """,
    "One teacher's PC slow: leve. The quoted questions mention 'criticidad', they rate nothing.",
    incident="computadora_lenta",
    quote=q(
        """
        Estimada Lic. Aguayo:

        Recibimos su reporte de una computadora lenta. Para asignar la criticidad del incidente le pedimos
        nos responda:

        - ¿Cuál es el problema?
        - ¿Cuándo ocurrió el problema?
        - ¿Dónde ocurrió el problema?
        - ¿Cuál es el alcance del problema?
        - ¿Qué han hecho para tratar de resolver el problema?

        Ing. Leonardo Quintanar
        IMAGEN TI
        """,
        author="engineer",
        subject="Ticket IMG-2027-0433 - computadora lenta",
        days=0,
    ),
)
m(
    "leve",
    "anselmo",
    "La computadora de Rectoría tarda en arrancar",
    """
    Buenas tardes,

    No es urgente: la computadora de la asistente de Rectoría tarda casi 8 minutos en arrancar desde que le
    pusieron el agente de Safetica. Una vez que arranca trabaja normal. ¿La pueden revisar esta semana?
    """,
    "One PC slow to start; 'No es urgente': leve. The signature's 'Desarrollo de Software y Migración' "
    "is a department name.",
    incident="computadora_lenta",
)

# --- virus_malware -----------------------------------------------------------

m(
    "critica",
    "benito",
    "Nuestras cuentas están mandando facturas falsas - dominio bloqueado",
    """
    Buenos días,

    Desde anoche varias computadoras de la oficina están enviando correos con "facturas pendientes" y un
    archivo adjunto a nuestros clientes, desde cuentas de nuestra gente. WithSecure ha detectado un
    troyano en 9 equipos y los está aislando, pero sigue apareciendo en otros.

    El proveedor de correo bloqueó nuestro dominio por envío de spam: hoy nadie en la empresa puede mandar
    correos, ni cotizaciones ni facturas a clientes. Necesitamos ayuda inmediata para limpiar la red.
    """,
    "Malware spreading across the office network; the whole company cannot send quotes or invoices: critica. "
    "The signature's 'críticos de infraestructura' is a slogan.",
    incident="virus_malware",
)
m(
    "critica",
    "estela",
    "Virus en las HMI de la línea de embotellado",
    """
    Buenos días,

    Un técnico externo conectó una USB a una de las pantallas HMI de la línea 1 y el virus pasó a las 8 HMI
    de las dos líneas. WithSecure lo está deteniendo, pero las HMI se reinician cada pocos minutos y no
    podemos operar: embotellado detenido en toda la planta desde las 7:30.

    ¿Nos pueden ayudar a limpiar los equipos y a dejar la línea en marcha?
    """,
    "Malware on every line HMI; the whole plant stopped: critica.",
    incident="virus_malware",
    hour=9,
)
m(
    "grave",
    "susana",
    "Páginas de apuestas en las computadoras de ventas",
    """
    Hola,

    Desde ayer en las 5 computadoras de ventas el navegador abre solo páginas de apuestas y de "gana un
    iPhone" cada vez que entran al CRM, y les cambia la página de inicio. Los vendedores casi no han podido
    registrar pedidos. Creemos que alguien instaló algo de una página de descargas.

    ¿Nos ayudan a revisar y limpiar esos equipos?
    """,
    "Adware / browser hijacker on five sales PCs, sales work hampered: grave.",
    incident="virus_malware",
)
m(
    "critica",
    "curtis",
    "This is critical - Trojan on the dispatch PC",
    """
    Hi,

    This is critical. WithSecure just flagged "Trojan.Generic" on the dispatch PC and quarantined a file from
    the shared drive. That PC holds the routing for every truck we send out tomorrow, and we don't know if
    the route files are compromised.

    Please call me as soon as you read this: (667) 760 2300 ext. 14.
    """,
    "A trojan on one PC; the client says 'This is critical': critica.",
    incident="virus_malware",
)
m(
    "leve",
    "efren",
    "me sale que tengo 5 virus",
    """
    buenos dias

    en la compu de la oficina me salio una ventana del navegador con sonido que dice que tengo 5 virus y que
    llame a un numero de microsoft. no llame. cerre el navegador y ya no salio. el withsecure no dijo nada.
    es virus? que hago? la compu si funciona
    """,
    "A scareware pop-up on one PC that still works: leve. The signature's 'virus y bacterias' and "
    "'urgente' are the pest-control business.",
    incident="virus_malware",
    noacc=True,
)
m(
    "leve",
    "marisa",
    "Fwd: URGENTE - documentos de su trámite migratorio",
    """
    Buenas tardes:

    Un cliente nos reenvió este correo que le llegó supuestamente desde mi cuenta, con un enlace para
    "descargar sus documentos". Yo no lo envié. ¿Pueden revisar si mi computadora o mi cuenta tienen algún
    virus? Por lo demás trabajo normal.
    """,
    "A possible compromise of one user's mailbox or PC, she works normally: leve. The forwarded "
    "phishing's 'URGENTE' is not her rating.",
    incident="virus_malware",
    quote=fwd(
        """
        Licenciada, me llegó esto de su correo, ¿es de ustedes?

        URGENTE - documentos de su trámite migratorio

        Estimado cliente: su expediente fue actualizado. Descargue sus documentos antes de 24 horas o su
        trámite será cancelado: https://vidalcuevas-docs.share-files.click/expediente

        Lic. Marisa Vidal Cuevas
        """,
        author="Arturo Benavides <abenavides.consultor@gmail.com>",
        subject="URGENTE - documentos de su trámite migratorio",
        days=0,
        to="mvidal@vidalcuevas.com.mx",
    ),
)
m(
    "leve",
    "dana",
    "WithSecure blocked a phishing link - anything else to do?",
    """
    Hi,

    Yesterday WithSecure blocked a malicious link in an email that reached two of our buyers; the console
    shows "Harmful web page blocked" for both. Neither of them entered a password. Not urgent, but is there
    anything else we should do, like checking those two laptops?
    """,
    "A blocked phishing link, nobody affected, a question; 'Not urgent': leve.",
    incident="virus_malware",
)

# --- bloqueo_web -------------------------------------------------------------

m(
    "critica",
    "armando",
    "Ninguna sucursal entra a la plataforma del precio del oro",
    """
    Buenos días,

    Desde las 9 ninguna de las 38 sucursales puede entrar a la plataforma donde consultamos el precio del oro
    del día; el navegador muestra la página de bloqueo del SonicWall ("Web site blocked by CFS"). Sin ese
    precio los valuadores no pueden prestar sobre alhajas, que es el 80 % de nuestros préstamos.

    ¿Nos pueden desbloquear esa página cuanto antes?
    """,
    "The SonicWall content filter blocks a site every branch needs; no branch can lend: critica.",
    incident="bloqueo_web",
    hour=10,
)
m(
    "critica",
    "rigo",
    "URGENTE - BLOQUEADA LA PÁGINA DE CITAS DEL PUERTO",
    """
    Buenos días,

    URGENTE: ninguno de nuestros despachadores puede entrar a la página de citas de la terminal de
    contenedores del puerto; sale la pantalla de bloqueo del SonicWall. Sin cita no entra ningún tráiler:
    tenemos 60 unidades detenidas en el patio y afuera del puerto.

    Desbloquéenla por favor.
    """,
    "The SonicWall blocks the port's appointment site; 'URGENTE' and the fleet stopped: critica. The "
    "signature's 'URGENTE' is the GPS centre's line.",
    incident="bloqueo_web",
    caps=True,
)
m(
    "leve",
    "renata",
    "Plataforma de libros digitales bloqueada en 3 salones",
    """
    Buenas tardes,

    Los maestros de 3 salones de secundaria no pueden abrir la plataforma de libros digitales de la
    editorial: el SonicWall la bloquea como "Games". No es urgente porque estamos en semana de exámenes y no
    la usan hasta el lunes 17.

    ¿La pueden permitir antes de esa fecha?
    """,
    "The SonicWall blocks a site for three classrooms; the client says 'No es urgente': leve.",
    incident="bloqueo_web",
    day="2027-05-12",
)
m(
    "grave",
    "nathan",
    "Buyers can't reach SAP Ariba",
    """
    Hi,

    It's not critical, but since yesterday afternoon the 6 buyers in Purchasing can't open SAP Ariba, where
    our customers publish their RFQs. The SonicWall logs show the site blocked by a content filter rule.
    They're answering RFQs from their phones.

    Could you allow it?
    """,
    "The SonicWall blocks a site for six buyers; 'not critical' rules out critica, one area hampered: grave.",
    incident="bloqueo_web",
)
m(
    "grave",
    "ulises",
    "Embarques sin acceso al portal del SAT para carta porte",
    """
    Buenos días,

    Desde hoy en la mañana las 3 personas de Embarques no pueden entrar al portal del SAT para verificar los
    complementos de carta porte; sale la página de bloqueo de WithSecure (sitio "sospechoso"). Los camiones
    están saliendo con retraso porque verificamos desde un celular.

    ¿Nos ayudan a desbloquearlo?
    """,
    "WithSecure blocks a site for the three shipping clerks, trucks delayed: grave.",
    incident="bloqueo_web",
)
m(
    "leve",
    "nacho",
    "la pag de la aerolinea de carga",
    """
    q tal

    porfa desbloqueen la pag de la aerolinea de carga para checar las guias aereas de las cajas de flor,
    me sale el aviso del sonicwall. nomas la uso yo y ahorita las checo desde el cel
    """,
    "One user blocked from a cargo airline's site, with a phone workaround: leve.",
    incident="bloqueo_web",
    noacc=True,
)
m(
    "leve",
    "joaquin",
    "Re: URGENTE no entra la página de la agencia",
    """
    Hola,

    Ya entra la página de la agencia de noticias, gracias. Solo les pido que también quede permitido el
    sitio de fotos de la misma agencia (fotos.agenciaprensa-mx.com.mx), que sigue bloqueado. No es
    urgente, hoy no lo vamos a usar.
    """,
    "One more site to allow after the first was fixed; the client says 'No es urgente' (the 'URGENTE' is "
    "his colleague's, in quoted history): leve.",
    incident="bloqueo_web",
    quote=q(
        """
        Joaquín, URGENTE: en toda la redacción no entra la página de la agencia de noticias, sale bloqueada
        por el antivirus. Estamos cerrando la edición.

        Lorenza
        """,
        subject="URGENTE no entra la página de la agencia",
        days=1,
        to="jsepulveda@elnoreste.com.mx",
    ),
)

# --- bloqueo_aplicaciones ----------------------------------------------------

m(
    "critica",
    "german",
    "DeepGuard bloquea el programa de las cortadoras láser",
    """
    Buenos días,

    Desde las 7 DeepGuard bloquea el programa que manda los patrones a las 4 cortadoras láser de piel
    ("aplicación bloqueada por DeepGuard"). Toda la sala de corte está parada y sin corte no trabaja
    pespunte ni montado: la producción de toda la fábrica está detenida.

    Es el mismo programa de siempre, no lo hemos actualizado. ¿Nos pueden ayudar ya?
    """,
    "DeepGuard blocks the cutting program; the whole factory's production stopped: critica.",
    incident="bloqueo_aplicaciones",
    hour=8,
)
m(
    "critica",
    "teodoro",
    "WithSecure bloquea el control de accesos de camiones",
    """
    Buenos días,

    WithSecure está bloqueando el programa de control de accesos de la terminal (el que abre las plumas con
    la lectura de placas). Desde las 6 no abre ninguna pluma: tenemos una fila de más de 80 camiones de
    grano en la carretera y la descarga del buque está detenida.

    Es un programa del proveedor de las plumas. Ayúdenos por favor.
    """,
    "WithSecure blocks a third-party program the terminal runs on; the whole terminal stopped: critica.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "ximena",
    "DeepGuard bloquea el software del espectrofotómetro",
    """
    Buenos días,

    DeepGuard está bloqueando el software del espectrofotómetro nuevo en los 2 equipos de Fisicoquímicos
    donde se instaló ayer. Sin ese equipo no podemos analizar las materias primas que llegaron el lunes.

    Lo consideramos grave. ¿Nos pueden ayudar a permitirlo?
    """,
    "DeepGuard blocks a lab program on two PCs; the client says 'Lo consideramos grave': grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "dana",
    "Safetica blocking eDrawings for engineering",
    """
    Hi,

    Since yesterday's Safetica policy change, eDrawings (our CAD viewer) won't open on the 7 engineering
    PCs; Safetica shows "Application blocked by policy". Engineers can't review the customer drawings for
    the new seat program.

    Could you check the policy and allow it?
    """,
    "Safetica blocks an application for seven engineers: grave.",
    incident="bloqueo_aplicaciones",
)
m(
    "grave",
    "elisa",
    "DeepGuard bloquea el dictado de Radiología",
    """
    Buenos días,

    Desde la actualización de anoche DeepGuard bloquea el programa de dictado en las 4 estaciones de los
    radiólogos. Están escribiendo los reportes de estudios a mano y Hospitalización espera los
    resultados.

    ¿Nos pueden ayudar a permitir el programa? Es del proveedor del sistema de imagen.
    """,
    "DeepGuard blocks a program on four radiologists' stations: grave. 'Urgencias' in the signature "
    "is the hospital's service.",
    incident="bloqueo_aplicaciones",
    html=True,
)
m(
    "leve",
    "chava",
    "el antivirus no me deja abrir el catalogo",
    """
    que tal

    el antivirus no me deja abrir el programa del catalogo de llantas que me mandaron los de la marca, dice
    que esta bloqueado. es en mi compu nomas. me ayudan?
    """,
    "WithSecure blocks a catalogue program on one PC: leve.",
    incident="bloqueo_aplicaciones",
    noacc=True,
)
m(
    "leve",
    "megan",
    "WithSecure flagged our new softphone installer",
    """
    Hi team,

    Not urgent: WithSecure blocked the installer of our new softphone on the one test PC where we tried it.
    Before we roll it out to the floor next month, could you review whether it's safe to allow and set it
    up?
    """,
    "WithSecure blocks an installer on one test PC, nothing interrupted; 'Not urgent': leve.",
    incident="bloqueo_aplicaciones",
)
m(
    "leve",
    "estela",
    "Re: URGENTE - línea 2 parada por bloqueo del programa de etiquetas",
    """
    Hola,

    Gracias, la línea 2 ya está etiquetando. Ahora solo les pido que el mismo programa de etiquetas quede
    permitido en la computadora de respaldo de Calidad, por si algún día la necesitamos. Sin prisa.
    """,
    "Allowing a program on one backup PC after the outage was fixed; nothing interrupted: leve. "
    "The client's earlier 'URGENTE' is in quoted history.",
    incident="bloqueo_aplicaciones",
    quote=q(
        """
        URGENTE: WithSecure bloqueó el programa de etiquetas de la línea 2 y la línea está parada.
        Llámenme al 443 188 2045.
        """,
        author="self",
        subject="URGENTE - línea 2 parada por bloqueo del programa de etiquetas",
        days=1,
    ),
)

# --- puertos -----------------------------------------------------------------

m(
    "critica",
    "homero",
    "La central de monitoreo no recibe señales de alarmas",
    """
    Buenos días,

    Desde el cambio de reglas que hicieron ayer en el SonicWall, la central de monitoreo no recibe las
    señales de los paneles de alarma de nuestros clientes (llegan por el puerto TCP 10001 de entrada). Hay
    más de 300 clientes sin monitoreo en este momento y no nos enteramos si se dispara una alarma.

    Necesitamos que se vuelva a abrir el puerto de inmediato.
    """,
    "An inbound SonicWall port closed; the monitoring business cannot serve any client: critica. The "
    "signature's 'emergencias graves' is the hotline.",
    incident="puertos",
    caps=True,
)
m(
    "grave",
    "cristina",
    "Urgente: abrir puerto para el DVR de las cámaras del patio",
    """
    Buenos días,

    Urgente: la aseguradora nos pide que podamos ver las cámaras del patio de autos desde fuera de la
    oficina a partir de hoy. El proveedor del DVR dice que hay que abrir el puerto 8000 en el SonicWall hacia
    el DVR (192.168.20.15).

    ¿Nos lo pueden abrir hoy?
    """,
    "Opening a SonicWall port for a DVR; 'Urgente', nothing down: grave.",
    incident="puertos",
)
m(
    "grave",
    "rebeca",
    "Se corta el enlace de audio al transmisor",
    """
    Buenas tardes

    Desde que se actualizaron las reglas del SonicWall el martes, el enlace de audio por IP hacia la planta
    transmisora (UDP 5004) se corta cada 20 o 30 minutos. Estamos al aire con el enlace de respaldo por
    microondas, que suena peor.

    Lo consideramos grave. ¿Pueden revisar la regla de ese puerto?
    """,
    "A SonicWall port rule breaks the audio link; the client says 'Lo consideramos grave': grave.",
    incident="puertos",
)
m(
    "leve",
    "itandehui",
    "Bloquear puerto 445 de salida",
    """
    Hola!

    En un curso de seguridad nos recomendaron bloquear la salida del puerto 445 (SMB) hacia internet. ¿Nos
    lo pueden configurar en el SonicWall? No tenemos nada que lo use hacia afuera.
    """,
    "Denying an outbound port on the SonicWall, nothing interrupted: leve.",
    incident="puertos",
)
m(
    "leve",
    "curtis",
    "Open ports for the new VoIP provider",
    """
    Hi,

    We're switching VoIP providers on June 1. The new provider asks for UDP 5060 and the RTP range
    10000-20000 to be allowed to their servers (list attached). Could you set up the SonicWall rules before
    then? The current phones work fine until the switch.
    """,
    "Allowing SonicWall ports for a VoIP provider, planned: leve.",
    incident="puertos",
    day="2027-05-13",
)
m(
    "leve",
    "benito",
    "Puerto para el medidor de energía de la subestación",
    """
    Buenas tardes,

    La compañía que nos da el servicio de eficiencia energética necesita leer el medidor de la subestación
    desde sus oficinas por Modbus TCP (puerto 502). ¿Nos pueden abrir ese puerto en el SonicWall solo
    desde su IP pública? Se las paso en cuanto me la den.
    """,
    "A SonicWall port rule for a third party's meter is in scope; nothing interrupted: leve.",
    incident="puertos",
)
m(
    "leve",
    "nacho",
    "puerto para el sistema de riego",
    """
    buenas

    el proveedor del sistema de riego de los invernaderos dice que le abramos un puerto de entrada, el
    8443, para que su app se conecte al controlador. me lo pueden abrir en el sonicwall? el riego ahorita
    lo estan manejando a mano en el tablero y si funciona
    """,
    "An inbound SonicWall port for the irrigation controller, with a manual workaround: leve.",
    incident="puertos",
    noacc=True,
)

# --- exclusiones -------------------------------------------------------------

m(
    "critica",
    "joaquin",
    "Es crítico: WithSecure pone en cuarentena los PDF de la edición",
    """
    Buenas noches,

    Es crítico. WithSecure está poniendo en cuarentena los PDF de las páginas de la edición de mañana en el
    servidor de preprensa, en cuanto el sistema editorial los genera. Sin esos archivos la rotativa no puede
    imprimir y el cierre es a las 11 pm.

    Necesitamos una exclusión para la carpeta \\\\PREPRENSA\\salida ahora mismo. Estoy en el 81 1477 3020.
    """,
    "An exclusion for the prepress folder; the client says 'Es crítico': critica.",
    incident="exclusiones",
    hour=21,
)
m(
    "grave",
    "consuelo",
    "RE: Ticket IMG-2027-0517 registrado",
    """
    Buenos días,

    Les agrego información: WithSecure pone en cuarentena la carpeta de respaldos del sistema de contratos
    de previsión cada vez que corre el respaldo, y las 3 personas de Atención a Familias no pueden consultar
    contratos mientras tanto. Necesitamos la exclusión urgente.
    """,
    "An exclusion for a backup folder; 'urgente' and three people hampered: grave.",
    incident="exclusiones",
    quote=q(
        """
        Estimada Lic. Barajas:

        Su reporte quedó registrado con el número IMG-2027-0517. Un ingeniero le contactará en breve.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Ticket IMG-2027-0517 registrado",
        days=0,
    ),
)
m(
    "grave",
    "helen",
    "Scale software folder needs an exclusion - packing lines slowed",
    """
    Hi,

    The real-time scanning on the packing line PCs is checking every file the check-weigher software writes,
    and 4 of our 6 packing stations are running at half speed since Monday. Could you add an exclusion for
    C:\\CheckWeigh\\Data on those PCs? Supervisors are already complaining.
    """,
    "An exclusion for a program's data folder; four of six packing stations slowed: grave.",
    incident="exclusiones",
)
m(
    "leve",
    "ofelia",
    "Exclusión para el software de modelado geológico",
    """
    Buenas tardes,

    El proveedor del software de modelado geológico nos pide excluir del análisis en tiempo real la carpeta
    de proyectos (D:\\Modelos) en las 3 estaciones de Geología, porque los archivos son muy grandes. Por
    ahora funciona, solo tarda en guardar.

    ¿Nos pueden aplicar la exclusión?
    """,
    "An exclusion a vendor asks for, work goes on: leve.",
    incident="exclusiones",
)
m(
    "leve",
    "anselmo",
    "Exclusión para las máquinas virtuales del laboratorio de redes",
    """
    Buenos días,

    Para el curso de verano de Redes vamos a usar máquinas virtuales en las 30 computadoras del laboratorio
    B. ¿Nos pueden excluir del análisis la carpeta C:\\VMs en esos equipos antes del 14 de junio?
    """,
    "An exclusion for a lab's VM folder before a course: leve.",
    incident="exclusiones",
    day="2027-05-31",
)
m(
    "leve",
    "nadia",
    "exclusion para el software del horno",
    """
    hola

    pueden agregar una exclusion en withsecure para la carpeta del programa del horno de alta temperatura
    (C:\\KilnControl)? el proveedor dice que el antivirus le hace lento el registro de temperaturas. no es
    urgente, el horno trabaja bien
    """,
    "An exclusion for a kiln control program; 'no es urgente': leve.",
    incident="exclusiones",
    noacc=True,
)
m(
    "leve",
    "dana",
    "FW: Required AV exclusions for MES upgrade",
    """
    Hi,

    See below from our MES vendor. Could you add these exclusions on the 3 MES servers before the upgrade
    on the 20th? No rush, the current version keeps running until then.
    """,
    "Exclusions a vendor asks for before an upgrade; 'No rush' (the vendor's 'CRITICAL' is in forwarded text): leve.",
    incident="exclusiones",
    quote=fwd(
        """
        Dana,

        IMPORTANT: before the upgrade, configure the following antivirus exclusions on all MES servers.
        Failure to do so may cause CRITICAL data loss during the database conversion.

        - D:\\MES\\Data\\
        - D:\\MES\\Logs\\
        - messervice.exe

        Regards,
        Implementation Team
        """,
        author="MES Implementation <implementation@factoryflowmes.com>",
        subject="Required AV exclusions for MES upgrade",
        days=2,
    ),
)

# --- red_lenta ---------------------------------------------------------------

m(
    "grave",
    "susana",
    "Internet lentísimo en toda la destilería",
    """
    Buenos días,

    Para nosotros es grave: desde el lunes el internet está lentísimo en toda la destilería y en las
    oficinas. El portal de nuestro cliente de exportación tarda minutos en cargar y no hemos podido subir la
    documentación de dos embarques. En el SonicWall se ve el procesador al 100 %.

    ¿Lo pueden revisar hoy?
    """,
    "Slow network company-wide; the client says 'Para nosotros es grave', which decides: grave.",
    incident="red_lenta",
)
m(
    "critica",
    "ofelia",
    "Red lentísima entre la mina y el corporativo - despacho detenido",
    """
    Buenos días,

    Desde las 5 am la conexión por la VPN del SonicWall entre la mina y el corporativo está lentísima: los
    pings tardan más de 2 segundos. El sistema de despacho de los camiones de acarreo no actualiza y por
    seguridad detuvimos todo el acarreo. La operación de la mina está parada.

    Necesitamos apoyo inmediato.
    """,
    "The network through the SonicWall is crawling; the mine's operation stopped: critica.",
    incident="red_lenta",
    hour=7,
)
m(
    "grave",
    "ulises",
    "Re: Navegación lenta en Embarques",
    """
    Buenos días,

    Le contesto: son los 5 equipos de Embarques, desde el martes. Todo lo que sale a internet por el
    SonicWall va lentísimo (el portal de la transportista tarda 2 o 3 minutos); en Administración y en
    Producción va normal. No es crítico, pero los de embarques están atrasando las salidas.
    """,
    "Slow network for one area of five PCs; 'No es crítico' rules out critica, the area is hampered: grave.",
    incident="red_lenta",
    quote=q(
        """
        Ulises, buen día:

        Para revisar lo de la navegación lenta, ¿nos confirma cuántos equipos están afectados, de qué área y
        desde cuándo?

        Ing. Leonardo Quintanar
        IMAGEN TI
        """,
        author="engineer",
        subject="Navegación lenta en Embarques",
        days=0,
    ),
)
m(
    "grave",
    "nathan",
    "Urgent: EDI uploads taking 20 minutes",
    """
    Hi,

    Urgent: in the shipping office, uploads to our customer's EDI portal are taking 20 minutes each
    since this morning; they used to take seconds. The rest of the plant seems fine. Can you check the
    SonicWall?
    """,
    "Slow network for one office; 'Urgent': grave.",
    incident="red_lenta",
)
m(
    "leve",
    "lupe",
    "Internet lento en la sucursal Centro",
    """
    Buenos dias

    En la sucursal Centro el internet va lento en las mañanas, pero si se puede cobrar con la terminal. No
    es urgente. ¿Lo pueden revisar cuando puedan?
    """,
    "Slow internet at one branch that can still charge; 'No es urgente': leve.",
    incident="red_lenta",
    noacc=True,
)
m(
    "leve",
    "damian",
    "la musica de las clases se traba en la sucursal norte",
    """
    Que tal

    en la sucursal Norte la musica de las clases (la ponemos de Spotify en la compu del salon) se traba a
    cada rato en las tardes, como si el internet no alcanzara. recepcion y cobro funcionan bien. no es
    urgente pero si lo pueden ver se los agradeceria
    """,
    "Slow network for one room's music at one branch, front desk unaffected; 'no es urgente': leve.",
    incident="red_lenta",
    noacc=True,
)
m(
    "leve",
    "renata",
    "RV: Internet lentísimo en la sala de maestros",
    """
    Buenos días,

    Les reenvío lo que me dice el maestro Efraín. Revisé y solo pasa en la sala de maestros a la hora del
    recreo; las calificaciones se pueden subir desde los salones. No es grave, pero ¿lo pueden revisar?
    """,
    "Slow network in one room at break time; 'No es grave' (the forwarded 'es grave' is a colleague's): leve.",
    incident="red_lenta",
    quote=fwd(
        """
        Renata, checa esto, es grave: en la sala de maestros el internet está lentísimo y no podemos subir
        las calificaciones a la plataforma.

        Efraín
        """,
        subject="Internet lentísimo en la sala de maestros",
        days=0,
        to="raguayo@cbcumbres.com.mx",
    ),
)

# --- contrasenas_consola -----------------------------------------------------

m(
    "critica",
    "benito",
    "Es crítico: bloqueados en la consola de Safetica",
    """
    Buenos días,

    Es crítico. La consola de Safetica dice que la contraseña del administrador expiró y después de los
    intentos quedó bloqueada. Ahora mismo Seguridad Patrimonial detectó a un empleado de Ingeniería
    copiando planos a USB y no podemos bloquearle el puerto desde la consola.

    Necesitamos restablecer el acceso ya.
    """,
    "A console password reset; the client says 'Es crítico': critica.",
    incident="contrasenas_consola",
)
m(
    "grave",
    "cristina",
    "Urgente: la contraseña de WithSecure no funciona",
    """
    Buenas tardes,

    Urgente, por favor: la contraseña del administrador del portal de WithSecure no funciona desde hoy
    (dice "credenciales no válidas") y necesitamos quitar del aislamiento la laptop del gerente de la
    sucursal Aeropuerto, que ya revisamos.

    ¿Nos ayudan a restablecerla?
    """,
    "A console password reset; 'Urgente': grave.",
    incident="contrasenas_consola",
)
m(
    "grave",
    "tyler",
    "Locked out of the Safetica console - MFA phone lost",
    """
    Hi,

    Both of our IT admins are locked out of the Safetica console: the MFA phone we used for the shared admin
    account was lost over the weekend. Meanwhile USB access requests from 10 engineers are piling up and
    they can't load test programs onto the testers.

    Can you reset the admin access?
    """,
    "A console access reset; ten engineers waiting on it: grave.",
    incident="contrasenas_consola",
)
m(
    "leve",
    "lupe",
    "Cambiar la contraseña de la consola",
    """
    Hola

    Me pueden cambiar la contraseña de la consola del antivirus? La tenia en un papelito pegado en el
    monitor y la vio todo mundo
    """,
    "A console password change, nothing interrupted: leve.",
    incident="contrasenas_consola",
    noacc=True,
)
m(
    "leve",
    "itandehui",
    "Re: Contraseña temporal de la consola",
    """
    Hola!

    No alcancé a entrar, se venció la contraseña temporal. ¿Me pueden mandar otra? Ahora sí entro en cuanto
    me llegue.
    """,
    "A new temporary console password: leve.",
    incident="contrasenas_consola",
    quote=q(
        """
        Estimada Itandehui:

        Le enviamos la contraseña temporal para la consola de WithSecure. Tiene una vigencia de 24 horas; al
        entrar, el sistema le pedirá cambiarla.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Contraseña temporal de la consola",
        days=2,
    ),
)
m(
    "leve",
    "rebeca",
    "Restablecer contraseña de consola de Fidel",
    """
    Hola

    Fidel regresa mañana de su incapacidad y no se acuerda de su contraseña de la consola de WithSecure. ¿Se
    la pueden restablecer? Mientras yo me encargo de la consola.
    """,
    "A console password reset for one admin: leve.",
    incident="contrasenas_consola",
)

# --- perfiles_usuario --------------------------------------------------------

m(
    "critica",
    "nadia",
    "Tesorería con el perfil de Diseño - no podemos pagar la nómina",
    """
    Buenos días,

    Hoy en la mañana a las computadoras de Tesorería les quedó asignado el perfil de Safetica de Diseño
    (sin acceso a portales bancarios) y no pueden entrar a la banca en línea. Hoy es día de pago: no
    podemos dispersar la nómina de los 220 artesanos ni pagar a proveedores.

    ¿Nos ayudan a regresarles su perfil de inmediato?
    """,
    "A wrong Safetica profile; the company cannot pay its payroll: critica.",
    incident="perfiles_usuario",
)
m(
    "grave",
    "homero",
    "Supervisores con el perfil de guardias",
    """
    Buenos días,

    A los 6 supervisores de turno les quedó el perfil de guardias en WithSecure (solo la app de rondines) y
    no pueden entrar al correo ni al sistema de incidencias. No es crítico, los guardias siguen operando
    normal, pero los supervisores necesitan el correo para sus reportes de turno. ¿Nos ayudan a cambiarlos
    al perfil de supervisores?
    """,
    "A wrong profile for six supervisors; 'No es crítico' rules out critica (the commander's 'ES CRÍTICO' "
    "is in quoted history): grave.",
    incident="perfiles_usuario",
    quote=q(
        """
        Lic. Guzmán: ES CRÍTICO que los supervisores tengan su correo hoy, urge.

        Cmdte. Lázaro Nieto
        """,
        days=0,
        subject="Supervisores sin correo",
        to="hguzman@escudoseguridad.com.mx",
    ),
)
m(
    "grave",
    "megan",
    "Team leads got the agent profile",
    """
    Hi,

    After yesterday's changes, our 12 team leads ended up in the "Agents" profile in WithSecure and can no
    longer open the client reporting portal or the QA recording tool. They're supervising blind today.

    Can you move them back to the "Team Leads" profile?
    """,
    "A wrong profile for twelve team leads: grave.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "rigo",
    "Perfil para la nueva coordinadora de tráfico",
    """
    Buenas tardes,

    Entró Noemí Acosta como coordinadora de tráfico. ¿Le pueden asignar en Safetica el mismo perfil que
    tienen los supervisores de tráfico? Su equipo es el TRAF-07.
    """,
    "Assigning a profile to a new user: leve.",
    incident="perfiles_usuario",
)
m(
    "leve",
    "susana",
    "Perfil de finanzas para la contadora nueva",
    """
    Hola,

    ¿Pueden pasar a la contadora nueva, Lucía Marroquín, al perfil de Finanzas en Safetica? Ahorita tiene el
    de Administración general y no le deja entrar a la carpeta de cierres.
    """,
    "Assigning a profile to one user: leve.",
    incident="perfiles_usuario",
    noacc=True,
)
m(
    "leve",
    "curtis",
    "Profile for summer interns",
    """
    Hi,

    We have 6 summer interns starting June 1. Could you create a WithSecure profile for them (no admin
    rights, web filtering like the warehouse profile) and assign it to the laptops INT-01 to INT-06?
    """,
    "Creating and assigning a user profile: leve.",
    incident="perfiles_usuario",
    day="2027-05-19",
)

# --- configuraciones_nuevas --------------------------------------------------

m(
    "grave",
    "german",
    "Urgente: NetExtender para los vendedores que van a la feria",
    """
    Buenos días,

    Urgente: el lunes salen 8 vendedores a la feria de calzado y necesitan entrar al sistema de pedidos desde
    sus laptops. Nunca han usado la VPN. ¿Nos pueden configurar NetExtender en las 8 laptops y sus usuarios
    en el SonicWall antes del viernes?
    """,
    "A new NetExtender set-up; 'Urgente': grave.",
    incident="configuraciones_nuevas",
)
m(
    "grave",
    "efren",
    "urgente politica de usb para laptops de tecnicos",
    """
    buenas tardes

    nuestro cliente mas grande (un hospital) nos pide que las laptops de los 5 tecnicos tengan bloqueadas
    las USB para el jueves, si no no los dejan entrar. es urgente. lo pueden configurar en el safetica?
    """,
    "A new Safetica USB policy; 'es urgente': grave.",
    incident="configuraciones_nuevas",
    noacc=True,
    day="2027-05-24",
)
m(
    "leve",
    "marisa",
    "VPN para la Lic. Espinoza",
    """
    Buenas tardes:

    El Lic. Espinoza va a trabajar desde su casa los viernes. ¿Le pueden configurar la VPN en su laptop
    para que entre a los expedientes del servidor?
    """,
    "A new VPN set-up for one user: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "helen",
    "Internet schedule for the break room kiosks",
    """
    Hi,

    Could you set a schedule on the SonicWall so the 3 kiosks in the break room only get internet during
    lunch (12 to 3)? People are watching videos there during shifts.
    """,
    "A new SonicWall schedule rule: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "ulises",
    "Política de impresión en Safetica",
    """
    Buenas tardes,

    Dirección quiere que Safetica nos avise por correo cuando alguien imprima más de 50 hojas en un día. ¿Se
    puede configurar esa política para toda la planta?
    """,
    "A new Safetica alert policy: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "anselmo",
    "Geobloqueo en el SonicWall",
    """
    Buenos días,

    El área de seguridad de la universidad nos pide bloquear en el SonicWall el tráfico entrante de los
    países donde no tenemos alumnos ni convenios. ¿Nos ayudan a configurar el geobloqueo? Les mando la lista
    de países.
    """,
    "A new SonicWall geo-IP configuration: leve.",
    incident="configuraciones_nuevas",
)
m(
    "leve",
    "tyler",
    "Two-factor for NetExtender users",
    """
    Hi,

    Corporate wants two-factor authentication on all remote access by the end of June. Could you set up 2FA
    for our 25 NetExtender users on the SonicWall? Happy to schedule it whenever works for you.
    """,
    "A new 2FA configuration on the SonicWall: leve.",
    incident="configuraciones_nuevas",
)

# --- llaves_licencia ---------------------------------------------------------

m(
    "critica",
    "elisa",
    "Licencia del SonicWall vencida - el expediente clínico no abre en ningún piso",
    """
    Buenos días,

    Desde la medianoche el SonicWall marca la licencia de los servicios de seguridad como vencida y está
    bloqueando el tráfico HTTPS hacia afuera. El expediente clínico electrónico, que está en la nube, no abre
    en ningún piso del hospital: Hospitalización, Quirófanos y Consulta Externa están trabajando en papel.

    Según nuestro contrato la renovación ya se pagó. ¿Nos pueden activar la llave nueva cuanto antes?
    """,
    "A SonicWall licence key to activate; the whole hospital without its clinical record: critica.",
    incident="llaves_licencia",
)
m(
    "grave",
    "nacho",
    "urjente clave de withsecure",
    """
    buenas

    urjente porfa, formateamos la compu de ventas de exportacion y no encuentro la clave de withsecure
    para volverlo a instalar. hoy sale un embarque a holanda y no la quiero conectar sin antivirus. me la
    pasan?
    """,
    "Recovering a licence key; 'urjente' (misspelt urgente): grave.",
    incident="llaves_licencia",
    noacc=True,
)
m(
    "leve",
    "damian",
    "clave para 2 equipos nuevos",
    """
    Hola

    compramos 2 compus para la recepcion de la sucursal Sur. me mandan la clave de withsecure para
    instalarles el antivirus?
    """,
    "A licence key for two new PCs: leve.",
    incident="llaves_licencia",
    noacc=True,
)
m(
    "leve",
    "nathan",
    "FW: URGENT - license inventory due Friday",
    """
    Hi,

    Corporate is asking every site for this. Could you send us the license keys and expiry dates for our
    WithSecure and Safetica subscriptions? Friday is fine.
    """,
    "Licence keys and dates for an inventory: leve. 'URGENT' is corporate's subject, in forwarded text.",
    incident="llaves_licencia",
    quote=fwd(
        """
        All site IT leads,

        URGENT: submit the full inventory of security software licenses (product, key, seats, expiry) for
        your site by Friday close of business. Sites that miss the deadline will be escalated.

        Global IT Asset Management
        """,
        author="Global IT Asset Management <itam@pinecrest-electronics.com>",
        subject="URGENT - license inventory due Friday",
        days=1,
    ),
)
m(
    "leve",
    "joaquin",
    "Llave de registro del SonicWall",
    """
    Hola,

    Vamos a cambiar la cuenta de MySonicWall a un correo genérico de Sistemas y nos pide el número de serie y
    la llave de autenticación del equipo, que no encontramos. ¿Nos la pueden proporcionar?
    """,
    "Recovering a SonicWall registration key: leve.",
    incident="llaves_licencia",
)
m(
    "leve",
    "ximena",
    "Número de licencia de Safetica para validación",
    """
    Buenos días,

    Para el expediente de validación de Safetica nos piden el número de licencia, la cantidad de equipos
    licenciados y la fecha de vencimiento. ¿Nos los pueden enviar?
    """,
    "Licence details for a validation file: leve.",
    incident="llaves_licencia",
)

# --- informes_reportes -------------------------------------------------------

m(
    "critica",
    "megan",
    "This is critical - compliance report needed before tomorrow's bank audit",
    """
    Hi,

    This is critical for us. Our largest client, a bank, audits us tomorrow at 9 am and their contract
    requires proof that all 280 agent PCs have WithSecure active and up to date. If we can't show the report
    they can suspend the contract, which is 60 % of our revenue.

    Can you send us the device status report from the WithSecure console today?
    """,
    "A WithSecure report; the client says 'This is critical': critica.",
    incident="informes_reportes",
)
m(
    "grave",
    "benito",
    "Urgente: reporte de equipos con agente desactivado",
    """
    Buenos días,

    Urgente: el corporativo nos pide hoy un informe de qué equipos tuvieron el agente de WithSecure
    desactivado o sin reportar la semana pasada, con fechas. ¿Nos lo pueden sacar de la consola?
    """,
    "A WithSecure report; 'Urgente': grave.",
    incident="informes_reportes",
)
m(
    "grave",
    "dana",
    "Urgent - detections report for the external auditors",
    """
    Hi,

    Urgent: the external auditors need a report of all WithSecure detections on the Finance PCs for the
    last 12 months, by end of day today. Could you pull it from the console and send it as PDF?
    """,
    "A detections report; 'Urgent': grave.",
    incident="informes_reportes",
)
m(
    "leve",
    "lupe",
    "Reporte de computadoras con antivirus",
    """
    Hola

    El contador me pide un reporte de cuantas computadoras tienen el antivirus y de que sucursal es cada
    una. Me lo pueden mandar?
    """,
    "A device report: leve.",
    incident="informes_reportes",
    noacc=True,
)
m(
    "leve",
    "estela",
    "RV: Resumen de incidentes para la junta",
    """
    Hola,

    ¿Nos pueden mandar el informe de detecciones de WithSecure del semestre (enero a junio)? Es para la
    presentación que me pide el gerente de planta, abajo.
    """,
    "A six-month detections report for a presentation: leve. The plant manager's 'críticos y graves' "
    "describes the contents, in forwarded text.",
    incident="informes_reportes",
    quote=fwd(
        """
        Estela, para la junta del 30 necesito un resumen de los incidentes críticos y graves de TI del
        semestre, con lo que detectó el antivirus.

        Ing. Raymundo Ceja
        Gerente de Planta
        """,
        subject="Resumen de incidentes para la junta",
        days=1,
        to="egamboa@elmanantial.com.mx",
    ),
    day="2027-06-16",
)
m(
    "leve",
    "cristina",
    "Reporte de USB conectadas en el mes",
    """
    Buenas tardes,

    ¿Nos pueden mandar el reporte de Safetica de las memorias USB que se conectaron en mayo en las
    computadoras de las sucursales? Lo pide Gerencia para la reunión mensual.
    """,
    "A Safetica report: leve.",
    incident="informes_reportes",
    noacc=True,
    day="2027-06-03",
)
m(
    "leve",
    "german",
    "RE: Informe mensual de WithSecure - mayo",
    """
    Buenos días,

    Gracias por el informe. Una petición: ¿lo pueden mandar en español a partir del próximo mes? Se lo
    pasamos al director y no lee bien inglés.
    """,
    "A change in how the monthly report is sent: leve. The quoted report's 'críticas' and 'graves' are "
    "counts of detections.",
    incident="informes_reportes",
    quote=q(
        """
        Estimado Germán:

        Adjuntamos el informe mensual de WithSecure Elements de mayo.

        Resumen: 112 equipos protegidos; detecciones críticas: 0; detecciones graves: 2 (bloqueadas
        automáticamente); equipos sin actualizar: 3.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Informe mensual de WithSecure - mayo",
        days=1,
    ),
    day="2027-06-04",
)

# --- errores_agentes ---------------------------------------------------------

m(
    "critica",
    "teodoro",
    "Pantalla negra al iniciar sesión en Operaciones - agente Safetica",
    """
    Buenos días,

    Desde el reinicio de anoche, en las computadoras de Operaciones y de Embarques el agente de Safetica
    deja la pantalla negra al iniciar sesión; si lo detenemos en modo seguro, arrancan. No podemos registrar
    la descarga del buque que está en el muelle ni emitir los tickets de báscula: la terminal está
    detenida.

    Ayúdenos por favor.
    """,
    "The Safetica agent prevents logon in operations; the terminal stopped: critica.",
    incident="errores_agentes",
)
m(
    "critica",
    "helen",
    "Every PC frozen at login with WithSecure",
    """
    Hi,

    Since 6 am every PC in the plant freezes at login on the WithSecure screen. Production planning,
    shipping and payroll are all down and the lines are running blind. Please call Rubén on his cell ASAP.
    """,
    "The WithSecure agent freezes every PC at login; the whole plant down: critica.",
    incident="errores_agentes",
    hour=7,
)
m(
    "grave",
    "ulises",
    "El agente bloquea la conexión del laboratorio al servidor",
    """
    Buenos días,

    Desde ayer el firewall del agente de WithSecure no deja que los 4 equipos del laboratorio de calidad se
    conecten a la carpeta compartida del servidor, donde guardan los certificados de análisis. Con el agente
    en pausa sí se conectan. Están guardando en USB mientras tanto.
    """,
    "The WithSecure agent's firewall cuts four lab PCs off the server: grave.",
    incident="errores_agentes",
)
m(
    "grave",
    "renata",
    "Aulas de cómputo sin protección - agente en rojo",
    """
    Buenos días,

    Desde ayer, en las 2 aulas de cómputo el agente de WithSecure aparece en rojo con "Protección
    desactivada" y no se puede volver a activar. La dirección suspendió las clases de computación de
    primaria porque no quiere que se usen equipos sin antivirus.
    """,
    "The WithSecure agent fails in two computer rooms, classes suspended: grave.",
    incident="errores_agentes",
    html=True,
)
m(
    "grave",
    "elisa",
    "Las PCs de Farmacia se reinician cada hora",
    """
    Buenos días,

    Desde el martes las 4 computadoras de la Farmacia del hospital se reinician solas cada hora y el visor
    de eventos señala al servicio del agente de Safetica. Cada reinicio hace que pierdan la captura de la
    receta que estaban surtiendo. Por favor, revisen lo que comenta el Dr. Benítez abajo.
    """,
    "The Safetica agent restarts four pharmacy PCs: grave. The doctor's 'urgente' in quoted history changes nothing.",
    incident="errores_agentes",
    quote=q(
        """
        Elisa, es urgente, Farmacia no puede surtir a tiempo las recetas de los pacientes hospitalizados.

        Dr. Saúl Benítez
        Jefe de Farmacia Hospitalaria
        """,
        days=0,
        subject="Computadoras de Farmacia",
        to="emontano@hcarmentoluca.com.mx",
    ),
)
m(
    "leve",
    "itandehui",
    "Ícono del antivirus con signo de admiración",
    """
    Hola!

    En mi laptop el ícono de WithSecure tiene un signo de admiración amarillo desde hace unos días. La laptop
    funciona bien. ¿Tengo que hacer algo?
    """,
    "A warning on one agent, nothing interrupted: leve.",
    incident="errores_agentes",
)
m(
    "leve",
    "curtis",
    "Two PCs show Safetica client not connected",
    """
    Hi,

    In the Safetica console two PCs (MV-WH-03 and MV-WH-09) show "Client not connected" since last week.
    Users are working normally. Could you take a look when you can?
    """,
    "Two agents not reporting, users fine: leve.",
    incident="errores_agentes",
    html=True,
)
m(
    "leve",
    "marisa",
    "Re: Agente desconectado en laptop del Lic. Espinoza",
    """
    Hola:

    Volvió a pasar: la laptop del Lic. Espinoza aparece otra vez como desconectada en la consola desde el
    lunes. Él trabaja normal. No es urgente.
    """,
    "An agent disconnected on one laptop, user working; 'No es urgente': leve.",
    incident="errores_agentes",
    quote=q(
        """
        Lic. Vidal:

        Reinstalamos el agente de WithSecure en la laptop del Lic. Espinoza y ya aparece conectado en la
        consola. Si vuelve a presentarse, por favor háganoslo saber.

        Ing. Leonardo Quintanar
        IMAGEN TI
        """,
        author="engineer",
        subject="Agente desconectado en laptop del Lic. Espinoza",
        days=8,
    ),
)

# --- actualizaciones ---------------------------------------------------------

m(
    "critica",
    "rigo",
    "Tras la actualización del agente, el centro de monitoreo sin red",
    """
    Buenos días,

    Anoche se actualizó el agente de WithSecure y desde entonces las 20 computadoras del centro de monitoreo
    GPS no tienen red (no toman IP). No vemos ninguna de las 140 unidades en ruta ni podemos atender
    alertas de pánico de los operadores.

    Necesitamos ayuda inmediata.
    """,
    "A WithSecure agent update leaves the monitoring centre without network; the business cannot operate: critica.",
    incident="actualizaciones",
)
m(
    "grave",
    "estela",
    "Urgente: actualizar el agente en las PCs de línea antes de la auditoría",
    """
    Buenas tardes,

    Urgente: el viernes tenemos auditoría de inocuidad y los 12 equipos de las líneas tienen una versión del
    agente de WithSecure que ya no tiene soporte. ¿Nos pueden actualizar el agente en esos equipos antes del
    jueves?
    """,
    "Updating the agents; 'Urgente': grave.",
    incident="actualizaciones",
    day="2027-04-26",
)
m(
    "grave",
    "joaquin",
    "Urgente: firmware del SonicWall sin soporte",
    """
    Buenos días,

    Urgente: el SonicWall muestra que el firmware actual ya no tiene soporte y que Capture ATP dejó de
    analizar archivos hasta que se actualice. ¿Nos pueden programar la actualización de firmware esta
    semana, de noche?
    """,
    "A SonicWall firmware update; 'Urgente': grave.",
    incident="actualizaciones",
)
m(
    "leve",
    "nathan",
    "Please move tonight's SonicWall firmware update",
    """
    Hi,

    Could we move the SonicWall firmware update you scheduled for tonight to Saturday at 10 pm? Our night
    shift needs the network for a customer build tonight.
    """,
    "Rescheduling a firmware update: leve.",
    incident="actualizaciones",
)
m(
    "leve",
    "efren",
    "Re: Ventana de mantenimiento - actualización del agente",
    """
    buenas

    una pregunta, en las laptops me sale un aviso de que hay actualizacion disponible del withsecure. la
    instalo yo o esperan a hacerla ustedes el sabado?
    """,
    "A question about an agent update: leve. The quoted notice's 'crítica' is the SLA wording.",
    incident="actualizaciones",
    noacc=True,
    quote=q(
        """
        Estimado cliente:

        El sábado a las 10:00 actualizaremos la consola y los agentes de WithSecure. No se requiere ninguna
        acción de su parte. Si durante la ventana se presentara una incidencia crítica, comuníquese al
        55 5512 7337.

        Soporte IMAGEN TI
        """,
        author="imagenti",
        subject="Ventana de mantenimiento - actualización del agente",
        days=2,
    ),
)
m(
    "leve",
    "ofelia",
    "Actualizar Safetica a la versión 11",
    """
    Buenos días,

    Queremos actualizar los 60 agentes de Safetica de la versión 10 a la 11 y la consola. ¿Podemos agendarlo
    para la segunda quincena de junio?
    """,
    "Scheduling a console and agent update: leve.",
    incident="actualizaciones",
    day="2027-05-26",
)
m(
    "leve",
    "anselmo",
    "Actualizar el SonicWall en vacaciones",
    """
    Buenas tardes,

    Aprovechando las vacaciones de verano, ¿pueden actualizar el firmware del SonicWall del campus la semana
    del 28 de junio? Es la temporada crítica de inscripciones hasta el 25, por eso preferimos después.
    """,
    "Scheduling a firmware update: leve. 'temporada crítica' describes the calendar, not the request.",
    incident="actualizaciones",
    day="2027-06-02",
)

# --- restricciones_consola ---------------------------------------------------

m(
    "grave",
    "homero",
    "Urgente: limitar el acceso del proveedor de CCTV al SonicWall",
    """
    Buenos días,

    Urgente: el proveedor de CCTV tiene la contraseña de administrador del SonicWall (se la dio el encargado
    anterior). Queremos que tenga un usuario propio que solo pueda ver el tráfico de sus cámaras, sin
    cambiar nada. ¿Nos ayudan hoy?
    """,
    "Restricting console access for a vendor; 'Urgente': grave.",
    incident="restricciones_consola",
)
m(
    "grave",
    "german",
    "Cuentas separadas en la consola de WithSecure",
    """
    Buenos días,

    Lo consideramos grave: la cuenta de administrador de la consola de WithSecure la comparten 4 personas y
    el auditor de la marca para la que maquilamos nos lo marcó como incumplimiento. Necesitamos cuentas
    separadas y que solo Sistemas pueda cambiar políticas, antes del viernes.
    """,
    "Separate console accounts with limited rights; the client says 'Lo consideramos grave': grave.",
    incident="restricciones_consola",
)
m(
    "leve",
    "ximena",
    "Doble factor y cierre de sesión en la consola de Safetica",
    """
    Buenos días,

    Para cumplir con los requisitos de validación necesitamos que la consola de Safetica pida doble factor a
    todos los usuarios y cierre la sesión después de 15 minutos sin actividad. ¿Lo pueden configurar?
    """,
    "Restricting access to the Safetica console: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "tyler",
    "View-only SonicWall access for corporate security",
    """
    Hi,

    Could you create a read-only admin account on our SonicWall for our corporate security team in Ohio?
    They want to review rules but must not be able to change anything.
    """,
    "A read-only console account: leve.",
    incident="restricciones_consola",
)
m(
    "leve",
    "nacho",
    "quitar acceso a la consola",
    """
    q tal

    quitenle el acceso a la consola del antivirus a mi sobrino Brayan, ya no trabaja aqui. su usuario es
    brayan.mejia. gracias
    """,
    "Removing a former employee's console access: leve.",
    incident="restricciones_consola",
    noacc=True,
)
m(
    "leve",
    "itandehui",
    "Acceso a reportes para la contadora",
    """
    Hola!

    ¿Se puede que la contadora vea los reportes de la consola de Safetica pero sin poder cambiar nada de las
    políticas? Si se puede, su correo es contabilidad@cafesoconusco.com.mx.
    """,
    "A limited console role: leve.",
    incident="restricciones_consola",
)

# --- in scope, none of the fifteen -------------------------------------------

m(
    "critica",
    "german",
    "SE CAYÓ LA VPN CON LAS TIENDAS",
    """
    Buenas tardes,

    Desde la 1 se cayó la VPN del SonicWall con las 6 tiendas. Ninguna tienda puede cobrar ni consultar
    existencias porque el sistema de punto de venta está en el corporativo. Es día de quincena y las
    tiendas están llenas.

    Ayúdennos por favor.
    """,
    "The SonicWall VPN to every shop down; no shop can sell: critica.",
    caps=True,
    html=True,
    hour=14,
    day="2027-06-15",
)
m(
    "critica",
    "dana",
    "Internet down plant-wide - SonicWall passes nothing",
    """
    Hi,

    Since 10:20 nothing goes out to the internet from the plant. The SonicWall shows the WAN interface up
    and we can ping the ISP's gateway from the SonicWall, but no traffic from the LAN gets out. The ISP
    says their side is fine.

    Our ERP and EDI are in the cloud, so the 400 people here can't work and shipments to the assembly
    plants are stopped. Please help ASAP.
    """,
    "No internet through the SonicWall for the whole plant, shipments stopped: critica.",
    hour=11,
)
m(
    "critica",
    "itandehui",
    "Re: Cortes de internet en la bodega",
    """
    Hola,

    Ya no son cortes de un minuto: hoy llevamos dos horas sin internet en toda la finca, la bodega y el
    beneficio, y el SonicWall tiene todas las luces normales. No podemos mandar la documentación del
    contenedor que sale hoy a Hamburgo y el agente aduanal nos dice que si no llega a las 4 se pierde el
    barco. Es urgente.
    """,
    "No internet through the SonicWall for the whole company, an export shipment at risk; 'Es urgente' "
    "with a critical impact: critica. The earlier ticket's 'LEVE' is in quoted history.",
    quote=q(
        """
        Estimada Itandehui:

        Cerramos el ticket IMG-2027-0602 con severidad LEVE: los cortes de internet en la bodega duraban
        menos de un minuto y coincidían con las tormentas de la tarde; el SonicWall no registró fallas.

        Ing. Leonardo Quintanar
        IMAGEN TI
        """,
        author="engineer",
        subject="Cortes de internet en la bodega",
        days=12,
    ),
    hour=12,
)
m(
    "grave",
    "cristina",
    "Sucursal Aeropuerto sin internet",
    """
    Buenos días,

    La sucursal Aeropuerto (5 personas) no tiene internet desde las 8. El SonicWall TZ de la sucursal tiene
    la luz de alerta encendida y ya lo reiniciamos dos veces. Están haciendo los contratos a mano y
    cobrando con la terminal por datos del celular.
    """,
    "One branch's SonicWall down, five people hampered: grave.",
    hour=10,
)
m(
    "grave",
    "nacho",
    "urgente visita en sitio, el sonicwall se calienta",
    """
    buenas

    urgente, necesitamos que vengan a la finca, el sonicwall esta muy caliente y hace un ruido raro desde
    ayer. todavia funciona el internet pero me da miedo que se queme
    """,
    "An on-site check of the SonicWall; 'urgente', nothing down yet: grave.",
    caps=True,
    noacc=True,
)
m(
    "leve",
    "elisa",
    "Capacitación de la consola para técnicos nuevos",
    """
    Buenos días,

    Entraron dos técnicos nuevos al área de Soporte. ¿Nos pueden dar la capacitación de la consola de
    WithSecure que nos dieron en la implementación? Pueden ser dos sesiones en línea en junio.
    """,
    "Training on the console: leve. 'Urgencias' in the signature is the hospital's service.",
    day="2027-05-20",
)
m(
    "leve",
    "helen",
    "Your support contacts for our continuity plan",
    """
    Hi,

    We're updating our business continuity plan. Could you send us your support phone numbers, hours and
    escalation contacts so we can list them? Thanks!
    """,
    "A question about support contacts, nothing interrupted: leve.",
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
    """n send times from early April to late June 2027, mostly in business hours, in order."""
    start = datetime(2027, 4, 5, tzinfo=MX)
    # Labour Day; the only statutory holiday in the span (it falls on a Saturday in 2027).
    closed = {datetime(2027, 5, 1, tzinfo=MX).date()}
    out = []
    for _ in range(n):
        while True:
            day = start + timedelta(days=rng.randint(0, 80))
            odd = rng.random() < 0.08  # a few after hours or on a weekend
            if odd or (day.weekday() < 5 and day.date() not in closed):
                break
        hour = rng.choice([7, 20, 21, 22]) if odd else rng.randint(8, 18)
        out.append(day.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59)))
    return sorted(out)


def build(case: Case, when: datetime, rng: random.Random) -> bytes:
    person = PEOPLE[case.who]
    if case.day:  # the text names a date ("en mayo", "before June 1"): send it when that reads true
        year, month, day = (int(part) for part in case.day.split("-"))
        when = when.replace(year=year, month=month, day=day)
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
        assert case.day is None or datetime.fromisoformat(case.day).weekday() < 5, case
    assert {c.severity for c in cases} == set(SEVERITIES)
    assert {c.limit for c in cases if c.limit} == set(LIMITS)
    assert {c.incident for c in cases if c.incident} == set(INCIDENTS)
    # out of scope in every severity
    assert {c.severity for c in cases if c.limit} == set(SEVERITIES)


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def halves(numbered: list[tuple[str, Case]]) -> dict[str, str]:
    """Each file's half: within each (severity, in or out of scope), alternately dev and heldout.

    Rules may be tuned against the dev half; the heldout half is read only to measure.
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
        "# Labels of the third classification set (see README.md in this folder).",
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
    verify(numbered)
    print(f"{len(numbered)} mails written to {out}, checked")
    print(summary(numbered))
    print()
    print(styles(numbered))


def verify(numbered: list[tuple[str, Case]]) -> None:
    """What a reader of the set relies on, checked on the written files, not on the cases."""
    import tomllib
    from email import message_from_bytes

    files = sorted(p.name for p in (HERE / "mails").glob("*.eml"))
    assert files == [name for name, _ in numbered], "mails/ holds other files"
    ids = set()
    for name in files:
        msg = message_from_bytes((HERE / "mails" / name).read_bytes(), policy=policy.default)
        defects = list(msg.defects) + [d for part in msg.walk() for d in part.defects]
        assert not defects, (name, defects)
        assert msg.get_body(preferencelist=("plain",)) is not None, name
        sender = msg["From"].addresses[0].addr_spec
        assert not sender.lower().endswith("@imagenti.mx"), (name, sender)
        assert DESK in [a.addr_spec for a in msg["To"].addresses], name
        assert msg["Message-ID"] not in ids, name
        ids.add(msg["Message-ID"])
    with (HERE / "labels.toml").open("rb") as f:
        labels = tomllib.load(f)["mail"]
    assert [entry["file"] for entry in labels] == files, "one label per file, in file order"
    for entry in labels:
        assert entry["severity"] in SEVERITIES, entry
        assert entry["out_of_scope"] == ("limit" in entry), entry
        assert entry["split"] in ("dev", "heldout"), entry


def summary(numbered: list[tuple[str, Case]]) -> str:
    """The counts table of README.md: dev / heldout / all."""
    split = halves(numbered)
    cases = [(split[name], case) for name, case in numbered]

    def row(title: str, pick) -> str:
        n = [sum(1 for half, c in cases if half == want and pick(c)) for want in ("dev", "heldout")]
        return f"| {title} | {n[0]} | {n[1]} | {n[0] + n[1]} |"

    lines = ["| | dev | heldout | all |", "| --- | ---: | ---: | ---: |", row("mails", lambda c: True)]
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
