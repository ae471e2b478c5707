"""The fast engine follows the SimPy engine's sample path exactly (same seed, same records).

Every comparison is exact: ``DataFrame.equals`` on the per-message table and on the
queue-length series (floating-point equality, same dtypes). Deterministic and empirical
distributions with repeated values (and zeros) make simultaneous events common, so these
tests exercise SimPy's tie rule (time, priority, scheduling order) on every path: wake-ups,
acks that hand the next message to the same consumer, drop-head, reject-publish, TTL timers.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mqsim as mq
from mqsim import dist

fast = pytest.importorskip("mqsim.sim.fast")
from mqsim.sim.fast import driver  # noqa: E402

pytest.importorskip("numba")
from mqsim import simulate  # noqa: E402


def simpy_simulate(*args, **kwargs):
    return simulate(*args, engine="simpy", **kwargs)

from tests.summary_checks import assert_summaries_match  # noqa: E402


def both(sc: mq.Scenario, horizon: float, seed: int, warmup: float = 0.0, trace: bool = True):
    a = simpy_simulate(sc, horizon, warmup, seed=seed, trace=trace)
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
    if trace:
        assert a.queue_length.equals(b.queue_length)


# ---- hypothesis: random supported scenarios ----------------------------------------------
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
ttls = st.one_of(st.none(), st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0]))


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 3))
    producers = [mq.Producer(f"p{i}", interarrival=draw(distributions), priority=draw(priorities),
                             service=draw(st.one_of(st.none(), st.none(), distributions)), ttl=draw(ttls))
                 for i in range(n)]
    queue = mq.Queue(max_priority=draw(st.one_of(st.none(), st.integers(1, 10))),
                     max_length=draw(st.one_of(st.none(), st.integers(0, 6))),
                     overflow=draw(st.sampled_from(["drop-head", "reject-publish"])), ttl=draw(ttls))
    by = draw(st.dictionaries(st.one_of(st.sampled_from([p.name for p in producers]), st.integers(0, 10)),
                              distributions, max_size=2))
    consumers = mq.Consumers(draw(st.integers(1, 4)), service=draw(distributions), prefetch=1, service_by=by or None)
    return mq.Scenario(producers=producers, queue=queue, consumers=consumers)


@given(sc=scenarios(), seed=st.integers(0, 2**32), horizon=st.floats(1.0, 60.0))
def test_fast_engine_reproduces_simpy_records(sc, seed, horizon):
    a, b = both(sc, horizon, seed)
    assert_identical(a, b)


@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_fast_summary_mode_matches_full_mode(sc, seed):
    full = simulate(sc, 40.0, 5.0, seed=seed, engine="fast")
    summ = simulate(sc, 40.0, 5.0, seed=seed, engine="fast", records="summary")
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
    assert a.summary().equals(b.summary())


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


# ---- unsupported scenarios and the fallback ------------------------------------------------
BASE = dict(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(2, service=dist.Exponential(mean=0.5)))


@pytest.mark.parametrize("sc,feature", [
    (mq.Scenario(producers=BASE["producers"], consumers=mq.Consumers(2, prefetch=3)), "prefetch"),
    (mq.Scenario(producers=BASE["producers"], consumers=mq.Consumers(2, prefetch=0)), "prefetch"),
    (mq.Scenario(producers=[mq.Producer("p", rate=1.0, batch=3)], consumers=BASE["consumers"]), "batch"),
    (mq.Scenario(producers=BASE["producers"], consumers=mq.Consumers(2, nack=0.1)), "nack"),
    (mq.Scenario(producers=BASE["producers"], consumers=mq.Consumers(2, auto_ack=True)), "auto_ack"),
])
def test_unsupported_features_are_named_and_auto_falls_back(sc, feature):
    with pytest.raises(ValueError, match=feature):
        simulate(sc, 10.0, seed=1, engine="fast")
    res = simulate(sc, 10.0, seed=1, engine="auto")
    assert res.engine == "simpy"
    assert res.messages.equals(simpy_simulate(sc, 10.0, seed=1).messages)


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


@pytest.mark.parametrize("d", [dist.Exponential(mean=0.7), dist.Deterministic(0.3), dist.Uniform(0.1, 2.0),
                               dist.Gamma(0.4, 1.0), dist.Erlang(3, mean=1.5), dist.LogNormal(1.0, 2.5),
                               dist.Empirical((0.0, 1.0, 2.5, 7.0)), dist.Empirical(tuple(range(1, 70000))),
                               mq.dist.Discrete((1, 5, 9), (0.2, 0.5, 0.3))])
def test_sequential_samplers_draw_the_same_values_in_one_call(d):
    """The fast engine draws several BLOCKs in one call for these types; that must equal the
    block-by-block draws of mqsim.streams.Stream (values and generator state)."""
    from mqsim.sim.streams import BLOCK

    assert type(d) in driver.SEQUENTIAL
    for seed, m in ((0, 1), (1, 3), (2, 64)):
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        per_block = np.concatenate([d.sample(r1, BLOCK) for _ in range(m)])
        assert np.array_equal(per_block, d.sample(r2, m * BLOCK))
        assert r1.bit_generator.state == r2.bit_generator.state
