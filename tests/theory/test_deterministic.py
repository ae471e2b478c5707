"""Exact M/D/c (Crommelin) against Pollaczek–Khinchine for c = 1, the closed forms of p_0 and
p_1 for M/D/1, and an independent power iteration of the embedded chain for c > 1."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.theory import md_c_exact


def _power_iteration(lam, d, c, n=400, sweeps=20_000):
    """Stationary law of N(t + d) = max(N(t) - c, 0) + Poisson(lam d) by repeated convolution."""
    a = lam * d
    k = np.arange(n)
    pk = np.exp(-a + k * math.log(a) - np.array([math.lgamma(i + 1) for i in k]))
    p = np.zeros(n)
    p[0] = 1.0
    for _ in range(sweeps):
        base = np.zeros(n)
        base[0] = p[: c + 1].sum()
        base[1: n - c] = p[c + 1:]
        new = np.convolve(base, pk)[:n]
        new /= new.sum()
        if np.abs(new - p).max() < 1e-15:
            break
        p = new
    return p


def test_md1_is_pollaczek_khinchine_with_crommelin_state_probabilities():
    one = md_c_exact(0.8, 1.0, 1)
    assert one.Wq == pytest.approx(mq.theory.md1(0.8, 1.0).Wq, rel=1e-9)
    p = one.extras["probs"]
    assert p[0] == pytest.approx(0.2, rel=1e-9)  # 1 - rho
    assert p[1] == pytest.approx(0.2 * (math.exp(0.8) - 1), rel=1e-9)  # (1 - rho)(e^rho - 1)
    assert one.L == pytest.approx(0.8 + one.Lq, rel=1e-12)
    assert md_c_exact(0.95, 1.0, 1).Wq == pytest.approx(mq.theory.md1(0.95, 1.0).Wq, rel=1e-8)


@pytest.mark.parametrize("lam,d,c", [(2.4, 1.0, 3), (4.5, 1.0, 5), (1.0, 0.5, 2)])
def test_mdc_against_power_iteration(lam, d, c):
    m = md_c_exact(lam, d, c)
    p = _power_iteration(lam, d, c)
    lq = float(np.sum(np.clip(np.arange(p.size) - c, 0, None) * p))
    assert m.Lq == pytest.approx(lq, rel=1e-8) and m.Wq == pytest.approx(lq / lam, rel=1e-8)
    assert m.P_wait == pytest.approx(float(p[c:].sum()), rel=1e-8)
    assert np.allclose(m.extras["probs"][:10], p[:10], rtol=1e-7, atol=1e-14)


def test_mdc_scales_with_d_and_refuses_overload():
    assert md_c_exact(2.4, 1.0, 3).Wq == pytest.approx(0.5539002252, rel=1e-8)
    assert md_c_exact(4.8, 0.5, 3).Wq == pytest.approx(0.5539002252 / 2, rel=1e-8)
    with pytest.raises(mq.theory.UnstableError, match="lam\\*d/c"):
        md_c_exact(3.0, 1.0, 3)
    with pytest.raises(ValueError, match="md_c_exact.d"):
        md_c_exact(1.0, 0.0, 3)
