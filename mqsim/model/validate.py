"""The one set of input checks: every layer validates its arguments with these.

Each check returns the value in canonical form (``float`` or ``int``) or raises a
:class:`ValueError` whose message starts with the field's name and says what is allowed, e.g.
``"producers[0].rate: must be a finite number > 0 (messages/s), got -1"``. Numbers are real
numbers only: ``True`` and ``"3"`` are refused, never converted.

>>> positive("mmc.mu", 2)
2.0
>>> integer("consumers.count", 3.0, lo=1)
3
>>> probability("nack", 1.5)
Traceback (most recent call last):
...
ValueError: nack: must be a probability in [0, 1), got 1.5
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Mapping

__all__ = ["number", "positive", "nonneg", "integer", "probability", "choice", "keys", "text",
           "check_run_window"]


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """How a refused value is shown: strings say that they are strings (YAML reads ``1e3``
    without a dot as a string)."""
    if isinstance(value, str):
        return f"the string {value!r}"
    return repr(value)


def number(field: str, value: Any, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
           hi_open: bool = False, unit: str = "") -> float:
    """A finite real number in the given range (bounds included unless ``*_open``)."""
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo:g}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi:g}")
    rng = " and ".join(parts)
    what = f"a finite number{' ' + rng if rng else ''}{f' ({unit})' if unit else ''}"
    if not _is_real(value):
        hint = " (write numbers without quotes; YAML reads 1e3 as text, write 1.0e3)" if isinstance(value, str) else ""
        raise ValueError(f"{field}: must be {what}, got {_kind(value)}{hint}")
    v = float(value)
    bad = not math.isfinite(v)
    bad |= lo is not None and (v <= lo if lo_open else v < lo)
    bad |= hi is not None and (v >= hi if hi_open else v > hi)
    if bad:
        raise ValueError(f"{field}: must be {what}, got {value!r}")
    return v


def positive(field: str, value: Any, unit: str = "") -> float:
    """A finite number > 0."""
    return number(field, value, lo=0.0, lo_open=True, unit=unit)


def nonneg(field: str, value: Any, unit: str = "") -> float:
    """A finite number >= 0."""
    return number(field, value, lo=0.0, unit=unit)


def integer(field: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer in [lo, hi] (integral floats such as ``3.0`` are accepted; bools are not)."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, float) and value.is_integer():
        ok = True
    if lo is not None and hi is not None:
        rng = f" in [{lo}, {hi}]"
    elif lo is not None:
        rng = f" >= {lo}"
    else:
        rng = f" <= {hi}" if hi is not None else ""
    if not ok or (lo is not None and int(value) < lo) or (hi is not None and int(value) > hi):
        raise ValueError(f"{field}: must be an integer{rng}, got {_kind(value)}")
    return int(value)


def probability(field: str, value: Any, *, closed: bool = False) -> float:
    """A probability in [0, 1) (or [0, 1] with ``closed``)."""
    rng = "[0, 1]" if closed else "[0, 1)"
    if not _is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{field}: must be a probability in {rng}, got {_kind(value)}")
    v = float(value)
    if v < 0 or v > 1 or (v == 1 and not closed):
        raise ValueError(f"{field}: must be a probability in {rng}, got {value!r}")
    return v


def choice(field: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of ``allowed`` (compared with ``==``)."""
    allowed = tuple(allowed)
    if isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{field}: must be one of {', '.join(map(str, allowed))}; got {value!r}")
    return value


def text(field: str, value: Any, *, empty: bool = False) -> str:
    """A string (non-empty unless ``empty``)."""
    if not isinstance(value, str) or (not empty and not value):
        what = "a string" if empty else "a non-empty string"
        raise ValueError(f"{field}: must be {what}, got {value!r}")
    return value


def keys(field: str, data: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all in ``allowed``; unknown keys are refused, never ignored."""
    allowed = set(allowed)
    if not isinstance(data, Mapping):
        raise ValueError(f"{field}: expected a mapping with fields {', '.join(sorted(allowed))}; "
                         f"got {type(data).__name__} {data!r}"[:300])
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ValueError(f"{field}.{unknown[0]}: unknown field; allowed fields are {', '.join(sorted(allowed))}")
    return data


def check_run_window(horizon: Any, warmup: Any) -> tuple[float, float]:
    """``horizon`` > 0 and 0 <= ``warmup`` < ``horizon``, both in seconds."""
    h = positive("horizon", horizon, "seconds")
    w = number("warmup", warmup, lo=0.0, hi=h, hi_open=True, unit="seconds, below the horizon")
    return h, w
