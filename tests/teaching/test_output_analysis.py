"""mqsim.teaching.output_analysis (lecture 3) and the statistics it relies on: replications continue
exactly, sequential stopping agrees with the running interval, batch means widen the naive interval on
correlated data, the coverage experiment counts what it claims, and Welch's curve starts low."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim import analysis
from mqsim.dist import Exponential
from mqsim.teaching import output_analysis


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def test_replicate_overall_equals_replicate_and_continues():
    sc = one_queue(0.8, c=2)
    fast = output_analysis.replicate_overall(sc, n=4, seed=9, horizon=400, warmup=40)
    reps = mq.replicate(sc, n=4, seed=9, horizon=400, warmup=40, by=(), progress=False)
    slow = reps.runs[reps.runs.group == "all"].sort_values("replication")
    for m in ("Wq", "L", "throughput", "wait_p95"):
        assert np.array_equal(fast[m].to_numpy(), slow[m].to_numpy()), m
    head = output_analysis.replication_values(sc, "Wq", 2, 9, 400, 40)
    tail = output_analysis.replication_values(sc, "Wq", 2, 9, 400, 40, first=2)
    assert np.array_equal(np.concatenate([head, tail]), fast["Wq"].to_numpy())
    with pytest.raises(ValueError, match="metric"):
        output_analysis.replication_values(sc, "nonsense", 2)


def test_running_ci_and_replications_needed():
    x = np.array([3.0, 5.0, 4.0, 4.5, 3.5, 4.2, 3.9, 4.1])
    rc = analysis.running_ci(x)
    for k in (2, 5, 8):
        m, lo, hi = mq.confidence_interval(x[:k])
        row = rc[rc.n == k].iloc[0]
        assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((m, lo, hi))
    hw = rc.set_index("n")["half_width"]
    target = float(hw.loc[6]) * 1.0001
    assert analysis.replications_needed(x, target) == int(hw.index[(hw <= target).to_numpy()][0])
    assert analysis.replications_needed(x, 1e-9) is None
    with pytest.raises(ValueError):
        analysis.running_ci([1.0])


def test_replications_until_agrees_with_replications_needed():
    sc = one_queue(0.2, c=3, mu=0.1)
    n, values = output_analysis.replications_until(sc, 1.5, "Wq", seed=4, horizon=600, warmup=60, chunk=7)
    assert n is not None and n <= values.size
    assert analysis.replications_needed(values, 1.5) == n
    assert np.array_equal(values, output_analysis.replication_values(sc, "Wq", values.size, 4, 600, 60))


def test_batch_means_widen_the_naive_interval_on_correlated_data():
    rng = np.random.default_rng(1)
    e = rng.normal(size=40_000)
    x = np.empty_like(e)
    x[0] = 0.0
    for i in range(1, x.size):  # AR(1), phi = 0.9: true mean 0
        x[i] = 0.9 * x[i - 1] + e[i]
    m, lo, hi = analysis.batch_means(x, 20)
    nm, nlo, nhi = analysis.naive_ci(x)
    assert m == pytest.approx(nm)  # 40,000 = 20 x 2,000: same observations, same mean
    assert (hi - lo) > 3 * (nhi - nlo)  # sqrt((1 + phi)/(1 - phi)) = 4.36 times wider in theory
    r = analysis.autocorrelation(x, 3)
    assert r[0] == 1.0 and r[1] == pytest.approx(0.9, abs=0.03) and r[2] == pytest.approx(0.81, abs=0.05)
    with pytest.raises(ValueError):
        analysis.batch_means(x[:5], 20)


def test_samples_are_what_the_summary_averages():
    res = mq.simulate(one_queue(2.4, c=3), 1_500, 150, seed=5)
    o = res.overall()
    assert analysis.samples(res, "wait").mean() == pytest.approx(o["Wq"])
    assert analysis.samples(res, "sojourn").mean() == pytest.approx(o["W"])
    assert np.quantile(analysis.samples(res, "wait"), 0.95) == pytest.approx(o["wait_p95"])


def test_warmup_curve_starts_below_steady_state():
    bank = one_queue(0.2, c=3, mu=0.1)
    tb = output_analysis.warmup_curve(bank, n=40, seed=2, messages=120, batch=10)
    assert list(tb.columns) == ["message", "t", "mean", "ci_low", "ci_high"]
    assert tb["message"].tolist() == list(range(10, 121, 10)) and tb["t"].is_monotonic_increasing
    assert tb["mean"].iloc[0] < 0.5 * 40 / 9  # an empty bank makes its first customers wait little
    # after the transient, the pooled mean over customers 60..120 is near the steady state 4.44
    late = tb[tb["message"] > 60]
    assert 40 / 9 * 0.6 < late["mean"].mean() < 40 / 9 * 1.4
    with pytest.raises(ValueError, match="multiple"):
        output_analysis.warmup_curve(bank, messages=25, batch=10)


def test_interval_coverage_counts_each_runs_intervals():
    sc = one_queue(0.5)
    t = output_analysis.interval_coverage(sc, exact=1.0, runs=6, seed=3, horizon=4_000, warmup=200, n_batches=10)
    assert list(t.index) == ["naive (i.i.d.)", "batch means"] and (t["runs"] == 6).all()
    hits = {"naive (i.i.d.)": 0, "batch means": 0}
    widths = {"naive (i.i.d.)": [], "batch means": []}
    for r in range(6):  # the same runs by hand: replication r of seed 3
        res = mq.simulate(sc, 4_000, 200, seed=mq.replication_seed(3, r))
        x = analysis.samples(res, "wait")
        cis = (("naive (i.i.d.)", analysis.naive_ci(x)), ("batch means", analysis.batch_means(x, 10)))
        for name, (_, lo, hi) in cis:
            hits[name] += lo <= 1.0 <= hi
            widths[name].append((hi - lo) / 2)
    for name in hits:
        assert t.loc[name, "coverage"] == pytest.approx(hits[name] / 6)
        assert t.loc[name, "mean_half_width"] == pytest.approx(np.mean(widths[name]))
    assert t.loc["batch means", "mean_half_width"] > t.loc["naive (i.i.d.)", "mean_half_width"]
