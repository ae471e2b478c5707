"""One broker queue: ready messages by priority, RabbitMQ's round-robin dispatch to consumers
with free prefetch slots, the length limit, TTL expiry, requeue and the delivery limit.

State (see :class:`BrokerQueue`): ``ready`` is one FIFO deque of message ids per priority level
(highest first); ``avail`` is the ring of consumers with a free prefetch slot in round-robin
order (a delivery goes to the front one, which moves to the back if it still has a free slot;
a consumer whose ack frees a slot joins the back; with prefetch 1 this is "longest-idle consumer
first"); ``state`` is ``[n_ready, n_inflight, n_busy]``, shared with the records. Invariant: a
consumer with a free slot means nothing is ready, so ``dispatch`` runs whenever a slot frees.

TTL counts ready time only (RabbitMQ's ``x-message-ttl`` and per-message ``expiration``, the
lower wins): each ready message with a finite deadline sits in ``ttl_heap``; an expiry timer
(SimPy ``URGENT``, so it runs before anything else at that instant) removes the ones whose
deadline has passed. A message delivered meanwhile is skipped (its ``t_deliver`` is set); a
message that expired while ready stays in its deque until it reaches the head, where
``take_head`` skips it (lazy deletion).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from mqsim.model.outcomes import DELIVERY_LIMIT, DROP_CAUSES, DROP_HEAD, EXPIRED, LOST, REJECT_PUBLISH, REJECTED
from mqsim.sim.simpy.scheduling import URGENT, call_at
from mqsim.sim.streams import CONSUMER, REDELIVERY, ROUTE, STAGE_SERVICE, Stream, make_rng

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.consumers import Consumer
    from mqsim.sim.simpy.network import Network

__all__ = ["BrokerQueue"]


class BrokerQueue:
    """Queue ``k`` of a scenario (0 = main, then the stages) and the state of its consumers."""

    __slots__ = ("net", "env", "rec", "k", "queue", "cons_cfg", "consumers", "avail", "ready", "level_of", "state",
                 "prefetch", "refill", "max_length", "reject", "reject_dlx", "to_head", "limit", "queue_ttl",
                 "dl_target", "routes", "route_u", "ttl_heap", "timers", "probs", "services", "redraws", "reject_at",
                 "snapshot", "on_publish", "on_deliver", "on_ack", "fast_ack", "c_cause", "c_dead", "c_deliver",
                 "c_consumer", "c_deliveries")

    def __init__(self, net: "Network", k: int):
        sc = net.scenario
        queue, cons = sc.node(k)
        self.net, self.env, self.rec, self.k = net, net.env, net.rec, k
        self.queue, self.cons_cfg = queue, cons
        self.consumers: list[Consumer] = []
        self.avail: deque[int] = deque(range(cons.count))
        self.prefetch = 0 if cons.auto_ack else cons.prefetch  # autoAck ignores the prefetch window
        self.refill = self.prefetch - 1  # unacked count at which a blocked consumer has a free slot again
        self.max_length = queue.max_length
        self.reject = queue.overflow != "drop-head"
        self.reject_dlx = queue.overflow == "reject-publish-dlx"
        # a quorum queue refuses a publish only once it is *over* the limit (RabbitMQ 3.10: 5 -> 6 accepted)
        self.reject_at = (queue.max_length + (queue.queue_type == "quorum")) if queue.max_length is not None else 0
        self.to_head = cons.requeue == "head"
        self.limit = queue.delivery_limit
        self.queue_ttl = queue.ttl if queue.ttl is not None else math.inf
        index = {nm: n for n, nm in enumerate(sc.node_names)}
        self.dl_target = index[queue.dead_letter] if queue.dead_letter is not None else -1
        self.routes = [(index[d], p) for d, p in sc.routes.get(sc.node_names[k], {}).items() if p > 0]
        self.route_u = Stream(_uniform, make_rng(net.seed, ROUTE, k)).next if self.routes else None
        self.level_of = queue.levels(sc.producers)  # {} without priorities: one FIFO level
        self.ready: list[deque[int]] = [deque() for _ in range(max(1, len(self.level_of)))]
        self.state = net.rec.node_state(k)
        self.ttl_heap: list[tuple[float, int]] = []
        self.timers: list[float] = []  # pending expiry timer times (heap)
        self.probs: dict[tuple[int, int], tuple[float, float]] = {}
        self.services: dict[tuple[int, int], Callable[[], float]] = {}
        self.redraws: dict[tuple[int, int], Callable[[], float]] = {}
        self.snapshot: Callable[[], None] | None = self._snapshot if net.rec.trace else None
        self.on_publish, self.on_deliver, self.on_ack = (net.hooks[k] for k in ("publish", "deliver", "ack"))
        #: a plain ack (no outcome draws, no ack hooks, no routes onward, no dead-letter cycle through
        #: this queue): consumers settle it inline
        self.fast_ack = not cons.has_outcomes and not self.on_ack and not self.routes and not net.on_cycle[k]
        rec = net.rec  # the record columns written on every delivery (None: not stored, see Records)
        self.c_cause, self.c_dead, self.c_deliver = rec.cause, rec.dead_lettered, rec.t_deliver
        self.c_consumer, self.c_deliveries = rec.consumer, rec.deliveries

    def _snapshot(self) -> None:
        self.rec.snapshot(self.env._now, self.k)

    # ---- per-class lookups ------------------------------------------------------------------
    def level_of_prio(self, p: int) -> int:
        """Index into ``ready`` of a message published with priority ``p``."""
        return self.level_of.get(self.queue.effective_priority(p), 0)

    def _stream(self, cache: dict, key: int, i: int, kk: int) -> Callable[[], float]:
        s = cache.get((i, kk))
        if s is None:
            sc = self.net.scenario
            dist = sc.service_for(i, sc.producers[i].priority_levels[kk], self.k)
            s = cache[(i, kk)] = Stream(dist.sample, make_rng(self.net.seed, key, self.k, i, kk)).next
        return s

    def service_stream(self, i: int, kk: int) -> Callable[[], float]:
        """Service requirements here of copies of producer ``i``'s class-``kk`` messages."""
        return self._stream(self.services, STAGE_SERVICE, i, kk)

    def redelivery_stream(self, i: int, kk: int) -> Callable[[], float]:
        """Fresh service requirements of redelivered messages (processing starts afresh)."""
        return self._stream(self.redraws, REDELIVERY, i, kk)

    def outcome_probs(self, mid: int) -> tuple[float, float]:
        """(nack, reject) probabilities of message ``mid`` at these consumers (cached per class)."""
        rec = self.rec
        key = (rec.producer[mid], rec.priority[mid])
        pq = self.probs.get(key)
        if pq is None:
            pq = self.probs[key] = self.cons_cfg.outcome_probs(self.net.names[key[0]], key[1])
        return pq

    def consumer_stream(self, j: int) -> Callable[[], float] | None:
        """Uniforms that decide consumer ``j``'s processing outcomes (None: always ack)."""
        if not self.cons_cfg.has_outcomes:
            return None
        return Stream(_uniform, make_rng(self.net.seed, CONSUMER, self.k, j)).next

    # ---- leaving for good -------------------------------------------------------------------
    def settle_drop(self, mid: int, cause: int) -> None:
        """A message leaves for good: dead-lettered if configured (the copy published), else
        dropped or expired."""
        copy = self.drop(mid, cause)
        if copy >= 0:
            self.net.publish_copy(copy)

    def drop(self, mid: int, cause: int) -> int:
        """:meth:`settle_drop` without publishing the dead-letter copy: returns the copy, or -1."""
        if cause != REJECT_PUBLISH or self.reject_dlx:  # only a plain reject-publish is never dead-lettered
            copy = self.net.dead_letter(mid, self.k, cause)
            if copy >= 0:
                return copy
        self.net.forget(mid)
        rec = self.rec
        rec.cause[mid] = cause
        rec.t_done[mid] = self.env._now
        hooks = self.net.hooks
        if cause == EXPIRED:
            rec.n_expired += 1
            if hooks["expire"]:
                self.net.emit("expire", mid, "expired")
        else:
            rec.n_dropped += 1
            if hooks["drop"]:
                self.net.emit("drop", mid, DROP_CAUSES[cause])
        return -1

    # ---- ready messages -----------------------------------------------------------------------
    def take_head(self) -> int:
        """Remove and return the head ready message of the highest non-empty priority level."""
        cause, dl = self.c_cause, self.c_dead
        for dq in self.ready:
            while dq:
                mid = dq.popleft()
                if not cause[mid] and (dl is None or not dl[mid]):
                    return mid  # skip entries that expired while ready (lazy deletion)
        raise RuntimeError("take_head on an empty ready queue")  # pragma: no cover

    def enqueue(self, mid: int, level: int, deadline: float, head: bool = False) -> None:
        """Make ``mid`` ready at priority ``level`` (at the head or the tail), expiring at ``deadline``."""
        if head:
            self.ready[level].appendleft(mid)
        else:
            self.ready[level].append(mid)
        self.state[0] += 1
        if deadline < math.inf:
            heapq.heappush(self.ttl_heap, (deadline, mid))
            self.arm()

    def arm(self) -> None:
        """Schedule an expiry timer at the earliest deadline unless one is due no later."""
        heap, timers = self.ttl_heap, self.timers
        if heap and (not timers or heap[0][0] < timers[0]):
            d = heap[0][0]
            heapq.heappush(timers, d)
            call_at(self.env, max(d - self.env._now, 0.0), self.expire_due, URGENT)

    def expire_due(self, _ev: Any = None) -> None:
        """Expiry timer: every ready message whose deadline has passed expires now."""
        now = self.env._now
        timers, heap, rec = self.timers, self.ttl_heap, self.rec
        if timers and timers[0] <= now:
            heapq.heappop(timers)
        dl = rec.dead_lettered
        while heap and heap[0][0] <= now:
            _, mid = heapq.heappop(heap)
            d = rec.t_deliver[mid]
            if d != d and not rec.cause[mid] and (dl is None or not dl[mid]):  # still ready
                self.state[0] -= 1
                self.settle_drop(mid, EXPIRED)
        self.arm()
        if self.snapshot is not None:
            self.snapshot()

    # ---- publish and deliver --------------------------------------------------------------------
    def publish(self, mid: int, level: int, msg_ttl: float) -> None:
        """A message arrives: straight to a consumer with a free slot, or ready (with the length
        limit's overflow policy and its TTL); a dead-letter copy that makes is published next."""
        copy = self.arrive(mid, level, msg_ttl)
        if copy >= 0:
            self.net.publish_chain(copy)
        if self.snapshot is not None:
            self.snapshot()

    def arrive(self, mid: int, level: int, msg_ttl: float) -> int:
        """:meth:`publish` up to its queue-length step: returns the dead-letter copy it made (to
        be published next) or -1."""
        copy = -1
        if self.on_publish:
            self.net.emit("publish", mid)
        st = self.state
        if self.avail:  # invariant: a free slot means nothing is ready
            self.deliver(mid)
        elif self.max_length is not None and self.reject and st[0] >= self.reject_at:
            copy = self.drop(mid, REJECT_PUBLISH)
        else:
            ttl = self.queue_ttl if self.queue_ttl < msg_ttl else msg_ttl
            if ttl <= 0:  # TTL 0: expires unless it can be delivered at once
                copy = self.drop(mid, EXPIRED)
            elif ttl == math.inf:
                self.ready[level].append(mid)
                st[0] += 1
            else:
                self.enqueue(mid, level, self.env._now + ttl)
            if ttl > 0 and self.max_length is not None and st[0] > self.max_length and not self.reject:  # drop-head
                st[0] -= 1
                copy = self.drop(self.take_head(), DROP_HEAD)
        return copy

    def deliver(self, mid: int) -> None:
        """Push ``mid`` to the consumer at the front of the round-robin ring."""
        avail, prefetch = self.avail, self.prefetch
        j = avail.popleft()
        cn = self.consumers[j]
        cn.buf.append(mid)
        cn.unacked += 1
        if prefetch == 0 or cn.unacked < prefetch:
            avail.append(j)
        self.c_deliver[mid] = self.env._now
        self.c_consumer[mid] = j
        if self.c_deliveries is not None:
            self.c_deliveries[mid] += 1
        self.state[1] += 1
        if self.on_deliver:
            self.net.emit("deliver", mid)
        if cn.idle:
            cn.idle = False
            cn.wake.succeed()  # type: ignore[union-attr]

    def dispatch(self) -> None:
        """Deliver ready messages while some consumer has a free slot."""
        st, avail = self.state, self.avail
        if st[0] and avail:
            deliver, take_head = self.deliver, self.take_head
            while st[0] and avail:
                st[0] -= 1
                deliver(take_head())

    # ---- back to the queue ----------------------------------------------------------------------
    def msg_ttl_of(self, mid: int) -> float:
        """The producer's per-message TTL of ``mid`` (s): it applies in the main queue only."""
        rec = self.rec
        parent = rec.parent[mid] if rec.parent is not None else -1
        t = self.net.scenario.producers[rec.producer[mid]].ttl if self.k == 0 and parent < 0 else None
        return t if t is not None else math.inf

    def give_back(self, mid: int) -> None:
        """A delivered message returns to the queue (nack with requeue, or its consumer crashed),
        or leaves if it reached the delivery limit. Requeue keeps the original expiry."""
        rec = self.rec
        rec.t_deliver[mid] = math.nan
        rec.consumer[mid] = -1
        rec.t_start[mid] = math.nan
        if self.limit is not None and rec.deliveries[mid] >= self.limit:
            self.settle_drop(mid, DELIVERY_LIMIT)
            return
        deadline = rec.t_publish[mid] + min(self.queue_ttl, self.msg_ttl_of(mid))
        if deadline <= self.env._now:
            self.settle_drop(mid, EXPIRED)
            return
        i = rec.producer[mid]
        k = rec.cls[mid] if rec.cls is not None else 0
        rec.service[mid] = self.redelivery_stream(i, k)()  # processing starts afresh
        level = self.level_of_prio(self.net.scenario.producers[i].priority_levels[k])
        self.enqueue(mid, level, deadline, head=self.to_head)

    def settle(self, cn: "Consumer", mid: int, start: float) -> None:
        """Consumer ``cn`` finished processing ``mid`` (started at ``start``): ack, or nack /
        reject as the consumer's outcome stream draws, then refill free slots."""
        net, rec, now = self.net, self.rec, self.env._now
        verdict = 0
        if cn.u_next is not None:
            p_nack, p_reject = self.outcome_probs(mid)
            u = cn.u_next()
            verdict = 1 if u < p_nack else (2 if u < p_nack + p_reject else 0)
        if verdict == 0:
            rec.t_done[mid] = now
            cn.acked += 1
            net.forget(mid)
            if self.on_ack:
                net.emit("ack", mid)
            if self.routes:
                net.route(mid, self.k)
        else:
            rec.log_attempt(mid, start, now)
            rec.prior[mid] += now - start
            if net.hooks["nack"]:
                net.emit("nack", mid, "requeue" if verdict == 1 else "rejected")
            if verdict == 1:
                self.give_back(mid)
            else:
                rec.t_deliver[mid] = math.nan
                rec.consumer[mid] = -1
                rec.t_start[mid] = math.nan
                self.settle_drop(mid, REJECTED)
        self.dispatch()

    # ---- consumer failures ----------------------------------------------------------------------
    def release(self, cn: "Consumer", why: str) -> list[int]:
        """Consumer ``cn`` lets go of every message it holds (a crash, or a restart's lost
        connection): returns them, the one in service first, then its prefetch buffer. The service
        in progress is logged as an attempt and interrupted (``why`` is the Interrupt's cause); the
        consumer is left empty. The in-flight count and the round-robin ring are the caller's."""
        rec, now = self.rec, self.env._now
        held = ([cn.current] if cn.current >= 0 else []) + list(cn.buf)
        if cn.current >= 0:
            cur = cn.current
            rec.log_attempt(cur, rec.t_start[cur], now)
            rec.prior[cur] += now - rec.t_start[cur]
            rec.t_start[cur] = math.nan
            self.state[2] -= 1
            cn.proc.interrupt(why)  # type: ignore[union-attr]
        cn.current = -1
        cn.buf.clear()
        cn.unacked = 0
        return held

    def crash(self, cn: "Consumer") -> None:
        """Consumer ``cn`` crashes: its unacked messages return to the queue (or, with auto-ack,
        are lost) and its slots leave the round-robin ring until :meth:`repair`."""
        cn.down = True
        try:
            self.avail.remove(cn.idx)
        except ValueError:
            pass
        held = self.release(cn, "crash")
        self.state[1] -= len(held)
        if self.net.hooks["crash"]:
            self.net.emit_consumer("crash", cn.idx, self.k)
        if self.cons_cfg.auto_ack:
            self._lose(held)
        else:
            for mid in (reversed(held) if self.to_head else held):
                self.give_back(mid)
        self.dispatch()
        if self.snapshot is not None:
            self.snapshot()

    def _lose(self, held: list[int]) -> None:
        """Messages an auto-ack consumer held when it crashed: the broker had already forgotten them."""
        rec, now = self.rec, self.env._now
        for mid in held:
            rec.cause[mid] = LOST
            rec.t_done[mid] = now
            rec.n_lost += 1
            self.net.forget(mid)
            if self.net.hooks["drop"]:
                self.net.emit("drop", mid, "lost")

    def repair(self, cn: "Consumer") -> None:
        """Consumer ``cn`` is back: it rejoins the round-robin ring with an empty window (when the
        broker is back, if a restart has it down)."""
        cn.down = False
        if self.net.down:  # it reconnects when the broker is back (restarts.broker_up)
            return
        self.avail.append(cn.idx)
        if self.net.hooks["repair"]:
            self.net.emit_consumer("repair", cn.idx, self.k)
        self.dispatch()
        if self.snapshot is not None:
            self.snapshot()


def _uniform(rng: Any, n: int) -> Any:
    return rng.random(n)
