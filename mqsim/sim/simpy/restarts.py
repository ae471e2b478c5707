"""Broker restarts in the SimPy engine: the broker goes down, loses what does not survive, comes back.

The rules (RabbitMQ's, see :mod:`mqsim.model.restarts`): at a restart every consumer loses its
connection (a message in service is interrupted, as at a consumer crash); in each queue a message
survives if the queue is durable and the message is persistent (``Producer.persistent``) or the
queue is a quorum queue. Surviving unacked messages return to the queue (redelivered, like a
crash return: head of their priority level, a fresh service requirement, counted against the
delivery limit); every other message, ready or unacked, is lost (cause ``restart``, outcome
``lost``). While the broker is down a publish is refused (cause ``broker-down``, outcome
``dropped``, never dead-lettered). When the broker is back every consumer that has not crashed on
its own reconnects with an empty prefetch window.

Restart times come from ``Restarts.times`` and, with ``Restarts.every``, one up-time draw after
the broker is back from the previous restart (stream ``(10, 0)``); downtimes from stream
``(10, 1)``. A fixed time that falls while the broker is down is skipped.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any, Generator

import simpy

from mqsim.model.outcomes import BROKER_DOWN, RESTART
from mqsim.sim.streams import RESTART as RESTART_STREAM
from mqsim.sim.streams import Stream, make_rng

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.broker import BrokerQueue
    from mqsim.sim.simpy.network import Network

__all__ = ["restarts", "broker_down", "broker_up", "guarded_publish"]


def restarts(net: "Network") -> Generator[simpy.Event, Any, None]:
    """The restart process of a run: down at each restart time, back after its downtime."""
    r = net.scenario.restarts
    assert r is not None  # started only for scenarios with restarts
    env = net.env
    up = Stream(r.every.sample, make_rng(net.seed, RESTART_STREAM, 0)).next if r.every is not None else None
    down = Stream(r.downtime_dist.sample, make_rng(net.seed, RESTART_STREAM, 1)).next
    fixed = deque(r.times)
    t_renewal = up() if up is not None else math.inf
    while True:
        while fixed and fixed[0] < env._now:
            fixed.popleft()  # fell while the broker was down
        t = min(fixed[0] if fixed else math.inf, t_renewal)
        if t == math.inf:
            return
        if t > env._now:
            yield env.timeout(t - env._now)
        if fixed and fixed[0] <= env._now:
            fixed.popleft()
        d = down()
        broker_down(net)
        if d > 0:
            yield env.timeout(d)
        broker_up(net)
        if up is not None:
            t_renewal = env._now + up()


def _survives(q: "BrokerQueue", mid: int) -> bool:
    queue = q.queue
    if not queue.is_durable:
        return False
    return queue.queue_type == "quorum" or q.net.scenario.producers[q.rec.producer[mid]].persistent


def _lose(q: "BrokerQueue", mid: int) -> None:
    rec = q.rec
    rec.cause[mid] = RESTART
    rec.t_done[mid] = q.env._now
    rec.n_lost += 1
    q.net.forget(mid)
    if q.net.hooks["drop"]:
        q.net.emit("drop", mid, "restart")


def _disconnect(q: "BrokerQueue") -> list[int]:
    """Every consumer of ``q`` loses its connection; returns the unacked messages they held."""
    held: list[int] = []
    for cn in q.consumers:
        held += q.release(cn, "restart")
    q.avail.clear()
    q.state[1] -= len(held)
    return held


def broker_down(net: "Network") -> None:
    """The broker goes down: consumers disconnect; what does not survive is lost."""
    net.down = True
    for q in net.queues:
        held = _disconnect(q)
        if q.cons_cfg.auto_ack:
            for mid in held:
                _lose(q, mid)
            held = []
        cause, dl = q.rec.cause, q.rec.dead_lettered
        for level, dq in enumerate(q.ready):  # ready messages: keep the survivors, in order
            keep: deque[int] = deque()
            for mid in dq:
                if cause[mid] or (dl is not None and dl[mid]):
                    continue  # expired while ready (lazy deletion)
                if _survives(q, mid):
                    keep.append(mid)
                else:
                    q.state[0] -= 1
                    _lose(q, mid)
            q.ready[level] = keep
        for mid in (reversed(held) if q.to_head else held):  # unacked: back to the queue, or lost
            if _survives(q, mid):
                q.give_back(mid)
            else:
                q.rec.t_deliver[mid] = math.nan
                q.rec.consumer[mid] = -1
                _lose(q, mid)
        if q.snapshot is not None:
            q.snapshot()


def broker_up(net: "Network") -> None:
    """The broker is back: every consumer that is not crashed reconnects with an empty window."""
    net.down = False
    for q in net.queues:
        for cn in q.consumers:
            if not cn.down:
                q.avail.append(cn.idx)
        q.dispatch()
        if q.snapshot is not None:
            q.snapshot()


def guarded_publish(q: "BrokerQueue") -> Any:
    """``q.publish``, refusing every publish while the broker is down (cause ``broker-down``)."""
    publish, net, rec = q.publish, q.net, q.rec

    def publish_or_refuse(mid: int, level: int, msg_ttl: float) -> None:
        if not net.down:
            publish(mid, level, msg_ttl)
            return
        rec.cause[mid] = BROKER_DOWN
        rec.t_done[mid] = q.env._now
        rec.n_dropped += 1
        if net.hooks["drop"]:
            net.emit("drop", mid, "broker-down")

    return publish_or_refuse
