"""Lecture 4, competing consumers: M/M/c and Erlang C (Erlang 1917), the service level, staffing,
and how RabbitMQ's dispatch changes the model: a shared queue at prefetch 1 (M/M/c), round-robin
push with unlimited prefetch (c separate E_c/M/1 queues) or a random split (c separate M/M/1).

Units: seconds, messages, messages per second. Simulating helpers run their replications with
:func:`mqsim.replicate`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.analysis.theory_join import theory_table
from mqsim.experiments.replications import replicate
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario

__all__ = ["dispatch_comparison", "staffing_table", "service_level", "EXERCISES"]


def dispatch_comparison(lam: float = 2.4, mu: float = 1.0, c: int = 3, *, n: int = 10, seed: int = 0,
                        horizon: float = 5_000.0, warmup: float = 500.0, metric: str = "Wq",
                        confidence: float = 0.95) -> "pd.DataFrame":
    """Mean wait (or another overall ``metric``) of ``c`` consumers of rate ``mu`` (per s) fed at
    ``lam`` (per s) under three dispatch policies, simulated (``n`` replications, CI) beside the
    exact formula:

    * ``shared queue (prefetch 1)`` — RabbitMQ with ``basic.qos(1)``: M/M/c, Erlang C;
    * ``round-robin push (prefetch 0)`` — unlimited prefetch: every c-th message to each
      consumer, c independent E_c/M/1 queues (GI/M/1);
    * ``random split`` — each message to a consumer chosen at random: c independent M/M/1
      queues at rate lam/c. By Poisson thinning each is exactly an M/M/1 queue, so one of them is
      simulated per replication (the mean over all messages has the same expectation).

    Columns: policy, model, simulated, ci_low, ci_high, theory, formula, n (replications).
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario

    svc = Exponential(rate=mu)
    shared = Scenario([Producer("p", rate=lam)], consumers=Consumers(c, service=svc, prefetch=1))
    push = Scenario([Producer("p", rate=lam)], consumers=Consumers(c, service=svc, prefetch=0))
    one_of_split = Scenario([Producer("p", rate=lam / c)], consumers=Consumers(1, service=svc, prefetch=1))
    rows = []
    for policy, sc in (("shared queue (prefetch 1)", shared), ("round-robin push (prefetch 0)", push),
                       ("random split", one_of_split)):
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
        mean, lo, hi = reps.ci(metric, confidence=confidence)
        pred = th.for_scenario(sc)
        value = theory_table(pred, sc).get(("all", "all"), {}).get(metric, math.nan)
        model = f"{c} x M/M/1" if sc is one_of_split else pred.model
        formula = "M/M/1 per consumer" if sc is one_of_split else pred.formula
        rows.append({"policy": policy, "model": model, "simulated": mean, "ci_low": lo, "ci_high": hi,
                     "theory": value, "formula": formula, "n": n})
    return pd.DataFrame(rows)


def staffing_table(lam: float, mu: float, counts: Iterable[int], t: float,
                   percentile: float | None = 0.95) -> "pd.DataFrame":
    """Erlang C figures (exact, M/M/c) for each consumer count in ``counts``: utilisation, P(wait
    > 0), mean wait Wq (s), P(Wq > t) and (unless ``percentile`` is None) that percentile of the
    wait (s). ``lam`` and ``mu`` are per second; counts with lam >= c*mu are reported as
    unstable (NaN)."""
    import pandas as pd

    rows = []
    for c in counts:
        try:
            m = th.mmc(lam, mu, int(c))
            row = {"consumers": int(c), "utilisation": m.rho, "P(wait > 0)": m.P_wait, "Wq (s)": m.Wq,
                   f"P(Wq > {t:g} s)": m.wait_tail(t)}
            if percentile is not None:
                row[f"wait p{100 * percentile:g} (s)"] = m.wait_quantile(percentile)
            rows.append(row)
        except th.UnstableError:
            rows.append({"consumers": int(c), "utilisation": lam / (int(c) * mu)})
    return pd.DataFrame(rows).set_index("consumers")


def service_level(scenario: "Scenario", ts: Sequence[float], *, n: int = 10, seed: int = 0,
                  horizon: float = 5_000.0, warmup: float = 500.0, confidence: float = 0.95) -> "pd.DataFrame":
    """The service level SL(t) = P(Wq <= t) at each wait ``ts`` (s), simulated over ``n``
    replications (:func:`mqsim.replicate` with the metrics ``P(wait > t)``; mean and Student-t
    interval) beside the exact value where :func:`mqsim.theory.for_scenario` gives the wait
    distribution (Erlang C for M/M/c). Columns: t, mean, ci_low, ci_high, theory, n (for
    :func:`mqsim.viz.wait_cdf`'s ``points``)."""
    import pandas as pd

    names = [f"P(wait > {float(t):g})" for t in ts]
    reps = replicate(scenario, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), extra_metrics=names,
                     progress=False)
    pred = th.for_scenario(scenario)
    tail = getattr(pred.metrics, "wait_tail", None) if pred.applies else None
    rows = []
    for t, name in zip(ts, names):
        m, lo, hi = reps.ci(name, confidence=confidence)
        rows.append({"t": float(t), "mean": 1.0 - m, "ci_low": 1.0 - hi, "ci_high": 1.0 - lo,
                     "theory": 1.0 - tail(float(t)) if tail is not None else math.nan, "n": n})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [1.6, 2.0, 2.4, 2.8, 3.2, 3.6]), "mu": 1.0, "t": pick(rng, [0.25, 0.5, 1.0]),
            "max_prob": pick(rng, [0.05, 0.1])}


def _ex2(p: Mapping[str, Any]) -> float:
    from mqsim.model.dist import Exponential

    return th.gi_m1(Exponential(rate=p["lam"]), p["mu"], split=p["c"]).Wq


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    c = pick(rng, [2, 3, 4])
    return {"lam": round(c * pick(rng, [0.6, 0.7, 0.8]), 2), "mu": 1.0, "c": c}


def _ex3(p: Mapping[str, Any]) -> float:
    return th.mmc(p["calls"] / p["period"], 1.0 / p["aht"], p["agents"]).wait_cdf(p["t"])


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"calls": 360, "period": 1800.0, "aht": 240.0, "agents": pick(rng, [52, 53, 54, 55, 56, 57, 58]),
            "t": pick(rng, [10.0, 15.0, 20.0, 30.0])}


EXERCISES = register_all([
    Exercise(
        key="nb04_ex1",
        question=("Messages arrive at lam = {lam}/s (Poisson); a consumer handles mu = {mu}/s (exponential), "
                  "prefetch 1. What is the fewest consumers such that P(Wq > {t} s) <= {max_prob:.0%}?"),
        canonical={"lam": 2.4, "mu": 1.0, "t": 0.5, "max_prob": 0.05}, vary=_ex1_vary,
        answer=lambda p: th.mmc_min_servers(p["lam"], p["mu"], p["t"], p["max_prob"]),
        integer=True, close_tol=0.0, unit="consumers",
        hint="P(Wq > t) = C(c, a)*exp(-(c*mu - lam)t) in M/M/c; increase c until it drops below the target.",
        traps=lambda p: [(math.floor(p["lam"] / p["mu"]) + 1,
                          "that is only the fewest consumers that keep the queue stable (E = P x T, rounded up); "
                          "check P(Wq > t) at that c.")]),
    Exercise(
        key="nb04_ex2",
        question=("c = {c} consumers (mu = {mu}/s each) with UNLIMITED prefetch: RabbitMQ pushes messages "
                  "round-robin as they arrive (lam = {lam}/s, Poisson). What is the mean wait Wq (s) of a message "
                  "before its consumer starts it?"),
        canonical={"lam": 3.2, "mu": 1.0, "c": 4}, vary=_ex2_vary, answer=_ex2, unit="s",
        hint=("each consumer gets every c-th message, so its inter-arrival time is Erlang-c: an E_c/M/1 queue "
              "(mqsim.theory.gi_m1 with split=c, or for_scenario with prefetch=0)."),
        traps=lambda p: [(th.mmc(p["lam"], p["mu"], p["c"]).Wq,
                          "that is the shared queue at prefetch 1 (M/M/c); with unlimited prefetch there is no "
                          "pooling."),
                         (th.mm1(p["lam"] / p["c"], p["mu"]).Wq,
                          "that is a RANDOM split (c x M/M/1); round-robin is more regular than random.")]),
    Exercise(
        key="nb04_ex3",
        question=("A call-centre style queue: {calls} messages per {period:.0f} s, mean handling time {aht:.0f} s "
                  "(exponential), {agents} consumers at prefetch 1. What is the service level: the fraction of "
                  "messages that wait at most {t:.0f} s?"),
        canonical={"calls": 360, "period": 1800.0, "aht": 240.0, "agents": 55, "t": 15.0}, vary=_ex3_vary,
        answer=_ex3, unit="(probability)",
        hint="SL(t) = 1 - C(c, a)*exp(-(c*mu - lam)t) with a = lam*AHT in Erlangs (MMcMetrics.service_level).",
        traps=lambda p: [(th.erlang_c(p["agents"], p["calls"] / p["period"] * p["aht"]),
                          "that is P(wait > 0), Erlang C itself."),
                         (1 - th.erlang_c(p["agents"], p["calls"] / p["period"] * p["aht"]),
                          "that is P(no wait at all); the service level also counts the short waits up to t.")]),
])
