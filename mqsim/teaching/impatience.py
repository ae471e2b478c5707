"""Lecture 9, impatience: a queue TTL as deterministic patience (M/M/1+D), TTLs count ready time
only (so prefetch switches them off), dead-lettering, and exponential patience (Erlang A). The
formulas are in :mod:`mqsim.theory` (``mm1_ttl``, ``erlang_a``, ``mm1_ttl_mix``,
``exponential_ttls``, ``ttl_for_expiry``); this module builds the scenarios and tables.

Units: seconds, messages, messages per second. Simulating helpers run their replications with
:func:`mqsim.replicate`.

References: F. Baccelli and G. Hébuterne (1981), "On queues with impatient customers", in
*Performance '81*, North-Holland, 159–179 (M/M/1+D); RabbitMQ documentation, "Time-to-Live and
Expiration" (a message expires only while it is ready) and "Dead Letter Exchanges".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario

__all__ = ["ttl_mix_scenario", "prefetch_ttl_table", "expiry_curves", "EXERCISES"]


def ttl_mix_scenario(lam: float, mu: float, ttls: Sequence[float], probs: Sequence[float] | None = None,
                     *, consumers: int = 1) -> "Scenario":
    """One queue (``consumers`` exponential consumers of rate ``mu`` per s, prefetch 1) fed by
    Poisson traffic of ``lam`` per s whose messages carry per-message TTLs (the ``expiration``
    property) from the mix ``ttls`` (s) with ``probs``: one producer per TTL, ``ttl<k>``, with
    rate lam·probs[k] (a superposition of Poisson streams is Poisson, so this is Poisson traffic
    with i.i.d. TTLs)."""
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario

    w = [1.0 / len(ttls)] * len(ttls) if probs is None else list(probs)
    prods = [Producer(f"ttl{k}", rate=lam * p, ttl=float(t)) for k, (t, p) in enumerate(zip(ttls, w)) if p > 0]
    return Scenario(prods, consumers=Consumers(consumers, service=Exponential(rate=mu)))


def prefetch_ttl_table(lam: float, mu: float, ttl: float, prefetches: Sequence[int] = (1, 2, 5, 0), *,
                       n: int = 5, seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                       confidence: float = 0.95) -> "pd.DataFrame":
    """TTL applies to *ready* messages only: one exponential consumer (``mu`` per s) with a queue
    TTL of ``ttl`` s under Poisson traffic ``lam`` per s, for each prefetch window (0 = unlimited).

    Columns: prefetch, expired (fraction of published messages, mean and CI), stale (fraction of
    served messages that started more than ``ttl`` s after publication: they waited longer than
    the TTL in the consumer's buffer and were still processed), Wq (s). The M/M/1+D figures (no
    stale message, expired = P(expire)) hold at prefetch 1.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    stale = f"P(wait > {ttl:g})"
    rows = []
    for pf in prefetches:
        sc = Scenario([Producer("p", rate=lam)], queue=Queue(ttl=ttl),
                      consumers=Consumers(1, service=Exponential(rate=mu), prefetch=int(pf)))
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), extra_metrics=[stale],
                         progress=False)
        m, lo, hi = reps.ci("loss", confidence=confidence)
        s, slo_, shi = reps.ci(stale, confidence=confidence)
        rows.append({"prefetch": "unlimited (0)" if pf == 0 else str(pf), "expired": m, "expired_ci_low": lo,
                     "expired_ci_high": hi, "stale": s, "stale_ci_low": slo_, "stale_ci_high": shi,
                     "Wq": reps.ci("Wq", confidence=confidence)[0]})
    return pd.DataFrame(rows)


def expiry_curves(lam: float, mu: float, taus: Sequence[float]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Fraction of messages that expire against the patience ``taus`` (s), one consumer (``mu``
    per s) and Poisson traffic (``lam`` per s), three ways: a fixed queue TTL (M/M/1+D, exact), an
    exponential patience with the same mean (Erlang A), and the naive estimate that reads the
    M/M/1 wait tail P(Wq > τ) of the queue *without* TTL (needs lam < mu; it ignores that expired
    messages shorten the queue). Returns ``{label: (taus, values)}`` for
    :func:`mqsim.viz.sim_vs_curves`."""
    ts = np.asarray(taus, dtype=float)
    out = {"M/M/1+D: fixed TTL": (ts, np.array([th.mm1_ttl(lam, mu, float(t)).loss for t in ts])),
           "Erlang A: exponential patience, same mean": (ts, np.array([th.erlang_a(lam, mu, 1, 1.0 / float(t)).loss
                                                                     for t in ts]))}
    if lam < mu:
        m = th.mm1(lam, mu)
        out["M/M/1 without TTL: P(Wq > τ)"] = (ts, np.array([m.wait_tail(float(t)) for t in ts]))
    return out


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.6, 0.7, 0.8, 0.9, 0.95]), "mu": 1.0, "target": pick(rng, [0.02, 0.05, 0.1])}


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.7, 0.8, 0.9, 1.2]), "mu": 1.0, "patience": pick(rng, [1.0, 2.0, 4.0, 8.0])}


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [1.2, 1.5, 2.0]), "mu": 1.0, "ttl": pick(rng, [1.0, 3.0, 5.0])}


EXERCISES = register_all([
    Exercise(
        key="nb09_ex1",
        question=("One consumer (mu = {mu}/s, exponential, prefetch 1) reads a queue fed at lam = {lam}/s "
                  "(Poisson). What is the SHORTEST per-queue TTL (x-message-ttl, in seconds) for which at most "
                  "{target:.0%} of the messages expire?"),
        canonical={"lam": 0.9, "mu": 1.0, "target": 0.05}, vary=_ex1_vary,
        answer=lambda p: th.ttl_for_expiry(p["lam"], p["mu"], p["target"]), unit="s",
        hint=("a per-queue TTL is deterministic patience: M/M/1+D, P(expire) = P0 (lam/mu) exp(-(mu - lam) tau) "
              "with P0 depending on tau too (mqsim.theory.mm1_ttl); it falls as tau grows, so bisect on tau."),
        traps=lambda p: [(math.log(p["lam"] / p["mu"] / p["target"]) / (p["mu"] - p["lam"]),
                          "that sets the M/M/1 wait tail rho*exp(-(mu - lam) tau) to the target, as if nothing "
                          "expired. Expired messages leave the queue, so the others wait less: a shorter TTL is "
                          "enough.")]),
    Exercise(
        key="nb09_ex2",
        question=("Same kind of queue: lam = {lam}/s, one consumer at mu = {mu}/s. Now each message carries its "
                  "own random TTL (the publisher's expiration property), exponentially distributed with mean "
                  "{patience} s. What fraction of the messages expire? (Then compare with a fixed TTL of "
                  "{patience} s.)"),
        canonical={"lam": 0.9, "mu": 1.0, "patience": 4.0}, vary=_ex2_vary,
        answer=lambda p: th.erlang_a(p["lam"], p["mu"], 1, 1.0 / p["patience"]).loss, unit="(fraction)",
        hint=("exponential patience is Erlang A (M/M/c+M) with theta = 1/mean patience; with c = 1 its "
              "birth-death chain gives P(abandon) = theta Lq / lam (mqsim.theory.erlang_a)."),
        traps=lambda p: [(th.mm1_ttl(p["lam"], p["mu"], p["patience"]).loss,
                          "that is the FIXED TTL (M/M/1+D). With the same mean but random TTLs, many messages get a "
                          "short one: more of them expire.")]),
    Exercise(
        key="nb09_ex3",
        question=("An overloaded queue: lam = {lam}/s, one consumer at mu = {mu}/s (exponential, prefetch 1), a "
                  "per-queue TTL of {ttl} s, and expired messages dead-lettered to a DLQ. At what rate "
                  "(messages/s) do dead letters arrive in the DLQ?"),
        canonical={"lam": 1.5, "mu": 1.0, "ttl": 3.0}, vary=_ex3_vary,
        answer=lambda p: p["lam"] * th.mm1_ttl(p["lam"], p["mu"], p["ttl"]).loss, unit="messages/s",
        hint="rate into the DLQ = lam x P(expire), with P(expire) from M/M/1+D (valid for lam >= mu too).",
        traps=lambda p: [(p["lam"] - p["mu"], "that assumes the consumer is busy all the time. With a TTL the "
                                              "queue sometimes empties (messages expire instead of piling up), so "
                                              "the consumer idles and MORE than lam - mu expire."),
                         (th.mm1_ttl(p["lam"], p["mu"], p["ttl"]).loss,
                          "that is the FRACTION that expires; multiply by the publish rate.")]),
])
