"""mqsim.viz.intervals: bars and points with their intervals, formula marks across them, convergence."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import competing_consumers
from mqsim.viz import intervals
from tests.viz.helpers import legend_texts, one_queue


def test_ci_bars_marks_theory_per_bar():
    table = competing_consumers.dispatch_comparison(n=3, seed=5, horizon=1_500, warmup=150)
    ax = intervals.ci_bars(table, n=3)
    assert len(ax.patches) == 3
    hl = [c for c in ax.collections if c.get_label().startswith("theory")][0]
    ys = sorted({round(float(seg[0][1]), 9) for seg in hl.get_segments()})
    assert ys == pytest.approx(sorted([1.078651685, 2.459422848, 4.0]), rel=1e-8)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "[Erlang C]" in ticks[0] and "[M/M/1 per consumer]" in ticks[2]
    assert legend_texts(ax)[0] == "theory (formula under each bar)"
    assert ax.get_ylabel() == "mean wait in queue Wq (s)"


def test_priority_bars_show_cobham():
    sc = mq.Scenario([mq.Producer("hi", rate=0.6, priority=5), mq.Producer("lo", rate=1.8, priority=0)],
                     queue=mq.Queue(max_priority=5), consumers=mq.Consumers(3, service=Exponential(rate=1.0)))
    reps = mq.replicate(sc, n=3, seed=3, horizon=1_500, warmup=150, by=("priority",), progress=False)
    ax = intervals.priority_bars(reps)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["priority 5", "priority 0"]
    hl = [c for c in ax.collections if c.get_label().startswith("theory")][0]
    ys = [float(seg[0][1]) for seg in hl.get_segments()]
    exact = [m.Wq for m in mq.theory.np_priority_mmc([0.6, 1.8], 1.0, 3)]
    assert ys == pytest.approx(exact, rel=1e-9)  # 0.2697, 1.3483: the M/M/3 priority formula
    assert ax.get_xlabel() == "priority level (higher is delivered first)"
    assert any(t.startswith("simulated (95% CI, n=3)") for t in legend_texts(ax))


def test_ci_convergence_from_values_and_replications():
    v = np.array([4.0, 5.0, 3.0, 6.0, 4.5, 4.2])
    ax = intervals.ci_convergence(v, exact=40 / 9, formula="Erlang C", target=0.05)
    labels = legend_texts(ax)
    assert "theory (Erlang C)" in labels and "theory ± 5%" in labels
    mean_line = [ln for ln in ax.get_lines() if ln.get_label() == "simulated: mean of the first n"][0]
    n, m = mean_line.get_data()
    assert list(n) == [2, 3, 4, 5, 6] and m[-1] == pytest.approx(v.mean())
    assert ax.get_xlabel() == "number of replications n"
    reps = mq.replicate(one_queue(0.5), n=3, seed=1, horizon=500, warmup=50, by=(), progress=False)
    ax2 = intervals.ci_convergence(reps, metric="W")
    one = [ln for ln in ax2.get_lines() if ln.get_label() == "simulated: one replication"][0]
    assert np.allclose(one.get_data()[1], reps.runs[reps.runs.group == "all"]["W"])


def test_marks_bars_relative_to_a_column():
    import pandas as pd

    t = pd.DataFrame({"name": ["a", "b"], "simulated": [2.0, 4.0], "ci_low": [1.9, 3.8], "ci_high": [2.1, 4.2],
                      "exact": [2.0, 4.4], "approx": [2.2, 4.0]})
    ax = intervals.marks_bars(t, label="name", marks={"exact": "exact", "approx": "approx"}, relative_to="exact")
    assert ax.get_ylabel() == "mean wait in queue Wq / exact"
    ys = sorted(round(float(y), 4) for line in ax.get_lines() for y in line.get_ydata())
    assert 1.0 in ys and 1.1 in ys and round(4.0 / 4.4, 4) in ys
    plt.close("all")


def test_bar_legends_sit_above_the_axes():
    t = pd.DataFrame({"name": ["a", "b"], "simulated": [2.0, 4.0], "ci_low": [1.9, 3.8], "ci_high": [2.1, 4.2],
                      "exact": [2.0, 4.4], "n": 5})
    for ax in (intervals.marks_bars(t, label="name", marks={"exact": "exact"}),
               intervals.ci_bars(t.assign(theory=t["exact"]), label="name")):
        fig = ax.figure
        fig.canvas.draw()
        leg = ax.get_legend().get_window_extent()
        assert leg.y0 >= ax.get_window_extent().y1  # above the bars, never over them


def test_marks_differ_in_colour_line_style_and_marker():
    t = pd.DataFrame({"name": ["a"], "simulated": [2.0], "ci_low": [1.9], "ci_high": [2.1], "p": [2.0], "q": [2.2],
                      "r": [2.5]})
    ax = intervals.marks_bars(t, label="name", marks={"p": "P", "q": "Q", "r": "R"})
    marks = [ln for ln in ax.get_lines() if ln.get_label().startswith("theory")]
    assert len({ln.get_marker() for ln in marks}) == 3 and len({ln.get_color() for ln in marks}) == 3
    styles = [c.get_linestyle()[0] for c in ax.collections if c.get_segments()]
    assert len({str(s) for s in styles}) == 3
