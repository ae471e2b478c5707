"""Sweeps: replications at every point of a grid of scenario fields, with the formula beside
each simulated figure.

Common random numbers: replication ``r`` uses the same run seed at every point, and streams
are keyed by producer and class, so points differ only by what the grid changes.
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from mqsim.experiments.replications import (
    Replications,
    _auto_warmups,
    _check_n,
    _check_window,
    _metric_lists,
    _runs_frame,
    check_summary_records,
    replication_seed,
    run_replication,
)
from mqsim.model import validate
from mqsim.model.scenario import ScenarioLike, as_scenario
from mqsim.sim import budget
from mqsim.sim.streams import resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["sweep"]


#: most points a sweep grid may have
MAX_POINTS = 10_000


def _points(grid: Mapping[str, Iterable[Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError("grid: must be a non-empty mapping {dotted path: values}, e.g. {'consumers.count': [1, 2]}")
    paths = list(grid)
    values = []
    n = 1
    for p in paths:
        if not isinstance(p, str):
            raise ValueError(f"grid: keys must be dotted field paths such as 'consumers.count', got {p!r}")
        if isinstance(grid[p], (str, bytes, Mapping)) or not isinstance(grid[p], Iterable):
            raise ValueError(f"grid[{p!r}]: must be a list of values, e.g. [1, 2, 3], got {validate.show(grid[p])}")
        v = list(grid[p])
        if not v:
            raise ValueError(f"grid[{p!r}]: needs at least one value")
        n *= len(v)
        if n > MAX_POINTS:
            sizes = " x ".join(str(len(list(grid[q]))) for q in paths)
            raise ValueError(f"grid: more than {MAX_POINTS:,} points ({sizes})")
        values.append(v)
    return paths, list(product(*values))


def _warn_unstable(sc0: Any, scs: list[Any], paths: list[str], points: list[tuple[Any, ...]]) -> None:
    """One OverloadWarning for the whole sweep, naming its points without a steady state."""
    from mqsim.model.overload import stability, warn_overload_text

    bad = [", ".join(f"{p}={v!r}" for p, v in zip(paths, pt)) for sc, pt in zip(scs, points) if stability(sc).unstable]
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        warn_overload_text(f"sweep: {len(bad)} of {len(scs)} points of scenario {sc0.name or ''!r} have no steady "
                           f"state (offered load >= 1 with no length limit; their rows are marked unstable): {shown}")


def sweep(scenario: ScenarioLike | Mapping[str, Any], grid: Mapping[str, Iterable[Any]], replications: int = 10,
          seed: int = 0, horizon: float = 10_000.0, warmup: float | str = 0.0, *, by: tuple[str, ...] = ("priority",),
          confidence: float = 0.95, extra_metrics: Sequence[str] = (), warmup_series: str = "queue",
          warmup_pilots: int = 5, executor: Any = None, n_jobs: int | None = None,
          progress: bool | None = None, records: str = "full") -> "pd.DataFrame":
    """Replicate ``scenario`` at every point of the full-factorial ``grid`` of dotted paths.

    Common random numbers: replication ``r`` uses the same seed at every point, and streams are
    keyed by producer and class, so points differ only by what the grid changes.
    Returns tidy rows: the grid columns, ``rho`` (offered utilisation lam*E[S]/c), group, key,
    metric, ``unstable`` (True where the point has no steady state: offered load >= 1 with no
    length limit; such means grow with the horizon), n, mean, std, ci_low, ci_high, half_width,
    and ``theory`` (with ``formula`` and ``exact``) wherever :func:`mqsim.theory.for_scenario` applies (NaN elsewhere).
    ``warmup="auto"``: an MSER-5 warm-up per point from ``warmup_pilots`` pilot runs (as in
    :func:`replicate`; adds a ``warmup`` column, seconds).
    records: ``"full"`` (default) or ``"summary"`` (running statistics per run: flat memory and
    faster; percentiles from histograms, see :func:`mqsim.replicate`).
    Every run of every point goes to one executor (see :mod:`mqsim.executors`) in one batch,
    under one progress bar.
    """
    import pandas as pd

    sc0 = as_scenario(scenario)
    paths, points = _points(grid)
    confidence = validate.confidence("confidence", confidence)
    replications = _check_n("replications", replications, 2)
    horizon, warmup = _check_window(horizon, warmup)
    seed = resolve_seed(seed)
    _, extras = _metric_lists(None, extra_metrics, None)
    records = check_summary_records(records, tuple(by), extras)
    by = tuple(by)
    scs = []
    for point in points:
        sc = sc0
        for path, v in zip(paths, point):
            sc = sc.with_value(path, v)
        budget.check_run(sc, horizon, 0.0 if warmup == "auto" else warmup,
                         where=f"sweep at {', '.join(f'{p}={v!r}' for p, v in zip(paths, point))}")
        scs.append(sc)
    _warn_unstable(sc0, scs, paths, points)
    warmup_pilots = _check_n("warmup_pilots", warmup_pilots, 1)
    from mqsim.analysis.warmup import SERIES
    from mqsim.experiments.executors import Runner

    if warmup_series not in SERIES:
        raise ValueError(f"warmup_series: must be one of {', '.join(SERIES)}, got {warmup_series!r}")
    with Runner(executor, n_jobs=n_jobs, progress=progress) as run:
        if warmup == "auto":
            infos = _auto_warmups(run, scs, seed, horizon, warmup_series, warmup_pilots)
            warmups = [i.time for i in infos]
        else:
            warmups = [float(warmup)] * len(scs)
        tasks = [(sc, replication_seed(seed, r), horizon, w, by, extras, None, records)
                 for sc, w in zip(scs, warmups) for r in range(replications)]
        work = sum(sc.arrival_rate * horizon for sc in scs) * replications
        results = run.map(run_replication, tasks, desc=f"sweep ({len(scs)} points)", work=work)
    frames = []
    for i, (sc, point) in enumerate(zip(scs, points)):
        chunk = results[i * replications:(i + 1) * replications]
        reps = Replications(sc, _runs_frame(chunk), seed=seed, horizon=horizon, warmup=warmups[i],
                            extra_metrics=extras)
        t = reps.table(confidence, theory=True)
        if warmup == "auto":
            t.insert(0, "warmup", warmups[i])
        t.insert(0, "rho", sc.utilisation)
        for path, v in reversed(list(zip(paths, point))):
            t.insert(0, path, v)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)
