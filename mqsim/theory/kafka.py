"""Kafka consumer groups: parallelism min(consumers, partitions), no pooling across partitions.

Each partition is consumed by exactly one consumer of a group; a consumer with several
partitions serves them one record at a time. With uniform keys each partition gets lam/P
messages/s, so a consumer owning m partitions is a single-server queue at rate m*lam/P.
"""

from __future__ import annotations

import math

from mqsim.model import validate

__all__ = ["kafka_saturation", "kafka_assignment", "kafka_mm1_wait"]


def kafka_assignment(partitions: int, consumers: int, strategy: str = "range") -> list[list[int]]:
    """Partitions owned by each consumer: ``"range"`` (contiguous blocks, the first P mod n
    consumers one extra) or ``"round-robin"`` (partition p to consumer p mod n)."""
    P = validate.integer("kafka_assignment.partitions", partitions, lo=1)
    n = validate.integer("kafka_assignment.consumers", consumers, lo=1)
    if strategy == "round-robin":
        return [[p for p in range(P) if p % n == j] for j in range(n)]
    if strategy != "range":
        raise ValueError(f"kafka_assignment: strategy must be 'range' or 'round-robin', got {strategy!r}")
    base, extra = divmod(P, n)
    out, start = [], 0
    for j in range(n):
        size = base + (1 if j < extra else 0)
        out.append(list(range(start, start + size)))
        start += size
    return out


def kafka_saturation(partitions: int, consumers: int, mu: float) -> float:
    """Largest total rate (messages/s) a group keeps up with under uniform keys:
    X* = P mu / ceil(P/n) for n <= P, and P mu for n >= P (each partition is read by one
    consumer of the group: Kafka documentation, consumer groups)."""
    P = validate.integer("kafka_saturation.partitions", partitions, lo=1)
    n = validate.integer("kafka_saturation.consumers", consumers, lo=1)
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
