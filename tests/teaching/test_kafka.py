"""mqsim.teaching.kafka (lecture 11): assignment and partition tables, lag per partition, and the rate
and latency comparisons against the consumer-group formulas."""

from __future__ import annotations


import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import kafka as kf


def test_assignment_and_partition_tables():
    t = kf.assignment_table(6, range(1, 9))
    assert t["keeps up with (records/s)"].tolist() == [1, 2, 3, 3, 3, 6, 6, 6]
    assert t.loc[4, "partitions per consumer"] == "2 2 1 1" and t.loc[8, "active consumers"] == 6
    pt = kf.partition_table(mq.Topic(6, keys=1000, key_skew=1.2), 4)
    assert pt["share"].sum() == pytest.approx(1.0) and pt["consumer"].tolist() == [0, 0, 1, 1, 2, 3]
    assert pt.loc[0, "consumer_share"] == pytest.approx(pt.loc[0, "share"] + pt.loc[1, "share"])


def test_partition_lag_counts_unpolled_records():
    ks = mq.KafkaScenario([mq.Producer("p", rate=2.0)], mq.Topic(3), mq.ConsumerGroup(1, Exponential(mean=1.0)))
    run = mq.simulate(ks, horizon=200, seed=1)
    lag = kf.partition_lag(run, times=[50.0, 200.0])
    a = run.arrays
    waiting = np.sum((a["t_publish"] <= 200.0) & ~(a["t_start"] <= 200.0))
    assert lag.loc[200.0].sum() == waiting and lag.shape == (2, 3)
    assert lag.loc[200.0].sum() > lag.loc[50.0].sum()  # one consumer at mu = 1 for lam = 2: it grows


@pytest.mark.slow
def test_kafka_sweep_and_wait_comparison():
    sw = kf.kafka_rate_sweep(6, 4, 1.0, [2.0, 4.5], n=3, seed=1, horizon=600, warmup=100)
    assert len(sw) == 4 and set(sw["system"]) == {"Kafka: 6 partitions, 4 consumers", "shared queue: 4 consumers"}
    k = sw[(sw["system"].str.startswith("Kafka")) & (sw["lam"] == 4.5)].iloc[0]
    assert k["theory"] == pytest.approx(3.5) and abs(k["mean"] - 3.5) < 0.25
    w = kf.kafka_wait_comparison(2.4, 1.0, [("shared", 4, None), ("kafka", 4, 6)], n=4, seed=2, horizon=2_000,
                                 warmup=200)
    assert w["theory"].tolist() == pytest.approx([mq.theory.mmc(2.4, 1.0, 4).W, 3.888888889])
    assert w.loc[1, "simulated"] > 2 * w.loc[0, "simulated"]  # no pooling across partitions
