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


def _phi1(z: float) -> float:
    """(1 - e^{-z})/z, = 1 at z = 0 (int_0^tau e^{-a x} dx = tau * phi1(a tau))."""
    return 1.0 if z == 0 else -math.expm1(-z) / z


def _phi2(z: float) -> float:
    """(1 - e^{-z}(1 + z))/z^2, = 1/2 at z = 0 (int_0^tau x e^{-a x} dx = tau^2 * phi2(a tau));
    a series near 0, where the closed form cancels."""
    if abs(z) < 1e-2:
        return 0.5 + z * (-1 / 3 + z * (1 / 8 + z * (-1 / 30 + z * (1 / 144 - z / 840))))
    return -(math.expm1(-z) + z * math.exp(-z)) / (z * z)


def mm1_ttl(lam: float, mu: float, ttl: float) -> QueueMetrics:
    """M/M/1 whose waiting messages expire after ``ttl`` seconds of ready time.

    Returns :class:`QueueMetrics` with ``loss`` = P(expire), ``throughput`` = served rate,
    ``Wq``/``W`` of served messages, ``Lq`` = time-average number ready, ``L`` = Lq + busy
    fraction, ``P_wait`` = P(a served message waits at all); extras hold ``P0``.

    Numerics: with z = (mu - lam)*ttl the virtual-wait density carries e^{-z}, which overflows
    in overload (z < -709); every term is then scaled by e^{z}, so any ttl*|lam - mu| (1e6 is
    fine) gives finite figures, tending to loss = 1 - mu/lam and Wq -> ttl as ttl grows.
    """
    lam = validate.positive("mm1_ttl.lam", lam, "per second")
    mu = validate.positive("mm1_ttl.mu", mu, "per second")
    tau = validate.nonneg("mm1_ttl.ttl", ttl, "seconds")
    a = mu - lam
    z = a * tau
    if not math.isfinite(lam / mu):
        raise ValueError(f"mm1_ttl: lam/mu = {lam:g}/{mu:g} overflows; rescale the time unit")
    if not math.isfinite(z):
        raise ValueError(f"mm1_ttl: (mu - lam) * ttl = {z} overflows; rescale the time unit")
    # the unnormalised masses, all times s = e^{min(z, 0)} so that none overflows:
    #   idle 1*s, waiting lam*int_0^tau e^{-ax} dx * s, beyond tau (expires) (lam/mu) e^{-z} * s
    # and the first moment of the wait below tau, lam*int_0^tau x e^{-ax} dx * s.
    if z >= 0:
        s0, w1, tail, m1 = 1.0, lam * tau * _phi1(z), (lam / mu) * math.exp(-z), lam * tau * tau * _phi2(z)
    else:  # overload: factor e^{-z} = e^{|a| tau} out, integrating from tau downwards
        A = -a
        s0 = math.exp(z)
        w1 = lam * tau * _phi1(A * tau)  # int_0^tau e^{A(x - tau)} dx
        tail = lam / mu
        m1 = lam * tau * (tau * _phi1(A * tau) - tau * _phi2(A * tau))  # int_0^tau x e^{A(x - tau)} dx
    Z = s0 + w1 + tail
    p0 = s0 / Z
    p_exp = tail / Z
    served = (s0 + w1) / Z  # 1 - P(expire) without cancellation
    x = lam * served
    wq = m1 / Z / served if served > 0 else tau  # served messages waited at most tau
    busy = x / mu
    lq = x * wq + lam * p_exp * tau  # Little on the ready queue: expired messages waited tau each
    return QueueMetrics(model="M/M/1+D", formula=MM1_TTL, rho=lam / mu, L=lq + busy, Lq=lq, W=wq + 1.0 / mu, Wq=wq,
                        throughput=x, P_wait=w1 / (s0 + w1), loss=p_exp, exact=True,
                        extras={"P0": p0, "ttl": tau})
