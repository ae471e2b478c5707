"""A scenario as the fast engine's tables, and the initial state of a run (plain numpy).

Everything the SimPy engine derives from the scenario when it builds its queues, producers and
consumers (:mod:`mqsim.sim.simpy`) is computed here once, in the same way: priority levels per
queue, effective priorities, service distributions per (queue, producer, class), the random
streams with their keys (:mod:`mqsim.sim.streams`), routes, dead-letter targets. See
:mod:`mqsim.sim.fast.layout` for what each table holds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mqsim.model.dist import Discrete
from mqsim.model.scenario import Scenario
from mqsim.sim.fast import layout as L
from mqsim.sim.fast.streams import Streams, ThinnedGaps, TraceColumn, trace_gaps
from mqsim.sim.streams import (
    ARRIVAL,
    BATCH,
    CONSUMER,
    FAILURE,
    PRIORITY,
    REDELIVERY,
    RESTART,
    ROUTE,
    SERVICE,
    STAGE_SERVICE,
    make_rng,
)

__all__ = ["Tables", "build_tables", "initial_state", "copy_targets"]


class Tables:
    """The static tables of one scenario and seed, and its streams."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        self.n_nodes = len(sc.node_names)
        self.nodes = [sc.node(k) for k in range(self.n_nodes)]
        self.P = len(sc.producers)
        self.K = max(len(p.priority_levels) for p in sc.producers)
        self.streams = Streams()
        self.level_of: list[dict[int, int]] = []
        self.arrays: dict[str, np.ndarray] = {}


def _levels(sc: Scenario, t: Tables) -> np.ndarray:
    """Priority levels of every queue (BrokerQueue.__init__); returns the first level per queue."""
    lv0 = np.zeros(t.n_nodes, dtype=np.int64)
    total = 0
    for k, (q, _) in enumerate(t.nodes):
        t.level_of.append(q.levels(sc.producers))
        n = max(1, len(t.level_of[-1]))
        lv0[k] = total
        total += n
    t.arrays["n_levels"] = np.array([total])
    return lv0


def copy_targets(sc: Scenario) -> tuple[list[int], list[list[int]], list[set[int]]]:
    """Per queue: its dead-letter target (-1 none), its routes' targets, and every queue an event
    there may publish a copy to (dead-letter chain, route targets and their chains)."""
    index = {nm: n for n, nm in enumerate(sc.node_names)}
    dl = [index[q.dead_letter] if q.dead_letter is not None else -1 for q, _ in
          (sc.node(k) for k in range(len(sc.node_names)))]
    routes = [[index[d] for d, p in sc.routes.get(nm, {}).items() if p > 0] for nm in sc.node_names]

    def chain(k: int) -> list[int]:
        out: list[int] = []
        t = dl[k]
        while t >= 0 and t not in out:
            out.append(t)
            t = dl[t]
        return out

    targets = []
    for k in range(len(sc.node_names)):
        s = set(chain(k))
        for d in routes[k]:
            s |= {d, *chain(d)}
        targets.append(s)
    return dl, routes, targets


def _node_tables(sc: Scenario, t: Tables, seed: int, lv0: np.ndarray) -> None:
    dl, routes, targets = copy_targets(sc)
    index = {nm: n for n, nm in enumerate(sc.node_names)}
    nc = np.zeros((t.n_nodes, L.N_NC), dtype=np.int64)
    node_ttl = np.full(t.n_nodes, math.inf)
    node_ovh = np.zeros((t.n_nodes, 2))
    on_cycle = sc.dead_letter_cycles
    route_dst: list[int] = []
    route_p: list[float] = []
    c0 = 0
    for k, (q, cons) in enumerate(t.nodes):
        prefetch = 0 if cons.auto_ack else cons.prefetch  # autoAck ignores the prefetch window
        rs = [(index[d], p) for d, p in sc.routes.get(sc.node_names[k], {}).items() if p > 0]
        nc[k] = 0
        nc[k, L.NC_COUNT], nc[k, L.NC_C0] = cons.count, c0
        nc[k, L.NC_PREFETCH], nc[k, L.NC_REFILL] = prefetch, prefetch - 1
        nc[k, L.NC_MAXLEN] = -1 if q.max_length is None else q.max_length
        nc[k, L.NC_REJECT] = q.overflow != "drop-head"
        nc[k, L.NC_REJECT_DLX] = q.overflow == "reject-publish-dlx"
        # a quorum queue refuses a publish only once it is over the limit (as BrokerQueue.reject_at)
        nc[k, L.NC_REJECT_AT] = 0 if q.max_length is None else q.max_length + (q.queue_type == "quorum")
        nc[k, L.NC_TO_HEAD] = cons.requeue == "head"
        nc[k, L.NC_LIMIT] = -1 if q.delivery_limit is None else q.delivery_limit
        nc[k, L.NC_DL] = dl[k]
        nc[k, L.NC_LV0] = lv0[k]
        nc[k, L.NC_NLV] = max(1, len(t.level_of[k]))
        nc[k, L.NC_AUTOACK] = cons.auto_ack
        nc[k, L.NC_KEEP] = (L.KEEP_NONE if not q.is_durable else L.KEEP_ALL if q.queue_type == "quorum"
                            else L.KEEP_PERSISTENT)
        nc[k, L.NC_ONCYCLE] = on_cycle[k]
        node_ovh[k] = cons.dispatch_overhead, cons.client_overhead
        nc[k, L.NC_ROUTE_S] = t.streams.add_uniform(make_rng(seed, ROUTE, k)) if rs else -1
        nc[k, L.NC_R0], nc[k, L.NC_NR] = len(route_dst), len(rs)
        route_dst += [d for d, _ in rs]
        route_p += [p for _, p in rs]
        if q.ttl is not None:
            node_ttl[k] = q.ttl
        c0 += cons.count
    tp = [0] + list(np.cumsum([len(s) for s in targets]))
    t.arrays["dl_cyclic"] = np.array([any(on_cycle)])
    t.arrays.update(node_cfg=nc, node_ttl=node_ttl, node_ovh=node_ovh, route_dst=np.array(route_dst, dtype=np.int64),
                    route_p=np.array(route_p, dtype=float), tgt_ptr=np.array(tp, dtype=np.int64),
                    tgt_idx=np.array([x for s in targets for x in sorted(s)], dtype=np.int64))
    t.arrays["is_target"] = np.array([any(k in s for s in targets) for k in range(t.n_nodes)])


def _class_tables(sc: Scenario, t: Tables, seed: int) -> None:
    """Per (queue, producer, class): effective priority, level, stage-service and redelivery streams."""
    ct = np.full((t.n_nodes, t.P, t.K, L.N_CT), -1, dtype=np.int64)
    nc = t.arrays["node_cfg"]
    for k, (q, cons) in enumerate(t.nodes):
        gives_back = cons.has_outcomes or ((cons.failure is not None or sc.restarts is not None)
                                           and not cons.auto_ack)  # nacks, crashes and restarts requeue
        for i, p in enumerate(sc.producers):
            for kk, lv in enumerate(p.priority_levels):
                eff = q.effective_priority(lv)
                ct[k, i, kk, L.CT_EFF] = eff
                ct[k, i, kk, L.CT_LEVEL] = nc[k, L.NC_LV0] + t.level_of[k].get(eff, 0)
                d = sc.service_for(i, lv, k)
                if t.arrays["is_target"][k]:
                    ct[k, i, kk, L.CT_SSVC] = t.streams.add(d, make_rng(seed, STAGE_SERVICE, k, i, kk))
                if gives_back:
                    ct[k, i, kk, L.CT_RSVC] = t.streams.add(d, make_rng(seed, REDELIVERY, k, i, kk))
    t.arrays["cls_tab"] = ct


def _producer_tables(sc: Scenario, t: Tables, seed: int) -> None:
    pc = np.full((t.P, L.N_PC), -1, dtype=np.int64)
    prod_ttl = np.full(t.P, math.inf)
    trace_lut = np.zeros((t.P, 256, 3), dtype=np.int64)
    q0 = sc.queue
    lv0 = int(t.arrays["node_cfg"][0, L.NC_LV0])
    st = t.streams
    for i, p in enumerate(sc.producers):
        levels = p.priority_levels
        if p.schedule is not None:
            pc[i, L.PC_GAP] = st.add_source(ThinnedGaps(p.schedule, seed, i))
        elif p.trace is not None:
            pc[i, L.PC_GAP] = st.add_source(TraceColumn(trace_gaps(p.trace.times)))
            if p.trace.priorities is not None:
                pc[i, L.PC_TPRIO] = st.add_source(TraceColumn(np.asarray(p.trace.priorities, dtype=float)))
            if p.trace.services is not None:
                pc[i, L.PC_TSVC] = st.add_source(TraceColumn(np.asarray(p.trace.services, dtype=float)))
        else:
            pc[i, L.PC_GAP] = st.add(p.interarrival, make_rng(seed, ARRIVAL, i))
        if isinstance(p.priority, Discrete):
            lut = np.zeros(256)
            for kk, lv in enumerate(levels):  # as the producer's pos_of: the last position of a level wins
                lut[lv] = kk
            pc[i, L.PC_PRIO] = st.add(p.priority, make_rng(seed, PRIORITY, i), lut)
        if isinstance(p.batch, Discrete):
            pc[i, L.PC_BATCH_S] = st.add(p.batch, make_rng(seed, BATCH, i))
            pc[i, L.PC_BATCH], pc[i, L.PC_BMAX] = 1, max(p.batch.values)
        else:
            pc[i, L.PC_BATCH], pc[i, L.PC_BMAX] = p.batch, p.batch
        for kk, lv in enumerate(levels):
            s = st.add(sc.service_for(i, lv), make_rng(seed, SERVICE, i, kk))
            if kk == 0:
                pc[i, L.PC_SVC0] = s
        pc[i, L.PC_NCLS] = len(levels)
        pc[i, L.PC_PERSIST] = p.persistent
        if p.ttl is not None:
            prod_ttl[i] = p.ttl
        for pr in range(256):  # a replayed priority: its first position among the levels, else class 0
            eff = q0.effective_priority(pr)
            trace_lut[i, pr] = (levels.index(pr) if pr in levels else 0, eff, lv0 + t.level_of[0].get(eff, 0))
    t.arrays.update(prod_cfg=pc, prod_ttl=prod_ttl, trace_lut=trace_lut)


def _consumer_tables(sc: Scenario, t: Tables, seed: int) -> None:
    rows = []
    st = t.streams
    for k, (_, cons) in enumerate(t.nodes):
        f = cons.failure
        for j in range(cons.count):
            out = st.add_uniform(make_rng(seed, CONSUMER, k, j)) if cons.has_outcomes else -1
            up = st.add(f.time_to_failure, make_rng(seed, FAILURE, k, j, 0)) if f is not None else -1
            down = st.add(f.repair, make_rng(seed, FAILURE, k, j, 1)) if f is not None else -1
            rows.append((k, j, out, up, down))
    t.arrays["cons_cfg"] = np.array(rows, dtype=np.int64).reshape(len(rows), L.N_CC)
    t.arrays["oprob"] = _outcome_probs(sc, t)


def _outcome_probs(sc: Scenario, t: Tables) -> np.ndarray:
    """(nack, reject) probabilities by queue, producer and recorded priority (NaN where the
    model refuses the pair: the kernel stops and the driver raises the model's error)."""
    if not any(c.has_outcomes for _, c in t.nodes):
        return np.zeros((1, 1, 1, 2))
    out = np.zeros((t.n_nodes, t.P, 256, 2))
    for k, (q, cons) in enumerate(t.nodes):
        if not cons.has_outcomes:
            continue
        for i, p in enumerate(sc.producers):
            prios = {q.effective_priority(lv) for lv in p.priority_levels}
            if k == 0 and p.trace is not None and p.trace.priorities is not None:
                prios |= {q.effective_priority(pr) for pr in p.trace.priorities}
            for pr in prios:
                try:
                    out[k, i, pr] = cons.outcome_probs(p.name, pr)
                except ValueError:
                    out[k, i, pr] = math.nan
    return out


def _restart_tables(sc: Scenario, t: Tables, seed: int) -> None:
    """The broker's fixed restart times and its up-time and downtime streams (-1: none)."""
    r = sc.restarts
    up = down = -1
    if r is not None:
        if r.every is not None:
            up = t.streams.add(r.every, make_rng(seed, RESTART, 0))
        down = t.streams.add(r.downtime_dist, make_rng(seed, RESTART, 1))
    t.arrays["rtimes"] = np.array(r.times if r is not None else (), dtype=float)
    t.arrays["restart_streams"] = np.array([up, down], dtype=np.int64)


def build_tables(sc: Scenario, seed: int) -> Tables:
    """The static tables and the streams of ``scenario`` run with ``seed``."""
    t = Tables(sc)
    lv0 = _levels(sc, t)
    _node_tables(sc, t, seed, lv0)
    _class_tables(sc, t, seed)
    _producer_tables(sc, t, seed)
    _consumer_tables(sc, t, seed)
    _restart_tables(sc, t, seed)
    st = t.streams
    st.allocate()
    for i in range(t.P):  # drawn when the processes start, before the kernel checks anything
        st.fill(int(t.arrays["prod_cfg"][i, L.PC_GAP]))
    for s in [*t.arrays["cons_cfg"][:, L.CC_UP_S], t.arrays["restart_streams"][0]]:
        if s >= 0:
            st.fill(int(s))
    return t


def initial_state(t: Tables, *, cap: int, trace: bool) -> Any:
    """A run at t = 0 (nothing started) with room for ``cap`` messages."""
    a, N = t.arrays, t.n_nodes
    nc, C = a["node_cfg"], len(a["cons_cfg"])
    counts = nc[:, L.NC_COUNT]
    has_ttl = bool(np.isfinite(a["node_ttl"]).any() or np.isfinite(a["prod_ttl"]).any())
    ist = np.zeros(L.N_IST, dtype=np.int64)
    ist[L.I_TRACE] = int(trace)
    ist[L.I_RUP_S], ist[L.I_RDOWN_S] = a["restart_streams"]
    ist[L.I_RPHASE] = L.R_NONE
    ist[L.I_DLCYC] = int(a["dl_cyclic"][0])
    nst = np.zeros((N, L.N_NS), dtype=np.int64)
    nst[:, L.NS_AVN] = counts
    avq = np.zeros((N, int(counts.max())), dtype=np.int64)
    for k in range(N):
        avq[k, :counts[k]] = np.arange(counts[k])
    cst = np.zeros((C, L.N_CS), dtype=np.int64)
    cst[:, [L.CS_LIVE, L.CS_CUR, L.CS_BHEAD, L.CS_BTAIL]] = -1
    cst[:, L.CS_PHASE] = L.PH_IDLE
    hcap = t.P + 2 * C + N + 64
    trcap = 3 * cap + 64 + N if trace else 1
    tr_t, tr_i = np.zeros(trcap), np.zeros((L.N_T, trcap), dtype=np.int32)
    if trace:  # the records' first steps: every queue empty at t = 0
        tr_i[L.T_NODE, :N] = np.arange(N)
        ist[L.I_NTR] = N
    ttl_cap = 256 if has_ttl else 0
    st = t.streams
    return L.State(
        node_cfg=nc, node_ttl=a["node_ttl"], node_ovh=a["node_ovh"], route_dst=a["route_dst"], route_p=a["route_p"],
        prod_cfg=a["prod_cfg"], prod_ttl=a["prod_ttl"], cls_tab=a["cls_tab"], trace_lut=a["trace_lut"],
        oprob=a["oprob"], cons_cfg=a["cons_cfg"], tgt_ptr=a["tgt_ptr"], tgt_idx=a["tgt_idx"], rtimes=a["rtimes"],
        ist=ist, nst=nst, rst=np.full(1, math.inf), avq=avq, cst=cst, cend=np.full(C, -math.inf),
        lists=np.full((int(a["n_levels"][0]), 2), -1, dtype=np.int64),
        ht=np.empty(hcap), hk=np.empty(hcap, dtype=np.int64), hn=np.empty(hcap, dtype=np.int64),
        tdl=np.empty((N, ttl_cap)), tmid=np.empty((N, ttl_cap), dtype=np.int64),
        tmt=np.empty((N, ttl_cap // 4)),
        mf=np.empty((L.N_F, cap)), mi=np.empty((L.N_M, cap), dtype=np.int32), ml=np.empty((L.N_L, cap), dtype=np.int64),
        tr_t=tr_t, tr_i=tr_i, at_t=np.empty((2, 64)), at_m=np.empty(64, dtype=np.int64),
        sbuf=st.buf, spos=st.pos, slen=st.len,
        scratch=np.zeros(64, dtype=np.int64))
