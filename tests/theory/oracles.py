"""Tolerances and independent oracles (brute-force CTMC, direct sums) for the formula tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

EXACT = 1e-9  # relative tolerance for exact closed forms (as tests/worked_values.py)


def close(x: float, ref: float, rel: float = EXACT) -> bool:
    return x == pytest.approx(ref, rel=rel, abs=0.0)


def printed(x: float, ref_text: str) -> bool:
    """Equal at the precision ``ref_text`` is printed with (half a unit of its last digit)."""
    decimals = len(ref_text.split(".")[1]) if "." in ref_text else 0
    return abs(x - float(ref_text)) <= 0.5 * 10.0 ** (-decimals) * (1 + 1e-9)


# --------------------------------------------------------------------------------------------
# Independent oracles
# --------------------------------------------------------------------------------------------
def ctmc_birth_death(lam: float, mu: float, c: int, K: int) -> np.ndarray:
    """Stationary vector of the M/M/c/K generator matrix, solved with numpy (no formula)."""
    Q = np.zeros((K + 1, K + 1))
    for n in range(K + 1):
        if n < K:
            Q[n, n + 1] = lam
        if n > 0:
            Q[n, n - 1] = min(n, c) * mu
        Q[n, n] = -Q[n].sum()
    A = np.vstack([Q.T, np.ones(K + 1)])
    b = np.zeros(K + 2)
    b[-1] = 1.0
    return np.linalg.lstsq(A, b, rcond=None)[0]


def erlang_b_direct(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / math.fsum(terms)


def erlang_c_direct(c: int, a: float) -> float:
    s = math.fsum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (s + top)


def erlang_c_logspace(c: int, a: float) -> float:
    """Erlang C from log B = c log a - lgamma(c+1) - logsumexp_k(k log a - lgamma(k+1))."""
    from scipy.special import gammaln, logsumexp

    k = np.arange(c + 1)
    logt = k * math.log(a) - gammaln(k + 1)
    B = math.exp(logt[-1] - logsumexp(logt))
    return c * B / (c - a * (1 - B))


def erlang_c_mpmath(c: int, a: float) -> float:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    A = mpmath.mpf(a)
    terms = [A**k / mpmath.factorial(k) for k in range(c + 1)]
    B = terms[-1] / mpmath.fsum(terms)
    return float(c * B / (c - A * (1 - B)))


