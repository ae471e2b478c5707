"""records="summary": running statistics in flat memory, on both engines, checked against full records."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mqsim as mq
from mqsim import dist, simulate
from mqsim.analysis.streaming import ALPHA, hist_quantiles
from mqsim.sim.result import SummaryResult
from mqsim.sim.simpy import summary_records as _simpy_summary
from tests.summary_checks import assert_summaries_match

try:
    import numba  # noqa: F401
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="the fast engine needs numba (pip install 'mqsim[fast]')")

means = st.sampled_from([0.1, 0.3, 0.5, 1.0])
distributions = st.one_of(
    means.map(lambda m: dist.Exponential(mean=m)),
    means.map(dist.Deterministic),
    st.tuples(st.integers(1, 3), means).map(lambda t: dist.Erlang(k=t[0], mean=t[1])),
    st.just(dist.Empirical((0.0, 0.2, 0.2, 1.0))),
)


@st.composite
def simpy_scenarios(draw):
    """Scenarios only the SimPy engine runs too: prefetch windows, nacks, crashes, dead-letter stages."""
    n = draw(st.integers(1, 2))
    producers = [mq.Producer(f"p{i}", interarrival=draw(distributions),
                             priority=draw(st.sampled_from([0, 3, {1: .5, 6: .5}])),
                             ttl=draw(st.sampled_from([None, 0.5, 2.0]))) for i in range(n)]
    dlq = draw(st.booleans())
    queue = mq.Queue(max_priority=draw(st.sampled_from([None, 5])), max_length=draw(st.sampled_from([None, 0, 3])),
                     overflow=draw(st.sampled_from(["drop-head", "reject-publish"])),
                     dead_letter="dlq" if dlq else None)
    failure = draw(st.sampled_from([None, mq.Failure(dist.Exponential(mean=5.0), dist.Deterministic(1.0))]))
    consumers = mq.Consumers(draw(st.integers(1, 3)), service=draw(distributions), prefetch=draw(st.integers(0, 3)),
                             nack=draw(st.sampled_from([0.0, 0.2])), failure=failure)
    stages = [mq.Stage("dlq", consumers=mq.Consumers(1, service=dist.Exponential(mean=0.2)))] if dlq else []
    routes = {}
    if draw(st.booleans()):  # a pipeline: acked messages continue to a next stage (which may dead-letter too)
        stages.append(mq.Stage("next", queue=mq.Queue(ttl=draw(st.sampled_from([None, 0.5])),
                                                      dead_letter="dlq" if dlq else None),
                               consumers=mq.Consumers(1, service=draw(distributions))))
        routes = {"main": {"next": draw(st.sampled_from([0.5, 1.0]))}}
    return mq.Scenario(producers=producers, queue=queue, consumers=consumers, stages=stages, routes=routes)


@given(sc=simpy_scenarios(), seed=st.integers(0, 2**32))
@settings(max_examples=40)
def test_simpy_summary_mode_matches_full_mode(sc, seed, monkeypatch_limit):
    full = simulate(sc, 40.0, 5.0, seed=seed, trace=False)
    summ = simulate(sc, 40.0, 5.0, seed=seed, records="summary")
    assert isinstance(summ, SummaryResult) and summ.engine == "simpy"
    assert summ.counts() == full.counts()
    assert_summaries_match(full.summary(), summ.summary())
    assert_summaries_match(full.summary(("producer",)), summ.summary(("producer",)))


@pytest.fixture(scope="module")
def monkeypatch_limit():
    """A small first window, so that short runs already compact (and read evicted ids)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(_simpy_summary, "FIRST_LIMIT", 64)
    yield
    mp.undo()


def test_simpy_summary_compacts_with_lazy_ttl_entries(monkeypatch):
    """TTL heap entries and expired ready entries outlive their messages' window rows."""
    monkeypatch.setattr(_simpy_summary, "FIRST_LIMIT", 128)
    sc = mq.Scenario(producers=[mq.Producer("a", rate=8.0, priority={1: 0.7, 5: 0.3}, ttl=30.0)],
                     queue=mq.Queue(max_priority=5, ttl=2.0, max_length=20),
                     consumers=mq.Consumers(2, service=dist.Exponential(mean=0.26), nack=0.05))
    full = simulate(sc, 3_000.0, 100.0, seed=4, trace=False)
    summ = simulate(sc, 3_000.0, 100.0, seed=4, records="summary")
    c = summ.counts()
    assert c == full.counts() and c["expired"] > 0 and c["dropped"] > 0 and c["published"] > 20_000
    assert_summaries_match(full.summary(), summ.summary())


@needs_numba
def test_fast_and_simpy_summaries_agree():
    sc = mq.Scenario(producers=[mq.Producer("hi", rate=1.5, priority=5, ttl=4.0), mq.Producer("lo", rate=1.5)],
                     queue=mq.Queue(max_priority=5, max_length=30), consumers=mq.Consumers(4, dist.Erlang(2, 1.2)))
    a = simulate(sc, 20_000.0, 500.0, seed=3, records="summary", engine="simpy")
    b = simulate(sc, 20_000.0, 500.0, seed=3, records="summary", engine="fast")
    assert a.counts() == b.counts() and b.engine == "fast"
    assert_summaries_match(a.summary(), b.summary())
    full = simulate(sc, 20_000.0, 500.0, seed=3, engine="fast", trace=False)
    assert_summaries_match(full.summary(), b.summary())
    for name in ("Wq", "utilisation", "wait_p95"):
        assert b.metric(name) == pytest.approx(full.metric(name), rel=2 * ALPHA)


def test_summary_result_refuses_per_message_tables():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)])
    for engine in ("simpy", "fast") if HAVE_NUMBA else ("simpy",):
        res = simulate(sc, 50.0, seed=1, engine=engine, records="summary")
        for what in ("messages", "queue_length", "arrays"):
            with pytest.raises(ValueError, match="records='full'"):
                getattr(res, what)
        with pytest.raises(ValueError, match="by"):
            res.summary(("consumer",))
        assert "published" in repr(res)


def test_histogram_quantiles_follow_numpy_interpolation():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.zeros(300), rng.exponential(2.0, 5_000), [5e-12, 3e9]])
    from mqsim.analysis.streaming import NBINS, bucket_of

    b = bucket_of(x)
    counts = np.bincount(b, minlength=NBINS).astype(float)
    sums = np.bincount(b, weights=x, minlength=NBINS)
    qs = (0.0, 0.05, 0.5, 0.95, 0.99, 1.0)
    got = hist_quantiles(counts, sums, qs)
    want = np.quantile(x, qs)
    np.testing.assert_allclose(got, want, rtol=2 * ALPHA)
    assert got[0] == 0.0 and got[1] == 0.0 and got[-1] == 3e9  # exact zeros; lone values exact
    assert all(np.isnan(hist_quantiles(np.zeros(NBINS), np.zeros(NBINS), qs)))


# ---- memory: flat in the number of messages -----------------------------------------------
def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


MM2 = mq.Scenario(producers=[mq.Producer("hi", rate=0.8, priority=2), mq.Producer("lo", rate=0.8)],
                  queue=mq.Queue(max_priority=2), consumers=mq.Consumers(2, service=dist.Exponential(mean=1.0)))


@needs_numba
def test_fast_summary_memory_is_flat():
    simulate(MM2, 10.0, engine="fast", records="summary")  # compile / load the cache outside the measurement
    small = _peak(lambda: simulate(MM2, 2e5 / 1.6, seed=1, engine="fast", records="summary"))
    big = _peak(lambda: simulate(MM2, 2e6 / 1.6, seed=1, engine="fast", records="summary"))
    full = _peak(lambda: simulate(MM2, 2e6 / 1.6, seed=1, engine="fast", trace=False))
    assert big < 1.3 * small, (small, big)
    assert full > 5 * big, (big, full)  # the measurement does see per-message storage


def test_simpy_summary_memory_is_flat(monkeypatch):
    monkeypatch.setattr(_simpy_summary, "FIRST_LIMIT", 1024)
    small = _peak(lambda: simulate(MM2, 1e4 / 1.6, seed=1, records="summary"))
    big = _peak(lambda: simulate(MM2, 4e4 / 1.6, seed=1, records="summary"))
    full_small = _peak(lambda: simulate(MM2, 1e4 / 1.6, seed=1, trace=False))
    full_big = _peak(lambda: simulate(MM2, 4e4 / 1.6, seed=1, trace=False))
    assert big < 1.3 * small, (small, big)
    # the measurement does see per-message storage: 3e4 more messages cost full records over a megabyte
    assert full_big - full_small > max(1e6, 10 * (big - small)), (small, big, full_small, full_big)
