"""General service and arrivals: M/G/1 (Pollaczek-Khinchine), M/D/1, Kingman, GI/M/1, Allen-Cunneen, Sakasegawa.

Each formula is checked against the worked values of tests/data/worked_values.csv (the literature
each comes from is cited there) and against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mqsim import theory as th
from mqsim.dist import Deterministic, Erlang, Exponential, HyperExponential
from mqsim.theory import UnstableError
from tests.theory.oracles import close
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# general service: Pollaczek (1930), Khintchine (1932), Kingman (1961), GI/M/1, Allen–Cunneen
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scv", [1, 0, 4])
def test_mg1_worked_values(scv):
    m = th.mg1(0.8, 1.0, scv)
    assert agrees(m.Wq, f"mg1_0.8_ES1_scv{scv}.Wq") and agrees(m.L, f"mg1_0.8_ES1_scv{scv}.L")
    assert close(m.W, m.Wq + 1) and close(m.Lq, 0.8 * m.Wq) and close(m.P_wait, 0.8)
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
    for got, q in [(m.Wq, "Wq"), (m.W, "W"), (m.Lq, "Lq"), (m.L, "L"), (m.extras["p0"], "p0"),
                   (m.extras["p1"], "p1")]:
        assert agrees(got, f"md1_0.8_1.{q}")
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
    # rho = 0.8, mu = 1: the 1961 approximation and the 1962 upper bound
    assert agrees(th.kingman(0.8, 1, 1, 0).Wq, "kingman_rho0.8.M_D_1")  # = P-K
    assert agrees(th.kingman(0.8, 0, 1, 1).Wq, "kingman_rho0.8.D_M_1")
    assert agrees(th.kingman(0.8, 0.5, 1, 1).Wq, "kingman_rho0.8.E2_M_1")
    assert agrees(th.kingman_bound(0.8, 0, 1, 1), "kingman_bound_rho0.8.D_M_1")
    assert agrees(th.kingman_bound(0.8, 0.5, 1, 1), "kingman_bound_rho0.8.E2_M_1")
    k = th.kingman(0.8, 0.5, 1, 1)
    assert k.formula == "Kingman's (1961) heavy-traffic approximation for G/G/1"
    assert not k.exact
    for scv in (0.0, 0.5, 1.0, 4.0):  # exact for Poisson arrivals
        assert close(th.kingman(0.8, 1.0, 1.0, scv).Wq, th.mg1(0.8, 1.0, scv).Wq, 1e-12)


def test_gi_m1_exact_values():
    d = th.gi_m1(Deterministic(1.25), 1.0)
    assert agrees(d.Wq, "gim1.D_M_1_rho0.8.Wq")
    e2 = th.gi_m1(Erlang(2, mean=1.25), 1.0)
    assert agrees(e2.Wq, "gim1.E2_M_1_rho0.8.Wq")
    rr = th.gi_m1(Exponential(mean=1 / 2.4), 1.0, split=3)  # round-robin push, unlimited prefetch
    assert agrees(rr.sigma, "dispatch_2.4_1_3.sigma_round_robin") and agrees(rr.Wq, "dispatch_2.4_1_3.Wq_round_robin")
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
    assert agrees(ac.Wq, "allen_cunneen.M_M_3") and close(ac.Wq, th.mmc(2.4, 1, 3).Wq, 1e-12)  # exact for M/M/c
    assert agrees(th.allen_cunneen(2.4, 1, 1, 0, 3).Wq, "allen_cunneen.M_D_3")
    assert agrees(th.sakasegawa(2.4, 1, 1, 1, 3).Wq, "sakasegawa.M_M_3")
    assert agrees(th.sakasegawa(2.4, 1, 1, 0, 3).Wq, "sakasegawa.M_D_3")
    assert not ac.exact and "Allen–Cunneen" in ac.formula
    k, a1 = th.kingman(0.7, 0.4, 1.0, 2.0), th.allen_cunneen(0.7, 0.4, 1.0, 2.0, 1)
    assert close(a1.Wq, k.Wq, 1e-12)  # c = 1 is Kingman
    with pytest.raises(UnstableError, match="rho"):
        th.allen_cunneen(3.0, 1, 1, 1, 3)


