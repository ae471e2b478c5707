"""The simulation layer: run a scenario and record what happened to every message.

* :func:`simulate` (:mod:`~mqsim.sim.run`) — the one entry point; picks an engine;
* :mod:`~mqsim.sim.simpy` — the SimPy engine: broker queue, producers, consumers and
  failures as named classes (the engine lecture 2 reads);
* :mod:`~mqsim.sim.fast` — a compiled engine that follows the same sample paths;
* :mod:`~mqsim.sim.kafka` — the Kafka consumer-group loop;
* :mod:`~mqsim.sim.streams` — the named random streams every engine draws from;
* :mod:`~mqsim.sim.records` and :mod:`~mqsim.sim.result` — per-message records and the
  :class:`Result` every engine returns.
"""

from mqsim.sim.events import EVENT_KINDS, Event
from mqsim.sim.result import Result, SummaryResult
from mqsim.sim.run import ENGINES, choose_engine, simulate
from mqsim.sim.simpy.engine import Simulation

__all__ = ["simulate", "choose_engine", "ENGINES", "Simulation", "Event", "EVENT_KINDS", "Result", "SummaryResult"]
