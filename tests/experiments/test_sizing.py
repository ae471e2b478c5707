"""SLO parsing, the per-run tail metrics, and consumer sizing (formula bracket, simulation
confirmation) on the examples/reference.yaml (M/M/3 at lam = 2.4) and lognormal examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Exponential
from mqsim.experiments.sizing import (
    SizingResult,
    _approx_sojourn_tail,
    _approx_wait_quantile,
    _approx_wait_tail,
    formula_value,
    size_consumers,
)
from mqsim.experiments.slo import extra_metric_values, parse_metric, parse_slo
from tests.stats import ci
from tests.worked_values import agrees

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUIET = {"progress": False}


# ------------------------------------------------------------------------------------------
# SLO grammar
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, name, threshold", [
    ("p99_wait <= 0.2", "wait_p99", 0.2), ("wait_p99<=0.2", "wait_p99", 0.2), ("p90_wait <= 1", "wait_p90", 1.0),
    ("p999_wait <= 3", "wait_p99.9", 3.0), ("wait_p99.9 <= 3", "wait_p99.9", 3.0),
    ("Wq <= 0.5", "Wq", 0.5), ("mean_wait <= 0.5", "Wq", 0.5), ("W < 2", "W", 2.0), ("mean_sojourn<=2", "W", 2.0),
    ("P(wait > 0.5) <= 0.05", "P(wait>0.5)", 0.05), ("P(Wq>0.5)<=0.05", "P(wait>0.5)", 0.05),
    ("P(sojourn > 2) <= 0.1", "P(sojourn>2)", 0.1), ("p95_sojourn <= 3", "sojourn_p95", 3.0),
    ("loss <= 0.01", "loss", 0.01), ("Wq <= 200 ms", "Wq", 0.2), ("Utilisation <= 0.7", "utilisation", 0.7),
    ("WQ<=1", "Wq", 1.0),
])
def test_parse_slo(text, name, threshold):
    slo = parse_slo(text)
    assert slo.metric.name == name
    assert slo.threshold == pytest.approx(threshold)
    assert slo.strict == ("<" in text and "<=" not in text)


@pytest.mark.parametrize("text, match", [
    ("throughput >= 3", "upper bounds"), ("p99_wait > 0.2", "upper bounds"), ("p99_wait", "cannot parse"),
    ("latency <= 1", "unknown metric"), ("P(wait > 0.5) <= 5", r"\[0, 1\]"), ("throughput <= 3", "cannot be sized"),
    ("p100_wait <= 1", "percentile"), ("loss <= 2 ms", "unit"),
])
def test_parse_slo_errors_name_the_problem(text, match):
    with pytest.raises(ValueError, match=match):
        parse_slo(text)


def test_tail_metrics_on_hand_made_messages():
    # window [10, 20): message 0 is before it; 1 waits 1 s; 2 waits 0; 3 is still waiting at t1
    # (published at 15, so it has waited 5 s: known to exceed 0.5 and 2); 4 was dropped.
    t_pub = np.array([5.0, 11.0, 12.0, 15.0, 16.0])
    t_start = np.array([6.0, 12.0, 12.0, np.nan, np.nan])
    t_done = np.array([7.0, 14.0, 13.0, np.nan, 16.5])
    acked = np.array([True, True, True, False, False])
    alive = np.array([False, False, False, True, False])
    v = extra_metric_values(["P(wait>0.5)", "P(wait>2)", "P(wait > 10)", "P(sojourn>1.5)", "wait_p90"],
                            t_pub, t_start, t_done, acked, alive, 10.0, 20.0)
    assert v["P(wait>0.5)"] == pytest.approx(2 / 3)  # msgs 1, 3 of 1, 2, 3
    assert v["P(wait>2)"] == pytest.approx(1 / 3)  # only 3
    assert v["P(wait>10)"] == pytest.approx(0 / 2)  # 3's outcome unknown: left out
    assert v["P(sojourn>1.5)"] == pytest.approx(2 / 3)  # 1 (3 s), 3 (5 s so far); not 2 (1 s)
    assert v["wait_p90"] == pytest.approx(np.quantile([1.0, 0.0], 0.9))
    assert parse_metric("P(wait>0.5)").extra and not parse_metric("wait_p95").extra


# ------------------------------------------------------------------------------------------
# the formula side
# ------------------------------------------------------------------------------------------
def test_exponential_tail_approximation_is_exact_for_mmc():
    m = mq.theory.mmc(2.4, 1.0, 4)
    for t in (0.0, 0.3, 1.0, 2.5):
        assert _approx_wait_tail(t, m.P_wait, m.Wq) == pytest.approx(m.wait_tail(t), rel=1e-12)
    for q in (0.5, 0.9, 0.99):
        assert _approx_wait_quantile(q, m.P_wait, m.Wq) == pytest.approx(m.wait_quantile(q), rel=1e-12, abs=1e-15)
    s = Exponential(mean=1.0).sample(np.random.default_rng(1), 200_000)
    for t in (0.5, 2.0, 4.0):  # numerical integration over 200,000 service times: ~0.002 standard error
        assert _approx_sojourn_tail(t, m.P_wait, m.Wq, s) == pytest.approx(m.sojourn_tail(t), abs=0.01)


def test_formula_value_exact_approximate_and_absent():
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    fv = formula_value(sc.with_value("consumers.count", 5), "P(wait > 0.5)")
    assert fv.exact and fv.formula == "Erlang C"
    assert fv.value == pytest.approx(mq.theory.mmc(2.4, 1.0, 5).wait_tail(0.5), rel=1e-12)
    assert agrees(formula_value(sc, "Wq").value, "mmc_2.4_1_3.Wq")
    assert math.isinf(formula_value(sc.with_value("consumers.count", 2), "Wq").value)  # unstable
    logn = mq.load_yaml(str(EXAMPLES / "lognormal.yaml"))
    fa = formula_value(logn.with_value("consumers.count", 5), "p95_wait")
    assert not fa.exact and "approximation" in fa.note and fa.value > 0
    pf = sc.with_value("consumers.prefetch", 5)  # no shared-queue formula
    assert not formula_value(pf, "Wq").available


# ------------------------------------------------------------------------------------------
# sizing
# ------------------------------------------------------------------------------------------
def test_reference_example_needs_five_consumers_and_agrees_with_erlang_c():
    assert agrees(5, "mmc_2.4_1.min_c_P_Wq_gt_0.5_le_0.05")
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    r = size_consumers(sc, "P(wait > 0.5) <= 0.05", seed=1, **QUIET)
    assert isinstance(r, SizingResult)
    assert r.answer == 5 and r.formula_answer == 5 and r.agrees
    assert r.formula == "Erlang C" and r.formula_exact
    ev = r.evidence.set_index("consumers")
    assert bool(ev.loc[5, "meets"]) and not bool(ev.loc[4, "meets"])
    assert ev.loc[5, "ci_high"] <= 0.05 < ev.loc[4, "ci_high"]
    # the evidence interval covers the exact Erlang C tail at both counts
    for c in (4, 5):
        exact = mq.theory.mmc(2.4, 1.0, c).wait_tail(0.5)
        assert ev.loc[c, "ci_low"] <= exact <= ev.loc[c, "ci_high"]
        assert ev.loc[c, "formula"] == pytest.approx(exact)
    text = repr(r)
    assert "5 consumers" in text and "Erlang C" in text and "evidence" in text
    assert "agrees with the formula" in r.explanation


def test_lognormal_example_answer_differs_from_the_formula_with_evidence():
    sc = mq.load_yaml(str(EXAMPLES / "lognormal.yaml"))
    r = size_consumers(sc, "p95_wait <= 0.5", seed=1, **QUIET)
    assert not r.formula_exact and "Allen" in r.formula
    assert r.formula_answer == 6
    assert r.answer == 5
    ev = r.evidence.set_index("consumers")
    assert bool(ev.loc[5, "meets"]) and not bool(ev.loc[5, "formula_meets"])  # simulation yes, formula no
    assert not bool(ev.loc[4, "meets"])
    assert "approximation" in r.explanation and "fewer consumers" in r.explanation


def test_no_formula_simulation_still_answers():
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml")).with_value("consumers.prefetch", 3)
    r = size_consumers(sc, "Wq <= 0.5", seed=2, horizon=3_000, **QUIET)
    assert r.formula_answer is None and r.agrees is None
    assert r.answer is not None and r.answer >= 3
    ev = r.evidence.set_index("consumers")
    assert bool(ev.loc[r.answer, "meets"])
    assert r.answer == 3 or not bool(ev.loc[r.answer - 1, "meets"])
    assert "No formula" in r.explanation


def test_unreachable_slo_returns_none_with_a_reason():
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    r = size_consumers(sc, "P(wait > 0.5) <= 0.0001", seed=1, horizon=500, max_consumers=3, **QUIET)
    assert r.answer is None and r.cannot_be_met == ""
    assert "No count up to 3" in r.explanation


@pytest.mark.parametrize("slo, why", [("W <= 0.5", "W >= 1 s"), ("Wq <= 0", "Erlang C > 0"),
                                      ("Wq < 0", "never negative"), ("p_wait <= 0", "Erlang C > 0")])
def test_slo_that_no_count_can_meet_is_answered_at_once(slo, why):
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    r = size_consumers(sc, slo, seed=1, horizon=500, **QUIET)  # no simulation runs at all
    assert r.answer is None and r.formula_answer is None and why in r.cannot_be_met
    assert "cannot be met" in repr(r) and r.evidence.empty


def test_loss_slo_on_a_finite_queue_uses_mmck():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.4)], queue=mq.Queue(max_length=2, overflow="reject-publish"),
                     consumers=mq.Consumers(2, service=Exponential(mean=1.0)))
    r = size_consumers(sc, "loss <= 0.05", seed=3, horizon=3_000, **QUIET)
    exact = {c: mq.theory.mmck(2.4, 1.0, c, c + 2).loss for c in range(1, 8)}
    want = min(c for c, v in exact.items() if v <= 0.05)
    assert r.formula_answer == want and r.formula_exact
    assert r.answer in (want, want + 1)  # simulation may need one more for its margin of safety


def test_p_wait_tail_ci_covers_erlang_c_across_counts():
    """Statistical: the new P(wait > t) metric estimates the exact M/M/c tail."""
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    for c in (3, 4):
        reps = mq.replicate(sc.with_value("consumers.count", c), n=10, seed=40 + c, horizon=5_000, warmup=500,
                            by=(), extra_metrics=["P(wait > 0.5)"], **QUIET)
        exact = mq.theory.mmc(2.4, 1.0, c).wait_tail(0.5)
        m, lo, hi = ci(reps.runs["P(wait>0.5)"], 0.99)
        assert lo <= exact <= hi, (c, exact, lo, hi)
        assert (hi - lo) / 2 < 0.1 * exact


@pytest.mark.parametrize("kwargs, match", [
    ({"confidence": 1.5}, "confidence"), ({"replications": 1}, "replications"),
    ({"max_replications": 3}, "max_replications"), ({"max_consumers": 2}, "max_consumers"),
    ({"warmup": "soon"}, "warmup"), ({"horizon": -1}, "horizon"),
])
def test_size_consumers_bad_input(kwargs, match):
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    with pytest.raises(ValueError, match=match):
        size_consumers(sc, "Wq <= 1", **{"progress": False, **kwargs})


def test_sizing_plot():
    import matplotlib

    matplotlib.use("Agg")
    sc = mq.load_yaml(str(EXAMPLES / "reference.yaml"))
    r = size_consumers(sc, "Wq <= 0.2", seed=1, horizon=2_000, **QUIET)
    ax = mq.viz.sizing_evidence(r)
    assert ax.get_xlabel() == "consumers"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("SLO" in s for s in labels) and any("answer" in s for s in labels)
