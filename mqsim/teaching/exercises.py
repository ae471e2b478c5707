"""Notebook exercises with immediate feedback that never stores or prints the answer.

>>> from mqsim.teaching import exercises
>>> exercises.params("nb04_ex1")                 # the lecture's canonical parameters
{'lam': 2.4, 'mu': 1.0, 't': 0.5, 'max_prob': 0.05}
>>> exercises.check("nb04_ex1", 5)               # the fewest consumers: feedback, no answer shown
nb04_ex1: right: 5 consumers.

This module is the small registry: :class:`Exercise`, :class:`Feedback`, :func:`register`,
:func:`check`, :func:`params`, :func:`question` and :func:`exercises`. Each lecture declares its
own exercises beside its helpers (``nb05_...`` in :mod:`mqsim.teaching.bounded_queues`, and so
on), loaded on first use of their key prefix.

Each exercise has canonical parameters (``student_id=None``, the values used in class) and a rule
that draws a personal variant from a hash of the student id, so neighbours get different
numbers. The expected answer is *computed at check time* from :mod:`mqsim.theory` (or, for
simulation exercises, by a seeded simulation) from those parameters; notebooks hold no literal
answers. Feedback is ``right`` (within ``rel_tol``), ``close`` (within ``close_tol``, e.g. a
simulated estimate of an exact value), or ``wrong`` with a hint, plus targeted hints for the
classic mistakes (``traps``). Instructors add exercises with :func:`register`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np

__all__ = ["Exercise", "Feedback", "REGISTRY", "LECTURES", "register", "register_all", "params", "check", "question",
           "exercises", "pick"]

Params = dict[str, Any]

#: key prefix -> the :mod:`mqsim.teaching` module that declares those exercises
LECTURES = {"nb01": "flow_balance", "nb02": "event_engine", "nb03": "output_analysis", "nb04": "competing_consumers",
            "nb05": "bounded_queues", "nb06": "service_variability", "nb07": "bursty_producers", "nb08": "priorities",
            "nb09": "impatience", "nb10": "networks", "nb11": "kafka", "nb12": "capacity_planning"}


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise.

    key: identifier, ``"nbNN_exK"``. question: text with ``{name}`` fields filled from the
    parameters. canonical: the parameters used in class. vary: draws a student's parameters from
    a numpy Generator. answer: computes the expected answer (a float) from the parameters.
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


#: every exercise loaded so far, by key
REGISTRY: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    """Add (or replace) an exercise in :data:`REGISTRY`; returns it."""
    if not isinstance(ex, Exercise):
        raise ValueError(f"register: expected an Exercise, got {type(ex).__name__}")
    REGISTRY[ex.key] = ex
    return ex


def register_all(exs: Iterable[Exercise]) -> tuple[Exercise, ...]:
    """:func:`register` each exercise of a lecture's table; returns them."""
    return tuple(register(ex) for ex in exs)


def pick(rng: np.random.Generator, values: list[Any]) -> Any:
    """One of ``values``, drawn with ``rng`` (plain Python scalars, for readable questions)."""
    v = values[int(rng.integers(len(values)))]
    return v.item() if hasattr(v, "item") else v


def _load(prefix: str) -> None:
    """Import the lecture modules whose exercises may start with ``prefix`` (they register them)."""
    for p, module in LECTURES.items():
        if p.startswith(prefix) or prefix.startswith(p):
            importlib.import_module(f"mqsim.teaching.{module}")


def exercises(prefix: str = "") -> list[str]:
    """Keys of the exercises that start with ``prefix`` (e.g. ``"nb04"``), sorted."""
    _load(prefix)
    return sorted(k for k in REGISTRY if k.startswith(prefix))


def _get(key: str) -> Exercise:
    if key not in REGISTRY and isinstance(key, str):
        _load(key[:4])
    try:
        return REGISTRY[key]
    except (KeyError, TypeError):
        raise ValueError(f"exercise {key!r}: unknown; known exercises: {', '.join(exercises())}") from None


def _rng(key: str, student_id: Any) -> np.random.Generator:
    digest = hashlib.sha256(f"mqsim-exercise|{key}|{student_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def params(key: str, student_id: Any = None) -> Params:
    """The parameters of exercise ``key`` for ``student_id`` (any str or int); None gives the
    canonical parameters used in class. The same id always gives the same parameters."""
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
