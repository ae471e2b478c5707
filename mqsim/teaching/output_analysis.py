"""Lecture 3, simulation output analysis: replications, sequential confidence intervals, the
coverage of one-run intervals (naive and batch means), and Welch's warm-up curve.

Times are seconds. Every function that simulates takes a ``seed`` and runs its replications with
:func:`mqsim.replicate`: replication ``r`` of seed ``s`` uses the run seed
:func:`mqsim.replication_seed` ``(s, r)``, so :func:`replicate_overall` gives the overall rows of
``mqsim.replicate(...).runs``, and adding replications never changes the earlier ones.

References: A. M. Law (2015), *Simulation Modeling and Analysis*, 5th ed., McGraw-Hill, ch. 9
(replications, batch means, Welch's procedure); P. D. Welch (1983), "The statistical analysis of
simulation results", in *The Computer Performance Modeling Handbook*, Academic Press.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from mqsim import theory as th
from mqsim.analysis.metrics import samples
from mqsim.analysis.statistics import batch_means, confidence_interval, naive_ci, replications_needed
from mqsim.experiments.replications import replicate
from mqsim.model import validate
from mqsim.teaching.common import overall_runs
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario
    from mqsim.sim.result import Result

__all__ = ["replicate_overall", "replication_values", "replications_until", "interval_coverage", "warmup_curve",
           "EXERCISES"]


def replicate_overall(scenario: "Scenario", n: int = 10, seed: int = 0, horizon: float = 10_000.0,
                      warmup: float = 0.0, *, first: int = 0) -> "pd.DataFrame":
    """One row per replication (``replication`` first .. first+n-1) with every overall metric of
    :data:`mqsim.analysis.METRIC_COLUMNS` (times in s, rates per s): the ``group == "all"`` rows
    of ``mqsim.replicate(scenario, n, seed, horizon, warmup, first=first).runs``. ``first``
    continues an experiment: replications 0..99 and then ``first=100`` give the same values as
    0..199 at once."""
    n = validate.integer("n: number of replications", n, lo=1)
    first = validate.integer("first", first, lo=0)
    reps = replicate(scenario, n=max(n, 2), seed=seed, horizon=horizon, warmup=warmup, by=(), first=first,
                     progress=False)  # replicate wants two; a lone replication keeps the first
    return overall_runs(reps).drop(columns=["group", "key"]).head(n)


def replication_values(scenario: "Scenario", metric: str = "Wq", n: int = 10, seed: int = 0,
                       horizon: float = 10_000.0, warmup: float = 0.0, *, first: int = 0) -> np.ndarray:
    """The overall ``metric`` of replications ``first`` .. ``first + n - 1``, in replication order
    (see :func:`replicate_overall`). Adding replications never changes the earlier values."""
    from mqsim.analysis.metrics import METRIC_COLUMNS

    validate.choice("metric", metric, METRIC_COLUMNS)
    return replicate_overall(scenario, n, seed, horizon, warmup, first=first)[metric].to_numpy(dtype=float)


def replications_until(scenario: "Scenario", target_half_width: float, metric: str = "Wq", seed: int = 0,
                       horizon: float = 10_000.0, warmup: float = 0.0, *, confidence: float = 0.95,
                       chunk: int = 100, max_n: int = 20_000) -> tuple[int | None, np.ndarray]:
    """Add replications ``chunk`` at a time until the running interval's half-width (s, or the
    metric's unit) reaches ``target_half_width``: returns (smallest such n, the values simulated
    so far). The n is the same as :func:`mqsim.analysis.replications_needed` on any longer prefix
    of the same experiment; None if ``max_n`` replications do not reach it."""
    target_half_width = validate.positive("target_half_width", target_half_width)
    chunk = validate.integer("chunk", chunk, lo=1)
    max_n = validate.integer("max_n", max_n, lo=2)
    values = np.empty(0)
    while values.size < max_n:
        more = replication_values(scenario, metric, min(chunk, max_n - values.size), seed, horizon, warmup,
                                  first=values.size)
        values = np.concatenate([values, more])
        if values.size >= 2:
            k = replications_needed(values, target_half_width, confidence)
            if k is not None:
                return k, values
    return None, values


def _interval_ends(res: "Result", kind: str, n_batches: int, confidence: float) -> dict[str, float]:
    """Per-run statistic: the naive (i.i.d.) and batch-means intervals of one run's waits."""
    x = samples(res, kind)
    _, nlo, nhi = naive_ci(x, confidence)
    _, blo, bhi = batch_means(x, n_batches, confidence)
    return {"naive_lo": nlo, "naive_hi": nhi, "batch_lo": blo, "batch_hi": bhi}


def interval_coverage(scenario: "Scenario", exact: float, runs: int = 40, seed: int = 0,
                      horizon: float = 20_000.0, warmup: float = 0.0, *, n_batches: int = 20,
                      confidence: float = 0.95, kind: str = "wait") -> "pd.DataFrame":
    """How often each one-run interval method covers the exact mean ``exact`` of ``kind`` (wait
    or sojourn, s), over ``runs`` independent runs (the replications of :func:`mqsim.replicate`).

    Rows: ``naive (i.i.d.)`` (:func:`mqsim.analysis.naive_ci`) and ``batch means``
    (:func:`mqsim.analysis.batch_means` with ``n_batches``). Columns: coverage (fraction of runs
    whose interval contains ``exact``; a valid method is near ``confidence``), mean_half_width
    (s), runs. The coverage is itself an estimate from ``runs`` runs (binomial standard error
    sqrt(p(1 − p)/runs)).
    """
    import pandas as pd

    validate.choice("kind", kind, ("wait", "sojourn"))
    stat = functools.partial(_interval_ends, kind=kind, n_batches=n_batches, confidence=confidence)
    reps = replicate(scenario, n=runs, seed=seed, horizon=horizon, warmup=warmup, by=(), statistic=stat,
                     progress=False)
    r = overall_runs(reps)
    out = {}
    for name, tag in (("naive (i.i.d.)", "naive"), ("batch means", "batch")):
        lo, hi = r[f"{tag}_lo"].to_numpy(dtype=float), r[f"{tag}_hi"].to_numpy(dtype=float)
        out[name] = {"coverage": float(np.mean((lo <= exact) & (exact <= hi))),
                     "mean_half_width": float(np.mean((hi - lo) / 2)), "runs": int(runs)}
    return pd.DataFrame(out).T.astype({"runs": int})


def _first_messages(res: "Result", messages: int, batch: int, kind: str) -> dict[str, float]:
    """Per-run statistic: mean wait (or sojourn) and mean publish time of the first ``messages``
    messages in groups of ``batch`` (NaN when the run ended before they all finished)."""
    a = res.arrays
    groups = messages // batch
    end = a["t_start"] if kind == "wait" else a["t_done"]
    if a["t_publish"].size < messages or np.isnan(end[:messages]).any():
        return {**{f"x{j}": np.nan for j in range(groups)}, **{f"t{j}": np.nan for j in range(groups)}}
    x = (end - a["t_publish"])[:messages].reshape(groups, batch).mean(axis=1)
    t = a["t_publish"][:messages].reshape(groups, batch).mean(axis=1)
    return {**{f"x{j}": float(v) for j, v in enumerate(x)}, **{f"t{j}": float(v) for j, v in enumerate(t)}}


def warmup_curve(scenario: "Scenario", n: int = 20, seed: int = 0, messages: int = 200, batch: int = 10,
                 kind: str = "wait") -> "pd.DataFrame":
    """Welch's warm-up curve: the expected ``kind`` (wait or sojourn, s) of the j-th message
    published after an empty start, estimated by averaging over ``n`` replications
    (:func:`mqsim.replicate`), for the first ``messages`` messages in consecutive groups of ``batch``.

    Averaging the j-th message across replications (rather than per time bin) keeps the estimate
    unbiased: busy stretches have more messages, so a per-bin average would under-weight them.
    The runs last until every replication's first ``messages`` messages have finished (the
    horizon doubles until they have; a longer run has the same first messages).
    Columns: message (last index j of the group, 1-based), t (mean publish time of the group, s),
    mean, ci_low, ci_high (Student-t 95% over replications).
    """
    import pandas as pd

    n = validate.integer("n", n, lo=2)
    messages = validate.integer("messages", messages, lo=1)
    batch = validate.integer("batch", batch, lo=1)
    if messages % batch:
        raise ValueError(f"messages: must be a multiple of batch ({batch}), got {messages}")
    validate.choice("kind", kind, ("wait", "sojourn"))
    groups = messages // batch
    stat = functools.partial(_first_messages, messages=messages, batch=batch, kind=kind)
    horizon = 2.0 * messages / scenario.arrival_rate + 10.0 * scenario.mean_service
    while True:
        r = overall_runs(replicate(scenario, n=n, seed=seed, horizon=horizon, warmup=0.0, by=(), statistic=stat,
                                   progress=False))
        if r[[f"x{j}" for j in range(groups)]].notna().all().all():
            break
        horizon *= 2.0
    cis = [confidence_interval(r[f"x{j}"].to_numpy(dtype=float)) for j in range(groups)]
    return pd.DataFrame({"message": np.arange(1, groups + 1) * batch,
                         "t": [float(r[f"t{j}"].mean()) for j in range(groups)],
                         "mean": [c[0] for c in cis], "ci_low": [c[1] for c in cis], "ci_high": [c[2] for c in cis]})


# ----------------------------------------------------------------------------------------------
# exercises: the Ciw bank (Ciw documentation, Tutorial I), answers from mqsim.theory at check time
# ----------------------------------------------------------------------------------------------
def _bank_wq(p: Mapping[str, Any], c: int | None = None) -> float:
    return th.mmc(p["lam"], p["mu"], c or p["c"]).Wq


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.15, 0.18, 0.22, 0.25, 0.27]), "mu": 0.1, "c": 3}


def _ex2(p: Mapping[str, Any]) -> float:
    """Smallest n whose running 95% CI of the daily mean wait has half-width <= target * exact,
    with mqsim's prefix-stable replication seeds (computed by simulation, in chunks)."""
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario

    sc = Scenario([Producer("customers", rate=p["lam"])],
                  consumers=Consumers(p["c"], service=Exponential(rate=p["mu"])))
    n, _ = replications_until(sc, p["target"] * _bank_wq(p), "Wq", p["seed"], p["horizon"], p["warmup"])
    if n is None:  # pragma: no cover - 20,000 days always suffice here
        raise RuntimeError("nb03_ex2: more than 20000 replications needed")
    return float(n)


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": 0.2, "mu": 0.1, "c": 3, "horizon": 1540.0, "warmup": 100.0, "target": 0.05,
            "seed": int(rng.integers(1, 10_000))}


def _ex3(p: Mapping[str, Any]) -> float:
    return 1.0 - _bank_wq(p, p["c"] + 1) / _bank_wq(p)


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.15, 0.18, 0.2, 0.22, 0.25]), "mu": 0.1, "c": 3}


EXERCISES = register_all([
    Exercise(
        key="nb03_ex1",
        question=("What if the Ciw bank gets busier? Customers arrive at lam = {lam} per minute, each of c = {c} "
                  "tellers serves mu = {mu} per minute. What is the exact mean wait in the queue (minutes)?"),
        canonical={"lam": 0.25, "mu": 0.1, "c": 3}, vary=_ex1_vary, answer=lambda p: _bank_wq(p), unit="minutes",
        hint="this is M/M/c: Wq = C(c, a)/(c*mu - lam) with a = lam/mu (mqsim.theory.mmc).",
        traps=lambda p: [(5.62649, "that is Ciw's 10-trial simulation estimate, not the exact value."),
                         (_bank_wq(p) + 1 / p["mu"], "that is the time in the system W (wait + service).")]),
    Exercise(
        key="nb03_ex2",
        question=("Simulate the bank (lam = {lam}/min, mu = {mu}/min, c = {c}) for one day as Ciw does: "
                  "replication_values(bank, 'Wq', n, seed={seed}, horizon={horizon}, warmup={warmup}) from "
                  "mqsim.teaching.output_analysis. What is the smallest number of replications n whose 95% "
                  "confidence interval for Wq has a half-width of at most {target:.0%} of the exact Wq?"),
        canonical={"lam": 0.2, "mu": 0.1, "c": 3, "horizon": 1540.0, "warmup": 100.0, "target": 0.05, "seed": 2024},
        vary=_ex2_vary, answer=_ex2, integer=True, close_tol=0.25, unit="replications",
        hint=("look at the running interval over the first n replications in order (mq.analysis.running_ci and "
              "mq.analysis.replications_needed, or output_analysis.replications_until); the half-width target is "
              "a fraction of the EXACT Wq."),
        close_hint=("close: a different stopping rule or seed gives a nearby n; use the given seed and the first n "
                    "replications in order")),
    Exercise(
        key="nb03_ex3",
        question=("Same bank (lam = {lam}/min, mu = {mu}/min) with c = {c} tellers. By what FRACTION does one extra "
                  "teller reduce the exact mean wait in the queue? (0.5 means it halves it.)"),
        canonical={"lam": 0.2, "mu": 0.1, "c": 3}, vary=_ex3_vary, answer=_ex3, unit="(fraction)",
        hint="1 - Wq(c + 1)/Wq(c), both from mqsim.theory.mmc.",
        traps=lambda p: [(100 * _ex3(p), "that looks like a percentage; give a fraction between 0 and 1."),
                         (1 - 0.79868 / 5.62649, "those are Ciw's noisy 10-trial estimates; use the exact values.")]),
])
