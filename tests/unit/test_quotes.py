"""Replies as they look after MIME decoding, and the new part mailbot must keep."""

from textwrap import dedent

import pytest

from mailbot.mail import quotes
from mailbot.mail.quotes import Reply, split_reply


def _t(s: str) -> str:
    return dedent(s).lstrip("\n")


GMAIL_HISTORY = _t("""
    > Buen día,
    >
    > Desde ayer la consola de WithSecure Elements no muestra 12 equipos.
    > ¿Nos pueden apoyar?
    >
    > Laura Gómez
    > Sistemas, Grupo Ejemplo
    """)

OUTLOOK_HISTORY_ES = _t("""
    Buen día,

    El SonicWall TZ370 bloquea el acceso a la página del SAT desde las 9:00.

    Laura Gómez
    """)

# (id, text, expected new part)
CASES = [
    (
        "gmail-es-commands-top",
        _t("""
            #estado resuelto
            #resumen Se reinstaló el agente en los 12 equipos.

            Buen día Laura,

            Ya aparecen los 12 equipos en la consola; el agente estaba detenido
            por una política de Windows Update.

            Saludos,
            Pedro Ramírez
            Ingeniero de Soporte | IMAGEN TI
            55 5512 7337

            El lun, 23 nov 2026 a las 10:00, Laura Gómez (<laura.gomez@ejemplo.com.mx>) escribió:
            """)
        + GMAIL_HISTORY,
        "#estado resuelto\n#resumen Se reinstaló el agente en los 12 equipos.\n\nBuen día Laura,\n\n"
        "Ya aparecen los 12 equipos en la consola; el agente estaba detenido\n"
        "por una política de Windows Update.",
    ),
    (
        "gmail-es-wrapped-address",
        _t("""
            Laura, ¿nos compartes una captura del error?

            El lun, 23 nov 2026 a las 10:00, Laura Gómez Hernández (<
            laura.gomez.hernandez@corporativo-ejemplo.com.mx>) escribió:
            """)
        + GMAIL_HISTORY,
        "Laura, ¿nos compartes una captura del error?",
    ),
    (
        "gmail-es-wrapped-escribio-alone",
        _t("""
            Recibido, lo revisamos hoy mismo.

            El mié, 25 nov 2026 a las 16:42, Laura Gómez Hernández (<laura.gomez@ejemplo.com.mx>)
            escribió:
            """)
        + GMAIL_HISTORY,
        "Recibido, lo revisamos hoy mismo.",
    ),
    (
        "gmail-en",
        _t("""
            Hi John, the exclusion is in place. Please try again.

            On Mon, Nov 23, 2026 at 10:00 AM John Smith <john.smith@client.com> wrote:
            > The scanner keeps quarantining our ERP binary.
            """),
        "Hi John, the exclusion is in place. Please try again.",
    ),
    (
        "gmail-en-wrapped",
        _t("""
            Escalated to WithSecure, case 00123456.

            On Mon, Nov 23, 2026 at 10:00 AM John Alexander Smith <
            john.alexander.smith@client-example.com> wrote:
            > The scanner keeps quarantining our ERP binary.
            """),
        "Escalated to WithSecure, case 00123456.",
    ),
    (
        "outlook-es-underscores",
        _t("""
            #severidad grave
            Laura, ya agregamos la excepción para sat.gob.mx en el perfil de CFS.

            ________________________________
            De: Laura Gómez <laura.gomez@ejemplo.com.mx>
            Enviado: lunes, 23 de noviembre de 2026 10:00
            Para: Soporte IMAGEN TI <soporte@imagenti.mx>
            Asunto: [IMG-2026-0142] No abre la página del SAT

            """)
        + OUTLOOK_HISTORY_ES,
        "#severidad grave\nLaura, ya agregamos la excepción para sat.gob.mx en el perfil de CFS.",
    ),
    (
        "outlook-es-enviado-el",
        _t("""
            Buenas tardes, quedó aplicada la regla.

            De: Laura Gómez <laura.gomez@ejemplo.com.mx>
            Enviado el: lunes, 23 de noviembre de 2026 10:00
            Para: Soporte IMAGEN TI <soporte@imagenti.mx>
            CC: Francisco Martínez <francisco.martinez@imagenti.mx>
            Asunto: RE: [IMG-2026-0142] No abre la página del SAT

            """)
        + OUTLOOK_HISTORY_ES,
        "Buenas tardes, quedó aplicada la regla.",
    ),
    (
        "outlook-en",
        _t("""
            #status esperando-cliente
            John, could you send us the TSR file from the SonicWall?

            From: John Smith <john.smith@client.com>
            Sent: Monday, November 23, 2026 10:00 AM
            To: IMAGEN TI Support <soporte@imagenti.mx>
            Subject: [IMG-2026-0150] VPN drops every hour

            The SSL-VPN drops every hour.
            """),
        "#status esperando-cliente\nJohn, could you send us the TSR file from the SonicWall?",
    ),
    (
        "outlook-es-mensaje-original",
        _t("""
            Te marco en 10 minutos.

            -----Mensaje original-----
            De: Laura Gómez [mailto:laura.gomez@ejemplo.com.mx]
            Enviado el: lunes, 23 de noviembre de 2026 10:00
            Para: soporte@imagenti.mx
            Asunto: Equipo lento

            """)
        + OUTLOOK_HISTORY_ES,
        "Te marco en 10 minutos.",
    ),
    (
        "outlook-en-original-message",
        _t("""
            Calling you in 10 minutes.

            -----Original Message-----
            From: John Smith [mailto:john.smith@client.com]
            Sent: Monday, November 23, 2026 10:00 AM
            To: soporte@imagenti.mx
            Subject: Slow laptop
            """),
        "Calling you in 10 minutes.",
    ),
    (
        "apple-es-iphone",
        _t("""
            Voy en camino a sus oficinas, llego 11:30.

            Enviado desde mi iPhone

            > El 23 nov 2026, a las 10:00, Laura Gómez <laura.gomez@ejemplo.com.mx> escribió:
            >
            """)
        + GMAIL_HISTORY,
        "Voy en camino a sus oficinas, llego 11:30.",
    ),
    (
        "apple-es-mac",
        _t("""
            Listo, licencia renovada hasta 2027.

            El 23 nov 2026, a las 10:00, Laura Gómez <laura.gomez@ejemplo.com.mx> escribió:

            """)
        + GMAIL_HISTORY,
        "Listo, licencia renovada hasta 2027.",
    ),
    (
        "apple-en-iphone",
        _t("""
            On my way.

            Sent from my iPhone

            > On 23 Nov 2026, at 10:00, John Smith <john.smith@client.com> wrote:
            >
            > The VPN is down again.
            """),
        "On my way.",
    ),
    (
        "apple-en-mac",
        _t("""
            Firmware 7.1.2 fixes it; scheduling the update tonight.

            On 23 Nov 2026, at 10:00, John Smith wrote:

            > The VPN is down again.
            """),
        "Firmware 7.1.2 fixes it; scheduling the update tonight.",
    ),
    (
        "thunderbird-es",
        _t("""
            #asignar Ana Torres
            Ana lo toma a partir de mañana.

            El 23/11/26 a las 10:00, Laura Gómez escribió:
            """)
        + GMAIL_HISTORY,
        "#asignar Ana Torres\nAna lo toma a partir de mañana.",
    ),
    (
        "thunderbird-en",
        _t("""
            Done, the policy now allows port 3389 from the VPN zone only.

            On 11/23/26 10:00 AM, John Smith wrote:
            > Please open RDP for our consultant.
            """),
        "Done, the policy now allows port 3389 from the VPN zone only.",
    ),
    (
        "inline-quote-only-at-bottom",
        _t("""
            Gracias Laura, con eso basta para abrir el caso con Safetica.

            > Adjunto el log del agente.
            > Laura
            """),
        "Gracias Laura, con eso basta para abrir el caso con Safetica.",
    ),
    (
        "no-quote-lists-and-thanks-kept",
        _t("""
            #estado en-progreso
            Gracias, ya revisé el equipo. Pasos que siguen:
            - actualizar la base de firmas
            - reiniciar el servicio

            Advertencia: el servidor de correo rechaza los mensajes de la consola.
            Gracias,
            Pedro
            """),
        "#estado en-progreso\nGracias, ya revisé el equipo. Pasos que siguen:\n"
        "- actualizar la base de firmas\n- reiniciar el servicio\n\n"
        "Advertencia: el servidor de correo rechaza los mensajes de la consola.\nGracias,\nPedro",
    ),
    (
        "empty-new-part",
        _t("""
            El lun, 23 nov 2026 a las 10:00, Laura Gómez (<laura.gomez@ejemplo.com.mx>) escribió:
            """)
        + GMAIL_HISTORY,
        "",
    ),
    (
        "de-colon-mid-sentence",
        _t("""
            La alerta sale de la regla «De: cualquier origen, Para: LAN» del SonicWall.
            De: nuestra parte ya quedó corregida;
            favor de confirmar.
            Fecha de la próxima revisión: viernes.

            On Mon, Nov 23, 2026 at 10:00 AM John Smith <john.smith@client.com> wrote:
            > Alerts everywhere.
            """),
        "La alerta sale de la regla «De: cualquier origen, Para: LAN» del SonicWall.\n"
        "De: nuestra parte ya quedó corregida;\nfavor de confirmar.\n"
        "Fecha de la próxima revisión: viernes.",
    ),
    (
        "crlf-outlook-es",
        (
            "#estado esperando-cliente\r\nLaura, ¿puedes reiniciar el equipo y avisarnos?\r\n\r\n"
            "________________________________\r\nDe: Laura Gómez <laura.gomez@ejemplo.com.mx>\r\n"
            "Enviado: lunes, 23 de noviembre de 2026 10:00\r\nPara: soporte@imagenti.mx\r\n"
            "Asunto: Equipo lento\r\n\r\nEl equipo tarda 10 minutos en arrancar.\r\n"
        ),
        "#estado esperando-cliente\nLaura, ¿puedes reiniciar el equipo y avisarnos?",
    ),
    (
        "crlf-gmail-es-wrapped",
        (
            "Listo.\r\n\r\nEl lun, 23 nov 2026 a las 10:00, Laura Gómez Hernández (<\r\n"
            "laura.gomez@ejemplo.com.mx>) escribió:\r\n> hola\r\n"
        ),
        "Listo.",
    ),
    (
        "dash-dash-signature",
        _t("""
            Se aplicó el hotfix del fabricante.

            --\x20
            Pedro Ramírez
            IMAGEN TI · soporte@imagenti.mx · 55 5512 7337

            El 23/11/26 a las 10:00, Laura Gómez escribió:
            > hola
            """),
        "Se aplicó el hotfix del fabricante.",
    ),
    (
        "outlook-ios-signature",
        _t("""
            Confirmo, ya está bloqueado el dominio.

            Obtener Outlook para iOS
            ________________________________
            De: Laura Gómez <laura.gomez@ejemplo.com.mx>
            Enviado: Monday, November 23, 2026 10:00:00 AM
            Para: soporte@imagenti.mx
            Asunto: Phishing

            """)
        + OUTLOOK_HISTORY_ES,
        "Confirmo, ya está bloqueado el dominio.",
    ),
    (
        "closing-followed-by-content-kept",
        _t("""
            Saludos
            Quedó lista la exclusión.
            Saludos.

            Por cierto, para la siguiente actualización de la consola necesitaremos una ventana
            de mantenimiento de dos horas.
            """),
        "Saludos\nQuedó lista la exclusión.\nSaludos.\n\nPor cierto, para la siguiente actualización de la "
        "consola necesitaremos una ventana\nde mantenimiento de dos horas.",
    ),
    (
        "note-kept-in-new-part",
        _t("""
            #severidad critica
            Estamos conectados por AnyDesk.
            #nota el cliente no tiene respaldo del servidor

            Atentamente
            Ing. Pedro Ramírez

            ---------- Mensaje reenviado ---------
            De: Laura Gómez <laura.gomez@ejemplo.com.mx>
            Date: lun, 23 nov 2026 a las 10:00
            Subject: Ransomware
            """),
        "#severidad critica\nEstamos conectados por AnyDesk.\n#nota el cliente no tiene respaldo del servidor",
    ),
    (
        "gmail-en-forward",
        _t("""
            FYI, same issue at the Monterrey office.

            ---------- Forwarded message ---------
            From: John Smith <john.smith@client.com>
            Date: Mon, Nov 23, 2026 at 10:00 AM
            Subject: VPN
            """),
        "FYI, same issue at the Monterrey office.",
    ),
    (
        "bottom-posting-is-not-new",
        _t("""
            On Mon, Nov 23, 2026 at 10:00 AM John Smith <john.smith@client.com> wrote:
            > Is it fixed?

            Yes, fixed.
            """),
        "",
    ),
    (
        "indentation-kept",
        _t("""
            Agrega esto al perfil:
                Excluir: C:\\ERP\\bin\\erp.exe
                Modo: solo monitoreo
            On 11/23/26 10:00 AM, John Smith wrote:
            > ?
            """),
        "Agrega esto al perfil:\n    Excluir: C:\\ERP\\bin\\erp.exe\n    Modo: solo monitoreo",
    ),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_new_part(text, expected):
    assert split_reply(text).new == expected


def test_quoted_and_signature():
    text = _t("""
        Ya quedó.

        Saludos cordiales,
        Pedro Ramírez
        IMAGEN TI

        El 23/11/26 a las 10:00, Laura Gómez escribió:
        > hola
        """)
    assert split_reply(text) == Reply(
        new="Ya quedó.",
        quoted="El 23/11/26 a las 10:00, Laura Gómez escribió:\n> hola",
        signature="Saludos cordiales,\nPedro Ramírez\nIMAGEN TI",
    )


def test_no_quote_has_empty_quoted():
    assert split_reply("  Listo.\n") == Reply(new="Listo.")


def test_english_only_ignores_spanish_headers():
    text = "Ok\n\nEl 23/11/26 a las 10:00, Laura Gómez escribió:\nhola"
    assert split_reply(text, languages=("en",)).new == text


def test_failure_returns_whole_text(monkeypatch):
    def broken(languages):
        raise RuntimeError("boom")

    monkeypatch.setattr(quotes, "_boundaries", broken)
    assert split_reply(" Texto\n> citado ") == Reply(new="Texto\n> citado")


def test_not_a_string_is_empty():
    assert split_reply(None) == Reply(new="")


def test_long_line_is_handled():
    text = "On " + "x " * 50_000 + "\n\nOn Mon, Nov 23, 2026 at 10:00 AM J <j@x.mx> wrote:\n> q"
    # Must finish (the suite's timeout guards it); speed itself is for bench/.
    assert split_reply(text).new == text.split("\n")[0].rstrip()
