"""mqsim.teaching.networks (lecture 10): per-queue tables against Jackson, end-to-end times, the Ciw café."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Exponential
from mqsim.teaching import networks as nw


@pytest.mark.slow
def test_network_table_and_end_to_end_times():
    sc = mq.Scenario([mq.Producer("p", rate=2.0)], consumers=mq.Consumers(1, service=Exponential(rate=4.0)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Exponential(rate=3.0)))],
                     routes={"main": {"b": 1.0}})
    reps = mq.replicate(sc, n=10, seed=3, horizon=3_000, warmup=300, by=("queue",), progress=False)
    t = nw.network_table(reps, mq.theory.tandem(2.0, [4.0, 3.0]), ["main", "b"])
    assert t["node"].tolist() == ["main"] * 3 + ["b"] * 3 + ["network"]
    assert t.iloc[-1]["theory"] == pytest.approx(1.5)  # tandem_2_4_3.T
    assert t["theory_in_ci"].sum() >= 6
    run = mq.simulate(sc, horizon=3_000, warmup=300, seed=4)
    T = nw.end_to_end_times(run)
    assert abs(T.mean() - 1.5) < 4 * T.std() / math.sqrt(T.size / 20)  # correlated: loose, 20x variance
    assert (T > 0).all()


def test_end_to_end_times_deterministic_pipeline():
    """Publishes at 1, 2, 3, ...; 0.3 s at the first queue, 0.5 s at the second: 0.8 s each."""
    sc = mq.Scenario([mq.Producer("p", interarrival=Deterministic(1.0))],
                     consumers=mq.Consumers(1, service=Deterministic(0.3)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Deterministic(0.5)))],
                     routes={"main": {"b": 1.0}})
    run = mq.simulate(sc, horizon=10.5, warmup=2.5, seed=1)
    T = nw.end_to_end_times(run)
    assert T.size == 7 and np.allclose(T, 0.8)  # published at 3..9 (10 is still in the pipeline)


def test_cafe_jackson_values():
    """The café as a Jackson network: lam_hot 0.29, lam_till 0.5, T = 5.193174518 min, X* = 1/min at the till."""
    net = nw.cafe_theory()
    assert net.lam[1] == pytest.approx(0.29) and net.lam[2] == pytest.approx(0.5)
    assert net.W == pytest.approx(5.193174518, rel=1e-9)
    assert net.saturation_throughput == pytest.approx(1.0) and net.bottleneck == 2
    sc = nw.cafe_scenario()
    assert sc.node_names == ("main", "cold", "hot", "till") and sc.arrival_rate == pytest.approx(0.5)
    assert sc.routes["main"] == pytest.approx({"cold": 0.6, "hot": 0.4})
    assert nw.cafe_scenario(2.0, c=[1, 1, 3]).stages[1].consumers.count == 1


def test_lunchtime_counts_are_reproducible():
    a = nw.lunchtime_counts(3, seed=5)
    assert a.shape == (3,) and np.array_equal(a, nw.lunchtime_counts(3, seed=5))
    assert (a > 40).all() and (a < 140).all()  # about 89 expected


def test_network_time_counts_the_dead_letter_queue():
    """T = sum of every queue's L over the entry rate, the DLQ included (Jackson's sum L_i / gamma)."""
    sc = mq.Scenario([mq.Producer("jobs", rate=0.6)], queue=mq.Queue(dead_letter="dlq"),
                     consumers=mq.Consumers(1, service=Exponential(rate=1.0), nack=0.2, reject=0.1),
                     stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=Exponential(rate=0.25)))])
    net = mq.theory.jackson([0.6, 0.0], [[0.2, 0.1], [0.0, 0.0]], [1.0, 0.25])
    reps = mq.replicate(sc, n=10, seed=5, horizon=10_000, warmup=500, by=("queue",), progress=False)
    row = nw.network_table(reps, net, ["main", "dlq"], metrics=("L",)).iloc[-1]
    assert row["theory"] == pytest.approx((3.0 + 0.075 / (0.25 - 0.075)) / 0.6)
    half = (row["ci_high"] - row["ci_low"]) / 2
    assert abs(row["simulated"] - row["theory"]) <= 1.5 * half
    r = reps.runs
    lam = r[(r.group == "queue") & (r.key == "main")].set_index("replication")["arrival_rate"]
    by_hand = r[r.group == "queue"].groupby("replication")["L"].sum() / lam
    assert row["simulated"] == pytest.approx(by_hand.mean(), rel=1e-12)
