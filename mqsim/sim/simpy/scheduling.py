"""The few SimPy internals the engine touches, in one place, with the reason for each.

SimPy's public API is enough for processes (``env.timeout``, ``env.event``, ``yield``), and the
engine uses it there. Two things it does not offer cheaply:

* **the current time** — ``env.now`` is a property (a Python-level call per read); the engine
  reads the attribute behind it, ``env._now``, on its hot paths. Same value, no call.
* **a plain callback at a given time and priority** — a TTL expiry must run *before* every
  other event at the same instant (SimPy's ``URGENT`` priority) and needs no process. SimPy
  schedules any triggered :class:`simpy.Event`; an event is "triggered" when its private
  ``_ok``/``_value`` are set (what ``Event.succeed`` does, minus scheduling it *now*).
  :func:`call_at` sets them and schedules the event ``delay`` seconds ahead with the priority
  asked for, exactly as ``env.timeout`` does for NORMAL events.
"""

from __future__ import annotations

from typing import Any, Callable

import simpy
from simpy.events import NORMAL, URGENT

__all__ = ["call_at", "URGENT", "NORMAL"]


def call_at(env: simpy.Environment, delay: float, callback: Callable[[Any], None], priority: Any = URGENT) -> None:
    """Run ``callback(event)`` ``delay`` seconds from now, with SimPy event ``priority``."""
    ev = simpy.Event(env)
    ev._ok = True  # triggered successfully ...
    ev._value = None  # ... with no value, as Timeout does
    ev.callbacks.append(callback)
    env.schedule(ev, priority, delay)
