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
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

from . import dist as _dist
from .dist import Discrete, Distribution, Exponential

__all__ = ["Producer", "Queue", "Consumers", "Scenario", "OVERFLOW_POLICIES"]

OVERFLOW_POLICIES = ("drop-head", "reject-publish")
MAX_AMQP_PRIORITY = 255


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (
        isinstance(value, float) and value.is_integer()
    ):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name}: must be an integer {rng}, got {value!r}")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        rng = f"in [{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name}: must be an integer {rng}, got {value!r}")
    return v


def _priority_spec(name: str, value: Any) -> int | Discrete:
    """A fixed priority (int in [0, 255]) or a distribution over priorities."""
    if isinstance(value, Discrete):
        for v in value.values:
            _check_int(f"{name} value", v, 0, MAX_AMQP_PRIORITY)
        return value
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{name}: a priority mix must name at least one level")
        for k in value:
            _check_int(f"{name} level", k, 0, MAX_AMQP_PRIORITY)
        try:
            return Discrete.from_mapping({int(k): float(v) for k, v in value.items()})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}".replace("priority: ", "")) from None
    return _check_int(name, value, 0, MAX_AMQP_PRIORITY)


@dataclass(frozen=True)
class Producer:
    """A source of messages.

    Parameters
    ----------
    name: label used in records and summaries (unique within a scenario).
    rate: Poisson publish rate in messages/s (exponential inter-arrivals); or
    interarrival: any :mod:`mqsim.dist` distribution of the time between publishes (s).
    priority: a fixed integer in [0, 255] (default 0) or a mix ``{level: probability}``.
    service: optional service-time distribution (s) for this producer's messages, overriding
        the consumers' default.
    """

    name: str
    rate: float | None = None
    interarrival: Distribution | None = None
    priority: int | Discrete = 0
    service: Distribution | None = None

    def __post_init__(self) -> None:
        where = f"producer {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"producers.name: must be a non-empty string, got {self.name!r}")
        if (self.rate is None) == (self.interarrival is None):
            raise ValueError(f"{where}: give exactly one of rate (messages/s, > 0) or interarrival (a distribution)")
        if self.rate is not None:
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

    @property
    def arrival_rate(self) -> float:
        """Long-run publish rate in messages/s (1 / mean inter-arrival)."""
        return 1.0 / self.interarrival.mean  # type: ignore[union-attr]

    @property
    def is_poisson(self) -> bool:
        return isinstance(self.interarrival, Exponential)

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
        else:
            d["interarrival"] = self.interarrival.to_dict()  # type: ignore[union-attr]
        d["priority"] = self.priority.to_dict() if isinstance(self.priority, Discrete) else self.priority
        if self.service is not None:
            d["service"] = self.service.to_dict()
        return d


@dataclass(frozen=True)
class Queue:
    """The broker queue.

    max_priority: None (plain FIFO, priorities ignored) or an int in [1, 255]: the number of
        priority levels above 0 (``x-max-priority``); larger message priorities are clipped.
    max_length: None (unbounded) or the limit on *ready* messages (``x-max-length``), >= 0.
    overflow: ``"drop-head"`` (default, as RabbitMQ) or ``"reject-publish"``.
    """

    max_priority: int | None = None
    max_length: int | None = None
    overflow: str = "drop-head"

    def __post_init__(self) -> None:
        if self.max_priority is not None:
            object.__setattr__(self, "max_priority", _check_int("queue.max_priority", self.max_priority, 1, MAX_AMQP_PRIORITY))
        if self.max_length is not None:
            object.__setattr__(self, "max_length", _check_int("queue.max_length", self.max_length, 0))
        if self.overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"queue.overflow: must be one of {', '.join(OVERFLOW_POLICIES)}; got {self.overflow!r}")

    def effective_priority(self, p: int) -> int:
        """Priority a message published with ``p`` gets in this queue (clipped by max_priority)."""
        return min(p, self.max_priority) if self.max_priority is not None else p

    def to_dict(self) -> dict[str, Any]:
        return {"max_priority": self.max_priority, "max_length": self.max_length, "overflow": self.overflow}


@dataclass(frozen=True)
class Consumers:
    """Identical competing consumers on the queue.

    count: number of consumers, >= 1.
    service: service-time distribution (s) of one message at one consumer.
    prefetch: unacked-message window per consumer (``basic.qos``), >= 0; 0 means unlimited.
    service_by: optional overrides keyed by producer name (str) or priority (int); a producer's
        own ``service`` wins over both, then a producer-name key, then a priority key.
    """

    count: int = 1
    service: Distribution = field(default_factory=lambda: Exponential(mean=1.0))
    prefetch: int = 1
    service_by: Mapping[str | int, Distribution] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", _check_int("consumers.count", self.count, 1, 100_000))
        object.__setattr__(self, "service", _dist.from_spec(self.service, "consumers.service"))
        object.__setattr__(self, "prefetch", _check_int("consumers.prefetch", self.prefetch, 0))
        sb: dict[str | int, Distribution] = {}
        if self.service_by is not None and not isinstance(self.service_by, Mapping):
            raise ValueError("consumers.service_by: expected a mapping {producer name or priority: distribution}")
        for k, v in dict(self.service_by or {}).items():
            if isinstance(k, bool) or not isinstance(k, (str, int)):
                raise ValueError(f"consumers.service_by: keys must be producer names or priorities, got {k!r}")
            if isinstance(k, int):
                _check_int(f"consumers.service_by[{k}]", k, 0, MAX_AMQP_PRIORITY)
            sb[k] = _dist.from_spec(v, f"consumers.service_by[{k!r}]")
        object.__setattr__(self, "service_by", sb)

    @property
    def unlimited_prefetch(self) -> bool:
        return self.prefetch == 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"count": self.count, "service": self.service.to_dict(), "prefetch": self.prefetch}
        if self.service_by:
            d["service_by"] = {k: v.to_dict() for k, v in self.service_by.items()}
        return d

    def __hash__(self) -> int:
        return hash((self.count, self.service, self.prefetch, tuple(sorted(self.service_by.items(), key=str))))


@dataclass(frozen=True)
class Scenario:
    """Producers → one queue → consumers. Pure data; see the module docstring for semantics."""

    producers: Sequence[Producer]
    queue: Queue = field(default_factory=Queue)
    consumers: Consumers = field(default_factory=Consumers)
    name: str = ""

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

    # ----- derived quantities -------------------------------------------------------------
    @property
    def arrival_rate(self) -> float:
        """Total publish rate λ in messages/s."""
        return float(sum(p.arrival_rate for p in self.producers))

    def service_for(self, producer: Producer | int, priority: int) -> Distribution:
        """The service-time distribution of a message from ``producer`` published with ``priority``."""
        p = self.producers[producer] if isinstance(producer, int) else producer
        if p.service is not None:
            return p.service
        sb = self.consumers.service_by
        if p.name in sb:
            return sb[p.name]
        eff = self.queue.effective_priority(priority)
        if eff in sb:
            return sb[eff]
        return self.consumers.service

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
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Scenario":
        """Build a scenario from plain data (as loaded from YAML or JSON)."""
        from .config import scenario_from_dict

        return scenario_from_dict(data)

    @classmethod
    def from_yaml(cls, source: str) -> "Scenario":
        """Load a scenario from a YAML file path or a YAML string (``yaml.safe_load``)."""
        from .config import load_yaml

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
