"""Columnar run records: one entry per message, one step series per queue.

The engine writes typed, growable :mod:`array` columns while it runs (compact, and as cheap to
append and index as a list) and :class:`mqsim.Result` turns them into numpy arrays and pandas
frames afterwards.
Times are in simulated seconds.

A message's outcome is derived from its columns (:mod:`mqsim.model.outcomes`).
"""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np

from mqsim.model.outcomes import OUTCOMES, ConservationError, outcome_codes
from mqsim.model.scenario import Scenario
from mqsim.sim.streams import BLOCK

__all__ = ["Records", "COLUMNS", "PUBLISH_COLUMNS", "TRACE_COLUMNS", "optional_columns", "RECORD_MODES",
           "check_records_mode"]


#: per-message columns: storage (an :mod:`array` typecode), exported numpy dtype, fill
#: value. Typed arrays hold a float in 8 bytes (a list: a 24-byte float object and a pointer) and a
#: small int in 1-4; indexing one costs a little more than a list's (measured: under 2 % of the
#: engine's instructions per message), and the whole record of a plain run is about 60 bytes.
COLUMNS: dict[str, tuple[str, Any, Any]] = {
    "t_publish": ("d", np.float64, math.nan), "producer": ("i", np.int64, 0), "priority": ("h", np.int64, 0),
    "service": ("d", np.float64, math.nan), "t_deliver": ("d", np.float64, math.nan),
    "t_start": ("d", np.float64, math.nan), "t_done": ("d", np.float64, math.nan),
    "consumer": ("i", np.int64, -1), "cause": ("b", np.int8, 0), "deliveries": ("i", np.int64, 0),
    "prior": ("d", np.float64, 0.0), "dead_lettered": ("b", np.bool_, False), "node": ("h", np.int64, 0),
    "cls": ("h", np.int64, 0), "parent": ("i", np.int64, -1),
}
#: appended at publish; every other column is pre-extended in blocks and written as the message moves
PUBLISH_COLUMNS = ("t_publish", "producer", "priority", "service")
#: the queue-length step series: time, queue index, ready, in flight, busy consumers (exported
#: dtypes). New steps go to short lists (fast appends); every :data:`TRACE_CHUNK` steps they move to
#: the archive as numpy chunks, each int column in the smallest dtype its values fit (a column that
#: does not change in a chunk, such as the queue index of a one-queue run, keeps just one value).
TRACE_COLUMNS: dict[str, Any] = {
    "q_time": np.float64, "q_node": np.int64, "q_ready": np.int64, "q_inflight": np.int64, "q_busy": np.int64,
}
TRACE_CHUNK = 1 << 14
#: messages checked at a time by :meth:`Records.check_conservation`
CHECK_CHUNK = 1 << 16


def _pack(values: list) -> tuple[Any, int]:
    """A chunk of one trace column in compact form: (numpy array or a single repeated value, length)."""
    a = np.asarray(values)
    if a.dtype.kind == "f":
        return a.astype(np.float64), len(a)
    lo, hi = int(a.min()), int(a.max())
    if lo == hi:
        return lo, len(a)
    for dtype in (np.uint8, np.uint16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return a.astype(dtype), len(a)
    return a.astype(np.int64), len(a)


def _unpack(chunk: tuple[Any, int], dtype: Any) -> np.ndarray:
    values, n = chunk
    return np.full(n, values, dtype=dtype) if np.isscalar(values) else np.asarray(values, dtype=dtype)


def _column(code: str, values: Any = ()) -> Any:
    """A new column: a typed :mod:`array` of ``code`` holding ``values``."""
    return array(code, values)


def optional_columns(scenario: Any) -> set[str]:
    """The per-message columns a scenario can ever set to something other than their fill value.

    A column outside this set is not stored at all (its fill value is exported), so a plain
    M/M/c run keeps 7 compact columns per message instead of 15.
    """
    stages = bool(getattr(scenario, "stages", ()))
    nodes = [scenario.node(k) for k in range(len(getattr(scenario, "node_names", ("main",))))]
    redeliver = any(c.has_outcomes or c.failure is not None for _, c in nodes if hasattr(c, "has_outcomes"))
    redeliver = redeliver or getattr(scenario, "restarts", None) is not None
    mixes = any(not isinstance(p.priority, int) or p.trace is not None for p in scenario.producers)
    out = set()
    if stages:
        out |= {"node", "parent", "cls"}
    if mixes:
        out.add("cls")
    if redeliver:
        out |= {"prior", "deliveries"}
    if any(q.dead_letter is not None for q, _ in nodes if hasattr(q, "dead_letter")):
        out.add("dead_lettered")
    return out


class Records:
    """What one run leaves behind; filled by an engine, read by :class:`mqsim.Result`.

    Per-message columns (index = message id, in publish order), stored as typed, growable
    :mod:`array` columns (see :data:`COLUMNS`): ``producer`` (index), ``priority`` (effective),
    ``node`` (queue index: 0 = main, then the stages), ``cls`` (index of the producer's
    priority level the message was published with), ``parent`` (id of the message this one
    copies or continues, -1 for a producer's own), ``t_publish``, ``t_deliver`` (latest
    delivery), ``t_start`` (latest service start), ``t_done`` (ack or the time it left),
    ``consumer`` (-1 if not at a consumer), ``cause`` (see :data:`DROP_CAUSES`), ``service``
    (requirement, s), ``deliveries`` (count), ``prior`` (seconds of earlier, unfinished service
    attempts), ``dead_lettered``. Columns the scenario cannot use are ``None`` (see
    :func:`optional_columns`); ``deliveries`` is then derived (1 if delivered). An engine
    appends the :data:`PUBLISH_COLUMNS` of each new message and calls :meth:`reserve` to
    pre-extend the others before writing them by index.

    ``node_state(k)`` is the live counter list ``[n_ready, n_inflight, n_busy]`` of queue
    ``k``; with ``trace`` on, :meth:`snapshot` appends it with the time to the step series
    (a later snapshot of the same queue at the same time replaces the earlier one).
    Service attempts that did not end in an ack (nack, crash) are logged by :meth:`log_attempt`
    so utilisation counts them. Memory: about 72 bytes per message for a plain run, plus about
    14 bytes per queue-length step with ``trace`` (about two steps per message).
    """

    # the columns (typed arrays while an engine writes them; numpy arrays from the fast engine;
    # ``None`` when the scenario cannot use them)
    t_publish: Any
    producer: Any
    priority: Any
    service: Any
    t_deliver: Any
    t_start: Any
    t_done: Any
    consumer: Any
    cause: Any
    deliveries: Any
    prior: Any
    dead_lettered: Any
    node: Any
    cls: Any
    parent: Any
    q_time: Any
    q_node: Any
    q_ready: Any
    q_inflight: Any
    q_busy: Any

    __slots__ = ("scenario", "horizon", "trace", *COLUMNS, "capacity", "states", *TRACE_COLUMNS, "a_mid",
                 "a_start", "a_end", "n_acked", "n_dropped", "n_expired", "n_dead", "n_lost", "final_ready",
                 "final_inflight", "extra", "_arrays", "_fills", "_archive")

    def __init__(self, scenario: Scenario, horizon: float, *, trace: bool = True):
        self.scenario = scenario
        self.horizon = float(horizon)
        self.trace = trace
        keep = optional_columns(scenario)
        for name, (code, _, _) in COLUMNS.items():
            required = name in PUBLISH_COLUMNS or name in ("t_deliver", "t_start", "t_done", "consumer", "cause")
            setattr(self, name, _column(code) if required or name in keep else None)
        self.capacity = 0  # length the pre-extended columns have
        self._fills = {name: _column(COLUMNS[name][0], [COLUMNS[name][2]]) * BLOCK
                       for name in COLUMNS if name not in PUBLISH_COLUMNS}
        n_nodes = len(scenario.node_names)
        self.states = [[0, 0, 0] for _ in range(n_nodes)]
        self.q_time, self.q_node = [0.0] * n_nodes, list(range(n_nodes))
        self.q_ready, self.q_inflight, self.q_busy = [0] * n_nodes, [0] * n_nodes, [0] * n_nodes
        self._archive: dict[str, list[tuple[Any, int]]] = {name: [] for name in TRACE_COLUMNS}
        self.a_mid, self.a_start, self.a_end = array("i"), array("d"), array("d")  # the attempt log
        self.n_acked = self.n_dropped = self.n_expired = self.n_dead = self.n_lost = 0
        self.final_ready = 0
        self.final_inflight = 0
        self._arrays: dict[str, np.ndarray] | None = None
        self.extra: dict[str, Any] = {}  # engine-specific per-message columns (e.g. Kafka partition)

    def reserve(self) -> None:
        """Pre-extend every stored column that is written by index by one block of fill values."""
        for name, fill in self._fills.items():
            col = getattr(self, name)
            if col is not None:
                col.extend(fill)
        self.capacity += BLOCK

    def node_state(self, k: int) -> list[int]:
        """The live counters ``[n_ready, n_inflight, n_busy]`` of queue ``k``."""
        return self.states[k]

    @property
    def state(self) -> list[int]:
        """Counters of the main queue (kept for engines that have only one)."""
        return self.states[0]

    def snapshot(self, t: float, k: int = 0) -> None:
        """Record queue ``k``'s counters at time ``t`` (one step of the queue-length series)."""
        st = self.states[k]
        q_time = self.q_time
        if q_time[-1] == t and self.q_node[-1] == k:  # same queue, same instant: the later state wins
            self.q_ready[-1], self.q_inflight[-1], self.q_busy[-1] = st
            return
        if len(q_time) >= TRACE_CHUNK:
            self._archive_steps()
        q_time.append(t)
        self.q_node.append(k)
        self.q_ready.append(st[0])
        self.q_inflight.append(st[1])
        self.q_busy.append(st[2])

    def _archive_steps(self) -> None:
        """Move every step but the latest from the lists to the archive (compact numpy chunks)."""
        for name, arc in self._archive.items():
            col = getattr(self, name)
            arc.append(_pack(col[:-1]))
            del col[:-1]

    def log_attempt(self, mid: int, start: float, end: float) -> None:
        """A service attempt of message ``mid`` from ``start`` to ``end`` (s) that did not end in an ack."""
        self.a_mid.append(mid)
        self.a_start.append(start)
        self.a_end.append(end)

    def trim(self) -> None:
        """Cut the per-message columns an engine pre-extended back to the published count."""
        n = len(self.t_publish)
        for name in COLUMNS:
            col = getattr(self, name)
            if col is not None and len(col) > n:
                del col[n:]

    @property
    def n_published(self) -> int:
        return len(self.t_publish)

    def column(self, name: str) -> np.ndarray:
        """One per-message column as a numpy array of its exported dtype (its fill value if not stored)."""
        _, dtype, fill = COLUMNS[name]
        n = len(self.t_publish)
        col = getattr(self, name)
        if col is None:
            if name == "deliveries":  # nothing is ever redelivered: delivered once or never
                return (~np.isnan(self.column("t_deliver"))).astype(dtype)
            return np.full(n, fill, dtype=dtype)
        return np.asarray(col[:n] if len(col) > n else col, dtype=dtype)

    def _chunk(self, lo: int, hi: int) -> Any:
        """A function of a column name giving rows [lo, hi) of that column (exported dtype)."""
        hi = min(hi, len(self.t_publish))

        def col(name: str) -> np.ndarray:
            _, dtype, fill = COLUMNS[name]
            c = getattr(self, name)
            if c is None:
                return np.full(hi - lo, fill, dtype=dtype)
            return np.asarray(c[lo:hi], dtype=dtype)

        return col

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-message columns as numpy arrays (built once, after the run has ended)."""
        cached = self._arrays
        if cached is not None and len(cached["t_publish"]) == len(self.t_publish):
            return cached
        n = len(self.t_publish)
        self._arrays = {name: self.column(name) for name in COLUMNS}
        for name, values in self.extra.items():
            self._arrays[name] = np.asarray(values[:n])
        return self._arrays

    def trace_arrays(self) -> dict[str, np.ndarray]:
        """The queue-length step series as numpy arrays (see :data:`TRACE_COLUMNS`)."""
        return {name: np.concatenate([*(_unpack(c, dtype) for c in self._archive[name]),
                                      np.asarray(getattr(self, name), dtype=dtype)])
                for name, dtype in TRACE_COLUMNS.items()}

    def counters(self) -> dict[str, int]:
        return {"acked": self.n_acked, "dropped": self.n_dropped, "in_flight": self.final_inflight,
                "ready": self.final_ready, "expired": self.n_expired, "dead_lettered": self.n_dead,
                "lost": self.n_lost}

    def check_conservation(self) -> None:
        """Every message is accounted for: published = acked + dropped + expired +
        dead-lettered + lost + ready + in flight.

        The engine's running counters and the outcomes derived from the per-message columns
        must agree; any mismatch raises :class:`ConservationError` with the numbers.
        """
        derived = np.zeros(len(OUTCOMES), dtype=np.int64)
        for lo in range(0, self.n_published, CHECK_CHUNK):  # in chunks: no run-length temporaries
            c = self._chunk(lo, lo + CHECK_CHUNK)
            codes = outcome_codes(c("t_deliver"), c("t_done"), c("cause"), c("dead_lettered") if self.n_dead else None)
            derived += np.bincount(codes, minlength=len(OUTCOMES))
        cnt = self.counters()
        counters = np.array([cnt[k] for k in OUTCOMES])
        n = self.n_published
        if counters.sum() != n or not np.array_equal(derived, counters):
            raise ConservationError(
                f"message conservation violated: published={n}, counters {dict(zip(OUTCOMES, counters.tolist()))}, "
                f"derived from records {dict(zip(OUTCOMES, derived.tolist()))}")


RECORD_MODES = ("full", "summary")


def check_records_mode(records: Any) -> str:
    """Validate the ``records`` argument of :func:`mqsim.simulate` ("full" or "summary")."""
    if records not in RECORD_MODES:
        raise ValueError(f"records: must be one of {', '.join(map(repr, RECORD_MODES))}; got {records!r}")
    return records
