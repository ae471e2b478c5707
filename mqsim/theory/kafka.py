"""Kafka consumer groups: parallelism min(consumers, partitions), no pooling across partitions.

Each partition is consumed by exactly one consumer of a group; a consumer with several
partitions serves them one record at a time. With uniform keys each partition gets lam/P
messages/s, so a consumer owning m partitions is a single-server queue at rate m*lam/P.
"""

from __future__ import annotations

import math

from mqsim.model import validate
from mqsim.model.kafka import partition_assignment

__all__ = ["kafka_saturation", "kafka_assignment", "kafka_mm1_wait"]


kafka_assignment = partition_assignment  # the partition -> consumer map, shared with the model


def kafka_saturation(partitions: int, consumers: int, mu: float) -> float:
    """Largest total rate (messages/s) a group keeps up with under uniform keys:
    X* = P mu / ceil(P/n) for n <= P, and P mu for n >= P (each partition is read by one
    consumer of the group: Kafka documentation, consumer groups)."""
    P = validate.integer("kafka_saturation.partitions", partitions, 1, 100_000)
    n = validate.integer("kafka_saturation.consumers", consumers, 1, 100_000)
    mu = validate.positive("kafka_saturation.mu", mu, "per second")
    return P * mu / math.ceil(P / n) if n <= P else P * mu


def kafka_mm1_wait(lam: float, mu: float, partitions: int, consumers: int, strategy: str = "range") -> float:
    """Mean sojourn W (s) over all messages with Poisson arrivals (lam/s total), uniform keys and
    exponential processing (mu/s): each consumer an M/M/1 at m*lam/P. Raises
    :class:`~mqsim.theory.UnstableError` naming rho when a consumer is overloaded."""
    from mqsim.theory.results import UnstableError

    lam = validate.positive("kafka_mm1_wait.lam", lam, "per second")
    mu = validate.positive("kafka_mm1_wait.mu", mu, "per second")
    parts = kafka_assignment(partitions, consumers, strategy)
    P = len([p for ps in parts for p in ps])
    total = 0.0
    for ps in parts:
        if not ps:
            continue
        lc = lam * len(ps) / P
        rho = lc / mu
        if rho >= 1:
            raise UnstableError.of("kafka_mm1_wait", "(m*lam/P)/mu for the busiest consumer", rho,
                                   "add partitions/consumers or lower lam")
        total += (len(ps) / P) / (mu - lc)
    return total
