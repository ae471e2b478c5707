"""The SimPy engine: long-lived producer and consumer processes around broker queues.

Built the fast way SimPy allows: one process per producer and one per consumer for the whole
run, no process and no ``Resource`` request per message. Broker actions (enqueue, overflow,
dispatch, ack, nack, expiry, dead-lettering) are plain method calls made from inside those
processes. A scenario has one main queue (node 0) and optional stages (nodes 1..): pipeline
steps reached by ``Scenario.routes`` and dead-letter queues.

The model, one class per entity (read them in this order):

* :class:`~mqsim.sim.simpy.producers.ProducerProcess` — publishes on its arrival times;
* :class:`~mqsim.sim.simpy.broker.BrokerQueue` — ready messages by priority, dispatch,
  length limit, TTL, requeue, delivery limit, crash and repair of its consumers;
* :class:`~mqsim.sim.simpy.consumers.Consumer` — serves its prefetch buffer, settles each message;
* :func:`~mqsim.sim.simpy.failures.failures` — a consumer's crash / repair cycle;
* :class:`~mqsim.sim.simpy.network.Network` — the queues together: records, event hooks,
  dead-lettering and routes between queues;
* :mod:`~mqsim.sim.simpy.scheduling` — the two SimPy internals the engine touches.

Event order (what another engine must mirror to reproduce a sample path exactly):

* Processes start at t = 0 in this order: producers ``0..P-1``, then the consumers of node 0,
  1, ... in index order, then (if configured) one failure process per consumer in the same order,
  then (if configured) the broker's restart process (:mod:`~mqsim.sim.simpy.restarts`).
* Producer ``i`` loops: wait one inter-arrival, then publish one message, or a batch of
  messages (priority, class and service requirement drawn from its class streams, see
  :mod:`mqsim.sim.streams`). Time-varying rates thin candidate arrivals at the peak rate.
* Publish: if a consumer has a free prefetch slot, deliver at once; otherwise enqueue in the
  ready queue (strict priority levels, FIFO within a level) and apply the overflow policy.
* Dispatch is RabbitMQ's round-robin: consumers with a free slot form a FIFO ring; a delivery
  goes to the front one, which moves to the back if it still has a free slot; a consumer whose
  ack frees a slot joins the back. With prefetch 1 this is "longest-idle consumer first".
* Consumer ``j`` loops: if its buffer is empty it waits for a wake-up (a SimPy event triggered
  by the delivery, processed at the same instant in event-list order); it then serves the
  head of its buffer for the message's service requirement, settles it (ack, or nack/reject
  when the scenario draws processing failures), and the broker dispatches ready messages
  to free slots.
* TTL expiry runs from timers scheduled with SimPy's URGENT priority, so a message whose TTL
  ends at the same instant as another event expires first.
* Events at equal times run in the order they were scheduled (SimPy's rule). The run stops
  before any event at ``t == horizon``.
"""

from __future__ import annotations

from typing import Any, Callable

import simpy

from mqsim.model.scenario import Scenario
from mqsim.model.validate import check_run_window
from mqsim.sim.events import Event, check_handlers
from mqsim.sim.records import Records
from mqsim.sim.result import Result
from mqsim.sim.simpy.broker import BrokerQueue
from mqsim.sim.simpy.consumers import Consumer
from mqsim.sim.simpy.failures import failures
from mqsim.sim.simpy.network import Network
from mqsim.sim.simpy.producers import ProducerProcess
from mqsim.sim.simpy.restarts import restarts
from mqsim.sim.streams import resolve_seed

__all__ = ["Simulation", "run"]


class Simulation:
    """One scenario, one seed; subscribe handlers with :meth:`on`, then :meth:`run`.

    >>> sim = Simulation(sc, seed=1)                            # doctest: +SKIP
    >>> sim.on("drop", lambda ev: print(ev.time, ev.cause))     # doctest: +SKIP
    >>> res = sim.run(horizon=1000, warmup=100)                 # doctest: +SKIP
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, *, trace: bool = True):
        if not isinstance(scenario, Scenario):
            raise ValueError(f"scenario: must be a mqsim.Scenario, got {type(scenario).__name__}")
        self.scenario = scenario
        self.seed = resolve_seed(seed)
        self.trace = bool(trace)
        self.handlers = check_handlers(None)

    def on(self, kind: str, handler: Callable[[Event], Any]) -> "Simulation":
        """Call ``handler(event)`` on every event of ``kind`` (see :data:`mqsim.EVENT_KINDS`)."""
        for k, hs in check_handlers({kind: handler}).items():
            self.handlers[k] += hs
        return self

    def run(self, horizon: float, warmup: float = 0.0) -> Result:
        """Simulate [0, horizon) seconds; statistics ignore what happens before ``warmup``."""
        horizon, warmup = check_run_window(horizon, warmup)
        rec = run(self.scenario, self.seed, horizon, self.handlers, self.trace)
        return Result(self.scenario, rec, horizon=horizon, warmup=warmup, seed=self.seed, engine="simpy")


def run(scenario: Scenario, seed: int, horizon: float, handlers: dict[str, list[Callable[[Event], Any]]],
        trace: bool, records: Callable[..., Records] = Records) -> Records:
    """One run of ``scenario`` over [0, ``horizon``) s; ``records(scenario, horizon, trace=...)``
    builds the store the engine writes into (:class:`Records`, or a streaming variant such as
    :class:`mqsim.sim.simpy.summary_records.WindowRecords`)."""
    env = simpy.Environment()
    rec = records(scenario, horizon, trace=trace)
    net = Network(env, scenario, seed, rec, handlers)
    net.queues = [BrokerQueue(net, k) for k in range(len(scenario.node_names))]
    for q in net.queues:
        q.consumers = [Consumer(q, j) for j in range(q.cons_cfg.count)]
    for i in range(len(scenario.producers)):  # the process start order is part of the event-order contract
        env.process(ProducerProcess(net, i).run())
    for q in net.queues:
        for cn in q.consumers:
            cn.proc = env.process(cn.serve())
    for q in net.queues:
        if q.cons_cfg.failure is not None:
            for cn in q.consumers:
                env.process(failures(q, cn))
    if scenario.restarts is not None:
        env.process(restarts(net))
    env.run(until=horizon)
    rec.trim()
    rec.n_acked = sum(cn.acked for q in net.queues for cn in q.consumers)
    rec.final_ready = sum(q.state[0] for q in net.queues)
    rec.final_inflight = sum(q.state[1] for q in net.queues)
    rec.check_conservation()
    return rec
