"""Lecture 2, a discrete-event engine and M/M/1: a heap-based event-list engine to read, the same
queue on asyncio's real-time event loop, and the distribution of the number in the system as
seen over time and by arriving messages (PASTA: Poisson arrivals see time averages, Wolff 1982).

Units: seconds, messages, messages per second.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.sim.result import Result

__all__ = ["toy_event_list", "asyncio_queue_demo", "state_distribution", "EXERCISES"]


def state_distribution(result: "Result", theory: Any = None, n_max: int | None = None) -> "pd.DataFrame":
    """Distribution of N, the number of messages in the system (ready + at consumers), two ways:
    ``time_average`` (fraction of time in ``[warmup, horizon)`` with N = n) and
    ``seen_by_arrivals`` (fraction of messages published in the window that found N = n just
    before they arrived). PASTA: with Poisson arrivals the two agree.

    theory: anything with ``prob_n(n)`` (e.g. :func:`mqsim.theory.mm1`) adds a ``theory`` column.
    n_max: last n shown (default: where the time average has covered 99.9 %, at most 60).
    Needs a run made with ``trace=True``.
    """
    import pandas as pd

    q = result.queue_length
    t0, t1 = result.warmup, result.horizon
    times = q["time"].to_numpy()
    N = (q["ready"] + q["in_flight"]).to_numpy().astype(int)
    ends = np.append(times[1:], t1)
    dur = np.clip(np.minimum(ends, t1) - np.maximum(times, t0), 0.0, None)
    top = int(N.max()) if N.size else 0
    time_avg = np.bincount(N, weights=dur, minlength=top + 1) / (t1 - t0)
    a = result.arrays
    pub = a["t_publish"]
    done = np.sort(a["t_done"][~np.isnan(a["t_done"])])
    seen_all = np.arange(pub.size) - np.searchsorted(done, pub, side="left")
    seen = seen_all[pub >= t0]
    seen_frac = np.bincount(seen, minlength=top + 1)[: top + 1] / max(seen.size, 1)
    if n_max is None:
        cum = np.cumsum(time_avg)
        n_max = min(int(np.searchsorted(cum, 0.999)) + 1, 60, top)
    n = np.arange(n_max + 1)
    out = pd.DataFrame({"n": n, "time_average": time_avg[: n_max + 1],
                        "seen_by_arrivals": np.pad(seen_frac, (0, max(0, n_max + 1 - seen_frac.size)))[: n_max + 1]})
    if theory is not None:
        out["theory"] = [float(theory.prob_n(int(k))) for k in n]
    return out


def toy_event_list(arrivals: Sequence[float], services: Sequence[float],
                   trace_steps: int = 12) -> tuple[np.ndarray, np.ndarray, "pd.DataFrame"]:
    """A complete discrete-event simulation of ONE consumer serving FIFO, in plain Python.

    arrivals: publish times (s, increasing); services: service time of each message (s).
    Returns ``(start, done, trace)``: service start and ack times per message (s), and a
    DataFrame of the first ``trace_steps`` events (time, event, message, waiting messages, the
    pending event list after the step). The engine is the whole idea of discrete-event
    simulation: pop the earliest event, jump the clock to it, let it schedule later events.
    """
    import pandas as pd

    arr = np.asarray(arrivals, dtype=float)
    svc = np.asarray(services, dtype=float)
    n = arr.size
    start, done = np.full(n, np.nan), np.full(n, np.nan)
    events: list[tuple[float, int, str, int]] = []  # the event list: a heap of (time, seq, kind, msg)
    seq = 0

    def schedule(t: float, kind: str, msg: int) -> None:
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, msg))  # seq breaks ties in scheduling order, as SimPy does
        seq += 1

    waiting: deque[int] = deque()
    busy = False
    trace: list[dict[str, Any]] = []
    if n:
        schedule(arr[0], "publish", 0)
    while events:
        now, _, kind, m = heapq.heappop(events)  # the clock jumps to the next event
        if kind == "publish":
            if m + 1 < n:
                schedule(arr[m + 1], "publish", m + 1)  # the producer's next message
            waiting.append(m)
        else:  # "ack": the consumer finished message m
            done[m] = now
            busy = False
        if not busy and waiting:  # an idle consumer takes the head message
            k = waiting.popleft()
            start[k] = now
            busy = True
            schedule(now + svc[k], "ack", k)
        if len(trace) < trace_steps:
            trace.append({"time": round(now, 4), "event": kind, "message": m, "waiting": list(waiting),
                          "event list after": ", ".join(f"{e[2]} {e[3]} @ {e[0]:.3f}" for e in sorted(events))})
    return start, done, pd.DataFrame(trace)


async def asyncio_queue_demo(gaps: Sequence[float], services: Sequence[float], scale: float = 0.01) -> "pd.DataFrame":
    """The same one-consumer FIFO queue on asyncio's event loop, in *real* time.

    gaps: inter-publish times and services: service times, in simulated seconds; every simulated
    second lasts ``scale`` real seconds. Returns a DataFrame (message, wait, sojourn in
    simulated seconds, measured with the wall clock and divided by ``scale``). Run it with
    ``await`` in a notebook: Jupyter already runs an asyncio loop. Measured times carry the
    loop's scheduling jitter (about a millisecond), unlike a discrete-event simulation.
    """
    import pandas as pd

    q: asyncio.Queue = asyncio.Queue()
    rows: list[dict[str, float]] = []
    t_zero = time.perf_counter()

    def clock() -> float:
        """Simulated seconds since the start."""
        return (time.perf_counter() - t_zero) / scale

    async def producer() -> None:
        for i, g in enumerate(gaps):
            await asyncio.sleep(g * scale)  # the loop parks this coroutine on a timer heap
            await q.put((i, clock()))
        await q.put(None)

    async def consumer() -> None:
        while (item := await q.get()) is not None:
            i, t_pub = item
            t_start = clock()
            await asyncio.sleep(services[i] * scale)  # "work": a timer, so the loop can run others
            rows.append({"message": i, "wait": t_start - t_pub, "sojourn": clock() - t_pub})

    await asyncio.gather(producer(), consumer())
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1(p: Mapping[str, Any]) -> float:
    """rho at which the p-quantile of the M/M/1 sojourn equals k mean service times (bisection on
    mm1(rho, 1).sojourn_quantile)."""
    lo, hi = 1e-9, 1.0 - 1e-12
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if th.mm1(mid, 1.0).sojourn_quantile(p["p"]) > p["k"]:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"k": pick(rng, [5, 10, 15, 20]), "p": pick(rng, [0.95, 0.99])}


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [2.0, 2.5, 3.0, 3.5, 4.0]), "mu": 5.0, "t": pick(rng, [0.5, 1.0])}


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [2.0, 3.0, 4.0]), "mu": 5.0, "p": pick(rng, [0.9, 0.95, 0.99])}


EXERCISES = register_all([
    Exercise(
        key="nb02_ex1",
        question=("In M/M/1, at what utilisation rho does the {p:.0%} percentile of the time in system (sojourn) "
                  "exceed {k} times the mean service time?"),
        canonical={"k": 10, "p": 0.99}, vary=_ex1_vary, answer=_ex1, rel_tol=2e-3, close_tol=0.03,
        unit="(utilisation)",
        hint="the sojourn T is Exp(mu - lam): its p-quantile is -ln(1 - p)/(mu - lam). Set it equal to k/mu.",
        traps=lambda p: [(1 - 1 / p["k"], "that keeps the MEAN sojourn 1/(mu - lam) below k/mu; the question is "
                                          "about a percentile, which is ln(1/(1 - p)) times the mean.")]),
    Exercise(
        key="nb02_ex2",
        question=("M/M/1 with lam = {lam}/s and mu = {mu}/s: what fraction of messages wait in the queue longer "
                  "than {t} s?"),
        canonical={"lam": 4.0, "mu": 5.0, "t": 1.0}, vary=_ex2_vary,
        answer=lambda p: th.mm1(p["lam"], p["mu"]).wait_tail(p["t"]), unit="(probability)",
        hint="the wait has an atom at 0 (probability 1 - rho); given that a message waits, its wait is Exp(mu - lam).",
        traps=lambda p: [(th.mm1(p["lam"], p["mu"]).sojourn_tail(p["t"]),
                          "that is P(T > t) for the time in SYSTEM; the question asks about the wait in the queue.")]),
    Exercise(
        key="nb02_ex3",
        question="M/M/1 with lam = {lam}/s and mu = {mu}/s: give the {p:.0%} percentile of the wait in the queue (s).",
        canonical={"lam": 4.0, "mu": 5.0, "p": 0.99}, vary=_ex3_vary,
        answer=lambda p: th.mm1(p["lam"], p["mu"]).wait_quantile(p["p"]), unit="s",
        hint="P(Wq > t) = rho*exp(-(mu - lam)t); solve P(Wq > t) = 1 - p for t.",
        traps=lambda p: [(th.mm1(p["lam"], p["mu"]).sojourn_quantile(p["p"]),
                          "that is the percentile of the time in SYSTEM (wait + service)."),
                         (-math.log(1 - p["p"]) / (p["mu"] - p["lam"]),
                          "that ignores the atom: only a fraction rho of messages wait at all.")]),
])
