"""End-to-end journeys: what happened to each *original* message in a network of queues.

In a scenario with stages, one message a producer publishes can become several records: each
route after an ack publishes a *copy* to the next stage (``parent`` = the hop before it), and a
dead-letter stage receives a copy of every message its queue drops. The per-queue rows of a
summary describe the hops; the overall and per-producer rows describe **journeys**:

* a journey starts when a producer publishes an original message (``parent == -1``) and follows
  its route copies (the copy a consumer publishes onward after an ack) through the *pipeline*:
  the main queue and every stage reachable from it by routes;
* it ends at the hop that has no route copy: **acked** if that hop was acked (the message made
  it through), otherwise with that hop's fate (dropped, expired, dead-lettered, lost), or is
  still open (ready, in flight) at the horizon. A dead-letter copy is not part of the journey:
  the journey ended, dead-lettered, where its original was dropped;
* its sojourn is the time from the original's publish to the journey's end; its wait is the sum
  of the waits of its hops (publish, or requeue, to service start, without earlier unfinished
  attempts), counted once its first hop has started;
* utilisation is the busy fraction of the pipeline's consumers (dead-letter consumers excluded).

So with one queue a journey is a message and nothing changes. :func:`journeys` computes the
journeys of a full run at once (vectorised); :class:`JourneyFolder` folds hops into journeys
as they finish, for ``records="summary"``; both give the same journeys.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["pipeline_nodes", "journeys", "JourneyFolder"]

_ACKED, _IN_FLIGHT, _READY = 0, 2, 3


def pipeline_nodes(scenario: Any) -> list[int]:
    """Queue indices on the pipeline: the main queue and the stages routes reach from it."""
    names = list(getattr(scenario, "node_names", ("main",)))
    routes = getattr(scenario, "routes", {}) or {}
    seen, todo = {0}, [names[0]]
    while todo:
        for dst, p in routes.get(todo.pop(), {}).items():
            k = names.index(dst)
            if p > 0 and k not in seen:
                seen.add(k)
                todo.append(dst)
    return sorted(seen)


def journeys(a: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The journeys of a full run from its per-message arrays (``Result.arrays``).

    Returns arrays with one entry per original message, in publish order: ``id`` (the
    original's), ``producer``, ``t_publish``, ``t_start`` (= t_publish + total wait if the first
    hop started, else NaN), ``t_done`` (journey end, NaN if open), ``outcome`` and
    ``deliveries`` (1 + redeliveries over all hops), plus ``root`` (per message: the id of its
    journey's original, -1 for a dead-letter copy).
    """
    parent, outcome = a["parent"], a["outcome"]
    n = len(parent)
    ids = np.arange(n)
    has_parent = parent >= 0
    # a dead-letter copy's parent was dropped; a route copy's parent was acked
    route_copy = has_parent & (outcome[np.where(has_parent, parent, 0)] == _ACKED)
    root = np.where(has_parent, -1, ids)
    for _ in range(n):  # follow route copies back to their original (depth <= number of stages)
        step = route_copy & (root < 0) & (root[np.where(has_parent, parent, 0)] >= 0)
        if not step.any():
            break
        root[step] = root[parent[step]]
    member = root >= 0
    orig = ids[~has_parent]
    index = np.full(n, -1)
    index[orig] = np.arange(len(orig))
    j = index[root[member]]
    last = np.full(len(orig), -1)
    np.maximum.at(last, j, ids[member])  # a journey's hops are a chain: its last hop has the largest id
    started = ~np.isnan(a["t_start"][member])
    wait = np.zeros(len(orig))
    hop_wait = (a["t_start"] - a["t_publish"] - a["prior"])[member]
    np.add.at(wait, j[started], hop_wait[started])
    extra = np.zeros(len(orig), dtype=np.int64)
    np.add.at(extra, j, np.clip(a["deliveries"][member] - 1, 0, None))
    first_started = ~np.isnan(a["t_start"][orig])
    end_outcome = outcome[last]
    open_ = (end_outcome == _IN_FLIGHT) | (end_outcome == _READY)
    return {"id": orig, "producer": a["producer"][orig], "t_publish": a["t_publish"][orig],
            "t_start": np.where(first_started, a["t_publish"][orig] + wait, np.nan),
            "t_done": np.where(open_, np.nan, a["t_done"][last]), "outcome": end_outcome,
            "deliveries": 1 + extra, "root": root}


class JourneyFolder:
    """Folds hops, fed in id order and in chunks, into finished journeys (``records="summary"``).

    A journey's state waits in :attr:`pending` under the id of its next hop (its route copy)
    until that hop is fed; journeys that end, and at :meth:`close` the open ones, come out of
    :meth:`fold` as arrays shaped like the per-message arrays :func:`journeys` returns.
    """

    def __init__(self) -> None:
        self.pending: dict[int, list[Any]] = {}  # next hop id -> [t_publish, wait, started, producer, extra]

    def fold(self, ids: np.ndarray, parent: np.ndarray, child: np.ndarray, producer: np.ndarray,
             t_publish: np.ndarray, t_start: np.ndarray, t_done: np.ndarray, outcome: np.ndarray,
             prior: np.ndarray, deliveries: np.ndarray) -> dict[str, np.ndarray]:
        """Feed hops (arrays in id order; ``child``: id of the hop's route copy, -1 for none).

        A producer's message that goes no further (no parent, no route copy) is a journey of
        one hop: those are done in bulk, the others one by one; the journeys come out in the
        order of their last hops either way."""
        parent, child, outcome = np.asarray(parent), np.asarray(child), np.asarray(outcome)
        single = (parent < 0) & (child < 0)
        rest = np.flatnonzero(~single)
        out: list[tuple[Any, ...]] = []
        at: list[int] = []  # the hop each journey in `out` ended at
        for m in rest.tolist():
            state: list[Any]
            if parent[m] < 0:
                state = [t_publish[m], 0.0, t_start[m] == t_start[m], int(producer[m]), 0]
            else:
                popped = self.pending.pop(int(ids[m]), None)
                if popped is None:
                    continue  # a dead-letter copy: its journey ended at its parent
                state = popped
            if t_start[m] == t_start[m]:
                state[1] += t_start[m] - t_publish[m] - prior[m]
            state[4] += max(int(deliveries[m]) - 1, 0)
            if child[m] >= 0:
                self.pending[int(child[m])] = state
            else:
                o = int(outcome[m])
                end = math.nan if o in (_IN_FLIGHT, _READY) else t_done[m]
                out.append((state[0], state[0] + state[1] if state[2] else math.nan, end, o, state[3], 1 + state[4]))
                at.append(m)
        return _merge(_single_hops(single, producer, t_publish, t_start, t_done, outcome, prior, deliveries),
                      np.flatnonzero(single), _as_arrays(out), np.asarray(at, dtype=np.int64))


def _single_hops(sel: np.ndarray, producer: np.ndarray, t_publish: np.ndarray, t_start: np.ndarray,
                 t_done: np.ndarray, outcome: np.ndarray, prior: np.ndarray,
                 deliveries: np.ndarray) -> dict[str, np.ndarray]:
    """Journeys of one hop, with the operations :meth:`JourneyFolder.fold` does one at a time."""
    tp, ts = np.asarray(t_publish, dtype=float)[sel], np.asarray(t_start, dtype=float)[sel]
    o = np.asarray(outcome, dtype=np.int64)[sel]
    started = ts == ts
    wait = 0.0 + (ts - tp - np.asarray(prior, dtype=float)[sel])
    return {"t_publish": tp, "t_start": np.where(started, tp + wait, np.nan),
            "t_done": np.where((o == _IN_FLIGHT) | (o == _READY), np.nan, np.asarray(t_done, dtype=float)[sel]),
            "outcome": o, "producer": np.asarray(producer, dtype=np.int64)[sel],
            "deliveries": 1 + np.maximum(np.asarray(deliveries, dtype=np.int64)[sel] - 1, 0)}


def _merge(a: dict[str, np.ndarray], a_at: np.ndarray,
           b: dict[str, np.ndarray], b_at: np.ndarray) -> dict[str, np.ndarray]:
    """Two sets of journeys in the order of the hops they ended at."""
    if not len(b_at):
        return a
    order = np.argsort(np.concatenate([a_at, b_at]), kind="stable")
    return {k: np.concatenate([a[k], b[k]])[order] for k in a}


def _as_arrays(rows: list[tuple[Any, ...]]) -> dict[str, np.ndarray]:
    cols = list(zip(*rows)) if rows else [()] * 6
    return {"t_publish": np.asarray(cols[0], dtype=float), "t_start": np.asarray(cols[1], dtype=float),
            "t_done": np.asarray(cols[2], dtype=float), "outcome": np.asarray(cols[3], dtype=np.int64),
            "producer": np.asarray(cols[4], dtype=np.int64), "deliveries": np.asarray(cols[5], dtype=np.int64)}
