"""Operational laws that hold for any queue: Little, utilisation, saturation, offered load.

Units: rates in messages per second, times in seconds, L in messages.
"""

from __future__ import annotations

from typing import Sequence

from mqsim.model import validate

__all__ = [
    "little_L",
    "little_W",
    "little_lam",
    "utilisation",
    "saturation_throughput",
    "offered_load",
    "backlog_growth_rate",
    "bottleneck_throughput",
]


def little_L(lam: float, W: float) -> float:
    """Little's law L = lam*W: mean number inside (messages) from the rate that *enters* (per
    second) and the mean time inside (s). With loss, pass the admitted rate lam_eff."""
    return validate.positive("little_L.lam", lam, "per second") * validate.nonneg("little_L.W", W, "seconds")


def little_W(L: float, lam: float) -> float:
    """Little's law W = L/lam: mean time inside (s) from L (messages) and the entering rate."""
    return validate.nonneg("little_W.L", L, "messages") / validate.positive("little_W.lam", lam, "per second")


def little_lam(L: float, W: float) -> float:
    """Little's law lam = L/W: entering rate (per second) from L (messages) and W (s)."""
    return validate.nonneg("little_lam.L", L, "messages") / validate.positive("little_lam.W", W, "seconds")


def utilisation(X: float, S: float, c: int = 1) -> float:
    """Utilisation law U = X*S/c: fraction of time each of ``c`` servers is busy, from the
    throughput X (per second) and the mean service time S (s)."""
    c = validate.integer("utilisation.c", c, lo=1)
    return validate.nonneg("utilisation.X", X, "per second") * validate.positive("utilisation.S", S, "seconds") / c


def saturation_throughput(mean_service: float, c: int = 1) -> float:
    """Largest sustainable throughput c/E[S] (per second) of ``c`` servers with mean service
    time ``mean_service`` (s)."""
    c = validate.integer("saturation_throughput.c", c, lo=1)
    return c / validate.positive("saturation_throughput.mean_service", mean_service, "seconds")


def offered_load(lam: float, mean_service: float) -> float:
    """Offered load a = lam*E[S] in Erlangs: mean number of busy servers if nothing were lost."""
    lam = validate.positive("offered_load.lam", lam, "per second")
    return lam * validate.positive("offered_load.mean_service", mean_service, "seconds")


def backlog_growth_rate(lam: float, mean_service: float, c: int = 1) -> float:
    """Rate (messages per second) at which an overloaded queue's backlog grows:
    max(0, lam - c/E[S]). Zero when the queue is not overloaded."""
    lam = validate.positive("backlog_growth_rate.lam", lam, "per second")
    return max(0.0, lam - saturation_throughput(mean_service, c))


def bottleneck_throughput(visits: Sequence[float], mean_service: Sequence[float],
                          c: Sequence[int] | None = None) -> tuple[float, int]:
    """Bottleneck law for a network: X* = min_i c_i/(V_i*S_i) (per second), and the index of
    the bottleneck node. ``visits`` V_i are mean visits per message (>= 0), ``mean_service``
    S_i in seconds, ``c`` servers per node (default 1 each)."""
    n = len(visits)
    if len(mean_service) != n or n == 0:
        raise ValueError("bottleneck_throughput: visits and mean_service must be non-empty and of equal length")
    cs = [1] * n if c is None else list(c)
    if len(cs) != n:
        raise ValueError("bottleneck_throughput: c must have one entry per node")
    best, arg = float("inf"), -1
    for i in range(n):
        v = validate.nonneg(f"bottleneck_throughput.visits[{i}]", visits[i])
        s = validate.positive(f"bottleneck_throughput.mean_service[{i}]", mean_service[i], "seconds")
        ci = validate.integer(f"bottleneck_throughput.c[{i}]", cs[i], lo=1)
        if v > 0 and ci / (v * s) < best:
            best, arg = ci / (v * s), i
    if arg < 0:
        raise ValueError("bottleneck_throughput: at least one node must have visits > 0")
    return best, arg
