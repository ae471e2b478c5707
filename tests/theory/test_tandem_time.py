"""The end-to-end density of M/M/1 stages in series against a numerical convolution of the
stages' exponential sojourn densities, its mass and its mean (sum of 1/(mu_i - lam))."""

from __future__ import annotations

import numpy as np
import pytest

from mqsim.theory import tandem_sojourn_pdf


@pytest.mark.parametrize("lam,mu", [(2.0, [4.0, 3.0]), (1.0, [2.0, 3.5, 5.0])])
def test_density_is_the_convolution_of_exponentials(lam, mu):
    f = tandem_sojourn_pdf(lam, mu)
    dt = 1e-3
    t = np.arange(0, 40, dt)
    conv = None
    for m in mu:  # numerical convolution of Exp(mu_i - lam) densities, trapezoidal rule
        g = (m - lam) * np.exp(-(m - lam) * t)
        if conv is None:
            conv = g
        else:
            conv = (np.convolve(conv, g)[: t.size] - 0.5 * (conv[0] * g + g[0] * conv)) * dt
    mid = (t > 0.2) & (t < 6)
    assert np.allclose(f(t[mid]), conv[mid], rtol=1e-4)
    assert np.sum(f(t)) * dt == pytest.approx(1.0, abs=1e-3)
    assert np.sum(t * f(t)) * dt == pytest.approx(sum(1 / (m - lam) for m in mu), rel=1e-3)


def test_errors_name_the_field():
    with pytest.raises(ValueError, match="tandem_sojourn_pdf.mu"):
        tandem_sojourn_pdf(3.0, [4.0, 3.0])
    with pytest.raises(ValueError, match="distinct"):
        tandem_sojourn_pdf(1.0, [3.0, 3.0])
    with pytest.raises(ValueError, match="tandem_sojourn_pdf.lam"):
        tandem_sojourn_pdf(-1.0, [3.0])
