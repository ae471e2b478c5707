"""Broker semantics against exact results (CIs over seeded replications) and their bookkeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Erlang, Exponential
from tests.stats import assert_covers
from tests.worked_values import agrees, value

pytestmark = pytest.mark.slow


def mm(lam, c=1, mu=1.0, queue=None, **consumers):
    return mq.Scenario(producers=[mq.Producer("p", rate=lam)], queue=queue or mq.Queue(),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu), **consumers))


@pytest.mark.parametrize("lam", [0.9, 1.5])
def test_queue_ttl_is_mm1_plus_deterministic_patience(lam):
    """Per-queue TTL is deterministic patience (Baccelli & Hebuterne 1981): 21.9% expire at
    lam = 0.9, mu = 1, tau = 2; 39.8% when overloaded (worked values ttl_mm1+D_*)."""
    assert agrees(mq.theory.mm1_ttl(lam, 1.0, 2.0).loss, f"ttl_mm1+D_{lam}_1_tau2.P_expire")
    th = mq.theory.mm1_ttl(lam, 1.0, 2.0)
    reps = mq.replicate(mm(lam, queue=mq.Queue(ttl=2.0)), n=16, seed=11, horizon=8_000, warmup=500)
    assert_covers(reps, {"loss": th.loss, "throughput": th.throughput, "Wq": th.Wq, "Lq": th.Lq,
                         "utilisation": th.throughput})
    r = reps.runs
    assert (r[r.group == "all"].expired > 0).all() and (r[r.group == "all"].dropped == 0).all()


def test_ttl_applies_to_ready_messages_only():
    """With unlimited prefetch everything is pushed to the consumer at once: nothing expires."""
    sc = mm(0.9, queue=mq.Queue(ttl=2.0), prefetch=0)
    res = mq.simulate(sc, horizon=5_000, seed=3)
    assert res.counts()["expired"] == 0
    assert (res.messages.wait > 2.0).any()  # yet many waited longer than the TTL in the buffer


def test_per_message_ttl_lower_of_the_two_wins():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=0.9, ttl=1.0)], queue=mq.Queue(ttl=5.0),
                     consumers=mq.Consumers(1, service=Exponential(rate=1.0)))
    th = mq.theory.mm1_ttl(0.9, 1.0, 1.0)
    assert_covers(mq.replicate(sc, n=20, seed=12, horizon=10_000, warmup=500), {"loss": th.loss, "Wq": th.Wq})


@pytest.mark.parametrize("overflow,key", [("reject-publish", "Wq_reject_publish"), ("drop-head", "Wq_drop_head")])
def test_drop_head_vs_reject_publish_same_loss_different_latency(overflow, key):
    """M/M/1/6 at lam = 0.9 (RabbitMQ counts ready messages only: max_length 5 + 1 in flight):
    both lose 10.19%, delivered waits 2.195 vs 1.802 (worked values overflow_mm1k_0.9_1_6.*)."""
    sc = mm(0.9, queue=mq.Queue(max_length=5, overflow=overflow))
    reps = mq.replicate(sc, n=16, seed=21, horizon=10_000, warmup=500)
    assert_covers(reps, {"loss": value("overflow_mm1k_0.9_1_6.P_loss"),
                         "throughput": value("overflow_mm1k_0.9_1_6.throughput"),
                         "Wq": value(f"overflow_mm1k_0.9_1_6.{key}")})


@pytest.mark.parametrize("requeue", ["head", "tail"])
def test_nack_requeue_is_bernoulli_feedback(requeue):
    """Requeue with probability p: M/M/1 at lam/(1-p); L and per-message W the same for head
    and tail reinsertion (Jackson 1957; RabbitMQ's requeue puts a message back at the head)."""
    lam, mu, p = 0.5, 1.0, 0.2
    rho = lam / ((1 - p) * mu)
    reps = mq.replicate(mm(lam, nack=p, requeue=requeue), n=16, seed=31, horizon=10_000, warmup=500)
    L = rho / (1 - rho)
    assert_covers(reps, {"L": L, "W": L / lam, "utilisation": rho, "throughput": lam})
    r = reps.runs[reps.runs.group == "all"]
    # a message is redelivered with probability p: the count of redelivered messages is Binomial
    assert_covers(type(reps)(reps.scenario, r.assign(redelivered=r.redelivered / r.published), seed=0,
                             horizon=0, warmup=0), {"redelivered": p})


def test_delivery_limit_drops_after_n_failed_deliveries():
    lam, p, limit = 0.4, 0.3, 2
    sc = mm(lam, nack=p, queue=mq.Queue(delivery_limit=limit))
    res = mq.simulate(sc, horizon=20_000, seed=41)
    m = res.messages
    done = m[m.outcome.isin(["acked", "dropped"])]
    assert done.deliveries.max() == limit
    dropped = done.outcome == "dropped"
    assert (done.cause[dropped] == "delivery-limit").all()
    # P(dropped) = p^limit: binomial 99.9% interval
    n, k = len(done), int(dropped.sum())
    se = math.sqrt(p**limit * (1 - p**limit) / n)
    assert abs(k / n - p**limit) < 3.3 * se


def test_reject_dead_letters_to_a_dlq_with_consumers():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)],
                     queue=mq.Queue(dead_letter="dlq"),
                     consumers=mq.Consumers(2, service=Exponential(mean=1.0), reject=0.25),
                     stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=Exponential(mean=0.5)))])
    res = mq.simulate(sc, horizon=5_000, seed=51)
    m = res.messages
    main, dlq = m[m.queue == "main"], m[m.queue == "dlq"]
    dl = main[main.outcome == "dead_lettered"]
    assert (dl.cause == "rejected").all() and len(dl) > 0
    assert set(dlq.parent) == set(dl.id)  # every dead letter arrived in the DLQ, once
    assert (dlq.producer == "p").all()
    s = res.summary()
    q = s[s.group == "queue"].set_index("key")
    assert q.loc["main", "dead_lettered"] > 0 and q.loc["dlq", "acked"] > 0


def test_tandem_pipeline_matches_jackson():
    lam, mu1, mu2 = 0.6, 1.0, 0.8
    sc = mq.Scenario(producers=[mq.Producer("p", rate=lam)],
                     consumers=mq.Consumers(1, service=Exponential(rate=mu1)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Exponential(rate=mu2)))],
                     routes={"main": {"b": 1.0}})
    th = mq.theory.tandem(lam, [mu1, mu2])
    reps = mq.replicate(sc, n=16, seed=61, horizon=10_000, warmup=500, by=("queue",))
    for name, node in zip(["main", "b"], th.nodes):
        assert_covers(reps, {"L": node.L, "W": node.W, "utilisation": node.rho}, group="queue", key=name)


def test_round_robin_push_vs_shared_queue():
    """RabbitMQ consumer prefetch: prefetch 1 shares one queue (M/M/3, Wq 1.0787); unlimited
    prefetch pushes round-robin, each consumer an E3/M/1 queue (Wq 2.4594)."""
    shared = mq.replicate(mm(2.4, c=3, prefetch=1), n=12, seed=71, horizon=8_000, warmup=500)
    pushed = mq.replicate(mm(2.4, c=3, prefetch=0), n=12, seed=71, horizon=8_000, warmup=500)
    assert_covers(shared, {"Wq": value("dispatch_2.4_1_3.Wq_shared_queue")})
    assert_covers(pushed, {"Wq": value("dispatch_2.4_1_3.Wq_round_robin")})


def test_time_varying_rate_publishes_the_integrated_rate():
    sched = mq.arrivals.PiecewiseRate(times=(0, 100, 150), rates=(1.0, 4.0, 0.5), period=200)
    sc = mq.Scenario(producers=[mq.Producer("p", schedule=sched)], consumers=mq.Consumers(6))
    res = mq.simulate(sc, horizon=20_000, seed=81)
    t = res.messages.t_publish.to_numpy() % 200
    expected = {(0, 100): 1.0 * 100, (100, 150): 4.0 * 50, (150, 200): 0.5 * 50}
    for (a, b), per_cycle in expected.items():
        n = ((t >= a) & (t < b)).sum()
        mean = per_cycle * 100  # 100 cycles; Poisson count: sd = sqrt(mean)
        assert abs(n - mean) < 3.3 * math.sqrt(mean)
    assert sched.mean_rate == pytest.approx((100 + 200 + 25) / 200)


def test_batches_and_trace_replay(tmp_path):
    b = mq.Scenario(producers=[mq.Producer("p", interarrival=Deterministic(1.0), batch={1: 0.5, 3: 0.5})],
                    consumers=mq.Consumers(2))
    m = mq.simulate(b, horizon=2_000.5, seed=1).messages
    sizes = m.groupby("t_publish").size()
    assert set(sizes.tolist()) == {1, 3} and len(sizes) == 2_000
    assert abs(sizes.mean() - 2.0) < 3.3 * 1.0 / math.sqrt(2_000)  # batch size mean 2, sd 1
    f = tmp_path / "trace.csv"
    f.write_text("time,priority,service\n0.5,1,0.2\n0.7,5,0.3\n2.0,1,0.1\n")
    tr = mq.Scenario(producers=[mq.Producer("p", trace=str(f))], queue=mq.Queue(max_priority=5),
                     consumers=mq.Consumers(1))
    m = mq.simulate(tr, horizon=10, seed=1).messages
    assert m.t_publish.tolist() == [0.5, 0.7, 2.0] and m.priority.tolist() == [1, 5, 1]
    assert m.service.tolist() == [0.2, 0.3, 0.1] and (m.outcome == "acked").all()
    bad = tmp_path / "bad.csv"
    bad.write_text("time\n1.0\n0.5\n")
    with pytest.raises(ValueError, match="line 3"):
        mq.Producer("p", trace=str(bad))


def test_consumer_crash_requeues_and_counts_redeliveries():
    fail = mq.Failure(time_to_failure=Exponential(mean=50.0), repair=Exponential(mean=5.0))
    sc = mm(1.2, c=2, prefetch=5, failure=fail)
    res = mq.simulate(sc, horizon=5_000, seed=91)
    m = res.messages
    assert (m.deliveries > 1).sum() > 0 and res.counts()["lost"] == 0
    s = res.summary().iloc[0]
    assert s.redelivered > 0 and s.duplicates > 0
    # at-most-once: with auto-ack the same crashes lose messages instead
    lossy = mq.simulate(mm(1.2, c=2, failure=fail, auto_ack=True), horizon=5_000, seed=91)
    assert lossy.counts()["lost"] > 0 and (lossy.messages.deliveries <= 1).all()


def test_combined_scenario_conserves_every_message_and_reports_each_outcome():
    """Priority, prefetch 10, TTL, crashes, nacks, a delivery limit and a DLQ together."""
    fail = mq.Failure(time_to_failure=Exponential(mean=40.0), repair=Erlang(k=2, mean=4.0))
    sc = mq.Scenario(
        producers=[mq.Producer("web", rate=2.0, priority={1: 0.7, 8: 0.3}, ttl=6.0),
                   mq.Producer("batch", interarrival=Erlang(k=2, mean=1.0), batch={1: 0.5, 4: 0.5})],
        queue=mq.Queue(max_priority=10, max_length=40, overflow="drop-head", ttl=3.0, delivery_limit=3,
                       dead_letter="dlq"),
        consumers=mq.Consumers(3, service=Exponential(mean=0.6), prefetch=10, nack=0.1, reject=0.02, failure=fail),
        stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=Exponential(mean=0.2)))])
    events: dict[str, int] = {}
    res = mq.simulate(sc, horizon=3_000, warmup=200, seed=101,
                      handlers={k: (lambda e, k=k: events.__setitem__(k, events.get(k, 0) + 1))
                                for k in mq.EVENT_KINDS})
    c = res.counts()
    assert c["published"] == sum(v for k, v in c.items() if k != "published")
    main = res.messages[res.messages.queue == "main"]
    causes = set(main.loc[main.outcome == "dead_lettered", "cause"])
    assert {"expired", "rejected"} <= causes
    assert events["crash"] > 0 and events["dead_letter"] == c["dead_lettered"]
    s = res.summary()
    assert {"queue", "producer", "priority"} <= set(s.group)
    row = s[s.group == "all"].iloc[0]
    for col in ("acked", "dead_lettered", "redelivered"):
        assert row[col] > 0, col


def kafka(lam, P, n, **kw):
    from mqsim.model.kafka import ConsumerGroup, KafkaScenario, Topic

    return KafkaScenario([mq.Producer("p", rate=lam)], Topic(P, key_skew=kw.pop("key_skew", 0.0)),
                         ConsumerGroup(n, Exponential(mean=1.0), **kw))


def test_kafka_partitions_are_independent_queues_not_a_pool():
    """P = 6, n = 4, range assignment: two consumers own two partitions each; each consumer is
    an M/M/1 at m*lam/P (W 3.89), far worse than M/M/4 pooling."""
    reps = mq.replicate(kafka(2.4, 6, 4), n=16, seed=111, horizon=10_000, warmup=1_000)
    pred = mq.theory.for_scenario(kafka(2.4, 6, 4))
    assert pred.exact and pred.metrics.W == pytest.approx(mq.theory.kafka_mm1_wait(2.4, 1.0, 6, 4), rel=0.01)
    assert_covers(reps, {"W": pred.metrics.W, "p_wait": pred.metrics.P_wait, "throughput": 2.4})
    assert mq.theory.kafka_mm1_wait(2.4, 1.0, 6, 4) > 2 * mq.theory.mmc(2.4, 1.0, 4).W


@pytest.mark.parametrize("P,n,lam,expect", [(6, 4, 3.3, 2 + 2 * 3.3 / 6), (6, 8, 7.0, 6.0), (3, 2, 2.0, 1 + 2 / 3)])
def test_kafka_saturation(P, n, lam, expect):
    """Overloaded: consumers owning ceil(P/n) partitions run flat out; extra members idle.
    The group keeps up only to X* = P mu / ceil(P/n) (3 for P = 6, n = 4; 6 for n = 8)."""
    assert lam > mq.theory.kafka_saturation(P, n, 1.0)
    reps = mq.replicate(kafka(lam, P, n), n=12, seed=121, horizon=5_000, warmup=500)
    assert_covers(reps, {"throughput": expect})
    m = mq.simulate(kafka(lam, P, n), horizon=500, seed=1).messages
    assert m.consumer.max() < min(P, n)  # members beyond the partition count never consume


def test_kafka_order_within_partition_and_rebalance_pause():
    ks = kafka(2.0, 4, 2, rebalance=5.0, changes=[(300.0, "join"), (600.0, "leave")])
    m = mq.simulate(ks, horizon=1_000, seed=7).messages
    started = m[m.t_start.notna()]
    for _, part in started.groupby("partition"):
        assert part.sort_values("t_start").id.is_monotonic_increasing  # per-partition FIFO
    for t in (300.0, 600.0):
        assert not ((started.t_start > t) & (started.t_start < t + 5.0)).any()  # group paused
    assert set(started.loc[started.t_start > 606, "consumer"]) <= {0, 1}  # the last to join left
    assert 2 in set(started.loc[(started.t_start > 306) & (started.t_start < 600), "consumer"])


def test_kafka_key_skew_makes_a_hot_partition():
    ks = kafka(1.0, 4, 4, key_skew=1.2)
    shares = ks.topic.partition_shares()
    m = mq.simulate(ks, horizon=20_000, seed=9).messages
    counts = m.partition.value_counts(normalize=True).sort_index().to_numpy()
    se = np.sqrt(shares * (1 - shares) / len(m))
    assert (np.abs(counts - shares) < 4 * se).all() and shares[0] > 0.35


def test_kafka_from_yaml(tmp_path):
    ks = mq.load_yaml("examples/kafka.yaml")
    assert ks.topic.partitions == 6 and ks.group.changes[0] == (2000.0, "join")
    res = mq.simulate(ks, horizon=600, seed=1)
    assert res.counts()["published"] > 0


def test_rich_scenario_round_trips_through_yaml(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("time\n0.5\n1.0\n")
    sc = mq.Scenario(
        producers=[mq.Producer("web", rate=2.0, priority={1: 0.7, 8: 0.3}, ttl=6.0),
                   mq.Producer("day", schedule={"kind": "sinusoid", "mean": 1.0, "amplitude": 0.5, "period": 86400},
                               batch={1: 0.5, 4: 0.5}),
                   mq.Producer("replay", trace=str(f))],
        queue=mq.Queue(max_priority=10, max_length=40, ttl=3.0, delivery_limit=3, dead_letter="dlq",
                       overflow="reject-publish-dlx"),
        consumers=mq.Consumers(3, service=Exponential(mean=0.6), prefetch=10, nack={"web": 0.1}, reject=0.02,
                               failure=mq.Failure(Exponential(mean=40.0), Erlang(k=2, mean=4.0)), requeue="tail"),
        stages=[mq.Stage("dlq", consumers=mq.Consumers(1)), mq.Stage("audit", queue=mq.Queue(ttl=1.0))],
        routes={"main": {"audit": 0.5}})
    back = mq.loads_yaml(sc.to_yaml())
    assert back == sc
    with pytest.raises(ValueError, match=r"stages\[0\].consumers.failure.repair: missing"):
        mq.loads_yaml("producers: [{rate: 1}]\nstages: [{name: x, consumers: {failure: {time_to_failure: 1}}}]\n")
    with pytest.raises(ValueError, match="routes"):
        mq.loads_yaml("producers: [{rate: 1}]\nroutes: {main: {nowhere: 1}}\n")
    with pytest.raises(ValueError, match="dead_letter"):
        mq.Scenario(producers=[mq.Producer("p", rate=1)], queue=mq.Queue(dead_letter="dlq"))


def test_prefetch_defeats_priority():
    """A high-priority message waits behind a consumer's prefetched low-priority backlog."""
    def hi_wait(prefetch):
        sc = mq.Scenario(producers=[mq.Producer("hi", rate=0.3, priority=9), mq.Producer("lo", rate=1.3, priority=1)],
                         queue=mq.Queue(max_priority=10),
                         consumers=mq.Consumers(2, service=Exponential(mean=1.0), prefetch=prefetch))
        return mq.replicate(sc, n=10, seed=131, horizon=5_000, warmup=500).ci("Wq", "priority", 9)
    strict, buffered = hi_wait(1), hi_wait(20)
    assert buffered[1] > 3 * strict[2]  # lower CI bound with prefetch 20 above 3x the upper with prefetch 1


def test_oldest_ready_age():
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=Deterministic(1.0))],
                     consumers=mq.Consumers(1, service=Deterministic(2.5)))
    res = mq.simulate(sc, horizon=20, seed=1)
    age = res.oldest_ready_age(times=[2.5, 4.0, 10.0])
    # published at 1, 2, 3, ...; service starts at 1, 3.5, 6, 8.5: at t=4 the oldest ready message
    # was published at 3, at t=10 the one published at 5
    assert age.oldest_ready_age.tolist() == pytest.approx([0.5, 1.0, 5.0])
