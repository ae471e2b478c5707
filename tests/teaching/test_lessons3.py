"""mqsim.lessons3 (notebooks 09-12): the formulas it adds against the worked values (tests/data/worked_values.csv) and
against mqsim.theory, its simulation helpers against exact results (CIs over seeded replications),
the capacity-planning lab's plumbing, the exercises of notebooks 09-12 and the new plots."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Exponential
from mqsim.teaching import exercises as ex
from mqsim.teaching import lessons3 as l3
from tests.stats import assert_covers


# ----------------------------------------------------------------------------------------------
# Erlang A (Garnett et al. 2002) and TTL mixes (Baccelli & Hebuterne 1981)
# ----------------------------------------------------------------------------------------------
def test_erlang_a_reference_values():
    """erlangA_2.4_1_3_theta0.5: P(abandon) = 0.11985538, P(wait) = 0.4780467895,
    Lq = 0.5753058241, throughput = 2.112347088."""
    m = l3.erlang_a(2.4, 1.0, 3, 0.5)
    assert m.loss == pytest.approx(0.11985538, rel=1e-7)
    assert m.extras["P_wait_arrival"] == pytest.approx(0.4780467895, rel=1e-9)
    assert m.Lq == pytest.approx(0.5753058241, rel=1e-9)
    assert m.throughput == pytest.approx(2.112347088, rel=1e-9)
    assert m.loss == pytest.approx(0.5 * m.Lq / 2.4, rel=1e-12)  # P(abandon) = theta Lq / lam
    # the tagged-message served probability agrees with 1 - P(abandon)
    busy = m.L - m.Lq
    assert busy == pytest.approx(m.throughput / 1.0, rel=1e-9)  # carried load = X / mu
    assert m.extras["Wq_all"] == pytest.approx(m.Lq / 2.4)
    assert 0 < m.Wq < m.extras["Wq_all"] / (1 - m.loss)  # the patient ones wait less than all would


def test_erlang_a_tends_to_erlang_c_and_validates_input():
    c = mq.theory.mmc(2.4, 1.0, 3)
    a = l3.erlang_a(2.4, 1.0, 3, 1e-4)
    assert a.loss < 1e-3 and a.Lq == pytest.approx(c.Lq, rel=2e-3)
    assert a.extras["P_wait_arrival"] == pytest.approx(c.P_wait, rel=1e-3)
    assert l3.erlang_a(1.5, 1.0, 1, 0.5).throughput < 1.0  # overloaded but stable
    for bad in ({"lam": 0}, {"mu": -1}, {"theta": float("nan")}, {"c": 0}):
        kw = {"lam": 1.0, "mu": 1.0, "c": 1, "theta": 0.5, **bad}
        with pytest.raises(ValueError):
            l3.erlang_a(**kw)


@pytest.mark.parametrize("lam,loss,wq,p0", [(0.9, 0.2187637254, 0.5993253591, 0.2968873528),
                                            (1.5, 0.3984866944, 0.9748416941, 0.09773004164)])
def test_ttl_mix_with_one_ttl_is_mm1_plus_d(lam, loss, wq, p0):
    """ttl_mm1+D_*: one TTL is M/M/1+D, exactly, including the overloaded case."""
    mix = l3.mm1_ttl_mix(lam, 1.0, [2.0])
    ref = mq.theory.mm1_ttl(lam, 1.0, 2.0)
    assert mix.loss == pytest.approx(loss, rel=1e-9) and mix.Wq == pytest.approx(wq, rel=1e-9)
    assert mix.extras["P0"] == pytest.approx(p0, rel=1e-9)
    for f in ("throughput", "Lq", "L", "W", "P_wait"):
        assert getattr(mix, f) == pytest.approx(getattr(ref, f), rel=1e-9), f


def test_ttl_mix_tends_to_erlang_a_and_handles_atoms():
    ea = l3.erlang_a(0.9, 1.0, 1, 0.5)
    errs = []
    for k in (4, 64, 1024):
        t, p = l3.exponential_ttls(2.0, k)
        assert sum(t) / k == pytest.approx(2.0, rel=1e-9)  # conditional means keep the mean
        m = l3.mm1_ttl_mix(0.9, 1.0, t, p)
        errs.append(abs(m.loss - ea.loss))
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-5
    # a TTL of 0 expires unless served at once; repeated and unsorted TTLs are merged
    zero = l3.mm1_ttl_mix(0.9, 1.0, [0.0])
    assert zero.loss == pytest.approx(mq.theory.mm1_ttl(0.9, 1.0, 0.0).loss, rel=1e-12)
    a = l3.mm1_ttl_mix(0.9, 1.0, [4.0, 1.0, 1.0], [0.5, 0.25, 0.25])
    b = l3.mm1_ttl_mix(0.9, 1.0, [1.0, 4.0])
    assert a.loss == pytest.approx(b.loss, rel=1e-12) and a.Wq == pytest.approx(b.Wq, rel=1e-12)
    with pytest.raises(ValueError, match="probs"):
        l3.mm1_ttl_mix(0.9, 1.0, [1.0, 2.0], [0.7, 0.7])


def test_ttl_for_expiry():
    tau = l3.ttl_for_expiry(0.9, 1.0, 0.05)
    assert mq.theory.mm1_ttl(0.9, 1.0, tau).loss == pytest.approx(0.05, rel=1e-9)
    assert mq.theory.mm1_ttl(0.9, 1.0, tau * 0.999).loss > 0.05
    assert l3.ttl_for_expiry(0.2, 1.0, 0.5) == 0.0  # even TTL 0 loses only rho*P0 < 0.5
    with pytest.raises(ValueError, match="out of reach"):
        l3.ttl_for_expiry(2.0, 1.0, 0.4)  # at least 1 - mu/lam = 0.5 expire


def test_expiry_curves():
    curves = l3.expiry_curves(0.9, 1.0, [1.0, 2.0])
    assert curves["M/M/1+D: fixed TTL"][1][1] == pytest.approx(0.2187637254, rel=1e-9)
    fixed, expo, naive = (v[1] for v in curves.values())
    assert np.all(fixed < expo) and np.all(expo < naive)
    assert len(l3.expiry_curves(1.5, 1.0, [1.0])) == 2  # no M/M/1 tail when lam >= mu


# ----------------------------------------------------------------------------------------------
# simulation beside the formulas
# ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_ttl_mix_simulation_matches_the_exact_mix():
    t, p = l3.exponential_ttls(2.0, 4)
    sc = l3.ttl_mix_scenario(0.9, 1.0, t, p)
    assert len(sc.producers) == 4 and sc.arrival_rate == pytest.approx(0.9)
    th = l3.mm1_ttl_mix(0.9, 1.0, t, p)
    reps = mq.replicate(sc, n=12, seed=17, horizon=8_000, warmup=500, by=(), progress=False)
    assert_covers(reps, {"loss": th.loss, "Wq": th.Wq, "throughput": th.throughput})
    table = l3.ci_table(reps, th, ("loss", "Wq", "L"))
    assert list(table.columns) == ["simulated", "ci_low", "ci_high", "theory", "theory_in_ci"]
    assert table.loc["loss", "theory"] == pytest.approx(th.loss)
    assert l3.ci_table(reps, {"loss": th.loss}).index.tolist() == ["loss"]


@pytest.mark.slow
def test_prefetch_disables_ttl():
    t = l3.prefetch_ttl_table(0.9, 1.0, 2.0, prefetches=(1, 0), n=3, seed=2, horizon=3_000)
    assert t["prefetch"].tolist() == ["1", "unlimited (0)"]
    one, unlimited = t.iloc[0], t.iloc[1]
    assert one["stale"] == 0 and 0.15 < one["expired"] < 0.3
    assert unlimited["expired"] == 0 and unlimited["stale"] > 0.5


@pytest.mark.slow
def test_network_table_and_end_to_end_times():
    sc = mq.Scenario([mq.Producer("p", rate=2.0)], consumers=mq.Consumers(1, service=Exponential(rate=4.0)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Exponential(rate=3.0)))],
                     routes={"main": {"b": 1.0}})
    reps = mq.replicate(sc, n=10, seed=3, horizon=3_000, warmup=300, by=("queue",), progress=False)
    t = l3.network_table(reps, mq.theory.tandem(2.0, [4.0, 3.0]), ["main", "b"])
    assert t["node"].tolist() == ["main"] * 3 + ["b"] * 3 + ["network"]
    assert t.iloc[-1]["theory"] == pytest.approx(1.5)  # tandem_2_4_3.T
    assert t["theory_in_ci"].sum() >= 6
    run = mq.simulate(sc, horizon=3_000, warmup=300, seed=4)
    T = l3.end_to_end_times(run)
    assert abs(T.mean() - 1.5) < 4 * T.std() / math.sqrt(T.size / 20)  # correlated: loose, 20x variance
    assert (T > 0).all()


def test_end_to_end_times_deterministic_pipeline():
    """Publishes at 1, 2, 3, ...; 0.3 s at the first queue, 0.5 s at the second: 0.8 s each."""
    sc = mq.Scenario([mq.Producer("p", interarrival=Deterministic(1.0))],
                     consumers=mq.Consumers(1, service=Deterministic(0.3)),
                     stages=[mq.Stage("b", consumers=mq.Consumers(1, service=Deterministic(0.5)))],
                     routes={"main": {"b": 1.0}})
    run = mq.simulate(sc, horizon=10.5, warmup=2.5, seed=1)
    T = l3.end_to_end_times(run)
    assert T.size == 7 and np.allclose(T, 0.8)  # published at 3..9 (10 is still in the pipeline)


def test_tandem_sojourn_pdf_integrates_to_one_with_mean_T():
    f = l3.tandem_sojourn_pdf(2.0, [4.0, 3.0])
    t = np.linspace(0, 40, 400_001)
    dt = t[1] - t[0]
    assert np.sum(f(t)) * dt == pytest.approx(1.0, abs=1e-4)
    assert np.sum(t * f(t)) * dt == pytest.approx(1.5, abs=1e-4)
    with pytest.raises(ValueError):
        l3.tandem_sojourn_pdf(3.0, [4.0, 3.0])


def test_cafe_reference_values():
    """cafe.*: lam_hot 0.29, lam_till 0.5, T = 5.193174518 min, X* = 1/min at the till."""
    net = l3.cafe_theory()
    assert net.lam[1] == pytest.approx(0.29) and net.lam[2] == pytest.approx(0.5)
    assert net.W == pytest.approx(5.193174518, rel=1e-9)
    assert net.saturation_throughput == pytest.approx(1.0) and net.bottleneck == 2
    sc = l3.cafe_scenario()
    assert sc.node_names == ("main", "cold", "hot", "till") and sc.arrival_rate == pytest.approx(0.5)
    assert sc.routes["main"] == pytest.approx({"cold": 0.6, "hot": 0.4})
    assert l3.cafe_scenario(2.0, c=[1, 1, 3]).stages[1].consumers.count == 1


def test_lunchtime_counts_are_reproducible():
    a = l3.lunchtime_counts(3, seed=5)
    assert a.shape == (3,) and np.array_equal(a, l3.lunchtime_counts(3, seed=5))
    assert (a > 40).all() and (a < 140).all()  # about 89 expected


# ----------------------------------------------------------------------------------------------
# Kafka consumer groups (Kafka documentation: consumer groups)
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("P,n,expect", [(6, 4, 3.0), (6, 6, 6.0), (6, 8, 6.0), (3, 2, 1.5)])
def test_kafka_max_rate_is_the_reference_saturation(P, n, expect):
    assert l3.kafka_max_rate(1.0, P, n) == pytest.approx(expect)
    assert l3.kafka_max_rate(2.0, P, n) == pytest.approx(mq.theory.kafka_saturation(P, n, 2.0))
    assert l3.kafka_throughput(0.99 * expect, 1.0, P, n) == pytest.approx(0.99 * expect)
    assert l3.kafka_throughput(100.0, 1.0, P, n) == pytest.approx(min(P, n))  # everyone saturated


def test_kafka_throughput_piecewise_and_wait():
    assert l3.kafka_throughput(4.5, 1.0, 6, 4) == pytest.approx(2 * 1.0 + 2 * 4.5 / 6)
    assert l3.kafka_wait(2.4, 1.0, 6, 4) == pytest.approx(mq.theory.kafka_mm1_wait(2.4, 1.0, 6, 4), rel=1e-12)
    skew = mq.Topic(6, keys=1000, key_skew=1.2).partition_shares()
    assert l3.kafka_max_rate(1.0, 6, 6, shares=skew) == pytest.approx(1 / skew.max())
    with pytest.raises(mq.theory.UnstableError):
        l3.kafka_wait(4.0, 1.0, 6, 6, shares=skew)
    with pytest.raises(ValueError, match="shares"):
        l3.kafka_throughput(1.0, 1.0, 3, 3, shares=[0.5, 0.5])


def test_partitions_needed():
    assert l3.partitions_needed(40.0, 10.0) == 5  # keep up: 40/5 = 8 < 10
    assert l3.partitions_needed(40.0, 10.0, 0.4) == 6  # 1/(10 - 40/6) = 0.3 <= 0.4 < 0.5
    assert l3.partitions_needed(30.0, 10.0, 0.25) == 5  # exactly 0.25 at P = 5
    for lam, mu, w in [(40.0, 10.0, 0.4), (100.0, 25.0, 0.06), (90.0, 10.0, 0.2)]:
        P = l3.partitions_needed(lam, mu, w)
        assert 1 / (mu - lam / P) <= w + 1e-12 and (P == 1 or lam / (P - 1) >= mu or 1 / (mu - lam / (P - 1)) > w)
    with pytest.raises(ValueError, match="processing time"):
        l3.partitions_needed(10.0, 10.0, 0.05)


def test_assignment_and_partition_tables():
    t = l3.assignment_table(6, range(1, 9))
    assert t["keeps up with (records/s)"].tolist() == [1, 2, 3, 3, 3, 6, 6, 6]
    assert t.loc[4, "partitions per consumer"] == "2 2 1 1" and t.loc[8, "active consumers"] == 6
    pt = l3.partition_table(mq.Topic(6, keys=1000, key_skew=1.2), 4)
    assert pt["share"].sum() == pytest.approx(1.0) and pt["consumer"].tolist() == [0, 0, 1, 1, 2, 3]
    assert pt.loc[0, "consumer_share"] == pytest.approx(pt.loc[0, "share"] + pt.loc[1, "share"])


def test_partition_lag_counts_unpolled_records():
    ks = mq.KafkaScenario([mq.Producer("p", rate=2.0)], mq.Topic(3), mq.ConsumerGroup(1, Exponential(mean=1.0)))
    run = mq.simulate(ks, horizon=200, seed=1)
    lag = l3.partition_lag(run, times=[50.0, 200.0])
    a = run.arrays
    waiting = np.sum((a["t_publish"] <= 200.0) & ~(a["t_start"] <= 200.0))
    assert lag.loc[200.0].sum() == waiting and lag.shape == (2, 3)
    assert lag.loc[200.0].sum() > lag.loc[50.0].sum()  # one consumer at mu = 1 for lam = 2: it grows


@pytest.mark.slow
def test_kafka_sweep_and_wait_comparison():
    sw = l3.kafka_rate_sweep(6, 4, 1.0, [2.0, 4.5], n=3, seed=1, horizon=600, warmup=100)
    assert len(sw) == 4 and set(sw["system"]) == {"Kafka: 6 partitions, 4 consumers", "shared queue: 4 consumers"}
    k = sw[(sw["system"].str.startswith("Kafka")) & (sw["lam"] == 4.5)].iloc[0]
    assert k["theory"] == pytest.approx(3.5) and abs(k["mean"] - 3.5) < 0.25
    w = l3.kafka_wait_comparison(2.4, 1.0, [("shared", 4, None), ("kafka", 4, 6)], n=4, seed=2, horizon=2_000,
                                 warmup=200)
    assert w["theory"].tolist() == pytest.approx([mq.theory.mmc(2.4, 1.0, 4).W, 3.888888889])
    assert w.loc[1, "simulated"] > 2 * w.loc[0, "simulated"]  # no pooling across partitions


# ----------------------------------------------------------------------------------------------
# capacity-planning lab
# ----------------------------------------------------------------------------------------------
def test_capstone_workload_and_scenarios():
    wl = l3.capstone_workload()
    s = wl["service"]
    assert len(s.samples) == 2_000 and s.mean == pytest.approx(0.455, abs=0.01) and 1.0 < s.scv < 2.0
    assert l3.capstone_service_sample().samples == s.samples  # seeded
    assert wl["schedule"].peak == 9.0 and wl["schedule"].mean_rate == 6.0
    sc = l3.capstone_scenario(4, prefetch=2, max_length=30, ttl=20.0, priorities=True)
    assert [p.name for p in sc.producers] == ["interactive", "batch"]
    assert sc.arrival_rate == pytest.approx(6.0) and sc.queue.max_priority == 5
    assert [p.priority for p in sc.producers] == [5, 1] and sc.consumers.prefetch == 2
    assert [p.priority for p in l3.capstone_scenario(3).producers] == [0, 0]
    peak = l3.peak_scenario(5)
    assert peak.arrival_rate == 9.0 and peak.consumers.count == 5
    assert l3.peak_scenario(rate=6.0).arrival_rate == 6.0


def test_slo_report_and_grader():
    rep = l3.check_design(8, n=2, seed=1, periods=1)
    assert list(rep.index) == list(l3.CAPSTONE_SLOS)
    assert {"bound", "mean", "ci_low", "ci_high", "met", "verdict"} <= set(rep.columns)
    assert rep.attrs["consumers"] == 8 and rep.attrs["design"]["prefetch"] == 1
    g = l3.grade_design(None)
    assert not g and "no design yet" in repr(g)
    with pytest.raises(ValueError, match="consumers"):
        l3.grade_design({"prefetch": 1})
    with pytest.raises(ValueError, match="design"):
        l3.grade_design({"consumers": 4, "colour": "blue"})


@pytest.mark.slow
def test_grade_design_verdicts():
    good = l3.grade_design(dict(consumers=4, priorities=True), n=6)
    assert good and "PASS" in repr(good) and good.consumers == 4
    bad = l3.grade_design(dict(consumers=4), n=6)
    assert not bad and "interactive p99" in bad.message
    board = l3.compare_designs({"4+p": dict(consumers=4, priorities=True), "4": dict(consumers=4)}, n=4, seed=1)
    assert board["SLOs met"].tolist() == [True, False] and (board["consumers"] == 4).all()


# ----------------------------------------------------------------------------------------------
# the exercises of notebooks 09-12
# ----------------------------------------------------------------------------------------------
CANONICAL = {
    "nb09_ex2": 0.22747030677928312,          # Erlang A, c = 1, theta = 1/4 (own birth-death chain)
    "nb09_ex3": 1.5 * mq.theory.mm1_ttl(1.5, 1.0, 3.0).loss,
    "nb10_ex1": 1 / 1.5 + 1 / 1.0,            # tandem 2.5 -> (4, 3.5)
    "nb10_ex2": 1 / (0.7 - 0.4),              # feedback: T = 1/(mu(1 - p) - lam)
    "nb10_ex3": 60 * 0.4 / 0.58,              # hot counter with one server is the bottleneck
    "nb11_ex1": 10 * 50 / 3,                  # P mu / ceil(P/n)
    "nb11_ex2": 6,
    "nb12_ex1": 7,
    "nb12_ex2": 12,
}


def test_nb09_ex1_is_the_bisection_of_the_reference_formula():
    tau = ex.REGISTRY["nb09_ex1"].answer(ex.params("nb09_ex1"))
    lam, mu = 0.9, 1.0
    a = mu - lam
    p0 = 1 / (1 + lam * (1 - math.exp(-a * tau)) / a + lam / mu * math.exp(-a * tau))
    assert p0 * lam / mu * math.exp(-a * tau) == pytest.approx(0.05, rel=1e-9)
    assert ex.check("nb09_ex1", tau).status == "right"
    assert "as if nothing expired" in ex.check("nb09_ex1", math.log(0.9 / 0.05) / 0.1).message


@pytest.mark.parametrize("key,value", sorted(CANONICAL.items()))
def test_canonical_answers(key, value):
    assert ex.check(key, value).status == "right"
    assert ex.check(key, value * 3 + 1).status == "wrong"
    if not float(value).is_integer():
        fb = ex.check(key, value * 1.03)
        assert fb.status == "close" and f"{value:.4f}" not in fb.message


def test_exercises_9_to_12_registered_with_traps():
    assert ex.exercises("nb09") == ["nb09_ex1", "nb09_ex2", "nb09_ex3"]
    for nb in ("nb10", "nb11", "nb12"):
        assert ex.exercises(nb) == [f"{nb}_ex{k}" for k in (1, 2, 3)]
    assert "FIXED TTL" in ex.check("nb09_ex2", mq.theory.mm1_ttl(0.9, 1.0, 4.0).loss).message
    assert "busy all the time" in ex.check("nb09_ex3", 0.5).message
    assert "per VISIT" in ex.check("nb10_ex2", 1 / (1 - 0.4 / 0.7)).message
    assert "arrival rate" in ex.check("nb10_ex3", 30).message
    assert "pool" in ex.check("nb11_ex1", 200).message
    assert "only keeps up" in ex.check("nb11_ex2", 5).message
    assert "uniform keys" in ex.check("nb11_ex3", 600).message
    assert "MEAN rate" in ex.check("nb12_ex1", 5).message
    assert "Kendall" in ex.check("nb12_ex2", 17).message
    assert "without priorities" in ex.check("nb12_ex3", mq.theory.mmc(9.0, 1 / 0.45, 5).Wq).message
    for key in ex.exercises("nb09") + ex.exercises("nb1"):
        for sid in range(10):
            p = ex.params(key, sid)
            assert ex.check(key, ex.REGISTRY[key].answer(p), student_id=sid).status == "right"


# ----------------------------------------------------------------------------------------------
# plots
# ----------------------------------------------------------------------------------------------
def test_new_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    pts = pd.DataFrame({"x": [1.0, 2.0], "mean": [0.3, 0.2], "ci_low": [0.25, 0.15], "ci_high": [0.35, 0.25],
                        "n": [5, 5], "system": ["a", "b"]})
    ax = mq.viz.sim_vs_curves(pts, "x", {"f": ([0, 3], [0.4, 0.1])}, series="system", ylabel="y")
    assert len(ax.lines) >= 1 and ax.get_ylabel() == "y"
    ks = mq.KafkaScenario([mq.Producer("p", rate=1.0)], mq.Topic(2), mq.ConsumerGroup(2, Exponential(mean=0.5)))
    ax = mq.viz.partition_lag(l3.partition_lag(mq.simulate(ks, horizon=50, seed=1)), shares=[0.5, 0.5])
    assert len(ax.lines) == 2
    ax = mq.viz.hist_vs_density(np.random.default_rng(1).exponential(1.0, 500), lambda t: np.exp(-t), label="Exp(1)")
    assert ax.get_xlabel() == "time (s)"
    wl = l3.capstone_workload()
    runs = {"3": mq.simulate(l3.capstone_scenario(3), horizon=120, seed=1)}
    top, bottom = mq.viz.load_and_backlog(runs, wl["schedule"])
    assert top.get_ylabel() == "messages/s" and len(bottom.lines) == 1
    plt.close("all")
