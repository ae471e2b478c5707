"""Warm-up figures: the series MSER-5 looked at and where it cut, and Welch's curve (the mean
wait of the j-th message after an empty start, averaged over replications)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mqsim.analysis.warmup import WarmupResult, warmup_from_result
from mqsim.viz.style import SIM_COLOR, THEORY_COLOR, finish, new_axes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["plot_warmup", "warmup_curve"]


def plot_warmup(warmup: Any, *, series: str = "queue", ax: "Axes | None" = None) -> "Axes":
    """Plot the series MSER-5 looked at, its batch-of-5 means, and the cut (shaded).

    warmup: a :class:`WarmupResult`, a :class:`mqsim.Result` (MSER-5 is computed on it), or a
    :class:`mqsim.Replications` made with ``warmup="auto"``.
    """
    wr = getattr(warmup, "warmup_info", None) or warmup
    if not isinstance(wr, WarmupResult):
        if hasattr(wr, "queue_length") and hasattr(wr, "arrays"):
            wr = warmup_from_result(wr, series)
        else:
            raise ValueError("warmup: must be a WarmupResult, a mqsim.Result or Replications made with "
                             f"warmup='auto'; got {type(warmup).__name__}")
    ax = new_axes(ax)
    k = wr.y.size // 5
    xb = wr.x[: k * 5].reshape(k, 5)[:, 0]
    yb = wr.y[: k * 5].reshape(k, 5).mean(axis=1)
    label = "messages in system (time-average per bin)" if wr.series == "queue" else "wait per message (s)"
    ax.plot(wr.x, wr.y, lw=0.5, color="0.6", label=label)
    ax.plot(xb, yb, lw=1.2, color=SIM_COLOR, label="batch means of 5")
    if wr.time > 0:
        ax.axvspan(0, wr.time, color="0.88", zorder=0, label=f"warm-up cut by MSER-5 ({wr.time:.4g} s)")
    ax.axvline(wr.time, color=THEORY_COLOR, lw=1.5)
    kept = wr.y[wr.index:]
    ax.axhline(float(kept.mean()), color=THEORY_COLOR, lw=1, ls="--", label=f"mean after the cut ({kept.mean():.4g})")
    ax.set_xlim(0, wr.horizon)
    ax.set_title("Warm-up (MSER-5)" + ("" if wr.ok else ": cut at the half-way limit, run longer"))
    return finish(ax, xlabel="time (s)", ylabel="messages" if wr.series == "queue" else "seconds", where="upper right")


def warmup_curve(table: "pd.DataFrame", *, exact: float | None = None, formula: str = "",
                 warmup: float | None = None, ax: "Axes | None" = None) -> "Axes":
    """Welch's plot from :func:`mqsim.teaching.output_analysis.warmup_curve`: the mean wait (s)
    of the messages published around time t after an empty start (averaged over replications,
    with a 95% band), against the steady-state value; ``warmup`` (s) shades the period to discard."""
    ax = new_axes(ax)
    ax.fill_between(table["t"], table["ci_low"], table["ci_high"], color=SIM_COLOR, alpha=0.2,
                    label="simulated: 95% CI over replications")
    ax.plot(table["t"], table["mean"], "o-", color=SIM_COLOR, ms=3, lw=1.5,
            label="simulated: mean wait of the j-th message")
    if exact is not None:
        ax.axhline(exact, color=THEORY_COLOR, ls="--", lw=2,
                   label=f"theory ({formula}, steady state)" if formula else "theory")
    if warmup:
        ax.axvspan(0, warmup, color="0.85", label="warm-up (discard)", zorder=0)
    ax.set_xlim(0, float(table["t"].max()) * 1.02)
    ax.set_ylim(bottom=0)
    return finish(ax, xlabel="mean publish time of the j-th message (s since the empty start)",
                  ylabel="mean wait in queue (s)", where="lower right")
