"""mqsim.lessons2 (the helpers of notebooks 05-08), the plots they feed and the exercises nb05-nb08:
formula columns reproduce the worked values (tests/data/worked_values.csv), simulated columns agree with them, and
the numbers do not depend on the engine."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mqsim as mq  # noqa: E402
from mqsim.dist import Deterministic, Erlang, Exponential, Gamma, HyperExponential  # noqa: E402
from mqsim.teaching import exercises as ex  # noqa: E402
from mqsim.teaching import lessons2 as L  # noqa: E402


def covers(row, value, widen=1.5):
    """The simulated interval (widened a little: several intervals per test) contains value."""
    half = (row["ci_high"] - row["ci_low"]) / 2
    return abs(row["simulated"] - value) <= widen * half


# ---------------------------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------------------------
def test_theory_rows_reads_fields_and_extras():
    t = L.theory_rows({"mm1k": mq.theory.mm1k(4, 5, 5), "md1": mq.theory.md1(0.8, 1.0)},
                      fields=("loss", "L", "W", "p0", "p1"))
    assert t.loc["mm1k", "L"] == pytest.approx(1.868332032, rel=1e-9)
    assert t.loc["mm1k", "p0"] == pytest.approx(0.2710555989, rel=1e-9)
    assert math.isnan(t.loc["mm1k", "p1"])
    assert t.loc["md1", "p1"] == pytest.approx(0.2451081857, rel=1e-9)


def test_same_numbers_on_every_engine():
    sc = L.bounded_scenario(0.9, 1.0, 1, 3, "drop-head")
    a = L._overall(sc, 3, 5, 500.0, 50.0, "simpy")
    b = L._overall(sc, 3, 5, 500.0, 50.0, "auto")
    for m in ("loss", "L", "Wq", "throughput"):
        np.testing.assert_allclose(a[m], b[m], rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# 05 bounded queues
# ---------------------------------------------------------------------------------------------
def test_bounded_scenario():
    sc = L.bounded_scenario(1.8, 1.0, 2, 8)
    assert (sc.queue.max_length, sc.queue.overflow, sc.consumers.count) == (8, "reject-publish", 2)
    assert mq.theory.for_scenario(sc).metrics.loss == pytest.approx(0.05480733221, rel=1e-9)


def test_kendall_sweep_right_and_wrong_capacity():
    t = L.kendall_sweep(0.9, 1.0, 1, [0, 2, 5], n=4, seed=1, horizon=3_000, warmup=300)
    assert list(t["max_length"]) == [0, 2, 5]
    assert math.isnan(t.loc[0, "K = max_length"])
    assert t.loc[2, "K = max_length + c"] == pytest.approx(mq.theory.mm1k(0.9, 1.0, 6).loss)
    assert t.loc[2, "K = max_length"] == pytest.approx(mq.theory.mm1k(0.9, 1.0, 5).loss)
    for _, row in t.iterrows():
        assert covers(row, row["K = max_length + c"], 2.0)
    assert not covers(t.loc[1], t.loc[1, "K = max_length"])  # the wrong K is visibly wrong


def test_overflow_comparison_reference_values():
    t = L.overflow_comparison(0.9, 1.0, 1, 5, n=6, seed=2, horizon=10_000, warmup=500)
    th = t.set_index(["policy", "metric"])["theory"]
    assert th["reject-publish", "loss"] == pytest.approx(0.1018665597, rel=1e-9)
    assert th["drop-head", "loss"] == pytest.approx(0.1018665597, rel=1e-9)
    assert th["reject-publish", "Wq"] == pytest.approx(2.194782301, rel=1e-9)
    assert th["drop-head", "Wq"] == pytest.approx(1.802038, rel=1e-6)
    assert th["drop-head", "throughput"] == pytest.approx(0.8083200962, rel=1e-9)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.0), row.to_dict()


def test_erlang_b_insensitivity():
    svcs = {"constant": Deterministic(1.0), "exponential": Exponential(mean=1.0),
            "H2 scv 9": HyperExponential.balanced(1.0, 9.0)}
    t = L.erlang_b_insensitivity(3, 2.0, svcs, n=5, seed=3, horizon=3_000, warmup=300)
    assert list(t["scv"]) == pytest.approx([0.0, 1.0, 9.0])
    assert np.allclose(t["theory"], 4 / 19, rtol=1e-12)
    for _, row in t.iterrows():
        assert covers(row, 4 / 19, 2.0)


def test_smallest_max_length():
    assert L.smallest_max_length(0.9, 1.0, 1, 0.01) == 22
    assert mq.theory.mm1k(0.9, 1.0, 23).loss <= 0.01 < mq.theory.mm1k(0.9, 1.0, 22).loss
    assert L.smallest_max_length(2.4, 1.0, 2, 0.5) == 0  # loose target: no waiting room needed
    with pytest.raises(ValueError):
        L.smallest_max_length(0.9, 1.0, 1, 0.0)


# ---------------------------------------------------------------------------------------------
# 06 M/G/1
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scv,kind", [(0.0, Deterministic), (0.25, Erlang), (0.3, Gamma), (1.0, Exponential),
                                      (4.0, HyperExponential)])
def test_service_law_matches_mean_and_scv(scv, kind):
    d = L.service_law(0.2, scv)
    assert isinstance(d, kind)
    assert d.mean == pytest.approx(0.2) and d.scv == pytest.approx(scv)
    a = L.arrival_law(5.0, scv)
    assert a.mean == pytest.approx(0.2) and a.scv == pytest.approx(scv)
    with pytest.raises(ValueError):
        L.service_law(1.0, -1.0)


def test_mg1_comparison_pk_ratio_1_2_5():
    svcs = {f"scv {s:g}": L.service_law(1.0, s) for s in (0.0, 1.0, 4.0)}
    t = L.mg1_comparison(0.8, svcs, n=6, seed=4, horizon=20_000, warmup=1_000)
    assert list(t["theory"]) == pytest.approx([2.0, 4.0, 10.0])
    assert np.allclose(t["rho"], 0.8)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.0), row.to_dict()
    L_ = L.mg1_comparison(0.8, {"D": Deterministic(1.0)}, n=2, seed=4, horizon=500, warmup=50, metric="L")
    assert L_.loc[0, "theory"] == pytest.approx(2.4)


def test_residual_service_inspection_paradox():
    sc = L.bounded_scenario(0.8, service=L.service_law(1.0, 4.0))
    t = L.residual_service(sc, n=6, seed=1, horizon=20_000, warmup=1_000)
    assert t["theory"].tolist() == pytest.approx([5.0, 2.5])
    assert t["naive"].tolist() == pytest.approx([1.0, 0.5])
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.5), row.to_dict()
    with pytest.raises(ValueError):
        L.residual_service(L.bounded_scenario(1.0, c=2), n=2)


def test_md1_states():
    t = L.md1_states(0.8, 1.0, 3, n=4, seed=2, horizon=5_000, warmup=500)
    assert t.loc[0, "theory"] == pytest.approx(0.2, rel=1e-9)
    assert t.loc[1, "theory"] == pytest.approx(0.2451081857, rel=1e-9)
    for _, row in t.iterrows():
        assert covers(row, row["theory"], 2.5)


def test_pk_explorer_builds():
    pytest.importorskip("ipywidgets")
    panel = L.pk_explorer(0.7, 2.0)
    assert set(panel.sliders) == {"rho", "scv"}
    panel.sliders["scv"].value = 9.0
    panel.update()


# ---------------------------------------------------------------------------------------------
# 07 G/G
# ---------------------------------------------------------------------------------------------
def test_md_c_exact_reference_values():
    one = L.md_c_exact(0.8, 1.0, 1)
    assert one.Wq == pytest.approx(2.0, rel=1e-9)
    assert one.extras["probs"][0] == pytest.approx(0.2, rel=1e-9)
    assert one.extras["probs"][1] == pytest.approx(0.2451081857, rel=1e-9)
    assert one.L == pytest.approx(2.4, rel=1e-9)
    assert L.md_c_exact(2.4, 1.0, 3).Wq == pytest.approx(0.5539002252, rel=1e-8)
    assert L.md_c_exact(4.8, 0.5, 3).Wq == pytest.approx(0.5539002252 / 2, rel=1e-8)  # time scales with d
    assert L.md_c_exact(0.95, 1.0, 1).Wq == pytest.approx(mq.theory.md1(0.95, 1.0).Wq, rel=1e-8)
    with pytest.raises(mq.theory.UnstableError):
        L.md_c_exact(3.0, 1.0, 3)


def test_gg1_comparison_kingman_table():
    cases = {"M/D/1": (Exponential(mean=1.25), Deterministic(1.0)),
             "D/M/1": (Deterministic(1.25), Exponential(mean=1.0)),
             "E2/M/1": (Erlang(k=2, mean=1.25), Exponential(mean=1.0))}
    t = L.gg1_comparison(cases, n=6, seed=3, horizon=20_000, warmup=1_000).set_index("case")
    assert t["exact"].tolist() == pytest.approx([2.0, 1.69273084, 2.843979767], rel=1e-8)
    assert t["kingman"].tolist() == pytest.approx([2.0, 2.0, 3.0])
    assert t.loc["D/M/1", "kingman_bound"] == pytest.approx(2.0)
    assert t.loc["E2/M/1", "kingman_bound"] == pytest.approx(3.5625)
    assert t["exact_formula"].tolist() == ["Pollaczek–Khinchine", "GI/M/1", "GI/M/1"]
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()


def test_ggc_comparison_allen_cunneen_and_sakasegawa():
    svcs = {"exponential": Exponential(mean=1.0), "constant": Deterministic(1.0)}
    t = L.ggc_comparison(2.4, svcs, 3, n=6, seed=5, horizon=20_000, warmup=1_000).set_index("service")
    assert t["exact"].tolist() == pytest.approx([1.078651685, 0.5539002252], rel=1e-8)
    assert t["allen_cunneen"].tolist() == pytest.approx([1.078651685, 0.5393258427], rel=1e-8)
    assert t["sakasegawa"].tolist() == pytest.approx([1.108296223, 0.5541481115], rel=1e-8)
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()


def test_kingman_error_shrinks_with_load():
    t = L.kingman_error(ca2s=(0.5,), rhos=[0.3, 0.8, 0.95])
    assert t.loc[t.rho == 0.8, "exact"].item() == pytest.approx(2.843979767, rel=1e-8)
    err = t["rel_error"].abs().to_numpy()
    assert err[0] > err[1] > err[2] > 0
    assert set(t.columns) >= {"arrivals", "ca2", "rho", "exact", "kingman", "kingman_bound", "rel_error"}


def test_kingman_explorer_builds():
    pytest.importorskip("ipywidgets")
    panel = L.kingman_explorer()
    panel.sliders["ca2"].value = 1.0
    panel.sliders["cs2"].value = 0.0
    panel.update()


# ---------------------------------------------------------------------------------------------
# 08 priorities
# ---------------------------------------------------------------------------------------------
def test_priority_scenario():
    sc = L.priority_scenario([0.2, 0.3, 0.3])
    assert [p.priority for p in sc.producers] == [2, 1, 0]
    assert sc.queue.max_priority == 2
    sc = L.priority_scenario([0.3, 0.5], [Exponential(mean=0.5), Exponential(mean=1.5)], levels=[5, 1])
    assert [p.service.mean for p in sc.producers] == [0.5, 1.5] and sc.queue.max_priority == 5
    with pytest.raises(ValueError):
        L.priority_scenario([0.3, 0.5], levels=[1])


def test_priority_comparison_cobham_conservation_and_preemptive():
    t = L.priority_comparison(L.priority_scenario([0.3, 0.5]), n=6, seed=1, horizon=20_000, warmup=1_000)
    assert t["class"].tolist() == ["priority 1", "priority 0", "all (rate-weighted)"]
    assert t["non_preemptive"].tolist() == pytest.approx([1.142857143, 5.714285714, 4.0], rel=1e-8)
    assert t["fcfs"].tolist() == pytest.approx([4.0, 4.0, 4.0])
    assert t["preemptive"].tolist()[:2] == pytest.approx([1.428571429 - 1, 7.142857143 - 1], rel=1e-8)
    for _, row in t.iterrows():
        assert covers(row, row["non_preemptive"], 2.0), row.to_dict()


def test_priority_comparison_multi_server_and_no_formula():
    t = L.priority_comparison(L.priority_scenario([0.6, 1.8], c=3), n=3, seed=1, horizon=3_000, warmup=300)
    assert t["non_preemptive"].tolist()[:2] == pytest.approx([0.2696629213, 1.348314607], rel=1e-8)
    assert t["preemptive"].tolist()[:2] == pytest.approx([0.010273973, 1.43477759], rel=1e-6)
    assert t.loc[2, "fcfs"] == pytest.approx(1.078651685, rel=1e-8)
    odd = L.priority_scenario([0.6, 1.8], [Exponential(mean=0.5), Exponential(mean=1.2)], c=3)
    t = L.priority_comparison(odd, n=2, seed=1, horizon=500, warmup=50)
    assert t[["non_preemptive", "fcfs", "preemptive"]].isna().all().all()  # no closed form: simulate


def test_prefetch_priority_fades_towards_fcfs():
    t = L.prefetch_priority(L.priority_scenario([0.3, 0.5]), [1, 50], n=4, seed=2, horizon=5_000, warmup=500)
    assert len(t) == 4 and set(t["priority"]) == {0, 1}
    high = t[t.priority == 1].set_index("prefetch")["simulated"]
    low = t[t.priority == 0].set_index("prefetch")["simulated"]
    assert high[1] < 1.5 < 3.0 < high[50]
    assert abs(high[50] - low[50]) < 0.5 * low[50]
    assert (t["non_preemptive"] > 0).all() and np.allclose(t["fcfs"], 4.0)


def test_starvation_transient_ciw_example():
    t = L.starvation_transient([5.0, 5.0], 10.0, [100, 2_000], n=4, seed=1)
    hi = t[t.priority == 1].set_index("horizon")
    lo = t[t.priority == 0].set_index("horizon")
    assert np.allclose(hi["cobham"], 0.2) and lo["cobham"].isna().all()
    assert abs(hi.loc[2_000, "simulated"] - 0.2) < 0.03
    assert lo.loc[2_000, "simulated"] > lo.loc[100, "simulated"]
    assert lo.loc[2_000, "backlog"] > lo.loc[100, "backlog"]


def test_weighted_priority_toy():
    strict = L.weighted_priority_toy([0.3, 0.5], policy="strict", n=8, seed=1).set_index("class")
    weighted = L.weighted_priority_toy([0.3, 0.5], policy="weighted", n=8, seed=1).set_index("class")
    fifo = L.weighted_priority_toy([0.3, 0.5], policy="fifo", n=8, seed=1).set_index("class")
    assert covers(strict.loc["high"], 1.142857143, 2.0) and covers(strict.loc["normal"], 5.714285714, 2.0)
    assert covers(fifo.loc["high"], 4.0, 2.0) and covers(fifo.loc["normal"], 4.0, 2.0)
    assert strict.loc["high", "simulated"] < weighted.loc["high", "simulated"] < fifo.loc["high", "simulated"]
    assert weighted.loc["normal", "simulated"] < strict.loc["normal", "simulated"]
    for t in (strict, weighted, fifo):  # work conservation: the overall mean wait is the FCFS one
        assert covers(t.loc["all"], 4.0, 2.0)
    with pytest.raises(ValueError):
        L.weighted_priority_toy([0.3, 0.5], policy="random")


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------
def test_plots_ci_curve_marks_bars_and_curves():
    import matplotlib.pyplot as plt
    import pandas as pd

    t = pd.DataFrame({"x": [1, 2, 1, 2], "s": [0, 0, 1, 1], "simulated": [1.0, 2.0, 1.5, 2.5],
                      "ci_low": [0.9, 1.8, 1.4, 2.3], "ci_high": [1.1, 2.2, 1.6, 2.7],
                      "a": [1.0, 2.0, 1.5, 2.5], "b": [np.nan, 2.1, np.nan, np.nan], "n": 5})
    ax = mq.viz.ci_curve(t, "x", theory={"a": "exact", "b": "approx"}, series="s", logx=True)
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert any("exact" in lab for lab in labels) and any("simulated" in lab for lab in labels)
    plt.close("all")
    bars = t.assign(name=["p", "q", "r", "s"])
    ax = mq.viz.marks_bars(bars, label="name", marks={"a": "exact", "b": "approx"}, metric="Wq")
    assert len(ax.patches) == 4 and "Wq" in ax.get_ylabel()
    plt.close("all")
    ax = mq.viz.curves(L.kingman_error(ca2s=(0.0, 2.0), rhos=[0.3, 0.6]), "rho", "rel_error", series="arrivals",
                         reference=0.0)
    assert len(ax.get_lines()) == 3
    plt.close("all")


# ---------------------------------------------------------------------------------------------
# exercises nb05-nb08
# ---------------------------------------------------------------------------------------------
CANONICAL = {
    "nb05_ex1": 22,                 # smallest x-max-length with loss <= 1 % at rho = 0.9 (K = 23)
    "nb05_ex2": 1.802038,           # overflow_mm1k_0.9_1_6: drop-head wait of delivered messages
    "nb05_ex3": 0.05480733221,      # mmck 1.8, 1, 2, 10
    "nb06_ex1": 10.0,               # mg1_0.8_ES1, scv 4
    "nb06_ex2": 2.5,                # E[S^2]/(2E[S]) with E[S^2] = 5
    "nb06_ex3": 0.8,                # M/D/1 with Wq = 2 E[S] (md1_0.8_1)
    "nb07_ex1": 1.69273084,         # kingman_rho0.8: exact D/M/1
    "nb07_ex2": 3.5625,             # Kingman's upper bound for E2/M/1
    "nb07_ex3": 0.5393258427,       # Allen–Cunneen for M/D/3
    "nb08_ex1": 5.714285714,        # np_prio_mg1 low class
    "nb08_ex2": 0.2,                # np_prio_ciw_example.Wq_class0
    "nb08_ex3": 1.348314607,        # np_prio_mmc_3 low class
}


def test_exercise_keys_registered():
    for nb in ("nb05", "nb06", "nb07", "nb08"):
        assert ex.exercises(nb) == [f"{nb}_ex1", f"{nb}_ex2", f"{nb}_ex3"]


@pytest.mark.parametrize("key,value", sorted(CANONICAL.items()))
def test_exercise_canonical_answers(key, value):
    assert ex.check(key, value).status == "right", ex.check(key, value)
    assert ex.check(key, value * 3 + 1).status == "wrong"
    if not float(value).is_integer():
        assert f"{value:.4f}" not in ex.check(key, value * 1.2).message


def test_exercise_traps():
    assert "Kendall" in ex.check("nb05_ex1", 23).message
    assert "reject-publish" in ex.check("nb05_ex2", 2.194782301).message
    assert "max_length + c" in ex.check("nb05_ex3", mq.theory.mmck(1.8, 1, 2, 8).loss).message
    assert "Erlang B" in ex.check("nb05_ex3", mq.theory.erlang_b(2, 1.8)).message
    assert "M/M/1" in ex.check("nb06_ex1", 4.0).message
    assert "naive" in ex.check("nb06_ex2", 0.5).message
    assert "M/M/1" in ex.check("nb06_ex3", 2 / 3).message
    assert "Kingman" in ex.check("nb07_ex1", 2.0).message
    assert "OTHER" in ex.check("nb07_ex2", 3.0).message
    assert "Sakasegawa" in ex.check("nb07_ex3", 0.5541481115).message
    assert ex.check("nb07_ex3", 0.5539002252).status == "wrong"  # the exact M/D/3 value is not the approximation
    assert "PREEMPTIVE" in ex.check("nb08_ex1", 6.142857143).message
    assert "FCFS" in ex.check("nb08_ex1", 4.0).message
    assert "Ciw" in ex.check("nb08_ex2", 0.187).message
    assert "ignores the low class" in ex.check("nb08_ex2", 0.1).message
    assert "Erlang C" in ex.check("nb08_ex3", 1.078651685).message


def test_exercise_variants_are_answerable_and_personal():
    for key in CANONICAL:
        seen = set()
        for sid in range(15):
            p = ex.params(key, sid)
            seen.add(str(p))
            v = ex.REGISTRY[key].answer(p)
            assert math.isfinite(v) and v >= 0, (key, p)
            assert ex.check(key, v, student_id=sid).status == "right"
            ex.question(key, sid)
        assert len(seen) > 2, key


def test_batch_wait_and_comparison():
    assert L.batch_wait(0.8, 1, 1.0).Wq == pytest.approx(4.0)  # M/M/1
    assert L.batch_wait(0.8, 5, 1.0).Wq == pytest.approx(14.0)  # P-K on bursts (12) + 2 ahead in the burst
    assert L.batch_wait(0.8, 5, 1.0).L == pytest.approx(12.0)  # M^X/M/1: rho(1 + E[X^2]/E[X])/(2(1 - rho))
    t = L.batch_comparison(0.8, [1, 5], 1.0, n=6, seed=1, horizon=20_000, warmup=1_000).set_index("batch")
    assert t["kingman"].tolist() == pytest.approx([4.0, 20.0])
    for _, row in t.iterrows():
        assert covers(row, row["exact"], 2.0), row.to_dict()
    with pytest.raises(ValueError):
        L.batch_wait(0.8, 0, 1.0)


def test_priority_policies_table():
    t = L.priority_policies([0.3, 0.5], n=4, seed=2, horizon=5_000, warmup=500)
    assert t["policy"].unique().tolist() == ["strict", "weighted 2:1", "no priority"]
    assert t.loc[0, "theory"] == pytest.approx(1.142857143) and t.loc[0, "label"] == "strict: high"
    assert t[t.policy == "weighted 2:1"]["theory"].isna().all()
    assert np.allclose(t[t.policy == "no priority"]["theory"], 4.0)


def test_marks_bars_relative_to_a_column():
    import matplotlib.pyplot as plt
    import pandas as pd

    t = pd.DataFrame({"name": ["a", "b"], "simulated": [2.0, 4.0], "ci_low": [1.9, 3.8], "ci_high": [2.1, 4.2],
                      "exact": [2.0, 4.4], "approx": [2.2, 4.0]})
    ax = mq.viz.marks_bars(t, label="name", marks={"exact": "exact", "approx": "approx"}, relative_to="exact")
    assert ax.get_ylabel() == "mean wait in queue Wq / exact"
    ys = sorted(round(float(y), 4) for line in ax.get_lines() for y in line.get_ydata())
    assert 1.0 in ys and 1.1 in ys and round(4.0 / 4.4, 4) in ys
    plt.close("all")


def test_priority_replications_match_mqsim_replicate():
    sc = L.priority_scenario([0.3, 0.5])
    reps = mq.replicate(sc, n=3, seed=4, horizon=1_000, warmup=100, by=("priority",), progress=False)
    t = L.priority_comparison(sc, n=3, seed=4, horizon=1_000, warmup=100)
    for i, (g, k) in enumerate([("priority", 1), ("priority", 0), ("all", "all")]):
        assert t.loc[i, "simulated"] == pytest.approx(reps.ci("Wq", g, k)[0], rel=1e-9)
        assert t.loc[i, "ci_high"] == pytest.approx(reps.ci("Wq", g, k)[2], rel=1e-9)
