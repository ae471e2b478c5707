"""The one set of input checks: every layer validates its arguments with these.

Each check returns the value in canonical form (``float``, ``int``, ``str``, ``list``) or raises
a :class:`ValueError` whose message starts with the field's name and says what is allowed, e.g.
``"producers[0].rate: must be a finite number > 0 (messages/s), got -1"``. Numbers are real
numbers only: ``True`` and ``"3"`` are refused, never converted; numpy scalars are accepted and
returned as plain Python numbers. Strings that look like numbers get a hint (YAML reads ``1e3``
without a dot as text).

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
import os
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["number", "positive", "nonneg", "integer", "probability", "choice", "keys", "text", "name",
           "mapping", "sequence", "reals", "flag", "seed", "confidence", "fraction", "file_path", "check_run_window",
           "show", "MAX_NAME", "MAX_INT", "MAX_ITEMS"]

#: longest accepted name (scenario, producer, stage), in characters
MAX_NAME = 200
#: largest accepted integer field (counts, lengths, limits): 2**53, the largest integer a float
#: holds exactly
MAX_INT = 2**53
#: most items accepted in a list field (samples, trace times, breakpoints ...)
MAX_ITEMS = 10_000_000


def show(value: Any, limit: int = 60) -> str:
    """How a refused value is shown in a message: its ``repr``, cut to ``limit`` characters,
    strings said to be strings (``the string '1e3'``)."""
    try:
        r = repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails is still shown
        r = f"<{type(value).__name__}>"
    if len(r) > limit:
        r = r[:limit - 5] + " ...'" if isinstance(value, str) else r[:limit - 4] + " ..."
        r += f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"the string {r}" if isinstance(value, str) else r


_kind = show  # old name


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and type(value).__name__ != "bool_"


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _hint(value: Any) -> str:
    if isinstance(value, str) and _looks_numeric(value.strip()):
        return (" (a number in quotes is text; in YAML write it without quotes, and write exponents with a dot "
                "and a sign, 1.0e+3: YAML 1.1 reads 1e3 as text)")
    return ""


def _to_float(field: str, value: Any, what: str) -> float:
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):  # 10**400, exotic Real types
        raise ValueError(f"{field}: must be {what}, got {show(value)} (too large for a float)") from None


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
        raise ValueError(f"{field}: must be {what}, got {show(value)}{_hint(value)}")
    v = _to_float(field, value, what)
    bad = not math.isfinite(v)
    bad |= lo is not None and (v <= lo if lo_open else v < lo)
    bad |= hi is not None and (v >= hi if hi_open else v > hi)
    if bad:
        raise ValueError(f"{field}: must be {what}, got {show(value)}")
    return v + 0.0  # -0.0 -> 0.0


def positive(field: str, value: Any, unit: str = "") -> float:
    """A finite number > 0."""
    return number(field, value, lo=0.0, lo_open=True, unit=unit)


def nonneg(field: str, value: Any, unit: str = "") -> float:
    """A finite number >= 0."""
    return number(field, value, lo=0.0, unit=unit)


def fraction(field: str, value: Any) -> float:
    """A number strictly between 0 and 1 (a confidence level, a relative precision)."""
    return number(field, value, lo=0.0, hi=1.0, lo_open=True, hi_open=True)


def confidence(field: str, value: Any) -> float:
    """A confidence level in (0, 1), e.g. 0.95."""
    if _is_real(value) and 1 < float(value) < 100:
        raise ValueError(f"{field}: must be a number in (0, 1), e.g. 0.95 for 95 %, got {show(value)}")
    return fraction(field, value)


def integer(field: str, value: Any, lo: int | None = None, hi: int | None = MAX_INT) -> int:
    """An integer in [lo, hi] (integral floats such as ``3.0`` are accepted; bools are not).
    ``hi`` defaults to :data:`MAX_INT`."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and type(value).__name__ != "bool_"
    if not ok and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        ok = True
    if lo is not None and hi is not None and hi != MAX_INT:
        rng = f" >= {lo} and <= {hi:,}"
    elif lo is not None:
        rng = f" >= {lo}"
    else:
        rng = f" <= {hi}" if hi is not None and hi != MAX_INT else ""
    if not ok or (lo is not None and int(value) < lo):
        raise ValueError(f"{field}: must be an integer{rng}, got {show(value)}{_hint(value)}")
    if hi is not None and int(value) > hi:
        limit = " and at most 2**53 (9,007,199,254,740,992)" if hi == MAX_INT else ""
        raise ValueError(f"{field}: must be an integer{rng}{limit}, got {show(value)}")
    return int(value)


def probability(field: str, value: Any, *, closed: bool = False) -> float:
    """A probability in [0, 1) (or [0, 1] with ``closed``)."""
    rng = "[0, 1]" if closed else "[0, 1)"
    if not _is_real(value):
        raise ValueError(f"{field}: must be a probability in {rng}, got {show(value)}{_hint(value)}")
    v = _to_float(field, value, f"a probability in {rng}")
    if not math.isfinite(v) or v < 0 or v > 1 or (v == 1 and not closed):
        raise ValueError(f"{field}: must be a probability in {rng}, got {show(value)}")
    return v + 0.0


def choice(field: str, value: Any, allowed: Iterable[Any]) -> Any:
    """One of ``allowed`` (compared with ``==``; unhashable values are refused, not raised on)."""
    allowed = tuple(allowed)
    try:
        ok = not isinstance(value, bool) and any(isinstance(value, type(a)) and value == a for a in allowed)
    except Exception:  # noqa: BLE001 - odd __eq__
        ok = False
    if not ok:
        raise ValueError(f"{field}: must be one of {', '.join(map(str, allowed))}; got {show(value)}")
    return value


def text(field: str, value: Any, *, empty: bool = False, max_len: int = MAX_NAME) -> str:
    """A one-line string (non-empty unless ``empty``), at most ``max_len`` characters, without
    control characters."""
    what = "a string" if empty else "a non-empty string"
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise ValueError(f"{field}: must be {what}, got {show(value)}")
    if len(value) > max_len:
        raise ValueError(f"{field}: must be at most {max_len} characters, got {len(value):,}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"{field}: must be one line of printable text (no control characters such as "
                         f"newlines or tabs), got {show(value)}")
    return value


def name(field: str, value: Any, *, empty: bool = False) -> str:
    """A name (scenario, producer, stage): a one-line string of at most :data:`MAX_NAME` characters."""
    if value is None and empty:
        return ""
    return text(field, value, empty=empty)


def flag(field: str, value: Any) -> bool:
    """A boolean: ``True`` or ``False`` only (not 0, 1 or "yes")."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise ValueError(f"{field}: must be true or false, got {show(value)}")


def mapping(field: str, value: Any, what: str = "a mapping") -> Mapping[Any, Any]:
    """A mapping (dict)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{field}: must be {what}, got {type(value).__name__} {show(value)}")
    return value


def sequence(field: str, value: Any, *, what: str = "a list", min_len: int = 0,
             max_len: int = MAX_ITEMS) -> list[Any]:
    """A list or tuple (not a string or a mapping) of ``min_len`` to ``max_len`` items."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        if type(value).__name__ != "ndarray" or getattr(value, "ndim", 0) != 1:
            raise ValueError(f"{field}: must be {what}, got {type(value).__name__} {show(value)}")
    items = list(value)
    if len(items) < min_len:
        raise ValueError(f"{field}: must be {what} with at least {min_len} item{'s' if min_len > 1 else ''}, "
                         f"got {len(items)}")
    if len(items) > max_len:
        raise ValueError(f"{field}: must be {what} of at most {max_len:,} items, got {len(items):,}")
    return items


def reals(field: str, values: Any, *, lo: float | None = None, lo_open: bool = False, min_len: int = 1,
          max_len: int = MAX_ITEMS, what: str = "a list of numbers") -> "Any":
    """A list of finite real numbers (each >= ``lo``, or > with ``lo_open``) as a float numpy array;
    the first bad item is named by its index."""
    import numpy as np

    if type(values).__name__ == "ndarray" and values.dtype.kind in "iuf" and values.ndim == 1:
        items = values
    else:
        items = sequence(field, values, what=what, min_len=min_len, max_len=max_len)
        for i, v in enumerate(items):
            if not _is_real(v):
                number(f"{field}[{i}]", v, lo=lo, lo_open=lo_open)  # raises with the item's index
    if len(items) < min_len or len(items) > max_len:
        sequence(field, list(items), what=what, min_len=min_len, max_len=max_len)
    try:
        arr = np.asarray(items, dtype=float)
    except (OverflowError, ValueError, TypeError):
        arr = np.array([_to_float(f"{field}[{i}]", v, "a finite number") for i, v in enumerate(items)])
    ok = np.isfinite(arr)
    if lo is not None:
        ok &= arr > lo if lo_open else arr >= lo
    if not ok.all():
        i = int(np.argmin(ok))
        number(f"{field}[{i}]", float(arr[i]), lo=lo, lo_open=lo_open)
    return arr + 0.0


def seed(field: str, value: Any) -> int | None:
    """None (fresh entropy) or an integer in [0, 2**128)."""
    if value is None:
        return None
    if isinstance(value, float):  # 1.0 is a typo for 1 more often than not, but 1.5 is a mistake
        raise ValueError(f"{field}: must be None or an integer >= 0, got {show(value)}")
    return integer(field, value, 0, 2**128 - 1)


def keys(field: str, data: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all in ``allowed``; unknown keys are refused, never ignored."""
    allowed = set(allowed)
    if not isinstance(data, Mapping):
        raise ValueError(f"{field}: expected a mapping with fields {', '.join(sorted(allowed))}; "
                         f"got {type(data).__name__} {show(data)}")
    unknown = [k for k in data if not isinstance(k, str) or k not in allowed]
    if unknown:
        k = unknown[0]
        raise ValueError(f"{field}.{k}: unknown field; allowed fields are {', '.join(sorted(allowed))}"
                         if isinstance(k, str) else
                         f"{field}: unknown field {show(k)}; allowed fields are {', '.join(sorted(allowed))}")
    return data


def file_path(field: str, value: Any, *, what: str = "file") -> str:
    """An existing, readable regular file, given as a str or ``os.PathLike``; returns the path."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be the path of a {what}, got {show(value)}")
    if "\x00" in value:
        raise ValueError(f"{field}: {show(value)} is not a valid path (it contains a NUL character)")
    if not os.path.exists(value):
        raise ValueError(f"{field}: {what} {value!r}: no such file")
    if os.path.isdir(value):
        raise ValueError(f"{field}: {what} {value!r} is a directory, not a file")
    if not os.path.isfile(value):
        raise ValueError(f"{field}: {what} {value!r} is not a regular file")
    if not os.access(value, os.R_OK):
        raise ValueError(f"{field}: {what} {value!r}: permission denied")
    return value


def check_run_window(horizon: Any, warmup: Any) -> tuple[float, float]:
    """``horizon`` > 0 and 0 <= ``warmup`` < ``horizon``, both in seconds."""
    h = positive("horizon", horizon, "seconds")
    w = number("warmup", warmup, lo=0.0, hi=h, hi_open=True, unit="seconds, below the horizon")
    return h, w
