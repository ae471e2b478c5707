"""mqsim: simulate message queues and set every simulated figure beside the formula that predicts it.

>>> import mqsim as mq
>>> sc = mq.Scenario(producers=[mq.Producer("orders", rate=2.4)],
...                  consumers=mq.Consumers(count=3, service=mq.dist.Exponential(mean=1.0)))
>>> res = mq.simulate(sc, horizon=10_000, warmup=500, seed=1)
>>> res.summary()                      # doctest: +SKIP
>>> mq.theory.for_scenario(sc)         # doctest: +SKIP

Heavy modules (pandas, scipy, matplotlib) are imported only when first used, so
``import mqsim`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from mqsim.model import dist
from mqsim.model.yaml_io import load_yaml, scenario_from_dict
from mqsim.sim.simpy.engine import EVENT_KINDS, Event, Simulation
from mqsim.sim.run import simulate
from mqsim.sim.records import ConservationError
from mqsim.sim.result import Result
from mqsim.model.scenario import Consumers, Failure, Producer, Queue, Scenario, Stage

__version__ = "0.1.0"

__all__ = [
    "Scenario", "Producer", "Queue", "Consumers", "Failure", "Stage", "arrivals", "dist", "theory", "metrics", "plots", "simulate", "Simulation",
    "Event", "EVENT_KINDS", "Result", "ConservationError", "replicate", "sweep", "load_yaml", "scenario_from_dict",
    "__version__",
]

_LAZY_MODULES = {"arrivals", "kafka", "theory", "metrics", "plots", "experiment", "demo", "streams", "records", "config", "compare",
                 "analysis", "lessons", "lessons2", "lessons3", "exercises", "widgets"}
_LAZY_ATTRS = {"KafkaScenario": "kafka", "Topic": "kafka", "ConsumerGroup": "kafka", "simulate_kafka": "kafka",
               "replicate": "experiment", "sweep": "experiment", "confidence_interval": "experiment"}
# experiments: replications, sweeps, sizing, executors, warm-up, CLI
_LAZY_MODULES |= {"sizing", "slo", "warmup", "executors", "progress", "cli"}
_LAZY_ATTRS |= {"Replications": "experiment", "replication_seed": "experiment", "size_consumers": "sizing",
                "SizingResult": "sizing", "parse_slo": "slo", "SLO": "slo", "mser5": "warmup",
                "plot_warmup": "warmup", "WarmupResult": "warmup", "Runner": "executors"}
__all__ += ["confidence_interval", "Replications", "replication_seed", "size_consumers", "SizingResult",
            "parse_slo", "SLO", "mser5", "plot_warmup", "WarmupResult"]


def __getattr__(name: str) -> Any:  # PEP 562: lazy submodules and functions
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f".{_LAZY_ATTRS[name]}", __name__), name)
    raise AttributeError(f"module 'mqsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
