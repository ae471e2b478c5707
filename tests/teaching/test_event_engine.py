"""mqsim.teaching.event_engine (lecture 2): the toy event list reproduces the engine, asyncio runs the
same queue FIFO, and the state distribution shows PASTA."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import event_engine


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def test_state_distribution_pasta():
    res = mq.simulate(one_queue(3.0, mu=5.0), 10_000, 500, seed=6)
    tb = event_engine.state_distribution(res, mq.theory.mm1(3.0, 5.0))
    assert tb["time_average"].sum() == pytest.approx(1.0, abs=0.002)
    assert np.max(np.abs(tb["time_average"] - tb["seen_by_arrivals"])) < 0.02
    assert np.max(np.abs(tb["time_average"] - tb["theory"])) < 0.03
    assert tb["theory"].iloc[0] == pytest.approx(0.4)


def test_toy_event_list_reproduces_the_engine_exactly():
    res = mq.simulate(one_queue(3.0, mu=5.0), 300, 0, seed=13)
    m = res.messages
    start, done, trace = event_engine.toy_event_list(m["t_publish"].to_numpy(), m["service"].to_numpy(), trace_steps=5)
    acked = m["outcome"].to_numpy() == "acked"
    assert acked.sum() > 500
    assert np.array_equal(start[acked], m["t_start"].to_numpy()[acked])
    assert np.array_equal(done[acked], m["t_done"].to_numpy()[acked])
    assert list(trace.columns) == ["time", "event", "message", "waiting", "event list after"]
    assert len(trace) == 5 and trace["event"].iloc[0] == "publish"
    assert trace["time"].is_monotonic_increasing


def test_asyncio_demo_runs_fifo():
    out = asyncio.run(event_engine.asyncio_queue_demo([0.5, 0.5, 0.5], [1.0, 0.2, 0.2], scale=0.002))
    assert out["message"].tolist() == [0, 1, 2]
    assert (out["wait"] >= 0).all() and (out["sojourn"] >= out["wait"]).all()
