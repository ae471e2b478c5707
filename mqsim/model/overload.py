"""Overload, said out loud: which queues of a scenario have no steady state, and how fast their
backlog grows.

A queue without a length limit or a TTL has a steady state only if its *offered load* is below
its capacity: rho = lam * E[S] / (c * availability) < 1, where lam counts every delivery
(a nacked message is delivered again: lam / (1 - nack)) and availability is the up-time fraction
of consumers that crash. At rho >= 1 the backlog grows without bound at about
lam - c * availability / E[S] messages per second, so a run's W, Wq and L depend on how long
it ran, not on the system: they are not steady-state figures. :func:`stability` computes this
for every queue (the main queue, every stage, every priority level, every Kafka consumer);
:class:`OverloadWarning` is what the package warns with (once per message text), and tables
mark such rows ``unstable``.

The arrival rate at every queue solves the network's traffic equations, one class (producer,
priority) at a time, as for a Jackson network (Jackson 1957): x = base + x P, where P sends the
acked messages of a queue along its routes and the rejected ones (``reject / (1 - nack)`` of
those served) to its dead-letter stage; a linear system, solved exactly, feedback loops and routes
to the same queue included. An overloaded queue passes on only what its consumers can serve, so
with overload the rates are the least solution of that capped system (found by iterating). The
loads are estimates from the scenario's data (rates, mean service times, routing probabilities,
nack and reject probabilities): exact for stable networks of routes; dead-letter inflow counts
rejected messages only (not expired or length-limited ones, which depend on the queue's state).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["OverloadWarning", "Stability", "stability"]


class OverloadWarning(UserWarning):
    """A run or an experiment of a scenario whose offered load is >= 1 at a queue with no length
    limit: its waits and queue lengths grow with the run length (no steady state)."""


# shown once per distinct message (scenario), wherever it is raised; user filters come first
warnings.filterwarnings("once", category=OverloadWarning, append=True)


def warn_overload_text(message: str) -> None:
    """Emit an :class:`OverloadWarning` at a fixed location ("mqsim"), so its text is the same
    wherever the call comes from (a notebook cell's file name changes from run to run)."""
    warnings.warn_explicit(message, OverloadWarning, "mqsim", 0, module="mqsim")


@dataclass(frozen=True)
class Stability:
    """Which queues of a scenario have no steady state.

    loads: offered utilisation per queue name (``"main"``, each stage; ``"consumer k"`` for Kafka).
    unbounded: the queues without a length limit or TTL (their backlog can grow without bound).
    unstable_queues: unbounded queues with load >= 1. unstable_priorities: priority levels of the
    main queue without a steady state (cumulative load of that level and the ones above >= 1).
    growth: backlog growth rate in messages/s, summed over the unstable queues (0 if none).
    """

    loads: dict[str, float]
    unbounded: frozenset[str]
    unstable_queues: tuple[str, ...] = ()
    unstable_priorities: frozenset[int] = frozenset()
    growth: float = 0.0
    producer_levels: dict[str, tuple[int, ...]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # messages/s arriving at each queue

    @property
    def unstable(self) -> bool:
        """Some queue has no steady state."""
        return bool(self.unstable_queues)

    def row_unstable(self, group: str, key: Any) -> bool:
        """Whether a summary row (group ``all``/``queue``/``producer``/``priority``, its key) has
        no steady state: its messages pass through a queue that has none."""
        if not self.unstable:
            return False
        if group == "queue":
            return str(key) in self.unstable_queues or str(key) == "topic"  # a Kafka topic: any consumer
        stages_bad = any(q != "main" for q in self.unstable_queues)
        if group == "priority":
            return stages_bad or _level(key) in self.unstable_priorities
        if group == "producer":
            return stages_bad or any(lv in self.unstable_priorities for lv in self.producer_levels.get(str(key), ()))
        return True

    def reason(self) -> str:
        """One sentence: which queues, their load, the growth rate ('' when stable)."""
        if not self.unstable:
            return ""
        parts = [f"{q} (offered load rho = {self.loads[q]:.4g})" for q in self.unstable_queues]
        grow = (f"by about {self.growth:.4g} messages/s" if self.growth > 0 else
                "without bound (as the square root of time at rho = 1)")
        return (f"no steady state: offered load >= 1 with no length limit at {', '.join(parts)}; the backlog grows "
                f"{grow}, so waits and queue lengths depend on the run length "
                "(set queue.max_length or a TTL, add consumers, or lower the rate)")


def _level(key: Any) -> int:
    try:
        return int(key)
    except (TypeError, ValueError):
        return -1


def _capacity(cons: Any) -> float:
    """Consumers available on average (count x up-time fraction)."""
    fail = getattr(cons, "failure", None)
    return cons.count * (fail.availability if fail is not None else 1.0)


#: most rounds of the flow iteration of an overloaded network (each round is one matrix product)
MAX_ROUNDS = 1000


class _Flows:
    """The traffic equations of a queue scenario, one class per (producer, priority).

    Per class ``c`` and queue ``k``: ``work[c, k]`` (Erlangs per message/s: the mean service time
    counting redeliveries after nacks, E[S] / (1 - nack)); ``moves[c]`` the N x N matrix of the
    fraction of the messages *served* at ``k`` that go on to ``j``: acked ones along the routes,
    rejected ones (``reject / (1 - nack)`` of them) to the dead-letter stage.
    """

    def __init__(self, sc: Any):
        names = list(sc.node_names)
        self.N = N = len(names)
        self.classes = [(i, pr, p.arrival_rate * pp) for i, p in enumerate(sc.producers)
                        for pr, pp in p.priority_probs().items()]
        C = len(self.classes)
        self.base = np.zeros((C, N))
        self.base[:, 0] = [r for _, _, r in self.classes]
        self.work = np.zeros((C, N))
        self.moves = np.zeros((C, N, N))
        self.cap = np.array([_capacity(sc.node(k)[1]) for k in range(N)])
        routes = getattr(sc, "routes", {}) or {}
        for k, nm in enumerate(names):
            queue, cons = sc.node(k)
            dl = names.index(queue.dead_letter) if queue.dead_letter is not None else -1
            for c, (i, pr, _) in enumerate(self.classes):
                n, r = cons.outcome_probs(sc.producers[i].name, queue.effective_priority(pr)) \
                    if cons.has_outcomes else (0.0, 0.0)
                self.work[c, k] = sc.service_for(i, pr, k).mean / (1.0 - n)
                rejected = r / (1.0 - n)
                for dst, p in routes.get(nm, {}).items():
                    self.moves[c, k, names.index(dst)] += (1.0 - rejected) * p
                if dl >= 0:
                    self.moves[c, k, dl] += rejected

    def erlangs(self, x: np.ndarray) -> np.ndarray:
        """Offered load per queue (Erlangs) of the per-class arrival rates ``x`` [C, N] (messages/s)."""
        return np.asarray((x * self.work).sum(axis=0))

    def served(self, x: np.ndarray) -> np.ndarray:
        """Per-class rates that get through each queue: all of them, or the capacity's share when
        the queue is overloaded."""
        erl = self.erlangs(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(erl > self.cap, self.cap / erl, 1.0)
        return np.asarray(x * share)

    def solve(self) -> np.ndarray:
        """The arrival rates [C, N] (messages/s) at every queue.

        Jackson's traffic equations x = base + x M, solved exactly (one linear system per class);
        when that overloads a queue, only its capacity's worth flows on, and the least solution of
        x = base + served(x) M is found by iterating from x = base (each round can only raise the
        rates, so the rounds increase to it; at most :data:`MAX_ROUNDS`)."""
        eye = np.eye(self.N)
        try:
            x = np.stack([np.linalg.solve((eye - self.moves[c]).T, self.base[c]) for c in range(len(self.classes))])
            if np.all(np.isfinite(x)) and np.all(x >= -1e-12) and np.all(self.erlangs(x) <= self.cap):
                return np.asarray(np.maximum(x, 0.0))
        except np.linalg.LinAlgError:  # a closed loop of routes: no exact solution
            pass
        x = self.base.copy()
        for _ in range(MAX_ROUNDS):
            nxt = self.base + np.einsum("ck,ckj->cj", self.served(x), self.moves)
            if np.allclose(nxt, x, rtol=1e-12, atol=0.0):
                return np.asarray(nxt)
            x = nxt
        return np.asarray(x)


def _queue_stability(sc: Any) -> Stability:
    names = list(sc.node_names)
    flows = _Flows(sc)
    x = flows.solve()
    erl, lam = flows.erlangs(x), x.sum(axis=0)
    loads: dict[str, float] = {}
    rates: dict[str, float] = {}
    unbounded, bad = set(), []
    growth = 0.0
    for k, nm in enumerate(names):
        queue, _ = sc.node(k)
        rho = float(erl[k] / flows.cap[k]) if flows.cap[k] > 0 else math.inf
        loads[nm] = rho
        rates[nm] = float(lam[k])
        per_msg_ttl = k == 0 and all(p.ttl is not None for p in sc.producers)
        if queue.max_length is None and queue.ttl is None and not per_msg_ttl:
            unbounded.add(nm)
            if rho >= 1:
                bad.append(nm)
                growth += float(lam[k]) * (1.0 - 1.0 / rho) if math.isfinite(rho) else float(lam[k])
    prios: set[int] = set()
    base = [(sc.producers[i].name, pr, r) for i, pr, r in flows.classes]
    if "main" in bad:
        q, cons = sc.node(0)
        if q.max_priority is None:
            prios = {pr for _, pr, _ in base}
        else:
            cum = 0.0
            for lv in sorted({q.effective_priority(pr) for _, pr, _ in base}, reverse=True):
                cum += sum(r * flows.work[c, 0] for c, (_, pr, r) in enumerate(flows.classes)
                           if q.effective_priority(pr) == lv)
                if cum >= _capacity(cons):
                    prios |= {pr for _, pr, _ in base if q.effective_priority(pr) == lv}
    levels = {p.name: tuple(p.priority_probs()) for p in sc.producers}
    return Stability(loads, frozenset(unbounded), tuple(bad), frozenset(prios), growth, levels, rates)


def _kafka_stability(ks: Any) -> Stability:
    from mqsim.model.kafka import partition_assignment

    shares = ks.topic.partition_shares()
    lam, es = ks.arrival_rate, ks.group.service.mean
    loads, bad, growth = {}, [], 0.0
    for j, parts in enumerate(partition_assignment(ks.topic.partitions, ks.group.count, ks.group.assignment)):
        rate = lam * float(sum(shares[p] for p in parts))
        loads[f"consumer {j}"] = rate * es
        if rate * es >= 1:
            bad.append(f"consumer {j}")
            growth += rate - 1.0 / es
    return Stability(loads, frozenset(loads), tuple(bad), frozenset({0} if bad else ()), growth,
                     {p.name: (0,) for p in ks.producers}, {"topic": lam})


def stability(scenario: Any) -> Stability:
    """The :class:`Stability` of a scenario (queue or Kafka family)."""
    if getattr(scenario, "family", "queue") == "kafka":
        return _kafka_stability(scenario)
    return _queue_stability(scenario)
