"""Kafka consumer groups with any key distribution: each consumer's share of the records, the
throughput, the rate the group keeps up with, the mean latency, and partitions for a target.

A consumer group gives each partition to one member (range or round-robin assignment, see
:func:`mqsim.theory.kafka_assignment`); a member that owns partitions carrying a share s_j of the
records receives lam s_j records/s. With Poisson traffic and exponential processing at mu/s it
is an M/M/1 queue at that rate: no pooling across members (Kleinrock 1975, §3.2 for M/M/1).
Uniform keys give s_j = m_j / P for a member owning m_j partitions.

References: Apache Kafka documentation, "Consumers" and the ``partition.assignment.strategy``
setting (range, round-robin); L. Kleinrock (1975), *Queueing Systems, Volume 1: Theory*, Wiley.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from mqsim.model import validate
from mqsim.theory.kafka import kafka_assignment
from mqsim.theory.results import UnstableError

__all__ = ["kafka_consumer_shares", "kafka_throughput", "kafka_max_rate", "kafka_wait", "partitions_needed"]


def kafka_consumer_shares(partitions: int, consumers: int, strategy: str = "range",
                          shares: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Fraction of the topic's records each *active* member receives (members beyond the
    partition count own nothing and are left out). shares: one fraction per partition summing
    to 1 (default uniform keys, 1/P each)."""
    P = validate.integer("partitions", partitions, lo=1)
    n = validate.integer("consumers", consumers, lo=1)
    s = np.full(P, 1.0 / P) if shares is None else np.asarray(shares, dtype=float).ravel()
    if s.size != P or not np.all(np.isfinite(s)) or np.any(s < 0) or not math.isclose(float(s.sum()), 1.0,
                                                                                         rel_tol=1e-9):
        raise ValueError(f"shares: must be {P} fractions >= 0 summing to 1 (one per partition), got {shares!r}")
    return np.array([s[ps].sum() for ps in kafka_assignment(P, n, strategy) if ps])


def kafka_throughput(lam: float, mu: float, partitions: int, consumers: int, strategy: str = "range",
                     shares: Sequence[float] | np.ndarray | None = None) -> float:
    """Long-run records processed per second by a consumer group at offered rate ``lam`` per s:
    each member processes at most ``mu`` per s of what its partitions receive, so
    X = sum_j min(lam s_j, mu), s_j the share of the records member j owns. Below
    :func:`kafka_max_rate` it equals lam; above it the lag of the busiest members' partitions
    grows without bound."""
    lam = validate.nonneg("kafka_throughput.lam", lam, "records per second")
    mu = validate.positive("kafka_throughput.mu", mu, "records per second")
    return float(np.minimum(lam * kafka_consumer_shares(partitions, consumers, strategy, shares), mu).sum())


def kafka_max_rate(mu: float, partitions: int, consumers: int, strategy: str = "range",
                   shares: Sequence[float] | np.ndarray | None = None) -> float:
    """The largest total rate (records/s) the group keeps up with: mu / max_j s_j. With uniform
    keys it is :func:`mqsim.theory.kafka_saturation` (P mu / ceil(P/n)); a hot partition lowers it."""
    mu = validate.positive("kafka_max_rate.mu", mu, "records per second")
    return float(mu / kafka_consumer_shares(partitions, consumers, strategy, shares).max())


def kafka_wait(lam: float, mu: float, partitions: int, consumers: int, strategy: str = "range",
               shares: Sequence[float] | np.ndarray | None = None) -> float:
    """Mean time from publish to processed (s) over all records: Poisson traffic ``lam`` per s,
    exponential processing ``mu`` per s, each member an M/M/1 at lam s_j:
    W = sum_j s_j / (mu - lam s_j). With uniform keys it is :func:`mqsim.theory.kafka_mm1_wait`.
    Raises :class:`UnstableError` when some member gets lam s_j >= mu."""
    lam = validate.positive("kafka_wait.lam", lam, "records per second")
    mu = validate.positive("kafka_wait.mu", mu, "records per second")
    s = kafka_consumer_shares(partitions, consumers, strategy, shares)
    rho = lam * s / mu
    if rho.max() >= 1:
        raise UnstableError.of("kafka_wait", "lam*s_j/mu for the busiest consumer", float(rho.max()),
                               "add partitions or spread the hot keys")
    return float(np.sum(s / (mu - lam * s)))


def partitions_needed(lam: float, mu: float, w: float | None = None) -> int:
    """Fewest partitions P (one consumer each, uniform keys, Poisson traffic ``lam`` per s,
    exponential processing ``mu`` per s) for the group to keep up (lam/P < mu) and, with ``w``
    (s), for the mean time in system 1/(mu - lam/P) to be at most w: P >= lam / (mu - 1/w)."""
    lam = validate.positive("partitions_needed.lam", lam, "records per second")
    mu = validate.positive("partitions_needed.mu", mu, "records per second")
    if w is None:
        return int(math.floor(lam / mu)) + 1
    w = validate.positive("partitions_needed.w", w, "seconds")
    if w * mu <= 1:
        raise ValueError(f"partitions_needed.w: a mean time of {w:g} s is not above the mean processing time "
                         f"{1 / mu:g} s; no partition count reaches it")
    P = max(1, math.ceil(lam / (mu - 1.0 / w) - 1e-12))
    return P if lam / P < mu else P + 1
