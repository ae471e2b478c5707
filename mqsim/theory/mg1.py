"""Single- and multi-server queues with general service: Pollaczek–Khinchine (exact for M/G/1),
M/D/1, and the G/G approximations of Kingman (1961), Allen–Cunneen and Sakasegawa.

Arguments: ``lam`` arrival rate (per second); ``mean``/``mean_s`` mean service time E[S]
(seconds); ``scv``/``cs2`` squared coefficient of variation of service Var[S]/E[S]^2; ``ca2``
the same for inter-arrival times (1 for Poisson); ``c`` servers.
"""

from __future__ import annotations

import math

from mqsim.model import validate
from mqsim.theory.markovian import MAX_SERVERS, _erlang_b
from mqsim.theory.results import QueueMetrics, UnstableError, slack

__all__ = ["mg1", "md1", "kingman", "kingman_bound", "allen_cunneen", "sakasegawa"]

KINGMAN = "Kingman's (1961) heavy-traffic approximation for G/G/1"
KINGMAN_BOUND = "Kingman's (1962) upper bound for G/G/1"
ALLEN_CUNNEEN = "Allen–Cunneen approximation for G/G/c"
SAKASEGAWA = "Sakasegawa's approximation for G/G/c"


def _rho(where: str, lam: float, mean: float, c: int = 1) -> float:
    rho = lam * mean / c
    if rho >= 1 or slack(lam, mean, c) <= 0:
        expr = "lam*E[S]" if c == 1 else "lam*E[S]/c"
        raise UnstableError.of(where, expr, rho)
    return rho


def mg1(lam: float, mean: float, scv: float) -> QueueMetrics:
    """M/G/1 FCFS by the Pollaczek–Khinchine mean-value formula (exact).

    rho = lam*E[S] < 1; Wq = lam*E[S^2]/(2(1-rho)) = rho*(1+scv)/(2(1-rho))*E[S];
    Lq = lam*Wq; W = Wq + E[S]; L = lam*W; P_wait = rho (PASTA). The same mean holds for any
    non-preemptive order that ignores service times. Raises :class:`UnstableError` if rho >= 1.

    >>> import mqsim as mq
    >>> round(mq.theory.mg1(lam=0.8, mean=1.0, scv=1.0).Wq, 4)   # exponential service: M/M/1's wait (s)
    4.0
    >>> round(mq.theory.mg1(lam=0.8, mean=1.0, scv=0.0).Wq, 4)   # constant service: half of it
    2.0
    """
    lam = validate.positive("mg1.lam", lam, "per second")
    mean = validate.positive("mg1.mean", mean, "seconds")
    scv = validate.nonneg("mg1.scv", scv)
    rho = _rho("mg1", lam, mean)
    es2 = mean * mean * (1.0 + scv)
    Wq = rho * (1.0 + scv) / (2.0 * slack(lam, mean)) * mean  # = lam E[S^2] / (2 (1 - rho)), no overflow
    W = Wq + mean
    return QueueMetrics(model="M/G/1", formula="Pollaczek–Khinchine", rho=rho, L=lam * W,
                        Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=rho,
                        extras={"mean_service": mean, "scv": scv, "second_moment": es2})


def md1(lam: float, d: float) -> QueueMetrics:
    """M/D/1: P-K with scv = 0, Wq = rho/(2*mu*(1-rho)) (half of M/M/1's), service time ``d``
    seconds. extras: p0 = 1 - rho and p1 = (1-rho)(e^rho - 1).

    >>> import mqsim as mq
    >>> round(mq.theory.md1(lam=0.8, d=1.0).Wq, 4)   # seconds
    2.0
    """
    lam = validate.positive("md1.lam", lam, "per second")
    d = validate.positive("md1.d", d, "seconds")
    _rho("md1", lam, d)
    r = mg1(lam, d, 0.0)
    extras = dict(r.extras, p0=1.0 - r.rho, p1=(1.0 - r.rho) * math.expm1(r.rho))
    return QueueMetrics(model="M/D/1", formula="Pollaczek–Khinchine (M/D/1)", rho=r.rho, L=r.L,
                        Lq=r.Lq, W=r.W, Wq=r.Wq, throughput=r.throughput, P_wait=r.P_wait,
                        extras=extras)


def _gg_args(where: str, lam: float, ca2: float, mean_s: float, cs2: float) -> tuple[float, float, float, float]:
    return (validate.positive(f"{where}.lam", lam, "per second"), validate.nonneg(f"{where}.ca2", ca2),
            validate.positive(f"{where}.mean_s", mean_s, "seconds"), validate.nonneg(f"{where}.cs2", cs2))


def kingman(lam: float, ca2: float, mean_s: float, cs2: float) -> QueueMetrics:
    """Kingman's (1961) heavy-traffic approximation for G/G/1 (the "VUT" formula).

    Wq ≈ (rho/(1-rho)) * ((ca2 + cs2)/2) * E[S]. It equals P-K for Poisson arrivals and is
    asymptotically exact as rho -> 1; otherwise an approximation (``exact`` is False).
    Not to be confused with Kingman's upper bound (:func:`kingman_bound`). ``P_wait`` is rho,
    the probability the server is busy (exact only for Poisson arrivals).
    """
    lam, ca2, mean_s, cs2 = _gg_args("kingman", lam, ca2, mean_s, cs2)
    rho = _rho("kingman", lam, mean_s)
    Wq = rho / slack(lam, mean_s) * ((ca2 + cs2) / 2.0) * mean_s
    W = Wq + mean_s
    return QueueMetrics(model="GI/G/1", formula=KINGMAN, rho=rho, L=lam * W, Lq=lam * Wq, W=W,
                        Wq=Wq, throughput=lam, P_wait=rho, exact=False,
                        extras={"ca2": ca2, "cs2": cs2})


def kingman_bound(lam: float, ca2: float, mean_s: float, cs2: float) -> float:
    """Kingman's (1962) upper bound for G/G/1: Wq <= lam*(var_A + var_S)/(2(1-rho)) seconds,
    with var_A = ca2/lam^2 and var_S = cs2*E[S]^2. A different formula from :func:`kingman`."""
    lam, ca2, mean_s, cs2 = _gg_args("kingman_bound", lam, ca2, mean_s, cs2)
    rho = _rho("kingman_bound", lam, mean_s)
    return (ca2 / lam + rho * cs2 * mean_s) / (2.0 * slack(lam, mean_s))


def allen_cunneen(lam: float, ca2: float, mean_s: float, cs2: float, c: int) -> QueueMetrics:
    """Allen–Cunneen approximation for G/G/c: Wq ≈ C(c, a)/(c*mu - lam) * (ca2 + cs2)/2 with
    a = lam*E[S], mu = 1/E[S] and C the Erlang C probability (exact for M/M/c; ``exact`` is
    False). ``P_wait`` is C(c, a), itself an approximation outside M/M/c. For c = 1 this is
    Kingman's approximation."""
    lam, ca2, mean_s, cs2 = _gg_args("allen_cunneen", lam, ca2, mean_s, cs2)
    c = validate.integer("allen_cunneen.c", c, 1, MAX_SERVERS)
    rho = _rho("allen_cunneen", lam, mean_s, c)
    a = lam * mean_s
    b = _erlang_b(c, a)
    gap = slack(lam, mean_s, c)  # 1 - rho
    C = b / (gap + rho * b)
    Wq = C * mean_s / (c * gap) * ((ca2 + cs2) / 2.0)
    W = Wq + mean_s
    return QueueMetrics(model=f"GI/G/{c}", formula=ALLEN_CUNNEEN, rho=rho, L=lam * W,
                        Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=C, exact=False,
                        extras={"ca2": ca2, "cs2": cs2, "erlang_c": C})


def sakasegawa(lam: float, ca2: float, mean_s: float, cs2: float, c: int) -> QueueMetrics:
    """Sakasegawa's approximation for G/G/c (Hopp & Spearman's "Kingman for G/G/c"):
    Wq ≈ ((ca2 + cs2)/2) * rho^(sqrt(2(c+1)) - 1)/(c(1-rho)) * E[S]. Not exact even for M/M/c.
    ``P_wait`` is reported as nan (the formula gives none)."""
    lam, ca2, mean_s, cs2 = _gg_args("sakasegawa", lam, ca2, mean_s, cs2)
    c = validate.integer("sakasegawa.c", c, 1, MAX_SERVERS)
    rho = _rho("sakasegawa", lam, mean_s, c)
    Wq = (ca2 + cs2) / 2.0 * rho ** (math.sqrt(2.0 * (c + 1)) - 1.0) / (c * slack(lam, mean_s, c)) * mean_s
    W = Wq + mean_s
    return QueueMetrics(model=f"GI/G/{c}", formula=SAKASEGAWA, rho=rho, L=lam * W, Lq=lam * Wq,
                        W=W, Wq=Wq, throughput=lam, P_wait=math.nan, exact=False,
                        extras={"ca2": ca2, "cs2": cs2})
