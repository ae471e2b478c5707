"""M^X/M/1 with a constant batch against M/M/1 (batch 1) and the bulk-input formula of Gross &
Harris, L = rho (E[X] + E[X^2]) / (2 E[X] (1 - rho)), computed here from the batch moments."""

from __future__ import annotations

import pytest

import mqsim as mq
from mqsim.theory import batch_wait


@pytest.mark.parametrize("lam,k,mu", [(0.8, 1, 1.0), (0.8, 5, 1.0), (0.5, 3, 2.0), (2.7, 10, 3.0)])
def test_batch_wait_is_the_bulk_input_formula(lam, k, mu):
    m = batch_wait(lam, k, mu)
    rho = lam / mu
    ex, ex2 = k, k * k
    L = rho * (ex + ex2) / (2 * ex * (1 - rho))
    assert m.L == pytest.approx(L, rel=1e-12)
    assert m.W == pytest.approx(L / lam, rel=1e-12) and m.Wq == pytest.approx(L / lam - 1 / mu, rel=1e-12)
    assert m.rho == pytest.approx(rho) and m.extras["batch"] == k


def test_batch_one_is_mm1_and_errors_name_the_field():
    assert batch_wait(0.8, 1, 1.0).Wq == pytest.approx(mq.theory.mm1(0.8, 1.0).Wq, rel=1e-12)
    assert batch_wait(0.8, 5, 1.0).Wq == pytest.approx(14.0)
    with pytest.raises(ValueError, match="batch_wait.batch"):
        batch_wait(0.8, 0, 1.0)
    with pytest.raises(mq.theory.UnstableError):
        batch_wait(1.2, 2, 1.0)
