"""The real-broker twin: a private RabbitMQ node, a player that runs a scenario on it along the
simulator's own sample path, and the calibration of the broker's overheads.

* :mod:`~mqsim.sim.live.broker` — :func:`rabbitmq`, a private node on loopback (or a given URL);
* :mod:`~mqsim.sim.live.plan` — the sample path (the simulator's draws) a live run replays;
* :mod:`~mqsim.sim.live.topology` — the scenario's queues as RabbitMQ declares them;
* :mod:`~mqsim.sim.live.clients` — publisher, consumers and dead-letter observer (pika);
* :mod:`~mqsim.sim.live.assemble` — the broker's reports turned into :class:`mqsim.Result` records;
* :mod:`~mqsim.sim.live.player` — :func:`run`;
* :mod:`~mqsim.sim.live.calibrate` — dispatch overhead, publish latency, the cost of persistence.

pika is imported only when a live run starts (the ``live`` extra: ``pip install 'mqsim[live]'``).
Kafka scenarios are simulation-only: no Kafka broker can be installed here.
"""

from mqsim.sim.live.broker import BrokerNotInstalled, BrokerURL, PrivateBroker, rabbitmq
from mqsim.sim.live.player import LiveResult, run

__all__ = ["rabbitmq", "run", "LiveResult", "PrivateBroker", "BrokerURL", "BrokerNotInstalled"]
