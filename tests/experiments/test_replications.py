"""Replications, confidence intervals, precision-based stopping, warm-up (MSER-5) and sweeps.

The headline test runs a seeded grid of M/M/c and M/G/1 cells and checks that the 95% Student-t
intervals cover the exact values at the nominal rate: the number of covered cells must be
consistent with Binomial(n, 0.95) (one-sided, significance 0.001 per metric), and the same
intervals must *fail* that test against values biased by 5%, so the check has power.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mqsim as mq
from mqsim.analysis.metrics import METRIC_COLUMNS
from mqsim.analysis.warmup import mser, mser5, mser_curve, warmup_from_result
from mqsim.dist import (
    Deterministic,
    Erlang,
    Exponential,
    Gamma,
    HyperExponential,
    LogNormal,
    Uniform,
)
from mqsim.experiments.progress import progress_bar, progress_enabled
from mqsim.experiments.replications import (
    PRECISION_METRICS,
    pilot_seed,
    replication_seed,
    run_replication,
)
from mqsim.viz.warmup import plot_warmup
from tests.worked_values import agrees

QUIET = {"progress": False}


def one_queue(lam, c, service, **queue):
    return mq.Scenario(producers=[mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=service))


MMC = one_queue(2.4, 3, Exponential(mean=1.0))


# ------------------------------------------------------------------------------------------
# CI coverage on a grid of exact cells
# ------------------------------------------------------------------------------------------
def _erlang_c(c: int, a: float) -> float:
    """Erlang C from its textbook sum (independent of the library's recursion)."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def _cells():
    cells = []
    for c in (1, 2, 3, 5, 8):
        for rho in (0.3, 0.5, 0.7, 0.85):
            lam = rho * c
            C = _erlang_c(c, lam)
            wq = C / (c - lam)
            cells.append((f"M/M/{c} rho={rho}", one_queue(lam, c, Exponential(mean=1.0)),
                          {"Wq": wq, "W": wq + 1, "L": lam * (wq + 1), "p_wait": C}))
    # M/G/1 by Pollaczek-Khinchine: Wq = lam E[S^2] / (2 (1 - rho)), E[S] = 1 s; p_wait = rho (PASTA)
    light = (Deterministic(1.0), Erlang(k=3, mean=1.0), Uniform(0.0, 2.0), Erlang(k=2, mean=1.0))
    heavy = (LogNormal(mean=1.0, scv=2.0), HyperExponential.balanced(1.0, 3.0), Gamma(shape=0.5, mean=1.0))
    for d in light:
        for rho in (0.3, 0.5, 0.7, 0.85):
            wq = rho * d.second_moment / (2 * (1 - rho))
            cells.append((f"M/G/1 {d!r} rho={rho}", one_queue(rho, 1, d),
                          {"Wq": wq, "W": wq + 1, "L": rho * (wq + 1), "p_wait": rho}))
    for d in heavy:
        for rho in (0.3, 0.5, 0.7):
            wq = rho * d.second_moment / (2 * (1 - rho))
            cells.append((f"M/G/1 {d!r} rho={rho}", one_queue(rho, 1, d),
                          {"Wq": wq, "W": wq + 1, "L": rho * (wq + 1), "p_wait": rho}))
    return cells


@pytest.mark.slow
def test_confidence_intervals_cover_exact_values_at_the_nominal_rate():
    cells = _cells()
    n = len(cells)
    assert n >= 40
    alpha = 0.001  # per metric; 4 metrics -> family-wise false-alarm rate <= 0.004
    lower = int(stats.binom.ppf(alpha, n, 0.95))  # fewer covered cells than this: reject
    covered = {m: 0 for m in ("Wq", "W", "L", "p_wait")}
    biased = dict.fromkeys(covered, 0)
    misses = []
    with ProcessPoolExecutor(2) as pool:
        for i, (name, sc, exact) in enumerate(cells):
            messages = 5_000 * (2 if sc.utilisation > 0.75 else 1)
            horizon = messages / sc.arrival_rate
            reps = mq.replicate(sc, n=10, seed=1000 + i, horizon=horizon, warmup=horizon / 10, by=(),
                                executor=pool, **QUIET)
            for m, v in exact.items():
                _, lo, hi = reps.ci(m, confidence=0.95)
                covered[m] += lo <= v <= hi
                biased[m] += lo <= 1.05 * v <= hi
                if not lo <= v <= hi:
                    misses.append(f"{name} {m}: {v:.4g} not in [{lo:.4g}, {hi:.4g}]")
    bad = {m: k for m, k in covered.items() if k < lower}
    assert not bad, (f"coverage below Binomial({n}, 0.95) acceptance bound {lower}: {bad}; misses: "
                     + "; ".join(misses))
    # power: a 5% bias in any of these metrics would be rejected by the same test
    assert all(k < lower for k in biased.values()), f"test has no power against a 5% bias: {biased} vs {lower}"


# ------------------------------------------------------------------------------------------
# replicate
# ------------------------------------------------------------------------------------------
def test_replicate_tidy_table_has_every_metric_with_a_t_interval():
    reps = mq.replicate(MMC, n=4, seed=3, horizon=400, warmup=40, **QUIET)
    t = reps.table()
    assert set(t.columns) >= {"group", "key", "metric", "n", "mean", "std", "ci_low", "ci_high", "half_width"}
    overall = t[(t.group == "all") & (t.key == "all")].set_index("metric")
    assert list(overall.index) == list(METRIC_COLUMNS)  # percentiles included
    row = overall.loc["wait_p95"]
    x = reps.runs.query("group == 'all'")["wait_p95"].to_numpy()
    h = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert row["mean"] == pytest.approx(x.mean()) and row["half_width"] == pytest.approx(h)
    assert row["ci_low"] == pytest.approx(x.mean() - h) and row["ci_high"] == pytest.approx(x.mean() + h)
    assert {"producer", "priority"} <= set(t.group)
    assert "n=4" in repr(reps)


def test_replications_extend_without_changing_earlier_ones():
    a = mq.replicate(MMC, n=3, seed=11, horizon=300, by=(), **QUIET).runs
    b = mq.replicate(MMC, n=5, seed=11, horizon=300, by=(), **QUIET).runs
    pd.testing.assert_frame_equal(a, b[b.replication < 3].reset_index(drop=True))
    assert replication_seed(11, 0) != replication_seed(11, 1) != pilot_seed(11)


def test_fast_overall_path_matches_the_grouped_summary():
    fast = run_replication(MMC, 5, 500.0, 50.0, ())
    full = run_replication(MMC, 5, 500.0, 50.0, ("producer",))
    pd.testing.assert_frame_equal(fast, full.iloc[:1].reset_index(drop=True), check_dtype=False)


def test_extra_metrics_match_a_direct_count_on_the_messages():
    res = mq.simulate(MMC, 800, 100, seed=9)
    df = run_replication(MMC, 9, 800.0, 100.0, ("producer",), ("P(wait > 0.5)", "p90_wait", "P(sojourn>2)"))
    m = res.messages
    win = m[m.t_publish >= 100]
    started = win[win.t_start.notna()]
    waiting = win[win.t_start.isna() & win.outcome.isin(["ready", "in_flight"])]
    late = int((800 - waiting.t_publish > 0.5).sum())
    expect = (int((started.wait > 0.5).sum()) + late) / (len(started) + late)
    row = df.iloc[0]
    assert row["P(wait>0.5)"] == pytest.approx(expect)
    assert row["wait_p90"] == pytest.approx(np.quantile(started.wait, 0.9))
    assert df.loc[1, "P(wait>0.5)"] == pytest.approx(expect)  # the producer row: same messages
    acked = win[win.outcome == "acked"]
    assert 0 < row["P(sojourn>2)"] <= 1 and row["P(sojourn>2)"] >= (acked.sojourn > 2).mean() - 0.01


def test_rel_precision_adds_replications_until_the_target_is_met():
    reps = mq.replicate(MMC, n=3, seed=5, horizon=2_000, warmup=200, by=(), rel_precision=0.05, metrics=["W"],
                        max_n=60, **QUIET)
    assert reps.converged is True
    assert 3 < reps.n < 60  # 3 runs of 2,000 s are not precise to 5%; it stopped well before the cap
    assert reps.precision().loc["W", "relative"] <= 0.05
    first = mq.replicate(MMC, n=3, seed=5, horizon=2_000, warmup=200, by=(), **QUIET)
    assert first.precision(["W"]).loc["W", "relative"] > 0.05
    assert "reached" in repr(reps)
    again = mq.replicate(MMC, n=3, seed=5, horizon=2_000, warmup=200, by=(), rel_precision=0.05, metrics=["W"],
                         max_n=60, executor="sequential", **QUIET)
    pd.testing.assert_frame_equal(reps.runs, again.runs)


def test_rel_precision_stops_at_the_cap_and_says_so():
    reps = mq.replicate(MMC, n=2, seed=5, horizon=300, by=(), rel_precision=0.001, metrics=["Wq", "p99_wait"],
                        max_n=5, **QUIET)
    assert reps.n == 5 and reps.converged is False
    assert "NOT reached" in repr(reps)
    assert "wait_p99" in reps.precision().index
    assert tuple(reps.precision_metrics) == ("Wq", "wait_p99")
    assert set(PRECISION_METRICS) <= set(METRIC_COLUMNS)


@pytest.mark.parametrize("kwargs, field", [
    ({"rel_precision": 0.0}, "rel_precision"), ({"rel_precision": 1.5}, "rel_precision"),
    ({"rel_precision": "5%"}, "rel_precision"), ({"rel_precision": 0.05, "max_n": 2}, "max_n"),
    ({"rel_precision": 0.05, "metrics": ["nope"]}, "metrics"), ({"metrics": ["Wq"]}, "metrics"),
    ({"n": 1}, "n"), ({"warmup": "later"}, "warmup"), ({"warmup": 500}, "warmup"),
    ({"extra_metrics": ["P(wait > -1)"]}, "extra_metrics"), ({"confidence": 1.0}, "confidence"),
    ({"executor": "cloud"}, "executor"), ({"n_jobs": 0}, "n_jobs"), ({"warmup_series": "x"}, "warmup_series"),
    ({"progress": "yes"}, "progress"),
])
def test_replicate_bad_input_names_the_field(kwargs, field):
    args = {"n": 3, "horizon": 100, **kwargs}
    args.setdefault("progress", False)
    with pytest.raises(ValueError, match=field):
        mq.replicate(MMC, **args)


def test_replicate_accepts_the_dict_form_of_a_scenario():
    a = mq.replicate(MMC.to_dict(), n=2, seed=1, horizon=200, by=(), **QUIET).runs
    b = mq.replicate(MMC, n=2, seed=1, horizon=200, by=(), **QUIET).runs
    pd.testing.assert_frame_equal(a, b)


def test_table_with_theory_sets_erlang_c_beside_the_simulation():
    reps = mq.replicate(MMC, n=3, seed=2, horizon=300, by=(), **QUIET)
    o = reps.overall()
    assert agrees(o.loc["Wq", "theory"], "mmc_2.4_1_3.Wq")
    assert agrees(o.loc["wait_p95", "theory"], "mmc_2.4_1_3.Wq_p95")
    assert o.loc["Wq", "formula"] == "Erlang C" and bool(o.loc["Wq", "exact"])


# ------------------------------------------------------------------------------------------
# warm-up
# ------------------------------------------------------------------------------------------
def _mser_brute(y, batch):
    k = len(y) // batch
    z = np.asarray(y[: k * batch], float).reshape(k, batch).mean(axis=1)
    return np.array([((z[d:] - z[d:].mean()) ** 2).sum() / (k - d) ** 2 for d in range(k)])


def test_mser_curve_matches_its_definition():
    y = np.random.default_rng(0).normal(size=503) + np.linspace(3, 0, 503)
    np.testing.assert_allclose(mser_curve(y, 5), _mser_brute(y, 5), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mser_curve(y, 1), _mser_brute(y, 1), rtol=1e-9, atol=1e-12)


def test_mser5_cuts_a_decaying_transient_and_nothing_from_a_flat_series():
    rng = np.random.default_rng(42)
    i = np.arange(5_000)
    y = 10 * np.exp(-i / 100) + rng.normal(0, 1, i.size)
    d = mser5(y)
    assert d % 5 == 0
    assert 250 <= d <= 1_500, d  # past the transient (10 e^{-i/100} < 0.8 beyond i = 250), not far past
    assert mser5(np.full(1_000, 3.0)) == 0
    assert mser5(np.r_[np.full(100, 50.0), np.full(900, 1.0)]) == 100
    up = np.r_[np.full(900, 1.0), np.full(100, 50.0)]  # a shift at the end cannot be cut past half-way
    assert mser(up, 5) <= 500


def test_mser5_bad_input():
    with pytest.raises(ValueError, match="series"):
        mser5([1.0, 2.0, float("nan")] * 10)
    with pytest.raises(ValueError, match="series"):
        mser5([1.0] * 7)
    with pytest.raises(ValueError, match="batch"):
        mser_curve([1.0] * 20, 0)


def test_auto_warmup_is_the_mser5_cut_of_the_pilots_and_is_plotted():
    import matplotlib

    matplotlib.use("Agg")
    sc = one_queue(0.95, 1, Exponential(mean=1.0))  # slow fill from empty
    reps = mq.replicate(sc, n=2, seed=4, horizon=4_000, warmup="auto", by=(), warmup_pilots=3, **QUIET)
    info = reps.warmup_info
    assert info is not None and info.pilots == 3 and info.series == "queue"
    assert reps.warmup == info.time and 0 <= info.time <= 2_000
    assert info.index == mser5(info.y)
    assert "MSER-5" in repr(reps)
    ax = plot_warmup(reps)
    assert any(len(line.get_xdata()) == 2 and np.allclose(line.get_xdata(), [info.time] * 2) for line in ax.lines)
    # one pilot run by hand gives the same cut as pilot k = 0
    one = warmup_from_result(mq.simulate(sc, 4_000, seed=pilot_seed(4, 0)))
    again = mq.replicate(sc, n=2, seed=4, horizon=4_000, warmup="auto", by=(), warmup_pilots=1, **QUIET)
    assert again.warmup == one.time
    wait = mq.replicate(sc, n=2, seed=4, horizon=4_000, warmup="auto", warmup_series="wait", by=(),
                        warmup_pilots=1, **QUIET)
    assert wait.warmup_info.series == "wait" and 0 <= wait.warmup < 4_000


# ------------------------------------------------------------------------------------------
# sweeps
# ------------------------------------------------------------------------------------------
def test_sweep_full_factorial_with_theory_and_common_random_numbers():
    grid = {"consumers.count": [3, 4], "producers[0].rate": [1.8, 2.4]}
    t = mq.sweep(MMC, grid, replications=3, seed=7, horizon=500, warmup=50, by=(), **QUIET)
    assert list(t.columns[:3]) == ["consumers.count", "producers[0].rate", "rho"]
    assert len(t[["consumers.count", "producers[0].rate"]].drop_duplicates()) == 4
    wq = t[(t.metric == "Wq") & (t.group == "all")].set_index(["consumers.count", "producers[0].rate"])
    for (c, lam), row in wq.iterrows():
        assert row["theory"] == pytest.approx(mq.theory.mmc(lam, 1.0, c).Wq, rel=1e-12)
        assert row["formula"] == "Erlang C"
    # common random numbers: the same arrivals at every consumer count
    pub = t[(t.metric == "published")].set_index(["consumers.count", "producers[0].rate"])
    assert pub.loc[(3, 2.4), "mean"] == pub.loc[(4, 2.4), "mean"]
    assert pub.loc[(3, 2.4), "std"] == pub.loc[(4, 2.4), "std"]


def test_sweep_points_equal_separate_replications():
    t = mq.sweep(MMC, {"consumers.count": [3, 4]}, replications=2, seed=8, horizon=300, by=(), **QUIET)
    reps = mq.replicate(MMC.with_value("consumers.count", 4), n=2, seed=8, horizon=300, by=(), **QUIET)
    a = t[(t["consumers.count"] == 4) & (t.metric == "W")].iloc[0]
    assert a["mean"] == reps.ci("W")[0]


def test_sweep_auto_warmup_adds_a_warmup_column():
    t = mq.sweep(MMC, {"consumers.count": [3, 4]}, replications=2, seed=8, horizon=500, warmup="auto",
                 warmup_pilots=2, by=(), **QUIET)
    assert "warmup" in t.columns
    assert ((t["warmup"] >= 0) & (t["warmup"] <= 250)).all()


def test_sweep_bad_grid():
    with pytest.raises(ValueError, match="grid"):
        mq.sweep(MMC, {}, **QUIET)
    with pytest.raises(ValueError, match="consumers.cont"):
        mq.sweep(MMC, {"consumers.cont": [1]}, replications=2, horizon=10, **QUIET)


# ------------------------------------------------------------------------------------------
# progress and import weight
# ------------------------------------------------------------------------------------------
def test_progress_switches(monkeypatch):
    monkeypatch.setenv("MQSIM_PROGRESS", "0")
    assert progress_enabled() is False
    assert progress_enabled(True) is True
    monkeypatch.setenv("MQSIM_PROGRESS", "1")
    assert progress_enabled() is True and progress_enabled(False) is False
    bar = progress_bar(3, "x", False)
    bar.update(1)  # a no-op stand-in
    from tqdm.auto import tqdm

    with progress_bar(3, "x", True) as real:
        assert isinstance(real, tqdm)


def test_import_mqsim_pulls_in_no_heavy_or_optional_module():
    code = ("import sys, mqsim; print(*sorted(m for m in ('pandas', 'scipy', 'matplotlib', 'tqdm', 'dask', "
            "'distributed') if m in sys.modules))")
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.split() == []
    assert callable(mq.size_consumers) and mq.SizingResult.__name__ == "SizingResult"
    assert callable(mq.mser5) and callable(mq.plot_warmup)
