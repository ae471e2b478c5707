"""mqsim.teaching.flow_balance (lecture 1): Little's law and the utilisation law measured on runs, and
the article's Q = M x P against simulated and exact L."""

from __future__ import annotations

import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.teaching import flow_balance


def one_queue(lam, c=1, mu=1.0, **queue):
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def test_flow_balance_little_and_utilisation_laws():
    res = mq.simulate(one_queue(4.0, mu=5.0, max_length=4, overflow="reject-publish"), 20_000, 500, seed=8)
    fb = flow_balance.flow_balance(res)
    assert fb["L"] == pytest.approx(fb["lam_eff_W"], rel=0.01)  # Little with the admitted rate
    assert fb["lam_W"] / fb["L"] > 1.05  # ... and not with the offered rate (loss ~ 9 %)
    assert fb["U"] == pytest.approx(fb["XS_over_c"], rel=0.01)  # utilisation law
    assert fb["lam_eff"] == pytest.approx(fb["lam"] * (1 - fb["loss"]), rel=1e-9)
    exact = mq.theory.mm1k(4.0, 5.0, 5)
    assert fb["loss"] == pytest.approx(exact.loss, abs=0.01)
    dh = flow_balance.flow_balance(mq.simulate(one_queue(4.0, mu=5.0, max_length=4), 20_000, 500, seed=8))
    assert dh["lam_eff"] == dh["lam"] and dh["L"] == pytest.approx(dh["lam_W"], rel=0.01)  # drop-head admits all
    tb = flow_balance.flow_balance_table({"reject": res})
    assert tb.loc["reject", "L"] == fb["L"]


def test_flow_balance_table_labels_runs():
    runs = [mq.simulate(one_queue(lam, mu=5.0), 2_000, 200, seed=3) for lam in (1.0, 4.0)]
    tb = flow_balance.flow_balance_table(runs)
    assert list(tb.index) == ["ρ = 0.20", "ρ = 0.80"]
    assert tb.loc["ρ = 0.80", "L"] == pytest.approx(flow_balance.flow_balance(runs[1])["L"])
    with pytest.raises(ValueError, match="results"):
        flow_balance.flow_balance_table([])


def test_article_comparison_is_mm1_and_replicate():
    t = flow_balance.article_comparison(0.2, (0.3, 0.8), n=6, seed=2, horizon=3_000, warmup=300)
    assert t["article Q = M x P"].tolist() == pytest.approx([0.3, 0.8])
    assert t["L theory"].tolist() == pytest.approx([0.3 / 0.7, 4.0])
    assert t["Lq theory"].tolist() == pytest.approx([0.09 / 0.7, 3.2])
    for _, row in t.iterrows():  # the interval over replications covers M/M/1's L (widened: two intervals)
        half = (row["ci_high"] - row["ci_low"]) / 2
        assert abs(row["L simulated"] - row["L theory"]) <= 1.5 * half
    sc = mq.Scenario([mq.Producer("p", rate=4.0)], consumers=mq.Consumers(1, service=Exponential(mean=0.2)))
    reps = mq.replicate(sc, n=6, seed=2, horizon=3_000, warmup=300, by=(), progress=False)
    assert t.loc[1, "L simulated"] == pytest.approx(reps.ci("L")[0], rel=1e-12)  # the same runs as mq.replicate
