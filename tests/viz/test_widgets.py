"""mqsim.viz.widgets: the explorer builds, every slider change re-runs simulation and theory, and
``import mqsim`` does not pull in ipywidgets."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mqsim as mq

pytest.importorskip("ipywidgets")

from mqsim.viz.widgets import explore_mmc, mmc_explorer, scenario_for

WQ = "Wq: mean wait (s)"
SIM, THEORY = "simulated (one run)", "theory"


def test_explore_mmc_table_matches_erlang_c():
    table, res, pred = explore_mmc(2.4, 1.0, 3, horizon=1_000, warmup=100, seed=3)
    assert table.loc[WQ, THEORY] == pytest.approx(mq.theory.mmc(2.4, 1.0, 3).Wq)
    assert table.loc[WQ, SIM] == pytest.approx(res.overall()["Wq"])
    assert pred.formula == "Erlang C"


def test_explore_mmc_priority_rows_and_finite_queue():
    table, _, pred = explore_mmc(2.4, 1.0, 3, high_share=0.25, horizon=1_000, warmup=100)
    exact = mq.theory.np_priority_mmc([0.6, 1.8], 1.0, 3)
    assert table.loc["Wq of priority 5 (s)", THEORY] == pytest.approx(exact[0].Wq)
    assert table.loc["Wq of priority 0 (s)", THEORY] == pytest.approx(exact[1].Wq)
    table, _, pred = explore_mmc(2.4, 1.0, 3, max_length=2, horizon=1_000, warmup=100)
    assert table.loc["loss fraction", THEORY] == pytest.approx(mq.theory.mmck(2.4, 1.0, 3, 5).loss)
    assert scenario_for(2.4, 1.0, 3, 2).queue.max_length == 2


def test_overloaded_queue_has_no_theory_but_a_reason():
    table, _, pred = explore_mmc(4.0, 1.0, 3, horizon=500, warmup=50)
    assert table[THEORY].isna().all()
    assert "rho" in pred.reason and not pred.stable


def test_panel_builds_and_reacts_to_sliders():
    import ipywidgets as w

    panel = mmc_explorer(2.4, 1.0, 3, plot=False, horizon=1_000, warmup=100)
    assert isinstance(panel, w.VBox)
    assert set(panel.sliders) == {"lam", "mu", "c", "limit", "max_length", "high_share", "expiry", "ttl"}
    assert panel.output in panel.children
    before = panel.table.copy()
    assert before.loc[WQ, THEORY] == pytest.approx(mq.theory.mmc(2.4, 1.0, 3).Wq)

    panel.sliders["c"].value = 4
    assert panel.table.loc[WQ, THEORY] == pytest.approx(mq.theory.mmc(2.4, 1.0, 4).Wq)
    assert panel.table.loc[WQ, SIM] < before.loc[WQ, SIM]  # 4 consumers: waits fall from ~1.1 s to ~0.2 s

    assert panel.sliders["max_length"].disabled
    panel.sliders["limit"].value = True
    assert not panel.sliders["max_length"].disabled
    assert panel.table.loc["loss fraction", THEORY] == pytest.approx(mq.theory.mmck(2.4, 1.0, 4, 14).loss)

    panel.sliders["lam"].value = 3.0
    assert panel.result.scenario.arrival_rate == pytest.approx(3.0)


def test_import_mqsim_does_not_import_ipywidgets():
    code = "import sys, mqsim, mqsim.viz, mqsim.viz.widgets; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_ttl_slider_brings_in_the_mm1_plus_d_formula():
    from mqsim.viz import widgets

    table, res, pred = widgets.explore_mmc(0.9, 1.0, 1, ttl=2.0, horizon=4_000, warmup=200, seed=3)
    assert pred.applies and pred.exact and pred.metrics.loss == pytest.approx(0.2187637254, abs=1e-9)
    assert res.counts()["expired"] > 0
    panel = widgets.mmc_explorer(0.9, 1.0, 1, ttl=2.0, horizon=1_000, warmup=100, plot=False)
    assert panel.sliders["expiry"].value and panel.sliders["ttl"].value == 2.0
    panel.sliders["ttl"].value = 4.0
    assert panel.prediction.metrics.extras["ttl"] == 4.0


def test_saved_display_carries_a_static_snapshot():
    """A reader without a kernel sees the panel's last table and figure, not VBox(children=...)."""
    panel = mmc_explorer(2.4, 1.0, 3, horizon=600, warmup=60)
    data = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data  # live panel where a widget manager runs
    html = data["text/html"]
    assert "Static snapshot" in html and "<table" in html and "data:image/png;base64," in html
    assert "Wq: mean wait (s)" in html


def test_theory_panel_redraws_on_change():
    import ipywidgets as w
    import matplotlib.pyplot as plt
    import pandas as pd

    from mqsim.viz.widgets import theory_panel

    calls = []

    def draw(x: float):
        calls.append(x)
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, x])
        return pd.DataFrame({"x": [x]}), fig

    panel = theory_panel("<b>t</b>", {"x": w.FloatSlider(value=1.0, min=0, max=2, description="x")}, draw)
    panel.sliders["x"].value = 2.0
    assert calls[-1] == 2.0 and "x = 2.0" in panel._repr_mimebundle_()["text/html"]
