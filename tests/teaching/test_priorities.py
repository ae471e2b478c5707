"""mqsim.teaching.priorities (lecture 8): Cobham, the conservation law, the M/M/c priority formula,
prefetch fading priority, the starvation transient, and the dispatch-policy toy."""

from __future__ import annotations


import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import priorities as pr


def covers(row, value, widen=1.5):
    """The simulated interval (widened a little: several intervals per test) contains value."""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return abs(row["simulated"] - value) <= widen * half


def test_priority_scenario():
    sc = pr.priority_scenario([0.2, 0.3, 0.3])
    assert [p.priority for p in sc.producers] == [2, 1, 0]
    assert sc.queue.max_priority == 2
    sc = pr.priority_scenario([0.3, 0.5], [Exponential(mean=0.5), Exponential(mean=1.5)], levels=[5, 1])
    assert [p.service.mean for p in sc.producers] == [0.5, 1.5] and sc.queue.max_priority == 5
    with pytest.raises(ValueError):
        pr.priority_scenario([0.3, 0.5], levels=[1])


def test_priority_comparison_cobham_conservation_and_preemptive():
    t = pr.priority_comparison(pr.priority_scenario([0.3, 0.5]), n=6, seed=1, horizon=20_000, warmup=1_000)
    assert t["class"].tolist() == ["priority 1", "priority 0", "all (rate-weighted)"]
    assert t["non_preemptive"].tolist() == pytest.approx([1.142857143, 5.714285714, 4.0], rel=1e-8)
    assert t["fcfs"].tolist() == pytest.approx([4.0, 4.0, 4.0])
    assert t["preemptive"].tolist()[:2] == pytest.approx([1.428571429 - 1, 7.142857143 - 1], rel=1e-8)
    for _, row in t.iterrows():
        assert covers(row, row["non_preemptive"], 2.0), row.to_dict()


def test_priority_comparison_multi_server_and_no_formula():
    t = pr.priority_comparison(pr.priority_scenario([0.6, 1.8], c=3), n=3, seed=1, horizon=3_000, warmup=300)
    assert t["non_preemptive"].tolist()[:2] == pytest.approx([0.2696629213, 1.348314607], rel=1e-8)
    assert t["preemptive"].tolist()[:2] == pytest.approx([0.010273973, 1.43477759], rel=1e-6)
    assert t.loc[2, "fcfs"] == pytest.approx(1.078651685, rel=1e-8)
    odd = pr.priority_scenario([0.6, 1.8], [Exponential(mean=0.5), Exponential(mean=1.2)], c=3)
    t = pr.priority_comparison(odd, n=2, seed=1, horizon=500, warmup=50)
    assert t[["non_preemptive", "fcfs", "preemptive"]].isna().all().all()  # no closed form: simulate


def test_prefetch_priority_fades_towards_fcfs():
    t = pr.prefetch_priority(pr.priority_scenario([0.3, 0.5]), [1, 50], n=4, seed=2, horizon=5_000, warmup=500)
    assert len(t) == 4 and set(t["priority"]) == {0, 1}
    high = t[t.priority == 1].set_index("prefetch")["simulated"]
    low = t[t.priority == 0].set_index("prefetch")["simulated"]
    assert high[1] < 1.5 < 3.0 < high[50]
    assert abs(high[50] - low[50]) < 0.5 * low[50]
    assert (t["non_preemptive"] > 0).all() and np.allclose(t["fcfs"], 4.0)


def test_starvation_transient_ciw_example():
    t = pr.starvation_transient([5.0, 5.0], 10.0, [100, 2_000], n=4, seed=1)
    hi = t[t.priority == 1].set_index("horizon")
    lo = t[t.priority == 0].set_index("horizon")
    assert np.allclose(hi["cobham"], 0.2) and lo["cobham"].isna().all()
    assert abs(hi.loc[2_000, "simulated"] - 0.2) < 0.03
    assert lo.loc[2_000, "simulated"] > lo.loc[100, "simulated"]
    assert lo.loc[2_000, "backlog"] > lo.loc[100, "backlog"]


def test_weighted_priority_toy():
    strict = pr.weighted_priority_toy([0.3, 0.5], policy="strict", n=8, seed=1).set_index("class")
    weighted = pr.weighted_priority_toy([0.3, 0.5], policy="weighted", n=8, seed=1).set_index("class")
    fifo = pr.weighted_priority_toy([0.3, 0.5], policy="fifo", n=8, seed=1).set_index("class")
    assert covers(strict.loc["high"], 1.142857143, 2.0) and covers(strict.loc["normal"], 5.714285714, 2.0)
    assert covers(fifo.loc["high"], 4.0, 2.0) and covers(fifo.loc["normal"], 4.0, 2.0)
    assert strict.loc["high", "simulated"] < weighted.loc["high", "simulated"] < fifo.loc["high", "simulated"]
    assert weighted.loc["normal", "simulated"] < strict.loc["normal", "simulated"]
    for t in (strict, weighted, fifo):  # work conservation: the overall mean wait is the FCFS one
        assert covers(t.loc["all"], 4.0, 2.0)
    with pytest.raises(ValueError):
        pr.weighted_priority_toy([0.3, 0.5], policy="random")


def test_priority_policies_table():
    t = pr.priority_policies([0.3, 0.5], n=4, seed=2, horizon=5_000, warmup=500)
    assert t["policy"].unique().tolist() == ["strict", "weighted 2:1", "no priority"]
    assert t.loc[0, "theory"] == pytest.approx(1.142857143) and t.loc[0, "label"] == "strict: high"
    assert t[t.policy == "weighted 2:1"]["theory"].isna().all()
    assert np.allclose(t[t.policy == "no priority"]["theory"], 4.0)


def test_priority_replications_match_mqsim_replicate():
    sc = pr.priority_scenario([0.3, 0.5])
    reps = mq.replicate(sc, n=3, seed=4, horizon=1_000, warmup=100, by=("priority",), progress=False)
    t = pr.priority_comparison(sc, n=3, seed=4, horizon=1_000, warmup=100)
    for i, (g, k) in enumerate([("priority", 1), ("priority", 0), ("all", "all")]):
        assert t.loc[i, "simulated"] == pytest.approx(reps.ci("Wq", g, k)[0], rel=1e-9)
        assert t.loc[i, "ci_high"] == pytest.approx(reps.ci("Wq", g, k)[2], rel=1e-9)
