"""A consumer: one long-lived SimPy process that serves the messages the broker pushed to it.

The broker (:class:`~mqsim.sim.simpy.broker.BrokerQueue`) appends deliveries to the
consumer's buffer (its prefetch window); the consumer serves them one at a time, in order,
each for the message's service requirement, then settles it (ack, or nack/reject) through the
broker, which refills free slots. With an empty buffer the consumer waits for a wake-up event
that the next delivery triggers (processed at the same instant, in event-list order).

With ``Consumers.dispatch_overhead`` > 0 a delivery reaches the consumer that many seconds after
the broker sent it (``t_deliver``): the consumer starts it no earlier (``t_start``). A message
that was already in the buffer when the previous one finished starts at once, unless
``Consumers.client_overhead`` > 0: the consumer starts nothing earlier than that many seconds
after its previous service ended.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Generator

import simpy

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.broker import BrokerQueue

__all__ = ["Consumer"]


class Consumer:
    """Consumer ``idx`` of a queue: its prefetch buffer and what it is doing."""

    __slots__ = ("idx", "broker", "buf", "unacked", "idle", "wake", "acked", "current", "down", "proc", "u_next")

    def __init__(self, broker: "BrokerQueue", idx: int):
        self.idx = idx
        self.broker = broker
        self.buf: deque[int] = deque()  # delivered, not yet started (FIFO)
        self.unacked = 0  # delivered and not yet settled: the prefetch window in use
        self.idle = False  # waiting for a wake-up
        self.wake: simpy.Event | None = None
        self.acked = 0
        self.current = -1  # message in service
        self.down = False  # crashed, not yet repaired
        self.proc: simpy.Process | None = None
        self.u_next: Callable[[], float] | None = None  # uniforms deciding ack / nack / reject

    def serve(self) -> Generator[simpy.Event, Any, None]:
        """The consumer's process: take the head of the buffer, serve it, settle it; repeat."""
        broker, env = self.broker, self.broker.env
        rec, st, avail = broker.rec, broker.state, broker.avail
        t_start, service, t_done = rec.t_start, rec.service, rec.t_done
        fast_ack, dispatch, snapshot = broker.fast_ack, broker.dispatch, broker.snapshot
        buf, timeout, event = self.buf, env.timeout, env.event
        popleft, j, refill = buf.popleft, self.idx, broker.refill
        overhead, t_deliver = broker.cons_cfg.dispatch_overhead, rec.t_deliver
        client, ended = broker.cons_cfg.client_overhead, -math.inf
        self.u_next = broker.consumer_stream(j)
        while True:
            if not buf:
                self.idle = True
                self.wake = wake = event()
                yield wake
                continue
            if overhead or client:  # the delivery reaches the consumer `overhead` s after the broker
                # sent it, and the consumer needs `client` s after its previous service
                due = max(t_deliver[buf[0]] + overhead, ended + client)
                if due > env._now + 1e-12:
                    yield timeout(due - env._now)
                    continue  # look again: a crash or a restart may have emptied the buffer meanwhile
            mid = popleft()
            t_start[mid] = start = env._now
            self.current = mid
            st[2] += 1
            if snapshot is not None:
                snapshot()
            try:
                yield timeout(service[mid])
            except simpy.Interrupt:
                continue  # crashed: the broker has already returned or lost the messages
            ended = env._now
            self.current = -1
            self.unacked -= 1
            st[1] -= 1
            st[2] -= 1
            if self.unacked == refill:
                avail.append(j)  # was blocked at a full window; has a free slot again
            if fast_ack:  # the common case, settle() inlined: ack and refill the free slots
                t_done[mid] = env._now
                self.acked += 1
                dispatch()
            else:
                broker.settle(self, mid, start)
            if snapshot is not None:
                snapshot()
