"""GI/M/1: renewal arrivals, exponential service, one server (exact).

The arrival sees a geometric queue: sigma is the root in (0, 1) of sigma = A*(mu*(1 - sigma)),
where A*(s) = E[exp(-s*A)] is the Laplace–Stieltjes transform of the inter-arrival time A.
Then P(wait) = sigma, Wq = sigma/(mu*(1-sigma)), the sojourn is Exp(mu*(1-sigma)) and
P(Wq > t) = sigma*exp(-mu*(1-sigma)*t).

Also covers a server that receives every ``split``-th arrival of a renewal stream (round-robin
dispatch with unlimited prefetch): its inter-arrival time is the sum of ``split`` copies, whose
transform is A*(s)^split. For Poisson input this is E_split/M/1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mqsim.model import validate
from mqsim.theory.results import QueueMetrics, UnstableError

__all__ = ["GIM1Metrics", "gi_m1"]


@dataclass(frozen=True)
class GIM1Metrics(QueueMetrics):
    """:class:`QueueMetrics` of GI/M/1 plus wait and sojourn tails; ``sigma`` = P_wait."""

    mu: float = math.nan
    sigma: float = math.nan

    @property
    def decay(self) -> float:
        """mu*(1 - sigma), per second."""
        return self.mu * self.extras.get("one_minus_sigma", 1.0 - self.sigma)

    def wait_tail(self, t: float) -> float:
        """P(Wq > t) = sigma*exp(-mu(1-sigma)t), t in seconds."""
        return self.sigma * math.exp(-self.decay * validate.nonneg("wait_tail.t", t, "seconds"))

    def wait_quantile(self, p: float) -> float:
        """p-quantile of Wq (s): ln(sigma/(1-p))/(mu(1-sigma)) if sigma > 1-p, else 0."""
        p = validate.probability("wait_quantile.p", p)
        return 0.0 if self.sigma <= 1.0 - p else math.log(self.sigma / (1.0 - p)) / self.decay

    def sojourn_tail(self, t: float) -> float:
        """P(T > t) = exp(-mu(1-sigma)t)."""
        return math.exp(-self.decay * validate.nonneg("sojourn_tail.t", t, "seconds"))

    def sojourn_quantile(self, p: float) -> float:
        """p-quantile of the sojourn T (s): -ln(1-p)/(mu(1-sigma))."""
        return -math.log1p(-validate.probability("sojourn_quantile.p", p)) / self.decay


def _bisect(g: Any, hi: float = 1.0) -> float:
    """The root in (0, hi) of g, positive below it and negative above, to full precision."""
    lo = 0.0
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi or hi - lo <= 2e-16 * hi:
            break
        if g(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def gi_m1(interarrival: Any, mu: float, *, split: int = 1) -> GIM1Metrics:
    """Exact GI/M/1 metrics.

    interarrival: any object with ``.mean`` (seconds) and ``.lst(s)`` (its Laplace–Stieltjes
        transform), e.g. an :mod:`mqsim.dist` distribution.
    mu: service rate (per second).
    split: the server receives every ``split``-th arrival (>= 1); the stream's rate is then
        1/(split*mean).

    Raises :class:`UnstableError` if rho = lam/mu >= 1.
    """
    mu = validate.positive("gi_m1.mu", mu, "per second")
    split = validate.integer("gi_m1.split", split, lo=1)
    if not hasattr(interarrival, "lst") or not hasattr(interarrival, "mean"):
        raise ValueError("gi_m1: interarrival must have .mean (s) and .lst(s), e.g. a mqsim.dist distribution")
    mean_a = validate.positive("gi_m1.interarrival.mean", interarrival.mean, "seconds") * split
    lam = 1.0 / mean_a
    rho = lam / mu
    if rho >= 1:
        raise UnstableError.of("gi_m1", "lam/mu", rho)

    comp = getattr(interarrival, "lst_complement", None)

    def one_minus_lst(x: float) -> float:  # 1 - A*(x)^split, accurate when tiny
        c1 = min(max(float(comp(x)) if callable(comp) else 1.0 - float(interarrival.lst(x)), 0.0), 1.0)
        return c1 if split == 1 or c1 == 1.0 else -math.expm1(split * math.log1p(-c1))

    # solve in y = 1 - sigma: g(y) = 1 - A*(mu y)^split - y, g > 0 near 0 (rho < 1), g(1) < 0;
    # in y the root keeps its relative precision however close rho is to 1 ...
    y = _bisect(lambda v: one_minus_lst(mu * v) - v)
    if not y > 0:
        raise UnstableError.of("gi_m1", "lam/mu", rho, "too close to 1 to solve for sigma")
    if y > 0.5:  # ... and in sigma itself when sigma is small (light load)
        sigma = _bisect(lambda v: float(interarrival.lst(mu * (1.0 - v))) ** split - v, 0.5)
        y = 1.0 - sigma
    else:
        sigma = 1.0 - y
    Wq = sigma / (mu * y)
    W = 1.0 / (mu * y)
    model = "GI/M/1" if split == 1 else f"GI/M/1 (every {split}th arrival)"
    return GIM1Metrics(model=model, formula="GI/M/1 (sigma = A*(mu(1-sigma)))", rho=rho,
                       L=lam * W, Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=sigma,
                       mu=mu, sigma=sigma, extras={"sigma": sigma, "one_minus_sigma": y})
