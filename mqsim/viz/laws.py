"""Laws: Little's law on simulated runs (with the admitted and the offered rate), and the
article's sizing rule Q = M × P against the mean number in an M/M/1 queue.

The article (a popular blog post on sizing message queues) claims that a queue holds Q = M × P
messages (message rate times processing time) and needs E = P × T consumers (processing time
times throughput). M × P is the mean number of messages *in service* (the offered load); the mean
number in the system is Little's L = λW, which also counts the messages that wait."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mqsim.viz.style import SIM_COLOR, THEORY_COLOR, finish, label, new_axes, sim_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["little_check", "article_check"]


def little_check(table: "pd.DataFrame", *, ax: "Axes | None" = None) -> "Axes":
    """Little's law on simulated runs: the time-average number in system L (x, messages) against
    rate × mean time in system (y, messages), with the admitted rate λ_eff (on the diagonal, as
    Little's law says) and with the offered rate λ (above it whenever messages are refused).

    table: one row per run with columns ``L``, ``lam_eff_W`` and ``lam_W``, indexed by the run's
    label (e.g. :func:`mqsim.teaching.flow_balance.flow_balance_table`).
    """
    missing = {"L", "lam_eff_W", "lam_W"} - set(table.columns)
    if table.empty or missing:
        raise ValueError(f"little_check: table needs rows with columns L, lam_eff_W, lam_W; missing {sorted(missing)}")
    L = table["L"].to_numpy(dtype=float)
    eff, off = table["lam_eff_W"].to_numpy(dtype=float), table["lam_W"].to_numpy(dtype=float)
    ax = new_axes(ax)
    xtop = 1.15 * float(L.max())
    ytop = 1.1 * max(float(L.max()), float(off.max()), float(eff.max()))
    top = max(xtop, ytop)
    ax.plot([0, top], [0, top], "-", color=THEORY_COLOR, lw=1.5, label="theory (Little's law: L = λ_eff·W)", zorder=1)
    ax.plot(L, eff, "o", color=SIM_COLOR, ms=7, label="simulated λ_eff·W (admitted rate)", zorder=3)
    ax.plot(L, off, "x", color="0.3", ms=8, mew=2, label="simulated λ·W (offered rate, refused ones included)",
            zorder=3)
    for xi, yi, nm in zip(L, off, table.index):
        ax.annotate(str(nm), (xi, yi), textcoords="offset points", xytext=(6, 4), fontsize=8, color="0.3")
    ax.set_xlim(0, xtop)
    ax.set_ylim(0, ytop)
    return finish(ax, xlabel="time-average number in system L (messages)",
                  ylabel="rate × mean time in system (messages)", where="upper left")


def article_check(table: "pd.DataFrame", *, ax: "Axes | None" = None) -> "Axes":
    """The article's Q = M × P against the mean number in the system L (messages), simulated
    (CI) and exact (M/M/1), over the utilisation ρ; from
    :func:`mqsim.teaching.flow_balance.article_comparison`."""
    ax = new_axes(ax)
    rho = table["rho"].to_numpy(dtype=float)
    P = float(table.attrs.get("mean_service", (table["article Q = M x P"] / table["M (msg/s)"]).iloc[0]))
    xs = np.linspace(0.0, float(rho.max()) * 1.02, 200)
    ax.plot(xs, xs / (1 - xs), "-", color=THEORY_COLOR, lw=2, label="theory (M/M/1: L = ρ/(1 − ρ))", zorder=2)
    ax.plot(xs, xs, ":", color="0.3", lw=2, label=f"article: Q = M × P (P = {P:g} s)", zorder=2)
    mean = table["L simulated"].to_numpy(dtype=float)
    yerr = np.vstack([mean - table["ci_low"], table["ci_high"] - mean])
    ax.errorbar(rho, mean, yerr=yerr, fmt="o", color=SIM_COLOR, capsize=4, ms=5,
                label=sim_label(table.attrs.get("n"), what="simulated L"), zorder=3)
    ax.set_xlim(0, xs[-1])
    ax.set_ylim(bottom=0)
    return finish(ax, xlabel=label("rho"), ylabel=label("L"), where="upper left")
