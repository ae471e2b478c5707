"""Kafka consumer shares, throughput, keep-up rate, latency and partitions for a target, against
direct computations from the assignment and M/M/1 per member, and the uniform-key formulas."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim.theory import (kafka_consumer_shares, kafka_max_rate, kafka_mm1_wait, kafka_saturation,
                          kafka_throughput, kafka_wait, partitions_needed)


@pytest.mark.parametrize("P,n,expect", [(6, 4, 3.0), (6, 6, 6.0), (6, 8, 6.0), (3, 2, 1.5), (10, 4, 10 / 3)])
def test_uniform_keys_give_the_saturation_formula(P, n, expect):
    assert kafka_max_rate(1.0, P, n) == pytest.approx(expect)
    assert kafka_max_rate(2.0, P, n) == pytest.approx(kafka_saturation(P, n, 2.0))
    assert kafka_throughput(0.99 * expect, 1.0, P, n) == pytest.approx(0.99 * expect)
    assert kafka_throughput(100.0, 1.0, P, n) == pytest.approx(min(P, n))


def test_shares_throughput_and_wait_by_hand():
    skew = mq.Topic(6, keys=1000, key_skew=1.2).partition_shares()
    owners = mq.theory.kafka_assignment(6, 4)
    by_hand = np.array([sum(skew[p] for p in ps) for ps in owners])
    assert np.allclose(kafka_consumer_shares(6, 4, shares=skew), by_hand)
    lam, mu = 1.5, 1.0
    assert kafka_throughput(lam, mu, 6, 4, shares=skew) == pytest.approx(np.minimum(lam * by_hand, mu).sum())
    assert kafka_wait(lam, mu, 6, 4, shares=skew) == pytest.approx(np.sum(by_hand / (mu - lam * by_hand)))
    assert kafka_wait(2.4, 1.0, 6, 4) == pytest.approx(kafka_mm1_wait(2.4, 1.0, 6, 4), rel=1e-12)
    assert kafka_throughput(4.5, 1.0, 6, 4) == pytest.approx(2 * 1.0 + 2 * 4.5 / 6)
    with pytest.raises(mq.theory.UnstableError):
        kafka_wait(4.0, 1.0, 6, 6, shares=mq.Topic(6, keys=1000, key_skew=1.2).partition_shares())
    with pytest.raises(ValueError, match="shares"):
        kafka_throughput(1.0, 1.0, 3, 3, shares=[0.5, 0.5])


@pytest.mark.parametrize("lam,mu,w", [(40.0, 10.0, 0.4), (100.0, 25.0, 0.06), (90.0, 10.0, 0.2), (30.0, 10.0, 0.25),
                                      (100.0, 25.0, None)])
def test_partitions_needed_is_the_smallest_by_search(lam, mu, w):
    def ok(P):
        return lam / P < mu and (w is None or 1 / (mu - lam / P) <= w + 1e-12)

    best = next(P for P in range(1, 10_000) if ok(P))
    assert partitions_needed(lam, mu, w) == best


def test_partitions_needed_refuses_an_impossible_target():
    with pytest.raises(ValueError, match="partitions_needed.w"):
        partitions_needed(10.0, 10.0, 0.05)
