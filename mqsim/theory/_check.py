"""Input validation shared by the theory modules (private).

Every check raises :class:`ValueError` whose message names the function, the argument and the
allowed range, e.g. ``"mmc: mu must be a finite number > 0 (per second), got -1"``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def _as_float(where: str, name: str, value: Any, rng: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: {name} must be a finite number {rng}, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{where}: {name} must be a finite number {rng}, got {value!r}")
    return v


def positive(where: str, name: str, value: Any, unit: str = "") -> float:
    """A finite number > 0."""
    rng = "> 0" + (f" ({unit})" if unit else "")
    v = _as_float(where, name, value, rng)
    if v <= 0:
        raise ValueError(f"{where}: {name} must be a finite number {rng}, got {value!r}")
    return v


def nonneg(where: str, name: str, value: Any, unit: str = "") -> float:
    """A finite number >= 0."""
    rng = ">= 0" + (f" ({unit})" if unit else "")
    v = _as_float(where, name, value, rng)
    if v < 0:
        raise ValueError(f"{where}: {name} must be a finite number {rng}, got {value!r}")
    return v


def integer(where: str, name: str, value: Any, lo: int) -> int:
    """An integer >= lo (integral floats such as 3.0 are accepted)."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok = True
    if not ok or int(value) < lo:
        raise ValueError(f"{where}: {name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def probability(where: str, name: str, value: Any, *, closed_right: bool = False) -> float:
    """A probability in [0, 1) (or [0, 1] with ``closed_right``)."""
    rng = "in [0, 1]" if closed_right else "in [0, 1)"
    v = _as_float(where, name, value, rng)
    if v < 0 or v > 1 or (v == 1 and not closed_right):
        raise ValueError(f"{where}: {name} must be a number {rng}, got {value!r}")
    return v
