"""Lecture 5, bounded queues: ``x-max-length`` and the overflow policies against M/M/c/K and
Erlang B (Erlang 1917; Gross, Shortle, Thompson & Harris 2008, §2.5).

RabbitMQ's ``x-max-length`` counts *ready* messages only (RabbitMQ documentation, "Queue Length
Limit"), so with c consumers at prefetch 1 the Kendall capacity is K = max_length + c.

Units: seconds (times), messages per second (rates), messages (counts). Every simulating helper
takes ``n`` (replications), ``seed``, ``horizon`` and ``warmup`` (s) and runs its replications
with :func:`mqsim.replicate`; intervals are Student-t 95 % over the replications.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.analysis.theory_join import THEORY_FIELDS
from mqsim.experiments.replications import replicate
from mqsim.teaching.common import ci_row, overall_runs
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.dist import Distribution
    from mqsim.model.scenario import Scenario

__all__ = ["bounded_scenario", "kendall_sweep", "overflow_comparison", "erlang_b_insensitivity", "EXERCISES"]


def bounded_scenario(lam: float, mu: float = 1.0, c: int = 1, max_length: int | None = None,
                     overflow: str = "reject-publish", *, service: "Distribution | None" = None,
                     prefetch: int = 1) -> "Scenario":
    """One Poisson producer at ``lam`` msg/s, a queue with ``x-max-length = max_length`` ready
    messages and the ``overflow`` policy, ``c`` consumers with exponential service at ``mu`` msg/s
    each (or ``service``, a distribution in s) and ``prefetch``."""
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    return Scenario([Producer("messages", rate=lam)], queue=Queue(max_length=max_length, overflow=overflow),
                    consumers=Consumers(int(c), service=service or Exponential(rate=mu), prefetch=prefetch))


def _overall(sc: "Scenario", n: int, seed: int, horizon: float, warmup: float) -> "pd.DataFrame":
    """Overall rows of ``n`` replications of :func:`mqsim.replicate`."""
    return overall_runs(replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False))


def kendall_sweep(lam: float, mu: float, c: int, max_lengths: Iterable[int], *, metric: str = "loss", n: int = 10,
                  seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                  overflow: str = "reject-publish") -> "pd.DataFrame":
    """Simulated ``metric`` (mean and CI) at each ``x-max-length`` m in ``max_lengths``, beside
    M/M/c/K with the right Kendall capacity K = m + c (RabbitMQ counts ready messages only; the
    c at the consumers are extra) and with the tempting wrong one K = m (NaN when m < c).

    Columns: max_length, simulated, ci_low, ci_high, ``K = max_length + c``, ``K = max_length``, n.
    metric: any overall metric; "loss" (fraction), "L" (messages), "W"/"Wq" (s), ...
    """
    import pandas as pd

    field = THEORY_FIELDS.get(metric, metric)
    rows = []
    for m in max_lengths:
        m = int(m)
        v = _overall(bounded_scenario(lam, mu, c, m, overflow), n, seed, horizon, warmup)[metric]
        right = float(getattr(th.mmck(lam, mu, c, m + c), field))
        wrong = float(getattr(th.mmck(lam, mu, c, m), field)) if m >= c and m >= 1 else math.nan
        r = ci_row(str(m), v, **{"K = max_length + c": right, "K = max_length": wrong})
        r.pop("label")
        rows.append({"max_length": m, **r})
    out = pd.DataFrame(rows)
    out.attrs.update({"metric": metric, "lam": lam, "mu": mu, "c": c})
    return out


def overflow_comparison(lam: float, mu: float, c: int, max_length: int, *, n: int = 10, seed: int = 0,
                        horizon: float = 20_000.0, warmup: float = 1_000.0,
                        metrics: Sequence[str] = ("loss", "throughput", "L", "Wq")) -> "pd.DataFrame":
    """``reject-publish`` against ``drop-head`` on the same queue (Poisson ``lam``, ``c``
    exponential consumers at ``mu``, prefetch 1, ``x-max-length = max_length``), simulated with a
    CI beside the exact M/M/c/K values: :func:`mqsim.theory.mmck` for reject-publish and
    :func:`mqsim.theory.mmck_drop_head` (tagged-message chain) for drop-head.

    Both policies share one number-in-system chain, so loss, throughput and L agree; the mean
    wait ``Wq`` (s) is over *delivered* messages and is shorter under drop-head, which throws the
    oldest message away. Long format: policy, metric, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    K = max_length + c
    rows = []
    for policy, exact in (("reject-publish", th.mmck(lam, mu, c, K)), ("drop-head", th.mmck_drop_head(lam, mu, c, K))):
        runs = _overall(bounded_scenario(lam, mu, c, max_length, policy), n, seed, horizon, warmup)
        for metric in metrics:
            r = ci_row(policy, runs[metric], theory=float(getattr(exact, THEORY_FIELDS.get(metric, metric))),
                       formula=f"M/M/{c}/{K}" + (" drop-head chain" if policy == "drop-head" else ""))
            r["policy"] = r.pop("label")
            rows.append({"metric": metric, **r})
    out = pd.DataFrame(rows)[["policy", "metric", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]
    out.attrs.update({"K": K, "lam": lam, "mu": mu, "c": c, "max_length": max_length})
    return out


def erlang_b_insensitivity(c: int, lam: float, services: Mapping[str, "Distribution"], *, n: int = 10,
                           seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0) -> "pd.DataFrame":
    """Loss of ``c`` consumers with no waiting room (``x-max-length = 0``, prefetch 1, Poisson
    ``lam`` msg/s) for each service-time law in ``services`` ({label: distribution}, same mean),
    simulated with a CI beside Erlang B(c, lam·E[S]), which depends on the mean only.

    Columns: service, scv, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, c, 0, "reject-publish", service=svc)
        r = ci_row(label, _overall(sc, n, seed, horizon, warmup)["loss"], theory=th.erlang_b(c, lam * svc.mean),
                   formula="Erlang B")
        r["service"] = r.pop("label")
        rows.append({**r, "scv": float(svc.scv)})
    return pd.DataFrame(rows)[["service", "scv", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1(p: Mapping[str, Any]) -> float:
    """Smallest x-max-length m with M/M/c/(m + c) loss <= target (K counts the c in flight)."""
    return float(th.smallest_max_length(p["lam"], p["mu"], p["c"], p["target"]))


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    c = pick(rng, [1, 2, 3])
    return {"lam": round(c * pick(rng, [0.7, 0.8, 0.9, 0.95]), 4), "mu": 1.0, "c": c,
            "target": pick(rng, [0.005, 0.01, 0.02])}


def _ex2(p: Mapping[str, Any]) -> float:
    return th.mmck_drop_head(p["lam"], p["mu"], 1, p["max_length"] + 1).Wq


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.7, 0.8, 0.9, 1.0, 1.2, 1.5]), "mu": 1.0, "max_length": pick(rng, [3, 4, 5, 6, 8])}


def _ex3(p: Mapping[str, Any]) -> float:
    return th.mmck(p["lam"], p["mu"], p["c"], p["max_length"] + p["c"]).loss


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    c = pick(rng, [2, 3, 4])
    return {"lam": round(c * pick(rng, [0.8, 0.9, 1.0, 1.2]), 4), "mu": 1.0, "c": c,
            "max_length": pick(rng, [2, 4, 6, 8])}


def _ex3_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    c, m = p["c"], p["max_length"]
    out = [(th.erlang_b(c, p["lam"] / p["mu"]), "that is Erlang B, the loss with NO waiting room (x-max-length = 0)."),
           (p["lam"] * _ex3(p), "that is the loss RATE (messages/s); give the fraction of published messages.")]
    if m >= c:
        out.append((th.mmck(p["lam"], p["mu"], c, m).loss,
                    "K is not x-max-length: RabbitMQ counts ready messages only, so K = max_length + c."))
    return out


EXERCISES = register_all([
    Exercise(
        key="nb05_ex1",
        question=("Messages are published at lam = {lam}/s (Poisson) to a queue read by c = {c} consumer(s) "
                  "(exponential service, mu = {mu}/s each, prefetch 1), with overflow reject-publish. What is the "
                  "smallest x-max-length that keeps the fraction of refused messages at or below {target:.1%}?"),
        canonical={"lam": 0.9, "mu": 1.0, "c": 1, "target": 0.01}, vary=_ex1_vary, answer=_ex1,
        integer=True, close_tol=0.0, unit="messages (x-max-length)",
        hint=("the loss is p_K of M/M/c/K (PASTA); increase the limit until mqsim.theory.mmck(lam, mu, c, K).loss "
              "drops below the target. Which K does x-max-length m give?"),
        traps=lambda p: [(_ex1(p) + p["c"],
                          "that is the Kendall capacity K. x-max-length counts READY messages only; the c messages "
                          "at the consumers come on top, so the limit is K - c.")]),
    Exercise(
        key="nb05_ex2",
        question=("One consumer (mu = {mu}/s, exponential, prefetch 1), Poisson publishing at lam = {lam}/s, "
                  "x-max-length = {max_length} with overflow drop-head (RabbitMQ's default). What is the mean wait "
                  "in the queue (s) of the messages that are DELIVERED?"),
        canonical={"lam": 0.9, "mu": 1.0, "max_length": 5}, vary=_ex2_vary, answer=_ex2, unit="s",
        hint=("the loss is the same as reject-publish's, the wait is not: drop-head throws the OLDEST message away. "
              "mqsim.theory.mmck_drop_head gives the wait of delivered messages (K = max_length + 1)."),
        traps=lambda p: [(th.mm1k(p["lam"], p["mu"], p["max_length"] + 1).Wq,
                          "that is reject-publish's wait. Under drop-head the messages that waited longest are the "
                          "ones dropped, so the delivered ones are fresher."),
                         (th.mmck_drop_head(p["lam"], p["mu"], 1, p["max_length"]).Wq,
                          "K is max_length + 1: x-max-length counts ready messages, not the one at the consumer."),
                         (_ex2(p) + 1.0 / p["mu"], "that is the time in the system; the question asks for the wait.")]),
    Exercise(
        key="nb05_ex3",
        question=("c = {c} consumers (mu = {mu}/s each, exponential, prefetch 1) read a queue with x-max-length = "
                  "{max_length} and reject-publish; messages are published at lam = {lam}/s (Poisson). What "
                  "fraction of the published messages is refused?"),
        canonical={"lam": 1.8, "mu": 1.0, "c": 2, "max_length": 8}, vary=_ex3_vary, answer=_ex3,
        unit="(fraction)",
        hint="this is M/M/c/K with K = max_length + c; the refused fraction is p_K (mqsim.theory.mmck(...).loss).",
        traps=_ex3_traps),
])
