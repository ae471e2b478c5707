"""The simulator against exact queueing results: confidence intervals over seeded replications.

Each exact value is computed here from its closed form (independently of ``mqsim.theory``)
where that is short, and from ``mqsim.theory`` otherwise (itself tested against worked values
in test_theory.py). Every test also asserts the interval is tight, so bias would be caught.
"""

from __future__ import annotations

import math

import pytest

import mqsim as mq
from mqsim.dist import Deterministic, Exponential
from tests.stats import assert_covers

pytestmark = pytest.mark.slow


def one_queue(lam, c, service, **queue):
    return mq.Scenario(producers=[mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=service))


def test_mm1():
    lam, mu = 0.7, 1.0
    rho = lam / mu
    reps = mq.replicate(one_queue(lam, 1, Exponential(rate=mu)), n=20, seed=101, horizon=20_000, warmup=1_000)
    Wq = rho / (mu - lam)
    assert_covers(reps, {
        "L": rho / (1 - rho), "Lq": rho**2 / (1 - rho), "W": 1 / (mu - lam), "Wq": Wq, "p_wait": rho,
        "utilisation": rho, "throughput": lam,
        # P(Wq > t) = rho e^{-(mu - lam) t};  sojourn ~ Exp(mu - lam)
        "wait_p95": math.log(rho / 0.05) / (mu - lam), "sojourn_p95": math.log(20) / (mu - lam),
    })


def test_mmc():
    lam, mu, c = 3.3, 1.0, 4
    reps = mq.replicate(one_queue(lam, c, Exponential(rate=mu)), n=20, seed=202, horizon=10_000, warmup=1_000)
    a = lam / mu
    # Erlang C from its textbook sum (independent of the library's recursion)
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    Wq = C / (c * mu - lam)
    assert_covers(reps, {"Wq": Wq, "Lq": lam * Wq, "W": Wq + 1 / mu, "L": lam * (Wq + 1 / mu), "p_wait": C,
                         "utilisation": lam / (c * mu),
                         "wait_p95": math.log(C / 0.05) / (c * mu - lam)})


@pytest.mark.parametrize("overflow", ["reject-publish", "drop-head"])
def test_mmck_loss_and_occupancy(overflow):
    lam, mu, c, max_length = 2.2, 1.0, 2, 3
    K = max_length + c  # max_length counts ready messages only
    sc = one_queue(lam, c, Exponential(rate=mu), max_length=max_length, overflow=overflow)
    reps = mq.replicate(sc, n=20, seed=303, horizon=10_000, warmup=500)
    a = lam / mu
    w = [a**n / math.factorial(n) if n <= c else a**n / (math.factorial(c) * c ** (n - c)) for n in range(K + 1)]
    p = [x / sum(w) for x in w]
    L = sum(n * pn for n, pn in enumerate(p))
    Lq = sum((n - c) * pn for n, pn in enumerate(p) if n > c)
    X = lam * (1 - p[K])
    exact = {"loss": p[K], "L": L, "Lq": Lq, "throughput": X, "utilisation": X / (c * mu)}
    if overflow == "reject-publish":  # the admitted message's wait is the M/M/c/K one
        exact.update({"W": L / X, "Wq": Lq / X})
    else:  # drop-head: the served messages' wait differs; the library's tagged-message chain
        th = mq.theory.mmck_drop_head(lam, mu, c, K)
        exact.update({"Wq": th.Wq, "W": th.W})
    assert_covers(reps, exact)


def test_md1():
    lam, d = 0.8, 1.0
    rho = lam * d
    reps = mq.replicate(one_queue(lam, 1, Deterministic(d)), n=20, seed=404, horizon=20_000, warmup=1_000)
    Wq = rho * d / (2 * (1 - rho))  # Pollaczek-Khinchine with scv 0
    assert_covers(reps, {"Wq": Wq, "W": Wq + d, "Lq": lam * Wq, "L": lam * (Wq + d), "p_wait": rho})


def test_md1_rejects_the_wrong_formula():
    """Power check: the M/M/1 value (twice the M/D/1 wait) is far outside the same interval."""
    lam, d = 0.8, 1.0
    reps = mq.replicate(one_queue(lam, 1, Deterministic(d)), n=20, seed=404, horizon=20_000, warmup=1_000)
    with pytest.raises(AssertionError, match="outside CI"):
        assert_covers(reps, {"Wq": lam * d / (1 - lam * d)})


def test_two_class_nonpreemptive_priority_mmc():
    mu, c = 1.0, 2
    lam_hi, lam_lo = 0.6, 0.9
    sc = mq.Scenario(producers=[mq.Producer("hi", rate=lam_hi, priority=5), mq.Producer("lo", rate=lam_lo, priority=1)],
                     queue=mq.Queue(max_priority=10), consumers=mq.Consumers(c, service=Exponential(rate=mu)))
    reps = mq.replicate(sc, n=20, seed=505, horizon=20_000, warmup=1_000)
    a = (lam_hi + lam_lo) / mu
    top = a**c / math.factorial(c) * c / (c - a)
    C = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    s1 = lam_hi / (c * mu)
    s2 = (lam_hi + lam_lo) / (c * mu)
    wq_hi = C / (c * mu) / (1 - s1)
    wq_lo = C / (c * mu) / ((1 - s1) * (1 - s2))
    assert_covers(reps, {"Wq": wq_hi, "W": wq_hi + 1 / mu, "Lq": lam_hi * wq_hi}, group="priority", key=5)
    assert_covers(reps, {"Wq": wq_lo, "W": wq_lo + 1 / mu, "Lq": lam_lo * wq_lo}, group="priority", key=1)
    # the classes together are the FIFO M/M/c in the mean (work-conserving, same service law)
    fifo_wq = C / (c * mu - lam_hi - lam_lo)
    assert_covers(reps, {"Wq": fifo_wq, "p_wait": C})
