"""The viz tests draw off screen (Agg) and close every figure after each test; two seeded runs
they share (M/M/1 and M/M/3)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import mqsim as mq  # noqa: E402
from tests.viz.helpers import one_queue  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mm1_run() -> mq.Result:
    """M/M/1 at rho = 0.6 (lam 3/s, mu 5/s), 3,000 s after 200 s of warm-up, seed 11."""
    return mq.simulate(one_queue(3.0, mu=5.0), horizon=3_000, warmup=200, seed=11)


@pytest.fixture(scope="module")
def mm3_run() -> mq.Result:
    """M/M/3 at rho = 0.8 (lam 2.4/s, mu 1/s), 3,000 s after 300 s of warm-up, seed 12."""
    return mq.simulate(one_queue(2.4, c=3), horizon=3_000, warmup=300, seed=12)
