"""Notebook exercises with immediate feedback that never stores or prints the answer.

>>> from mqsim import exercises
>>> exercises.params("nb04_ex1")                 # the syllabus's canonical parameters
{'lam': 2.4, 'mu': 1.0, 't': 0.5, 'max_prob': 0.05}
>>> exercises.check("nb04_ex1", 5)               # doctest: +SKIP
nb04_ex1: right. ...

Each exercise in :data:`REGISTRY` has canonical parameters (``student_id=None``, the values in the
syllabus) and a rule that draws a personal variant from a hash of the student id, so
neighbours get different numbers. The expected answer is *computed at check time* from
:mod:`mqsim.theory` (or, for simulation exercises, by a seeded simulation) from those
parameters; notebooks hold no literal answers. Feedback is ``right`` (within ``rel_tol``),
``close`` (within ``close_tol``, e.g. a simulated estimate of an exact value), or ``wrong`` with a
hint, plus targeted hints for the classic mistakes (``traps``). Instructors add exercises with
:func:`register`.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Exercise", "Feedback", "REGISTRY", "register", "params", "check", "question", "exercises"]

Params = dict[str, Any]


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise.

    key: identifier, ``"nbNN_exK"``. question: text with ``{name}`` fields filled from the
    parameters. canonical: the syllabus's parameters. vary: draws a student's parameters from a
    numpy Generator. answer: computes the expected answer (a float) from the parameters.
    rel_tol / abs_tol: "right" when |given - expected| <= max(rel_tol*|expected|, abs_tol).
    close_tol: relative distance still called "close". integer: the answer is a whole number
    (then ``right`` means equal). unit: shown in feedback. hint: shown when wrong.
    close_hint: shown when close. traps: (wrong value from params, targeted hint) pairs for
    classic mistakes, matched at ``rel_tol`` (or 1e-3 when exact).
    """

    key: str
    question: str
    canonical: Params
    vary: Callable[[np.random.Generator], Params]
    answer: Callable[[Mapping[str, Any]], float]
    rel_tol: float = 2e-3
    abs_tol: float = 0.0
    close_tol: float = 0.05
    integer: bool = False
    unit: str = ""
    hint: str = ""
    close_hint: str = ("close, but not within the tolerance: if you estimated it by simulation, that "
                       "difference is sampling noise; the formula gives it exactly")
    traps: Callable[[Mapping[str, Any]], list[tuple[float, str]]] = field(default=lambda p: [])


@dataclass(frozen=True)
class Feedback:
    """The outcome of :func:`check`: ``status`` is ``right``, ``close``, ``wrong``, ``missing``
    (no answer yet) or ``invalid`` (not a number); ``message`` is what the student reads.
    Truthy only when right."""

    key: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "right"

    def __repr__(self) -> str:
        return f"{self.key}: {self.message}"

    __str__ = __repr__


REGISTRY: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    """Add (or replace) an exercise in :data:`REGISTRY`; returns it."""
    if not isinstance(ex, Exercise):
        raise ValueError(f"register: expected an Exercise, got {type(ex).__name__}")
    REGISTRY[ex.key] = ex
    return ex


def exercises(prefix: str = "") -> list[str]:
    """Keys of the registered exercises that start with ``prefix`` (e.g. ``"nb04"``), sorted."""
    return sorted(k for k in REGISTRY if k.startswith(prefix))


def _get(key: str) -> Exercise:
    try:
        return REGISTRY[key]
    except KeyError:
        raise ValueError(f"exercise {key!r}: unknown; known exercises: {', '.join(sorted(REGISTRY))}") from None


def _rng(key: str, student_id: Any) -> np.random.Generator:
    digest = hashlib.sha256(f"mqsim-exercise|{key}|{student_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def params(key: str, student_id: Any = None) -> Params:
    """The parameters of exercise ``key`` for ``student_id`` (any str or int); None gives the
    canonical parameters from the syllabus. The same id always gives the same parameters."""
    ex = _get(key)
    if student_id is None:
        return dict(ex.canonical)
    return dict(ex.vary(_rng(key, student_id)))


def question(key: str, student_id: Any = None) -> str:
    """The exercise's question with the student's parameters filled in."""
    return _get(key).question.format(**params(key, student_id))


def _freeze(p: Mapping[str, Any]) -> tuple:
    return tuple(sorted(p.items()))


@functools.lru_cache(maxsize=256)
def _expected(key: str, frozen: tuple) -> float:
    return float(_get(key).answer(dict(frozen)))


def _close_to(x: float, target: float, rel: float, abs_tol: float = 0.0) -> bool:
    return abs(x - target) <= max(rel * abs(target), abs_tol)


def check(key: str, answer: Any, student_id: Any = None) -> Feedback:
    """Feedback on ``answer`` to exercise ``key`` for ``student_id`` (None: canonical parameters).
    Never reveals the expected value unless the answer is right."""
    ex = _get(key)
    if answer is None:
        return Feedback(key, "missing", "no answer yet: set `answer` in the cell above and run this cell again.")
    try:
        x = float(answer)
    except (TypeError, ValueError):
        return Feedback(key, "invalid", f"expected a number, got {type(answer).__name__} {answer!r}.")
    if not math.isfinite(x):
        return Feedback(key, "invalid", f"expected a finite number, got {x!r}.")
    p = params(key, student_id)
    target = _expected(key, _freeze(p))
    unit = f" {ex.unit}" if ex.unit else ""
    if ex.integer:
        right = round(x) == x and int(x) == int(round(target))
    else:
        right = _close_to(x, target, ex.rel_tol, ex.abs_tol)
    if right:
        shown = f"{int(round(target))}" if ex.integer else f"{x:.6g}"
        return Feedback(key, "right", f"right: {shown}{unit}.")
    for value, hint in ex.traps(p):
        if _close_to(x, float(value), max(ex.rel_tol, 1e-3), ex.abs_tol):
            return Feedback(key, "wrong", f"not quite: {hint}")
    if _close_to(x, target, ex.close_tol):
        return Feedback(key, "close", f"{ex.close_hint}.")
    return Feedback(key, "wrong", f"not yet. Hint: {ex.hint}" if ex.hint else "not yet.")


# ----------------------------------------------------------------------------------------------
# the exercises of notebooks 01-04 (answers computed from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _choice(rng: np.random.Generator, values: list[Any]) -> Any:
    v = values[int(rng.integers(len(values)))]
    return v.item() if hasattr(v, "item") else v


def _theory() -> Any:
    from mqsim import theory

    return theory


# --- 01 flow balance ---------------------------------------------------------------------------
def _nb01_ex1(p: Mapping[str, Any]) -> float:
    return _theory().backlog_growth_rate(p["lam"], 1.0 / p["mu"], p["c"])


def _nb01_ex1_vary(rng: np.random.Generator) -> Params:
    c, mu = _choice(rng, [2, 3, 4]), _choice(rng, [1.5, 2.0, 2.5])
    return {"lam": round(c * mu + _choice(rng, [0.5, 1.0, 1.5, 2.0]), 2), "mu": mu, "c": c}


register(Exercise(
    key="nb01_ex1",
    question=("Messages arrive at lam = {lam}/s; each of c = {c} consumers serves mu = {mu} messages/s. "
              "At what rate (messages/s) does the backlog grow?"),
    canonical={"lam": 7.0, "mu": 2.0, "c": 3}, vary=_nb01_ex1_vary, answer=_nb01_ex1, rel_tol=1e-6, unit="messages/s",
    hint="throughput can never exceed the capacity c*mu; whatever arrives beyond it piles up.",
    traps=lambda p: [(p["lam"] - p["mu"], "that is the growth with ONE consumer; all c consumers drain the queue."),
                     (p["lam"] / (p["c"] * p["mu"]), "that is the utilisation rho (dimensionless), not a rate.")],
))


def _nb01_ex2(p: Mapping[str, Any]) -> float:
    m = _theory().mm1k(p["lam"], p["mu"], p["max_length"] + 1)
    return m.throughput * m.W  # Little's law with the admitted rate (= m.L)


def _nb01_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [3.0, 4.0, 5.0, 6.0]), "mu": 5.0, "max_length": _choice(rng, [3, 4, 5, 6])}


register(Exercise(
    key="nb01_ex2",
    question=("One consumer (mu = {mu}/s, exponential service, prefetch 1) reads a queue with x-max-length = "
              "{max_length} and reject-publish; messages are published at lam = {lam}/s (Poisson). Use Little's law "
              "to give the mean number of messages in the system L (ready + at the consumer)."),
    canonical={"lam": 4.0, "mu": 5.0, "max_length": 4}, vary=_nb01_ex2_vary, answer=_nb01_ex2, unit="messages",
    hint=("Little's law needs the rate of messages that ENTER: lam_eff = lam*(1 - P(block)). The capacity K "
          "counts the ready messages AND the one at the consumer (mqsim.theory.mm1k)."),
    traps=lambda p: [(p["lam"] * _theory().mm1k(p["lam"], p["mu"], p["max_length"] + 1).W,
                      "you multiplied by the offered rate lam; refused messages never enter, use lam_eff."),
                     (_theory().mm1k(p["lam"], p["mu"], p["max_length"]).L,
                      "K is max_length + 1: x-max-length counts ready messages only, not the one in service.")],
))


def _nb01_ex3(p: Mapping[str, Any]) -> float:
    m = _theory().mm1(p["lam"], 1.0 / p["P"])
    return m.L / (p["lam"] * p["P"])


def _nb01_ex3_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [2.0, 2.5, 3.0, 3.5, 4.0, 4.5]), "P": 0.2}


register(Exercise(
    key="nb01_ex3",
    question=("The article's Q = M x P with M = {lam} messages/s and P = {P} s per message predicts "
              "{lam} x {P} messages in the queue. For one consumer with Poisson arrivals and exponential "
              "service (M/M/1), by what factor does it underestimate the mean number in the system L?"),
    canonical={"lam": 4.0, "P": 0.2}, vary=_nb01_ex3_vary, answer=_nb01_ex3, unit="(dimensionless factor)",
    hint="L = lam*W with W = Wq + P: Q = M x P leaves the waiting time out. For M/M/1, L = rho/(1 - rho).",
    traps=lambda p: [(1.0 / (p["lam"] * p["P"]), "that is 1/rho; compare L = rho/(1 - rho) with rho.")],
))


# --- 02 event engine and M/M/1 -----------------------------------------------------------------
def _nb02_ex1(p: Mapping[str, Any]) -> float:
    """rho at which the p-quantile of the M/M/1 sojourn equals k mean service times (bisection on
    mm1(rho, 1).sojourn_quantile)."""
    th = _theory()
    lo, hi = 1e-9, 1.0 - 1e-12
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if th.mm1(mid, 1.0).sojourn_quantile(p["p"]) > p["k"]:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def _nb02_ex1_vary(rng: np.random.Generator) -> Params:
    return {"k": _choice(rng, [5, 10, 15, 20]), "p": _choice(rng, [0.95, 0.99])}


register(Exercise(
    key="nb02_ex1",
    question=("In M/M/1, at what utilisation rho does the {p:.0%} percentile of the time in system (sojourn) "
              "exceed {k} times the mean service time?"),
    canonical={"k": 10, "p": 0.99}, vary=_nb02_ex1_vary, answer=_nb02_ex1, rel_tol=2e-3, close_tol=0.03,
    unit="(utilisation)",
    hint="the sojourn T is Exp(mu - lam): its p-quantile is -ln(1 - p)/(mu - lam). Set it equal to k/mu.",
    traps=lambda p: [(1 - 1 / p["k"], "that keeps the MEAN sojourn 1/(mu - lam) below k/mu; the question is about "
                                      "a percentile, which is ln(1/(1 - p)) times the mean.")],
))


def _nb02_ex2(p: Mapping[str, Any]) -> float:
    return _theory().mm1(p["lam"], p["mu"]).wait_tail(p["t"])


def _nb02_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [2.0, 2.5, 3.0, 3.5, 4.0]), "mu": 5.0, "t": _choice(rng, [0.5, 1.0])}


register(Exercise(
    key="nb02_ex2",
    question="M/M/1 with lam = {lam}/s and mu = {mu}/s: what fraction of messages wait in the queue longer than {t} s?",
    canonical={"lam": 4.0, "mu": 5.0, "t": 1.0}, vary=_nb02_ex2_vary, answer=_nb02_ex2, unit="(probability)",
    hint="the wait has an atom at 0 (probability 1 - rho); given that a message waits, its wait is Exp(mu - lam).",
    traps=lambda p: [(_theory().mm1(p["lam"], p["mu"]).sojourn_tail(p["t"]),
                      "that is P(T > t) for the time in SYSTEM; the question asks about the wait in the queue.")],
))


def _nb02_ex3(p: Mapping[str, Any]) -> float:
    return _theory().mm1(p["lam"], p["mu"]).wait_quantile(p["p"])


def _nb02_ex3_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [2.0, 3.0, 4.0]), "mu": 5.0, "p": _choice(rng, [0.9, 0.95, 0.99])}


register(Exercise(
    key="nb02_ex3",
    question="M/M/1 with lam = {lam}/s and mu = {mu}/s: give the {p:.0%} percentile of the wait in the queue (s).",
    canonical={"lam": 4.0, "mu": 5.0, "p": 0.99}, vary=_nb02_ex3_vary, answer=_nb02_ex3, unit="s",
    hint="P(Wq > t) = rho*exp(-(mu - lam)t); solve P(Wq > t) = 1 - p for t.",
    traps=lambda p: [(_theory().mm1(p["lam"], p["mu"]).sojourn_quantile(p["p"]),
                      "that is the percentile of the time in SYSTEM (wait + service)."),
                     (-math.log(1 - p["p"]) / (p["mu"] - p["lam"]),
                      "that ignores the atom: only a fraction rho of messages wait at all.")],
))


# --- 03 output analysis ------------------------------------------------------------------------
def _bank_wq(p: Mapping[str, Any], c: int | None = None) -> float:
    return _theory().mmc(p["lam"], p["mu"], c or p["c"]).Wq


def _nb03_ex1_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.15, 0.18, 0.22, 0.25, 0.27]), "mu": 0.1, "c": 3}


def _nb03_ex3_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.15, 0.18, 0.2, 0.22, 0.25]), "mu": 0.1, "c": 3}


register(Exercise(
    key="nb03_ex1",
    question=("What if the Ciw bank gets busier? Customers arrive at lam = {lam} per minute, each of c = {c} tellers "
              "serves mu = {mu} per minute. What is the exact mean wait in the queue (minutes)?"),
    canonical={"lam": 0.25, "mu": 0.1, "c": 3}, vary=_nb03_ex1_vary, answer=lambda p: _bank_wq(p), unit="minutes",
    hint="this is M/M/c: Wq = C(c, a)/(c*mu - lam) with a = lam/mu (mqsim.theory.mmc).",
    traps=lambda p: [(5.62649, "that is Ciw's 10-trial simulation estimate, not the exact value."),
                     (_bank_wq(p) + 1 / p["mu"], "that is the time in the system W (wait + service).")],
))


def _nb03_ex2(p: Mapping[str, Any]) -> float:
    """Smallest n whose running 95% CI of the daily mean wait has half-width <= target * exact,
    with mqsim's prefix-stable replication seeds (computed by simulation, in chunks)."""
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario
    from mqsim.teaching.output_analysis import replications_until

    sc = Scenario([Producer("customers", rate=p["lam"])],
                  consumers=Consumers(p["c"], service=Exponential(rate=p["mu"])))
    n, _ = replications_until(sc, p["target"] * _bank_wq(p), "Wq", p["seed"], p["horizon"], p["warmup"])
    if n is None:  # pragma: no cover - 20,000 days always suffice here
        raise RuntimeError("nb03_ex2: more than 20000 replications needed")
    return float(n)


def _nb03_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": 0.2, "mu": 0.1, "c": 3, "horizon": 1540.0, "warmup": 100.0, "target": 0.05,
            "seed": int(rng.integers(1, 10_000))}


register(Exercise(
    key="nb03_ex2",
    question=("Simulate the bank (lam = {lam}/min, mu = {mu}/min, c = {c}) for one day as Ciw does: "
              "mq.analysis.replication_values(bank, 'Wq', n, seed={seed}, horizon={horizon}, warmup={warmup}). "
              "What is the smallest number of replications n whose 95% confidence interval for Wq has a "
              "half-width of at most {target:.0%} of the exact Wq?"),
    canonical={"lam": 0.2, "mu": 0.1, "c": 3, "horizon": 1540.0, "warmup": 100.0, "target": 0.05, "seed": 2024},
    vary=_nb03_ex2_vary, answer=_nb03_ex2, integer=True, close_tol=0.25, unit="replications",
    hint=("look at the running interval over the first n replications in order (mq.analysis.running_ci, "
          "replications_needed or replications_until); the half-width target is a fraction of the EXACT Wq."),
    close_hint=("close: a different stopping rule or seed gives a nearby n; use the given seed and the first n "
                "replications in order"),
))


def _nb03_ex3(p: Mapping[str, Any]) -> float:
    return 1.0 - _bank_wq(p, p["c"] + 1) / _bank_wq(p)


register(Exercise(
    key="nb03_ex3",
    question=("Same bank (lam = {lam}/min, mu = {mu}/min) with c = {c} tellers. By what FRACTION does one extra "
              "teller reduce the exact mean wait in the queue? (0.5 means it halves it.)"),
    canonical={"lam": 0.2, "mu": 0.1, "c": 3}, vary=_nb03_ex3_vary, answer=_nb03_ex3, unit="(fraction)",
    hint="1 - Wq(c + 1)/Wq(c), both from mqsim.theory.mmc.",
    traps=lambda p: [(100 * _nb03_ex3(p), "that looks like a percentage; give a fraction between 0 and 1."),
                     (1 - 0.79868 / 5.62649, "those are Ciw's noisy 10-trial estimates; use the exact values.")],
))


# --- 04 competing consumers --------------------------------------------------------------------
def _nb04_ex1(p: Mapping[str, Any]) -> float:
    return _theory().mmc_min_servers(p["lam"], p["mu"], p["t"], p["max_prob"])


def _nb04_ex1_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [1.6, 2.0, 2.4, 2.8, 3.2, 3.6]), "mu": 1.0, "t": _choice(rng, [0.25, 0.5, 1.0]),
            "max_prob": _choice(rng, [0.05, 0.1])}


register(Exercise(
    key="nb04_ex1",
    question=("Messages arrive at lam = {lam}/s (Poisson); a consumer handles mu = {mu}/s (exponential), "
              "prefetch 1. What is the fewest consumers such that P(Wq > {t} s) <= {max_prob:.0%}?"),
    canonical={"lam": 2.4, "mu": 1.0, "t": 0.5, "max_prob": 0.05}, vary=_nb04_ex1_vary, answer=_nb04_ex1,
    integer=True, close_tol=0.0, unit="consumers",
    hint="P(Wq > t) = C(c, a)*exp(-(c*mu - lam)t) in M/M/c; increase c until it drops below the target.",
    traps=lambda p: [(math.floor(p["lam"] / p["mu"]) + 1,
                      "that is only the fewest consumers that keep the queue stable (E = P x T, rounded up); "
                      "check P(Wq > t) at that c.")],
))


def _nb04_ex2(p: Mapping[str, Any]) -> float:
    from mqsim.model.dist import Exponential

    return _theory().gi_m1(Exponential(rate=p["lam"]), p["mu"], split=p["c"]).Wq


def _nb04_ex2_vary(rng: np.random.Generator) -> Params:
    c = _choice(rng, [2, 3, 4])
    return {"lam": round(c * _choice(rng, [0.6, 0.7, 0.8]), 2), "mu": 1.0, "c": c}


register(Exercise(
    key="nb04_ex2",
    question=("c = {c} consumers (mu = {mu}/s each) with UNLIMITED prefetch: RabbitMQ pushes messages round-robin "
              "as they arrive (lam = {lam}/s, Poisson). What is the mean wait Wq (s) of a message before its "
              "consumer starts it?"),
    canonical={"lam": 3.2, "mu": 1.0, "c": 4}, vary=_nb04_ex2_vary, answer=_nb04_ex2, unit="s",
    hint=("each consumer gets every c-th message, so its inter-arrival time is Erlang-c: an E_c/M/1 queue "
          "(mqsim.theory.gi_m1 with split=c, or for_scenario with prefetch=0)."),
    traps=lambda p: [(_theory().mmc(p["lam"], p["mu"], p["c"]).Wq,
                      "that is the shared queue at prefetch 1 (M/M/c); with unlimited prefetch there is no pooling."),
                     (_theory().mm1(p["lam"] / p["c"], p["mu"]).Wq,
                      "that is a RANDOM split (c x M/M/1); round-robin is more regular than random.")],
))


def _nb04_ex3(p: Mapping[str, Any]) -> float:
    return _theory().mmc(p["calls"] / p["period"], 1.0 / p["aht"], p["agents"]).wait_cdf(p["t"])


def _nb04_ex3_vary(rng: np.random.Generator) -> Params:
    return {"calls": 360, "period": 1800.0, "aht": 240.0, "agents": _choice(rng, [52, 53, 54, 55, 56, 57, 58]),
            "t": _choice(rng, [10.0, 15.0, 20.0, 30.0])}


register(Exercise(
    key="nb04_ex3",
    question=("A call-centre style queue: {calls} messages per {period:.0f} s, mean handling time {aht:.0f} s "
              "(exponential), {agents} consumers at prefetch 1. What is the service level: the fraction of "
              "messages that wait at most {t:.0f} s?"),
    canonical={"calls": 360, "period": 1800.0, "aht": 240.0, "agents": 55, "t": 15.0}, vary=_nb04_ex3_vary,
    answer=_nb04_ex3, unit="(probability)",
    hint="SL(t) = 1 - C(c, a)*exp(-(c*mu - lam)t) with a = lam*AHT in Erlangs (MMcMetrics.service_level).",
    traps=lambda p: [(_theory().erlang_c(p["agents"], p["calls"] / p["period"] * p["aht"]),
                      "that is P(wait > 0), Erlang C itself."),
                     (1 - _theory().erlang_c(p["agents"], p["calls"] / p["period"] * p["aht"]),
                      "that is P(no wait at all); the service level also counts the short waits up to t.")],
))


# ----------------------------------------------------------------------------------------------
# the exercises of notebooks 05-08 (answers computed from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
# --- 05 bounded queues -------------------------------------------------------------------------
def _nb05_ex1(p: Mapping[str, Any]) -> float:
    """Smallest x-max-length m with M/M/c/(m + c) loss <= target (K counts the c in flight)."""
    th, m = _theory(), 0
    while th.mmck(p["lam"], p["mu"], p["c"], m + p["c"]).loss > p["target"]:
        m += 1
    return float(m)


def _nb05_ex1_vary(rng: np.random.Generator) -> Params:
    c = _choice(rng, [1, 2, 3])
    return {"lam": round(c * _choice(rng, [0.7, 0.8, 0.9, 0.95]), 4), "mu": 1.0, "c": c,
            "target": _choice(rng, [0.005, 0.01, 0.02])}


register(Exercise(
    key="nb05_ex1",
    question=("Messages are published at lam = {lam}/s (Poisson) to a queue read by c = {c} consumer(s) "
              "(exponential service, mu = {mu}/s each, prefetch 1), with overflow reject-publish. What is the "
              "smallest x-max-length that keeps the fraction of refused messages at or below {target:.1%}?"),
    canonical={"lam": 0.9, "mu": 1.0, "c": 1, "target": 0.01}, vary=_nb05_ex1_vary, answer=_nb05_ex1,
    integer=True, close_tol=0.0, unit="messages (x-max-length)",
    hint=("the loss is p_K of M/M/c/K (PASTA); increase the limit until mqsim.theory.mmck(lam, mu, c, K).loss "
          "drops below the target. Which K does x-max-length m give?"),
    traps=lambda p: [(_nb05_ex1(p) + p["c"],
                      "that is the Kendall capacity K. x-max-length counts READY messages only; the c messages "
                      "at the consumers come on top, so the limit is K - c.")],
))


def _nb05_ex2(p: Mapping[str, Any]) -> float:
    return _theory().mmck_drop_head(p["lam"], p["mu"], 1, p["max_length"] + 1).Wq


def _nb05_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.7, 0.8, 0.9, 1.0, 1.2, 1.5]), "mu": 1.0,
            "max_length": _choice(rng, [3, 4, 5, 6, 8])}


register(Exercise(
    key="nb05_ex2",
    question=("One consumer (mu = {mu}/s, exponential, prefetch 1), Poisson publishing at lam = {lam}/s, "
              "x-max-length = {max_length} with overflow drop-head (RabbitMQ's default). What is the mean wait in "
              "the queue (s) of the messages that are DELIVERED?"),
    canonical={"lam": 0.9, "mu": 1.0, "max_length": 5}, vary=_nb05_ex2_vary, answer=_nb05_ex2, unit="s",
    hint=("the loss is the same as reject-publish's, the wait is not: drop-head throws the OLDEST message away. "
          "mqsim.theory.mmck_drop_head gives the wait of delivered messages (K = max_length + 1)."),
    traps=lambda p: [(_theory().mm1k(p["lam"], p["mu"], p["max_length"] + 1).Wq,
                      "that is reject-publish's wait. Under drop-head the messages that waited longest are the "
                      "ones dropped, so the delivered ones are fresher."),
                     (_theory().mmck_drop_head(p["lam"], p["mu"], 1, p["max_length"]).Wq,
                      "K is max_length + 1: x-max-length counts ready messages, not the one at the consumer."),
                     (_nb05_ex2(p) + 1.0 / p["mu"], "that is the time in the system; the question asks for the wait.")],
))


def _nb05_ex3(p: Mapping[str, Any]) -> float:
    return _theory().mmck(p["lam"], p["mu"], p["c"], p["max_length"] + p["c"]).loss


def _nb05_ex3_vary(rng: np.random.Generator) -> Params:
    c = _choice(rng, [2, 3, 4])
    return {"lam": round(c * _choice(rng, [0.8, 0.9, 1.0, 1.2]), 4), "mu": 1.0, "c": c,
            "max_length": _choice(rng, [2, 4, 6, 8])}


def _nb05_ex3_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    th, c, m = _theory(), p["c"], p["max_length"]
    out = [(th.erlang_b(c, p["lam"] / p["mu"]),
            "that is Erlang B, the loss with NO waiting room (x-max-length = 0)."),
           (p["lam"] * _nb05_ex3(p), "that is the loss RATE (messages/s); give the fraction of published messages.")]
    if m >= c:
        out.append((th.mmck(p["lam"], p["mu"], c, m).loss,
                    "K is not x-max-length: RabbitMQ counts ready messages only, so K = max_length + c."))
    return out


register(Exercise(
    key="nb05_ex3",
    question=("c = {c} consumers (mu = {mu}/s each, exponential, prefetch 1) read a queue with x-max-length = "
              "{max_length} and reject-publish; messages are published at lam = {lam}/s (Poisson). What fraction "
              "of the published messages is refused?"),
    canonical={"lam": 1.8, "mu": 1.0, "c": 2, "max_length": 8}, vary=_nb05_ex3_vary, answer=_nb05_ex3,
    unit="(fraction)",
    hint="this is M/M/c/K with K = max_length + c; the refused fraction is p_K (mqsim.theory.mmck(...).loss).",
    traps=_nb05_ex3_traps,
))


# --- 06 service-time variability ---------------------------------------------------------------
def _nb06_ex1(p: Mapping[str, Any]) -> float:
    return _theory().mg1(p["lam"], p["mean"], p["scv"]).Wq


def _nb06_ex1_vary(rng: np.random.Generator) -> Params:
    mean = _choice(rng, [0.02, 0.05, 0.1, 0.2])
    return {"lam": round(_choice(rng, [0.5, 0.6, 0.7, 0.8, 0.9]) / mean, 4), "mean": mean,
            "scv": _choice(rng, [0.0, 0.5, 2.0, 4.0, 9.0])}


def _nb06_ex1_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    rho = p["lam"] * p["mean"]
    return [(_theory().mg1(p["lam"], p["mean"], 1.0).Wq,
             "that is M/M/1, which assumes exponential service (C_s^2 = 1); Pollaczek–Khinchine uses the "
             "real C_s^2."),
            (rho * (1 + math.sqrt(p["scv"])) / (2 * (1 - rho)) * p["mean"],
             "the formula needs the SQUARED coefficient of variation C_s^2 = Var[S]/E[S]^2, not C_s."),
            (_nb06_ex1(p) + p["mean"], "that is the time in the system W = Wq + E[S]; the question asks for Wq.")]


register(Exercise(
    key="nb06_ex1",
    question=("One consumer (prefetch 1) takes on average {mean} s per message, with squared coefficient of "
              "variation C_s^2 = {scv}; messages arrive at lam = {lam}/s (Poisson). What is the mean wait in the "
              "queue Wq (s)?"),
    canonical={"lam": 0.8, "mean": 1.0, "scv": 4.0}, vary=_nb06_ex1_vary, answer=_nb06_ex1, unit="s",
    hint="Pollaczek–Khinchine: Wq = rho*(1 + C_s^2)/(2*(1 - rho)) * E[S] with rho = lam*E[S] (mqsim.theory.mg1).",
    traps=_nb06_ex1_traps,
))


def _nb06_ex2(p: Mapping[str, Any]) -> float:
    return (1.0 + p["scv"]) * p["mean"] / 2.0  # E[S^2]/(2 E[S])


def _nb06_ex2_vary(rng: np.random.Generator) -> Params:
    return {"mean": _choice(rng, [0.02, 0.05, 0.1, 0.5, 2.0]), "scv": _choice(rng, [0.0, 0.5, 2.0, 4.0, 9.0])}


register(Exercise(
    key="nb06_ex2",
    question=("Messages arrive as a Poisson stream at one consumer whose service time has mean E[S] = {mean} s and "
              "C_s^2 = {scv}. A message arrives and finds the consumer busy. On average, how long (s) until the "
              "message in service finishes?"),
    canonical={"mean": 1.0, "scv": 4.0}, vary=_nb06_ex2_vary, answer=_nb06_ex2, unit="s",
    hint=("an arrival lands in a long service more often than in a short one (the inspection paradox): the "
          "service in progress is length-biased, and its remaining part averages E[S^2]/(2 E[S])."),
    traps=lambda p: [(p["mean"] / 2, "half a mean service time is the naive guess; long services are more likely "
                                     "to be caught in progress."),
                     (p["mean"], "only the exponential law is memoryless; here the answer depends on C_s^2."),
                     (2 * _nb06_ex2(p), "that is the mean LENGTH of the service in progress; the question asks "
                                        "for what remains of it.")],
))


def _nb06_ex3(p: Mapping[str, Any]) -> float:
    return 2 * p["k"] / (2 * p["k"] + 1 + p["scv"])  # rho*(1 + scv)/(2(1 - rho)) = k


def _nb06_ex3_vary(rng: np.random.Generator) -> Params:
    return {"k": _choice(rng, [1.0, 2.0, 3.0, 5.0]), "scv": _choice(rng, [0.0, 0.5, 2.0, 4.0])}


register(Exercise(
    key="nb06_ex3",
    question=("One consumer, Poisson arrivals, service times with C_s^2 = {scv}. Up to what utilisation rho is the "
              "mean wait in the queue at most {k:g} times the mean service time?"),
    canonical={"k": 2.0, "scv": 0.0}, vary=_nb06_ex3_vary, answer=_nb06_ex3, unit="(utilisation)",
    hint="set Pollaczek–Khinchine's Wq/E[S] = rho*(1 + C_s^2)/(2*(1 - rho)) equal to k and solve for rho.",
    traps=lambda p: [(p["k"] / (p["k"] + 1), "that is the M/M/1 answer (C_s^2 = 1); use the given C_s^2.")],
))


# --- 07 G/G approximations ---------------------------------------------------------------------
def _nb07_arrivals(p: Mapping[str, Any]) -> Any:
    from mqsim.model.dist import Deterministic, Erlang

    mean = 1.0 / (p["rho"] * p["mu"])
    return Deterministic(mean) if p["k"] == 0 else Erlang(k=int(p["k"]), mean=mean)


def _nb07_ex1(p: Mapping[str, Any]) -> float:
    return _theory().gi_m1(_nb07_arrivals(p), p["mu"]).Wq


def _nb07_ex1_vary(rng: np.random.Generator) -> Params:
    k = _choice(rng, [0, 2, 3, 4])
    return {"k": k, "arrivals": "evenly spaced (deterministic)" if k == 0 else f"Erlang-{k} distributed",
            "rho": _choice(rng, [0.6, 0.7, 0.8, 0.9]), "mu": 1.0}


register(Exercise(
    key="nb07_ex1",
    question=("One consumer with exponential service (mu = {mu}/s). Messages arrive at utilisation rho = {rho}, with "
              "inter-arrival times that are {arrivals}. What is the EXACT mean wait in the queue Wq (s)?"),
    canonical={"k": 0, "arrivals": "evenly spaced (deterministic)", "rho": 0.8, "mu": 1.0}, vary=_nb07_ex1_vary,
    answer=_nb07_ex1, unit="s",
    hint=("exponential service with renewal arrivals is GI/M/1: solve sigma = A*(mu(1 - sigma)) for sigma, then "
          "Wq = sigma/(mu(1 - sigma)) (mqsim.theory.gi_m1 with the inter-arrival distribution)."),
    traps=lambda p: [(_theory().kingman(p["rho"] * p["mu"], _nb07_arrivals(p).scv, 1 / p["mu"], 1.0).Wq,
                      "that is Kingman's approximation; the question asks for the exact GI/M/1 value."),
                     (_theory().mm1(p["rho"] * p["mu"], p["mu"]).Wq,
                      "that is M/M/1: Poisson arrivals. These arrivals are more regular.")],
))


def _nb07_ex2(p: Mapping[str, Any]) -> float:
    return _theory().kingman_bound(p["rho"] * p["mu"], p["ca2"], 1 / p["mu"], p["cs2"])


def _nb07_ex2_vary(rng: np.random.Generator) -> Params:
    return {"rho": _choice(rng, [0.6, 0.7, 0.8, 0.9]), "mu": 1.0, "ca2": _choice(rng, [0.25, 0.5, 2.0, 4.0]),
            "cs2": _choice(rng, [0.0, 0.5, 1.0, 2.0])}


register(Exercise(
    key="nb07_ex2",
    question=("A G/G/1 queue: service rate mu = {mu}/s (mean service time 1/mu), utilisation rho = {rho}, "
              "inter-arrival C_a^2 = {ca2} and service C_s^2 = {cs2}. Give Kingman's 1962 UPPER BOUND on the mean "
              "wait Wq (s)."),
    canonical={"rho": 0.8, "mu": 1.0, "ca2": 0.5, "cs2": 1.0}, vary=_nb07_ex2_vary, answer=_nb07_ex2, unit="s",
    hint=("the bound is lam*(Var[A] + Var[S])/(2(1 - rho)) with Var[A] = C_a^2/lam^2 and Var[S] = C_s^2/mu^2 "
          "(mqsim.theory.kingman_bound)."),
    traps=lambda p: [(_theory().kingman(p["rho"] * p["mu"], p["ca2"], 1 / p["mu"], p["cs2"]).Wq,
                      "that is the OTHER 'Kingman': his 1961 heavy-traffic approximation. The question asks for "
                      "the upper bound.")],
))


def _nb07_ex3(p: Mapping[str, Any]) -> float:
    return _theory().allen_cunneen(p["lam"], 1.0, p["d"], 0.0, p["c"]).Wq


def _nb07_ex3_vary(rng: np.random.Generator) -> Params:
    c, d = _choice(rng, [2, 3, 4, 5]), _choice(rng, [0.1, 0.5, 1.0])
    return {"lam": round(_choice(rng, [0.7, 0.8, 0.9]) * c / d, 4), "d": d, "c": c}


register(Exercise(
    key="nb07_ex3",
    question=("c = {c} consumers (prefetch 1) each take exactly d = {d} s per message; messages arrive at "
              "lam = {lam}/s (Poisson). Give the Allen–Cunneen approximation of the mean wait Wq (s)."),
    canonical={"lam": 2.4, "d": 1.0, "c": 3}, vary=_nb07_ex3_vary, answer=_nb07_ex3, close_tol=0.01, unit="s",
    hint=("Allen–Cunneen: the Erlang C wait C(c, a)/(c*mu - lam) scaled by (C_a^2 + C_s^2)/2 "
          "(mqsim.theory.allen_cunneen)."),
    traps=lambda p: [(_theory().sakasegawa(p["lam"], 1.0, p["d"], 0.0, p["c"]).Wq,
                      "that is Sakasegawa's formula (Hopp & Spearman's 'Kingman for G/G/c'), a different "
                      "approximation."),
                     (_theory().mmc(p["lam"], 1 / p["d"], p["c"]).Wq,
                      "that is Erlang C (exponential service, C_s^2 = 1); constant service has C_s^2 = 0.")],
))


# --- 08 priorities -----------------------------------------------------------------------------
def _nb08_classes(p: Mapping[str, Any]) -> list[tuple[float, float, float]]:
    s2 = (1.0 + p["scv"]) * p["mean"] ** 2
    return [(p["lam_high"], p["mean"], s2), (p["lam_low"], p["mean"], s2)]


def _nb08_ex1(p: Mapping[str, Any]) -> float:
    return _theory().np_priority_mg1(_nb08_classes(p))[1].Wq


def _nb08_ex1_vary(rng: np.random.Generator) -> Params:
    mean, rho, share = _choice(rng, [0.1, 1.0]), _choice(rng, [0.7, 0.8, 0.9]), _choice(rng, [0.25, 0.375, 0.5])
    return {"lam_high": round(rho * share / mean, 4), "lam_low": round(rho * (1 - share) / mean, 4), "mean": mean,
            "scv": _choice(rng, [0.0, 1.0])}


def _nb08_ex1_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    th, cl = _theory(), _nb08_classes(p)
    lam = p["lam_high"] + p["lam_low"]
    return [(th.mg1(lam, p["mean"], p["scv"]).Wq, "that is the wait WITHOUT priorities (FCFS, Pollaczek–Khinchine)."),
            (th.pr_priority_mg1(cl)[1].W - p["mean"],
             "that is PREEMPTIVE-resume priority; a broker never takes a message back from a consumer, so use the "
             "non-preemptive (Cobham) formula."),
            (th.np_priority_mg1(cl)[0].Wq, "that is the HIGH class; the question asks for the low one.")]


register(Exercise(
    key="nb08_ex1",
    question=("One consumer (prefetch 1) on a queue with x-max-priority. High-priority messages arrive at "
              "{lam_high}/s and normal ones at {lam_low}/s (both Poisson); every message takes on average {mean} s "
              "with C_s^2 = {scv}. What is the mean wait in the queue (s) of a NORMAL-priority message?"),
    canonical={"lam_high": 0.3, "lam_low": 0.5, "mean": 1.0, "scv": 1.0}, vary=_nb08_ex1_vary, answer=_nb08_ex1,
    unit="s",
    hint=("Cobham: Wq_k = W0/((1 - sigma_{k-1})(1 - sigma_k)), W0 = sum lam_i E[S_i^2]/2 over ALL classes "
          "(mqsim.theory.np_priority_mg1)."),
    traps=_nb08_ex1_traps,
))


def _nb08_ex2(p: Mapping[str, Any]) -> float:
    m = 1.0 / p["mu"]
    return _theory().np_priority_mg1([(p["lam_high"], m, 2 * m * m), (p["lam_low"], m, 2 * m * m)])[0].Wq


def _nb08_ex2_vary(rng: np.random.Generator) -> Params:
    high = _choice(rng, [2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    return {"lam_high": high, "lam_low": 10.0 - high, "mu": 10.0}


register(Exercise(
    key="nb08_ex2",
    question=("The Ciw priority example, varied: one server (exponential, mu = {mu}/s), high-priority customers at "
              "{lam_high}/s and low-priority ones at {lam_low}/s (Poisson), non-preemptive. The total load is 1, so "
              "the low class has no steady state. What is the steady-state mean wait (s) of the HIGH class?"),
    canonical={"lam_high": 5.0, "lam_low": 5.0, "mu": 10.0}, vary=_nb08_ex2_vary, answer=_nb08_ex2, close_tol=0.03,
    unit="s",
    hint=("the high class is stable (sigma_1 < 1): Cobham gives Wq_1 = W0/(1 - sigma_1), and W0 counts the residual "
          "service of whatever is in service, low-priority messages included (the server is always busy)."),
    traps=lambda p: [(_theory().mm1(p["lam_high"], p["mu"]).Wq,
                      "that ignores the low class; a low-priority message already in service delays a high one too "
                      "(W0 counts every class)."),
                     *([(0.187, "that is Ciw's simulated value after 100 time units, a noisy estimate; the formula "
                                "gives the exact one.")] if p["lam_high"] == 5.0 else [])],
))


def _nb08_ex3(p: Mapping[str, Any]) -> float:
    return _theory().np_priority_mmc([p["lam_high"], p["lam_low"]], p["mu"], p["c"])[1].Wq


def _nb08_ex3_vary(rng: np.random.Generator) -> Params:
    c, rho, share = _choice(rng, [2, 3, 4]), _choice(rng, [0.7, 0.8, 0.9]), _choice(rng, [0.25, 0.5])
    return {"lam_high": round(rho * c * share, 4), "lam_low": round(rho * c * (1 - share), 4), "mu": 1.0, "c": c}


register(Exercise(
    key="nb08_ex3",
    question=("c = {c} consumers (prefetch 1, exponential service at mu = {mu}/s for every message) on a priority "
              "queue: high-priority messages at {lam_high}/s, normal ones at {lam_low}/s (Poisson). What is the mean "
              "wait in the queue (s) of a NORMAL-priority message?"),
    canonical={"lam_high": 0.6, "lam_low": 1.8, "mu": 1.0, "c": 3}, vary=_nb08_ex3_vary, answer=_nb08_ex3, unit="s",
    hint=("with a common exponential rate the non-preemptive M/M/c formula applies: "
          "Wq_k = [C(c, a)/(c*mu)]/((1 - sigma_{k-1})(1 - sigma_k)), sigma_k = sum_{i<=k} lam_i/(c*mu) "
          "(mqsim.theory.np_priority_mmc)."),
    traps=lambda p: [(_theory().mmc(p["lam_high"] + p["lam_low"], p["mu"], p["c"]).Wq,
                      "that is the wait without priorities (Erlang C, FCFS)."),
                     (_theory().np_priority_mmc([p["lam_high"], p["lam_low"]], p["mu"], p["c"])[0].Wq,
                      "that is the HIGH class; the question asks for the normal one.")],
))


# ----------------------------------------------------------------------------------------------
# the exercises of notebooks 09-12 (answers from mqsim.theory and mqsim.lessons3 at check time)
# ----------------------------------------------------------------------------------------------
def _l3() -> Any:
    from mqsim.teaching import lessons3

    return lessons3


# --- 09 TTL, dead-lettering, abandonment --------------------------------------------------------
def _nb09_ex1(p: Mapping[str, Any]) -> float:
    return _l3().ttl_for_expiry(p["lam"], p["mu"], p["target"])


def _nb09_ex1_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.6, 0.7, 0.8, 0.9, 0.95]), "mu": 1.0, "target": _choice(rng, [0.02, 0.05, 0.1])}


register(Exercise(
    key="nb09_ex1",
    question=("One consumer (mu = {mu}/s, exponential, prefetch 1) reads a queue fed at lam = {lam}/s (Poisson). "
              "What is the SHORTEST per-queue TTL (x-message-ttl, in seconds) for which at most {target:.0%} of "
              "the messages expire?"),
    canonical={"lam": 0.9, "mu": 1.0, "target": 0.05}, vary=_nb09_ex1_vary, answer=_nb09_ex1, unit="s",
    hint=("a per-queue TTL is deterministic patience: M/M/1+D, P(expire) = P0 (lam/mu) exp(-(mu - lam) tau) with "
          "P0 depending on tau too (mqsim.theory.mm1_ttl); it falls as tau grows, so bisect on tau."),
    traps=lambda p: [(math.log(p["lam"] / p["mu"] / p["target"]) / (p["mu"] - p["lam"]),
                      "that sets the M/M/1 wait tail rho*exp(-(mu - lam) tau) to the target, as if nothing expired. "
                      "Expired messages leave the queue, so the others wait less: a shorter TTL is enough.")],
))


def _nb09_ex2(p: Mapping[str, Any]) -> float:
    return _l3().erlang_a(p["lam"], p["mu"], 1, 1.0 / p["patience"]).loss


def _nb09_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.7, 0.8, 0.9, 1.2]), "mu": 1.0, "patience": _choice(rng, [1.0, 2.0, 4.0, 8.0])}


register(Exercise(
    key="nb09_ex2",
    question=("Same kind of queue: lam = {lam}/s, one consumer at mu = {mu}/s. Now each message carries its own "
              "random TTL (the publisher's expiration property), exponentially distributed with mean {patience} s. "
              "What fraction of the messages expire? (Then compare with a fixed TTL of {patience} s.)"),
    canonical={"lam": 0.9, "mu": 1.0, "patience": 4.0}, vary=_nb09_ex2_vary, answer=_nb09_ex2, unit="(fraction)",
    hint=("exponential patience is Erlang A (M/M/c+M) with theta = 1/mean patience; with c = 1 its birth-death "
          "chain gives P(abandon) = theta Lq / lam (mqsim.lessons3.erlang_a)."),
    traps=lambda p: [(_theory().mm1_ttl(p["lam"], p["mu"], p["patience"]).loss,
                      "that is the FIXED TTL (M/M/1+D). With the same mean but random TTLs, many messages get a "
                      "short one: more of them expire.")],
))


def _nb09_ex3(p: Mapping[str, Any]) -> float:
    return p["lam"] * _theory().mm1_ttl(p["lam"], p["mu"], p["ttl"]).loss


def _nb09_ex3_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [1.2, 1.5, 2.0]), "mu": 1.0, "ttl": _choice(rng, [1.0, 3.0, 5.0])}


register(Exercise(
    key="nb09_ex3",
    question=("An overloaded queue: lam = {lam}/s, one consumer at mu = {mu}/s (exponential, prefetch 1), a "
              "per-queue TTL of {ttl} s, and expired messages dead-lettered to a DLQ. At what rate (messages/s) "
              "do dead letters arrive in the DLQ?"),
    canonical={"lam": 1.5, "mu": 1.0, "ttl": 3.0}, vary=_nb09_ex3_vary, answer=_nb09_ex3, unit="messages/s",
    hint="rate into the DLQ = lam x P(expire), with P(expire) from M/M/1+D (valid for lam >= mu too).",
    traps=lambda p: [(p["lam"] - p["mu"], "that assumes the consumer is busy all the time. With a TTL the queue "
                                          "sometimes empties (messages expire instead of piling up), so the consumer "
                                          "idles and MORE than lam - mu expire."),
                     (_theory().mm1_ttl(p["lam"], p["mu"], p["ttl"]).loss,
                      "that is the FRACTION that expires; multiply by the publish rate.")],
))


# --- 10 pipelines, redelivery, networks ---------------------------------------------------------
def _nb10_ex1(p: Mapping[str, Any]) -> float:
    return _theory().tandem(p["lam"], [p["mu1"], p["mu2"]]).W


def _nb10_ex1_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [1.0, 1.5, 2.0, 2.5]), "mu1": _choice(rng, [3.0, 4.0, 5.0]),
            "mu2": _choice(rng, [3.0, 3.5, 4.0])}


register(Exercise(
    key="nb10_ex1",
    question=("A two-step pipeline: messages arrive at lam = {lam}/s (Poisson) at queue A, whose consumer "
              "(mu1 = {mu1}/s, exponential) publishes each result to queue B, whose consumer has mu2 = {mu2}/s. "
              "What is the mean end-to-end time (s) from publish to the final ack?"),
    canonical={"lam": 2.5, "mu1": 4.0, "mu2": 3.5}, vary=_nb10_ex1_vary, answer=_nb10_ex1, unit="s",
    hint=("Burke: the output of a stable M/M/1 is Poisson at lam, so B is an M/M/1 at lam too; add the two "
          "sojourns 1/(mu_i - lam) (mqsim.theory.tandem)."),
    traps=lambda p: [(1 / p["mu1"] + 1 / p["mu2"], "that is the service time alone; both queues also make messages "
                                                   "wait."),
                     (1 / (min(p["mu1"], p["mu2"]) - p["lam"]), "that is the bottleneck queue only; the other "
                                                                "queue adds its own time.")],
))


def _nb10_ex2(p: Mapping[str, Any]) -> float:
    return _theory().jackson([p["lam"]], [[p["p"]]], [p["mu"]]).W


def _nb10_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [0.4, 0.5, 0.6]), "mu": 1.0, "p": _choice(rng, [0.1, 0.2, 0.3])}


register(Exercise(
    key="nb10_ex2",
    question=("A consumer (mu = {mu}/s, exponential, prefetch 1) fails on {p:.0%} of its deliveries and nacks "
              "them with requeue; messages arrive at lam = {lam}/s (Poisson). What is the mean time (s) from "
              "publish to the final ack of a message?"),
    canonical={"lam": 0.4, "mu": 1.0, "p": 0.3}, vary=_nb10_ex2_vary, answer=_nb10_ex2, unit="s",
    hint=("Bernoulli feedback: the consumer sees lam/(1 - p) deliveries per second (an M/M/1 at that rate), and "
          "by Little T = L / lam per original message (mqsim.theory.jackson([lam], [[p]], [mu]))."),
    traps=lambda p: [(1 / (p["mu"] - p["lam"] / (1 - p["p"])),
                      "that is the time per VISIT; a message visits 1/(1 - p) times on average."),
                     (1 / (p["mu"] - p["lam"]), "that ignores the redeliveries: nacked messages come back and load "
                                                "the consumer again.")],
))


_CAFE_V = (0.6, 0.58, 1.0)  # visits per customer: cold, hot, till (routing of Ciw Tutorial II)


def _nb10_ex3(p: Mapping[str, Any]) -> float:
    x, _ = _theory().bottleneck_throughput(list(_CAFE_V), [1.0, 1 / p["mu_hot"], 1 / p["mu_till"]],
                                           [1, p["c_hot"], p["c_till"]])
    return 60.0 * x


def _nb10_ex3_vary(rng: np.random.Generator) -> Params:
    return {"mu_hot": _choice(rng, [0.4, 0.5]), "c_hot": _choice(rng, [1, 2, 3]),
            "mu_till": _choice(rng, [0.5, 0.6, 0.75]), "c_till": _choice(rng, [2, 3])}


register(Exercise(
    key="nb10_ex3",
    question=("The Ciw café with other staffing: customers arrive at 18/h for cold food and 12/h for hot food; 30% "
              "of cold-food customers also queue for hot food; everyone pays at the till. Cold counter: 1 server "
              "at 1/min; hot counter: {c_hot} servers at {mu_hot}/min each; till: {c_till} servers at {mu_till}/min "
              "each. What is the café's CAPACITY: the largest number of customers per HOUR it can serve if "
              "arrivals grow in the same proportions?"),
    canonical={"mu_hot": 0.4, "c_hot": 1, "mu_till": 0.5, "c_till": 3}, vary=_nb10_ex3_vary, answer=_nb10_ex3,
    unit="customers/h",
    hint=("bottleneck law: X* = min_i c_i mu_i / V_i, with V_i the visits per customer (cold 0.6, hot "
          "0.4 + 0.6 x 0.3 = 0.58, till 1); convert per minute to per hour."),
    traps=lambda p: [(30.0, "that is the arrival rate: in a stable network the throughput equals the arrivals, "
                            "whatever the capacity."),
                     (81.9 / 3, "that is Ciw's simulated count per hour: throughput, not capacity."),
                     (_nb10_ex3(p) / 60.0, "that is per minute; the question asks per hour.")],
))


# --- 11 Kafka partitions and consumer groups ----------------------------------------------------
def _nb11_ex1(p: Mapping[str, Any]) -> float:
    return _theory().kafka_saturation(p["partitions"], p["consumers"], p["mu"])


def _nb11_ex1_vary(rng: np.random.Generator) -> Params:
    return {"partitions": _choice(rng, [6, 8, 10, 12]), "consumers": _choice(rng, [4, 5, 7]),
            "mu": _choice(rng, [20.0, 50.0, 100.0])}


register(Exercise(
    key="nb11_ex1",
    question=("A topic has {partitions} partitions with uniformly spread keys; a consumer group of {consumers} "
              "consumers (range assignment) reads it, each processing mu = {mu:g} records/s. What is the largest "
              "total publish rate (records/s) the group can keep up with?"),
    canonical={"partitions": 10, "consumers": 4, "mu": 50.0}, vary=_nb11_ex1_vary, answer=_nb11_ex1,
    rel_tol=1e-6, unit="records/s",
    hint=("each partition has exactly one consumer; the busiest consumer owns ceil(P/n) partitions and saturates "
          "first: X* = P mu / ceil(P/n) (mqsim.theory.kafka_saturation)."),
    traps=lambda p: [(min(p["consumers"], p["partitions"]) * p["mu"],
                      "that assumes the consumers pool their capacity, as on a shared queue. A consumer with more "
                      "partitions gets more records and saturates first."),
                     (p["partitions"] * p["mu"], "that needs one consumer per partition.")],
))


def _nb11_ex2(p: Mapping[str, Any]) -> float:
    return _l3().partitions_needed(p["lam"], p["mu"], p["w"])


def _nb11_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [30.0, 40.0, 60.0, 90.0]), "mu": 10.0, "w": _choice(rng, [0.2, 0.25, 0.4])}


register(Exercise(
    key="nb11_ex2",
    question=("Records arrive at lam = {lam:g}/s (Poisson), keys spread uniformly; each consumer processes "
              "mu = {mu:g} records/s (exponential) and the group has one consumer per partition. What is the "
              "fewest partitions for which the mean time from publish to processed is at most {w} s?"),
    canonical={"lam": 40.0, "mu": 10.0, "w": 0.4}, vary=_nb11_ex2_vary, answer=_nb11_ex2, integer=True,
    close_tol=0.0, unit="partitions",
    hint="each partition is an M/M/1 at lam/P: W = 1/(mu - lam/P) <= w gives P >= lam/(mu - 1/w).",
    traps=lambda p: [(math.floor(p["lam"] / p["mu"]) + 1,
                      "that only keeps up (lam/P < mu); check the mean time 1/(mu - lam/P) at that P."),
                     (math.ceil(p["lam"] / p["mu"]), "with lam/P = mu the partitions have no steady state at all.")],
))


def _nb11_ex3(p: Mapping[str, Any]) -> float:
    from mqsim.model.kafka import Topic

    shares = Topic(p["partitions"], keys=p["keys"], key_skew=p["skew"]).partition_shares()
    return _l3().kafka_max_rate(p["mu"], p["partitions"], p["partitions"], shares=shares)


def _nb11_ex3_vary(rng: np.random.Generator) -> Params:
    return {"partitions": _choice(rng, [4, 6, 8]), "keys": _choice(rng, [100, 1000]),
            "skew": _choice(rng, [0.6, 0.8, 1.0, 1.2]), "mu": 100.0}


register(Exercise(
    key="nb11_ex3",
    question=("A topic with {partitions} partitions and one consumer per partition (mu = {mu:g} records/s each). "
              "Record keys are the customer ids 1..{keys}; key k has popularity proportional to 1/k^{skew} "
              "(Zipf) and goes to partition (k - 1) mod {partitions} (mqsim.kafka.Topic(partitions, keys, "
              "key_skew)). What is the largest total rate (records/s) the group keeps up with?"),
    canonical={"partitions": 6, "keys": 1000, "skew": 1.0, "mu": 100.0}, vary=_nb11_ex3_vary, answer=_nb11_ex3,
    unit="records/s",
    hint=("the hottest partition saturates first: X* = mu / (largest partition share); the shares come from "
          "Topic.partition_shares()."),
    traps=lambda p: [(p["partitions"] * p["mu"], "that assumes uniform keys; the popular keys make one partition "
                                                 "hot.")],
))


# --- 12 capstone: capacity planning --------------------------------------------------------------
def _nb12_peak(p: Mapping[str, Any]) -> float:
    return p["mean"] * (1 + p["amplitude"])


def _nb12_ex1(p: Mapping[str, Any]) -> float:
    return _theory().mmc_min_servers(_nb12_peak(p), 1 / p["es"], p["t"], p["max_prob"])


def _nb12_ex1_vary(rng: np.random.Generator) -> Params:
    return {"mean": _choice(rng, [4.0, 6.0, 8.0]), "amplitude": _choice(rng, [0.3, 0.5, 0.7]), "es": 0.45,
            "t": _choice(rng, [0.25, 0.5]), "max_prob": 0.05}


register(Exercise(
    key="nb12_ex1",
    question=("Traffic follows lambda(t) = {mean:g} x (1 + {amplitude} sin(2 pi t / T)) messages/s; processing takes "
              "{es} s on average (take it as exponential). Sizing for the busiest part of the cycle (peak-hour "
              "sizing), what is the fewest consumers (prefetch 1) with P(Wq > {t} s) <= {max_prob:.0%}?"),
    canonical={"mean": 6.0, "amplitude": 0.5, "es": 0.45, "t": 0.25, "max_prob": 0.05}, vary=_nb12_ex1_vary,
    answer=_nb12_ex1, integer=True, close_tol=0.0, unit="consumers",
    hint="the peak rate is mean x (1 + amplitude); then Erlang C at that rate (mqsim.theory.mmc_min_servers).",
    traps=lambda p: [(_theory().mmc_min_servers(p["mean"], 1 / p["es"], p["t"], p["max_prob"]),
                      "that sizes for the MEAN rate; during the peak of the cycle the queue would miss the target."),
                     (math.floor(_nb12_peak(p) * p["es"]) + 1,
                      "that only keeps the peak stable; check P(Wq > t) there.")],
))


def _nb12_ex2(p: Mapping[str, Any]) -> float:
    th = _theory()
    lam, mu, c = p["lam"], 1 / p["es"], p["c"]
    m = 0
    while th.mmck(lam, mu, c, c + m).loss > p["max_loss"]:
        m += 1
    return float(m)


def _nb12_ex2_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [8.0, 9.0, 10.0]), "es": 0.45, "c": _choice(rng, [5, 6]),
            "max_loss": _choice(rng, [0.01, 0.02])}


def _nb12_ex2_trap(p: Mapping[str, Any]) -> float:
    th = _theory()
    lam, mu, c = p["lam"], 1 / p["es"], p["c"]
    K = c
    while th.mmck(lam, mu, c, K).loss > p["max_loss"]:
        K += 1
    return float(K)


register(Exercise(
    key="nb12_ex2",
    question=("At the peak, lam = {lam:g} messages/s reach {c} consumers (prefetch 1, exponential processing with "
              "mean {es} s). The queue has x-max-length = m with reject-publish. What is the smallest m that keeps "
              "the fraction of refused messages at or below {max_loss:.0%}?"),
    canonical={"lam": 9.0, "es": 0.45, "c": 5, "max_loss": 0.01}, vary=_nb12_ex2_vary, answer=_nb12_ex2,
    integer=True, close_tol=0.0, unit="messages (x-max-length)",
    hint=("x-max-length counts READY messages only, so the system holds up to K = m + c messages: M/M/c/(c + m), "
          "loss = p_K (mqsim.theory.mmck)."),
    traps=lambda p: [(_nb12_ex2_trap(p), "that is the Kendall capacity K (or you took K = m): x-max-length counts "
                                         "only READY messages, so the system holds K = m + c; give m.")],
))


def _nb12_ex3(p: Mapping[str, Any]) -> float:
    lam = p["lam"]
    return _theory().np_priority_mmc([lam * p["share"], lam * (1 - p["share"])], 1 / p["es"], p["c"])[0].Wq


def _nb12_ex3_vary(rng: np.random.Generator) -> Params:
    return {"lam": _choice(rng, [8.0, 9.0, 10.0]), "es": 0.45, "c": _choice(rng, [5, 6]),
            "share": _choice(rng, [0.2, 0.3, 0.4])}


register(Exercise(
    key="nb12_ex3",
    question=("At the peak, lam = {lam:g} messages/s reach {c} consumers (prefetch 1, exponential processing with "
              "mean {es} s). A fraction {share} of them are interactive and published with a higher priority "
              "(x-max-priority queue, non-preemptive). What is the mean wait in the queue (s) of an INTERACTIVE "
              "message?"),
    canonical={"lam": 9.0, "es": 0.45, "c": 5, "share": 0.3}, vary=_nb12_ex3_vary, answer=_nb12_ex3, unit="s",
    hint=("non-preemptive priority M/M/c with a common rate: Wq_1 = [C(c, a)/(c mu)] / (1 - sigma_1), "
          "sigma_1 = lam_1/(c mu) (mqsim.theory.np_priority_mmc)."),
    traps=lambda p: [(_theory().mmc(p["lam"], 1 / p["es"], p["c"]).Wq,
                      "that is the wait without priorities (FCFS, Erlang C)."),
                     (_theory().np_priority_mmc([p["lam"] * p["share"], p["lam"] * (1 - p["share"])], 1 / p["es"],
                                                p["c"])[1].Wq, "that is the batch (low-priority) class.")],
))
