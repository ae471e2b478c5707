"""RabbitMQ's own semantics, played along the simulator's sample path: the broker's fate of each
message must be the simulator's on small deterministic cases (priority order, length limits on
classic and quorum queues, TTL and dead-letter reasons, quorum delivery limits)."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim.model.dist import Deterministic

LONG = 30.0  # s: a service that outlasts the run (the consumer holds one message)


def _fates(res: mq.Result) -> list[tuple[str, str]]:
    m = res.messages
    m = m[m["queue"] == "main"] if "queue" in m else m
    return list(zip(m["outcome"].astype(str), m["cause"].astype(str)))


def _burst(n: int, spacing: float = 0.005, **extra) -> dict:
    return {"times": [spacing * (i + 1) for i in range(n)], **extra}


def test_strict_priority_order_of_a_prefilled_queue_at_prefetch_1(broker):
    rng = np.random.default_rng(7)
    n = 300
    prios = rng.integers(0, 10, n).tolist()
    services = [0.6] + [0.002] * (n - 1)  # the first delivery holds the consumer while the rest arrive
    sc = mq.Scenario(producers=[mq.Producer("p", trace={"times": [0.0005 * (i + 1) for i in range(n)],
                                                        "priorities": prios, "services": services})],
                     queue=mq.Queue(max_priority=10), consumers=mq.Consumers(count=1, prefetch=1))
    live = mq.live.run(sc, broker, duration=0.6 + n * 0.01 + 1.0, seed=1)
    m = live.messages.sort_values("t_start")
    order = m["priority"].to_numpy()[1:]  # after the first message, served from a full queue
    assert (np.diff(order) <= 0).all(), "served out of priority order"
    for p in np.unique(order):  # FIFO within a priority level
        ids = m.loc[m["priority"] == p, "id"].to_numpy()
        ids = ids[ids != m["id"].iloc[0]]
        assert (np.diff(ids) > 0).all()
    sim_order = live.sim.messages.sort_values("t_start")["id"].to_numpy()
    assert list(m["sim_id"]) == list(sim_order), "the broker served in another order than the simulator"


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_reject_publish_fates_are_the_simulators(broker, qtype):
    # a quorum queue checks the limit against a state it updates after each enqueue: publishes closer
    # than a few ms apart get past it (measured: 3 over the limit at 5 ms spacing, 1 over at 50 ms);
    # the simulator models the settled case, one over the limit
    spacing = 0.005 if qtype == "classic" else 0.05
    sc = mq.Scenario(producers=[mq.Producer("p", trace=_burst(12, spacing))],
                     queue=mq.Queue(max_length=5, overflow="reject-publish", type=qtype),
                     consumers=mq.Consumers(count=1, service=Deterministic(value=LONG)))
    live = mq.live.run(sc, broker, duration=13 * spacing + 0.2, seed=1)
    assert _fates(live) == _fates(live.sim)
    accepted = 1 + 5 + (qtype == "quorum")  # at the consumer, ready; a quorum queue takes one more
    assert live.counts()["dropped"] == 12 - accepted
    assert (live.messages["fate"] == "nacked").sum() == 12 - accepted  # publisher confirms: basic.nack


@pytest.mark.parametrize("qtype", ["classic", "quorum"])
def test_drop_head_dead_letters_the_oldest_with_reason_maxlen(broker, qtype):
    sc = mq.Scenario(producers=[mq.Producer("p", trace=_burst(12))],
                     queue=mq.Queue(max_length=5, overflow="drop-head", dead_letter="dlq", type=qtype),
                     consumers=mq.Consumers(count=1, service=Deterministic(value=LONG)),
                     stages=[mq.Stage("dlq", consumers=mq.Consumers(count=1, service=Deterministic(value=LONG)))])
    live = mq.live.run(sc, broker, duration=0.5, seed=1)
    assert _fates(live) == _fates(live.sim)
    m = live.messages
    dead = m[(m["queue"] == "main") & (m["outcome"] == "dead_lettered")]
    assert list(dead["id"]) == list(range(1, 7)), "drop-head drops the oldest ready messages"
    assert set(dead["death"]) == {"maxlen"}
    assert (m["queue"] == "dlq").sum() == 6  # the copies reached the dead-letter stage


@pytest.mark.parametrize("where", ["queue", "message"])
def test_ttl_expiry_dead_letters_with_reason_expired_on_time(broker, where):
    ttl = 0.3
    prod = mq.Producer("p", trace=_burst(6), ttl=ttl if where == "message" else None)
    sc = mq.Scenario(producers=[prod], queue=mq.Queue(ttl=ttl if where == "queue" else None, dead_letter="dlq"),
                     consumers=mq.Consumers(count=1, service=Deterministic(value=LONG)),
                     stages=[mq.Stage("dlq", consumers=mq.Consumers(count=1, service=Deterministic(value=0.001)))])
    live = mq.live.run(sc, broker, duration=1.0, seed=1)
    assert _fates(live) == _fates(live.sim)
    m = live.messages
    exp = m[(m["queue"] == "main") & (m["outcome"] == "dead_lettered")]
    assert len(exp) == 5 and set(exp["death"]) == {"expired"} and set(exp["cause"]) == {"expired"}
    late = (exp["t_done"] - exp["t_publish"]).to_numpy()
    assert (late >= ttl - 0.002).all() and (late <= ttl + 0.08).all(), late  # expiry seen 0-80 ms after the TTL


def test_quorum_delivery_limit_redelivery_counts_and_reasons(broker):
    sc = mq.Scenario(producers=[mq.Producer("p", trace=_burst(20, 0.02))],
                     queue=mq.Queue(type="quorum", delivery_limit=3, dead_letter="dlq"),
                     consumers=mq.Consumers(count=2, service=Deterministic(value=0.005), nack=0.6, reject=0.2),
                     stages=[mq.Stage("dlq", consumers=mq.Consumers(count=1, service=Deterministic(value=0.001)))])
    live = mq.live.run(sc, broker, duration=3.0, seed=3)
    assert _fates(live) == _fates(live.sim)
    m, s = live.messages, live.sim.messages
    main = m[m["queue"] == "main"]
    assert list(main["deliveries"]) == list(s.loc[main["sim_id"], "deliveries"])
    reasons = set(main.loc[main["outcome"] == "dead_lettered", "death"])
    assert reasons <= {"delivery_limit", "rejected"} and "delivery_limit" in reasons
    over = main[main["death"] == "delivery_limit"]
    assert (over["deliveries"] == 3).all(), "x-delivery-limit = delivery_limit - 1 allows exactly 3 deliveries"
