"""Run records: compact storage (a memory guard), optional columns, and the queue-length steps."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

import mqsim as mq
from mqsim.sim.records import COLUMNS, TRACE_CHUNK, optional_columns

EXP = mq.dist.Exponential
MM1 = mq.Scenario(producers=[mq.Producer("a", rate=0.9)], consumers=mq.Consumers(1, service=EXP(mean=1.0)))


def _peak(sc: mq.Scenario, messages: int, trace: bool) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    res = mq.simulate(sc, horizon=messages / sc.arrival_rate, seed=3, trace=trace)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, res.records.n_published


def _peak_per_message(sc: mq.Scenario, messages: int, trace: bool) -> float:
    """Bytes per message of full records: the growth of the traced peak from a run of
    ``messages / 4`` to one of ``messages`` (fixed costs such as buffers cancel out)."""
    p1, n1 = _peak(sc, messages // 4, trace)
    p2, n2 = _peak(sc, messages, trace)
    return (p2 - p1) / (n2 - n1)


def _features() -> mq.Scenario:
    """Priorities, prefetch 10, 10 % nacks, TTL, a dead-letter stage and crashes: every optional column."""
    return mq.Scenario(
        producers=[mq.Producer("hi", rate=1.44, priority=5), mq.Producer("lo", rate=1.44, priority=1)],
        queue=mq.Queue(max_priority=10, ttl=20.0, dead_letter="dlq"),
        consumers=mq.Consumers(4, service=EXP(mean=1.0), prefetch=10, nack=0.1,
                               failure=mq.Failure(EXP(mean=500.0), EXP(mean=10.0))),
        stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=EXP(mean=0.05)))])


def test_full_records_fit_in_120_bytes_per_message():
    # 340 bytes per message with Python lists of every field; the budget is 120 (trace included)
    assert _peak_per_message(MM1, 200_000, trace=True) < 90
    assert _peak_per_message(MM1, 200_000, trace=False) < 70
    assert _peak_per_message(_features(), 200_000, trace=True) < 120


def test_only_the_columns_a_scenario_can_use_are_stored():
    assert optional_columns(MM1) == set()
    rec = mq.simulate(MM1, 50, seed=1).records
    assert rec.node is None and rec.prior is None and rec.deliveries is None
    a = rec.arrays()
    assert set(a) == set(COLUMNS)
    delivered = ~np.isnan(a["t_deliver"])
    assert np.array_equal(a["deliveries"], delivered.astype(np.int64))  # derived: each delivered exactly once
    assert (a["node"] == 0).all() and (a["parent"] == -1).all() and (a["prior"] == 0).all()
    nack = mq.Scenario(producers=[mq.Producer("a", rate=0.5, priority={1: 0.5, 3: 0.5})],
                       queue=mq.Queue(max_priority=5),
                       consumers=mq.Consumers(1, service=EXP(mean=1.0), nack=0.3))
    assert optional_columns(nack) == {"prior", "deliveries", "cls"}
    d = mq.simulate(nack, 200, seed=1).arrays["deliveries"]
    assert d.max() > 1  # really stored: redeliveries happen


def test_queue_length_steps_survive_archiving():
    # enough steps to move several chunks into the archive; the series must be the same as the
    # one built from the message records (number in system changes at publish and ack)
    res = mq.simulate(MM1, 3 * TRACE_CHUNK / 0.9, seed=2)
    ql = res.queue_length
    assert len(ql) > 2 * TRACE_CHUNK
    assert ql["time"].is_monotonic_increasing and not ql["time"].duplicated().any()
    m = res.messages
    t = np.sort(m["t_publish"].to_numpy())
    done = np.sort(m["t_done"].dropna().to_numpy())
    for when in np.linspace(1.0, res.horizon - 1.0, 25):
        row = ql[ql["time"] <= when].iloc[-1]
        in_system = np.searchsorted(t, when, side="right") - np.searchsorted(done, when, side="right")
        assert row["ready"] + row["in_flight"] == in_system
