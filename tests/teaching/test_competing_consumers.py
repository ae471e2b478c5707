"""mqsim.teaching.competing_consumers (lecture 4): dispatch policies against their formulas, the
staffing table, and the replicated service level against Erlang C."""

from __future__ import annotations

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import competing_consumers


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def test_dispatch_comparison_theory_and_ordering():
    t = competing_consumers.dispatch_comparison(2.4, 1.0, 3, n=4, seed=2, horizon=3_000, warmup=300)
    assert list(t["policy"]) == ["shared queue (prefetch 1)", "round-robin push (prefetch 0)", "random split"]
    assert t["theory"].tolist() == pytest.approx([1.078651685, 2.459422848, 4.0], rel=1e-8)
    assert t["simulated"].is_monotonic_increasing  # pooling beats round-robin beats random
    assert (t["n"] == 4).all()


def test_staffing_table_is_erlang_c():
    t = competing_consumers.staffing_table(2.4, 1.0, range(2, 6), t=1.0)
    assert np.isnan(t.loc[2, "Wq (s)"]) and t.loc[2, "utilisation"] == pytest.approx(1.2)
    m = mq.theory.mmc(2.4, 1.0, 4)
    assert t.loc[4, "Wq (s)"] == pytest.approx(m.Wq) and t.loc[4, "P(Wq > 1 s)"] == pytest.approx(m.wait_tail(1.0))
    assert t.loc[4, "wait p95 (s)"] == pytest.approx(m.wait_quantile(0.95))
    assert t["P(wait > 0)"].dropna().is_monotonic_decreasing


def test_service_level_covers_erlang_c():
    sc = one_queue(2.4, c=3)
    t = competing_consumers.service_level(sc, [0.0, 1.0, 3.0], n=8, seed=4, horizon=4_000, warmup=400)
    m = mq.theory.mmc(2.4, 1.0, 3)
    assert t["theory"].tolist() == pytest.approx([m.wait_cdf(x) for x in (0.0, 1.0, 3.0)])
    for _, row in t.iterrows():  # Bonferroni-ish: three intervals, each widened
        half = (row["ci_high"] - row["ci_low"]) / 2
        assert abs(row["mean"] - row["theory"]) <= 1.5 * half, row.to_dict()
    reps = mq.replicate(sc, n=8, seed=4, horizon=4_000, warmup=400, by=(), extra_metrics=["P(wait > 1)"],
                        progress=False)
    assert t.loc[1, "mean"] == pytest.approx(1 - reps.ci("P(wait > 1)")[0], rel=1e-12)
