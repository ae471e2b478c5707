"""Kafka-style topics: P partitions, keyed producers, one consumer group.

Semantics (reference §3.8): a record's key picks its partition (key ``k`` hashes to
partition ``k mod P``; keys are ranked by popularity and drawn from a Zipf law with exponent
``key_skew``, 0 = uniform); each partition is a FIFO log owned by exactly one consumer of the
group, so parallelism is min(consumers, partitions) and there is no pooling across
partitions. A consumer owning several partitions processes one record at a time, always the
oldest head among its partitions, so order *within* a partition is kept. Assignment is
``range`` or ``round-robin``. When a consumer joins or leaves, the whole group pauses for
``rebalance`` seconds (eager rebalance; a record being processed is finished first) and
partitions are reassigned over the members.

Records reuse :class:`mqsim.Result`: queue ``"topic"``, ready = lag (records not yet
polled), plus a ``partition`` column.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import simpy

from .dist import Discrete, Distribution, Exponential, from_spec
from .engine import check_run_window
from .records import Records
from .scenario import Producer, Queue, _check_int
from .streams import ARRIVAL, BLOCK, SERVICE, Stream, make_rng, resolve_seed

__all__ = ["Topic", "ConsumerGroup", "KafkaScenario", "simulate_kafka", "KEY"]

KEY = 10  # stream key (10, i): record keys of producer i
ASSIGNMENTS = ("range", "round-robin")


@dataclass(frozen=True)
class Topic:
    """partitions: P >= 1; keys: number of distinct keys (>= 1); key_skew: Zipf exponent s >= 0
    of key popularity (0 = uniform keys)."""

    partitions: int = 1
    keys: int = 1024
    key_skew: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "partitions", _check_int("topic.partitions", self.partitions, 1, 100_000))
        object.__setattr__(self, "keys", _check_int("topic.keys", self.keys, 1, 10_000_000))
        s = self.key_skew
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s < 0:
            raise ValueError(f"topic.key_skew: must be a finite number >= 0 (Zipf exponent), got {s!r}")

    def partition_shares(self) -> np.ndarray:
        """Long-run fraction of records each partition receives."""
        w = 1.0 / np.arange(1, self.keys + 1) ** self.key_skew
        w /= w.sum()
        return np.bincount(np.arange(self.keys) % self.partitions, weights=w, minlength=self.partitions)


@dataclass(frozen=True)
class ConsumerGroup:
    """count: members at t = 0 (>= 1); service: processing time per record (s); assignment:
    ``range`` or ``round-robin``; rebalance: group pause (s) at each membership change;
    changes: ``[(time s, "join" | "leave"), ...]`` membership changes."""

    count: int = 1
    service: Distribution = field(default_factory=lambda: Exponential(mean=1.0))
    assignment: str = "range"
    rebalance: float = 0.0
    changes: Sequence[tuple[float, str]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", _check_int("group.count", self.count, 1, 100_000))
        object.__setattr__(self, "service", from_spec(self.service, "group.service"))
        if self.assignment not in ASSIGNMENTS:
            raise ValueError(f"group.assignment: must be one of {', '.join(ASSIGNMENTS)}; got {self.assignment!r}")
        r = self.rebalance
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r < 0:
            raise ValueError(f"group.rebalance: must be a finite number of seconds >= 0, got {r!r}")
        ch = []
        members = self.count
        for n, item in enumerate(self.changes):
            try:
                t, what = item
                t = float(t)
            except (TypeError, ValueError):
                raise ValueError(f"group.changes[{n}]: expected (time, 'join'|'leave'), got {item!r}") from None
            if what not in ("join", "leave") or not math.isfinite(t) or t < 0:
                raise ValueError(f"group.changes[{n}]: expected (time >= 0, 'join'|'leave'), got {item!r}")
            members += 1 if what == "join" else -1
            if members < 1:
                raise ValueError(f"group.changes[{n}]: the group would have no members left")
            ch.append((t, what))
        object.__setattr__(self, "changes", tuple(sorted(ch, key=lambda x: x[0])))

    @property
    def capacity(self) -> int:
        """Most members the group ever has (consumers to create)."""
        return self.count + sum(1 for _, w in self.changes if w == "join")


@dataclass(frozen=True)
class KafkaScenario:
    """Producers -> one topic -> one consumer group (Poisson or renewal producers)."""

    producers: Sequence[Producer]
    topic: Topic = field(default_factory=Topic)
    group: ConsumerGroup = field(default_factory=ConsumerGroup)
    name: str = ""

    def __post_init__(self) -> None:
        prods = tuple(self.producers)
        if not prods or not all(isinstance(p, Producer) for p in prods):
            raise ValueError("producers: a KafkaScenario needs at least one mqsim.Producer")
        for p in prods:
            if not p.renewal or isinstance(p.priority, Discrete):
                raise ValueError(f"producers[{p.name!r}]: Kafka producers must be renewal (rate or interarrival), "
                                 "one record per publish, no priority mix")
        object.__setattr__(self, "producers", prods)

    # the interface mqsim.Result and metrics use
    node_names = ("topic",)
    stages = ()
    queue = Queue()

    def node(self, k: int) -> tuple[Queue, Any]:
        return self.queue, self.group

    @property
    def consumers(self) -> ConsumerGroup:
        return self.group

    @property
    def arrival_rate(self) -> float:
        return float(sum(p.arrival_rate for p in self.producers))


def assign(partitions: int, members: list[int], strategy: str) -> dict[int, list[int]]:
    """Partitions of each member (member ids in join order)."""
    from .theory.kafka import kafka_assignment

    parts = kafka_assignment(partitions, len(members), strategy)
    return {m: ps for m, ps in zip(members, parts)}


def simulate_kafka(ks: KafkaScenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
                   trace: bool = True):
    """Run a :class:`KafkaScenario`; returns a :class:`mqsim.Result` (see the module doc)."""
    from .result import Result

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
