"""The fast engine: a numba-compiled event loop that follows the SimPy engine's sample paths.

For every scenario the SimPy engine runs except those with event handlers (see
:func:`unsupported`), ``simulate(..., engine="fast")`` returns the same records as the SimPy
engine for the same seed, to the last bit: the same random numbers (each stream of
:mod:`mqsim.sim.streams` drawn in the same ``BLOCK``-sized vectorised calls, from the same
generators) consumed in the same order by an event loop that schedules the same events in the
same order as :mod:`mqsim.sim.simpy` (see the event-order contract in
:mod:`mqsim.sim.simpy.engine`), with SimPy's tie rule: events at equal times run by (priority,
scheduling order); process starts, TTL timers and crash interrupts URGENT, the rest NORMAL.

Supported: producers with renewal arrivals, time-varying rates (thinning) or trace replay,
batches, priorities and priority mixes, persistent messages; any number of queues (the main
queue and stages) with priorities, ``max_length`` and every overflow policy (classic and quorum
queues), TTL (queue and per message), delivery limits, dead-lettering (cycles included, with
RabbitMQ's cycle rule) and routes; consumers with any prefetch window (0 = unlimited), auto-ack,
nack/reject with head or tail requeue, crashes and repairs, a dispatch overhead; broker restarts
(fixed times or an up-time distribution, any downtime; durable and non-durable queues). Not
supported: event handlers (they call Python on every event) and Kafka scenarios (a different
model, :mod:`mqsim.sim.kafka`); ``engine="fast"`` raises a ``ValueError`` naming them and
``engine="auto"`` uses the SimPy engine.

Layout: :mod:`~mqsim.sim.fast.layout` (the state arrays), :mod:`~mqsim.sim.fast.build` (a
scenario as tables), :mod:`~mqsim.sim.fast.streams` (random streams), and the compiled part:
:mod:`~mqsim.sim.fast.kernel` (the loop), :mod:`~mqsim.sim.fast.broker` (queue actions),
:mod:`~mqsim.sim.fast.restarts` (the broker going down and back),
:mod:`~mqsim.sim.fast.queues` (lists, rings, buffers), :mod:`~mqsim.sim.fast.heaps`.

Speed: millions of messages per second on one core once compiled, 20-60 times the SimPy
engine (``benchmarks/bench_engines.py``; ``docs/engines.md`` quotes the numbers). The compiled
code is cached on disk (numba ``cache=True``): the first run on a machine compiles for
several seconds, later processes load it in about a second; :func:`warm_up` does that ahead of
time. numba is optional: ``pip install 'mqsim[fast]'``.

``records="summary"`` keeps running statistics instead of per-message rows (flat memory,
see :mod:`mqsim.analysis.streaming`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mqsim.analysis.streaming import SummaryStats
from mqsim.model import dist
from mqsim.model.scenario import Scenario
from mqsim.model.validate import check_run_window
from mqsim.sim.fast import layout as L
from mqsim.sim.fast.build import Tables, build_tables, initial_state
from mqsim.sim.fast.streams import SEQUENTIAL
from mqsim.sim.records import Records, check_records_mode, outcome_codes
from mqsim.sim.result import Result, SummaryResult
from mqsim.sim.streams import resolve_seed

__all__ = ["simulate", "unsupported", "check_supported", "available", "FastEngineUnavailable", "INSTALL_HINT",
           "warm_up", "SEQUENTIAL", "run_records"]

INSTALL_HINT = "pip install 'mqsim[fast]'"
#: initial per-message window in summary mode (messages); it grows only while that many are
#: in the system at once
SUMMARY_WINDOW = 1 << 16


class FastEngineUnavailable(ImportError):
    """numba is not installed, so the fast engine cannot run."""


def available() -> bool:
    """True if numba can be imported (the fast engine can run)."""
    try:
        _kernel()
    except FastEngineUnavailable:
        return False
    return True


def _kernel() -> Any:
    try:
        from mqsim.sim.fast import accumulate, broker, heaps, queues, restarts, thinning
        from mqsim.sim.fast import kernel as _fastkernel
        from mqsim.sim.fast.cache import ensure_coherent

        ensure_coherent([L, heaps, queues, broker, restarts, _fastkernel, accumulate, thinning])
    except ImportError as exc:
        if "numba" in str(exc) or getattr(exc, "name", "") in ("numba", "llvmlite"):
            raise FastEngineUnavailable(
                f"engine='fast' needs numba, which is not installed ({exc}). Install it with: {INSTALL_HINT} "
                f"(or use engine='simpy' / engine='auto')") from None
        raise
    return _fastkernel


def unsupported(scenario: Any, *, handlers: Any = None) -> str | None:
    """Why the fast engine cannot run ``scenario`` (with these event ``handlers``), or None if it can."""
    if not isinstance(scenario, Scenario):
        return (f"scenario: must be a mqsim.Scenario, got {type(scenario).__name__} "
                "(Kafka scenarios run on their own loop)")
    if handlers and any(handlers.values() if isinstance(handlers, dict) else [handlers]):
        return "event handlers (publish/deliver/ack/... hooks) are not supported by the fast engine"
    new = _unknown_fields(scenario)
    if new:
        return f"{new} is not supported by the fast engine yet"
    return None


#: the model fields the fast engine implements, per part of a scenario; a field the model gains
#: later (set to anything but its default) makes :func:`unsupported` say so, rather than the
#: engine ignoring it
KNOWN_FIELDS = {
    "Scenario": {"producers", "queue", "consumers", "name", "stages", "routes", "restarts"},
    "Producer": {"name", "rate", "interarrival", "priority", "service", "ttl", "batch", "schedule", "trace",
                 "persistent"},
    "Queue": {"max_priority", "max_length", "overflow", "ttl", "delivery_limit", "dead_letter", "type", "durable"},
    "Consumers": {"count", "service", "prefetch", "service_by", "nack", "reject", "auto_ack", "failure", "requeue",
                  "dispatch_overhead", "client_overhead"},
    "Stage": {"name", "queue", "consumers"},
    "Restarts": {"times", "every", "downtime"},
}


def _unknown_fields(sc: Scenario) -> str | None:
    """``"part.field"`` of the first field set to a non-default value that the fast engine does
    not know, or None."""
    import dataclasses

    parts: list[Any] = [sc, *sc.producers, sc.queue, sc.consumers]
    for st in sc.stages:
        parts += [st, st.queue, st.consumers]
    if sc.restarts is not None:
        parts.append(sc.restarts)
    for obj in parts:
        known = KNOWN_FIELDS.get(type(obj).__name__, set())
        for f in dataclasses.fields(obj):
            if f.name in known:
                continue
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if default is dataclasses.MISSING or getattr(obj, f.name) != default:
                return f"{type(obj).__name__.lower()}.{f.name}"
    return None


def check_supported(scenario: Scenario, *, handlers: Any = None) -> None:
    """Raise ``ValueError`` naming the unsupported feature if the fast engine cannot run ``scenario``."""
    why = unsupported(scenario, handlers=handlers)
    if why is not None:
        raise ValueError(f"engine='fast': {why}; use engine='simpy' (or engine='auto' to fall back automatically)")


def warm_up() -> float:
    """Compile (or load from numba's on-disk cache) the event loop; returns the seconds it took."""
    import time

    from mqsim.model.scenario import Consumers, Producer

    t = time.perf_counter()
    sc = Scenario(producers=[Producer("p", interarrival=dist.Deterministic(1.0), ttl=0.5)],
                  consumers=Consumers(1, service=dist.Deterministic(2.0)))
    simulate(sc, horizon=5.0, seed=0)
    simulate(sc, horizon=5.0, seed=0, records="summary")
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------
def _grow(a: np.ndarray, n: int, new_cap: int) -> np.ndarray:
    """A copy of ``a`` (1-D, or 2-D along its last axis) with capacity ``new_cap`` and its first
    ``n`` entries."""
    b = np.empty(a.shape[:-1] + (new_cap,), dtype=a.dtype)
    b[..., :n] = a[..., :n]
    return b


class _Run:
    """One fast run: the state, the streams, and (summary mode) the statistics fed so far."""

    def __init__(self, sc: Scenario, seed: int, horizon: float, warmup: float, trace: bool, summary: bool):
        self.sc, self.horizon, self.summary = sc, horizon, summary
        self.tables: Tables = build_tables(sc, seed)
        expected = max(sc.arrival_rate * horizon, 0.0)
        full_cap = int(expected * 1.02 + 6.0 * math.sqrt(expected) + 1024)
        cap = min(full_cap, SUMMARY_WINDOW) if summary else full_cap
        self.S = initial_state(self.tables, cap=cap, trace=trace and not summary)
        self.stats = SummaryStats(sc, warmup, horizon).use_compiled(_kernel()) if summary else None

    def go(self) -> None:
        """Run the kernel to the horizon, serving its requests."""
        K = _kernel()
        while True:
            status = K.run(self.S, self.horizon)
            if (self.S.spos > self.S.slen).any():  # a safety net: the kernel's checks say this cannot happen
                raise RuntimeError("fast engine: a random stream was read past its end (an internal error; "
                                   "please report it with the scenario); use engine='simpy'")
            if status == L.ST_DONE:
                return
            ist = self.S.ist
            if status == L.ST_STREAM:
                st = self.tables.streams
                st.fill(int(ist[L.I_WHAT]), int(ist[L.I_WANT]))
                if st.buf is not self.S.sbuf:
                    self.S = self.S._replace(sbuf=st.buf)
            elif status == L.ST_GROW:
                self._grow(int(ist[L.I_WHAT]), int(ist[L.I_WANT]))
            else:
                self._error(int(ist[L.I_ERR]), int(ist[L.I_WANT]))

    def _error(self, code: int, info: int) -> None:
        if code == L.E_PROBS:
            P = len(self.sc.producers)
            k, rest = divmod(info, P * 256)
            i, pr = divmod(rest, 256)
            self.sc.node(k)[1].outcome_probs(self.sc.producers[i].name, pr)  # raises the model's ValueError
        raise RuntimeError(f"fast engine: internal error {code} (please report it with the scenario); "
                           "use engine='simpy'")  # pragma: no cover - the kernel sets no other code

    def _grow(self, flags: int, nm: int) -> None:
        S, ist = self.S, self.S.ist
        rep: dict[str, np.ndarray] = {}
        if flags & L.G_MSG:
            self._grow_messages(nm)
            S = self.S
        if flags & L.G_TRACE:
            n = int(ist[L.I_NTR])
            cap = max(int(S.tr_t.shape[0] * 1.5), n + 2 * nm + 64)
            rep.update(tr_t=_grow(S.tr_t, n, cap), tr_i=_grow(S.tr_i, n, cap))
        if flags & L.G_ATT:
            if self.summary:
                self._feed_attempts()
            n, need = int(ist[L.I_NATT]), int(ist[L.I_NATT]) + S.cons_cfg.shape[0] + 1
            if need > S.at_m.shape[0]:
                cap = max(2 * S.at_m.shape[0], need + 64)
                rep.update(at_t=_grow(S.at_t, n, cap), at_m=_grow(S.at_m, n, cap))
        if flags & L.G_HEAP:
            n, cap = int(ist[L.I_HSIZE]), 2 * S.ht.shape[0] + nm
            rep.update(ht=_grow(S.ht, n, cap), hk=_grow(S.hk, n, cap), hn=_grow(S.hn, n, cap))
        if flags & L.G_TTL:
            cap = 2 * S.tdl.shape[1] + nm
            rep.update(tdl=_grow(S.tdl, S.tdl.shape[1], cap), tmid=_grow(S.tmid, S.tmid.shape[1], cap))
        if flags & L.G_SCRATCH:
            rep["scratch"] = np.zeros(2 * S.scratch.shape[0] + nm, dtype=np.int64)
        if flags & L.G_TIMERS:
            rep.update(tmt=_grow(S.tmt, S.tmt.shape[1], 2 * S.tmt.shape[1] + nm + 16))
        if rep:
            self.S = S._replace(**rep)

    def _grow_messages(self, nm: int) -> None:
        S, ist = self.S, self.S.ist
        n = int(ist[L.I_NPUB] - ist[L.I_BASE])
        cap = S.mf.shape[1]
        if self.summary:
            self._feed_attempts()
            done = ~np.isnan(S.mf[L.F_DONE, :n])
            u = n if done.all() else int(np.argmin(done))  # the finished prefix of the window
            if u:
                self._feed(0, u)
                for a in (S.mf, S.mi, S.ml):
                    a[:, :n - u] = a[:, u:n]
                ist[L.I_BASE] += u
                n -= u
            if n + nm <= cap // 2:
                return
        new_cap = max(2 * cap if self.summary else int(cap * 1.5) + 1024, n + nm + 1024)
        self.S = S._replace(mf=_grow(S.mf, n, new_cap), mi=_grow(S.mi, n, new_cap), ml=_grow(S.ml, n, new_cap))

    # ---- summary mode ------------------------------------------------------------------------
    def _feed(self, lo: int, hi: int) -> None:
        """Hand window rows [lo, hi) to the summary statistics."""
        assert self.stats is not None
        mf, mi = self.S.mf, self.S.mi
        dl = mi[L.M_DL, lo:hi]
        outcome = outcome_codes(mf[L.F_DEL, lo:hi], mf[L.F_DONE, lo:hi], mi[L.M_CAUSE, lo:hi], dl if dl.any() else None)
        self.stats.add(producer=mi[L.M_PROD, lo:hi], priority=mi[L.M_PRIO, lo:hi], node=mi[L.M_NODE, lo:hi],
                       t_publish=mf[L.F_PUB, lo:hi], t_start=mf[L.F_START, lo:hi], t_done=mf[L.F_DONE, lo:hi],
                       outcome=outcome, prior=mf[L.F_PRIOR, lo:hi], deliveries=mi[L.M_NDEL, lo:hi],
                       **self._lineage(lo, hi, outcome))

    def _lineage(self, lo: int, hi: int, outcome: np.ndarray) -> dict[str, Any]:
        """ids, parents and route children of window rows [lo, hi), for the journeys of a network
        (as :class:`mqsim.sim.simpy.summary_records.WindowRecords` gives them; nothing with one queue)."""
        if not self.sc.stages:
            return {}
        S = self.S
        base = int(S.ist[L.I_BASE])
        n = int(S.ist[L.I_NPUB]) - base
        parent = S.ml[L.L_PARENT, :n]  # the whole window: a hop's route copy is there too
        child = np.full(hi - lo, -1, dtype=np.int64)
        rows = np.nonzero((parent >= base + lo) & (parent < base + hi))[0]
        child[parent[rows] - base - lo] = base + rows
        child[outcome != 0] = -1  # only an acked hop continues (a dropped one's copy is a dead letter)
        return {"ids": base + np.arange(lo, hi, dtype=np.int64), "parent": parent[lo:hi].copy(), "child": child}

    def _feed_attempts(self) -> None:
        """Hand the logged service attempts to the statistics (their messages are in the window)."""
        assert self.stats is not None
        S, ist = self.S, self.S.ist
        n = int(ist[L.I_NATT])
        if n:
            x = S.at_m[:n] - ist[L.I_BASE]
            self.stats.add_attempts(producer=S.mi[L.M_PROD, x], priority=S.mi[L.M_PRIO, x],
                                    node=S.mi[L.M_NODE, x], start=S.at_t[0, :n].copy(), end=S.at_t[1, :n].copy())
            ist[L.I_NATT] = 0

    def counters(self) -> dict[str, int]:
        ist, nst = self.S.ist, self.S.nst
        return {"acked": int(ist[L.I_NACK]), "dropped": int(ist[L.I_NDROP]), "expired": int(ist[L.I_NEXP]),
                "dead_lettered": int(ist[L.I_NDEAD]), "lost": int(ist[L.I_NLOST]),
                "in_flight": int(nst[:, L.NS_INFL].sum()), "ready": int(nst[:, L.NS_READY].sum())}

    def summary_result(self, warmup: float, seed: int) -> SummaryResult:
        assert self.stats is not None
        self._feed_attempts()
        ist = self.S.ist
        self._feed(0, int(ist[L.I_NPUB] - ist[L.I_BASE]))
        self.stats.check_conservation(self.counters())
        return SummaryResult(self.sc, self.stats, horizon=self.horizon, warmup=warmup, seed=seed, engine="fast")

    def records(self) -> Records:
        """The run as :class:`Records` (numpy columns, views of the state arrays)."""
        S, sc = self.S, self.sc
        n = int(S.ist[L.I_NPUB])
        trace = bool(S.ist[L.I_TRACE])
        rec = Records(sc, self.horizon, trace=trace)
        mf, mi, ml = S.mf, S.mi, S.ml
        for name, row in (("t_publish", L.F_PUB), ("t_deliver", L.F_DEL), ("t_start", L.F_START),
                          ("t_done", L.F_DONE), ("service", L.F_SVC), ("prior", L.F_PRIOR)):
            setattr(rec, name, mf[row, :n])
        for name, row in (("producer", L.M_PROD), ("priority", L.M_PRIO), ("cls", L.M_CLS), ("consumer", L.M_CONS),
                          ("deliveries", L.M_NDEL), ("node", L.M_NODE)):
            setattr(rec, name, mi[row, :n])
        rec.cause = mi[L.M_CAUSE, :n].astype(np.int8)
        rec.dead_lettered = mi[L.M_DL, :n].astype(bool)
        rec.parent = ml[L.L_PARENT, :n]
        if trace:
            m = int(S.ist[L.I_NTR])
            rec.q_time, rec.q_node = S.tr_t[:m], S.tr_i[L.T_NODE, :m]
            rec.q_ready, rec.q_inflight, rec.q_busy = S.tr_i[L.T_READY, :m], S.tr_i[L.T_INFL, :m], S.tr_i[L.T_BUSY, :m]
        na = int(S.ist[L.I_NATT])
        rec.a_mid, rec.a_start, rec.a_end = S.at_m[:na], S.at_t[0, :na], S.at_t[1, :na]
        c = self.counters()
        rec.n_acked, rec.n_dropped, rec.n_expired = c["acked"], c["dropped"], c["expired"]
        rec.n_dead, rec.n_lost = c["dead_lettered"], c["lost"]
        rec.final_ready, rec.final_inflight = c["ready"], c["in_flight"]
        for k in range(len(sc.node_names)):
            rec.node_state(k)[:] = [int(v) for v in S.nst[k, [L.NS_READY, L.NS_INFL, L.NS_BUSY]]]
        rec.check_conservation()
        return rec


def run_records(scenario: Scenario, seed: int, horizon: float, *, trace: bool = False) -> Records:
    """One fast run's :class:`Records` (arguments already validated; for callers that compute
    their own statistics from the columns, without a :class:`Result`)."""
    run = _Run(scenario, seed, horizon, 0.0, trace, False)
    run.go()
    return run.records()


def simulate(scenario: Scenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
             trace: bool = True, records: str = "full", handlers: Any = None) -> Result:
    """Run ``scenario`` for ``horizon`` seconds on the fast engine (see the module docstring).

    Same arguments and the same :class:`mqsim.Result` as :func:`mqsim.simulate`, for the same
    seed the same records; ``records="summary"`` returns a :class:`mqsim.sim.result.SummaryResult`
    (flat memory, no per-message rows, no trace). Raises ``ValueError`` for a scenario the fast
    engine does not support, and :class:`FastEngineUnavailable` (an ``ImportError``) if numba
    is missing.
    """
    check_supported(scenario, handlers=handlers)
    horizon, warmup = check_run_window(horizon, warmup)
    check_records_mode(records)
    _kernel()
    seed = resolve_seed(seed)
    run = _Run(scenario, seed, horizon, warmup, bool(trace), records == "summary")
    run.go()
    if run.summary:
        return run.summary_result(warmup, seed)
    return Result(scenario, run.records(), horizon=horizon, warmup=warmup, seed=seed, engine="fast")
