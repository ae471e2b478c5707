"""The fast engine's data structures, compiled (numba): streams, the event list, ready lists,
prefetch buffers, the round-robin ring, messages, queue-length steps and service attempts.

Every function takes the run's :class:`~mqsim.sim.fast.layout.State` ``S`` first and keeps it
consistent. Messages are addressed by id; their row in the per-message arrays is ``id -
S.ist[I_BASE]`` (0 in full mode; in summary mode the driver moves finished messages out).

* a **ready list** (one per priority level of each queue) is a doubly linked list through the
  messages' ``L_NEXT`` / ``L_PREV``: FIFO, with head insertion for a requeue and O(1) removal
  when a ready message expires (the SimPy engine leaves expired entries in its deques and
  skips them later; removing them at once gives the same order);
* a consumer's **prefetch buffer** (delivered, not yet started) is a singly linked FIFO through
  ``L_NEXT`` (a message is in at most one list at a time);
* the **round-robin ring** of a queue holds its consumers with a free slot, as the SimPy
  engine's ``avail`` deque.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mqsim.sim.fast.heaps import push3, replace_top
from mqsim.sim.fast.layout import (
    CONT_KEY,
    KERNEL,
    CS_BHEAD,
    CS_BLEN,
    CS_BTAIL,
    F_DEL,
    F_DONE,
    F_PRIOR,
    F_PUB,
    F_START,
    F_SVC,
    I_ATTOP,
    I_BASE,
    I_EID,
    I_HSIZE,
    I_NATT,
    I_NPUB,
    I_NTR,
    L_NEXT,
    L_PARENT,
    L_PREV,
    M_CAUSE,
    M_CLS,
    M_CONS,
    M_DL,
    M_DLS,
    M_LIST,
    M_NDEL,
    M_NODE,
    M_PRIO,
    M_PROD,
    NC_COUNT,
    NC_LV0,
    NC_NLV,
    NS_AVH,
    NS_AVN,
    NS_BUSY,
    NS_INFL,
    NS_READY,
    T_BUSY,
    T_INFL,
    T_NODE,
    T_READY,
)


# ---- random streams and the event list ----------------------------------------------------
@njit(**KERNEL, inline="always")
def draw(S, s):  # pragma: no cover - compiled
    """The next value of stream ``s`` (the kernel made sure it has one)."""
    p = S.spos[s]
    S.spos[s] = p + 1
    return S.sbuf[s, p]


@njit(**KERNEL, inline="always")
def schedule(S, t, prio_bit, ent):  # pragma: no cover - compiled
    """Put an event for entity ``ent`` at time ``t`` (s) on the event list; returns its id.

    The event being processed is taken off the list lazily: the first event it schedules
    replaces it at the top (one sift instead of a pop and a push)."""
    eid = S.ist[I_EID]
    S.ist[I_EID] = eid + 1
    if S.ist[I_ATTOP] != 0:
        S.ist[I_ATTOP] = 0
        replace_top(S.ht, S.hk, S.hn, S.ist[I_HSIZE], t, prio_bit | eid, ent)
    else:
        S.ist[I_HSIZE] = push3(S.ht, S.hk, S.hn, S.ist[I_HSIZE], t, prio_bit | eid, ent)
    return eid


@njit(**KERNEL, inline="always")
def continue_now(S, t, ent):  # pragma: no cover - compiled
    """Put a continuation of entity ``ent`` at time ``t`` on the event list: it runs before any
    other event at ``t`` (key :data:`~mqsim.sim.fast.layout.CONT_KEY`) and takes no event id, as
    a SimPy process that goes on within the callback that runs it."""
    if S.ist[I_ATTOP] != 0:
        S.ist[I_ATTOP] = 0
        replace_top(S.ht, S.hk, S.hn, S.ist[I_HSIZE], t, CONT_KEY, ent)
    else:
        S.ist[I_HSIZE] = push3(S.ht, S.hk, S.hn, S.ist[I_HSIZE], t, CONT_KEY, ent)


# ---- messages -------------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def new_message(S, now, prod, prio, cls, svc, node, parent):  # pragma: no cover - compiled
    """Append a message published at ``now`` to queue ``node``; returns its id."""
    mid = S.ist[I_NPUB]
    S.ist[I_NPUB] = mid + 1
    x = mid - S.ist[I_BASE]
    mf, mi, ml = S.mf, S.mi, S.ml
    mf[F_PUB, x] = now
    mf[F_DEL, x] = np.nan
    mf[F_START, x] = np.nan
    mf[F_DONE, x] = np.nan
    mf[F_SVC, x] = svc
    mf[F_PRIOR, x] = 0.0
    mi[M_PROD, x] = prod
    mi[M_PRIO, x] = prio
    mi[M_CLS, x] = cls
    mi[M_CONS, x] = -1
    mi[M_NDEL, x] = 0
    mi[M_CAUSE, x] = 0
    mi[M_NODE, x] = node
    mi[M_DL, x] = 0
    mi[M_DLS, x] = -1
    ml[L_PARENT, x] = parent  # L_NEXT, L_PREV and M_LIST are set when it joins a list
    return mid


@njit(**KERNEL, inline="always")
def log_attempt(S, mid, start, end):  # pragma: no cover - compiled
    """A service attempt of ``mid`` from ``start`` to ``end`` (s) that did not end in an ack."""
    n = S.ist[I_NATT]
    S.at_t[0, n] = start
    S.at_t[1, n] = end
    S.at_m[n] = mid
    S.ist[I_NATT] = n + 1


@njit(**KERNEL, inline="always")
def snapshot(S, now, k):  # pragma: no cover - compiled
    """One step of queue ``k``'s queue-length series (Records.snapshot: a later snapshot of the
    same queue at the same instant replaces the earlier one)."""
    n = S.ist[I_NTR]
    tr_t, tr_i, st = S.tr_t, S.tr_i, S.nst
    if n > 0 and tr_t[n - 1] == now and tr_i[T_NODE, n - 1] == k:
        n -= 1
    else:
        tr_t[n] = now
        tr_i[T_NODE, n] = k
    tr_i[T_READY, n] = st[k, NS_READY]
    tr_i[T_INFL, n] = st[k, NS_INFL]
    tr_i[T_BUSY, n] = st[k, NS_BUSY]
    S.ist[I_NTR] = n + 1


# ---- ready lists ------------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def link(S, lev, mid, at_head):  # pragma: no cover - compiled
    """Make ``mid`` the tail (or, for a requeue to the head, the head) of ready list ``lev``."""
    base = S.ist[I_BASE]
    ml, lists = S.ml, S.lists
    x = mid - base
    if at_head:
        h = lists[lev, 0]
        ml[L_PREV, x] = -1
        ml[L_NEXT, x] = h
        if h >= 0:
            ml[L_PREV, h - base] = mid
        else:
            lists[lev, 1] = mid
        lists[lev, 0] = mid
    else:
        tl = lists[lev, 1]
        ml[L_NEXT, x] = -1
        ml[L_PREV, x] = tl
        if tl >= 0:
            ml[L_NEXT, tl - base] = mid
        else:
            lists[lev, 0] = mid
        lists[lev, 1] = mid
    S.mi[M_LIST, x] = lev


@njit(**KERNEL, inline="always")
def unlink(S, mid):  # pragma: no cover - compiled
    """Remove ``mid`` from the ready list it is in."""
    base = S.ist[I_BASE]
    ml, lists = S.ml, S.lists
    x = mid - base
    lev = S.mi[M_LIST, x]
    p = ml[L_PREV, x]
    n = ml[L_NEXT, x]
    if p >= 0:
        ml[L_NEXT, p - base] = n
    else:
        lists[lev, 0] = n
    if n >= 0:
        ml[L_PREV, n - base] = p
    else:
        lists[lev, 1] = p
    S.mi[M_LIST, x] = -1


@njit(**KERNEL, inline="always")
def take_head(S, k):  # pragma: no cover - compiled
    """Remove and return the head of queue ``k``'s highest non-empty priority level."""
    lv0 = S.node_cfg[k, NC_LV0]
    for lev in range(lv0, lv0 + S.node_cfg[k, NC_NLV]):
        h = S.lists[lev, 0]
        if h >= 0:
            unlink(S, h)
            return h
    return -1  # pragma: no cover - callers check the ready count first


# ---- prefetch buffers -------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def buf_push(S, g, mid):  # pragma: no cover - compiled
    """Append ``mid`` to consumer ``g``'s prefetch buffer."""
    base = S.ist[I_BASE]
    cst = S.cst
    S.ml[L_NEXT, mid - base] = -1
    if cst[g, CS_BLEN] == 0:
        cst[g, CS_BHEAD] = mid
    else:
        S.ml[L_NEXT, cst[g, CS_BTAIL] - base] = mid
    cst[g, CS_BTAIL] = mid
    cst[g, CS_BLEN] += 1


@njit(**KERNEL, inline="always")
def buf_pop(S, g):  # pragma: no cover - compiled
    """Remove and return the head of consumer ``g``'s prefetch buffer."""
    cst = S.cst
    mid = cst[g, CS_BHEAD]
    cst[g, CS_BHEAD] = S.ml[L_NEXT, mid - S.ist[I_BASE]]
    cst[g, CS_BLEN] -= 1
    if cst[g, CS_BLEN] == 0:
        cst[g, CS_BTAIL] = -1
    return mid


# ---- the round-robin ring of consumers with a free slot --------------------------------------
@njit(**KERNEL, inline="always")
def avail_pop(S, k):  # pragma: no cover - compiled
    """Take the consumer at the front of queue ``k``'s ring."""
    st = S.nst
    h = st[k, NS_AVH]
    j = S.avq[k, h]
    h += 1
    if h == S.node_cfg[k, NC_COUNT]:
        h = 0
    st[k, NS_AVH] = h
    st[k, NS_AVN] -= 1
    return j


@njit(**KERNEL, inline="always")
def avail_push(S, k, j):  # pragma: no cover - compiled
    """Put consumer ``j`` (index in queue ``k``) at the back of the ring."""
    st = S.nst
    c = S.node_cfg[k, NC_COUNT]
    pos = st[k, NS_AVH] + st[k, NS_AVN]
    if pos >= c:
        pos -= c
    S.avq[k, pos] = j
    st[k, NS_AVN] += 1


@njit(**KERNEL)
def avail_remove(S, k, j):  # pragma: no cover - compiled
    """Remove consumer ``j`` from queue ``k``'s ring if it is there (deque.remove)."""
    st = S.nst
    c = S.node_cfg[k, NC_COUNT]
    h = st[k, NS_AVH]
    n = st[k, NS_AVN]
    found = -1
    for q in range(n):
        p = h + q
        if p >= c:
            p -= c
        if S.avq[k, p] == j:
            found = q
            break
    if found < 0:
        return
    for q in range(found, n - 1):
        p = h + q
        if p >= c:
            p -= c
        p2 = p + 1
        if p2 >= c:
            p2 -= c
        S.avq[k, p] = S.avq[k, p2]
    st[k, NS_AVN] = n - 1
