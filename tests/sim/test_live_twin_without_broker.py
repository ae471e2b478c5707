"""The live twin's pure parts, without a broker: the plan is the simulator's path, the topology
declares the scenario's own arguments, restarts and the dispatch overhead in the simulator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mqsim as mq
from mqsim.model.dist import Deterministic
from mqsim.sim.fast import available as fast_engine_available
from mqsim.sim.live.broker import check_loopback_url
from mqsim.sim.live.plan import make_plan, restart_schedule
from mqsim.sim.live.topology import Topology, check_live_scenario


def _mm3(**cons) -> mq.Scenario:
    return mq.Scenario(producers=[mq.Producer("a", rate=40, priority={1: 0.5, 5: 0.5})],
                       queue=mq.Queue(max_priority=10),
                       consumers=mq.Consumers(count=3, service=mq.dist.Exponential(mean=0.06), **cons))


def test_plan_is_the_simulators_sample_path():
    sc = _mm3(nack=0.1)
    plan = make_plan(sc, 7, 30.0)
    sim = mq.simulate(sc, horizon=30.0, seed=7)
    a = sim.arrays
    assert np.array_equal(plan.t_publish, a["t_publish"]) and np.array_equal(plan.priority, a["priority"])
    firsts = [plan.requirement(0, m, 1) for m in range(plan.n) if (0, m) in plan.requirements]
    assert len(firsts) == int((a["deliveries"] > 0).sum()) and plan.fallbacks == 0
    nacks = sum(v.count(1) for v in plan.verdicts.values())
    assert nacks == int((a["deliveries"] - 1).clip(0).sum())  # every requeue is one redelivery


def test_fallback_draws_are_deterministic_per_message():
    sc = _mm3(nack=0.3)
    p1, p2 = make_plan(sc, 3, 5.0), make_plan(sc, 3, 5.0)
    assert p1.requirement(0, 0, 99) == p2.requirement(0, 0, 99) and p1.fallbacks == 1


def test_restart_schedule_is_the_simulators():
    sc = mq.Scenario(producers=[mq.Producer("a", rate=5)], restarts={"times": [3.0, 4.0], "every":
                     {"dist": "exponential", "mean": 20.0}, "downtime": {"dist": "exponential", "mean": 2.0}})
    sim = mq.Simulation(sc, seed=4)
    res = sim.run(horizon=200)
    sched = restart_schedule(sc, 4, 200)
    assert sched and all(b >= d for d, b in sched)
    lost = res.messages[res.messages["cause"] == "restart"]
    assert (lost["t_done"].isin([d for d, _ in sched])).all()
    refused = res.messages[res.messages["cause"] == "broker-down"]["t_publish"]
    assert all(any(d <= t < b for d, b in sched) for t in refused)


def test_topology_declares_the_scenarios_arguments():
    sc = mq.Scenario(producers=[mq.Producer("a", rate=1, ttl=2.0)],
                     queue=mq.Queue(max_length=5, overflow="reject-publish", ttl=1.5, delivery_limit=3,
                                    dead_letter="dlq"),
                     stages=[mq.Stage("dlq")])
    topo = Topology(sc, "abcd", time_scale=2.0)
    args = topo.arguments(0)
    assert args["x-queue-type"] == "quorum" and args["x-delivery-limit"] == 2  # RabbitMQ counts returns
    assert args["x-max-length"] == 5 and args["x-overflow"] == "reject-publish"
    assert args["x-message-ttl"] == 750 and topo.expiration(0) == "1000"  # scaled to real ms
    assert topo.durable(0) and topo.sources(1) == [0]


@pytest.mark.parametrize("bad,msg", [
    (mq.KafkaScenario.from_dict({"producers": [{"rate": 1}], "topic": {"partitions": 2}, "group": {"count": 1}}),
     "simulation-only"),
    (mq.Scenario(producers=[mq.Producer("a", rate=1)], consumers=mq.Consumers(requeue="tail")), "requeue"),
    (mq.Scenario(producers=[mq.Producer("a", rate=1)], queue=mq.Queue(max_priority=5, delivery_limit=2)),
     "max_priority"),
])
def test_scenarios_the_broker_cannot_play_are_refused_clearly(bad, msg):
    with pytest.raises(ValueError, match=msg):
        check_live_scenario(bad)


@pytest.mark.parametrize("url", ["amqp://10.0.0.1:5672", "amqp://example.com", "http://127.0.0.1:5672", 5])
def test_only_loopback_amqp_urls(url):
    with pytest.raises(ValueError, match="url"):
        check_loopback_url(url)
    assert check_loopback_url("amqp://guest:guest@127.0.0.1:5672/%2F")


def test_model_fields_validate_and_round_trip():
    with pytest.raises(ValueError, match="queue.max_priority"):
        mq.Queue(type="quorum", max_priority=3)
    with pytest.raises(ValueError, match="queue.durable"):
        mq.Queue(type="quorum", durable=False)
    with pytest.raises(ValueError, match="consumers.dispatch_overhead"):
        mq.Consumers(dispatch_overhead=-1)
    with pytest.raises(ValueError, match="restarts.times"):
        mq.Restarts(times=[3, 1])
    with pytest.raises(ValueError, match="persistent"):
        mq.Producer("a", rate=1, persistent="yes")
    sc = mq.Scenario(producers=[mq.Producer("a", rate=1, persistent=True)],
                     queue=mq.Queue(durable=True, type="classic"),
                     consumers=mq.Consumers(dispatch_overhead=0.001), restarts={"times": [5], "downtime": 1})
    assert mq.Scenario.from_dict(sc.to_dict()) == sc
    assert mq.load_yaml(sc.to_yaml()) == sc


def test_overhead_shifts_every_start_and_zero_changes_nothing():
    sc = _mm3()
    base = mq.simulate(sc, horizon=50, seed=2)
    same = mq.simulate(sc.with_value("consumers.dispatch_overhead", 0.0), horizon=50, seed=2)
    assert np.array_equal(base.arrays["t_start"], same.arrays["t_start"], equal_nan=True)
    one = mq.simulate(mq.Scenario(producers=[mq.Producer("a", trace={"times": [1.0, 5.0]})],
                                  consumers=mq.Consumers(service=Deterministic(value=0.5), dispatch_overhead=0.01)),
                      horizon=10, seed=1).messages
    assert np.allclose(one["wait"], 0.01)  # an idle consumer starts 10 ms after the publish
    auto = mq.simulate(_mm3(dispatch_overhead=0.001), horizon=5, seed=1, engine="auto")
    assert auto.engine == ("fast" if fast_engine_available() else "simpy")  # the fast engine runs the overhead too


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_client_overhead_separates_services_that_prefetch_would_run_back_to_back(engine):
    """Three messages at t = 0 to one consumer, service 1 s. Prefetch 3: the dispatch overhead is
    hidden after the first start, the client overhead is not. Prefetch 1: the larger one counts."""
    if engine == "fast" and not fast_engine_available():
        pytest.skip("numba not installed")

    def starts(prefetch, dispatch, client):
        sc = mq.Scenario(producers=[mq.Producer("a", trace={"times": [0.0, 0.0, 0.0]})],
                         consumers=mq.Consumers(service=Deterministic(value=1.0), prefetch=prefetch,
                                                dispatch_overhead=dispatch, client_overhead=client))
        return mq.simulate(sc, horizon=20, seed=1, engine=engine).messages["t_start"].tolist()

    assert starts(3, 0.1, 0.0) == pytest.approx([0.1, 1.1, 2.1])
    assert starts(3, 0.1, 0.25) == pytest.approx([0.1, 1.35, 2.6])
    assert starts(1, 0.1, 0.25) == pytest.approx([0.1, 1.35, 2.6])  # max(ack + 0.1, end + 0.25)
    assert starts(1, 0.3, 0.25) == pytest.approx([0.3, 1.6, 2.9])
    assert starts(3, 0.0, 0.25) == pytest.approx([0.0, 1.25, 2.5])
    with pytest.raises(ValueError, match="client_overhead"):
        mq.Consumers(client_overhead=-0.1)


@given(st.lists(st.booleans(), min_size=1, max_size=8), st.booleans(), st.floats(0.0, 2.0))
def test_restart_conserves_messages_and_keeps_exactly_the_persistent_on_a_durable_queue(pers, durable, down):
    prods = [mq.Producer(f"p{i}", trace={"times": [0.1 * (i + 1)]}, persistent=p) for i, p in enumerate(pers)]
    sc = mq.Scenario(producers=prods, queue=mq.Queue(durable=durable),
                     consumers=mq.Consumers(service=Deterministic(value=50.0)),
                     restarts={"times": [2.0], "downtime": down})
    res = mq.simulate(sc, horizon=3.0 + down, seed=1)  # conservation is checked by the engine
    c = res.counts()
    assert c["lost"] == (sum(not p for p in pers) if durable else len(pers))
    assert c["ready"] + c["in_flight"] == (sum(pers) if durable else 0)
