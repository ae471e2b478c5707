"""The "limit" reference for the engine benchmark: a minimal numba event loop.

M/M/c with P Poisson producers of equal rate, producer ``i`` having priority rank ``i`` (0 =
highest), non-preemptive strict priority, FIFO within a priority, prefetch 1 (a free
consumer takes the head at once). It records only what every engine must: each message's
publish and service-start times. No streams, no records, no conservation check, no
resumable state: the fastest honest event loop for the same system, so the fast engine's
speed can be stated as a fraction of it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _push(ht, he, size, t, e):
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if t < ht[par]:
            ht[pos] = ht[par]
            he[pos] = he[par]
            pos = par
        else:
            break
    ht[pos] = t
    he[pos] = e
    return size + 1


@njit(cache=True)
def _replace_top(ht, he, size, t, e):
    pos = 0
    while True:
        ch = 2 * pos + 1
        if ch >= size:
            break
        if ch + 1 < size and ht[ch + 1] < ht[ch]:
            ch += 1
        if ht[ch] < t:
            ht[pos] = ht[ch]
            he[pos] = he[ch]
            pos = ch
        else:
            break
    ht[pos] = t
    he[pos] = e


@njit(cache=True)
def _pop(ht, he, size):
    size -= 1
    if size > 0:
        _replace_top(ht, he, size, ht[size], he[size])
    return size


@njit(cache=True)
def limit_loop(rate_each: float, n_producers: int, mean_service: float, c: int, horizon: float, seed: int):
    """Simulate [0, horizon) s; returns (publish times, service-start times) of all messages."""
    np.random.seed(seed)
    P = n_producers
    cap = int(rate_each * P * horizon * 1.05 + 64.0 * np.sqrt(rate_each * P * horizon + 1.0) + 1024)
    t_pub = np.empty(cap)
    t_start = np.full(cap, np.nan)
    qbuf = np.empty((P, cap), dtype=np.int64)  # FIFO per priority (message ids)
    qh = np.zeros(P, dtype=np.int64)
    qt = np.zeros(P, dtype=np.int64)
    ht = np.empty(P + c)
    he = np.empty(P + c, dtype=np.int64)  # entity: producer 0..P-1, consumer P..P+c-1
    size = 0
    for i in range(P):
        size = _push(ht, he, size, np.random.exponential(1.0 / rate_each), i)
    free = c
    n = 0
    while size > 0:
        t = ht[0]
        if t >= horizon:
            break
        e = he[0]
        if e < P:
            mid = n
            n += 1
            t_pub[mid] = t
            if free > 0:
                free -= 1
                t_start[mid] = t
                size = _push(ht, he, size, t + np.random.exponential(mean_service), P)
            else:
                qbuf[e, qt[e]] = mid
                qt[e] += 1
            _replace_top(ht, he, size, t + np.random.exponential(1.0 / rate_each), e)
        else:
            taken = False
            for lv in range(P):
                if qh[lv] < qt[lv]:
                    mid = qbuf[lv, qh[lv]]
                    qh[lv] += 1
                    t_start[mid] = t
                    _replace_top(ht, he, size, t + np.random.exponential(mean_service), P)
                    taken = True
                    break
            if not taken:
                free += 1
                size = _pop(ht, he, size)
    return t_pub[:n], t_start[:n]
