"""Forwarded mail as the team's mail programs write it, and what mailbot reads out of it (mail/forward.py)."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from textwrap import dedent
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.mail.forward import Forward, ForwardStyle, find_forward
from mailbot.mail.parse import InboundMail, parse
from tests.support.mail import DESK, make_mail

MX = ZoneInfo("America/Mexico_City")  # UTC-6 all year since 2022

ANA_ADDR = "ana.ruiz@grupoejemplo.com.mx"
ANA = f"Ana Ruiz <{ANA_ADDR}>"
PEDRO = "Pedro Ramírez <pedro.ramirez@imagenti.mx>"
LAURA = "Laura Gómez <laura.gomez@imagenti.mx>"
TEAM = frozenset({"pedro.ramirez@imagenti.mx", "laura.gomez@imagenti.mx", DESK})

WHEN = datetime(2026, 12, 1, 10, 35, tzinfo=MX)
WHEN_S = WHEN.replace(second=12)
SUBJECT = "WithSecure bloquea Aspel"

ORIGINAL = """\
Buen día,

El antivirus WithSecure bloquea el sistema Aspel en 12 equipos desde la actualización de anoche.
¿Nos pueden apoyar hoy? Es cierre de mes.

Saludos,
Ana Ruiz
Contabilidad | Grupo Ejemplo
"""
FIRST_LINE = "Buen día,"
NOTE = "Favor de abrir ticket para Grupo Ejemplo, es urgente.\n\nPedro Ramírez\nIngeniero de Soporte | IMAGEN TI"


def _t(s: str) -> str:
    return dedent(s).lstrip("\n")


def quoted(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.split("\n"))


def forwarded(body: str, *, subject: str = f"RV: {SUBJECT}", sender: str = PEDRO, **kw) -> InboundMail:
    return parse(make_mail(sender=sender, to=DESK, subject=subject, body=body, **kw))


def find(mail: InboundMail, **kw) -> Forward | None:
    kw.setdefault("tz", MX)
    kw.setdefault("team", TEAM)
    return find_forward(mail, **kw)


# -- inline forwards, one per layout --------------------------------------------------------

# (id, subject of the forwarding mail, header block as the program writes it, style, expected date)
LAYOUTS = [
    (
        "outlook-desktop-es",
        f"RV: {SUBJECT}",
        f"""\
        De: {ANA}
        Enviado el: martes, 1 de diciembre de 2026 10:35 a. m.
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        CC: Jorge Luna <jorge.luna@grupoejemplo.com.mx>
        Asunto: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN,
    ),
    (
        "outlook-desktop-es-mensaje-original",
        f"RV: {SUBJECT}",
        f"""\
        -----Mensaje original-----
        De: Ana Ruiz [mailto:{ANA_ADDR}]
        Enviado el: martes, 1 de diciembre de 2026 22:35
        Para: pedro.ramirez@imagenti.mx
        Asunto: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN.replace(hour=22),
    ),
    (
        "outlook-desktop-en",
        f"FW: {SUBJECT}",
        f"""\
        -----Original Message-----
        From: Ana Ruiz [mailto:{ANA_ADDR}]
        Sent: Tuesday, December 1, 2026 10:35 AM
        To: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Cc: Jorge Luna <jorge.luna@grupoejemplo.com.mx>
        Subject: {SUBJECT}
        Importance: High
        """,
        ForwardStyle.OUTLOOK,
        WHEN,
    ),
    (
        "outlook-desktop-en-bold-text-part",  # Outlook's own text/plain of an HTML mail: <b> as *…*
        f"FW: {SUBJECT}",
        f"""\
        *From:* Ana Ruiz <{ANA_ADDR}>
        *Sent:* Tuesday, December 1, 2026 10:35 AM
        *To:* Pedro Ramírez <pedro.ramirez@imagenti.mx>
        *Subject:* {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN,
    ),
    (
        "outlook-web-es",
        f"RV: {SUBJECT}",
        f"""\
        ________________________________
        De: Ana Ruiz <{ANA_ADDR}>
        Enviado: martes, 1 de diciembre de 2026 10:35
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Asunto: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN,
    ),
    (
        "outlook-web-en",
        f"FW: {SUBJECT}",
        f"""\
        ________________________________
        From: Ana Ruiz <{ANA_ADDR}<mailto:{ANA_ADDR}>>
        Sent: Tuesday, December 1, 2026 4:35 PM
        To: pedro.ramirez@imagenti.mx <pedro.ramirez@imagenti.mx>;
            soporte@imagenti.mx <soporte@imagenti.mx>
        Subject: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN.replace(hour=16),
    ),
    (
        "outlook-mobile-ios-en",
        f"Fw: {SUBJECT}",
        f"""\
        Get Outlook for iOS<https://aka.ms/o0ukef>
        ________________________________
        From: Ana Ruiz <{ANA_ADDR}>
        Sent: Tuesday, December 1, 2026 10:35:12 AM
        To: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Subject: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN_S,
    ),
    (
        "outlook-mobile-android-es",
        f"RV: {SUBJECT}",
        f"""\
        Obtener Outlook para Android<https://aka.ms/AAb9ysg>
        ________________________________
        De: Ana Ruiz <{ANA_ADDR}>
        Enviado: martes, 1 de diciembre de 2026 10:35:12 a. m.
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Asunto: {SUBJECT}
        """,
        ForwardStyle.OUTLOOK,
        WHEN_S,
    ),
    (
        "new-outlook-mac-es",  # no separator, no blank line before the body
        f"RV: {SUBJECT}",
        f"""\
        De: Ana Ruiz <{ANA_ADDR}>
        Fecha: martes, 1 de diciembre de 2026, 10:35
        Para: pedro.ramirez@imagenti.mx <pedro.ramirez@imagenti.mx>
        Asunto: {SUBJECT}""",
        ForwardStyle.OUTLOOK,
        WHEN,
    ),
    (
        "gmail-web-es",  # Gmail in Spanish keeps some English labels
        f"Fwd: {SUBJECT}",
        f"""\
        ---------- Forwarded message ---------
        De: Ana Ruiz <{ANA_ADDR}>
        Date: mar, 1 dic 2026 a la(s) 10:35
        Subject: {SUBJECT}
        To: <pedro.ramirez@imagenti.mx>
        """,
        ForwardStyle.GMAIL,
        WHEN,
    ),
    (
        "gmail-web-es-labels",
        f"Fwd: {SUBJECT}",
        f"""\
        ---------- Mensaje reenviado ---------
        De: Ana Ruiz <{ANA_ADDR}>
        Fecha: mar, 1 dic 2026 a las 10:35
        Asunto: {SUBJECT}
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Cc: Jorge Luna <jorge.luna@grupoejemplo.com.mx>
        """,
        ForwardStyle.GMAIL,
        WHEN,
    ),
    (
        "gmail-web-en",
        f"Fwd: {SUBJECT}",
        f"""\
        ---------- Forwarded message ---------
        From: Ana Ruiz <{ANA_ADDR}>
        Date: Tue, Dec 1, 2026 at 10:35 AM
        Subject: {SUBJECT}
        To: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        """,
        ForwardStyle.GMAIL,
        WHEN,
    ),
    (
        "gmail-android-es",
        f"Fwd: {SUBJECT}",
        f"""\
        ---------- Mensaje reenviado ---------
        De: *Ana Ruiz* <{ANA_ADDR}>
        Fecha: mar., 1 de dic. de 2026 10:35 p. m.
        Asunto: {SUBJECT}
        Para: <pedro.ramirez@imagenti.mx>
        """,
        ForwardStyle.GMAIL,
        WHEN.replace(hour=22),
    ),
    (
        "gmail-ios-en",
        f"Fwd: {SUBJECT}",
        f"""\
        Sent from my iPhone

        ---------- Forwarded message ---------
        From: Ana Ruiz <{ANA_ADDR}>
        Date: Tue, Dec 1, 2026 at 12:35 PM
        Subject: {SUBJECT}
        To: <pedro.ramirez@imagenti.mx>
        """,
        ForwardStyle.GMAIL,
        WHEN.replace(hour=12),
    ),
    (
        "apple-mail-en",
        f"Fwd: {SUBJECT}",
        f"""\
        Begin forwarded message:

        From: Ana Ruiz <{ANA_ADDR}>
        Subject: {SUBJECT}
        Date: December 1, 2026 at 10:35:12 AM CST
        To: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Reply-To: {ANA_ADDR}

        """,
        ForwardStyle.APPLE,
        WHEN_S,
    ),
    (
        "apple-mail-es",
        f"Fwd: {SUBJECT}",
        f"""\
        Inicio del mensaje reenviado:

        De: Ana Ruiz <{ANA_ADDR}>
        Asunto: {SUBJECT}
        Fecha: 1 de diciembre de 2026, 10:35:12 CST
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>

        """,
        ForwardStyle.APPLE,
        WHEN_S,
    ),
    (
        "thunderbird-en",
        f"Fwd: {SUBJECT}",
        f"""\
        -------- Forwarded Message --------
        Subject: \t{SUBJECT}
        Date: \tTue, 1 Dec 2026 10:35:12 -0600
        From: \tAna Ruiz <{ANA_ADDR}>
        To: \tpedro.ramirez@imagenti.mx
        CC: \tJorge Luna <jorge.luna@grupoejemplo.com.mx>



        """,
        ForwardStyle.THUNDERBIRD,
        WHEN_S,
    ),
    (
        "thunderbird-es",  # the date in the sender's zone
        f"Fwd: {SUBJECT}",
        f"""\
        -------- Mensaje reenviado --------
        Asunto: \t{SUBJECT}
        Fecha: \tTue, 1 Dec 2026 17:35:12 +0100
        De: \tAna Ruiz <{ANA_ADDR}>
        Para: \tpedro.ramirez@imagenti.mx



        """,
        ForwardStyle.THUNDERBIRD,
        WHEN_S,
    ),
]
HEADER = {x[0]: x[2] for x in LAYOUTS}  # the header block of each layout, by its id


@pytest.mark.parametrize(("subject", "header", "style", "when"), [x[1:] for x in LAYOUTS], ids=[x[0] for x in LAYOUTS])
def test_inline_forward_is_the_clients_mail(subject, header, style, when):
    body = NOTE + "\n\n" + _t(header) + "\n" + ORIGINAL
    fwd = find(forwarded(body, subject=subject))
    assert fwd is not None
    assert fwd.style is style
    assert (fwd.sender, fwd.sender_name) == (ANA_ADDR, "Ana Ruiz")
    assert fwd.date == when and fwd.date.tzinfo is not None
    assert fwd.subject == SUBJECT
    assert fwd.text.startswith(FIRST_LINE) and fwd.text.endswith("Contabilidad | Grupo Ejemplo")
    assert "WithSecure bloquea el sistema Aspel en 12 equipos" in fwd.text
    assert fwd.note.startswith("Favor de abrir ticket para Grupo Ejemplo") and "De:" not in fwd.note
    assert fwd.message_id is None and fwd.original is None
    assert "pedro.ramirez@imagenti.mx" in fwd.to


def test_outlook_recipients_are_read():
    fwd = find(forwarded(NOTE + "\n\n" + _t(HEADER["outlook-desktop-es"]) + "\n" + ORIGINAL))
    assert fwd.to == ("pedro.ramirez@imagenti.mx",)
    assert fwd.cc == ("jorge.luna@grupoejemplo.com.mx",)
    # A recipient list Outlook wrapped over two lines.
    fwd = find(forwarded(NOTE + "\n\n" + _t(HEADER["outlook-web-en"]) + "\n" + ORIGINAL, subject="FW: x"))
    assert fwd.to == ("pedro.ramirez@imagenti.mx", "soporte@imagenti.mx")


def test_apple_mail_ios_forward_quoted_with_marks():
    """iOS Mail in plain text: the whole forward quoted with "> ", the zone as GMT offset."""
    header = _t(f"""
        Inicio del mensaje reenviado:

        De: Ana Ruiz <{ANA_ADDR}>
        Fecha: 1 de diciembre de 2026, 9:35:12 a.m. GMT-7
        Para: Pedro Ramírez <pedro.ramirez@imagenti.mx>
        Asunto: {SUBJECT}

        """)
    body = "Abrir ticket por favor.\n\nEnviado desde mi iPhone\n\n" + quoted(header + ORIGINAL)
    fwd = find(forwarded(body, subject=f"Fwd: {SUBJECT}"))
    assert fwd.style is ForwardStyle.APPLE
    assert fwd.sender == ANA_ADDR
    assert fwd.date == WHEN_S  # 9:35:12 at UTC-7 is 10:35:12 in Mexico City
    assert fwd.text == ORIGINAL.strip()  # the quote marks are gone
    assert fwd.note == "Abrir ticket por favor.\n\nEnviado desde mi iPhone"


def test_a_forward_without_note_has_an_empty_note():
    body = "---------- Forwarded message ---------\n" + f"From: {ANA}\nDate: Tue, Dec 1, 2026 at 10:35 AM\n\n{ORIGINAL}"
    fwd = find(forwarded(body, subject=f"Fwd: {SUBJECT}"))
    assert fwd.note == ""
    assert fwd.subject is None  # the block had no Subject line: the caller keeps the mail's own
    assert fwd.text.startswith(FIRST_LINE)


def test_the_subject_may_be_anything():
    """The engineer rewrote the subject: the forward block alone decides."""
    body = NOTE + "\n\n" + _t(HEADER["outlook-desktop-es"]) + "\n" + ORIGINAL
    fwd = find(forwarded(body, subject="Grupo Ejemplo: Aspel bloqueado"))
    assert fwd.sender == ANA_ADDR


# -- HTML-only forwards --------------------------------------------------------------------------


def html_mail(html: str, *, subject: str = f"RV: {SUBJECT}", alternative: bool = False) -> InboundMail:
    """A mail whose text is ``html`` only; ``alternative``: multipart/alternative with a blank text/plain part."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = PEDRO, DESK, subject
    msg["Message-ID"] = "<html-fwd@imagenti.mx>"
    if alternative:
        msg.set_content(" \n")
        msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html, subtype="html")
    return parse(msg.as_bytes())


ORIGINAL_HTML = (
    "<p>Buen día,</p><p>El antivirus WithSecure bloquea el sistema Aspel en 12 equipos desde la "
    "actualización de anoche.</p><p>Saludos,<br>Ana Ruiz</p>"
)


@pytest.mark.parametrize("alternative", [False, True], ids=["text-html", "multipart-alternative"])
def test_html_only_outlook_desktop_forward(alternative):
    html = f"""<html><body><div class="WordSection1">
<p class="MsoNormal">Favor de abrir ticket.<o:p></o:p></p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b><span lang="ES">De:</span></b><span lang="ES"> Ana Ruiz &lt;<a href="mailto:{ANA_ADDR}">{ANA_ADDR}</a>&gt;<br>
<b>Enviado el:</b> martes, 1 de diciembre de 2026 10:35 a.&nbsp;m.<br>
<b>Para:</b> Pedro Ramírez &lt;pedro.ramirez@imagenti.mx&gt;<br>
<b>Asunto:</b> {SUBJECT}<o:p></o:p></span></p></div>
{ORIGINAL_HTML}</div></body></html>"""
    mail = html_mail(html, alternative=alternative)
    assert mail.content_type == ("multipart/alternative" if alternative else "text/html")
    fwd = find(mail)
    assert fwd.style is ForwardStyle.OUTLOOK
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.subject) == (ANA_ADDR, "Ana Ruiz", WHEN, SUBJECT)
    assert fwd.text.startswith("Buen día,")
    assert "12 equipos" in fwd.text
    assert fwd.note == "Favor de abrir ticket."


def test_html_only_outlook_web_forward_names_the_sender_by_a_mailto_link():
    """Outlook on the web writes the sender's name, linked to mailto: the address is in the link only."""
    html = f"""<div>Nota interna: cliente con póliza vencida.</div><div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">
<b>De:</b> <a href="mailto:{ANA_ADDR}">Ana Ruiz</a><br><b>Enviado:</b> martes, 1 de diciembre de 2026 10:35<br>
<b>Para:</b> Soporte IMAGEN TI<br><b>Asunto:</b> {SUBJECT}</font><div>&nbsp;</div></div>{ORIGINAL_HTML}"""
    fwd = find(html_mail(html))
    assert (fwd.sender, fwd.sender_name, fwd.date) == (ANA_ADDR, "Ana Ruiz", WHEN)
    assert fwd.text.startswith("Buen día,")
    assert fwd.note == "Nota interna: cliente con póliza vencida."


def test_html_only_thunderbird_forward_with_a_header_table():
    html = f"""<p>Para seguimiento.</p><div class="moz-forward-container"><br><br>
-------- Mensaje reenviado --------
<table class="moz-email-headers-table" cellspacing="0" cellpadding="0" border="0"><tbody>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Asunto: </th><td>{SUBJECT}</td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Fecha: </th><td>Tue, 1 Dec 2026 10:35:12 -0600</td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">De: </th><td>Ana Ruiz
<a class="moz-txt-link-rfc2396E" href="mailto:{ANA_ADDR}">&lt;{ANA_ADDR}&gt;</a></td></tr>
<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Para: </th><td>soporte@imagenti.mx</td></tr>
</tbody></table><br>{ORIGINAL_HTML}</div>"""
    fwd = find(html_mail(html, subject=f"Fwd: {SUBJECT}"))
    assert fwd.style is ForwardStyle.THUNDERBIRD
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.subject) == (ANA_ADDR, "Ana Ruiz", WHEN_S, SUBJECT)
    assert fwd.text.startswith("Buen día,")
    assert fwd.note == "Para seguimiento."


def test_html_only_gmail_forward():
    html = f"""<div dir="ltr">Les reenvío el caso.<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">
---------- Forwarded message ---------<br>De: <strong class="gmail_sendername" dir="auto">Ana Ruiz</strong>
<span dir="auto">&lt;<a href="mailto:{ANA_ADDR}">{ANA_ADDR}</a>&gt;</span><br>Date: mar, 1 dic 2026 a la(s) 10:35<br>
Subject: {SUBJECT}<br>To: &lt;<a href="mailto:pedro.ramirez@imagenti.mx">pedro.ramirez@imagenti.mx</a>&gt;<br></div>
<br><br>{ORIGINAL_HTML}</div></div>"""
    fwd = find(html_mail(html, subject=f"Fwd: {SUBJECT}"))
    assert fwd.style is ForwardStyle.GMAIL
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.subject) == (ANA_ADDR, "Ana Ruiz", WHEN, SUBJECT)
    assert fwd.text.startswith("Buen día,")
    assert fwd.note == "Les reenvío el caso."


# -- forwards of forwards ----------------------------------------------------------------------


def test_forward_of_a_forward_is_the_outermost_sender_outside_the_team():
    """Client → Laura (team) → Pedro (team) → desk: the ticket is Ana's, Laura's words are a note."""
    body = (
        _t(f"""
        Favor de abrir ticket, Laura me lo pasó.

        ---------- Forwarded message ---------
        From: {LAURA}
        Date: Tue, Dec 1, 2026 at 11:02 AM
        Subject: Fwd: {SUBJECT}
        To: {PEDRO}

        Pedro, ¿lo puedes ver? Yo estoy en sitio.

        ---------- Forwarded message ---------
        From: {ANA}
        Date: Tue, Dec 1, 2026 at 10:35 AM
        Subject: {SUBJECT}
        To: {LAURA}

        """)
        + ORIGINAL
    )
    fwd = find(forwarded(body, subject=f"Fwd: Fwd: {SUBJECT}"))
    assert (fwd.sender, fwd.date, fwd.subject) == (ANA_ADDR, WHEN, SUBJECT)
    assert fwd.nested == 1
    assert fwd.text.startswith(FIRST_LINE)
    assert fwd.note.startswith("Favor de abrir ticket, Laura me lo pasó.")
    assert fwd.note.endswith("Pedro, ¿lo puedes ver? Yo estoy en sitio.")


def test_the_outermost_outside_sender_wins_over_inner_ones():
    """Ana forwarded her vendor's mail to Pedro: the report is Ana's; the vendor's mail stays in her text."""
    body = _t(f"""
        Abrir ticket.

        -----Mensaje original-----
        De: {ANA}
        Enviado el: martes, 1 de diciembre de 2026 10:35
        Para: {PEDRO}
        Asunto: RV: Licencias Aspel

        Pedro, esto nos mandó Aspel, ¿es correcto?

        -----Mensaje original-----
        De: Ventas Aspel <ventas@aspel.com.mx>
        Enviado el: lunes, 30 de noviembre de 2026 18:00
        Para: {ANA}
        Asunto: Licencias Aspel

        Su licencia vence el 31 de diciembre.
        """)
    fwd = find(forwarded(body, subject="RV: RV: Licencias Aspel"))
    assert (fwd.sender, fwd.date, fwd.subject, fwd.nested) == (ANA_ADDR, WHEN, "RV: Licencias Aspel", 0)
    assert fwd.text.startswith("Pedro, esto nos mandó Aspel")
    assert "ventas@aspel.com.mx" in fwd.text and fwd.text.endswith("Su licencia vence el 31 de diciembre.")


def test_a_forward_with_only_team_senders_is_the_innermost():
    """Laura forwarded Pedro's own mail: nobody outside the team: the first mail of the chain."""
    body = _t(f"""
        Para que quede registro.

        ________________________________
        De: {LAURA}
        Enviado: martes, 1 de diciembre de 2026 11:00
        Para: Soporte <soporte@imagenti.mx>
        Asunto: RV: Mantenimiento servidor

        Te lo reenvío.

        ________________________________
        De: {PEDRO}
        Enviado: martes, 1 de diciembre de 2026 10:35
        Para: {LAURA}
        Asunto: Mantenimiento servidor

        El sábado se reinicia el servidor de Aspel a las 8:00.
        """)
    fwd = find(forwarded(body, subject="RV: RV: Mantenimiento servidor", sender=LAURA))
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.nested) == (
        "pedro.ramirez@imagenti.mx",
        "Pedro Ramírez",
        WHEN,
        1,
    )
    assert fwd.text == "El sábado se reinicia el servidor de Aspel a las 8:00."
    # Only one team sender: that one.
    single = _t(f"""
        ---------- Forwarded message ---------
        From: {LAURA}
        Date: Tue, Dec 1, 2026 at 10:35 AM
        Subject: Vacaciones

        Estaré fuera del 20 al 31.
        """)
    fwd = find(forwarded(single, subject="Fwd: Vacaciones"))
    assert (fwd.sender, fwd.text) == ("laura.gomez@imagenti.mx", "Estaré fuera del 20 al 31.")


def test_a_thread_forwarded_after_a_colleagues_reply_is_the_clients():
    """Pedro forwards Laura's reply to Ana; Ana's mail is quoted under "El … escribió:"."""
    body = _t(f"""
        Abrir ticket a nombre de Ana.

        ---------- Mensaje reenviado ---------
        De: {LAURA}
        Date: mar, 1 dic 2026 a la(s) 11:10
        Subject: Re: {SUBJECT}
        To: {ANA}

        Ana, lo revisamos hoy mismo.

        El mar, 1 dic 2026 a las 10:35, Ana Ruiz (<{ANA_ADDR}>)
        escribió:
        """) + quoted(ORIGINAL)
    fwd = find(forwarded(body, subject=f"Fwd: Re: {SUBJECT}"))
    assert fwd.style is ForwardStyle.REPLY
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.subject) == (ANA_ADDR, "Ana Ruiz", WHEN, SUBJECT)
    assert fwd.text == ORIGINAL.strip()
    assert "Ana, lo revisamos hoy mismo." in fwd.note


# -- attached mails ------------------------------------------------------------------------------

PDF = b"%PDF-1.4 bitacora " + bytes(range(256))


def client_mail_bytes() -> bytes:
    return make_mail(
        sender=ANA,
        to="Pedro Ramírez <pedro.ramirez@imagenti.mx>",
        subject=SUBJECT,
        body=ORIGINAL,
        message_id="<aspel-1@grupoejemplo.com.mx>",
        date=False,
        headers={"Date": "Tue, 01 Dec 2026 10:35:12 -0600"},
        cc="Jorge Luna <jorge.luna@grupoejemplo.com.mx>",
        attachments=[("bitacora.pdf", PDF, "application/pdf")],
    )


def _assert_attached(fwd: Forward, note: str):
    assert fwd.style is ForwardStyle.ATTACHED
    assert (fwd.sender, fwd.sender_name, fwd.date, fwd.subject) == (ANA_ADDR, "Ana Ruiz", WHEN_S, SUBJECT)
    assert fwd.message_id == "<aspel-1@grupoejemplo.com.mx>"
    assert fwd.to == ("pedro.ramirez@imagenti.mx",) and fwd.cc == ("jorge.luna@grupoejemplo.com.mx",)
    assert fwd.text == ORIGINAL.strip()
    assert fwd.note == note
    assert fwd.original is not None
    assert [a.filename for a in fwd.original.attachments] == ["bitacora.pdf"]


def test_attached_message_rfc822_is_the_forward():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = PEDRO, DESK, f"RV: {SUBJECT}"
    msg.set_content("Favor de abrir ticket.\n\nPedro Ramírez\nIngeniero de Soporte | IMAGEN TI")
    msg.add_attachment(message_from_bytes(client_mail_bytes(), policy=policy.default))
    mail = parse(msg.as_bytes())
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]
    _assert_attached(find(mail), "Favor de abrir ticket.\n\nPedro Ramírez\nIngeniero de Soporte | IMAGEN TI")


def test_attached_eml_file_is_the_forward():
    mail = forwarded(
        "", attachments=[("WithSecure bloquea Aspel.eml", client_mail_bytes(), "application/octet-stream")]
    )
    _assert_attached(find(mail), "")


def test_an_eml_attached_under_an_inline_forward_is_the_forwarded_mails_attachment():
    body = NOTE + "\n\n" + _t(HEADER["outlook-desktop-es"]) + "\n" + ORIGINAL
    mail = forwarded(body, attachments=[("otro.eml", client_mail_bytes(), "message/rfc822")])
    fwd = find(mail)
    assert fwd.style is ForwardStyle.OUTLOOK and fwd.original is None


def test_two_attached_mails_or_a_long_letter_are_no_forward():
    two = forwarded(
        "Van los dos correos.",
        attachments=[("a.eml", client_mail_bytes(), "application/octet-stream")] * 2,
    )
    assert find(two) is None
    letter = forwarded(
        "Informe del mes.\n\n" + "Se atendieron los equipos de Grupo Ejemplo sin incidentes. " * 60,
        attachments=[("a.eml", client_mail_bytes(), "application/octet-stream")],
    )
    assert find(letter) is None


def test_an_attached_team_mail_holding_a_client_forward_is_the_clients():
    inner = make_mail(
        sender=LAURA,
        to=PEDRO,
        subject=f"Fwd: {SUBJECT}",
        body="Te lo paso.\n\n" + _t(HEADER["gmail-web-es-labels"]) + "\n" + ORIGINAL,
        date=False,
        headers={"Date": "Tue, 01 Dec 2026 11:00:00 -0600"},
    )
    fwd = find(forwarded("Abrir ticket.", attachments=[("fwd.eml", inner, "application/octet-stream")]))
    assert fwd.style is ForwardStyle.GMAIL
    assert (fwd.sender, fwd.date, fwd.message_id) == (ANA_ADDR, WHEN, None)
    assert fwd.original is not None and fwd.original.from_addr == "laura.gomez@imagenti.mx"
    assert fwd.note == "Abrir ticket.\n\nTe lo paso."


def test_an_eml_that_is_no_mail_is_an_ordinary_file():
    mail = forwarded("Ver adjunto.", attachments=[("vacio.eml", b"\x00\x01 not a mail", "application/octet-stream")])
    assert find(mail) is None


# -- not forwards ------------------------------------------------------------------------------


def test_a_reply_quoting_the_client_is_no_forward():
    body = _t(f"""
        Ana, ya quedó: se agregó la exclusión de Aspel en la política de WithSecure.

        Saludos,
        Pedro

        El mar, 1 dic 2026 a las 10:35, Ana Ruiz <{ANA_ADDR}> escribió:
        """) + quoted(ORIGINAL)
    assert find(forwarded(body, subject=f"Re: {SUBJECT}")) is None


def test_an_english_reply_wrapped_over_two_lines_is_no_forward():
    body = "Done.\n\nOn Tue, Dec 1, 2026 at 10:35 AM Ana Ruiz <\n" + f"{ANA_ADDR}> wrote:\n" + quoted(ORIGINAL)
    assert find(forwarded(body, subject=f"Re: {SUBJECT}")) is None


def test_an_outlook_reply_is_no_forward():
    """Outlook writes the same header block under a reply: the subject says which it is."""
    body = "Ana, ya quedó.\n\n" + _t(HEADER["outlook-web-es"]) + "\n" + ORIGINAL
    assert find(forwarded(body, subject=f"RE: {SUBJECT}")) is None
    assert find(forwarded(body, subject=f"[IMAGEN TI #IMG-000042] RE: {SUBJECT}")) is None
    assert find(forwarded(body, subject=f"RV: {SUBJECT}")) is not None


def test_a_reply_to_a_forward_is_no_forward():
    body = (
        "Ya lo vi.\n\n"
        + f"El mar, 1 dic 2026 a las 11:00, {LAURA} escribió:\n"
        + quoted(_t(HEADER["gmail-web-es-labels"]) + ORIGINAL)
    )
    assert find(forwarded(body, subject=f"Re: Fwd: {SUBJECT}")) is None


def test_prose_about_a_forwarded_message_is_no_forward():
    body = _t("""
        Hola equipo,

        El cliente dice que el forwarded message que le mandamos no traía el adjunto.
        Mensaje reenviado: no, nunca le llegó.
        ---------- Forwarded message ---------
        (lo borré por error)

        De: Pedro, para mañana.
        Fecha: por definir
        """)
    assert find(forwarded(body, subject="Seguimiento Grupo Ejemplo")) is None


def test_a_plain_mail_is_no_forward():
    assert find(forwarded(ORIGINAL, subject=SUBJECT, sender=ANA)) is None


# -- hostile input -------------------------------------------------------------------------------


def test_a_header_block_without_any_address_is_no_forward():
    body = _t(f"""
        ---------- Forwarded message ---------
        From: Ana Ruiz
        Date: Tue, Dec 1, 2026 at 10:35 AM
        Subject: {SUBJECT}

        """) + ORIGINAL.replace("Ana Ruiz", "Ana")
    assert find(forwarded(body, subject=f"Fwd: {SUBJECT}")) is None


def test_a_bare_name_is_found_next_to_its_address_elsewhere_in_the_mail():
    body = (
        _t(f"""
        ________________________________
        De: Ana Ruiz
        Enviado: martes, 1 de diciembre de 2026 10:35
        Para: Pedro Ramírez
        Asunto: {SUBJECT}

        """)
        + ORIGINAL
        + f"\nEl lun, 30 nov 2026 a las 9:00, Ana Ruiz <{ANA_ADDR}> escribió:\n> Hola\n"
    )
    fwd = find(forwarded(body))
    assert (fwd.sender, fwd.sender_name, fwd.nested) == (ANA_ADDR, "Ana Ruiz", 0)


@pytest.mark.parametrize(
    "date",
    [
        "32 de diciembre de 2026 10:35",
        "31 de febrero de 2026 10:35",
        "1 de diciembre de 99999 10:35",
        "1 de diciembre de 2026 25:99",
        "1 de diciembre de 2026",
        "Tue, 1 Dec 2026 10:35:12 +9900",
        "ayer en la tarde",
        "1" * 900 + ":35 dic 2026",
        "",
    ],
)
def test_an_absurd_date_is_none_and_the_forward_stands(date):
    body = f"---------- Forwarded message ---------\nFrom: {ANA}\nDate: {date}\nSubject: {SUBJECT}\n\n{ORIGINAL}"
    fwd = find(forwarded(body, subject=f"Fwd: {SUBJECT}"))
    assert fwd is not None and fwd.sender == ANA_ADDR
    assert fwd.date is None


def test_ten_thousand_separator_lines_are_read_quickly():
    lines = [
        "---------- Forwarded message ---------",
        "________________________________",
        "-----Mensaje original-----",
        "Inicio del mensaje reenviado:",
        "De: x",
        "El 1, x escribió",
        # Shapes that made a regular expression backtrack: a long line that starts
        # like a reply header or a header label and never ends like one.
        "El 1" + " " * 900 + "x",
        "*Enviado el" + " \t" * 400 + "x",
        "From: Ana" + " " * 900 + "x",
    ]
    body = "\n".join(lines[i % len(lines)] for i in range(10_000))
    mail = forwarded(body, subject="Fwd: x")
    start = time.perf_counter()
    assert find(mail) is None
    assert time.perf_counter() - start < 2


def test_a_thousand_nested_forwards_are_read_quickly():
    block = f"---------- Forwarded message ---------\nFrom: {LAURA}\nDate: Tue, Dec 1, 2026 at 10:35 AM\n\nVe esto.\n"
    mail = forwarded(block * 1000 + ORIGINAL, subject="Fwd: x")
    start = time.perf_counter()
    fwd = find(mail)
    assert time.perf_counter() - start < 2
    assert fwd is not None and fwd.sender == "laura.gomez@imagenti.mx"  # the chain is read to its limit


def test_team_addresses_are_compared_normalized():
    body = f"---------- Forwarded message ---------\nFrom: {LAURA}\nDate: Tue, Dec 1, 2026 at 10:35 AM\n\n"
    body += f"---------- Forwarded message ---------\nFrom: {ANA}\nDate: Tue, Dec 1, 2026 at 10:35 AM\n\n{ORIGINAL}"
    mail = forwarded(body, subject="Fwd: x")
    assert find(mail, team=frozenset({"Laura.Gomez@IMAGENTI.MX"})).sender == ANA_ADDR
    assert find(mail, team=frozenset()).sender == "laura.gomez@imagenti.mx"


BASE_MAIL = parse(make_mail(sender=PEDRO, subject="Fwd: x", body="x", date=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "---------- Forwarded message ---------",
                    "-------- Mensaje reenviado --------",
                    "Inicio del mensaje reenviado:",
                    "________________________________",
                    "-----Original Message-----",
                    f"De: {ANA}",
                    "From: <@>",
                    "*De:* Ana [mailto:",
                    "Enviado el: martes, 1 de diciembre de 2026 10:35 a. m.",
                    "Date: 99/99/9999 99:99 PM GMT+99",
                    "Fecha: mar, 1 mar 2026 a las 12:00 p. m.",
                    "Asunto: ",
                    "Para: a@b.c;",
                    "> > > ",
                    "El mar, 1 dic 2026 a las 10:35, Ana <",
                    "ana@x.mx> escribió:",
                    "",
                ]
            ),
            st.text(max_size=80),
        ),
        max_size=40,
    )
)
def test_any_text_gives_a_forward_or_none(lines):
    mail = dataclasses.replace(BASE_MAIL, text="\n".join(lines), subject="RE: x")
    found = find(mail)
    assert found is None or (isinstance(found, Forward) and "@" in found.sender)
    found = find(dataclasses.replace(mail, subject="Fwd: x"))
    assert found is None or (isinstance(found, Forward) and "@" in found.sender)


def test_never_raises_even_when_the_mail_is_broken():
    broken = dataclasses.replace(BASE_MAIL, text=None, attachments=None, html=None)  # type: ignore[arg-type]
    assert find(broken) is None


# -- dates ---------------------------------------------------------------------------------------------

CST = timezone(timedelta(hours=-6))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("martes, 1 de diciembre de 2026 10:35 a. m.", WHEN),
        ("martes, 1 de diciembre de 2026 10:35 p. m.", WHEN.replace(hour=22)),
        ("martes, 1 de diciembre de 2026 10:35 a.\xa0m.", WHEN),  # Outlook: a no-break space
        ("December 1, 2026 at 10:35:12\u202fAM CST", WHEN_S),  # Apple Mail: a narrow no-break space
        ("martes, 1 de diciembre de 2026 12:05 a. m.", WHEN.replace(hour=0, minute=5)),
        ("martes, 1 de diciembre de 2026 12:05 p.m.", WHEN.replace(hour=12, minute=5)),
        ("Miércoles, 2 De Diciembre De 2026 10:35", WHEN + timedelta(days=1)),
        ("miercoles, 2 de diciembre de 2026 10:35", WHEN + timedelta(days=1)),
        ("sáb, 5 sept 2026 a las 9:00", datetime(2026, 9, 5, 9, 0, tzinfo=MX)),
        ("mar, 3 mar 2026 a la(s) 8:15", datetime(2026, 3, 3, 8, 15, tzinfo=MX)),
        ("Tuesday, December 1, 2026 10:35 AM", WHEN),
        ("Thursday, 6 April 2023 at 16:17", datetime(2023, 4, 6, 16, 17, tzinfo=MX)),
        ("December 1, 2026 at 10:35:12 AM CST", WHEN_S),
        ("1 de diciembre de 2026, 10:35:12 CDT", WHEN_S - timedelta(hours=1)),
        ("1 de diciembre de 2026, 16:35:12 GMT", WHEN_S),
        ("1 de diciembre de 2026, 9:35:12 a.m. GMT-7", WHEN_S),
        ("1 de diciembre de 2026 10:35 (UTC-06:00) Guadalajara, Ciudad de México", WHEN),
        ("Tue, 1 Dec 2026 10:35:12 -0600 (CST)", WHEN_S),
        ("Tue, 1 Dec 2026 16:35:12 +0000", WHEN_S),
        ("01/12/2026 10:35", WHEN),  # day first, as Mexico writes it
        ("12/25/2026 10:35", datetime(2026, 12, 25, 10, 35, tzinfo=MX)),  # no month 25: month first
        ("01/12/26 10:35 a. m.", WHEN),
        ("2026-12-01 10:35:12", WHEN_S),
        ("jueves, 28 de octubre de 2021, 12:46", datetime(2021, 10, 28, 12, 46, tzinfo=MX)),
        ("1 dic 2026 10:35 XYZ", WHEN),  # an unknown zone: local time
    ],
)
def test_dates_in_spanish_and_english(value, expected):
    body = f"---------- Forwarded message ---------\nFrom: {ANA}\nDate: {value}\n\n{ORIGINAL}"
    fwd = find(forwarded(body, subject="Fwd: x"))
    assert fwd.date == expected
    assert fwd.date.utcoffset() is not None


def test_a_date_without_zone_is_local_time_in_the_desks_zone():
    body = f"---------- Forwarded message ---------\nFrom: {ANA}\nDate: mar, 1 dic 2026 a las 10:35\n\n{ORIGINAL}"
    mail = forwarded(body, subject="Fwd: x")
    assert find(mail).date.astimezone(UTC) == datetime(2026, 12, 1, 16, 35, tzinfo=UTC)
    madrid = find(mail, tz=ZoneInfo("Europe/Madrid")).date
    assert madrid.astimezone(UTC) == datetime(2026, 12, 1, 9, 35, tzinfo=UTC)
