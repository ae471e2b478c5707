"""Service-level objectives ("p99_wait <= 0.2") and the per-run metrics they need beyond
:data:`mqsim.metrics.METRIC_COLUMNS`.

Metric names an SLO (or ``replicate(..., extra_metrics=...)``) understands, all in seconds
except probabilities and counts:

==================================  ===================================================
``Wq`` (``mean_wait``)              mean wait before service
``W`` (``mean_sojourn``)            mean time in system (publish to ack)
``wait_p99`` (``p99_wait``)         a wait percentile: any p, e.g. ``p90_wait``,
                                    ``wait_p99.9``; ``p999_wait`` means 99.9 %
``sojourn_p95`` (``p95_sojourn``)   a sojourn percentile, likewise
``P(wait > 0.5)``                   fraction of messages that wait more than 0.5 s
                                    (``P(Wq > 0.5)`` is the same)
``P(sojourn > 2)``                  fraction of messages whose sojourn exceeds 2 s (``P(W > 2)``)
``loss``                            fraction of published messages dropped
``p_wait``, ``Lq``, ``L``,          as in :mod:`mqsim.metrics`
``utilisation``
==================================  ===================================================

Percentiles in ``METRIC_COLUMNS`` (p50/p95/p99) come from :mod:`mqsim.metrics`; other
percentiles and the tail probabilities are computed here with the same conventions (messages
published in the observation window ``[t0, t1)``; waits of messages that started service,
sojourns of acked messages; dropped messages have neither). A tail probability also counts a
message still waiting (or unacked) at ``t1`` whose elapsed time already exceeds the threshold,
since its outcome is known.

An SLO is ``<metric> <= <value>`` (or ``<``): an upper bound, met when a confidence interval's
upper end is below it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from mqsim.analysis.metrics import METRIC_COLUMNS

__all__ = ["SLO", "MetricSpec", "parse_slo", "parse_metric", "extra_metric_values", "SLO_METRICS"]

#: plain metrics an SLO may bound (all decrease as consumers are added)
SLO_METRICS = ("Wq", "W", "Lq", "L", "p_wait", "loss", "utilisation")
_ALIASES = {"mean_wait": "Wq", "wait": "Wq", "mean_sojourn": "W", "sojourn": "W", "wq": "Wq", "w": "W",
            "lq": "Lq", "l": "L", "utilization": "utilisation", "loss_fraction": "loss"}
_WHICH = {"wait": "wait", "wq": "wait", "sojourn": "sojourn", "w": "sojourn", "response": "sojourn"}
_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_TAIL = re.compile(rf"^p\(\s*(wait|wq|sojourn|w|response)\s*>\s*([-+]?{_NUM})\s*\)$", re.I)
_PCT_A = re.compile(r"^p([0-9]+(?:\.[0-9]+)?)_(wait|sojourn)$", re.I)  # p99_wait
_PCT_B = re.compile(r"^(wait|sojourn)_p([0-9]+(?:\.[0-9]+)?)$", re.I)  # wait_p99
_SLO = re.compile(rf"^\s*(.+?)\s*(<=|<|=<|≤)\s*([-+]?{_NUM})\s*(s|ms)?\s*$")

_HELP = ("Wq, W, Lq, L, p_wait, loss, utilisation, wait_pNN / pNN_wait, sojourn_pNN / pNN_sojourn, "
         "P(wait > t), P(sojourn > t)")


@dataclass(frozen=True)
class MetricSpec:
    """A parsed metric. name: canonical column name (e.g. ``"wait_p99"``, ``"P(wait>0.5)"``);
    kind: ``"column"`` (a :data:`METRIC_COLUMNS` entry), ``"quantile"`` or ``"tail"``; which:
    ``"wait"`` or ``"sojourn"`` for quantiles and tails; q: the quantile in (0, 1); t: the tail
    threshold in seconds."""

    name: str
    kind: str
    which: str = ""
    q: float = math.nan
    t: float = math.nan

    @property
    def extra(self) -> bool:
        """True when the metric is not one of :data:`METRIC_COLUMNS` (computed here)."""
        return self.name not in METRIC_COLUMNS

    @property
    def unit(self) -> str:
        if self.kind == "tail" or self.name in ("p_wait", "loss", "utilisation"):
            return ""
        if self.name in ("L", "Lq"):
            return "messages"
        return "s"


def _quantile_from_digits(digits: str, where: str) -> float:
    if "." in digits:
        q = float(digits) / 100.0
    elif len(digits) > 2 and digits.startswith("99"):
        q = float("0." + digits)  # p999 -> 0.999, p9999 -> 0.9999
    else:
        q = int(digits) / 100.0
    if not 0 < q < 1:
        raise ValueError(f"{where}: percentile must be between 0 and 100 (exclusive), got p{digits}")
    return q


def parse_metric(name: str, where: str = "metric") -> MetricSpec:
    """Parse a metric name (see the module table) into its canonical :class:`MetricSpec`."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: must be a metric name such as {_HELP}; got {name!r}")
    if len(name) > 100:
        raise ValueError(f"{where}: a metric name is at most 100 characters, got {len(name)}")
    s = name.strip()
    compact = re.sub(r"\s+", "", s)
    m = _TAIL.match(s) or _TAIL.match(compact)
    if m:
        which = _WHICH[m.group(1).lower()]
        t = float(m.group(2))
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"{where}: the threshold t in P({which} > t) must be >= 0 seconds, got {t!r}")
        return MetricSpec(f"P({which}>{t:g})", "tail", which, t=t)
    m = _PCT_A.match(compact)
    if m:
        digits, which = m.group(1), m.group(2).lower()
    else:
        m = _PCT_B.match(compact)
        digits, which = (m.group(2), m.group(1).lower()) if m else ("", "")
    if digits:
        q = _quantile_from_digits(digits, where)
        canon = f"{which}_p{q * 100:g}"
        if canon in METRIC_COLUMNS:
            return MetricSpec(canon, "column", which, q=q)
        return MetricSpec(canon, "quantile", which, q=q)
    lower = {m.lower(): m for m in METRIC_COLUMNS}
    canon = s if s in METRIC_COLUMNS else _ALIASES.get(compact.lower(), lower.get(compact.lower(), compact))
    if canon in METRIC_COLUMNS:
        return MetricSpec(canon, "column")
    raise ValueError(f"{where}: unknown metric {name!r}; use one of {_HELP} (or {', '.join(METRIC_COLUMNS)})")


@dataclass(frozen=True)
class SLO:
    """An upper-bound service-level objective: ``metric <= threshold`` (``strict``: ``<``).

    threshold is in the metric's unit (seconds for times, a probability for ``P(...)``, loss and
    p_wait).
    """

    metric: MetricSpec
    threshold: float
    strict: bool = False
    text: str = ""

    def met(self, value: float) -> bool:
        """Whether ``value`` (e.g. a CI's upper end) satisfies the objective (NaN never does)."""
        if not math.isfinite(value):
            return False
        return value < self.threshold if self.strict else value <= self.threshold

    def __str__(self) -> str:
        unit = f" {self.metric.unit}" if self.metric.unit == "s" else ""
        return f"{self.metric.name} {'<' if self.strict else '<='} {self.threshold:g}{unit}"


def parse_slo(slo: "str | SLO") -> SLO:
    """Parse ``"p99_wait <= 0.2"``, ``"P(wait > 0.5) <= 0.05"``, ``"Wq < 200 ms"`` ... into an
    :class:`SLO`. Only upper bounds on metrics that fall as consumers are added are accepted.

    >>> import mqsim as mq
    >>> slo = mq.parse_slo("Wq < 200 ms")
    >>> str(slo), slo.threshold, slo.met(0.15)     # thresholds of times in seconds
    ('Wq < 0.2 s', 0.2, True)
    >>> str(mq.parse_slo("P(wait > 0.5) <= 0.05"))
    'P(wait>0.5) <= 0.05'
    >>> mq.parse_slo("throughput >= 2")
    Traceback (most recent call last):
    ...
    ValueError: slo: 'throughput >= 2': only upper bounds ('<=' or '<') are supported, ...
    """
    if isinstance(slo, SLO):
        return slo
    if not isinstance(slo, str):
        raise ValueError(f"slo: must be a string like 'p99_wait <= 0.2', got {type(slo).__name__}")
    if len(slo) > 200:
        raise ValueError(f"slo: at most 200 characters, got {len(slo)}")
    m = _SLO.match(slo)
    if not m:
        if re.search(r">|≥", re.sub(r"[Pp]\([^)]*\)", "", slo)):
            raise ValueError(f"slo: {slo!r}: only upper bounds ('<=' or '<') are supported, e.g. "
                             "'p99_wait <= 0.2' or 'P(wait > 0.5) <= 0.05'")
        raise ValueError(f"slo: cannot parse {slo!r}; write '<metric> <= <number>', e.g. 'p99_wait <= 0.2', "
                         f"'Wq <= 0.5', 'P(wait > 0.5) <= 0.05', 'loss <= 0.01'; metrics: {_HELP}")
    spec = parse_metric(m.group(1), "slo")
    if spec.kind == "column" and spec.which == "" and spec.name not in SLO_METRICS:
        raise ValueError(f"slo: {spec.name!r} cannot be sized for (it does not fall as consumers are "
                         f"added); use one of {_HELP}")
    value = float(m.group(3))
    if m.group(4):
        if spec.unit != "s":
            raise ValueError(f"slo: {slo!r}: a unit ({m.group(4)}) only applies to times in seconds")
        value = value / 1000.0 if m.group(4) == "ms" else value
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"slo: the threshold must be a finite number >= 0 ({spec.name} is never negative), got "
                         f"{m.group(3)}")
    if (spec.kind == "tail" or spec.name in ("p_wait", "loss", "utilisation")) and value > 1:
        raise ValueError(f"slo: {spec.name} is a fraction, so its threshold must be in [0, 1], got {value:g}")
    return SLO(spec, value, strict=m.group(2) == "<", text=slo.strip())


def _quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else math.nan


def extra_metric_values(specs: Iterable[MetricSpec | str], t_publish: np.ndarray, t_start: np.ndarray,
                        t_done: np.ndarray, acked: np.ndarray, alive: np.ndarray, t0: float,
                        t1: float) -> dict[str, float]:
    """Values of the non-standard metrics (quantiles, tails) for one set of messages.

    t_publish, t_start (service start), t_done: seconds, NaN = not yet; acked: boolean mask of
    acked messages; alive: boolean mask of messages still in the system at ``t1`` (ready or in
    flight); window ``[t0, t1)`` seconds. Metrics of :data:`METRIC_COLUMNS` are skipped.
    """
    specs_: list[MetricSpec] = [parse_metric(s) if isinstance(s, str) else s for s in specs]
    acked = np.asarray(acked, dtype=bool)
    alive = np.asarray(alive, dtype=bool)
    in_win = t_publish >= t0
    started = ~np.isnan(t_start)
    age = t1 - t_publish
    out: dict[str, float] = {}
    for sp in specs_:
        if sp.kind == "column":
            continue
        if sp.which == "wait":
            vals = (t_start - t_publish)[in_win & started]
            pending = in_win & alive & ~started  # still waiting at t1
        else:
            vals = (t_done - t_publish)[in_win & acked]
            pending = in_win & alive  # not acked yet at t1
        if sp.kind == "quantile":
            out[sp.name] = _quantile(vals, sp.q)
        else:
            late = int((pending & (age > sp.t)).sum())  # known to exceed t already
            n = vals.size + late
            out[sp.name] = (int((vals > sp.t).sum()) + late) / n if n else math.nan
    return out
