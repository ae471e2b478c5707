"""Scenario model, distributions and configuration: values, round trips and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim import dist

YAML = """
name: shop
producers:
  - name: orders
    rate: 40
    priority: 5
  - name: audit
    interarrival: {dist: erlang, k: 2, mean: 0.1}
    priority: {1: 0.8, 9: 0.2}
queue: {max_priority: 10, max_length: 100, overflow: reject-publish}
consumers:
  count: 3
  service: {dist: exponential, mean: 0.02}
  prefetch: 1
  service_by: {audit: {dist: lognormal, mean: 0.03, scv: 2}}
"""


def test_yaml_round_trip_and_derived_quantities():
    sc = mq.loads_yaml(YAML)
    assert sc.name == "shop" and sc.consumers.count == 3
    assert sc.arrival_rate == pytest.approx(50.0)
    assert sc.producers[1].priority_probs() == pytest.approx({1: 0.8, 9: 0.2})
    assert sc.service_for(1, 1).mean == pytest.approx(0.03)
    assert sc.mean_service == pytest.approx((40 * 0.02 + 10 * 0.03) / 50)
    assert mq.loads_yaml(sc.to_yaml()) == sc
    assert mq.scenario_from_dict(sc.to_dict()) == sc
    assert sc.with_value("consumers.count", 5).consumers.count == 5
    assert sc.with_value("producers[0].rate", 10).arrival_rate == pytest.approx(20.0)


@pytest.mark.parametrize("d,m,scv", [
    (dist.Exponential(mean=2.0), 2.0, 1.0),
    (dist.Exponential(rate=4.0), 0.25, 1.0),
    (dist.Deterministic(0.3), 0.3, 0.0),
    (dist.Uniform(1.0, 3.0), 2.0, (4 / 12) / 4),
    (dist.Erlang(k=4, mean=1.0), 1.0, 0.25),
    (dist.Gamma(shape=0.5, mean=2.0), 2.0, 2.0),
    (dist.LogNormal(mean=1.5, scv=3.0), 1.5, 3.0),
    (dist.HyperExponential.balanced(1.0, 4.0), 1.0, 4.0),
    (dist.HyperExponential(probs=[0.3, 0.7], means=[2.0, 0.5]), 0.95, (2 * (0.3 * 4 + 0.7 * 0.25)) / 0.95**2 - 1),
    (dist.Empirical([1.0, 2.0, 3.0, 6.0]), 3.0, 3.5 / 9),
])
def test_distribution_moments_exact_and_sampled(d, m, scv):
    assert d.mean == pytest.approx(m, rel=1e-12)
    assert d.scv == pytest.approx(scv, rel=1e-12)
    x = d.sample(np.random.default_rng(0), 400_000)
    assert x.shape == (400_000,) and (x >= 0).all()
    # sample mean within 5 standard errors of the exact mean (seeded, so deterministic)
    se = np.sqrt(d.var / x.size)
    assert abs(x.mean() - m) <= 5 * se + 1e-12


def test_empirical_from_csv(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("service\n0.5\n1.5\n")
    assert dist.Empirical.from_csv(f).mean == pytest.approx(1.0)


@pytest.mark.parametrize("build,field", [
    (lambda: mq.Producer("p", rate=-1), "rate"),
    (lambda: mq.Producer("p", rate=0), "rate"),
    (lambda: mq.Producer("p"), "rate"),
    (lambda: mq.Producer("p", rate=1, priority=300), "priority"),
    (lambda: mq.Producer("p", rate=1, priority=-1), "priority"),
    (lambda: mq.Queue(overflow="drop-tail"), "queue.overflow"),
    (lambda: mq.Queue(max_priority=0), "queue.max_priority"),
    (lambda: mq.Queue(max_priority=256), "queue.max_priority"),
    (lambda: mq.Queue(max_length=-1), "queue.max_length"),
    (lambda: mq.Consumers(count=0), "consumers.count"),
    (lambda: mq.Consumers(count=2.5), "consumers.count"),
    (lambda: mq.Consumers(prefetch=-1), "consumers.prefetch"),
    (lambda: mq.Consumers(service={"dist": "exponential", "mean": -2}), "consumers.service"),
    (lambda: mq.Consumers(service={"dist": "weibull", "mean": 1}), "consumers.service"),
    (lambda: dist.Exponential(mean=-1), "mean"),
    (lambda: dist.Uniform(2, 1), "high"),
    (lambda: dist.LogNormal(mean=1, scv=-1), "scv"),
    (lambda: dist.Erlang(k=0, mean=1), "k"),
    (lambda: dist.Empirical([]), "samples"),
    (lambda: mq.Scenario(producers=[]), "producers"),
    (lambda: mq.Scenario(producers=[mq.Producer("a", rate=1), mq.Producer("a", rate=2)]), "names"),
])
def test_bad_input_names_the_field(build, field):
    with pytest.raises(ValueError, match=field):
        build()


@pytest.mark.parametrize("text,needle", [
    ("producers: [{name: a, rate: 1}]\nqueue: {overflow: drop-tail}\n", "queue.overflow"),
    ("producers: [{name: a, rate: 1, colour: red}]\n", "producers[0].colour: unknown field"),
    ("producers: [{name: a, rate: 1}]\nconsumers: {count: 2, servce: 1}\n", "consumers.servce: unknown field"),
    ("producers: [{name: a, rate: -3}]\n", "rate"),
    ("producers: [{name: a, rate: 1}\nqueue: {", "line"),
    ("just a string", "mapping"),
    ("queue: {}\n", "producers"),
])
def test_bad_yaml_gives_one_clear_error(text, needle):
    with pytest.raises(ValueError) as e:
        mq.loads_yaml(text)
    assert needle in str(e.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        mq.load_yaml(str(tmp_path / "nope.yaml"))


def test_nack_plus_reject_at_least_one_is_refused_when_the_scenario_is_built():
    with pytest.raises(ValueError, match=r"consumers.nack \+ consumers.reject: must be < 1 for producer 'p'"):
        mq.Scenario(producers=[mq.Producer("p", rate=1)], consumers=mq.Consumers(nack={"p": 0.6}, reject=0.5))
