"""Kafka-style topics: P partitions, keyed producers, one consumer group.

Semantics (Apache Kafka documentation, "Consumers" and "Consumer Position"): a record's key
picks its partition (key ``k`` hashes to partition ``k mod P``; keys are ranked by popularity
and drawn from a Zipf law with exponent ``key_skew``, 0 = uniform); each partition is a FIFO log
owned by exactly one consumer of the group, so parallelism is min(consumers, partitions) and
there is no pooling across partitions. A consumer owning several partitions processes one record
at a time, always the oldest head among its partitions, so order *within* a partition is kept.
Assignment is ``range`` or ``round-robin``. When a consumer joins or leaves, the whole group
pauses for ``rebalance`` seconds (eager rebalance; a record being processed is finished first)
and partitions are reassigned over the members.

The scenario is pure data; :mod:`mqsim.sim.kafka` runs it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from mqsim.model import validate
from mqsim.model.broker import Queue
from mqsim.model.dist import Discrete, Distribution, Exponential, from_spec
from mqsim.model.paths import set_path
from mqsim.model.producer import Producer
from mqsim.model.scenario import producers_from_data

__all__ = ["Topic", "ConsumerGroup", "KafkaScenario", "assign", "partition_assignment", "KEY"]

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
        object.__setattr__(self, "partitions", validate.integer("topic.partitions", self.partitions, 1, 100_000))
        object.__setattr__(self, "keys", validate.integer("topic.keys", self.keys, 1, 10_000_000))
        object.__setattr__(self, "key_skew", validate.number("topic.key_skew", self.key_skew, lo=0.0, hi=1000.0,
                                                             unit="Zipf exponent"))

    def partition_shares(self) -> np.ndarray:
        """Long-run fraction of records each partition receives."""
        w = 1.0 / np.arange(1, self.keys + 1) ** self.key_skew
        w /= w.sum()
        return np.bincount(np.arange(self.keys) % self.partitions, weights=w, minlength=self.partitions)

    def to_dict(self) -> dict[str, Any]:
        return {"partitions": self.partitions, "keys": self.keys, "key_skew": self.key_skew}


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
        object.__setattr__(self, "count", validate.integer("group.count", self.count, 1, 100_000))
        object.__setattr__(self, "service", from_spec(self.service, "group.service"))
        validate.choice("group.assignment", self.assignment, ASSIGNMENTS)
        object.__setattr__(self, "rebalance", validate.nonneg("group.rebalance", self.rebalance, "seconds"))
        ch = []
        members = self.count
        changes = validate.sequence("group.changes", self.changes, what="a list of [time, join|leave]",
                                    max_len=100_000)
        for n, item in enumerate(changes):
            if isinstance(item, (str, bytes, Mapping)) or not isinstance(item, Sequence) or len(item) != 2:
                raise ValueError(f"group.changes[{n}]: expected [time (s), 'join' or 'leave'], got "
                                 f"{validate.show(item)}")
            t = validate.nonneg(f"group.changes[{n}][0]", item[0], "seconds")
            what = validate.choice(f"group.changes[{n}][1]", item[1], ("join", "leave"))
            members += 1 if what == "join" else -1
            if members < 1:
                raise ValueError(f"group.changes[{n}]: the group would have no members left")
            ch.append((t, what))
        object.__setattr__(self, "changes", tuple(sorted(ch, key=lambda x: x[0])))

    @property
    def capacity(self) -> int:
        """Most members the group ever has (consumers to create)."""
        return self.count + sum(1 for _, w in self.changes if w == "join")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"count": self.count, "service": self.service.to_dict(), "assignment": self.assignment}
        if self.rebalance:
            d["rebalance"] = self.rebalance
        if self.changes:
            d["changes"] = [list(c) for c in self.changes]
        return d


@dataclass(frozen=True)
class KafkaScenario:
    """Producers -> one topic -> one consumer group (Poisson or renewal producers)."""

    family: ClassVar[str] = "kafka"

    producers: Sequence[Producer]
    topic: Topic = field(default_factory=Topic)
    group: ConsumerGroup = field(default_factory=ConsumerGroup)
    name: str = ""

    def __post_init__(self) -> None:
        prods = tuple(validate.sequence("producers", [self.producers] if isinstance(self.producers, Producer)
                                        else self.producers, what="a list of mqsim.Producer", max_len=10_000))
        if not prods or not all(isinstance(p, Producer) for p in prods):
            raise ValueError("producers: a KafkaScenario needs at least one mqsim.Producer")
        names = [p.name for p in prods]
        if len(set(names)) != len(names):
            raise ValueError(f"producers.name: names must be unique, got {names}")
        if not isinstance(self.topic, Topic):
            raise ValueError(f"topic: must be a mqsim.Topic, got {type(self.topic).__name__}")
        if not isinstance(self.group, ConsumerGroup):
            raise ValueError(f"group: must be a mqsim.ConsumerGroup, got {type(self.group).__name__}")
        object.__setattr__(self, "name", validate.name("name", self.name, empty=True))
        for i, p in enumerate(prods):
            if not p.renewal or isinstance(p.priority, Discrete):
                raise ValueError(f"producers[{i}]: Kafka producers must be renewal (rate or interarrival), "
                                 "one record per publish, no priority mix")
            if p.priority != 0 or p.ttl is not None:
                raise ValueError(f"producers[{i}].{'ttl' if p.ttl is not None else 'priority'}: a Kafka topic has "
                                 "no message priorities and no TTL; leave it out")
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



    @property
    def offered_load(self) -> float:
        """Offered load a = lam * E[S] in Erlangs."""
        return self.arrival_rate * self.group.service.mean

    @property
    def utilisation(self) -> float:
        """rho = lam * E[S] / (members at t = 0); pooling is partial, so this is a lower bound on the load
        of the busiest member."""
        return self.offered_load / self.group.count

    FIELDS = ("producers", "topic", "group", "name")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"producers": [p.to_dict() for p in self.producers], "topic": self.topic.to_dict(),
                             "group": self.group.to_dict()}
        if self.name:
            d["name"] = self.name
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "KafkaScenario":
        """A Kafka scenario from plain data: ``{producers, topic, group, name}``."""
        data = validate.keys("scenario", data, cls.FIELDS)
        t, g = data.get("topic"), data.get("group")
        topic = Topic(**dict(validate.keys("topic", {} if t is None else t, ("partitions", "keys", "key_skew"))))
        g = dict(validate.keys("group", {} if g is None else g,
                               ("count", "service", "assignment", "rebalance", "changes")))
        if "service" in g:
            g["service"] = from_spec(g["service"], "group.service")
        if g.get("changes") is None:
            g.pop("changes", None)
        return cls(producers=producers_from_data(data.get("producers")), topic=topic, group=ConsumerGroup(**g),
                   name=validate.name("name", data.get("name"), empty=True))

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_value(self, path: str, value: Any) -> "KafkaScenario":
        """A copy with the field at dotted ``path`` (e.g. ``"group.count"``) set to ``value``."""
        data = copy.deepcopy(self.to_dict())
        set_path(data, path, value)
        return type(self).from_dict(data)


def partition_assignment(partitions: int, consumers: int, strategy: str = "range") -> list[list[int]]:
    """Partitions owned by each consumer: ``"range"`` (contiguous blocks, the first P mod n
    consumers one extra) or ``"round-robin"`` (partition p to consumer p mod n)."""
    P = validate.integer("kafka_assignment.partitions", partitions, 1, 100_000)
    n = validate.integer("kafka_assignment.consumers", consumers, 1, 100_000)
    validate.choice("kafka_assignment.strategy", strategy, ASSIGNMENTS)
    if strategy == "round-robin":
        return [list(range(j, P, n)) for j in range(n)]
    base, extra = divmod(P, n)
    out, start = [], 0
    for j in range(n):
        size = base + (1 if j < extra else 0)
        out.append(list(range(start, start + size)))
        start += size
    return out


def assign(partitions: int, members: list[int], strategy: str) -> dict[int, list[int]]:
    """Partitions of each member (member ids in join order)."""
    parts = partition_assignment(partitions, len(members), strategy)
    return {m: ps for m, ps in zip(members, parts)}



