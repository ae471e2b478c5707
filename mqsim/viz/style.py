"""The one look every figure shares: colours, line styles, markers, axis labels with units, and
where legends go.

Rules every figure follows:

* **Simulated** values are points (markers, with their confidence interval as error bars or a
  band) or filled bars in :data:`SIM_COLOR`; **formulas** are lines (or short marks across a
  bar) in :data:`THEORY_COLOR` and the later :data:`THEORY_STYLES`. Each formula style differs
  from the others in line style *and* marker, so the two stay apart in greyscale print.
* Several simulated series (priority classes, systems) differ in colour *and* marker
  (:data:`SERIES_STYLES`).
* Axis labels carry their unit: ``"mean wait in queue Wq (s)"``; Greek letters are written as
  Greek letters (λ, μ, ρ), as in the notebooks' text.
* Legends never cover data: :func:`legend` puts them above the axes when asked, and every
  figure with bars or many entries asks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["SIM_COLOR", "THEORY_COLOR", "THEORY_STYLES", "SERIES_STYLES", "LABELS", "UNITS", "FIGSIZE", "label",
           "new_axes", "legend", "sim_label", "finish"]

#: the matplotlib line styles the figures use
_LineStyle = Literal["-", "--", ":", "-."]
#: simulated values (points, bars, bands)
SIM_COLOR = "#1f6fb4"
#: the first formula drawn beside them
THEORY_COLOR = "#d1495b"
#: (colour, line style, marker) of the 1st, 2nd, ... formula beside a simulated figure
THEORY_STYLES: tuple[tuple[str, _LineStyle, str], ...] = (
    (THEORY_COLOR, "-", "o"), ("#b07800", "--", "s"), ("0.3", ":", "^"), ("#3f8f5f", "-.", "D"))
#: (colour, marker, line style) of the 1st, 2nd, ... simulated series in one figure
SERIES_STYLES = ((SIM_COLOR, "o", "-"), ("#d17a00", "s", "--"), ("#2a9d8f", "^", ":"), ("#7a4f9e", "D", "-."),
                 ("0.25", "v", "-"), ("#b5446e", "P", "--"), ("#6b8e23", "X", ":"), ("0.55", "*", "-."))
#: default figure size (inches) of a one-panel figure
FIGSIZE = (7.0, 4.2)

#: axis text of each metric (without unit)
LABELS = {"Wq": "mean wait in queue Wq", "W": "mean time in system W", "L": "mean number in system L",
          "Lq": "mean queue length Lq", "p_wait": "P(wait > 0)", "loss": "loss fraction",
          "throughput": "throughput X", "utilisation": "consumer utilisation U", "arrival_rate": "arrival rate λ",
          "wait_p50": "median wait", "wait_p95": "95th percentile of wait", "wait_p99": "99th percentile of wait",
          "sojourn_p50": "median sojourn", "sojourn_p95": "95th percentile of sojourn",
          "sojourn_p99": "99th percentile of sojourn",
          "rho": "offered utilisation ρ = λE[S]/c", "consumers.count": "consumers c",
          "producers[0].rate": "arrival rate λ", "queue.ttl": "queue TTL τ", "consumers.prefetch": "prefetch",
          "consumers.nack": "nack probability p", "queue.max_length": "x-max-length"}
#: unit of each metric or swept path
UNITS = {"Wq": "s", "W": "s", "wait_p50": "s", "wait_p95": "s", "wait_p99": "s", "sojourn_p50": "s",
         "sojourn_p95": "s", "sojourn_p99": "s", "L": "messages", "Lq": "messages", "throughput": "messages/s",
         "arrival_rate": "messages/s", "producers[0].rate": "messages/s", "queue.ttl": "s",
         "queue.max_length": "ready messages"}


def label(metric: str) -> str:
    """Axis text of ``metric`` with its unit, e.g. ``"mean wait in queue Wq (s)"``."""
    u = UNITS.get(metric)
    text = LABELS.get(metric, metric)
    return f"{text} ({u})" if u else text


def new_axes(ax: "Axes | None" = None, figsize: tuple[float, float] = FIGSIZE) -> "Axes":
    """``ax``, or the axes of a new figure (constrained layout, so outside legends fit)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def sim_label(n: Any = None, confidence: float = 0.95, what: str = "simulated") -> str:
    """Legend text of simulated points: ``"simulated (95% CI, n=10)"`` (n: replications)."""
    reps = f", n={int(n)}" if n is not None else ""
    return f"{what} ({confidence:.0%} CI{reps})"


def legend(ax: "Axes", where: str = "inside", **kw: Any) -> Any:
    """Draw the legend: ``"inside"`` (matplotlib's best free corner), ``"above"`` (over the axes,
    in columns, never over data: for bars and crowded figures), ``"right"`` (beside the axes) or a
    matplotlib location such as ``"upper left"``. Returns the legend."""
    kw.setdefault("frameon", False)
    kw.setdefault("fontsize", 9)
    if where == "above":
        entries = len(ax.get_legend_handles_labels()[1])
        kw.setdefault("ncols", 1 if entries == 1 else 2)
        return ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), borderaxespad=0.0, **kw)
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)
    if where != "inside":
        kw.setdefault("loc", where)
    return ax.legend(**kw)


def finish(ax: "Axes", *, xlabel: str | None = None, ylabel: str | None = None, where: str = "inside",
           grid: Literal["both", "x", "y"] = "both") -> "Axes":
    """Labels, a light grid (``"both"``, ``"x"``, ``"y"``) and the legend (see :func:`legend`)."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(axis=grid, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        legend(ax, where)
    return ax
