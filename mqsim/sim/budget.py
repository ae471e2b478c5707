"""The work budget of a run, checked before it starts: no run that no machine could finish.

:func:`check_run` estimates, from the scenario's data alone, the **expected number of events**
of a run (messages published, including batch members, stage copies, dead-letter copies and
redeliveries after nacks; candidate arrivals of time-varying rates, which are thinned; consumer
crash/repair cycles) and the **memory** it needs (one row per message with ``records="full"``;
the backlog of messages still in the system with ``records="summary"``), and refuses with one
``ValueError`` that gives the estimate, the limit and the way out:

* events above :data:`DEFAULT_MAX_EVENTS` (10^9, a policy: about an hour of the SimPy engine,
  minutes of the fast one) are refused unless ``max_events=`` (an argument of
  :func:`mqsim.simulate`) or the ``MQSIM_MAX_EVENTS`` environment variable (read by every entry
  point, worker processes included) allows more; ``max_events=math.inf`` turns the check off;
* memory above what the machine has available (``MemAvailable``, and the cgroup limit) is a hard
  limit: the message says to use ``records="summary"``, a shorter horizon or a length limit.

:func:`warn_overload` emits one :class:`mqsim.OverloadWarning` when the offered load is >= 1 at
a queue with no length limit (see :mod:`mqsim.model.overload`).
"""

from __future__ import annotations

import math
import os
from typing import Any

from mqsim.model.overload import stability, warn_overload_text
from mqsim.model.scenario import as_scenario
from mqsim.model.validate import check_run_window, flag, number, seed as check_seed
from mqsim.sim.events import check_handlers

__all__ = ["admit", "DEFAULT_MAX_EVENTS", "BYTES_PER_MESSAGE", "expected_events", "projected_bytes", "available_memory",
           "check_run", "warn_overload", "max_events_limit"]

#: the default limit on a run's expected events (a policy; see the module docstring)
DEFAULT_MAX_EVENTS = 1e9
#: memory held per message row (records, the summary frames built from them), measured on both
#: engines: about 360 bytes while running and 700 at the peak of ``Result.summary()``
BYTES_PER_MESSAGE = 700.0


def max_events_limit(max_events: Any = None) -> float:
    """The limit in force: ``max_events`` if given, else ``MQSIM_MAX_EVENTS``, else the default."""
    if max_events is None:
        env = os.environ.get("MQSIM_MAX_EVENTS", "").strip()
        if not env:
            return DEFAULT_MAX_EVENTS
        try:
            max_events = float(env)
        except ValueError:
            raise ValueError(f"MQSIM_MAX_EVENTS: must be a number of events (e.g. 5e9, or inf), got {env!r}") from None
    if isinstance(max_events, float) and max_events == math.inf:
        return math.inf
    return number("max_events", max_events, lo=0.0, lo_open=True, unit="expected events per run")


def _producer_events(p: Any, horizon: float) -> float:
    if getattr(p, "trace", None) is not None:
        return float(sum(1 for t in p.trace.times if t < horizon)) * p.mean_batch
    if getattr(p, "schedule", None) is not None:  # thinning draws candidates at the peak rate
        return p.schedule.peak * horizon * (1.0 + p.mean_batch)
    return p.arrival_rate * horizon


def expected_events(scenario: Any, horizon: float) -> float:
    """Expected number of events of one run of ``horizon`` seconds (see the module docstring)."""
    st = stability(scenario)
    arrivals = math.fsum(_producer_events(p, horizon) for p in scenario.producers)
    if getattr(scenario, "family", "queue") == "kafka":
        return arrivals + len(scenario.group.changes) * scenario.group.capacity
    total = 0.0
    for k, nm in enumerate(scenario.node_names):
        queue, cons = scenario.node(k)
        nack = max((cons.outcome_probs(p.name, queue.effective_priority(lv))[0]
                    for p in scenario.producers for lv in p.priority_levels), default=0.0) if cons.has_outcomes else 0.0
        flow = arrivals if k == 0 else st.rates.get(nm, 0.0) * horizon  # stage copies: the estimated flow
        total += flow / (1.0 - nack)  # a nacked message is delivered again
        if cons.failure is not None:
            total += 2.0 * cons.count * horizon / (cons.failure.time_to_failure.mean + cons.failure.repair.mean)
    return total


def projected_bytes(scenario: Any, horizon: float, records: str, events: float) -> tuple[float, float]:
    """(bytes, messages held) a run is expected to keep in memory: every message with
    ``records="full"``; with ``"summary"`` the backlog an overloaded queue builds by the horizon."""
    if records == "full":
        held = events
    else:
        held = stability(scenario).growth * horizon
    return held * BYTES_PER_MESSAGE, held


def available_memory() -> float | None:
    """Bytes this process may still allocate (MemAvailable, capped by the cgroup limit), or None."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = float(line.split()[1]) * 1024
                    break
    except OSError:
        return None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                raw = fh.read().strip()
            if raw.isdigit() and avail is not None:
                avail = min(avail, float(raw))
        except OSError:
            continue
    return avail


def _gb(x: float) -> str:
    return f"{x / 1e9:,.3g} GB" if x < 1e15 else f"{x:.3g} bytes"


def check_run(scenario: Any, horizon: Any, warmup: Any = 0.0, *, records: str = "full", max_events: Any = None,
              runs: int = 1, where: str = "simulate") -> float:
    """Refuse (``ValueError``) a run whose expected events exceed the limit or whose projected
    memory exceeds the machine's; returns the expected events per run. ``runs`` replications of
    it run one after the other (memory is per run)."""
    horizon, warmup = check_run_window(horizon, warmup)
    limit = max_events_limit(max_events)
    events = expected_events(scenario, horizon)
    if not math.isfinite(events) or events > limit:
        how = ("; or, if it is meant, pass max_events=... to simulate() or set MQSIM_MAX_EVENTS to run it anyway"
               if math.isfinite(events) else "")
        raise ValueError(f"{where}: this run would take about {events:.3g} events (messages published, copied and "
                         f"redelivered over a horizon of {horizon:g} s), more than the limit of {limit:.3g} per run; "
                         f"shorten the horizon or lower the rates{how}")
    need, held = projected_bytes(scenario, horizon, records, events)
    avail = available_memory()
    if avail is not None and need > avail:
        if records == "full":
            hint = "use records='summary' (flat memory), a shorter horizon or fewer messages"
            what = f"records='full' keeps one row per message: about {held:.3g} messages"
        else:
            hint = "set queue.max_length (or a TTL), add consumers, lower the rate or shorten the horizon"
            what = (f"the backlog grows by {stability(scenario).growth:.4g} messages/s (offered load >= 1 with no "
                    f"length limit), so about {held:.3g} messages wait in memory by the horizon")
        raise ValueError(f"{where}: this run would need about {_gb(need)} of memory ({what}), more than the "
                         f"{_gb(avail)} available; {hint}")
    return events


def warn_overload(scenario: Any, where: str = "simulate") -> bool:
    """Warn (:class:`mqsim.OverloadWarning`) if the scenario has a queue with no steady state;
    returns whether it has one."""
    st = stability(scenario)
    if st.unstable:
        name = f" {scenario.name!r}" if getattr(scenario, "name", "") else ""
        warn_overload_text(f"{where}: scenario{name} has {st.reason()}")
    return st.unstable


def admit(scenario: Any, horizon: Any, warmup: Any = 0.0, *, records: str = "full", max_events: Any = None,
          seed: Any = None, trace: Any = True, handlers: Any = None, where: str = "simulate") -> Any:
    """Everything :func:`mqsim.simulate` checks before a run, in one call: the scenario (a
    scenario object or its plain-data form), the window, the seed, ``trace``, ``handlers``, the
    work budget (:func:`check_run`); then the overload warning. Returns the scenario object."""
    sc = as_scenario(scenario)
    check_seed("seed", seed)
    flag("trace", trace)
    check_handlers(handlers)
    check_run(sc, horizon, warmup, records=records, max_events=max_events, where=where)
    warn_overload(sc, where)
    return sc
