"""The SimPy engine: long-lived producer and consumer processes around a broker queue.

Built the fast way SimPy allows: one process per producer and one per consumer for the whole
run, no process and no ``Resource`` request per message. Broker actions (enqueue, overflow,
dispatch, ack) are plain function calls made from inside those processes.

Event order (what another engine must mirror to reproduce a sample path exactly):

* Processes start at t = 0 in this order: producers ``0..P-1``, then consumers ``0..c-1``.
* Producer ``i`` loops: wait one inter-arrival, then publish one message (priority and
  service requirement drawn from its class streams, see :mod:`mqsim.streams`).
* Publish: if a consumer has a free prefetch slot, deliver at once; otherwise enqueue in the
  ready queue (strict priority levels, FIFO within a level) and apply the overflow policy.
* Dispatch is RabbitMQ's round-robin: consumers with a free slot form a FIFO ring; a delivery
  goes to the front one, which moves to the back if it still has a free slot; a consumer whose
  ack frees a slot joins the back. With prefetch 1 this is "longest-idle consumer first".
* Consumer ``j`` loops: if its buffer is empty it waits for a wake-up (a SimPy event triggered
  by the delivery, processed at the same instant in event-list order); it then serves the
  head of its buffer for the message's service requirement, acks, and the broker dispatches
  ready messages to free slots.
* Events at equal times run in the order they were scheduled (SimPy's rule). The run stops
  before any event at ``t == horizon``.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Callable, NamedTuple

import numpy as np
import simpy

from .dist import Discrete
from .records import DROP_HEAD, REJECT_PUBLISH, Records
from .scenario import Scenario
from .streams import ARRIVAL, BLOCK, PRIORITY, SERVICE, Stream, make_rng, resolve_seed

__all__ = ["EVENT_KINDS", "Event", "Simulation", "simulate", "check_run_window"]

EVENT_KINDS = ("publish", "deliver", "ack", "drop")


class Event(NamedTuple):
    """What a subscribed handler receives.

    kind: one of :data:`EVENT_KINDS`; time: simulated seconds; message: message id;
    producer: producer name; priority: effective priority; consumer: consumer index or -1;
    cause: for ``drop``, ``"reject-publish"`` or ``"drop-head"``, else ``""``.
    """

    kind: str
    time: float
    message: int
    producer: str
    priority: int
    consumer: int
    cause: str = ""


def check_run_window(horizon: Any, warmup: Any) -> tuple[float, float]:
    """Validate ``horizon`` > 0 and 0 <= ``warmup`` < ``horizon`` (both in seconds)."""
    try:
        h = float(horizon)
        w = float(warmup)
    except (TypeError, ValueError):
        raise ValueError(f"horizon/warmup: must be numbers of seconds, got {horizon!r}, {warmup!r}") from None
    if not math.isfinite(h) or h <= 0:
        raise ValueError(f"horizon: must be a finite number of seconds > 0, got {horizon!r}")
    if not math.isfinite(w) or w < 0 or w >= h:
        raise ValueError(f"warmup: must be in [0, horizon={h:g}) seconds, got {warmup!r}")
    return h, w


class _Consumer:
    __slots__ = ("idx", "buf", "unacked", "idle", "wake", "acked")

    def __init__(self, idx: int):
        self.idx = idx
        self.buf: deque[int] = deque()
        self.unacked = 0
        self.idle = False
        self.wake: simpy.Event | None = None
        self.acked = 0


class Simulation:
    """One scenario, one seed; subscribe handlers with :meth:`on`, then :meth:`run`.

    >>> sim = Simulation(sc, seed=1)
    >>> sim.on("drop", lambda ev: print(ev.time, ev.cause))
    >>> res = sim.run(horizon=1000, warmup=100)
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, *, trace: bool = True):
        if not isinstance(scenario, Scenario):
            raise ValueError(f"scenario: must be a mqsim.Scenario, got {type(scenario).__name__}")
        self.scenario = scenario
        self.seed = resolve_seed(seed)
        self.trace = bool(trace)
        self._handlers: dict[str, list[Callable[[Event], Any]]] = {k: [] for k in EVENT_KINDS}

    def on(self, kind: str, handler: Callable[[Event], Any]) -> "Simulation":
        """Call ``handler(event)`` on every event of ``kind`` (publish, deliver, ack, drop)."""
        if kind not in self._handlers:
            raise ValueError(f"event kind: must be one of {', '.join(EVENT_KINDS)}; got {kind!r}")
        if not callable(handler):
            raise ValueError(f"handler for {kind!r}: must be callable")
        self._handlers[kind].append(handler)
        return self

    def run(self, horizon: float, warmup: float = 0.0):
        """Simulate [0, horizon) seconds; statistics ignore what happens before ``warmup``."""
        from .result import Result

        horizon, warmup = check_run_window(horizon, warmup)
        rec = _run(self.scenario, self.seed, horizon, self._handlers, self.trace)
        return Result(self.scenario, rec, horizon=horizon, warmup=warmup, seed=self.seed, engine="simpy")


def simulate(scenario: Scenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
             handlers: dict[str, Callable[[Event], Any] | list[Callable[[Event], Any]]] | None = None,
             trace: bool = True):
    """Run ``scenario`` for ``horizon`` seconds and return a :class:`mqsim.Result`.

    warmup: seconds at the start excluded from every statistic (0 <= warmup < horizon).
    seed: int >= 0 for a reproducible run (same seed, same records); None draws fresh entropy
        (recorded in ``Result.seed``).
    handlers: ``{"publish"|"deliver"|"ack"|"drop": callable or list of callables}``.
    trace: keep the queue-length step series (``Result.queue_length``); False is faster.
    """
    sim = Simulation(scenario, seed, trace=trace)
    for kind, hs in (handlers or {}).items():
        for h in (hs if isinstance(hs, (list, tuple)) else [hs]):
            sim.on(kind, h)
    return sim.run(horizon, warmup)


def _run(sc: Scenario, seed: int, horizon: float, handlers: dict[str, list], trace: bool) -> Records:
    env = simpy.Environment()
    now = lambda: env._now  # noqa: E731 - SimPy's clock without the property call
    queue, cons_cfg = sc.queue, sc.consumers
    c = cons_cfg.count
    prefetch = cons_cfg.prefetch  # 0 = unlimited
    max_length = queue.max_length
    reject = queue.overflow == "reject-publish"
    rec = Records(sc, horizon, trace=trace)

    # Ready queue: one FIFO per effective priority level in use, highest first. A queue
    # without max_priority is one FIFO (RabbitMQ ignores priorities there).
    if queue.max_priority is None:
        level_of: dict[int, int] = {}
        ready = [deque()]
    else:
        used = sorted({queue.effective_priority(p) for pr in sc.producers for p in pr.priority_levels}, reverse=True)
        level_of = {p: k for k, p in enumerate(used)}
        ready = [deque() for _ in used]

    consumers = [_Consumer(j) for j in range(c)]
    avail: deque[int] = deque(range(c))  # consumers with a free prefetch slot, round-robin order
    st = rec.state  # counters: [n_ready, n_inflight, n_busy]

    # message columns (appended at publish, filled in as the message moves)
    m_prod, m_prio, m_pub = rec.producer, rec.priority, rec.t_publish
    m_del, m_start, m_done, m_cons, m_cause, m_svc = (rec.t_deliver, rec.t_start, rec.t_done, rec.consumer,
                                                      rec.cause, rec.service)
    snap = rec.snapshot if trace else None
    names = [p.name for p in sc.producers]
    h_pub, h_del, h_ack, h_drop = (handlers[k] for k in EVENT_KINDS)

    def emit(hs: list, kind: str, mid: int, cause: str = "") -> None:
        ev = Event(kind, env._now, mid, names[m_prod[mid]], m_prio[mid], m_cons[mid], cause)
        for h in hs:
            h(ev)

    def drop(mid: int, cause: int) -> None:
        m_cause[mid] = cause
        m_done[mid] = env._now
        rec.n_dropped += 1
        if h_drop:
            emit(h_drop, "drop", mid, "reject-publish" if cause == REJECT_PUBLISH else "drop-head")

    def take_head() -> int:
        for dq in ready:
            if dq:
                return dq.popleft()
        raise RuntimeError("take_head on an empty ready queue")  # pragma: no cover

    def deliver(mid: int) -> None:
        j = avail.popleft()
        cn = consumers[j]
        cn.buf.append(mid)
        cn.unacked += 1
        if prefetch == 0 or cn.unacked < prefetch:
            avail.append(j)
        m_del[mid] = env._now
        m_cons[mid] = j
        st[1] += 1
        if h_del:
            emit(h_del, "deliver", mid)
        if cn.idle:
            cn.idle = False
            cn.wake.succeed()  # type: ignore[union-attr]

    def publish(mid: int, level: int) -> None:
        if h_pub:
            emit(h_pub, "publish", mid)
        if avail:  # invariant: a free slot means nothing is ready
            deliver(mid)
        elif max_length is not None and reject and st[0] >= max_length:
            drop(mid, REJECT_PUBLISH)
        else:
            ready[level].append(mid)
            st[0] += 1
            if max_length is not None and st[0] > max_length:  # drop-head: drop the head ready message
                st[0] -= 1
                drop(take_head(), DROP_HEAD)
        if snap is not None:
            snap(env._now)

    cap = [0]  # length the per-message columns filled in later have been pre-extended to

    def grow() -> None:
        for col, fill in ((m_del, math.nan), (m_start, math.nan), (m_done, math.nan), (m_cons, -1), (m_cause, 0)):
            col.extend([fill] * BLOCK)
        cap[0] += BLOCK

    def producer(i: int):
        p = sc.producers[i]
        gap = Stream(p.interarrival.sample, make_rng(seed, ARRIVAL, i)).next  # type: ignore[union-attr]
        levels = p.priority_levels
        svc = [Stream(sc.service_for(i, lv).sample, make_rng(seed, SERVICE, i, k)).next
               for k, lv in enumerate(levels)]
        eff_of = [queue.effective_priority(lv) for lv in levels]
        level_by_pos = [level_of.get(e, 0) for e in eff_of]
        if isinstance(p.priority, Discrete):
            prio_next = Stream(p.priority.sample, make_rng(seed, PRIORITY, i)).next
            pos_of = {lv: k for k, lv in enumerate(levels)}
        else:
            prio_next = None
        eff0, level0, svc0 = eff_of[0], level_by_pos[0], svc[0]
        timeout = env.timeout
        pub_append, prod_append, prio_append, svc_append = m_pub.append, m_prod.append, m_prio.append, m_svc.append
        while True:
            yield timeout(gap())
            mid = len(m_pub)
            pub_append(env._now)
            prod_append(i)
            if prio_next is None:
                prio_append(eff0)
                svc_append(svc0())
                level = level0
            else:
                k = pos_of[int(prio_next())]
                prio_append(eff_of[k])
                svc_append(svc[k]())
                level = level_by_pos[k]
            if mid >= cap[0]:
                grow()
            publish(mid, level)

    def consumer(cn: _Consumer):
        buf = cn.buf
        popleft = buf.popleft
        j = cn.idx
        timeout = env.timeout
        event = env.event
        refill = prefetch - 1  # unacked count at which a blocked consumer has a free slot again
        while True:
            if not buf:
                cn.idle = True
                cn.wake = wake = event()
                yield wake
            mid = popleft()
            m_start[mid] = env._now
            st[2] += 1
            if snap is not None:
                snap(env._now)
            yield timeout(m_svc[mid])
            # ack
            m_done[mid] = env._now
            cn.acked += 1
            cn.unacked -= 1
            st[1] -= 1
            st[2] -= 1
            if cn.unacked == refill:
                avail.append(j)  # was blocked at a full window; has a free slot again
            if h_ack:
                emit(h_ack, "ack", mid)
            while st[0] and avail:
                st[0] -= 1
                deliver(take_head())
            if snap is not None:
                snap(env._now)

    for i in range(len(sc.producers)):
        env.process(producer(i))
    for cn in consumers:
        env.process(consumer(cn))
    env.run(until=horizon)

    rec.trim()
    rec.n_acked = sum(cn.acked for cn in consumers)
    rec.final_ready = st[0]
    rec.final_inflight = st[1]
    rec.check_conservation()
    return rec
