"""Sizing: the evidence behind :func:`mqsim.size_consumers`: the SLO metric at each consumer
count, simulated (CI) and by formula, against the threshold, with the answer marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.viz.style import SIM_COLOR, THEORY_COLOR, finish, legend, new_axes

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["sizing_evidence"]


def sizing_evidence(result: Any, ax: "Axes | None" = None) -> "Axes":
    """A :class:`mqsim.SizingResult`: the SLO metric (its unit on the axis) against the consumer
    count. Simulated means with their confidence intervals (points), the formula's value at each
    count it was evaluated (open squares just right of the count, not joined: the formula is only
    known at those counts), counts without a steady state marked at the bottom, the SLO threshold
    (dotted) and the answer (a vertical line). The legend sits above the axes."""
    ax = new_axes(ax)
    ev = result.evidence.sort_values("consumers")
    sim = ev[ev["n"] > 0]
    yerr = np.vstack([sim["mean"] - sim["ci_low"], sim["ci_high"] - sim["mean"]])
    ax.errorbar(sim["consumers"], sim["mean"], yerr=yerr, fmt="o", color=SIM_COLOR, capsize=5, ms=6,
                label=f"simulated ({result.confidence:.0%} CI)", zorder=3)
    fv = ev["formula"].astype(float)
    ok = np.isfinite(fv)
    if ok.any():
        ax.plot(ev.loc[ok, "consumers"] + 0.12, fv[ok], "s", mfc="white", mec=THEORY_COLOR, mew=2, ms=8, ls="none",
                label=f"formula ({result.formula})", zorder=4)
    ax.axhline(result.slo.threshold, color="k", lw=1, ls=":", label=f"SLO {result.slo}")
    unstable = ev.loc[~ok & (ev["n"] == 0), "consumers"]
    for c in unstable:
        ax.annotate("no steady\nstate", (c, 0.0), textcoords="offset points", xytext=(0, 8), ha="center",
                    fontsize=8, color="0.3")
    if result.answer is not None:
        ax.axvline(result.answer, color="0.5", lw=1, ls="--", label=f"answer: {result.answer} consumers")
    lo, hi = int(ev["consumers"].min()), int(ev["consumers"].max())
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_xticks(range(lo, hi + 1))
    ax.set_ylim(bottom=0)
    unit = " (s)" if result.slo.metric.unit == "s" else ""
    finish(ax, xlabel="consumers", ylabel=result.slo.metric.name + unit, where="inside")
    legend(ax, "above", ncols=1)
    return ax
