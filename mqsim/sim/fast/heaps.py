"""Binary min-heaps for the compiled kernel (numba), on plain arrays.

* the **event list**: key ``(time, prio_eid)`` with an entity payload; ``prio_eid =
  priority << 62 | event id`` reproduces SimPy's order ``(time, priority, event id)``;
* a queue's **TTL heap**: key ``(deadline, message id)``, as the SimPy engine's ``heapq`` of
  tuples orders them;
* a queue's **pending expiry timers**: a heap of times.

Each function takes the arrays and the current size and returns the new size.
"""

from __future__ import annotations

from numba import njit

from mqsim.sim.fast.layout import KERNEL


@njit(**KERNEL, inline="always")
def before(t1: float, k1: int, t2: float, k2: int) -> bool:
    """Heap order on (time, key)."""
    return t1 < t2 or (t1 == t2 and k1 < k2)


@njit(**KERNEL)
def sift_down(at, ak, ap, size, pos):  # pragma: no cover - compiled
    t = at[pos]
    k = ak[pos]
    p = ap[pos]
    while True:
        ch = 2 * pos + 1
        if ch >= size:
            break
        r = ch + 1
        if r < size and before(at[r], ak[r], at[ch], ak[ch]):
            ch = r
        if before(at[ch], ak[ch], t, k):
            at[pos] = at[ch]
            ak[pos] = ak[ch]
            ap[pos] = ap[ch]
            pos = ch
        else:
            break
    at[pos] = t
    ak[pos] = k
    ap[pos] = p


@njit(**KERNEL)
def push3(at, ak, ap, size, t, k, p):  # pragma: no cover - compiled
    """Push (t, k) with payload p; returns the new size."""
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if before(t, k, at[par], ak[par]):
            at[pos] = at[par]
            ak[pos] = ak[par]
            ap[pos] = ap[par]
            pos = par
        else:
            break
    at[pos] = t
    ak[pos] = k
    ap[pos] = p
    return size + 1


@njit(**KERNEL)
def pop3(at, ak, ap, size):  # pragma: no cover - compiled
    """Remove the top; returns the new size."""
    size -= 1
    if size > 0:
        at[0] = at[size]
        ak[0] = ak[size]
        ap[0] = ap[size]
        sift_down(at, ak, ap, size, 0)
    return size


@njit(**KERNEL)
def replace_top(at, ak, ap, size, t, k, p):  # pragma: no cover - compiled
    """Remove the top and push (t, k) with payload p in one sift (the size is unchanged)."""
    at[0] = t
    ak[0] = k
    ap[0] = p
    sift_down(at, ak, ap, size, 0)


@njit(**KERNEL)
def push2(at, ak, size, t, k):  # pragma: no cover - compiled
    """Push (t, k) on a heap without payload; returns the new size."""
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if before(t, k, at[par], ak[par]):
            at[pos] = at[par]
            ak[pos] = ak[par]
            pos = par
        else:
            break
    at[pos] = t
    ak[pos] = k
    return size + 1


@njit(**KERNEL)
def pop2(at, ak, size):  # pragma: no cover - compiled
    """Remove the top of a (t, k) heap; returns the new size."""
    size -= 1
    if size > 0:
        t = at[size]
        k = ak[size]
        pos = 0
        while True:
            ch = 2 * pos + 1
            if ch >= size:
                break
            r = ch + 1
            if r < size and before(at[r], ak[r], at[ch], ak[ch]):
                ch = r
            if before(at[ch], ak[ch], t, k):
                at[pos] = at[ch]
                ak[pos] = ak[ch]
                pos = ch
            else:
                break
        at[pos] = t
        ak[pos] = k
    return size


@njit(**KERNEL)
def push1(at, size, t):  # pragma: no cover - compiled
    """Push time t on a heap of times; returns the new size."""
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if t < at[par]:
            at[pos] = at[par]
            pos = par
        else:
            break
    at[pos] = t
    return size + 1


@njit(**KERNEL)
def pop1(at, size):  # pragma: no cover - compiled
    """Remove the smallest time; returns the new size."""
    size -= 1
    if size > 0:
        t = at[size]
        pos = 0
        while True:
            ch = 2 * pos + 1
            if ch >= size:
                break
            r = ch + 1
            if r < size and at[r] < at[ch]:
                ch = r
            if at[ch] < t:
                at[pos] = at[ch]
                pos = ch
            else:
                break
        at[pos] = t
    return size
