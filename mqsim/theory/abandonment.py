"""Impatient messages: exponential patience (Erlang A), mixes of per-message TTLs (M/M/1+G), and
the shortest queue TTL that meets an expiry target.

A waiting message leaves unserved when its patience runs out: a random time (Erlang A), or a
per-message TTL drawn from a discrete mix (RabbitMQ's ``expiration`` property, one value per
publisher). Arrivals are Poisson (``lam`` per second), consumers exponential (``mu`` per second
each); patience counts *ready* time only, so a message that reached a consumer never expires.

References: C. Palm (1943), "Intensitätsschwankungen im Fernsprechverkehr", Ericsson Technics 44
(the M/M/c+M model); O. Garnett, A. Mandelbaum and M. Reiman (2002), "Designing a call center
with impatient customers", Manufacturing & Service Operations Management 4(3):208–227 (its
figures); F. Baccelli, P. Boyer and G. Hébuterne (1984), "Single-server queues with impatient
customers", Advances in Applied Probability 16(4):887–905 (the virtual-wait density of M/G/1+G,
used here for M/M/1 with a discrete patience law).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from mqsim.model import validate
from mqsim.theory.impatience import mm1_ttl
from mqsim.theory.results import QueueMetrics

__all__ = ["erlang_a", "mm1_ttl_mix", "exponential_ttls", "ttl_for_expiry"]

ERLANG_A = "Erlang A (exponential patience)"
TTL_MIX = "M/M/1 with a mix of per-message TTLs (exact)"


# ----------------------------------------------------------------------------------------------
# Erlang A
# ----------------------------------------------------------------------------------------------
def _birth_death(lam: float, mu: float, c: int, theta: float, tol: float) -> np.ndarray:
    """Stationary law p_0, p_1, ... of the M/M/c+M number in system, truncated where the terms
    fall below ``tol`` times their running sum."""
    p = [1.0]
    total = 1.0
    n = 0
    while True:
        n += 1
        death = min(n, c) * mu + max(n - c, 0) * theta
        p.append(p[-1] * lam / death)
        total += p[-1]
        if n > c and lam < death and p[-1] < tol * total:
            return np.asarray(p) / total
        if n > 10_000_000:  # pragma: no cover - needs theta ~ 1e-7 mu
            raise ValueError("erlang_a.theta: too small to truncate the chain; use mqsim.theory.mmc")


def erlang_a(lam: float, mu: float, c: int, theta: float, *, tol: float = 1e-16) -> QueueMetrics:
    """Erlang A (M/M/c+M): Poisson arrivals (``lam`` per s), ``c`` exponential consumers (``mu``
    per s each), and waiting messages that give up after an exponential patience of rate
    ``theta`` (per s; mean patience 1/theta s). Exact, from the birth–death chain of the number
    in system N (death rate min(n, c) mu + (n - c)^+ theta), truncated where its terms fall
    below ``tol``. Stable for every lam: impatience bounds the queue.

    Returns :class:`QueueMetrics` with ``loss`` = P(abandon) = theta Lq / lam (Little's law on
    the abandonments), ``throughput`` = lam (1 - P(abandon)) (per s), ``Lq`` and ``L``
    (messages), ``Wq`` and ``W`` of *served* messages (s; from a tagged message's progress
    through the queue), ``P_wait`` = P(a served message waits); extras ``P_wait_arrival`` =
    P(N >= c), the probability that an arrival finds every consumer busy (the "P(wait)" of
    call-centre tables), ``Wq_all`` = Lq / lam (mean time in queue over all arrivals, s) and
    ``theta``.
    """
    lam = validate.positive("erlang_a.lam", lam, "per second")
    mu = validate.positive("erlang_a.mu", mu, "per second")
    c = validate.integer("erlang_a.c", c, lo=1)
    theta = validate.positive("erlang_a.theta", theta, "per second: 1 / mean patience")
    pn = _birth_death(lam, mu, c, theta, tol)
    ns = np.arange(pn.size)
    lq = float(np.sum(np.clip(ns - c, 0, None) * pn))
    p_ab = theta * lq / lam
    busy = float(np.sum(np.minimum(ns, c) * pn))
    # an arrival finding n >= c has j = n - c ahead; at position i (i ahead) the next event comes
    # at rate c mu + (i + 1) theta and moves it forward with probability (c mu + i theta)/that rate
    j = np.arange(pn.size - c)
    rates = c * mu + (j + 1) * theta
    served_from = np.cumprod((c * mu + j * theta) / rates)  # P(served | j ahead)
    time_from = np.cumsum(1.0 / rates)  # E[wait | served, j ahead]
    p_free = float(pn[:c].sum())
    p_served = p_free + float(np.sum(pn[c:] * served_from))
    wq = float(np.sum(pn[c:] * served_from * time_from)) / p_served
    return QueueMetrics(model=f"M/M/{c}+M", formula=ERLANG_A, rho=lam / (c * mu), L=lq + busy, Lq=lq,
                        W=wq + 1.0 / mu, Wq=wq, throughput=lam * (1.0 - p_ab), P_wait=(p_served - p_free) / p_served,
                        loss=p_ab, exact=True,
                        extras={"P_wait_arrival": 1.0 - p_free, "Wq_all": lq / lam, "theta": theta})


# ----------------------------------------------------------------------------------------------
# M/M/1 with a discrete mix of per-message TTLs
# ----------------------------------------------------------------------------------------------
def _int_exp(a: float, d: float) -> float:
    """int_0^d e^{-a u} du (any sign of a; d may be inf when a > 0)."""
    if math.isinf(d):
        return 1.0 / a
    return d if a == 0 else -math.expm1(-a * d) / a


def _int_u_exp(a: float, d: float) -> float:
    """int_0^d u e^{-a u} du."""
    if math.isinf(d):
        return 1.0 / (a * a)
    if a == 0:
        return d * d / 2
    return (1.0 - math.exp(-a * d) * (1.0 + a * d)) / (a * a)


def _ttl_law(ttls: Sequence[float], probs: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct TTL values (s, increasing) and their probabilities, validated."""
    t = np.asarray(ttls, dtype=float).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"mm1_ttl_mix.ttls: must be finite durations >= 0 (seconds), got {ttls!r}")
    w = np.full(t.size, 1.0 / t.size) if probs is None else np.asarray(probs, dtype=float).ravel()
    if w.size != t.size or np.any(w < 0) or not math.isclose(float(w.sum()), 1.0, rel_tol=1e-9):
        raise ValueError("mm1_ttl_mix.probs: must be one probability >= 0 per TTL, summing to 1")
    atoms, inv = np.unique(t, return_inverse=True)
    return atoms, np.bincount(inv, weights=w)


def mm1_ttl_mix(lam: float, mu: float, ttls: Sequence[float], probs: Sequence[float] | None = None) -> QueueMetrics:
    """M/M/1 whose messages carry per-message TTLs from a discrete mix: TTL ``ttls[k]`` (s) with
    probability ``probs[k]`` (default equal). A message expires when its *ready* time reaches its
    TTL and never reaches the consumer. Poisson arrivals ``lam`` per s, one exponential consumer
    ``mu`` per s, prefetch 1, FIFO. Valid for every lam.

    Exact (M/M/1+G, G discrete; Baccelli, Boyer & Hébuterne 1984): the virtual wait V has an atom
    P0 at 0 and density ``v(x) = lam P0 exp(-mu x + lam int_0^x S(y) dy)``, S(y) = P(TTL > y);
    a message with TTL tau is served iff V <= tau (PASTA). With one TTL it is
    :func:`mqsim.theory.mm1_ttl` (M/M/1+D); many TTLs spread like an exponential approach
    :func:`erlang_a` with c = 1.

    Returns :class:`QueueMetrics`: ``loss`` = P(expire), ``throughput`` (per s), ``Wq``/``W`` of
    served messages (s), ``Lq`` (ready messages: served ones while they wait and expired ones
    for their whole TTL), ``P_wait`` of served messages; extras ``P0`` and ``mean_ttl`` (s).
    """
    lam = validate.positive("mm1_ttl_mix.lam", lam, "per second")
    mu = validate.positive("mm1_ttl_mix.mu", mu, "per second")
    atoms, wa = _ttl_law(ttls, probs)
    # intervals [b_j, b_{j+1}) on which the survival S = P(TTL > x) is constant
    bounds = np.concatenate([[0.0], atoms[atoms > 0]])
    surv = 1.0 - np.concatenate([[wa[atoms == 0].sum()], np.cumsum(wa[atoms > 0])])
    masses = np.empty(bounds.size)  # int of v/(lam P0) over each interval
    served_x = 0.0  # int of x S(x) v/(lam P0)
    expo = 0.0  # -mu x + lam int_0^x S at the interval start
    for jj, b in enumerate(bounds):
        d = (bounds[jj + 1] if jj + 1 < bounds.size else math.inf) - b
        a = mu - lam * surv[jj]
        e0 = math.exp(expo)
        masses[jj] = e0 * _int_exp(a, d)
        served_x += surv[jj] * e0 * (b * _int_exp(a, d) + _int_u_exp(a, d))
        if not math.isinf(d):
            expo -= a * d
    tail_beyond = np.array([masses[bounds >= tau].sum() for tau in atoms])  # int_tau^inf v/(lam P0)
    p0 = 1.0 / (1.0 + lam * masses.sum())
    p_exp = float(np.sum(wa * lam * p0 * tail_beyond))  # TTL tau expires iff V > tau
    served = 1.0 - p_exp
    wq = lam * p0 * served_x / served
    x = lam * served
    lq = x * wq + lam * float(np.sum(wa * atoms * lam * p0 * tail_beyond))
    return QueueMetrics(model="M/M/1+G", formula=TTL_MIX, rho=lam / mu, L=lq + x / mu, Lq=lq, W=wq + 1.0 / mu,
                        Wq=wq, throughput=x, P_wait=(served - p0) / served, loss=p_exp, exact=True,
                        extras={"P0": p0, "mean_ttl": float(np.sum(wa * atoms))})


def exponential_ttls(mean: float, k: int = 8) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A k-point discretisation of an exponential patience with mean ``mean`` (s): the
    conditional means of k equally likely slices of Exp(mean), so the mix has exactly that mean.
    Returns ``(ttls, probs)`` (s, probabilities) for :func:`mm1_ttl_mix`."""
    mean = validate.positive("exponential_ttls.mean", mean, "seconds")
    k = validate.integer("exponential_ttls.k", k, lo=1)
    q = np.linspace(0.0, 1.0, k + 1)
    edges = np.append(-mean * np.log1p(-q[:-1]), math.inf)
    out = []
    for a, b in zip(edges[:-1], edges[1:]):
        if math.isinf(b):
            out.append(a + mean)  # memoryless tail slice
        else:  # E[X | a < X < b] = a + mean - d e^{-d/mean} / (1 - e^{-d/mean}), d = b - a
            d = b - a
            out.append(a + mean - d * math.exp(-d / mean) / -math.expm1(-d / mean))
    return tuple(float(v) for v in out), tuple([1.0 / k] * k)


def ttl_for_expiry(lam: float, mu: float, target: float) -> float:
    """The shortest per-queue TTL (s) for which at most a fraction ``target`` of the messages
    expire in M/M/1+D (:func:`mqsim.theory.mm1_ttl`; Poisson ``lam`` per s, one exponential
    consumer ``mu`` per s), by bisection: P(expire) falls as the TTL grows. Returns 0.0 when even
    TTL 0 meets the target. With lam >= mu at least 1 - mu/lam of the messages expire whatever
    the TTL, so a smaller target raises ValueError."""
    lam = validate.positive("ttl_for_expiry.lam", lam, "per second")
    mu = validate.positive("ttl_for_expiry.mu", mu, "per second")
    target = validate.number("ttl_for_expiry.target", target, lo=0.0, hi=1.0, lo_open=True, hi_open=True,
                             unit="a fraction of the messages")
    if mm1_ttl(lam, mu, 0.0).loss <= target:
        return 0.0
    if lam >= mu and target <= 1.0 - mu / lam:
        raise ValueError(f"ttl_for_expiry.target: with lam = {lam:g} >= mu = {mu:g} at least 1 - mu/lam = "
                         f"{1 - mu / lam:.4g} of the messages expire whatever the TTL; {target:g} is out of reach")
    hi = 1.0
    while mm1_ttl(lam, mu, hi).loss > target:
        hi *= 2.0
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mm1_ttl(lam, mu, mid).loss > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * hi:
            break
    return hi
