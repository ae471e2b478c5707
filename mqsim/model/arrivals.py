"""Arrival processes beyond renewal: time-varying Poisson rates and trace replay.

* :class:`PiecewiseRate` — a rate (messages/s) constant between breakpoints, optionally
  repeating with a period (e.g. a daily profile).
* :class:`SinusoidRate` — ``mean * (1 + amplitude * sin(2 pi (t - phase) / period))``, the
  classic daily-peak model (0 <= amplitude <= 1).
* :class:`TraceReplay` — publish at the timestamps of a CSV file (column ``time`` in seconds,
  optional ``priority`` and ``service``), validated with a clear error naming the line.

Time-varying rates are simulated exactly by thinning (Lewis & Shedler 1979): candidate
arrivals at the peak rate, each kept with probability rate(t) / peak, from their own streams.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from mqsim.model import validate

__all__ = ["RateSchedule", "PiecewiseRate", "SinusoidRate", "TraceReplay", "schedule_from_spec", "trace_from_spec"]


class RateSchedule:
    """A deterministic publish rate ``rate(t)`` in messages/s with a finite peak."""

    kind = ""

    def rate(self, t: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def peak(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def mean_rate(self) -> float:  # pragma: no cover - abstract
        """Long-run average rate in messages/s."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class PiecewiseRate(RateSchedule):
    """rates[k] messages/s on [times[k], times[k+1]); times[0] must be 0; the last rate holds
    to the end, or, with ``period`` (s, > times[-1]), the profile repeats every period."""

    times: tuple[float, ...]
    rates: tuple[float, ...]
    period: float | None = None
    kind = "piecewise"

    def __post_init__(self) -> None:
        t = tuple(validate.reals("schedule.times", self.times, lo=0.0, what="a list of breakpoints (s)",
                                 max_len=1_000_000).tolist())
        r = tuple(validate.reals("schedule.rates", self.rates, lo=0.0, what="a list of rates (messages/s)",
                                 max_len=1_000_000).tolist())
        if len(t) != len(r):
            raise ValueError(f"schedule.times/rates: need one rate per breakpoint, got {len(t)} breakpoints and "
                             f"{len(r)} rates")
        if t[0] != 0 or any(b <= a for a, b in zip(t, t[1:])):
            raise ValueError(f"schedule.times: must start at 0 and increase strictly, got {validate.show(list(t))}")
        if max(r) <= 0:
            raise ValueError("schedule.rates: at least one rate must be > 0")
        if self.period is not None:
            period = validate.positive("schedule.period", self.period, "seconds")
            if not period > t[-1]:
                raise ValueError(f"schedule.period: must be > the last breakpoint {t[-1]:g} s, got {period:g}")
            object.__setattr__(self, "period", period)
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "rates", r)

    def rate(self, t: float) -> float:
        import bisect

        if self.period is not None:
            t = math.fmod(t, self.period)
        return self.rates[max(bisect.bisect_right(self.times, t) - 1, 0)]

    @property
    def peak(self) -> float:
        return max(self.rates)

    @property
    def mean_rate(self) -> float:
        if self.period is None:
            return self.rates[-1]
        edges = list(self.times) + [self.period]
        return sum(r * (b - a) for r, a, b in zip(self.rates, edges, edges[1:])) / self.period

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": "piecewise", "times": list(self.times), "rates": list(self.rates)}
        if self.period is not None:
            d["period"] = self.period
        return d


@dataclass(frozen=True)
class SinusoidRate(RateSchedule):
    """``mean * (1 + amplitude * sin(2 pi (t - phase) / period))`` messages/s."""

    mean: float
    amplitude: float
    period: float
    phase: float = 0.0
    kind = "sinusoid"

    def __post_init__(self) -> None:
        m = validate.positive("schedule.mean", self.mean, "messages/s")
        a = validate.number("schedule.amplitude", self.amplitude, lo=0.0, hi=1.0)
        if not math.isfinite(m * (1.0 + a)):
            raise ValueError(f"schedule.mean: the peak rate mean * (1 + amplitude) must be finite, got {m!r}")
        object.__setattr__(self, "mean", m)
        object.__setattr__(self, "amplitude", a)
        object.__setattr__(self, "period", validate.positive("schedule.period", self.period, "seconds"))
        object.__setattr__(self, "phase", validate.nonneg("schedule.phase", self.phase, "seconds"))

    def rate(self, t: float) -> float:
        return self.mean * (1.0 + self.amplitude * math.sin(2 * math.pi * (t - self.phase) / self.period))

    @property
    def peak(self) -> float:
        return self.mean * (1.0 + self.amplitude)

    @property
    def mean_rate(self) -> float:
        return self.mean

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "sinusoid", "mean": self.mean, "amplitude": self.amplitude, "period": self.period,
                "phase": self.phase}


@dataclass(frozen=True)
class TraceReplay:
    """Publish times (s, non-decreasing) with optional per-message priorities and service times."""

    times: tuple[float, ...]
    priorities: tuple[int, ...] | None = None
    services: tuple[float, ...] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        t = tuple(validate.reals("trace.times", self.times, lo=0.0, what="a list of publish times (s)").tolist())
        for i, (a, b) in enumerate(zip(t, t[1:])):
            if b < a:
                raise ValueError(f"trace.times[{i + 1}]: timestamps must not decrease ({b!r} after {a!r})")
        object.__setattr__(self, "times", t)
        if self.priorities is not None:
            pr = validate.sequence("trace.priorities", self.priorities, what="a list of priorities")
            object.__setattr__(self, "priorities", tuple(validate.integer(f"trace.priorities[{i}]", v, 0, 255)
                                                         for i, v in enumerate(pr)))
        if self.services is not None:
            sv = validate.reals("trace.services", self.services, lo=0.0, lo_open=True,
                                what="a list of service times (s)")
            object.__setattr__(self, "services", tuple(sv.tolist()))
        for name, col in (("priorities", self.priorities), ("services", self.services)):
            if col is not None and len(col) != len(t):
                raise ValueError(f"trace.{name}: must have one value per timestamp ({len(t)}), got {len(col)}")
        if not isinstance(self.source, str):
            raise ValueError(f"trace.source: must be a string, got {validate.show(self.source)}")

    @classmethod
    def from_csv(cls, path: str | Path) -> "TraceReplay":
        """Read a CSV with a header: ``time`` (s) required, ``priority`` (int 0..255) and
        ``service`` (s, > 0) optional. Errors name the file, line and column."""
        p = Path(validate.file_path("trace.file", path, what="trace file"))
        try:
            return cls._read_csv(p)
        except UnicodeDecodeError as exc:
            raise ValueError(f"trace file {str(p)!r}: not UTF-8 text (byte {exc.start}); a trace is a CSV file "
                             "with a header line 'time[,priority][,service]'") from None
        except csv.Error as exc:
            raise ValueError(f"trace file {str(p)!r}: not a CSV file ({exc})") from None

    @classmethod
    def _read_csv(cls, p: Path) -> "TraceReplay":
        times: list[float] = []
        prios: list[int] = []
        svcs: list[float] = []
        with p.open(newline="", encoding="utf-8") as fh:
            rd = csv.DictReader(fh)
            cols = [c.strip() for c in (rd.fieldnames or [])]
            if len(set(cols)) != len(cols):
                raise ValueError(f"trace file {str(p)!r}: line 1 repeats a column name: {cols}")
            if "time" not in cols:
                raise ValueError(f"trace file {str(p)!r}: line 1 must be a header with a 'time' column, got {cols}")
            unknown = [c for c in cols if c not in ("time", "priority", "service")]
            if unknown:
                raise ValueError(f"trace file {str(p)!r}: unknown column {unknown[0]!r}; "
                                 f"allowed: time, priority, service")
            for line, row in enumerate(rd, start=2):
                if None in row:
                    raise ValueError(f"trace file {str(p)!r}, line {line}: more values than the header's "
                                     f"{len(cols)} columns")
                row = {k.strip(): (v or "").strip() for k, v in row.items()}
                try:
                    t = float(row["time"])
                    if not math.isfinite(t) or t < 0 or (times and t < times[-1]):
                        raise ValueError
                    times.append(t)
                    if "priority" in row:
                        pr = int(row["priority"])
                        if not 0 <= pr <= 255:
                            raise ValueError
                        prios.append(pr)
                    if "service" in row:
                        s = float(row["service"])
                        if not math.isfinite(s) or s <= 0:
                            raise ValueError
                        svcs.append(s)
                except (ValueError, TypeError):
                    raise ValueError(
                        f"trace file {str(p)!r}, line {line}: bad row {row}; need time >= 0 (non-decreasing), "
                        f"priority an integer in [0, 255], service > 0 s") from None
        if not times:
            raise ValueError(f"trace file {str(p)!r}: no data rows")
        return cls(tuple(times), tuple(prios) if prios else None, tuple(svcs) if svcs else None, source=str(p))

    @property
    def mean_rate(self) -> float:
        span = self.times[-1]
        return len(self.times) / span if span > 0 else float(len(self.times))

    def to_dict(self) -> dict[str, Any]:
        if self.source:
            return {"file": self.source}
        d: dict[str, Any] = {"times": list(self.times)}
        if self.priorities is not None:
            d["priorities"] = list(self.priorities)
        if self.services is not None:
            d["services"] = list(self.services)
        return d


def schedule_from_spec(spec: Any, where: str = "schedule") -> RateSchedule:
    """A schedule object, or ``{kind: piecewise, times, rates[, period]}`` /
    ``{kind: sinusoid, mean, amplitude, period[, phase]}``."""
    if isinstance(spec, RateSchedule):
        return spec
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}: expected a mapping with kind piecewise or sinusoid, got {validate.show(spec)}")
    d = dict(spec)
    kind = d.pop("kind", None)
    fields = {"piecewise": (("times", "rates"), ("period",)),
              "sinusoid": (("mean", "amplitude", "period"), ("phase",))}
    if not isinstance(kind, str) or kind not in fields:
        raise ValueError(f"{where}.kind: must be 'piecewise' or 'sinusoid', got {validate.show(kind)}")
    need, opt = fields[kind]
    validate.keys(where, d, need + opt)
    missing = [k for k in need if k not in d]
    if missing:
        raise ValueError(f"{where}.{missing[0]}: missing (a {kind} schedule needs {', '.join(need)})")
    try:
        return PiecewiseRate(**d) if kind == "piecewise" else SinusoidRate(**d)
    except ValueError as exc:
        raise ValueError(str(exc).replace("schedule", where, 1)) from None


def trace_from_spec(spec: Any, where: str = "trace") -> TraceReplay:
    """A TraceReplay, a CSV path, or ``{file: path}`` / ``{times: [...], ...}``."""
    if isinstance(spec, TraceReplay):
        return spec
    if isinstance(spec, (str, Path)):
        return TraceReplay.from_csv(spec)
    if isinstance(spec, Mapping):
        try:
            if "file" in spec:
                validate.keys(where, spec, ("file",))
                return TraceReplay.from_csv(spec["file"])
            if "times" in spec:
                validate.keys(where, spec, ("times", "priorities", "services"))
                return TraceReplay(spec["times"], spec.get("priorities"), spec.get("services"))
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(where + msg[len("trace"):] if msg.startswith("trace.") else msg) from None
    raise ValueError(f"{where}: expected a CSV path, {{file: path}} or {{times: [...]}}, got {validate.show(spec)}")
