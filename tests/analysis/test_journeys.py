"""End-to-end rows of networks: the overall and per-producer rows follow original messages
through the pipeline; dead-letter copies are not published again, dead-letter consumers are not
in the utilisation (issue: the overall row used to report the arrival rate as throughput)."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim.analysis.journeys import journeys, pipeline_nodes
from tests.stats import assert_covers

Exp = mq.dist.Exponential


def overloaded_with_dlq() -> mq.Scenario:
    # main: 2 consumers at rate 1.5 each against lam = 3.4 (rho = 1.13), TTL 2 s -> dead letters
    return mq.Scenario(producers=[mq.Producer("p", rate=3.4)], queue=mq.Queue(ttl=2.0, dead_letter="dlq"),
                       consumers=mq.Consumers(2, service=Exp(mean=1 / 1.5)),
                       stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=Exp(mean=0.2)))])


def test_overall_row_follows_original_messages_not_dead_letter_copies():
    res = mq.simulate(overloaded_with_dlq(), horizon=4_000, warmup=400, seed=5)
    s = res.summary(("queue",)).set_index("key")
    a, main, dlq = s.loc["all"], s.loc["main"], s.loc["dlq"]
    m = res.messages
    orig = m[(m["parent"] == -1) & (m["t_publish"] >= 400)]
    assert a["published"] == len(orig) == main["published"]  # copies are not published again
    assert a["dead_lettered"] == main["dead_lettered"] > 0
    assert a["loss"] == pytest.approx(main["loss"])  # dead-lettered = not processed end to end
    assert a["throughput"] == pytest.approx(main["throughput"])  # acks at the DLQ are not throughput
    assert a["throughput"] < 0.95 * a["arrival_rate"]
    assert a["utilisation"] == pytest.approx(main["utilisation"])  # the DLQ consumer is not averaged in
    assert dlq["acked"] > 0 and dlq["utilisation"] < main["utilisation"]
    assert a["W"] == pytest.approx(main["W"]) and a["Wq"] == pytest.approx(main["Wq"])


def test_a_journey_through_a_tandem_is_the_sum_of_its_hops():
    lam, mu1, mu2 = 0.6, 1.0, 0.8
    sc = mq.Scenario(producers=[mq.Producer("p", rate=lam)], consumers=mq.Consumers(1, service=Exp(rate=mu1)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Exp(rate=mu2)))],
                     routes={"main": {"b": 1.0}})
    th = mq.theory.tandem(lam, [mu1, mu2])
    reps = mq.replicate(sc, n=16, seed=62, horizon=10_000, warmup=500, by=())
    # end to end: Jackson's network sojourn T = sum of the node sojourns, L = sum of node L's,
    # and the time-average number of originals in the pipeline
    assert_covers(reps, {"W": th.W, "L": th.L, "Wq": sum(n.Wq for n in th.nodes), "throughput": lam})


def test_journeys_are_chains_of_route_copies():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(2, service=Exp(mean=0.5)),
                     queue=mq.Queue(ttl=1.0, dead_letter="dlq"),
                     stages=[mq.Stage("b", queue=mq.Queue(dead_letter="dlq"),
                                      consumers=mq.Consumers(1, service=Exp(mean=0.6))),
                             mq.Stage("c", consumers=mq.Consumers(1, service=Exp(mean=0.3))),
                             mq.Stage("dlq", consumers=mq.Consumers(1, service=Exp(mean=0.1)))],
                     routes={"main": {"b": 0.7}, "b": {"c": 0.5}})
    assert pipeline_nodes(sc) == [0, 1, 2]
    res = mq.simulate(sc, horizon=2_000, seed=3)
    a = res.arrays
    J = journeys(a)
    orig = np.nonzero(a["parent"] < 0)[0]
    assert np.array_equal(J["id"], orig)
    node, parent = a["node"], a["parent"]
    dl_copy = node == 3
    assert (J["root"][dl_copy] == -1).all() and (J["root"][~dl_copy] >= 0).all()
    # follow one journey by hand: hops are the original and its route copies, in id order
    for r in orig[:200]:
        chain = [r]
        while True:
            kids = np.nonzero((parent == chain[-1]) & ~dl_copy)[0]
            if not len(kids):
                break
            chain.append(int(kids[0]))
        k = np.searchsorted(orig, r)
        last = chain[-1]
        assert J["outcome"][k] == a["outcome"][last]
        started = [h for h in chain if not np.isnan(a["t_start"][h])]
        wait = sum(a["t_start"][h] - a["t_publish"][h] - a["prior"][h] for h in started)
        if not np.isnan(a["t_start"][r]):
            assert J["t_start"][k] == pytest.approx(a["t_publish"][r] + wait)
        if a["outcome"][last] not in (2, 3):
            assert J["t_done"][k] == a["t_done"][last]
