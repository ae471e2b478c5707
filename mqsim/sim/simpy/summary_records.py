"""``records="summary"`` for the SimPy engine: flat memory without touching :mod:`mqsim.engine`.

The SimPy engine writes per-message columns into a :class:`mqsim.records.Records`, indexing
them by message id. Here the engine runs unchanged with a :class:`WindowRecords` instead,
whose columns are :class:`WindowList` s: lists that keep only a window of recent message ids
``[base, published)`` while answering to absolute ids. Whenever the engine pre-extends its
columns (every ``BLOCK`` messages) and the window is large enough, the finished prefix of the
window (messages acked, dropped, expired, dead-lettered or lost) goes to a
:class:`mqsim.summary.SummaryStats` and is cut off. Memory is then proportional to the number
of messages published since the oldest one still in the system, not to the run length.

Reading a column at an id that already left the window returns a "finished" value (``-inf``
for times, ``-1`` for codes, ``True`` for flags): the engine only does that for messages it
forgets lazily (TTL heap entries, expired entries in the ready deques), and only to ask "is it
still ready?", which those values answer "no". Writing there raises ``IndexError``.

The engine is handed these records through its ``records`` factory argument
(``engine.run(..., records=...)``).
"""

from __future__ import annotations

import math
from typing import Any, Callable, cast

import numpy as np

from mqsim.analysis.streaming import SummaryStats
from mqsim.model.scenario import Scenario
from mqsim.sim.records import Records, outcome_codes
from mqsim.sim.result import SummaryResult
from mqsim.sim.records import COLUMNS
from mqsim.sim.simpy import engine

__all__ = ["run_summary", "WindowRecords", "WindowList"]

#: window length (messages) at which the first compaction is tried; doubles while the
#: unfinished part of the window stays above half of it
FIRST_LIMIT = 1 << 15
_EVICTED = {"float": -math.inf, "int": -1, "bool": True}
_FLOAT_COLS = {"t_publish", "t_deliver", "t_start", "t_done", "service", "prior"}
_BOOL_COLS = {"dead_lettered"}
_ATTEMPT_COLS = ("a_mid", "a_start", "a_end")  # a log of service attempts, not indexed by message id


class _Window:
    __slots__ = ("base", "compacted_at", "limit", "owner")

    def __init__(self, owner: "WindowRecords"):
        self.base = 0
        self.compacted_at = -1
        self.limit = FIRST_LIMIT
        self.owner = owner


class WindowList(list):
    """A per-message column that keeps only ids ``[base, len)``; indexed by absolute id."""

    __slots__ = ("win", "evicted", "base")

    def __init__(self, win: _Window, evicted: Any):
        super().__init__()
        self.win = win
        self.evicted = evicted
        self.base = 0  # a copy of win.base, one attribute lookup away (hot path)

    def __len__(self, _len: Callable = list.__len__) -> int:
        return _len(self) + self.base

    def __getitem__(self, i: Any, _get: Callable = list.__getitem__) -> Any:
        j = i - self.base
        if j >= 0:
            return _get(self, j)
        if i < 0:
            raise IndexError("WindowList: negative (from-the-end) indexing is not supported")
        return self.evicted

    def __setitem__(self, i: Any, v: Any, _set: Callable = list.__setitem__) -> None:
        j = i - self.base
        if j < 0:
            raise IndexError(f"message {i} has already left the summary window (base {self.base})")
        _set(self, j, v)

    def extend(self, values: Any) -> None:  # type: ignore[override]
        n = len(self)
        if n != self.win.compacted_at:  # first column pre-extended at this length: columns agree now
            self.win.compacted_at = n
            self.win.owner.maybe_compact()
        list.extend(self, values)

    def local(self) -> list:
        """The kept entries as a plain list (ids ``base ..``)."""
        return list.__getitem__(self, slice(None))


class WindowRecords(Records):
    """:class:`mqsim.records.Records` whose per-message columns are windows (see module doc)."""

    def __init__(self, scenario: Scenario, horizon: float, *, warmup: float, trace: bool = False):
        super().__init__(scenario, horizon, trace=False)
        self.stats = SummaryStats(scenario, warmup, horizon)
        self.win = _Window(self)
        self.window_cols: dict[str, WindowList] = {}
        for name in COLUMNS:
            if getattr(self, name) is not None:
                kind = "float" if name in _FLOAT_COLS else "bool" if name in _BOOL_COLS else "int"
                col = WindowList(self.win, _EVICTED[kind])
                setattr(self, name, col)
                self.window_cols[name] = col
        self._finished = False

    # ---- compaction -----------------------------------------------------------------------
    def _col(self, name: str, lo: int, hi: int, dtype: Any, fill: Any) -> np.ndarray:
        col = self.window_cols.get(name)
        if col is None or list.__len__(col) < hi:
            return np.full(hi - lo, fill, dtype=dtype)
        return np.asarray(list.__getitem__(col, slice(lo, hi)), dtype=dtype)

    def _feed(self, hi: int) -> None:
        """Hand window rows [0, hi) and the logged service attempts to the statistics."""
        self._feed_attempts()
        if hi <= 0:
            return
        c = self._col
        t_deliver, t_done = c("t_deliver", 0, hi, float, math.nan), c("t_done", 0, hi, float, math.nan)
        cause, dl = c("cause", 0, hi, np.int8, 0), c("dead_lettered", 0, hi, bool, False)
        outcome = outcome_codes(t_deliver, t_done, cause, dl)
        delivered = ~np.isnan(t_deliver)
        self.stats.add(producer=c("producer", 0, hi, np.int64, 0), priority=c("priority", 0, hi, np.int64, 0),
                       node=c("node", 0, hi, np.int64, 0), t_publish=c("t_publish", 0, hi, float, math.nan),
                       t_start=c("t_start", 0, hi, float, math.nan), t_done=t_done, outcome=outcome,
                       prior=c("prior", 0, hi, float, 0.0),
                       deliveries=c("deliveries", 0, hi, np.int64, 0) if "deliveries" in self.window_cols
                       else delivered.astype(np.int64), **self._lineage(hi, outcome))

    def _lineage(self, hi: int, outcome: np.ndarray) -> dict[str, Any]:
        """ids, parents and route children of window rows [0, hi) (with stages; else nothing)."""
        if "parent" not in self.window_cols:
            return {}
        base = self.win.base
        parent = np.asarray(self.window_cols["parent"].local(), dtype=np.int64)  # the whole window
        child = np.full(hi, -1, dtype=np.int64)
        rows = np.nonzero((parent >= base) & (parent < base + hi))[0]
        child[parent[rows] - base] = base + rows  # a copy's parent is in the window while the copy is
        child[outcome != 0] = -1  # only an acked hop continues (a dropped one's copy is a dead letter)
        return {"ids": base + np.arange(hi, dtype=np.int64), "parent": parent[:hi], "child": child}

    def _feed_attempts(self) -> None:
        a_mid = getattr(self, "a_mid", None)
        if not a_mid:
            return
        base = self.win.base
        ids = np.asarray(a_mid, dtype=np.int64) - base

        def pick(name: str, fill: int) -> np.ndarray:
            if name in self.window_cols:
                return np.asarray(self.window_cols[name].local(), dtype=np.int64)[ids]
            return np.full(len(ids), fill, dtype=np.int64)

        self.stats.add_attempts(producer=pick("producer", 0), priority=pick("priority", 0), node=pick("node", 0),
                                start=np.asarray(self.a_start, dtype=float), end=np.asarray(self.a_end, dtype=float))
        for name in _ATTEMPT_COLS:
            del getattr(self, name)[:]

    def maybe_compact(self) -> None:
        """Move the finished prefix of the window to the statistics, if the window is long."""
        win = self.win
        done_col = self.window_cols["t_done"]
        n = list.__len__(done_col)  # pre-extended columns all have this length now
        if n < win.limit:
            return
        finished = ~np.isnan(np.asarray(done_col.local(), dtype=float))
        u = n if finished.all() else int(np.argmin(finished))
        if u:
            self._feed(u)
            win.base += u
            for col in self.window_cols.values():
                list.__delitem__(col, slice(0, u))
                col.base = win.base
        if n - u > win.limit // 2:
            win.limit *= 2

    # ---- end of run (the engine calls trim, sets the counters, then check_conservation) ------
    def trim(self) -> None:
        n = list.__len__(self.window_cols["t_publish"])
        for col in self.window_cols.values():
            list.__delitem__(col, slice(n, None))

    def arrays(self) -> dict[str, np.ndarray]:
        raise ValueError("records='summary' keeps no per-message rows; rerun with records='full'")

    def check_conservation(self) -> None:
        if not self._finished:
            self._feed(list.__len__(self.window_cols["t_publish"]))
            self._finished = True
        self.stats.check_conservation(self.counters())


def run_summary(scenario: Scenario, horizon: float, warmup: float, seed: int,
                handlers: dict[str, list[Any]]) -> SummaryResult:
    """The SimPy engine with streaming statistics (no per-message rows, no trace); arguments
    already validated by :func:`mqsim.simulate`."""

    def records_factory(sc: Scenario, h: float, *, trace: bool = False) -> WindowRecords:
        return WindowRecords(sc, h, warmup=warmup)

    rec = cast(WindowRecords, engine.run(scenario, seed, horizon, handlers, False, records=records_factory))
    return SummaryResult(scenario, rec.stats, horizon=horizon, warmup=warmup, seed=seed, engine="simpy")
