"""Columnar run records: one entry per message, one step series per queue.

The engine appends to plain Python lists while it runs (cheapest in CPython) and
:class:`mqsim.Result` turns them into numpy arrays and pandas frames afterwards.
Times are in simulated seconds.

A message's outcome is derived from its columns (:mod:`mqsim.model.outcomes`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mqsim.model.outcomes import OUTCOMES, ConservationError, outcome_codes
from mqsim.model.scenario import Scenario

__all__ = ["Records", "RECORD_MODES", "check_records_mode"]


class Records:
    """What one run leaves behind; filled by an engine, read by :class:`mqsim.Result`.

    Per-message lists (index = message id, in publish order): ``producer`` (index),
    ``priority`` (effective), ``node`` (queue index: 0 = main, then the stages), ``cls``
    (index of the producer's priority level the message was published with), ``parent`` (id
    of the message this one copies or continues, -1 for a producer's own), ``t_publish``,
    ``t_deliver`` (latest delivery), ``t_start`` (latest service start), ``t_done`` (ack or
    the time it left), ``consumer`` (-1 if not at a consumer), ``cause`` (see
    :data:`DROP_CAUSES`), ``service`` (requirement, s), ``deliveries`` (count),
    ``prior`` (seconds of earlier, unfinished service attempts), ``dead_lettered``.

    ``node_state(k)`` is the live counter list ``[n_ready, n_inflight, n_busy]`` of queue
    ``k``; with ``trace`` on, :meth:`snapshot` appends it with the time to the step series.
    Service attempts that did not end in an ack (nack, crash) are logged by :meth:`log_attempt`
    so utilisation counts them.
    """

    __slots__ = ("scenario", "horizon", "trace", "producer", "priority", "node", "cls", "parent", "t_publish",
                 "t_deliver", "t_start", "t_done", "consumer", "cause", "service", "deliveries", "prior",
                 "dead_lettered", "states", "q_time", "q_node", "q_ready", "q_inflight", "q_busy", "a_mid",
                 "a_start", "a_end", "n_acked", "n_dropped", "n_expired", "n_dead", "n_lost", "final_ready",
                 "final_inflight", "extra", "_arrays")

    def __init__(self, scenario: Scenario, horizon: float, *, trace: bool = True):
        self.scenario = scenario
        self.horizon = float(horizon)
        self.trace = trace
        self.producer: list[int] = []
        self.priority: list[int] = []
        self.node: list[int] = []
        self.cls: list[int] = []
        self.parent: list[int] = []
        self.t_publish: list[float] = []
        self.t_deliver: list[float] = []
        self.t_start: list[float] = []
        self.t_done: list[float] = []
        self.consumer: list[int] = []
        self.cause: list[int] = []
        self.service: list[float] = []
        self.deliveries: list[int] = []
        self.prior: list[float] = []
        self.dead_lettered: list[bool] = []
        n_nodes = len(scenario.node_names)
        self.states = [[0, 0, 0] for _ in range(n_nodes)]
        self.q_time: list[float] = [0.0] * n_nodes
        self.q_node: list[int] = list(range(n_nodes))
        self.q_ready: list[int] = [0] * n_nodes
        self.q_inflight: list[int] = [0] * n_nodes
        self.q_busy: list[int] = [0] * n_nodes
        self.a_mid: list[int] = []
        self.a_start: list[float] = []
        self.a_end: list[float] = []
        self.n_acked = self.n_dropped = self.n_expired = self.n_dead = self.n_lost = 0
        self.final_ready = 0
        self.final_inflight = 0
        self._arrays: dict[str, np.ndarray] | None = None
        self.extra: dict[str, list] = {}  # engine-specific per-message columns (e.g. Kafka partition)

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
        self.q_time.append(t)
        self.q_node.append(k)
        self.q_ready.append(st[0])
        self.q_inflight.append(st[1])
        self.q_busy.append(st[2])

    def log_attempt(self, mid: int, start: float, end: float) -> None:
        """A service attempt of message ``mid`` from ``start`` to ``end`` (s) that did not end in an ack."""
        self.a_mid.append(mid)
        self.a_start.append(start)
        self.a_end.append(end)

    def trim(self) -> None:
        """Cut the per-message columns an engine pre-extended back to the published count."""
        n = len(self.t_publish)
        for col in (self.producer, self.priority, self.node, self.cls, self.parent, self.t_deliver, self.t_start,
                    self.t_done, self.consumer, self.cause, self.service, self.deliveries, self.prior,
                    self.dead_lettered):
            del col[n:]

    @property
    def n_published(self) -> int:
        return len(self.t_publish)

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-message columns as numpy arrays (built once, after the run has ended)."""
        cached = self._arrays
        if cached is not None and len(cached["t_publish"]) == len(self.t_publish):
            return cached
        n = len(self.t_publish)

        def col(lst: list, dtype: type, fill: object) -> np.ndarray:
            return np.asarray(lst, dtype=dtype) if len(lst) == n else np.full(n, fill, dtype=dtype)

        self._arrays = {
            "producer": np.asarray(self.producer, dtype=np.int64),
            "priority": np.asarray(self.priority, dtype=np.int64),
            "node": col(self.node, np.int64, 0),
            "cls": col(self.cls, np.int64, 0),
            "parent": col(self.parent, np.int64, -1),
            "t_publish": np.asarray(self.t_publish, dtype=float),
            "t_deliver": np.asarray(self.t_deliver, dtype=float),
            "t_start": np.asarray(self.t_start, dtype=float),
            "t_done": np.asarray(self.t_done, dtype=float),
            "consumer": np.asarray(self.consumer, dtype=np.int64),
            "cause": np.asarray(self.cause, dtype=np.int8),
            "service": np.asarray(self.service, dtype=float),
            "deliveries": col(self.deliveries, np.int64, 0),
            "prior": col(self.prior, float, 0.0),
            "dead_lettered": col(self.dead_lettered, bool, False),
        }
        for name, values in self.extra.items():
            self._arrays[name] = np.asarray(values[:n])
        return self._arrays

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
        a = self._arrays if self._arrays is not None and len(self._arrays["t_publish"]) == self.n_published else {
            "t_deliver": np.asarray(self.t_deliver, dtype=float), "t_done": np.asarray(self.t_done, dtype=float),
            "cause": np.asarray(self.cause, dtype=np.int8),
            "dead_lettered": np.asarray(self.dead_lettered, dtype=bool) if self.n_dead else None}
        codes = outcome_codes(a["t_deliver"], a["t_done"], a["cause"], a["dead_lettered"])
        derived = np.bincount(codes, minlength=len(OUTCOMES))
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
