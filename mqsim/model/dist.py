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

import functools
import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

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

    def lst_complement(self, s: float) -> float:
        """1 - E[exp(-s X)] = E[1 - exp(-s X)], accurate when it is tiny (small s): what
        GI/M/1 needs as rho -> 1. Subclasses compute it without cancellation."""
        return 1.0 - self.lst(s)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": self.kind}
        for f in fields(self):  # type: ignore[arg-type]  # every concrete distribution is a dataclass
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
    """Exponential duration with the given ``mean`` (s); ``Exponential(rate=r)`` also works.

    >>> import mqsim as mq
    >>> mq.dist.Exponential(mean=0.5)
    Exponential(mean=0.5)
    >>> mq.dist.Exponential(rate=4.0).mean, mq.dist.Exponential(mean=0.5).scv   # seconds; scv 1
    (0.25, 1.0)
    """

    mean_: float = field(default=float("nan"), repr=False)
    kind: ClassVar[str] = "exponential"

    def __init__(self, mean: float | None = None, *, rate: float | None = None):
        if (mean is None) == (rate is None):
            raise ValueError("exponential: give exactly one of mean (s, > 0) or rate (1/s, > 0)")
        if mean is not None:
            m = validate.positive("exponential.mean", mean)
        else:
            m = 1.0 / validate.positive("exponential.rate", rate)
        if not math.isfinite(m):
            raise ValueError(f"exponential.rate: must be > {1 / 1.7e308:g} per second (the mean 1/rate must be a "
                             f"finite number of seconds), got {rate!r}")
        object.__setattr__(self, "mean_", m)

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def var(self) -> float:
        return self.mean_**2

    @property
    def scv(self) -> float:
        return 1.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)

    def lst(self, s: float) -> float:
        return 1.0 / (1.0 + s * self.mean_)

    def lst_complement(self, s: float) -> float:
        return s * self.mean_ / (1.0 + s * self.mean_)

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

    def lst_complement(self, s: float) -> float:
        return -math.expm1(-s * self.value)


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

    @property
    def scv(self) -> float:
        return ((self.high - self.low) / (self.low + self.high)) ** 2 / 3.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def lst(self, s: float) -> float:
        if s == 0:
            return 1.0
        return (math.exp(-s * self.low) - math.exp(-s * self.high)) / (s * (self.high - self.low))

    def lst_complement(self, s: float) -> float:
        z = s * (self.high - self.low)  # 1 - e^{-s low} (1 - e^{-z})/z, split so nothing cancels
        one_minus_phi = (z / 2 - z * z / 6 + z**3 / 24 - z**4 / 120) if abs(z) < 1e-3 else 1 + math.expm1(-z) / z
        return -math.expm1(-s * self.low) + math.exp(-s * self.low) * one_minus_phi


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
        if mean is not None:
            m = validate.positive(f"{_field}.mean", mean)
        else:
            m = k * validate.positive(f"{_field}.scale", scale)
        if not math.isfinite(m) or m <= 0:
            raise ValueError(f"{_field}.scale: shape * scale (the mean) must be a finite number > 0 seconds, "
                             f"got {k!r} * {scale!r}")
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
        return self.mean_ * self.scale

    @property
    def scv(self) -> float:
        return 1.0 / self.shape

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def lst(self, s: float) -> float:
        return (1.0 + s * self.scale) ** (-self.shape)

    def lst_complement(self, s: float) -> float:
        return -math.expm1(-self.shape * math.log1p(s * self.scale))

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "shape": self.shape, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape!r}, mean={self.mean_!r})"


class Erlang(Gamma):
    """Erlang-k duration: the sum of ``k`` exponential phases, total ``mean`` (s); scv = 1/k."""

    kind: ClassVar[str] = "erlang"

    def __init__(self, k: int, mean: float | None = None, *, rate: float | None = None):
        if isinstance(k, float):
            raise ValueError(f"erlang.k: must be an integer >= 1 (the number of phases), got {k!r}")
        k = validate.integer("erlang.k", k, 1, 1_000_000)
        if rate is not None and mean is None:
            mean = k / validate.positive("erlang.rate", rate)
        super().__init__(k, mean, _field="erlang")

    @property
    def k(self) -> int:
        return int(self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "k": self.k, "mean": self.mean_}

    def __repr__(self) -> str:
        return f"Erlang(k={self.k}, mean={self.mean_!r})"


@functools.lru_cache(maxsize=1)
def _hermgauss() -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes and weights (120 points), computed once."""
    return np.polynomial.hermite.hermgauss(120)


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
        if self.var == math.inf or self.mu < -700:
            raise ValueError(f"lognormal.scv: scv = {scv!r} with mean {mean!r} s gives a variance or a log-scale "
                             "outside double precision; use a smaller scv")

    @classmethod
    def from_log_params(cls, mu: float, sigma: float) -> "LogNormal":
        s = validate.number("lognormal.sigma", sigma, lo=0.0, hi=26.0, lo_open=True)
        m = validate.number("lognormal.mu", mu, lo=-700.0, hi=700.0)
        if m + s * s / 2 > 709:
            raise ValueError(f"lognormal.mu: mu + sigma^2/2 must be <= 709 (the mean exp(mu + sigma^2/2) must be a "
                             f"finite number of seconds), got {m + s * s / 2:g}")
        return cls(mean=math.exp(m + s * s / 2), scv=math.expm1(s * s))

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
        x, w = _hermgauss()
        with np.errstate(over="ignore"):
            vals = np.exp(-s * np.exp(self.mu + math.sqrt(2.0) * self.sigma * x))
        return float(np.dot(w, vals) / math.sqrt(math.pi))

    def lst_complement(self, s: float) -> float:
        x, w = _hermgauss()
        with np.errstate(over="ignore"):
            vals = -np.expm1(-s * np.exp(self.mu + math.sqrt(2.0) * self.sigma * x))
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

    def __init__(self, probs: Any, means: Any):
        object.__setattr__(self, "probs", probs)
        object.__setattr__(self, "means", means)
        self.__post_init__()

    def __post_init__(self) -> None:
        probs = validate.sequence("hyperexponential.probs", self.probs, what="a list of probabilities", min_len=1,
                                  max_len=1000)
        means = validate.sequence("hyperexponential.means", self.means, what="a list of means (s)", min_len=1,
                                  max_len=1000)
        p = tuple(validate.nonneg(f"hyperexponential.probs[{i}]", v) for i, v in enumerate(probs))
        m = tuple(validate.positive(f"hyperexponential.means[{i}]", v) for i, v in enumerate(means))
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
        r = math.sqrt((c2 - 1) / (c2 + 1))
        p1 = 0.5 * (1 + r)
        p2 = 1.0 / ((c2 + 1) * (1 + r))  # = 1 - p1, without cancellation
        m2 = m / (2 * p2)
        if not math.isfinite(m2):
            raise ValueError(f"hyperexponential.scv: too large for mean {mean!r} s (a phase mean overflows), "
                             f"got {scv!r}")
        return cls((p1, p2), (m / (2 * p1), m2))

    @property
    def mean(self) -> float:
        return float(sum(p * m for p, m in zip(self.probs, self.means)))

    @property
    def second_moment(self) -> float:
        return float(sum(2 * p * m * m for p, m in zip(self.probs, self.means)))

    @property
    def var(self) -> float:
        return self.second_moment - self.mean**2

    @property
    def scv(self) -> float:
        mu = self.mean
        return max(float(sum(2 * p * (m / mu) ** 2 for p, m in zip(self.probs, self.means))) - 1.0, 0.0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # One uniform picks the phase, one standard exponential gives the duration.
        u = rng.random(size)
        e = rng.standard_exponential(size)
        idx = np.searchsorted(np.cumsum(self.probs)[:-1], u, side="right")
        return e * np.asarray(self.means)[idx]

    def lst(self, s: float) -> float:
        return float(sum(p / (1.0 + s * m) for p, m in zip(self.probs, self.means)))

    def lst_complement(self, s: float) -> float:
        return float(math.fsum(p * s * m / (1.0 + s * m) for p, m in zip(self.probs, self.means)))


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resampling (with replacement) from observed durations ``samples`` (s)."""

    samples: tuple[float, ...]
    kind: ClassVar[str] = "empirical"
    if TYPE_CHECKING:  # set by __post_init__; not a dataclass field (to_dict and == use samples only)
        _arr: np.ndarray

    def __init__(self, samples: Any):
        object.__setattr__(self, "samples", samples)
        self.__post_init__()

    def __post_init__(self) -> None:
        arr = validate.reals("empirical.samples", self.samples, lo=0.0, what="a list of durations (s)")
        if not arr.mean() > 0:
            raise ValueError("empirical.samples: at least one value must be > 0 (the mean must be > 0 seconds)")
        if not math.isfinite(float(arr.mean())) or not math.isfinite(float(arr.var())):
            raise ValueError("empirical.samples: values too large (their mean or variance overflows)")
        object.__setattr__(self, "samples", tuple(arr.tolist()))
        object.__setattr__(self, "_arr", arr)

    @classmethod
    def from_csv(cls, path: str, column: int | str = 0) -> "Empirical":
        """Read durations (s) from one column of a CSV file (``column``: index or header name)."""
        import pandas as pd

        path = validate.file_path("empirical.file", path, what="CSV file")
        if isinstance(column, bool) or not isinstance(column, (int, str)):
            raise ValueError(f"empirical.column: must be a column index (int) or header (str), got {column!r}")
        try:
            df = pd.read_csv(path)
        except Exception as exc:  # noqa: BLE001 - turned into one clear error
            why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ValueError(f"empirical.file: cannot read {path!r} as CSV: {why}") from None
        if isinstance(column, int):
            if not 0 <= column < len(df.columns):
                raise ValueError(f"empirical.column: index {column} out of range; {path!r} has "
                                 f"{len(df.columns)} column(s): {list(map(str, df.columns))}")
            col = df.columns[column]
        else:
            col = column
        if col not in df.columns:
            raise ValueError(f"empirical.column: {column!r} not in {list(map(str, df.columns))} of {path!r}")
        vals = pd.to_numeric(df[col], errors="coerce")
        if vals.isna().any():
            line = int(vals.isna().to_numpy().argmax()) + 2
            raise ValueError(f"empirical.file: {path!r}, line {line}: non-numeric value in column {col!r}")
        if vals.empty:
            raise ValueError(f"empirical.file: {path!r} has no data rows")
        try:
            return cls(tuple(vals.tolist()))
        except ValueError as exc:
            raise ValueError(f"{exc} (in {path!r})") from None

    @property
    def scv(self) -> float:
        arr = self._arr / self._arr.mean()
        return float(arr.var())

    @property
    def mean(self) -> float:
        return float(self._arr.mean())

    @property
    def var(self) -> float:
        return float(self._arr.var())

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        arr = self._arr
        return arr[rng.integers(0, arr.size, size)]

    def lst(self, s: float) -> float:
        return float(np.mean(np.exp(-s * self._arr)))

    def lst_complement(self, s: float) -> float:
        return float(np.mean(-np.expm1(-s * self._arr)))

    def __repr__(self) -> str:
        return f"Empirical(n={len(self.samples)}, mean={self.mean:.6g})"


@dataclass(frozen=True)
class Discrete:
    """A distribution over integer ``values`` with probabilities ``probs`` (used for priorities)."""

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def __post_init__(self) -> None:
        vals = validate.sequence("mix.values", self.values, what="a list of integers", min_len=1, max_len=100_000)
        ps = validate.sequence("mix.probabilities", self.probs, what="a list of weights", min_len=1, max_len=100_000)
        if len(vals) != len(ps):
            raise ValueError(f"mix: values and probabilities must have the same length, got {len(vals)} and {len(ps)}")
        vals = [validate.integer(f"mix[{v!r}]", v, hi=10**12) for v in vals]
        if len(set(vals)) != len(vals):
            raise ValueError(f"mix: each value may appear once, got {vals}")
        ps = [validate.nonneg(f"mix[{v}]", p, "a weight; weights are scaled to sum to 1") for v, p in zip(vals, ps)]
        tot = math.fsum(ps)
        if not tot > 0 or not math.isfinite(tot):
            raise ValueError(f"mix: the weights must not all be 0 (they are scaled to sum to 1), got {ps}")
        object.__setattr__(self, "values", tuple(vals))
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


_KINDS: dict[str, Any] = {
    "exponential": Exponential, "exp": Exponential, "m": Exponential,
    "deterministic": Deterministic, "constant": Deterministic, "d": Deterministic,
    "uniform": Uniform,
    "erlang": Erlang,
    "gamma": Gamma,
    "lognormal": LogNormal,
    "hyperexponential": HyperExponential, "h2": HyperExponential,
    "empirical": Empirical,
}


#: the parameters each kind accepts in spec form: (alternative parameter sets, first is the usual one)
_PARAMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "exponential": (("mean",), ("rate",)),
    "deterministic": (("value",),),
    "uniform": (("low", "high"),),
    "erlang": (("k", "mean"), ("k", "rate")),
    "gamma": (("shape", "mean"), ("shape", "scale")),
    "lognormal": (("mean", "scv"),),
    "hyperexponential": (("probs", "means"), ("mean", "scv")),
    "empirical": (("samples",), ("file",), ("file", "column")),
}


def _check_params(field_name: str, kind: str, spec: Mapping[Any, Any]) -> None:
    """Unknown or missing parameters of a spec, named with what the kind accepts."""
    sets = _PARAMS[kind]
    given = set(spec)
    forms = " or ".join("{" + ", ".join(ps) + "}" for ps in sets)
    allowed = {p for ps in sets for p in ps}
    unknown = [k for k in spec if k not in allowed]
    if unknown:
        raise ValueError(f"{field_name}.{unknown[0]}: unknown parameter for dist {kind}; give {forms}"
                         if isinstance(unknown[0], str) else
                         f"{field_name}: unknown parameter {unknown[0]!r} for dist {kind}; give {forms}")
    if not any(given == set(ps) for ps in sets):
        missing = [p for p in sets[0] if p not in given]
        what = f"missing {', '.join(missing)}" if missing and all(g in sets[0] for g in given) else \
            f"got {', '.join(sorted(map(str, given))) or 'no parameters'}"
        raise ValueError(f"{field_name}: dist {kind} needs {forms}; {what}")


def from_spec(spec: Any, field_name: str = "distribution") -> Distribution:
    """Build a distribution from a spec dict (see module docstring) or pass one through.

    Raises ``ValueError`` naming ``field_name`` (and the parameter) and the allowed values on bad input.
    """
    if isinstance(spec, Distribution):
        return spec
    if not isinstance(spec, Mapping):
        raise ValueError(f"{field_name}: expected a mapping like {{dist: exponential, mean: 0.02}}, got "
                         f"{validate.show(spec)}")
    spec = dict(spec)
    kind = spec.pop("dist", None)
    allowed = ", ".join(sorted({c.kind for c in _KINDS.values()}))
    if not isinstance(kind, str) or kind.lower() not in _KINDS:
        raise ValueError(f"{field_name}.dist: must be one of {allowed}; got {validate.show(kind)}")
    cls = _KINDS[kind.lower()]
    _check_params(field_name, cls.kind, spec)
    try:
        if cls is Empirical and "file" in spec:
            return Empirical.from_csv(spec["file"], spec.get("column", 0))
        if cls is HyperExponential and "scv" in spec:
            return HyperExponential.balanced(spec["mean"], spec["scv"])
        if cls is HyperExponential:
            return HyperExponential(spec["probs"], spec["means"])
        if cls is Empirical:
            return Empirical(spec["samples"])
        return cls(**spec)
    except ValueError as exc:
        # Constructor messages start with "<kind>.<param>:"; re-root them at the caller's field.
        msg = str(exc)
        if msg.startswith(cls.kind + ".") or msg.startswith(cls.kind + ":"):
            msg = field_name + msg[len(cls.kind):]
        elif not msg.startswith(field_name):
            msg = f"{field_name}: {msg}"
        raise ValueError(msg) from None
