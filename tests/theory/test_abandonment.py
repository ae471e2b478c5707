"""Erlang A, M/M/1 with a mix of TTLs, and the shortest TTL for an expiry target, against
independent computations: a dense CTMC generator solved with numpy, an absorbing-chain model of a
tagged message, numerical quadrature of the virtual-wait density, and the limits Erlang B/C."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

import mqsim as mq
from mqsim.theory import erlang_a, exponential_ttls, mm1_ttl_mix, ttl_for_expiry


def _ctmc_erlang_a(lam, mu, c, theta, nmax=400):
    """Stationary law of M/M/c+M from its (truncated) generator, by a linear solve."""
    n = nmax + 1
    Q = np.zeros((n, n))
    for k in range(n):
        if k + 1 < n:
            Q[k, k + 1] = lam
        if k > 0:
            Q[k, k - 1] = min(k, c) * mu + max(k - c, 0) * theta
        Q[k, k] = -Q[k].sum()
    A = np.vstack([Q.T, np.ones(n)])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(A, b, rcond=None)[0]


def _tagged_wait(lam, mu, c, theta, p, jmax=400):
    """E[wait | served] and P(served) for a tagged arrival, from the absorbing chain of its position:
    position i (i messages ahead) -> i - 1 at rate c mu + i theta (service or abandonment ahead),
    -> abandoned at rate theta; at position -1 (i.e. j = 0 ahead and a consumer frees) it is served."""
    # solve for each starting position j: P(served) and E[T 1{served}] via first-step analysis
    ps = np.zeros(jmax + 1)
    et = np.zeros(jmax + 1)
    for j in range(jmax + 1):
        out = c * mu + (j + 1) * theta
        adv = (c * mu + j * theta) / out
        prev_p = 1.0 if j == 0 else ps[j - 1]
        prev_t = 0.0 if j == 0 else et[j - 1]
        ps[j] = adv * prev_p
        et[j] = adv * (prev_t + prev_p / out)
    waiting = p[c:c + jmax + 1]
    served = p[:c].sum() + np.sum(waiting * ps[:waiting.size])
    return float(np.sum(waiting * et[:waiting.size]) / served), float(served)


@pytest.mark.parametrize("lam,mu,c,theta", [(2.4, 1.0, 3, 0.5), (1.5, 1.0, 1, 0.5), (9.0, 1.0, 8, 2.0),
                                            (0.5, 2.0, 2, 0.1)])
def test_erlang_a_against_the_generator(lam, mu, c, theta):
    m = erlang_a(lam, mu, c, theta)
    p = _ctmc_erlang_a(lam, mu, c, theta)
    k = np.arange(p.size)
    lq = float(np.sum(np.clip(k - c, 0, None) * p))
    assert m.Lq == pytest.approx(lq, rel=1e-8)
    assert m.loss == pytest.approx(theta * lq / lam, rel=1e-8)  # Little's law on the abandonments
    assert m.extras["P_wait_arrival"] == pytest.approx(float(p[c:].sum()), rel=1e-8)
    assert m.L - m.Lq == pytest.approx(m.throughput / mu, rel=1e-8)  # utilisation law: busy = X / mu
    wq, served = _tagged_wait(lam, mu, c, theta, p)
    assert served == pytest.approx(1 - m.loss, rel=1e-8)  # the tagged message agrees with Little
    assert m.Wq == pytest.approx(wq, rel=1e-8) and m.W == pytest.approx(wq + 1 / mu, rel=1e-8)


def test_erlang_a_published_value_and_limits():
    """Garnett, Mandelbaum & Reiman's model at lam = 2.4, mu = 1, c = 3, theta = 0.5."""
    m = erlang_a(2.4, 1.0, 3, 0.5)
    assert m.loss == pytest.approx(0.11985538, rel=1e-7) and m.Lq == pytest.approx(0.5753058241, rel=1e-9)
    # patience -> 0: waiting messages leave at once, so the loss is Erlang B
    assert erlang_a(2.4, 1.0, 3, 1e6).loss == pytest.approx(mq.theory.erlang_b(3, 2.4), rel=1e-4)
    # patience -> infinity: Erlang C
    slow = erlang_a(2.4, 1.0, 3, 1e-5)
    assert slow.Lq == pytest.approx(mq.theory.mmc(2.4, 1.0, 3).Lq, rel=1e-3)


@pytest.mark.parametrize("bad", [{"lam": 0}, {"mu": -1}, {"theta": float("nan")}, {"c": 0}, {"c": 1.5},
                                 {"lam": True}])
def test_erlang_a_names_the_bad_field(bad):
    kw = {"lam": 1.0, "mu": 1.0, "c": 1, "theta": 0.5, **bad}
    field = next(iter(bad))
    with pytest.raises(ValueError, match=rf"erlang_a\.{field}"):
        erlang_a(**kw)


def _mix_by_quadrature(lam, mu, ttls, probs):
    """P(expire) and Wq of served messages of M/M/1+G from the virtual-wait density
    v(x) = lam P0 exp(-mu x + lam int_0^x S), integrated numerically (scipy.integrate.quad)."""
    t, w = np.asarray(ttls, float), np.asarray(probs, float)
    S = lambda y: float(np.sum(w[t > y]))  # noqa: E731
    def expo(x):
        knots = np.concatenate([[0.0], np.sort(t[(t > 0) & (t < x)]), [x]])
        return -mu * x + lam * sum(S(a) * (b - a) for a, b in zip(knots[:-1], knots[1:]))
    v = lambda x: math.exp(expo(x))  # noqa: E731 - density / (lam P0)
    pts = sorted(set(t.tolist()))
    end = max(pts) + 60.0 / max(mu - lam * 0.0, 1e-9)
    mass = sum(integrate.quad(v, a, b, limit=200)[0] for a, b in zip([0.0, *pts], [*pts, end]))
    p0 = 1 / (1 + lam * mass)
    beyond = [sum(integrate.quad(v, a, b, limit=200)[0] for a, b in zip([tau, *[p for p in pts if p > tau]],
                                                                         [*[p for p in pts if p > tau], end]))
              for tau in t]
    p_exp = float(np.sum(w * lam * p0 * np.array(beyond)))
    xs = sum(integrate.quad(lambda x: x * S(x) * v(x), a, b, limit=200)[0] for a, b in zip([0.0, *pts], [*pts, end]))
    return p_exp, lam * p0 * xs / (1 - p_exp)


@pytest.mark.parametrize("ttls,probs", [([2.0], [1.0]), ([0.5, 3.0], [0.4, 0.6]), ([1.0, 2.0, 6.0], [0.2, 0.5, 0.3])])
def test_ttl_mix_against_quadrature(ttls, probs):
    m = mm1_ttl_mix(0.9, 1.0, ttls, probs)
    p_exp, wq = _mix_by_quadrature(0.9, 1.0, ttls, probs)
    assert m.loss == pytest.approx(p_exp, rel=1e-6) and m.Wq == pytest.approx(wq, rel=1e-6)
    assert m.throughput == pytest.approx(0.9 * (1 - p_exp), rel=1e-6)


def test_ttl_mix_special_cases():
    for lam in (0.9, 1.5):  # one TTL is M/M/1+D, also overloaded
        mix, ref = mm1_ttl_mix(lam, 1.0, [2.0]), mq.theory.mm1_ttl(lam, 1.0, 2.0)
        for f in ("loss", "throughput", "Lq", "L", "W", "Wq", "P_wait"):
            assert getattr(mix, f) == pytest.approx(getattr(ref, f), rel=1e-9), f
    assert mm1_ttl_mix(0.9, 1.0, [2.0]).loss == pytest.approx(0.2187637254, rel=1e-9)
    a = mm1_ttl_mix(0.9, 1.0, [4.0, 1.0, 1.0], [0.5, 0.25, 0.25])  # repeated, unsorted TTLs merge
    b = mm1_ttl_mix(0.9, 1.0, [1.0, 4.0])
    assert a.loss == pytest.approx(b.loss, rel=1e-12) and a.Wq == pytest.approx(b.Wq, rel=1e-12)
    errs = [abs(mm1_ttl_mix(0.9, 1.0, *exponential_ttls(2.0, k)).loss - erlang_a(0.9, 1.0, 1, 0.5).loss)
            for k in (4, 64, 1024)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-5  # a fine mix of exponential TTLs is Erlang A
    with pytest.raises(ValueError, match="probs"):
        mm1_ttl_mix(0.9, 1.0, [1.0, 2.0], [0.7, 0.7])
    with pytest.raises(ValueError, match="ttls"):
        mm1_ttl_mix(0.9, 1.0, [-1.0])


def test_exponential_ttls_are_conditional_means():
    ttls, probs = exponential_ttls(2.0, 4)
    assert probs == (0.25,) * 4 and sum(ttls) / 4 == pytest.approx(2.0, rel=1e-12)
    edges = [-2.0 * math.log(1 - q) for q in (0.0, 0.25, 0.5, 0.75)] + [math.inf]
    for (a, b), t in zip(zip(edges[:-1], edges[1:]), ttls):
        num = integrate.quad(lambda x: x * math.exp(-x / 2) / 2, a, b)[0]
        assert t == pytest.approx(num / 0.25, rel=1e-9)
    with pytest.raises(ValueError, match="exponential_ttls.k"):
        exponential_ttls(2.0, 0)


def test_ttl_for_expiry_is_the_inverse_of_mm1_plus_d():
    tau = ttl_for_expiry(0.9, 1.0, 0.05)
    assert mq.theory.mm1_ttl(0.9, 1.0, tau).loss == pytest.approx(0.05, rel=1e-9)
    assert mq.theory.mm1_ttl(0.9, 1.0, tau * 0.999).loss > 0.05
    assert ttl_for_expiry(0.2, 1.0, 0.5) == 0.0
    with pytest.raises(ValueError, match="out of reach"):
        ttl_for_expiry(2.0, 1.0, 0.4)  # at least 1 - mu/lam = 0.5 expire
    with pytest.raises(ValueError, match="ttl_for_expiry.target"):
        ttl_for_expiry(0.9, 1.0, 1.5)
