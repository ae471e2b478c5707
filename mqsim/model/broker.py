"""The broker side of a scenario: a queue (priorities, length limit, TTL, delivery limit,
dead-lettering), its consumers (count, service time, prefetch, acks, failures) and stages.

Semantics follow RabbitMQ:

* a queue without ``max_priority`` is a plain FIFO that ignores message priorities (as a queue
  declared without ``x-max-priority``); with it, larger priorities are clipped;
* ``max_length`` counts *ready* messages only (``x-max-length``); overflow is ``drop-head``
  (RabbitMQ's default: the head ready message is dropped), ``reject-publish`` (the new message
  is refused) or ``reject-publish-dlx`` (refused and dead-lettered);
* consumers share the queue with a ``prefetch`` window (unacked limit; 0 means unlimited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from mqsim.model import dist as _dist
from mqsim.model import validate
from mqsim.model.dist import Distribution, Exponential
from mqsim.model.producer import MAX_AMQP_PRIORITY, reroot

__all__ = ["Queue", "Consumers", "Failure", "Stage", "OVERFLOW_POLICIES", "MAIN", "REQUEUE_POSITIONS", "QUEUE_TYPES"]

OVERFLOW_POLICIES = ("drop-head", "reject-publish", "reject-publish-dlx")
QUEUE_TYPES = ("classic", "quorum")


REQUEUE_POSITIONS = ("head", "tail")
#: most consumers on one queue
MAX_CONSUMERS = 100_000
#: largest prefetch window (AMQP's basic.qos prefetch-count is a 16-bit field)
MAX_PREFETCH = 65_535
#: largest max_length and delivery_limit (RabbitMQ's x-max-length and x-delivery-limit are signed 32-bit
#: in practice; larger values only overflow the engines' counters)
MAX_LIMIT = 2**31 - 1
MAIN = "main"  # the name of a scenario's own queue in routes, records and summaries


def _key(name: str, k: Any) -> str | int:
    """A key of a per-producer/per-priority mapping: a producer name (str) or a priority (int in [0, 255])."""
    if isinstance(k, str):
        return validate.name(f"{name} key", k)
    if isinstance(k, bool) or not isinstance(k, int) and type(k).__name__ not in ("int64", "int32"):
        raise ValueError(f"{name}: keys must be producer names (strings) or priorities (integers in [0, 255]), "
                         f"got {validate.show(k)}")
    return validate.integer(f"{name}[{k}]", k, 0, MAX_AMQP_PRIORITY)


def _prob_map(name: str, value: Any) -> float | dict[str | int, float]:
    """A probability, or ``{producer name or priority: probability}``."""
    if isinstance(value, Mapping):
        out: dict[str | int, float] = {}
        for k, v in value.items():
            k = _key(name, k)
            out[k] = validate.probability(f"{name}[{k!r}]", v)
        return out
    return validate.probability(name, value)


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
    type: None, ``"classic"`` or ``"quorum"`` (``x-queue-type``). None means classic, except that a
        live run (:mod:`mqsim.live`) declares a quorum queue when ``delivery_limit`` is set (RabbitMQ
        supports ``x-delivery-limit`` on quorum queues only). A quorum queue has no priorities
        (RabbitMQ refuses ``x-max-priority`` on it), is always durable and keeps every message
        through a broker restart; with ``reject-publish`` it accepts one message more than
        ``max_length`` (measured on RabbitMQ 3.10: a limit of 5 accepts 6 ready messages), and the
        simulator does the same for a quorum queue. The broker checks the limit against a state
        it updates after each enqueue, so publishes only a few ms apart get further past it
        (measured: 3 over at 5 ms spacing); the simulator models the settled case.
    durable: whether the queue survives a broker restart (``durable=True`` in ``queue_declare``).
        None (default) means False for a classic queue (AMQP's default) and True for a quorum queue.
        A restart (:class:`mqsim.Restarts`) empties a non-durable queue and keeps the persistent
        messages (``Producer.persistent``) of a durable classic queue.
    """

    max_priority: int | None = None
    max_length: int | None = None
    overflow: str = "drop-head"
    ttl: float | None = None
    delivery_limit: int | None = None
    dead_letter: str | None = None
    type: str | None = None
    durable: bool | None = None

    def __post_init__(self) -> None:
        if self.type is not None:
            validate.choice("queue.type", self.type, QUEUE_TYPES)
        if self.durable is not None and not isinstance(self.durable, bool):
            raise ValueError(f"queue.durable: must be true or false, got {self.durable!r}")
        if self.type == "quorum" and self.durable is False:
            raise ValueError("queue.durable: a quorum queue is always durable (RabbitMQ refuses a non-durable one); "
                             "remove durable or set it to true")
        if self.ttl is not None:
            object.__setattr__(self, "ttl", validate.nonneg("queue.ttl", self.ttl, "seconds"))
        if self.delivery_limit is not None:
            object.__setattr__(self, "delivery_limit",
                               validate.integer("queue.delivery_limit", self.delivery_limit, 1, MAX_LIMIT))
        if self.dead_letter is not None:
            validate.name("queue.dead_letter", self.dead_letter)
        if self.max_priority is not None:
            object.__setattr__(self, "max_priority",
                               validate.integer("queue.max_priority", self.max_priority, 1, MAX_AMQP_PRIORITY))
        if self.max_length is not None:
            object.__setattr__(self, "max_length", validate.integer("queue.max_length", self.max_length, 0, MAX_LIMIT))
        validate.choice("queue.overflow", self.overflow, OVERFLOW_POLICIES)
        if self.type == "quorum" and self.max_priority is not None:
            raise ValueError("queue.max_priority: a quorum queue has no priorities (RabbitMQ refuses x-max-priority "
                             "on it); use type: classic or remove max_priority")

    @property
    def queue_type(self) -> str:
        """The queue type a live run declares: ``type``, or quorum when a delivery limit needs it."""
        if self.type is not None:
            return self.type
        return "quorum" if self.delivery_limit is not None else "classic"

    @property
    def is_durable(self) -> bool:
        """Whether the queue survives a broker restart (see ``durable``)."""
        return self.durable if self.durable is not None else self.queue_type == "quorum"

    def effective_priority(self, p: int) -> int:
        """Priority a message published with ``p`` gets in this queue (clipped by max_priority)."""
        return min(p, self.max_priority) if self.max_priority is not None else p

    def levels(self, producers: Any) -> dict[int, int]:
        """``{priority: level}`` of the priorities ``producers`` can publish into this queue
        (after clipping), level 0 the highest; ``{}`` for a queue without priorities."""
        if self.max_priority is None:
            return {}
        used = sorted({self.effective_priority(p) for pr in producers for p in pr.published_priorities}, reverse=True)
        return {p: lv for lv, p in enumerate(used)}

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"max_priority": self.max_priority, "max_length": self.max_length,
                             "overflow": self.overflow}
        for k in ("ttl", "delivery_limit", "dead_letter", "type", "durable"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d

    FIELDS = ("max_priority", "max_length", "overflow", "ttl", "delivery_limit", "dead_letter", "type", "durable")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str = "queue") -> "Queue":
        """A queue from plain data (as in YAML); errors name ``where``."""
        q = dict(validate.keys(where, {} if data is None else data, cls.FIELDS))
        try:
            return cls(**q)
        except ValueError as exc:
            raise reroot(exc, where, "queue") from None


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
    dispatch_overhead: seconds (>= 0) from the broker's decision to deliver a message to the
        moment the consumer starts serving it: network, broker and client time a real broker adds
        to each delivery (about 1 ms on loopback, see :func:`mqsim.live.calibrate`). With prefetch 1
        it separates an ack from the next service start; messages already buffered by a larger
        prefetch window start without it. Default 0 (the ideal queue of the formulas).
    client_overhead: seconds (>= 0) the consumer itself spends per message between finishing
        one service and starting the next (receiving, acking, handing over: client work that a
        prefetch window cannot hide; about half of the 0.5-0.7 ms a loopback RabbitMQ adds with
        a Python client, see :func:`mqsim.live.calibrate`). A message starts no earlier than
        ``dispatch_overhead`` after its delivery and no earlier than ``client_overhead`` after the
        consumer's previous service ended. Default 0.
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
    dispatch_overhead: float = 0.0
    client_overhead: float = 0.0

    def __post_init__(self) -> None:
        for name in ("dispatch_overhead", "client_overhead"):
            object.__setattr__(self, name, validate.number(f"consumers.{name}", getattr(self, name), lo=0.0, hi=3600.0,
                                                           unit="seconds"))
        object.__setattr__(self, "nack", _prob_map("consumers.nack", self.nack))
        object.__setattr__(self, "reject", _prob_map("consumers.reject", self.reject))
        object.__setattr__(self, "auto_ack", validate.flag("consumers.auto_ack", self.auto_ack))
        if self.auto_ack and (self.nack or self.reject):
            raise ValueError("consumers.nack/reject: a consumer with auto_ack=true cannot nack or reject "
                             "(the broker forgot the message at delivery); set them to 0")
        validate.choice("consumers.requeue", self.requeue, REQUEUE_POSITIONS)
        if self.failure is not None and not isinstance(self.failure, Failure):
            object.__setattr__(self, "failure", Failure.from_dict(self.failure))
        object.__setattr__(self, "count", validate.integer("consumers.count", self.count, 1, MAX_CONSUMERS))
        object.__setattr__(self, "service", _dist.from_spec(self.service, "consumers.service"))
        object.__setattr__(self, "prefetch", validate.integer("consumers.prefetch", self.prefetch, 0, MAX_PREFETCH))
        sb: dict[str | int, Distribution] = {}
        if self.service_by is not None:
            validate.mapping("consumers.service_by", self.service_by,
                             "a mapping {producer name or priority: distribution}")
        for k, v in dict(self.service_by or {}).items():
            k = _key("consumers.service_by", k)
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
        for k in ("dispatch_overhead", "client_overhead"):
            if getattr(self, k):
                d[k] = getattr(self, k)
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
                     self.auto_ack, self.failure, self.requeue, self.dispatch_overhead, self.client_overhead))

    FIELDS = ("count", "service", "prefetch", "service_by", "nack", "reject", "auto_ack", "failure", "requeue",
              "dispatch_overhead", "client_overhead")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, where: str = "consumers") -> "Consumers":
        """Consumers from plain data (as in YAML); errors name ``where``."""
        c = dict(validate.keys(where, {} if data is None else data, cls.FIELDS))
        if c.get("failure") is not None:
            c["failure"] = Failure.from_dict(c["failure"], f"{where}.failure")
        try:
            return cls(**c)
        except ValueError as exc:
            raise reroot(exc, where, "consumers") from None


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
        if not self.time_to_failure.mean > 0:
            raise ValueError("consumers.failure.time_to_failure: the mean must be > 0 seconds (a consumer that "
                             "fails at once never works)")

    @property
    def availability(self) -> float:
        """Long-run fraction of time a consumer is up."""
        return self.time_to_failure.mean / (self.time_to_failure.mean + self.repair.mean)

    def to_dict(self) -> dict[str, Any]:
        return {"time_to_failure": self.time_to_failure.to_dict(), "repair": self.repair.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "consumers.failure") -> "Failure":
        """Failures from plain data: ``{time_to_failure: dist, repair: dist}``."""
        f = validate.keys(where, data, ("time_to_failure", "repair"))
        for k in ("time_to_failure", "repair"):
            if k not in f:
                raise ValueError(f"{where}.{k}: missing")
        return cls(_dist.from_spec(f["time_to_failure"], f"{where}.time_to_failure"),
                   _dist.from_spec(f["repair"], f"{where}.repair"))


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
        validate.name("stages.name", self.name)
        if self.name == MAIN:
            raise ValueError(f"stages.name: must be a name other than {MAIN!r} (the scenario's own queue)")
        if not isinstance(self.queue, Queue):
            raise ValueError(f"stages[{self.name!r}].queue: must be a mqsim.Queue")
        if not isinstance(self.consumers, Consumers):
            raise ValueError(f"stages[{self.name!r}].consumers: must be a mqsim.Consumers")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "queue": self.queue.to_dict(), "consumers": self.consumers.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "stages[0]") -> "Stage":
        """A stage from plain data: ``{name, queue, consumers}``."""
        st = validate.keys(where, data, ("name", "queue", "consumers"))
        if "name" not in st:
            raise ValueError(f"{where}.name: missing")
        validate.name(f"{where}.name", st["name"])
        if st["name"] == MAIN:
            raise ValueError(f"{where}.name: must be a name other than {MAIN!r} (the scenario's own queue)")
        return cls(name=st["name"], queue=Queue.from_dict(st.get("queue"), f"{where}.queue"),
                   consumers=Consumers.from_dict(st.get("consumers"), f"{where}.consumers"))

