"""mqsim: simulate message queues and set every simulated figure beside the formula that predicts it.

>>> import mqsim as mq
>>> sc = mq.Scenario(producers=[mq.Producer("orders", rate=2.4)],
...                  consumers=mq.Consumers(count=3, service=mq.dist.Exponential(mean=1.0)))
>>> res = mq.simulate(sc, horizon=2_000, warmup=200, seed=1)
>>> round(mq.theory.mmc(lam=2.4, mu=1.0, c=3).Wq, 4)
1.0787

The package is built in layers that only point down (see the README's "Architecture"):
:mod:`mqsim.model` (scenarios as data) → :mod:`mqsim.theory` (formulas) →
:mod:`mqsim.analysis` (statistics) → :mod:`mqsim.sim` (engines) → :mod:`mqsim.experiments`
(replications, sweeps, sizing) → :mod:`mqsim.viz` (figures) → :mod:`mqsim.teaching` (lectures)
→ :mod:`mqsim.cli`. The names below are the public API; heavy layers load on first use, so
``import mqsim`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from mqsim.model import arrivals, dist
from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic
from mqsim.model.outcomes import ConservationError
from mqsim.model.restarts import Restarts
from mqsim.model.overload import OverloadWarning
from mqsim.model.scenario import Consumers, Failure, Producer, Queue, Scenario, Stage
from mqsim.model.yaml_io import load_yaml, loads_yaml, scenario_from_dict
from mqsim.sim.events import EVENT_KINDS, Event
from mqsim.sim.result import Result
from mqsim.sim.run import simulate
from mqsim.sim.simpy.engine import Simulation

__version__ = "0.2.0"

#: public names that load their layer on first use
_LAZY_ATTRS = {
    "replicate": "mqsim.experiments", "Replications": "mqsim.experiments", "sweep": "mqsim.experiments",
    "size_consumers": "mqsim.experiments", "SizingResult": "mqsim.experiments", "parse_slo": "mqsim.experiments",
    "SLO": "mqsim.experiments", "replication_seed": "mqsim.experiments", "Runner": "mqsim.experiments",
    "confidence_interval": "mqsim.analysis", "mser5": "mqsim.analysis", "WarmupResult": "mqsim.analysis",
    "plot_warmup": "mqsim.viz",
}
#: public subpackages, loaded on first use
_LAZY_MODULES = {"model", "sim", "theory", "analysis", "experiments", "viz", "teaching", "cli", "demo", "live"}
#: old module names (pre-0.2 flat layout): aliases that warn with a DeprecationWarning
_DEPRECATED_MODULES = {"config", "scenario", "kafka", "records", "streams", "result", "run", "engine", "fast",
                       "metrics", "summary", "compare", "warmup", "experiment", "executors", "progress", "slo",
                       "sizing", "plots", "widgets", "lessons", "lessons2", "lessons3", "exercises"}

__all__ = [
    "Scenario", "Producer", "Queue", "Consumers", "Failure", "Stage", "Restarts", "KafkaScenario", "Topic",
    "ConsumerGroup",
    "dist", "arrivals", "load_yaml", "loads_yaml", "scenario_from_dict",
    "simulate", "Simulation", "Event", "EVENT_KINDS", "Result", "ConservationError", "OverloadWarning",
    *_LAZY_ATTRS, *sorted(_LAZY_MODULES), "__version__",
]


def __getattr__(name: str) -> Any:  # PEP 562: layers load on first use
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(_LAZY_ATTRS[name]), name)
    if name in _LAZY_MODULES or name in _DEPRECATED_MODULES:
        return importlib.import_module(f"mqsim.{name}")
    raise AttributeError(f"module 'mqsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
