"""The sample path a live run replays: the very draws :func:`mqsim.simulate` makes for the same seed.

:func:`make_plan` runs the SimPy engine on the scenario and seed first (full records, with event
handlers that note every delivery's service requirement and every settlement), then hands the
player what it needs, per message:

* **publishes** — every message a producer publishes before the horizon: its time, producer,
  priority as published, persistence and per-message TTL (``expiration``), in publish order. These
  are the simulator's own arrivals (named streams ``(0, i)``, ``(1, i)``, ``(5, i)``, thinning and
  traces), so the broker sees the same arrival process, message for message.
* **service requirements** — the ``d``-th delivery of message ``m`` at queue ``k`` is served for
  the requirement the simulator's ``d``-th delivery of ``m`` at ``k`` had (the first one from the
  class stream ``(2, i, c)`` or ``(7, k, i, c)``, redeliveries from ``(6, k, i, c)``).
* **ack / nack / reject** — the ``n``-th settlement of message ``m`` at queue ``k`` is the verdict
  of the simulator's ``n``-th settlement of ``m`` at ``k``. The simulator draws verdicts from each
  *consumer's* stream ``(3, k, j)``; mapping them to messages (not consumers) keeps them on the
  same message when the broker hands it to another consumer.
* **consumer crashes** — consumer ``j`` of queue ``k`` crashes and recovers at the times of the
  simulator's stream ``(8, k, j, 0|1)`` (the same instants, whatever it holds then).
* **broker restarts** — at the simulator's restart times and downtimes (stream ``(10, 0|1)``).

Where the broker's timing takes a message somewhere the simulator's run did not (a redelivery
the simulator never made, a dead-lettered copy it never made), the player draws from the same
distributions with its own per-message stream ``(11, k, m, 0|1)``: deterministic for the seed,
independent of thread timing. :attr:`Plan.fallbacks` counts those draws.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mqsim.model.scenario import Scenario
from mqsim.sim.records import Records
from mqsim.sim.result import Result
from mqsim.sim.simpy import engine as simpy_engine
from mqsim.sim.streams import FAILURE, LIVE, RESTART, Stream, make_rng

__all__ = ["Plan", "make_plan", "VERDICTS", "crash_schedule", "restart_schedule"]

#: settlement verdicts, as the player codes them
VERDICTS = ("ack", "requeue", "reject")


@dataclass
class Plan:
    """What the player replays (times in scenario seconds; see the module docstring)."""

    scenario: Scenario
    seed: int
    horizon: float
    sim: Result
    #: per published message, in publish order (index = the message's plan id)
    sim_id: np.ndarray
    t_publish: np.ndarray
    producer: np.ndarray
    priority: np.ndarray  # effective priority (the queue's clipping applied; the broker clips the same way)
    cls: np.ndarray
    #: per (queue index, plan id): the simulator's requirement of each delivery, and verdicts
    requirements: dict[tuple[int, int], list[float]]
    verdicts: dict[tuple[int, int], list[int]]
    #: per (queue index, consumer index): [(crash time, repair time), ...] inside the horizon
    crashes: dict[tuple[int, int], list[tuple[float, float]]]
    #: [(down time, back time), ...] inside the horizon
    restarts: list[tuple[float, float]]
    fallbacks: int = 0
    _streams: dict[tuple[int, int, int], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def n(self) -> int:
        """Number of messages the producers publish."""
        return len(self.t_publish)

    def _fallback(self, node: int, m: int, which: int, sampler: Any) -> float:
        key = (node, m, which)
        s = self._streams.get(key)
        if s is None:
            s = self._streams[key] = Stream(sampler, make_rng(self.seed, LIVE, node, m, which), block=16).next
        self.fallbacks += 1
        return float(s())

    def requirement(self, node: int, m: int, d: int) -> float:
        """Service requirement (s) of the ``d``-th delivery (1-based) of message ``m`` at queue ``node``."""
        with self._lock:
            got = self.requirements.get((node, m), ())
            if d <= len(got):
                return got[d - 1]
            sc = self.scenario
            dist = sc.service_for(int(self.producer[m]), int(self.priority[m]), node)
            return self._fallback(node, m, 0, dist.sample)

    def verdict(self, node: int, m: int, n: int) -> int:
        """Verdict (index into :data:`VERDICTS`) of the ``n``-th settlement (1-based) of ``m`` at ``node``."""
        with self._lock:
            got = self.verdicts.get((node, m), ())
            if n <= len(got):
                return got[n - 1]
            cons = self.scenario.node(node)[1]
            if not cons.has_outcomes:
                return 0
            p_nack, p_reject = cons.outcome_probs(self.scenario.producers[int(self.producer[m])].name,
                                                  self.scenario.node(node)[0].effective_priority(int(self.priority[m])))
            u = self._fallback(node, m, 1, lambda rng, k: rng.random(k))
            return 1 if u < p_nack else (2 if u < p_nack + p_reject else 0)


def crash_schedule(scenario: Scenario, seed: int, horizon: float) -> dict[tuple[int, int], list[tuple[float, float]]]:
    """(crash, repair) times of every consumer inside ``horizon``, from the simulator's failure streams."""
    out: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for k in range(len(scenario.node_names)):
        cons = scenario.node(k)[1]
        if cons.failure is None:
            continue
        for j in range(cons.count):
            up = Stream(cons.failure.time_to_failure.sample, make_rng(seed, FAILURE, k, j, 0)).next
            down = Stream(cons.failure.repair.sample, make_rng(seed, FAILURE, k, j, 1)).next
            t, spans = 0.0, []
            while True:
                t += up()
                if t >= horizon:
                    break
                back = t + down()
                spans.append((t, back))
                t = back
            out[(k, j)] = spans
    return out


def restart_schedule(scenario: Scenario, seed: int, horizon: float) -> list[tuple[float, float]]:
    """(down, back) times of the broker inside ``horizon``, as :mod:`mqsim.sim.simpy.restarts` draws them."""
    r = scenario.restarts
    if r is None:
        return []
    up = Stream(r.every.sample, make_rng(seed, RESTART, 0)).next if r.every is not None else None
    down = Stream(r.downtime_dist.sample, make_rng(seed, RESTART, 1)).next
    fixed = list(r.times)
    now, t_ren = 0.0, (up() if up is not None else math.inf)
    out: list[tuple[float, float]] = []
    while True:
        fixed = [t for t in fixed if t >= now]
        t = min(fixed[0] if fixed else math.inf, t_ren)
        if t >= horizon:
            return out
        if fixed and fixed[0] <= t:
            fixed.pop(0)
        d = down()
        out.append((t, t + d))
        now = t + d
        if up is not None:
            t_ren = now + up()


def _root(parent: Any, mid: int) -> int:
    while parent is not None and parent[mid] >= 0:
        mid = parent[mid]
    return mid


def make_plan(scenario: Scenario, seed: int, horizon: float) -> Plan:
    """Run the simulator on ``scenario`` with ``seed`` over ``[0, horizon)`` and extract its sample path."""
    box: dict[str, Records] = {}
    reqs: dict[tuple[int, int], list[float]] = {}
    verdicts: dict[tuple[int, int], list[int]] = {}

    def records(sc: Scenario, h: float, trace: bool = True) -> Records:
        box["rec"] = Records(sc, h, trace=trace)
        return box["rec"]

    def key(ev: Any) -> tuple[int, int]:
        rec = box["rec"]
        return scenario.node_names.index(ev.queue), _root(rec.parent, ev.message)

    def on_deliver(ev: Any) -> None:
        reqs.setdefault(key(ev), []).append(float(box["rec"].service[ev.message]))

    def on_settle(ev: Any) -> None:
        v = 0 if ev.kind == "ack" else (1 if ev.cause == "requeue" else 2)
        verdicts.setdefault(key(ev), []).append(v)

    hooks = simpy_engine.check_handlers({"deliver": on_deliver, "ack": on_settle, "nack": on_settle})
    rec = simpy_engine.run(scenario, seed, horizon, hooks, True, records=records)
    sim = Result(scenario, rec, horizon=horizon, warmup=0.0, seed=seed, engine="simpy")
    a = sim.arrays
    roots = np.nonzero(a["parent"] < 0)[0]
    index = {int(s): n for n, s in enumerate(roots)}  # sim id -> plan id
    prio = a["priority"][roots]  # as the queue sees it: publishing the clipped value changes nothing
    return Plan(scenario=scenario, seed=seed, horizon=horizon, sim=sim, sim_id=roots, t_publish=a["t_publish"][roots],
                producer=a["producer"][roots], priority=prio, cls=a["cls"][roots],
                requirements={(k, index[m]): v for (k, m), v in reqs.items()},
                verdicts={(k, index[m]): v for (k, m), v in verdicts.items()},
                crashes=crash_schedule(scenario, seed, horizon), restarts=restart_schedule(scenario, seed, horizon))
