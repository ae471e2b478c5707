"""Probability distributions for inter-arrival times, service times and priorities.

Every continuous distribution here is a small frozen dataclass describing a non-negative
random duration **in seconds**. Each exposes:

* ``mean``  — E[X] in seconds,
* ``scv``   — squared coefficient of variation Var[X] / E[X]^2 (dimensionless),
* ``var``, ``second_moment`` — Var[X] (s^2) and E[X^2] (s^2),
* ``sample(rng, size)`` — a vectorised draw from a :class:`numpy.random.Generator`,
* ``lst(s)`` — the Laplace–Stieltjes transform E[exp(-s X)] (used by exact GI/M/c formulas),
* ``to_dict()`` — the YAML/dict form accepted by :func:`from_spec`.

Sampling always goes through numpy's own generators (``rng.exponential``, ``rng.gamma``, ...),
never through hand-written inverse transforms, so the sample paths are numpy's.

Spec form (dicts and YAML)::

    {"dist": "exponential", "mean": 0.02}        # or {"dist": "exponential", "rate": 50}
    {"dist": "deterministic", "value": 1.0}
    {"dist": "uniform", "low": 0.5, "high": 1.5}
    {"dist": "erlang", "k": 2, "mean": 0.1}
    {"dist": "gamma", "shape": 0.5, "mean": 1.0}
    {"dist": "lognormal", "mean": 1.0, "scv": 4.0}
    {"dist": "hyperexponential", "probs": [0.9, 0.1], "means": [0.5, 5.5]}
    {"dist": "empirical", "samples": [0.1, 0.4, 0.2]}   # or "file": "service_times.csv"
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Mapping

import numpy as np

from mqsim.model import validate

__all__ = [
    "Distribution",
    "Exponential",
    "Deterministic",
    "Uniform",
    "Erlang",
    "Gamma",
    "LogNormal",
    "HyperExponential",
    "Empirical",
    "Discrete",
    "from_spec",
]


class Distribution:
    """Base class: a non-negative random duration in seconds."""

    kind: ClassVar[str] = ""

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def var(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def scv(self) -> float:
        """Squared coefficient of variation, Var/mean^2 (dimensionless)."""
        return self.var / self.mean**2

    @property
    def second_moment(self) -> float:
        """E[X^2] in s^2."""
        return self.var + self.mean**2

    @property
    def rate(self) -> float:
        """1 / mean, per second."""
        return 1.0 / self.mean

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def lst(self, s: float) -> float:  # pragma: no cover - abstract
        """Laplace–Stieltjes transform E[exp(-s X)] for s >= 0."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def describe(self) -> str:
        """Short human-readable label, e.g. ``Exp(mean=0.02)``."""
        args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in self.to_dict().items() if k != "dist" and k != "samples")
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential duration with the given ``mean`` (s); ``Exponential(rate=r)`` also works."""

    mean_: float = field(default=float("nan"), repr=False)
    kind: ClassVar[str] = "exponential"

    def __init__(self, mean: float | None = None, *, rate: float | None = None):
        if (mean is None) == (rate is None):
            raise ValueError("exponential: give exactly one of mean (s, > 0) or rate (1/s, > 0)")
        m = validate.positive("exponential.mean", mean) if mean is not None else 1.0 / validate.positive("exponential.rate", rate)
        object.__setattr__(self, "mean_", m)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def lst(self, s: float) -> float:
        return 1.0 / (1.0 + s * self.mean_)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_!r})"


@dataclass(frozen=True)
class Deterministic(Distribution):
    """A constant duration ``value`` (s)."""

    value: float
    kind: ClassVar[str] = "deterministic"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", validate.nonneg("deterministic.value", self.value))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def var(self) -> float:
        return 0.0

    @property
    def scv(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)

    def lst(self, s: float) -> float:
        return math.exp(-s * self.value)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform duration on [``low``, ``high``] (s)."""

    low: float
    high: float
    kind: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        lo = validate.nonneg("uniform.low", self.low)
        hi = validate.positive("uniform.high", self.high)
        if hi <= lo:
            raise ValueError(f"uniform.high: must be > low ({lo}), got {hi}")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def lst(self, s: float) -> float:
        if s == 0:
            return 1.0
        return (math.exp(-s * self.low) - math.exp(-s * self.high)) / (s * (self.high - self.low))


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma duration with ``shape`` k > 0 and ``mean`` (s); scv = 1/k."""

    shape: float
    mean_: float = field(default=float("nan"))
    kind: ClassVar[str] = "gamma"

    def __init__(self, shape: float, mean: float | None = None, *, scale: float | None = None,
                 _field: str = "gamma"):
        k = validate.positive(f"{_field}.shape", shape)
        if (mean is None) == (scale is None):
            raise ValueError(f"{_field}: give exactly one of mean (s, > 0) or scale (s, > 0)")
        m = validate.positive(f"{_field}.mean", mean) if mean is not None else k * validate.positive(f"{_field}.scale", scale)
        object.__setattr__(self, "shape", k)
        object.__setattr__(self, "mean_", m)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def scale(self) -> float:
        return self.mean_ / self.shape

    @property
    def var(self) -> float:
        return self.shape * self.scale**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def lst(self, s: float) -> float:
        return (1.0 + s * self.scale) ** (-self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "shape": self.shape, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape!r}, mean={self.mean_!r})"


class Erlang(Gamma):
    """Erlang-k duration: the sum of ``k`` exponential phases, total ``mean`` (s); scv = 1/k."""

    kind: ClassVar[str] = "erlang"

    def __init__(self, k: int, mean: float | None = None, *, rate: float | None = None):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"erlang.k: must be an integer >= 1, got {k!r}")
        if rate is not None and mean is None:
            mean = k / validate.positive("erlang.rate", rate)
        super().__init__(int(k), mean, _field="erlang")

    @property
    def k(self) -> int:
        return int(self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "k": self.k, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"Erlang(k={self.k}, mean={self.mean_!r})"


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal duration given by its ``mean`` (s) and ``scv``.

    ``LogNormal.from_log_params(mu, sigma)`` builds one from the parameters of log X.
    """

    mean_: float
    scv_: float
    kind: ClassVar[str] = "lognormal"

    def __init__(self, mean: float, scv: float):
        object.__setattr__(self, "mean_", validate.positive("lognormal.mean", mean))
        object.__setattr__(self, "scv_", validate.positive("lognormal.scv", scv))

    @classmethod
    def from_log_params(cls, mu: float, sigma: float) -> "LogNormal":
        s = validate.positive("lognormal.sigma", sigma)
        return cls(mean=math.exp(float(mu) + s * s / 2), scv=math.expm1(s * s))

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.scv_))

    @property
    def mu(self) -> float:
        return math.log(self.mean_) - self.sigma**2 / 2

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def scv(self) -> float:
        return self.scv_

    @property
    def var(self) -> float:
        return self.scv_ * self.mean_**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    def lst(self, s: float) -> float:
        # No closed form: Gauss–Hermite quadrature over log X (accurate to ~1e-12 for moderate sigma).
        x, w = np.polynomial.hermite.hermgauss(120)
        vals = np.exp(-s * np.exp(self.mu + math.sqrt(2.0) * self.sigma * x))
        return float(np.dot(w, vals) / math.sqrt(math.pi))

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean_, "scv": self.scv_}

    def __repr__(self) -> str:
        return f"LogNormal(mean={self.mean_!r}, scv={self.scv_!r})"


@dataclass(frozen=True)
class HyperExponential(Distribution):
    """Mixture of exponentials: with probability ``probs[i]`` an Exp with mean ``means[i]`` (s)."""

    probs: tuple[float, ...]
    means: tuple[float, ...]
    kind: ClassVar[str] = "hyperexponential"

    def __post_init__(self) -> None:
        p = tuple(validate.nonneg(f"hyperexponential.probs[{i}]", v) for i, v in enumerate(self.probs))
        m = tuple(validate.positive(f"hyperexponential.means[{i}]", v) for i, v in enumerate(self.means))
        if len(p) != len(m) or len(p) < 1:
            raise ValueError("hyperexponential: probs and means must be non-empty and of equal length")
        if abs(sum(p) - 1.0) > 1e-9:
            raise ValueError(f"hyperexponential.probs: must sum to 1, got {sum(p)!r}")
        object.__setattr__(self, "probs", p)
        object.__setattr__(self, "means", m)

    @classmethod
    def balanced(cls, mean: float, scv: float) -> "HyperExponential":
        """Two-phase H2 with balanced means (p1/mu1 = p2/mu2) matching ``mean`` and ``scv`` >= 1."""
        m = validate.positive("hyperexponential.mean", mean)
        c2 = validate.positive("hyperexponential.scv", scv)
        if c2 < 1:
            raise ValueError(f"hyperexponential.scv: must be >= 1, got {scv!r}")
        p1 = 0.5 * (1 + math.sqrt((c2 - 1) / (c2 + 1)))
        return cls((p1, 1 - p1), (m / (2 * p1), m / (2 * (1 - p1))))

    @property
    def mean(self) -> float:
        return float(sum(p * m for p, m in zip(self.probs, self.means)))

    @property
    def second_moment(self) -> float:
        return float(sum(2 * p * m * m for p, m in zip(self.probs, self.means)))

    @property
    def var(self) -> float:
        return self.second_moment - self.mean**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # One uniform picks the phase, one standard exponential gives the duration.
        u = rng.random(size)
        e = rng.standard_exponential(size)
        idx = np.searchsorted(np.cumsum(self.probs)[:-1], u, side="right")
        return e * np.asarray(self.means)[idx]

    def lst(self, s: float) -> float:
        return float(sum(p / (1.0 + s * m) for p, m in zip(self.probs, self.means)))


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resampling (with replacement) from observed durations ``samples`` (s)."""

    samples: tuple[float, ...]
    kind: ClassVar[str] = "empirical"

    def __post_init__(self) -> None:
        arr = np.asarray(self.samples, dtype=float).ravel()
        if arr.size == 0:
            raise ValueError("empirical.samples: must contain at least one value")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("empirical.samples: every value must be a finite number >= 0")
        if arr.mean() <= 0:
            raise ValueError("empirical.samples: mean must be > 0")
        object.__setattr__(self, "samples", tuple(arr.tolist()))
        object.__setattr__(self, "_arr", arr)

    @classmethod
    def from_csv(cls, path: str, column: int | str = 0) -> "Empirical":
        """Read durations (s) from one column of a CSV file."""
        import pandas as pd

        try:
            df = pd.read_csv(path)
        except Exception as exc:  # noqa: BLE001 - turned into one clear error
            raise ValueError(f"empirical.file: cannot read {path!r}: {exc}") from None
        col = df.columns[column] if isinstance(column, int) else column
        if col not in df.columns:
            raise ValueError(f"empirical.column: {column!r} not in {list(df.columns)}")
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.isna().any():
            raise ValueError(f"empirical.file: non-numeric value in column {col!r} of {path!r}")
        return cls(tuple(vals.tolist()))

    @property
    def mean(self) -> float:
        return float(self._arr.mean())  # type: ignore[attr-defined]

    @property
    def var(self) -> float:
        return float(self._arr.var())  # type: ignore[attr-defined]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        arr = self._arr  # type: ignore[attr-defined]
        return arr[rng.integers(0, arr.size, size)]

    def lst(self, s: float) -> float:
        return float(np.mean(np.exp(-s * self._arr)))  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Empirical(n={len(self.samples)}, mean={self.mean:.6g})"


@dataclass(frozen=True)
class Discrete:
    """A distribution over integer ``values`` with probabilities ``probs`` (used for priorities)."""

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        vals = tuple(self.values)
        ps = tuple(float(p) for p in self.probs)
        if len(vals) == 0 or len(vals) != len(ps):
            raise ValueError("priority: values and probabilities must be non-empty and of equal length")
        if any(not math.isfinite(p) or p < 0 for p in ps) or sum(ps) <= 0:
            raise ValueError("priority: probabilities must be finite, >= 0 and not all zero")
        tot = sum(ps)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "probs", tuple(p / tot for p in ps))

    @classmethod
    def from_mapping(cls, m: Mapping[int, float]) -> "Discrete":
        return cls(tuple(m.keys()), tuple(m.values()))

    @property
    def mean(self) -> float:
        return float(sum(v * p for v, p in zip(self.values, self.probs)))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        u = rng.random(size)
        idx = np.searchsorted(np.cumsum(self.probs)[:-1], u, side="right")
        return np.asarray(self.values, dtype=np.int64)[idx]

    def to_dict(self) -> dict[int, float]:
        return dict(zip(self.values, self.probs))


_KINDS: dict[str, type] = {
    "exponential": Exponential, "exp": Exponential, "m": Exponential,
    "deterministic": Deterministic, "constant": Deterministic, "d": Deterministic,
    "uniform": Uniform,
    "erlang": Erlang,
    "gamma": Gamma,
    "lognormal": LogNormal,
    "hyperexponential": HyperExponential, "h2": HyperExponential,
    "empirical": Empirical,
}


def from_spec(spec: Any, field_name: str = "distribution") -> Distribution:
    """Build a distribution from a spec dict (see module docstring) or pass one through.

    Raises ``ValueError`` naming ``field_name`` and the allowed values on bad input.
    """
    if isinstance(spec, Distribution):
        return spec
    if not isinstance(spec, Mapping):
        raise ValueError(f"{field_name}: expected a mapping like {{dist: exponential, mean: 0.02}}, got {spec!r}")
    spec = dict(spec)
    kind = spec.pop("dist", None)
    if not isinstance(kind, str) or kind.lower() not in _KINDS:
        allowed = ", ".join(sorted({c.kind for c in _KINDS.values()}))
        raise ValueError(f"{field_name}.dist: must be one of {allowed}; got {kind!r}")
    cls = _KINDS[kind.lower()]
    try:
        if cls is Empirical and "file" in spec:
            return Empirical.from_csv(spec.pop("file"), spec.pop("column", 0))
        if cls is HyperExponential and "scv" in spec:
            return HyperExponential.balanced(spec["mean"], spec["scv"])
        if cls is HyperExponential:
            return HyperExponential(tuple(spec["probs"]), tuple(spec["means"]))
        if cls is Empirical:
            return Empirical(tuple(spec["samples"]))
        return cls(**spec)
    except TypeError as exc:
        import inspect

        params = [p for p in inspect.signature(cls).parameters if not p.startswith("_")]
        raise ValueError(f"{field_name}: bad parameters {sorted(spec)} for {kind}; allowed: {params} ({exc})") from None
    except KeyError as exc:
        raise ValueError(f"{field_name}: missing parameter {exc.args[0]!r} for {kind}") from None
    except ValueError as exc:
        # Constructor messages start with "<kind>.<param>:"; re-root them at the caller's field.
        msg = str(exc)
        if msg.startswith(cls.kind + "."):
            msg = field_name + msg[len(cls.kind):]
        elif msg.startswith(cls.kind + ":"):
            msg = field_name + msg[len(cls.kind):]
        else:
            msg = f"{field_name}: {msg}"
        raise ValueError(msg) from None
