"""priority_inversions against a brute-force count, with and without a publish grace."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim.analysis.twin import priority_inversions


def _brute(res: mq.Result, grace: float) -> int:
    a = res.arrays
    top = a["node"] == 0
    pub, start, prio = a["t_publish"][top], a["t_start"][top], a["priority"][top]
    start_inf = np.where(np.isnan(start), np.inf, start)
    n = 0
    for i in np.nonzero(~np.isnan(start))[0]:
        t = start[i]
        waiting = (prio > prio[i]) & (pub + grace < t) & (start_inf > t)
        n += bool(waiting.any())
    return n


@pytest.mark.parametrize("prefetch", [1, 20])
@pytest.mark.parametrize("grace", [0.0, 0.004, 0.05])
def test_inversions_match_a_brute_force_count(prefetch: int, grace: float) -> None:
    sc = mq.Scenario(producers=[mq.Producer("p", rate=250, priority={1: 0.4, 5: 0.3, 9: 0.3})],
                     queue=mq.Queue(max_priority=10, max_length=200),
                     consumers=mq.Consumers(count=1, service=mq.dist.Exponential(mean=0.005), prefetch=prefetch))
    res = mq.simulate(sc, horizon=3.0, seed=7)
    got = priority_inversions(res, grace=grace)
    assert got["inversions"] == _brute(res, grace)
    if prefetch == 1 and grace == 0.0:
        assert got["inversions"] == 0, "at prefetch 1 the simulated broker always hands out the highest priority"
    if prefetch == 20:
        assert got["inversions"] > 0


def test_grace_is_checked() -> None:
    res = mq.simulate(mq.Scenario(producers=[mq.Producer("p", rate=0.5)]), horizon=5, seed=1)
    with pytest.raises(ValueError, match="grace"):
        priority_inversions(res, grace=-1)
