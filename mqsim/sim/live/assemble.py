"""From what the clients and the broker reported to the run's :class:`~mqsim.sim.records.Records`.

Each message's state *at the horizon* is decided from the broker's own reports, in this order:

1. the publisher's confirm: a publish the broker nacked is dropped (``reject-publish``); one made
   while the broker was down, or returned unroutable because a restart had deleted the queue, is
   dropped (``broker-down``);
2. an ack by a consumer before the horizon: acked;
3. a dead-letter report (the ``x-death`` reason the observer read) before the horizon: dead-lettered
   into a stage (when the queue has one) or dropped / expired, with the reason as the cause
   (``expired``; ``maxlen`` -> ``drop-head``, or ``reject-publish`` for ``reject-publish-dlx``;
   ``rejected``; ``delivery_limit`` -> ``delivery-limit``);
4. held by a consumer at the horizon: in flight;
5. found in its queue when the queue is drained after the horizon: ready;
6. none of these: lost (cause ``restart`` if a broker restart came after it was last seen).

Records use the live clock (scenario seconds since the run started). Message ids: the plan's
messages first (id = plan id, publish order), then the copies the broker dead-lettered into
stages, in order of appearance. Extra columns: ``sim_id`` (the simulator's id of the same message,
-1 if the simulator has no such copy), ``fate`` (the publish answer: confirmed, nacked,
unroutable, refused, unconfirmed; empty for copies), ``death`` (the ``x-death`` reason or "").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mqsim.model.outcomes import (BROKER_DOWN, DELIVERY_LIMIT, DROP_HEAD, EXPIRED, LOST, REJECT_PUBLISH, REJECTED,
                                  RESTART)
from mqsim.sim.live.plan import Plan
from mqsim.sim.records import Records

__all__ = ["Reports", "assemble"]

_NAN = math.nan


@dataclass
class Reports:
    """Everything a live run observed (times in scenario seconds)."""

    pub: list[list[Any]]  # per plan id: [t_publish, fate, t_fate]
    attempts: list[tuple[Any, ...]]  # consumer rows, see clients.Consumer
    deaths: list[tuple[int, int, str, float]]  # (plan id, queue index, reason, time)
    drained: list[tuple[int, int, float]]  # (plan id, queue index, time)
    restarts: list[tuple[float, float]] = field(default_factory=list)  # (down, back) as they happened


def _cause(plan: Plan, k: int, reason: str) -> int:
    if reason == "maxlen":
        return REJECT_PUBLISH if plan.scenario.node(k)[0].overflow == "reject-publish-dlx" else DROP_HEAD
    return {"expired": EXPIRED, "rejected": REJECTED, "delivery_limit": DELIVERY_LIMIT}.get(reason, LOST)


class _Builder:
    """Per-message rows, filled one message (queue index, plan id) at a time."""

    def __init__(self, plan: Plan, rep: Reports):
        self.plan, self.rep, self.h = plan, rep, plan.horizon
        self.rows: dict[tuple[int, int], dict[str, Any]] = {}
        self.order: list[tuple[int, int]] = [(0, m) for m in range(plan.n)]
        self.by_msg: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
        for row in rep.attempts:
            self.by_msg.setdefault((row[1], row[0]), []).append(row)
        self.deaths: dict[tuple[int, int], tuple[str, float]] = {}
        for m, k, reason, t in sorted(rep.deaths, key=lambda r: r[3]):
            self.deaths.setdefault((k, m), (reason, t))
        self.drained = {(k, m) for m, k, _ in rep.drained}
        names = plan.scenario.node_names
        self.dl_target = [names.index(plan.scenario.node(k)[0].dead_letter)
                          if plan.scenario.node(k)[0].dead_letter else -1 for k in range(len(names))]
        self.attempt_log: list[tuple[int, float, float]] = []
        self.sim_copy = self._sim_copies()

    def _sim_copies(self) -> dict[tuple[int, int], int]:
        a = self.plan.sim.arrays
        plan_of = {int(s): n for n, s in enumerate(self.plan.sim_id)}
        out: dict[tuple[int, int], int] = {}
        for s in np.nonzero(a["parent"] >= 0)[0]:
            r = int(s)
            while a["parent"][r] >= 0:
                r = int(a["parent"][r])
            out.setdefault((int(a["node"][s]), plan_of[r]), int(s))
        return out

    def _copies(self) -> None:
        """Queue the dead-lettered copies (into stages) for building, in order of appearance."""
        seen = set(self.order)
        events = sorted(((t, k, m) for (k, m), (_, t) in self.deaths.items() if t < self.h), key=lambda e: e[0])
        for _, k, m in events:
            tgt = self.dl_target[k] if k >= 0 else -1
            if tgt >= 0 and (tgt, m) not in seen:
                self.order.append((tgt, m))
                seen.add((tgt, m))

    def build(self) -> list[dict[str, Any]]:
        self._copies()
        for idx, key in enumerate(self.order):
            self.rows[key] = self._one(idx, key)
        return [self.rows[key] for key in self.order]

    def _base(self, idx: int, k: int, m: int) -> dict[str, Any]:
        plan = self.plan
        if k == 0:
            t_pub, fate = self.rep.pub[m][0], self.rep.pub[m][1]
            parent, sim_id = -1, int(plan.sim_id[m])
        else:
            src = next(s for s in range(len(self.dl_target)) if self.dl_target[s] == k and (s, m) in self.deaths)
            t_pub, fate = self.deaths[(src, m)][1], ""
            parent, sim_id = self.order.index((src, m)), self.sim_copy.get((k, m), -1)
        return {"t_publish": t_pub, "producer": int(plan.producer[m]), "priority": int(plan.priority[m]),
                "cls": int(plan.cls[m]), "node": k, "parent": parent, "sim_id": sim_id, "fate": fate, "death": "",
                "t_deliver": _NAN, "t_start": _NAN, "t_done": _NAN, "consumer": -1, "cause": 0, "deliveries": 0,
                "prior": 0.0, "dead_lettered": False, "service": _NAN, "idx": idx}

    def _one(self, idx: int, key: tuple[int, int]) -> dict[str, Any]:
        k, m = key
        r = self._base(idx, k, m)
        rows = sorted((x for x in self.by_msg.get(key, []) if x[3] < self.h), key=lambda x: (x[3], x[8]))
        r["deliveries"] = len(rows)
        started = [x for x in rows if not math.isnan(x[4])]
        if started:
            r["service"] = started[-1][7]
        acks = [x for x in rows if x[6] == "ack" and x[5] < self.h]
        for x in started:
            if x[6] != "ack" and not math.isnan(x[5]) and x[5] <= self.h and (not acks or x[5] <= acks[0][5]):
                r["prior"] += x[5] - x[4]
                self.attempt_log.append((idx, x[4], x[5]))
        if r["fate"] in ("nacked", "refused", "unroutable"):
            r["cause"] = REJECT_PUBLISH if r["fate"] == "nacked" else BROKER_DOWN
            r["t_done"] = self.rep.pub[m][2] if r["fate"] != "refused" else r["t_publish"]
            return r
        if acks:
            a = acks[0]
            r.update(t_deliver=a[3], t_start=a[4], t_done=a[5], consumer=a[2], service=a[7])
            return r
        death = self.deaths.get(key)
        if death is not None and death[1] < self.h:
            r["death"], r["t_done"], r["cause"] = death[0], death[1], _cause(self.plan, k, death[0])
            r["dead_lettered"] = self.dl_target[k] >= 0  # a copy went to the stage
            return r
        held = [x for x in rows if x[6] == "inflight"]
        if held:
            x = held[-1]
            r.update(t_deliver=x[3], t_start=x[4], consumer=x[2])
            return r
        if key in self.drained or (death is not None and death[1] >= self.h):
            return r  # ready at the horizon
        last_seen = max([r["t_publish"], *[x[3] for x in rows]])
        lost_in_restart = any(down >= last_seen - 1e-9 for down, _ in self.rep.restarts if down < self.h)
        r["cause"] = RESTART if lost_in_restart else LOST
        r["t_done"] = next((down for down, _ in self.rep.restarts if down >= last_seen - 1e-9), r["t_publish"])
        return r


def assemble(plan: Plan, rep: Reports) -> tuple[Records, dict[str, Any]]:
    """The run's records (conservation checked) and a few cross-checks of the broker's reports."""
    b = _Builder(plan, rep)
    rows = b.build()
    rec = Records(plan.scenario, plan.horizon, trace=False)
    n = len(rows)
    for name in ("t_publish", "service"):
        getattr(rec, name).extend(float(r[name]) for r in rows)
    rec.producer.extend(r["producer"] for r in rows)
    rec.priority.extend(r["priority"] for r in rows)
    while rec.capacity < n:
        rec.reserve()
    rec.trim()
    for i, r in enumerate(rows):
        for name in ("t_deliver", "t_start", "t_done", "consumer", "cause", "deliveries", "prior", "dead_lettered",
                     "node", "cls", "parent"):
            col = getattr(rec, name)
            if col is not None:
                col[i] = r[name]
    for idx, start, end in b.attempt_log:
        rec.log_attempt(idx, start, end)
    rec.extra.update(sim_id=[r["sim_id"] for r in rows], fate=[r["fate"] for r in rows],
                     death=[r["death"] for r in rows])
    _count(rec, rows)
    rec.check_conservation()
    return rec, _checks(plan, rep, rows)


def _count(rec: Records, rows: list[dict[str, Any]]) -> None:
    """The records' counters, tallied from the decided states (conservation then re-derives them)."""
    for r in rows:
        c, done = r["cause"], not math.isnan(r["t_done"])
        if r["dead_lettered"]:
            rec.n_dead += 1
        elif c == EXPIRED:
            rec.n_expired += 1
        elif c in (LOST, RESTART):
            rec.n_lost += 1
        elif c:
            rec.n_dropped += 1
        elif done:
            rec.n_acked += 1
        elif not math.isnan(r["t_deliver"]):
            rec.final_inflight += 1
        else:
            rec.final_ready += 1


def _checks(plan: Plan, rep: Reports, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Cross-checks and facts of the run (counts; publish lateness in ms of real time)."""
    fates = [p[1] for p in rep.pub]
    late = np.array([p[0] - t for p, t in zip(rep.pub, plan.t_publish) if not math.isnan(p[0])])
    acks: dict[tuple[int, int], int] = {}
    for x in rep.attempts:
        if x[6] == "ack":
            acks[(x[1], x[0])] = acks.get((x[1], x[0]), 0) + 1
    return {
        "published": plan.n, **{f"publish_{f}": fates.count(f) for f in ("confirmed", "nacked", "unroutable",
                                                                          "refused", "unconfirmed")},
        "dead_letter_reports": len(rep.deaths), "drained": len(rep.drained),
        "duplicate_acks": sum(v - 1 for v in acks.values() if v > 1),
        "unaccounted": sum(1 for r in rows if r["cause"] == LOST),
        "fallback_draws": plan.fallbacks,
        "publish_lateness_mean_s": float(late.mean()) if late.size else _NAN,
        "publish_lateness_max_s": float(late.max()) if late.size else _NAN,
        "restarts": list(rep.restarts),
    }
