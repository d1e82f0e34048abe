"""Charts for the manager's digest and the quarterly report, drawn outside the daemon.

A chart is a small frozen dataclass holding figures the caller has already
computed: ``WeeklyBySeverity``, ``WithinTarget``, ``Durations``. ``draw``
turns a list of them into PNGs in one short-lived ``python -m
mailbot.reports.chartproc``, JSON in on its standard input and out on its
standard output. Why a process of its own: importing matplotlib (and numpy)
costs the importing process some 50 MB that it never gives back, and the
daemon's memory is kept small; this module imports neither, so the daemon
pays for a chart only while one is drawn, in a process that then exits.

``table`` gives the same figures as rows of text, formatted once here and
written on the bars too: a mail shows a text version beside every chart (a
mail program that blocks images shows nothing else), and ``alt`` says in a
sentence what the chart shows. ``content_id`` names the inline image part.

Every word a chart shows is Spanish and comes from here (titles and axis
labels from the caller), so the drawing process knows no vocabulary.
"""

from __future__ import annotations

import base64
import json
import math
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from mailbot.vocab import Severity

SEVERITIES = tuple(s.label for s in Severity)  # CRÍTICA, GRAVE, LEVE: most severe first
NO_DATA = "s/d"  # "sin datos": nothing was due or measured there (a missing figure, not a zero)

_MODULE = "mailbot.reports.chartproc"
_STDERR_TAIL = 1500  # characters of the drawing process's standard error quoted in a ChartError


class ChartError(Exception):
    """The drawing process failed, timed out or answered something unreadable; the message says which."""


@dataclass(frozen=True, kw_only=True)
class WeeklyBySeverity:
    """Tickets received per week, stacked by severity; ``weeks`` are labels such as "30 nov", oldest first."""

    title: str
    xlabel: str
    ylabel: str
    alt: str
    weeks: tuple[str, ...]
    critica: tuple[int, ...]
    grave: tuple[int, ...]
    leve: tuple[int, ...]

    def __post_init__(self):
        _labels(self, "weeks")
        for name in ("critica", "grave", "leve"):
            _set(self, name, tuple(_count(v, name) for v in getattr(self, name)))
        _same_length(self, "weeks", "critica", "grave", "leve")


@dataclass(frozen=True, kw_only=True)
class WithinTarget:
    """The share of attention within its deadline, in percent, per month or per client.

    ``percent`` is None where nothing fell due (quarterly's ``_pct`` of 0 of 0):
    it is drawn and listed as "s/d", never as a zero. ``target``, e.g. 90, is
    drawn as a line, and bars below it are hatched so a miss shows in grey too.
    """

    title: str
    xlabel: str
    ylabel: str
    alt: str
    labels: tuple[str, ...]
    percent: tuple[float | None, ...]
    target: float | None = None

    def __post_init__(self):
        _labels(self, "labels")
        _set(self, "percent", tuple(_amount(v, "percent", upper=100.0) for v in self.percent))
        if self.target is not None:
            _set(self, "target", _amount(self.target, "target", upper=100.0))
        _same_length(self, "labels", "percent")


@dataclass(frozen=True, kw_only=True)
class Durations:
    """First response and resolution in business hours per severity: median and 90th percentile.

    Drawn as two panels side by side, each with its own scale: a resolution
    takes tens of hours where a first response takes one or two, and on one
    scale the responses would be slivers. None: no ticket of that severity.
    """

    title: str
    xlabel: str
    ylabel: str
    alt: str
    first_response_median: tuple[float | None, ...]
    first_response_p90: tuple[float | None, ...]
    resolution_median: tuple[float | None, ...]
    resolution_p90: tuple[float | None, ...]
    severities: tuple[str, ...] = SEVERITIES

    def __post_init__(self):
        _labels(self, "severities")
        names = ("first_response_median", "first_response_p90", "resolution_median", "resolution_p90")
        for name in names:
            _set(self, name, tuple(_amount(v, name) for v in getattr(self, name)))
        _same_length(self, "severities", *names)


Chart = WeeklyBySeverity | WithinTarget | Durations

_SLUGS = {WeeklyBySeverity: "semanal", WithinTarget: "cumplimiento", Durations: "tiempos"}


def draw(charts: Sequence[Chart], *, timeout: float = 60.0) -> list[bytes]:
    """One PNG (720x360) per chart, in order, all drawn by one subprocess; ChartError if it fails.

    Blocking: run it where a second or two of waiting is fine (a scheduled
    job), not between two mails. ``timeout`` covers matplotlib's first run on
    a machine, when it builds its font cache.
    """
    if not charts:
        return []
    request = json.dumps({"charts": [_spec(c) for c in charts]}, ensure_ascii=False).encode("utf-8")
    return _run(request, len(charts), timeout)


def content_id(i: int, chart: Chart) -> str:
    """The Content-ID (without brackets) of the chart numbered ``i`` in a mail: "chart-1-semanal@mailbot".

    ``i`` is written as given: number the charts from 1 (``enumerate(charts, 1)``).
    The same chart at the same place gets the same ID in every mail.
    """
    return f"chart-{i}-{_SLUGS[type(chart)]}@mailbot"


def table(chart: Chart) -> list[list[str]]:
    """The chart's figures as text, header row first, as the bars are labelled; "s/d" where there is none."""
    spec = _spec(chart)
    if spec["kind"] == "durations":
        header = [f"{p['title']}, {s['label'].lower()}" for p in spec["panels"] for s in p["series"]]
        columns = [s["text"] for p in spec["panels"] for s in p["series"]]
    else:
        header = [s["label"] for s in spec["series"]]
        columns = [s["text"] for s in spec["series"]]
    if spec["kind"] == "stacked":
        header.append("Total")
        columns.append(spec["total_text"])
    rows = [[label, *cells] for label, *cells in zip(spec["categories"], *columns, strict=True)]
    return [[chart.xlabel, *header], *rows]


def figure_text(value: float | None) -> str:
    """How a chart and its table write one figure: whole numbers bare, others to one decimal."""
    if value is None:
        return NO_DATA
    if float(value).is_integer():
        return str(int(value))
    # Half up from the shortest spelling: 30.25 h reads "30.3" as a person rounds, not the float's "30.2".
    return str(Decimal(repr(float(value))).quantize(Decimal("0.1"), ROUND_HALF_UP))


# The request chartproc reads: one spec per chart, every word and label text already here.


def _series(label: str, values: Sequence[float | None]) -> dict:
    return {"label": label, "values": list(values), "text": [figure_text(v) for v in values]}


def _spec(chart: Chart) -> dict:
    common = {"title": chart.title, "xlabel": chart.xlabel, "ylabel": chart.ylabel}
    if isinstance(chart, WeeklyBySeverity):
        counts = (chart.critica, chart.grave, chart.leve)
        totals = [sum(week) for week in zip(*counts, strict=True)]
        return {
            "kind": "stacked",
            **common,
            "categories": list(chart.weeks),
            "series": [_series(label, values) for label, values in zip(SEVERITIES, counts, strict=True)],
            "total_text": [figure_text(t) for t in totals],
        }
    if isinstance(chart, WithinTarget):
        return {
            "kind": "percent",
            **common,
            "categories": list(chart.labels),
            "series": [_series(chart.ylabel, chart.percent)],
            "target": chart.target,
            "target_label": None if chart.target is None else f"Meta {figure_text(chart.target)} %",
            "below_label": "Bajo la meta",
            "met_label": "En la meta o arriba",
        }
    if isinstance(chart, Durations):
        return {
            "kind": "durations",
            **common,
            "categories": list(chart.severities),
            "panels": [
                {
                    "title": "Primera respuesta",
                    "series": [
                        _series("Mediana", chart.first_response_median),
                        _series("Percentil 90", chart.first_response_p90),
                    ],
                },
                {
                    "title": "Resolución",
                    "series": [
                        _series("Mediana", chart.resolution_median),
                        _series("Percentil 90", chart.resolution_p90),
                    ],
                },
            ],
        }
    raise TypeError(f"not a chart: {chart!r}")


def _run(request: bytes, count: int, timeout: float) -> list[bytes]:
    command = [sys.executable, "-m", _MODULE]
    what = f"drawing {count} chart(s) with {' '.join(command)}"
    try:
        done = subprocess.run(command, input=request, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ChartError(f"{what}: no answer within {timeout:g} s, stopped{_tail(exc.stderr)}") from None
    except OSError as exc:
        raise ChartError(f"{what}: cannot start it: {exc}") from exc
    if done.returncode != 0:
        how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        raise ChartError(f"{what}: failed ({how}){_tail(done.stderr)}")
    try:
        pngs = [base64.b64decode(p, validate=True) for p in json.loads(done.stdout)["png"]]
    except (ValueError, KeyError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ChartError(f"{what}: unreadable answer ({exc}){_tail(done.stderr)}") from None
    if len(pngs) != count:
        raise ChartError(f"{what}: {len(pngs)} image(s) came back{_tail(done.stderr)}")
    return pngs


def _tail(stderr: bytes | None) -> str:
    text = (stderr or b"").decode("utf-8", "replace").strip()
    if not text:
        return ""
    if len(text) > _STDERR_TAIL:
        text = "…" + text[-_STDERR_TAIL:]
    return ": " + text


# Checked when a chart is made, so a wrong figure names the caller's line rather than a subprocess.


def _set(chart, name: str, value) -> None:
    object.__setattr__(chart, name, value)  # frozen: normalising in __post_init__ is the one write


def _labels(chart, name: str) -> None:
    labels = tuple(getattr(chart, name))
    if not all(isinstance(label, str) for label in labels):
        raise ValueError(f"{type(chart).__name__}.{name}: labels must be strings, got {labels!r}")
    _set(chart, name, labels)


def _same_length(chart, first: str, *others: str) -> None:
    n = len(getattr(chart, first))
    for name in others:
        if len(getattr(chart, name)) != n:
            raise ValueError(f"{type(chart).__name__}.{name} has {len(getattr(chart, name))} values for {n} {first}")


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}: a ticket count must be a whole number ≥ 0, got {value!r}")
    return value


def _amount(value, name: str, upper: float = math.inf) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{name}: not a number: {value!r}")
    try:
        number = float(value)  # Decimal from a database too
    except (TypeError, ValueError):
        raise ValueError(f"{name}: not a number: {value!r}") from None
    if not 0.0 <= number <= upper:  # NaN fails this too
        bounds = "≥ 0" if upper == math.inf else f"between 0 and {upper:g}"
        raise ValueError(f"{name}: must be a number {bounds}, got {value!r}")
    return number
