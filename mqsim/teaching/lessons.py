"""Helpers the notebooks call: each measures something on simulated runs and lines it up with
the law or formula that predicts it, so that notebook cells stay thin.

Units: seconds, messages, messages per second.

* :func:`flow_balance` — Little's law and the utilisation law measured on one run (with loss).
* :func:`sim_vs_theory` — replications with confidence intervals beside the formula.
* :func:`article_comparison` — the article's Q = M x P against simulated and exact L.
* :func:`state_distribution` — P(N = n) over time and as seen by arrivals (PASTA).
* :func:`dispatch_comparison` — shared queue vs round-robin push vs random split.
* :func:`staffing_table` — Erlang C figures for a range of consumer counts.
* :func:`toy_event_list` — a 30-line event-list (heap) engine for one FIFO consumer, to read.
* :func:`asyncio_queue_demo` — the same producer/consumer on asyncio's real-time event loop.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario
    from mqsim.sim.result import Result

__all__ = ["flow_balance", "flow_balance_table", "sim_vs_theory", "article_comparison", "state_distribution",
           "dispatch_comparison", "staffing_table", "toy_event_list", "asyncio_queue_demo", "DEFAULT_METRICS"]

#: metrics shown by :func:`sim_vs_theory` unless told otherwise
DEFAULT_METRICS = ("throughput", "utilisation", "L", "Lq", "W", "Wq", "p_wait", "wait_p95", "loss")


# ----------------------------------------------------------------------------------------------
# Little's law and the utilisation law on one run
# ----------------------------------------------------------------------------------------------
def flow_balance(result: "Result") -> dict[str, float]:
    """Little's law and the utilisation law, measured on one run over ``[warmup, horizon)``.

    Returns (rates per s, times in s, counts in messages):

    * ``lam``: offered rate, messages published per second (rejected ones included);
    * ``lam_eff``: admitted rate, published minus those refused by ``reject-publish``;
    * ``X``: throughput, acks per second; ``loss``: fraction of published messages dropped;
    * ``L``: time-average number in the system (broker queue + consumers);
    * ``W``: mean time in the system of admitted messages that left (acked, or dropped from
      the head after waiting, under ``drop-head``);
    * ``lam_W`` = lam*W (Little with the wrong rate) and ``lam_eff_W`` = lam_eff*W (Little);
    * ``U``: measured consumer utilisation; ``S``: mean service time of the messages served
      (s); ``c``: consumers; ``XS_over_c`` = X*S/c (utilisation law).

    ``L`` equals ``lam_eff_W`` up to edge effects (messages inside the system at the window's
    ends), whatever the arrival or service laws; ``lam_W`` overstates it whenever messages are
    refused.
    """
    from mqsim.model.outcomes import REJECT_PUBLISH

    a = result.arrays
    t0, t1 = result.warmup, result.horizon
    T = t1 - t0
    o = result.overall()
    in_win = a["t_publish"] >= t0
    admitted = in_win & (a["cause"] != REJECT_PUBLISH)
    left = admitted & ~np.isnan(a["t_done"])
    W = float(np.mean((a["t_done"] - a["t_publish"])[left])) if left.any() else math.nan
    served = (a["outcome"] == 0) & (a["t_done"] >= t0)
    S = float(np.mean(a["service"][served])) if served.any() else math.nan
    c = result.scenario.consumers.count
    lam, lam_eff = int(in_win.sum()) / T, int(admitted.sum()) / T
    X = float(o["throughput"])
    return {"lam": lam, "lam_eff": lam_eff, "X": X, "loss": float(o["loss"]), "L": float(o["L"]), "W": W,
            "lam_W": lam * W, "lam_eff_W": lam_eff * W, "U": float(o["utilisation"]), "S": S, "c": float(c),
            "XS_over_c": X * S / c}


def flow_balance_table(results: Mapping[str, "Result"] | Sequence["Result"]) -> "pd.DataFrame":
    """:func:`flow_balance` of several runs, one row each (index: the mapping's keys, or the
    run's offered utilisation when given a sequence)."""
    import pandas as pd

    items = list(results.items()) if isinstance(results, Mapping) else \
        [(f"rho = {r.scenario.utilisation:.2f}", r) for r in results]
    if not items:
        raise ValueError("flow_balance_table: give at least one Result")
    return pd.DataFrame({k: flow_balance(r) for k, r in items}).T


# ----------------------------------------------------------------------------------------------
# Replications beside the formula
# ----------------------------------------------------------------------------------------------
def sim_vs_theory(scenario: "Scenario", n: int = 10, seed: int = 0, horizon: float = 10_000.0,
                  warmup: float = 0.0, metrics: Iterable[str] = DEFAULT_METRICS,
                  confidence: float = 0.95) -> "pd.DataFrame":
    """Simulated mean and Student-t interval over ``n`` seeded replications beside the formula
    :func:`mqsim.theory.for_scenario` picks, for the whole queue.

    Index: metric. Columns: simulated, ci_low, ci_high, theory (NaN where no formula gives the
    metric), theory_in_ci (True/False, None without theory). ``.attrs`` holds ``formula``,
    ``model``, ``exact`` and ``reason``. With many metrics, expect about one interval in
    1/(1 - confidence) to miss an exact value by chance.
    """
    import pandas as pd

    from mqsim.analysis.metrics import METRIC_COLUMNS
    from mqsim.analysis.statistics import confidence_interval
    from mqsim.analysis.theory_join import theory_table
    from mqsim.teaching.output_analysis import replicate_overall
    from mqsim.theory import for_scenario

    metrics = list(metrics)
    bad = [m for m in metrics if m not in METRIC_COLUMNS]
    if bad:
        raise ValueError(f"metrics: unknown {bad}; choose from {', '.join(METRIC_COLUMNS)}")
    runs = replicate_overall(scenario, n, seed, horizon, warmup)
    pred = for_scenario(scenario)
    th = dict(theory_table(pred, scenario).get(("all", "all"), {}))
    th.setdefault("arrival_rate", scenario.arrival_rate)  # the offered rate is known exactly
    rows = []
    for m in metrics:
        mean, lo, hi = confidence_interval(runs[m].to_numpy(dtype=float), confidence)
        t = th.get(m, math.nan)
        covered = None if not math.isfinite(t) else bool(lo <= t <= hi)
        rows.append({"metric": m, "simulated": mean, "ci_low": lo, "ci_high": hi, "theory": t,
                     "theory_in_ci": covered})
    out = pd.DataFrame(rows).set_index("metric")
    out.attrs.update({"formula": pred.formula, "model": pred.model, "exact": pred.exact, "reason": pred.reason,
                      "n": n, "confidence": confidence})
    return out


def article_comparison(mean_service: float = 0.2, rhos: Sequence[float] = (0.3, 0.5, 0.7, 0.9), *, n: int = 10,
                       seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                       confidence: float = 0.95) -> "pd.DataFrame":
    """The article's Q = M x P (message rate x processing time) against the mean number of
    messages in an M/M/1 queue, simulated and exact, at each utilisation in ``rhos``.

    One consumer with exponential service of mean ``mean_service`` (s); M = rho/mean_service.
    Columns: rho, M (messages/s), article Q = M x P (messages), L simulated with ci_low/ci_high,
    L theory (M/M/1: rho/(1 - rho)), Lq simulated and Lq theory (rho^2/(1 - rho)). Q = M x P is
    the mean number *in service* (the offered load), so it misses every message that waits.
    """
    import pandas as pd

    from mqsim.analysis.statistics import confidence_interval
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario
    from mqsim.teaching.output_analysis import replicate_overall
    from mqsim.theory import mm1

    rows = []
    for rho in rhos:
        lam = float(rho) / mean_service
        sc = Scenario([Producer("p", rate=lam)], consumers=Consumers(1, service=Exponential(mean=mean_service)))
        runs = replicate_overall(sc, n, seed, horizon, warmup)
        L, lo, hi = confidence_interval(runs["L"].to_numpy(dtype=float), confidence)
        exact = mm1(lam, 1.0 / mean_service)
        rows.append({"rho": float(rho), "M (msg/s)": lam, "article Q = M x P": lam * mean_service,
                     "L simulated": L, "ci_low": lo, "ci_high": hi, "L theory": exact.L,
                     "Lq simulated": float(runs["Lq"].mean()), "Lq theory": exact.Lq})
    out = pd.DataFrame(rows)
    out.attrs.update({"n": n, "confidence": confidence, "mean_service": mean_service})
    return out


def staffing_table(lam: float, mu: float, counts: Iterable[int], t: float,
                   percentile: float | None = 0.95) -> "pd.DataFrame":
    """Erlang C figures (exact, M/M/c) for each consumer count in ``counts``: utilisation, P(wait
    > 0), mean wait Wq (s), P(Wq > t) and (unless ``percentile`` is None) that percentile of the
    wait (s). ``lam`` and ``mu`` are per second; counts with lam >= c*mu are reported as
    unstable (NaN)."""
    import pandas as pd

    from mqsim.theory import UnstableError, mmc

    rows = []
    for c in counts:
        try:
            m = mmc(lam, mu, int(c))
            row = {"consumers": int(c), "utilisation": m.rho, "P(wait > 0)": m.P_wait, "Wq (s)": m.Wq,
                   f"P(Wq > {t:g} s)": m.wait_tail(t)}
            if percentile is not None:
                row[f"wait p{100 * percentile:g} (s)"] = m.wait_quantile(percentile)
            rows.append(row)
        except UnstableError:
            rows.append({"consumers": int(c), "utilisation": lam / (int(c) * mu)})
    return pd.DataFrame(rows).set_index("consumers")


# ----------------------------------------------------------------------------------------------
# PASTA
# ----------------------------------------------------------------------------------------------
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
        n_max = int(min(np.searchsorted(cum, 0.999) + 1, 60, top))
    n = np.arange(n_max + 1)
    out = pd.DataFrame({"n": n, "time_average": time_avg[: n_max + 1],
                        "seen_by_arrivals": np.pad(seen_frac, (0, max(0, n_max + 1 - seen_frac.size)))[: n_max + 1]})
    if theory is not None:
        out["theory"] = [float(theory.prob_n(int(k))) for k in n]
    return out


# ----------------------------------------------------------------------------------------------
# Dispatch policies
# ----------------------------------------------------------------------------------------------
def dispatch_comparison(lam: float = 2.4, mu: float = 1.0, c: int = 3, *, n: int = 10, seed: int = 0,
                        horizon: float = 5_000.0, warmup: float = 500.0, metric: str = "Wq",
                        confidence: float = 0.95) -> "pd.DataFrame":
    """Mean wait (or another overall ``metric``) of ``c`` consumers of rate ``mu`` (per s) fed at
    ``lam`` (per s) under three dispatch policies, simulated (``n`` replications, CI) beside the
    exact formula:

    * ``shared queue (prefetch 1)`` — RabbitMQ with ``basic.qos(1)``: M/M/c, Erlang C;
    * ``round-robin push (prefetch 0)`` — unlimited prefetch: every c-th message to each
      consumer, c independent E_c/M/1 queues (GI/M/1);
    * ``random split`` — each message to a consumer chosen at random: c independent M/M/1
      queues at rate lam/c. By Poisson thinning each is exactly an M/M/1 queue, so one of them is
      simulated per replication (the mean over all messages has the same expectation).

    Columns: policy, model, simulated, ci_low, ci_high, theory, formula, n (replications).
    """
    import pandas as pd

    from mqsim.analysis.statistics import confidence_interval
    from mqsim.analysis.theory_join import theory_table
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario
    from mqsim.teaching.output_analysis import replication_values
    from mqsim.theory import for_scenario

    svc = Exponential(rate=mu)
    shared = Scenario([Producer("p", rate=lam)], consumers=Consumers(c, service=svc, prefetch=1))
    push = Scenario([Producer("p", rate=lam)], consumers=Consumers(c, service=svc, prefetch=0))
    one_of_split = Scenario([Producer("p", rate=lam / c)], consumers=Consumers(1, service=svc, prefetch=1))
    rows = []
    for policy, sc in (("shared queue (prefetch 1)", shared), ("round-robin push (prefetch 0)", push),
                       ("random split", one_of_split)):
        v = replication_values(sc, metric, n, seed, horizon, warmup)
        mean, lo, hi = confidence_interval(v, confidence)
        pred = for_scenario(sc)
        th = theory_table(pred, sc).get(("all", "all"), {})
        model = f"{c} x M/M/1" if sc is one_of_split else pred.model
        formula = "M/M/1 per consumer" if sc is one_of_split else pred.formula
        rows.append({"policy": policy, "model": model, "simulated": mean, "ci_low": lo, "ci_high": hi,
                     "theory": th.get(metric, math.nan), "formula": formula, "n": n})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# Event loops: a heap-based discrete-event engine and asyncio's real-time loop
# ----------------------------------------------------------------------------------------------
def toy_event_list(arrivals: Sequence[float], services: Sequence[float], trace_steps: int = 12):
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
    trace = []
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


async def asyncio_queue_demo(gaps: Sequence[float], services: Sequence[float], scale: float = 0.01):
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
    clock = lambda: (time.perf_counter() - t_zero) / scale  # noqa: E731 - simulated seconds

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
