"""The distribution of the end-to-end time through M/M/1 queues in series.

By Burke's theorem the departures of a stable M/M/1 queue are Poisson, so every stage of a line
of M/M/1 queues fed by Poisson traffic at ``lam`` is an M/M/1 at ``lam``; by Reich's theorem a
message's sojourn times at the stages are independent, each Exp(mu_i - lam). The total is
hypoexponential: f(t) = sum_i r_i e^{-r_i t} prod_{j != i} r_j / (r_j - r_i), r_i = mu_i - lam.

References: P. J. Burke (1956), "The output of a queuing system", Operations Research 4:699–704;
E. Reich (1957), "Waiting times when queues are in tandem", Annals of Mathematical Statistics
28:768–773.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from mqsim.model import validate

__all__ = ["tandem_sojourn_pdf"]


def tandem_sojourn_pdf(lam: float, mu: Sequence[float]) -> Callable[[Any], np.ndarray]:
    """Density (1/s) of the end-to-end time through M/M/1 queues in series: Poisson ``lam`` per
    s, exponential rates ``mu`` (per s, one per stage) with distinct mu_i - lam. Returns a
    function of an array of times (s)."""
    lam = validate.positive("tandem_sojourn_pdf.lam", lam, "per second")
    rates = [validate.positive(f"tandem_sojourn_pdf.mu[{i}]", m, "per second") for i, m in enumerate(mu)]
    if not rates:
        raise ValueError("tandem_sojourn_pdf.mu: give one service rate per stage (per second)")
    r = np.asarray(rates) - lam
    if np.any(r <= 0):
        raise ValueError(f"tandem_sojourn_pdf.mu: every stage needs lam = {lam:g} < mu_i (a steady state), got {rates}")
    if np.unique(r).size != r.size:
        raise ValueError("tandem_sojourn_pdf.mu: the rates mu_i - lam must be distinct")
    coef = np.array([np.prod([r[j] / (r[j] - r[i]) for j in range(r.size) if j != i]) for i in range(r.size)])

    def pdf(t: Any) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return np.sum(coef[:, None] * r[:, None] * np.exp(-np.outer(r, t)), axis=0).reshape(t.shape)

    return pdf
