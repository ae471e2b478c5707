"""The SimPy engine: long-lived producer and consumer processes around broker queues.

Built the fast way SimPy allows: one process per producer and one per consumer for the whole
run, no process and no ``Resource`` request per message. Broker actions (enqueue, overflow,
dispatch, ack, nack, expiry, dead-lettering) are plain function calls made from inside those
processes. A scenario has one main queue (node 0) and optional stages (nodes 1..): pipeline
steps reached by ``Scenario.routes`` and dead-letter queues.

Event order (what another engine must mirror to reproduce a sample path exactly):

* Processes start at t = 0 in this order: producers ``0..P-1``, then the consumers of node 0,
  1, ... in index order, then (if configured) one failure process per consumer in the same order.
* Producer ``i`` loops: wait one inter-arrival, then publish one message, or a batch of
  messages (priority, class and service requirement drawn from its class streams, see
  :mod:`mqsim.streams`). Time-varying rates thin candidate arrivals at the peak rate.
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

import heapq
import math
from collections import deque
from typing import Any, Callable

import simpy
from simpy.events import URGENT

from mqsim.model.dist import Discrete
from mqsim.model.outcomes import (
    DELIVERY_LIMIT,
    DROP_CAUSES,
    DROP_HEAD,
    EXPIRED,
    LOST,
    REJECT_PUBLISH,
    REJECTED,
)
from mqsim.model.scenario import Scenario
from mqsim.model.validate import check_run_window
from mqsim.sim.events import EVENT_KINDS, Event
from mqsim.sim.records import Records
from mqsim.sim.streams import (
    ARRIVAL,
    BATCH,
    BLOCK,
    CONSUMER,
    FAILURE,
    PRIORITY,
    REDELIVERY,
    ROUTE,
    SERVICE,
    STAGE_SERVICE,
    THINNING,
    Stream,
    make_rng,
    resolve_seed,
)

__all__ = ["Simulation", "simulate"]


class _Consumer:
    __slots__ = ("idx", "buf", "unacked", "idle", "wake", "acked", "current", "down", "proc")

    def __init__(self, idx: int):
        self.idx = idx
        self.buf: deque[int] = deque()
        self.unacked = 0
        self.idle = False
        self.wake: simpy.Event | None = None
        self.acked = 0
        self.current = -1  # message in service
        self.down = False
        self.proc: simpy.Process | None = None


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
        """Call ``handler(event)`` on every event of ``kind`` (see :data:`EVENT_KINDS`)."""
        if kind not in self._handlers:
            raise ValueError(f"event kind: must be one of {', '.join(EVENT_KINDS)}; got {kind!r}")
        if not callable(handler):
            raise ValueError(f"handler for {kind!r}: must be callable")
        self._handlers[kind].append(handler)
        return self

    def run(self, horizon: float, warmup: float = 0.0):
        """Simulate [0, horizon) seconds; statistics ignore what happens before ``warmup``."""
        from mqsim.sim.result import Result

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
    handlers: ``{kind: callable or list of callables}``, kinds as in :data:`EVENT_KINDS`.
    trace: keep the queue-length step series (``Result.queue_length``); False is faster.
    A :class:`mqsim.kafka.KafkaScenario` runs on the Kafka model (handlers are not supported there).
    """
    if type(scenario).__name__ == "KafkaScenario":
        from mqsim.sim.kafka import simulate_kafka

        if handlers:
            raise ValueError("handlers: event hooks are not supported for Kafka scenarios")
        return simulate_kafka(scenario, horizon, warmup, seed, trace=trace)
    sim = Simulation(scenario, seed, trace=trace)
    for kind, hs in (handlers or {}).items():
        for h in (hs if isinstance(hs, (list, tuple)) else [hs]):
            sim.on(kind, h)
    return sim.run(horizon, warmup)


def _run(sc: Scenario, seed: int, horizon: float, handlers: dict[str, list], trace: bool,
         records: Callable[..., Records] = Records) -> Records:
    """One run; ``records(sc, horizon, trace=...)`` builds the store the engine writes into
    (:class:`Records`, or a streaming variant such as ``mqsim._simpy_summary.WindowRecords``)."""
    env = simpy.Environment()
    rec = records(sc, horizon, trace=trace)
    n_nodes = len(sc.node_names)
    node_index = {nm: k for k, nm in enumerate(sc.node_names)}
    names = [p.name for p in sc.producers]
    hnd = handlers
    h_pub, h_del, h_ack, h_nack, h_drop, h_exp, h_dl = (hnd[k] for k in EVENT_KINDS[:7])

    # per-message columns (appended at publish, filled in as the message moves)
    m_prod, m_prio, m_pub, m_svc = rec.producer, rec.priority, rec.t_publish, rec.service
    m_del, m_start, m_done, m_cons, m_cause = rec.t_deliver, rec.t_start, rec.t_done, rec.consumer, rec.cause
    m_node, m_cls, m_parent, m_ndel, m_prior, m_dl = (rec.node, rec.cls, rec.parent, rec.deliveries, rec.prior,
                                                      rec.dead_lettered)
    snap = rec.snapshot if trace else None
    cap = [0]  # length the per-message columns filled in later have been pre-extended to

    def grow() -> None:
        for col, fill in ((m_del, math.nan), (m_start, math.nan), (m_done, math.nan), (m_cons, -1), (m_cause, 0),
                          (m_ndel, 0), (m_prior, 0.0), (m_dl, False), (m_node, 0), (m_cls, 0), (m_parent, -1)):
            col.extend([fill] * BLOCK)
        cap[0] += BLOCK

    def emit(hs: list, kind: str, mid: int, cause: str = "", consumer: int | None = None) -> None:
        ev = Event(kind, env._now, mid, names[m_prod[mid]], m_prio[mid], m_cons[mid] if consumer is None else consumer,
                   cause, sc.node_names[m_node[mid]])
        for h in hs:
            h(ev)

    # ------------------------------------------------------------------------------------
    def new_message(i: int, k: int, node: int, prio: int, svc: float, parent: int) -> int:
        """Append one message's publish-time columns; returns its id."""
        mid = len(m_pub)
        if mid >= cap[0]:
            grow()
        m_pub.append(env._now)
        m_prod.append(i)
        m_prio.append(prio)
        m_svc.append(svc)
        m_node[mid] = node
        m_cls[mid] = k
        m_parent[mid] = parent
        return mid

    def republish(mid: int, node: int) -> None:
        """Publish a copy of message ``mid`` (its producer and class) to ``node``."""
        i, k = m_prod[mid], m_cls[mid]
        nd = nodes[node]
        pr = sc.producers[i].priority_levels[k]
        new = new_message(i, k, node, nd.queue.effective_priority(pr), nd.service_stream(i, k)(), mid)
        nd.publish(new, nd.level_of_prio(pr), math.inf)

    def dead_letter(mid: int, node: int, cause: int) -> bool:
        """Dead-letter ``mid`` if its queue has a dead-letter stage; True if it did."""
        target = nodes[node].dl_target
        if target < 0:
            return False
        m_dl[mid] = True
        m_cause[mid] = cause
        m_done[mid] = env._now
        rec.n_dead += 1
        if h_dl:
            emit(h_dl, "dead_letter", mid, DROP_CAUSES[cause])
        republish(mid, target)
        return True

    def route(mid: int, node: int) -> None:
        nd = nodes[node]
        if nd.routes:
            u = nd.route_u()
            acc = 0.0
            for dst, p in nd.routes:
                acc += p
                if u < acc:
                    republish(mid, dst)
                    return

    # ------------------------------------------------------------------------------------
    def _node(k: int):  # noqa: C901 - one broker queue with its consumers, as closures
        queue, cons_cfg = sc.node(k)
        nd = _NodeState()
        nd.queue = queue
        c = cons_cfg.count
        prefetch = 0 if cons_cfg.auto_ack else cons_cfg.prefetch  # autoAck ignores the prefetch window
        max_length = queue.max_length
        overflow = queue.overflow
        reject = overflow != "drop-head"
        reject_dlx = overflow == "reject-publish-dlx"
        to_head = cons_cfg.requeue == "head"
        limit = queue.delivery_limit
        queue_ttl = queue.ttl if queue.ttl is not None else math.inf
        nd.dl_target = node_index[queue.dead_letter] if queue.dead_letter is not None else -1
        nd.routes = [(node_index[d], p) for d, p in sc.routes.get(sc.node_names[k], {}).items() if p > 0]
        if nd.routes:
            nd.route_u = Stream(lambda rng, n: rng.random(n), make_rng(seed, ROUTE, k)).next
        st = rec.node_state(k)  # [n_ready, n_inflight, n_busy]

        if queue.max_priority is None:
            level_of: dict[int, int] = {}
            ready: list[deque[int]] = [deque()]
        else:
            used = sorted({queue.effective_priority(p) for pr in sc.producers for p in pr.priority_levels},
                          reverse=True)
            level_of = {p: lv for lv, p in enumerate(used)}
            ready = [deque() for _ in used]
        nd.level_of_prio = lambda p: level_of.get(queue.effective_priority(p), 0)
        streams: dict[tuple[int, int], Callable[[], float]] = {}

        def service_stream(i: int, kk: int) -> Callable[[], float]:
            s = streams.get((i, kk))
            if s is None:
                dist = sc.service_for(i, sc.producers[i].priority_levels[kk], k)
                s = streams[(i, kk)] = Stream(dist.sample, make_rng(seed, STAGE_SERVICE, k, i, kk)).next
            return s

        nd.service_stream = service_stream
        redraws: dict[tuple[int, int], Callable[[], float]] = {}

        def redelivery_stream(i: int, kk: int) -> Callable[[], float]:
            s = redraws.get((i, kk))
            if s is None:
                dist = sc.service_for(i, sc.producers[i].priority_levels[kk], k)
                s = redraws[(i, kk)] = Stream(dist.sample, make_rng(seed, REDELIVERY, k, i, kk)).next
            return s
        consumers = [_Consumer(j) for j in range(c)]
        avail: deque[int] = deque(range(c))  # consumers with a free prefetch slot, round-robin order
        refill = prefetch - 1  # unacked count at which a blocked consumer has a free slot again
        ttl_heap: list[tuple[float, int]] = []
        timers: list[float] = []  # pending expiry timer times (heap)
        outcomes = cons_cfg.has_outcomes
        probs: dict[tuple[int, int], tuple[float, float]] = {}

        def _snapshot() -> None:
            snap(env._now, k)  # type: ignore[misc]

        snapshot = _snapshot if snap is not None else None

        def settle_drop(mid: int, cause: int) -> None:
            """A message leaves for good: dead-lettered if configured, else dropped/expired."""
            if cause != REJECT_PUBLISH or reject_dlx:  # only a plain reject-publish is never dead-lettered
                if dead_letter(mid, k, cause):
                    return
            m_cause[mid] = cause
            m_done[mid] = env._now
            if cause == EXPIRED:
                rec.n_expired += 1
                if h_exp:
                    emit(h_exp, "expire", mid, "expired")
            else:
                rec.n_dropped += 1
                if h_drop:
                    emit(h_drop, "drop", mid, DROP_CAUSES[cause])

        def take_head() -> int:
            for dq in ready:
                while dq:
                    mid = dq.popleft()
                    if not m_cause[mid] and not m_dl[mid]:
                        return mid  # skip entries that expired while ready (lazy deletion)
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
            m_ndel[mid] += 1
            st[1] += 1
            if h_del:
                emit(h_del, "deliver", mid)
            if cn.idle:
                cn.idle = False
                cn.wake.succeed()  # type: ignore[union-attr]

        def dispatch() -> None:
            while st[0] and avail:
                st[0] -= 1
                deliver(take_head())

        def expire_due(_ev: Any = None) -> None:
            now = env._now
            if timers and timers[0] <= now:
                heapq.heappop(timers)
            while ttl_heap and ttl_heap[0][0] <= now:
                _, mid = heapq.heappop(ttl_heap)
                if m_del[mid] != m_del[mid] and not m_cause[mid] and not m_dl[mid]:  # still ready
                    st[0] -= 1
                    settle_drop(mid, EXPIRED)
            arm()
            if snapshot is not None:
                snapshot()

        def arm() -> None:
            if ttl_heap and (not timers or ttl_heap[0][0] < timers[0]):
                d = ttl_heap[0][0]
                heapq.heappush(timers, d)
                ev = simpy.Event(env)
                ev._ok = True
                ev._value = None
                ev.callbacks.append(expire_due)
                env.schedule(ev, URGENT, max(d - env._now, 0.0))

        def enqueue(mid: int, level: int, deadline: float, head: bool = False) -> None:
            if head:
                ready[level].appendleft(mid)
            else:
                ready[level].append(mid)
            st[0] += 1
            if deadline < math.inf:
                heapq.heappush(ttl_heap, (deadline, mid))
                arm()

        def publish(mid: int, level: int, msg_ttl: float) -> None:
            if h_pub:
                emit(h_pub, "publish", mid)
            if avail:  # invariant: a free slot means nothing is ready
                deliver(mid)
            elif max_length is not None and reject and st[0] >= max_length:
                settle_drop(mid, REJECT_PUBLISH)
            else:
                ttl = queue_ttl if queue_ttl < msg_ttl else msg_ttl
                if ttl <= 0:  # TTL 0: expires unless it can be delivered at once
                    settle_drop(mid, EXPIRED)
                elif ttl == math.inf:
                    ready[level].append(mid)
                    st[0] += 1
                else:
                    enqueue(mid, level, env._now + ttl)
                if ttl > 0:
                    if max_length is not None and st[0] > max_length:  # drop-head: the head ready message
                        st[0] -= 1
                        settle_drop(take_head(), DROP_HEAD)
            if snapshot is not None:
                snapshot()

        nd.publish = publish

        def give_back(mid: int) -> None:
            """A delivered message returns to the queue (nack with requeue, or its consumer
            crashed), or leaves if it reached the delivery limit."""
            m_del[mid] = math.nan
            m_cons[mid] = -1
            m_start[mid] = math.nan
            if limit is not None and m_ndel[mid] >= limit:
                settle_drop(mid, DELIVERY_LIMIT)
                return
            deadline = m_pub[mid] + min(queue_ttl, msg_ttl_of(mid))  # requeue keeps the original expiry
            if deadline <= env._now:
                settle_drop(mid, EXPIRED)
                return
            m_svc[mid] = redelivery_stream(m_prod[mid], m_cls[mid])()  # processing starts afresh
            enqueue(mid, nd.level_of_prio(sc.producers[m_prod[mid]].priority_levels[m_cls[mid]]), deadline,
                    head=to_head)

        def msg_ttl_of(mid: int) -> float:
            t = sc.producers[m_prod[mid]].ttl if k == 0 and m_parent[mid] < 0 else None
            return t if t is not None else math.inf

        routes = nd.routes

        def consumer(cn: _Consumer):
            buf = cn.buf
            popleft = buf.popleft
            j = cn.idx
            timeout = env.timeout
            event = env.event
            u_next = Stream(lambda rng, n: rng.random(n), make_rng(seed, CONSUMER, k, j)).next if outcomes else None
            while True:
                if not buf:
                    cn.idle = True
                    cn.wake = wake = event()
                    yield wake
                    continue
                mid = popleft()
                m_start[mid] = start = env._now
                cn.current = mid
                st[2] += 1
                if snapshot is not None:
                    snapshot()
                try:
                    yield timeout(m_svc[mid])
                except simpy.Interrupt:
                    continue  # crashed: crash() has already returned or lost the messages
                cn.current = -1
                cn.unacked -= 1
                st[1] -= 1
                st[2] -= 1
                if cn.unacked == refill:
                    avail.append(j)  # was blocked at a full window; has a free slot again
                if u_next is None:
                    verdict = 0
                else:
                    key = (m_prod[mid], m_prio[mid])
                    pq = probs.get(key)
                    if pq is None:
                        pq = probs[key] = cons_cfg.outcome_probs(names[key[0]], key[1])
                    u = u_next()
                    verdict = 1 if u < pq[0] else (2 if u < pq[0] + pq[1] else 0)
                if verdict == 0:
                    m_done[mid] = env._now
                    cn.acked += 1
                    if h_ack:
                        emit(h_ack, "ack", mid)
                    if routes:
                        route(mid, k)
                else:
                    rec.log_attempt(mid, start, env._now)
                    m_prior[mid] += env._now - start
                    if h_nack:
                        emit(h_nack, "nack", mid, "requeue" if verdict == 1 else "rejected")
                    if verdict == 1:
                        give_back(mid)
                    else:
                        m_del[mid] = math.nan
                        m_cons[mid] = -1
                        m_start[mid] = math.nan
                        settle_drop(mid, REJECTED)
                while st[0] and avail:
                    st[0] -= 1
                    deliver(take_head())
                if snapshot is not None:
                    snapshot()

        def crash(cn: _Consumer) -> None:
            cn.down = True
            try:
                avail.remove(cn.idx)
            except ValueError:
                pass
            held = ([cn.current] if cn.current >= 0 else []) + list(cn.buf)
            if cn.current >= 0:
                cur = cn.current
                rec.log_attempt(cur, m_start[cur], env._now)
                m_prior[cur] += env._now - m_start[cur]
                m_start[cur] = math.nan
                st[2] -= 1
                cn.proc.interrupt("crash")  # type: ignore[union-attr]
            cn.current = -1
            cn.buf.clear()
            cn.unacked = 0
            st[1] -= len(held)
            if hnd["crash"]:
                for h in hnd["crash"]:
                    h(Event("crash", env._now, -1, "", 0, cn.idx, "", sc.node_names[k]))
            if cons_cfg.auto_ack:
                for mid in held:
                    m_cause[mid] = LOST
                    m_done[mid] = env._now
                    rec.n_lost += 1
                    if h_drop:
                        emit(h_drop, "drop", mid, "lost")
            else:
                for mid in (reversed(held) if to_head else held):
                    give_back(mid)
            dispatch()
            if snapshot is not None:
                snapshot()

        def repair(cn: _Consumer) -> None:
            cn.down = False
            avail.append(cn.idx)
            if hnd["repair"]:
                for h in hnd["repair"]:
                    h(Event("repair", env._now, -1, "", 0, cn.idx, "", sc.node_names[k]))
            dispatch()
            if snapshot is not None:
                snapshot()

        def failures(cn: _Consumer):
            f = cons_cfg.failure
            up = Stream(f.time_to_failure.sample, make_rng(seed, FAILURE, k, cn.idx, 0)).next
            down = Stream(f.repair.sample, make_rng(seed, FAILURE, k, cn.idx, 1)).next
            timeout = env.timeout
            while True:
                yield timeout(up())
                crash(cn)
                yield timeout(down())
                repair(cn)

        nd.start_consumers = lambda: [setattr(cn, "proc", env.process(consumer(cn))) for cn in consumers]
        nd.start_failures = (lambda: [env.process(failures(cn)) for cn in consumers]) if cons_cfg.failure else None
        nd.consumers = consumers
        nd.state = st
        return nd

    # ------------------------------------------------------------------------------------
    nodes: list[_NodeState] = [_node(k) for k in range(n_nodes)]
    main = nodes[0]

    def producer(i: int):
        p = sc.producers[i]
        levels = p.priority_levels
        svc = [Stream(sc.service_for(i, lv).sample, make_rng(seed, SERVICE, i, kk)).next
               for kk, lv in enumerate(levels)]
        eff_of = [sc.queue.effective_priority(lv) for lv in levels]
        level_by_pos = [main.level_of_prio(lv) for lv in levels]
        if isinstance(p.priority, Discrete):
            prio_next = Stream(p.priority.sample, make_rng(seed, PRIORITY, i)).next
            pos_of = {lv: kk for kk, lv in enumerate(levels)}
        else:
            prio_next = None
        eff0, level0, svc0 = eff_of[0], level_by_pos[0], svc[0]
        msg_ttl = p.ttl if p.ttl is not None else math.inf
        publish = main.publish
        timeout = env.timeout
        pub_append, prod_append, prio_append, svc_append = m_pub.append, m_prod.append, m_prio.append, m_svc.append
        batch_next = Stream(p.batch.sample, make_rng(seed, BATCH, i)).next if isinstance(p.batch, Discrete) else None
        batch = p.batch if isinstance(p.batch, int) else 1
        trace_prio = trace_svc = None

        if p.schedule is not None:  # non-homogeneous Poisson by thinning
            sched = p.schedule
            peak = sched.peak
            cand = Stream(lambda rng, n: rng.exponential(1.0 / peak, n), make_rng(seed, ARRIVAL, i)).next
            keep = Stream(lambda rng, n: rng.random(n), make_rng(seed, THINNING, i)).next

            def gaps():
                last = 0.0
                t = 0.0
                while True:
                    t += cand()
                    if keep() * peak < sched.rate(t):
                        yield t - last
                        last = t
            gap = gaps().__next__
        elif p.trace is not None:
            tr = p.trace
            trace_prio, trace_svc = tr.priorities, tr.services

            def gaps():
                last = 0.0
                for t in tr.times:
                    yield t - last
                    last = t
            gap = gaps().__next__
        else:
            gap = Stream(p.interarrival.sample, make_rng(seed, ARRIVAL, i)).next  # type: ignore[union-attr]

        if batch_next is None and batch == 1 and trace_prio is None and trace_svc is None and prio_next is None:
            while True:  # the common case, kept tight: one message per arrival, one class
                try:
                    g = gap()
                except StopIteration:
                    return
                yield timeout(g)
                mid = len(m_pub)
                if mid >= cap[0]:
                    grow()
                pub_append(env._now)
                prod_append(i)
                prio_append(eff0)
                svc_append(svc0())
                publish(mid, level0, msg_ttl)
        if batch_next is None and batch == 1 and trace_prio is None and trace_svc is None:
            while True:  # one message per arrival, a priority mix
                try:
                    g = gap()
                except StopIteration:
                    return
                yield timeout(g)
                mid = len(m_pub)
                if mid >= cap[0]:
                    grow()
                pub_append(env._now)
                prod_append(i)
                kk = pos_of[int(prio_next())]  # type: ignore[misc]
                m_cls[mid] = kk
                prio_append(eff_of[kk])
                svc_append(svc[kk]())
                publish(mid, level_by_pos[kk], msg_ttl)
        n_pub = 0
        while True:
            try:
                g = gap()
            except StopIteration:
                return
            yield timeout(g)
            size = batch_next() if batch_next is not None else batch
            for _ in range(int(size)):
                mid = len(m_pub)
                if mid >= cap[0]:
                    grow()
                pub_append(env._now)
                prod_append(i)
                if trace_prio is not None:
                    pr = trace_prio[n_pub]
                    kk = levels.index(pr) if pr in levels else 0
                    m_cls[mid] = kk
                    prio_append(sc.queue.effective_priority(pr))
                    svc_append(trace_svc[n_pub] if trace_svc is not None else svc[kk]())
                    level = main.level_of_prio(pr)
                elif prio_next is None:
                    prio_append(eff0)
                    svc_append(trace_svc[n_pub] if trace_svc is not None else svc0())
                    level = level0
                else:
                    kk = pos_of[int(prio_next())]
                    m_cls[mid] = kk
                    prio_append(eff_of[kk])
                    svc_append(svc[kk]())
                    level = level_by_pos[kk]
                n_pub += 1
                publish(mid, level, msg_ttl)
    for i in range(len(sc.producers)):
        env.process(producer(i))
    for nd in nodes:
        nd.start_consumers()
    for nd in nodes:
        if nd.start_failures is not None:
            nd.start_failures()
    env.run(until=horizon)

    rec.trim()
    rec.n_acked = sum(cn.acked for nd in nodes for cn in nd.consumers)
    rec.final_ready = sum(nd.state[0] for nd in nodes)
    rec.final_inflight = sum(nd.state[1] for nd in nodes)
    rec.check_conservation()
    return rec


class _NodeState:
    """The closures and state of one broker queue (filled in by ``_run``)."""

    __slots__ = ("queue", "dl_target", "routes", "route_u", "level_of_prio", "service_stream", "publish",
                 "start_consumers", "start_failures", "consumers", "state")
