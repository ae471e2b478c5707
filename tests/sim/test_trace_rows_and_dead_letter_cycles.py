"""Replayed trace rows with batches and priority mixes, dead-letter chains and cycles: what each
engine does (both engines run every case; ``tests/sim/test_fast_identity.py`` checks they agree to
the bit)."""

from __future__ import annotations

import pandas as pd
import pytest

import mqsim as mq
from mqsim.dist import Deterministic
from mqsim.model.arrivals import TraceReplay

pytestmark = pytest.mark.filterwarnings("ignore::mqsim.OverloadWarning")
ENGINES = ["simpy", pytest.param("fast", marks=pytest.mark.skipif(
    not __import__("importlib").util.find_spec("numba"), reason="numba not installed"))]


def run(sc: mq.Scenario, horizon: float, engine: str, seed: int = 1) -> mq.Result:
    return mq.simulate(sc, horizon, seed=seed, engine=engine)


# ---- trace rows -------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_every_member_of_a_batch_takes_its_arrivals_trace_row(engine):
    """A trace row is one arrival: with batch=2 both messages published then get its priority and
    its service time (the row count is the trace's, not the message count's)."""
    tr = TraceReplay((0.0, 1.0, 1.0), priorities=(1, 2, 5), services=(0.5, 2.0, 0.25))
    sc = mq.Scenario(producers=[mq.Producer("p", trace=tr, batch=2)], queue=mq.Queue(max_priority=5),
                     consumers=mq.Consumers(4, service=Deterministic(9.0)))
    m = run(sc, 10.0, engine).messages
    assert m.priority.tolist() == [1, 1, 2, 2, 5, 5]
    assert m.service.tolist() == [0.5, 0.5, 2.0, 2.0, 0.25, 0.25]
    assert m.t_publish.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_batch_size_mix_with_trace_services(engine):
    tr = TraceReplay((0.5, 1.5, 2.5, 3.5), services=(0.1, 0.2, 0.3, 0.4))
    sc = mq.Scenario(producers=[mq.Producer("p", trace=tr, batch={1: 0.5, 3: 0.5})],
                     consumers=mq.Consumers(2, service=Deterministic(9.0)))
    m = run(sc, 10.0, engine, seed=4).messages
    per_arrival = m.groupby("t_publish").service.agg(["nunique", "first"])
    assert (per_arrival["nunique"] == 1).all()
    assert per_arrival["first"].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert len(m) > 4  # some arrivals were batches of 3


@pytest.mark.parametrize("engine", ENGINES)
def test_trace_services_are_used_with_a_priority_mix(engine):
    """The class (priority) comes from the mix, the service from the trace row."""
    tr = TraceReplay((0.0, 1.0, 2.0, 3.0), services=(5.0, 6.0, 7.0, 8.0))
    sc = mq.Scenario(producers=[mq.Producer("p", trace=tr, priority={1: 0.5, 2: 0.5})],
                     queue=mq.Queue(max_priority=2), consumers=mq.Consumers(4, service=Deterministic(0.5)))
    m = run(sc, 20.0, engine).messages
    assert m.service.tolist() == [5.0, 6.0, 7.0, 8.0]
    assert set(m.priority) <= {1, 2}


# ---- dead-letter chains and cycles ------------------------------------------------------------
def lineage(m: pd.DataFrame, mid: int) -> list[str]:
    """The queues message ``mid``'s copies went through, from the producer's message on."""
    out = []
    while mid >= 0:
        out.append(m.queue[mid])
        mid = int(m.parent[mid])
    return out[::-1]


BUSY = mq.Consumers(1, service=Deterministic(1e6))  # one consumer that holds its first message for ever


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dead_letter_cycle_between_full_queues_stops_after_one_round(engine):
    """main -> a -> b -> a, every queue full (reject-publish-dlx, max_length 0, its one consumer
    busy): RabbitMQ drops a message dead-lettered back into a queue it already died in when no
    death on the way was a reject, so each message dies at most once in a and in b."""
    q = {"max_length": 0, "overflow": "reject-publish-dlx"}
    sc = mq.Scenario(producers=[mq.Producer("p", rate=5.0)], queue=mq.Queue(**q, dead_letter="a"), consumers=BUSY,
                     stages=[mq.Stage("a", queue=mq.Queue(**q, dead_letter="b"), consumers=BUSY),
                             mq.Stage("b", queue=mq.Queue(**q, dead_letter="a"), consumers=BUSY)])
    res = run(sc, 20.0, engine)
    m = res.messages
    ends = m[(m.outcome == "dropped")]
    assert len(ends) > 50
    for mid in ends.id:
        path = lineage(m, int(mid))
        assert path == ["main", "a", "b"]
    assert (ends.cause == "reject-publish").all()
    # every dropped message died in main and in a first; plus the first two, served in a and in b
    assert res.counts()["dead_lettered"] == 2 * len(ends) + 1 + 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_retry_loop_runs_while_the_consumer_rejects_and_stops_on_an_automatic_cycle(engine):
    """work rejects (dead-letter to wait); wait holds messages until their TTL and dead-letters
    them back to work: a retry loop, kept going by each reject. A message that then expires at
    work would go back to wait, where it already died with no reject since: it is dropped."""
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)],
                     consumers=mq.Consumers(2, service=Deterministic(0.1)), routes={"main": {"work": 1.0}},
                     stages=[mq.Stage("work", queue=mq.Queue(ttl=3.0, dead_letter="wait"),
                                      consumers=mq.Consumers(1, service=Deterministic(0.9), reject=0.5)),
                             mq.Stage("wait", queue=mq.Queue(ttl=1.0, dead_letter="work"), consumers=BUSY)])
    res = run(sc, 2_000.0, engine, seed=3)
    m = res.messages
    paths = [lineage(m, int(mid)) for mid in m.id[m.outcome.isin(["acked", "expired"])]]
    rounds = [p.count("wait") for p in paths]
    assert max(rounds) >= 3  # rejected again and again: the loop goes on
    dropped_at_work = m[(m.queue == "work") & (m.outcome == "expired")]
    assert len(dropped_at_work) > 0  # expired at work after a round through wait: not dead-lettered again
    for mid in dropped_at_work.id:
        assert lineage(m, int(mid))[-2] == "wait"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_dead_letter_chain_through_300_full_queues(engine):
    """A publish sets off a chain of dead-letterings through 300 full queues (the SimPy engine
    followed it by recursion, past Python's limit; both engines now loop). The k-th message finds
    the first k - 1 queues' consumers busy and goes down to the next one."""
    n = 300
    q = {"max_length": 0, "overflow": "reject-publish-dlx"}
    stages = [mq.Stage(f"s{k}", queue=mq.Queue(**q, dead_letter=f"s{k + 1}") if k + 1 < n else mq.Queue(max_length=0),
                       consumers=BUSY) for k in range(n)]
    sc = mq.Scenario(producers=[mq.Producer("p", trace=TraceReplay(tuple(0.01 * k for k in range(n + 3))))],
                     queue=mq.Queue(**q, dead_letter="s0"), consumers=BUSY, stages=stages)
    m = run(sc, 5.0, engine).messages
    last = lineage(m, len(m) - 1)
    assert last == ["main", *(f"s{k}" for k in range(n))]
    assert m.outcome.iloc[-1] == "dropped" and m.cause.iloc[-1] == "drop-head"
    assert (m.outcome[m.queue == "s0"] != "dropped").all()
