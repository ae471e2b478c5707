"""Lecture 1, flow balance: Little's law and the utilisation law measured on simulated runs, and
the article's sizing rule Q = M × P against the mean number in an M/M/1 queue.

The article (a popular blog post on sizing message queues) claims that a queue holds
**Q = M × P** messages (M the message rate in messages/s, P the processing time of one message
in s) and needs **E = P × T** consumers (T the throughput to sustain, messages/s). M × P is the
mean number of messages *in service* (the offered load) and P × T the mean number of *busy*
consumers (the utilisation law); neither counts the messages that wait. The laws that replace
them: Little's law L = λW (Little 1961), the utilisation law U = XS/c, and the saturation
throughput X = min(λ, cμ).

Units: seconds, messages, messages per second.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.sim.result import Result

__all__ = ["flow_balance", "flow_balance_table", "article_comparison", "EXERCISES"]


def flow_balance(result: "Result") -> dict[str, float]:
    """Little's law and the utilisation law, measured on one run over ``[warmup, horizon)``.

    Returns (rates per s, times in s, counts in messages):

    * ``lam``: offered rate, messages published per second (rejected ones included);
    * ``lam_eff``: admitted rate, published minus those refused by ``reject-publish``;
    * ``X``: throughput, acks per second; ``loss``: fraction of published messages dropped;
    * ``L``: time-average number in the system (broker queue + consumers);
    * ``W``: mean time in the system of admitted messages that left (acked, or dropped from
      the head after waiting, under ``drop-head``);
    * ``lam_W`` = lam·W (Little with the wrong rate) and ``lam_eff_W`` = lam_eff·W (Little);
    * ``U``: measured consumer utilisation; ``S``: mean service time of the messages served
      (s); ``c``: consumers; ``XS_over_c`` = X·S/c (utilisation law).

    ``L`` equals ``lam_eff_W`` up to edge effects (messages inside the system at the window's
    ends), whatever the arrival or service laws; ``lam_W`` overstates it whenever messages are
    refused.
    """
    from mqsim.model.outcomes import REJECT_PUBLISH

    a = result.arrays
    t0, t1 = result.warmup, result.horizon
    T = t1 - t0
    o = result.overall()
    in_win = a["t_publish"] >= t0
    admitted = in_win & (a["cause"] != REJECT_PUBLISH)
    left = admitted & ~np.isnan(a["t_done"])
    W = float(np.mean((a["t_done"] - a["t_publish"])[left])) if left.any() else math.nan
    served = (a["outcome"] == 0) & (a["t_done"] >= t0)
    S = float(np.mean(a["service"][served])) if served.any() else math.nan
    c = result.scenario.consumers.count
    lam, lam_eff = int(in_win.sum()) / T, int(admitted.sum()) / T
    X = float(o["throughput"])
    return {"lam": lam, "lam_eff": lam_eff, "X": X, "loss": float(o["loss"]), "L": float(o["L"]), "W": W,
            "lam_W": lam * W, "lam_eff_W": lam_eff * W, "U": float(o["utilisation"]), "S": S, "c": float(c),
            "XS_over_c": X * S / c}


def flow_balance_table(results: Mapping[str, "Result"] | Sequence["Result"]) -> "pd.DataFrame":
    """:func:`flow_balance` of several runs, one row each (index: the mapping's keys, or the
    run's offered utilisation when given a sequence); the input of :func:`mqsim.viz.little_check`."""
    import pandas as pd

    items = list(results.items()) if isinstance(results, Mapping) else \
        [(f"ρ = {r.scenario.utilisation:.2f}", r) for r in results]
    if not items:
        raise ValueError("results: give at least one Result")
    return pd.DataFrame({k: flow_balance(r) for k, r in items}).T


def article_comparison(mean_service: float = 0.2, rhos: Sequence[float] = (0.3, 0.5, 0.7, 0.9), *, n: int = 10,
                       seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                       confidence: float = 0.95) -> "pd.DataFrame":
    """The article's Q = M × P (message rate × processing time) against the mean number of
    messages in an M/M/1 queue, simulated (``n`` replications of :func:`mqsim.replicate`) and
    exact, at each utilisation in ``rhos``.

    One consumer with exponential service of mean ``mean_service`` (s); M = rho/mean_service.
    Columns: rho, M (msg/s), article Q = M x P (messages), L simulated with ci_low/ci_high,
    L theory (M/M/1: rho/(1 - rho)), Lq simulated and Lq theory (rho^2/(1 - rho)). Q = M × P is
    the mean number *in service* (the offered load), so it misses every message that waits.
    """
    import pandas as pd

    from mqsim.experiments.replications import replicate
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario

    rows = []
    for rho in rhos:
        lam = float(rho) / mean_service
        sc = Scenario([Producer("p", rate=lam)], consumers=Consumers(1, service=Exponential(mean=mean_service)))
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
        L, lo, hi = reps.ci("L", confidence=confidence)
        exact = th.mm1(lam, 1.0 / mean_service)
        rows.append({"rho": float(rho), "M (msg/s)": lam, "article Q = M x P": lam * mean_service,
                     "L simulated": L, "ci_low": lo, "ci_high": hi, "L theory": exact.L,
                     "Lq simulated": reps.ci("Lq")[0], "Lq theory": exact.Lq})
    out = pd.DataFrame(rows)
    out.attrs.update({"n": n, "confidence": confidence, "mean_service": mean_service})
    return out


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1(p: Mapping[str, Any]) -> float:
    return th.backlog_growth_rate(p["lam"], 1.0 / p["mu"], p["c"])


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    c, mu = pick(rng, [2, 3, 4]), pick(rng, [1.5, 2.0, 2.5])
    return {"lam": round(c * mu + pick(rng, [0.5, 1.0, 1.5, 2.0]), 2), "mu": mu, "c": c}


def _ex2(p: Mapping[str, Any]) -> float:
    m = th.mm1k(p["lam"], p["mu"], p["max_length"] + 1)
    return m.throughput * m.W  # Little's law with the admitted rate (= m.L)


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [3.0, 4.0, 5.0, 6.0]), "mu": 5.0, "max_length": pick(rng, [3, 4, 5, 6])}


def _ex3(p: Mapping[str, Any]) -> float:
    return th.mm1(p["lam"], 1.0 / p["P"]).L / (p["lam"] * p["P"])


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [2.0, 2.5, 3.0, 3.5, 4.0, 4.5]), "P": 0.2}


EXERCISES = register_all([
    Exercise(
        key="nb01_ex1",
        question=("Messages arrive at lam = {lam}/s; each of c = {c} consumers serves mu = {mu} messages/s. "
                  "At what rate (messages/s) does the backlog grow?"),
        canonical={"lam": 7.0, "mu": 2.0, "c": 3}, vary=_ex1_vary, answer=_ex1, rel_tol=1e-6, unit="messages/s",
        hint="throughput can never exceed the capacity c*mu; whatever arrives beyond it piles up.",
        traps=lambda p: [(p["lam"] - p["mu"], "that is the growth with ONE consumer; all c consumers drain the queue."),
                         (p["lam"] / (p["c"] * p["mu"]), "that is the utilisation rho (dimensionless), not a rate.")]),
    Exercise(
        key="nb01_ex2",
        question=("One consumer (mu = {mu}/s, exponential service, prefetch 1) reads a queue with x-max-length = "
                  "{max_length} and reject-publish; messages are published at lam = {lam}/s (Poisson). Use Little's "
                  "law to give the mean number of messages in the system L (ready + at the consumer)."),
        canonical={"lam": 4.0, "mu": 5.0, "max_length": 4}, vary=_ex2_vary, answer=_ex2, unit="messages",
        hint=("Little's law needs the rate of messages that ENTER: lam_eff = lam*(1 - P(block)). The capacity K "
              "counts the ready messages AND the one at the consumer (mqsim.theory.mm1k)."),
        traps=lambda p: [(p["lam"] * th.mm1k(p["lam"], p["mu"], p["max_length"] + 1).W,
                          "you multiplied by the offered rate lam; refused messages never enter, use lam_eff."),
                         (th.mm1k(p["lam"], p["mu"], p["max_length"]).L,
                          "K is max_length + 1: x-max-length counts ready messages only, not the one in service.")]),
    Exercise(
        key="nb01_ex3",
        question=("The article's Q = M x P with M = {lam} messages/s and P = {P} s per message predicts "
                  "{lam} x {P} messages in the queue. For one consumer with Poisson arrivals and exponential "
                  "service (M/M/1), by what factor does it underestimate the mean number in the system L?"),
        canonical={"lam": 4.0, "P": 0.2}, vary=_ex3_vary, answer=_ex3, unit="(dimensionless factor)",
        hint="L = lam*W with W = Wq + P: Q = M x P leaves the waiting time out. For M/M/1, L = rho/(1 - rho).",
        traps=lambda p: [(1.0 / (p["lam"] * p["P"]), "that is 1/rho; compare L = rho/(1 - rho) with rho.")]),
])
