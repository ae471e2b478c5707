"""The outcome of one simulation run: per-message records, queue-length series, summary."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.analysis import metrics
from mqsim.analysis.streaming import SummaryStats, servers
from mqsim.model.outcomes import DROP_CAUSES, OUTCOMES, outcome_codes
from mqsim.model.scenario import Scenario
from mqsim.sim.records import Records

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Result", "SummaryResult"]

_NO_ROWS = ("records='summary' keeps running statistics only, no per-message rows or queue-length series; "
            "rerun with records='full' for {what}")


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
        a["outcome"] = outcome_codes(a["t_deliver"], a["t_done"], a["cause"], a["dead_lettered"])
        return a

    @cached_property
    def messages(self) -> "pd.DataFrame":
        """One row per message (whole run, publish order).

        Columns: id, queue (name: "main" or a stage), producer (name), priority (effective),
        parent (id of the message this one continues or dead-letters, -1 for none), t_publish,
        t_deliver (latest delivery to a consumer), t_start (latest service start), t_done (ack, or
        the time it left: drop, expiry, dead-lettering, loss), wait = t_start - t_publish -
        prior, sojourn = t_done - t_publish (acked only), service (requirement, s), prior
        (seconds of earlier unfinished service attempts), deliveries (count; > 1 = redelivered),
        consumer (index, -1 if not at a consumer), outcome (acked, dropped, in_flight, ready,
        expired, dead_lettered, lost), cause ("" or why it left: reject-publish, drop-head,
        expired, rejected, delivery-limit, lost). Times in seconds; NaN = did not happen before
        the horizon.
        """
        import pandas as pd

        a = self.arrays
        names = [p.name for p in self.scenario.producers]
        acked = a["outcome"] == 0
        return pd.DataFrame({
            "id": np.arange(len(a["t_publish"])),
            "queue": pd.Categorical.from_codes(a["node"], categories=list(self.scenario.node_names)),
            "producer": pd.Categorical.from_codes(a["producer"], categories=names),
            "priority": a["priority"],
            "parent": a["parent"],
            "t_publish": a["t_publish"],
            "t_deliver": a["t_deliver"],
            "t_start": a["t_start"],
            "t_done": a["t_done"],
            "wait": a["t_start"] - a["t_publish"] - a["prior"],
            "sojourn": np.where(acked, a["t_done"] - a["t_publish"], np.nan),
            "service": a["service"],
            "prior": a["prior"],
            "deliveries": a["deliveries"],
            "consumer": a["consumer"],
            "outcome": pd.Categorical.from_codes(a["outcome"], categories=list(OUTCOMES)),
            "cause": pd.Categorical.from_codes(a["cause"], categories=[DROP_CAUSES[k] for k in sorted(DROP_CAUSES)]),
            **{name: a[name] for name in self.records.extra},
        })

    @cached_property
    def queue_length(self) -> "pd.DataFrame":
        """Step series of the main queue (value holds from ``time`` until the next row): ready
        (in the broker queue), in_flight (delivered, unacked), busy (consumers serving). Whole
        run. :meth:`queue_lengths` gives every queue of a pipeline."""
        df = self.queue_lengths()
        return df[df["queue"] == self.scenario.node_names[0]].drop(columns="queue").reset_index(drop=True)

    def queue_lengths(self) -> "pd.DataFrame":
        """Step series of every queue: time, queue (name), ready, in_flight, busy."""
        import pandas as pd

        r = self.records
        if not r.trace:
            raise ValueError("queue_length: this run was made with trace=False; rerun with trace=True")
        names = list(self.scenario.node_names)
        q = r.trace_arrays()
        df = pd.DataFrame({"time": q["q_time"], "queue": pd.Categorical.from_codes(q["q_node"], categories=names),
                           "ready": q["q_ready"], "in_flight": q["q_inflight"], "busy": q["q_busy"]})
        return df.drop_duplicates(["queue", "time"], keep="last").reset_index(drop=True)

    def oldest_ready_age(self, queue: str = "main", times: "np.ndarray | None" = None) -> "pd.DataFrame":
        """Age (s) of the oldest ready message in ``queue`` at each of ``times`` (default: every
        step of the queue-length series); 0 when nothing is ready. Computed from the records:
        a message is ready from publish (or requeue) until delivered or gone."""
        import pandas as pd

        a = self.arrays
        k = list(self.scenario.node_names).index(queue)
        m = a["node"] == k
        pub = a["t_publish"][m]
        end = np.where(~np.isnan(a["t_start"][m]), a["t_deliver"][m], a["t_done"][m])
        end = np.where(np.isnan(end), np.inf, end)
        if times is None:
            ql = self.queue_lengths()
            times = ql.loc[ql["queue"] == queue, "time"].to_numpy()
        times = np.asarray(times, dtype=float)
        order = np.argsort(pub, kind="stable")
        pub, end = pub[order], end[order]
        ages = np.zeros(len(times))
        for n, t in enumerate(times):  # first message published by t that is still ready at t
            upto = np.searchsorted(pub, t, side="right")
            live = np.nonzero(end[:upto] > t)[0]
            if live.size:
                ages[n] = t - pub[live[0]]
        return pd.DataFrame({"time": times, "oldest_ready_age": ages})

    # ---- statistics -------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Whole-run accounting: published and each outcome (they always add up)."""
        n = np.bincount(self.arrays["outcome"], minlength=len(OUTCOMES))
        return {"published": int(n.sum()), **{k: int(v) for k, v in zip(OUTCOMES, n)}}

    def summary(self, by: tuple[str, ...] | None = None) -> "pd.DataFrame":
        """Metrics over ``[warmup, horizon)``: one row overall (group "all") and one per value of
        each column in ``by`` (default: queue when there are stages, producer, priority). See
        :mod:`mqsim.analysis.metrics` for the exact definitions.

        Columns: group, key, ``unstable`` (True where the row's messages pass through a queue
        with no steady state: offered load >= 1 and no length limit, so W, Wq and L grow with
        the horizon and are not steady-state figures), then every metric of
        :data:`mqsim.analysis.metrics.METRIC_COLUMNS`.

        Rows of a network (a scenario with stages): the **queue** rows describe the messages at
        each queue (hops: a dead-letter copy is published at its dead-letter stage, a route copy
        at the next stage). The **all** and **producer** rows are end to end: one entry per
        message a producer published, following its route copies through the pipeline (the main
        queue and the stages routes reach); ``acked`` means it made it through, ``dead_lettered``
        and the other fates say where it stopped, ``W`` is publish to the last ack, ``Wq`` the
        sum of its waits, and ``utilisation`` the busy fraction of the pipeline's consumers
        (dead-letter consumers are in their own queue rows). **priority** rows are per hop (a
        message's effective priority is a property of the queue it is in). See
        :mod:`mqsim.analysis.journeys`. With one queue every row is per message, as the two views
        coincide."""
        if by is None:
            by = (("queue",) if self.scenario.stages else ()) + ("producer", "priority")
        return metrics.summary_frame(self, by)

    def metric(self, name: str) -> float:
        """One overall metric, e.g. ``res.metric("Wq")``."""
        if name not in metrics.METRIC_COLUMNS:
            raise ValueError(f"metric: must be one of {', '.join(metrics.METRIC_COLUMNS)}; got {name!r}")
        return float(self.overall()[name])

    def overall(self) -> dict[str, float]:
        """The overall metrics as a dict (fast path, no grouping)."""
        return metrics.summary_frame(self, ()).iloc[0].drop(["group", "key", "unstable"]).to_dict()


class SummaryResult(Result):
    """A :class:`mqsim.Result` from ``records="summary"``: the same ``summary()``, ``overall()``,
    ``metric()`` and ``counts()``, but no ``messages``, ``arrays`` or ``queue_length``.
    Percentiles come from histograms (see :mod:`mqsim.summary`)."""

    records: SummaryStats  # type: ignore[assignment]  # running statistics instead of per-message Records

    def __init__(self, scenario: Scenario, stats: SummaryStats, *, horizon: float, warmup: float, seed: int,
                 engine: str):
        # the base class only stores them; every method reading per-message records is overridden
        super().__init__(scenario, stats, horizon=horizon, warmup=warmup, seed=seed, engine=engine)  # type: ignore[arg-type]

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        raise ValueError(_NO_ROWS.format(what="Result.arrays"))

    @property
    def messages(self) -> "pd.DataFrame":
        raise ValueError(_NO_ROWS.format(what="Result.messages"))

    @property
    def queue_length(self) -> "pd.DataFrame":
        raise ValueError(_NO_ROWS.format(what="Result.queue_length"))

    def queue_lengths(self) -> "pd.DataFrame":
        raise ValueError(_NO_ROWS.format(what="Result.queue_lengths()"))

    def oldest_ready_age(self, queue: str = "main", times: Any = None) -> "pd.DataFrame":
        raise ValueError(_NO_ROWS.format(what="Result.oldest_ready_age()"))

    def counts(self) -> dict[str, int]:
        return self.records.counts()

    def summary(self, by: tuple[str, ...] | None = None) -> "pd.DataFrame":
        if by is None:
            by = (("queue",) if getattr(self.scenario, "stages", ()) else ()) + ("producer", "priority")
        return self.records.frame(tuple(by))

    def overall(self) -> dict[str, float]:
        return self.records.metrics(list(range(len(self.records.keys))), servers(self.scenario)[1])

