"""Event hooks: what a handler subscribed with :meth:`mqsim.Simulation.on` receives."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["EVENT_KINDS", "Event"]

EVENT_KINDS = ("publish", "deliver", "ack", "nack", "drop", "expire", "dead_letter", "crash", "repair")


class Event(NamedTuple):
    """What a subscribed handler receives.

    kind: one of :data:`EVENT_KINDS`; time: simulated seconds; message: message id (-1 for
    crash/repair); producer: producer name; priority: effective priority; consumer: consumer
    index or -1; cause: for ``drop``/``dead_letter`` the reason (``"reject-publish"``,
    ``"drop-head"``, ``"expired"``, ``"rejected"``, ``"delivery-limit"``, ``"lost"``), else ``""``;
    queue: name of the queue (``"main"`` or a stage name).
    """

    kind: str
    time: float
    message: int
    producer: str
    priority: int
    consumer: int
    cause: str = ""
    queue: str = "main"
