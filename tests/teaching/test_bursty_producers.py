"""mqsim.teaching.bursty_producers (lecture 7): Kingman, its bound, Allen–Cunneen and Sakasegawa beside
exact values and simulation; bursts against the exact batch formula."""

from __future__ import annotations


import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Erlang, Exponential
from mqsim.teaching import bursty_producers as bp


def covers(row, value, widen=1.5):
    """The simulated interval (widened a little: several intervals per test) contains value."""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return abs(row["simulated"] - value) <= widen * half


def test_gg1_comparison_kingman_table():
    cases = {"M/D/1": (Exponential(mean=1.25), Deterministic(1.0)),
             "D/M/1": (Deterministic(1.25), Exponential(mean=1.0)),
             "E2/M/1": (Erlang(k=2, mean=1.25), Exponential(mean=1.0))}
    t = bp.gg1_comparison(cases, n=6, seed=3, horizon=20_000, warmup=1_000).set_index("case")
    assert t["exact"].tolist() == pytest.approx([2.0, 1.69273084, 2.843979767], rel=1e-8)
    assert t["kingman"].tolist() == pytest.approx([2.0, 2.0, 3.0])
    assert t.loc["D/M/1", "kingman_bound"] == pytest.approx(2.0)
    assert t.loc["E2/M/1", "kingman_bound"] == pytest.approx(3.5625)
    assert t["exact_formula"].tolist() == ["Pollaczek–Khinchine", "GI/M/1", "GI/M/1"]
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()


def test_ggc_comparison_allen_cunneen_and_sakasegawa():
    svcs = {"exponential": Exponential(mean=1.0), "constant": Deterministic(1.0)}
    t = bp.ggc_comparison(2.4, svcs, 3, n=6, seed=5, horizon=20_000, warmup=1_000).set_index("service")
    assert t["exact"].tolist() == pytest.approx([1.078651685, 0.5539002252], rel=1e-8)
    assert t["allen_cunneen"].tolist() == pytest.approx([1.078651685, 0.5393258427], rel=1e-8)
    assert t["sakasegawa"].tolist() == pytest.approx([1.108296223, 0.5541481115], rel=1e-8)
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()


def test_kingman_error_shrinks_with_load():
    t = bp.kingman_error(ca2s=(0.5,), rhos=[0.3, 0.8, 0.95])
    assert t.loc[t.rho == 0.8, "exact"].item() == pytest.approx(2.843979767, rel=1e-8)
    err = t["rel_error"].abs().to_numpy()
    assert err[0] > err[1] > err[2] > 0
    assert set(t.columns) >= {"arrivals", "ca2", "rho", "exact", "kingman", "kingman_bound", "rel_error"}


def test_kingman_explorer_builds():
    pytest.importorskip("ipywidgets")
    panel = bp.kingman_explorer()
    panel.sliders["ca2"].value = 1.0
    panel.sliders["cs2"].value = 0.0
    panel.update()


def test_batch_wait_and_comparison():
    assert mq.theory.batch_wait(0.8, 1, 1.0).Wq == pytest.approx(4.0)  # M/M/1
    assert mq.theory.batch_wait(0.8, 5, 1.0).Wq == pytest.approx(14.0)  # P-K on bursts (12) + 2 ahead in the burst
    assert mq.theory.batch_wait(0.8, 5, 1.0).L == pytest.approx(12.0)  # M^X/M/1: rho(1 + E[X^2]/E[X])/(2(1 - rho))
    t = bp.batch_comparison(0.8, [1, 5], 1.0, n=6, seed=1, horizon=20_000, warmup=1_000).set_index("batch")
    assert t["kingman"].tolist() == pytest.approx([4.0, 20.0])
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()
    with pytest.raises(ValueError):
        mq.theory.batch_wait(0.8, 0, 1.0)
