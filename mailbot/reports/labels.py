"""How reports and digests name things: as people read them, never as the stored slugs.

Severities and statuses have their words in ``vocab`` and ``outbound.templates``;
categories are whatever the ops-edited rules set, so the shipped ones (the
support terms' common incidents) have their names here and any other slug
is written as words ("cambio-de-equipo" → "Cambio de equipo").
"""

from __future__ import annotations

from mailbot.outbound.templates import STATUS_LABELS
from mailbot.vocab import Severity, Status, Turn

# The support terms' "incidentes más comunes", as the shipped rules (rules/30-categorias.toml) name them.
CATEGORY_NAMES = {
    "computadora-lenta": "Computadora lenta",
    "virus-malware": "Virus o malware",
    "bloqueo-pagina-web": "Bloqueo para acceder a página web",
    "bloqueo-aplicaciones": "Bloqueo de aplicaciones",
    "puertos": "Permitir o denegar puertos",
    "exclusiones": "Exclusiones de archivos o aplicaciones",
    "red-lenta": "Red lenta",
    "restablecer-contrasena-consola": "Restablecer contraseñas de acceso a consolas",
    "perfiles-usuario": "Asignación de perfiles de usuario",
    "configuraciones-nuevas": "Configuraciones nuevas",
    "llaves-licencia": "Recuperación de llaves de licencia",
    "informes-reportes": "Informes y reportes de las soluciones",
    "errores-agentes": "Errores en agentes o clientes",
    "actualizaciones-consola-agentes": "Actualizaciones de consola y agentes",
    "restricciones-acceso-consola": "Restricciones de acceso a consolas",
    "general": "General",
}

TURN_NAMES = {Turn.DESK: "mesa de ayuda", Turn.CLIENT: "cliente", Turn.VENDOR: "fabricante"}


def severity(value: str | None) -> str:
    """The severity as mail writes it (CRÍTICA, GRAVE, LEVE); an unknown value as stored, in capitals."""
    if value in set(Severity):
        return Severity(value).label
    return (value or "-").upper()


def category(value: str | None) -> str:
    if not value:
        return "Sin categoría"
    if value in CATEGORY_NAMES:
        return CATEGORY_NAMES[value]
    words = value.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def status(value: str | None) -> str:
    return STATUS_LABELS.get(Status(value), value) if value in set(Status) else (value or "-")


def turn(value: str | None) -> str:
    return TURN_NAMES.get(value, "-") if value else "-"
