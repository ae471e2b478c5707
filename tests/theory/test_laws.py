"""Little's law and the operational laws.

Each formula is checked against the worked values of tests/data/worked_values.csv (the literature
each comes from is cited there) and against an independent computation."""

from __future__ import annotations

import pytest

from mqsim import theory as th
from tests.theory.oracles import close
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# Little's (1961) law and the operational laws
# --------------------------------------------------------------------------------------------
def test_little_examples():
    assert agrees(th.little_L(2.0, 0.5), "little.L_from_lam2_W0.5")
    assert th.little_W(1.0, 2.0) == 0.5
    assert th.little_lam(1.0, 0.5) == 2.0
    assert agrees(th.little_L(3.644722005, 0.5126130414), "little.mm1k_4_5_5.L_equals_lam_eff_W")


def test_little_on_mm1k_uses_admitted_rate():
    m = th.mm1k(4, 5, 5)
    assert close(m.throughput * m.W, m.L, 1e-12)
    assert agrees(m.throughput, "mm1k_4_5_5.throughput") and agrees(m.W, "mm1k_4_5_5.W") and agrees(m.L, "mm1k_4_5_5.L")
    assert 4 * m.W == pytest.approx(2.050, abs=5e-4)  # the wrong product, lam * W


def test_operational_laws():
    assert agrees(th.utilisation(10, 0.05), "utilisation_law.X10_S0.05")
    assert th.utilisation(6, 0.5, c=3) == pytest.approx(1.0)
    assert agrees(th.saturation_throughput(0.5, 3), "saturation.c3_S0.5.capacity")
    assert agrees(th.backlog_growth_rate(7.0, 0.5, 3), "saturation.c3_S0.5.backlog_growth_at_lam7")
    assert th.backlog_growth_rate(5.0, 0.5, 3) == 0.0
    assert th.offered_load(2.4, 1.0) == 2.4
    # the Ciw café: V = (0.6, 0.58, 1.0), c*mu = (1, 0.8, 1)/min -> X* = 1/min at the till
    x, i = th.bottleneck_throughput([0.6, 0.58, 1.0], [1.0, 2.5, 2.0], [1, 2, 2])
    assert agrees(x, "cafe.bottleneck_throughput") and i == 2


