"""The broker as a whole: its queues, the records every queue writes, and the event hooks.

A scenario's queues are numbered: 0 is the main queue, 1.. its stages (``Scenario.node_names``).
Messages move between them in two ways, both implemented here because they need more than one
queue: **dead-lettering** (a queue with a dead-letter stage sends a copy of each message it
drops there) and **routes** (after an ack, a message continues to a next stage with the
route's probability). A copy is a new message: same producer and class, its own id, ``parent``
pointing at the original, a fresh service requirement drawn from the target queue's stream.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import simpy

from mqsim.model.outcomes import DROP_CAUSES
from mqsim.model.scenario import Scenario
from mqsim.sim.events import EVENT_KINDS, Event
from mqsim.sim.records import Records

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.broker import BrokerQueue

__all__ = ["Network"]


class Network:
    """The shared state of one run: environment, scenario, records, queues and hooks."""

    __slots__ = ("env", "scenario", "seed", "rec", "queues", "hooks", "names", "node_names", "down")

    def __init__(self, env: simpy.Environment, scenario: Scenario, seed: int, rec: Records,
                 handlers: dict[str, list[Callable[[Event], Any]]]):
        self.env = env
        self.scenario = scenario
        self.seed = seed
        self.rec = rec
        self.queues: list[BrokerQueue] = []
        self.hooks = {k: list(handlers.get(k, ())) for k in EVENT_KINDS}
        self.names = [p.name for p in scenario.producers]
        self.node_names = scenario.node_names
        self.down = False  # the broker itself is down (a restart, see mqsim.sim.simpy.restarts)

    # ---- event hooks ------------------------------------------------------------------------
    def emit(self, kind: str, mid: int, cause: str = "", consumer: int | None = None) -> None:
        """Call the handlers of ``kind`` with an :class:`~mqsim.sim.events.Event` about message ``mid``."""
        rec = self.rec
        node = rec.node[mid] if rec.node is not None else 0
        ev = Event(kind, self.env._now, mid, self.names[rec.producer[mid]], rec.priority[mid],
                   rec.consumer[mid] if consumer is None else consumer, cause, self.node_names[node])
        for h in self.hooks[kind]:
            h(ev)

    def emit_consumer(self, kind: str, consumer: int, node: int) -> None:
        """Call the handlers of ``crash`` or ``repair`` for consumer ``consumer`` of queue ``node``."""
        ev = Event(kind, self.env._now, -1, "", 0, consumer, "", self.node_names[node])
        for h in self.hooks[kind]:
            h(ev)

    # ---- messages moving between queues -------------------------------------------------------
    def new_copy(self, mid: int, node: int, priority: int, service: float) -> int:
        """Append a copy of message ``mid`` (same producer and class) published to ``node`` now."""
        rec = self.rec
        new = len(rec.t_publish)
        if new >= rec.capacity:
            rec.reserve()
        rec.t_publish.append(self.env._now)
        rec.producer.append(rec.producer[mid])
        rec.priority.append(priority)
        rec.service.append(service)
        rec.node[new] = node
        rec.cls[new] = rec.cls[mid]
        rec.parent[new] = mid
        return new

    def republish(self, mid: int, node: int) -> None:
        """Publish a copy of message ``mid`` to queue ``node`` (a dead-letter stage or a route)."""
        rec = self.rec
        i, k = rec.producer[mid], rec.cls[mid]
        target = self.queues[node]
        pr = self.scenario.producers[i].priority_levels[k]
        new = self.new_copy(mid, node, target.queue.effective_priority(pr), target.service_stream(i, k)())
        target.publish(new, target.level_of_prio(pr), math.inf)

    def dead_letter(self, mid: int, node: int, cause: int) -> bool:
        """Dead-letter ``mid`` if queue ``node`` has a dead-letter stage; True if it did."""
        target = self.queues[node].dl_target
        if target < 0:
            return False
        rec = self.rec
        rec.dead_lettered[mid] = True
        rec.cause[mid] = cause
        rec.t_done[mid] = self.env._now
        rec.n_dead += 1
        if self.hooks["dead_letter"]:
            self.emit("dead_letter", mid, DROP_CAUSES[cause])
        self.republish(mid, target)
        return True

    def route(self, mid: int, node: int) -> None:
        """After an ack at queue ``node``: continue to the next stage a route picks, if any."""
        q = self.queues[node]
        assert q.route_u is not None  # queues with routes have a routing stream
        u = q.route_u()
        acc = 0.0
        for dst, p in q.routes:
            acc += p
            if u < acc:
                self.republish(mid, dst)
                return
