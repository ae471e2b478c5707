"""Little's law and the operational laws.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import pytest

from mqsim import theory as th
from tests.theory.oracles import close


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


