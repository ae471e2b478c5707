"""mqsim.teaching.common: simulation beside theory in one table, formula tables, and CI tables of
replications."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import common


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def test_sim_vs_theory_table():
    t = common.sim_vs_theory(one_queue(0.5), n=4, seed=3, horizon=2_000, warmup=200, metrics=("Wq", "L", "p_wait"))
    assert list(t.index) == ["Wq", "L", "p_wait"]
    assert t.loc["Wq", "theory"] == pytest.approx(1.0) and t.loc["L", "theory"] == pytest.approx(1.0)
    assert t.attrs["formula"] == "M/M/1"
    assert all(isinstance(v, bool) for v in t["theory_in_ci"])
    assert ((t["ci_low"] <= t["simulated"]) & (t["simulated"] <= t["ci_high"])).all()
    with pytest.raises(ValueError, match="unknown"):
        common.sim_vs_theory(one_queue(0.5), metrics=("nope",))


def test_theory_rows_reads_fields_and_extras():
    t = common.theory_rows({"mm1k": mq.theory.mm1k(4, 5, 5), "md1": mq.theory.md1(0.8, 1.0)},
                      fields=("loss", "L", "W", "p0", "p1"))
    assert t.loc["mm1k", "L"] == pytest.approx(1.868332032, rel=1e-9)
    assert t.loc["mm1k", "p0"] == pytest.approx(0.2710555989, rel=1e-9)
    assert math.isnan(t.loc["mm1k", "p1"])
    assert t.loc["md1", "p1"] == pytest.approx(0.2451081857, rel=1e-9)


def test_ci_table_from_metrics_or_a_dict():
    sc = one_queue(0.8, c=1)
    reps = mq.replicate(sc, n=5, seed=6, horizon=3_000, warmup=300, by=(), progress=False)
    t = common.ci_table(reps, mq.theory.mm1(0.8, 1.0), ("L", "Wq", "utilisation"))
    assert list(t.columns) == ["simulated", "ci_low", "ci_high", "theory", "theory_in_ci"]
    assert t.loc["utilisation", "theory"] == pytest.approx(0.8)  # throughput E[S] / c
    assert t.loc["Wq", "simulated"] == pytest.approx(reps.ci("Wq")[0])
    d = common.ci_table(reps, {"loss": 0.0})
    assert d.index.tolist() == ["loss"] and d.loc["loss", "theory_in_ci"] in (True, False)
    assert math.isnan(common.ci_table(reps, metrics=["W"]).loc["W", "theory"])


def test_ci_row_and_overall_runs():
    r = common.ci_row("x", [1.0, 2.0, np.nan, 3.0], theory=2.0)
    assert r["label"] == "x" and r["n"] == 3 and r["theory"] == 2.0
    m, lo, hi = mq.confidence_interval([1.0, 2.0, 3.0])
    assert (r["simulated"], r["ci_low"], r["ci_high"]) == pytest.approx((m, lo, hi))
    reps = mq.replicate(one_queue(0.5), n=3, seed=1, horizon=300, by=("producer",), progress=False)
    o = common.overall_runs(reps)
    assert o["replication"].tolist() == [0, 1, 2] and (o["group"] == "all").all()
