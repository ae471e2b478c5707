"""Lecture 10, pipelines, redelivery loops and networks: Burke's and Jackson's theorems on
simulated pipelines, nack + requeue as Bernoulli feedback, dead-letter routing as one more edge,
and the Ciw café (throughput is not capacity).

Units: seconds, messages, messages per second (the café reads "seconds" as minutes, as Ciw's
tutorial does). Simulating helpers run their replications with :func:`mqsim.replicate`.

References: P. J. Burke (1956), "The output of a queuing system", Operations Research 4; J. R.
Jackson (1957), "Networks of waiting lines", Operations Research 5:518–521, and (1963) "Jobshop-like
queueing systems", Management Science 10:131–142; the Ciw documentation, Tutorial II (the café).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.teaching.common import overall_runs
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.experiments.replications import Replications
    from mqsim.model.scenario import Scenario
    from mqsim.sim.result import Result
    from mqsim.theory import JacksonResult

__all__ = ["network_table", "end_to_end_times", "cafe_scenario", "cafe_theory", "lunchtime_counts", "EXERCISES"]


def network_table(reps: "Replications", theory: "JacksonResult", nodes: Sequence[str], *,
                  metrics: Sequence[str] = ("L", "W", "utilisation"), confidence: float = 0.95) -> "pd.DataFrame":
    """Per-queue figures of a pipeline (replications made with ``by=("queue",)``) beside an open
    Jackson network (:func:`mqsim.theory.jackson`), plus the end-to-end time.

    nodes: the queue names in the order of the Jackson nodes. Per node: ``L`` (messages), ``W``
    (s, mean time per *visit*), ``utilisation`` (= rho_i), ``throughput`` (visits per s). The last
    row, ``network / T``, is the mean end-to-end time per message (s) by Little's law, measured in
    each replication as the sum of every queue's mean number of messages (dead-letter queues
    included) divided by the rate entering the pipeline (the main queue's arrival rate), against
    the network's sum L_i / sum gamma_i.
    Columns: node, metric, simulated, ci_low, ci_high, theory, theory_in_ci.
    """
    import pandas as pd

    from mqsim.analysis.statistics import confidence_interval

    rows = []
    for i, name in enumerate(nodes):
        node = theory.nodes[i]
        values = {"L": node.L, "W": node.W, "utilisation": node.rho, "throughput": theory.lam[i], "Lq": node.Lq,
                  "Wq": node.Wq}
        for m in metrics:
            mean, lo, hi = reps.ci(m, "queue", name, confidence)
            t = float(values[m])
            rows.append({"node": name, "metric": m, "simulated": mean, "ci_low": lo, "ci_high": hi, "theory": t,
                         "theory_in_ci": bool(lo <= t <= hi)})
    r = reps.runs
    queues = r[r["group"] == "queue"]
    total = queues.groupby("replication")["L"].sum()  # messages at every queue, dead-letter queues included
    entry = queues[queues["key"] == "main"].set_index("replication")["arrival_rate"]
    mean, lo, hi = confidence_interval((total / entry).to_numpy(dtype=float), confidence)
    rows.append({"node": "network", "metric": "T", "simulated": mean, "ci_low": lo, "ci_high": hi,
                 "theory": theory.W, "theory_in_ci": bool(lo <= theory.W <= hi)})
    return pd.DataFrame(rows)


def end_to_end_times(result: "Result") -> np.ndarray:
    """End-to-end times (s) of one pipeline run: for every message first published after the
    warm-up whose path ended in an ack, the time from its first publication to the ack at the
    last queue it visited (following the ``parent`` links that routes and dead-lettering leave).
    Redeliveries (nack + requeue) stay inside one record, so their time is included."""
    a = result.arrays
    parent = np.asarray(a["parent"], dtype=np.int64)
    n = parent.size
    idx = np.arange(n)
    root = np.where(parent >= 0, parent, idx)
    while True:  # pointer jumping: parents always have smaller ids
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    has_child = np.zeros(n, dtype=bool)
    has_child[parent[parent >= 0]] = True
    leaf = (a["outcome"] == 0) & ~has_child
    start = a["t_publish"][root[leaf]]
    keep = start >= result.warmup
    return (a["t_done"][leaf] - start)[keep]


class _Cafe(NamedTuple):
    """The Ciw café (Tutorial II), per minute, one entry per node: cold counter, hot counter, till."""

    gamma: tuple[float, ...]  # external arrival rates (1/min)
    routing: tuple[tuple[float, ...], ...]  # routing probabilities, row = from, column = to
    mu: tuple[float, ...]  # service rates (1/min)
    c: tuple[int, ...]  # servers
    names: tuple[str, ...]


_CAFE = _Cafe(gamma=(0.3, 0.2, 0.0), routing=((0.0, 0.3, 0.7), (0.0, 0.0, 1.0), (0.0, 0.0, 0.0)),
              mu=(1.0, 0.4, 0.5), c=(1, 2, 2), names=("cold", "hot", "till"))


def cafe_theory(scale: float = 1.0, mu: Sequence[float] | None = None, c: Sequence[int] | None = None
                ) -> "JacksonResult":
    """The Ciw Tutorial II café as an open Jackson network (time unit: minutes): external arrivals
    (0.3, 0.2, 0) x ``scale`` per minute at the cold counter, hot counter and till; routing cold ->
    hot 0.3, cold -> till 0.7, hot -> till 1; service rates ``mu`` (default (1, 0.4, 0.5)/min) with
    ``c`` servers (default (1, 2, 2)). At the defaults: T = 5.193 min, saturation throughput 1/min
    (60/h) at the till."""
    return th.jackson([g * scale for g in _CAFE.gamma], [list(r) for r in _CAFE.routing],
                      list(mu or _CAFE.mu), list(c or _CAFE.c))


def cafe_scenario(scale: float = 1.0, mu: Sequence[float] | None = None, c: Sequence[int] | None = None
                  ) -> "Scenario":
    """The Ciw café as an mqsim pipeline (time unit: minutes; ``mu`` and ``c`` as in
    :func:`cafe_theory`). mqsim producers publish to the main queue only, so ``main`` is the café
    door: a zero-time step (50 consumers, service 0) that routes each customer to the cold counter
    (probability 0.6) or the hot counter (0.4), which splits the 0.5/min Poisson stream into the
    Poisson streams 0.3 and 0.2 of the network. Then cold -> hot 0.3, cold -> till 0.7, hot -> till
    1; stages ``cold``, ``hot``, ``till``."""
    from mqsim.model.dist import Deterministic, Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario, Stage

    g = _CAFE.gamma
    total = (g[0] + g[1]) * scale
    stages = [Stage(nm, consumers=Consumers(ci, service=Exponential(rate=m)))
              for nm, m, ci in zip(_CAFE.names, mu or _CAFE.mu, c or _CAFE.c)]
    return Scenario([Producer("customers", rate=total)],
                    consumers=Consumers(50, service=Deterministic(0.0)), stages=stages,
                    routes={"main": {"cold": g[0] / (g[0] + g[1]), "hot": g[1] / (g[0] + g[1])},
                            "cold": {"hot": 0.3, "till": 0.7}, "hot": {"till": 1.0}},
                    name="Ciw cafe (minutes)")


def _till_count(res: "Result", cutoff: float) -> dict[str, float]:
    """Per-run statistic: customers who reached the till before ``cutoff`` and finished paying."""
    a = res.arrays
    till = list(res.scenario.node_names).index("till")
    return {"till": float(np.sum((a["node"] == till) & (a["t_publish"] < cutoff) & (a["outcome"] == 0)))}


def lunchtime_counts(n: int = 10, seed: int = 0, *, horizon: float = 200.0, cutoff: float = 180.0,
                     scale: float = 1.0) -> np.ndarray:
    """Ciw Tutorial II's experiment: ``n`` lunchtimes of the café starting empty (replications of
    :func:`mqsim.replicate`), each simulated for ``horizon`` minutes; count the customers who
    reached the till before ``cutoff`` minutes and finished paying by the horizon (Ciw: records at
    node 3 with arrival_date < 180). Returns the n counts (customers)."""
    stat = functools.partial(_till_count, cutoff=float(cutoff))
    reps = replicate(cafe_scenario(scale), n=n, seed=seed, horizon=horizon, warmup=0.0, by=(), statistic=stat,
                     progress=False)
    return overall_runs(reps)["till"].to_numpy().astype(int)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
_CAFE_V = (0.6, 0.58, 1.0)  # visits per customer: cold, hot, till (routing of Ciw Tutorial II)


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [1.0, 1.5, 2.0, 2.5]), "mu1": pick(rng, [3.0, 4.0, 5.0]),
            "mu2": pick(rng, [3.0, 3.5, 4.0])}


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [0.4, 0.5, 0.6]), "mu": 1.0, "p": pick(rng, [0.1, 0.2, 0.3])}


def _ex3(p: Mapping[str, Any]) -> float:
    x, _ = th.bottleneck_throughput(list(_CAFE_V), [1.0, 1 / p["mu_hot"], 1 / p["mu_till"]],
                                    [1, p["c_hot"], p["c_till"]])
    return 60.0 * x


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"mu_hot": pick(rng, [0.4, 0.5]), "c_hot": pick(rng, [1, 2, 3]),
            "mu_till": pick(rng, [0.5, 0.6, 0.75]), "c_till": pick(rng, [2, 3])}


EXERCISES = register_all([
    Exercise(
        key="nb10_ex1",
        question=("A two-step pipeline: messages arrive at lam = {lam}/s (Poisson) at queue A, whose consumer "
                  "(mu1 = {mu1}/s, exponential) publishes each result to queue B, whose consumer has mu2 = {mu2}/s. "
                  "What is the mean end-to-end time (s) from publish to the final ack?"),
        canonical={"lam": 2.5, "mu1": 4.0, "mu2": 3.5}, vary=_ex1_vary,
        answer=lambda p: th.tandem(p["lam"], [p["mu1"], p["mu2"]]).W, unit="s",
        hint=("Burke: the output of a stable M/M/1 is Poisson at lam, so B is an M/M/1 at lam too; add the two "
              "sojourns 1/(mu_i - lam) (mqsim.theory.tandem)."),
        traps=lambda p: [(1 / p["mu1"] + 1 / p["mu2"], "that is the service time alone; both queues also make "
                                                       "messages wait."),
                         (1 / (min(p["mu1"], p["mu2"]) - p["lam"]), "that is the bottleneck queue only; the other "
                                                                    "queue adds its own time.")]),
    Exercise(
        key="nb10_ex2",
        question=("A consumer (mu = {mu}/s, exponential, prefetch 1) fails on {p:.0%} of its deliveries and nacks "
                  "them with requeue; messages arrive at lam = {lam}/s (Poisson). What is the mean time (s) from "
                  "publish to the final ack of a message?"),
        canonical={"lam": 0.4, "mu": 1.0, "p": 0.3}, vary=_ex2_vary,
        answer=lambda p: th.jackson([p["lam"]], [[p["p"]]], [p["mu"]]).W, unit="s",
        hint=("Bernoulli feedback: the consumer sees lam/(1 - p) deliveries per second (an M/M/1 at that rate), "
              "and by Little T = L / lam per original message (mqsim.theory.jackson([lam], [[p]], [mu]))."),
        traps=lambda p: [(1 / (p["mu"] - p["lam"] / (1 - p["p"])),
                          "that is the time per VISIT; a message visits 1/(1 - p) times on average."),
                         (1 / (p["mu"] - p["lam"]), "that ignores the redeliveries: nacked messages come back and "
                                                    "load the consumer again.")]),
    Exercise(
        key="nb10_ex3",
        question=("The Ciw café with other staffing: customers arrive at 18/h for cold food and 12/h for hot food; "
                  "30% of cold-food customers also queue for hot food; everyone pays at the till. Cold counter: 1 "
                  "server at 1/min; hot counter: {c_hot} servers at {mu_hot}/min each; till: {c_till} servers at "
                  "{mu_till}/min each. What is the café's CAPACITY: the largest number of customers per HOUR it can "
                  "serve if arrivals grow in the same proportions?"),
        canonical={"mu_hot": 0.4, "c_hot": 1, "mu_till": 0.5, "c_till": 3}, vary=_ex3_vary, answer=_ex3,
        unit="customers/h",
        hint=("bottleneck law: X* = min_i c_i mu_i / V_i, with V_i the visits per customer (cold 0.6, hot "
              "0.4 + 0.6 x 0.3 = 0.58, till 1); convert per minute to per hour."),
        traps=lambda p: [(30.0, "that is the arrival rate: in a stable network the throughput equals the arrivals, "
                                "whatever the capacity."),
                         (81.9 / 3, "that is Ciw's simulated count per hour: throughput, not capacity."),
                         (_ex3(p) / 60.0, "that is per minute; the question asks per hour.")]),
])
