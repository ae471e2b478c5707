"""A scenario: producers -> one broker queue (and optional stages) -> consumers, as pure data.

Units: seconds for durations, messages per second for rates. A scenario never changes once
built (frozen dataclasses); build a new one with :func:`dataclasses.replace` or
:meth:`Scenario.with_value` to vary a field. The parts are in :mod:`mqsim.model.producer` and
:mod:`mqsim.model.broker` (semantics: RabbitMQ's, described there).
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Protocol, Sequence, runtime_checkable

from mqsim.model import validate
from mqsim.model.broker import MAIN, OVERFLOW_POLICIES, Consumers, Failure, Queue, Stage
from mqsim.model.dist import Distribution
from mqsim.model.paths import set_path
from mqsim.model.producer import Producer
from mqsim.model.restarts import Restarts

__all__ = ["Scenario", "ScenarioLike", "Producer", "Queue", "Consumers", "Failure", "Stage", "Restarts",
           "OVERFLOW_POLICIES", "MAIN", "producers_from_data", "as_scenario"]


@runtime_checkable
class ScenarioLike(Protocol):
    """What every kind of scenario offers (:class:`Scenario`, :class:`mqsim.KafkaScenario`).

    ``family`` names the model (``"queue"`` or ``"kafka"``): :func:`mqsim.simulate` runs each
    family on its engine and :func:`mqsim.theory.for_scenario` picks its formulas by it.
    """

    family: ClassVar[str]

    @property
    def name(self) -> str: ...

    @property
    def producers(self) -> Sequence[Producer]: ...

    @property
    def arrival_rate(self) -> float: ...

    @property
    def offered_load(self) -> float: ...

    @property
    def utilisation(self) -> float: ...

    def to_dict(self) -> dict[str, Any]: ...

    def with_value(self, path: str, value: Any) -> "ScenarioLike": ...


def as_scenario(scenario: Any) -> "ScenarioLike":
    """``scenario`` itself if it is a scenario of any family, else one built from its plain-data form."""
    if isinstance(scenario, ScenarioLike):
        return scenario
    if isinstance(scenario, Mapping):
        if "topic" in scenario or "group" in scenario:
            raise ValueError("scenario: a Kafka scenario's plain data must be loaded with mqsim.scenario_from_dict")
        return Scenario.from_dict(scenario)
    raise ValueError(f"scenario: must be a mqsim.Scenario, a mqsim.KafkaScenario or a mapping, got "
                     f"{type(scenario).__name__}")


def _checked_producers(producers: Any) -> tuple[Producer, ...]:
    """``Scenario.producers`` as a tuple of uniquely named producers (one producer or a list)."""
    if isinstance(producers, Producer):
        prods: tuple[Any, ...] = (producers,)
    else:
        prods = tuple(validate.sequence("producers", producers, what="a list of mqsim.Producer", max_len=10_000))
    if not prods:
        raise ValueError("producers: at least one producer is required")
    for i, p in enumerate(prods):
        if not isinstance(p, Producer):
            raise ValueError(f"producers[{i}]: must be a mqsim.Producer, got {type(p).__name__}")
    dup = {n for n, k in Counter(p.name for p in prods).items() if k > 1}
    if dup:
        raise ValueError(f"producers.name: names must be unique, repeated: {sorted(dup)}")
    return prods


def _checked_stages(stages: Any) -> tuple[Stage, ...]:
    """``Scenario.stages`` as a tuple of uniquely named stages."""
    out = tuple(validate.sequence("stages", stages, what="a list of mqsim.Stage", max_len=1000))
    for i, st in enumerate(out):
        if not isinstance(st, Stage):
            raise ValueError(f"stages[{i}]: must be a mqsim.Stage, got {type(st).__name__}")
    snames = [st.name for st in out]
    if len(set(snames)) != len(snames):
        raise ValueError(f"stages.name: names must be unique, got {snames}")
    return out


def _checked_routes(raw: Any, nodes: list[str]) -> dict[str, dict[str, float]]:
    """``Scenario.routes``: {from queue: {to queue: probability}} between the queues ``nodes``,
    each queue's probabilities summing to <= 1."""
    routes: dict[str, dict[str, float]] = {}
    validate.mapping("routes", raw, "a mapping {from queue: {to queue: probability}}")
    for src, dsts in raw.items():
        if not isinstance(src, str) or src not in nodes:
            raise ValueError(f"routes[{src!r}]: no queue of that name (queues: {nodes})")
        validate.mapping(f"routes[{src!r}]", dsts, "a mapping {to queue: probability}")
        routes[src] = {}
        for dst, pr in dsts.items():
            if not isinstance(dst, str) or dst not in nodes:
                raise ValueError(f"routes[{src!r}][{dst!r}]: no queue of that name (queues: {nodes})")
            routes[src][dst] = validate.probability(f"routes[{src!r}][{dst!r}]", pr, closed=True)
        if sum(routes[src].values()) > 1 + 1e-12:
            raise ValueError(f"routes[{src!r}]: probabilities must sum to <= 1, got {sum(routes[src].values())}")
    return routes


def _check_node(nm: str, q: Queue, cons: Consumers, snames: list[str], prods: Sequence[Producer]) -> None:
    """The queue ``nm`` (MAIN or a stage) and its consumers fit together and with the stages."""
    where = "queue" if nm == MAIN else f"stages[{nm!r}].queue"
    if q.dead_letter is not None and q.dead_letter not in snames:
        raise ValueError(f"{where}.dead_letter: no stage named {q.dead_letter!r} (stages: {snames})")
    if q.dead_letter == nm:
        raise ValueError(f"{where}.dead_letter: a queue cannot dead-letter to itself")
    if cons.has_outcomes:
        for p in prods:
            for lv in p.priority_levels:
                cons.outcome_probs(p.name, q.effective_priority(lv))  # raises if nack + reject >= 1
    if q.overflow == "reject-publish-dlx" and q.dead_letter is None:
        raise ValueError(f"{where}.overflow: reject-publish-dlx needs {where}.dead_letter set to a stage")


def producers_from_data(raw: Any) -> list[Producer]:
    """Producers from plain data: a list of mappings (or one mapping)."""
    if isinstance(raw, Mapping):
        raw = [raw]
    if raw is None:
        raise ValueError("producers: missing; a scenario needs at least one producer")
    raw = validate.sequence("producers", raw, what="a non-empty list of producers", min_len=1, max_len=10_000)
    return [Producer.from_dict(p, f"producers[{i}]", i) for i, p in enumerate(raw)]


def _check_producer_keys(cons: Consumers, where: str, names: list[str]) -> None:
    """Keys of ``nack``, ``reject`` and ``service_by`` that are strings must name a producer."""
    for field_name in ("nack", "reject", "service_by"):
        v = getattr(cons, field_name)
        for k in (v if isinstance(v, Mapping) else ()):
            if isinstance(k, str) and k not in names:
                raise ValueError(f"{where}.{field_name}[{k!r}]: no producer has that name (producers: "
                                 f"{', '.join(names[:20])}{' ...' if len(names) > 20 else ''})")


@dataclass(frozen=True)
class Scenario:
    """Producers → one queue → consumers. Pure data; see the module docstring for semantics.

    ``restarts`` (None or :class:`mqsim.Restarts`): failures of the broker itself; what survives
    them depends on ``Queue.durable`` / ``Queue.type`` and ``Producer.persistent``.
    """

    family: ClassVar[str] = "queue"

    producers: Sequence[Producer]
    queue: Queue = field(default_factory=Queue)
    consumers: Consumers = field(default_factory=Consumers)
    name: str = ""
    stages: Sequence[Stage] = ()
    routes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    restarts: Restarts | None = None

    def __post_init__(self) -> None:
        if self.restarts is not None and not isinstance(self.restarts, Restarts):
            if not isinstance(self.restarts, Mapping):
                raise ValueError("restarts: expected {times: [seconds], every: distribution, downtime: seconds}")
            object.__setattr__(self, "restarts", Restarts.from_dict(self.restarts))
        prods = _checked_producers(self.producers)
        if not isinstance(self.queue, Queue):
            raise ValueError(f"queue: must be a mqsim.Queue, got {type(self.queue).__name__}")
        if not isinstance(self.consumers, Consumers):
            raise ValueError(f"consumers: must be a mqsim.Consumers, got {type(self.consumers).__name__}")
        object.__setattr__(self, "name", validate.name("name", self.name, empty=True))
        object.__setattr__(self, "producers", prods)
        stages = _checked_stages(self.stages)
        object.__setattr__(self, "stages", stages)
        snames = [st.name for st in stages]
        object.__setattr__(self, "routes", _checked_routes(self.routes, [MAIN, *snames]))
        names = [p.name for p in prods]
        for k, st in enumerate((None, *stages)):
            _check_producer_keys(self.consumers if st is None else st.consumers,
                                 "consumers" if st is None else f"stages[{k - 1}].consumers", names)
        for nm, q in [(MAIN, self.queue), *[(st.name, st.queue) for st in stages]]:
            cons = self.node(0 if nm == MAIN else snames.index(nm) + 1)[1]
            _check_node(nm, q, cons, snames, prods)

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
    def dead_letter_cycles(self) -> tuple[bool, ...]:
        """Per queue (in :attr:`node_names` order): whether it lies on a cycle of dead-letter
        targets (``Queue.dead_letter``), where RabbitMQ's cycle rule applies (a message
        dead-lettered back into a queue it died in, with no reject since, is dropped)."""
        names = self.node_names
        nxt = [names.index(q.dead_letter) if q.dead_letter is not None else -1
               for q, _ in (self.node(k) for k in range(len(names)))]
        out = []
        for k in range(len(names)):
            t, steps = nxt[k], 0
            while t >= 0 and t != k and steps < len(names):
                t, steps = nxt[t], steps + 1
            out.append(t == k)
        return tuple(out)

    @property
    def is_basic(self) -> bool:
        """Only the features of the basic model: renewal producers, one queue, no TTL, no
        acknowledgement failures, no crashes (what the queueing formulas and the fast engine cover)."""
        q, c = self.queue, self.consumers
        return (not self.stages and all(p.renewal and p.ttl is None for p in self.producers) and q.ttl is None
                and q.delivery_limit is None and not c.has_outcomes and c.failure is None and not c.auto_ack
                and self.restarts is None and not c.dispatch_overhead and not c.client_overhead)

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
        if self.restarts is not None:
            d["restarts"] = self.restarts.to_dict()
        return d

    FIELDS = ("producers", "queue", "consumers", "name", "stages", "routes", "restarts")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """A scenario from plain data (as loaded from YAML or JSON); see ``examples/*.yaml``."""
        data = validate.keys("scenario", data, cls.FIELDS)
        raw_stages = data.get("stages")
        stages = [] if raw_stages is None else validate.sequence("stages", raw_stages, max_len=1000,
                                                                 what="a list of {name, queue, consumers}")
        routes = data.get("routes")
        return cls(producers=producers_from_data(data.get("producers")),
                   queue=Queue.from_dict(data.get("queue")), consumers=Consumers.from_dict(data.get("consumers")),
                   name=validate.name("name", data.get("name"), empty=True), routes={} if routes is None else routes,
                   stages=[Stage.from_dict(st, f"stages[{i}]") for i, st in enumerate(stages)],
                   restarts=Restarts.from_dict(data["restarts"]) if data.get("restarts") is not None else None)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def with_value(self, path: str, value: Any) -> "Scenario":
        """A copy with the field at dotted ``path`` (e.g. ``"producers[0].rate"``) set to ``value``;
        a ``ValueError`` names the path when it does not lead to a field.

        >>> import mqsim as mq
        >>> sc = mq.Scenario([mq.Producer("orders", rate=2.4)],
        ...                  consumers=mq.Consumers(3, service=mq.dist.Exponential(mean=1.0)))
        >>> sc.with_value("consumers.count", 4).consumers.count, sc.consumers.count
        (4, 3)
        >>> round(sc.with_value("producers[0].rate", 2.7).utilisation, 4)   # 2.7 msg/s x 1 s / 3
        0.9
        """
        data = copy.deepcopy(self.to_dict())
        set_path(data, path, value)
        return type(self).from_dict(data)



