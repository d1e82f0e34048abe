"""Charts for the digest and the quarterly report: PNGs a mail can carry, readable in grey, with their table."""

from __future__ import annotations

import io
import struct
import subprocess
import sys

import pytest

from mailbot.reports import charts
from mailbot.reports.charts import ChartError, Durations, WeeklyBySeverity, WithinTarget, content_id, draw, table

WEEKLY = WeeklyBySeverity(
    title="Tickets por semana y severidad",
    xlabel="Semana",
    ylabel="Tickets",
    alt="Tickets recibidos por semana, por severidad.",
    weeks=("9 nov", "16 nov", "23 nov", "30 nov"),
    critica=(1, 0, 2, 0),
    grave=(3, 2, 0, 0),
    leve=(5, 7, 4, 0),
)
MONTHS = WithinTarget(
    title="Atención dentro de meta por mes",
    xlabel="Mes",
    ylabel="% dentro de meta",
    alt="Porcentaje de tickets atendidos dentro de meta, por mes.",
    labels=("sep 2026", "oct 2026", "nov 2026"),
    percent=(95, 82.5, None),
    target=90,
)
DURATIONS = Durations(
    title="Tiempos en horas hábiles por severidad",
    xlabel="Severidad",
    ylabel="Horas hábiles",
    alt="Mediana y percentil 90 de primera respuesta y resolución, por severidad.",
    first_response_median=(0.5, 1.25, 3.0),
    first_response_p90=(1.5, 3.4, 10.0),
    resolution_median=(4.0, 12.5, None),
    resolution_p90=(9.0, 30.0, None),
)
EMPTY_WEEKS = WeeklyBySeverity(
    title="Tickets por semana",
    xlabel="Semana",
    ylabel="Tickets",
    alt="Sin tickets.",
    weeks=(),
    critica=(),
    grave=(),
    leve=(),
)
EMPTY_DURATIONS = Durations(
    title="Tiempos",
    xlabel="Severidad",
    ylabel="Horas hábiles",
    alt="Sin tickets.",
    first_response_median=(None,) * 3,
    first_response_p90=(None,) * 3,
    resolution_median=(None,) * 3,
    resolution_p90=(None,) * 3,
)
CHARTS = [WEEKLY, MONTHS, DURATIONS, EMPTY_WEEKS, EMPTY_DURATIONS, WEEKLY]


@pytest.fixture(scope="module")
def pngs():
    """One subprocess for the charts most tests look at."""
    return draw(CHARTS)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first after its signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def grey(data: bytes):
    """The PNG as luminance 0 (black) to 1 (white), as a grey printer or a dim screen shows it."""
    import matplotlib.image  # the tests may load matplotlib; the daemon may not

    rgb = matplotlib.image.imread(io.BytesIO(data), format="png")[..., :3]
    return rgb @ [0.299, 0.587, 0.114]


def test_draw_gives_one_png_per_chart_at_mail_size(pngs):
    assert len(pngs) == len(CHARTS)
    for data in pngs:
        assert png_size(data) == (720, 360)
        assert b"Software" not in data and b"matplotlib" not in data  # no versions in the bytes


def test_the_same_chart_draws_the_same_bytes(pngs):
    assert pngs[0] == pngs[-1]
    assert len(set(pngs)) == len(pngs) - 1


def test_a_chart_without_data_still_draws(pngs):
    # No weeks at all, and no figure in any severity: both say "sin datos" on an ordinary image.
    for data in pngs[3:5]:
        assert png_size(data) == (720, 360)
        assert grey(data).min() < 0.5  # the title and the note are there, not a blank


def test_series_stay_apart_in_grey_scale():
    # The same stacked chart three times, each with one severity only: the
    # pixels that differ are that severity's bar, and in grey each must look different.
    def alone(**counts):
        values = {"critica": (0,), "grave": (0,), "leve": (0,)} | counts
        return WeeklyBySeverity(title="t", xlabel="x", ylabel="y", alt="a", weeks=("30 nov",), **values)

    images = [grey(p) for p in draw([alone(critica=(10,)), alone(grave=(10,)), alone(leve=(10,))])]
    bar = (images[0] != images[1]) | (images[1] != images[2])
    assert bar.sum() > 5000  # a bar, not a few pixels of text
    means = sorted(float(image[bar].mean()) for image in images)
    assert means[1] - means[0] > 0.15 and means[2] - means[1] > 0.15, means


def test_median_and_p90_stay_apart_in_grey_scale():
    def only(**values):
        names = ("first_response_median", "first_response_p90", "resolution_median", "resolution_p90")
        fields = dict.fromkeys(names, (None, None, None)) | values
        return Durations(title="t", xlabel="x", ylabel="y", alt="a", **fields)

    median, p90 = (grey(p) for p in draw([only(resolution_median=(5, 5, 5)), only(resolution_p90=(5, 5, 5))]))
    # The two series sit side by side: where the images differ, each one's own bars are its non-white pixels.
    differ = median != p90
    shades = [float(image[differ & (image < 0.97)].mean()) for image in (median, p90)]
    assert differ.sum() > 5000
    assert abs(shades[0] - shades[1]) > 0.2, shades


def test_table_gives_the_figures_drawn():
    assert table(WEEKLY) == [
        ["Semana", "CRÍTICA", "GRAVE", "LEVE", "Total"],
        ["9 nov", "1", "3", "5", "9"],
        ["16 nov", "0", "2", "7", "9"],
        ["23 nov", "2", "0", "4", "6"],
        ["30 nov", "0", "0", "0", "0"],
    ]
    assert table(MONTHS) == [["Mes", "% dentro de meta"], ["sep 2026", "95"], ["oct 2026", "82.5"], ["nov 2026", "s/d"]]
    header, *rows = table(DURATIONS)
    assert header == [
        "Severidad",
        "Primera respuesta, mediana",
        "Primera respuesta, percentil 90",
        "Resolución, mediana",
        "Resolución, percentil 90",
    ]
    assert rows == [
        ["CRÍTICA", "0.5", "1.5", "4", "9"],
        ["GRAVE", "1.3", "3.4", "12.5", "30"],  # one decimal, rounded half up as a person does
        ["LEVE", "3", "10", "s/d", "s/d"],
    ]
    assert table(EMPTY_WEEKS) == [["Semana", "CRÍTICA", "GRAVE", "LEVE", "Total"]]


def test_content_ids_are_stable_and_distinct():
    assert content_id(1, WEEKLY) == "chart-1-semanal@mailbot"
    ids = [content_id(i, c) for i, c in enumerate([WEEKLY, MONTHS, DURATIONS], 1)]
    assert ids == ["chart-1-semanal@mailbot", "chart-2-cumplimiento@mailbot", "chart-3-tiempos@mailbot"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: WithinTarget(title="t", xlabel="x", ylabel="y", alt="a", labels=("sep",), percent=(120,)),
            "between 0 and 100",
        ),
        (
            lambda: WithinTarget(title="t", xlabel="x", ylabel="y", alt="a", labels=("sep",), percent=("95",)),
            "not a number",
        ),
        (
            lambda: WithinTarget(title="t", xlabel="x", ylabel="y", alt="a", labels=("sep", "oct"), percent=(95,)),
            "1 values for 2 labels",
        ),
        (
            lambda: WeeklyBySeverity(
                title="t", xlabel="x", ylabel="y", alt="a", weeks=("1",), critica=(-1,), grave=(0,), leve=(0,)
            ),
            "≥ 0",
        ),
    ],
)
def test_wrong_figures_are_refused_where_the_chart_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_failed_drawing_is_a_chart_error_quoting_the_subprocess(monkeypatch):
    # Data the drawing process cannot draw (here a figure that is text) reaches it
    # only past the dataclasses' checks: it says which chart and why, and draw() quotes it.
    real = charts._spec

    def corrupt(chart):
        spec = real(chart)
        spec["series"][0]["values"][0] = "mucho"
        return spec

    monkeypatch.setattr(charts, "_spec", corrupt)
    with pytest.raises(ChartError) as caught:
        draw([WEEKLY])
    message = str(caught.value)
    assert "mailbot.reports.chartproc" in message and "exit 1" in message
    assert "chart 1 (stacked)" in message and "'mucho' is not a number" in message


def test_a_drawing_that_takes_too_long_is_stopped():
    with pytest.raises(ChartError, match=r"no answer within 0.01 s"):
        draw([WEEKLY], timeout=0.01)


def test_no_charts_start_no_process(monkeypatch):
    monkeypatch.setattr(charts, "_run", None)  # would fail if called
    assert draw([]) == []


def test_importing_charts_does_not_load_matplotlib():
    code = "import mailbot.reports.charts, sys; print('matplotlib' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
