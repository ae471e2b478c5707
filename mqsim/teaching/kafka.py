"""Lecture 11, Kafka: partitions and consumer groups. Parallelism is min(consumers, partitions);
each member owning partitions is its own queue (no pooling); an uneven assignment or a hot key
lowers the rate the group keeps up with. The formulas are in :mod:`mqsim.theory`
(``kafka_saturation``, ``kafka_assignment``, ``kafka_mm1_wait``, ``kafka_throughput``,
``kafka_max_rate``, ``kafka_wait``, ``partitions_needed``); this module builds the tables and runs
the comparisons.

Units: seconds, records, records per second. Simulating helpers run their replications with
:func:`mqsim.replicate`.

References: Apache Kafka documentation, "Consumers" (consumer groups, partition assignment) and
KIP-932 (share groups).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.model.overload import OverloadWarning
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.sim.result import Result

__all__ = ["assignment_table", "partition_table", "partition_lag", "kafka_rate_sweep", "kafka_wait_comparison",
           "EXERCISES"]


def assignment_table(partitions: int, counts: Iterable[int], mu: float = 1.0,
                     strategy: str = "range") -> "pd.DataFrame":
    """For each group size n in ``counts``: the partitions each consumer owns (range or round-robin
    assignment), the active consumers min(n, P), the rate the group keeps up with X* = P mu /
    ceil(P/n) (uniform keys, records/s) and, for comparison, a shared queue's n mu."""
    import pandas as pd

    rows = []
    for n in counts:
        parts = th.kafka_assignment(partitions, int(n), strategy)
        rows.append({"consumers": int(n), "partitions per consumer": " ".join(str(len(ps)) for ps in parts),
                     "active consumers": sum(1 for ps in parts if ps),
                     "keeps up with (records/s)": th.kafka_saturation(partitions, int(n), mu),
                     "shared queue capacity (records/s)": int(n) * mu})
    return pd.DataFrame(rows).set_index("consumers")


def partition_table(topic: Any, consumers: int, strategy: str = "range") -> "pd.DataFrame":
    """One row per partition of a :class:`mqsim.Topic`: its share of the records (from the
    key distribution), the consumer that owns it (``kafka_assignment``), and that consumer's
    total share."""
    import pandas as pd

    shares = topic.partition_shares()
    owner = {}
    for j, ps in enumerate(th.kafka_assignment(topic.partitions, consumers, strategy)):
        for p in ps:
            owner[p] = j
    df = pd.DataFrame({"partition": np.arange(topic.partitions), "share": shares,
                       "consumer": [owner[p] for p in range(topic.partitions)]})
    df["consumer_share"] = df.groupby("consumer")["share"].transform("sum")
    return df.set_index("partition")


def partition_lag(result: "Result", times: Sequence[float] | None = None) -> "pd.DataFrame":
    """Lag per partition over one Kafka run: records published to the partition by time t and
    not yet polled by its consumer (the ready records). Index: time (s; default 200 points over
    the run); one column per partition."""
    import pandas as pd

    from mqsim.model.kafka import KafkaScenario

    ks = result.scenario
    if not isinstance(ks, KafkaScenario):
        raise ValueError(f"result: partition_lag needs the result of a mqsim.KafkaScenario run, got one of a "
                         f"{type(ks).__name__}")
    a = result.arrays
    part = np.asarray(result.records.extra["partition"], dtype=np.int64)
    P = ks.topic.partitions
    ts = np.linspace(0.0, result.horizon, 201)[1:] if times is None else np.asarray(times, dtype=float)
    cols = {}
    for p in range(P):
        m = part == p
        pub = np.sort(a["t_publish"][m])
        st = a["t_start"][m]
        st = np.sort(st[~np.isnan(st)])
        cols[p] = np.searchsorted(pub, ts, side="right") - np.searchsorted(st, ts, side="right")
    return pd.DataFrame(cols, index=pd.Index(ts, name="time"))


def kafka_rate_sweep(partitions: int, consumers: int, mu: float, rates: Sequence[float], *, n: int = 5,
                     seed: int = 0, horizon: float = 1_000.0, warmup: float = 200.0,
                     confidence: float = 0.95) -> "pd.DataFrame":
    """Throughput against offered rate for a Kafka consumer group (``partitions``, ``consumers``,
    exponential processing ``mu``/s, uniform keys) and for a shared queue with the same consumers
    (RabbitMQ, prefetch 1, or a share group): ``n`` replications per rate.

    Tidy rows: system, lam (offered, per s), mean, ci_low, ci_high (throughput, per s), theory
    (:func:`mqsim.theory.kafka_throughput`, and min(lam, c mu) for the shared queue), n. Rates
    beyond a system's capacity have no steady state (its backlog grows); that is what the sweep
    shows, so it does not warn about them.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic
    from mqsim.model.scenario import Consumers, Producer, Scenario

    svc = Exponential(rate=mu)
    kafka_name = f"Kafka: {partitions} partitions, {consumers} consumers"
    shared_name = f"shared queue: {consumers} consumers"
    rows = []
    for lam in rates:
        for name, sc, th_value in (
                (kafka_name, KafkaScenario([Producer("events", rate=lam)], Topic(partitions),
                                           ConsumerGroup(consumers, svc)),
                 th.kafka_throughput(lam, mu, partitions, consumers)),
                (shared_name, Scenario([Producer("events", rate=lam)], consumers=Consumers(consumers, service=svc)),
                 min(lam, consumers * mu))):
            with warnings.catch_warnings():  # rates beyond the group's capacity are the point of this sweep
                warnings.simplefilter("ignore", OverloadWarning)
                reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
            m, lo, hi = reps.ci("throughput", confidence=confidence)
            rows.append({"system": name, "lam": float(lam), "mean": m, "ci_low": lo, "ci_high": hi, "theory": th_value,
                         "n": n})
    return pd.DataFrame(rows)


def kafka_wait_comparison(lam: float, mu: float, configs: Sequence[tuple[str, int, int | None]], *, n: int = 10,
                          seed: int = 0, horizon: float = 3_000.0, warmup: float = 300.0,
                          confidence: float = 0.95) -> "pd.DataFrame":
    """Mean time in system W (s) of Poisson traffic ``lam``/s with exponential processing
    ``mu``/s under several set-ups, simulated (``n`` replications, CI) beside the formula.

    configs: ``(label, consumers, partitions)`` tuples; ``partitions=None`` is a shared queue
    (RabbitMQ with prefetch 1, or a Kafka share group): M/M/c, Erlang C. Otherwise a Kafka consumer
    group with uniform keys: each consumer an M/M/1 at its share of the traffic.
    Columns: setup, model, simulated, ci_low, ci_high, theory, formula, n (for
    :func:`mqsim.viz.ci_bars` with ``label="setup"``, ``metric="W"``).
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic
    from mqsim.model.scenario import Consumers, Producer, Scenario

    svc = Exponential(rate=mu)
    rows = []
    for label, c, P in configs:
        sc: Scenario | KafkaScenario
        if P is None:
            sc = Scenario([Producer("events", rate=lam)], consumers=Consumers(c, service=svc))
            value, model, formula = th.mmc(lam, mu, c).W, f"M/M/{c}", "Erlang C (pooled)"
        else:
            sc = KafkaScenario([Producer("events", rate=lam)], Topic(P), ConsumerGroup(c, svc))
            value = th.kafka_mm1_wait(lam, mu, P, c)
            active = sum(1 for ps in th.kafka_assignment(P, c) if ps)
            model, formula = f"{active} x M/M/1", "M/M/1 per consumer"
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
        m, lo, hi = reps.ci("W", confidence=confidence)
        rows.append({"setup": label, "model": model, "simulated": m, "ci_low": lo, "ci_high": hi, "theory": value,
                     "formula": formula, "n": n})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"partitions": pick(rng, [6, 8, 10, 12]), "consumers": pick(rng, [4, 5, 7]),
            "mu": pick(rng, [20.0, 50.0, 100.0])}


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [30.0, 40.0, 60.0, 90.0]), "mu": 10.0, "w": pick(rng, [0.2, 0.25, 0.4])}


def _ex3(p: Mapping[str, Any]) -> float:
    from mqsim.model.kafka import Topic

    shares = Topic(p["partitions"], keys=p["keys"], key_skew=p["skew"]).partition_shares()
    return th.kafka_max_rate(p["mu"], p["partitions"], p["partitions"], shares=shares)


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"partitions": pick(rng, [4, 6, 8]), "keys": pick(rng, [100, 1000]),
            "skew": pick(rng, [0.6, 0.8, 1.0, 1.2]), "mu": 100.0}


EXERCISES = register_all([
    Exercise(
        key="nb11_ex1",
        question=("A topic has {partitions} partitions with uniformly spread keys; a consumer group of {consumers} "
                  "consumers (range assignment) reads it, each processing mu = {mu:g} records/s. What is the "
                  "largest total publish rate (records/s) the group can keep up with?"),
        canonical={"partitions": 10, "consumers": 4, "mu": 50.0}, vary=_ex1_vary,
        answer=lambda p: th.kafka_saturation(p["partitions"], p["consumers"], p["mu"]), rel_tol=1e-6,
        unit="records/s",
        hint=("each partition has exactly one consumer; the busiest consumer owns ceil(P/n) partitions and "
              "saturates first: X* = P mu / ceil(P/n) (mqsim.theory.kafka_saturation)."),
        traps=lambda p: [(min(p["consumers"], p["partitions"]) * p["mu"],
                          "that assumes the consumers pool their capacity, as on a shared queue. A consumer with "
                          "more partitions gets more records and saturates first."),
                         (p["partitions"] * p["mu"], "that needs one consumer per partition.")]),
    Exercise(
        key="nb11_ex2",
        question=("Records arrive at lam = {lam:g}/s (Poisson), keys spread uniformly; each consumer processes "
                  "mu = {mu:g} records/s (exponential) and the group has one consumer per partition. What is the "
                  "fewest partitions for which the mean time from publish to processed is at most {w} s?"),
        canonical={"lam": 40.0, "mu": 10.0, "w": 0.4}, vary=_ex2_vary,
        answer=lambda p: th.partitions_needed(p["lam"], p["mu"], p["w"]), integer=True, close_tol=0.0,
        unit="partitions",
        hint="each partition is an M/M/1 at lam/P: W = 1/(mu - lam/P) <= w gives P >= lam/(mu - 1/w).",
        traps=lambda p: [(math.floor(p["lam"] / p["mu"]) + 1,
                          "that only keeps up (lam/P < mu); check the mean time 1/(mu - lam/P) at that P."),
                         (math.ceil(p["lam"] / p["mu"]), "with lam/P = mu the partitions have no steady state at "
                                                         "all.")]),
    Exercise(
        key="nb11_ex3",
        question=("A topic with {partitions} partitions and one consumer per partition (mu = {mu:g} records/s "
                  "each). Record keys are the customer ids 1..{keys}; key k has popularity proportional to 1/k^{skew} "
                  "(Zipf) and goes to partition (k - 1) mod {partitions} (mqsim.Topic(partitions, keys, "
                  "key_skew)). What is the largest total rate (records/s) the group keeps up with?"),
        canonical={"partitions": 6, "keys": 1000, "skew": 1.0, "mu": 100.0}, vary=_ex3_vary, answer=_ex3,
        unit="records/s",
        hint=("the hottest partition saturates first: X* = mu / (largest partition share); the shares come from "
              "Topic.partition_shares()."),
        traps=lambda p: [(p["partitions"] * p["mu"], "that assumes uniform keys; the popular keys make one "
                                                     "partition hot.")]),
])
