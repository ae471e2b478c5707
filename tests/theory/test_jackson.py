"""Open Jackson networks: tandem (Burke), Bernoulli feedback, the cafe network.

Each formula is checked against the worked values of tests/data/worked_values.csv (the literature
each comes from is cited there) and against an independent computation."""

from __future__ import annotations

import pytest

from mqsim import theory as th
from mqsim.theory import UnstableError
from tests.theory.oracles import close
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# Jackson (1957, 1963) networks; Burke (1956)
# --------------------------------------------------------------------------------------------
def test_tandem_burke():
    r = th.tandem(2, [4, 3])
    assert agrees(r.nodes[0].L, "tandem_2_4_3.L1") and agrees(r.nodes[1].L, "tandem_2_4_3.L2")
    assert agrees(r.W, "tandem_2_4_3.T")
    assert close(r.W, th.mm1(2, 4).W + th.mm1(2, 3).W, 1e-12)


def test_bernoulli_feedback():
    r = th.jackson([0.6], [[0.2]], [1.0])
    assert agrees(r.lam[0], "feedback_p0.2.node_rate") and agrees(r.L, "feedback_p0.2.L")
    assert agrees(r.W, "feedback_p0.2.T") and agrees(r.visits[0], "feedback_p0.2.visits")


def test_cafe_network():
    r = th.jackson([0.3, 0.2, 0.0], [[0, 0.3, 0.7], [0, 0, 1], [0, 0, 0]], [1, 0.4, 0.5], [1, 2, 2])
    assert agrees(r.lam[1], "cafe.lam_hot") and agrees(r.lam[2], "cafe.lam_till")
    for node, name in zip(r.nodes, ("cold", "hot", "till")):
        assert agrees(node.W, f"cafe.W_{name}")
    assert agrees(r.L, "cafe.L_total") and agrees(r.W, "cafe.T")
    assert agrees(r.saturation_throughput, "cafe.saturation_throughput") and r.bottleneck == 2
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


