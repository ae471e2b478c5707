"""Lecture 8, priorities (``x-max-priority``): non-preemptive priority as a broker does it
(Cobham 1954 for one consumer; the M/M/c version with a common rate), preemptive-resume as a
contrast, Kleinrock's conservation law, starvation at total load 1, prefetch defeating priority,
and quorum queues' 2:1 "fair share" against strict priority.

Units: seconds (times), messages per second (rates). Simulating helpers run their replications
with :func:`mqsim.replicate`, except :func:`weighted_priority_toy`, a 40-line teaching model of a
dispatch policy the engine does not offer.

References: A. Cobham (1954), "Priority assignment in waiting line problems", Operations Research
2:70–76; L. Kleinrock (1976), *Queueing Systems, Volume 2: Computer Applications*, Wiley, §3.6
(conservation law); RabbitMQ documentation, "Classic Queues: Priority Queue Support" and
"Quorum Queues" (message priority).
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate, replication_seed
from mqsim.model.overload import OverloadWarning
from mqsim.teaching.common import ci_row
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.dist import Distribution
    from mqsim.model.scenario import Scenario

__all__ = ["priority_scenario", "priority_comparison", "prefetch_priority", "starvation_transient",
           "weighted_priority_toy", "priority_policies", "EXERCISES"]


def priority_scenario(lams: Sequence[float], service: "Distribution | Sequence[Distribution] | None" = None, *,
                      c: int = 1, prefetch: int = 1, levels: Sequence[int] | None = None) -> "Scenario":
    """One Poisson producer per class, highest priority first: ``lams[i]`` msg/s published with
    priority ``levels[i]`` (default len(lams) − 1 down to 0; higher is delivered first), on a
    queue with ``x-max-priority`` = max(levels) (at least 1), ``c`` consumers with ``prefetch``.

    service: one distribution (s) for every class (default Exp(mean 1 s)) or one per class.
    Producers are named ``p<level>``.
    """
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    k = len(lams)
    levels = list(levels) if levels is not None else list(range(k - 1, -1, -1))
    if len(levels) != k:
        raise ValueError(f"levels: one priority per class, got {len(levels)} for {k} classes")
    if service is None or not isinstance(service, Sequence):
        default = service or Exponential(mean=1.0)
        svcs: list[Distribution | None] = [None] * k
    else:
        if len(service) != k:
            raise ValueError(f"service: one distribution per class, got {len(service)} for {k} classes")
        default, svcs = service[0], list(service)
    prods = [Producer(f"p{lv}", rate=lam, priority=lv, service=s) for lam, lv, s in zip(lams, levels, svcs)]
    return Scenario(prods, queue=Queue(max_priority=max(1, max(levels))),
                    consumers=Consumers(int(c), service=default, prefetch=prefetch))


def _class_moments(sc: "Scenario") -> list[tuple[int, float, float, float]]:
    """(level, lam per s, E[S] s, E[S^2] s^2) per priority level, highest first."""
    levels: dict[int, list[tuple[float, Any]]] = {}
    for _, pr, r, d in sc.class_mix():
        levels.setdefault(pr, []).append((r, d))
    out = []
    for lv in sorted(levels, reverse=True):
        lam = sum(r for r, _ in levels[lv])
        out.append((lv, lam, sum(r * d.mean for r, d in levels[lv]) / lam,
                    sum(r * d.second_moment for r, d in levels[lv]) / lam))
    return out


def _priority_theory(scenario: "Scenario", metric: str = "Wq") -> dict[str, list[float]]:
    """Formula values of ``metric`` per priority level (highest first) plus the rate-weighted
    whole queue (last entry): {"non_preemptive": [...], "fcfs": [...], "preemptive": [...]}
    (NaN where a formula does not apply or the class has no steady state)."""
    from mqsim.theory.select import _common_exp_mean

    cl = _class_moments(scenario)
    c = scenario.consumers.count
    lam = sum(x[1] for x in cl)
    es = sum(x[1] * x[2] for x in cl) / lam
    es2 = sum(x[1] * x[3] for x in cl) / lam
    common = _common_exp_mean([d for *_, d in scenario.class_mix()])
    fcfs, np_, pr = None, None, None
    if c == 1:
        fcfs = th.mg1(lam, es, es2 / es**2 - 1.0) if lam * es < 1 else None
        np_ = th.np_priority_mg1([(x[1], x[2], x[3]) for x in cl])
        pr = th.pr_priority_mg1([(x[1], x[2], x[3]) for x in cl])
    elif common is not None:  # the multi-server formulas need one common exponential rate
        fcfs = th.mmc(lam, 1.0 / common, c) if lam * common < c else None
        np_ = th.np_priority_mmc([x[1] for x in cl], 1.0 / common, c)
        pr = th.pr_priority_mmc([x[1] for x in cl], 1.0 / common, c)

    def val(m: Any) -> float:
        return float(getattr(m, metric)) if m is not None and getattr(m, "stable", True) else math.nan

    def per(res: Any) -> list[float]:
        if not res:
            return [math.nan] * (len(cl) + 1)
        whole = th.combine_classes(res) if all(r.stable for r in res) else None
        return [val(r) for r in res] + [val(whole)]

    return {"non_preemptive": per(np_), "fcfs": [val(fcfs)] * (len(cl) + 1), "preemptive": per(pr)}


def priority_comparison(scenario: "Scenario", *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                        warmup: float = 1_000.0, metric: str = "Wq") -> "pd.DataFrame":
    """Per priority level (highest first) and overall: the simulated mean wait (``metric``,
    default Wq in s; ``n`` replications of :func:`mqsim.replicate` by priority) with a CI beside
    three formulas:

    * ``non_preemptive``: strict head-of-line priority, what RabbitMQ does at prefetch 1 (Cobham
      for one consumer, the M/M/c priority formula for several with a common exponential rate);
    * ``fcfs``: the same traffic on a queue without priorities (M/G/1 or M/M/c);
    * ``preemptive``: preemptive-resume priority, a contrast no broker implements (a consumer
      never hands a message back); its wait counts the time a started message is interrupted.

    The ``all`` row is the rate-weighted mean over classes (the conservation law: with equal
    service times it equals FCFS). NaN where no formula applies. Columns: class, lam (msg/s),
    simulated, ci_low, ci_high, non_preemptive, fcfs, preemptive, n.
    """
    import pandas as pd

    cl = _class_moments(scenario)
    theory = _priority_theory(scenario, metric)
    reps = replicate(scenario, n=n, seed=seed, horizon=horizon, warmup=warmup, by=("priority",), progress=False)
    keys = [("priority", lv) for lv, *_ in cl] + [("all", "all")]
    names = [f"priority {lv}" for lv, *_ in cl] + ["all (rate-weighted)"]
    rates = [x[1] for x in cl] + [sum(x[1] for x in cl)]
    rows = []
    for i, ((g, k), name, lk) in enumerate(zip(keys, names, rates)):
        m, lo, hi = reps.ci(metric, g, k)
        rows.append({"class": name, "lam": lk, "simulated": m, "ci_low": lo, "ci_high": hi,
                     **{f: theory[f][i] for f in ("non_preemptive", "fcfs", "preemptive")}, "n": int(n)})
    out = pd.DataFrame(rows)
    out.attrs["metric"] = metric
    return out


def prefetch_priority(scenario: "Scenario", prefetches: Iterable[int], *, n: int = 10, seed: int = 0,
                      horizon: float = 10_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
    """Mean wait Wq (s) per priority level as the consumers' prefetch grows: each consumer
    holds up to ``prefetch`` unacked messages in a FIFO buffer, where priority no longer acts.

    Long format: prefetch, priority, simulated, ci_low, ci_high, non_preemptive (the prefetch-1
    formula), fcfs (no priorities), n. Replications by :func:`mqsim.replicate`.
    """
    import pandas as pd

    levels = [lv for lv, *_ in _class_moments(scenario)]
    theory = _priority_theory(scenario.with_value("consumers.prefetch", 1))
    rows = []
    for pf in prefetches:
        sc = scenario.with_value("consumers.prefetch", int(pf))
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=("priority",), progress=False)
        for i, lv in enumerate(levels):
            m, lo, hi = reps.ci("Wq", "priority", lv)
            rows.append({"prefetch": int(pf), "priority": int(lv), "simulated": m, "ci_low": lo, "ci_high": hi,
                         "non_preemptive": theory["non_preemptive"][i], "fcfs": theory["fcfs"][i], "n": int(n)})
    return pd.DataFrame(rows)


def starvation_transient(lams: Sequence[float], mu: float, horizons: Iterable[float], *, n: int = 10,
                         seed: int = 0) -> "pd.DataFrame":
    """Mean wait per priority level of the messages served within a run of each length in
    ``horizons`` (s), started empty, with no warm-up (``n`` replications of :func:`mqsim.replicate`
    by priority): the classes ``lams`` (highest first, msg/s) share one consumer with exponential
    service at ``mu`` msg/s.

    When the total load is 1 (the Ciw priority example: 5 + 5 msg/s at μ = 10) the top class
    settles at its Cobham value while the lowest class has no steady state: its mean wait keeps
    growing with the horizon, and from run to run it varies a great deal. Long format: horizon,
    priority, simulated, ci_low, ci_high, cobham (NaN for a class with no steady state), backlog
    (mean messages of the class left unserved at the end; nothing is lost here), n.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential

    sc = priority_scenario(lams, Exponential(rate=mu))
    cobham = th.np_priority_mg1([(lam, 1.0 / mu, 2.0 / mu**2) for lam in lams])
    levels = [lv for lv, *_ in _class_moments(sc)]
    rows = []
    for h in horizons:
        with warnings.catch_warnings():  # a class without a steady state is the point: no warning per horizon
            warnings.simplefilter("ignore", OverloadWarning)
            reps = replicate(sc, n=n, seed=seed, horizon=float(h), warmup=0.0, by=("priority",), progress=False)
        r = reps.runs
        for j, lv in enumerate(levels):
            mean, lo, hi = reps.ci("Wq", "priority", lv)
            mine = r[(r["group"] == "priority") & (r["key"] == lv)]
            rows.append({"horizon": float(h), "priority": int(lv), "simulated": mean, "ci_low": lo, "ci_high": hi,
                         "cobham": cobham[j].Wq if cobham[j].stable else math.nan,
                         "backlog": float((mine["published"] - mine["acked"]).mean()), "n": int(n)})
    return pd.DataFrame(rows)


def _toy_run(rng: np.random.Generator, lams: Sequence[float], mean_service: float, policy: str,
             cycle: list[int], horizon: float, warmup: float) -> list[float]:
    """One run of the two-class single-consumer toy: mean wait (s) of high, normal and all."""
    ts, ks = [], []
    for k, lam in enumerate(lams):
        t = np.cumsum(rng.exponential(1.0 / lam, int(lam * horizon * 1.2) + 100))
        ts.append(t[t < horizon])
        ks.append(np.full(ts[-1].size, k))
    t, cls = np.concatenate(ts), np.concatenate(ks)
    order = np.argsort(t, kind="stable")
    t, cls = t[order], cls[order]
    svc = rng.exponential(mean_service, t.size)
    start = np.full(t.size, np.nan)
    q: tuple[deque, deque] = (deque(), deque())
    now, i, pos = 0.0, 0, 0
    while True:  # the consumer: take a message, serve it to the end, repeat
        while i < t.size and t[i] <= now:
            q[cls[i]].append(i)
            i += 1
        if not q[0] and not q[1]:
            if i >= t.size:
                break
            now = t[i]
            continue
        if q[0] and q[1]:
            if policy == "strict":
                k = 0
            elif policy == "fifo":
                k = 0 if q[0][0] < q[1][0] else 1
            else:
                k, pos = cycle[pos], (pos + 1) % len(cycle)
        else:
            k = 0 if q[0] else 1
        j = q[k].popleft()
        start[j] = now
        now += svc[j]
    keep = (t >= warmup) & (start < horizon)
    w = start - t
    return [float(np.mean(w[keep & (cls == 0)])), float(np.mean(w[keep & (cls == 1)])), float(np.mean(w[keep]))]


def weighted_priority_toy(lams: Sequence[float], mean_service: float = 1.0, policy: str = "strict", *,
                          weights: tuple[int, int] = (2, 1), n: int = 10, seed: int = 0,
                          horizon: float = 20_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
    """A 40-line single-consumer simulation of two classes (``lams`` = (high, normal) msg/s,
    Poisson; exponential service of mean ``mean_service`` s, non-preemptive) under a dispatch
    ``policy`` the mqsim engine does not offer:

    * ``"strict"``: the high class whenever it has a message (classic queues; quorum 4.3+);
    * ``"weighted"``: when both classes wait, serve them in the cycle ``weights`` =
      (high, normal), e.g. 2 high then 1 normal, a model of quorum queues 4.0–4.2's 2:1 "fair
      share" (when only one class waits it is served);
    * ``"fifo"``: oldest message first (no priority).

    A teaching toy (like :func:`mqsim.teaching.event_engine.toy_event_list`), not the broker
    engine, so :func:`mqsim.replicate` cannot run it; its runs use the same run seeds
    (:func:`mqsim.replication_seed`), and its strict policy agrees with Cobham's formula. Returns
    one row per class and an ``all`` row: class, simulated (mean wait Wq, s), ci_low, ci_high, n.
    """
    import pandas as pd

    from mqsim.model import validate

    validate.choice("policy", policy, ("strict", "weighted", "fifo"))
    if len(lams) != 2:
        raise ValueError(f"lams: give two class rates (high, normal) in messages/s, got {list(lams)}")
    cycle = [0] * int(weights[0]) + [1] * int(weights[1])
    per = np.array([_toy_run(np.random.default_rng(replication_seed(seed, r)), lams, mean_service, policy, cycle,
                             horizon, warmup) for r in range(int(n))])
    rows = [{"class": name, **ci_row(name, per[:, k])} for k, name in enumerate(("high", "normal", "all"))]
    out = pd.DataFrame(rows).drop(columns="label")
    out.attrs["policy"] = policy
    return out


def priority_policies(lams: Sequence[float], mean_service: float = 1.0,
                      policies: Sequence[str] = ("strict", "weighted", "fifo"), *, weights: tuple[int, int] = (2, 1),
                      n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                      warmup: float = 1_000.0) -> "pd.DataFrame":
    """:func:`weighted_priority_toy` for each dispatch policy, in one table with the formula where
    there is one: Cobham for ``strict``, M/M/1 (FCFS) for ``fifo``, none for ``weighted``.

    Columns: policy, class, label ("policy: class"), simulated, ci_low, ci_high, theory, n (Wq in s).
    """
    import pandas as pd

    m2 = 2.0 * mean_service**2
    cob = th.np_priority_mg1([(lams[0], mean_service, m2), (lams[1], mean_service, m2)])
    fcfs = th.mm1(sum(lams), 1.0 / mean_service).Wq
    names = {"strict": "strict", "weighted": f"weighted {weights[0]}:{weights[1]}", "fifo": "no priority"}
    frames = []
    for pol in policies:
        t = weighted_priority_toy(lams, mean_service, pol, weights=weights, n=n, seed=seed, horizon=horizon,
                                  warmup=warmup)
        values = {"strict": [cob[0].Wq, cob[1].Wq, fcfs], "fifo": [fcfs] * 3}.get(pol, [math.nan] * 3)
        frames.append(t.assign(policy=names[pol], theory=values))
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["policy"] + ": " + out["class"]
    return out[["policy", "class", "label", "simulated", "ci_low", "ci_high", "theory", "n"]]


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _classes(p: Mapping[str, Any]) -> list[tuple[float, float, float]]:
    s2 = (1.0 + p["scv"]) * p["mean"] ** 2
    return [(p["lam_high"], p["mean"], s2), (p["lam_low"], p["mean"], s2)]


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    mean, rho, share = pick(rng, [0.1, 1.0]), pick(rng, [0.7, 0.8, 0.9]), pick(rng, [0.25, 0.375, 0.5])
    return {"lam_high": round(rho * share / mean, 4), "lam_low": round(rho * (1 - share) / mean, 4), "mean": mean,
            "scv": pick(rng, [0.0, 1.0])}


def _ex1_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    cl = _classes(p)
    lam = p["lam_high"] + p["lam_low"]
    return [(th.mg1(lam, p["mean"], p["scv"]).Wq, "that is the wait WITHOUT priorities (FCFS, Pollaczek–Khinchine)."),
            (th.pr_priority_mg1(cl)[1].W - p["mean"],
             "that is PREEMPTIVE-resume priority; a broker never takes a message back from a consumer, so use the "
             "non-preemptive (Cobham) formula."),
            (th.np_priority_mg1(cl)[0].Wq, "that is the HIGH class; the question asks for the low one.")]


def _ex2(p: Mapping[str, Any]) -> float:
    m = 1.0 / p["mu"]
    return th.np_priority_mg1([(p["lam_high"], m, 2 * m * m), (p["lam_low"], m, 2 * m * m)])[0].Wq


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    high = pick(rng, [2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    return {"lam_high": high, "lam_low": 10.0 - high, "mu": 10.0}


def _ex3(p: Mapping[str, Any]) -> float:
    return th.np_priority_mmc([p["lam_high"], p["lam_low"]], p["mu"], p["c"])[1].Wq


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    c, rho, share = pick(rng, [2, 3, 4]), pick(rng, [0.7, 0.8, 0.9]), pick(rng, [0.25, 0.5])
    return {"lam_high": round(rho * c * share, 4), "lam_low": round(rho * c * (1 - share), 4), "mu": 1.0, "c": c}


EXERCISES = register_all([
    Exercise(
        key="nb08_ex1",
        question=("One consumer (prefetch 1) on a queue with x-max-priority. High-priority messages arrive at "
                  "{lam_high}/s and normal ones at {lam_low}/s (both Poisson); every message takes on average {mean} "
                  "s with C_s^2 = {scv}. What is the mean wait in the queue (s) of a NORMAL-priority message?"),
        canonical={"lam_high": 0.3, "lam_low": 0.5, "mean": 1.0, "scv": 1.0}, vary=_ex1_vary,
        answer=lambda p: th.np_priority_mg1(_classes(p))[1].Wq, unit="s",
        hint=("Cobham: Wq_k = W0/((1 - sigma_{k-1})(1 - sigma_k)), W0 = sum lam_i E[S_i^2]/2 over ALL classes "
              "(mqsim.theory.np_priority_mg1)."),
        traps=_ex1_traps),
    Exercise(
        key="nb08_ex2",
        question=("The Ciw priority example, varied: one server (exponential, mu = {mu}/s), high-priority customers "
                  "at {lam_high}/s and low-priority ones at {lam_low}/s (Poisson), non-preemptive. The total load is "
                  "1, so the low class has no steady state. What is the steady-state mean wait (s) of the HIGH "
                  "class?"),
        canonical={"lam_high": 5.0, "lam_low": 5.0, "mu": 10.0}, vary=_ex2_vary, answer=_ex2, close_tol=0.03,
        unit="s",
        hint=("the high class is stable (sigma_1 < 1): Cobham gives Wq_1 = W0/(1 - sigma_1), and W0 counts the "
              "residual service of whatever is in service, low-priority messages included (the server is always "
              "busy)."),
        traps=lambda p: [(th.mm1(p["lam_high"], p["mu"]).Wq,
                          "that ignores the low class; a low-priority message already in service delays a high one "
                          "too (W0 counts every class)."),
                         *([(0.187, "that is Ciw's simulated value after 100 time units, a noisy estimate; the "
                                    "formula gives the exact one.")] if p["lam_high"] == 5.0 else [])]),
    Exercise(
        key="nb08_ex3",
        question=("c = {c} consumers (prefetch 1, exponential service at mu = {mu}/s for every message) on a "
                  "priority queue: high-priority messages at {lam_high}/s, normal ones at {lam_low}/s (Poisson). "
                  "What is the mean wait in the queue (s) of a NORMAL-priority message?"),
        canonical={"lam_high": 0.6, "lam_low": 1.8, "mu": 1.0, "c": 3}, vary=_ex3_vary, answer=_ex3, unit="s",
        hint=("with a common exponential rate the non-preemptive M/M/c formula applies: "
              "Wq_k = [C(c, a)/(c*mu)]/((1 - sigma_{k-1})(1 - sigma_k)), sigma_k = sum_{i<=k} lam_i/(c*mu) "
              "(mqsim.theory.np_priority_mmc)."),
        traps=lambda p: [(th.mmc(p["lam_high"] + p["lam_low"], p["mu"], p["c"]).Wq,
                          "that is the wait without priorities (Erlang C, FCFS)."),
                         (th.np_priority_mmc([p["lam_high"], p["lam_low"]], p["mu"], p["c"])[0].Wq,
                          "that is the HIGH class; the question asks for the normal one.")]),
])
