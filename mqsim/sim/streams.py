"""Independent random streams derived from one seed, drawn in fixed-size blocks.

Every source of randomness in a run has its own :class:`numpy.random.Generator`, built from
``SeedSequence(seed, spawn_key=key)`` with a *named* key, so the sample path of one stream
does not depend on how many other streams exist or in which order they are used:

=====================  =====================================================
key                    stream
=====================  =====================================================
``(0, i)``             inter-arrival times of producer ``i``
``(1, i)``             priorities of producer ``i`` (when it has a priority mix)
``(2, i, k)``          service requirements of producer ``i``'s messages published with its
                       ``k``-th priority level (``Producer.priority_levels[k]``)
``(3, k, j)``          processing outcomes (ack / nack / reject) of consumer ``j`` of queue ``k``
``(4, i)``             thinning uniforms of producer ``i`` (time-varying rate)
``(5, i)``             batch sizes of producer ``i``
``(6, k, i, c)``       fresh service requirement of a redelivered message (nack-requeue or crash)
                       at queue ``k``, producer ``i``, class ``c``
``(7, k, i, c)``       service requirements at queue ``k`` (stages, and re-published copies)
                       of messages from producer ``i``, class ``c``
``(8, k, j, 0|1)``     time to failure (0) and repair time (1) of consumer ``j`` of queue ``k``
``(9, k)``             routing uniforms after acks at queue ``k`` (pipelines)
``(10, 0|1)``          broker restarts: up-time between restarts (0) and downtime (1)
``(11, k, m)``         the live player's own draws for message ``m`` at queue ``k`` where the
                       simulator's path has no value (see :mod:`mqsim.sim.live.plan`)
=====================  =====================================================

A message's service requirement is drawn when it is published, from its class's stream, so
it does not depend on which consumer serves it: any engine that consumes the streams in the
same order (publish order within each class) reproduces the same sample path. Draws come in
blocks of :data:`BLOCK` values (vectorised numpy calls); an engine that wants to reproduce
these paths must draw the same block sizes.
"""

from __future__ import annotations

from itertools import chain, islice, repeat
from typing import Callable, Iterator

import numpy as np

__all__ = ["BLOCK", "ARRIVAL", "PRIORITY", "SERVICE", "CONSUMER", "THINNING", "BATCH", "REDELIVERY", "STAGE_SERVICE",
           "FAILURE", "ROUTE", "RESTART", "LIVE", "make_rng", "Stream", "draws", "resolve_seed"]

BLOCK = 1024
(ARRIVAL, PRIORITY, SERVICE, CONSUMER, THINNING, BATCH, REDELIVERY, STAGE_SERVICE, FAILURE, ROUTE, RESTART,
 LIVE) = range(12)


def resolve_seed(seed: int | np.random.SeedSequence | None) -> int:
    """Turn ``seed`` into a non-negative int entropy value (fresh entropy when ``None``)."""
    if seed is None:
        seed = np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        entropy = seed.entropy  # an int unless the sequence was built from a list of ints
        if not isinstance(entropy, (int, np.integer)):
            raise ValueError(f"seed: a SeedSequence must hold one integer entropy value, got {entropy!r}")
        return int(entropy)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: must be None or an integer >= 0, got {seed!r}")
    return int(seed)


def make_rng(seed: int, *key: int) -> np.random.Generator:
    """The generator of stream ``key`` for run seed ``seed`` (see the module table)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def draws(sampler: Callable[[np.random.Generator, int], np.ndarray], rng: np.random.Generator,
          block: int = BLOCK) -> Iterator[float]:
    """Endless iterator of floats drawn ``block`` at a time: ``sampler(rng, block)`` per block."""
    return chain.from_iterable(sampler(rng, block).tolist() for _ in repeat(None))


class Stream:
    """Block-buffered draws of one sampler: ``stream()`` (or the faster bound ``stream.next()``)
    returns the next value as a float.

    ``sampler(rng, size)`` must return a 1-D array of ``size`` values (every
    :class:`mqsim.dist.Distribution` has ``.sample`` of that shape).
    """

    __slots__ = ("next", "block")

    def __init__(self, sampler: Callable[[np.random.Generator, int], np.ndarray], rng: np.random.Generator,
                 block: int = BLOCK):
        self.block = block
        self.next: Callable[[], float] = draws(sampler, rng, block).__next__

    def __call__(self) -> float:
        return self.next()

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` values as an array (same sequence as ``n`` calls)."""
        return np.fromiter(islice(iter(self.next, None), n), dtype=float, count=n)
