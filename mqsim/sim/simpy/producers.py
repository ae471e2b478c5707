"""A producer: one long-lived SimPy process that publishes messages to the main queue.

Each producer loops: wait one inter-arrival gap, then publish one message (or a batch). A
message's priority and service requirement are drawn when it is published, from its class's
streams (:mod:`mqsim.sim.streams`), so the sample path does not depend on which consumer
serves it. Gaps come from a renewal stream, from thinning a time-varying rate (Lewis & Shedler
1979: candidates at the peak rate, each kept with probability rate(t) / peak), or from a
recorded trace.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Generator

import simpy

from mqsim.model.dist import Discrete
from mqsim.model.producer import Producer
from mqsim.sim.simpy.restarts import guarded_publish
from mqsim.sim.streams import ARRIVAL, BATCH, PRIORITY, SERVICE, THINNING, Stream, make_rng

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.network import Network

__all__ = ["ProducerProcess", "gap_source"]


def gap_source(p: Producer, seed: int, i: int) -> Callable[[], float]:
    """The inter-arrival gaps (s) of producer ``i``; raises ``StopIteration`` when a trace ends."""
    if p.schedule is not None:
        return _thinned_gaps(p, seed, i).__next__
    if p.trace is not None:
        return _trace_gaps(p.trace.times).__next__
    return Stream(p.interarrival.sample, make_rng(seed, ARRIVAL, i)).next  # type: ignore[union-attr]


def _thinned_gaps(p: Producer, seed: int, i: int) -> Generator[float, None, None]:
    sched = p.schedule
    peak = sched.peak
    cand = Stream(lambda rng, n: rng.exponential(1.0 / peak, n), make_rng(seed, ARRIVAL, i)).next
    keep = Stream(lambda rng, n: rng.random(n), make_rng(seed, THINNING, i)).next
    last = t = 0.0
    while True:
        t += cand()
        if keep() * peak < sched.rate(t):
            yield t - last
            last = t


def _trace_gaps(times: tuple[float, ...]) -> Generator[float, None, None]:
    last = 0.0
    for t in times:
        yield t - last
        last = t


class ProducerProcess:
    """Producer ``i``: its classes (priority levels), their streams, and its publishing loop."""

    __slots__ = ("net", "i", "p", "levels", "svc", "eff_of", "level_of", "prio_next", "pos_of", "batch_next",
                 "batch", "msg_ttl", "gap")

    def __init__(self, net: "Network", i: int):
        sc, seed = net.scenario, net.seed
        self.net, self.i = net, i
        self.p = p = sc.producers[i]
        main = net.queues[0]
        self.levels = p.priority_levels
        self.svc = [Stream(sc.service_for(i, lv).sample, make_rng(seed, SERVICE, i, kk)).next
                    for kk, lv in enumerate(self.levels)]
        self.eff_of = [sc.queue.effective_priority(lv) for lv in self.levels]
        self.level_of = [main.level_of_prio(lv) for lv in self.levels]
        prio = p.priority
        self.prio_next = Stream(prio.sample, make_rng(seed, PRIORITY, i)).next if isinstance(prio, Discrete) else None
        self.pos_of = {lv: kk for kk, lv in enumerate(self.levels)}  # the last position of a level wins
        self.batch_next = Stream(p.batch.sample, make_rng(seed, BATCH, i)).next if isinstance(p.batch, Discrete) \
            else None
        self.batch = p.batch if isinstance(p.batch, int) else 1
        self.msg_ttl = p.ttl if p.ttl is not None else math.inf
        self.gap = gap_source(p, seed, i)

    def publisher(self) -> Callable[[int, int, float], None]:
        """The main queue's ``publish`` (refusing publishes while the broker is down, if it restarts)."""
        main = self.net.queues[0]
        if self.net.scenario.restarts is None:
            return main.publish
        return guarded_publish(main)

    def run(self) -> Generator[simpy.Event, Any, None]:
        """The producer's process (the common case, one message of one class per arrival, gets a
        tight loop of its own; :meth:`_general` does everything, that case included)."""
        if self.batch_next is None and self.batch == 1 and self.p.trace is None and self.prio_next is None:
            return self._one_class()
        return self._general()

    def _one_class(self) -> Generator[simpy.Event, Any, None]:
        """One message per arrival, one class: the common case, kept tight."""
        env, rec, i = self.net.env, self.net.rec, self.i
        timeout, gap, publish = env.timeout, self.gap, self.publisher()
        eff, level, svc, ttl = self.eff_of[0], self.level_of[0], self.svc[0], self.msg_ttl
        t_publish = rec.t_publish
        pub, prod, prio, service = t_publish.append, rec.producer.append, rec.priority.append, rec.service.append
        cap = rec.capacity  # a local copy; other producers may have reserved more since
        while True:
            try:
                g = gap()
            except StopIteration:
                return
            yield timeout(g)
            mid = len(t_publish)
            if mid >= cap:
                if mid >= rec.capacity:
                    rec.reserve()
                cap = rec.capacity
            pub(env._now)
            prod(i)
            prio(eff)
            service(svc())
            publish(mid, level, ttl)

    def _general(self) -> Generator[simpy.Event, Any, None]:
        """Any producer: a priority mix, batches, trace replay; any number of messages per arrival."""
        env, rec = self.net.env, self.net.rec
        timeout, gap, publish = env.timeout, self.gap, self.publisher()
        n_arr = 0  # arrivals so far: a replayed trace's row (every member of a batch shares it)
        while True:
            try:
                g = gap()
            except StopIteration:
                return
            yield timeout(g)
            size = self.batch_next() if self.batch_next is not None else self.batch
            for _ in range(int(size)):
                mid = len(rec.t_publish)
                if mid >= rec.capacity:
                    rec.reserve()
                rec.t_publish.append(env._now)
                rec.producer.append(self.i)
                publish(mid, self._fill_class(mid, n_arr), self.msg_ttl)
            n_arr += 1

    def _fill_class(self, mid: int, row: int) -> int:
        """Priority, class and service requirement of message ``mid``, published at the producer's
        ``row``-th arrival; returns its priority level in the main queue. A replayed trace's row
        gives the priority (else the producer's fixed priority or mix) and the service (else the
        class's service stream)."""
        rec, tr = self.net.rec, self.p.trace
        trace_prio = tr.priorities if tr is not None else None
        trace_svc = tr.services if tr is not None else None
        if trace_prio is not None:
            pr = trace_prio[row]
            kk = self.levels.index(pr) if pr in self.levels else 0
            rec.cls[mid] = kk
            rec.priority.append(self.net.scenario.queue.effective_priority(pr))
            rec.service.append(trace_svc[row] if trace_svc is not None else self.svc[kk]())
            return self.net.queues[0].level_of_prio(pr)
        if self.prio_next is None:
            rec.priority.append(self.eff_of[0])
            rec.service.append(trace_svc[row] if trace_svc is not None else self.svc[0]())
            return self.level_of[0]
        kk = self.pos_of[int(self.prio_next())]
        rec.cls[mid] = kk
        rec.priority.append(self.eff_of[kk])
        rec.service.append(trace_svc[row] if trace_svc is not None else self.svc[kk]())
        return self.level_of[kk]
