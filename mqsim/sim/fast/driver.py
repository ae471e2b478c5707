"""The fast engine: a numba-compiled event loop that follows the SimPy engine's sample paths.

For the scenarios it supports (see :func:`unsupported`), ``simulate(..., engine="fast")``
returns the same records as the SimPy engine for the same seed, to the last bit: the same
random numbers (each stream of :mod:`mqsim.streams` is drawn in the same ``BLOCK``-sized
vectorised calls, from the same generators) consumed in the same order by an event loop that
schedules the same events in the same order as :mod:`mqsim.engine` (see the event-order list
in its docstring), with SimPy's tie rule: events at equal times run by (priority, scheduling
order), TTL timers URGENT, everything else NORMAL.

Supported: one queue; any number of producers with renewal arrivals (any
:mod:`mqsim.dist` inter-arrival distribution, one message per arrival), fixed priorities or
priority mixes, ``max_priority`` clipping; ``service`` / ``service_by`` overrides; ``c``
consumers with prefetch 1 and explicit acks; ``max_length`` with ``drop-head`` or
``reject-publish``; message TTL (queue ``ttl`` and producer ``ttl``). Anything else raises a
``ValueError`` naming the feature (``engine="auto"`` falls back to SimPy instead).

Speed: 5-10 million messages per second on one core once compiled, 30-60 times the SimPy
engine (``benchmarks/bench_engines.py``). The compiled code is cached on disk (numba
``cache=True``): the first run on a machine compiles for a few seconds, later processes load
it in about a second (numba's import included); :func:`warm_up` does that ahead of time, e.g.
before an interactive session. numba is optional: ``pip install 'mqsim[fast]'``.

``records="summary"`` keeps running statistics instead of per-message rows (flat memory,
see :mod:`mqsim.summary`).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from mqsim.analysis.streaming import SummaryStats
from mqsim.model import dist
from mqsim.model.dist import Discrete
from mqsim.model.scenario import Scenario
from mqsim.model.validate import check_run_window
from mqsim.sim.records import Records, check_records_mode, outcome_codes
from mqsim.sim.result import Result, SummaryResult
from mqsim.sim.streams import ARRIVAL, BLOCK, PRIORITY, SERVICE, make_rng, resolve_seed

__all__ = ["simulate", "unsupported", "check_supported", "available", "FastEngineUnavailable", "INSTALL_HINT",
           "warm_up"]

INSTALL_HINT = "pip install 'mqsim[fast]'"
#: blocks drawn per refill of a stream: starts at 1 and doubles up to this many
MAX_BLOCKS = 64
#: bound on the random-number buffers of all streams together (bytes)
BUFFER_BYTES = 16 << 20
#: initial per-message window in summary mode (messages); it grows only while that many are
#: in the system at once
SUMMARY_WINDOW = 1 << 16


#: distributions whose ``sample(rng, n)`` is one sequential draw from the generator, so that
#: ``sample(rng, m * BLOCK)`` equals ``m`` calls of ``sample(rng, BLOCK)`` (checked by
#: tests/test_fast_identity.py); others (e.g. HyperExponential, which draws two arrays per
#: call) are drawn block by block, exactly as mqsim.streams.Stream does
SEQUENTIAL = frozenset({dist.Exponential, dist.Deterministic, dist.Uniform, dist.Gamma, dist.Erlang,
                        dist.LogNormal, dist.Empirical, dist.Discrete})


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
        from mqsim.sim.fast import kernel as _fastkernel
    except ImportError as exc:
        if "numba" in str(exc) or getattr(exc, "name", "") in ("numba", "llvmlite"):
            raise FastEngineUnavailable(
                f"engine='fast' needs numba, which is not installed ({exc}). Install it with: {INSTALL_HINT} "
                f"(or use engine='simpy' / engine='auto')") from None
        raise
    return _fastkernel


def unsupported(scenario: Scenario, *, handlers: Any = None) -> str | None:
    """Why the fast engine cannot run ``scenario`` (with these event ``handlers``), or None if it can."""
    if not isinstance(scenario, Scenario):
        return f"scenario: must be a mqsim.Scenario, got {type(scenario).__name__}"
    if handlers and any(handlers.values() if isinstance(handlers, dict) else [handlers]):
        return "event handlers (publish/deliver/ack/... hooks) are not supported by the fast engine"
    sc = scenario
    if getattr(sc, "stages", ()) or getattr(sc, "routes", {}):
        return "pipelines and dead-letter queues (Scenario.stages / routes) are not supported by the fast engine"
    for p in sc.producers:
        where = f"producer {p.name!r}"
        if getattr(p, "schedule", None) is not None:
            return f"{where}: time-varying arrival rates (schedule) are not supported by the fast engine"
        if getattr(p, "trace", None) is not None:
            return f"{where}: trace replay is not supported by the fast engine"
        if getattr(p, "batch", 1) != 1:
            return f"{where}: batch publishing (batch={p.batch!r}) is not supported by the fast engine"
        if p.interarrival is None:  # pragma: no cover - covered by the cases above
            return f"{where}: only renewal arrivals (rate or interarrival) are supported by the fast engine"
    q, cons = sc.queue, sc.consumers
    if getattr(q, "dead_letter", None) is not None:
        return "dead-lettering (queue.dead_letter) is not supported by the fast engine"
    if q.overflow not in ("drop-head", "reject-publish"):
        return f"queue.overflow={q.overflow!r} is not supported by the fast engine (drop-head, reject-publish are)"
    if getattr(cons, "auto_ack", False):
        return "consumers.auto_ack is not supported by the fast engine"
    if cons.prefetch != 1:
        return f"consumers.prefetch={cons.prefetch} is not supported by the fast engine (only prefetch 1 is)"
    if getattr(cons, "has_outcomes", False):
        return "processing failures (consumers.nack / consumers.reject) are not supported by the fast engine"
    if getattr(cons, "failure", None) is not None:
        return "consumer crashes (consumers.failure) are not supported by the fast engine"
    if getattr(cons, "dispatch_overhead", 0.0):
        return "a per-delivery overhead (consumers.dispatch_overhead) is not supported by the fast engine"
    if getattr(sc, "restarts", None) is not None:
        return "broker restarts (Scenario.restarts) are not supported by the fast engine"
    if getattr(q, "queue_type", "classic") == "quorum" and q.max_length is not None and q.overflow != "drop-head":
        return "a quorum queue's reject-publish limit (queue.type quorum) is not supported by the fast engine"
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
    return time.perf_counter() - t


# ---------------------------------------------------------------------------------------
class _Streams:
    """The random streams of a run, as :mod:`mqsim.engine` builds them, in one 2-D buffer.

    Row ``s`` holds the not-yet-used part of stream ``s``'s latest refill; a refill draws
    ``sampler(rng, BLOCK)`` block by block (exactly the calls :class:`mqsim.streams.Stream`
    makes), doubling the number of blocks per refill up to :data:`MAX_BLOCKS`.
    """

    def __init__(self) -> None:
        self.samplers: list[Callable[[np.random.Generator, int], np.ndarray]] = []
        self.whole: list[bool] = []
        self.rngs: list[np.random.Generator] = []
        self.luts: list[np.ndarray | None] = []
        self.nblocks: list[int] = []
        self.max_blocks = MAX_BLOCKS
        self.buf = np.empty((0, 0))
        self.pos = np.zeros(0, dtype=np.int64)
        self.len = np.zeros(0, dtype=np.int64)

    def add(self, d: Any, rng: np.random.Generator, lut: np.ndarray | None = None) -> int:
        """Register the stream of distribution ``d`` (a :mod:`mqsim.dist` object) drawn from ``rng``;
        ``lut`` maps drawn priorities to level positions. Returns the stream's row."""
        self.samplers.append(d.sample)
        self.whole.append(type(d) in SEQUENTIAL)
        self.rngs.append(rng)
        self.luts.append(lut)
        self.nblocks.append(0)
        return len(self.samplers) - 1

    def allocate(self) -> None:
        n = len(self.samplers)
        # at most 64 blocks (512 KB) per stream, and at most BUFFER_BYTES for all of them
        cap = max(1, min(MAX_BLOCKS, BUFFER_BYTES // (8 * BLOCK * max(n, 1))))
        self.max_blocks = 1 << (cap.bit_length() - 1)
        self.buf = np.empty((n, self.max_blocks * BLOCK))
        self.pos = np.zeros(n, dtype=np.int64)
        self.len = np.zeros(n, dtype=np.int64)

    def refill(self, s: int) -> None:
        nb = min(max(1, 2 * self.nblocks[s]), self.max_blocks)
        self.nblocks[s] = nb
        sampler, rng = self.samplers[s], self.rngs[s]
        row = self.buf[s]
        if self.whole[s]:  # one call gives the same values as nb calls (see SEQUENTIAL)
            row[:nb * BLOCK] = sampler(rng, nb * BLOCK)
        else:
            for b in range(nb):
                row[b * BLOCK:(b + 1) * BLOCK] = sampler(rng, BLOCK)
        lut = self.luts[s]
        if lut is not None:  # a priority stream: store the producer's level position k instead
            row[:nb * BLOCK] = lut[row[:nb * BLOCK].astype(np.int64)]
        self.pos[s] = 0
        self.len[s] = nb * BLOCK


def _build(sc: Scenario, seed: int, K: Any) -> dict[str, Any]:
    """Producer tables and streams, in the order and with the keys :mod:`mqsim.engine` uses."""
    q = sc.queue
    P = len(sc.producers)
    if q.max_priority is None:
        level_of: dict[int, int] = {}
        n_levels = 1
    else:
        used = sorted({q.effective_priority(p) for pr in sc.producers for p in pr.priority_levels}, reverse=True)
        level_of = {p: lv for lv, p in enumerate(used)}
        n_levels = len(used)
    kmax = max(len(p.priority_levels) for p in sc.producers)
    pcfg = np.full((P, K.N_PCFG), -1, dtype=np.int64)
    p_eff = np.zeros((P, kmax), dtype=np.int64)
    p_lvl = np.zeros((P, kmax), dtype=np.int64)
    p_ttl = np.full(P, math.inf)
    queue_ttl = q.ttl if getattr(q, "ttl", None) is not None else math.inf
    streams = _Streams()
    for i, p in enumerate(sc.producers):
        levels = p.priority_levels
        pcfg[i, K.P_ARR] = streams.add(p.interarrival, make_rng(seed, ARRIVAL, i))
        if isinstance(p.priority, Discrete):
            lut = np.zeros(256)
            for kk, lv in enumerate(levels):  # as the engine's pos_of: the last position of a level wins
                lut[lv] = kk
            pcfg[i, K.P_PRIO] = streams.add(p.priority, make_rng(seed, PRIORITY, i), lut)
        first = -1
        for kk, lv in enumerate(levels):
            s = streams.add(sc.service_for(i, lv), make_rng(seed, SERVICE, i, kk))
            first = s if kk == 0 else first
            eff = q.effective_priority(lv)
            p_eff[i, kk] = eff
            p_lvl[i, kk] = level_of.get(eff, 0)
        pcfg[i, K.P_SVC0] = first
        msg_ttl = p.ttl if getattr(p, "ttl", None) is not None else math.inf
        p_ttl[i] = queue_ttl if queue_ttl < msg_ttl else msg_ttl
    streams.allocate()
    for i in range(P):
        streams.refill(int(pcfg[i, K.P_ARR]))  # the first gaps are drawn at t = 0
    return {"pcfg": pcfg, "p_eff": p_eff, "p_lvl": p_lvl, "p_ttl": p_ttl, "streams": streams,
            "n_levels": n_levels}


def _grow_rows(a: np.ndarray, n: int, new_cap: int) -> np.ndarray:
    """A copy of ``a`` (1-D, or 2-D by columns) with capacity ``new_cap`` and its first ``n`` entries."""
    if a.ndim == 1:
        b = np.empty(new_cap, dtype=a.dtype)
        b[:n] = a[:n]
    else:
        b = np.empty((a.shape[0], new_cap), dtype=a.dtype)
        b[:, :n] = a[:, :n]
    return b


def simulate(scenario: Scenario, horizon: float, warmup: float = 0.0, seed: int | None = None, *,
             trace: bool = True, records: str = "full", handlers: Any = None) -> Result:
    """Run ``scenario`` for ``horizon`` seconds on the fast engine (see the module docstring).

    Same arguments and the same :class:`mqsim.Result` as :func:`mqsim.engine.simulate`, for the
    same seed the same records; ``records="summary"`` returns a
    :class:`mqsim.summary.SummaryResult` (flat memory, no per-message rows, no trace).
    Raises ``ValueError`` for a scenario the fast engine does not support, and
    :class:`FastEngineUnavailable` (an ``ImportError``) if numba is missing.
    """
    check_supported(scenario, handlers=handlers)
    horizon, warmup = check_run_window(horizon, warmup)
    check_records_mode(records)
    K = _kernel()
    seed = resolve_seed(seed)
    sc = scenario
    summary = records == "summary"
    trace = bool(trace) and not summary
    b = _build(sc, seed, K)
    streams: _Streams = b["streams"]
    P, c = len(sc.producers), sc.consumers.count
    q = sc.queue

    expected = sc.arrival_rate * horizon
    full_cap = int(expected * 1.02 + 6.0 * math.sqrt(expected) + 1024)
    cap = min(full_cap, SUMMARY_WINDOW) if summary else full_cap
    mf = np.empty((K.N_MF, cap))
    mi = np.empty((K.N_MI, cap), dtype=np.int64)
    trcap = 3 * cap + 64 if trace else 1
    tr_t = np.empty(trcap)
    tr_i = np.empty((3, trcap), dtype=np.int64)
    hcap = P + c + 16
    ht, hk, hn = np.empty(hcap), np.empty(hcap, dtype=np.int64), np.empty(hcap, dtype=np.int64)
    ttlcap = 1024
    tdl, tmid, tdum = np.empty(ttlcap), np.empty(ttlcap, dtype=np.int64), np.empty(ttlcap, dtype=np.int64)
    tmcap = 64
    tmt, tmk, tmp = np.empty(tmcap), np.empty(tmcap, dtype=np.int64), np.empty(tmcap, dtype=np.int64)
    ist = np.zeros(K.N_IST, dtype=np.int64)
    cons = np.empty((K.N_CONS, c), dtype=np.int64)
    avail = np.empty(c, dtype=np.int64)
    rcap = 256
    lvq = np.empty((b["n_levels"], rcap), dtype=np.int64)
    lvs = np.zeros((2, b["n_levels"]), dtype=np.int64)
    max_length = -1 if q.max_length is None else int(q.max_length)
    reject = q.overflow == "reject-publish"
    stats = SummaryStats(sc, warmup, horizon).use_compiled(K) if summary else None

    def feed(lo: int, hi: int) -> None:
        """Hand window rows [lo, hi) to the summary statistics."""
        assert stats is not None
        cause = mi[K.M_CAUSE, lo:hi]
        stats.add(producer=mi[K.M_PROD, lo:hi], priority=mi[K.M_PRIO, lo:hi], t_publish=mf[K.F_PUB, lo:hi],
                  t_start=mf[K.F_START, lo:hi], t_done=mf[K.F_DONE, lo:hi],
                  outcome=outcome_codes(mf[K.F_DEL, lo:hi], mf[K.F_DONE, lo:hi], cause),
                  deliveries=mi[K.M_NDEL, lo:hi])

    run = K.run
    while True:
        status = run(horizon, max_length, reject, trace, ist, ht, hk, hn, tdl, tmid, tdum, tmt, tmk, tmp, cons,
                     avail, lvq, lvs, b["pcfg"], b["p_eff"], b["p_lvl"], b["p_ttl"], streams.buf, streams.pos, streams.len,
                     mf, mi, tr_t, tr_i)
        if status == K.ST_DONE:
            break
        what = int(ist[K.I_WHAT])
        if status == K.ST_STREAM:
            streams.refill(what)
        elif what == K.G_MSG:
            n = int(ist[K.I_NPUB] - ist[K.I_BASE])
            if summary:
                done = ~np.isnan(mf[K.F_DONE, :n])
                u = n if done.all() else int(np.argmin(done))  # finished prefix of the window
                if u:
                    feed(0, u)
                    mf[:, :n - u] = mf[:, u:n]
                    mi[:, :n - u] = mi[:, u:n]
                    ist[K.I_BASE] += u
                if n - u > cap // 2:
                    cap *= 2
                    mf, mi = _grow_rows(mf, n - u, cap), _grow_rows(mi, n - u, cap)
            else:
                cap = int(cap * 1.5) + 1024
                mf, mi = _grow_rows(mf, n, cap), _grow_rows(mi, n, cap)
        elif what == K.G_TRACE:
            n = int(ist[K.I_NTR])
            trcap = int(trcap * 1.5) + 64
            tr_t, tr_i = _grow_rows(tr_t, n, trcap), _grow_rows(tr_i, n, trcap)
        elif what == K.G_HEAP:
            n = int(ist[K.I_HSIZE])
            hcap = 2 * hcap
            ht, hk, hn = _grow_rows(ht, n, hcap), _grow_rows(hk, n, hcap), _grow_rows(hn, n, hcap)
        elif what == K.G_TTL:
            n = int(ist[K.I_TSIZE])
            ttlcap *= 2
            tdl, tmid, tdum = _grow_rows(tdl, n, ttlcap), _grow_rows(tmid, n, ttlcap), _grow_rows(tdum, n, ttlcap)
        elif what == K.G_TIMERS:
            n = int(ist[K.I_TMSIZE])
            tmcap *= 2
            tmt, tmk, tmp = _grow_rows(tmt, n, tmcap), _grow_rows(tmk, n, tmcap), _grow_rows(tmp, n, tmcap)
        elif what == K.G_RING:  # a priority level's ring is full: double them all, heads to 0
            new = np.empty((lvq.shape[0], 2 * rcap), dtype=np.int64)
            for lev in range(lvq.shape[0]):
                idx = (lvs[0, lev] + np.arange(lvs[1, lev])) % rcap
                new[lev, :len(idx)] = lvq[lev, idx]
            lvs[0, :] = 0
            rcap *= 2
            lvq = new
        else:  # pragma: no cover
            raise RuntimeError(f"fast engine: unknown request {status}/{what}")

    counters = {"acked": int(ist[K.I_NACK]), "dropped": int(ist[K.I_NDROP]), "expired": int(ist[K.I_NEXP]),
                "in_flight": int(ist[K.I_NINFL]), "ready": int(ist[K.I_NREADY]), "dead_lettered": 0, "lost": 0}
    n = int(ist[K.I_NPUB] - ist[K.I_BASE])
    if summary:
        assert stats is not None
        feed(0, n)
        stats.check_conservation(counters)
        return SummaryResult(sc, stats, horizon=horizon, warmup=warmup, seed=seed, engine="fast")

    rec = Records(sc, horizon, trace=trace)
    rec.producer = mi[K.M_PROD, :n]
    rec.priority = mi[K.M_PRIO, :n]
    rec.cls = mi[K.M_CLS, :n]
    rec.t_publish = mf[K.F_PUB, :n]
    rec.t_deliver = mf[K.F_DEL, :n]
    rec.t_start = mf[K.F_START, :n]
    rec.t_done = mf[K.F_DONE, :n]
    rec.consumer = mi[K.M_CONS, :n]
    rec.cause = mi[K.M_CAUSE, :n].astype(np.int8)
    rec.service = mf[K.F_SVC, :n]
    rec.deliveries = mi[K.M_NDEL, :n]
    # the columns the fast engine never varies: main queue, no parent, no earlier service
    # attempts, not dead-lettered (zero-stride read-only views: no memory per message)
    rec.node = np.broadcast_to(np.int64(0), (n,))
    rec.parent = np.broadcast_to(np.int64(-1), (n,))
    rec.prior = np.broadcast_to(np.float64(0.0), (n,))
    rec.dead_lettered = np.broadcast_to(np.False_, (n,))
    if trace:
        m = int(ist[K.I_NTR])
        rec.q_time = np.concatenate([np.asarray(rec.q_time, dtype=float), tr_t[:m]])
        rec.q_node = np.concatenate([np.asarray(rec.q_node, dtype=np.int64), np.zeros(m, dtype=np.int64)])
        rec.q_ready = np.concatenate([np.asarray(rec.q_ready, dtype=np.int64), tr_i[0, :m]])
        rec.q_inflight = np.concatenate([np.asarray(rec.q_inflight, dtype=np.int64), tr_i[1, :m]])
        rec.q_busy = np.concatenate([np.asarray(rec.q_busy, dtype=np.int64), tr_i[2, :m]])
    rec.n_acked, rec.n_dropped, rec.n_expired = counters["acked"], counters["dropped"], counters["expired"]
    rec.final_ready, rec.final_inflight = counters["ready"], counters["in_flight"]
    st = rec.node_state(0) if hasattr(rec, "node_state") else rec.state
    st[:] = [counters["ready"], counters["in_flight"], int(ist[K.I_NBUSY])]
    rec.check_conservation()
    return Result(sc, rec, horizon=horizon, warmup=warmup, seed=seed, engine="fast")
