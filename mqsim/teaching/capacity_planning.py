"""Lecture 12, the capstone: a capacity-planning lab. A daily cycle of traffic λ(t), recorded
processing times, three service-level objectives; size with a formula at the peak (Erlang C /
Allen–Cunneen), then validate designs (consumers, prefetch, priorities, length limits, TTLs) by
simulation with confidence intervals, and grade a student's design on fresh seeds.

Units: seconds, messages, messages per second. Every check runs its replications with
:func:`mqsim.replicate` (common random numbers across designs: the same seeds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.experiments.replications import Replications
    from mqsim.model.scenario import Scenario

__all__ = ["CAPSTONE_SLOS", "capstone_service_sample", "capstone_workload", "capstone_scenario", "peak_scenario",
           "slo_report", "check_design", "DesignGrade", "grade_design", "compare_designs", "EXERCISES"]


#: the lab's service-level objectives: name -> (summary group, key, metric, upper bound)
CAPSTONE_SLOS: dict[str, tuple[str, Any, str, float]] = {
    "interactive p99 wait <= 1 s": ("producer", "interactive", "wait_p99", 1.0),
    "batch p99 wait <= 30 s": ("producer", "batch", "wait_p99", 30.0),
    "messages lost (dropped + expired) <= 1 %": ("all", "all", "loss", 0.01),
}


def capstone_service_sample(n: int = 2_000, seed: int = 2024) -> Any:
    """The lab's "recorded" processing times: ``n`` durations (s, rounded to the millisecond)
    from a seeded mix of a fast path (85 %, lognormal with mean 0.3 s) and a slow path (15 %,
    lognormal with mean 1.5 s: cache misses). Returns a :class:`mqsim.dist.Empirical` (mean
    about 0.48 s, squared coefficient of variation about 1.7)."""
    from mqsim.model.dist import Empirical

    rng = np.random.default_rng(seed)

    def lognormal(mean: float, cv: float, size: int) -> np.ndarray:
        s2 = math.log1p(cv * cv)
        return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), size)

    slow = rng.random(n) < 0.15
    x = np.where(slow, lognormal(1.5, 0.8, n), lognormal(0.3, 0.5, n))
    return Empirical(tuple(np.maximum(np.round(x, 3), 0.001).tolist()))


def capstone_workload() -> dict[str, Any]:
    """The lab's workload: ``schedule`` (a :class:`mqsim.arrivals.SinusoidRate`: 6 messages/s on
    average, +-50 %, a 600 s cycle standing for a day), ``service`` (:func:`capstone_service_sample`),
    ``interactive_share`` (0.3 of the messages come from a user waiting for them, the rest are batch
    work) and ``period`` (s)."""
    from mqsim.model.arrivals import SinusoidRate

    sched = SinusoidRate(mean=6.0, amplitude=0.5, period=600.0)
    return {"schedule": sched, "service": capstone_service_sample(), "interactive_share": 0.3,
            "period": sched.period}


def capstone_scenario(consumers: int, prefetch: int = 1, max_length: int | None = None,
                      ttl: float | None = None, priorities: bool = False, overflow: str = "drop-head",
                      workload: Mapping[str, Any] | None = None) -> "Scenario":
    """The lab's scenario for one design: two producers sharing the workload's lambda(t)
    (``interactive`` and ``batch``, each a SinusoidRate scaled by its share), the recorded service
    times, and the design's knobs: ``consumers``, ``prefetch`` (0 = unlimited), ``max_length``
    (x-max-length, ready messages), ``ttl`` (x-message-ttl, s), ``priorities`` (interactive
    messages at priority 5, batch at 1, queue x-max-priority 5) and ``overflow``."""
    from mqsim.model.arrivals import SinusoidRate
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    wl = dict(workload or capstone_workload())
    s = wl["schedule"]
    f = float(wl["interactive_share"])
    prods = [Producer(nm, schedule=SinusoidRate(mean=s.mean * share, amplitude=s.amplitude, period=s.period,
                                                phase=s.phase), priority=prio if priorities else 0)
             for nm, share, prio in (("interactive", f, 5), ("batch", 1 - f, 1))]
    q = Queue(max_priority=5 if priorities else None, max_length=max_length, overflow=overflow, ttl=ttl)
    return Scenario(prods, queue=q, consumers=Consumers(consumers, service=wl["service"], prefetch=prefetch),
                    name="capacity-planning lab")


def peak_scenario(consumers: int = 1, workload: Mapping[str, Any] | None = None, *,
                  rate: float | None = None) -> "Scenario":
    """A stationary stand-in for the lab: Poisson traffic at the workload's *peak* rate (or
    ``rate``/s) with the recorded service times, ``consumers`` at prefetch 1: the "busy hour" that
    peak-hour sizing (and :func:`mqsim.size_consumers`) works on."""
    from mqsim.model.scenario import Consumers, Producer, Scenario

    wl = dict(workload or capstone_workload())
    lam = wl["schedule"].peak if rate is None else rate
    return Scenario([Producer("peak", rate=lam)], consumers=Consumers(consumers, service=wl["service"]))


def slo_report(reps: "Replications", slos: Mapping[str, tuple[str, Any, str, float]] | None = None,
               confidence: float = 0.95) -> "pd.DataFrame":
    """Each SLO checked on replications: the metric's mean and two-sided ``confidence`` CI over the
    replications, and ``met`` = the CI's upper end is within the bound (so the SLO holds with at
    least that confidence), ``verdict`` in words. slos: ``{name: (group, key, metric, bound)}``
    (default :data:`CAPSTONE_SLOS`; metrics as in :mod:`mqsim.analysis.metrics`, times in s)."""
    import pandas as pd

    rows = []
    for name, (group, key, metric, bound) in (slos or CAPSTONE_SLOS).items():
        m, lo, hi = reps.ci(metric, group, key, confidence)
        met = bool(math.isfinite(hi) and hi <= bound)
        verdict = "met" if met else ("not met" if math.isfinite(lo) and lo > bound else "not shown (CI straddles)")
        rows.append({"SLO": name, "bound": bound, "mean": m, "ci_low": lo, "ci_high": hi, "met": met,
                     "verdict": verdict})
    return pd.DataFrame(rows).set_index("SLO")


def check_design(consumers: int, prefetch: int = 1, max_length: int | None = None, ttl: float | None = None,
                 priorities: bool = False, overflow: str = "drop-head", *, n: int = 5, seed: int = 0,
                 periods: int = 3, slos: Mapping[str, tuple[str, Any, str, float]] | None = None,
                 confidence: float = 0.95) -> "pd.DataFrame":
    """Grade one design of the lab: ``n`` replications of :func:`capstone_scenario` over
    ``periods + 1`` cycles of lambda(t) (the first cycle is warm-up), then :func:`slo_report`.
    The returned table's ``attrs`` hold the design, ``all_met`` and ``consumers`` (the cost)."""
    wl = capstone_workload()
    sc = capstone_scenario(consumers, prefetch, max_length, ttl, priorities, overflow, wl)
    T = wl["period"]
    reps = replicate(sc, n=n, seed=seed, horizon=T * (periods + 1), warmup=T, by=("producer",), progress=False)
    rep = slo_report(reps, slos, confidence)
    rep.attrs.update({"design": {"consumers": consumers, "prefetch": prefetch, "max_length": max_length, "ttl": ttl,
                                 "priorities": priorities, "overflow": overflow},
                      "all_met": bool(rep["met"].all()), "consumers": consumers, "replications": n})
    return rep


@dataclass(frozen=True)
class DesignGrade:
    """What :func:`grade_design` says: ``passed`` (every SLO holds), ``message`` (the verdict in
    words), ``table`` (the SLO table of :func:`check_design`, None without a design) and
    ``consumers`` (the design's cost). Prints as the verdict followed by the table."""

    passed: bool
    message: str
    table: "pd.DataFrame | None" = None
    consumers: int | None = None

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.table is None:
            return self.message
        cols = ["bound", "mean", "ci_low", "ci_high", "verdict"]
        return self.message + "\n\n" + self.table[cols].to_string(float_format=lambda v: f"{v:.4f}")


def grade_design(design: Mapping[str, Any] | None, *, n: int = 10, seed: int = 12,
                 confidence: float = 0.95) -> DesignGrade:
    """The lab's grader: ``design`` is a dict of :func:`capstone_scenario` knobs (``consumers``,
    and optionally ``prefetch``, ``max_length``, ``ttl``, ``priorities``, ``overflow``). Runs
    :func:`check_design` with ``n`` replications (run seeds from ``seed``, not those of the
    notebook's exploration) and returns a :class:`DesignGrade`: PASS when every SLO holds with
    ``confidence``, at a cost of ``consumers``. A design of None returns a reminder."""
    if design is None:
        return DesignGrade(False, "no design yet: set `design = dict(consumers=..., ...)` and run this cell again.")
    allowed = {"consumers", "prefetch", "max_length", "ttl", "priorities", "overflow"}
    bad = set(design) - allowed
    if bad or "consumers" not in design:
        raise ValueError(f"design: needs 'consumers' and may set {sorted(allowed - {'consumers'})}; "
                         f"got {sorted(design)}")
    rep = check_design(**design, n=n, seed=seed, confidence=confidence)
    failed = [k for k, ok in rep["met"].items() if not ok]
    c = int(design["consumers"])
    msg = (f"PASS: every SLO holds with {confidence:.0%} confidence, at a cost of {c} consumers." if not failed
           else f"NOT YET: not shown to hold: {'; '.join(failed)}.")
    return DesignGrade(not failed, msg, rep, c)


def compare_designs(designs: Mapping[str, Mapping[str, Any]], *, n: int = 10, seed: int = 0, periods: int = 3,
                    confidence: float = 0.95) -> "pd.DataFrame":
    """Several designs of the lab side by side (same seeds: common random numbers). ``designs``:
    ``{label: knobs of capstone_scenario}``. One row per design: consumers, the mean over the
    replications of the interactive and batch p99 waits (s) and of the fraction of messages lost
    per class and overall, and ``SLOs met`` (every :data:`CAPSTONE_SLOS` entry's CI upper end
    within its bound)."""
    import pandas as pd

    extra = {"interactive lost": ("producer", "interactive", "loss", 1.0),
             "batch lost": ("producer", "batch", "loss", 1.0)}
    rows = []
    for label, knobs in designs.items():
        rep = check_design(**dict(knobs), n=n, seed=seed, periods=periods, slos={**CAPSTONE_SLOS, **extra},
                           confidence=confidence)
        m = rep["mean"]
        names = list(CAPSTONE_SLOS)
        rows.append({"design": label, "consumers": int(knobs["consumers"]),
                     "interactive p99 wait (s)": m[names[0]], "batch p99 wait (s)": m[names[1]],
                     "interactive lost": m["interactive lost"], "batch lost": m["batch lost"], "lost": m[names[2]],
                     "SLOs met": bool(rep.loc[names, "met"].all())})
    return pd.DataFrame(rows).set_index("design")


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _peak(p: Mapping[str, Any]) -> float:
    return p["mean"] * (1 + p["amplitude"])


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"mean": pick(rng, [4.0, 6.0, 8.0]), "amplitude": pick(rng, [0.3, 0.5, 0.7]), "es": 0.45,
            "t": pick(rng, [0.25, 0.5]), "max_prob": 0.05}


def _ex2(p: Mapping[str, Any]) -> float:
    return float(th.smallest_max_length(p["lam"], 1 / p["es"], p["c"], p["max_loss"]))


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [8.0, 9.0, 10.0]), "es": 0.45, "c": pick(rng, [5, 6]), "max_loss": pick(rng, [0.01, 0.02])}


def _ex3(p: Mapping[str, Any]) -> float:
    lam = p["lam"]
    return th.np_priority_mmc([lam * p["share"], lam * (1 - p["share"])], 1 / p["es"], p["c"])[0].Wq


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": pick(rng, [8.0, 9.0, 10.0]), "es": 0.45, "c": pick(rng, [5, 6]), "share": pick(rng, [0.2, 0.3, 0.4])}


EXERCISES = register_all([
    Exercise(
        key="nb12_ex1",
        question=("Traffic follows lambda(t) = {mean:g} x (1 + {amplitude} sin(2 pi t / T)) messages/s; processing "
                  "takes {es} s on average (take it as exponential). Sizing for the busiest part of the cycle "
                  "(peak-hour sizing), what is the fewest consumers (prefetch 1) with P(Wq > {t} s) <= "
                  "{max_prob:.0%}?"),
        canonical={"mean": 6.0, "amplitude": 0.5, "es": 0.45, "t": 0.25, "max_prob": 0.05}, vary=_ex1_vary,
        answer=lambda p: th.mmc_min_servers(_peak(p), 1 / p["es"], p["t"], p["max_prob"]), integer=True,
        close_tol=0.0, unit="consumers",
        hint="the peak rate is mean x (1 + amplitude); then Erlang C at that rate (mqsim.theory.mmc_min_servers).",
        traps=lambda p: [(th.mmc_min_servers(p["mean"], 1 / p["es"], p["t"], p["max_prob"]),
                          "that sizes for the MEAN rate; during the peak of the cycle the queue would miss the "
                          "target."),
                         (math.floor(_peak(p) * p["es"]) + 1,
                          "that only keeps the peak stable; check P(Wq > t) there.")]),
    Exercise(
        key="nb12_ex2",
        question=("At the peak, lam = {lam:g} messages/s reach {c} consumers (prefetch 1, exponential processing "
                  "with mean {es} s). The queue has x-max-length = m with reject-publish. What is the smallest m "
                  "that keeps the fraction of refused messages at or below {max_loss:.0%}?"),
        canonical={"lam": 9.0, "es": 0.45, "c": 5, "max_loss": 0.01}, vary=_ex2_vary, answer=_ex2,
        integer=True, close_tol=0.0, unit="messages (x-max-length)",
        hint=("x-max-length counts READY messages only, so the system holds up to K = m + c messages: "
              "M/M/c/(c + m), loss = p_K (mqsim.theory.mmck)."),
        traps=lambda p: [(_ex2(p) + p["c"], "that is the Kendall capacity K (or you took K = m): x-max-length "
                                            "counts only READY messages, so the system holds K = m + c; give m.")]),
    Exercise(
        key="nb12_ex3",
        question=("At the peak, lam = {lam:g} messages/s reach {c} consumers (prefetch 1, exponential processing "
                  "with mean {es} s). A fraction {share} of them are interactive and published with a higher "
                  "priority (x-max-priority queue, non-preemptive). What is the mean wait in the queue (s) of an "
                  "INTERACTIVE message?"),
        canonical={"lam": 9.0, "es": 0.45, "c": 5, "share": 0.3}, vary=_ex3_vary, answer=_ex3, unit="s",
        hint=("non-preemptive priority M/M/c with a common rate: Wq_1 = [C(c, a)/(c mu)] / (1 - sigma_1), "
              "sigma_1 = lam_1/(c mu) (mqsim.theory.np_priority_mmc)."),
        traps=lambda p: [(th.mmc(p["lam"], 1 / p["es"], p["c"]).Wq,
                          "that is the wait without priorities (FCFS, Erlang C)."),
                         (th.np_priority_mmc([p["lam"] * p["share"], p["lam"] * (1 - p["share"])], 1 / p["es"],
                                             p["c"])[1].Wq, "that is the batch (low-priority) class.")]),
])
