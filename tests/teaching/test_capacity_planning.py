"""mqsim.teaching.capacity_planning (lecture 12): the lab's workload and scenarios, the SLO report and
the grader."""

from __future__ import annotations


import pytest

from mqsim.teaching import capacity_planning as cp


def test_capstone_workload_and_scenarios():
    wl = cp.capstone_workload()
    s = wl["service"]
    assert len(s.samples) == 2_000 and s.mean == pytest.approx(0.455, abs=0.01) and 1.0 < s.scv < 2.0
    assert cp.capstone_service_sample().samples == s.samples  # seeded
    assert wl["schedule"].peak == 9.0 and wl["schedule"].mean_rate == 6.0
    sc = cp.capstone_scenario(4, prefetch=2, max_length=30, ttl=20.0, priorities=True)
    assert [p.name for p in sc.producers] == ["interactive", "batch"]
    assert sc.arrival_rate == pytest.approx(6.0) and sc.queue.max_priority == 5
    assert [p.priority for p in sc.producers] == [5, 1] and sc.consumers.prefetch == 2
    assert [p.priority for p in cp.capstone_scenario(3).producers] == [0, 0]
    peak = cp.peak_scenario(5)
    assert peak.arrival_rate == 9.0 and peak.consumers.count == 5
    assert cp.peak_scenario(rate=6.0).arrival_rate == 6.0


def test_slo_report_and_grader():
    rep = cp.check_design(8, n=2, seed=1, periods=1)
    assert list(rep.index) == list(cp.CAPSTONE_SLOS)
    assert {"bound", "mean", "ci_low", "ci_high", "met", "verdict"} <= set(rep.columns)
    assert rep.attrs["consumers"] == 8 and rep.attrs["design"]["prefetch"] == 1
    g = cp.grade_design(None)
    assert not g and "no design yet" in repr(g)
    with pytest.raises(ValueError, match="consumers"):
        cp.grade_design({"prefetch": 1})
    with pytest.raises(ValueError, match="design"):
        cp.grade_design({"consumers": 4, "colour": "blue"})


@pytest.mark.slow
def test_grade_design_verdicts():
    good = cp.grade_design(dict(consumers=4, priorities=True), n=6)
    assert good and "PASS" in repr(good) and good.consumers == 4
    bad = cp.grade_design(dict(consumers=4), n=6)
    assert not bad and "interactive p99" in bad.message
    board = cp.compare_designs({"4+p": dict(consumers=4, priorities=True), "4": dict(consumers=4)}, n=4, seed=1)
    assert board["SLOs met"].tolist() == [True, False] and (board["consumers"] == 4).all()
