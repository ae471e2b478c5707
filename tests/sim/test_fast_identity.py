"""The fast engine follows the SimPy engine's sample path exactly (same seed, same records).

Every comparison is exact: ``DataFrame.equals`` on the per-message table, on the queue-length
series of every queue, on the logged service attempts and on the summary (floating-point
equality, same dtypes). Deterministic and empirical distributions with repeated values (and
zeros), replayed traces with repeated timestamps, deterministic crash cycles and restart times
on the same grid make simultaneous events common, so these tests exercise SimPy's tie rule (time,
priority, scheduling order) on every path: wake-ups, acks that hand the next message to the same
consumer, drop-head, reject-publish, TTL timers (URGENT), crash interrupts (URGENT), repairs,
dead-letter chains and cycles, routes, dispatch overheads, broker restarts (down and back at
once, or after a downtime) and publishes refused while the broker is down.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mqsim as mq
from mqsim import dist
from mqsim.model.arrivals import PiecewiseRate, SinusoidRate, TraceReplay

fast = pytest.importorskip("mqsim.sim.fast")
pytest.importorskip("numba")
from mqsim import simulate  # noqa: E402
from mqsim.sim.fast import driver  # noqa: E402
from mqsim.sim.fast import streams as fast_streams  # noqa: E402
from tests.summary_checks import assert_summaries_match  # noqa: E402


def both(sc: mq.Scenario, horizon: float, seed: int, warmup: float = 0.0, trace: bool = True):
    a = simulate(sc, horizon, warmup, seed=seed, trace=trace, engine="simpy")
    b = simulate(sc, horizon, warmup, seed=seed, trace=trace, engine="fast")
    return a, b


def assert_identical(a: mq.Result, b: mq.Result, trace: bool = True) -> None:
    assert b.engine == "fast" and a.engine == "simpy"
    ma, mb = a.messages, b.messages
    if not ma.equals(mb):
        diff = (ma != mb) & ~(ma.isna() & mb.isna()) if len(ma) == len(mb) else None
        where = "lengths differ" if diff is None else ma[diff.any(axis=1)].head(3).to_string()
        raise AssertionError(f"records differ ({len(ma)} vs {len(mb)} messages): {where}")
    assert a.counts() == b.counts()
    ra, rb = a.records, b.records
    for col in ("a_mid", "a_start", "a_end"):  # service attempts that did not end in an ack
        assert np.array_equal(np.asarray(getattr(ra, col), dtype=float), np.asarray(getattr(rb, col), dtype=float))
    if trace:
        assert a.queue_lengths().equals(b.queue_lengths())
        assert a.queue_length.equals(b.queue_length)
    assert a.summary().equals(b.summary())


# ---- the whole feature space ---------------------------------------------------------------
means = st.sampled_from([0.05, 0.1, 0.25, 0.5, 1.0, 2.0])
distributions = st.one_of(
    means.map(lambda m: dist.Exponential(mean=m)),
    means.map(dist.Deterministic),  # ties everywhere
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]), min_size=1, max_size=4)
      .filter(lambda xs: sum(xs) > 0).map(lambda xs: dist.Empirical(tuple(xs))),  # ties and zero durations
    st.tuples(means, st.floats(0.05, 1.0)).map(lambda t: dist.Uniform(t[0] * (1 - t[1]), t[0] * (1 + t[1]))),
    st.tuples(st.integers(1, 4), means).map(lambda t: dist.Erlang(k=t[0], mean=t[1])),
    st.tuples(means, st.floats(0.2, 3.0)).map(lambda t: dist.LogNormal(mean=t[0], scv=t[1])),
    st.tuples(means, st.floats(1.1, 5.0)).map(lambda t: dist.HyperExponential.balanced(t[0], t[1])),
)
priorities = st.one_of(st.integers(0, 12),
                       st.dictionaries(st.integers(0, 12), st.floats(0.1, 1.0), min_size=1, max_size=3))
ttls = st.one_of(st.none(), st.none(), st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0]))
probabilities = st.one_of(st.just(0.0), st.sampled_from([0.05, 0.2, 0.4]))
schedules = st.one_of(
    st.builds(SinusoidRate, mean=st.sampled_from([0.5, 2.0, 8.0]), amplitude=st.sampled_from([0.0, 0.5, 1.0]),
              period=st.sampled_from([1.0, 7.5, 20.0]), phase=st.sampled_from([0.0, 2.5])),
    st.builds(lambda r, p: PiecewiseRate((0.0, 2.0, 5.0), r, p), st.tuples(*[st.sampled_from([0.0, 1.0, 6.0])] * 2,
                                                                            st.just(3.0)),
              st.sampled_from([None, 8.0])),
)


@st.composite
def traces(draw, levels):
    gaps = draw(st.lists(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]), min_size=1, max_size=40))
    times = tuple(np.cumsum(gaps).tolist())  # repeated timestamps: simultaneous publishes
    prios = draw(st.one_of(st.none(), st.just(tuple(draw(st.sampled_from([*levels, 3, 200])) for _ in times))))
    svcs = draw(st.one_of(st.none(), st.just(tuple(draw(st.sampled_from([0.05, 0.5, 1.0])) for _ in times))))
    return TraceReplay(times, prios, svcs)


@st.composite
def producers(draw, i):
    prio = draw(priorities)
    levels = list(prio) if isinstance(prio, dict) else [prio]
    kind = draw(st.sampled_from(["renewal", "renewal", "schedule", "trace"]))
    arrival = {"renewal": lambda: {"interarrival": draw(distributions)},
               "schedule": lambda: {"schedule": draw(schedules)},
               "trace": lambda: {"trace": draw(traces(levels))}}[kind]()
    batch = draw(st.one_of(st.just(1), st.just(1), st.integers(2, 3),
                           st.dictionaries(st.integers(1, 4), st.floats(0.1, 1.0), min_size=1, max_size=2)))
    return mq.Producer(f"p{i}", priority=prio, service=draw(st.one_of(st.none(), st.none(), distributions)),
                       ttl=draw(ttls), batch=batch, persistent=draw(st.booleans()), **arrival)


CONSUMER_COUNTS = st.integers(1, 4)


@st.composite
def consumers(draw, count=CONSUMER_COUNTS):
    auto_ack = draw(st.sampled_from([False, False, False, True]))
    nack = 0.0 if auto_ack else draw(probabilities)
    reject = 0.0 if auto_ack else draw(probabilities)
    failure = draw(st.one_of(st.none(), st.none(), st.tuples(distributions, distributions).map(
        lambda t: mq.Failure(time_to_failure=dist.Deterministic(5 * t[0].mean) if isinstance(t[0], dist.Deterministic)
                             else dist.Exponential(mean=5 * t[0].mean), repair=t[1]))))
    return mq.Consumers(draw(count), service=draw(distributions), prefetch=draw(st.sampled_from([0, 1, 1, 2, 3])),
                        nack=nack, reject=reject, auto_ack=auto_ack, failure=failure,
                        requeue=draw(st.sampled_from(["head", "tail"])),
                        dispatch_overhead=draw(st.sampled_from([0.0, 0.0, 0.0, 0.05, 0.25, 0.5, 1e-13])),
                        client_overhead=draw(st.sampled_from([0.0, 0.0, 0.0, 0.05, 0.25, 0.5, 1e-13])))


@st.composite
def queues(draw, dead_letter=None):
    overflows = ["drop-head", "reject-publish"] + (["reject-publish-dlx"] if dead_letter else [])
    kind = draw(st.sampled_from([None, None, "classic", "quorum"]))
    durable = draw(st.sampled_from([None, True] if kind == "quorum" else [None, False, True]))
    return mq.Queue(max_priority=None if kind == "quorum" else draw(st.one_of(st.none(), st.integers(1, 10))),
                    max_length=draw(st.one_of(st.none(), st.integers(0, 6))), overflow=draw(st.sampled_from(overflows)),
                    ttl=draw(ttls), delivery_limit=draw(st.one_of(st.none(), st.integers(1, 3))),
                    dead_letter=dead_letter, type=kind, durable=durable)


restart_times = st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.0, 3.5, 5.0, 8.0, 12.0]), max_size=5).map(
    lambda ts: tuple(sorted(ts)))  # repeated times and a restart at 0 included
restarts = st.one_of(
    st.none(), st.none(),
    st.builds(mq.Restarts, times=restart_times.filter(bool), downtime=st.sampled_from([0.0, 0.5, 1.0, 2.0])),
    st.builds(mq.Restarts, times=restart_times,
              every=st.one_of(means.map(lambda m: dist.Exponential(mean=10 * m)), st.just(dist.Deterministic(2.5)),
                              st.just(dist.Empirical((0.0, 1.0, 4.0)))),
              downtime=st.one_of(st.sampled_from([0.0, 0.5, 1.0]), distributions)),
)


@st.composite
def scenarios(draw):
    """Every broker feature: priorities and mixes, prefetch 0/1/k, max_length with each overflow,
    classic and quorum queues, queue and per-message TTL, nack/reject with head/tail requeue,
    delivery limits, dead-letter stages (chains and cycles), routes between stages (any
    direction), crashes with auto-ack or requeue, dispatch and client overheads, batches (with trace rows),
    piecewise and sinusoidal rates, trace replay, persistent messages, durable and non-durable
    queues, broker restarts (fixed times, renewals, any downtime)."""
    prods = [draw(producers(i)) for i in range(draw(st.integers(1, 3)))]
    n_stages = draw(st.integers(0, 3))
    names = [f"s{k}" for k in range(n_stages)]
    stages = []
    for nm in names:  # a stage dead-letters to any other stage: cycles included
        others = [n for n in names if n != nm]
        dl = draw(st.one_of(st.none(), st.sampled_from(others))) if others else None
        stages.append(mq.Stage(nm, queue=draw(queues(dl)), consumers=draw(consumers(st.integers(1, 2)))))
    dl0 = draw(st.one_of(st.none(), st.sampled_from(names))) if names else None
    routes = {}
    for src in ["main", *names] if names else []:
        if draw(st.booleans()):  # any direction, cycles included (self-loops: see test_route_to_itself)
            dst = draw(st.sampled_from([n for n in ["main", *names] if n != src]))
            routes[src] = {dst: draw(st.sampled_from([0.3, 0.7]))}
    by = draw(st.dictionaries(st.one_of(st.sampled_from([p.name for p in prods]), st.integers(0, 10)),
                              distributions, max_size=2))
    cons = draw(consumers())
    cons = mq.Consumers(**{**{f: getattr(cons, f) for f in mq.Consumers.FIELDS}, "service_by": by or None})
    return mq.Scenario(producers=prods, queue=draw(queues(dl0)), consumers=cons, stages=stages, routes=routes,
                       restarts=draw(restarts))


@given(sc=scenarios(), seed=st.integers(0, 2**32), horizon=st.floats(1.0, 40.0))
@settings(max_examples=150)
def test_fast_engine_reproduces_simpy_records(sc, seed, horizon):
    a, b = both(sc, horizon, seed)
    assert_identical(a, b)


@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_fast_summary_mode_matches_full_mode(sc, seed):
    full = simulate(sc, 30.0, 5.0, seed=seed, engine="fast")
    summ = simulate(sc, 30.0, 5.0, seed=seed, engine="fast", records="summary")
    assert summ.counts() == full.counts()
    assert_summaries_match(full.summary(), summ.summary())


# ---- hand-made cases where ties decide the path -----------------------------------------
def test_deterministic_ties_two_priorities_many_consumers():
    """Arrivals and services on a common grid: every event coincides with others."""
    sc = mq.Scenario(
        producers=[mq.Producer("hi", interarrival=dist.Deterministic(0.5), priority=7),
                   mq.Producer("lo", interarrival=dist.Deterministic(0.25), priority={1: 0.5, 9: 0.5}),
                   mq.Producer("mid", interarrival=dist.Empirical((0.0, 0.5, 1.0)), priority=3)],
        queue=mq.Queue(max_priority=5, max_length=4, overflow="drop-head"),
        consumers=mq.Consumers(3, service=dist.Deterministic(1.0), service_by={"hi": dist.Deterministic(0.75), 3:
                                                                             dist.Empirical((0.0, 0.25, 1.5))}))
    a, b = both(sc, 200.0, seed=5, warmup=10.0)
    assert_identical(a, b)
    m = b.messages
    assert (m.outcome == "dropped").any() and set(m.priority) == {1, 3, 5}  # 7 and 9 clip to 5


def test_zero_service_times_and_zero_gaps():
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=dist.Empirical((0.0, 0.0, 1.0)))],
                     queue=mq.Queue(max_length=2, overflow="reject-publish"),
                     consumers=mq.Consumers(2, service=dist.Empirical((0.0, 2.0))))
    a, b = both(sc, 100.0, seed=1)
    assert_identical(a, b)
    assert (b.messages.cause == "reject-publish").any()


@pytest.mark.parametrize("queue_ttl,prod_ttl", [(0.5, None), (None, 0.3), (2.0, 0.0), (1.0, 1.0)])
def test_ttl_expiry_with_ties(queue_ttl, prod_ttl):
    sc = mq.Scenario(producers=[mq.Producer("a", interarrival=dist.Deterministic(0.1), priority=2, ttl=prod_ttl),
                                mq.Producer("b", rate=5.0, priority={0: 0.5, 4: 0.5})],
                     queue=mq.Queue(max_priority=4, ttl=queue_ttl, max_length=8),
                     consumers=mq.Consumers(2, service=dist.Deterministic(0.5)))
    a, b = both(sc, 60.0, seed=9)
    assert_identical(a, b)
    assert b.counts()["expired"] > 0


# ---- the broker features, one scenario each (the kinds of scenario the issue names) ---------
def test_prefetch_priorities_and_drop_head():
    sc = mq.Scenario(producers=[mq.Producer("hi", rate=3.0, priority=8), mq.Producer("lo", rate=3.0, priority=1)],
                     queue=mq.Queue(max_priority=10, max_length=5, overflow="drop-head"),
                     consumers=mq.Consumers(3, service=dist.Exponential(mean=1.0), prefetch=4))
    a, b = both(sc, 300.0, seed=3)
    assert_identical(a, b)
    c = b.counts()
    assert c["dropped"] > 0 and (b.messages.cause == "drop-head").any()
    assert b.queue_length.in_flight.max() == 12  # three windows of four


def test_nack_reject_delivery_limit_ttl_and_dead_letter_stage():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.0, priority={1: 0.5, 5: 0.5}, ttl=4.0)],
                     queue=mq.Queue(max_priority=5, ttl=3.0, delivery_limit=2, dead_letter="dlq"),
                     consumers=mq.Consumers(2, service=dist.Exponential(mean=0.8), prefetch=3, nack={1: 0.4, 5: 0.1},
                                            reject=0.1, requeue="tail"),
                     stages=[mq.Stage("dlq", queue=mq.Queue(max_length=3, ttl=2.0),
                                      consumers=mq.Consumers(1, service=dist.Deterministic(0.5)))])
    a, b = both(sc, 400.0, seed=11)
    assert_identical(a, b)
    m = b.messages
    assert {"rejected", "delivery-limit", "expired"} <= set(m[m.queue == "main"].cause)
    assert (m.queue == "dlq").sum() == (m.outcome == "dead_lettered").sum() > 0


@pytest.mark.parametrize("auto_ack", [False, True])
def test_crashes_with_prefetch_two(auto_ack):
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.5)],
                     consumers=mq.Consumers(3, service=dist.Exponential(mean=1.0), prefetch=2, auto_ack=auto_ack,
                                            failure=mq.Failure(dist.Exponential(mean=30.0), dist.Deterministic(2.0))))
    a, b = both(sc, 500.0, seed=4)
    assert_identical(a, b)
    assert len(b.records.a_mid) > 0  # services cut short by a crash
    assert (b.counts()["lost"] > 0) == auto_ack


def test_deterministic_crash_cycles_coincide_with_services():
    """Crashes, repairs and service ends on one grid: interrupts (URGENT) against timeouts."""
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=dist.Deterministic(0.5))],
                     queue=mq.Queue(ttl=1.0, delivery_limit=3, dead_letter="d"),
                     consumers=mq.Consumers(2, service=dist.Deterministic(1.0), prefetch=2,
                                            failure=mq.Failure(dist.Deterministic(3.0), dist.Deterministic(1.0))),
                     stages=[mq.Stage("d", consumers=mq.Consumers(1, service=dist.Deterministic(0.5)))])
    a, b = both(sc, 100.0, seed=0)
    assert_identical(a, b)


def test_batches_and_a_sinusoidal_rate():
    sc = mq.Scenario(producers=[mq.Producer("day", schedule=SinusoidRate(mean=2.0, amplitude=0.8, period=50.0),
                                            batch={1: 0.5, 3: 0.3, 5: 0.2}, priority={2: 0.7, 6: 0.3}),
                                mq.Producer("flat", rate=0.5, batch=2)],
                     queue=mq.Queue(max_priority=6, max_length=20),
                     consumers=mq.Consumers(4, service=dist.Exponential(mean=0.6), prefetch=2))
    a, b = both(sc, 500.0, seed=8)
    assert_identical(a, b)
    t = b.messages.t_publish.to_numpy()
    assert (np.diff(t) == 0).any()  # batch members share their publish time


def test_piecewise_rate_with_period_and_trace_replay():
    trace = TraceReplay(times=(0.0, 0.0, 0.5, 0.5, 0.5, 1.25, 3.0, 3.0), priorities=(1, 4, 4, 9, 1, 0, 4, 1),
                        services=(0.5, 0.25, 1.0, 0.5, 0.5, 0.75, 0.25, 1.0))
    sc = mq.Scenario(producers=[mq.Producer("pw", schedule=PiecewiseRate((0.0, 1.0, 2.5), (4.0, 0.0, 1.0), period=4.0)),
                                mq.Producer("tr", trace=trace, priority={1: 0.5, 4: 0.5}),
                                mq.Producer("tr2", trace=TraceReplay((0.5, 0.5, 2.0, 7.5)), batch=2)],
                     queue=mq.Queue(max_priority=5),
                     consumers=mq.Consumers(2, service=dist.Deterministic(0.5), prefetch=1))
    a, b = both(sc, 40.0, seed=2)
    assert_identical(a, b)
    assert (b.messages.producer == "tr").sum() == 8 and (b.messages.producer == "tr2").sum() == 8


def test_pipeline_routes_and_dead_letter_chain():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.5, priority={0: 0.5, 3: 0.5})],
                     queue=mq.Queue(max_priority=3, max_length=4, overflow="reject-publish-dlx", dead_letter="dlq"),
                     consumers=mq.Consumers(2, service=dist.Exponential(mean=1.0)),
                     stages=[mq.Stage("enrich", queue=mq.Queue(max_length=2, dead_letter="dlq"),
                                      consumers=mq.Consumers(1, service=dist.Exponential(mean=0.4), nack=0.1)),
                             mq.Stage("dlq", queue=mq.Queue(max_length=1, dead_letter="park"),
                                      consumers=mq.Consumers(1, service=dist.Deterministic(2.0))),
                             mq.Stage("park", consumers=mq.Consumers(1, service=dist.Deterministic(0.1)))],
                     routes={"main": {"enrich": 0.8}, "enrich": {"main": 0.1}})
    a, b = both(sc, 300.0, seed=6)
    assert_identical(a, b)
    assert set(b.messages.queue) == {"main", "enrich", "dlq", "park"}


def test_route_to_itself():
    """A queue that routes to itself (a retry loop); run through the engines directly."""
    from mqsim.sim.events import check_handlers
    from mqsim.sim.simpy import engine as simpy_engine

    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(1, service=dist.Deterministic(0.5)),
                     stages=[mq.Stage("s", consumers=mq.Consumers(1, service=dist.Deterministic(0.25)))],
                     routes={"main": {"main": 0.3, "s": 0.5}, "s": {"s": 0.5}})
    a = simpy_engine.run(sc, 7, 200.0, check_handlers(None), True)
    b = driver.run_records(sc, 7, 200.0, trace=True)
    for name, col in a.arrays().items():
        assert np.array_equal(col, b.arrays()[name], equal_nan=True), name
    for name, col in a.trace_arrays().items():
        assert np.array_equal(col, b.trace_arrays()[name]), name


def test_long_run_mmc_two_priorities_and_auto_engine():
    sc = mq.Scenario(producers=[mq.Producer("hi", rate=1.8, priority=5), mq.Producer("lo", rate=1.8, priority=1)],
                     queue=mq.Queue(max_priority=10), consumers=mq.Consumers(4, service=dist.Exponential(mean=1.0)))
    a, b = both(sc, 20_000.0, seed=11, warmup=1_000.0, trace=False)
    assert len(b.messages) > 60_000
    assert_identical(a, b, trace=False)
    c = simulate(sc, 20_000.0, 1_000.0, seed=11, trace=False, engine="auto")
    assert c.engine == "fast" and c.messages.equals(b.messages)


def test_fast_records_grow_past_the_initial_estimate():
    """A horizon much longer than the publish rate suggests (a burst) forces the buffers to grow."""
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=dist.HyperExponential.balanced(0.05, 20.0))],
                     consumers=mq.Consumers(1, service=dist.Deterministic(0.04)))
    a, b = both(sc, 3_000.0, seed=2)
    assert_identical(a, b)


def test_summary_mode_of_a_network_matches_full_mode():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=3.0)], queue=mq.Queue(max_length=30, dead_letter="dlq"),
                     consumers=mq.Consumers(2, service=dist.Exponential(mean=0.6), nack=0.2, prefetch=2),
                     stages=[mq.Stage("next", consumers=mq.Consumers(1, service=dist.Exponential(mean=0.2))),
                             mq.Stage("dlq", consumers=mq.Consumers(1, service=dist.Exponential(mean=0.2)))],
                     routes={"main": {"next": 0.6}})
    full = simulate(sc, 30_000.0, 1_000.0, seed=3, engine="fast", trace=False)
    summ = simulate(sc, 30_000.0, 1_000.0, seed=3, engine="fast", records="summary")
    assert summ.counts() == full.counts()
    assert_summaries_match(full.summary(), summ.summary())
    ref = simulate(sc, 30_000.0, 1_000.0, seed=3, engine="simpy", records="summary")
    assert ref.counts() == summ.counts()


# ---- what the fast engine does not run, and the fallback ------------------------------------
BASE = dict(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(2, service=dist.Exponential(mean=0.5)))


def test_every_broker_feature_is_supported_and_auto_picks_fast():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0, batch=3, ttl=1.0)],
                     queue=mq.Queue(dead_letter="d", delivery_limit=2),
                     consumers=mq.Consumers(2, prefetch=0, nack=0.1, requeue="tail",
                                            failure=mq.Failure(dist.Exponential(mean=9.0), dist.Exponential(mean=1.0))),
                     stages=[mq.Stage("d")])
    assert driver.unsupported(sc) is None
    assert simulate(sc, 10.0, seed=1, engine="auto").engine == "fast"


def test_trace_rows_with_batches_priorities_and_services():
    """A trace row is one arrival: every member of its batch takes the row's priority and service."""
    tr = TraceReplay((0.0, 0.0, 1.0, 2.5), priorities=(1, 2, 1, 3), services=(0.5, 0.25, 2.0, 1.0))
    sc = mq.Scenario(producers=[mq.Producer("p", trace=tr, batch={1: 0.5, 3: 0.5}, priority={1: 0.5, 3: 0.5})],
                     queue=mq.Queue(max_priority=3), consumers=mq.Consumers(2, prefetch=2))
    assert mq.sim.run.choose_engine(sc, "auto") == "fast"
    fast, slow = both(sc, 10.0, seed=1)
    assert_identical(fast, slow)


def test_handlers_are_unsupported_by_the_fast_engine():
    sc = mq.Scenario(**BASE)
    seen = []
    with pytest.raises(ValueError, match="handlers"):
        simulate(sc, 10.0, seed=1, engine="fast", handlers={"publish": seen.append})
    res = simulate(sc, 10.0, seed=1, engine="auto", handlers={"publish": seen.append})
    assert res.engine == "simpy" and len(seen) == res.counts()["published"] > 0


def test_bad_engine_and_records_arguments():
    sc = mq.Scenario(**BASE)
    with pytest.raises(ValueError, match="engine"):
        simulate(sc, 10.0, engine="turbo")
    with pytest.raises(ValueError, match="records"):
        simulate(sc, 10.0, records="some")
    with pytest.raises(ValueError, match="horizon"):
        simulate(sc, -1.0, engine="fast")


def test_missing_numba_gives_install_hint_and_auto_uses_simpy():
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import mqsim as mq\n"
        "from mqsim import simulate\n"
        "sc = mq.Scenario(producers=[mq.Producer('p', rate=1.0)])\n"
        "print(simulate(sc, 5.0, seed=1, engine='auto').engine)\n"
        "try:\n"
        "    simulate(sc, 5.0, seed=1, engine='fast')\n"
        "except ImportError as e:\n"
        "    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "simpy"
    assert "pip install 'mqsim[fast]'" in out


def test_import_mqsim_does_not_import_numba():
    code = "import sys, mqsim; mqsim.simulate; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


# ---- the random streams --------------------------------------------------------------------
@pytest.mark.parametrize("d", [dist.Exponential(mean=0.7), dist.Deterministic(0.3), dist.Uniform(0.1, 2.0),
                               dist.Gamma(0.4, 1.0), dist.Erlang(3, mean=1.5), dist.LogNormal(1.0, 2.5),
                               dist.Empirical((0.0, 1.0, 2.5, 7.0)), dist.Empirical(tuple(range(1, 70000))),
                               mq.dist.Discrete((1, 5, 9), (0.2, 0.5, 0.3))])
def test_sequential_samplers_draw_the_same_values_in_one_call(d):
    """The fast engine draws several BLOCKs in one call for these types; that must equal the
    block-by-block draws of mqsim.sim.streams.Stream (values and generator state)."""
    from mqsim.sim.streams import BLOCK

    assert type(d) in driver.SEQUENTIAL
    for seed, m in ((0, 1), (1, 3), (2, 64)):
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        per_block = np.concatenate([d.sample(r1, BLOCK) for _ in range(m)])
        assert np.array_equal(per_block, d.sample(r2, m * BLOCK))
        assert r1.bit_generator.state == r2.bit_generator.state


@pytest.mark.parametrize("sched", [SinusoidRate(mean=3.0, amplitude=0.7, period=86_400.0, phase=3_600.0),
                                   SinusoidRate(mean=1, amplitude=1, period=7),
                                   PiecewiseRate((0.0, 10.0, 30.5), (1.0, 5, 0.0), period=60.0),
                                   PiecewiseRate((0.0, 2.0), (3.0, 1.0))])
def test_vectorised_rates_equal_the_schedule(sched):
    """Thinning in bulk evaluates rate(t) with the same floating-point operations as the model."""
    t = np.random.default_rng(1).uniform(0.0, 2e5, 20_000)
    t[:4] = [0.0, 2.0, 10.0, 60.0]
    expect = np.array([sched.rate(x) for x in t.tolist()])
    assert np.array_equal(fast_streams._rates(sched, t), expect)


def test_thinned_gaps_equal_the_simpy_generator():
    from mqsim.sim.simpy.producers import gap_source

    p = mq.Producer("p", schedule=SinusoidRate(mean=5.0, amplitude=0.9, period=30.0))
    ref = gap_source(p, 42, 3)
    src = fast_streams.ThinnedGaps(p.schedule, 42, 3)
    got = np.concatenate([src.take(n) for n in (1, 7, 1000, 5000)])
    assert np.array_equal(got, np.array([ref() for _ in range(len(got))]))


def test_the_cache_is_flushed_when_a_kernel_module_changes(tmp_path, monkeypatch):
    """numba checks a cached function against its own file only; the kernel's guard flushes the
    cached code of every kernel module when any of them changes."""
    from mqsim.sim.fast import cache

    (tmp_path / "kmod_a.py").write_text("from numba import njit\n\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    (tmp_path / "kmod_b.py").write_text("K = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import kmod_a
    import kmod_b

    def check() -> bool:
        monkeypatch.setattr(cache, "_done", False)
        return cache.ensure_coherent([kmod_a, kmod_b])

    assert check() is True  # no stamp yet
    assert kmod_a.f(1) == 2  # compiled and cached
    assert check() is False
    (tmp_path / "kmod_b.py").write_text("K = 2\n")  # a module f does not live in changes
    assert check() is True
    assert check() is False


@given(sc=scenarios(), seed=st.integers(0, 2**32), horizon=st.floats(20.0, 120.0))
@settings(max_examples=40)
def test_every_draw_is_checked_before_its_event(sc, seed, horizon):
    """With streams handed over one value at a time, an event that draws more than the kernel
    checked would read past a stream's end (the driver raises) or change the sample path."""
    fast_streams.STRESS = True
    try:
        a, b = both(sc, horizon, seed, trace=False)
    finally:
        fast_streams.STRESS = False
    assert_identical(a, b, trace=False)


def test_a_model_field_the_fast_engine_does_not_know_is_named(monkeypatch):
    """A feature added to the model later (e.g. broker restarts) falls back to SimPy until the
    fast engine implements it, instead of being ignored."""
    sc = mq.Scenario(**BASE)
    assert driver.unsupported(sc) is None
    monkeypatch.setitem(driver.KNOWN_FIELDS, "Queue", driver.KNOWN_FIELDS["Queue"] - {"ttl"})
    assert driver.unsupported(sc) is None  # at its default: nothing to implement
    sc2 = mq.Scenario(producers=BASE["producers"], queue=mq.Queue(ttl=3.0), consumers=BASE["consumers"])
    assert "queue.ttl" in driver.unsupported(sc2)
    assert mq.sim.run.choose_engine(sc2, "auto") == "simpy"
