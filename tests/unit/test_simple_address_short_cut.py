"""The short cut for a plain ``Name <address>`` header gives what email.utils.getaddresses gives."""

import email.utils

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailbot.mail import headers

PIECES = st.sampled_from(
    [
        "Juan",
        "Pérez",
        "Ing.",
        "O'Neil",
        "Ana-María",
        "x_y",
        " ",
        "  ",
        "\t",
        "<",
        ">",
        '"',
        ",",
        ";",
        ":",
        "(c)",
        "@",
        "j@x.mx",
        "a.b+c@x-y.com.mx",
        "J@X.MX",
        "[",
        "]",
        "\\",
        "=?utf-8?q?a?=",
        "ñ@x.mx",
        "a@",
        "@b",
    ]
)


@settings(max_examples=5000, deadline=None)
@given(st.lists(PIECES, max_size=8).map("".join))
@example("Juan Pérez <juan.perez@cliente.com.mx>")
@example("juan@cliente.com.mx")
@example("<juan@cliente.com.mx>")
@example("<juan@cliente.com.mx")
@example("juan@cliente.com.mx>")
def test_the_short_cut_agrees_with_getaddresses(value):
    assert headers._getaddresses([value]) == email.utils.getaddresses([value])


def test_the_usual_forms_take_the_short_cut():
    for value in ("Juan Pérez <juan.perez@cliente.com.mx>", "juan@cliente.com.mx", "<juan@cliente.com.mx>"):
        assert headers._SIMPLE_ADDRESS.fullmatch(value) is not None
