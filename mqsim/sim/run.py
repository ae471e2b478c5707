"""``mqsim.simulate``: one entry point for both engines and both record modes.

>>> res = simulate(sc, horizon=10_000, warmup=500, seed=1)                  # SimPy engine
>>> res = simulate(sc, horizon=10_000, warmup=500, seed=1, engine="fast")   # same records, ~50x faster
>>> res = simulate(sc, horizon=1e7, seed=1, engine="auto", records="summary")  # flat memory

Engines (same seed -> same sample path on every engine that supports the scenario):

* ``"simpy"``: :mod:`mqsim.engine`, every feature, event handlers.
* ``"fast"``: :mod:`mqsim.fast`, a compiled loop for the basic model (see
  :func:`mqsim.fast.unsupported`); raises ``ValueError`` naming an unsupported feature, and
  ``ImportError`` with the install command if numba is missing.
* ``"auto"``: ``"fast"`` when the scenario (and handlers) allow it and numba is installed,
  otherwise ``"simpy"``. ``Result.engine`` says which one ran.

Record modes: ``"full"`` (per-message rows, :class:`mqsim.Result`) or ``"summary"``
(running statistics, :class:`mqsim.summary.SummaryResult`: the same ``summary()`` /
``overall()`` columns, percentiles from histograms, no ``messages`` or ``queue_length``).

This module imports no heavy dependency: numba is loaded only when the fast engine runs.
"""

from __future__ import annotations

from typing import Any, Callable

from mqsim.model.scenario import Scenario
from mqsim.sim import budget
from mqsim.sim.events import Event
from mqsim.sim.records import check_records_mode
from mqsim.sim.result import Result
from mqsim.sim.simpy import engine as _engine

__all__ = ["simulate", "ENGINES", "choose_engine"]

ENGINES = ("simpy", "fast", "auto")


def choose_engine(scenario: Scenario, engine: str = "auto", *, handlers: Any = None) -> str:
    """The engine ``simulate(..., engine=engine)`` would use for ``scenario``: "simpy" or "fast"."""
    if engine not in ENGINES:
        raise ValueError(f"engine: must be one of {', '.join(map(repr, ENGINES))}; got {engine!r}")
    if engine != "auto":
        return engine
    from mqsim.sim.fast import driver as fast

    if fast.unsupported(scenario, handlers=handlers) is None and fast.available():
        return "fast"
    return "simpy"


def simulate(scenario: Scenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
             engine: str = "simpy",
             handlers: dict[str, Callable[[Event], Any] | list[Callable[[Event], Any]]] | None = None,
             trace: bool = True, records: str = "full", max_events: float | None = None) -> Result:
    """Run ``scenario`` for ``horizon`` seconds and return a :class:`mqsim.Result`.

    warmup: seconds at the start excluded from every statistic (0 <= warmup < horizon).
    seed: int >= 0 for a reproducible run (same seed, same records, on either engine); None
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
    check_records_mode(records)
    scenario = budget.admit(scenario, horizon, warmup, records=records, max_events=max_events, seed=seed, trace=trace,
                            handlers=handlers)
    if records == "summary" and type(scenario).__name__ == "KafkaScenario":
        raise ValueError("records='summary' is not supported for Kafka scenarios; use records='full'")
    which = choose_engine(scenario, engine, handlers=handlers)
    if which == "fast":
        from mqsim.sim.fast import driver as fast

        return fast.simulate(scenario, horizon, warmup, seed, trace=trace, records=records, handlers=handlers)
    if records == "summary":
        from mqsim.sim.simpy.summary_records import simulate_summary

        return simulate_summary(scenario, horizon, warmup, seed, handlers=handlers)
    return _engine.simulate(scenario, horizon, warmup, seed, handlers=handlers, trace=trace)
