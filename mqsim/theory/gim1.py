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
        return self.mu * (1.0 - self.sigma)

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

    def f(s: float) -> float:
        return float(interarrival.lst(mu * (1.0 - s))) ** split - s

    hi = None
    for k in range(1, 60):
        x = 1.0 - 2.0**-k
        if f(x) < 0:
            hi = x
            break
    if hi is None:  # rho is so close to 1 that sigma cannot be told from 1 in double precision
        raise UnstableError.of("gi_m1", "lam/mu", rho, "too close to 1 to solve for sigma")
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    sigma = 0.5 * (lo + hi)
    Wq = sigma / (mu * (1.0 - sigma))
    W = 1.0 / (mu * (1.0 - sigma))
    model = "GI/M/1" if split == 1 else f"GI/M/1 (every {split}th arrival)"
    return GIM1Metrics(model=model, formula="GI/M/1 (sigma = A*(mu(1-sigma)))", rho=rho,
                       L=lam * W, Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=sigma,
                       mu=mu, sigma=sigma, extras={"sigma": sigma})
