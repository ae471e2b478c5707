"""Priority queues: Cobham's non-preemptive M/G/1 and M/M/c, preemptive resume.

Each formula is checked against the worked values of tests/data/worked_values.csv (the literature
each comes from is cited there) and against an independent computation."""

from __future__ import annotations

import math


from mqsim import theory as th
from tests.theory.oracles import close
from tests.worked_values import agrees


# --------------------------------------------------------------------------------------------
# priority: Cobham (1954), Kleinrock (1976), Buzen & Bondi (1983)
# --------------------------------------------------------------------------------------------
def test_cobham_worked_values():
    r = th.np_priority_mg1([(0.3, 1, 2), (0.5, 1, 2)])
    assert all(agrees(x.extras["W0"], "np_prio_mg1.W0") for x in r)
    assert agrees(r[0].Wq, "np_prio_mg1.Wq_class1") and agrees(r[1].Wq, "np_prio_mg1.Wq_class2")
    assert close((0.3 * r[0].Wq + 0.5 * r[1].Wq) / 0.8, th.mm1(0.8, 1).Wq)  # FCFS M/M/1
    d = th.np_priority_mg1([(0.3, 1, 1), (0.5, 1, 1)])
    assert agrees(d[0].Wq, "np_prio_md1.Wq_class1") and agrees(d[1].Wq, "np_prio_md1.Wq_class2")
    three = th.np_priority_mg1([(0.2, 1, 2), (0.3, 1, 2), (0.3, 1, 2)])
    assert all(agrees(x.Wq, f"np_prio_mm1_3cls.Wq_class{i}") for i, x in enumerate(three, 1))
    assert all(x.formula.startswith("Cobham") for x in r)


def test_cobham_conservation_law_and_single_class():
    cl = [(0.2, 0.5, 0.5), (0.3, 1.5, 3.0), (0.1, 1.0, 1.0)]
    r = th.np_priority_mg1(cl)
    rho = sum(lam * m for lam, m, _ in cl)
    W0 = sum(lam * s2 / 2 for lam, _, s2 in cl)
    assert close(sum(lam * m * x.Wq for (lam, m, _), x in zip(cl, r)), rho * W0 / (1 - rho), 1e-12)
    rev = th.np_priority_mg1(cl[::-1])
    assert close(sum(lam * m * x.Wq for (lam, m, _), x in zip(cl[::-1], rev)), rho * W0 / (1 - rho), 1e-12)
    one = th.np_priority_mg1([(0.7, 1.0, 3.0)])[0]
    pk = th.mg1(0.7, 1.0, 2.0)
    for f in ("L", "Lq", "W", "Wq"):
        assert close(getattr(one, f), getattr(pk, f), 1e-12)


def test_cobham_ciw_example_lower_class_unstable():
    r = th.np_priority_mg1([(5, 0.1, 0.02), (5, 0.1, 0.02)])
    assert r[0].stable and agrees(r[0].Wq, "np_prio_ciw_example.Wq_class0")
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
    assert agrees(r[0].P_wait, "mmc_2.4_1_3.C")
    assert agrees(r[0].Wq, "np_prio_mmc_3.Wq_class1") and agrees(r[1].Wq, "np_prio_mmc_3.Wq_class2")
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
    assert agrees(r[0].W, "pr_prio_mg1.W_class1") and agrees(r[1].W, "pr_prio_mg1.W_class2")
    assert close(r[0].W, th.mm1(0.3, 1).W, 1e-12)  # highest class sees only itself
    assert close(0.3 * r[0].W + 0.5 * r[1].W, th.mm1(0.8, 1).L, 1e-12)
    u = th.pr_priority_mg1([(0.3, 0.5, 0.5), (0.5, 1.5, 4.5)])
    assert agrees(u[0].W, "pr_prio_mg1_unequal.W_class1") and agrees(u[1].W, "pr_prio_mg1_unequal.W_class2")
    top = th.pr_priority_mg1([(0.4, 1.2, 2.5), (0.1, 3.0, 9.0)])[0]
    own = th.mg1(0.4, 1.2, 2.5 / 1.44 - 1)
    assert close(top.W, own.W, 1e-12) and close(top.Wq, own.Wq, 1e-12)
    low = th.pr_priority_mg1([(0.5, 1, 2), (0.6, 1, 2)])
    assert low[0].stable and not low[1].stable


def test_preemptive_priority_mmc():
    r = th.pr_priority_mmc([0.6, 1.8], 1, 3)
    assert agrees(r[0].W, "pr_prio_mmc_3.W_class1") and agrees(r[1].W, "pr_prio_mmc_3.W_class2")
    assert close(r[0].W, th.mmc(0.6, 1, 3).W, 1e-12)
    assert close(0.6 * r[0].W + 1.8 * r[1].W, th.mmc(2.4, 1, 3).L, 1e-12)


