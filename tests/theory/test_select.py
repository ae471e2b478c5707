"""for_scenario: the formula that predicts a scenario, or why none does.

Each formula is checked against worked values and against an independent computation."""

from __future__ import annotations

import pytest

from mqsim import theory as th
from mqsim.dist import (
    Deterministic,
    Erlang,
    Exponential,
    HyperExponential,
    LogNormal,
    Uniform,
)
from mqsim.model.scenario import Consumers, Producer, Queue, Scenario
from tests.theory.oracles import close
from tests.worked_values import agrees


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
    assert agrees(p.metrics.Wq, "mmc_2.4_1_3.Wq") and close(p.rho, 0.8)
    assert "Poisson" in p.reason and "prefetch 1" in p.reason
    _no_negatives(p)
    df = p.to_frame()
    assert agrees(df.loc["all", "Wq"], "mmc_2.4_1_3.Wq")


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
    assert agrees(p.metrics.loss, "overflow_mm1k_0.9_1_6.P_loss")  # same loss for both policies
    assert agrees(p.metrics.Wq, "overflow_mm1k_0.9_1_6.Wq_" + overflow.replace("-", "_"))
    assert "K = 5 + 1 in flight = 6" in p.reason
    if overflow == "drop-head":
        assert "drop-head" in p.reason and "delivered" in p.reason


def test_for_scenario_finite_queue_overloaded_and_multi_consumer():
    p = th.for_scenario(_sc([Producer("a", rate=2.4)], count=2, max_length=8, overflow="reject-publish"))
    assert p.stable and p.model == "M/M/2/10" and agrees(p.metrics.loss, "mmck_2.4_1_2_10.P_block")


def test_for_scenario_general_service():
    p = th.for_scenario(_sc([Producer("a", rate=0.8)], service=Deterministic(1.0)))
    assert p.model == "M/D/1" and p.exact and close(p.metrics.Wq, 2)
    h = HyperExponential.balanced(1.0, 4.0)
    p = th.for_scenario(_sc([Producer("a", rate=0.8)], service=h))
    assert p.model == "M/G/1" and p.exact and close(p.metrics.Wq, 10, 1e-9)
    p = th.for_scenario(_sc([Producer("a", rate=2.4)], count=3, service=Deterministic(1.0)))
    assert not p.exact and "Allen–Cunneen" in p.formula and agrees(p.metrics.Wq, "allen_cunneen.M_D_3")
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
    assert agrees(p.by_priority[5].Wq, "np_prio_mg1.Wq_class1") and agrees(p.by_priority[0].Wq, "np_prio_mg1.Wq_class2")
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
    assert mm.exact and agrees(mm.by_priority[5].Wq, "np_prio_mmc_3.Wq_class1")
    assert agrees(mm.by_priority[0].Wq, "np_prio_mmc_3.Wq_class2")
    # priority mix on one producer
    mix = th.for_scenario(_sc([Producer("a", rate=0.8, priority={5: 0.375, 0: 0.625})], max_priority=10))
    assert agrees(mix.by_priority[5].Wq, "np_prio_mg1.Wq_class1")


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
    assert rr.applies and rr.exact and agrees(rr.metrics.Wq, "dispatch_2.4_1_3.Wq_round_robin")
    assert "round-robin" in rr.reason and "E3/M/1" in rr.model
    one = th.for_scenario(_sc([Producer("a", rate=0.8)], prefetch=0, max_length=3))
    assert one.model == "M/M/1" and close(one.metrics.Wq, 4.0) and "never" in one.reason
    buf = th.for_scenario(_sc([Producer("a", rate=0.9)], prefetch=3, max_length=3,
                              overflow="reject-publish"))
    assert buf.model == "M/M/1/6" and buf.exact and agrees(buf.metrics.loss, "overflow_mm1k_0.9_1_6.P_loss")
    dh = th.for_scenario(_sc([Producer("a", rate=0.9)], prefetch=3, max_length=3))
    assert dh.applies and not dh.exact and agrees(dh.metrics.loss, "overflow_mm1k_0.9_1_6.P_loss")
    pr = th.for_scenario(_sc([Producer("hi", rate=0.3, priority=5), Producer("lo", rate=0.5)],
                             prefetch=2, max_priority=10))
    assert not pr.applies and "prefetch" in pr.reason


def test_for_scenario_non_poisson():
    p = th.for_scenario(_sc([Producer("a", interarrival=Erlang(2, mean=1.25))]))
    assert p.exact and p.model == "GI/M/1" and agrees(p.metrics.Wq, "gim1.E2_M_1_rho0.8.Wq")
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
