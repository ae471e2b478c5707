"""The compiled event loop of the fast engine (numba; imported only when a fast run needs it).

:func:`run` advances a run whose whole state lives in the arrays of a
:class:`~mqsim.sim.fast.layout.State`, so it can stop and resume at any event boundary: before
each event it checks that every random stream the event may draw from holds enough values and
every array has room for what the event may add (:func:`prepare`); if not, it returns and the
driver (:mod:`mqsim.sim.fast.driver`) refills or grows what was asked for and calls it again.

The loop is the SimPy engine's event list (see the event-order contract in
:mod:`mqsim.sim.simpy.engine`): a heap ordered by ``(time, priority, event id)`` with ids
counted in scheduling order, URGENT = 0 (process starts, TTL timers, interrupts) before
NORMAL = 1. Entities on it: producers (their inter-arrival timeout), consumers (a wake-up, the
end of a service, the end of a dispatch overhead, or an interrupt: the consumer's ``CS_LIVE``
names its one live event, any other entry of it is a service timeout made stale by a crash or a
restart), consumers' failure processes (the next crash or repair), queues' TTL timers, and the
broker's restart process (:mod:`~mqsim.sim.fast.restarts`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mqsim.sim.fast.accumulate import accumulate  # noqa: F401 - SummaryStats.use_compiled reads it here
from mqsim.sim.fast.broker import crash, dispatch, expire_due, publish, repair, settle
from mqsim.sim.fast.heaps import pop3
from mqsim.sim.fast.layout import (
    KERNEL,
    CC_DOWN_S,
    CC_J,
    CC_NODE,
    CC_OUT_S,
    CC_UP_S,
    CS_ACKED,
    CS_BHEAD,
    CS_BLEN,
    CS_CUR,
    CS_DOWN,
    CS_LIVE,
    CS_PHASE,
    CS_UNACKED,
    CT_EFF,
    CT_LEVEL,
    CT_RSVC,
    CT_SSVC,
    EID_MASK,
    END,
    ENT_CONS,
    ENT_FAIL,
    ENT_MASK,
    ENT_PROD,
    ENT_RESTART,
    ENT_SHIFT,
    ENT_TIMER,
    F_DEL,
    F_DONE,
    F_START,
    F_SVC,
    G_ATT,
    G_HEAP,
    G_MSG,
    G_SCRATCH,
    G_TIMERS,
    G_TRACE,
    G_TTL,
    I_ATTOP,
    I_BASE,
    I_DLCYC,
    I_DOWN,
    I_ERR,
    I_HSIZE,
    I_INIT,
    I_NACK,
    I_NATT,
    I_NPUB,
    I_NTR,
    I_RDOWN_S,
    I_RPHASE,
    I_RUP_S,
    I_TRACE,
    I_WANT,
    I_WHAT,
    M_CLS,
    M_PROD,
    NC_DL,
    NC_MAXLEN,
    NC_NR,
    NC_REJECT,
    NC_REFILL,
    NC_ROUTE_S,
    NORMAL_BIT,
    NS_BUSY,
    NS_INFL,
    NS_READY,
    NS_TMSIZE,
    NS_TSIZE,
    PC_BATCH,
    PC_BATCH_S,
    PC_BMAX,
    PC_GAP,
    PC_NCLS,
    PC_PRIO,
    PC_SVC0,
    PC_TPRIO,
    PC_TSVC,
    PH_IDLE,
    PH_OVH,
    PH_SERVE,
    R_UP,
    ST_DONE,
    ST_ERROR,
    ST_GROW,
    ST_STREAM,
)
from mqsim.sim.fast.queues import avail_push, buf_pop, draw, new_message, schedule, snapshot
from mqsim.sim.fast.restarts import on_restart, refuse, start_restarts


# ---- producers ------------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def publish_new(S, now, i, row_pr, row_svc):  # pragma: no cover - compiled
    """Producer ``i`` publishes one message now: its class, priority and service requirement
    from the producer's streams or its trace row (``row_pr``, ``row_svc``: this arrival's values,
    ProducerProcess._fill_class), then the main queue (refused while the broker is down)."""
    pc = S.prod_cfg
    tp = pc[i, PC_TPRIO]
    ts = pc[i, PC_TSVC]
    sp = pc[i, PC_PRIO]
    if tp >= 0:  # trace priorities: any value, its class is its first position among the levels
        pr = np.int64(row_pr)
        kk = S.trace_lut[i, pr, 0]
        eff = S.trace_lut[i, pr, 1]
        level = S.trace_lut[i, pr, 2]
    elif sp < 0:  # one class
        kk = 0
        eff = S.cls_tab[0, i, 0, CT_EFF]
        level = S.cls_tab[0, i, 0, CT_LEVEL]
    else:  # a priority mix (its stream holds class positions)
        kk = np.int64(draw(S, sp))
        eff = S.cls_tab[0, i, kk, CT_EFF]
        level = S.cls_tab[0, i, kk, CT_LEVEL]
    svc = row_svc if ts >= 0 else draw(S, pc[i, PC_SVC0] + kk)
    mid = new_message(S, now, i, eff, kk, svc, 0, -1)
    if S.ist[I_DOWN] != 0:
        refuse(S, now, mid)
    else:
        publish(S, now, np.int64(0), mid, level, S.prod_ttl[i])


@njit(**KERNEL, inline="always")
def on_producer(S, now, i):  # pragma: no cover - compiled
    """Producer ``i``'s timeout: publish one message (or a batch, every member with this
    arrival's trace row), then wait the next gap."""
    pc = S.prod_cfg
    bs = pc[i, PC_BATCH_S]
    b = np.int64(draw(S, bs)) if bs >= 0 else pc[i, PC_BATCH]
    tp = pc[i, PC_TPRIO]
    ts = pc[i, PC_TSVC]
    row_pr = draw(S, tp) if tp >= 0 else 0.0
    row_svc = draw(S, ts) if ts >= 0 else 0.0
    for _ in range(b):
        publish_new(S, now, i, row_pr, row_svc)
        if S.ist[I_ERR] != 0:
            return
    gap = draw(S, pc[i, PC_GAP])
    if gap != END:  # a replayed trace has ended: the producer's process returns
        schedule(S, now + gap, NORMAL_BIT, (i << ENT_SHIFT) + ENT_PROD)


# ---- consumers -------------------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def finish_service(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g``'s service timeout: settle the message, refill free slots."""
    k = S.cons_cfg[g, CC_NODE]
    cst, st = S.cst, S.nst
    mid = cst[g, CS_CUR]
    cst[g, CS_CUR] = -1
    cst[g, CS_UNACKED] -= 1
    st[k, NS_INFL] -= 1
    st[k, NS_BUSY] -= 1
    if cst[g, CS_UNACKED] == S.node_cfg[k, NC_REFILL]:
        avail_push(S, k, S.cons_cfg[g, CC_J])  # was blocked at a full window; has a free slot again
    x = mid - S.ist[I_BASE]
    if S.cons_cfg[g, CC_OUT_S] < 0 and S.node_cfg[k, NC_NR] == 0:  # a plain ack
        S.mf[F_DONE, x] = now
        cst[g, CS_ACKED] += 1
        S.ist[I_NACK] += 1
        dispatch(S, now, k)
    else:
        settle(S, now, g, mid, S.mf[F_START, x])
    if S.ist[I_TRACE] != 0:
        snapshot(S, now, k)


@njit(**KERNEL, inline="always")
def start_service(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g`` starts serving the head of its prefetch buffer."""
    k = S.cons_cfg[g, CC_NODE]
    mid = buf_pop(S, g)
    x = mid - S.ist[I_BASE]
    S.mf[F_START, x] = now
    S.cst[g, CS_CUR] = mid
    S.nst[k, NS_BUSY] += 1
    if S.ist[I_TRACE] != 0:
        snapshot(S, now, k)
    S.cst[g, CS_PHASE] = PH_SERVE
    S.cst[g, CS_LIVE] = schedule(S, now + S.mf[F_SVC, x], NORMAL_BIT, (g << ENT_SHIFT) + ENT_CONS)


@njit(**KERNEL, inline="always")
def on_consumer(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g``'s process resumes (after a service, a wake-up, an interrupt or a dispatch
    overhead) and goes round its loop: serve the head of its buffer, once the head's delivery
    has reached it (``t_deliver`` + the dispatch overhead) and the client overhead since its last
    service has passed, or wait for a wake-up."""
    if S.cst[g, CS_PHASE] == PH_SERVE:
        S.cend[g] = now
        finish_service(S, now, g)
        if S.ist[I_ERR] != 0:
            return
    if S.cst[g, CS_BLEN] > 0:
        k = S.cons_cfg[g, CC_NODE]
        ovh, cli = S.node_ovh[k, 0], S.node_ovh[k, 1]
        if ovh != 0.0 or cli != 0.0:  # as the SimPy consumer: dispatch and client overheads
            due = max(S.mf[F_DEL, S.cst[g, CS_BHEAD] - S.ist[I_BASE]] + ovh, S.cend[g] + cli)
            if due > now + 1e-12:  # as the SimPy consumer: wait, then look at its buffer again
                S.cst[g, CS_PHASE] = PH_OVH
                S.cst[g, CS_LIVE] = schedule(S, now + (due - now), NORMAL_BIT, (g << ENT_SHIFT) + ENT_CONS)
                return
        start_service(S, now, g)
    else:
        S.cst[g, CS_PHASE] = PH_IDLE  # wait for a wake-up


@njit(**KERNEL)
def on_failure(S, now, g):  # pragma: no cover - compiled
    """Consumer ``g``'s failure process: crash (then wait a repair time) or repair (then an up time)."""
    if S.cst[g, CS_DOWN] == 0:
        crash(S, now, g)
        if S.ist[I_ERR] != 0:
            return
        schedule(S, now + draw(S, S.cons_cfg[g, CC_DOWN_S]), NORMAL_BIT, (g << ENT_SHIFT) + ENT_FAIL)
    else:
        repair(S, now, g)
        schedule(S, now + draw(S, S.cons_cfg[g, CC_UP_S]), NORMAL_BIT, (g << ENT_SHIFT) + ENT_FAIL)


@njit(**KERNEL)
def start(S):  # pragma: no cover - compiled
    """t = 0: the processes start (URGENT, in creation order): producers draw their first gap,
    consumers wait for a wake-up, failure processes draw their first up time, the restart
    process its first up time (and restarts at once if one is due at 0)."""
    for i in range(S.prod_cfg.shape[0]):
        gap = draw(S, S.prod_cfg[i, PC_GAP])
        if gap != END:
            schedule(S, 0.0 + gap, NORMAL_BIT, (i << ENT_SHIFT) + ENT_PROD)
    for g in range(S.cons_cfg.shape[0]):
        s = S.cons_cfg[g, CC_UP_S]
        if s >= 0:
            schedule(S, 0.0 + draw(S, s), NORMAL_BIT, (g << ENT_SHIFT) + ENT_FAIL)
    if S.ist[I_RDOWN_S] >= 0:
        start_restarts(S)


# ---- what an event may need ---------------------------------------------------------------------
@njit(**KERNEL, inline="always")
def short(S, s, n):  # pragma: no cover - compiled
    """True (and the request noted) if stream ``s`` holds fewer than ``n`` unread values."""
    if s >= 0 and S.slen[s] - S.spos[s] < n:
        S.ist[I_WHAT] = s
        S.ist[I_WANT] = n
        return True
    return False


@njit(**KERNEL)
def short_copies(S, k, n):  # pragma: no cover - compiled
    """Stream check for the copies an event at queue ``k`` may publish: the stage-service
    streams of every (producer, class) at each of ``k``'s targets (a publish there may drop the
    head of its queue, a message of any class, and dead-letter it onwards)."""
    if S.tgt_ptr[k + 1] == S.tgt_ptr[k]:
        return False
    for q in range(S.tgt_ptr[k], S.tgt_ptr[k + 1]):
        t = S.tgt_idx[q]
        for i in range(S.cls_tab.shape[1]):
            for c in range(S.cls_tab.shape[2]):
                if short(S, S.cls_tab[t, i, c, CT_SSVC], n):
                    return True
    return False


@njit(**KERNEL)
def short_requeue(S, k, n):  # pragma: no cover - compiled
    """Stream check for ``n`` messages given back to queue ``k`` (fresh service requirements)."""
    for i in range(S.prod_cfg.shape[0]):
        for c in range(S.cls_tab.shape[2]):
            if short(S, S.cls_tab[k, i, c, CT_RSVC], n):
                return True
    return False


@njit(**KERNEL)
def hops(S, n0):  # pragma: no cover - compiled
    """The most copies per target queue an event may make when ``n0`` messages die in it.

    Without dead-letter cycles a chain of dead letters visits each queue once: ``n0``. With
    cycles a message can go round, and a full drop-head queue on the way drops its head, which
    goes on in turn: each message involved (the ``n0``, and every ready message of a drop-head
    queue) dies automatically at most once per queue before the cycle rule drops it."""
    if S.ist[I_DLCYC] == 0:
        return n0
    nc = S.node_cfg
    victims = np.int64(0)
    for k in range(nc.shape[0]):
        if nc[k, NC_MAXLEN] >= 0 and nc[k, NC_REJECT] == 0:
            victims += S.nst[k, NS_READY]
    return (nc.shape[0] + 1) * (n0 + victims + 1)


@njit(**KERNEL)
def needs_producer(S, i):  # pragma: no cover - compiled
    """(status, messages it may create) of producer ``i``'s next arrival."""
    pc = S.prod_cfg
    b = pc[i, PC_BMAX]
    if short(S, pc[i, PC_GAP], 1) or short(S, pc[i, PC_PRIO], b) or short(S, pc[i, PC_BATCH_S], 1) \
            or short(S, pc[i, PC_TPRIO], 1) or short(S, pc[i, PC_TSVC], 1):
        return ST_STREAM, 0
    for kk in range(pc[i, PC_NCLS]):
        if short(S, pc[i, PC_SVC0] + kk, b):
            return ST_STREAM, 0
    n = hops(S, b)
    if short_copies(S, np.int64(0), n):
        return ST_STREAM, 0
    return ST_DONE, b + n * S.node_cfg.shape[0]


@njit(**KERNEL)
def needs_consumer(S, g):  # pragma: no cover - compiled
    """(status, messages it may create) of consumer ``g``'s next event (only the end of a
    service draws: an outcome, a route, a redelivery's service, copies)."""
    if S.cst[g, CS_PHASE] != PH_SERVE:
        return ST_DONE, 0
    k = S.cons_cfg[g, CC_NODE]
    x = S.cst[g, CS_CUR] - S.ist[I_BASE]
    i = np.int64(S.mi[M_PROD, x])
    c = np.int64(S.mi[M_CLS, x])
    n = hops(S, np.int64(2))
    if short(S, S.cons_cfg[g, CC_OUT_S], 1) or short(S, S.node_cfg[k, NC_ROUTE_S], 1) \
            or short(S, S.cls_tab[k, i, c, CT_RSVC], n) or short_copies(S, k, n):
        return ST_STREAM, 0
    return ST_DONE, n * S.node_cfg.shape[0] + 1


@njit(**KERNEL)
def needs_failure(S, g):  # pragma: no cover - compiled
    """(status, messages it may create) of consumer ``g``'s next crash or repair."""
    if S.cst[g, CS_DOWN] != 0:
        return (ST_STREAM if short(S, S.cons_cfg[g, CC_UP_S], 1) else ST_DONE), 0
    k = S.cons_cfg[g, CC_NODE]
    held = S.cst[g, CS_UNACKED]
    n = hops(S, held if held > 0 else np.int64(1))
    if short(S, S.cons_cfg[g, CC_DOWN_S], 1) or short_requeue(S, k, n) or short_copies(S, k, n):
        return ST_STREAM, 0
    return ST_DONE, n * S.node_cfg.shape[0] + 1


@njit(**KERNEL)
def needs_restart(S):  # pragma: no cover - compiled
    """(status, messages it may create) of the restart process's next event: a restart gives back
    (or dead-letters) every message held by a consumer, in every queue."""
    N = S.node_cfg.shape[0]
    if S.ist[I_RPHASE] == R_UP:
        return (ST_STREAM if short(S, S.ist[I_RUP_S], 1) else ST_DONE), N + 1
    if short(S, S.ist[I_RDOWN_S], 1):
        return ST_STREAM, 0
    held = np.int64(1)
    for k in range(N):
        held += S.nst[k, NS_INFL]
    n = hops(S, held)
    for k in range(N):
        if short_requeue(S, k, n) or short_copies(S, k, n):
            return ST_STREAM, 0
    return ST_DONE, n * N + N + 1


@njit(**KERNEL, inline="always")
def needs(S, kind, idx):  # pragma: no cover - compiled
    """Streams for the next event; returns (ST_DONE or ST_STREAM, messages it may create)."""
    if kind == ENT_PROD:
        return needs_producer(S, idx)
    if kind == ENT_CONS:
        return needs_consumer(S, idx)
    if kind == ENT_FAIL:
        return needs_failure(S, idx)
    if kind == ENT_RESTART:
        return needs_restart(S)
    if S.node_cfg[idx, NC_DL] < 0:  # a TTL timer that cannot dead-letter
        return ST_DONE, 0
    ready = S.nst[idx, NS_READY]
    n = hops(S, max(ready, np.int64(1)))
    if short_copies(S, idx, n):
        return ST_STREAM, 0
    return ST_DONE, n * S.node_cfg.shape[0]


@njit(**KERNEL, inline="always")
def room(S, nm):  # pragma: no cover - compiled
    """Bit flags (G_*) of the arrays too small for an event that may create ``nm`` messages (and
    log a service attempt per consumer, at a restart)."""
    ist = S.ist
    C = S.cons_cfg.shape[0]
    grow = 0
    if ist[I_NPUB] - ist[I_BASE] + nm > S.mf.shape[1]:
        grow |= G_MSG
    if ist[I_TRACE] != 0 and ist[I_NTR] + 2 * nm + 4 > S.tr_t.shape[0]:
        grow |= G_TRACE
    if ist[I_NATT] + C + 1 > S.at_m.shape[0]:
        grow |= G_ATT
    if ist[I_HSIZE] + 2 * C + nm + 4 > S.ht.shape[0]:
        grow |= G_HEAP
    if S.scratch.shape[0] < nm:
        grow |= G_SCRATCH
    if S.tdl.shape[1] > 0:
        for k in range(S.node_cfg.shape[0]):
            if S.nst[k, NS_TSIZE] + nm + 1 > S.tdl.shape[1]:
                grow |= G_TTL
            if S.nst[k, NS_TMSIZE] + nm + 1 > S.tmt.shape[1]:
                grow |= G_TIMERS
    return grow


# ---- the loop ----------------------------------------------------------------------------------
@njit(**KERNEL)
def run(S, horizon):  # pragma: no cover - compiled
    """Advance the run until ``horizon`` (s) or until something must be refilled or grown.

    Returns ST_DONE, ST_STREAM (``ist[I_WHAT]`` = the stream, ``ist[I_WANT]`` = how many
    values it must hold), ST_GROW (``ist[I_WHAT]`` = G_* flags, ``ist[I_WANT]`` = messages
    the next event may create) or ST_ERROR (``ist[I_ERR]``). The state is consistent at every
    return; the event that asked is not started.
    """
    ist = S.ist
    if ist[I_INIT] == 0:
        start(S)
        ist[I_INIT] = 1
    while ist[I_HSIZE] > 0:
        t = S.ht[0]
        if not t < horizon:  # SimPy's `until` event (URGENT, at horizon) comes first
            break
        ent = S.hn[0]
        kind = ent & ENT_MASK
        idx = ent >> ENT_SHIFT
        if kind == ENT_CONS and (S.hk[0] & EID_MASK) != S.cst[idx, CS_LIVE]:
            ist[I_HSIZE] = pop3(S.ht, S.hk, S.hn, ist[I_HSIZE])  # a service timeout made stale by a crash
            continue
        status, nm = needs(S, kind, idx)
        if status != ST_DONE:
            return status
        grow = room(S, nm)
        if grow != 0:
            ist[I_WHAT] = grow
            ist[I_WANT] = nm
            return ST_GROW
        ist[I_ATTOP] = 1  # taken off the list by the first event it schedules, or below
        if kind == ENT_PROD:
            on_producer(S, t, idx)
        elif kind == ENT_CONS:
            on_consumer(S, t, idx)
        elif kind == ENT_FAIL:
            on_failure(S, t, idx)
        elif kind == ENT_TIMER:
            expire_due(S, t, idx)
        else:
            on_restart(S, t)
        if ist[I_ATTOP] != 0:
            ist[I_ATTOP] = 0
            ist[I_HSIZE] = pop3(S.ht, S.hk, S.hn, ist[I_HSIZE])
        if ist[I_ERR] != 0:
            return ST_ERROR
    return ST_DONE
