"""Independent replications with Student-t confidence intervals, and sweeps over scenario fields.

Replication ``r`` of a run with seed ``s`` uses the run seed :func:`replication_seed` ``(s, r)``,
which depends only on ``(s, r)``: adding replications never changes earlier ones, and the same
``(seed, n)`` gives identical numbers whatever executes them (in this process, a process pool,
a Dask cluster: see :mod:`mqsim.executors`).

* :func:`replicate` runs ``n`` replications, or with ``rel_precision`` keeps adding them until
  every requested metric's confidence-interval half-width is within that fraction of its mean
  (up to ``max_n``). ``warmup="auto"`` picks the warm-up by MSER-5 on a pilot run
  (:mod:`mqsim.warmup`).
* :func:`sweep` replicates a scenario at every point of a full-factorial grid of dotted
  paths, with common random numbers, and sets the formula beside each simulated figure.

The work units, :func:`run_replication` and :func:`mqsim.warmup.pilot_warmup`, are picklable
top-level functions of ``(scenario, seed, horizon, warmup)``.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from mqsim.analysis.metrics import METRIC_COLUMNS
from mqsim.analysis.statistics import confidence_interval
from mqsim.model.overload import OverloadWarning, stability
from mqsim.model.scenario import ScenarioLike, as_scenario
from mqsim.model import validate
from mqsim.model.validate import check_run_window
from mqsim.sim import budget
from mqsim.sim.run import simulate
from mqsim.sim.streams import resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.analysis.warmup import WarmupResult

__all__ = ["replicate", "Replications", "replication_seed", "pilot_seed",
           "run_replication", "PRECISION_METRICS"]

#: metrics a precision-based stop watches when none are named
PRECISION_METRICS = ("L", "Lq", "W", "Wq")


def replication_seed(seed: int, r: int) -> int:
    """The run seed of replication ``r`` (>= 0) of an experiment seeded with ``seed``."""
    return int(np.random.SeedSequence([int(seed), int(r)]).generate_state(1, np.uint64)[0])


def pilot_seed(seed: int, k: int = 0) -> int:
    """The run seed of warm-up pilot run ``k`` of an experiment seeded with ``seed`` (independent
    of every :func:`replication_seed`)."""
    return int(np.random.SeedSequence([int(seed), int(k)], spawn_key=(0x5EED,)).generate_state(1, np.uint64)[0])


def _auto_warmups(run: Any, scs: Sequence[ScenarioLike], seed: int, horizon: float, series: str,
                  pilots: int) -> list["WarmupResult"]:
    """MSER-5 warm-up of each scenario from ``pilots`` averaged pilot runs (all in one batch)."""
    from mqsim.analysis.warmup import combine_pilots
    from mqsim.experiments.pilots import pilot_warmup

    tasks = [(sc, pilot_seed(seed, k), horizon, series) for sc in scs for k in range(pilots)]
    work = sum(sc.arrival_rate for sc in scs) * horizon * pilots
    res = run.map(pilot_warmup, tasks, desc="warm-up pilots", work=work)
    return [combine_pilots(res[i * pilots:(i + 1) * pilots]) for i in range(len(scs))]



# --------------------------------------------------------------------------------------------
# the work unit
# --------------------------------------------------------------------------------------------
def _extras_for(res: Any, rows: list[tuple[str, Any]], specs: Sequence[Any]) -> list[dict[str, float]]:
    from mqsim.experiments.slo import extra_metric_values
    from mqsim.sim.records import OUTCOMES

    a = res.arrays
    oc = a["outcome"]
    acked = oc == OUTCOMES.index("acked")
    alive = np.isin(oc, [OUTCOMES.index("ready"), OUTCOMES.index("in_flight")])
    names = [p.name for p in res.scenario.producers]
    out = []
    for group, key in rows:
        if group == "all":
            mask = slice(None)
        elif group == "producer":
            mask = a["producer"] == names.index(key)
        elif group == "priority":
            mask = a["priority"] == key
        else:
            mask = (res.messages[group] == key).to_numpy()
        out.append(extra_metric_values(specs, a["t_publish"][mask], a["t_start"][mask], a["t_done"][mask],
                                       acked[mask], alive[mask], res.warmup, res.horizon))
    return out


def run_replication(scenario: Any, seed: int, horizon: float, warmup: float,
                    by: tuple[str, ...] = ("producer", "priority"),
                    extra_metrics: tuple[str, ...] = (),
                    statistic: Callable[[Any], Mapping[str, float]] | None = None,
                    records: str = "full") -> "pd.DataFrame":
    """Work unit: one run of ``scenario`` (a :class:`Scenario` or its dict form) with run seed
    ``seed`` over ``horizon`` seconds, statistics after ``warmup`` seconds; returns its summary
    rows (group, key, every metric of :data:`METRIC_COLUMNS`, then ``extra_metrics``, see
    :mod:`mqsim.experiments.slo`, then the columns of ``statistic(result)`` on the overall row,
    NaN on the others). ``records`` as in :func:`mqsim.simulate` ("summary": running
    statistics, no extra metrics and no statistic). Top-level and picklable: any executor can run it."""
    import pandas as pd

    sc = as_scenario(scenario)
    with warnings.catch_warnings():  # the entry point (replicate, sweep, ...) warned once already
        warnings.simplefilter("ignore", OverloadWarning)
        res = simulate(sc, horizon, warmup, seed=seed, trace=False, engine="auto", records=records)
    by = tuple(by)
    if by:
        df = res.summary(by)
    else:  # fast path: no per-group frames
        df = pd.DataFrame([{"group": "all", "key": "all", **res.overall()}], columns=["group", "key", *METRIC_COLUMNS])
        from mqsim.analysis.metrics import mark_unstable

        df = mark_unstable(df, sc)
    if extra_metrics:
        from mqsim.experiments.slo import parse_metric

        specs = [parse_metric(m) for m in extra_metrics]
        vals = _extras_for(res, list(zip(df["group"], df["key"])), specs)
        for sp in specs:
            if sp.extra:
                df[sp.name] = [v[sp.name] for v in vals]
    if statistic is not None:
        for name, value in dict(statistic(res)).items():
            df[str(name)] = [float(value) if g == "all" else math.nan for g in df["group"]]
    return df


# --------------------------------------------------------------------------------------------
# replications
# --------------------------------------------------------------------------------------------
class Replications:
    """Per-replication summaries (:attr:`runs`) and their confidence intervals (:meth:`table`).

    Attributes: scenario, runs (one row per replication and summary group), seed, horizon and
    warmup (seconds: the warm-up actually used), warmup_info (the :class:`WarmupResult` when
    ``warmup="auto"``, else None), rel_precision, precision_metrics and converged (for a
    precision-based stop, else None), extra_metrics (metric columns beyond
    :data:`METRIC_COLUMNS`).
    """

    def __init__(self, scenario: ScenarioLike, runs: "pd.DataFrame", *, seed: int, horizon: float, warmup: float,
                 warmup_info: "WarmupResult | None" = None, rel_precision: float | None = None,
                 precision_metrics: tuple[str, ...] = (), converged: bool | None = None,
                 extra_metrics: tuple[str, ...] = (), confidence: float = 0.95):
        self.scenario = scenario
        self.runs = runs
        self.seed = seed
        self.horizon = horizon
        self.warmup = warmup
        self.warmup_info = warmup_info
        self.rel_precision = rel_precision
        self.precision_metrics = tuple(precision_metrics)
        self.converged = converged
        self.extra_metrics = tuple(extra_metrics)
        self.confidence = confidence

    @property
    def n(self) -> int:
        return int(self.runs["replication"].nunique())

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric column of :attr:`runs`."""
        return tuple(METRIC_COLUMNS) + tuple(m for m in self.extra_metrics if m not in METRIC_COLUMNS)

    def __repr__(self) -> str:
        s = (f"<mqsim.Replications n={self.n} seed={self.seed} horizon={self.horizon:g}s "
             f"warmup={self.warmup:g}s{' (MSER-5)' if self.warmup_info is not None else ''}")
        if self.rel_precision is not None:
            s += (f" rel_precision={self.rel_precision:g} on {','.join(self.precision_metrics)}: "
                  f"{'reached' if self.converged else 'NOT reached (cap)'}")
        return s + ">"

    def table(self, confidence: float = 0.95, *, theory: bool = False) -> "pd.DataFrame":
        """Tidy rows (group, key, metric, unstable, n, mean, std, ci_low, ci_high, half_width); with
        ``theory=True`` also ``theory``, ``formula`` and ``exact`` from
        :func:`mqsim.theory.for_scenario` (NaN where no formula predicts the row).

        ``unstable`` is True on rows whose messages pass through a queue with no steady state
        (offered load >= 1 and no length limit, see :mod:`mqsim.model.overload`): their means
        grow with the horizon and are not steady-state figures."""
        import pandas as pd

        long = self.runs.melt(id_vars=["replication", "group", "key"], value_vars=list(self.metric_names),
                              var_name="metric", value_name="value")
        rows = []
        st = stability(self.scenario)
        for (g, k, m), sub in long.groupby(["group", "key", "metric"], sort=False):
            v = sub["value"].astype(float).to_numpy()
            mean, lo, hi = confidence_interval(v, confidence)
            fin = v[np.isfinite(v)]
            rows.append({"group": g, "key": k, "metric": m, "unstable": st.row_unstable(g, k), "n": int(fin.size),
                         "mean": mean,
                         "std": float(fin.std(ddof=1)) if fin.size > 1 else math.nan,
                         "ci_low": lo, "ci_high": hi, "half_width": (hi - lo) / 2})
        t = pd.DataFrame(rows)
        if theory:
            _add_theory(t, self.scenario)
        return t

    def overall(self, confidence: float = 0.95, *, theory: bool = True) -> "pd.DataFrame":
        """The overall row as a table indexed by metric: mean, ci_low, ci_high, half_width (and
        theory, formula, exact)."""
        t = self.table(confidence, theory=theory)
        t = t[(t["group"] == "all") & (t["key"] == "all")].set_index("metric")
        cols = ["unstable", "n", "mean", "ci_low", "ci_high", "half_width"]
        if theory:
            cols += ["theory", "formula", "exact"]
        return t[cols]

    def ci(self, metric: str, group: str = "all", key: object = "all",
           confidence: float = 0.95) -> tuple[float, float, float]:
        """(mean, low, high) of one metric for one row of the summary (default: overall)."""
        if metric not in self.metric_names:
            from mqsim.experiments.slo import parse_metric

            try:
                metric = parse_metric(metric).name
            except ValueError:
                pass
        if metric not in self.metric_names:
            raise ValueError(f"metric: must be one of {', '.join(self.metric_names)}; got {metric!r}")
        sel = self.runs[(self.runs["group"] == group) & (self.runs["key"] == key)]
        if sel.empty:
            raise ValueError(f"group/key: no summary row {group!r}/{key!r}")
        return confidence_interval(sel[metric].to_numpy(dtype=float), confidence)

    def precision(self, metrics: Sequence[str] | None = None, confidence: float | None = None) -> "pd.DataFrame":
        """Relative half-width (half_width / |mean|) of the overall row's ``metrics`` (default:
        the precision metrics, else :data:`PRECISION_METRICS`)."""
        import pandas as pd

        ms = list(metrics or self.precision_metrics or PRECISION_METRICS)
        conf = self.confidence if confidence is None else confidence
        rows = []
        for m in ms:
            mean, lo, hi = self.ci(m, confidence=conf)
            hw = (hi - lo) / 2
            rows.append({"metric": m, "mean": mean, "half_width": hw, "relative": _relative(mean, hw)})
        return pd.DataFrame(rows).set_index("metric")


def _relative(mean: float, hw: float) -> float:
    if not (math.isfinite(mean) and math.isfinite(hw)):
        return math.inf
    if hw == 0:
        return 0.0
    return hw / abs(mean) if mean != 0 else math.inf


def _add_theory(t: "pd.DataFrame", sc: ScenarioLike) -> None:
    from mqsim.analysis.theory_join import theory_table
    from mqsim.theory import for_scenario

    pred = for_scenario(sc)
    th = theory_table(pred, sc)
    t["theory"] = [th.get((g, k), {}).get(m, np.nan) for g, k, m in zip(t["group"], t["key"], t["metric"])]
    t["formula"] = pred.formula if th else ""
    t["exact"] = bool(pred.exact) if th else False


def _check_n(name: str, n: Any, lo: int, hi: int = 100_000) -> int:
    if isinstance(n, float):
        raise ValueError(f"{name}: must be an integer >= {lo}, got {n!r}")
    return validate.integer(name, n, lo, max(hi, lo))


def _check_window(horizon: Any, warmup: Any) -> tuple[float, float | str]:
    """Validate horizon (s) and warmup (s, or "auto")."""
    if isinstance(warmup, str):
        if warmup != "auto":
            raise ValueError(f"warmup: must be a number of seconds in [0, horizon) or 'auto', got {warmup!r}")
        h, _ = check_run_window(horizon, 0.0)
        return h, "auto"
    return check_run_window(horizon, warmup)


def _metric_lists(metrics: Sequence[str] | None, extra_metrics: Sequence[str] | str,
                  rel_precision: float | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Canonical precision metrics and extra metric columns (precision metrics that are not
    standard columns are added to the extras)."""
    from mqsim.experiments.slo import parse_metric

    if isinstance(extra_metrics, str):
        extra_metrics = (extra_metrics,)
    extras: list[str] = []
    for m in extra_metrics or ():
        sp = parse_metric(m, "extra_metrics")
        if sp.extra and sp.name not in extras:
            extras.append(sp.name)
    if isinstance(metrics, str):
        metrics = (metrics,)
    prec: list[str] = []
    if rel_precision is not None:
        for m in metrics or PRECISION_METRICS:
            sp = parse_metric(m, "metrics")
            prec.append(sp.name)
            if sp.extra and sp.name not in extras:
                extras.append(sp.name)
    elif metrics:
        raise ValueError("metrics: only used with rel_precision (the metrics whose precision stops the run)")
    return tuple(prec), tuple(extras)


def check_summary_records(records: Any, by: Sequence[str], extras: Sequence[str]) -> str:
    """Validate the ``records`` argument of an experiment: ``"full"`` or ``"summary"``; summary
    mode keeps no per-message rows, so it groups by queue, producer and priority only and
    computes no extra metrics."""
    from mqsim.sim.records import check_records_mode

    check_records_mode(records)
    if records == "summary":
        bad = [g for g in by if g not in ("queue", "producer", "priority")]
        if bad:
            raise ValueError(f"by: with records='summary' the groups must be among 'queue', 'producer', "
                             f"'priority'; got {bad[0]!r} (use records='full')")
        if extras:
            raise ValueError(f"extra_metrics: {', '.join(extras)} need per-message rows; use records='full'")
    return records


def _check_rel_precision(rel_precision: Any) -> float | None:
    if rel_precision is None:
        return None
    return validate.fraction("rel_precision", rel_precision)


def _runs_frame(results: list["pd.DataFrame"], first: int = 0) -> "pd.DataFrame":
    import pandas as pd

    frames = []
    for r, df in enumerate(results, start=first):
        df = df.copy()
        df.insert(0, "replication", r)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _next_n(n: int, rel: dict[str, float], target: float, max_n: int) -> int:
    """Replications to have next: the classical estimate n * (relative / target)^2 (at least one
    more, at most twice as many at a time, never beyond ``max_n``)."""
    worst = max(rel.values())
    want = n * (worst / target) ** 2 if math.isfinite(worst) else 2 * n
    return int(min(max_n, max(n + 1, min(math.ceil(want), 2 * n))))


def replicate(scenario: ScenarioLike | Mapping[str, Any], n: int = 10, seed: int = 0, horizon: float = 10_000.0,
              warmup: float | str = 0.0, *, by: tuple[str, ...] = ("producer", "priority"),
              rel_precision: float | None = None, metrics: Sequence[str] | None = None, max_n: int = 100,
              confidence: float = 0.95, extra_metrics: Sequence[str] = (), warmup_series: str = "queue",
              warmup_pilots: int = 5, executor: Any = None, n_jobs: int | None = None,
              progress: bool | None = None, first: int = 0,
              statistic: Callable[[Any], Mapping[str, float]] | None = None, records: str = "full") -> Replications:
    """Run independent replications of ``scenario`` and return their summaries with confidence
    intervals (:class:`Replications`).

    n: replications (>= 2; the first batch when ``rel_precision`` is set).
    seed: experiment seed; replication r uses run seed ``replication_seed(seed, r)``.
    horizon: seconds simulated per replication.
    warmup: seconds at the start of each replication excluded from statistics, or ``"auto"``:
        MSER-5 (:mod:`mqsim.warmup`) on the ``warmup_series`` (``"queue"``: number in system,
        or ``"wait"``: per-message waits) averaged over ``warmup_pilots`` pilot runs of
        ``horizon`` seconds (run seeds ``pilot_seed(seed, k)``, independent of the
        replications); the cut, in seconds, is used by every replication and
        ``Replications.warmup_info`` keeps the evidence (:func:`mqsim.warmup.plot_warmup`).
    by: summary groups besides the overall row (columns of :attr:`Result.messages`); ``()``
        is fastest.
    rel_precision: e.g. 0.05: keep adding replications until every metric in ``metrics``
        (default :data:`PRECISION_METRICS`; any :mod:`mqsim.slo` metric name, overall row) has a
        ``confidence`` CI half-width <= rel_precision * |mean|, or ``max_n`` replications ran
        (``Replications.converged`` says which). A metric whose replications are all equal
        (e.g. loss 0) counts as precise.
    extra_metrics: metrics beyond :data:`METRIC_COLUMNS` to compute per run, e.g.
        ``["P(wait > 0.5)", "wait_p90"]``.
    executor, n_jobs: where runs execute (see :mod:`mqsim.executors`); results do not depend
        on it. progress: progress bar (None: on unless ``MQSIM_PROGRESS=0``).
    first: index of the first replication (default 0): ``first=100`` continues an experiment
        of 100 replications with replications 100, 101, ... (the same runs as one longer call).
    statistic: a function of each run's :class:`mqsim.Result` returning ``{name: value}``, for
        figures no metric covers; its values become extra columns of the overall rows of
        :attr:`Replications.runs` (a top-level function or ``functools.partial``, so that
        process executors can pickle it).
    records: ``"full"`` (default: each run keeps its per-message rows while its summary is
        computed) or ``"summary"`` (running statistics: flat memory and faster, percentiles
        from histograms within 0.4 %, sums equal to rounding; see :func:`check_summary_records`).
    """
    sc = as_scenario(scenario)
    n = _check_n("n: number of replications", n, 2)
    horizon, warmup = _check_window(horizon, warmup)
    seed = resolve_seed(seed)
    confidence = validate.confidence("confidence", confidence)
    rel_precision = _check_rel_precision(rel_precision)
    prec, extras = _metric_lists(metrics, extra_metrics, rel_precision)
    records = check_summary_records(records, by, extras)
    if records == "summary" and statistic is not None:
        raise ValueError("statistic: a function of each run's Result needs per-message rows; use records='full'")
    if rel_precision is not None:
        max_n = _check_n("max_n", max_n, n)
    by = tuple(by)
    first = _check_n("first", first, 0)
    warmup_pilots = _check_n("warmup_pilots", warmup_pilots, 1)
    from mqsim.analysis.warmup import SERIES
    from mqsim.experiments.executors import Runner

    if warmup_series not in SERIES:
        raise ValueError(f"warmup_series: must be one of {', '.join(SERIES)}, got {warmup_series!r}")
    per_run = budget.check_run(sc, horizon, 0.0 if warmup == "auto" else warmup, where="replicate")
    budget.warn_overload(sc, "replicate")
    info = None
    with Runner(executor, n_jobs=n_jobs, progress=progress) as run:
        if warmup == "auto":
            info = _auto_warmups(run, [sc], seed, horizon, warmup_series, warmup_pilots)[0]
            warmup = info.time

        def batch(lo: int, hi: int) -> list[Any]:
            tasks = [(sc, replication_seed(seed, r), horizon, warmup, by, extras, statistic, records)
                     for r in range(first + lo, first + hi)]
            return run.map(run_replication, tasks, desc=f"replications {first + lo + 1}-{first + hi}",
                           work=per_run * (hi - lo))

        results = batch(0, n)
        runs = _runs_frame(results, first)
        own = tuple(c for c in runs.columns
                    if c not in ("replication", "group", "key", "unstable", *METRIC_COLUMNS, *extras))
        reps = Replications(sc, runs, seed=seed, horizon=horizon, warmup=float(warmup), warmup_info=info,
                            rel_precision=rel_precision, precision_metrics=prec, extra_metrics=extras + own,
                            confidence=confidence)
        if rel_precision is not None:
            while True:
                rel = reps.precision().loc[list(prec), "relative"].to_dict()
                if all(v <= rel_precision for v in rel.values()):
                    reps.converged = True
                    break
                if len(results) >= max_n:
                    reps.converged = False
                    break
                nxt = _next_n(len(results), rel, rel_precision, max_n)
                results += batch(len(results), nxt)
                reps.runs = _runs_frame(results, first)
    return reps


# --------------------------------------------------------------------------------------------
# sweeps
# --------------------------------------------------------------------------------------------

