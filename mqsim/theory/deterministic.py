"""Constant service times with several consumers: the exact M/D/c queue (Crommelin 1932).

With constant service ``d`` (s), the number in system observed every d seconds is a Markov
chain: N(t + d) = max(N(t) - c, 0) + A, where A ~ Poisson(lam d) counts the arrivals in between
(every message in service at t has left by t + d, and the c consumers take at most c of the
waiting ones). Any phase t gives the same chain, so its stationary law is the time-stationary
law of N, and Lq, Wq and P(wait) follow by Little's law and PASTA.

References: C. D. Crommelin (1932), "Delay probability formulae when the holding times are
constant", Post Office Electrical Engineers' Journal 25:41–50; H. C. Tijms (2003), *A First
Course in Stochastic Models*, Wiley, §9.3 (the M/D/c queue).
"""

from __future__ import annotations

import math

import numpy as np

from mqsim.model import validate
from mqsim.theory.results import QueueMetrics, UnstableError

__all__ = ["md_c_exact"]

CROMMELIN = "Crommelin (embedded chain at multiples of D)"


def _decay_root(a: float, c: int) -> float:
    """The root z > 1 of z^c = exp(a (z - 1)): p_n decays like z^-n."""
    lo, hi = 1.0, 2.0
    while c * math.log(hi) - a * (hi - 1.0) > 0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if c * math.log(mid) - a * (mid - 1.0) > 0:
            lo = mid
        else:
            hi = mid
    return hi


def md_c_exact(lam: float, d: float, c: int) -> QueueMetrics:
    """Exact M/D/c: Poisson arrivals (``lam`` per s), constant service ``d`` (s), ``c``
    consumers, FCFS, by Crommelin's embedded chain N(t + d) = max(N(t) - c, 0) + Poisson(lam d).

    Lq = sum (n - c)^+ p_n (messages), Wq = Lq / lam (s), P_wait = P(N >= c) (PASTA), L = Lq +
    lam d, W = Wq + d. The state space is truncated where the geometric tail z^-n of p_n falls
    below e^-40. ``extras['probs']`` holds p_0, p_1, ... (down to 1e-16). Raises
    :class:`UnstableError` when rho = lam d / c >= 1.
    """
    from scipy import sparse, stats
    from scipy.sparse.linalg import spsolve

    lam = validate.positive("md_c_exact.lam", lam, "per second")
    d = validate.positive("md_c_exact.d", d, "seconds")
    c = validate.integer("md_c_exact.c", c, lo=1)
    rho = lam * d / c
    if rho >= 1:
        raise UnstableError.of("md_c_exact", "lam*d/c", rho)
    a = lam * d
    kmax = int(a + 12.0 * math.sqrt(a) + 40)  # Poisson(a) mass beyond this is far below 1e-18
    pk = stats.poisson.pmf(np.arange(kmax + 1), a)
    N = c + kmax + int(math.ceil(40.0 / math.log(_decay_root(a, c)))) + 50
    rows = np.repeat(np.arange(N + 1), kmax + 1)
    cols = np.minimum(np.maximum(np.arange(N + 1)[:, None] - c, 0) + np.arange(kmax + 1)[None, :], N).ravel()
    P = sparse.csr_matrix((np.tile(pk, N + 1), (rows, cols)), shape=(N + 1, N + 1))
    A = (P.T - sparse.identity(N + 1, format="csr")).tolil()
    A[N, :] = np.ones(N + 1)  # replace one balance equation by sum(p) = 1
    b = np.zeros(N + 1)
    b[N] = 1.0
    p = np.clip(spsolve(A.tocsr(), b), 0.0, None)
    p /= p.sum()
    Lq = float(np.sum(np.clip(np.arange(N + 1) - c, 0, None) * p))
    Wq = Lq / lam
    last = int(np.nonzero(p > 1e-16)[0].max()) + 1
    return QueueMetrics(model=f"M/D/{c}", formula=CROMMELIN, rho=rho, L=Lq + a, Lq=Lq, W=Wq + d, Wq=Wq,
                        throughput=lam, P_wait=float(p[c:].sum()), extras={"probs": tuple(float(x) for x in p[:last])})
