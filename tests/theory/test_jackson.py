"""Open Jackson networks: tandem (Burke), Bernoulli feedback, the cafe network.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import pytest

from mqsim import theory as th
from mqsim.theory import UnstableError
from tests.theory.oracles import close


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


