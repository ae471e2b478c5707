"""General service and arrivals: M/G/1 (Pollaczek-Khinchine), M/D/1, Kingman, GI/M/1, Allen-Cunneen, Sakasegawa.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mqsim import theory as th
from mqsim.dist import Deterministic, Erlang, Exponential, HyperExponential
from mqsim.theory import UnstableError
from tests.theory.oracles import close, printed


# --------------------------------------------------------------------------------------------
# §2.7 – §2.10 general service
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scv, Wq, L", [(1, 4, 4), (0, 2, 2.4), (4, 10, 8.8)])
def test_mg1_worked_values(scv, Wq, L):
    m = th.mg1(0.8, 1.0, scv)
    assert close(m.Wq, Wq) and close(m.L, L)
    assert close(m.W, Wq + 1) and close(m.Lq, 0.8 * Wq) and close(m.P_wait, 0.8)
    assert m.formula == "Pollaczek–Khinchine" and m.exact


def test_mg1_hyperexponential_second_moment():
    h = HyperExponential((0.5, 0.5), (0.5, 1.5))  # mean 1, E[S^2] = 2.5
    m = th.mg1(0.8, h.mean, h.scv)
    assert close(m.Wq, 0.8 * h.second_moment / (2 * 0.2), 1e-12)


def test_mg1_with_scv1_is_mm1():
    a, b = th.mg1(3, 0.2, 1.0), th.mm1(3, 5)
    for f in ("L", "Lq", "W", "Wq", "P_wait"):
        assert close(getattr(a, f), getattr(b, f), 1e-12)


def test_md1_worked_values():
    m = th.md1(0.8, 1.0)
    for got, ref in [(m.Wq, 2), (m.W, 3), (m.Lq, 1.6), (m.L, 2.4), (m.extras["p0"], 0.2),
                     (m.extras["p1"], 0.2451081857)]:
        assert close(got, ref)
    g = th.mg1(0.8, 1.0, 0.0)
    for f in ("L", "Lq", "W", "Wq"):
        assert close(getattr(m, f), getattr(g, f), 1e-15)
    assert close(m.Wq, th.mm1(0.8, 1).Wq / 2, 1e-12)  # half of M/M/1
    assert m.model == "M/D/1"


def _crommelin_md1(lam: float, d: float, N: int = 400) -> tuple[float, float]:
    """p0, p1 of M/D/1 from the embedded chain N' = max(N-1, 0) + Poisson(lam*d) (numerically)."""
    from scipy.stats import poisson

    a = poisson.pmf(np.arange(N + 1), lam * d)
    P = np.zeros((N + 1, N + 1))
    for i in range(N + 1):
        base = max(i - 1, 0)
        P[i, base:] = a[: N + 1 - base]
        P[i, N] += 1 - P[i].sum()
    A = np.vstack([(P.T - np.eye(N + 1)), np.ones(N + 1)])
    b = np.zeros(N + 2)
    b[-1] = 1
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    return pi[0], pi[1]


def test_md1_probabilities_against_embedded_chain():
    p0, p1 = _crommelin_md1(0.8, 1.0)
    m = th.md1(0.8, 1.0)
    assert close(m.extras["p0"], p0, 1e-9) and close(m.extras["p1"], p1, 1e-9)


def test_mg1_unstable():
    with pytest.raises(UnstableError, match=r"rho = lam\*E\[S\] = 1"):
        th.mg1(1.0, 1.0, 0.5)
    with pytest.raises(UnstableError, match="rho"):
        th.md1(2.0, 1.0)


def test_kingman_approximation_and_bound():
    # rho = 0.8, mu = 1 (§2.9)
    assert close(th.kingman(0.8, 1, 1, 0).Wq, 2)   # M/D/1 (= P-K)
    assert close(th.kingman(0.8, 0, 1, 1).Wq, 2)   # D/M/1
    assert close(th.kingman(0.8, 0.5, 1, 1).Wq, 3)  # E2/M/1
    assert close(th.kingman_bound(0.8, 0, 1, 1), 2)
    assert close(th.kingman_bound(0.8, 0.5, 1, 1), 3.5625)
    k = th.kingman(0.8, 0.5, 1, 1)
    assert k.formula == "Kingman's (1961) heavy-traffic approximation for G/G/1"
    assert not k.exact
    for scv in (0.0, 0.5, 1.0, 4.0):  # exact for Poisson arrivals
        assert close(th.kingman(0.8, 1.0, 1.0, scv).Wq, th.mg1(0.8, 1.0, scv).Wq, 1e-12)


def test_gi_m1_exact_values():
    d = th.gi_m1(Deterministic(1.25), 1.0)
    assert printed(d.Wq, "1.69273084")
    e2 = th.gi_m1(Erlang(2, mean=1.25), 1.0)
    assert close(e2.Wq, 2.843979767)
    rr = th.gi_m1(Exponential(mean=1 / 2.4), 1.0, split=3)  # §2.16 round-robin, unlimited prefetch
    assert close(rr.sigma, 0.7109344409) and close(rr.Wq, 2.459422848)
    mm = th.gi_m1(Exponential(mean=1 / 3), 5.0)  # M/M/1: sigma = rho
    assert close(mm.sigma, 0.6, 1e-12) and close(mm.Wq, th.mm1(3, 5).Wq, 1e-12)
    assert close(mm.wait_quantile(0.95), th.mm1(3, 5).wait_quantile(0.95), 1e-10)


def test_gi_m1_d_m_1_against_lambert_w():
    from scipy.special import lambertw

    beta = 1.25  # sigma = exp(-beta (1 - sigma))
    sigma = float(np.real(-lambertw(-beta * math.exp(-beta)) / beta))
    d = th.gi_m1(Deterministic(1.25), 1.0)
    assert close(d.sigma, sigma, 1e-12)
    assert close(d.Wq, sigma / (1 - sigma), 1e-10)


def test_gi_m1_unstable():
    with pytest.raises(UnstableError, match="rho"):
        th.gi_m1(Deterministic(1.0), 1.0)


def test_allen_cunneen_and_sakasegawa():
    ac = th.allen_cunneen(2.4, 1, 1, 1, 3)
    assert close(ac.Wq, 1.078651685) and close(ac.Wq, th.mmc(2.4, 1, 3).Wq, 1e-12)  # exact for M/M/c
    assert close(th.allen_cunneen(2.4, 1, 1, 0, 3).Wq, 0.5393258427)
    assert close(th.sakasegawa(2.4, 1, 1, 1, 3).Wq, 1.108296223)
    assert close(th.sakasegawa(2.4, 1, 1, 0, 3).Wq, 0.5541481115)
    assert not ac.exact and "Allen–Cunneen" in ac.formula
    k, a1 = th.kingman(0.7, 0.4, 1.0, 2.0), th.allen_cunneen(0.7, 0.4, 1.0, 2.0, 1)
    assert close(a1.Wq, k.Wq, 1e-12)  # c = 1 is Kingman
    with pytest.raises(UnstableError, match="rho"):
        th.allen_cunneen(3.0, 1, 1, 1, 3)


