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

The loads are estimates from the scenario's data (rates, mean service times, routing
probabilities, nack and reject probabilities): exact for the main queue, and for stages fed by
routes; dead-letter inflow counts rejected messages only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

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


def _node_load(sc: Any, k: int, classes: list[tuple[str, int, float]]) -> tuple[float, float, float, float]:
    """(offered load in Erlangs incl. redeliveries, served-rate cap, arrivals/s, rejected/s) of node k
    fed with ``classes`` = [(producer name, priority, rate)]."""
    queue, cons = sc.node(k)
    erl = rej = lam = 0.0
    for i, (pname, prio, rate) in enumerate(classes):
        n, r = cons.outcome_probs(pname, queue.effective_priority(prio)) if cons.has_outcomes else (0.0, 0.0)
        d = sc.service_for(next(j for j, p in enumerate(sc.producers) if p.name == pname), prio, k)
        erl += rate / (1.0 - n) * d.mean
        rej += rate * r
        lam += rate
    return erl, _capacity(cons), lam, rej


def _queue_stability(sc: Any) -> Stability:
    names = list(sc.node_names)
    routes = getattr(sc, "routes", {}) or {}
    base = [(p.name, pr, p.arrival_rate * pp) for p in sc.producers for pr, pp in p.priority_probs().items()]
    feeds: dict[int, list[tuple[str, int, float]]] = {0: base}
    loads: dict[str, float] = {}
    rates: dict[str, float] = {}
    unbounded, bad = set(), []
    growth = 0.0
    for _ in range(2 * len(names) + 2):  # flows settle along routes (and dead letters) in a few passes
        new: dict[int, list[tuple[str, int, float]]] = {0: base}
        for k, nm in enumerate(names):
            cls = feeds.get(k, [])
            erl, cap, lam, rej = _node_load(sc, k, cls)
            share = min(1.0, cap / erl) if erl > 0 else 1.0  # fraction that gets through when overloaded
            for dst, pr in routes.get(nm, {}).items():
                j = names.index(dst)
                new.setdefault(j, []).extend((p, lv, r * share * pr) for p, lv, r in cls)
            q = sc.node(k)[0]
            if q.dead_letter is not None and rej > 0:
                j = names.index(q.dead_letter)
                new.setdefault(j, []).extend((p, lv, r * rej / lam) for p, lv, r in cls)
        if new == feeds:
            break
        feeds = new
    for k, nm in enumerate(names):
        queue, cons = sc.node(k)
        erl, cap, lam, _ = _node_load(sc, k, feeds.get(k, []))
        rho = erl / cap if cap > 0 else math.inf
        loads[nm] = rho
        rates[nm] = lam
        per_msg_ttl = k == 0 and all(p.ttl is not None for p in sc.producers)
        if queue.max_length is None and queue.ttl is None and not per_msg_ttl:
            unbounded.add(nm)
            if rho >= 1:
                bad.append(nm)
                growth += lam * (1.0 - 1.0 / rho) if math.isfinite(rho) else lam
    prios: set[int] = set()
    if "main" in bad:
        q, cons = sc.node(0)
        if q.max_priority is None:
            prios = {pr for _, pr, _ in base}
        else:
            cum = 0.0
            for lv in sorted({q.effective_priority(pr) for _, pr, _ in base}, reverse=True):
                cum += _node_load(sc, 0, [c for c in base if q.effective_priority(c[1]) == lv])[0]
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
