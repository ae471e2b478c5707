"""The outcome of one simulation run: per-message records, queue-length series, summary."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .records import DROP_CAUSES, OUTCOMES, Records, outcome_codes
from .scenario import Scenario

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Result"]


class Result:
    """Records of one run of ``scenario`` over ``[0, horizon)`` seconds.

    Statistics (:meth:`summary`) use the window ``[warmup, horizon)``; the raw tables
    (:attr:`messages`, :attr:`queue_length`) keep the whole run so warm-up can be inspected.
    """

    def __init__(self, scenario: Scenario, records: Records, *, horizon: float, warmup: float, seed: int,
                 engine: str):
        self.scenario = scenario
        self.records = records
        self.horizon = float(horizon)
        self.warmup = float(warmup)
        self.seed = seed
        self.engine = engine

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<mqsim.Result {self.scenario.name or 'scenario'}: {c['published']} published, {c['acked']} acked, "
                f"{c['dropped']} dropped, horizon={self.horizon:g}s warmup={self.warmup:g}s seed={self.seed}>")

    # ---- raw tables -------------------------------------------------------------------
    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Per-message columns as numpy arrays (plus ``outcome`` codes into ``records.OUTCOMES``)."""
        a = dict(self.records.arrays())
        a["outcome"] = outcome_codes(a["t_deliver"], a["t_done"], a["cause"])
        return a

    @cached_property
    def messages(self) -> "pd.DataFrame":
        """One row per message (whole run, publish order).

        Columns: id, producer (name), priority (effective), t_publish, t_deliver (to a
        consumer), t_start (service start), t_done (ack, or drop time), wait = t_start -
        t_publish, sojourn = t_done - t_publish (acked only), service (requirement, s),
        consumer (index, -1 if never delivered), outcome (acked/dropped/in_flight/ready),
        drop_cause ("" unless dropped). Times in seconds; NaN = did not happen before the horizon.
        """
        import pandas as pd

        a = self.arrays
        names = [p.name for p in self.scenario.producers]
        acked = a["outcome"] == 0
        return pd.DataFrame({
            "id": np.arange(len(a["t_publish"])),
            "producer": pd.Categorical.from_codes(a["producer"], categories=names),
            "priority": a["priority"],
            "t_publish": a["t_publish"],
            "t_deliver": a["t_deliver"],
            "t_start": a["t_start"],
            "t_done": a["t_done"],
            "wait": a["t_start"] - a["t_publish"],
            "sojourn": np.where(acked, a["t_done"] - a["t_publish"], np.nan),
            "service": a["service"],
            "consumer": a["consumer"],
            "outcome": pd.Categorical.from_codes(a["outcome"], categories=list(OUTCOMES)),
            "drop_cause": pd.Categorical.from_codes(a["cause"], categories=[DROP_CAUSES[k] for k in sorted(DROP_CAUSES)]),
        })

    @cached_property
    def queue_length(self) -> "pd.DataFrame":
        """Step series (value holds from ``time`` until the next row): ready (in the broker
        queue), in_flight (delivered, unacked), busy (consumers serving). Whole run."""
        import pandas as pd

        r = self.records
        if not r.trace:
            raise ValueError("queue_length: this run was made with trace=False; rerun with trace=True")
        df = pd.DataFrame({"time": r.q_time, "ready": r.q_ready, "in_flight": r.q_inflight, "busy": r.q_busy})
        return df.drop_duplicates("time", keep="last").reset_index(drop=True)

    # ---- statistics -------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Whole-run accounting: published and each outcome (they always add up)."""
        n = np.bincount(self.arrays["outcome"], minlength=len(OUTCOMES))
        return {"published": int(n.sum()), **{k: int(v) for k, v in zip(OUTCOMES, n)}}

    def summary(self, by: tuple[str, ...] = ("producer", "priority")) -> "pd.DataFrame":
        """Metrics over ``[warmup, horizon)``: one row overall (group "all") and one per value of
        each column in ``by``. See :mod:`mqsim.metrics` for the exact definitions."""
        return metrics.summary_frame(self.messages, self.warmup, self.horizon, self.scenario.consumers.count, by)

    def metric(self, name: str) -> float:
        """One overall metric, e.g. ``res.metric("Wq")``."""
        if name not in metrics.METRIC_COLUMNS:
            raise ValueError(f"metric: must be one of {', '.join(metrics.METRIC_COLUMNS)}; got {name!r}")
        return float(self.overall()[name])

    def overall(self) -> dict[str, float]:
        """The overall metrics as a dict (fast path, no grouping)."""
        a = self.arrays
        return metrics.window_metrics(a["t_publish"], a["t_start"], a["t_done"], a["outcome"] == 1,
                                      self.warmup, self.horizon, self.scenario.consumers.count)
