"""Draws the charts of ``mailbot.reports.charts`` in a process of its own: ``python -m mailbot.reports.chartproc``.

Reads ``{"charts": [spec, ...]}`` (as ``charts._spec`` writes them) on
standard input and writes ``{"png": [base64, ...]}`` on standard output, one
720x360 PNG per spec. On any failure it writes one line naming the chart on
standard error and exits 1; ``charts.draw`` quotes that line in its ChartError.

It is the only module that loads matplotlib, so the memory that costs is
returned when the process exits; it imports nothing else of mailbot. The
request carries every word and every bar label already formatted: what the
chart says and what ``charts.table`` lists cannot drift apart.

How it looks, and why:

- Grey scale: a digest gets printed, or read on a phone in a dim mode.
  Series differ by lightness (dark, middle, light) and by hatching, so they
  stay apart without their hue; bars are labelled with their figure.
- No chart junk: no frame on top and right, no grid, no 3-D, one legend.
- The same request gives the same bytes: no software or date in the PNG,
  fixed size, the fonts matplotlib ships.
"""

from __future__ import annotations

import base64
import io
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")  # no display on a server; set before anything below could pick a backend

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

WIDTH, HEIGHT, DPI = 7.2, 3.6, 100  # inches at 100 dpi: 720x360 px, readable in a mail without zoom
INK = "#222222"
NOTE = "#555555"

# (face colour, hatch) per series: the lightness alone tells them apart in grey,
# the hatching does it again for a reader who cannot tell middle from light grey.
SEVERITY_STYLE = [("#7f1d1d", ""), ("#d98c2b", "///"), ("#f6e7b9", "..")]  # CRÍTICA, GRAVE, LEVE
PAIR_STYLE = [("#2f5f8a", ""), ("#c6d6e6", "///")]  # median, 90th percentile
MET_STYLE = ("#2f5f8a", "")
BELOW_STYLE = ("#c6d6e6", "xx")

RC = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs, and bytes, everywhere
    "font.size": 9,
    "axes.titlesize": 10,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "hatch.linewidth": 0.8,
    "legend.frameon": False,
}

_LABEL_CHARS = 22  # a longer category (a client's domain) is cut on the chart; the table keeps it whole


def main() -> int:
    try:
        specs = json.loads(sys.stdin.buffer.read())["charts"]
        if not isinstance(specs, list):
            raise TypeError("'charts' is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"chartproc: the request is not {{'charts': [...]}} JSON: {exc}\n")
        return 1
    matplotlib.rcParams.update(RC)
    pngs = []
    for n, spec in enumerate(specs, 1):
        kind = spec.get("kind") if isinstance(spec, dict) else None
        try:
            pngs.append(base64.b64encode(render(spec)).decode("ascii"))
        except Exception as exc:
            sys.stderr.write(f"chartproc: chart {n} ({kind}): {type(exc).__name__}: {exc}\n")
            return 1
    sys.stdout.buffer.write(json.dumps({"png": pngs}).encode("ascii"))
    return 0


def render(spec: dict) -> bytes:
    """The PNG of one chart spec."""
    draw = _KINDS.get(spec["kind"])
    if draw is None:
        raise ValueError(f"unknown kind {spec['kind']!r} (known: {', '.join(_KINDS)})")
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    fig.suptitle(spec["title"], x=0.01, ha="left", fontweight="bold")
    draw(fig, spec)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _stacked(fig: Figure, spec: dict) -> None:
    """Tickets per week, stacked by severity, the week's total on top."""
    ax = fig.add_subplot()
    categories, series = spec["categories"], spec["series"]
    _axes(ax, spec, categories)
    if _empty(categories, series):
        _no_data(ax)
        return
    x = range(len(categories))
    bottom = [0.0] * len(categories)
    for s, (face, hatch) in zip(series, SEVERITY_STYLE, strict=False):
        heights = _numbers(s, len(categories))
        bars = ax.bar(x, heights, 0.7, bottom=bottom, label=s["label"], color=face, hatch=hatch, **_EDGE)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.bar_label(bars, labels=spec["total_text"], padding=2, fontsize=8)
    ax.set_ylim(0, max(1.0, max(bottom)) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), reverse=True)  # legend top to bottom as the stack


def _percent(fig: Figure, spec: dict) -> None:
    """One bar per period or client, out of 100; below the target hatched and light, the target a dashed line."""
    ax = fig.add_subplot()
    categories, (series,) = spec["categories"], spec["series"]
    _axes(ax, spec, categories)
    ax.set_ylim(0, 112)  # room for the labels above a 100
    ax.set_yticks([0, 25, 50, 75, 100])
    if _empty(categories, [series]):
        _no_data(ax)
        return
    values = _numbers(series, len(categories))
    target = spec.get("target")
    below = [target is not None and v is not None and v < target for v in series["values"]]
    styles = [BELOW_STYLE if b else MET_STYLE for b in below]
    bars = ax.bar(
        range(len(categories)),
        values,
        0.6,
        color=[face for face, _ in styles],
        hatch=[hatch for _, hatch in styles],
        **_EDGE,
    )
    ax.bar_label(bars, labels=series["text"], padding=2, fontsize=8)
    if target is not None:
        line = {"color": INK, "linestyle": (0, (4, 3)), "linewidth": 1.0}
        ax.axhline(target, **line)
        handles = [Line2D([], [], label=spec["target_label"], **line)]
        if not all(below):
            face, hatch = MET_STYLE
            handles.append(Patch(facecolor=face, hatch=hatch, label=spec.get("met_label", "En la meta"), **_EDGE))
        if any(below):
            face, hatch = BELOW_STYLE
            handles.append(Patch(facecolor=face, hatch=hatch, label=spec["below_label"], **_EDGE))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _durations(fig: Figure, spec: dict) -> None:
    """Two panels, first response and resolution, each with its own scale; median and 90th percentile side by side."""
    categories = spec["categories"]
    axes = fig.subplots(1, len(spec["panels"]), squeeze=False)[0]
    for i, (ax, panel) in enumerate(zip(axes, spec["panels"], strict=True)):
        _axes(ax, spec, categories, ylabel=i == 0)
        ax.set_title(panel["title"], loc="left")
        if _empty(categories, panel["series"]):
            _no_data(ax)
            continue
        width = 0.8 / len(panel["series"])
        top = 0.0
        for j, (s, (face, hatch)) in enumerate(zip(panel["series"], PAIR_STYLE, strict=False)):
            values = _numbers(s, len(categories))
            x = [k - 0.4 + width * (j + 0.5) for k in range(len(categories))]
            label = s["label"] if i == 0 else None  # one legend for both panels
            bars = ax.bar(x, values, width * 0.92, label=label, color=face, hatch=hatch, **_EDGE)
            ax.bar_label(bars, labels=s["text"], padding=2, fontsize=8)
            top = max(top, *values)
        ax.set_ylim(0, max(1.0, top) * 1.18)
    if any(ax.get_legend_handles_labels()[0] for ax in axes):
        # Below the panels: at the upper right it would sit over the end of a long title.
        fig.legend(loc="outside lower center", ncols=len(spec["panels"][0]["series"]))


_KINDS = {"stacked": _stacked, "percent": _percent, "durations": _durations}
_EDGE = {"edgecolor": INK, "linewidth": 0.6}


def _axes(ax, spec: dict, categories: list[str], ylabel: bool = True) -> None:
    ax.set_xlabel(spec["xlabel"])
    if ylabel:
        ax.set_ylabel(spec["ylabel"])
    ax.set_xticks(range(len(categories)), [_short(c) for c in categories])
    if sum(len(c) for c in categories) > 60 / (2 if spec["kind"] == "durations" else 1):
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    if not categories:
        ax.set_xlim(-0.5, 0.5)
    ax.tick_params(axis="x", length=0)  # the bars mark their category


def _empty(categories: list, series: list[dict]) -> bool:
    """Nothing to draw: no category, or no figure in any series (zeros are figures)."""
    return not categories or all(v is None for s in series for v in s["values"])


def _no_data(ax) -> None:
    ax.set_yticks([])
    ax.text(0.5, 0.5, "sin datos", transform=ax.transAxes, ha="center", va="center", color=NOTE, fontsize=11)


def _numbers(series: dict, n: int) -> list[float]:
    """The bar heights: a missing figure is a bar of 0 whose label says "s/d"."""
    values = series["values"]
    if len(values) != n or len(series["text"]) != n:
        raise ValueError(f"series {series['label']!r} has {len(values)} values for {n} categories")
    out = []
    for v in values:
        if v is None:
            out.append(0.0)
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"series {series['label']!r}: {v!r} is not a number ≥ 0")
        else:
            out.append(float(v))
    return out


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
