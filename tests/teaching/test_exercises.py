"""mqsim.exercises: canonical parameters and answers match the lectures and the worked values of
tests/data/worked_values.csv; feedback is right / close / wrong with hints and never leaks the answer; student variants
are reproducible and checked against their own parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mqsim as mq
from mqsim.teaching import exercises as ex

# worked values (tests/data/worked_values.csv), independent of the checker's own code path
CANONICAL_ANSWERS = {
    "nb01_ex1": 1.0,                                  # saturation: c=3, mu=2, lam=7
    "nb01_ex2": 1.868332032,                          # little.mm1k_4_5_5.L_equals_lam_eff_W
    "nb01_ex3": 5.0,                                  # L/(lam*P) = 1/(1 - rho) at rho = 0.8
    "nb02_ex1": 1 - math.log(100) / 10,               # p99 of T = ln 100/(mu - lam) = 10/mu
    "nb02_ex2": 0.8 * math.exp(-1.0),                 # M/M/1 lam=4, mu=5: P(Wq > 1) = rho e^{-(mu-lam)}
    "nb02_ex3": math.log(0.8 / 0.01),                 # its p99 wait: ln(rho/(1-p))/(mu-lam)
    "nb03_ex1": None,                                 # bank at lam = 0.25: filled in below (Erlang C sum)
    "nb03_ex3": 1 - 0.8695652174 / 4.444444444,       # c = 4 vs c = 3
    "nb04_ex1": 5,                                    # mmc_2.4_1.min_c_P_Wq_gt_0.5_le_0.05
    "nb04_ex2": None,                                 # E4/M/1 at rho = 0.8: filled in below (own root)
    "nb04_ex3": 0.8458830922,                         # call centre SL(15 s)
}


def _erlang_c_wq(lam, mu, c):
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return C / (c * mu - lam)


def _ec_m1_wq(lam, mu, c):
    """Round-robin to c consumers: each is E_c/M/1; sigma = (lam/(lam + mu(1 - sigma)))^c."""
    from scipy.optimize import brentq

    sigma = brentq(lambda s: (lam / (lam + mu * (1 - s))) ** c - s, 1e-12, 1 - 1e-12)
    return sigma / (mu * (1 - sigma))


CANONICAL_ANSWERS["nb03_ex1"] = _erlang_c_wq(0.25, 0.1, 3)
CANONICAL_ANSWERS["nb04_ex2"] = _ec_m1_wq(3.2, 1.0, 4)
assert abs(_ec_m1_wq(2.4, 1.0, 3) - 2.459422848) < 1e-8  # worked value dispatch_2.4_1_3.Wq_round_robin


def test_syllabus_parameters():
    assert ex.params("nb04_ex1") == {"lam": 2.4, "mu": 1.0, "t": 0.5, "max_prob": 0.05}
    assert ex.params("nb03_ex1") == {"lam": 0.25, "mu": 0.1, "c": 3}  # the lecture shows 0.2 itself
    assert ex.params("nb02_ex1") == {"k": 10, "p": 0.99}
    assert set(ex.exercises("nb0")) >= set(CANONICAL_ANSWERS) | {"nb03_ex2"}
    assert ex.exercises("nb04") == ["nb04_ex1", "nb04_ex2", "nb04_ex3"]


@pytest.mark.parametrize("key,value", sorted(CANONICAL_ANSWERS.items()))
def test_canonical_answers_are_right(key, value):
    fb = ex.check(key, value)
    assert fb.status == "right" and bool(fb), fb
    far = ex.check(key, value * 3 + 1)
    assert far.status == "wrong" and not far


@pytest.mark.parametrize("key", sorted(k for k, v in CANONICAL_ANSWERS.items() if not float(v).is_integer()))
def test_close_and_no_leak(key):
    value = CANONICAL_ANSWERS[key]
    fb = ex.check(key, value * 1.03)
    assert fb.status == "close"
    for wrong in (value * 1.03, value * 3 + 1):
        msg = ex.check(key, wrong).message
        assert f"{value:.3g}" not in msg and f"{value:.4f}" not in msg, msg


def test_integer_answers_and_traps():
    assert ex.check("nb04_ex1", 5.0).status == "right"
    assert ex.check("nb04_ex1", 5.5).status == "wrong"
    fb = ex.check("nb04_ex1", 3)
    assert fb.status == "wrong" and "stable" in fb.message  # ceil(lam/mu) is only the stability minimum
    assert "5" not in ex.check("nb04_ex1", 4).message
    assert "time in SYSTEM" in ex.check("nb02_ex2", math.exp(-1.0)).message
    assert "M/M/c" in ex.check("nb04_ex2", _erlang_c_wq(3.2, 1.0, 4)).message
    assert "RANDOM split" in ex.check("nb04_ex2", 4.0).message
    assert "offered rate" in ex.check("nb01_ex2", 2.0504).message  # lam*W = 4 x 0.5126
    assert "percentage" in ex.check("nb03_ex3", 80.43478).message


def test_missing_and_invalid_answers():
    assert ex.check("nb04_ex1", None).status == "missing"
    assert ex.check("nb04_ex1", "five").status == "invalid"
    assert ex.check("nb04_ex1", float("nan")).status == "invalid"
    with pytest.raises(ValueError, match="unknown; known exercises: .*nb04_ex1"):
        ex.check("nb99_ex9", 1)


def test_student_variants_are_reproducible_and_checked_on_their_own_parameters():
    keys = ["nb01_ex1", "nb02_ex2", "nb04_ex1", "nb04_ex2", "nb04_ex3"]
    for key in keys:
        assert ex.params(key, "s123") == ex.params(key, "s123")
        assert ex.params(key, 7) == ex.params(key, "7")  # ids are compared as text
    variants = {str(ex.params("nb04_ex2", sid)) for sid in range(20)}
    assert len(variants) > 3
    # find a student whose parameters differ from the canonical ones and check against them
    sid = next(s for s in range(100) if ex.params("nb04_ex2", s) != ex.params("nb04_ex2"))
    p = ex.params("nb04_ex2", sid)
    mine = mq.theory.gi_m1(mq.dist.Exponential(rate=p["lam"]), p["mu"], split=p["c"]).Wq
    assert ex.check("nb04_ex2", mine, student_id=sid).status == "right"
    assert ex.check("nb04_ex2", CANONICAL_ANSWERS["nb04_ex2"], student_id=sid).status != "right"
    assert f"lam = {p['lam']}/s" in ex.question("nb04_ex2", sid)


def test_variants_stay_answerable():
    """Every drawn variant yields a finite answer (stable queues, valid parameters)."""
    mine = [k for k in ex.exercises() if k[:4] in ("nb01", "nb02", "nb03", "nb04") and k != "nb03_ex2"]
    assert len(mine) == 11
    for key in mine:
        for sid in range(25):
            p = ex.params(key, sid)
            v = ex.REGISTRY[key].answer(p)
            assert math.isfinite(v), (key, p)
            assert ex.check(key, v, student_id=sid).status == "right"


def test_simulation_exercise_matches_public_replicate():
    """nb03_ex2's answer is the first n whose running CI is narrow enough, over the replications
    mq.replicate would run with the same seed (here with a loose target, to keep it fast)."""
    p = dict(ex.params("nb03_ex2"), target=0.25, seed=7)
    n = ex.REGISTRY["nb03_ex2"].answer(p)
    bank = mq.Scenario([mq.Producer("customers", rate=0.2)],
                       consumers=mq.Consumers(3, service=mq.dist.Exponential(rate=0.1)))
    reps = mq.replicate(bank, n=int(n) + 5, seed=7, horizon=1540, warmup=100, by=(), progress=False)
    w = reps.runs[reps.runs.group == "all"].sort_values("replication")["Wq"].to_numpy()
    goal = 0.25 * 40 / 9
    half = [mq.confidence_interval(w[:k])[2] - mq.confidence_interval(w[:k])[0] for k in range(2, w.size + 1)]
    first = 2 + int(np.argmax(np.array(half) <= goal))
    assert n == first


def test_register_a_new_exercise():
    ex.register(ex.Exercise(key="zz_test_ex", question="rho for lam = {lam}, mu = {mu}?",
                            canonical={"lam": 1.0, "mu": 4.0}, vary=lambda rng: {"lam": 2.0, "mu": 4.0},
                            answer=lambda p: p["lam"] / p["mu"], rel_tol=1e-9))
    try:
        assert ex.question("zz_test_ex") == "rho for lam = 1.0, mu = 4.0?"
        assert ex.check("zz_test_ex", 0.25)
        assert ex.check("zz_test_ex", 0.5, student_id="x")
        assert ex.check("zz_test_ex", 0.2).status == "wrong"
    finally:
        ex.REGISTRY.pop("zz_test_ex")
    with pytest.raises(ValueError):
        ex.register("not an exercise")  # type: ignore[arg-type]
