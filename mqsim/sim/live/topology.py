"""A scenario's queues as RabbitMQ declares them: names, ``x-`` arguments, dead-letter exchanges.

Each queue ``k`` of a scenario (0 = main, then the stages) becomes a queue named
``mqsim.<run>.<name>`` declared with the scenario's own arguments:

===========================  =============================================================
scenario field               declared as
===========================  =============================================================
``queue.max_priority``       ``x-max-priority``
``queue.max_length``         ``x-max-length`` with ``x-overflow`` = ``queue.overflow``
``queue.ttl`` (s)            ``x-message-ttl`` (ms, divided by the run's time scale)
``queue.delivery_limit``     ``x-delivery-limit`` = ``delivery_limit - 1`` on a quorum queue
                             (mqsim counts deliveries, RabbitMQ counts returns: a limit of 2
                             in RabbitMQ allows 3 deliveries, measured on 3.10)
``queue.queue_type``         ``x-queue-type`` (quorum: always durable)
``queue.is_durable``         ``durable``
every queue                  ``x-dead-letter-exchange`` = ``mqsim.<run>.dlx.<k>`` (fanout)
===========================  =============================================================

Every queue gets a dead-letter exchange, whether or not the scenario dead-letters: it is bound to
the run's observer queue, so the broker *reports* every message it drops (reason in the
``x-death`` header: ``expired``, ``maxlen``, ``rejected``, ``delivery_limit``); a dead-letter
stage (``queue.dead_letter``) is bound to it as well and receives the copies. A dead-letter
exchange changes no delivery, and a plain ``reject-publish`` refusal is never dead-lettered
(RabbitMQ's rule), as in the simulator. Per-message TTL (``Producer.ttl``) is the ``expiration``
property and persistence ``delivery_mode=2``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from mqsim.model.scenario import Scenario

__all__ = ["Topology", "check_live_scenario", "DEATH_REASONS"]

#: x-death reasons -> mqsim causes (maxlen depends on the overflow policy)
DEATH_REASONS = {"expired": "expired", "rejected": "rejected", "delivery_limit": "delivery-limit"}


def check_live_scenario(scenario: Any) -> Scenario:
    """``scenario`` if the live player can play it on RabbitMQ, else one ``ValueError`` saying why."""
    if getattr(scenario, "family", None) == "kafka":
        raise ValueError("scenario: Kafka scenarios are simulation-only (no Kafka broker can be installed here); "
                         "mqsim.live plays queue scenarios on RabbitMQ")
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario: must be a mqsim.Scenario, got {type(scenario).__name__}")
    if scenario.routes:
        raise ValueError("scenario.routes: pipelines (a consumer publishing onward) are simulation-only in mqsim.live; "
                         "stages reached by dead-lettering are played")
    for k, name in enumerate(scenario.node_names):
        q, c = scenario.node(k)
        where = "queue" if k == 0 else f"stages[{name!r}].queue"
        if c.requeue != "head":
            raise ValueError(f"{where.replace('queue', 'consumers')}.requeue: RabbitMQ requeues a nacked message in "
                             f"place (requeue='head'); 'tail' has no broker equivalent")
        if q.queue_type == "quorum" and q.max_priority is not None:
            raise ValueError(f"{where}.max_priority: a delivery limit needs a quorum queue, and RabbitMQ refuses "
                             f"x-max-priority on quorum queues; drop one of delivery_limit or max_priority")
        if q.queue_type == "quorum" and q.durable is False:
            raise ValueError(f"{where}.durable: a quorum queue is always durable")
    return scenario


@dataclass(frozen=True)
class Topology:
    """Names and declare arguments of one live run's queues (``time_scale``: scenario s per real s)."""

    scenario: Scenario
    run_id: str
    time_scale: float = 1.0

    @classmethod
    def new(cls, scenario: Scenario, time_scale: float = 1.0) -> "Topology":
        return cls(scenario, secrets.token_hex(4), time_scale)

    @property
    def observer(self) -> str:
        """The queue that collects every dead-lettered message (the broker's fate reports)."""
        return f"mqsim.{self.run_id}.observe"

    def queue(self, k: int) -> str:
        return f"mqsim.{self.run_id}.{self.scenario.node_names[k]}"

    def dlx(self, k: int) -> str:
        return f"mqsim.{self.run_id}.dlx.{k}"

    def node_of(self, queue_name: str) -> int:
        """Queue index of a declared queue name (-1 if it is not one of this run's)."""
        for k in range(len(self.scenario.node_names)):
            if self.queue(k) == queue_name:
                return k
        return -1

    def arguments(self, k: int) -> dict[str, Any]:
        """The ``x-`` arguments of queue ``k``."""
        q = self.scenario.node(k)[0]
        args: dict[str, Any] = {"x-dead-letter-exchange": self.dlx(k)}
        if q.queue_type == "quorum":
            args["x-queue-type"] = "quorum"
        if q.max_priority is not None:
            args["x-max-priority"] = q.max_priority
        if q.max_length is not None:
            args["x-max-length"] = q.max_length
            args["x-overflow"] = q.overflow
        if q.ttl is not None:
            args["x-message-ttl"] = self.ms(q.ttl)
        if q.delivery_limit is not None:
            args["x-delivery-limit"] = q.delivery_limit - 1
        return args

    def durable(self, k: int) -> bool:
        return self.scenario.node(k)[0].is_durable

    def ms(self, seconds: float) -> int:
        """Scenario seconds as real milliseconds (TTL arguments and ``expiration``)."""
        return max(0, int(round(seconds / self.time_scale * 1000)))

    def expiration(self, producer: int) -> str | None:
        ttl = self.scenario.producers[producer].ttl
        return None if ttl is None else str(self.ms(ttl))

    def sources(self, k: int) -> list[int]:
        """The queues that dead-letter into stage ``k``."""
        name = self.scenario.node_names[k]
        return [s for s in range(len(self.scenario.node_names)) if self.scenario.node(s)[0].dead_letter == name]

    def declare(self, ch: Any, k: int) -> None:
        """Declare queue ``k`` and bind it to the dead-letter exchanges that feed it (blocking channel)."""
        ch.queue_declare(self.queue(k), durable=self.durable(k), arguments=self.arguments(k))
        for s in self.sources(k):
            ch.queue_bind(self.queue(k), self.dlx(s))

    def declare_all(self, ch: Any) -> None:
        """Every exchange and queue of the run, and the observer (blocking channel)."""
        for k in range(len(self.scenario.node_names)):
            ch.exchange_declare(self.dlx(k), "fanout", durable=True)
        ch.queue_declare(self.observer, durable=True)
        for k in range(len(self.scenario.node_names)):
            ch.queue_bind(self.observer, self.dlx(k))
            self.declare(ch, k)

    def delete_all(self, ch: Any) -> None:
        """Remove the run's queues and exchanges (blocking channel)."""
        for k in range(len(self.scenario.node_names)):
            ch.queue_delete(self.queue(k))
        ch.queue_delete(self.observer)
        for k in range(len(self.scenario.node_names)):
            ch.exchange_delete(self.dlx(k))
