"""mqsim.analysis and mqsim.lessons: the helpers the notebooks rely on measure what they claim."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import mqsim as mq
from mqsim import analysis
from mqsim.dist import Exponential
from mqsim.teaching import lessons, output_analysis


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


# ---------------------------------------------------------------------------------------------
# analysis
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# lessons
# ---------------------------------------------------------------------------------------------
def test_flow_balance_little_and_utilisation_laws():
    res = mq.simulate(one_queue(4.0, mu=5.0, max_length=4, overflow="reject-publish"), 20_000, 500, seed=8)
    fb = lessons.flow_balance(res)
    assert fb["L"] == pytest.approx(fb["lam_eff_W"], rel=0.01)  # Little with the admitted rate
    assert fb["lam_W"] / fb["L"] > 1.05  # ... and not with the offered rate (loss ~ 9 %)
    assert fb["U"] == pytest.approx(fb["XS_over_c"], rel=0.01)  # utilisation law
    assert fb["lam_eff"] == pytest.approx(fb["lam"] * (1 - fb["loss"]), rel=1e-9)
    exact = mq.theory.mm1k(4.0, 5.0, 5)
    assert fb["loss"] == pytest.approx(exact.loss, abs=0.01)
    dh = lessons.flow_balance(mq.simulate(one_queue(4.0, mu=5.0, max_length=4), 20_000, 500, seed=8))
    assert dh["lam_eff"] == dh["lam"] and dh["L"] == pytest.approx(dh["lam_W"], rel=0.01)  # drop-head admits all
    tb = lessons.flow_balance_table({"reject": res})
    assert tb.loc["reject", "L"] == fb["L"]


def test_sim_vs_theory_table():
    t = lessons.sim_vs_theory(one_queue(0.5), n=4, seed=3, horizon=2_000, warmup=200, metrics=("Wq", "L", "p_wait"))
    assert list(t.index) == ["Wq", "L", "p_wait"]
    assert t.loc["Wq", "theory"] == pytest.approx(1.0) and t.loc["L", "theory"] == pytest.approx(1.0)
    assert t.attrs["formula"] == "M/M/1"
    assert all(isinstance(v, bool) for v in t["theory_in_ci"])
    assert ((t["ci_low"] <= t["simulated"]) & (t["simulated"] <= t["ci_high"])).all()
    with pytest.raises(ValueError, match="unknown"):
        lessons.sim_vs_theory(one_queue(0.5), metrics=("nope",))


def test_state_distribution_pasta():
    res = mq.simulate(one_queue(3.0, mu=5.0), 10_000, 500, seed=6)
    tb = lessons.state_distribution(res, mq.theory.mm1(3.0, 5.0))
    assert tb["time_average"].sum() == pytest.approx(1.0, abs=0.002)
    assert np.max(np.abs(tb["time_average"] - tb["seen_by_arrivals"])) < 0.02
    assert np.max(np.abs(tb["time_average"] - tb["theory"])) < 0.03
    assert tb["theory"].iloc[0] == pytest.approx(0.4)


def test_dispatch_comparison_theory_and_ordering():
    t = lessons.dispatch_comparison(2.4, 1.0, 3, n=4, seed=2, horizon=3_000, warmup=300)
    assert list(t["policy"]) == ["shared queue (prefetch 1)", "round-robin push (prefetch 0)", "random split"]
    assert t["theory"].tolist() == pytest.approx([1.078651685, 2.459422848, 4.0], rel=1e-8)
    assert t["simulated"].is_monotonic_increasing  # pooling beats round-robin beats random
    assert (t["n"] == 4).all()


def test_toy_event_list_reproduces_the_engine_exactly():
    res = mq.simulate(one_queue(3.0, mu=5.0), 300, 0, seed=13)
    m = res.messages
    start, done, trace = lessons.toy_event_list(m["t_publish"].to_numpy(), m["service"].to_numpy(), trace_steps=5)
    acked = m["outcome"].to_numpy() == "acked"
    assert acked.sum() > 500
    assert np.array_equal(start[acked], m["t_start"].to_numpy()[acked])
    assert np.array_equal(done[acked], m["t_done"].to_numpy()[acked])
    assert list(trace.columns) == ["time", "event", "message", "waiting", "event list after"]
    assert len(trace) == 5 and trace["event"].iloc[0] == "publish"
    assert trace["time"].is_monotonic_increasing


def test_asyncio_demo_runs_fifo():
    out = asyncio.run(lessons.asyncio_queue_demo([0.5, 0.5, 0.5], [1.0, 0.2, 0.2], scale=0.002))
    assert out["message"].tolist() == [0, 1, 2]
    assert (out["wait"] >= 0).all() and (out["sojourn"] >= out["wait"]).all()
