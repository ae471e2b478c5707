"""Broker restarts in the fast engine, compiled (numba): the mirror of :mod:`mqsim.sim.simpy.restarts`.

The restart process is one entity on the event list (``ENT_RESTART``) whose pending event either
restarts the broker (phase ``R_FIRE``) or brings it back (``R_UP``). Where the SimPy process goes
on without yielding (a restart time already due, a downtime of 0) the next step is a
*continuation*: an event at the same time that runs before any other (key ``CONT_KEY``), so
nothing can come in between, as in SimPy, where it all happens in one callback.

What a restart does (:func:`broker_down`): every consumer loses its connection (a message in
service is interrupted, an URGENT event, as at a crash); per queue, in order, the held messages of
an auto-ack queue are lost, then the ready messages that do not survive (``NC_KEEP``: a durable
classic queue keeps its persistent messages, a quorum queue everything, a non-durable queue
nothing), then the held messages return to the queue (:func:`~mqsim.sim.fast.broker.give_back`)
or are lost. While the broker is down a producer's publish is refused (:func:`refuse`), and a
repaired consumer waits; :func:`broker_up` reconnects every consumer that is not crashed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mqsim.sim.fast.broker import dispatch, give_back, release
from mqsim.sim.fast.layout import (
    BROKER_DOWN,
    CS_DOWN,
    ENT_RESTART,
    F_DEL,
    F_DONE,
    I_BASE,
    I_DOWN,
    I_NDROP,
    I_NLOST,
    I_RDOWN_S,
    I_RFIX,
    I_RPHASE,
    I_RUP_S,
    I_TRACE,
    KEEP_ALL,
    KEEP_NONE,
    KERNEL,
    L_NEXT,
    M_CAUSE,
    M_CONS,
    M_PROD,
    NC_AUTOACK,
    NC_C0,
    NC_COUNT,
    NC_KEEP,
    NC_LV0,
    NC_NLV,
    NC_TO_HEAD,
    NORMAL_BIT,
    NS_AVN,
    NS_INFL,
    NS_READY,
    PC_PERSIST,
    R_FIRE,
    R_NONE,
    R_UP,
    RESTART,
)
from mqsim.sim.fast.queues import avail_push, continue_now, draw, schedule, snapshot, unlink


@njit(**KERNEL, inline="always")
def refuse(S, now, mid):  # pragma: no cover - compiled
    """A producer's publish while the broker is down: refused (restarts.guarded_publish)."""
    x = mid - S.ist[I_BASE]
    S.mi[M_CAUSE, x] = BROKER_DOWN
    S.mf[F_DONE, x] = now
    S.ist[I_NDROP] += 1


@njit(**KERNEL, inline="always")
def survives(S, k, x):  # pragma: no cover - compiled
    """Whether message row ``x`` in queue ``k`` survives a restart (restarts._survives)."""
    keep = S.node_cfg[k, NC_KEEP]
    if keep == KEEP_ALL:
        return True
    if keep == KEEP_NONE:
        return False
    return S.prod_cfg[S.mi[M_PROD, x], PC_PERSIST] != 0


@njit(**KERNEL, inline="always")
def lose(S, now, x):  # pragma: no cover - compiled
    """Message row ``x`` is lost to a restart (restarts._lose)."""
    S.mi[M_CAUSE, x] = RESTART
    S.mf[F_DONE, x] = now
    S.ist[I_NLOST] += 1


@njit(**KERNEL)
def disconnect(S, now, k):  # pragma: no cover - compiled
    """Every consumer of queue ``k`` loses its connection (restarts._disconnect); the messages they
    held, in consumer order (the one in service, then the buffer), go to ``S.scratch``; returns
    how many."""
    q = 0
    c0 = S.node_cfg[k, NC_C0]
    for g in range(c0, c0 + S.node_cfg[k, NC_COUNT]):
        q = release(S, now, g, q)
    S.nst[k, NS_AVN] = 0
    S.nst[k, NS_INFL] -= q
    return q


@njit(**KERNEL)
def lose_ready(S, now, k):  # pragma: no cover - compiled
    """The ready messages of queue ``k`` that do not survive the restart are lost (in order)."""
    base = S.ist[I_BASE]
    lv0 = S.node_cfg[k, NC_LV0]
    for lev in range(lv0, lv0 + S.node_cfg[k, NC_NLV]):
        m = S.lists[lev, 0]
        while m >= 0:
            x = m - base
            nxt = S.ml[L_NEXT, x]
            if not survives(S, k, x):
                unlink(S, m)
                S.nst[k, NS_READY] -= 1
                lose(S, now, x)
            m = nxt


@njit(**KERNEL)
def broker_down(S, now):  # pragma: no cover - compiled
    """The broker goes down (restarts.broker_down): consumers disconnect; what does not survive is lost."""
    S.ist[I_DOWN] = 1
    for k in range(S.node_cfg.shape[0]):
        n = disconnect(S, now, k)
        held = S.scratch
        base = S.ist[I_BASE]
        if S.node_cfg[k, NC_AUTOACK] != 0:
            for q in range(n):
                lose(S, now, held[q] - base)
            n = 0
        lose_ready(S, now, k)
        to_head = S.node_cfg[k, NC_TO_HEAD] != 0
        for r in range(n):
            mid = held[n - 1 - r] if to_head else held[r]
            x = mid - base
            if survives(S, k, x):
                give_back(S, now, k, mid)
            else:
                S.mf[F_DEL, x] = np.nan
                S.mi[M_CONS, x] = -1
                lose(S, now, x)
        if S.ist[I_TRACE] != 0:
            snapshot(S, now, k)


@njit(**KERNEL)
def broker_up(S, now):  # pragma: no cover - compiled
    """The broker is back (restarts.broker_up): every consumer that is not crashed reconnects with
    an empty window, and each queue dispatches."""
    S.ist[I_DOWN] = 0
    for k in range(S.node_cfg.shape[0]):
        c0 = S.node_cfg[k, NC_C0]
        for j in range(S.node_cfg[k, NC_COUNT]):
            if S.cst[c0 + j, CS_DOWN] == 0:
                avail_push(S, k, j)
        dispatch(S, now, k)
        if S.ist[I_TRACE] != 0:
            snapshot(S, now, k)


@njit(**KERNEL)
def restart_next(S, now):  # pragma: no cover - compiled
    """The restart process's loop head (restarts.restarts): skip the fixed times that fell while the
    broker was down, then wait for the next restart (or go on at once if it is due)."""
    rt = S.rtimes
    p = S.ist[I_RFIX]
    while p < rt.shape[0] and rt[p] < now:
        p += 1
    S.ist[I_RFIX] = p
    t = rt[p] if p < rt.shape[0] else np.inf
    if S.rst[0] < t:
        t = S.rst[0]
    if t == np.inf:
        S.ist[I_RPHASE] = R_NONE
        return
    S.ist[I_RPHASE] = R_FIRE
    if t > now:
        schedule(S, now + (t - now), NORMAL_BIT, ENT_RESTART)
    else:
        continue_now(S, now, np.int64(ENT_RESTART))


@njit(**KERNEL)
def start_restarts(S):  # pragma: no cover - compiled
    """t = 0: the restart process starts (the last process to start): its first up time, if any."""
    s = S.ist[I_RUP_S]
    S.rst[0] = 0.0 + draw(S, s) if s >= 0 else np.inf
    restart_next(S, 0.0)


@njit(**KERNEL)
def on_restart(S, now):  # pragma: no cover - compiled
    """The restart process's event: the broker goes down (for a downtime drawn now), or comes back
    and the process waits for the next restart (one up time drawn, with ``Restarts.every``)."""
    if S.ist[I_RPHASE] == R_FIRE:
        p = S.ist[I_RFIX]
        if p < S.rtimes.shape[0] and S.rtimes[p] <= now:
            S.ist[I_RFIX] = p + 1
        d = draw(S, S.ist[I_RDOWN_S])
        broker_down(S, now)
        S.ist[I_RPHASE] = R_UP
        if d > 0:
            schedule(S, now + d, NORMAL_BIT, ENT_RESTART)
        else:
            continue_now(S, now, np.int64(ENT_RESTART))
    else:
        broker_up(S, now)
        s = S.ist[I_RUP_S]
        if s >= 0:
            S.rst[0] = now + draw(S, s)
        restart_next(S, now)
