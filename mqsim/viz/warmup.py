"""The warm-up figure: the series MSER-5 looked at, and where it cut."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mqsim.analysis.warmup import WarmupResult, warmup_from_result

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_warmup"]


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
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    from mqsim.viz.plots import SIM_COLOR, THEORY_COLOR

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
    ax.set_xlabel("time (s)")
    ax.set_ylabel("messages" if wr.series == "queue" else "seconds")
    ax.set_title("Warm-up (MSER-5)" + ("" if wr.ok else ": cut at the half-way limit, run longer"))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper right")
    return ax
