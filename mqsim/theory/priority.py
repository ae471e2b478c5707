"""Priority queues: non-preemptive (head-of-line) and preemptive-resume, M/G/1 and M/M/c.

Classes are given **highest priority first**. For M/G/1 each class is a tuple
``(lam_i, mean_i, second_moment_i)``: Poisson rate (per second), E[S_i] (s) and E[S_i^2] (s^2).
For M/M/c all classes share one exponential service rate ``mu`` (per second); with
class-dependent rates there is no simple closed form (simulate instead).

Stability is per class. Class k has a steady state iff sigma_k = sum_{i<=k} rho_i < 1, whatever
the lower classes do. These functions therefore **never raise** :class:`UnstableError`: each
class gets its own :class:`QueueMetrics`, and a class without a steady state has
``stable=False``, ``L = Lq = W = Wq = inf`` and the throughput it actually gets (the capacity
left by the classes above it for the first unstable class, 0 below it). When a lower class is
saturated the server never idles; the stable classes above it still have finite means, computed
with the residual work of what is actually served (non-preemptive M/G/1) or with P(all busy) = 1
(non-preemptive M/M/c).
"""

from __future__ import annotations

import math
from typing import Sequence

from mqsim.model import validate
from mqsim.theory.markovian import MAX_SERVERS, _erlang_b, mmc
from mqsim.theory.results import QueueMetrics

__all__ = ["np_priority_mg1", "np_priority_mmc", "pr_priority_mg1", "pr_priority_mmc",
           "cobham", "combine_classes"]

COBHAM = "Cobham (1954) non-preemptive priority"
COBHAM_MMC = "Cobham non-preemptive priority, M/M/c with common mu"
PREEMPTIVE = "preemptive-resume priority M/G/1"
BUZEN_BONDI = "preemptive-resume priority M/M/c (Buzen–Bondi)"
_INF = math.inf


def _classes(where: str, classes: Sequence[Sequence[float]]) -> list[tuple[float, float, float]]:
    if len(classes) == 0:
        raise ValueError(f"{where}: classes must name at least one (lam, mean, second_moment)")
    out = []
    for i, cl in enumerate(classes):
        if len(cl) != 3:
            raise ValueError(f"{where}: classes[{i}] must be (lam, mean, second_moment), got {cl!r}")
        lam = validate.positive(f"{where}.classes[{i}].lam", cl[0], "per second")
        m = validate.positive(f"{where}.classes[{i}].mean", cl[1], "seconds")
        s2 = validate.positive(f"{where}.classes[{i}].second_moment", cl[2], "seconds^2")
        if s2 < m * m * (1.0 - 1e-12):
            raise ValueError(f"{where}: classes[{i}].second_moment must be >= mean^2 (= {m * m:g}), got {s2!r}")
        out.append((lam, m, max(s2, m * m)))
    return out


def _rates(where: str, lams: Sequence[float]) -> list[float]:
    if len(lams) == 0:
        raise ValueError(f"{where}: lams must name at least one class rate")
    return [validate.positive(f"{where}.lams[{i}]", x, "per second") for i, x in enumerate(lams)]


def _unstable(model: str, formula: str, rho: float, x: float, extras: dict) -> QueueMetrics:
    return QueueMetrics(model=model, formula=formula, rho=rho, L=_INF, Lq=_INF, W=_INF, Wq=_INF,
                        throughput=x, P_wait=1.0, stable=False, extras=extras)


def _served_rates(lams: Sequence[float], means: Sequence[float], cap: float = 1.0) -> list[float]:
    """Long-run served rate of each class: lam_i while sigma_i < 1; the first class with
    sigma >= 1 gets the leftover capacity; the classes below it get nothing."""
    out, used = [], 0.0
    for lam, m in zip(lams, means):
        if used + lam * m < cap:
            out.append(lam)
            used += lam * m
        else:
            out.append(max(cap - used, 0.0) / m)
            used = cap
    return out


def np_priority_mg1(classes: Sequence[Sequence[float]]) -> list[QueueMetrics]:
    """Non-preemptive priority M/G/1 by Cobham's formula, one result per class.

    Wq_k = W0/((1 - sigma_{k-1})(1 - sigma_k)), with W0 = sum_i lam_i E[S_i^2]/2 the mean
    residual work in service over all classes and sigma_k = sum_{i<=k} lam_i E[S_i]; W_k =
    Wq_k + E[S_k]; L_k = lam_k W_k. ``P_wait`` is the probability the server is busy.
    ``rho`` is the total utilisation; ``extras`` has the class index, rho_class, sigma and W0.
    """
    cl = _classes("np_priority_mg1", classes)
    lams, means = [c[0] for c in cl], [c[1] for c in cl]
    x = _served_rates(lams, means)
    W0 = sum(xi * s2 / 2.0 for xi, (_, _, s2) in zip(x, cl))
    total = sum(lam * m for lam, m in zip(lams, means))
    busy = min(1.0, total)
    out, sig_prev = [], 0.0
    for k, (lam, m, _) in enumerate(cl):
        sig = sig_prev + lam * m
        ex = {"class": k, "rho_class": lam * m, "sigma": sig, "W0": W0}
        if sig >= 1.0:
            out.append(_unstable("M/G/1", COBHAM, total, x[k], ex))
        else:
            Wq = W0 / ((1.0 - sig_prev) * (1.0 - sig))
            W = Wq + m
            out.append(QueueMetrics(model="M/G/1", formula=COBHAM, rho=total, L=lam * W,
                                    Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=busy, extras=ex))
        sig_prev = sig
    return out


cobham = np_priority_mg1


def np_priority_mmc(lams: Sequence[float], mu: float, c: int) -> list[QueueMetrics]:
    """Non-preemptive priority M/M/c, all classes with the same service rate ``mu``.

    Wq_k = [C(c, a)/(c*mu)] / ((1 - sigma_{k-1})(1 - sigma_k)), sigma_k = sum_{i<=k} lam_i/(c*mu),
    a = sum lam/mu, C = Erlang C (Larson–Odoni 4.111–4.112). ``P_wait`` = C for every class.
    """
    lams = _rates("np_priority_mmc", lams)
    mu = validate.positive("np_priority_mmc.mu", mu, "per second")
    c = validate.integer("np_priority_mmc.c", c, 1, MAX_SERVERS)
    a = sum(lams) / mu
    total = a / c
    if total < 1.0:
        b = _erlang_b(c, a)
        C = b / (1.0 - total * (1.0 - b))
    else:
        C = 1.0  # a lower class is saturated: all servers are always busy
    x = _served_rates(lams, [1.0 / (c * mu)] * len(lams))
    model = f"M/M/{c}"
    out, sig_prev = [], 0.0
    for k, lam in enumerate(lams):
        sig = sig_prev + lam / (c * mu)
        ex = {"class": k, "rho_class": lam / (c * mu), "sigma": sig, "erlang_c": C}
        if sig >= 1.0:
            out.append(_unstable(model, COBHAM_MMC, total, x[k], ex))
        else:
            Wq = C / (c * mu) / ((1.0 - sig_prev) * (1.0 - sig))
            W = Wq + 1.0 / mu
            out.append(QueueMetrics(model=model, formula=COBHAM_MMC, rho=total, L=lam * W,
                                    Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=C, extras=ex))
        sig_prev = sig
    return out


def pr_priority_mg1(classes: Sequence[Sequence[float]]) -> list[QueueMetrics]:
    """Preemptive-resume priority M/G/1, one result per class (lower classes are invisible).

    W_k = E[S_k]/(1 - sigma_{k-1}) + (sum_{i<=k} lam_i E[S_i^2]/2)/((1 - sigma_{k-1})(1 - sigma_k)).
    ``Wq`` = W_k - E[S_k] is the time not in service (waiting plus preempted); ``P_wait`` =
    sigma_k, the probability of not starting service on arrival. Brokers never take a message
    back from a consumer, so this is a teaching contrast, not a RabbitMQ model.
    """
    cl = _classes("pr_priority_mg1", classes)
    lams, means = [c[0] for c in cl], [c[1] for c in cl]
    x = _served_rates(lams, means)
    total = sum(lam * m for lam, m in zip(lams, means))
    out, sig_prev, R = [], 0.0, 0.0
    for k, (lam, m, s2) in enumerate(cl):
        sig = sig_prev + lam * m
        R += lam * s2 / 2.0
        ex = {"class": k, "rho_class": lam * m, "sigma": sig, "R": R}
        if sig >= 1.0:
            out.append(_unstable("M/G/1", PREEMPTIVE, total, x[k], ex))
        else:
            W = m / (1.0 - sig_prev) + R / ((1.0 - sig_prev) * (1.0 - sig))
            Wq = W - m
            out.append(QueueMetrics(model="M/G/1", formula=PREEMPTIVE, rho=total, L=lam * W,
                                    Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=sig, extras=ex))
        sig_prev = sig
    return out


def pr_priority_mmc(lams: Sequence[float], mu: float, c: int) -> list[QueueMetrics]:
    """Preemptive-resume priority M/M/c with a common rate ``mu`` (Buzen & Bondi 1983).

    Classes 1..k form an M/M/c with rate sum_{i<=k} lam_i, so W_k = (L_{<=k} - L_{<=k-1})/lam_k.
    ``P_wait`` = Erlang C of the classes 1..k (all servers busy with them).
    """
    lams = _rates("pr_priority_mmc", lams)
    mu = validate.positive("pr_priority_mmc.mu", mu, "per second")
    c = validate.integer("pr_priority_mmc.c", c, 1, MAX_SERVERS)
    total = sum(lams) / (c * mu)
    x = _served_rates(lams, [1.0 / (c * mu)] * len(lams))
    model = f"M/M/{c}"
    out, cum, L_prev = [], 0.0, 0.0
    for k, lam in enumerate(lams):
        cum += lam
        sig = cum / (c * mu)
        ex = {"class": k, "rho_class": lam / (c * mu), "sigma": sig}
        if sig >= 1.0:
            out.append(_unstable(model, BUZEN_BONDI, total, x[k], ex))
            continue
        m = mmc(cum, mu, c)
        W = (m.L - L_prev) / lam
        Wq = max(W - 1.0 / mu, 0.0)
        out.append(QueueMetrics(model=model, formula=BUZEN_BONDI, rho=total, L=lam * W,
                                Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=m.P_wait, extras=ex))
        L_prev = m.L
    return out


def combine_classes(results: Sequence[QueueMetrics], model: str | None = None,
                    formula: str | None = None) -> QueueMetrics:
    """Whole-queue metrics from per-class ones: L, Lq summed; throughput summed; W = L/X and
    Wq = Lq/X (Little); P_wait throughput-weighted. Unstable if any class is."""
    if not results:
        raise ValueError("combine_classes: results must not be empty")
    X = sum(r.throughput for r in results)
    stable = all(r.stable for r in results)
    L = sum(r.L for r in results)
    Lq = sum(r.Lq for r in results)
    return QueueMetrics(
        model=model or results[0].model, formula=formula or results[0].formula,
        rho=results[0].rho, L=L, Lq=Lq, W=L / X if stable else _INF, Wq=Lq / X if stable else _INF,
        throughput=X, P_wait=sum(r.throughput * r.P_wait for r in results) / X,
        loss=0.0, exact=all(r.exact for r in results), stable=stable,
        extras={"classes": len(results)},
    )
