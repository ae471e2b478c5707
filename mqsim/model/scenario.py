"""Scenario model: pure, validated data describing producers, one broker queue and its consumers.

Units: seconds for durations, messages per second for rates. A scenario never changes once
built (frozen dataclasses); build a new one with :func:`dataclasses.replace` or
:meth:`Scenario.with_value` to vary a field.

Semantics follow RabbitMQ (see ``shared/DESIGN.md``):

* priority is an integer, higher is delivered first; a queue's ``max_priority`` clips larger
  values as ``x-max-priority`` does; a queue without ``max_priority`` is a plain FIFO that
  ignores message priorities (as a RabbitMQ queue declared without ``x-max-priority`` does);
* ``max_length`` counts *ready* messages only (``x-max-length``); overflow is ``drop-head``
  (RabbitMQ's default: the head ready message is dropped) or ``reject-publish`` (the new
  message is refused);
* consumers share the queue with a ``prefetch`` window (unacked limit; 0 means unlimited).
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from mqsim.model import dist as _dist
from mqsim.model import validate
from mqsim.model.dist import Discrete, Distribution, Exponential

__all__ = ["Producer", "Queue", "Consumers", "Failure", "Stage", "Scenario", "OVERFLOW_POLICIES", "MAIN"]

OVERFLOW_POLICIES = ("drop-head", "reject-publish", "reject-publish-dlx")
MAX_AMQP_PRIORITY = 255
MAIN = "main"  # the name of a scenario's own queue in routes, records and summaries


def _batch_spec(name: str, value: Any) -> int | Discrete:
    if isinstance(value, Discrete):
        for v in value.values:
            validate.integer(f"{name} size", v, 1)
        return value
    if isinstance(value, Mapping):
        for k in value:
            validate.integer(f"{name} size", k, 1)
        try:
            return Discrete.from_mapping({int(k): float(v) for k, v in value.items()})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from None
    return validate.integer(name, value, 1)


def _prob_map(name: str, value: Any) -> float | dict[str | int, float]:
    """A probability, or ``{producer name or priority: probability}``."""
    if isinstance(value, Mapping):
        out: dict[str | int, float] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise ValueError(f"{name}: keys must be producer names or priorities, got {k!r}")
            out[k] = validate.probability(f"{name}[{k!r}]", v)
        return out
    return validate.probability(name, value)


def _priority_spec(name: str, value: Any) -> int | Discrete:
    """A fixed priority (int in [0, 255]) or a distribution over priorities."""
    if isinstance(value, Discrete):
        for v in value.values:
            validate.integer(f"{name} value", v, 0, MAX_AMQP_PRIORITY)
        return value
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{name}: a priority mix must name at least one level")
        for k in value:
            validate.integer(f"{name} level", k, 0, MAX_AMQP_PRIORITY)
        try:
            return Discrete.from_mapping({int(k): float(v) for k, v in value.items()})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}".replace("priority: ", "")) from None
    return validate.integer(name, value, 0, MAX_AMQP_PRIORITY)


@dataclass(frozen=True)
class Producer:
    """A source of messages.

    Parameters
    ----------
    name: label used in records and summaries (unique within a scenario).
    rate: Poisson publish rate in messages/s (exponential inter-arrivals); or
    interarrival: any :mod:`mqsim.dist` distribution of the time between publishes (s); or
    schedule: a time-varying Poisson rate (:class:`mqsim.arrivals.PiecewiseRate` or
        :class:`~mqsim.arrivals.SinusoidRate`, or their dict spec); or
    trace: replay of recorded publish times (:class:`mqsim.arrivals.TraceReplay` or a CSV path).
    priority: a fixed integer in [0, 255] (default 0) or a mix ``{level: probability}``.
    service: optional service-time distribution (s) for this producer's messages, overriding
        the consumers' default.
    ttl: per-message TTL in seconds (the ``expiration`` property), or None; the lower of this
        and the queue's TTL applies.
    batch: messages published together at each arrival instant: an int >= 1 or a size mix
        ``{size: probability}`` (default 1).
    """

    name: str
    rate: float | None = None
    interarrival: Distribution | None = None
    priority: int | Discrete = 0
    service: Distribution | None = None
    ttl: float | None = None
    batch: int | Discrete = 1
    schedule: Any = None
    trace: Any = None

    def __post_init__(self) -> None:
        from mqsim.model.arrivals import schedule_from_spec, trace_from_spec

        where = f"producer {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"producers.name: must be a non-empty string, got {self.name!r}")
        given = [k for k in ("rate", "interarrival", "schedule", "trace") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"{where}: give exactly one of rate (messages/s, > 0), interarrival (a distribution), "
                             f"schedule (a time-varying rate) or trace (recorded times); got {given or 'none'}")
        if self.schedule is not None:
            object.__setattr__(self, "schedule", schedule_from_spec(self.schedule, f"{where}.schedule"))
        elif self.trace is not None:
            object.__setattr__(self, "trace", trace_from_spec(self.trace, f"{where}.trace"))
        elif self.rate is not None:
            r = self.rate
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r <= 0:
                raise ValueError(f"{where}.rate: must be a finite number > 0 (messages/s), got {r!r}")
            object.__setattr__(self, "rate", float(r))
            object.__setattr__(self, "interarrival", Exponential(mean=1.0 / float(r)))
        else:
            object.__setattr__(self, "interarrival", _dist.from_spec(self.interarrival, f"{where}.interarrival"))
            if self.interarrival.mean <= 0:  # type: ignore[union-attr]
                raise ValueError(f"{where}.interarrival: mean must be > 0")
        object.__setattr__(self, "priority", _priority_spec(f"{where}.priority", self.priority))
        if self.service is not None:
            object.__setattr__(self, "service", _dist.from_spec(self.service, f"{where}.service"))
        if self.ttl is not None:
            object.__setattr__(self, "ttl", validate.nonneg(f"{where}.ttl", self.ttl, "seconds"))
        object.__setattr__(self, "batch", _batch_spec(f"{where}.batch", self.batch))

    @property
    def renewal(self) -> bool:
        """Arrivals are a renewal process (i.i.d. inter-arrival times) published one at a time."""
        return self.interarrival is not None and self.batch == 1

    @property
    def mean_batch(self) -> float:
        return float(self.batch) if isinstance(self.batch, int) else float(self.batch.mean)

    @property
    def arrival_rate(self) -> float:
        """Long-run publish rate in messages/s (arrival instants per second times mean batch)."""
        if self.schedule is not None:
            return self.schedule.mean_rate * self.mean_batch
        if self.trace is not None:
            return self.trace.mean_rate * self.mean_batch
        return self.mean_batch / self.interarrival.mean  # type: ignore[union-attr]

    @property
    def is_poisson(self) -> bool:
        return isinstance(self.interarrival, Exponential) and self.batch == 1

    @property
    def priority_levels(self) -> tuple[int, ...]:
        return self.priority.values if isinstance(self.priority, Discrete) else (self.priority,)

    def priority_probs(self) -> dict[int, float]:
        """{priority: probability} as published (before any clipping by the queue)."""
        if isinstance(self.priority, Discrete):
            out: dict[int, float] = {}
            for v, p in zip(self.priority.values, self.priority.probs):
                out[v] = out.get(v, 0.0) + p
            return out
        return {self.priority: 1.0}

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.rate is not None:
            d["rate"] = self.rate
        elif self.schedule is not None:
            d["schedule"] = self.schedule.to_dict()
        elif self.trace is not None:
            d["trace"] = self.trace.to_dict()
        else:
            d["interarrival"] = self.interarrival.to_dict()  # type: ignore[union-attr]
        d["priority"] = self.priority.to_dict() if isinstance(self.priority, Discrete) else self.priority
        if self.service is not None:
            d["service"] = self.service.to_dict()
        if self.ttl is not None:
            d["ttl"] = self.ttl
        if self.batch != 1:
            d["batch"] = self.batch.to_dict() if isinstance(self.batch, Discrete) else self.batch
        return d


@dataclass(frozen=True)
class Queue:
    """The broker queue.

    max_priority: None (plain FIFO, priorities ignored) or an int in [1, 255]: the number of
        priority levels above 0 (``x-max-priority``); larger message priorities are clipped.
    max_length: None (unbounded) or the limit on *ready* messages (``x-max-length``), >= 0.
    overflow: ``"drop-head"`` (default, as RabbitMQ), ``"reject-publish"`` or
        ``"reject-publish-dlx"`` (refused and dead-lettered).
    ttl: per-queue message TTL in seconds (``x-message-ttl``), None for none. It counts
        *ready* time only: a delivered message never expires.
    delivery_limit: None or the most deliveries a message may have (``x-delivery-limit``
        semantics: a message nacked or crashed on that many times is dead-lettered or dropped).
    dead_letter: None, or the name of the stage (see :class:`Stage`) that receives dead-lettered
        messages (expired, rejected, over the delivery limit, dropped by the length limit).
        Without it they are discarded and counted as expired/dropped.
    """

    max_priority: int | None = None
    max_length: int | None = None
    overflow: str = "drop-head"
    ttl: float | None = None
    delivery_limit: int | None = None
    dead_letter: str | None = None

    def __post_init__(self) -> None:
        if self.ttl is not None:
            object.__setattr__(self, "ttl", validate.nonneg("queue.ttl", self.ttl, "seconds"))
        if self.delivery_limit is not None:
            object.__setattr__(self, "delivery_limit", validate.integer("queue.delivery_limit", self.delivery_limit, 1))
        if self.dead_letter is not None and (not isinstance(self.dead_letter, str) or not self.dead_letter):
            raise ValueError(f"queue.dead_letter: must be the name of a stage, got {self.dead_letter!r}")
        if self.max_priority is not None:
            object.__setattr__(self, "max_priority", validate.integer("queue.max_priority", self.max_priority, 1, MAX_AMQP_PRIORITY))
        if self.max_length is not None:
            object.__setattr__(self, "max_length", validate.integer("queue.max_length", self.max_length, 0))
        if self.overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"queue.overflow: must be one of {', '.join(OVERFLOW_POLICIES)}; got {self.overflow!r}")

    def effective_priority(self, p: int) -> int:
        """Priority a message published with ``p`` gets in this queue (clipped by max_priority)."""
        return min(p, self.max_priority) if self.max_priority is not None else p

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"max_priority": self.max_priority, "max_length": self.max_length,
                             "overflow": self.overflow}
        for k in ("ttl", "delivery_limit", "dead_letter"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d


@dataclass(frozen=True)
class Consumers:
    """Identical competing consumers on the queue.

    count: number of consumers, >= 1.
    service: service-time distribution (s) of one message at one consumer.
    prefetch: unacked-message window per consumer (``basic.qos``), >= 0; 0 means unlimited.
    service_by: optional overrides keyed by producer name (str) or priority (int); a producer's
        own ``service`` wins over both, then a producer-name key, then a priority key.
    nack: probability that processing fails and the message is nacked with requeue (it goes
        back to the head of its priority level, or the tail with ``requeue="tail"``); a number
        or ``{producer name or priority: probability}``.
    reject: probability that processing rejects the message without requeue (dead-lettered,
        or dropped without a dead-letter stage); same forms as ``nack``.
    auto_ack: True models at-most-once delivery (``autoAck``): the broker forgets a message
        when it delivers it, so messages at a consumer that crashes are lost.
    failure: None or :class:`Failure`: consumers crash and are repaired; at a crash the
        consumer's unacked messages return to the queue (or are lost with ``auto_ack``).
    requeue: where a nacked or crash-returned message re-enters: ``"head"`` (RabbitMQ) or
        ``"tail"``.
    """

    count: int = 1
    service: Distribution = field(default_factory=lambda: Exponential(mean=1.0))
    prefetch: int = 1
    service_by: Mapping[str | int, Distribution] = field(default_factory=dict)
    nack: float | Mapping[str | int, float] = 0.0
    reject: float | Mapping[str | int, float] = 0.0
    auto_ack: bool = False
    failure: "Failure | None" = None
    requeue: str = "head"

    def __post_init__(self) -> None:
        object.__setattr__(self, "nack", _prob_map("consumers.nack", self.nack))
        object.__setattr__(self, "reject", _prob_map("consumers.reject", self.reject))
        if not isinstance(self.auto_ack, bool):
            raise ValueError(f"consumers.auto_ack: must be true or false, got {self.auto_ack!r}")
        if self.auto_ack and (self.nack or self.reject):
            raise ValueError("consumers.nack/reject: a consumer with auto_ack=true cannot nack or reject "
                             "(the broker forgot the message at delivery); set them to 0")
        if self.requeue not in ("head", "tail"):
            raise ValueError(f"consumers.requeue: must be 'head' or 'tail', got {self.requeue!r}")
        if self.failure is not None and not isinstance(self.failure, Failure):
            if isinstance(self.failure, Mapping):
                object.__setattr__(self, "failure", Failure(**self.failure))
            else:
                raise ValueError("consumers.failure: expected {time_to_failure: dist, repair: dist}")
        object.__setattr__(self, "count", validate.integer("consumers.count", self.count, 1, 100_000))
        object.__setattr__(self, "service", _dist.from_spec(self.service, "consumers.service"))
        object.__setattr__(self, "prefetch", validate.integer("consumers.prefetch", self.prefetch, 0))
        sb: dict[str | int, Distribution] = {}
        if self.service_by is not None and not isinstance(self.service_by, Mapping):
            raise ValueError("consumers.service_by: expected a mapping {producer name or priority: distribution}")
        for k, v in dict(self.service_by or {}).items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise ValueError(f"consumers.service_by: keys must be producer names or priorities, got {k!r}")
            if isinstance(k, int):
                validate.integer(f"consumers.service_by[{k}]", k, 0, MAX_AMQP_PRIORITY)
            sb[k] = _dist.from_spec(v, f"consumers.service_by[{k!r}]")
        object.__setattr__(self, "service_by", sb)

    @property
    def unlimited_prefetch(self) -> bool:
        return self.prefetch == 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"count": self.count, "service": self.service.to_dict(), "prefetch": self.prefetch}
        if self.service_by:
            d["service_by"] = {k: v.to_dict() for k, v in self.service_by.items()}
        for k in ("nack", "reject"):
            v = getattr(self, k)
            if v:
                d[k] = dict(v) if isinstance(v, Mapping) else v
        if self.auto_ack:
            d["auto_ack"] = True
        if self.failure is not None:
            d["failure"] = self.failure.to_dict()
        if self.requeue != "head":
            d["requeue"] = self.requeue
        return d

    def outcome_probs(self, producer_name: str, priority: int) -> tuple[float, float]:
        """(nack probability, reject probability) for a message of this producer and priority."""
        def pick(v: Any) -> float:
            if not isinstance(v, Mapping):
                return float(v)
            if producer_name in v:
                return v[producer_name]
            return v.get(priority, 0.0)

        n, r = pick(self.nack), pick(self.reject)
        if n + r >= 1:
            raise ValueError(f"consumers.nack + consumers.reject: must be < 1 for producer {producer_name!r}, "
                             f"priority {priority}; got {n} + {r}")
        return n, r

    @property
    def has_outcomes(self) -> bool:
        return bool(self.nack) or bool(self.reject)

    def __hash__(self) -> int:
        def frz(v: Any) -> Any:
            return tuple(sorted(v.items(), key=str)) if isinstance(v, Mapping) else v

        return hash((self.count, self.service, self.prefetch, frz(self.service_by), frz(self.nack), frz(self.reject),
                     self.auto_ack, self.failure, self.requeue))


@dataclass(frozen=True)
class Failure:
    """Consumer crashes: each consumer alternates up-times drawn from ``time_to_failure`` and
    down-times drawn from ``repair`` (both distributions, seconds)."""

    time_to_failure: Distribution
    repair: Distribution

    def __post_init__(self) -> None:
        object.__setattr__(self, "time_to_failure", _dist.from_spec(self.time_to_failure,
                                                                    "consumers.failure.time_to_failure"))
        object.__setattr__(self, "repair", _dist.from_spec(self.repair, "consumers.failure.repair"))
        if self.time_to_failure.mean <= 0:
            raise ValueError("consumers.failure.time_to_failure: mean must be > 0 seconds")

    @property
    def availability(self) -> float:
        """Long-run fraction of time a consumer is up."""
        return self.time_to_failure.mean / (self.time_to_failure.mean + self.repair.mean)

    def to_dict(self) -> dict[str, Any]:
        return {"time_to_failure": self.time_to_failure.to_dict(), "repair": self.repair.to_dict()}


@dataclass(frozen=True)
class Stage:
    """A further queue with its own consumers: a pipeline step or a dead-letter queue.

    name: unique, not ``"main"`` (the scenario's own queue). Messages reach it by
    ``Scenario.routes`` (a consumer of one queue publishes onward) or as dead letters
    (``Queue.dead_letter``). They keep their producer and priority; the stage's consumers'
    ``service``/``service_by`` give their service times.
    """

    name: str
    queue: Queue = field(default_factory=Queue)
    consumers: Consumers = field(default_factory=Consumers)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or self.name == MAIN:
            raise ValueError(f"stages.name: must be a non-empty string other than {MAIN!r}, got {self.name!r}")
        if not isinstance(self.queue, Queue):
            raise ValueError(f"stages[{self.name!r}].queue: must be a mqsim.Queue")
        if not isinstance(self.consumers, Consumers):
            raise ValueError(f"stages[{self.name!r}].consumers: must be a mqsim.Consumers")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "queue": self.queue.to_dict(), "consumers": self.consumers.to_dict()}


@dataclass(frozen=True)
class Scenario:
    """Producers → one queue → consumers. Pure data; see the module docstring for semantics."""

    producers: Sequence[Producer]
    queue: Queue = field(default_factory=Queue)
    consumers: Consumers = field(default_factory=Consumers)
    name: str = ""
    stages: Sequence[Stage] = ()
    routes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        prods = tuple(self.producers) if not isinstance(self.producers, Producer) else (self.producers,)
        if not prods:
            raise ValueError("producers: at least one producer is required")
        for i, p in enumerate(prods):
            if not isinstance(p, Producer):
                raise ValueError(f"producers[{i}]: must be a mqsim.Producer, got {type(p).__name__}")
        names = [p.name for p in prods]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"producers.name: names must be unique, repeated: {sorted(dup)}")
        for k in self.consumers.service_by:
            if isinstance(k, str) and k not in names:
                raise ValueError(f"consumers.service_by[{k!r}]: no producer has that name (producers: {names})")
        if not isinstance(self.queue, Queue):
            raise ValueError("queue: must be a mqsim.Queue")
        if not isinstance(self.consumers, Consumers):
            raise ValueError("consumers: must be a mqsim.Consumers")
        object.__setattr__(self, "producers", prods)
        stages = tuple(self.stages)
        for i, st in enumerate(stages):
            if not isinstance(st, Stage):
                raise ValueError(f"stages[{i}]: must be a mqsim.Stage, got {type(st).__name__}")
        snames = [st.name for st in stages]
        if len(set(snames)) != len(snames):
            raise ValueError(f"stages.name: names must be unique, got {snames}")
        object.__setattr__(self, "stages", stages)
        nodes = [MAIN, *snames]
        routes: dict[str, dict[str, float]] = {}
        if not isinstance(self.routes, Mapping):
            raise ValueError("routes: expected {from queue: {to queue: probability}}")
        for src, dsts in self.routes.items():
            if src not in nodes:
                raise ValueError(f"routes[{src!r}]: no queue of that name (queues: {nodes})")
            if not isinstance(dsts, Mapping):
                raise ValueError(f"routes[{src!r}]: expected {{to queue: probability}}")
            routes[src] = {}
            for dst, pr in dsts.items():
                if dst not in nodes:
                    raise ValueError(f"routes[{src!r}][{dst!r}]: no queue of that name (queues: {nodes})")
                routes[src][dst] = validate.probability(f"routes[{src!r}][{dst!r}]", pr, closed=True)
            if sum(routes[src].values()) > 1 + 1e-12:
                raise ValueError(f"routes[{src!r}]: probabilities must sum to <= 1, got {sum(routes[src].values())}")
        object.__setattr__(self, "routes", routes)
        for nm, q in [(MAIN, self.queue), *[(st.name, st.queue) for st in stages]]:
            where = "queue" if nm == MAIN else f"stages[{nm!r}].queue"
            if q.dead_letter is not None and q.dead_letter not in snames:
                raise ValueError(f"{where}.dead_letter: no stage named {q.dead_letter!r} (stages: {snames})")
            if q.dead_letter == nm:
                raise ValueError(f"{where}.dead_letter: a queue cannot dead-letter to itself")
            cons = self.node(0 if nm == MAIN else snames.index(nm) + 1)[1]
            if cons.has_outcomes:
                for p in prods:
                    for lv in p.priority_levels:
                        cons.outcome_probs(p.name, q.effective_priority(lv))  # raises if nack + reject >= 1
            if q.overflow == "reject-publish-dlx" and q.dead_letter is None:
                raise ValueError(f"{where}.overflow: reject-publish-dlx needs {where}.dead_letter set to a stage")

    # ----- nodes (the main queue and the stages) ---------------------------------------
    @property
    def node_names(self) -> tuple[str, ...]:
        return (MAIN, *(st.name for st in self.stages))

    def node(self, k: int) -> tuple[Queue, Consumers]:
        """(queue, consumers) of node ``k`` (0 = main, then the stages in order)."""
        if k == 0:
            return self.queue, self.consumers
        st = self.stages[k - 1]
        return st.queue, st.consumers

    @property
    def is_basic(self) -> bool:
        """Only the features of the basic model: renewal producers, one queue, no TTL, no
        acknowledgement failures, no crashes (what the queueing formulas and the fast engine cover)."""
        q, c = self.queue, self.consumers
        return (not self.stages and all(p.renewal and p.ttl is None for p in self.producers) and q.ttl is None
                and q.delivery_limit is None and not c.has_outcomes and c.failure is None and not c.auto_ack)

    # ----- derived quantities -------------------------------------------------------------
    @property
    def arrival_rate(self) -> float:
        """Total publish rate λ in messages/s."""
        return float(sum(p.arrival_rate for p in self.producers))

    def service_for(self, producer: Producer | int, priority: int, node: int = 0) -> Distribution:
        """The service-time distribution of a message from ``producer`` published with ``priority``
        at node ``node`` (0 = the main queue; a producer's own ``service`` applies there only)."""
        p = self.producers[producer] if isinstance(producer, int) else producer
        queue, cons = self.node(node)
        if node == 0 and p.service is not None:
            return p.service
        sb = cons.service_by
        if p.name in sb:
            return sb[p.name]
        eff = queue.effective_priority(priority)
        if eff in sb:
            return sb[eff]
        return cons.service

    def class_mix(self) -> list[tuple[int, int, float, Distribution]]:
        """(producer index, effective priority, rate in msg/s, service distribution) per class."""
        out = []
        for i, p in enumerate(self.producers):
            for pr, prob in p.priority_probs().items():
                if prob > 0:
                    out.append((i, self.queue.effective_priority(pr), p.arrival_rate * prob, self.service_for(i, pr)))
        return out

    @property
    def mean_service(self) -> float:
        """Rate-weighted mean service time E[S] in seconds."""
        mix = self.class_mix()
        lam = sum(r for _, _, r, _ in mix)
        return sum(r * d.mean for _, _, r, d in mix) / lam

    @property
    def offered_load(self) -> float:
        """Offered load a = λ·E[S] in Erlangs (mean number of busy consumers if nothing is lost)."""
        return sum(r * d.mean for _, _, r, d in self.class_mix())

    @property
    def utilisation(self) -> float:
        """ρ = λ·E[S] / c (may be >= 1 for an overloaded scenario)."""
        return self.offered_load / self.consumers.count

    # ----- (de)serialisation ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "producers": [p.to_dict() for p in self.producers],
            "queue": self.queue.to_dict(),
            "consumers": self.consumers.to_dict(),
        }
        if self.name:
            d["name"] = self.name
        if self.stages:
            d["stages"] = [st.to_dict() for st in self.stages]
        if self.routes:
            d["routes"] = {k: dict(v) for k, v in self.routes.items()}
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Build a scenario from plain data (as loaded from YAML or JSON)."""
        from mqsim.model.yaml_io import scenario_from_dict

        return scenario_from_dict(data)

    @classmethod
    def from_yaml(cls, source: str) -> "Scenario":
        """Load a scenario from a YAML file path or a YAML string (``yaml.safe_load``)."""
        from mqsim.model.yaml_io import load_yaml

        return load_yaml(source)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_value(self, path: str, value: Any) -> "Scenario":
        """A copy with the field at dotted ``path`` (e.g. ``"producers[0].rate"``) set to ``value``."""
        data = copy.deepcopy(self.to_dict())
        _set_path(data, path, value)
        return Scenario.from_dict(data)


_PATH_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    tokens: list[str | int] = []
    for part in path.split("."):
        pos = 0
        for m in _PATH_TOKEN.finditer(part):
            if m.start() != pos:
                break
            tokens.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
            pos = m.end()
        if pos != len(part) or not part:
            raise ValueError(f"path {path!r}: cannot parse {part!r}; use e.g. producers[0].rate")
    cur: Any = data
    for i, tok in enumerate(tokens[:-1]):
        try:
            cur = cur[tok]
        except (KeyError, IndexError, TypeError):
            raise ValueError(f"path {path!r}: no field {tok!r}") from None
        if isinstance(tok, str) and cur is None:
            raise ValueError(f"path {path!r}: {tok!r} is not set")
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(cur, list) or last >= len(cur):
            raise ValueError(f"path {path!r}: index {last} out of range")
    elif isinstance(cur, dict) and last == "rate" and "interarrival" in cur:
        del cur["interarrival"]
    elif isinstance(cur, dict) and last == "interarrival" and "rate" in cur:
        del cur["rate"]
    cur[last] = value
