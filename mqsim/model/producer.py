"""Producers: where messages come from, how often, with which priority, TTL and batch size.

Units: seconds for durations, messages per second for rates. Priority follows RabbitMQ: an
integer in [0, 255], higher is delivered first; a queue's ``max_priority`` clips it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from mqsim.model import dist as _dist
from mqsim.model import validate
from mqsim.model.arrivals import schedule_from_spec, trace_from_spec
from mqsim.model.dist import Discrete, Distribution, Exponential

__all__ = ["Producer", "MAX_AMQP_PRIORITY", "PRODUCER_FIELDS"]

MAX_AMQP_PRIORITY = 255
#: largest batch (messages published at one instant)
MAX_BATCH = 1_000_000
PRODUCER_FIELDS = ("name", "rate", "interarrival", "priority", "service", "ttl", "batch", "schedule", "trace",
                   "persistent")


def _mix(name: str, value: Any, what: str, lo: int, hi: int) -> Discrete:
    """A mix ``{level: weight}`` (or a :class:`Discrete`) whose levels are integers in [lo, hi];
    every error names the level: ``producers[0].priority[5]: must be ...``."""
    if isinstance(value, Discrete):
        items = list(zip(value.values, value.probs))
    else:
        items = list(validate.mapping(name, value, f"a mix {{{what}: weight}}").items())
    if not items:
        raise ValueError(f"{name}: a mix must name at least one {what}, e.g. {{{lo}: 0.5, {lo + 1}: 0.5}}")
    if len(items) > hi - lo + 1:
        raise ValueError(f"{name}: at most {hi - lo + 1} {what}s, got {len(items)}")
    levels = []
    for k, _ in items:
        try:
            levels.append(validate.integer(name, k, lo, hi))
        except ValueError:
            raise ValueError(f"{name}: each {what} must be an integer in [{lo}, {hi:,}], got "
                             f"{validate.show(k)}{' (YAML keys in quotes are text)' if isinstance(k, str) else ''}"
                             ) from None
    weights = [validate.nonneg(f"{name}[{k}]", w, "a weight; weights are scaled to sum to 1") for k, (_, w) in
               zip(levels, items)]
    if len(set(levels)) != len(levels):
        raise ValueError(f"{name}: each {what} may appear once, got {levels}")
    if not math.fsum(weights) > 0:
        raise ValueError(f"{name}: the weights must not all be 0 (they are scaled to sum to 1), got {weights}")
    return Discrete(tuple(levels), tuple(weights))


def _batch_spec(name: str, value: Any) -> int | Discrete:
    """A batch size (int >= 1) or a size mix ``{size: weight}``."""
    if isinstance(value, (Discrete, Mapping)):
        return _mix(name, value, "size", 1, MAX_BATCH)
    return validate.integer(name, value, 1, MAX_BATCH)


def _priority_spec(name: str, value: Any) -> int | Discrete:
    """A fixed priority (int in [0, 255]) or a mix ``{level: weight}`` over priorities."""
    if isinstance(value, (Discrete, Mapping)):
        return _mix(name, value, "level", 0, MAX_AMQP_PRIORITY)
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
        A trace row is one arrival instant: its priority (if the trace has priorities) replaces
        ``priority``, and its service time (if the trace has services) is the service
        requirement of what is published then, whatever the priority (with a priority mix the
        class comes from the mix, the service from the trace). With ``batch`` > 1 every message of
        the batch published at that instant takes the row's priority and service.
    priority: a fixed integer in [0, 255] (default 0) or a mix ``{level: probability}``.
    service: optional service-time distribution (s) for this producer's messages, overriding
        the consumers' default.
    ttl: per-message TTL in seconds (the ``expiration`` property), or None; the lower of this
        and the queue's TTL applies.
    batch: messages published together at each arrival instant: an int >= 1 or a size mix
        ``{size: probability}`` (default 1).
    persistent: publish with ``delivery_mode=2`` (persistent): such a message survives a broker
        restart on a durable queue (see :class:`mqsim.Restarts`); default False (transient, AMQP's
        default).
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
    persistent: bool = False

    def __post_init__(self) -> None:
        validate.name("producers.name", self.name)
        where = f"producer {self.name!r}"
        if not isinstance(self.persistent, bool):
            raise ValueError(f"{where}.persistent: must be true or false, got {self.persistent!r}")
        given = [k for k in ("rate", "interarrival", "schedule", "trace") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"{where}: give exactly one of rate (messages/s, > 0), interarrival (a distribution), "
                             f"schedule (a time-varying rate) or trace (recorded times); got {given or 'none'}")
        if self.schedule is not None:
            object.__setattr__(self, "schedule", schedule_from_spec(self.schedule, f"{where}.schedule"))
        elif self.trace is not None:
            object.__setattr__(self, "trace", trace_from_spec(self.trace, f"{where}.trace"))
        elif self.rate is not None:
            r = validate.positive(f"{where}.rate", self.rate, "messages/s")
            if not math.isfinite(1.0 / r):
                raise ValueError(f"{where}.rate: must be a finite number > 0 (messages/s) whose inverse is finite, "
                                 f"got {r!r}")
            object.__setattr__(self, "rate", r)
            object.__setattr__(self, "interarrival", Exponential(mean=1.0 / r))
        else:
            object.__setattr__(self, "interarrival", _dist.from_spec(self.interarrival, f"{where}.interarrival"))
            if not self.interarrival.mean > 0:  # type: ignore[union-attr]
                raise ValueError(f"{where}.interarrival: the mean must be > 0 seconds (a zero mean would publish "
                                 "infinitely many messages in no time)")
        object.__setattr__(self, "priority", _priority_spec(f"{where}.priority", self.priority))
        if self.service is not None:
            object.__setattr__(self, "service", _dist.from_spec(self.service, f"{where}.service"))
        if self.service is not None and not self.service.mean >= 0:  # pragma: no cover - distributions check it
            raise ValueError(f"{where}.service: the mean must be >= 0 seconds")
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

    @property
    def published_priorities(self) -> tuple[int, ...]:
        """Every priority this producer publishes with: its levels, and a replayed trace's own."""
        extra = tuple(self.trace.priorities) if self.trace is not None and self.trace.priorities is not None else ()
        return (*self.priority_levels, *extra)

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
        if self.persistent:
            d["persistent"] = True
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "producer", index: int = 0) -> "Producer":
        """A producer from plain data (as in YAML); errors name ``where`` (e.g. ``producers[0]``)."""
        p = dict(validate.keys(where, data, PRODUCER_FIELDS))
        if p.get("name") is None:
            p["name"] = f"p{index}"
        validate.name(f"{where}.name", p["name"])
        for key in ("interarrival", "service"):
            if p.get(key) is not None:
                p[key] = _dist.from_spec(p[key], f"{where}.{key}")
        try:
            return cls(**p)
        except ValueError as exc:
            raise reroot(exc, where, f"producer {p['name']!r}") from None


def reroot(exc: ValueError, where: str, own_prefix: str) -> ValueError:
    """The error of a part validated on its own, renamed to where it sits in a scenario."""
    msg = str(exc)
    if msg.startswith(own_prefix):
        msg = where + msg[len(own_prefix):]
    return ValueError(msg)
