"""The fast engine follows the SimPy engine's sample path exactly (same seed, same records).

Every comparison is exact: ``DataFrame.equals`` on the per-message table, on the queue-length
series of every queue, on the logged service attempts and on the summary (floating-point
equality, same dtypes). Deterministic and empirical distributions with repeated values (and
zeros), replayed traces with repeated timestamps, and deterministic crash cycles make
simultaneous events common, so these tests exercise SimPy's tie rule (time, priority,
scheduling order) on every path: wake-ups, acks that hand the next message to the same
consumer, drop-head, reject-publish, TTL timers (URGENT), crash interrupts (URGENT), repairs,
dead-letter chains, routes.
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
    per_message = kind == "trace" and (arrival["trace"].priorities is not None or arrival["trace"].services is not None)
    batch = 1 if per_message else draw(st.one_of(st.just(1), st.just(1), st.integers(2, 3),
                                                  st.dictionaries(st.integers(1, 4), st.floats(0.1, 1.0),
                                                                  min_size=1, max_size=2)))
    return mq.Producer(f"p{i}", priority=prio, service=draw(st.one_of(st.none(), st.none(), distributions)),
                       ttl=draw(ttls), batch=batch, **arrival)


@st.composite
def consumers(draw, count=st.integers(1, 4)):
    auto_ack = draw(st.sampled_from([False, False, False, True]))
    nack = 0.0 if auto_ack else draw(probabilities)
    reject = 0.0 if auto_ack else draw(probabilities)
    failure = draw(st.one_of(st.none(), st.none(), st.tuples(distributions, distributions).map(
        lambda t: mq.Failure(time_to_failure=dist.Deterministic(5 * t[0].mean) if isinstance(t[0], dist.Deterministic)
                             else dist.Exponential(mean=5 * t[0].mean), repair=t[1]))))
    return mq.Consumers(draw(count), service=draw(distributions), prefetch=draw(st.sampled_from([0, 1, 1, 2, 3])),
                        nack=nack, reject=reject, auto_ack=auto_ack, failure=failure,
                        requeue=draw(st.sampled_from(["head", "tail"])))


@st.composite
def queues(draw, dead_letter=None):
    overflows = ["drop-head", "reject-publish"] + (["reject-publish-dlx"] if dead_letter else [])
    return mq.Queue(max_priority=draw(st.one_of(st.none(), st.integers(1, 10))),
                    max_length=draw(st.one_of(st.none(), st.integers(0, 6))), overflow=draw(st.sampled_from(overflows)),
                    ttl=draw(ttls), delivery_limit=draw(st.one_of(st.none(), st.integers(1, 3))),
                    dead_letter=dead_letter)


@st.composite
def scenarios(draw):
    """Every broker feature: priorities and mixes, prefetch 0/1/k, max_length with each overflow,
    queue and per-message TTL, nack/reject with head/tail requeue, delivery limits, dead-letter
    stages (acyclic chains), routes between stages (any direction), crashes with auto-ack or
    requeue, batches, piecewise and sinusoidal rates, trace replay."""
    prods = [draw(producers(i)) for i in range(draw(st.integers(1, 3)))]
    n_stages = draw(st.integers(0, 2))
    names = [f"s{k}" for k in range(n_stages)]
    stages = []
    for k, nm in enumerate(names):  # a stage dead-letters only to a later stage: no cycles
        dl = draw(st.one_of(st.none(), st.sampled_from(names[k + 1:]))) if k + 1 < n_stages else None
        stages.append(mq.Stage(nm, queue=draw(queues(dl)), consumers=draw(consumers(st.integers(1, 2)))))
    dl0 = draw(st.one_of(st.none(), st.sampled_from(names))) if names else None
    routes = {}
    for src in ["main", *names] if names else []:
        if draw(st.booleans()):
            dst = draw(st.sampled_from(["main", *names]))
            routes[src] = {dst: draw(st.sampled_from([0.3, 0.7]))}
    by = draw(st.dictionaries(st.one_of(st.sampled_from([p.name for p in prods]), st.integers(0, 10)),
                              distributions, max_size=2))
    cons = draw(consumers())
    cons = mq.Consumers(**{**{f: getattr(cons, f) for f in mq.Consumers.FIELDS}, "service_by": by or None})
    return mq.Scenario(producers=prods, queue=draw(queues(dl0)), consumers=cons, stages=stages, routes=routes)


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
