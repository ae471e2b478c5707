"""The SimPy engine: exact sample paths against independent recursions, broker semantics, hooks."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Erlang, Exponential, LogNormal, Uniform
from mqsim.sim.streams import ARRIVAL, SERVICE, Stream, make_rng


def _streams(sc: mq.Scenario, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times and service requirements of the first ``n`` messages of producer 0,
    drawn independently of the engine from the documented stream keys."""
    p = sc.producers[0]
    gaps = Stream(p.interarrival.sample, make_rng(seed, ARRIVAL, 0)).take(n)
    svc = Stream(sc.service_for(0, p.priority_levels[0]).sample, make_rng(seed, SERVICE, 0, 0)).take(n)
    return np.cumsum(gaps), svc


@pytest.mark.parametrize("inter,service,seed", [
    (Exponential(mean=1.0), Exponential(mean=0.8), 3),
    (Erlang(k=3, mean=1.0), LogNormal(mean=0.9, scv=2.0), 11),
    (Uniform(0.5, 1.5), Deterministic(0.95), 5),
])
def test_single_server_matches_lindley_recursion(inter, service, seed):
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=inter)], consumers=mq.Consumers(1, service=service))
    res = mq.simulate(sc, horizon=5_000, seed=seed)
    m = res.messages
    done = m[m.outcome == "acked"]
    n = len(done)
    arr, svc = _streams(sc, seed, n)
    w = np.zeros(n)
    for k in range(1, n):  # Lindley: W_{k} = max(0, W_{k-1} + S_{k-1} - A_k)
        w[k] = max(0.0, w[k - 1] + svc[k - 1] - (arr[k] - arr[k - 1]))
    np.testing.assert_allclose(done.t_publish.to_numpy(), arr, rtol=0, atol=1e-9)
    np.testing.assert_allclose(done.service.to_numpy(), svc, rtol=0, atol=0)
    np.testing.assert_allclose(done.wait.to_numpy(), w, rtol=0, atol=1e-9)


@pytest.mark.parametrize("c,seed", [(2, 1), (4, 7)])
def test_multi_server_fifo_matches_kiefer_wolfowitz(c, seed):
    lam = 0.85 * c
    sc = mq.Scenario(producers=[mq.Producer("p", rate=lam)], consumers=mq.Consumers(c, service=Exponential(mean=1.0)))
    res = mq.simulate(sc, horizon=3_000, seed=seed)
    m = res.messages
    started = m[m.t_start.notna()]
    n = len(started)
    arr, svc = _streams(sc, seed, n)
    free = [0.0] * c  # Kiefer-Wolfowitz: FCFS start = max(arrival, earliest server-free time)
    expect = np.empty(n)
    for k in range(n):
        f = heapq.heappop(free)
        start = max(arr[k], f)
        expect[k] = start - arr[k]
        heapq.heappush(free, start + svc[k])
    np.testing.assert_allclose(started.wait.to_numpy(), expect, rtol=0, atol=1e-9)


def test_same_seed_same_records_and_different_seed_differs():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.0)], consumers=mq.Consumers(3, service=Exponential(mean=1.0)))
    a = mq.simulate(sc, horizon=500, seed=42).messages
    b = mq.simulate(sc, horizon=500, seed=42).messages
    c = mq.simulate(sc, horizon=500, seed=43).messages
    assert a.equals(b)
    assert not a.t_publish.equals(c.t_publish)


def _burst(n: int, **kw) -> mq.Scenario:
    """Messages every 0.1 s, served in 1 s by one consumer: the queue builds up."""
    return mq.Scenario(producers=[mq.Producer("p", interarrival=Deterministic(0.1), **kw)],
                       consumers=mq.Consumers(1, service=Deterministic(1.0)), queue=mq.Queue(**kw.pop("queue", {})))


def test_reject_publish_refuses_newest_and_drop_head_drops_oldest():
    base = dict(producers=[mq.Producer("p", interarrival=Deterministic(0.1))],
                consumers=mq.Consumers(1, service=Deterministic(1.0)))
    rej = mq.simulate(mq.Scenario(queue=mq.Queue(max_length=3, overflow="reject-publish"), **base), horizon=1.05)
    m = rej.messages
    # message 0 (t=0.1) is in service, 1..3 wait, 4.. are refused on arrival
    assert list(m.outcome[:4]) == ["in_flight", "ready", "ready", "ready"]
    assert len(m) == 10 and (m.outcome[4:] == "dropped").all() and (m.cause[4:] == "reject-publish").all()
    assert np.allclose(m.t_done[4:], m.t_publish[4:])
    head = mq.simulate(mq.Scenario(queue=mq.Queue(max_length=3, overflow="drop-head"), **base), horizon=0.95)
    h = head.messages  # published 0.1..0.9: #0 in service; each arrival beyond 3 ready drops the oldest ready
    assert list(h.outcome) == ["in_flight"] + ["dropped"] * 5 + ["ready"] * 3
    assert (h.cause[1:6] == "drop-head").all()
    np.testing.assert_allclose(h.t_done[1:6], h.t_publish[4:9], atol=1e-12)  # #k dropped when #k+3 arrived


def test_priority_order_and_max_priority_clipping():
    mix = mq.dist.Discrete.from_mapping({1: 0.5, 9: 0.5})
    sc = mq.Scenario(producers=[mq.Producer("p", interarrival=Deterministic(0.1), priority=mix)],
                     queue=mq.Queue(max_priority=5), consumers=mq.Consumers(1, service=Deterministic(1.0)))
    m = mq.simulate(sc, horizon=30, seed=2).messages
    assert set(m.priority) == {1, 5}  # 9 clipped to x-max-priority 5
    started = m[m.t_start.notna()].sort_values("t_start")
    # while both levels are waiting, every service start after the first picks priority 5 first
    ready_hi = started.iloc[1:10]
    assert (ready_hi.priority == 5).all()
    fifo = mq.Scenario(producers=sc.producers, queue=mq.Queue(), consumers=sc.consumers)
    f = mq.simulate(fifo, horizon=30, seed=2).messages
    s = f[f.t_start.notna()]
    assert s.t_start.is_monotonic_increasing and s.id.is_monotonic_increasing  # FIFO ignores priority


def test_prefetch_unlimited_round_robins_and_prefetch_one_shares():
    kw = dict(producers=[mq.Producer("p", interarrival=Deterministic(0.1))])
    rr = mq.simulate(mq.Scenario(consumers=mq.Consumers(2, service=Deterministic(1.0), prefetch=0), **kw), horizon=5)
    m = rr.messages
    assert list(m.consumer[:10]) == [0, 1] * 5  # pushed round-robin at publish, nothing stays ready
    assert (m.outcome != "ready").all()
    sh = mq.simulate(mq.Scenario(consumers=mq.Consumers(2, service=Deterministic(1.0), prefetch=1), **kw), horizon=5)
    s = sh.messages
    assert (s.outcome == "ready").sum() > 0
    per = s[s.outcome == "in_flight"].groupby("consumer").size()
    assert (per <= 1).all()
    pf3 = mq.simulate(mq.Scenario(consumers=mq.Consumers(2, service=Deterministic(1.0), prefetch=3), **kw), horizon=5)
    p3 = pf3.messages
    assert (p3[p3.outcome == "in_flight"].groupby("consumer").size() == 3).all()


def test_event_hooks_see_every_event_in_time_order():
    seen: dict[str, list] = {k: [] for k in mq.EVENT_KINDS}
    sc = mq.Scenario(producers=[mq.Producer("p", rate=3.0)], queue=mq.Queue(max_length=2),
                     consumers=mq.Consumers(2, service=Exponential(mean=1.0)))
    sim = mq.Simulation(sc, seed=9)
    for k in mq.EVENT_KINDS:
        sim.on(k, seen[k].append)
    res = sim.run(horizon=300)
    cnt = res.counts()
    assert len(seen["publish"]) == cnt["published"]
    assert len(seen["ack"]) == cnt["acked"]
    assert len(seen["drop"]) == cnt["dropped"] > 0
    assert len(seen["deliver"]) == cnt["acked"] + cnt["in_flight"]
    assert all(e.cause == "drop-head" for e in seen["drop"])
    times = [e.time for e in seen["publish"]]
    assert times == sorted(times)
    m = res.messages.set_index("id")
    for e in seen["ack"][:50]:
        assert e.producer == "p" and e.time == m.loc[e.message, "t_done"] and e.consumer == m.loc[e.message, "consumer"]


def test_simulate_handlers_argument_and_bad_kind():
    n = []
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(1, service=Exponential(mean=0.5)))
    res = mq.simulate(sc, horizon=100, seed=1, handlers={"publish": lambda e: n.append(e)})
    assert len(n) == res.counts()["published"]
    with pytest.raises(ValueError, match="event kind"):
        mq.Simulation(sc).on("explode", print)


def test_queue_length_series_agrees_with_time_averages():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.6)], consumers=mq.Consumers(2, service=Exponential(mean=1.0)))
    res = mq.simulate(sc, horizon=2_000, seed=4)
    q = res.queue_length
    dt = np.diff(np.append(q.time.to_numpy(), res.horizon))
    in_system = (q.ready + q.in_flight).to_numpy()
    waiting = (q.ready + q.in_flight - q.busy).to_numpy()
    o = res.overall()
    assert np.isclose((in_system * dt).sum() / res.horizon, o["L"], rtol=1e-9)
    assert np.isclose((waiting * dt).sum() / res.horizon, o["Lq"], rtol=1e-9)
    assert np.isclose((q.busy.to_numpy() * dt).sum() / (2 * res.horizon), o["utilisation"], rtol=1e-9)


def test_warmup_excludes_early_messages():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(1, service=Exponential(mean=0.5)))
    res = mq.simulate(sc, horizon=1_000, warmup=400, seed=1)
    s = res.summary()
    m = res.messages
    assert s.loc[0, "published"] == (m.t_publish >= 400).sum()
    assert 0 < s.loc[0, "published"] < len(m)


@pytest.mark.parametrize("kw,field", [
    (dict(horizon=-1), "horizon"), (dict(horizon=10, warmup=10), "warmup"), (dict(horizon=10, seed=-3), "seed"),
    (dict(horizon=float("nan")), "horizon"),
])
def test_bad_run_arguments(kw, field):
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(1, service=Exponential(mean=0.5)))
    with pytest.raises(ValueError, match=field):
        mq.simulate(sc, **kw)
