"""Sizing a queue length limit: the smallest ``x-max-length`` for a loss target.

RabbitMQ's ``x-max-length`` counts *ready* messages only; with c consumers at prefetch 1 the
system holds up to K = max_length + c messages, an M/M/c/K queue whose loss (blocking)
probability p_K (PASTA) falls as K grows (Gross, Shortle, Thompson & Harris 2008, §2.5;
RabbitMQ documentation, "Queue Length Limit").
"""

from __future__ import annotations

from mqsim.model import validate
from mqsim.theory.markovian import mmck

__all__ = ["smallest_max_length"]


def smallest_max_length(lam: float, mu: float, c: int, target_loss: float, limit: int = 100_000) -> int:
    """The smallest ``x-max-length`` m (ready messages) whose M/M/c/(m + c) loss probability is at
    most ``target_loss`` (a fraction in (0, 1)): Poisson ``lam`` per s, ``c`` exponential
    consumers at ``mu`` per s each, prefetch 1, reject-publish (drop-head loses the same
    fraction). Raises ValueError if no m <= ``limit`` reaches it."""
    lam = validate.positive("smallest_max_length.lam", lam, "per second")
    mu = validate.positive("smallest_max_length.mu", mu, "per second")
    c = validate.integer("smallest_max_length.c", c, lo=1)
    target_loss = validate.number("smallest_max_length.target_loss", target_loss, lo=0.0, hi=1.0, lo_open=True,
                                  hi_open=True, unit="a fraction of the messages")
    limit = validate.integer("smallest_max_length.limit", limit, lo=0)
    for m in range(limit + 1):
        if mmck(lam, mu, c, m + c).loss <= target_loss:
            return m
    raise ValueError(f"smallest_max_length.target_loss: no max_length <= {limit} reaches loss {target_loss:g}")
