"""mqsim.teaching.impatience (lecture 9): expiry curves, a TTL mix simulated against its exact formula,
and prefetch switching the TTL off."""

from __future__ import annotations


import numpy as np
import pytest

import mqsim as mq
from mqsim.teaching import common
from mqsim.teaching import impatience as imp
from tests.stats import assert_covers


def test_expiry_curves():
    curves = imp.expiry_curves(0.9, 1.0, [1.0, 2.0])
    assert curves["M/M/1+D: fixed TTL"][1][1] == pytest.approx(0.2187637254, rel=1e-9)
    fixed, expo, naive = (v[1] for v in curves.values())
    assert np.all(fixed < expo) and np.all(expo < naive)
    assert len(imp.expiry_curves(1.5, 1.0, [1.0])) == 2  # no M/M/1 tail when lam >= mu


@pytest.mark.slow
def test_ttl_mix_simulation_matches_the_exact_mix():
    t, p = mq.theory.exponential_ttls(2.0, 4)
    sc = imp.ttl_mix_scenario(0.9, 1.0, t, p)
    assert len(sc.producers) == 4 and sc.arrival_rate == pytest.approx(0.9)
    th = mq.theory.mm1_ttl_mix(0.9, 1.0, t, p)
    reps = mq.replicate(sc, n=12, seed=17, horizon=8_000, warmup=500, by=(), progress=False)
    assert_covers(reps, {"loss": th.loss, "Wq": th.Wq, "throughput": th.throughput})
    table = common.ci_table(reps, th, ("loss", "Wq", "L"))
    assert list(table.columns) == ["simulated", "ci_low", "ci_high", "theory", "theory_in_ci"]
    assert table.loc["loss", "theory"] == pytest.approx(th.loss)
    assert common.ci_table(reps, {"loss": th.loss}).index.tolist() == ["loss"]


@pytest.mark.slow
def test_prefetch_disables_ttl():
    t = imp.prefetch_ttl_table(0.9, 1.0, 2.0, prefetches=(1, 0), n=3, seed=2, horizon=3_000)
    assert t["prefetch"].tolist() == ["1", "unlimited (0)"]
    one, unlimited = t.iloc[0], t.iloc[1]
    assert one["stale"] == 0 and 0.15 < one["expired"] < 0.3
    assert unlimited["expired"] == 0 and unlimited["stale"] > 0.5
