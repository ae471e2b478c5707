"""Broker restarts: the broker itself fails and comes back (``rabbitmqctl stop_app`` / ``start_app``).

What a restart does (RabbitMQ's rules, measured on 3.10 with a private node):

* every connection closes: consumers lose their channels (their unacked messages go back to the
  queue if they survive, see below) and reconnect when the broker is back;
* a **non-durable** queue is deleted with everything in it (clients declare it again, empty, when
  they reconnect);
* a **durable classic** queue keeps its **persistent** messages (``delivery_mode=2``, ready or
  unacked; the unacked ones come back ready, redelivered) and loses its transient ones;
* a **quorum** queue (always durable) keeps every message;
* while the broker is down a publish is refused (the publisher's connection is gone): the message
  is dropped with cause ``broker-down``.

Times are in seconds. A restart at ``t`` with downtime ``d`` has the broker down over ``[t, t + d)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from mqsim.model import dist as _dist
from mqsim.model import validate
from mqsim.model.dist import Deterministic, Distribution

__all__ = ["Restarts"]


@dataclass(frozen=True)
class Restarts:
    """When the broker restarts and for how long it is down.

    times: restart instants in seconds (sorted, >= 0); and/or
    every: a distribution of the up-time between restarts (the first restart comes one draw
        after 0, then one draw after each return), drawn from the run's own restart stream;
    downtime: seconds the broker stays down at each restart (a number, or a distribution drawn
        per restart); default 0 (down and back at the same instant: a restart that still loses
        transient messages).
    """

    times: tuple[float, ...] = ()
    every: Distribution | None = None
    downtime: float | Distribution = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.times, (int, float)) and not isinstance(self.times, bool):
            object.__setattr__(self, "times", (self.times,))
        if not isinstance(self.times, (list, tuple)):
            raise ValueError(f"restarts.times: must be a list of seconds, got {self.times!r}")
        ts = tuple(validate.nonneg(f"restarts.times[{i}]", t, "seconds") for i, t in enumerate(self.times))
        if list(ts) != sorted(ts):
            raise ValueError(f"restarts.times: must be in increasing order, got {list(ts)}")
        object.__setattr__(self, "times", ts)
        if self.every is not None:
            object.__setattr__(self, "every", _dist.from_spec(self.every, "restarts.every"))
            if self.every.mean <= 0:
                raise ValueError("restarts.every: the mean up-time must be > 0 seconds")
        if not ts and self.every is None:
            raise ValueError("restarts: give times (a list of seconds) and/or every (a distribution of up-times)")
        d = self.downtime
        if isinstance(d, (int, float)) or isinstance(d, bool):
            object.__setattr__(self, "downtime", validate.nonneg("restarts.downtime", d, "seconds"))
        else:
            object.__setattr__(self, "downtime", _dist.from_spec(d, "restarts.downtime"))

    @property
    def downtime_dist(self) -> Distribution:
        """The downtime as a distribution (a fixed number is :class:`Deterministic`)."""
        d = self.downtime
        return d if isinstance(d, Distribution) else Deterministic(value=float(d))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.times:
            d["times"] = list(self.times)
        if self.every is not None:
            d["every"] = self.every.to_dict()
        d["downtime"] = self.downtime.to_dict() if isinstance(self.downtime, Distribution) else self.downtime
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "restarts") -> "Restarts":
        """Restarts from plain data: ``{times: [..], every: dist, downtime: seconds or dist}``."""
        r = dict(validate.keys(where, data, ("times", "every", "downtime")))
        try:
            return cls(**r)
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(where + msg[len("restarts"):] if msg.startswith("restarts") else msg) from None
