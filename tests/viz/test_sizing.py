"""mqsim.viz.sizing: the evidence behind a sizing answer shows the formula only where it was
evaluated (markers, not a line joining two points), counts with no steady state, and a legend
above the axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.viz import sizing


@pytest.fixture(scope="module")
def result():
    sc = mq.Scenario([mq.Producer("p", rate=2.4)], consumers=mq.Consumers(2, service=Exponential(mean=1.0)))
    return mq.size_consumers(sc, "p95_wait <= 2.0", replications=3, seed=1, horizon=800, warmup=80, progress=False)


def test_sizing_evidence(result):
    ax = sizing.sizing_evidence(result)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    formula = [ln for ln in ax.get_lines() if ln.get_label().startswith("formula")][0]
    assert formula.get_linestyle() == "None" and formula.get_marker() == "s"  # not joined: known only at counts
    ev = result.evidence
    ok = np.isfinite(ev["formula"].astype(float))
    assert np.allclose(sorted(formula.get_xdata()), sorted(ev.loc[ok, "consumers"] + 0.12))
    assert any(lab.startswith("answer:") for lab in labels) and ax.get_xlabel() == "consumers"
    assert [int(t) for t in ax.get_xticks()] == list(range(int(ev.consumers.min()), int(ev.consumers.max()) + 1))
    if (~ok & (ev["n"] == 0)).any():
        assert any(t.get_text() == "no steady\nstate" for t in ax.texts)
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().y0 >= ax.get_window_extent().y1
    plt.close("all")
