"""Capacity planning with Erlang B and C: how many servers, or how much traffic.

``a`` is offered load in Erlangs (lam*E[S]); ``c`` servers (consumers, lines, agents).
Inverse problems in traffic are solved by bisection to machine precision (B and C both increase
with a).
"""

from __future__ import annotations

import math
from typing import Callable

from mqsim.model import validate
from mqsim.theory.markovian import MAX_SERVERS, _erlang_b

__all__ = ["erlang_b_servers", "erlang_b_traffic", "erlang_c_servers", "erlang_c_traffic",
           "mmc_min_servers"]

_MAX_C = 10_000_000


def _bisect(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Root of an increasing f on [lo, hi] with f(lo) <= 0 <= f(hi)."""
    for _ in range(300):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def erlang_b_servers(a: float, blocking: float) -> int:
    """Smallest c with Erlang B(c, a) <= ``blocking`` (a probability in (0, 1))."""
    a = validate.positive("erlang_b_servers.a", a, "Erlangs")
    target = validate.probability("erlang_b_servers.blocking", blocking)
    if target <= 0:
        raise ValueError("erlang_b_servers: blocking must be in (0, 1), got 0")
    b, k = 1.0, 0
    while b > target:
        k += 1
        b = a * b / (k + a * b)
        if k > _MAX_C:
            raise ValueError("erlang_b_servers: more than 10^7 servers needed")
    return k


def erlang_b_traffic(c: int, blocking: float) -> float:
    """Offered load a (Erlangs) that ``c`` servers carry at Erlang B blocking ``blocking``."""
    c = validate.integer("erlang_b_traffic.c", c, 1, MAX_SERVERS)
    target = validate.probability("erlang_b_traffic.blocking", blocking)
    if target <= 0:
        raise ValueError("erlang_b_traffic: blocking must be in (0, 1), got 0")
    hi = float(c)
    while _erlang_b(c, hi) < target:
        hi *= 2.0
    return _bisect(lambda x: _erlang_b(c, x) - target, 0.0, hi)


def _erlang_c(c: int, a: float) -> float:
    if a >= c:
        return 1.0
    b = _erlang_b(c, a)
    return b / (1.0 - a / c * (1.0 - b))


def erlang_c_servers(a: float, wait_prob: float) -> int:
    """Smallest c > a with Erlang C(c, a) = P(wait) <= ``wait_prob`` (in (0, 1))."""
    a = validate.positive("erlang_c_servers.a", a, "Erlangs")
    target = validate.probability("erlang_c_servers.wait_prob", wait_prob)
    if target <= 0:
        raise ValueError("erlang_c_servers: wait_prob must be in (0, 1), got 0")
    c = math.floor(a) + 1
    if c > _MAX_C:
        raise ValueError(f"erlang_c_servers.a: more than {_MAX_C:,} servers needed for {a:g} Erlangs")
    b = _erlang_b(c, a) if c <= MAX_SERVERS else _erlang_b_big(c, a)
    while b / (1.0 - a / c * (1.0 - b)) > target:  # Erlang C from Erlang B, one recursion step per c
        c += 1
        b = a * b / (c + a * b)
        if c > _MAX_C:
            raise ValueError(f"erlang_c_servers: more than {_MAX_C:,} servers needed")
    return c


def erlang_c_traffic(c: int, wait_prob: float) -> float:
    """Offered load a < c (Erlangs) at which ``c`` servers have Erlang C(c, a) = ``wait_prob``."""
    c = validate.integer("erlang_c_traffic.c", c, 1, MAX_SERVERS)
    target = validate.probability("erlang_c_traffic.wait_prob", wait_prob)
    if target <= 0:
        raise ValueError("erlang_c_traffic: wait_prob must be in (0, 1), got 0")
    return _bisect(lambda x: _erlang_c(c, x) - target, 0.0, float(c))


def mmc_min_servers(lam: float, mu: float, t: float, max_prob: float) -> int:
    """Smallest c with P(Wq > t) <= ``max_prob`` in M/M/c (``t`` in seconds, rates per second),
    e.g. "fewest consumers such that at most 5 % of messages wait more than 0.5 s"."""
    lam = validate.positive("mmc_min_servers.lam", lam, "per second")
    mu = validate.positive("mmc_min_servers.mu", mu, "per second")
    t = validate.nonneg("mmc_min_servers.t", t, "seconds")
    target = validate.probability("mmc_min_servers.max_prob", max_prob)
    a = lam / mu
    c = math.floor(a) + 1
    if c > _MAX_C:
        raise ValueError(f"mmc_min_servers: more than {_MAX_C:,} servers needed for lam/mu = {a:g}")
    b = _erlang_b(c, a) if c <= MAX_SERVERS else _erlang_b_big(c, a)
    while True:  # P(Wq > t) = C exp(-(c mu - lam) t), Erlang B advanced one step per c
        C = b / (1.0 - a / c * (1.0 - b))
        if C * math.exp(-(c * mu - lam) * t) <= target:
            return c
        c += 1
        b = a * b / (c + a * b)
        if c > _MAX_C:
            raise ValueError(f"mmc_min_servers: more than {_MAX_C:,} servers needed")


def _erlang_b_big(c: int, a: float) -> float:
    """Erlang B for c above MAX_SERVERS, from the recursion (O(c), used once per search)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b
