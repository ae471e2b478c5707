"""mqsim.viz.curves: the hockey stick, several formulas at once, formula-only curves, sim vs curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mqsim as mq
from mqsim.teaching import bursty_producers
from mqsim.viz import curves
from tests.viz.helpers import legend_texts, one_queue


def test_plots_ci_curve_marks_bars_and_curves():
    import matplotlib.pyplot as plt
    import pandas as pd

    t = pd.DataFrame({"x": [1, 2, 1, 2], "s": [0, 0, 1, 1], "simulated": [1.0, 2.0, 1.5, 2.5],
                      "ci_low": [0.9, 1.8, 1.4, 2.3], "ci_high": [1.1, 2.2, 1.6, 2.7],
                      "a": [1.0, 2.0, 1.5, 2.5], "b": [np.nan, 2.1, np.nan, np.nan], "n": 5})
    ax = mq.viz.ci_curve(t, "x", theory={"a": "exact", "b": "approx"}, series="s", logx=True)
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert any("exact" in lab for lab in labels) and any("simulated" in lab for lab in labels)
    plt.close("all")
    bars = t.assign(name=["p", "q", "r", "s"])
    ax = mq.viz.marks_bars(bars, label="name", marks={"a": "exact", "b": "approx"}, metric="Wq")
    assert len(ax.patches) == 4 and "Wq" in ax.get_ylabel()
    plt.close("all")
    errors = bursty_producers.kingman_error(ca2s=(0.0, 2.0), rhos=[0.3, 0.6])
    ax = curves.formula_curves(errors, "rho", "rel_error", series="arrivals", reference=0.0)
    assert len(ax.get_lines()) == 3
    plt.close("all")


def _table():
    return pd.DataFrame({"x": [1, 2, 1, 2], "s": [1, 1, 0, 0], "simulated": [1.0, 2.0, 1.5, 2.5],
                         "ci_low": [0.9, 1.8, 1.4, 2.3], "ci_high": [1.1, 2.2, 1.6, 2.7],
                         "own": [1.0, 2.0, 1.5, 2.5], "shared": [4.0, 4.0, 4.0, 4.0], "n": 5})


def test_ci_curve_series_differ_in_colour_and_marker_and_shared_formulas_are_drawn_once():
    ax = curves.ci_curve(_table(), "x", theory={"own": "per class", "shared": "no priority"}, series="s")
    bars = [c for c in ax.containers]  # one errorbar container per series
    colours = {tuple(np.round(plt.matplotlib.colors.to_rgba(b.lines[0].get_color()), 3)) for b in bars}
    markers = {b.lines[0].get_marker() for b in bars}
    assert len(bars) == 2 and len(colours) == 2 and len(markers) == 2
    labels = legend_texts(ax)
    assert labels.count("theory (no priority)") == 1  # identical in both series: one line, no series tag
    assert sum(lab.endswith("theory (per class)") for lab in labels) == 2
    shared = [ln for ln in ax.get_lines() if ln.get_label() == "theory (no priority)"]
    assert len(shared) == 1 and np.allclose(shared[0].get_ydata(), 4.0)


def test_sim_vs_curves_and_hockey_stick_labels():
    pts = pd.DataFrame({"x": [1.0, 2.0], "mean": [0.3, 0.2], "ci_low": [0.25, 0.15], "ci_high": [0.35, 0.25], "n": 5})
    ax = curves.sim_vs_curves(pts, "x", {"f": ([0, 3], [0.4, 0.1])}, ylabel="y")
    assert legend_texts(ax) == ["theory (f)", "simulated (95% CI, n=5)"] and ax.get_ylabel() == "y"
    sc = one_queue(0.5)
    tb = mq.sweep(sc, {"producers[0].rate": [0.3, 0.6]}, replications=2, seed=1, horizon=300, by=(), progress=False)
    ax = curves.hockey_stick(tb, "Wq", scenario=sc, path="producers[0].rate")
    assert ax.get_xlabel() == "offered utilisation ρ = λE[S]/c" and ax.get_ylabel() == "mean wait in queue Wq (s)"
    line = [ln for ln in ax.get_lines() if ln.get_label().startswith("theory")][0]
    x, y = line.get_data()
    assert np.allclose(y, [r / (1 - r) for r in x])  # M/M/1 with mu = 1: Wq = rho/(1 - rho)
    ax = curves.saturation(tb, sc)
    assert any("X = min(λ, c/E[S])" in t for t in legend_texts(ax))


def test_theory_only_panels_draw_the_formulas():
    ax = curves.pk_wait_curves(0.8, 4.0)
    chosen = [ln for ln in ax.get_lines() if ln.get_label() == "theory (P-K, C_s² = 4)"][0]
    x, y = chosen.get_data()
    assert np.allclose(y, [mq.theory.mg1(r, 1.0, 4.0).Wq for r in x])
    styles = {ln.get_linestyle() for ln in ax.get_lines() if ln.get_label().startswith("theory")}
    assert len(styles) == 3  # three laws, three line styles: apart in greyscale too
    ax = curves.kingman_curves(0.8, 0.5, 1.0, exact=lambda r: mq.theory.gi_m1(mq.dist.Erlang(k=2, mean=1 / r), 1.0).Wq)
    assert {"theory (exact)", "theory (Kingman 1961 approximation)", "theory (Kingman 1962 upper bound)"} <= set(
        legend_texts(ax))
