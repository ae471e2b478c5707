"""Markovian queues: M/M/1, M/M/1/K, M/M/c (Erlang C), Erlang B, M/M/c/K, drop-head vs reject-publish.

Each formula is checked against the worked values of tests/data/worked_values.csv (the literature
each comes from is cited there) and against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mqsim import theory as th
from mqsim.theory import UnstableError
from tests.theory.oracles import (close, ctmc_birth_death, erlang_b_direct, erlang_c_direct, erlang_c_logspace,
                                  erlang_c_mpmath)
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# M/M/1 (Kleinrock 1975, ch. 3)
# --------------------------------------------------------------------------------------------
def test_mm1_worked_values():
    m = th.mm1(3, 5)
    for q in ("rho", "L", "Lq", "W", "Wq", "P_wait", "throughput"):
        assert agrees(getattr(m, q), f"mm1_3_5.{q}")
    assert m.loss == 0.0 and m.exact and m.stable
    assert agrees(m.prob_at_least(5), "mm1_3_5.P_N_ge_5")
    assert agrees(m.sojourn_tail(1), "mm1_3_5.P_T_gt_1")
    assert agrees(m.wait_tail(1), "mm1_3_5.P_Wq_gt_1")
    for p in (50, 95, 99):
        assert agrees(m.sojourn_quantile(p / 100), f"mm1_3_5.T_p{p}")
        assert agrees(m.wait_quantile(p / 100), f"mm1_3_5.Wq_p{p}")


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
# M/M/1/K (Gross et al. 2008, §2.5)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam, mu, K", [(4, 5, 5), (6, 5, 5), (5, 5, 5)])  # rho = 0.8, 1.2, 1
def test_mm1k_worked_values(lam, mu, K):
    m = th.mm1k(lam, mu, K)
    key = f"mm1k_{lam}_{mu}_{K}"
    assert agrees(m.extras["p0"], f"{key}.p0") and agrees(m.prob_n(0), f"{key}.p0")
    assert agrees(m.loss, f"{key}.P_block") and agrees(m.extras["p_block"], f"{key}.P_block")
    for q in ("throughput", "L", "Lq", "W", "Wq"):
        assert agrees(getattr(m, q), f"{key}.{q}")
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
# M/M/c (Erlang C) and Erlang B (Erlang 1917)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam, mu, c", [(0.2, 0.1, 3), (0.2, 0.1, 4), (2.4, 1, 3)])  # the Ciw bank; our example
def test_mmc_worked_values(lam, mu, c):
    m = th.mmc(lam, mu, c)
    key = f"mmc_{lam}_{mu}_{c}"
    assert agrees(m.P_wait, f"{key}.C") and agrees(th.erlang_c(c, lam / mu), f"{key}.C")
    for q in ("Wq", "W", "Lq", "L"):
        assert agrees(getattr(m, q), f"{key}.{q}")
    assert m.model == f"M/M/{c}" and m.formula == "Erlang C"
    # independent: direct factorial sums for small c
    assert close(m.P_wait, erlang_c_direct(c, lam / mu), 1e-12)
    assert close(m.Wq, erlang_c_direct(c, lam / mu) / (c * mu - lam), 1e-12)


def test_mmc_tails_and_percentiles():
    m = th.mmc(2.4, 1, 3)
    assert agrees(m.wait_tail(1), "mmc_2.4_1_3.P_Wq_gt_1")
    for p in (90, 95, 99):
        assert agrees(m.wait_quantile(p / 100), f"mmc_2.4_1_3.Wq_p{p}")
        assert close(m.wait_tail(m.wait_quantile(p / 100)), 1 - p / 100, 1e-12)
    assert agrees(m.sojourn_tail(3), "mmc_2.4_1_3.P_T_gt_3")
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
    assert agrees(m.P_wait, "callcentre.C")
    assert agrees(m.Wq, "callcentre.ASA")
    assert agrees(m.service_level(15), "callcentre.SL_15s")
    # the Telefonica calculator page: 20 E, 120 s holding time (published at its rounding)
    assert agrees(th.erlang_c_servers(20, 0.15), "telefonica.min_c_C_le_0.15")
    assert agrees(th.erlang_c(26, 20), "telefonica.C_26_20") and th.erlang_c(26, 20) <= 0.15 < th.erlang_c(25, 20)
    assert agrees(th.erlang_c(30, 20), "telefonica.C_30_20")
    assert agrees(th.erlang_c_traffic(30, 0.15), "telefonica.traffic_30_0.15")
    assert close(th.erlang_c(30, th.erlang_c_traffic(30, 0.15)), 0.15, 1e-12)
    assert agrees(th.mmc(20 / 120, 1 / 120, 26).Wq, "telefonica.Wq_26_20")


def test_capacity_planning_min_servers():
    assert agrees(th.mmc_min_servers(2.4, 1, 0.5, 0.05), "mmc_2.4_1.min_c_P_Wq_gt_0.5_le_0.05")
    assert th.mmc(2.4, 1, 5).wait_tail(0.5) <= 0.05 < th.mmc(2.4, 1, 4).wait_tail(0.5)


def test_erlang_b_worked_values():
    assert agrees(th.erlang_b(3, 2), "erlangb_3_2")
    assert agrees(th.erlang_b_traffic(15, 0.01), "erlangb_N15_B0.01.traffic_E")
    assert agrees(th.erlang_b_traffic(15, 0.01), "erlangb_N15_B0.01.traffic_E_published")
    assert agrees(th.erlang_b(15, 8.108), "erlangb_15_8.108")
    assert agrees(th.erlang_b_traffic(10, 0.01), "erlangb_N10_B0.01.traffic_E")
    assert agrees(th.erlang_b_servers(50_000 * 0.19 / 60, 0.03), "erlangb_lines_158.33E_B0.03")
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
# M/M/c/K (Gross et al. 2008)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam, mu, c, K", [(1.8, 1, 2, 10), (2.4, 1, 2, 10)])  # rho = 0.9, 1.2
def test_mmck_worked_values(lam, mu, c, K):
    m = th.mmck(lam, mu, c, K)
    key = f"mmck_{lam}_{mu}_{c}_{K}"
    for got, q in [(m.loss, "P_block"), (m.throughput, "throughput"), (m.extras["loss_rate"], "loss_rate"),
                   (m.L, "L"), (m.Lq, "Lq"), (m.W, "W"), (m.Wq, "Wq"), (m.P_wait, "P_wait_admitted")]:
        assert agrees(got, f"{key}.{q}")
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
# drop-head vs reject-publish (RabbitMQ's x-overflow on a length-limited queue)
# --------------------------------------------------------------------------------------------
def test_drop_head_vs_reject_publish_worked_values():
    rp = th.mm1k(0.9, 1, 6)
    dh = th.mmck_drop_head(0.9, 1, 1, 6)
    for m in (rp, dh):
        assert agrees(m.loss, "overflow_mm1k_0.9_1_6.P_loss")
        assert agrees(m.throughput, "overflow_mm1k_0.9_1_6.throughput")
        assert close(m.L, rp.L, 1e-15) and close(m.Lq, rp.Lq, 1e-15)
    assert agrees(rp.Wq, "overflow_mm1k_0.9_1_6.Wq_reject_publish")
    assert agrees(dh.Wq, "overflow_mm1k_0.9_1_6.Wq_drop_head")
    assert agrees(dh.extras["P_delivered"], "overflow_mm1k_0.9_1_6.P_delivered_drop_head")
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


