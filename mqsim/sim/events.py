"""Event hooks: what a handler subscribed with :meth:`mqsim.Simulation.on` receives."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

__all__ = ["EVENT_KINDS", "Event", "check_handlers"]

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


def check_handlers(handlers: Any) -> dict[str, list[Callable[[Event], Any]]]:
    """``None`` or ``{kind: callable or list of callables}`` (kinds from :data:`EVENT_KINDS`), as
    ``{kind: [callables]}`` for every kind; anything else is one clear ``ValueError``."""
    out: dict[str, list[Callable[[Event], Any]]] = {k: [] for k in EVENT_KINDS}
    if handlers is None:
        return out
    if not isinstance(handlers, dict):
        raise ValueError(f"handlers: must be a dict {{kind: callable or list of callables}}, got "
                         f"{type(handlers).__name__}")
    for kind, hs in handlers.items():
        if kind not in out:
            raise ValueError(f"handlers[{kind!r}]: unknown event kind; must be one of {', '.join(EVENT_KINDS)}")
        for h in (hs if isinstance(hs, (list, tuple)) else [hs]):
            if not callable(h):
                raise ValueError(f"handlers[{kind!r}]: must be a callable or a list of callables, got "
                                 f"{type(h).__name__}")
            out[kind].append(h)
    return out
