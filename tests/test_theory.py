"""Tests for mqsim.theory: every formula against the worked values of
shared/reference/queueing-and-brokers.md §2, and against an independent computation
(brute-force CTMC, direct sums, scipy, mpmath when available, limits and special cases)."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

from mqsim import theory as th
from mqsim.dist import Deterministic, Erlang, Exponential, HyperExponential, LogNormal, Uniform
from mqsim.scenario import Consumers, Producer, Queue, Scenario
from mqsim.theory import UnstableError

EXACT = 1e-9  # relative tolerance for exact closed forms (reference §2.0)


def close(x: float, ref: float, rel: float = EXACT) -> bool:
    return x == pytest.approx(ref, rel=rel, abs=0.0)


def printed(x: float, ref_text: str) -> bool:
    """Equal at the precision the reference printed ``ref_text`` with (half a unit of its last digit)."""
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


# --------------------------------------------------------------------------------------------
# §2.1 Little's law and §2.15 operational laws
# --------------------------------------------------------------------------------------------
def test_little_examples():
    assert th.little_L(2.0, 0.5) == 1.0
    assert th.little_W(1.0, 2.0) == 0.5
    assert th.little_lam(1.0, 0.5) == 2.0
    assert close(th.little_L(3.644722005, 0.5126130414), 1.868332032)


def test_little_on_mm1k_uses_admitted_rate():
    m = th.mm1k(4, 5, 5)
    assert close(m.throughput * m.W, m.L, 1e-12)
    assert close(m.throughput, 3.644722005) and close(m.W, 0.5126130414) and close(m.L, 1.868332032)
    assert 4 * m.W == pytest.approx(2.050, abs=5e-4)  # the wrong product, lam * W


def test_operational_laws():
    assert th.utilisation(10, 0.05) == pytest.approx(0.5, rel=1e-15)
    assert th.utilisation(6, 0.5, c=3) == pytest.approx(1.0)
    assert th.saturation_throughput(0.5, 3) == 6.0
    assert th.backlog_growth_rate(7.0, 0.5, 3) == pytest.approx(1.0)
    assert th.backlog_growth_rate(5.0, 0.5, 3) == 0.0
    assert th.offered_load(2.4, 1.0) == 2.4
    # café (§2.15): V = (0.6, 0.58, 1.0), c*mu = (1, 0.8, 1)/min -> X* = 1/min at the till
    x, i = th.bottleneck_throughput([0.6, 0.58, 1.0], [1.0, 2.5, 2.0], [1, 2, 2])
    assert close(x, 1.0) and i == 2


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


# --------------------------------------------------------------------------------------------
# §2.11 – §2.13 priority
# --------------------------------------------------------------------------------------------
def test_cobham_worked_values():
    r = th.np_priority_mg1([(0.3, 1, 2), (0.5, 1, 2)])
    assert [x.extras["W0"] for x in r] == [pytest.approx(0.8)] * 2
    assert close(r[0].Wq, 1.142857143) and close(r[1].Wq, 5.714285714)
    assert close((0.3 * r[0].Wq + 0.5 * r[1].Wq) / 0.8, 4.0)  # FCFS M/M/1
    d = th.np_priority_mg1([(0.3, 1, 1), (0.5, 1, 1)])
    assert close(d[0].Wq, 0.5714285714) and close(d[1].Wq, 2.857142857)
    three = th.np_priority_mg1([(0.2, 1, 2), (0.3, 1, 2), (0.3, 1, 2)])
    assert [x.Wq for x in three] == [pytest.approx(v, rel=EXACT) for v in (1, 2, 8)]
    assert all(x.formula.startswith("Cobham") for x in r)


def test_cobham_conservation_law_and_single_class():
    cl = [(0.2, 0.5, 0.5), (0.3, 1.5, 3.0), (0.1, 1.0, 1.0)]
    r = th.np_priority_mg1(cl)
    rho = sum(l * m for l, m, _ in cl)
    W0 = sum(l * s2 / 2 for l, _, s2 in cl)
    assert close(sum(l * m * x.Wq for (l, m, _), x in zip(cl, r)), rho * W0 / (1 - rho), 1e-12)
    rev = th.np_priority_mg1(cl[::-1])
    assert close(sum(l * m * x.Wq for (l, m, _), x in zip(cl[::-1], rev)), rho * W0 / (1 - rho), 1e-12)
    one = th.np_priority_mg1([(0.7, 1.0, 3.0)])[0]
    pk = th.mg1(0.7, 1.0, 2.0)
    for f in ("L", "Lq", "W", "Wq"):
        assert close(getattr(one, f), getattr(pk, f), 1e-12)


def test_cobham_ciw_example_lower_class_unstable():
    r = th.np_priority_mg1([(5, 0.1, 0.02), (5, 0.1, 0.02)])
    assert r[0].stable and close(r[0].Wq, 0.2)
    assert not r[1].stable and r[1].Wq == math.inf and r[1].L == math.inf
    # overloaded: the high class is still stable, it sees a server that never idles
    r = th.np_priority_mg1([(2, 0.1, 0.02), (10, 0.1, 0.02)])
    assert r[0].stable and not r[1].stable
    assert close(r[1].throughput, 8.0)  # leftover capacity (1 - 0.2)/0.1
    assert close(r[0].Wq, (2 * 0.01 + 8 * 0.01) / 0.8, 1e-12)
    # highest class itself unstable: every class is flagged, nothing raises
    assert not any(x.stable for x in th.np_priority_mg1([(12, 0.1, 0.02), (1, 0.1, 0.02)]))


def test_np_priority_mmc():
    r = th.np_priority_mmc([0.6, 1.8], 1, 3)
    assert close(r[0].P_wait, 0.6471910112)
    assert close(r[0].Wq, 0.2696629213) and close(r[1].Wq, 1.348314607)
    assert close((0.6 * r[0].Wq + 1.8 * r[1].Wq) / 2.4, th.mmc(2.4, 1, 3).Wq, 1e-12)
    one = th.np_priority_mmc([0.3, 0.5], 1, 1)
    cob = th.np_priority_mg1([(0.3, 1, 2), (0.5, 1, 2)])
    for a, b in zip(one, cob):
        assert close(a.Wq, b.Wq, 1e-12)
    sat = th.np_priority_mmc([1.0, 5.0], 1, 3)
    assert sat[0].stable and not sat[1].stable
    assert close(sat[0].Wq, (1 / 3) / (1 - 1 / 3), 1e-12)  # C = 1 when a lower class saturates


def test_preemptive_priority():
    r = th.pr_priority_mg1([(0.3, 1, 2), (0.5, 1, 2)])
    assert close(r[0].W, 1.428571429) and close(r[1].W, 7.142857143)
    assert close(r[0].W, th.mm1(0.3, 1).W, 1e-12)  # highest class sees only itself
    assert close(0.3 * r[0].W + 0.5 * r[1].W, th.mm1(0.8, 1).L, 1e-12)
    u = th.pr_priority_mg1([(0.3, 0.5, 0.5), (0.5, 1.5, 4.5)])
    assert close(u[0].W, 0.5882352941) and close(u[1].W, 15.88235294)
    top = th.pr_priority_mg1([(0.4, 1.2, 2.5), (0.1, 3.0, 9.0)])[0]
    own = th.mg1(0.4, 1.2, 2.5 / 1.44 - 1)
    assert close(top.W, own.W, 1e-12) and close(top.Wq, own.Wq, 1e-12)
    low = th.pr_priority_mg1([(0.5, 1, 2), (0.6, 1, 2)])
    assert low[0].stable and not low[1].stable


def test_preemptive_priority_mmc():
    r = th.pr_priority_mmc([0.6, 1.8], 1, 3)
    assert close(r[0].W, 1.010273973) and printed(r[1].W, "2.43477759")
    assert close(r[0].W, th.mmc(0.6, 1, 3).W, 1e-12)
    assert close(0.6 * r[0].W + 1.8 * r[1].W, th.mmc(2.4, 1, 3).L, 1e-12)


# --------------------------------------------------------------------------------------------
# §2.14 Jackson networks
# --------------------------------------------------------------------------------------------
def test_tandem_burke():
    r = th.tandem(2, [4, 3])
    assert close(r.nodes[0].L, 1) and close(r.nodes[1].L, 2) and close(r.W, 1.5)
    assert close(r.W, th.mm1(2, 4).W + th.mm1(2, 3).W, 1e-12)


def test_bernoulli_feedback():
    r = th.jackson([0.6], [[0.2]], [1.0])
    assert close(r.lam[0], 0.75) and close(r.L, 3) and close(r.W, 5)
    assert close(r.visits[0], 1.25)


def test_cafe_network():
    r = th.jackson([0.3, 0.2, 0.0], [[0, 0.3, 0.7], [0, 0, 1], [0, 0, 0]], [1, 0.4, 0.5], [1, 2, 2])
    assert close(r.lam[1], 0.29) and close(r.lam[2], 0.5)
    for node, ref in zip(r.nodes, (1.428571429, 2.878215506, 2.666666667)):
        assert close(node.W, ref)
    assert close(r.L, 2.596587259) and close(r.W, 5.193174518)
    assert close(r.saturation_throughput, 1.0) and r.bottleneck == 2
    for i, (lam, mu, c) in enumerate(zip(r.lam, (1, 0.4, 0.5), (1, 2, 2))):
        assert close(r.nodes[i].L, th.mmc(lam, mu, c).L, 1e-12)
    df = r.to_frame()
    assert list(df.index) == [0, 1, 2] and "W" in df.columns


def test_jackson_errors():
    with pytest.raises(UnstableError, match="rho"):
        th.jackson([1.0], [[0.5]], [1.5])
    with pytest.raises(ValueError, match="routing"):
        th.jackson([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]], [5.0, 5.0])  # nobody ever leaves
    with pytest.raises(ValueError, match=r"routing\[0\]"):
        th.jackson([1.0], [[1.2]], [5.0])
    with pytest.raises(ValueError, match="mu"):
        th.jackson([1.0], [[0.0]], [0.0])


# --------------------------------------------------------------------------------------------
# input validation and result objects
# --------------------------------------------------------------------------------------------
BAD_CALLS = [
    (lambda: th.mm1(-1, 1), "lam", "> 0"),
    (lambda: th.mm1(0, 1), "lam", "> 0"),
    (lambda: th.mm1(1, 0), "mu", "> 0"),
    (lambda: th.mm1(float("nan"), 1), "lam", "> 0"),
    (lambda: th.mmc(1, 1, 0), "c", ">= 1"),
    (lambda: th.mmc(1, 1, 2.5), "c", ">= 1"),
    (lambda: th.mm1k(1, 1, 0), "K", ">= 1"),
    (lambda: th.mmck(1, 1, 3, 2), "K", ">= c"),
    (lambda: th.mmck_drop_head(1, 1, 3, 2), "K", ">= c"),
    (lambda: th.erlang_b(0, 1), "c", ">= 1"),
    (lambda: th.erlang_b(3, -1), "a", "> 0"),
    (lambda: th.erlang_c(3, 0), "a", "> 0"),
    (lambda: th.mg1(0.5, 1, -0.1), "scv", ">= 0"),
    (lambda: th.mg1(0.5, 0, 1), "mean", "> 0"),
    (lambda: th.md1(0.5, -1), "d", "> 0"),
    (lambda: th.kingman(0.5, -1, 1, 1), "ca2", ">= 0"),
    (lambda: th.kingman(0.5, 1, 1, -1), "cs2", ">= 0"),
    (lambda: th.allen_cunneen(0.5, 1, 1, 1, 0), "c", ">= 1"),
    (lambda: th.np_priority_mg1([(0.3, 1, 0.5)]), "second_moment", ">= mean^2"),
    (lambda: th.np_priority_mg1([(-0.3, 1, 2)]), "lam", "> 0"),
    (lambda: th.np_priority_mmc([0.3], 1, 0), "c", ">= 1"),
    (lambda: th.mm1(3, 5).wait_quantile(1.0), "p", "[0, 1)"),
    (lambda: th.mmc(2, 1, 3).sojourn_tail(-1), "t", ">= 0"),
    (lambda: th.little_L(-1, 1), "lam", "> 0"),
    (lambda: th.utilisation(1, 1, c=0), "c", ">= 1"),
    (lambda: th.gi_m1(Deterministic(1.0), -1), "mu", "> 0"),
]


@pytest.mark.parametrize("call, arg, rng", BAD_CALLS)
def test_bad_inputs_name_argument_and_range(call, arg, rng):
    with pytest.raises(ValueError) as e:
        call()
    assert not isinstance(e.value, UnstableError)
    msg = str(e.value)
    assert arg in msg and rng in msg


def test_queue_metrics_object():
    m = th.mmc(2.4, 1, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.L = 0  # type: ignore[misc]
    d = m.to_dict()
    for k in ("model", "formula", "rho", "L", "Lq", "W", "Wq", "throughput", "P_wait", "loss"):
        assert k in d
    assert d["busy_servers"] == pytest.approx(2.4)
    s = m.to_series()
    assert s["Wq"] == pytest.approx(1.078651685) and s.name == "M/M/3"
    f = th.mmck(1.8, 1, 2, 10).to_dict()
    assert "probs" not in f and f["K"] == 10
    assert issubclass(UnstableError, ValueError)


def test_import_is_light():
    """mqsim.theory itself pulls in neither pandas nor scipy (whatever the package root imports)."""
    code = ("import sys, mqsim; before = set(sys.modules); import mqsim.theory as t; t.mmc(2.4, 1, 3); "
            "t.mmck(2, 1, 2, 5); new = set(sys.modules) - before; "
            "print(any(m.split('.')[0] in ('pandas', 'scipy') for m in new))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


# --------------------------------------------------------------------------------------------
# for_scenario
# --------------------------------------------------------------------------------------------
def _no_negatives(pred):
    ms = [pred.metrics] if pred.metrics is not None else []
    ms += list((pred.by_priority or {}).values())
    for m in ms:
        for k, v in m.to_dict().items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert not v < 0, (k, v)


def _sc(producers, count=1, service=None, prefetch=1, **queue):
    return Scenario(producers=producers, queue=Queue(**queue),
                    consumers=Consumers(count=count, service=service or Exponential(mean=1.0),
                                        prefetch=prefetch))


def test_for_scenario_mmc():
    p = th.for_scenario(_sc([Producer("a", rate=1.2), Producer("b", rate=1.2)], count=3))
    assert p.applies and p.exact and p.stable
    assert p.model == "M/M/3" and p.formula == "Erlang C"
    assert close(p.metrics.Wq, 1.078651685) and close(p.rho, 0.8)
    assert "Poisson" in p.reason and "prefetch 1" in p.reason
    _no_negatives(p)
    df = p.to_frame()
    assert df.loc["all", "Wq"] == pytest.approx(1.078651685)


def test_for_scenario_unstable():
    p = th.for_scenario(_sc([Producer("a", rate=3.6)], count=3))
    assert p.applies and not p.stable and p.metrics is None
    assert "rho" in p.reason and "1.2" in p.reason
    assert p.model == "M/M/3"
    assert p.to_frame().loc["all", "stable"] == False  # noqa: E712


@pytest.mark.parametrize("overflow", ["reject-publish", "drop-head"])
def test_for_scenario_finite_queue(overflow):
    p = th.for_scenario(_sc([Producer("a", rate=0.9)], max_length=5, overflow=overflow))
    assert p.applies and p.exact and p.stable and p.model == "M/M/1/6"
    assert close(p.metrics.loss, 0.1018665597)  # same loss for both policies
    ref = 2.194782301 if overflow == "reject-publish" else 1.802038
    assert p.metrics.Wq == pytest.approx(ref, abs=5e-7)
    assert "K = 5 + 1 in flight = 6" in p.reason
    if overflow == "drop-head":
        assert "drop-head" in p.reason and "delivered" in p.reason


def test_for_scenario_finite_queue_overloaded_and_multi_consumer():
    p = th.for_scenario(_sc([Producer("a", rate=2.4)], count=2, max_length=8, overflow="reject-publish"))
    assert p.stable and p.model == "M/M/2/10" and close(p.metrics.loss, 0.1956288956)


def test_for_scenario_general_service():
    p = th.for_scenario(_sc([Producer("a", rate=0.8)], service=Deterministic(1.0)))
    assert p.model == "M/D/1" and p.exact and close(p.metrics.Wq, 2)
    h = HyperExponential.balanced(1.0, 4.0)
    p = th.for_scenario(_sc([Producer("a", rate=0.8)], service=h))
    assert p.model == "M/G/1" and p.exact and close(p.metrics.Wq, 10, 1e-9)
    p = th.for_scenario(_sc([Producer("a", rate=2.4)], count=3, service=Deterministic(1.0)))
    assert not p.exact and "Allen–Cunneen" in p.formula and close(p.metrics.Wq, 0.5393258427)
    p = th.for_scenario(_sc([Producer("a", rate=0.8)], service=Uniform(0.5, 1.5), max_length=4))
    assert not p.applies and "M/G/1/K" in p.reason and "no closed form" in p.reason


def test_for_scenario_service_mixture():
    sc = Scenario(producers=[Producer("a", rate=0.3), Producer("b", rate=0.5, service=Exponential(mean=0.5))],
                  consumers=Consumers(count=1, service=Exponential(mean=1.0)))
    p = th.for_scenario(sc)
    es = (0.3 * 1 + 0.5 * 0.5) / 0.8
    es2 = (0.3 * 2 + 0.5 * 0.5) / 0.8
    assert p.model == "M/G/1" and p.exact
    assert close(p.metrics.Wq, 0.8 * es2 / (2 * (1 - 0.8 * es)), 1e-12)
    sc3 = Scenario(producers=sc.producers, consumers=Consumers(count=3, service=Exponential(mean=1.0)))
    assert not th.for_scenario(sc3).exact


def test_for_scenario_erlang_b_insensitive():
    p = th.for_scenario(_sc([Producer("a", rate=2.0)], count=3, service=Uniform(0.5, 1.5), max_length=0))
    assert p.exact and p.formula == "Erlang B" and close(p.metrics.loss, 4 / 19)


def test_for_scenario_priorities():
    prods = [Producer("hi", rate=0.3, priority=5), Producer("lo", rate=0.5)]
    p = th.for_scenario(_sc(prods, max_priority=10))
    assert p.exact and p.stable and set(p.by_priority) == {5, 0}
    assert close(p.by_priority[5].Wq, 1.142857143) and close(p.by_priority[0].Wq, 5.714285714)
    assert close(p.metrics.Wq, 4.0)
    df = p.to_frame()
    assert list(df.index) == ["priority 5", "priority 0", "all"]
    # without max_priority the queue is FIFO whatever the messages say
    f = th.for_scenario(_sc(prods))
    assert f.by_priority is None and f.model == "M/M/1" and "ignored" in f.reason
    # clipping: 9 and 7 both clip to 3 -> one level
    clip = th.for_scenario(_sc([Producer("a", rate=0.3, priority=9), Producer("b", rate=0.5, priority=7)],
                               max_priority=3))
    assert clip.by_priority is None and clip.model == "M/M/1"
    # M/M/c with a common rate
    mm = th.for_scenario(_sc([Producer("hi", rate=0.6, priority=5), Producer("lo", rate=1.8)], count=3,
                             max_priority=10))
    assert mm.exact and close(mm.by_priority[5].Wq, 0.2696629213) and close(mm.by_priority[0].Wq, 1.348314607)
    # priority mix on one producer
    mix = th.for_scenario(_sc([Producer("a", rate=0.8, priority={5: 0.375, 0: 0.625})], max_priority=10))
    assert close(mix.by_priority[5].Wq, 1.142857143)


def test_for_scenario_priority_lower_class_unstable():
    p = th.for_scenario(_sc([Producer("hi", rate=5, priority=1), Producer("lo", rate=5)],
                            service=Exponential(mean=0.1), max_priority=2))
    assert p.applies and not p.stable and p.metrics is None
    assert p.by_priority[1].stable and close(p.by_priority[1].Wq, 0.2)
    assert not p.by_priority[0].stable and "rho" in p.reason


def test_for_scenario_priority_not_applicable():
    prods = [Producer("hi", rate=0.6, priority=5), Producer("lo", rate=1.8, service=Exponential(mean=0.5))]
    p = th.for_scenario(_sc(prods, count=3, max_priority=10))
    assert not p.applies and "common" in p.reason
    p = th.for_scenario(_sc([Producer("hi", rate=0.3, priority=5), Producer("lo", rate=0.5)],
                            max_priority=10, max_length=5))
    assert not p.applies and "max_length" in p.reason


def test_for_scenario_prefetch():
    many = th.for_scenario(_sc([Producer("a", rate=2.4)], count=3, prefetch=10))
    assert not many.applies and "prefetch" in many.reason and many.metrics is None
    rr = th.for_scenario(_sc([Producer("a", rate=2.4)], count=3, prefetch=0))
    assert rr.applies and rr.exact and close(rr.metrics.Wq, 2.459422848)
    assert "round-robin" in rr.reason and "E3/M/1" in rr.model
    one = th.for_scenario(_sc([Producer("a", rate=0.8)], prefetch=0, max_length=3))
    assert one.model == "M/M/1" and close(one.metrics.Wq, 4.0) and "never" in one.reason
    buf = th.for_scenario(_sc([Producer("a", rate=0.9)], prefetch=3, max_length=3,
                              overflow="reject-publish"))
    assert buf.model == "M/M/1/6" and buf.exact and close(buf.metrics.loss, 0.1018665597)
    dh = th.for_scenario(_sc([Producer("a", rate=0.9)], prefetch=3, max_length=3))
    assert dh.applies and not dh.exact and close(dh.metrics.loss, 0.1018665597)
    pr = th.for_scenario(_sc([Producer("hi", rate=0.3, priority=5), Producer("lo", rate=0.5)],
                             prefetch=2, max_priority=10))
    assert not pr.applies and "prefetch" in pr.reason


def test_for_scenario_non_poisson():
    p = th.for_scenario(_sc([Producer("a", interarrival=Erlang(2, mean=1.25))]))
    assert p.exact and p.model == "GI/M/1" and close(p.metrics.Wq, 2.843979767)
    p = th.for_scenario(_sc([Producer("a", interarrival=Erlang(2, mean=1.25))], service=Deterministic(1.0)))
    assert not p.exact and "Kingman's (1961)" in p.formula and close(p.metrics.Wq, 0.8 / 0.2 * 0.25)
    p = th.for_scenario(_sc([Producer("a", interarrival=Deterministic(1 / 2.4))], count=3))
    assert not p.exact and "Allen–Cunneen" in p.formula
    assert close(p.metrics.Wq, th.allen_cunneen(2.4, 0, 1, 1, 3).Wq, 1e-12)
    two = th.for_scenario(_sc([Producer("a", interarrival=Deterministic(2.5)), Producer("b", rate=0.4)]))
    assert not two.exact and "superposition" in two.reason
    assert close(two.metrics.Wq, th.kingman(0.8, 0.5, 1.0, 1.0).Wq, 1e-12)
    fin = th.for_scenario(_sc([Producer("a", interarrival=Erlang(2, mean=1.25))], max_length=3))
    assert not fin.applies and "non-Poisson" in fin.reason
    un = th.for_scenario(_sc([Producer("a", interarrival=LogNormal(mean=0.9, scv=2.0))]))
    assert un.applies and not un.stable and "rho" in un.reason


SCENARIOS = [
    _sc([Producer("a", rate=0.5)]),
    _sc([Producer("a", rate=4.0)], count=5, service=Exponential(mean=1.0), max_length=2),
    _sc([Producer("a", rate=40.0, priority=5), Producer("b", interarrival=Erlang(2, mean=0.1))],
        count=3, service=Exponential(mean=0.02), max_priority=10),
    _sc([Producer("a", rate=10.0)], count=2, service=LogNormal(mean=0.15, scv=3.0)),
    _sc([Producer("a", rate=10.0)], count=2, service=LogNormal(mean=0.15, scv=3.0), prefetch=0),
    _sc([Producer("a", rate=10.0, priority={1: 0.5, 2: 0.5})], service=Uniform(0.01, 0.1), max_priority=2),
]


@pytest.mark.parametrize("sc", SCENARIOS)
def test_for_scenario_never_negative_and_frames(sc):
    p = th.for_scenario(sc)
    _no_negatives(p)
    assert p.reason
    df = p.to_frame()
    assert len(df) >= 1
    if p.applies and p.stable:
        assert p.metrics is not None and p.metrics.W >= p.metrics.Wq >= 0
