"""The broker's actions, compiled (numba): the fast engine's mirror of
:class:`mqsim.sim.simpy.broker.BrokerQueue` and :class:`mqsim.sim.simpy.network.Network`.

Each function does what the SimPy method of the same name does, in the same order (draws,
scheduled events, queue-length steps), on the arrays of :class:`~mqsim.sim.fast.layout.State`:

* publish (:func:`publish`): deliver, refuse, expire at once, or enqueue with the overflow
  policy; a drop may dead-letter a copy to another queue, which is published there at once
  (a chain, followed in a loop as in the SimPy engine, see :func:`publish`), unless RabbitMQ's
  dead-letter cycle rule drops it (:func:`drop`);
* deliver / dispatch: RabbitMQ's round-robin push into prefetch buffers;
* settle (ack, nack, reject), route, give back (requeue or delivery limit), expiry timers,
  consumer crash and repair.

``now`` is the current time (s); ``k`` a queue, ``g`` a consumer (global index), ``mid`` a
message id.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mqsim.sim.fast.heaps import pop1, pop2, push1, push2
from mqsim.sim.fast.layout import (
    KERNEL,
    CC_J,
    CC_NODE,
    CC_OUT_S,
    CS_ACKED,
    CS_BHEAD,
    CS_BLEN,
    CS_BTAIL,
    CS_CUR,
    CS_DOWN,
    CS_LIVE,
    CS_PHASE,
    CS_UNACKED,
    CT_EFF,
    CT_LEVEL,
    CT_RSVC,
    CT_SSVC,
    DELIVERY_LIMIT,
    DROP_HEAD,
    E_PROBS,
    ENT_CONS,
    ENT_SHIFT,
    ENT_TIMER,
    EXPIRED,
    F_DEL,
    F_DONE,
    F_PRIOR,
    F_PUB,
    F_START,
    F_SVC,
    I_BASE,
    I_DOWN,
    I_ERR,
    I_NACK,
    I_NPUB,
    I_NDEAD,
    I_NDROP,
    I_NEXP,
    I_NLOST,
    I_TRACE,
    I_WANT,
    L_NEXT,
    L_PARENT,
    LOST,
    M_CAUSE,
    M_CLS,
    M_CONS,
    M_DL,
    M_DLS,
    M_NODE,
    M_NDEL,
    M_PRIO,
    M_PROD,
    NC_AUTOACK,
    NC_C0,
    NC_DL,
    NC_LIMIT,
    NC_MAXLEN,
    NC_REJECT_AT,
    NC_NR,
    NC_ONCYCLE,
    NC_PREFETCH,
    NC_R0,
    NC_REJECT,
    NC_REJECT_DLX,
    NC_ROUTE_S,
    NC_TO_HEAD,
    NORMAL_BIT,
    NS_AVN,
    NS_BUSY,
    NS_INFL,
    NS_READY,
    NS_TMSIZE,
    NS_TSIZE,
    PH_IDLE,
    PH_INTR,
    PH_WOKEN,
    REJECT_PUBLISH,
    REJECTED,
    URGENT_BIT,
)
from mqsim.sim.fast.queues import (
    avail_pop,
    avail_push,
    avail_remove,
    buf_push,
    draw,
    link,
    log_attempt,
    new_message,
    schedule,
    snapshot,
    take_head,
    unlink,
)


# ---- deliver and dispatch ---------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def deliver(S, now, k, mid):  # pragma: no cover - compiled
    """Push ``mid`` to the consumer at the front of queue ``k``'s round-robin ring."""
    nc, cst = S.node_cfg, S.cst
    j = avail_pop(S, k)
    g = nc[k, NC_C0] + j
    buf_push(S, g, mid)
    un = cst[g, CS_UNACKED] + 1
    cst[g, CS_UNACKED] = un
    pf = nc[k, NC_PREFETCH]
    if pf == 0 or un < pf:
        avail_push(S, k, j)
    x = mid - S.ist[I_BASE]
    S.mf[F_DEL, x] = now
    S.mi[M_CONS, x] = j
    S.mi[M_NDEL, x] += 1
    S.nst[k, NS_INFL] += 1
    if cst[g, CS_PHASE] == PH_IDLE:  # wake the consumer: an event at `now`, processed in list order
        cst[g, CS_PHASE] = PH_WOKEN
        cst[g, CS_LIVE] = schedule(S, now, NORMAL_BIT, (g << ENT_SHIFT) + ENT_CONS)


@njit(**KERNEL, inline="always")
def dispatch(S, now, k):  # pragma: no cover - compiled
    """Deliver ready messages of queue ``k`` while some consumer has a free slot."""
    st = S.nst
    while st[k, NS_READY] > 0 and st[k, NS_AVN] > 0:
        st[k, NS_READY] -= 1
        deliver(S, now, k, take_head(S, k))


# ---- ready messages with a TTL ------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def arm(S, now, k):  # pragma: no cover - compiled
    """Schedule an expiry timer (URGENT) at queue ``k``'s earliest deadline unless one is due no later."""
    st = S.nst
    ts = st[k, NS_TSIZE]
    tm = st[k, NS_TMSIZE]
    if ts > 0 and (tm == 0 or S.tdl[k, 0] < S.tmt[k, 0]):
        d = S.tdl[k, 0]
        st[k, NS_TMSIZE] = push1(S.tmt[k], tm, d)
        dt = d - now
        if dt < 0.0:
            dt = 0.0
        schedule(S, now + dt, URGENT_BIT, (k << ENT_SHIFT) + ENT_TIMER)


@njit(**KERNEL, inline="always")
def enqueue(S, now, k, mid, level, deadline, at_head):  # pragma: no cover - compiled
    """Make ``mid`` ready at ``level`` (tail, or head for a requeue), expiring at ``deadline``."""
    link(S, level, mid, at_head)
    S.nst[k, NS_READY] += 1
    if deadline < np.inf:
        S.nst[k, NS_TSIZE] = push2(S.tdl[k], S.tmid[k], S.nst[k, NS_TSIZE], deadline, mid)
        arm(S, now, k)


# ---- leaving for good, dead letters, copies ----------------------------------------------------
@njit(**KERNEL)
def new_copy(S, now, mid, node):  # pragma: no cover - compiled
    """A copy of ``mid`` (same producer and class) published to ``node`` now, with a service
    requirement from that queue's stream (Network.new_copy / republish)."""
    x = mid - S.ist[I_BASE]
    i = S.mi[M_PROD, x]
    c = S.mi[M_CLS, x]
    svc = draw(S, S.cls_tab[node, i, c, CT_SSVC])
    return new_message(S, now, i, S.cls_tab[node, i, c, CT_EFF], c, svc, node, mid)


@njit(**KERNEL, inline="always")
def death_run(S, k, x, cause, target):  # pragma: no cover - compiled
    """RabbitMQ's dead-letter cycle rule (Network.death_run): -2 if message row ``x``, dying at
    queue ``k``, must be dropped rather than dead-lettered to ``target``; else the start of the
    run of automatic deaths its copy carries (-1: none)."""
    if cause == REJECTED:
        return -1  # a reject: never a cycle, and the copy starts afresh
    start = S.mi[M_DLS, x]
    if start < 0 and S.node_cfg[k, NC_ONCYCLE] != 0:
        start = k
    return -2 if start == target else start


@njit(**KERNEL)
def drop(S, now, k, mid, cause):  # pragma: no cover - compiled
    """``mid`` leaves queue ``k`` for good (BrokerQueue.drop: settle_drop without publishing the
    dead-letter copy): returns the copy's id if it was dead-lettered, else -1."""
    x = mid - S.ist[I_BASE]
    dl = S.node_cfg[k, NC_DL]
    S.mi[M_CAUSE, x] = cause
    S.mf[F_DONE, x] = now
    if dl >= 0 and (cause != REJECT_PUBLISH or S.node_cfg[k, NC_REJECT_DLX] != 0):
        run = death_run(S, k, x, cause, dl)
        if run != -2:
            S.mi[M_DL, x] = 1
            S.ist[I_NDEAD] += 1
            copy = new_copy(S, now, mid, dl)
            S.mi[M_DLS, copy - S.ist[I_BASE]] = run
            return copy
    if cause == EXPIRED:
        S.ist[I_NEXP] += 1
    else:
        S.ist[I_NDROP] += 1
    return -1


@njit(**KERNEL, inline="always")
def publish_one(S, now, k, mid, level, msg_ttl):  # pragma: no cover - compiled
    """BrokerQueue.publish up to its snapshot; returns the id of a dead-letter copy it made
    (to be published next, at queue ``node_cfg[k, NC_DL]``), or -1."""
    nc, st = S.node_cfg, S.nst
    if st[k, NS_AVN] > 0:  # invariant: a free slot means nothing is ready
        deliver(S, now, k, mid)
        return -1
    maxlen = nc[k, NC_MAXLEN]
    if maxlen >= 0 and nc[k, NC_REJECT] != 0 and st[k, NS_READY] >= nc[k, NC_REJECT_AT]:
        return drop(S, now, k, mid, np.int64(REJECT_PUBLISH))
    qt = S.node_ttl[k]
    ttl = qt if qt < msg_ttl else msg_ttl
    if ttl <= 0.0:  # TTL 0: expires unless it can be delivered at once
        return drop(S, now, k, mid, np.int64(EXPIRED))
    if ttl == np.inf:
        link(S, level, mid, False)
        st[k, NS_READY] += 1
    else:
        enqueue(S, now, k, mid, level, now + ttl, False)
    if maxlen >= 0 and st[k, NS_READY] > maxlen and nc[k, NC_REJECT] == 0:  # drop-head
        st[k, NS_READY] -= 1
        return drop(S, now, k, take_head(S, k), np.int64(DROP_HEAD))
    return -1


@njit(**KERNEL, inline="always")
def publish(S, now, k, mid, level, msg_ttl):  # pragma: no cover - compiled
    """Publish ``mid`` to queue ``k`` (BrokerQueue.publish), and every dead-letter copy that
    causes, in turn (Network.publish_chain), their queue-length steps innermost first. Each step
    of the chain makes exactly one copy, so the copies are the ids from the first one on and
    their queues say where the chain went."""
    first = S.ist[I_NPUB]
    k0 = k
    while True:
        copy = publish_one(S, now, k, mid, level, msg_ttl)
        if copy < 0:
            break
        k = S.node_cfg[k, NC_DL]
        x = copy - S.ist[I_BASE]
        level = S.cls_tab[k, S.mi[M_PROD, x], S.mi[M_CLS, x], CT_LEVEL]
        mid = copy
        msg_ttl = np.inf
    if S.ist[I_TRACE] != 0:
        base = S.ist[I_BASE]
        for c in range(S.ist[I_NPUB] - 1, first - 1, -1):
            snapshot(S, now, np.int64(S.mi[M_NODE, c - base]))
        snapshot(S, now, k0)


@njit(**KERNEL)
def publish_copy(S, now, copy):  # pragma: no cover - compiled
    """Publish ``copy`` (a message :func:`new_copy` made) to its queue (Network.republish)."""
    x = copy - S.ist[I_BASE]
    node = S.mi[M_NODE, x]
    publish(S, now, np.int64(node), copy, S.cls_tab[node, S.mi[M_PROD, x], S.mi[M_CLS, x], CT_LEVEL], np.inf)


@njit(**KERNEL)
def settle_drop(S, now, k, mid, cause):  # pragma: no cover - compiled
    """``mid`` leaves queue ``k`` for good: dead-lettered (the copy published) or dropped/expired."""
    copy = drop(S, now, k, mid, cause)
    if copy >= 0:
        publish_copy(S, now, copy)


@njit(**KERNEL, inline="always")
def expire_due(S, now, k):  # pragma: no cover - compiled
    """Expiry timer of queue ``k``: every ready message whose deadline has passed expires now."""
    st = S.nst
    base = S.ist[I_BASE]
    if st[k, NS_TMSIZE] > 0 and S.tmt[k, 0] <= now:
        st[k, NS_TMSIZE] = pop1(S.tmt[k], st[k, NS_TMSIZE])
    while st[k, NS_TSIZE] > 0 and S.tdl[k, 0] <= now:
        mid = S.tmid[k, 0]
        st[k, NS_TSIZE] = pop2(S.tdl[k], S.tmid[k], st[k, NS_TSIZE])
        if mid >= base:  # older ids have left the summary window: they are finished
            x = mid - base
            d = S.mf[F_DEL, x]
            if d != d and S.mi[M_CAUSE, x] == 0 and S.mi[M_DL, x] == 0:  # still ready
                st[k, NS_READY] -= 1
                unlink(S, mid)
                settle_drop(S, now, k, mid, np.int64(EXPIRED))
    arm(S, now, k)
    if S.ist[I_TRACE] != 0:
        snapshot(S, now, k)


# ---- back to the queue ------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def give_back(S, now, k, mid):  # pragma: no cover - compiled
    """A delivered message returns to queue ``k`` (nack with requeue, or its consumer crashed),
    or leaves if it reached the delivery limit; requeue keeps the original expiry."""
    x = mid - S.ist[I_BASE]
    mf, mi = S.mf, S.mi
    mf[F_DEL, x] = np.nan
    mi[M_CONS, x] = -1
    mf[F_START, x] = np.nan
    lim = S.node_cfg[k, NC_LIMIT]
    if lim >= 0 and mi[M_NDEL, x] >= lim:
        settle_drop(S, now, k, mid, np.int64(DELIVERY_LIMIT))
        return
    i = mi[M_PROD, x]
    c = mi[M_CLS, x]
    qt = S.node_ttl[k]
    mt = S.prod_ttl[i] if (k == 0 and S.ml[L_PARENT, x] < 0) else np.inf
    deadline = mf[F_PUB, x] + (mt if mt < qt else qt)
    if deadline <= now:
        settle_drop(S, now, k, mid, np.int64(EXPIRED))
        return
    mf[F_SVC, x] = draw(S, S.cls_tab[k, i, c, CT_RSVC])  # processing starts afresh
    enqueue(S, now, k, mid, S.cls_tab[k, i, c, CT_LEVEL], deadline, S.node_cfg[k, NC_TO_HEAD] != 0)


@njit(**KERNEL)
def route(S, now, k, mid):  # pragma: no cover - compiled
    """After an ack at queue ``k``: continue to the next stage a route picks, if any."""
    nc = S.node_cfg
    u = draw(S, nc[k, NC_ROUTE_S])
    acc = 0.0
    for r in range(nc[k, NC_R0], nc[k, NC_R0] + nc[k, NC_NR]):
        acc += S.route_p[r]
        if u < acc:
            publish_copy(S, now, new_copy(S, now, mid, S.route_dst[r]))
            return


@njit(**KERNEL, inline="always")
def settle(S, now, g, mid, start):  # pragma: no cover - compiled
    """Consumer ``g`` finished ``mid`` (started at ``start``): ack, or nack / reject as its
    outcome stream draws; then refill free slots (BrokerQueue.settle)."""
    k = S.cons_cfg[g, CC_NODE]
    x = mid - S.ist[I_BASE]
    mf, mi = S.mf, S.mi
    verdict = 0
    os = S.cons_cfg[g, CC_OUT_S]
    if os >= 0:
        i = mi[M_PROD, x]
        pr = mi[M_PRIO, x]
        p_nack = S.oprob[k, i, pr, 0]
        p_rej = S.oprob[k, i, pr, 1]
        if p_nack != p_nack:  # nack + reject >= 1 for this class: the driver raises the model's error
            S.ist[I_ERR] = E_PROBS
            S.ist[I_WANT] = (k * S.prod_cfg.shape[0] + i) * 256 + pr
            return
        u = draw(S, os)
        verdict = 1 if u < p_nack else (2 if u < p_nack + p_rej else 0)
    if verdict == 0:
        mf[F_DONE, x] = now
        S.cst[g, CS_ACKED] += 1
        S.ist[I_NACK] += 1
        if S.node_cfg[k, NC_NR] > 0:
            route(S, now, k, mid)
    else:
        log_attempt(S, mid, start, now)
        mf[F_PRIOR, x] += now - start
        if verdict == 1:
            give_back(S, now, k, mid)
        else:
            mf[F_DEL, x] = np.nan
            mi[M_CONS, x] = -1
            mf[F_START, x] = np.nan
            settle_drop(S, now, k, mid, np.int64(REJECTED))
    dispatch(S, now, k)


# ---- consumer failures ---------------------------------------------------------------------------
@njit(**KERNEL)
def release(S, now, g, q):  # pragma: no cover - compiled
    """Consumer ``g`` lets go of every message it holds (a crash, or a restart's lost connection):
    the one in service, then its prefetch buffer in order, go to ``S.scratch`` from index ``q``;
    returns the new count. The service in progress is logged as an attempt and interrupted
    (SimPy's Interruption: URGENT, now; the service timeout goes stale) and the consumer is left
    empty. The queue's in-flight count and round-robin ring are the caller's."""
    cst, held = S.cst, S.scratch
    base = S.ist[I_BASE]
    cur = cst[g, CS_CUR]
    if cur >= 0:
        held[q] = cur
        q += 1
    m = cst[g, CS_BHEAD]
    for _ in range(cst[g, CS_BLEN]):
        held[q] = m
        q += 1
        m = S.ml[L_NEXT, m - base]
    if cur >= 0:
        x = cur - base
        t0 = S.mf[F_START, x]
        log_attempt(S, cur, t0, now)
        S.mf[F_PRIOR, x] += now - t0
        S.mf[F_START, x] = np.nan
        S.nst[S.cons_cfg[g, CC_NODE], NS_BUSY] -= 1
        cst[g, CS_PHASE] = PH_INTR
        cst[g, CS_LIVE] = schedule(S, now, URGENT_BIT, (g << ENT_SHIFT) + ENT_CONS)
    cst[g, CS_CUR] = -1
    cst[g, CS_BHEAD] = -1
    cst[g, CS_BTAIL] = -1
    cst[g, CS_BLEN] = 0
    cst[g, CS_UNACKED] = 0
    return q


@njit(**KERNEL)
def crash(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g`` crashes: its unacked messages return to the queue (or, with auto-ack, are
    lost) and it leaves the round-robin ring until :func:`repair` (BrokerQueue.crash)."""
    k = S.cons_cfg[g, CC_NODE]
    cst = S.cst
    base = S.ist[I_BASE]
    cst[g, CS_DOWN] = 1
    avail_remove(S, k, S.cons_cfg[g, CC_J])
    held = S.scratch  # room for every id it holds: the kernel checked
    n = release(S, now, g, 0)
    S.nst[k, NS_INFL] -= n
    if S.node_cfg[k, NC_AUTOACK] != 0:  # the broker had already forgotten them
        for q in range(n):
            x = held[q] - base
            S.mi[M_CAUSE, x] = LOST
            S.mf[F_DONE, x] = now
            S.ist[I_NLOST] += 1
    elif S.node_cfg[k, NC_TO_HEAD] != 0:
        for q in range(n - 1, -1, -1):
            give_back(S, now, k, held[q])
    else:
        for q in range(n):
            give_back(S, now, k, held[q])
    dispatch(S, now, k)
    if S.ist[I_TRACE] != 0:
        snapshot(S, now, k)


@njit(**KERNEL)
def repair(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g`` is back: it rejoins the round-robin ring with an empty window (when the
    broker is back, if a restart has it down)."""
    k = S.cons_cfg[g, CC_NODE]
    S.cst[g, CS_DOWN] = 0
    if S.ist[I_DOWN] != 0:  # it reconnects when the broker is back (restarts.broker_up)
        return
    avail_push(S, k, S.cons_cfg[g, CC_J])
    dispatch(S, now, k)
    if S.ist[I_TRACE] != 0:
        snapshot(S, now, k)
