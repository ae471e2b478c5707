"""Automatic warm-up: where the initial transient of a run ends (MSER-5).

A run starts empty, so its first stretch is not typical of the steady state that the formulas
describe. The **MSER** rule (White 1997; MSER-5 in White, Cobb & Spratt 2000, see also Hoad,
Robinson & Davies 2010) picks the truncation point d that minimises the standard error of the
mean of what is left::

    MSER(d) = sum_{i > d} (Y_i - mean(Y_{d+1..n}))^2 / (n - d)^2

MSER-5 applies it to the means of consecutive batches of 5 observations (smoother), and only
considers d up to half the series: a minimum in the second half means the run is too short to
leave its transient, which :class:`WarmupResult` reports (``ok`` False).

For a simulation run, the series is either

* ``"queue"``: the number of messages in the system (ready + in flight), averaged over
  :data:`BINS` equal time bins of the run (a time-average, so each bin weighs the same time), or
* ``"wait"``: each message's wait before service, in publish order.

The cut is then turned into seconds (bin edge, or the publish time of the first kept message),
the ``warmup`` that every replication uses. On one run MSER's minimum is noisy (an unlucky
quiet stretch late in the run can pull the cut there), so experiments average the series of
:data:`PILOTS` independent pilot runs first (:func:`combine_pilots`; Hoad, Robinson & Davies
2010). :func:`plot_warmup` shows the series and the cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["mser", "mser5", "mser_curve", "WarmupResult", "warmup_from_result", "combine_pilots",
           "BINS", "SERIES", "PILOTS"]

#: time bins of the ``"queue"`` series
BINS = 1000
SERIES = ("queue", "wait")
#: pilot runs averaged by default before MSER-5
PILOTS = 5


def _as_series(series: Any) -> np.ndarray:
    y = np.asarray(series, dtype=float).ravel()
    if y.size == 0:
        raise ValueError("series: needs at least one observation")
    if not np.all(np.isfinite(y)):
        raise ValueError("series: every observation must be a finite number (no NaN or inf)")
    return y


def mser_curve(series: Any, batch: int = 5) -> np.ndarray:
    """MSER(d) for d = 0 .. (number of batches - 1), on the means of ``batch`` consecutive
    observations (a trailing partial batch is dropped)."""
    y = _as_series(series)
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"batch: must be an integer >= 1, got {batch!r}")
    k = y.size // batch
    if k < 2:
        raise ValueError(f"series: needs at least {2 * batch} observations for batches of {batch}, got {y.size}")
    z = y[: k * batch].reshape(k, batch).mean(axis=1)
    # suffix sums give every truncated mean and sum of squares in O(k)
    s1 = np.cumsum(z[::-1])[::-1]
    s2 = np.cumsum((z * z)[::-1])[::-1]
    m = k - np.arange(k)  # observations left after cutting d batches
    ss = np.maximum(s2 - s1 * s1 / m, 0.0)
    return ss / (m * m)


def mser(series: Any, batch: int = 1, max_fraction: float = 0.5) -> int:
    """MSER truncation point on batch means: the number of *raw* observations to delete (a
    multiple of ``batch``). ``max_fraction``: largest fraction of the batches that may be cut."""
    if not 0 < max_fraction <= 1:
        raise ValueError(f"max_fraction: must be in (0, 1], got {max_fraction!r}")
    curve = mser_curve(series, batch)
    dmax = max(0, int(math.floor(max_fraction * (curve.size - 1))))
    d = int(np.argmin(curve[: dmax + 1]))
    return d * batch


def mser5(series: Any) -> int:
    """MSER-5: the number of leading observations of ``series`` to delete as warm-up (a multiple
    of 5, at most half the series); 0 when there is no visible transient.

    >>> mser5(np.r_[np.linspace(10, 0, 50), np.zeros(950)])   # a transient of 50 observations
    50
    """
    return mser(series, batch=5, max_fraction=0.5)


@dataclass(frozen=True)
class WarmupResult:
    """Where MSER-5 cut a pilot run.

    time: the warm-up in seconds (what to pass as ``warmup``); index: observations cut;
    series: ``"queue"`` or ``"wait"``; x: the time (s) of each observation (bin start, or publish
    time); y: the observations (messages, or seconds of wait); horizon: run length (s);
    ok: False when the minimum fell at the half-way limit (the run may be too short to show
    its steady state: lengthen it); pilots: number of pilot runs averaged.
    """

    time: float
    index: int
    series: str
    x: np.ndarray
    y: np.ndarray
    horizon: float
    ok: bool = True
    pilots: int = 1

    def __repr__(self) -> str:
        flag = "" if self.ok else " (cut at the half-way limit: run longer)"
        avg = f" (average of {self.pilots} pilot runs)" if self.pilots > 1 else ""
        return (f"<mqsim.WarmupResult MSER-5 on {self.series}{avg}: warm-up {self.time:.6g} s of "
                f"{self.horizon:.6g} s, {self.index} of {self.y.size} observations cut{flag}>")


def _queue_series(result: Any, bins: int) -> tuple[np.ndarray, np.ndarray]:
    q = result.queue_length
    t = q["time"].to_numpy(dtype=float)
    v = (q["ready"] + q["in_flight"]).to_numpy(dtype=float)
    h = float(result.horizon)
    edges = np.linspace(0.0, h, bins + 1)
    t = np.append(t, h)
    cum = np.concatenate([[0.0], np.cumsum(v * np.diff(t))])  # area up to each step time
    k = np.clip(np.searchsorted(t, edges, side="right") - 1, 0, v.size - 1)
    area = cum[k] + v[k] * (edges - t[k])
    return edges[:-1], np.diff(area) / np.diff(edges)


def _cut(x: np.ndarray, y: np.ndarray, series: str, horizon: float, pilots: int = 1) -> WarmupResult:
    d = mser5(y)
    limit = int(math.floor(0.5 * (y.size // 5 - 1))) * 5
    t = float(x[d]) if d > 0 else 0.0
    return WarmupResult(time=t, index=d, series=series, x=x, y=y, horizon=float(horizon), ok=d < limit or d == 0,
                        pilots=pilots)


def _series_of(result: Any, series: str, bins: int) -> tuple[np.ndarray, np.ndarray]:
    if series not in SERIES:
        raise ValueError(f"series: must be one of {', '.join(SERIES)}, got {series!r}")
    if series == "queue":
        return _queue_series(result, bins)
    a = result.arrays
    started = ~np.isnan(a["t_start"])
    x = a["t_publish"][started]
    y = a["t_start"][started] - x
    if y.size < 10:
        raise ValueError(f"series 'wait': the pilot run served only {y.size} messages; lengthen horizon")
    return x, y


def warmup_from_result(result: Any, series: str = "queue", bins: int = BINS) -> WarmupResult:
    """MSER-5 warm-up of one :class:`mqsim.Result` (its whole run, warm-up included).

    ``"queue"`` needs a run made with ``trace=True``; ``"wait"`` uses every message that started
    service, in publish order.
    """
    x, y = _series_of(result, series, bins)
    return _cut(x, y, series, result.horizon)


def combine_pilots(pilots: Sequence[WarmupResult]) -> WarmupResult:
    """MSER-5 on the average of several pilot runs' series (observation by observation: time
    bin for ``"queue"``, message index for ``"wait"``, truncated to the shortest run), as Hoad,
    Robinson & Davies (2010) recommend: averaging damps the noise that can make MSER cut a single
    run late. The cut's time is the mean time of that observation across pilots."""
    pilots = list(pilots)
    if not pilots:
        raise ValueError("pilots: needs at least one pilot run")
    if len(pilots) == 1:
        return pilots[0]
    series = pilots[0].series
    if any(p.series != series for p in pilots):
        raise ValueError("pilots: all pilot runs must use the same series")
    m = min(p.y.size for p in pilots)
    x = np.mean([p.x[:m] for p in pilots], axis=0)
    y = np.mean([p.y[:m] for p in pilots], axis=0)
    return _cut(x, y, series, pilots[0].horizon, len(pilots))



