"""SLO-based consumer sizing: the fewest consumers that meet a service-level objective, with the
formula's answer and the simulation evidence side by side.

:func:`size_consumers` works in two steps:

1. **Formula** (bracket). For each consumer count c from the smallest stable one upwards,
   :func:`mqsim.theory.for_scenario` gives the model (Erlang C for M/M/c, Pollaczek–Khinchine
   for M/G/1, Allen–Cunneen for non-exponential service with c > 1, M/M/c/K with a length
   limit, ...) and the SLO metric is read from it: means directly; wait/sojourn percentiles and
   tail probabilities from the exact distribution where the model has one (M/M/c). Elsewhere a
   documented approximation is used (see :func:`formula_value`): the wait is taken as an atom
   at zero of mass 1 - P_wait plus an exponential tail with the formula's mean,
   ``P(Wq > t) ≈ P_wait * exp(-t * P_wait / Wq)`` (exact for M/M/c), and the sojourn adds an
   independent service time (integrated numerically over the service law). The first c that
   meets the SLO is ``formula_answer``.
2. **Simulation** (confirm). Starting at the formula's answer (and the count below it), each c
   is replicated with common random numbers (the same run seeds at every c), and c *meets* the
   SLO when the upper end of the metric's two-sided ``confidence`` Student-t interval is within
   the threshold (so the SLO holds with at least that confidence). A c whose interval straddles
   the threshold gets more replications (doubling, up to ``max_replications``) before it is
   judged. The search steps down while the count below still meets, or up (doubling, then
   bisection) until one meets, assuming the metric falls as consumers are added. The answer is
   the fewest consumers that meet it, with the count below it failing (or unstable) in the
   evidence table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from mqsim.analysis.statistics import confidence_interval
from mqsim.analysis.warmup import PILOTS
from mqsim.experiments.executors import Runner
from mqsim.experiments.replications import (_auto_warmups, _check_n, _check_window, replication_seed,
                                            run_replication)
from mqsim.experiments.slo import SLO, MetricSpec, parse_slo
from mqsim.model import validate
from mqsim.model.scenario import ScenarioLike, as_scenario
from mqsim.sim import budget
from mqsim.sim.streams import resolve_seed

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.scenario import Scenario

__all__ = ["size_consumers", "SizingResult", "formula_value", "FormulaValue", "unmeetable"]

#: messages simulated per replication when ``horizon`` is not given
DEFAULT_MESSAGES = 20_000
_SERVICE_SAMPLES = 200_000


# --------------------------------------------------------------------------------------------
# the formula side
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormulaValue:
    """The SLO metric according to theory at one consumer count.

    value: the metric (``inf`` when the queue is unstable, NaN when no formula applies);
    formula: its name (e.g. ``"Erlang C"``); exact: the number is exact (not an approximation);
    note: how it was obtained, or why there is none.
    """

    value: float
    formula: str = ""
    exact: bool = False
    note: str = ""

    @property
    def available(self) -> bool:
        return not math.isnan(self.value)


def _service_sample(sc: "Scenario") -> np.ndarray:
    """Service times (s) drawn from the rate-weighted service mixture, with a fixed seed so the
    approximation is deterministic."""
    rng = np.random.default_rng(20240601)
    mix = [(r, d) for _, _, r, d in sc.class_mix() if r > 0]
    w = np.array([r for r, _ in mix], dtype=float)
    counts = rng.multinomial(_SERVICE_SAMPLES, w / w.sum())
    return np.concatenate([d.sample(rng, int(k)) for (_, d), k in zip(mix, counts) if k > 0])


def _approx_wait_tail(t: float, p_wait: float, wq: float) -> float:
    if wq <= 0 or p_wait <= 0:
        return 0.0
    return p_wait * math.exp(-t * p_wait / wq)


def _approx_wait_quantile(q: float, p_wait: float, wq: float) -> float:
    if p_wait <= 1 - q or wq <= 0:
        return 0.0
    return math.log(p_wait / (1 - q)) * wq / p_wait


def _approx_sojourn_tail(t: float, p_wait: float, wq: float, s: np.ndarray) -> float:
    late = s > t
    rest = s[~late]
    if wq <= 0 or p_wait <= 0:
        return float(late.mean())
    return float((late.sum() + (p_wait * np.exp(-(t - rest) * p_wait / wq)).sum()) / s.size)


def _approx_sojourn_quantile(q: float, p_wait: float, wq: float, s: np.ndarray) -> float:
    target = 1 - q
    lo, hi = 0.0, max(float(np.quantile(s, q)), 1e-9)
    while _approx_sojourn_tail(hi, p_wait, wq, s) > target:
        lo, hi = hi, 2 * hi
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _approx_sojourn_tail(mid, p_wait, wq, s) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def formula_value(sc: "Scenario", metric: MetricSpec | str, _service: np.ndarray | None = None) -> FormulaValue:
    """The value of ``metric`` (a :mod:`mqsim.slo` metric) for scenario ``sc`` by the formula that
    :func:`mqsim.theory.for_scenario` picks (see the module docstring for the approximations)."""
    from mqsim.analysis.theory_join import theory_table
    from mqsim.experiments.slo import parse_metric
    from mqsim.theory import for_scenario

    spec = parse_metric(metric) if isinstance(metric, str) else metric
    pred = for_scenario(sc)
    if not pred.applies:
        return FormulaValue(math.nan, "", False, pred.reason)
    if not pred.stable:
        return FormulaValue(math.inf, pred.formula, pred.exact, f"unstable: rho = {pred.rho:.4g} >= 1")
    m = pred.metrics
    if m is None:  # pragma: no cover - stable predictions carry metrics
        return FormulaValue(math.nan, pred.formula, False, pred.reason)
    if spec.which == "":  # a mean, loss, utilisation ...
        th = theory_table(pred, sc).get(("all", "all"), {})
        v = th.get(spec.name, math.nan)
        return FormulaValue(float(v), pred.formula, bool(pred.exact), f"{pred.model} by {pred.formula}")
    kind = "quantile" if spec.kind in ("quantile", "column") else "tail"
    exact_method = f"{spec.which}_{kind}"  # wait_quantile, wait_tail, sojourn_quantile, sojourn_tail
    fn = getattr(m, exact_method, None)
    arg = spec.q if kind == "quantile" else spec.t
    if callable(fn):
        return FormulaValue(float(fn(arg)), pred.formula, bool(pred.exact),
                            f"{pred.model} by {pred.formula}: exact {spec.which} distribution")
    if sc.queue.max_length is not None:
        return FormulaValue(math.nan, pred.formula, False,
                            f"{pred.model}: no {spec.which} distribution for a finite buffer; simulation only")
    p_wait, wq = float(m.P_wait), float(m.Wq)
    if not (math.isfinite(p_wait) and math.isfinite(wq)):
        return FormulaValue(math.nan, pred.formula, False, f"{pred.formula} gives no P(wait); simulation only")
    name = f"{pred.formula} with an exponential wait tail"
    note = (f"{pred.model}: {pred.formula} gives means only; wait ≈ atom 1 - P_wait at 0 plus an exponential "
            f"tail with mean Wq/P_wait (approximation)")
    if spec.which == "wait":
        v = _approx_wait_quantile(arg, p_wait, wq) if kind == "quantile" else _approx_wait_tail(arg, p_wait, wq)
    else:
        s = _service_sample(sc) if _service is None else _service
        v = (_approx_sojourn_quantile(arg, p_wait, wq, s) if kind == "quantile"
             else _approx_sojourn_tail(arg, p_wait, wq, s))
        note += ", plus an independent service time"
    return FormulaValue(float(v), name, False, note)


def unmeetable(sc: Any, slo: SLO) -> str:
    """Why no finite number of consumers can meet ``slo`` ("" when some count may): a mean sojourn
    below the mean service time, waiting (or loss) that Poisson arrivals never bring to zero."""
    name, t, strict = slo.metric.name, slo.threshold, slo.strict
    below = (lambda v: t <= v) if strict else (lambda v: t < v)  # the threshold is below an attainable floor
    es = sc.mean_service
    if name == "W" and below(es):
        return (f"W includes the service time, whose mean is E[S] = {es:.6g} s, so W >= {es:.6g} s for any number "
                f"of consumers; {slo} is below that")
    if strict and t == 0:
        return f"{slo} asks for a value below 0, and {name} is never negative"
    poisson = any(p.is_poisson or getattr(p, "schedule", None) is not None for p in sc.producers)
    what = {"Wq": "the mean wait Wq", "Lq": "the mean number waiting Lq", "p_wait": "P(wait > 0)",
            "utilisation": "the utilisation", "L": "the mean number in the system L"}.get(name)
    if name.startswith("P(wait>"):
        what = name
    if name == "loss" and sc.queue.max_length is not None:
        what = "the loss (a message that finds the queue full is dropped)"
    if t == 0 and poisson and es > 0 and what:
        return (f"with Poisson arrivals some message always finds every consumer busy (Erlang C > 0 for any "
                f"finite number of consumers), so {what} is > 0 whatever the count; {slo} cannot be met "
                "(use a small positive threshold)")
    return ""


def _cannot(sc: Any, slo: SLO, confidence: float, why: str) -> SizingResult:
    """The answer to an SLO that no number of consumers meets."""
    import pandas as pd

    cols = ["consumers", "rho", "n", "mean", "ci_low", "ci_high", "meets", "formula", "formula_meets", "warmup", "note"]
    return SizingResult(answer=None, formula_answer=None, slo=slo, evidence=pd.DataFrame(columns=cols),
                        explanation=f"Cannot be met: {why}.", confidence=confidence, cannot_be_met=why)


def _min_consumers(sc: "Scenario") -> int:
    """The fewest consumers with a steady state: a < c for an infinite queue, else 1."""
    if sc.queue.max_length is not None:
        return 1
    return max(1, math.floor(sc.offered_load) + 1)


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SizingResult:
    """What :func:`size_consumers` found.

    answer: the fewest consumers whose simulated CI upper end meets the SLO (None if none up to
    the search limit, or if no count can meet it: see ``cannot_be_met``); formula_answer: the
    fewest by the formula alone (None if no formula gives the metric); slo: the parsed
    :class:`mqsim.slo.SLO`; evidence: one row per consumer count looked at (consumers, rho, n,
    mean, ci_low, ci_high, meets, formula, formula_meets, note); explanation: the reasoning in
    words; formula: the formula's name; formula_exact: whether the formula's figures are exact;
    confidence: the CI level.
    """

    answer: int | None
    formula_answer: int | None
    slo: SLO
    evidence: "pd.DataFrame" = field(repr=False)
    explanation: str
    formula: str = ""
    formula_exact: bool = False
    confidence: float = 0.95
    settings: dict[str, Any] = field(default_factory=dict, repr=False)
    cannot_be_met: str = ""  # why no number of consumers meets the SLO ("" if some may)

    @property
    def agrees(self) -> bool | None:
        """Simulation and formula give the same count (None if the formula gives none)."""
        if self.formula_answer is None:
            return None
        return self.answer == self.formula_answer

    def __repr__(self) -> str:
        ans = (f"{self.answer} consumers" if self.answer is not None else "cannot be met by any number of consumers"
               if self.cannot_be_met else "not met within the search range")
        kind = "exact" if self.formula_exact else "approximation"
        form = (f"{self.formula_answer} consumers ({self.formula}, {kind})"
                if self.formula_answer is not None else f"none ({self.formula or 'no formula applies'})")
        lines = [f"SizingResult: {ans} for {self.slo} ({self.confidence:.0%} confidence)",
                 f"  formula alone: {form}", ""]
        import textwrap

        lines += textwrap.wrap(self.explanation, 100, initial_indent="  ", subsequent_indent="  ")
        if not self.evidence.empty:
            lines += ["", "  evidence:"]
            ev = self.evidence.to_string(index=False, float_format=lambda v: f"{v:.4g}")
            lines += ["    " + ln for ln in ev.splitlines()]
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython
        p.text(repr(self))


# --------------------------------------------------------------------------------------------
# the search
# --------------------------------------------------------------------------------------------
def size_consumers(scenario: ScenarioLike | Mapping[str, Any], slo: str | SLO, confidence: float = 0.95, *,
                   replications: int = 10, max_replications: int = 40, seed: int = 0, horizon: float | None = None,
                   warmup: float | str | None = None, max_consumers: int | None = None, executor: Any = None,
                   n_jobs: int | None = None, progress: bool | None = None) -> SizingResult:
    """The fewest consumers for which ``scenario`` meets ``slo`` with ``confidence``.

    slo: e.g. ``"p99_wait <= 0.2"``, ``"Wq <= 0.5"``, ``"P(wait > 0.5) <= 0.05"``,
        ``"sojourn_p95 <= 3"``, ``"loss <= 0.01"`` (see :mod:`mqsim.experiments.slo`; times in seconds).
    confidence: level of the two-sided Student-t CI whose upper end must meet the SLO.
    replications: per consumer count (>= 2); a count whose CI straddles the threshold gets up
        to ``max_replications``.
    seed: experiment seed (the same run seeds at every count: common random numbers).
    horizon: seconds per replication (default: about 20,000 messages, 20000/lambda);
    warmup: seconds excluded at the start (default: 10 % of the horizon), or ``"auto"``
        (MSER-5 pilots per count, see :func:`mqsim.replicate`).
    max_consumers: search limit (default: max(4 x, +50) the smallest stable count).
    executor, n_jobs, progress: see :func:`mqsim.replicate`.

    The formula answers first (:func:`formula_value`); the simulation then checks that count and
    its neighbour, walks down while the SLO still holds, or searches upward (doubling steps, then
    bisection). Returns a :class:`SizingResult` (answer, formula_answer, slo, evidence, explanation).
    """
    sc = as_scenario(scenario)
    if getattr(sc, "family", "queue") != "queue":
        raise ValueError("size_consumers: only queue scenarios are sized; for a Kafka group sweep group.count "
                         "(a group uses at most one consumer per partition)")
    target = parse_slo(slo)
    why_not = unmeetable(sc, target)
    if why_not:
        return _cannot(sc, target, validate.confidence("confidence", confidence), why_not)
    search = _Search(sc, target, confidence, replications, max_replications, seed,
                     horizon, warmup, max_consumers)
    formula_answer = search.formula_answer()
    with Runner(executor, n_jobs=n_jobs, progress=progress) as run:
        answer = search.simulate(run, formula_answer)
    return search.result(answer, formula_answer)


class _Search:
    """The state of one sizing search: settings, formula values and simulated runs per count."""

    def __init__(self, sc: Any, target: SLO, confidence: Any, replications: Any, max_replications: Any, seed: Any,
                 horizon: float | None, warmup: float | str | None, max_consumers: int | None):
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
            raise ValueError(f"confidence: must be in (0, 1), e.g. 0.95, got {confidence!r}")
        self.sc, self.target, self.confidence = sc, target, float(confidence)
        self.replications = _check_n("replications", replications, 2)
        self.max_replications = _check_n("max_replications", max_replications, self.replications)
        self.seed = resolve_seed(seed)
        if horizon is None:
            horizon = DEFAULT_MESSAGES / sc.arrival_rate
        if warmup is None:
            horizon, _ = _check_window(horizon, 0.0)
            warmup = horizon / 10
        self.horizon, self.warmup = _check_window(horizon, warmup)
        budget.check_run(sc, self.horizon, 0.0 if self.warmup == "auto" else self.warmup, where="size_consumers")
        self.c_lo = _min_consumers(sc)
        if max_consumers is None:
            max_consumers = max(4 * self.c_lo, self.c_lo + 50)
        self.max_consumers = _check_n("max_consumers", max_consumers, self.c_lo)
        self.spec = target.metric
        self.svc = _service_sample(sc) if self.spec.which == "sojourn" else None
        self.fcache: dict[int, FormulaValue] = {}
        self.runs: dict[int, list[float]] = {}
        self.warm: dict[int, float] = {}
        self.scs: dict[int, Any] = {}

    # ---- the formula ----------------------------------------------------------------------------
    def fval(self, c: int) -> FormulaValue:
        if c not in self.fcache:
            self.fcache[c] = formula_value(self.sc_at(c), self.spec, self.svc)
        return self.fcache[c]

    def formula_answer(self) -> int | None:
        """The fewest consumers the formula says meet the SLO (None: no formula, or none in range)."""
        for c in range(self.c_lo, self.max_consumers + 1):
            fv = self.fval(c)
            if not fv.available:
                return None
            if self.target.met(fv.value):
                return c
        return None

    # ---- the simulation -------------------------------------------------------------------------
    def sc_at(self, c: int) -> Any:
        if c not in self.scs:
            self.scs[c] = self.sc.with_value("consumers.count", c)
        return self.scs[c]

    def ci(self, c: int) -> tuple[float, float, float]:
        return confidence_interval(self.runs[c], self.confidence)

    def meets(self, c: int) -> bool:
        return self.target.met(self.ci(c)[2])

    def evaluate(self, run: Runner, cs: list[int]) -> None:
        """Replicate each count in ``cs`` not yet simulated; add replications to counts whose CI
        straddles the threshold, up to ``max_replications``."""
        cs = [c for c in dict.fromkeys(cs) if c not in self.runs]
        if not cs:
            return
        if self.warmup == "auto":
            infos = _auto_warmups(run, [self.sc_at(c) for c in cs], self.seed, self.horizon, "queue", PILOTS)
            self.warm.update({c: i.time for c, i in zip(cs, infos)})
        else:
            self.warm.update({c: float(self.warmup) for c in cs})
        extras = (self.spec.name,) if self.spec.extra else ()
        todo = {c: self.replications for c in cs}
        for c in cs:
            self.runs[c] = []
        while todo:
            tasks, owners = [], []
            for c, n_new in todo.items():
                have = len(self.runs[c])
                tasks += [(self.sc_at(c), replication_seed(self.seed, r), self.horizon, self.warm[c], (), extras)
                          for r in range(have, have + n_new)]
                owners += [c] * n_new
            out = run.map(run_replication, tasks, desc=f"sizing: {', '.join(map(str, todo))} consumers",
                          work=self.sc.arrival_rate * self.horizon * len(tasks))
            for c, df in zip(owners, out):
                self.runs[c].append(float(df[self.spec.name].iloc[0]))
            todo = {c: min(len(self.runs[c]), self.max_replications - len(self.runs[c])) for c in cs
                    if self._straddles(c) and len(self.runs[c]) < self.max_replications}

    def _straddles(self, c: int) -> bool:
        _, lo, hi = self.ci(c)
        return not self.target.met(hi) and (not math.isfinite(lo) or self.target.met(lo))

    def simulate(self, run: Runner, formula_answer: int | None) -> int | None:
        """The fewest simulated counts that meet the SLO, starting from the formula's answer."""
        start = min(max(formula_answer if formula_answer is not None else self.c_lo, self.c_lo), self.max_consumers)
        self.evaluate(run, [c for c in (start - 1, start) if c >= self.c_lo])
        if self.meets(start):
            c = start
            while c - 1 >= self.c_lo:
                self.evaluate(run, [c - 1])
                if not self.meets(c - 1):
                    break
                c -= 1
            return c
        return self._search_up(run, start)

    def _search_up(self, run: Runner, lo: int) -> int | None:
        """Doubling steps above ``lo`` until a count meets the SLO, then bisection (None: none does)."""
        step, hi = 1, None
        while hi is None:
            nxt = min(lo + step, self.max_consumers)
            self.evaluate(run, [nxt])
            if self.meets(nxt):
                hi = nxt
            elif nxt >= self.max_consumers:
                return None
            else:
                lo, step = nxt, step * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            self.evaluate(run, [mid])
            if self.meets(mid):
                hi = mid
            else:
                lo = mid
        return hi

    # ---- the answer -----------------------------------------------------------------------------
    def result(self, answer: int | None, formula_answer: int | None) -> SizingResult:
        f0 = self.fval(formula_answer if formula_answer is not None else self.c_lo)
        name, exact = f0.formula, f0.exact and f0.available
        explanation = _explain(self.sc, self.target, self.confidence, answer, formula_answer, name, exact, f0,
                               self.runs, self.ci, self.horizon, self.warmup, self.c_lo, self.max_consumers,
                               self.fval, self.replications, self.max_replications)
        return SizingResult(answer=answer, formula_answer=formula_answer, slo=self.target,
                            evidence=self.evidence(name, exact), explanation=explanation, formula=name,
                            formula_exact=exact, confidence=self.confidence,
                            settings={"seed": self.seed, "horizon": self.horizon, "warmup": self.warmup,
                                      "replications": self.replications, "max_replications": self.max_replications,
                                      "max_consumers": self.max_consumers})

    def evidence(self, formula_name: str, formula_exact: bool) -> "pd.DataFrame":
        """One row per consumer count looked at: simulated mean and CI, the formula, the verdicts."""
        import pandas as pd

        sc, target, c_lo = self.sc, self.target, self.c_lo
        unstable_row = c_lo > 1 and c_lo in self.runs and sc.queue.max_length is None
        rows = []
        for c in sorted(set(self.runs) | ({c_lo - 1} if unstable_row else set())):
            fv = self.fval(c) if c >= c_lo else FormulaValue(math.inf, formula_name, formula_exact, "unstable")
            if c in self.runs:
                m, lo, hi = self.ci(c)
                n, ok = len(self.runs[c]), target.met(hi)
                note = "" if ok else ("CI straddles the threshold" if target.met(lo) else "")
            else:
                m = lo = hi = math.nan
                n, ok = 0, False
                note = f"unstable: rho = {sc.offered_load / c:.3g} >= 1 (not simulated)" if c > 0 else ""
            rows.append({"consumers": c, "rho": sc.offered_load / c if c > 0 else math.inf, "n": n, "mean": m,
                         "ci_low": lo, "ci_high": hi, "meets": ok, "formula": fv.value,
                         "formula_meets": target.met(fv.value) if fv.available else None,
                         "warmup": self.warm.get(c, math.nan), "note": note})
        return pd.DataFrame(rows)


def _explain(sc: Any, slo: SLO, conf: float, answer: int | None, fans: int | None, fname: str, fexact: bool,
             f0: FormulaValue, runs: dict[int, list[float]], ci: Any, horizon: float, warmup: Any, c_lo: int,
             cmax: int, fval: Any, reps: int, max_reps: int) -> str:
    name = slo.metric.name
    pct = f"{conf:.0%}"
    parts = [f"Target: {slo} with {pct} confidence; lambda = {sc.arrival_rate:.4g} msg/s, "
             f"E[S] = {sc.mean_service:.4g} s, offered load {sc.offered_load:.4g} Erlangs, so at least "
             f"{c_lo} consumers for a steady state."]
    if fans is not None:
        below = fval(fans - 1) if fans - 1 >= c_lo else None
        b = (f" and {below.value:.4g} with {fans - 1}" if below is not None and below.available else "")
        parts.append(f"Formula: {fname} ({'exact' if fexact else 'approximation'}) gives {name} = "
                     f"{fval(fans).value:.4g} with {fans} consumers{b}, so {fans} consumers.")
    else:
        parts.append(f"Formula: none gives {name} here ({f0.note or 'no formula applies'}), so the search "
                     f"starts at {c_lo} consumers.")
    wtxt = "MSER-5" if warmup == "auto" else f"{warmup:,.0f} s"
    parts.append(f"Simulation: {reps} replications of {horizon:,.0f} s (warm-up {wtxt}) per consumer count, "
                 f"up to {max_reps} where the CI straddles the threshold; the same run seeds at every count "
                 "(common random numbers).")
    if answer is not None:
        m, lo, hi = ci(answer)
        parts.append(f"With {answer} consumers the {pct} CI of {name} is [{lo:.4g}, {hi:.4g}] (mean {m:.4g}): "
                     f"its upper end meets the threshold {slo.threshold:g}.")
        if answer - 1 in runs:
            m1, lo1, hi1 = ci(answer - 1)
            parts.append(f"With {answer - 1} it is [{lo1:.4g}, {hi1:.4g}] (mean {m1:.4g}): not shown to meet it.")
        elif answer == c_lo and c_lo > 1 and sc.queue.max_length is None:
            parts.append(f"{answer - 1} consumers would be unstable (rho >= 1).")
        parts.append(f"Answer: {answer} consumers.")
        if fans is not None:
            if fans == answer:
                parts.append("The simulation agrees with the formula.")
            else:
                how = "more" if answer > fans else "fewer"
                parts.append(f"The simulation needs {how} consumers than the formula's {fans}: "
                             + ("the formula is exact, so the difference is the CI's margin of safety "
                                "(more replications narrow it)." if fexact else
                                "the formula is an approximation, and here it is off by enough to change "
                                "the answer."))
        else:
            parts.append("No formula covers this case: the simulation is the only answer.")
    else:
        parts.append(f"No count up to {cmax} consumers met the SLO in simulation.")
    return " ".join(parts)
