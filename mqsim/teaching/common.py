"""Lecture utilities shared by every notebook: simulated figures (replications with confidence
intervals) beside the formula's values, in one table.

Units: seconds (times), messages per second (rates), messages (counts). Every simulating helper
of :mod:`mqsim.teaching` runs its replications through :func:`mqsim.replicate` (run seeds
``replication_seed(seed, r)``, the engine ``"auto"`` picks, any executor), so its numbers are the
rows of ``mqsim.replicate(...).runs`` for the same arguments.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.experiments.replications import Replications
    from mqsim.model.scenario import Scenario
    from mqsim.theory import QueueMetrics

__all__ = ["DEFAULT_METRICS", "sim_vs_theory", "ci_table", "theory_rows", "ci_row", "overall_runs", "group_ci"]

#: metrics shown by :func:`sim_vs_theory` unless told otherwise
DEFAULT_METRICS = ("throughput", "utilisation", "L", "Lq", "W", "Wq", "p_wait", "wait_p95", "loss")
#: metric -> the QueueMetrics field that predicts it
_FIELDS = {"L": "L", "Lq": "Lq", "W": "W", "Wq": "Wq", "p_wait": "P_wait", "loss": "loss",
           "throughput": "throughput"}


def overall_runs(reps: "Replications") -> "pd.DataFrame":
    """The overall row of each replication (one row per replication, in order) of ``reps``."""
    r = reps.runs
    return r[r["group"] == "all"].sort_values("replication").reset_index(drop=True)


def group_ci(reps: "Replications", metric: str, group: str = "all", key: Any = "all",
             confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, ci_low, ci_high) of ``metric`` over the replications, for one summary row."""
    return reps.ci(metric, group, key, confidence)


def ci_row(label: str, values: Iterable[float], confidence: float = 0.95, **extra: Any) -> dict[str, Any]:
    """One table row: ``label``, the mean of ``values`` with its Student-t interval
    (``simulated``, ``ci_low``, ``ci_high``), ``extra`` columns, and ``n`` (finite values)."""
    from mqsim.analysis.statistics import confidence_interval

    v = np.asarray(list(values), dtype=float)
    m, lo, hi = confidence_interval(v, confidence)
    return {"label": label, "simulated": m, "ci_low": lo, "ci_high": hi, **extra, "n": int(np.isfinite(v).sum())}


def sim_vs_theory(scenario: "Scenario", n: int = 10, seed: int = 0, horizon: float = 10_000.0,
                  warmup: float = 0.0, metrics: Iterable[str] = DEFAULT_METRICS,
                  confidence: float = 0.95) -> "pd.DataFrame":
    """Simulated mean and Student-t interval over ``n`` seeded replications (:func:`mqsim.replicate`)
    beside the formula :func:`mqsim.theory.for_scenario` picks, for the whole queue.

    Index: metric. Columns: simulated, ci_low, ci_high, theory (NaN where no formula gives the
    metric), theory_in_ci (True/False, None without theory). ``.attrs`` holds ``formula``,
    ``model``, ``exact``, ``reason``, ``n`` and ``confidence``. With many metrics, expect about
    one interval in 1/(1 − confidence) to miss an exact value by chance.
    """
    import pandas as pd

    from mqsim.analysis.metrics import METRIC_COLUMNS
    from mqsim.analysis.theory_join import theory_table
    from mqsim.experiments.replications import replicate
    from mqsim.theory import for_scenario

    metrics = list(metrics)
    bad = [m for m in metrics if m not in METRIC_COLUMNS]
    if bad:
        raise ValueError(f"metrics: unknown {bad}; choose from {', '.join(METRIC_COLUMNS)}")
    reps = replicate(scenario, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
    pred = for_scenario(scenario)
    th = dict(theory_table(pred, scenario).get(("all", "all"), {}))
    th.setdefault("arrival_rate", scenario.arrival_rate)  # the offered rate is known exactly
    rows = []
    for m in metrics:
        mean, lo, hi = reps.ci(m, confidence=confidence)
        t = th.get(m, math.nan)
        rows.append({"metric": m, "simulated": mean, "ci_low": lo, "ci_high": hi, "theory": t,
                     "theory_in_ci": None if not math.isfinite(t) else bool(lo <= t <= hi)})
    out = pd.DataFrame(rows).set_index("metric")
    out.attrs.update({"formula": pred.formula, "model": pred.model, "exact": pred.exact, "reason": pred.reason,
                      "n": n, "confidence": confidence})
    return out


def _theory_values(theory: Any, scenario: Any = None) -> dict[str, float]:
    """{metric: value} from a dict or a QueueMetrics (utilisation = throughput E[S] / c)."""
    if theory is None:
        return {}
    if isinstance(theory, Mapping):
        return {str(k): float(v) for k, v in theory.items()}
    out = {k: float(getattr(theory, f)) for k, f in _FIELDS.items() if hasattr(theory, f)}
    if scenario is not None and "throughput" in out and hasattr(scenario, "mean_service"):
        out["utilisation"] = out["throughput"] * scenario.mean_service / scenario.consumers.count
    return out


def ci_table(reps: "Replications", theory: Any = None, metrics: Iterable[str] | None = None, *,
             group: str = "all", key: Any = "all", confidence: float = 0.95) -> "pd.DataFrame":
    """Simulated mean and Student-t confidence interval of each metric over the replications
    ``reps`` (a :class:`mqsim.Replications`), beside the formula's value.

    theory: a :class:`mqsim.theory.QueueMetrics` (its L, Lq, W, Wq, P_wait, loss, throughput,
        and utilisation = throughput E[S]/c for the overall row) or a dict ``{metric: value}``.
    metrics: rows to show (default: the metrics the theory gives, else throughput, L, W, Wq).
    group, key: the summary row (e.g. ``group="queue", key="dlq"``).
    Index: metric. Columns: simulated, ci_low, ci_high, theory (NaN when none), theory_in_ci.
    """
    import pandas as pd

    th = _theory_values(theory, reps.scenario if group == "all" else None)
    ms = list(metrics) if metrics is not None else (list(th) or ["throughput", "L", "W", "Wq"])
    rows = []
    for m in ms:
        mean, lo, hi = reps.ci(m, group, key, confidence)
        t = th.get(m, math.nan)
        rows.append({"metric": m, "simulated": mean, "ci_low": lo, "ci_high": hi, "theory": t,
                     "theory_in_ci": None if not math.isfinite(t) else bool(lo <= t <= hi)})
    return pd.DataFrame(rows).set_index("metric")


def theory_rows(items: Mapping[str, "QueueMetrics"],
                fields: Sequence[str] = ("rho", "loss", "throughput", "L", "Lq", "W", "Wq")) -> "pd.DataFrame":
    """Formula values side by side, one row per ``items`` entry ({label: QueueMetrics}).

    fields: attributes of :class:`mqsim.theory.QueueMetrics` (``rho``, ``L``, ``Wq``, ...) or keys
    of its ``extras`` (e.g. ``p0``, ``p1``); NaN where a result has neither. Units as in
    QueueMetrics (times s, rates per s, counts messages).
    """
    import pandas as pd

    rows = {}
    for label, m in items.items():
        d = m.to_dict()
        rows[label] = {f: float(d[f]) if f in d and isinstance(d[f], (int, float)) else math.nan for f in fields}
    return pd.DataFrame(rows).T[list(fields)]
