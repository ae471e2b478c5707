"""Consumer failures: each consumer alternates up-times and repair times (both drawn from the
scenario's :class:`~mqsim.model.broker.Failure` distributions, from their own streams).

At a crash the broker takes back the consumer's unacked messages (RabbitMQ requeues them when
the channel closes; with auto-ack they are already gone and are lost); at the repair the
consumer rejoins the round-robin ring with an empty window (:meth:`BrokerQueue.crash`,
:meth:`BrokerQueue.repair`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

import simpy

from mqsim.sim.streams import FAILURE, Stream, make_rng

if TYPE_CHECKING:  # pragma: no cover
    from mqsim.sim.simpy.broker import BrokerQueue
    from mqsim.sim.simpy.consumers import Consumer

__all__ = ["failures"]


def failures(broker: "BrokerQueue", cn: "Consumer") -> Generator[simpy.Event, Any, None]:
    """The failure process of consumer ``cn``: up, crash, down, repair, forever."""
    f = broker.cons_cfg.failure
    assert f is not None  # started only for consumers that fail
    seed, k, j = broker.net.seed, broker.k, cn.idx
    up = Stream(f.time_to_failure.sample, make_rng(seed, FAILURE, k, j, 0)).next
    down = Stream(f.repair.sample, make_rng(seed, FAILURE, k, j, 1)).next
    timeout = broker.env.timeout
    while True:
        yield timeout(up())
        broker.crash(cn)
        yield timeout(down())
        broker.repair(cn)
