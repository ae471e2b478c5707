"""Open Jackson networks (and tandem lines as a convenience).

External Poisson arrivals ``external_rates[i]`` (per second) at node i; after service at node i
a message goes to node j with probability ``routing[i][j]`` and leaves with probability
1 - sum_j routing[i][j]; node i has ``c[i]`` exponential servers of rate ``mu[i]`` (per second),
FCFS. The traffic equations lam = gamma + P^T lam are solved with numpy.linalg.solve; each node
then behaves as an independent M/M/c_i with rate lam_i (product form), even though internal
flows with feedback are not Poisson. End-to-end mean sojourn by Little: sum L_i / sum gamma_i.

Bernoulli feedback (nack + requeue with probability p) is the one-node network
``jackson([lam], [[p]], [mu])``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from mqsim.model import validate
from mqsim.theory.laws import bottleneck_throughput
from mqsim.theory.markovian import MAX_SERVERS, mmc
from mqsim.theory.results import QueueMetrics, UnstableError

__all__ = ["JacksonResult", "jackson", "tandem"]


@dataclass(frozen=True)
class JacksonResult:
    """Solution of an open Jackson network.

    lam: total arrival rate at each node (per second); visits: mean visits per message
    (lam_i / sum gamma); nodes: per-node :class:`QueueMetrics` (M/M/c_i);
    L: mean number in the network; W: mean end-to-end sojourn (s) = L / throughput;
    throughput: sum of external rates (per second); saturation_throughput: X* =
    min_i c_i*mu_i/V_i (per second) and bottleneck: its node index.
    """

    lam: tuple[float, ...]
    visits: tuple[float, ...]
    nodes: tuple[QueueMetrics, ...] = field(repr=False)
    L: float
    W: float
    throughput: float
    saturation_throughput: float
    bottleneck: int

    def to_frame(self) -> "Any":
        """One row per node (pandas DataFrame, index ``node``)."""
        import pandas as pd

        rows = []
        for i, m in enumerate(self.nodes):
            d = {"node": i, "lam": self.lam[i], "visits": self.visits[i]}
            d.update({k: v for k, v in m.to_dict().items() if k in
                      ("model", "rho", "L", "Lq", "W", "Wq", "P_wait")})
            rows.append(d)
        return pd.DataFrame(rows).set_index("node")


def _idle_node(c: int) -> QueueMetrics:
    return QueueMetrics(model=f"M/M/{c}", formula="no traffic", rho=0.0, L=0.0, Lq=0.0, W=0.0,
                        Wq=0.0, throughput=0.0, P_wait=0.0)


def jackson(external_rates: Sequence[float], routing: Sequence[Sequence[float]],
            mu: Sequence[float], c: Sequence[int] | None = None) -> JacksonResult:
    """Solve an open Jackson network (see module docstring). ``c`` defaults to one server per node.

    Raises ValueError for malformed input (naming the argument) and :class:`UnstableError`
    naming the node and its rho when some node has rho_i = lam_i/(c_i*mu_i) >= 1.
    """
    import numpy as np

    n = len(external_rates)
    if n == 0:
        raise ValueError("jackson: external_rates must have one entry per node (at least one)")
    gamma = [validate.nonneg(f"jackson.external_rates[{i}]", g, "per second")
             for i, g in enumerate(external_rates)]
    if sum(gamma) <= 0:
        raise ValueError("jackson: external_rates must have a positive sum (per second)")
    if len(mu) != n:
        raise ValueError(f"jackson: mu must have {n} entries (one per node), got {len(mu)}")
    mus = [validate.positive(f"jackson.mu[{i}]", m, "per second") for i, m in enumerate(mu)]
    cs = [1] * n if c is None else list(c)
    if len(cs) != n:
        raise ValueError(f"jackson: c must have {n} entries (one per node), got {len(cs)}")
    cs = [validate.integer(f"jackson.c[{i}]", ci, 1, MAX_SERVERS) for i, ci in enumerate(cs)]
    if len(routing) != n or any(len(row) != n for row in routing):
        raise ValueError(f"jackson: routing must be a {n}x{n} matrix of probabilities")
    P = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            P[i, j] = validate.probability(f"jackson.routing[{i}][{j}]", routing[i][j], closed=True)
        if P[i].sum() > 1.0 + 1e-12:
            raise ValueError(f"jackson: routing[{i}] must sum to <= 1 (the rest leaves), got {P[i].sum():g}")
    A = np.eye(n) - P.T
    try:
        lam = np.linalg.solve(A, np.asarray(gamma))
    except np.linalg.LinAlgError:
        lam = None
    if lam is None or not np.all(np.isfinite(lam)) or np.any(lam < -1e-12) or \
            np.linalg.matrix_rank(A) < n:
        raise ValueError("jackson: routing must let every message leave eventually "
                         "(I - routing^T must be invertible)")
    lam = np.clip(lam, 0.0, None)
    nodes = []
    for i in range(n):
        if lam[i] == 0.0:
            nodes.append(_idle_node(cs[i]))
            continue
        rho = lam[i] / (cs[i] * mus[i])
        if rho >= 1.0:
            raise UnstableError.of("jackson", f"lam/(c*mu) at node {i}", float(rho))
        nodes.append(mmc(float(lam[i]), mus[i], cs[i]))
    X = float(sum(gamma))
    L = float(sum(m.L for m in nodes))
    visits = tuple(float(x) / X for x in lam)
    xstar, arg = bottleneck_throughput(visits, [1.0 / m for m in mus], cs)
    return JacksonResult(lam=tuple(float(x) for x in lam), visits=visits, nodes=tuple(nodes),
                         L=L, W=L / X, throughput=X, saturation_throughput=xstar, bottleneck=arg)


def tandem(lam: float, mu: Sequence[float], c: Sequence[int] | None = None) -> JacksonResult:
    """Queues in series fed by Poisson(``lam``) at the first node (Burke: each node is M/M/c_i
    with rate lam); end-to-end W is the sum of the node sojourns."""
    lam = validate.positive("tandem.lam", lam, "per second")
    n = len(mu)
    if n == 0:
        raise ValueError("tandem: mu must name at least one node")
    routing = [[1.0 if j == i + 1 else 0.0 for j in range(n)] for i in range(n)]
    return jackson([lam] + [0.0] * (n - 1), routing, mu, c)
