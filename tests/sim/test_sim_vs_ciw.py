"""mqsim against an independent simulator (Ciw) where no exact formula exists.

Both simulators run seeded independent replications of the same system; Welch's interval for
the difference of their mean waits must cover 0. Ciw numbers its priority classes from 0 =
highest, and its log-normal takes the parameters of the underlying normal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential, LogNormal
from tests.stats import assert_same_mean

ciw = pytest.importorskip("ciw")
pytestmark = pytest.mark.slow

HORIZON, WARMUP, N = 6_000.0, 500.0, 12


def ciw_lognormal(mean: float, scv: float):
    s2 = math.log1p(scv)
    return ciw.dists.Lognormal(math.log(mean) - s2 / 2, math.sqrt(s2))


def ciw_records(network, seed: int) -> list:
    """Records of one Ciw replication, customers arriving after the warm-up."""
    ciw.seed(seed)
    q = ciw.Simulation(network)
    q.simulate_until_max_time(HORIZON)
    return [r for r in q.get_all_records() if r.arrival_date >= WARMUP]


def test_lognormal_service_three_consumers():
    lam, mean, scv, c = 2.4, 1.0, 3.0, 3
    sc = mq.Scenario(producers=[mq.Producer("p", rate=lam)], consumers=mq.Consumers(c, service=LogNormal(mean, scv)))
    ours = mq.replicate(sc, n=N, seed=7, horizon=HORIZON, warmup=WARMUP).runs
    ours = ours[ours.group == "all"]["Wq"].to_numpy()
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(lam)],
                             service_distributions=[ciw_lognormal(mean, scv)], number_of_servers=[c])
    theirs = np.array([np.mean([x.waiting_time for x in ciw_records(net, 1000 + r)]) for r in range(N)])
    assert_same_mean(ours, theirs, label="M/LN/3 mean wait")


def test_two_priorities_with_different_service_means():
    """Non-preemptive priorities, class-dependent service: no closed form for c > 1."""
    c = 2
    sc = mq.Scenario(
        producers=[mq.Producer("hi", rate=0.5, priority=9), mq.Producer("lo", rate=0.8, priority=0)],
        queue=mq.Queue(max_priority=9),
        consumers=mq.Consumers(c, service=Exponential(mean=1.0), service_by={"hi": Exponential(mean=0.6)}))
    runs = mq.replicate(sc, n=N, seed=8, horizon=HORIZON, warmup=WARMUP).runs
    net = ciw.create_network(
        arrival_distributions={"Class 0": [ciw.dists.Exponential(0.5)], "Class 1": [ciw.dists.Exponential(0.8)]},
        service_distributions={"Class 0": [ciw.dists.Exponential(1 / 0.6)], "Class 1": [ciw.dists.Exponential(1.0)]},
        priority_classes={"Class 0": 0, "Class 1": 1}, number_of_servers=[c])
    theirs = [[], []]
    for r in range(N):
        recs = ciw_records(net, 2000 + r)
        for k, name in enumerate(["Class 0", "Class 1"]):
            theirs[k].append(np.mean([x.waiting_time for x in recs if x.customer_class == name]))
    for k, prio in enumerate([9, 0]):
        ours = runs[(runs.group == "priority") & (runs.key == prio)]["Wq"].to_numpy()
        assert_same_mean(ours, np.array(theirs[k]), label=f"priority {prio} mean wait")
