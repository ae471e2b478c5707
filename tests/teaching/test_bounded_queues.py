"""mqsim.teaching.bounded_queues (lecture 5): formula columns reproduce M/M/c/K, drop-head and Erlang B
values, simulated columns cover them, and the helpers' replications are mq.replicate's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Exponential, HyperExponential
from mqsim.teaching import bounded_queues as bq


def covers(row, value, widen=1.5):
    """The simulated interval (widened a little: several intervals per test) contains value."""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return abs(row["simulated"] - value) <= widen * half


def test_bounded_scenario():
    sc = bq.bounded_scenario(1.8, 1.0, 2, 8)
    assert (sc.queue.max_length, sc.queue.overflow, sc.consumers.count) == (8, "reject-publish", 2)
    assert mq.theory.for_scenario(sc).metrics.loss == pytest.approx(0.05480733221, rel=1e-9)


def test_kendall_sweep_right_and_wrong_capacity():
    t = bq.kendall_sweep(0.9, 1.0, 1, [0, 2, 5], n=4, seed=1, horizon=3_000, warmup=300)
    assert list(t["max_length"]) == [0, 2, 5]
    assert math.isnan(t.loc[0, "K = max_length"])
    assert t.loc[2, "K = max_length + c"] == pytest.approx(mq.theory.mm1k(0.9, 1.0, 6).loss)
    assert t.loc[2, "K = max_length"] == pytest.approx(mq.theory.mm1k(0.9, 1.0, 5).loss)
    for _, row in t.iterrows():
        assert covers(row, row["K = max_length + c"], 2.0)
    assert not covers(t.loc[1], t.loc[1, "K = max_length"])  # the wrong K is visibly wrong


def test_overflow_comparison_exact_values():
    t = bq.overflow_comparison(0.9, 1.0, 1, 5, n=6, seed=2, horizon=10_000, warmup=500)
    th = t.set_index(["policy", "metric"])["theory"]
    assert th["reject-publish", "loss"] == pytest.approx(0.1018665597, rel=1e-9)
    assert th["drop-head", "loss"] == pytest.approx(0.1018665597, rel=1e-9)
    assert th["reject-publish", "Wq"] == pytest.approx(2.194782301, rel=1e-9)
    assert th["drop-head", "Wq"] == pytest.approx(1.802038, rel=1e-6)
    assert th["drop-head", "throughput"] == pytest.approx(0.8083200962, rel=1e-9)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.0), row.to_dict()


def test_erlang_b_insensitivity():
    svcs = {"constant": Deterministic(1.0), "exponential": Exponential(mean=1.0),
            "H2 scv 9": HyperExponential.balanced(1.0, 9.0)}
    t = bq.erlang_b_insensitivity(3, 2.0, svcs, n=5, seed=3, horizon=3_000, warmup=300)
    assert list(t["scv"]) == pytest.approx([0.0, 1.0, 9.0])
    assert np.allclose(t["theory"], 4 / 19, rtol=1e-12)
    for _, row in t.iterrows():
        assert covers(row, 4 / 19, 2.0)


def test_helpers_replicate_with_mq_replicate():
    """One replication path: the helper's numbers are mq.replicate's for the same arguments."""
    t = bq.kendall_sweep(0.9, 1.0, 1, [3], metric="Wq", n=3, seed=5, horizon=800, warmup=80)
    reps = mq.replicate(bq.bounded_scenario(0.9, 1.0, 1, 3), n=3, seed=5, horizon=800, warmup=80, by=(),
                        progress=False)
    assert (t.loc[0, "simulated"], t.loc[0, "ci_low"], t.loc[0, "ci_high"]) == pytest.approx(reps.ci("Wq"), rel=1e-12)
