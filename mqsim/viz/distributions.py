"""Distributions: the wait and sojourn of simulated messages (empirical CDF, tail, histogram)
against the exact law, end-to-end times against a density, and P(N = n) two ways (PASTA)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.viz.style import SIM_COLOR, THEORY_COLOR, THEORY_STYLES, finish, new_axes, sim_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["wait_cdf", "sojourn_cdf", "wait_hist", "hist_vs_density", "state_distribution"]

_KIND_TEXT = {"wait": ("Wq", "wait in queue"), "sojourn": ("T", "time in system (sojourn)")}


def _theory_of(theory: Any) -> tuple[Any, str]:
    """(metrics object or None, legend label) from a QueueMetrics, a Prediction or None."""
    if theory is None:
        return None, ""
    m = theory.metrics if hasattr(theory, "applies") else theory
    if m is None:
        return None, ""
    formula, model = str(getattr(m, "formula", "")), str(getattr(m, "model", ""))
    short = formula.split(" (")[0] or model
    name = short if not model or model == short else f"{short}, {model}"
    return m, f"theory ({name})"


def _samples(result: Any, kind: str) -> np.ndarray:
    from mqsim.analysis.metrics import samples

    if kind not in _KIND_TEXT:
        raise ValueError(f"kind: must be 'wait' or 'sojourn', got {kind!r}")
    x = samples(result, kind)
    if x.size == 0:
        raise ValueError(f"no {kind} observations after the warm-up: run longer")
    return x


def _tail_fn(m: Any, label: str, kind: str) -> Any:
    fn = getattr(m, f"{kind}_tail", None)
    if fn is None:
        raise ValueError(f"theory {label}: has no {kind}_tail(t); give a formula with a known distribution")
    return fn


def wait_cdf(result: Any, theory: Any = None, *, kind: str = "wait", tail: bool = False,
             t_max: float | None = None, points: "pd.DataFrame | None" = None, ax: "Axes | None" = None,
             n_grid: int = 400) -> "Axes":
    """Empirical distribution of the ``kind`` (``"wait"``: publish to service start, or
    ``"sojourn"``: publish to ack, s) of the messages published after the warm-up of one run,
    against the exact distribution of ``theory``.

    theory: a metrics object with ``wait_tail``/``sojourn_tail`` (e.g. :func:`mqsim.theory.mmc`)
        or a :class:`mqsim.theory.Prediction`.
    tail: plot P(X > t) on a log scale (where percentiles live) instead of P(X ≤ t).
    t_max: right end of the time axis (s); default the largest observation (tail) or the 99.9th
        percentile.
    points: replicated estimates to overlay, with their confidence intervals: columns ``t`` (s),
        ``mean``, ``ci_low``, ``ci_high`` (of P(X ≤ t), or of P(X > t) with ``tail``) and ``n``.
        One run's messages are correlated, so its curve strays from the exact one by more than an
        i.i.d. sample of the same size would; the replicated points show by how much to expect.
    """
    sym, text = _KIND_TEXT.get(kind, ("", ""))
    x = np.sort(_samples(result, kind))
    n = x.size
    if t_max is None:
        t_max = float(x[-1]) if tail else float(np.quantile(x, 0.999))
    ax = new_axes(ax)
    xs = np.concatenate([[0.0], x])
    F = np.concatenate([[np.mean(x <= 0.0)], np.searchsorted(x, x, side="right") / n])  # ties: the top of the step
    y = 1.0 - F if tail else F
    keep = (xs <= t_max) & ((y > 0) if tail else True)
    ax.step(xs[keep], y[keep], where="post", color=SIM_COLOR, lw=1.6, label=f"simulated ({n:,} messages, one run)")
    m, lab = _theory_of(theory)
    if m is not None:
        fn = _tail_fn(m, lab, kind)
        ts = np.linspace(0.0, t_max, n_grid)
        tl = np.array([fn(float(t)) for t in ts])
        ax.plot(ts, tl if tail else 1.0 - tl, "--", color=THEORY_COLOR, lw=2, label=lab)
    if points is not None:
        mean = points["mean"].to_numpy(dtype=float)
        lo, hi = points["ci_low"].to_numpy(dtype=float), points["ci_high"].to_numpy(dtype=float)
        yerr = np.vstack([mean - lo, hi - mean])
        ax.errorbar(points["t"], mean, yerr=yerr, fmt="s", color="0.15", mfc="white", capsize=4, ms=5, zorder=4,
                    label=sim_label(points["n"].max() if "n" in points else None, what="simulated, replications"))
    if tail:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, 1.02)
    ax.set_xlim(0, t_max)
    ylab = f"P({sym} > t), log scale" if tail else f"P({sym} ≤ t)"
    return finish(ax, xlabel=f"t (s): {text}", ylabel=ylab, where="upper right" if tail else "lower right")


def sojourn_cdf(result: Any, theory: Any = None, **kw: Any) -> "Axes":
    """:func:`wait_cdf` for the sojourn (publish to ack, s)."""
    return wait_cdf(result, theory, kind="sojourn", **kw)


def wait_hist(result: Any, theory: Any = None, *, kind: str = "wait", bins: int = 40, t_max: float | None = None,
              conditional: bool = False, ax: "Axes | None" = None) -> "Axes":
    """Histogram (probability density, 1/s) of the wait or sojourn (s) of one run's messages
    after the warm-up, against the exact probability of each bin, P(a < X ≤ b)/(b − a), from
    ``theory``'s tail function.

    For the wait, the messages that did not wait at all (an atom at 0) are left out of the bars
    and reported in the legend title. By default the bars then integrate to P(Wq > 0) (a
    defective density); with ``conditional`` they are the density of the wait *given* that it
    is positive, which integrates to 1. t_max: right edge of the last bin (s), default the 99th
    percentile.
    """
    sym, text = _KIND_TEXT.get(kind, ("", ""))
    x = _samples(result, kind)
    n = x.size
    if t_max is None:
        t_max = float(np.quantile(x, 0.99)) or float(x.max()) or 1.0
    edges = np.linspace(0.0, t_max, int(bins) + 1)
    width = np.diff(edges)
    pos = x[x > 0] if kind == "wait" else x
    counts, _ = np.histogram(pos, edges)
    cond = kind == "wait" and conditional
    scale = pos.size if cond else n
    ax = new_axes(ax)
    ax.stairs(counts / max(scale, 1) / width, edges, fill=True, color=SIM_COLOR, alpha=0.45,
              label=f"simulated ({n:,} messages, one run)")
    m, lab = _theory_of(theory)
    title = f"P({sym} = 0): simulated {1 - pos.size / n:.3f}" if kind == "wait" else ""
    if m is not None:
        fn = _tail_fn(m, lab, kind)
        tails = np.array([fn(float(t)) for t in edges])
        norm = fn(0.0) if cond else 1.0
        ax.stairs((tails[:-1] - tails[1:]) / width / norm, edges, color=THEORY_COLOR, lw=2, label=lab)
        if kind == "wait":
            title += f", theory {1 - fn(0.0):.3f}"
    ax.set_xlim(0, t_max)
    if kind == "wait":
        ylab = f"density of {sym} given {sym} > 0 (1/s)" if cond else f"probability density (1/s); area P({sym} > 0)"
    else:
        ylab = "probability density (1/s)"
    finish(ax, xlabel=f"{text} (s)", ylabel=ylab, where="upper right")
    leg = ax.get_legend()  # finish() drew it: the simulated histogram is always labelled
    if title and leg is not None:
        from matplotlib.font_manager import FontProperties

        leg.set_title(title, prop=FontProperties(size=9))
    return ax


def hist_vs_density(samples: Any, pdf: Any, *, label: str = "", bins: int = 40, t_max: float | None = None,
                    xlabel: str = "time (s)", ax: "Axes | None" = None) -> "Axes":
    """Histogram (probability density, 1/s) of simulated durations ``samples`` (s) against a
    probability density function ``pdf`` (a callable of an array of times, in 1/s) named
    ``label``. t_max: right edge (default the 99th percentile)."""
    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("hist_vs_density: no samples")
    if t_max is None:
        t_max = float(np.quantile(x, 0.99))
    ax = new_axes(ax)
    edges = np.linspace(0.0, t_max, int(bins) + 1)
    counts, _ = np.histogram(x, edges)
    ax.stairs(counts / x.size / np.diff(edges), edges, fill=True, color=SIM_COLOR, alpha=0.45,
              label=f"simulated ({x.size:,} messages, one run)")
    ts = np.linspace(0.0, t_max, 400)
    ax.plot(ts, pdf(ts), "-", color=THEORY_COLOR, lw=2, label=f"theory ({label})" if label else "theory")
    ax.set_xlim(0, t_max)
    return finish(ax, xlabel=xlabel, ylabel="probability density (1/s)", where="upper right")


def state_distribution(table: "pd.DataFrame", *, formula: str = "", ax: "Axes | None" = None) -> "Axes":
    """P(N = n) from :func:`mqsim.teaching.event_engine.state_distribution`: the fraction of time
    and the fraction seen by arriving messages (bars, the second hatched), and the formula (a line
    with markers) if the table has one."""
    ax = new_axes(ax)
    n = table["n"].to_numpy()
    ax.bar(n - 0.2, table["time_average"], width=0.4, color=SIM_COLOR, alpha=0.8, label="simulated: fraction of time")
    ax.bar(n + 0.2, table["seen_by_arrivals"], width=0.4, color="#9cc3e4", hatch="//", edgecolor="white",
           label="simulated: seen by arriving messages")
    if "theory" in table:
        color, ls, marker = THEORY_STYLES[0]
        ax.plot(n, table["theory"], ls, marker=marker, color=color, ms=4, lw=1.5,
                label=f"theory ({formula})" if formula else "theory")
    return finish(ax, xlabel="number of messages in the system n", ylabel="probability P(N = n)", grid="y",
                  where="upper right")
