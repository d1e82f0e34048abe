"""The outbound policy's short cut for short ASCII headers writes what compat32 itself writes."""

import email.policy
import random
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailbot.outbound import compose

COMPAT32 = email.policy.compat32.clone(linesep="\r\n", cte_type="8bit")
NAMES = ["From", "To", "Cc", "Subject", "Message-ID", "References", "In-Reply-To", "X-Mailbot-Ticket"]
# Printable ASCII and the whitespace and specials folding cares about.
VALUES = st.lists(
    st.sampled_from([chr(c) for c in range(32, 127)] + ["\t", " ", "  ", "=?", "?=", ";", ",", "\x1e", "\x0b"]),
    max_size=80,
).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(NAMES), VALUES)
def test_a_header_comes_out_as_compat32_writes_it(name, value):
    assert _fold(compose._POLICY, name, value) == _fold(COMPAT32, name, value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.lists(st.text(max_size=40), max_size=4))
def test_any_header_value_comes_out_as_compat32_writes_it(value, names):
    """Non-ASCII, multi-line and long values take compat32's own path."""
    for name in ["Subject", "To", *[n for n in names if n.isascii() and n.isalpha()]]:
        assert _fold(compose._POLICY, name, value) == _fold(COMPAT32, name, value)


def _fold(policy, name, value):
    """The bytes, or the error compat32 raises (an embedded header after a line break)."""
    try:
        return policy.fold_binary(name, value)
    except Exception as exc:  # the error itself is what is compared
        return type(exc), str(exc)


def test_a_whole_acknowledgement_is_byte_for_byte_what_compat32_writes(monkeypatch, make_settings):
    settings_ = make_settings()
    kwargs = dict(
        message_id="<1f2e3d.mailbot@imagenti.mx>",
        to=["Íñigo Pérez <inigo.perez@cliente.com.mx>", "ventas@otro-cliente-con-un-nombre-largo.com.mx"],
        cc=["ingeniero@imagenti.mx"],
        subject="[IMG-000123] Re: La VPN con matriz se cayó otra vez y nadie puede facturar desde la sucursal",
        body="Hola,\n\nRecibimos su reporte.\n" * 20,
        html="<p>Hola</p>" * 10,
        now=datetime(2026, 12, 8, 10, 30, tzinfo=UTC),
        in_reply_to="<CAK=abc@mail.gmail.com>",
        references=[f"<ref{i}@mail.cliente.com.mx>" for i in range(6)],
        auto=True,
        ticket_number="IMG-000123",
    )
    random.seed(7)  # the MIME boundary
    fast = compose.compose(settings_, **kwargs)
    monkeypatch.setattr(compose, "_POLICY", COMPAT32)
    random.seed(7)
    assert fast == compose.compose(settings_, **kwargs)


@settings(max_examples=2000, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=400))
@example("[IMG-000123] Re: La VPN con matriz se cayó otra vez y nadie puede facturar desde la sucursal")
def test_a_subject_in_encoded_words_folds_as_compat32_folds_it(subject):
    value = compose._subject(subject)
    assert _fold(compose._POLICY, "Subject", value) == _fold(COMPAT32, "Subject", str(value))
