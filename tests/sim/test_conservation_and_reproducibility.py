"""Property tests over random scenarios: conservation, invariants, reproducibility."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import mqsim as mq
from mqsim import dist

means = st.floats(0.05, 2.0)
distributions = st.one_of(
    means.map(lambda m: dist.Exponential(mean=m)),
    means.map(dist.Deterministic),
    st.tuples(means, st.floats(0.01, 1.0)).map(lambda t: dist.Uniform(t[0] * (1 - t[1]), t[0] * (1 + t[1]))),
    st.tuples(st.integers(1, 5), means).map(lambda t: dist.Erlang(k=t[0], mean=t[1])),
    st.tuples(means, st.floats(0.1, 4.0)).map(lambda t: dist.LogNormal(mean=t[0], scv=t[1])),
    st.tuples(means, st.floats(1.1, 5.0)).map(lambda t: dist.HyperExponential.balanced(t[0], t[1])),
)
priorities = st.one_of(st.integers(0, 12),
                       st.dictionaries(st.integers(0, 12), st.floats(0.1, 1.0), min_size=1, max_size=3))


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 3))
    producers = [mq.Producer(f"p{i}", interarrival=draw(distributions), priority=draw(priorities)) for i in range(n)]
    queue = mq.Queue(max_priority=draw(st.one_of(st.none(), st.integers(1, 10))),
                     max_length=draw(st.one_of(st.none(), st.integers(0, 6))),
                     overflow=draw(st.sampled_from(["drop-head", "reject-publish"])))
    by = draw(st.dictionaries(st.sampled_from([p.name for p in producers]), distributions, max_size=2))
    consumers = mq.Consumers(draw(st.integers(1, 4)), service=draw(distributions), prefetch=draw(st.integers(0, 3)),
                             service_by=by or None)
    return mq.Scenario(producers=producers, queue=queue, consumers=consumers)


@given(sc=scenarios(), seed=st.integers(0, 2**32), horizon=st.floats(1.0, 60.0))
def test_every_message_accounted_for_and_timestamps_ordered(sc, seed, horizon):
    res = mq.simulate(sc, horizon=horizon, seed=seed)  # the engine itself raises ConservationError
    c = res.counts()
    assert c["published"] == c["acked"] + c["dropped"] + c["ready"] + c["in_flight"]
    m = res.messages
    assert len(m) == c["published"]
    # each stage happens no earlier than the one before it, and before the horizon
    for a, b in [("t_publish", "t_deliver"), ("t_deliver", "t_start"), ("t_start", "t_done")]:
        both = m[a].notna() & m[b].notna()
        assert (m.loc[both, a] <= m.loc[both, b]).all()
    assert (m.t_done.dropna() < horizon).all()
    acked = m[m.outcome == "acked"]
    np.testing.assert_allclose(acked.t_done - acked.t_start, acked.service, rtol=1e-9, atol=1e-9)
    # the broker's limits hold at every instant
    q = res.queue_length
    if sc.queue.max_length is not None:
        assert q.ready.max() <= sc.queue.max_length
    assert q.busy.max() <= sc.consumers.count
    if sc.consumers.prefetch:
        assert q.in_flight.max() <= sc.consumers.count * sc.consumers.prefetch
    # a message is ready only while every consumer's prefetch window is full
    assert not ((q.ready > 0) & (q.in_flight < sc.consumers.count * (sc.consumers.prefetch or np.inf))).any()
    if sc.queue.max_priority is not None:
        assert (m.priority <= sc.queue.max_priority).all()
    s = res.summary()
    assert (s.dropped <= s.published).all()
    assert ((s.utilisation >= 0) & (s.utilisation <= 1 + 1e-12)).all()


@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_same_seed_gives_identical_records(sc, seed):
    a = mq.simulate(sc, horizon=30.0, seed=seed)
    b = mq.simulate(sc, horizon=30.0, seed=seed)
    assert a.messages.equals(b.messages)
    assert a.queue_length.equals(b.queue_length)


@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_hooks_do_not_change_the_sample_path(sc, seed):
    events = []
    a = mq.simulate(sc, horizon=20.0, seed=seed, handlers={k: events.append for k in mq.EVENT_KINDS})
    b = mq.simulate(sc, horizon=20.0, seed=seed, trace=False)
    assert a.messages.equals(b.messages)
    kinds = [e.kind for e in events]
    c = a.counts()
    assert kinds.count("publish") == c["published"] and kinds.count("drop") == c["dropped"]


@st.composite
def rich_scenarios(draw):
    """Every broker feature at once: TTLs, nacks/rejects, delivery limits, crashes, auto-ack,
    batches, time-varying rates, dead-letter and pipeline stages."""
    n = draw(st.integers(1, 3))
    producers = []
    for i in range(n):
        kind = draw(st.sampled_from(["renewal", "schedule"]))
        extra = dict(priority=draw(priorities), ttl=draw(st.one_of(st.none(), st.floats(0.0, 3.0))),
                     batch=draw(st.one_of(st.just(1), st.dictionaries(st.integers(1, 4), st.floats(0.1, 1.0),
                                                                     min_size=1, max_size=2))))
        if kind == "renewal":
            producers.append(mq.Producer(f"p{i}", interarrival=draw(distributions), **extra))
        else:
            sched = mq.arrivals.SinusoidRate(mean=draw(st.floats(0.2, 3.0)), amplitude=draw(st.floats(0.0, 1.0)),
                                             period=draw(st.floats(1.0, 20.0)))
            producers.append(mq.Producer(f"p{i}", schedule=sched, **extra))
    with_dlq = draw(st.booleans())
    overflow = draw(st.sampled_from(["drop-head", "reject-publish"] + (["reject-publish-dlx"] if with_dlq else [])))
    queue = mq.Queue(max_priority=draw(st.one_of(st.none(), st.integers(1, 10))),
                     max_length=draw(st.one_of(st.none(), st.integers(0, 6))), overflow=overflow,
                     ttl=draw(st.one_of(st.none(), st.floats(0.0, 4.0))),
                     delivery_limit=draw(st.one_of(st.none(), st.integers(1, 3))),
                     dead_letter="dlq" if with_dlq else None)
    auto_ack = draw(st.booleans())
    nack = 0.0 if auto_ack else draw(st.floats(0.0, 0.4))
    failure = draw(st.one_of(st.none(), st.tuples(means, means).map(
        lambda t: mq.Failure(time_to_failure=dist.Exponential(mean=5 * t[0]), repair=dist.Exponential(mean=t[1])))))
    consumers = mq.Consumers(draw(st.integers(1, 4)), service=draw(distributions), prefetch=draw(st.integers(0, 4)),
                             nack=nack, reject=0.0 if auto_ack else draw(st.floats(0.0, 0.5)) * (1 - nack),
                             auto_ack=auto_ack, failure=failure,
                             requeue=draw(st.sampled_from(["head", "tail"])))
    stages = [mq.Stage("dlq", consumers=mq.Consumers(draw(st.integers(1, 2)), service=draw(distributions)))] \
        if with_dlq else []
    routes = {}
    if draw(st.booleans()):
        stages.append(mq.Stage("next", queue=mq.Queue(max_length=draw(st.one_of(st.none(), st.integers(0, 3)))),
                               consumers=mq.Consumers(1, service=draw(distributions))))
        routes = {"main": {"next": draw(st.floats(0.0, 1.0))}}
    return mq.Scenario(producers=producers, queue=queue, consumers=consumers, stages=stages, routes=routes)


@given(sc=rich_scenarios(), seed=st.integers(0, 2**32), horizon=st.floats(1.0, 40.0))
def test_every_message_accounted_for_with_all_broker_features(sc, seed, horizon):
    res = mq.simulate(sc, horizon=horizon, seed=seed)  # raises ConservationError if not
    c = res.counts()
    assert c["published"] == sum(v for k, v in c.items() if k != "published")
    m = res.messages
    if sc.queue.delivery_limit is not None:
        assert (m[m.queue == "main"].deliveries <= sc.queue.delivery_limit).all()
    assert (m.t_done.dropna() < horizon).all()
    # a dead letter has exactly one copy in the dead-letter queue (unless published at the horizon)
    dl = m[m.outcome == "dead_lettered"]
    assert set(m.loc[m.parent >= 0, "parent"]) >= set() and len(set(dl.id) - set(m.parent)) == 0
    # expiry happens exactly at the (lower) TTL after publish, or at the requeue of a message
    # whose TTL ran out while it was at a consumer (requeue keeps the original expiry)
    exp = m[(m.outcome == "expired") & (m.queue == "main") & (m.parent < 0)]
    for _, row in exp.iterrows():
        p = sc.producers[[q.name for q in sc.producers].index(row.producer)]
        ttl = min(t for t in (sc.queue.ttl, p.ttl, np.inf) if t is not None)
        if row.deliveries == 0:
            assert abs(row.t_done - row.t_publish - ttl) < 1e-9
        else:
            assert row.t_done - row.t_publish >= ttl - 1e-9
    if sc.consumers.auto_ack:
        assert (m.deliveries <= 1).all()
    else:
        assert c["lost"] == 0
    s = res.summary()
    assert ((s.utilisation >= -1e-12) & (s.utilisation <= 1 + 1e-9)).all()
    again = mq.simulate(sc, horizon=horizon, seed=seed)
    assert again.messages.equals(m)
