"""What can happen to a message, as codes shared by every engine and every statistic.

A message's outcome is derived from its record, so it cannot disagree with it:

* ``dead_lettered``              -> dead_lettered (``cause`` says why; a copy went to the dead-letter stage)
* ``cause`` reject-publish, drop-head, rejected, delivery-limit, broker-down -> dropped
* ``cause`` expired              -> expired (TTL ran out while ready)
* ``cause`` lost                 -> lost (an auto-ack consumer crashed holding it)
* ``cause`` restart              -> lost (a broker restart lost it: transient, or on a non-durable queue)
* ``t_done`` set                 -> acked
* ``t_deliver`` set              -> in flight (delivered to a consumer, not yet acked)
* otherwise                      -> ready (still in a broker queue)

Every run ends with published = acked + dropped + expired + dead-lettered + lost + ready + in
flight; an engine that breaks it raises :class:`ConservationError`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OUTCOMES", "DROP_CAUSES", "REJECT_PUBLISH", "DROP_HEAD", "EXPIRED", "REJECTED", "DELIVERY_LIMIT", "LOST",
           "RESTART", "BROKER_DOWN", "ConservationError", "outcome_codes"]

#: causes stored in ``Records.cause`` (0 = none)
REJECT_PUBLISH, DROP_HEAD, EXPIRED, REJECTED, DELIVERY_LIMIT, LOST, RESTART, BROKER_DOWN = 1, 2, 3, 4, 5, 6, 7, 8
DROP_CAUSES = {0: "", REJECT_PUBLISH: "reject-publish", DROP_HEAD: "drop-head", EXPIRED: "expired",
               REJECTED: "rejected", DELIVERY_LIMIT: "delivery-limit", LOST: "lost", RESTART: "restart",
               BROKER_DOWN: "broker-down"}
#: outcome codes, in the order of :func:`outcome_codes`
OUTCOMES = ("acked", "dropped", "in_flight", "ready", "expired", "dead_lettered", "lost")


class ConservationError(AssertionError):
    """Raised when published != acked + dropped + expired + dead-lettered + lost + ready +
    in flight at the end of a run."""


def outcome_codes(t_deliver: np.ndarray, t_done: np.ndarray, cause: np.ndarray,
                  dead_lettered: np.ndarray | None = None) -> np.ndarray:
    """Outcome index per message into :data:`OUTCOMES` (vectorised)."""
    out = np.full(len(cause), 3, dtype=np.int8)  # ready
    out[~np.isnan(t_deliver)] = 2  # in flight
    out[~np.isnan(t_done)] = 0  # acked
    out[np.isin(cause, (REJECT_PUBLISH, DROP_HEAD, REJECTED, DELIVERY_LIMIT, BROKER_DOWN))] = 1
    out[cause == EXPIRED] = 4
    out[np.isin(cause, (LOST, RESTART))] = 6
    if dead_lettered is not None:
        out[dead_lettered.astype(bool)] = 5
    return out
