"""One spelling per address on intake: case, and an international domain in Unicode or IDNA form."""

from __future__ import annotations

import pytest

from mailbot.addresses import normalize_address, normalize_domain
from mailbot.config import settings_from_dict
from mailbot.mail.parse import parse
from mailbot.mail.screen import authenticated

UNICODE = "jmnunez@ópticasnúñez.mx"
ACE = "jmnunez@xn--pticasnez-r6ao5g.mx"  # the same address, its domain in IDNA ASCII form


def utf8_mail(sender: str, *, extra: str = "") -> bytes:
    """A mail as an RFC 6532 mail program writes it: UTF-8 straight in the header."""
    return (
        f"From: {sender}\r\nTo: soporte@imagenti.mx\r\nCc: Compras <COMPRAS@ÓpticasNúñez.MX>\r\n"
        f"Subject: Lentes\r\nMessage-ID: <u1@xn--pticasnez-r6ao5g.mx>\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHola.\r\n"
    ).encode()


@pytest.mark.parametrize(
    "written",
    [
        "ópticasnúñez.mx",
        "ÓPTICASNÚÑEZ.MX",
        "xn--pticasnez-r6ao5g.mx",
        "XN--PTICASNEZ-R6AO5G.MX",
        "o\u0301pticasnu\u0301n\u0303ez.mx",  # decomposed accents (NFD), as some systems write them
    ],
)
def test_every_spelling_of_an_international_domain_is_one_domain(written):
    assert normalize_domain(written) == "ópticasnúñez.mx"


def test_ascii_domains_are_only_lower_cased():
    assert normalize_domain("Cliente.COM.mx") == "cliente.com.mx"
    assert normalize_address("Juan.Perez@Cliente.com.MX") == "juan.perez@cliente.com.mx"


@pytest.mark.parametrize("written", ["foo_bar.Example.com", "xn--zz.MX", "-guion.mx"])
def test_a_domain_idna_refuses_still_gets_one_form(written):
    # Not a valid IDN: kept as written, lower-cased, never an error (the mail is still taken in).
    assert normalize_domain(written) == written.lower()


def test_idna_2008_keeps_the_letters_idna_2003_maps_away():
    # Python's own "idna" codec (IDNA 2003) would make this strasse.de, another domain.
    assert normalize_domain("xn--strae-oqa.de") == "straße.de"
    assert normalize_domain("STRASSE.de") == "strasse.de"


@pytest.mark.parametrize(
    "sender", [f"José Núñez <{UNICODE}>", f"José Núñez <{ACE}>", "José Núñez <JMNUNEZ@XN--PTICASNEZ-R6AO5G.MX>"]
)
def test_parse_stores_every_address_in_one_form(sender):
    mail = parse(utf8_mail(sender, extra=f"Reply-To: {ACE}\r\nReturn-Path: <{ACE}>\r\n"))
    assert mail.from_addr == UNICODE and mail.from_name == "José Núñez"
    assert mail.sender_domain == "ópticasnúñez.mx"
    assert mail.cc == ("compras@ópticasnúñez.mx",)
    assert mail.reply_to == (UNICODE,) and mail.return_path == UNICODE
    assert mail.message_id == "<u1@xn--pticasnez-r6ao5g.mx>"  # a Message-ID is an opaque token: as written


def test_dkim_for_the_ascii_form_authenticates_the_unicode_from_domain():
    settings = settings_from_dict({"security": {"authserv_id": "mx.imagenti.mx"}})
    stamp = "Authentication-Results: mx.imagenti.mx; dkim=pass header.d=xn--pticasnez-r6ao5g.mx\r\n"
    assert authenticated(parse(utf8_mail(f"José <{UNICODE}>", extra=stamp)), settings)
    other = "Authentication-Results: mx.imagenti.mx; dkim=pass header.d=xn--otro-dominio.mx\r\n"
    assert not authenticated(parse(utf8_mail(f"José <{UNICODE}>", extra=other)), settings)
