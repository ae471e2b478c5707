"""Markovian queues: M/M/1, M/M/1/K, M/M/c (Erlang C), Erlang B, M/M/c/K, drop-head vs reject-publish.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mqsim import theory as th
from mqsim.theory import UnstableError
from tests.theory.oracles import (
    close,
    ctmc_birth_death,
    erlang_b_direct,
    erlang_c_direct,
    erlang_c_logspace,
    erlang_c_mpmath,
    printed,
)


# --------------------------------------------------------------------------------------------
# §2.2 M/M/1
# --------------------------------------------------------------------------------------------
def test_mm1_worked_values():
    m = th.mm1(3, 5)
    for got, ref in [(m.rho, 0.6), (m.L, 1.5), (m.Lq, 0.9), (m.W, 0.5), (m.Wq, 0.3),
                     (m.P_wait, 0.6), (m.throughput, 3.0)]:
        assert close(got, ref)
    assert m.loss == 0.0 and m.exact and m.stable
    assert close(m.prob_at_least(5), 0.07776)
    assert close(m.sojourn_tail(1), 0.1353352832)
    assert close(m.wait_tail(1), 0.08120116994)
    for p, ref in [(0.5, 0.3465735903), (0.95, 1.497866137), (0.99, 2.302585093)]:
        assert close(m.sojourn_quantile(p), ref)
    for p, ref in [(0.5, 0.0911607784), (0.95, 1.242453325), (0.99, 2.047172281)]:
        assert close(m.wait_quantile(p), ref)


def test_mm1_independent_forms():
    m = th.mm1(3, 5)
    assert close(m.sojourn_tail(1), math.exp(-2))
    assert close(m.wait_tail(1), 0.6 * math.exp(-2))
    assert m.wait_quantile(0.3) == 0.0  # the atom 1 - rho = 0.4 at zero covers p <= 0.4
    assert close(m.wait_quantile(0.5), math.log(0.6 / 0.5) / 2)
    assert close(m.wait_cdf(0.0), 0.4)
    for n in range(6):
        assert close(m.prob_n(n), 0.4 * 0.6**n, 1e-12)
        assert close(m.prob_at_least(n), 0.6**n, 1e-12)
    for p in (0.1, 0.5, 0.9, 0.999):
        assert close(m.sojourn_tail(m.sojourn_quantile(p)), 1 - p, 1e-12)


def test_mm1_is_mmc_with_one_server_and_limit_of_mm1k():
    a, b, k = th.mm1(3, 5), th.mmc(3, 5, 1), th.mm1k(3, 5, 200)
    for f in ("rho", "L", "Lq", "W", "Wq", "P_wait", "throughput"):
        assert close(getattr(a, f), getattr(b, f), 1e-12)
    for f in ("L", "Lq", "W", "Wq", "throughput"):
        assert close(getattr(a, f), getattr(k, f), 1e-12)
    assert k.loss < 1e-40
    assert close(b.sojourn_tail(0.7), a.sojourn_tail(0.7), 1e-12)


@pytest.mark.parametrize("lam, mu", [(5, 5), (6, 5)])
def test_mm1_unstable(lam, mu):
    with pytest.raises(UnstableError, match="rho") as e:
        th.mm1(lam, mu)
    assert isinstance(e.value, ValueError)
    assert "< 1" in str(e.value) and "mm1k" in str(e.value)
    assert e.value.rho == pytest.approx(lam / mu)


# --------------------------------------------------------------------------------------------
# §2.3 M/M/1/K
# --------------------------------------------------------------------------------------------
MM1K_TABLE = [
    # lam, mu, K, p0, P_block, throughput, L, Lq, W, Wq
    (4, 5, 5, 0.2710555989, 0.08881949866, 3.644722005, 1.868332032, 1.139387631, 0.5126130414, 0.3126130414),
    (6, 5, 5, 0.1007057459, 0.2505881216, 4.496471271, 3.021172376, 2.121878122, 0.6718985164, 0.4718985164),
    (5, 5, 5, 1 / 6, 1 / 6, 4.166666667, 2.5, 1.666666667, 0.6, 0.4),
]


@pytest.mark.parametrize("row", MM1K_TABLE)
def test_mm1k_worked_values(row):
    lam, mu, K, p0, pb, thr, L, Lq, W, Wq = row
    m = th.mm1k(lam, mu, K)
    assert close(m.extras["p0"], p0) and close(m.prob_n(0), p0)
    assert close(m.loss, pb) and close(m.extras["p_block"], pb)
    for got, ref in [(m.throughput, thr), (m.L, L), (m.Lq, Lq), (m.W, W), (m.Wq, Wq)]:
        assert close(got, ref)
    assert close(m.rho, lam / mu)
    assert close(m.throughput, mu * (1 - m.prob_n(0)))  # lam_eff = mu(1 - p0)


def test_mm1k_closed_form_and_ctmc():
    lam, mu, K = 4.0, 5.0, 5
    r = lam / mu
    m = th.mm1k(lam, mu, K)
    for n in range(K + 1):
        assert close(m.prob_n(n), (1 - r) * r**n / (1 - r ** (K + 1)), 1e-12)
    assert np.allclose(m.probs, ctmc_birth_death(lam, mu, 1, K), rtol=1e-10, atol=0)


# --------------------------------------------------------------------------------------------
# §2.4 M/M/c (Erlang C) and §2.5 Erlang B
# --------------------------------------------------------------------------------------------
MMC_TABLE = [
    # lam, mu, c, C, Wq, W, Lq, L
    (0.2, 0.1, 3, 4 / 9, 4.444444444, 14.44444444, 0.8888888889, 2.888888889),
    (0.2, 0.1, 4, 4 / 23, 0.8695652174, 10.86956522, 0.1739130435, 2.173913043),
    (2.4, 1, 3, 0.6471910112, 1.078651685, 2.078651685, 2.588764045, 4.988764045),
]


@pytest.mark.parametrize("row", MMC_TABLE)
def test_mmc_worked_values(row):
    lam, mu, c, C, Wq, W, Lq, L = row
    m = th.mmc(lam, mu, c)
    assert close(m.P_wait, C) and close(th.erlang_c(c, lam / mu), C)
    for got, ref in [(m.Wq, Wq), (m.W, W), (m.Lq, Lq), (m.L, L)]:
        assert close(got, ref)
    assert m.model == f"M/M/{c}" and m.formula == "Erlang C"
    # independent: direct factorial sums for small c
    assert close(m.P_wait, erlang_c_direct(c, lam / mu), 1e-12)
    assert close(m.Wq, erlang_c_direct(c, lam / mu) / (c * mu - lam), 1e-12)


def test_mmc_tails_and_percentiles():
    m = th.mmc(2.4, 1, 3)
    assert close(m.wait_tail(1), 0.3551859577)
    for p, ref in [(0.9, 3.112452152), (0.95, 4.267697453), (0.99, 6.950093973)]:
        assert close(m.wait_quantile(p), ref)
        assert close(m.wait_tail(m.wait_quantile(p)), 1 - p, 1e-12)
    assert close(m.sojourn_tail(3), 0.2366825971)
    assert m.wait_quantile(0.2) == 0.0  # 1 - C = 0.353 > 0.2
    for p in (0.5, 0.9, 0.99):
        t = m.sojourn_quantile(p)
        assert close(m.sojourn_cdf(t), p, 1e-12)


def _sojourn_tail_numeric(m, t: float) -> float:
    """P(Wq + S > t) by numerical integration of the wait density (independent of the closed form)."""
    from scipy.integrate import quad

    C, d, mu = m.P_wait, m.c * m.mu - m.lam, m.mu
    conv, _ = quad(lambda x: d * math.exp(-d * x) * math.exp(-mu * (t - x)), 0, t, epsabs=1e-14, epsrel=1e-13)
    return (1 - C) * math.exp(-mu * t) + C * (math.exp(-d * t) + conv)


@pytest.mark.parametrize("lam, mu, c", [(2.4, 1, 3), (1.0, 1.0, 2), (1.0 + 1e-9, 1.0, 2), (0.5, 2, 4)])
def test_mmc_sojourn_tail_against_integration(lam, mu, c):
    m = th.mmc(lam, mu, c)
    for t in (0.1, 1.0, 3.0, 7.5):
        assert close(m.sojourn_tail(t), _sojourn_tail_numeric(m, t), 1e-9)


def test_mmc_state_probabilities_against_truncated_ctmc():
    m = th.mmc(2.4, 1, 3)
    p = ctmc_birth_death(2.4, 1, 3, 400)
    for n in range(12):
        assert close(m.prob_n(n), p[n], 1e-9)
        assert close(m.prob_at_least(n), p[n:].sum(), 1e-9)
    assert close(m.prob_at_least(3), m.P_wait, 1e-12)


def test_call_centre_and_telefonica_examples():
    # 360 calls / 30 min, AHT 4 min = 240 s -> A = 48 E, 55 agents, 15 s target
    lam, mu = 360 / 1800, 1 / 240
    m = th.mmc(lam, mu, 55)
    assert close(m.P_wait, 0.2387009364)
    assert close(m.Wq, 8.184032104)
    assert close(m.service_level(15), 0.8458830922)
    # Telefonica: 20 E, 120 s holding time
    assert th.erlang_c_servers(20, 0.15) == 26
    assert printed(th.erlang_c(26, 20), "0.1434")
    assert printed(th.erlang_c(30, 20), "0.02495")
    assert printed(th.erlang_c_traffic(30, 0.15), "23.641")
    assert close(th.erlang_c(30, th.erlang_c_traffic(30, 0.15)), 0.15, 1e-12)
    assert printed(th.mmc(20 / 120, 1 / 120, 26).Wq, "2.868")


def test_capacity_planning_min_servers():
    assert th.mmc_min_servers(2.4, 1, 0.5, 0.05) == 5
    assert th.mmc(2.4, 1, 5).wait_tail(0.5) <= 0.05 < th.mmc(2.4, 1, 4).wait_tail(0.5)


def test_erlang_b_worked_values():
    assert close(th.erlang_b(3, 2), 4 / 19)
    assert close(th.erlang_b_traffic(15, 0.01), 8.108042797)
    assert close(th.erlang_b(15, 8.108), 0.009999631943)
    assert close(th.erlang_b_traffic(10, 0.01), 4.461176858)
    assert th.erlang_b_servers(50_000 * 0.19 / 60, 0.03) == 168
    assert th.erlang_b(168, 158.3333333333) <= 0.03 < th.erlang_b(167, 158.3333333333)


@pytest.mark.parametrize("c, a", [(1, 0.5), (3, 2.0), (10, 7.3), (25, 24.9), (40, 12.0)])
def test_erlang_b_against_direct_and_scipy(c, a):
    from scipy.stats import poisson

    assert close(th.erlang_b(c, a), erlang_b_direct(c, a), 1e-12)
    assert close(th.erlang_b(c, a), poisson.pmf(c, a) / poisson.cdf(c, a), 1e-10)


def test_erlang_c_large_c_stable():
    C = th.erlang_c(1000, 950)
    assert math.isfinite(C) and 0.0 <= C <= 1.0
    assert close(C, erlang_c_logspace(1000, 950), 1e-9)
    try:
        import mpmath  # noqa: F401
    except ImportError:
        pass
    else:
        assert close(C, erlang_c_mpmath(1000, 950), 1e-11)
    # far beyond factorial range
    C2 = th.erlang_c(20_000, 19_900)
    assert 0.0 < C2 < 1.0 and close(C2, erlang_c_logspace(20_000, 19_900), 1e-9)
    m = th.mmc(950, 1, 1000)
    assert math.isfinite(m.Wq) and m.Wq >= 0


def test_erlang_c_unstable():
    with pytest.raises(UnstableError, match="rho"):
        th.erlang_c(3, 3.0)


def test_mmc_unstable_message():
    with pytest.raises(UnstableError) as e:
        th.mmc(3.6, 1, 3)
    assert str(e.value) == ("mmc: utilisation rho = lam/(c*mu) = 1.2 must be < 1 for an infinite "
                            "queue; use mmck for a finite one")


# --------------------------------------------------------------------------------------------
# §2.6 M/M/c/K
# --------------------------------------------------------------------------------------------
MMCK_TABLE = [
    # lam, mu, c, K, P_block, throughput, loss rate, L, Lq, W, Wq, P(wait|admitted)
    (1.8, 1, 2, 10, 0.05480733221, 1.701346802, 0.09865319798, 4.281410633, 2.580063831, 2.516483193,
     1.516483193, 0.7671794771),
    (2.4, 1, 2, 10, 0.1956288956, 1.930490651, 0.4695093494, 6.816721632, 4.886230981, 3.531082437,
     2.531082437, 0.9332251374),
]


@pytest.mark.parametrize("row", MMCK_TABLE)
def test_mmck_worked_values(row):
    lam, mu, c, K, pb, thr, lr, L, Lq, W, Wq, pw = row
    m = th.mmck(lam, mu, c, K)
    for got, ref in [(m.loss, pb), (m.throughput, thr), (m.extras["loss_rate"], lr), (m.L, L),
                     (m.Lq, Lq), (m.W, W), (m.Wq, Wq), (m.P_wait, pw)]:
        assert close(got, ref)
    assert m.model == f"M/M/{c}/{K}"


@pytest.mark.parametrize("lam, mu, c, K", [(1.8, 1, 2, 10), (2.4, 1, 2, 10), (3, 1, 3, 3), (0.5, 2, 4, 9),
                                           (7, 1, 5, 12), (5, 5, 1, 5), (1, 1, 1, 1)])
def test_mmck_against_ctmc(lam, mu, c, K):
    m = th.mmck(lam, mu, c, K)
    p = ctmc_birth_death(lam, mu, c, K)
    n = np.arange(K + 1)
    lam_eff = lam * (1 - p[K])
    assert np.allclose(m.probs, p, rtol=1e-9, atol=1e-15)
    # the numerical oracle is accurate to ~1e-16 absolute, so tiny probabilities get an abs floor
    assert m.loss == pytest.approx(p[K], rel=1e-9, abs=1e-15)
    assert close(m.L, (n * p).sum())
    assert m.Lq == pytest.approx((np.maximum(n - c, 0) * p).sum(), rel=1e-9, abs=1e-14)
    assert close(m.W, (n * p).sum() / lam_eff)
    assert close(m.extras["busy_servers"], (np.minimum(n, c) * p).sum())


def test_mmck_reduces_to_erlang_b_and_to_mmc():
    assert close(th.mmck(2, 1, 3, 3).loss, th.erlang_b(3, 2), 1e-12)
    big = th.mmck(950, 1, 1000, 1000)
    assert close(big.loss, th.erlang_b(1000, 950), 1e-9)
    assert math.isfinite(big.L) and close(sum(big.probs), 1.0, 1e-12)
    deep = th.mmck(2.4, 1, 3, 400)
    ref = th.mmc(2.4, 1, 3)
    for f in ("L", "Lq", "W", "Wq", "P_wait"):
        assert close(getattr(deep, f), getattr(ref, f), 1e-12)
    over = th.mmck(3000, 1, 1000, 1500)  # heavy overload, large c: log-space keeps it finite
    assert 0.6 < over.loss < 0.7 and close(over.extras["busy_servers"], 1000, 1e-6)


def test_mm1k_is_mmck_with_one_server():
    a, b = th.mm1k(6, 5, 5), th.mmck(6, 5, 1, 5)
    assert a.to_dict() == b.to_dict()


# --------------------------------------------------------------------------------------------
# §2.16 / §3.4 drop-head vs reject-publish
# --------------------------------------------------------------------------------------------
def test_drop_head_vs_reject_publish_worked_values():
    rp = th.mm1k(0.9, 1, 6)
    dh = th.mmck_drop_head(0.9, 1, 1, 6)
    for m in (rp, dh):
        assert close(m.loss, 0.1018665597) and close(m.throughput, 0.8083200962)
        assert close(m.L, rp.L, 1e-15) and close(m.Lq, rp.Lq, 1e-15)
    assert close(rp.Wq, 2.194782301)
    assert printed(dh.Wq, "1.802038")
    assert close(dh.extras["P_delivered"], 0.8981334403)
    assert close(dh.W, dh.Wq + 1.0, 1e-15)


def _drop_head_dense(lam, mu, c, K):
    """Tagged-message chain solved as one dense linear system (independent of the recursion)."""
    Kq = K - c
    states = [(j, m) for m in range(1, Kq + 1) for j in range(1, m + 1)]
    idx = {s: i for i, s in enumerate(states)}
    n = len(states)
    P = np.zeros((n, n))
    r_del = np.zeros(n)
    q = lam + c * mu
    for (j, m), i in idx.items():
        if j == 1:
            r_del[i] += c * mu / q
        else:
            P[i, idx[(j - 1, m - 1)]] += c * mu / q
        if m < Kq:
            P[i, idx[(j, m + 1)]] += lam / q
        elif j > 1:
            P[i, idx[(j - 1, Kq)]] += lam / q
    A = np.eye(n) - P
    D = np.linalg.solve(A, r_del)
    V = np.linalg.solve(A, D / q)
    p = ctmc_birth_death(lam, mu, c, K)
    pdel = p[:c].sum()
    ev = 0.0
    for k in range(c, K + 1):
        j = k - c + 1 if k < K else Kq
        pdel += p[k] * D[idx[(j, j)]]
        ev += p[k] * V[idx[(j, j)]]
    return pdel, ev / pdel


@pytest.mark.parametrize("lam, mu, c, K", [(0.9, 1, 1, 6), (2.4, 1, 2, 7), (5, 1, 3, 4), (1.0, 2.0, 1, 2)])
def test_drop_head_against_dense_solve_and_identities(lam, mu, c, K):
    dh = th.mmck_drop_head(lam, mu, c, K)
    pdel, wq = _drop_head_dense(lam, mu, c, K)
    assert close(dh.extras["P_delivered"], pdel, 1e-9)
    assert close(dh.Wq, wq, 1e-9)
    # every arrival at a full line causes exactly one drop: P(delivered) = 1 - p_K
    assert close(dh.extras["P_delivered"], 1 - dh.loss, 1e-12)
    assert dh.Wq < th.mmck(lam, mu, c, K).Wq  # fresher messages are delivered


def test_drop_head_limits():
    # huge buffer: nothing is dropped, the wait is M/M/1's
    assert close(th.mmck_drop_head(0.5, 1, 1, 80).Wq, th.mm1(0.5, 1).Wq, 1e-12)
    # no waiting room: Erlang B loss, served messages never wait
    m = th.mmck_drop_head(2, 1, 3, 3)
    assert m.Wq == 0.0 and close(m.loss, th.erlang_b(3, 2), 1e-12)


