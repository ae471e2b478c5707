"""The Kafka loop: one consumer group on a partitioned topic (SimPy).

Semantics are those of :mod:`mqsim.model.kafka`: a record's key picks its partition, each
partition is a FIFO log owned by one member of the group, a member serves the oldest head
among its partitions, and a membership change pauses the whole group for ``rebalance``
seconds while partitions are reassigned. Records reuse :class:`mqsim.Result`: queue
``"topic"``, ready = lag (records not yet polled), plus a ``partition`` column.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy

from mqsim.model.dist import Discrete
from mqsim.model.kafka import KEY, KafkaScenario, assign
from mqsim.model.validate import check_run_window
from mqsim.sim.records import Records
from mqsim.sim.streams import ARRIVAL, BLOCK, SERVICE, Stream, make_rng, resolve_seed

__all__ = ["simulate_kafka"]


def simulate_kafka(ks: KafkaScenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
                   trace: bool = True):
    """Run a :class:`KafkaScenario`; returns a :class:`mqsim.Result` (see the module doc)."""
    from mqsim.sim.result import Result

    if not isinstance(ks, KafkaScenario):
        raise ValueError(f"scenario: must be a mqsim.kafka.KafkaScenario, got {type(ks).__name__}")
    horizon, warmup = check_run_window(horizon, warmup)
    seed = resolve_seed(seed)
    rec = _run(ks, seed, horizon, trace)
    return Result(ks, rec, horizon=horizon, warmup=warmup, seed=seed, engine="simpy-kafka")  # type: ignore[arg-type]


class _Member:
    __slots__ = ("idx", "parts", "idle", "wake", "active", "acked", "busy")

    def __init__(self, idx: int):
        self.idx = idx
        self.parts: list[int] = []
        self.idle = False
        self.wake: simpy.Event | None = None
        self.active = False
        self.acked = 0
        self.busy = False


def _run(ks: KafkaScenario, seed: int, horizon: float, trace: bool) -> Records:  # noqa: C901
    env = simpy.Environment()
    rec = Records(ks, horizon, trace=trace)  # type: ignore[arg-type]
    P = ks.topic.partitions
    g = ks.group
    logs: list[deque[int]] = [deque() for _ in range(P)]
    part_col: list[int] = []
    rec.extra["partition"] = part_col
    members = [_Member(j) for j in range(g.capacity)]
    order: list[int] = list(range(g.count))  # active members in join order
    for j in order:
        members[j].active = True
    owner = [-1] * P
    pause_end = [0.0]
    st = rec.node_state(0)
    snap = rec.snapshot if trace else None
    m_pub, m_prod, m_prio, m_svc = rec.t_publish, rec.producer, rec.priority, rec.service
    m_del, m_start, m_done, m_cons = rec.t_deliver, rec.t_start, rec.t_done, rec.consumer
    cap = [0]

    def grow() -> None:
        for col, fill in ((m_del, math.nan), (m_start, math.nan), (m_done, math.nan), (m_cons, -1),
                          (rec.cause, 0)):
            col.extend([fill] * BLOCK)
        cap[0] += BLOCK

    def reassign() -> None:
        for m in members:
            m.parts = []
        for p in range(P):
            owner[p] = -1
        for j, ps in assign(P, order, g.assignment).items():
            members[j].parts = ps
            for p in ps:
                owner[p] = j

    reassign()

    def wake(j: int) -> None:
        m = members[j]
        if m.idle:
            m.idle = False
            m.wake.succeed()  # type: ignore[union-attr]

    def producer(i: int):
        p = ks.producers[i]
        gap = Stream(p.interarrival.sample, make_rng(seed, ARRIVAL, i)).next  # type: ignore[union-attr]
        svc = Stream(g.service.sample if p.service is None else p.service.sample, make_rng(seed, SERVICE, i, 0)).next
        w = 1.0 / np.arange(1, ks.topic.keys + 1) ** ks.topic.key_skew
        keys = Discrete(tuple(range(ks.topic.keys)), tuple(w / w.sum())) if ks.topic.key_skew > 0 else None
        key_next = Stream(keys.sample if keys is not None else
                          (lambda rng, n: rng.integers(0, ks.topic.keys, n).astype(float)),
                          make_rng(seed, KEY, i)).next
        while True:
            yield env.timeout(gap())
            mid = len(m_pub)
            if mid >= cap[0]:
                grow()
            m_pub.append(env._now)
            m_prod.append(i)
            m_prio.append(0)
            m_svc.append(svc())
            part = int(key_next()) % P
            part_col.append(part)
            logs[part].append(mid)
            st[0] += 1
            if owner[part] >= 0 and env._now >= pause_end[0]:
                wake(owner[part])
            if snap is not None:
                snap(env._now, 0)

    def next_record(m: _Member) -> int:
        best, best_t = -1, math.inf
        for p in m.parts:
            if logs[p]:
                t = m_pub[logs[p][0]]
                if t < best_t:
                    best, best_t = p, t
        return best

    def consumer(m: _Member):
        while True:
            if not m.active or env._now < pause_end[0]:
                p = -1
            else:
                p = next_record(m)
            if p < 0:
                m.idle = True
                m.wake = ev = env.event()
                yield ev
                continue
            mid = logs[p].popleft()
            st[0] -= 1
            st[1] += 1
            st[2] += 1
            m.busy = True
            m_del[mid] = m_start[mid] = env._now
            m_cons[mid] = m.idx
            if snap is not None:
                snap(env._now, 0)
            yield env.timeout(m_svc[mid])
            m_done[mid] = env._now
            m.acked += 1
            m.busy = False
            st[1] -= 1
            st[2] -= 1
            if snap is not None:
                snap(env._now, 0)

    def membership():
        joined = g.count
        for t, what in g.changes:
            yield env.timeout(max(t - env._now, 0.0))
            if what == "join":
                members[joined].active = True
                order.append(joined)
                joined += 1
            else:
                j = order.pop()
                members[j].active = False
            pause_end[0] = env._now + g.rebalance
            reassign()
            if g.rebalance > 0:
                yield env.timeout(g.rebalance)
            for j in order:
                wake(j)

    for i in range(len(ks.producers)):
        env.process(producer(i))
    for m in members:
        env.process(consumer(m))
    if g.changes:
        env.process(membership())
    env.run(until=horizon)
    rec.trim()
    del part_col[len(m_pub):]
    rec.n_acked = sum(m.acked for m in members)
    rec.final_ready = st[0]
    rec.final_inflight = st[1]
    rec.check_conservation()
    return rec
