"""Streaming summary statistics: the metrics of :mod:`mqsim.metrics` without per-message rows.

``records="summary"`` (in :func:`mqsim.simulate`) runs an engine that hands finished messages
to a :class:`SummaryStats` in chunks and then forgets them, so memory stays flat however many
messages a run has (10^8 is fine). The result is a :class:`mqsim.sim.result.SummaryResult`: ``summary()``,
``overall()``, ``metric()`` and ``counts()`` give the same columns as a full run.

Exactness (same seed, same engine, full vs summary):

* counts (published, acked, dropped, expired, ..., redelivered, duplicates) are identical;
* sums and means (L, Lq, W, Wq, p_wait, utilisation, rates) agree to rounding (about 1e-12
  relative: the same terms, added in a different order);
* percentiles (``wait_p50`` ... ``sojourn_p99``) are **approximate**: each value goes into a
  log-linear bucket (each power of two split into :data:`SUB` equal parts, so a bucket spans
  at most 1/256 = 0.4 % of its values) between 2^-30 s (about 1 ns) and 2^30 s (34 years);
  exact zeros, smaller and larger values have a bucket each. A bucket is represented by the
  mean of the values in it, and the percentile interpolates between order statistics as
  ``numpy.quantile`` does. The error is at most the bucket width, 2 * :data:`ALPHA` (0.4 %)
  relative, typically about a tenth of that, and zero when the values in a bucket are all
  equal (deterministic times) or exactly 0 (messages that did not wait). Buckets merge
  exactly, which is what gives per-producer and per-priority percentiles from per-class
  histograms.

Statistics are kept per class = (queue, producer, effective priority); the groups of
``summary(by=...)`` ("queue", "producer", "priority") are sums of classes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from mqsim.analysis.journeys import JourneyFolder
from mqsim.model.outcomes import OUTCOMES, ConservationError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SummaryStats", "ALPHA", "XMIN", "XMAX", "bucket_of", "hist_quantiles", "servers"]

#: sub-buckets per power of two (log-linear histogram); bucket width <= 1 / SUB relative
SUB_BITS = 8
SUB = 1 << SUB_BITS
#: half the relative width of a bucket (the percentile error is at most 2 * ALPHA)
ALPHA = 0.5 / SUB
#: binary exponents resolved: durations in [2**EMIN, 2**EMAX) seconds
EMIN, EMAX = -30, 30
XMIN, XMAX = 2.0**EMIN, 2.0**EMAX
NBINS = (EMAX - EMIN) * SUB + 3  # [0] exact zero, [1] underflow, [2 ..] log-linear, [-1] overflow
_N_OUT = len(OUTCOMES)

# per-class counters (int64) and sums (float64)
(K_TOTAL, K_PUB, K_ACK_WIN, K_WN, K_WPOS, K_SN, K_REDEL, K_DUP, N_K) = range(9)
(S_BUSY, S_LAREA, S_WSUM, S_SSUM, N_S) = range(5)



def bucket_of(x: np.ndarray) -> np.ndarray:
    """Histogram bucket index of each duration in ``x`` (seconds, >= 0), from the bits of the
    float64: the binary exponent and the top :data:`SUB_BITS` bits of the mantissa."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    bits = x.view(np.int64)
    e = ((bits >> 52) & 0x7FF) - 1023
    out = 2 + (e - EMIN) * SUB + ((bits >> (52 - SUB_BITS)) & (SUB - 1))
    out[e < EMIN] = 1
    out[e >= EMAX] = NBINS - 1
    out[x <= 0] = 0
    return out


def hist_quantiles(counts: np.ndarray, sums: np.ndarray, qs: Iterable[float]) -> list[float]:
    """Quantiles ``qs`` of the values summarised by bucket ``counts`` and ``sums``, with
    ``numpy.quantile``'s linear interpolation between order statistics (NaN if empty)."""
    qs = list(qs)
    n = int(counts.sum())
    if n == 0:
        return [math.nan] * len(qs)
    nz = np.flatnonzero(counts)
    cum = np.cumsum(counts[nz])
    rep = sums[nz] / counts[nz]

    def order_stat(r: int) -> float:
        return float(rep[np.searchsorted(cum, r, side="right")])

    out = []
    for q in qs:
        h = (n - 1) * q
        lo = int(math.floor(h))
        v_lo = order_stat(lo)
        v_hi = order_stat(min(lo + 1, n - 1))
        out.append(v_lo + (h - lo) * (v_hi - v_lo))
    return out


def _clipped_overlap(start: np.ndarray, end: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Per interval, its length inside ``[t0, t1)`` (0 if none); NaN end = open, NaN start = never."""
    s = np.maximum(np.nan_to_num(start, nan=np.inf), t0)
    e = np.minimum(np.nan_to_num(end, nan=t1), t1)
    d = e - s
    return np.where(d > 0, d, 0.0)


class SummaryStats:
    """Running statistics of one run over the window ``[warmup, horizon)`` seconds.

    Feed every message exactly once with :meth:`add` (in any chunking: finished messages as
    they leave, the rest at the end), and failed service attempts with :meth:`add_attempts`.
    """

    trace = False  # no queue-length series in summary mode

    def __init__(self, scenario: Any, warmup: float, horizon: float, *, with_journeys: bool = True):
        self.scenario = scenario
        self.t0 = float(warmup)
        self.t1 = float(horizon)
        self.n_producers = len(scenario.producers)
        self._index: dict[int, int] = {}  # class key -> row
        self.keys: list[tuple[int, int, int]] = []  # (node, producer, priority) per row
        self.k = np.zeros((0, N_K), dtype=np.int64)
        self.s = np.zeros((0, N_S), dtype=float)
        self.out_win = np.zeros((0, _N_OUT), dtype=np.int64)  # outcomes of messages published in window
        self.out_all = np.zeros((0, _N_OUT), dtype=np.int64)  # outcomes of every message
        self.h_wait = np.zeros((0, NBINS, 2))  # [class, bucket, (count, sum)]
        self.h_soj = np.zeros((0, NBINS, 2))
        n_nodes = len(getattr(scenario, "node_names", ("main",)))
        self._lut = np.full(n_nodes * self.n_producers * 256, -1, dtype=np.int64)  # class key -> row
        self._compiled: Any = None
        #: with stages: the end-to-end journeys of original messages (see mqsim.analysis.journeys)
        self.folder = JourneyFolder() if with_journeys and bool(getattr(scenario, "stages", ())) else None
        self.journeys = SummaryStats(scenario, warmup, horizon, with_journeys=False) if self.folder else None

    def use_compiled(self, kernel: Any) -> "SummaryStats":
        """Accumulate with the compiled loop of :mod:`mqsim._fastkernel` (the fast engine's
        summary mode); same statistics as the numpy path, up to the order of additions."""
        self._compiled = kernel
        return self

    # ---- feeding ------------------------------------------------------------------------
    def _classes(self, node: np.ndarray, producer: np.ndarray, priority: np.ndarray) -> np.ndarray:
        key = (node.astype(np.int64) * self.n_producers + producer) * 256 + priority
        rows = self._lut[key]
        if (rows < 0).any():
            for kk in np.unique(key[rows < 0]).tolist():
                self._lut[kk] = len(self.keys)
                nd, rest = divmod(kk, self.n_producers * 256)
                self.keys.append((nd, rest // 256, rest % 256))
                self._grow()
            rows = self._lut[key]
        return rows

    def _grow(self) -> None:
        self.k = np.vstack([self.k, np.zeros((1, N_K), dtype=np.int64)])
        self.s = np.vstack([self.s, np.zeros((1, N_S))])
        self.out_win = np.vstack([self.out_win, np.zeros((1, _N_OUT), dtype=np.int64)])
        self.out_all = np.vstack([self.out_all, np.zeros((1, _N_OUT), dtype=np.int64)])
        self.h_wait = np.concatenate([self.h_wait, np.zeros((1, NBINS, 2))])
        self.h_soj = np.concatenate([self.h_soj, np.zeros((1, NBINS, 2))])

    def add(self, *, producer: np.ndarray, priority: np.ndarray, t_publish: np.ndarray, t_start: np.ndarray,
            t_done: np.ndarray, outcome: np.ndarray, node: np.ndarray | None = None, prior: np.ndarray | None = None,
            deliveries: np.ndarray | None = None, ids: np.ndarray | None = None, parent: np.ndarray | None = None,
            child: np.ndarray | None = None, service_busy: bool = True) -> None:
        """Account for a chunk of messages (arrays of equal length; times in seconds, NaN =
        did not happen; outcome codes into :data:`mqsim.model.outcomes.OUTCOMES`).

        With stages, chunks must come in id order with ``ids``, ``parent`` and ``child`` (the id
        of a hop's route copy, -1 for none) so the hops fold into journeys. ``service_busy=False``:
        the rows are not services (journeys), so they add no busy time.
        """
        m = len(t_publish)
        if m == 0:
            return
        if self.folder is not None and self.journeys is not None:  # both or neither (see __init__)
            if ids is None or parent is None or child is None:
                raise ValueError("SummaryStats.add: a scenario with stages needs ids, parent and child")
            n = len(t_publish)
            z = np.zeros(n)
            J = self.folder.fold(ids, parent, child, producer, t_publish, t_start, t_done, outcome,
                                 z if prior is None else prior, np.ones(n, dtype=np.int64) if deliveries is None
                                 else deliveries)
            self.journeys.add(producer=J["producer"], priority=np.zeros(len(J["producer"]), dtype=np.int64),
                              t_publish=J["t_publish"], t_start=J["t_start"], t_done=J["t_done"],
                              outcome=J["outcome"], deliveries=J["deliveries"], service_busy=False)
        t0, t1 = self.t0, self.t1
        producer = np.asarray(producer, dtype=np.int64)
        priority = np.asarray(priority, dtype=np.int64)
        node = np.zeros(m, dtype=np.int64) if node is None else np.asarray(node, dtype=np.int64)
        outcome = np.asarray(outcome, dtype=np.int64)
        cls = self._classes(node, producer, priority)
        nc = len(self.keys)
        if self._compiled is not None:
            t_publish, t_start, t_done = (np.ascontiguousarray(x, dtype=float) for x in (t_publish, t_start, t_done))
            self._compiled.accumulate(
                cls, t_publish, t_start, t_done, outcome,
                np.zeros(m) if prior is None else np.ascontiguousarray(prior, dtype=float),
                np.zeros(m, dtype=np.int64) if deliveries is None else np.ascontiguousarray(deliveries, dtype=np.int64),
                t0, t1, self.k, self.s, self.out_win, self.out_all, self.h_wait, self.h_soj,
                EMIN, EMAX, SUB_BITS, NBINS)
            return

        def count(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
            c = cls if mask is None else cls[mask]
            w = None if weights is None else (weights if mask is None else weights[mask])
            return np.bincount(c, weights=w, minlength=nc)

        in_win = t_publish >= t0
        started = ~np.isnan(t_start)
        acked = outcome == 0
        wait = t_start - t_publish if prior is None else t_start - t_publish - prior
        wmask = in_win & started
        smask = in_win & acked
        soj = t_done - t_publish
        k = self.k
        k[:, K_TOTAL] += count()
        k[:, K_PUB] += count(in_win)
        k[:, K_ACK_WIN] += count(acked & (t_done >= t0))
        k[:, K_WN] += count(wmask)
        k[:, K_WPOS] += count(wmask & (wait > 0))
        k[:, K_SN] += count(smask)
        if deliveries is not None:
            deliveries = np.asarray(deliveries, dtype=np.int64)
            k[:, K_REDEL] += count(in_win & (deliveries > 1))
            k[:, K_DUP] += count(smask, np.clip(deliveries - 1, 0, None).astype(float)).astype(np.int64)
        s = self.s
        if service_busy:
            s[:, S_BUSY] += count(None, _clipped_overlap(t_start, np.where(started & acked, t_done, np.nan), t0, t1))
        s[:, S_LAREA] += count(None, _clipped_overlap(t_publish, t_done, t0, t1))
        s[:, S_WSUM] += count(wmask, wait)
        s[:, S_SSUM] += count(smask, soj)
        self.out_win += np.bincount(cls[in_win] * _N_OUT + outcome[in_win],
                                    minlength=nc * _N_OUT).reshape(nc, _N_OUT)
        self.out_all += np.bincount(cls * _N_OUT + outcome, minlength=nc * _N_OUT).reshape(nc, _N_OUT)
        for h, mask, x in ((self.h_wait, wmask, wait), (self.h_soj, smask, soj)):
            if mask.any():
                idx = cls[mask] * NBINS + bucket_of(x[mask])
                h[:, :, 0] += np.bincount(idx, minlength=nc * NBINS).reshape(nc, NBINS)
                h[:, :, 1] += np.bincount(idx, weights=x[mask], minlength=nc * NBINS).reshape(nc, NBINS)

    def add_attempts(self, *, producer: np.ndarray, priority: np.ndarray, start: np.ndarray, end: np.ndarray,
                     node: np.ndarray | None = None) -> None:
        """Service attempts (start, end seconds) that did not end in an ack: busy time."""
        if len(start) == 0:
            return
        node = np.zeros(len(start), dtype=np.int64) if node is None else node
        cls = self._classes(np.asarray(node), np.asarray(producer, dtype=np.int64),
                            np.asarray(priority, dtype=np.int64))
        self.s[:, S_BUSY] += np.bincount(cls, weights=_clipped_overlap(start, end, self.t0, self.t1),
                                         minlength=len(self.keys))

    # ---- reading ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Whole-run accounting: published and each outcome."""
        n = self.out_all.sum(axis=0)
        return {"published": int(n.sum()), **{k: int(v) for k, v in zip(OUTCOMES, n)}}

    def check_conservation(self, counters: dict[str, int]) -> None:
        """The engine's counters must match the outcomes the statistics saw."""
        seen = self.counts()
        if any(int(counters.get(k, 0)) != seen[k] for k in OUTCOMES):
            raise ConservationError(f"message conservation violated (summary mode): published={seen['published']}, "
                                    f"counters {counters}, derived from records "
                                    f"{ {k: seen[k] for k in OUTCOMES} }")

    def metrics(self, rows: list[int], servers: int, busy: float | None = None) -> dict[str, Any]:
        """Every metric of :data:`mqsim.analysis.metrics.METRIC_COLUMNS` over the classes ``rows``
        (``busy``: consumer-seconds of service, if not the classes' own)."""
        from mqsim.analysis.metrics import METRIC_COLUMNS, QUANTILES

        T = self.t1 - self.t0
        k = self.k[rows].sum(axis=0)
        s = self.s[rows].sum(axis=0)
        if busy is not None:
            s[S_BUSY] = busy
        ow = self.out_win[rows].sum(axis=0)
        hw = self.h_wait[rows].sum(axis=0)
        hs = self.h_soj[rows].sum(axis=0)
        n_pub = int(k[K_PUB])
        lost_any = int(ow[1] + ow[4] + ow[5] + ow[6])
        L = s[S_LAREA] / T
        wq = hist_quantiles(hw[:, 0], hw[:, 1], QUANTILES)
        ws = hist_quantiles(hs[:, 0], hs[:, 1], QUANTILES)
        vals: dict[str, Any] = {
            "published": n_pub,
            "acked": int(k[K_ACK_WIN]),
            "dropped": int(ow[1]),
            "expired": int(ow[4]),
            "dead_lettered": int(ow[5]),
            "lost": int(ow[6]),
            "loss": lost_any / n_pub if n_pub else math.nan,
            "arrival_rate": n_pub / T,
            "throughput": int(k[K_ACK_WIN]) / T,
            "L": L,
            "Lq": L - s[S_BUSY] / T,
            "W": s[S_SSUM] / k[K_SN] if k[K_SN] else math.nan,
            "Wq": s[S_WSUM] / k[K_WN] if k[K_WN] else math.nan,
            "p_wait": k[K_WPOS] / k[K_WN] if k[K_WN] else math.nan,
            "utilisation": s[S_BUSY] / (T * servers),
            "redelivered": int(k[K_REDEL]),
            "duplicates": int(k[K_DUP]),
        }
        for name, v in zip(("p50", "p95", "p99"), wq):
            vals[f"wait_{name}"] = v
        for name, v in zip(("p50", "p95", "p99"), ws):
            vals[f"sojourn_{name}"] = v
        return {c: vals.get(c, math.nan) for c in METRIC_COLUMNS}

    def _journey_row(self, producer: int | None) -> dict[str, Any]:
        """End-to-end metrics of the journeys (of one producer, or all), busy time from the pipeline's hops."""
        from mqsim.analysis.journeys import pipeline_nodes

        sc = self.scenario
        nodes = pipeline_nodes(sc)
        js = self.journeys
        assert js is not None
        jrows = [r for r in range(len(js.keys)) if producer is None or js.keys[r][1] == producer]
        hops = [r for r in range(len(self.keys)) if self.keys[r][0] in nodes
                and (producer is None or self.keys[r][1] == producer)]
        busy = float(self.s[hops, S_BUSY].sum())
        return js.metrics(jrows, sum(sc.node(k)[1].count for k in nodes), busy=busy)

    def frame(self, by: tuple[str, ...]) -> "pd.DataFrame":
        """Tidy rows (group, key, metrics...) as :func:`mqsim.metrics.summary_frame` builds them."""
        import pandas as pd

        from mqsim.analysis.metrics import METRIC_COLUMNS

        sc = self.scenario
        node_names = list(getattr(sc, "node_names", ("main",)))
        counts, total = servers(sc)
        allrows = list(range(len(self.keys)))
        present = [r for r in allrows if self.k[r, K_TOTAL] > 0]
        end_to_end = self._journey_row if self.journeys is not None else None
        rows = [{"group": "all", "key": "all", **(end_to_end(None) if end_to_end else self.metrics(allrows, total))}]
        for col in by:
            if col == "queue":
                for n, nm in enumerate(node_names):
                    rows.append({"group": "queue", "key": nm,
                                 **self.metrics([r for r in allrows if self.keys[r][0] == n], counts[n])})
            elif col == "producer":
                for i, p in enumerate(sc.producers):
                    sel = [r for r in present if self.keys[r][1] == i]
                    if sel:
                        rows.append({"group": "producer", "key": p.name,
                                     **(end_to_end(i) if end_to_end else self.metrics(sel, total))})
            elif col == "priority":
                for pr in sorted({self.keys[r][2] for r in present}, reverse=True):
                    rows.append({"group": "priority", "key": pr,
                                 **self.metrics([r for r in present if self.keys[r][2] == pr], total)})
            else:
                raise ValueError(f"by: groups must be among 'queue', 'producer', 'priority' in summary mode "
                                 f"(records='summary' keeps no per-message rows); got {col!r}")
        from mqsim.analysis.metrics import mark_unstable

        return mark_unstable(pd.DataFrame(rows, columns=["group", "key", *METRIC_COLUMNS]), sc)


def servers(sc: Any) -> tuple[list[int], int]:
    """Consumers per queue (main, then stages) and their total."""
    if hasattr(sc, "node") and hasattr(sc, "node_names"):
        counts = [sc.node(n)[1].count for n in range(len(sc.node_names))]
    else:  # pragma: no cover - scenarios without stages
        counts = [sc.consumers.count]
    return counts, sum(counts)
