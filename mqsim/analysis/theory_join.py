"""Line simulated metrics up with the theory that predicts them.

Simulated metric names (:data:`mqsim.metrics.METRIC_COLUMNS`) map to fields of
:class:`mqsim.theory.QueueMetrics`; percentiles come from the formula's exact distribution
where it has one (``wait_quantile`` / ``sojourn_quantile``, e.g. M/M/c).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["theory_table", "THEORY_FIELDS"]

#: simulated metric -> QueueMetrics attribute
THEORY_FIELDS = {"L": "L", "Lq": "Lq", "W": "W", "Wq": "Wq", "p_wait": "P_wait", "loss": "loss",
                 "throughput": "throughput"}
_PCTS = {"wait_p50": ("wait_quantile", 0.50), "wait_p95": ("wait_quantile", 0.95),
         "wait_p99": ("wait_quantile", 0.99), "sojourn_p50": ("sojourn_quantile", 0.50),
         "sojourn_p95": ("sojourn_quantile", 0.95), "sojourn_p99": ("sojourn_quantile", 0.99)}


def _values(m: Any, servers: int | None, mean_service: float | None, whole: bool) -> dict[str, float]:
    out = {k: float(getattr(m, f)) for k, f in THEORY_FIELDS.items()}
    if whole and servers and mean_service:
        out["utilisation"] = out["throughput"] * mean_service / servers
    for name, (meth, p) in _PCTS.items():
        fn = getattr(m, meth, None)
        if callable(fn):
            try:
                out[name] = float(fn(p))
            except (ValueError, ArithmeticError):  # pragma: no cover - quantile undefined
                out[name] = math.nan
    return out


def theory_table(prediction: Any, scenario: Any = None) -> dict[tuple[str, Any], dict[str, float]]:
    """``{(group, key): {metric: value}}`` for the summary rows theory predicts: ``("all",
    "all")`` and ``("priority", level)`` for each priority level. Empty when no formula applies
    or the queue is unstable. ``scenario`` (optional) adds the carried utilisation."""
    out: dict[tuple[str, Any], dict[str, float]] = {}
    if prediction is None or not prediction.applies:
        return out
    c = scenario.consumers.count if scenario is not None else None
    es = scenario.mean_service if scenario is not None else None
    if prediction.metrics is not None:
        out[("all", "all")] = _values(prediction.metrics, c, es, True)
    for level, m in (prediction.by_priority or {}).items():
        if getattr(m, "stable", True):
            out[("priority", level)] = _values(m, c, es, False)
    return out
