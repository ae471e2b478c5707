"""mqsim.plots: every figure draws what it says (lines, labels, units) and its theory curve is
the formula's, not a look-alike."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mqsim as mq  # noqa: E402
from mqsim import analysis
from mqsim.dist import Exponential  # noqa: E402
from mqsim.teaching import lessons, output_analysis
from mqsim.viz import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


@pytest.fixture(scope="module")
def mm1_run():
    return mq.simulate(one_queue(3.0, mu=5.0), horizon=3_000, warmup=200, seed=11)


@pytest.fixture(scope="module")
def mm3_run():
    return mq.simulate(one_queue(2.4, c=3), horizon=3_000, warmup=300, seed=12)


def legend_texts(ax):
    leg = ax.get_legend()
    assert leg is not None, "the plot has no legend"
    return [t.get_text() for t in leg.get_texts()]


def test_wait_cdf_against_mm1(mm1_run):
    th = mq.theory.mm1(3.0, 5.0)
    ax = plots.wait_cdf(mm1_run, th)
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
    ax = plots.wait_cdf(mm3_run, pred, tail=True)
    assert ax.get_yscale() == "log"
    assert legend_texts(ax)[1] == "theory (Erlang C, M/M/3)"
    assert ax.get_ylabel().startswith("P(Wq > t)")
    t, y = ax.get_lines()[1].get_data()
    assert y[0] == pytest.approx(pred.metrics.P_wait)
    assert np.all(ax.get_lines()[0].get_data()[1] > 0)  # zeros cannot sit on a log axis


def test_sojourn_cdf(mm3_run):
    th = mq.theory.mmc(2.4, 1.0, 3)
    ax = plots.sojourn_cdf(mm3_run, th)
    t, y = ax.get_lines()[1].get_data()
    assert y[0] == pytest.approx(0.0)
    assert np.allclose(y, [th.sojourn_cdf(v) for v in t])
    assert ax.get_xlabel() == "t (s): time in system (sojourn)"


def test_wait_cdf_without_theory_and_bad_kind(mm1_run):
    ax = plots.wait_cdf(mm1_run)
    assert len(ax.get_lines()) == 1 and legend_texts(ax)[0].startswith("simulated")
    with pytest.raises(ValueError, match="kind"):
        plots.wait_cdf(mm1_run, kind="service")


def test_wait_hist_bins_are_exact_probabilities(mm3_run):
    th = mq.theory.mmc(2.4, 1.0, 3)
    ax = plots.wait_hist(mm3_run, th, bins=20, t_max=6.0)
    sim, theo = ax.patches[0], ax.patches[1]
    leg = ax.get_legend()
    assert leg.get_title().get_text().startswith("P(Wq = 0): simulated ")
    assert f"theory {1 - th.P_wait:.3f}" in leg.get_title().get_text()
    assert legend_texts(ax) == [f"simulated ({analysis.samples(mm3_run, 'wait').size:,} messages, one run)",
                                "theory (Erlang C, M/M/3)"]
    assert ax.get_ylabel() == "probability density (1/s)"
    # the theory step integrates to P(0 < Wq <= 6)
    w = 6.0 / 20
    heights = theo.get_data().values
    assert heights.sum() * w == pytest.approx(th.wait_tail(0.0) - th.wait_tail(6.0))
    waits = analysis.samples(mm3_run, "wait")
    assert sim.get_data().values.sum() * w == pytest.approx(np.mean((waits > 0) & (waits <= 6.0)), abs=1e-9)


def test_ci_bars_marks_theory_per_bar():
    table = lessons.dispatch_comparison(n=3, seed=5, horizon=1_500, warmup=150)
    ax = plots.ci_bars(table, n=3)
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
    ax = plots.priority_bars(reps)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["priority 5", "priority 0"]
    hl = [c for c in ax.collections if c.get_label().startswith("theory")][0]
    ys = [float(seg[0][1]) for seg in hl.get_segments()]
    exact = [m.Wq for m in mq.theory.np_priority_mmc([0.6, 1.8], 1.0, 3)]
    assert ys == pytest.approx(exact, rel=1e-9)  # 0.2697, 1.3483 (np_prio_mmc_3.* in the worked values)
    assert ax.get_xlabel() == "priority level (higher is delivered first)"
    assert any(t.startswith("simulated (95% CI, n=3)") for t in legend_texts(ax))


def test_little_check_points():
    runs = [mq.simulate(one_queue(lam, mu=5.0, max_length=4, overflow="reject-publish"), 4_000, 200, seed=2)
            for lam in (2.0, 7.0)]
    ax = plots.little_check(runs, labels=["light", "overloaded"])
    diag, eff, off = ax.get_lines()
    assert diag.get_label() == "theory (Little's law: L = λ_eff·W)"
    L, y_eff = eff.get_data()
    _, y_off = off.get_data()
    assert np.allclose(y_eff, L, rtol=0.03)  # Little's law with the admitted rate
    assert y_off[1] > 1.2 * L[1]  # the offered rate overstates L when messages are refused
    assert ax.get_xlabel() == "time-average number in system L (messages)"


def test_ci_convergence_from_values_and_replications():
    v = np.array([4.0, 5.0, 3.0, 6.0, 4.5, 4.2])
    ax = plots.ci_convergence(v, exact=40 / 9, formula="Erlang C", target=0.05)
    labels = legend_texts(ax)
    assert "theory (Erlang C)" in labels and "theory ± 5%" in labels
    mean_line = [ln for ln in ax.get_lines() if ln.get_label() == "simulated: mean of the first n"][0]
    n, m = mean_line.get_data()
    assert list(n) == [2, 3, 4, 5, 6] and m[-1] == pytest.approx(v.mean())
    assert ax.get_xlabel() == "number of replications n"
    reps = mq.replicate(one_queue(0.5), n=3, seed=1, horizon=500, warmup=50, by=(), progress=False)
    ax2 = plots.ci_convergence(reps, metric="W")
    one = [ln for ln in ax2.get_lines() if ln.get_label() == "simulated: one replication"][0]
    assert np.allclose(one.get_data()[1], reps.runs[reps.runs.group == "all"]["W"])


def test_autocorrelation_and_state_distribution(mm1_run):
    w = analysis.samples(mm1_run, "wait")
    ax = plots.autocorrelation({"rho = 0.6": w}, max_lag=20)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("simulated")]
    assert line.get_data()[1][0] == 1.0 and len(line.get_data()[0]) == 21
    table = lessons.state_distribution(mm1_run, mq.theory.mm1(3.0, 5.0), n_max=8)
    ax2 = plots.state_distribution(table, formula="M/M/1")
    assert len(ax2.patches) == 18
    th = [ln for ln in ax2.get_lines() if ln.get_label() == "theory (M/M/1)"][0]
    assert np.allclose(th.get_data()[1], [0.4 * 0.6**k for k in range(9)])


def test_warmup_curve_plot():
    tb = output_analysis.warmup_curve(one_queue(2.4, c=3), n=4, seed=1, messages=100, batch=20)
    ax = plots.warmup_curve(tb, exact=1.0787, formula="Erlang C", warmup=50)
    assert "theory (Erlang C, steady state)" in legend_texts(ax)
    assert ax.get_xlabel().startswith("mean publish time of the j-th message (s")


def test_existing_plots_still_work(mm1_run):
    ax = plots.queue_length(mm1_run, theory=1.5)
    assert ax.get_xlabel() == "time (s)"
    tb = mq.sweep(one_queue(0.5), {"producers[0].rate": [0.3, 0.6]}, replications=2, seed=1, horizon=300, by=(),
                  progress=False)
    ax = plots.hockey_stick(tb, "Wq")
    assert any(t.startswith("simulated") for t in legend_texts(ax))
    assert not math.isnan(ax.get_ylim()[1])
