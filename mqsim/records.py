"""Columnar run records: one entry per message, one step series per queue.

The engine appends to plain Python lists while it runs (cheapest in CPython) and
:class:`mqsim.Result` turns them into numpy arrays and pandas frames afterwards.
Times are in simulated seconds.

A message's outcome is derived from its columns, so it cannot disagree with them:

* ``cause > 0``          -> dropped (``t_done`` holds the drop time, ``cause`` the policy)
* ``t_done`` set         -> acked
* ``t_deliver`` set      -> in flight (delivered to a consumer, not yet acked)
* otherwise              -> ready (still in the broker queue)
"""

from __future__ import annotations

import numpy as np

from .scenario import Scenario

__all__ = ["Records", "ConservationError", "OUTCOMES", "DROP_CAUSES", "REJECT_PUBLISH", "DROP_HEAD",
           "outcome_codes"]

#: drop causes stored in ``Records.cause`` (0 = not dropped)
REJECT_PUBLISH, DROP_HEAD = 1, 2
DROP_CAUSES = {0: "", REJECT_PUBLISH: "reject-publish", DROP_HEAD: "drop-head"}
#: outcome codes, in the order of :func:`outcome_codes`
OUTCOMES = ("acked", "dropped", "in_flight", "ready")


class ConservationError(AssertionError):
    """Raised when published != acked + dropped + ready + in flight at the end of a run."""


def outcome_codes(t_deliver: np.ndarray, t_done: np.ndarray, cause: np.ndarray) -> np.ndarray:
    """Outcome index per message into :data:`OUTCOMES` (vectorised)."""
    out = np.full(len(cause), 3, dtype=np.int8)  # ready
    out[~np.isnan(t_deliver)] = 2  # in flight
    out[~np.isnan(t_done)] = 0  # acked
    out[cause > 0] = 1  # dropped
    return out


class Records:
    """What one run leaves behind; filled by an engine, read by :class:`mqsim.Result`.

    Per-message lists (index = message id, in publish order): ``producer`` (index),
    ``priority`` (effective), ``t_publish``, ``t_deliver``, ``t_start`` (service start),
    ``t_done`` (ack or drop time), ``consumer`` (-1 if never delivered), ``cause``
    (drop cause, 0 if not dropped), ``service`` (service requirement, seconds).

    ``state`` is the live counter list ``[n_ready, n_inflight, n_busy]``; with ``trace``
    on, :meth:`snapshot` appends it with the time to the step series.
    """

    __slots__ = ("scenario", "horizon", "trace", "producer", "priority", "t_publish", "t_deliver", "t_start",
                 "t_done", "consumer", "cause", "service", "state", "q_time", "q_ready", "q_inflight", "q_busy",
                 "n_acked", "n_dropped", "final_ready", "final_inflight", "_arrays")

    def __init__(self, scenario: Scenario, horizon: float, *, trace: bool = True):
        self.scenario = scenario
        self.horizon = float(horizon)
        self.trace = trace
        self.producer: list[int] = []
        self.priority: list[int] = []
        self.t_publish: list[float] = []
        self.t_deliver: list[float] = []
        self.t_start: list[float] = []
        self.t_done: list[float] = []
        self.consumer: list[int] = []
        self.cause: list[int] = []
        self.service: list[float] = []
        self.state = [0, 0, 0]
        self.q_time: list[float] = [0.0]
        self.q_ready: list[int] = [0]
        self.q_inflight: list[int] = [0]
        self.q_busy: list[int] = [0]
        self.n_acked = 0
        self.n_dropped = 0
        self.final_ready = 0
        self.final_inflight = 0
        self._arrays: dict[str, np.ndarray] | None = None

    def snapshot(self, t: float) -> None:
        """Record the current ``state`` at time ``t`` (one step of the queue-length series)."""
        st = self.state
        self.q_time.append(t)
        self.q_ready.append(st[0])
        self.q_inflight.append(st[1])
        self.q_busy.append(st[2])

    def trim(self) -> None:
        """Cut the per-message columns an engine pre-extended back to the published count."""
        n = len(self.t_publish)
        for col in (self.producer, self.priority, self.t_deliver, self.t_start, self.t_done, self.consumer,
                    self.cause, self.service):
            del col[n:]

    @property
    def n_published(self) -> int:
        return len(self.t_publish)

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-message columns as numpy arrays (built once, after the run has ended)."""
        cached = getattr(self, "_arrays", None)
        if cached is not None and len(cached["t_publish"]) == len(self.t_publish):
            return cached
        self._arrays = {
            "producer": np.asarray(self.producer, dtype=np.int64),
            "priority": np.asarray(self.priority, dtype=np.int64),
            "t_publish": np.asarray(self.t_publish, dtype=float),
            "t_deliver": np.asarray(self.t_deliver, dtype=float),
            "t_start": np.asarray(self.t_start, dtype=float),
            "t_done": np.asarray(self.t_done, dtype=float),
            "consumer": np.asarray(self.consumer, dtype=np.int64),
            "cause": np.asarray(self.cause, dtype=np.int8),
            "service": np.asarray(self.service, dtype=float),
        }
        return self._arrays

    def check_conservation(self) -> None:
        """Every message is accounted for: published = acked + dropped + ready + in flight.

        The engine's running counters and the outcomes derived from the per-message columns
        must agree; any mismatch raises :class:`ConservationError` with the numbers.
        """
        a = self.arrays()
        codes = outcome_codes(a["t_deliver"], a["t_done"], a["cause"])
        derived = np.bincount(codes, minlength=len(OUTCOMES))
        counters = np.array([self.n_acked, self.n_dropped, self.final_inflight, self.final_ready])
        n = self.n_published
        if counters.sum() != n or not np.array_equal(derived, counters):
            raise ConservationError(
                f"message conservation violated: published={n}, counters "
                f"(acked, dropped, in_flight, ready)={tuple(int(x) for x in counters)}, derived from records "
                f"{tuple(int(x) for x in derived)}")
