"""The Kafka loop: one consumer group on a partitioned topic (SimPy).

Semantics are those of :mod:`mqsim.model.kafka`: a record's key picks its partition, each
partition is a FIFO log owned by one member of the group, a member serves the oldest head
among its partitions, and a membership change pauses the whole group for ``rebalance``
seconds while partitions are reassigned. Records reuse :class:`mqsim.Result`: queue
``"topic"``, ready = lag (records not yet polled), plus a ``partition`` column.

Processes start in this order: producers ``0..P-1``, members ``0..capacity-1``, then the
membership process (if the group changes).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from typing import Any, Generator

import numpy as np
import simpy

from mqsim.model.dist import Discrete
from mqsim.model.kafka import KEY, KafkaScenario, assign
from mqsim.sim.records import Records
from mqsim.sim.result import Result
from mqsim.sim.streams import ARRIVAL, SERVICE, Stream, make_rng

__all__ = ["run", "TopicLog"]


def run(ks: KafkaScenario, horizon: float, warmup: float, seed: int, *, trace: bool = True,
        records: str = "full", handlers: Any = None) -> Result:
    """Run a :class:`KafkaScenario` (arguments validated by :func:`mqsim.simulate`); returns a
    :class:`mqsim.Result` with engine ``"simpy-kafka"``."""
    if handlers and any(handlers.values() if isinstance(handlers, dict) else [handlers]):
        raise ValueError("handlers: event hooks are not supported for Kafka scenarios")
    if records != "full":
        raise ValueError("records='summary' is not supported for Kafka scenarios; use records='full'")
    env = simpy.Environment()
    # a KafkaScenario has the node interface Records and Result read (node_names, stages, node)
    log = TopicLog(env, ks, seed, Records(ks, horizon, trace=bool(trace)))  # type: ignore[arg-type]
    for i in range(len(ks.producers)):
        env.process(log.producer(i))
    for m in log.members:
        env.process(log.consumer(m))
    if ks.group.changes:
        env.process(log.membership())
    env.run(until=horizon)
    rec = log.finish()
    return Result(ks, rec, horizon=horizon, warmup=warmup, seed=seed, engine="simpy-kafka")  # type: ignore[arg-type]


class _Member:
    __slots__ = ("idx", "parts", "idle", "wake", "active", "acked")

    def __init__(self, idx: int):
        self.idx = idx
        self.parts: list[int] = []
        self.idle = False
        self.wake: simpy.Event | None = None
        self.active = False
        self.acked = 0


class TopicLog:
    """The partition logs of a topic, the group's members, and the records they write."""

    def __init__(self, env: simpy.Environment, ks: KafkaScenario, seed: int, rec: Records):
        self.env, self.ks, self.seed, self.rec = env, ks, seed, rec
        self.P = ks.topic.partitions
        self.logs: list[deque[int]] = [deque() for _ in range(self.P)]
        self.partition = rec.extra["partition"] = array("q")
        self.members = [_Member(j) for j in range(ks.group.capacity)]
        self.order: list[int] = list(range(ks.group.count))  # active members in join order
        for j in self.order:
            self.members[j].active = True
        self.owner = [-1] * self.P
        self.pause_end = 0.0
        self.state = rec.node_state(0)
        self.reassign()

    def snapshot(self) -> None:
        if self.rec.trace:
            self.rec.snapshot(self.env._now, 0)

    def reassign(self) -> None:
        """Give the partitions to the active members (range or round-robin)."""
        for m in self.members:
            m.parts = []
        self.owner = [-1] * self.P
        for j, ps in assign(self.P, self.order, self.ks.group.assignment).items():
            self.members[j].parts = ps
            for p in ps:
                self.owner[p] = j

    def wake(self, j: int) -> None:
        m = self.members[j]
        if m.idle:
            m.idle = False
            m.wake.succeed()  # type: ignore[union-attr]  # an idle member waits on its wake event

    def _key_stream(self, i: int) -> Any:
        t = self.ks.topic
        if t.key_skew > 0:
            w = 1.0 / np.arange(1, t.keys + 1) ** t.key_skew
            return Stream(Discrete(tuple(range(t.keys)), tuple(w / w.sum())).sample, make_rng(self.seed, KEY, i)).next
        return Stream(lambda rng, n: rng.integers(0, t.keys, n).astype(float), make_rng(self.seed, KEY, i)).next

    def producer(self, i: int) -> Generator[simpy.Event, Any, None]:
        """Producer ``i``: append each record to the partition its key hashes to."""
        p, env, rec = self.ks.producers[i], self.env, self.rec
        # Kafka producers are renewal (KafkaScenario checks it), so they have an interarrival law
        gap = Stream(p.interarrival.sample, make_rng(self.seed, ARRIVAL, i)).next  # type: ignore[union-attr]
        svc = Stream((p.service or self.ks.group.service).sample, make_rng(self.seed, SERVICE, i, 0)).next
        key_next = self._key_stream(i)
        while True:
            yield env.timeout(gap())
            mid = len(rec.t_publish)
            if mid >= rec.capacity:
                rec.reserve()
            rec.t_publish.append(env._now)
            rec.producer.append(i)
            rec.priority.append(0)
            rec.service.append(svc())
            part = int(key_next()) % self.P
            self.partition.append(part)
            self.logs[part].append(mid)
            self.state[0] += 1
            if self.owner[part] >= 0 and env._now >= self.pause_end:
                self.wake(self.owner[part])
            self.snapshot()

    def next_record(self, m: _Member) -> int:
        """The partition whose head record is oldest among ``m``'s partitions (-1: none)."""
        best, best_t = -1, math.inf
        for p in m.parts:
            if self.logs[p]:
                t = self.rec.t_publish[self.logs[p][0]]
                if t < best_t:
                    best, best_t = p, t
        return best

    def consumer(self, m: _Member) -> Generator[simpy.Event, Any, None]:
        """Member ``m``: process the oldest head record of its partitions, one at a time."""
        env, rec, st = self.env, self.rec, self.state
        while True:
            p = -1 if not m.active or env._now < self.pause_end else self.next_record(m)
            if p < 0:
                m.idle = True
                m.wake = ev = env.event()
                yield ev
                continue
            mid = self.logs[p].popleft()
            st[0] -= 1
            st[1] += 1
            st[2] += 1
            rec.t_deliver[mid] = rec.t_start[mid] = env._now
            rec.consumer[mid] = m.idx
            self.snapshot()
            yield env.timeout(rec.service[mid])
            rec.t_done[mid] = env._now
            m.acked += 1
            st[1] -= 1
            st[2] -= 1
            self.snapshot()

    def membership(self) -> Generator[simpy.Event, Any, None]:
        """Members join and leave at the scheduled times; each change pauses the group."""
        env, g = self.env, self.ks.group
        joined = g.count
        for t, what in g.changes:
            yield env.timeout(max(t - env._now, 0.0))
            if what == "join":
                self.members[joined].active = True
                self.order.append(joined)
                joined += 1
            else:
                self.members[self.order.pop()].active = False
            self.pause_end = env._now + g.rebalance
            self.reassign()
            if g.rebalance > 0:
                yield env.timeout(g.rebalance)
            for j in self.order:
                self.wake(j)

    def finish(self) -> Records:
        """Trim the records, set the final counters and check that every record is accounted for."""
        rec = self.rec
        rec.trim()
        rec.n_acked = sum(m.acked for m in self.members)
        rec.final_ready, rec.final_inflight = self.state[0], self.state[1]
        rec.check_conservation()
        return rec
