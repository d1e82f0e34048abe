"""clean_line's short cut for a line already clean gives what the full cleaning gives."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailbot.mail import text

PIECES = st.sampled_from(
    [
        "a",
        "Ñ",
        "é",
        " ",
        "  ",
        "\t",
        "\r\n",
        "\x85",
        "\u2028",
        "\u2029",
        "\xa0",
        "\u3000",
        "\x1e",
        "\x7f",
        "\x00",
        "\ud800",
        "@",
        "<",
        "x",
    ]
)


@settings(max_examples=5000, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(PIECES, max_size=12).map("".join)))
@example("José Pérez <jose@cliente.com.mx>")
@example("\xa0Ana\xa0")
@example("")
def test_the_short_cut_agrees_with_the_full_cleaning(value):
    assert text.clean_line(value) == text._clean_line(value)
