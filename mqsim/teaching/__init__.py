"""The teaching layer: one module of helpers per lecture, each with that lecture's checked
exercises, and the small exercise registry.

====  ===========================  ==================================================
nb    module                       topic
====  ===========================  ==================================================
01    :mod:`.flow_balance`         Little's law, the utilisation law, Q = M × P
02    :mod:`.event_engine`         an event-list engine, asyncio, PASTA, M/M/1
03    :mod:`.output_analysis`      replications, intervals, batch means, warm-up
04    :mod:`.competing_consumers`  M/M/c, Erlang C, dispatch policies, staffing
05    :mod:`.bounded_queues`       x-max-length, M/M/c/K, Erlang B, overflow
06    :mod:`.service_variability`  Pollaczek–Khinchine, M/D/1, the inspection paradox
07    :mod:`.bursty_producers`     Kingman, Allen–Cunneen, Sakasegawa, batches
08    :mod:`.priorities`           Cobham, conservation, starvation, prefetch
09    :mod:`.impatience`           TTL (M/M/1+D), dead-lettering, Erlang A
10    :mod:`.networks`             Burke, Jackson, redelivery loops, the Ciw café
11    :mod:`.kafka`                partitions, consumer groups, hot keys
12    :mod:`.capacity_planning`    the capstone lab
13    :mod:`.real_broker`          a real RabbitMQ beside the simulation
====  ===========================  ==================================================

:mod:`.common` holds what every lecture shares (simulation beside theory in one table) and
:mod:`.exercises` the registry (``check``, ``question``, ``params``). Submodules load on first
use (``mqsim.teaching.bounded_queues``). Nothing below this layer imports it; the notebooks call it.
"""

from __future__ import annotations

import importlib
from typing import Any

#: the lecture modules and the shared ones, loaded on first attribute access
MODULES = ("common", "exercises", "flow_balance", "event_engine", "output_analysis", "competing_consumers",
           "bounded_queues", "service_variability", "bursty_producers", "priorities", "impatience", "networks",
           "kafka", "capacity_planning", "real_broker")

__all__ = ["MODULES", *MODULES]


def __getattr__(name: str) -> Any:  # PEP 562: submodules load on first use
    if name in MODULES:
        return importlib.import_module(f"mqsim.teaching.{name}")
    raise AttributeError(f"module 'mqsim.teaching' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
