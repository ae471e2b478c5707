"""Batch publishing: Poisson bursts of a constant number of messages to one exponential consumer
(M^X/M/1 with a constant batch size).

A producer that publishes k messages at once at lam messages/s in all sends lam/k bursts per
second. Treat each burst as one job B = the sum of k Exp(mu) services (E[B] = k/mu,
E[B^2] = (k + k^2)/mu^2): bursts wait as in Pollaczek–Khinchine, lam_b E[B^2]/(2(1 - rho)),
and a message also waits for the (k - 1)/2 messages ahead of it in its own burst, on average.

References: D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris (2008), *Fundamentals of
Queueing Theory*, 4th ed., Wiley, §3.1 (bulk input, M^[X]/M/1: L = rho (E[X] + E[X^2]) /
(2 E[X] (1 - rho))); F. Pollaczek (1930), A. Y. Khinchine (1932) for the mean wait of M/G/1.
"""

from __future__ import annotations

from dataclasses import replace

from mqsim.model import validate
from mqsim.theory.mg1 import mg1
from mqsim.theory.results import QueueMetrics

__all__ = ["batch_wait"]


def batch_wait(lam: float, batch: int, mu: float) -> QueueMetrics:
    """Exact M^X/M/1 with a constant batch of ``batch`` messages: Poisson bursts at lam/batch per
    s (``lam`` messages per s in all), one consumer with exponential service at ``mu`` per s.

    Wq = lam_b E[B^2] / (2(1 - rho)) + (k - 1)/(2 mu) (s), W = Wq + 1/mu, L = lam W, Lq = lam Wq
    (messages), rho = lam/mu. extras: ``batch`` (k) and ``burst_wait`` (the first term: the wait
    of a burst's first message, s). Raises :class:`mqsim.theory.UnstableError` when rho >= 1.
    """
    lam = validate.positive("batch_wait.lam", lam, "messages per second")
    k = validate.integer("batch_wait.batch", batch, lo=1)
    mu = validate.positive("batch_wait.mu", mu, "per second")
    eb, eb2 = k / mu, (k + k * k) / mu**2
    bursts = mg1(lam / k, eb, eb2 / eb**2 - 1.0)
    Wq = bursts.Wq + (k - 1) / (2.0 * mu)
    W = Wq + 1.0 / mu
    return replace(bursts, model=f"M^{k}/M/1", formula="P-K on batches + position in the batch", L=lam * W,
                   Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, extras={"batch": k, "burst_wait": bursts.Wq})
