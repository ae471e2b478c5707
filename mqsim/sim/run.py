"""``mqsim.simulate``: the one entry point, for every engine and both record modes.

>>> import mqsim as mq
>>> sc = mq.Scenario([mq.Producer("orders", rate=2.4)],
...                  consumers=mq.Consumers(3, service=mq.dist.Exponential(mean=1.0)))
>>> res = simulate(sc, horizon=10_000, warmup=500, seed=1)
>>> res.engine, res.horizon, res.warmup                                     # seconds
('simpy', 10000.0, 500.0)
>>> res = simulate(sc, horizon=10_000, warmup=500, seed=1, engine="fast")   # doctest: +SKIP
>>> res = simulate(sc, horizon=1e7, seed=1, engine="auto", records="summary")  # doctest: +SKIP

(The last two are not run as doctests: the first compiles the numba engine on first use, the
second simulates 24 million messages.)

Engines (same seed -> same sample path on every engine that supports the scenario):

* ``"simpy"``: :mod:`mqsim.sim.simpy`, every feature, event handlers.
* ``"fast"``: :mod:`mqsim.sim.fast`, a compiled event loop (see
  :func:`mqsim.sim.fast.unsupported`); raises ``ValueError`` naming an unsupported feature, and
  ``ImportError`` with the install command if numba is missing.
* ``"auto"``: ``"fast"`` when the scenario (and handlers) allow it and numba is installed,
  otherwise ``"simpy"``. ``Result.engine`` says which one ran.

A :class:`mqsim.KafkaScenario` (``family == "kafka"``) runs on the Kafka consumer-group loop
(:mod:`mqsim.sim.kafka`) whatever the engine.

Record modes: ``"full"`` (per-message rows, :class:`mqsim.Result`) or ``"summary"``
(running statistics, :class:`mqsim.sim.result.SummaryResult`: the same ``summary()`` /
``overall()`` columns, percentiles from histograms, no ``messages`` or ``queue_length``).

This module imports no heavy dependency: numba is loaded only when the fast engine runs.
"""

from __future__ import annotations

from typing import Any, Callable, cast

from mqsim.model.scenario import Scenario, ScenarioLike
from mqsim.model.validate import check_run_window, choice
from mqsim.sim import budget
from mqsim.sim.events import Event, check_handlers
from mqsim.sim.records import check_records_mode
from mqsim.sim.result import Result
from mqsim.sim.simpy import engine as simpy_engine
from mqsim.sim.streams import resolve_seed

__all__ = ["simulate", "ENGINES", "choose_engine"]

ENGINES = ("simpy", "fast", "auto")


def choose_engine(scenario: Scenario, engine: str = "auto", *, handlers: Any = None) -> str:
    """The engine ``simulate(..., engine=engine)`` would use for ``scenario``: "simpy" or "fast"."""
    choice("engine", engine, ENGINES)
    if engine != "auto":
        return engine
    from mqsim.sim.fast import driver as fast

    if fast.unsupported(scenario, handlers=handlers) is None and fast.available():
        return "fast"
    return "simpy"


def simulate(scenario: ScenarioLike, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
             engine: str = "simpy",
             handlers: dict[str, Callable[[Event], Any] | list[Callable[[Event], Any]]] | None = None,
             trace: bool = True, records: str = "full", max_events: float | None = None) -> Result:
    """Run ``scenario`` for ``horizon`` seconds and return a :class:`mqsim.Result`.

    warmup: seconds at the start excluded from every statistic (0 <= warmup < horizon).
    seed: int >= 0 for a reproducible run (same seed, same records, on any engine); None
        draws fresh entropy (recorded in ``Result.seed``).
    engine: "simpy" (default), "fast" or "auto" (see the module docstring).
    handlers: ``{kind: callable or list of callables}``, kinds as in :data:`mqsim.EVENT_KINDS`
        (SimPy engine only; "auto" picks SimPy when handlers are given).
    trace: keep the queue-length step series (``Result.queue_length``); ignored with
        ``records="summary"``.
    records: "full" (one row per message) or "summary" (running statistics in flat memory).
    max_events: the most expected events a run may take (default 10^9, or ``MQSIM_MAX_EVENTS``);
        a run expected to take more, or to need more memory than the machine has, is refused
        before it starts (:mod:`mqsim.sim.budget`). A scenario whose offered load is >= 1 at a
        queue with no length limit runs, with an :class:`mqsim.OverloadWarning`.
    """
    if not isinstance(scenario, ScenarioLike):
        raise ValueError(f"scenario: must be a mqsim.Scenario or mqsim.KafkaScenario, got {type(scenario).__name__}")
    check_records_mode(records)
    scenario = budget.admit(scenario, horizon, warmup, records=records, max_events=max_events, seed=seed, trace=trace,
                            handlers=handlers)
    horizon, warmup = check_run_window(horizon, warmup)
    hooks = check_handlers(handlers)
    sc = cast(Scenario, scenario)
    which = choose_engine(sc, engine, handlers=handlers) if scenario.family == "queue" else "kafka"
    seed = resolve_seed(seed)
    if which == "kafka":
        from mqsim.model.kafka import KafkaScenario
        from mqsim.sim import kafka

        return kafka.run(cast(KafkaScenario, scenario), horizon, warmup, seed, trace=trace, records=records,
                         handlers=handlers)
    if which == "fast":
        from mqsim.sim.fast import driver as fast

        return fast.simulate(sc, horizon, warmup, seed, trace=trace, records=records, handlers=handlers)
    if records == "summary":
        from mqsim.sim.simpy.summary_records import run_summary

        return run_summary(sc, horizon, warmup, seed, hooks)
    rec = simpy_engine.run(sc, seed, horizon, hooks, bool(trace))
    return Result(sc, rec, horizon=horizon, warmup=warmup, seed=seed, engine="simpy")
