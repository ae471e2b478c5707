"""mqsim.viz.distributions: every figure draws what it says (lines, labels, units) and its theory curve
is the formula's, not a look-alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mqsim as mq
from mqsim import analysis
from mqsim.teaching import event_engine
from mqsim.viz import distributions as dist
from tests.viz.helpers import legend_texts


def test_wait_cdf_against_mm1(mm1_run):
    th = mq.theory.mm1(3.0, 5.0)
    ax = dist.wait_cdf(mm1_run, th)
    sim, theo = ax.get_lines()
    labels = legend_texts(ax)
    assert labels[0].startswith("simulated (") and labels[1] == "theory (M/M/1)"
    assert ax.get_xlabel() == "t (s): wait in queue" and ax.get_ylabel() == "P(Wq ≤ t)"
    # the theory line is the exact law, with its atom 1 - rho at zero
    t, y = theo.get_data()
    assert y[0] == pytest.approx(1 - 0.6)
    assert np.allclose(y, [th.wait_cdf(v) for v in t])
    # the simulated line is the empirical CDF of the same waits the summary averages
    x, F = sim.get_data()
    w = analysis.samples(mm1_run, "wait")
    assert F[0] == pytest.approx(np.mean(w <= 0)) and F[-1] <= 1.0
    assert np.all(np.diff(F) >= 0)
    # a short run is still close to the law (Kolmogorov distance well under 0.1)
    assert np.max(np.abs(F[1:] - np.array([th.wait_cdf(v) for v in x[1:]]))) < 0.1


def test_wait_cdf_tail_on_log_scale_and_prediction(mm3_run):
    pred = mq.theory.for_scenario(mm3_run.scenario)
    ax = dist.wait_cdf(mm3_run, pred, tail=True)
    assert ax.get_yscale() == "log"
    assert legend_texts(ax)[1] == "theory (Erlang C, M/M/3)"
    assert ax.get_ylabel().startswith("P(Wq > t)")
    t, y = ax.get_lines()[1].get_data()
    assert y[0] == pytest.approx(pred.metrics.P_wait)
    assert np.all(ax.get_lines()[0].get_data()[1] > 0)  # zeros cannot sit on a log axis


def test_sojourn_cdf(mm3_run):
    th = mq.theory.mmc(2.4, 1.0, 3)
    ax = dist.sojourn_cdf(mm3_run, th)
    t, y = ax.get_lines()[1].get_data()
    assert y[0] == pytest.approx(0.0)
    assert np.allclose(y, [th.sojourn_cdf(v) for v in t])
    assert ax.get_xlabel() == "t (s): time in system (sojourn)"


def test_wait_cdf_without_theory_and_bad_kind(mm1_run):
    ax = dist.wait_cdf(mm1_run)
    assert len(ax.get_lines()) == 1 and legend_texts(ax)[0].startswith("simulated")
    with pytest.raises(ValueError, match="kind"):
        dist.wait_cdf(mm1_run, kind="service")


def test_wait_hist_bins_are_exact_probabilities(mm3_run):
    th = mq.theory.mmc(2.4, 1.0, 3)
    ax = dist.wait_hist(mm3_run, th, bins=20, t_max=6.0)
    sim, theo = ax.patches[0], ax.patches[1]
    leg = ax.get_legend()
    assert leg.get_title().get_text().startswith("P(Wq = 0): simulated ")
    assert f"theory {1 - th.P_wait:.3f}" in leg.get_title().get_text()
    assert legend_texts(ax) == [f"simulated ({analysis.samples(mm3_run, 'wait').size:,} messages, one run)",
                                "theory (Erlang C, M/M/3)"]
    assert ax.get_ylabel() == "probability density (1/s); area P(Wq > 0)"
    # the theory step integrates to P(0 < Wq <= 6)
    w = 6.0 / 20
    heights = theo.get_data().values
    assert heights.sum() * w == pytest.approx(th.wait_tail(0.0) - th.wait_tail(6.0))
    waits = analysis.samples(mm3_run, "wait")
    assert sim.get_data().values.sum() * w == pytest.approx(np.mean((waits > 0) & (waits <= 6.0)), abs=1e-9)


def test_wait_hist_conditional_density_integrates_to_one(mm3_run):
    th = mq.theory.mmc(2.4, 1.0, 3)
    ax = dist.wait_hist(mm3_run, th, bins=30, t_max=8.0, conditional=True)
    sim, theo = ax.patches[0], ax.patches[1]
    w = 8.0 / 30
    assert theo.get_data().values.sum() * w == pytest.approx(1 - th.wait_tail(8.0) / th.wait_tail(0.0))
    assert sim.get_data().values.sum() * w == pytest.approx(np.mean(analysis.samples(mm3_run, "wait")[
        analysis.samples(mm3_run, "wait") > 0] <= 8.0))
    assert ax.get_ylabel() == "density of Wq given Wq > 0 (1/s)"
    ax2 = dist.wait_hist(mm3_run, th, bins=30, t_max=8.0)
    assert "area P(Wq > 0)" in ax2.get_ylabel()


def test_wait_cdf_overlays_replicated_points(mm3_run):
    pts = pd.DataFrame({"t": [0.5, 2.0], "mean": [0.5, 0.8], "ci_low": [0.45, 0.75], "ci_high": [0.55, 0.85], "n": 8})
    ax = dist.wait_cdf(mm3_run, mq.theory.mmc(2.4, 1.0, 3), points=pts)
    assert "simulated, replications (95% CI, n=8)" in legend_texts(ax)
    (bars,) = ax.containers
    assert np.allclose(bars.lines[0].get_ydata(), [0.5, 0.8])


def test_hist_vs_density_and_state_distribution(mm1_run):
    ax = dist.hist_vs_density(np.random.default_rng(1).exponential(1.0, 500), lambda t: np.exp(-t), label="Exp(1)")
    assert ax.get_xlabel() == "time (s)" and "theory (Exp(1))" in legend_texts(ax)
    table = event_engine.state_distribution(mm1_run, mq.theory.mm1(3.0, 5.0), n_max=5)
    ax = dist.state_distribution(table, formula="M/M/1")
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(ax.patches) == 12 and len(hatched) == 6  # the two simulated series apart in greyscale too
