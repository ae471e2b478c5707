"""The broker as a whole: its queues, the records every queue writes, and the event hooks.

A scenario's queues are numbered: 0 is the main queue, 1.. its stages (``Scenario.node_names``).
Messages move between them in two ways, both implemented here because they need more than one
queue: **dead-lettering** (a queue with a dead-letter stage sends a copy of each message it
drops there) and **routes** (after an ack, a message continues to a next stage with the
route's probability). A copy is a new message: same producer and class, its own id, ``parent``
pointing at the original, a fresh service requirement drawn from the target queue's stream.

A publish can set off a chain: the copy a full queue dead-letters is published to the next queue,
which may be full too, and so on. The chain is followed in a loop (:meth:`Network.publish_chain`),
not by recursion, and the queue-length steps are taken innermost first, as nested calls would.

**Dead-letter cycles** follow RabbitMQ's rule ("Dead Letter Exchanges", section *Dead-letter
cycle*: a message that reaches the same queue twice is dropped *if there was no rejection in the
entire cycle*): a message dead-lettered to a queue it already died in is dropped (with its cause,
as if the queue had no dead-letter stage) unless one of its deaths since its last death there,
that one included, was a consumer's reject. A death by TTL, length limit or delivery limit is
automatic; a reject restarts the count (a retry loop through a waiting queue with a TTL runs as
often as the consumer rejects). The dead-letter targets form a functional graph, so a message
whose run of automatic deaths started at a queue of a cycle is back where it started exactly when
its next target is that queue: each copy carries the start of its run (:attr:`Network.dl_run`,
only for the queues of a cycle; nothing at all when the dead-letter targets have no cycle).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import simpy

from mqsim.model.outcomes import DROP_CAUSES, REJECTED
from mqsim.model.scenario import Scenario
from mqsim.sim.events import EVENT_KINDS, Event
from mqsim.sim.records import Records

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.broker import BrokerQueue

__all__ = ["Network", "CYCLE"]


class Network:
    """The shared state of one run: environment, scenario, records, queues and hooks."""

    __slots__ = ("env", "scenario", "seed", "rec", "queues", "hooks", "names", "node_names", "down", "on_cycle",
                 "dl_cyclic", "dl_run")

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
        self.on_cycle = scenario.dead_letter_cycles
        self.dl_cyclic = any(self.on_cycle)
        #: the start of a dead-letter copy's run of automatic deaths, for copies in a cycle's queues
        self.dl_run: dict[int, int] = {}

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

    def copy_to(self, mid: int, node: int) -> int:
        """A copy of ``mid`` for queue ``node`` (its service requirement drawn there), not yet published."""
        rec = self.rec
        i, k = rec.producer[mid], rec.cls[mid]
        target = self.queues[node]
        pr = self.scenario.producers[i].priority_levels[k]
        return self.new_copy(mid, node, target.queue.effective_priority(pr), target.service_stream(i, k)())

    def publish_copy(self, copy: int) -> None:
        """Publish ``copy`` (made by :meth:`copy_to`) to its queue, with every copy that sets off."""
        rec = self.rec
        target = self.queues[rec.node[copy]]
        target.publish(copy, target.level_of_prio(self.scenario.producers[rec.producer[copy]].priority_levels[
            rec.cls[copy]]), math.inf)

    def publish_chain(self, copy: int) -> None:
        """Publish ``copy``, then the copy its publish dead-letters, and so on (in a loop: a chain
        through full queues can be long); their queue-length steps innermost first."""
        rec, queues, producers = self.rec, self.queues, self.scenario.producers
        visited = []
        while copy >= 0:
            q = queues[rec.node[copy]]
            copy = q.arrive(copy, q.level_of_prio(producers[rec.producer[copy]].priority_levels[rec.cls[copy]]),
                            math.inf)
            visited.append(q)
        if rec.trace:
            for q in reversed(visited):
                q.rec.snapshot(self.env._now, q.k)

    def republish(self, mid: int, node: int) -> None:
        """Publish a copy of message ``mid`` to queue ``node`` (a route)."""
        self.publish_copy(self.copy_to(mid, node))

    def dead_letter(self, mid: int, node: int, cause: int) -> int:
        """Dead-letter ``mid`` if queue ``node`` has a dead-letter stage (and the cycle rule allows
        it): returns the copy for that stage, to be published by the caller, or -1."""
        target = self.queues[node].dl_target
        if target < 0:
            return -1
        run = -1
        if self.dl_cyclic:
            run = self.death_run(mid, node, cause, target)
            if run == CYCLE:
                return -1
        rec = self.rec
        rec.dead_lettered[mid] = True
        rec.cause[mid] = cause
        rec.t_done[mid] = self.env._now
        rec.n_dead += 1
        if self.hooks["dead_letter"]:
            self.emit("dead_letter", mid, DROP_CAUSES[cause])
        new = self.copy_to(mid, target)
        if run >= 0:
            self.dl_run[new] = run
        return new

    def death_run(self, mid: int, node: int, cause: int, target: int) -> int:
        """The dead-letter cycle rule for ``mid`` dying at ``node`` (see the module docstring):
        :data:`CYCLE` if it must be dropped, else the run start its copy carries (-1: none)."""
        start = self.dl_run.pop(mid, -1)
        if cause == REJECTED:
            return -1  # a reject: never a cycle, and the copy starts afresh
        if start < 0 and self.on_cycle[node]:
            start = node
        return CYCLE if start == target else start

    def forget(self, mid: int) -> None:
        """``mid`` left for good without a dead-letter copy: drop its cycle bookkeeping."""
        if self.dl_run:
            self.dl_run.pop(mid, None)

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


#: :meth:`Network.death_run`'s answer for a message the dead-letter cycle rule drops
CYCLE = -2
