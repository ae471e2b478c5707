"""Warm-up pilot runs: the work unit that simulates one pilot and finds its MSER-5 cut."""

from __future__ import annotations

from typing import Any

from mqsim.analysis.warmup import WarmupResult, warmup_from_result
from mqsim.model.scenario import as_scenario
from mqsim.sim.run import simulate

__all__ = ["pilot_warmup"]


def pilot_warmup(scenario: Any, seed: int, horizon: float, series: str = "queue") -> WarmupResult:
    """Work unit: simulate one pilot run (``horizon`` seconds, run seed ``seed``) and return its
    MSER-5 warm-up. Top-level and picklable, so it can run on any executor."""
    sc = as_scenario(scenario)
    res = simulate(sc, horizon, 0.0, seed=seed, trace=series == "queue", engine="auto")
    return warmup_from_result(res, series)
