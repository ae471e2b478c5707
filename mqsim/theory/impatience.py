"""Impatience: a per-queue TTL as deterministic patience while waiting (M/M/1+D).

A message waits in the ready queue until a consumer takes it or its TTL ``tau`` (s) runs
out; expired messages never use a consumer. With Poisson arrivals (rate ``lam``/s) and one
exponential consumer (rate ``mu``/s), the virtual wait V has an atom P0 at 0 and density
``lam P0 e^{-(mu-lam) x}`` for x < tau and ``lam P0 e^{lam tau} e^{-mu x}`` for x >= tau
(Baccelli & Hebuterne 1981). By PASTA an arrival expires iff V > tau:

* P(expire) = P0 (lam/mu) e^{-(mu-lam) tau}
* throughput = lam (1 - P(expire)); Wq of served = E[V; V <= tau] / (1 - P(expire)).

Valid for every lam > 0, including lam >= mu: a finite TTL keeps the queue stable.
"""

from __future__ import annotations

import math

from mqsim.model import validate
from mqsim.theory.results import QueueMetrics

__all__ = ["mm1_ttl", "MM1_TTL"]

MM1_TTL = "M/M/1+D (deterministic patience = per-queue TTL)"


def _int_exp(a: float, tau: float) -> float:
    """int_0^tau e^{-a x} dx."""
    return tau if a == 0 else -math.expm1(-a * tau) / a


def _int_x_exp(a: float, tau: float) -> float:
    """int_0^tau x e^{-a x} dx."""
    if a == 0:
        return tau * tau / 2
    return (1.0 - math.exp(-a * tau) * (1.0 + a * tau)) / (a * a)


def mm1_ttl(lam: float, mu: float, ttl: float) -> QueueMetrics:
    """M/M/1 whose waiting messages expire after ``ttl`` seconds of ready time.

    Returns :class:`QueueMetrics` with ``loss`` = P(expire), ``throughput`` = served rate,
    ``Wq``/``W`` of served messages, ``Lq`` = time-average number ready, ``L`` = Lq + busy
    fraction, ``P_wait`` = P(a served message waits at all); extras hold ``P0``.
    """
    lam = validate.positive("mm1_ttl.lam", lam, "per second")
    mu = validate.positive("mm1_ttl.mu", mu, "per second")
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or ttl < 0:
        raise ValueError(f"mm1_ttl: ttl must be a finite number of seconds >= 0, got {ttl!r}")
    a = mu - lam
    tail = (lam / mu) * math.exp(-a * ttl)  # int_tau^inf lam e^{lam tau} e^{-mu x} dx
    p0 = 1.0 / (1.0 + lam * _int_exp(a, ttl) + tail)
    p_exp = p0 * tail
    served = 1.0 - p_exp
    x = lam * (1.0 - p_exp)
    wq = lam * p0 * _int_x_exp(a, ttl) / served
    busy = x / mu
    lq = x * wq  # Little's law on the ready queue: expired messages also waited, add their time
    lq += lam * p_exp * ttl
    return QueueMetrics(model="M/M/1+D", formula=MM1_TTL, rho=lam / mu, L=lq + busy, Lq=lq, W=wq + 1.0 / mu, Wq=wq,
                        throughput=x, P_wait=(served - p0) / served, loss=p_exp, exact=True,
                        extras={"P0": p0, "ttl": float(ttl)})
