"""mqsim.teaching.service_variability (lecture 6): service laws with a given mean and scv,
Pollaczek–Khinchine's 1 : 2 : 5, the inspection paradox and the M/D/1 states against simulation."""

from __future__ import annotations


import numpy as np
import pytest

from mqsim.dist import Deterministic, Erlang, Exponential, Gamma, HyperExponential
from mqsim.teaching import bounded_queues as bq
from mqsim.teaching import bursty_producers as bp
from mqsim.teaching import service_variability as sv


def covers(row, value, widen=1.5):
    """The simulated interval (widened a little: several intervals per test) contains value."""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return abs(row["simulated"] - value) <= widen * half


@pytest.mark.parametrize("scv,kind", [(0.0, Deterministic), (0.25, Erlang), (0.3, Gamma), (1.0, Exponential),
                                      (4.0, HyperExponential)])
def test_service_law_matches_mean_and_scv(scv, kind):
    d = sv.service_law(0.2, scv)
    assert isinstance(d, kind)
    assert d.mean == pytest.approx(0.2) and d.scv == pytest.approx(scv)
    a = bp.arrival_law(5.0, scv)
    assert a.mean == pytest.approx(0.2) and a.scv == pytest.approx(scv)
    with pytest.raises(ValueError):
        sv.service_law(1.0, -1.0)


def test_mg1_comparison_pk_ratio_1_2_5():
    svcs = {f"scv {s:g}": sv.service_law(1.0, s) for s in (0.0, 1.0, 4.0)}
    t = sv.mg1_comparison(0.8, svcs, n=6, seed=4, horizon=20_000, warmup=1_000)
    assert list(t["theory"]) == pytest.approx([2.0, 4.0, 10.0])
    assert np.allclose(t["rho"], 0.8)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.0), row.to_dict()
    L_ = sv.mg1_comparison(0.8, {"D": Deterministic(1.0)}, n=2, seed=4, horizon=500, warmup=50, metric="L")
    assert L_.loc[0, "theory"] == pytest.approx(2.4)


def test_residual_service_inspection_paradox():
    sc = bq.bounded_scenario(0.8, service=sv.service_law(1.0, 4.0))
    t = sv.residual_service(sc, n=6, seed=1, horizon=20_000, warmup=1_000)
    assert t["theory"].tolist() == pytest.approx([5.0, 2.5])
    assert t["naive"].tolist() == pytest.approx([1.0, 0.5])
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.5), row.to_dict()
    with pytest.raises(ValueError):
        sv.residual_service(bq.bounded_scenario(1.0, c=2), n=2)


def test_md1_states():
    t = sv.md1_states(0.8, 1.0, 3, n=4, seed=2, horizon=5_000, warmup=500)
    assert t.loc[0, "theory"] == pytest.approx(0.2, rel=1e-9)
    assert t.loc[1, "theory"] == pytest.approx(0.2451081857, rel=1e-9)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.5)


def test_pk_explorer_builds():
    pytest.importorskip("ipywidgets")
    panel = sv.pk_explorer(0.7, 2.0)
    assert set(panel.sliders) == {"rho", "scv"}
    panel.sliders["scv"].value = 9.0
    panel.update()
