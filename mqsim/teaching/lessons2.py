"""Helpers for notebooks 05-08 (bounded queues, M/G/1, G/G approximations, priorities): each runs
seeded replications and lines the simulated figure up with the formula that predicts it, so that
notebook cells stay thin.

Units: seconds (times), messages per second (rates), messages (counts); squared coefficients of
variation (``scv``, ``ca2``, ``cs2``) are dimensionless.

Every simulating function takes ``n`` (replications), ``seed``, ``horizon`` and ``warmup`` (s);
replication ``r`` runs with :func:`mqsim.experiment.replication_seed` ``(seed, r)`` as everywhere
in mqsim, and intervals are Student-t 95 % over the replications. Those that take ``engine``
("auto" by default, or "simpy"/"fast") give the same numbers on every engine: "auto" runs the
compiled engine when it supports the scenario, which makes million-message runs take a second.

* 05 bounded queues: :func:`theory_rows`, :func:`bounded_scenario`, :func:`kendall_sweep`,
  :func:`overflow_comparison`, :func:`erlang_b_insensitivity`, :func:`smallest_max_length`.
* 06 M/G/1: :func:`service_law`, :func:`mg1_comparison`, :func:`residual_service`,
  :func:`md1_states`, :func:`pk_explorer`.
* 07 G/G: :func:`arrival_law`, :func:`gg1_comparison`, :func:`md_c_exact`, :func:`ggc_comparison`,
  :func:`kingman_error`, :func:`batch_wait`, :func:`batch_comparison`, :func:`kingman_explorer`.
* 08 priorities: :func:`priority_scenario`, :func:`priority_comparison`,
  :func:`prefetch_priority`, :func:`starvation_transient`, :func:`weighted_priority_toy`,
  :func:`priority_policies`.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.dist import Distribution
    from mqsim.model.scenario import Scenario
    from mqsim.theory import QueueMetrics

__all__ = [
    "theory_rows", "bounded_scenario", "kendall_sweep", "overflow_comparison", "erlang_b_insensitivity",
    "smallest_max_length",
    "service_law", "mg1_comparison", "residual_service", "md1_states", "pk_explorer",
    "arrival_law", "gg1_comparison", "md_c_exact", "ggc_comparison", "kingman_error", "batch_wait",
    "batch_comparison", "kingman_explorer",
    "priority_scenario", "priority_comparison", "prefetch_priority", "starvation_transient",
    "weighted_priority_toy", "priority_policies",
]


# ----------------------------------------------------------------------------------------------
# shared
# ----------------------------------------------------------------------------------------------
def _ci(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    from mqsim.analysis.statistics import confidence_interval

    return confidence_interval(values, confidence)


def _run(sc: "Scenario", seed: int, horizon: float, warmup: float, engine: str, **kw: Any) -> Any:
    """One run with :func:`mqsim.simulate` on ``engine``: "auto" takes the compiled engine when it
    supports the scenario (same sample path as SimPy, much faster), else SimPy."""
    from mqsim.sim.run import simulate

    return simulate(sc, horizon, warmup, seed=seed, engine=engine, **kw)


def _overall(sc: "Scenario", n: int, seed: int, horizon: float, warmup: float,
             engine: str = "auto") -> "pd.DataFrame":
    """Overall metrics of replications 0..n-1 (run seeds as :func:`mqsim.replicate`), one row each.

    The numbers do not depend on ``engine`` (up to rounding in the last bits): "auto" only makes
    long runs affordable, with running statistics (``records="summary"``) on the fast engine."""
    import pandas as pd

    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.run import choose_engine

    which = choose_engine(sc, engine)
    records = "summary" if which == "fast" else "full"
    rows = [{"replication": r, **_run(sc, replication_seed(seed, r), horizon, warmup, which, trace=False,
                                      records=records).overall()} for r in range(int(n))]
    return pd.DataFrame(rows)


def _groups(sc: "Scenario", n: int, seed: int, horizon: float, warmup: float, engine: str = "auto",
            by: tuple[str, ...] = ("priority",)) -> "pd.DataFrame":
    """Summary rows (overall and per ``by`` group) of replications 0..n-1, with a ``replication``
    column: the rows of ``mqsim.replicate(...).runs`` (same run seeds), on ``engine``."""
    import pandas as pd

    from mqsim.experiments.replications import replication_seed
    from mqsim.sim.run import choose_engine

    which = choose_engine(sc, engine)
    records = "summary" if which == "fast" else "full"
    frames = []
    for r in range(int(n)):
        df = _run(sc, replication_seed(seed, r), horizon, warmup, which, trace=False, records=records).summary(by)
        df.insert(0, "replication", r)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _group_ci(runs: "pd.DataFrame", metric: str, group: str = "all", key: Any = "all") -> tuple[float, float, float]:
    return _ci(runs.loc[(runs["group"] == group) & (runs["key"] == key), metric].to_numpy(dtype=float))


def _row(label: str, values: Iterable[float], **extra: Any) -> dict[str, Any]:
    v = np.asarray(list(values), dtype=float)
    m, lo, hi = _ci(v)
    return {"label": label, "simulated": m, "ci_low": lo, "ci_high": hi, **extra, "n": int(np.isfinite(v).sum())}


def theory_rows(items: Mapping[str, "QueueMetrics"],
                fields: Sequence[str] = ("rho", "loss", "throughput", "L", "Lq", "W", "Wq")) -> "pd.DataFrame":
    """Formula values side by side, one row per ``items`` entry ({label: QueueMetrics}).

    fields: attributes of :class:`mqsim.theory.QueueMetrics` (``rho``, ``L``, ``Wq``, ...) or keys of
    its ``extras`` (e.g. ``p0``, ``p1``); NaN where a result has neither. Units as in QueueMetrics
    (times s, rates per s, counts messages).
    """
    import pandas as pd

    rows = {}
    for label, m in items.items():
        d = m.to_dict()
        rows[label] = {f: float(d[f]) if f in d and isinstance(d[f], (int, float)) else math.nan for f in fields}
    return pd.DataFrame(rows).T[list(fields)]


# ----------------------------------------------------------------------------------------------
# 05 bounded queues
# ----------------------------------------------------------------------------------------------
def bounded_scenario(lam: float, mu: float = 1.0, c: int = 1, max_length: int | None = None,
                     overflow: str = "reject-publish", *, service: "Distribution | None" = None,
                     prefetch: int = 1) -> "Scenario":
    """One Poisson producer at ``lam`` msg/s, a queue with ``x-max-length = max_length`` ready
    messages and the ``overflow`` policy, ``c`` consumers with exponential service at ``mu`` msg/s
    each (or ``service``, a distribution in s) and ``prefetch``."""
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    return Scenario([Producer("messages", rate=lam)], queue=Queue(max_length=max_length, overflow=overflow),
                    consumers=Consumers(int(c), service=service or Exponential(rate=mu), prefetch=prefetch))


def kendall_sweep(lam: float, mu: float, c: int, max_lengths: Iterable[int], *, metric: str = "loss", n: int = 10,
                  seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                  overflow: str = "reject-publish", engine: str = "auto") -> "pd.DataFrame":
    """Simulated ``metric`` (mean and CI) at each ``x-max-length`` m in ``max_lengths``, beside
    M/M/c/K with the right Kendall capacity K = m + c (RabbitMQ counts ready messages only; the
    c at the consumers are extra) and with the tempting wrong one K = m (NaN when m < c).

    Columns: max_length, simulated, ci_low, ci_high, ``K = max_length + c``, ``K = max_length``, n.
    metric: any overall metric; "loss" (fraction), "L" (messages), "W"/"Wq" (s), ...
    """
    import pandas as pd

    from mqsim.analysis.theory_join import THEORY_FIELDS
    from mqsim.theory import mmck

    field = THEORY_FIELDS.get(metric, metric)
    rows = []
    for m in max_lengths:
        m = int(m)
        sc = bounded_scenario(lam, mu, c, m, overflow)
        v = _overall(sc, n, seed, horizon, warmup, engine)[metric]
        right = float(getattr(mmck(lam, mu, c, m + c), field))
        wrong = float(getattr(mmck(lam, mu, c, m), field)) if m >= c and m >= 1 else math.nan
        r = _row(str(m), v, **{"K = max_length + c": right, "K = max_length": wrong})
        r.pop("label")
        rows.append({"max_length": m, **r})
    out = pd.DataFrame(rows)
    out.attrs.update({"metric": metric, "lam": lam, "mu": mu, "c": c})
    return out


def overflow_comparison(lam: float, mu: float, c: int, max_length: int, *, n: int = 10, seed: int = 0,
                        horizon: float = 20_000.0, warmup: float = 1_000.0,
                        metrics: Sequence[str] = ("loss", "throughput", "L", "Wq"),
                        engine: str = "auto") -> "pd.DataFrame":
    """``reject-publish`` against ``drop-head`` on the same queue (Poisson ``lam``, ``c``
    exponential consumers at ``mu``, prefetch 1, ``x-max-length = max_length``), simulated with a
    CI beside the exact M/M/c/K values: :func:`mqsim.theory.mmck` for reject-publish and
    :func:`mqsim.theory.mmck_drop_head` (tagged-message chain) for drop-head.

    Both policies share one number-in-system chain, so loss, throughput and L agree; the mean
    wait ``Wq`` (s) is over *delivered* messages and is shorter under drop-head, which throws the
    oldest message away. Long format: policy, metric, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    from mqsim.analysis.theory_join import THEORY_FIELDS
    from mqsim.theory import mmck, mmck_drop_head

    K = max_length + c
    rows = []
    for policy, th in (("reject-publish", mmck(lam, mu, c, K)), ("drop-head", mmck_drop_head(lam, mu, c, K))):
        runs = _overall(bounded_scenario(lam, mu, c, max_length, policy), n, seed, horizon, warmup, engine)
        for metric in metrics:
            r = _row(policy, runs[metric], theory=float(getattr(th, THEORY_FIELDS.get(metric, metric))),
                     formula=f"M/M/{c}/{K}" + (" drop-head chain" if policy == "drop-head" else ""))
            r["policy"] = r.pop("label")
            rows.append({"metric": metric, **r})
    out = pd.DataFrame(rows)[["policy", "metric", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]
    out.attrs.update({"K": K, "lam": lam, "mu": mu, "c": c, "max_length": max_length})
    return out


def erlang_b_insensitivity(c: int, lam: float, services: Mapping[str, "Distribution"], *, n: int = 10,
                           seed: int = 0, horizon: float = 5_000.0, warmup: float = 500.0,
                           engine: str = "auto") -> "pd.DataFrame":
    """Loss of ``c`` consumers with no waiting room (``x-max-length = 0``, prefetch 1, Poisson
    ``lam`` msg/s) for each service-time law in ``services`` ({label: distribution}, same mean),
    simulated with a CI beside Erlang B(c, lam*E[S]), which depends on the mean only.

    Columns: service, scv, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    from mqsim.theory import erlang_b

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, c, 0, "reject-publish", service=svc)
        r = _row(label, _overall(sc, n, seed, horizon, warmup, engine)["loss"], theory=erlang_b(c, lam * svc.mean),
                 formula="Erlang B")
        r["service"] = r.pop("label")
        rows.append({**r, "scv": float(svc.scv)})
    return pd.DataFrame(rows)[["service", "scv", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]


def smallest_max_length(lam: float, mu: float, c: int, target_loss: float, limit: int = 100_000) -> int:
    """The smallest ``x-max-length`` m whose M/M/c/(m + c) loss probability is at most
    ``target_loss`` (a fraction in (0, 1)); ``lam`` and ``mu`` per second."""
    from mqsim.theory import mmck

    if not 0 < target_loss < 1:
        raise ValueError(f"target_loss: must be a fraction in (0, 1), got {target_loss!r}")
    for m in range(limit + 1):
        if mmck(lam, mu, c, m + c).loss <= target_loss:
            return m
    raise ValueError(f"smallest_max_length: no max_length <= {limit} reaches loss {target_loss}")


# ----------------------------------------------------------------------------------------------
# 06 service-time variability
# ----------------------------------------------------------------------------------------------
def service_law(mean: float, scv: float) -> "Distribution":
    """A distribution with the given ``mean`` (s) and squared coefficient of variation ``scv``:
    deterministic (0), Erlang-k (1/k), gamma (other values below 1), exponential (1), balanced
    two-phase hyperexponential (above 1)."""
    from mqsim.model.dist import (
        Deterministic,
        Erlang,
        Exponential,
        Gamma,
        HyperExponential,
    )

    if scv < 0:
        raise ValueError(f"scv: must be >= 0, got {scv!r}")
    if scv == 0:
        return Deterministic(mean)
    if scv == 1:
        return Exponential(mean=mean)
    if scv > 1:
        return HyperExponential.balanced(mean, scv)
    k = 1.0 / scv
    if abs(k - round(k)) < 1e-9:
        return Erlang(k=int(round(k)), mean=mean)
    return Gamma(shape=k, mean=mean)


def arrival_law(rate: float, scv: float) -> "Distribution":
    """Inter-arrival distribution of a renewal stream at ``rate`` msg/s with squared coefficient of
    variation ``scv`` (:func:`service_law` with mean 1/rate): 1 is Poisson, 0 perfectly regular,
    above 1 bursty."""
    return service_law(1.0 / rate, scv)


def mg1_comparison(lam: float, services: Mapping[str, "Distribution"], *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0, metric: str = "Wq",
                   engine: str = "auto") -> "pd.DataFrame":
    """One consumer (prefetch 1) fed by Poisson ``lam`` msg/s, for each service law in
    ``services`` ({label: distribution}): the simulated ``metric`` ("Wq", "W" in s, "L", "Lq" in
    messages) with a CI beside Pollaczek–Khinchine, which needs only E[S] and the scv.

    Columns: service, scv, rho, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    from mqsim.theory import mg1

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, 1, None, service=svc)
        th = mg1(lam, svc.mean, svc.scv)
        r = _row(label, _overall(sc, n, seed, horizon, warmup, engine)[metric], theory=float(getattr(th, metric)),
                 formula="Pollaczek–Khinchine")
        r["service"] = r.pop("label")
        rows.append({**r, "scv": float(svc.scv), "rho": th.rho})
    return pd.DataFrame(rows)[["service", "scv", "rho", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]


def _service_moments(sc: "Scenario") -> tuple[float, float]:
    mix = sc.class_mix()
    lam = sum(r for _, _, r, _ in mix)
    m1 = sum(r * d.mean for _, _, r, d in mix) / lam
    m2 = sum(r * d.second_moment for _, _, r, d in mix) / lam
    return m1, m2


def residual_service(scenario: "Scenario", *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                     warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """The inspection paradox on a one-consumer queue: what a message arriving while the consumer
    is busy finds in service.

    Rows (simulated mean over those arrivals, CI over replications, seconds):

    * ``length of the service in progress``: theory E[S^2]/E[S] (length-biased), naive E[S];
    * ``remaining service time``: theory E[S^2]/(2E[S]), naive E[S]/2.

    Columns: quantity, simulated, ci_low, ci_high, theory, naive, n. Needs ``consumers.count == 1``.
    """
    import pandas as pd

    from mqsim.experiments.replications import replication_seed

    if scenario.consumers.count != 1:
        raise ValueError("residual_service: needs one consumer (consumers.count == 1)")
    m1, m2 = _service_moments(scenario)
    length, remaining = [], []
    for r in range(int(n)):
        a = _run(scenario, replication_seed(seed, r), horizon, warmup, engine, trace=False).arrays
        st, dn = a["t_start"], a["t_done"]
        ok = ~np.isnan(st) & ~np.isnan(dn)
        order = np.argsort(st[ok], kind="stable")
        st, dn = st[ok][order], dn[ok][order]
        t = a["t_publish"][a["t_publish"] >= warmup]
        idx = np.searchsorted(st, t, side="left") - 1  # the last service started before t (not its own)
        busy = (idx >= 0) & (dn[np.clip(idx, 0, None)] > t)
        k, tb = idx[busy], t[busy]
        length.append(float(np.mean(dn[k] - st[k])))
        remaining.append(float(np.mean(dn[k] - tb)))
    rows = [_row("length of the service in progress (s)", length, theory=m2 / m1, naive=m1),
            _row("remaining service time (s)", remaining, theory=m2 / (2 * m1), naive=m1 / 2)]
    out = pd.DataFrame(rows).rename(columns={"label": "quantity"}).set_index("quantity")
    return out[["simulated", "ci_low", "ci_high", "theory", "naive", "n"]]


def md1_states(lam: float, d: float, states: int = 4, *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
               warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """P(N = k) for k < ``states`` in M/D/1 (Poisson ``lam`` msg/s, constant service ``d`` s):
    the simulated fraction of time with CI beside the exact values from Crommelin's chain
    (:func:`md_c_exact`; p0 = 1 - rho, p1 = (1 - rho)(e^rho - 1)).

    Index: state (messages in the system). Columns: simulated, ci_low, ci_high, theory, n
    (replications).
    """
    import pandas as pd

    from mqsim.experiments.replications import replication_seed
    from mqsim.model.dist import Deterministic
    from mqsim.teaching.lessons import state_distribution

    sc = bounded_scenario(lam, 1.0, 1, None, service=Deterministic(d))
    probs = md_c_exact(lam, d, 1).extras["probs"]
    fr = np.zeros((int(n), states))
    for r in range(int(n)):
        sd = state_distribution(_run(sc, replication_seed(seed, r), horizon, warmup, engine), n_max=states - 1)
        fr[r, : len(sd)] = sd["time_average"].to_numpy()[:states]
    rows = []
    for k in range(states):
        m, lo, hi = _ci(fr[:, k])
        rows.append({"state": k, "simulated": m, "ci_low": lo, "ci_high": hi, "theory": probs[k], "n": int(n)})
    return pd.DataFrame(rows).set_index("state")


# ----------------------------------------------------------------------------------------------
# 07 G/G approximations
# ----------------------------------------------------------------------------------------------
def md_c_exact(lam: float, d: float, c: int) -> "QueueMetrics":
    """Exact M/D/c (Poisson ``lam`` msg/s, constant service ``d`` s, ``c`` consumers, FCFS) by
    Crommelin's embedded chain N(t + d) = max(N(t) - c, 0) + Poisson(lam*d).

    The chain's stationary law is the time-stationary law of N (any phase t gives the same chain),
    so Lq = sum (n - c)+ p_n, Wq = Lq/lam, P_wait = P(N >= c) (PASTA). The state space is
    truncated where the geometric tail z^-n of p_n is below e^-40. ``extras['probs']`` holds p_0, p_1, ...
    Raises :class:`mqsim.theory.UnstableError` when rho = lam*d/c >= 1.
    """
    from scipy import sparse, stats
    from scipy.sparse.linalg import spsolve

    from mqsim.theory import QueueMetrics, UnstableError

    if not (lam > 0 and d > 0 and int(c) >= 1):
        raise ValueError("md_c_exact: lam (per s) and d (s) must be > 0 and c an integer >= 1")
    c = int(c)
    rho = lam * d / c
    if rho >= 1:
        raise UnstableError.of("md_c_exact", "lam*d/c", rho)
    a = lam * d
    kmax = int(a + 12.0 * math.sqrt(a) + 40)  # Poisson(a) mass beyond this is far below 1e-18
    pk = stats.poisson.pmf(np.arange(kmax + 1), a)
    # p_n decays like z^-n, z > 1 the root of z^c = exp(a(z - 1)): truncate where z^-N < e^-40
    lo, hi = 1.0, 2.0
    while c * math.log(hi) - a * (hi - 1.0) > 0:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if c * math.log(mid) - a * (mid - 1.0) > 0:
            lo = mid
        else:
            hi = mid
    N = c + kmax + int(math.ceil(40.0 / math.log(hi))) + 50
    rows, cols, vals = [], [], []
    for s in range(N + 1):
        rows.append(np.full(kmax + 1, s))
        cols.append(np.minimum(max(s - c, 0) + np.arange(kmax + 1), N))
        vals.append(pk)
    P = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(N + 1, N + 1))
    A = (P.T - sparse.identity(N + 1, format="csr")).tolil()
    A[N, :] = np.ones(N + 1)  # replace one balance equation by sum(p) = 1
    b = np.zeros(N + 1)
    b[N] = 1.0
    p = np.clip(spsolve(A.tocsr(), b), 0.0, None)
    p /= p.sum()
    nn = np.arange(N + 1)
    Lq = float(np.sum(np.clip(nn - c, 0, None) * p))
    Wq = Lq / lam
    last = int(np.nonzero(p > 1e-16)[0].max()) + 1
    return QueueMetrics(model=f"M/D/{c}", formula="Crommelin (embedded chain at multiples of D)", rho=rho,
                        L=Lq + a, Lq=Lq, W=Wq + d, Wq=Wq, throughput=lam, P_wait=float(p[c:].sum()),
                        extras={"probs": tuple(float(x) for x in p[:last])})


def gg1_comparison(cases: Mapping[str, tuple["Distribution", "Distribution"]], *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """One consumer (prefetch 1) for each case {label: (inter-arrival law, service law)}: the
    simulated mean wait Wq (s) with a CI beside the exact value where one exists (GI/M/1 for
    exponential service, Pollaczek–Khinchine for Poisson arrivals), Kingman's 1961 approximation
    and Kingman's 1962 upper bound.

    Columns: case, ca2, cs2, rho, simulated, ci_low, ci_high, exact, exact_formula, kingman,
    kingman_bound, n.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario
    from mqsim.theory import gi_m1, kingman, kingman_bound, mg1

    rows = []
    for label, (ia, svc) in cases.items():
        sc = Scenario([Producer("messages", interarrival=ia)], consumers=Consumers(1, service=svc))
        lam = 1.0 / ia.mean
        if isinstance(ia, Exponential):
            exact, formula = mg1(lam, svc.mean, svc.scv).Wq, "Pollaczek–Khinchine"
        elif isinstance(svc, Exponential):
            exact, formula = gi_m1(ia, 1.0 / svc.mean).Wq, "GI/M/1"
        else:
            exact, formula = math.nan, "none"
        r = _row(label, _overall(sc, n, seed, horizon, warmup, engine)["Wq"], exact=exact, exact_formula=formula,
                 kingman=kingman(lam, ia.scv, svc.mean, svc.scv).Wq,
                 kingman_bound=kingman_bound(lam, ia.scv, svc.mean, svc.scv))
        r["case"] = r.pop("label")
        rows.append({**r, "ca2": float(ia.scv), "cs2": float(svc.scv), "rho": lam * svc.mean})
    cols = ["case", "ca2", "cs2", "rho", "simulated", "ci_low", "ci_high", "exact", "exact_formula", "kingman",
            "kingman_bound", "n"]
    return pd.DataFrame(rows)[cols]


def ggc_comparison(lam: float, services: Mapping[str, "Distribution"], c: int, *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """``c`` consumers (prefetch 1) fed by Poisson ``lam`` msg/s, for each service law in
    ``services``: the simulated Wq (s) with a CI beside the exact value where known (Erlang C for
    exponential, :func:`md_c_exact` for deterministic service), Allen–Cunneen and Sakasegawa.

    Columns: service, cs2, rho, simulated, ci_low, ci_high, exact, allen_cunneen, sakasegawa, n.
    """
    import pandas as pd

    from mqsim.model.dist import Deterministic, Exponential
    from mqsim.theory import allen_cunneen, mmc, sakasegawa

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, c, None, service=svc)
        if isinstance(svc, Exponential):
            exact = mmc(lam, 1.0 / svc.mean, c).Wq
        elif isinstance(svc, Deterministic):
            exact = md_c_exact(lam, svc.value, c).Wq
        else:
            exact = math.nan
        r = _row(label, _overall(sc, n, seed, horizon, warmup, engine)["Wq"], exact=exact,
                 allen_cunneen=allen_cunneen(lam, 1.0, svc.mean, svc.scv, c).Wq,
                 sakasegawa=sakasegawa(lam, 1.0, svc.mean, svc.scv, c).Wq)
        r["service"] = r.pop("label")
        rows.append({**r, "cs2": float(svc.scv), "rho": lam * svc.mean / c})
    cols = ["service", "cs2", "rho", "simulated", "ci_low", "ci_high", "exact", "allen_cunneen", "sakasegawa", "n"]
    return pd.DataFrame(rows)[cols]


def kingman_error(ca2s: Sequence[float] = (0.0, 0.5, 2.0, 4.0), rhos: Iterable[float] | None = None,
                  mu: float = 1.0) -> "pd.DataFrame":
    """Kingman's approximation against the exact GI/M/1 wait (exponential service at ``mu``
    msg/s) for renewal arrivals with each ``ca2`` (:func:`arrival_law`) at each utilisation in
    ``rhos`` (default 0.05 .. 0.95). No simulation: both sides are formulas.

    Long format: arrivals, ca2, rho, exact, kingman, kingman_bound (s), rel_error
    (kingman/exact - 1).
    """
    import pandas as pd

    from mqsim.theory import gi_m1, kingman, kingman_bound

    rhos = np.round(np.linspace(0.05, 0.95, 19), 4) if rhos is None else rhos
    rows = []
    for ca2 in ca2s:
        for rho in rhos:
            lam = float(rho) * mu
            ia = arrival_law(lam, ca2)
            ex = gi_m1(ia, mu).Wq
            kg = kingman(lam, ia.scv, 1.0 / mu, 1.0).Wq
            rows.append({"arrivals": f"ca2 = {ca2:g} ({type(ia).__name__})", "ca2": float(ca2), "rho": float(rho),
                         "exact": ex, "kingman": kg, "kingman_bound": kingman_bound(lam, ia.scv, 1.0 / mu, 1.0),
                         "rel_error": kg / ex - 1.0})
    return pd.DataFrame(rows)


def batch_wait(lam: float, batch: int, mu: float) -> "QueueMetrics":
    """Exact mean wait of Poisson *batch* publishing (M^X/M/1 with a constant batch of ``batch``
    messages): producers publish ``batch`` messages at once, at ``lam`` msg/s in all (so
    lam/batch bursts per second), one consumer with exponential service at ``mu`` msg/s.

    Derivation from Pollaczek–Khinchine on whole batches: a batch is one "job" of B = sum of
    ``batch`` Exp(mu) services (E[B] = k/mu, E[B^2] = (k + k^2)/mu^2), so bursts wait
    lam_b E[B^2]/(2(1 - rho)); a message also waits for the (k - 1)/2 messages ahead of it in its
    own batch. Wq = that sum, W = Wq + 1/mu, L = lam W. Raises UnstableError when rho >= 1.
    """
    from dataclasses import replace

    from mqsim.theory import mg1

    k = int(batch)
    if k < 1:
        raise ValueError(f"batch: must be an integer >= 1, got {batch!r}")
    eb, eb2 = k / mu, (k + k * k) / mu**2
    bursts = mg1(lam / k, eb, eb2 / eb**2 - 1.0)
    Wq = bursts.Wq + (k - 1) / (2.0 * mu)
    W = Wq + 1.0 / mu
    return replace(bursts, model=f"M^{k}/M/1", formula="P-K on batches + position in the batch", L=lam * W,
                   Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, extras={"batch": k, "burst_wait": bursts.Wq})


def batch_comparison(lam: float, batches: Iterable[int], mu: float = 1.0, *, n: int = 10, seed: int = 0,
                     horizon: float = 20_000.0, warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """The same message rate ``lam`` (msg/s) published one at a time or in bursts of each size in
    ``batches`` (Poisson bursts), to one exponential consumer at ``mu`` msg/s: the simulated mean
    wait Wq (s) with a CI beside the exact :func:`batch_wait` and, for contrast, Kingman's
    approximation fed with the scv of the gaps between successive messages, ca2 = 2k - 1 (k - 1
    gaps of 0 s, then an exponential one). Those gaps are not independent, so the stream is not a
    renewal process and Kingman overstates the wait.

    Columns: batch, ca2_gaps, simulated, ci_low, ci_high, exact, kingman, n.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario
    from mqsim.theory import kingman

    rows = []
    for k in batches:
        k = int(k)
        sc = Scenario([Producer("bursts", interarrival=Exponential(mean=k / lam), batch=k)],
                      consumers=Consumers(1, service=Exponential(rate=mu)))
        r = _row(str(k), _overall(sc, n, seed, horizon, warmup, engine)["Wq"], exact=batch_wait(lam, k, mu).Wq,
                 kingman=kingman(lam, 2.0 * k - 1.0, 1.0 / mu, 1.0).Wq)
        r.pop("label")
        rows.append({"batch": k, "ca2_gaps": 2.0 * k - 1.0, **r})
    return pd.DataFrame(rows)[["batch", "ca2_gaps", "simulated", "ci_low", "ci_high", "exact", "kingman", "n"]]


# ----------------------------------------------------------------------------------------------
# 08 priorities
# ----------------------------------------------------------------------------------------------
def priority_scenario(lams: Sequence[float], service: "Distribution | Sequence[Distribution] | None" = None, *,
                      c: int = 1, prefetch: int = 1, levels: Sequence[int] | None = None) -> "Scenario":
    """One Poisson producer per class, highest priority first: ``lams[i]`` msg/s published with
    priority ``levels[i]`` (default len(lams) - 1 down to 0; higher is delivered first), on a
    queue with ``x-max-priority`` = max(levels) (at least 1), ``c`` consumers with ``prefetch``.

    service: one distribution (s) for every class (default Exp(mean 1 s)) or one per class.
    Producers are named ``p<level>``.
    """
    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Queue, Scenario

    k = len(lams)
    levels = list(levels) if levels is not None else list(range(k - 1, -1, -1))
    if len(levels) != k:
        raise ValueError(f"levels: one priority per class, got {len(levels)} for {k} classes")
    if service is None or not isinstance(service, Sequence):
        default = service or Exponential(mean=1.0)
        svcs = [None] * k
    else:
        if len(service) != k:
            raise ValueError(f"service: one distribution per class, got {len(service)} for {k} classes")
        default, svcs = service[0], list(service)
    prods = [Producer(f"p{lv}", rate=lam, priority=lv, service=s) for lam, lv, s in zip(lams, levels, svcs)]
    return Scenario(prods, queue=Queue(max_priority=max(1, max(levels))),
                    consumers=Consumers(int(c), service=default, prefetch=prefetch))


def _class_moments(sc: "Scenario") -> list[tuple[int, float, float, float]]:
    """(level, lam, E[S], E[S^2]) per priority level, highest first."""
    levels: dict[int, list[tuple[float, Any]]] = {}
    for _, pr, r, d in sc.class_mix():
        levels.setdefault(pr, []).append((r, d))
    out = []
    for lv in sorted(levels, reverse=True):
        lam = sum(r for r, _ in levels[lv])
        out.append((lv, lam, sum(r * d.mean for r, d in levels[lv]) / lam,
                    sum(r * d.second_moment for r, d in levels[lv]) / lam))
    return out


def _priority_theory(scenario: "Scenario", metric: str = "Wq") -> dict[str, list[float]]:
    """Formula values of ``metric`` per priority level (highest first) plus the rate-weighted
    whole queue (last entry): {"non_preemptive": [...], "fcfs": [...], "preemptive": [...]}
    (NaN where a formula does not apply or the class has no steady state)."""
    from mqsim.theory import (
        combine_classes,
        mg1,
        mmc,
        np_priority_mg1,
        np_priority_mmc,
        pr_priority_mg1,
        pr_priority_mmc,
    )
    from mqsim.theory.select import _common_exp_mean

    cl = _class_moments(scenario)
    c = scenario.consumers.count
    lam = sum(x[1] for x in cl)
    es = sum(x[1] * x[2] for x in cl) / lam
    es2 = sum(x[1] * x[3] for x in cl) / lam
    common = _common_exp_mean([d for *_, d in scenario.class_mix()])
    fcfs, np_, pr = None, None, None
    if c == 1:
        fcfs = mg1(lam, es, es2 / es**2 - 1.0) if lam * es < 1 else None
        np_ = np_priority_mg1([(x[1], x[2], x[3]) for x in cl])
        pr = pr_priority_mg1([(x[1], x[2], x[3]) for x in cl])
    elif common is not None:  # the multi-server formulas need one common exponential rate
        fcfs = mmc(lam, 1.0 / common, c) if lam * common < c else None
        np_ = np_priority_mmc([x[1] for x in cl], 1.0 / common, c)
        pr = pr_priority_mmc([x[1] for x in cl], 1.0 / common, c)

    def val(m: Any) -> float:
        return float(getattr(m, metric)) if m is not None and getattr(m, "stable", True) else math.nan

    def per(res: Any) -> list[float]:
        if not res:
            return [math.nan] * (len(cl) + 1)
        whole = combine_classes(res) if all(r.stable for r in res) else None
        return [val(r) for r in res] + [val(whole)]

    return {"non_preemptive": per(np_), "fcfs": [val(fcfs)] * (len(cl) + 1), "preemptive": per(pr)}


def priority_comparison(scenario: "Scenario", *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                        warmup: float = 1_000.0, metric: str = "Wq", engine: str = "auto") -> "pd.DataFrame":
    """Per priority level (highest first) and overall: the simulated mean wait (``metric``,
    default Wq in s) with a CI beside three formulas:

    * ``non_preemptive``: strict head-of-line priority, what RabbitMQ does at prefetch 1 (Cobham
      for one consumer, the M/M/c priority formula for several with a common exponential rate);
    * ``fcfs``: the same traffic on a queue without priorities (M/G/1 or M/M/c);
    * ``preemptive``: preemptive-resume priority, a contrast no broker implements (a consumer
      never hands a message back); its wait counts the time a started message is interrupted.

    The ``all`` row is the rate-weighted mean over classes (the conservation law: with equal
    service times it equals FCFS). NaN where no formula applies. Columns: class, lam (msg/s),
    simulated, ci_low, ci_high, non_preemptive, fcfs, preemptive, n. Replications as
    :func:`mqsim.replicate` runs them (same run seeds, same numbers on every ``engine``).
    """
    import pandas as pd

    cl = _class_moments(scenario)
    th = _priority_theory(scenario, metric)
    runs = _groups(scenario, n, seed, horizon, warmup, engine)
    rows = []
    keys = [("priority", lv) for lv, *_ in cl] + [("all", "all")]
    names = [f"priority {lv}" for lv, *_ in cl] + ["all (rate-weighted)"]
    rates = [x[1] for x in cl] + [sum(x[1] for x in cl)]
    for i, ((g, k), name, lk) in enumerate(zip(keys, names, rates)):
        m, lo, hi = _group_ci(runs, metric, g, k)
        rows.append({"class": name, "lam": lk, "simulated": m, "ci_low": lo, "ci_high": hi,
                     **{f: th[f][i] for f in ("non_preemptive", "fcfs", "preemptive")}, "n": int(n)})
    out = pd.DataFrame(rows)
    out.attrs["metric"] = metric
    return out


def prefetch_priority(scenario: "Scenario", prefetches: Iterable[int], *, n: int = 10, seed: int = 0,
                      horizon: float = 10_000.0, warmup: float = 1_000.0, engine: str = "auto") -> "pd.DataFrame":
    """Mean wait Wq (s) per priority level as the consumers' prefetch grows: each consumer
    holds up to ``prefetch`` unacked messages in a FIFO buffer, where priority no longer acts.

    Long format: prefetch, priority, simulated, ci_low, ci_high, non_preemptive (the prefetch-1
    formula), fcfs (no priorities), n. Replications as :func:`mqsim.replicate` runs them.
    """
    import pandas as pd

    levels = [lv for lv, *_ in _class_moments(scenario)]
    th = _priority_theory(scenario.with_value("consumers.prefetch", 1))
    rows = []
    for pf in prefetches:
        sc = scenario.with_value("consumers.prefetch", int(pf))
        runs = _groups(sc, n, seed, horizon, warmup, engine)
        for i, lv in enumerate(levels):
            m, lo, hi = _group_ci(runs, "Wq", "priority", lv)
            rows.append({"prefetch": int(pf), "priority": int(lv), "simulated": m, "ci_low": lo, "ci_high": hi,
                         "non_preemptive": th["non_preemptive"][i], "fcfs": th["fcfs"][i], "n": int(n)})
    return pd.DataFrame(rows)


def starvation_transient(lams: Sequence[float], mu: float, horizons: Iterable[float], *, n: int = 10,
                         seed: int = 0, engine: str = "auto") -> "pd.DataFrame":
    """Mean wait per priority level of messages served within a run of each length in
    ``horizons`` (s), started empty, with no warm-up: the classes ``lams`` (highest first, msg/s)
    share one consumer with exponential service at ``mu`` msg/s.

    When the total load is 1 (the Ciw priority example: 5 + 5 msg/s at mu = 10) the top class
    settles at its Cobham value while the lowest class has no steady state: its mean wait keeps
    growing with the horizon. Long format: horizon, priority, simulated, ci_low, ci_high,
    cobham (NaN for a class with no steady state), backlog (mean messages left at the end), n.
    """
    import pandas as pd

    from mqsim.experiments.replications import replication_seed
    from mqsim.model.dist import Exponential
    from mqsim.theory import np_priority_mg1

    sc = priority_scenario(lams, Exponential(rate=mu))
    th = np_priority_mg1([(lam, 1.0 / mu, 2.0 / mu**2) for lam in lams])
    levels = [lv for lv, *_ in _class_moments(sc)]
    rows = []
    for h in horizons:
        waits = np.full((int(n), len(levels)), np.nan)
        left = np.zeros((int(n), len(levels)))
        for r in range(int(n)):
            res = _run(sc, replication_seed(seed, r), float(h), 0.0, engine, trace=False)
            a = res.arrays
            started = ~np.isnan(a["t_start"])
            for j, lv in enumerate(levels):
                m = a["priority"] == lv
                if (m & started).any():
                    waits[r, j] = float(np.mean((a["t_start"] - a["t_publish"])[m & started]))
                left[r, j] = float(np.sum(m & np.isnan(a["t_done"])))
        for j, lv in enumerate(levels):
            mean, lo, hi = _ci(waits[:, j])
            rows.append({"horizon": float(h), "priority": int(lv), "simulated": mean, "ci_low": lo, "ci_high": hi,
                         "cobham": th[j].Wq if th[j].stable else math.nan, "backlog": float(left[:, j].mean()),
                         "n": int(n)})
    return pd.DataFrame(rows)


def weighted_priority_toy(lams: Sequence[float], mean_service: float = 1.0, policy: str = "strict", *,
                          weights: tuple[int, int] = (2, 1), n: int = 10, seed: int = 0,
                          horizon: float = 20_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
    """A 40-line single-consumer simulation of two classes (``lams`` = (high, normal) msg/s,
    Poisson; exponential service of mean ``mean_service`` s, non-preemptive) under a dispatch
    ``policy`` the mqsim engine does not offer:

    * ``"strict"``: the high class whenever it has a message (classic queues; quorum 4.3+);
    * ``"weighted"``: when both classes wait, serve them in the cycle ``weights`` =
      (high, normal), e.g. 2 high then 1 normal, a model of quorum queues 4.0–4.2's 2:1 "fair
      share" (when only one class waits it is served);
    * ``"fifo"``: oldest message first (no priority).

    A teaching toy (like :func:`mqsim.lessons.toy_event_list`), not the broker engine; its strict
    policy agrees with Cobham's formula. Returns one row per class and an ``all`` row: class,
    simulated (mean wait Wq, s), ci_low, ci_high, n.
    """
    import pandas as pd

    from mqsim.experiments.replications import replication_seed

    if policy not in ("strict", "weighted", "fifo"):
        raise ValueError(f"policy: must be 'strict', 'weighted' or 'fifo', got {policy!r}")
    if len(lams) != 2:
        raise ValueError("lams: give two class rates (high, normal)")
    cycle = [0] * int(weights[0]) + [1] * int(weights[1])
    per = np.full((int(n), 3), np.nan)
    for r in range(int(n)):
        rng = np.random.default_rng(replication_seed(seed, r))
        ts, ks = [], []
        for k, lam in enumerate(lams):
            t = np.cumsum(rng.exponential(1.0 / lam, int(lam * horizon * 1.2) + 100))
            ts.append(t[t < horizon])
            ks.append(np.full(ts[-1].size, k))
        t, cls = np.concatenate(ts), np.concatenate(ks)
        order = np.argsort(t, kind="stable")
        t, cls = t[order], cls[order]
        svc = rng.exponential(mean_service, t.size)
        start = np.full(t.size, np.nan)
        q: tuple[deque, deque] = (deque(), deque())
        now, i, pos = 0.0, 0, 0
        while True:  # the consumer: take a message, serve it to the end, repeat
            while i < t.size and t[i] <= now:
                q[cls[i]].append(i)
                i += 1
            if not q[0] and not q[1]:
                if i >= t.size:
                    break
                now = t[i]
                continue
            if q[0] and q[1]:
                if policy == "strict":
                    k = 0
                elif policy == "fifo":
                    k = 0 if q[0][0] < q[1][0] else 1
                else:
                    k, pos = cycle[pos], (pos + 1) % len(cycle)
            else:
                k = 0 if q[0] else 1
            j = q[k].popleft()
            start[j] = now
            now += svc[j]
        keep = (t >= warmup) & (start < horizon)
        w = start - t
        for k in (0, 1):
            per[r, k] = float(np.mean(w[keep & (cls == k)]))
        per[r, 2] = float(np.mean(w[keep]))
    rows = []
    for k, name in enumerate(("high", "normal", "all")):
        m, lo, hi = _ci(per[:, k])
        rows.append({"class": name, "simulated": m, "ci_low": lo, "ci_high": hi, "n": int(n)})
    out = pd.DataFrame(rows)
    out.attrs["policy"] = policy
    return out


def priority_policies(lams: Sequence[float], mean_service: float = 1.0,
                      policies: Sequence[str] = ("strict", "weighted", "fifo"), *, weights: tuple[int, int] = (2, 1),
                      n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                      warmup: float = 1_000.0) -> "pd.DataFrame":
    """:func:`weighted_priority_toy` for each dispatch policy, in one table with the formula where
    there is one: Cobham for ``strict``, M/M/1 (FCFS) for ``fifo``, none for ``weighted``.

    Columns: policy, class, label ("policy: class"), simulated, ci_low, ci_high, theory, n (Wq in s).
    """
    import pandas as pd

    from mqsim.theory import mm1, np_priority_mg1

    m2 = 2.0 * mean_service**2
    cob = np_priority_mg1([(lams[0], mean_service, m2), (lams[1], mean_service, m2)])
    fcfs = mm1(sum(lams), 1.0 / mean_service).Wq
    names = {"strict": "strict", "weighted": f"weighted {weights[0]}:{weights[1]}", "fifo": "no priority"}
    frames = []
    for pol in policies:
        t = weighted_priority_toy(lams, mean_service, pol, weights=weights, n=n, seed=seed, horizon=horizon,
                                  warmup=warmup)
        th = {"strict": [cob[0].Wq, cob[1].Wq, fcfs], "fifo": [fcfs] * 3}.get(pol, [math.nan] * 3)
        frames.append(t.assign(policy=names[pol], theory=th))
    out = pd.concat(frames, ignore_index=True)
    out["label"] = out["policy"] + ": " + out["class"]
    return out[["policy", "class", "label", "simulated", "ci_low", "ci_high", "theory", "n"]]


# ----------------------------------------------------------------------------------------------
# interactive panels (theory only: they redraw instantly)
# ----------------------------------------------------------------------------------------------
def _panel(title: str, sliders: dict[str, Any], draw: Any) -> Any:
    try:
        import ipywidgets as w
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("this panel needs ipywidgets: pip install 'mqsim[notebooks]'") from exc
    from mqsim.viz.widgets import _show

    def update(**kw: Any) -> None:
        import matplotlib.pyplot as plt

        table, fig = draw(**kw)
        _show(table)
        _show(fig)
        plt.close(fig)

    out = w.interactive_output(update, sliders)
    panel = w.VBox([w.HTML(title), w.HBox(list(sliders.values())), out])
    panel.sliders, panel.output = sliders, out
    panel.update = lambda: update(**{k: s.value for k, s in sliders.items()})
    return panel


def pk_explorer(rho: float = 0.8, scv: float = 4.0) -> Any:
    """Sliders for the utilisation rho and the service scv: Pollaczek–Khinchine's mean wait (in
    units of E[S]) against rho for deterministic, exponential and the chosen service law, with
    the numbers at the chosen rho. Returns an ``ipywidgets.VBox`` (``.sliders``, ``.update()``)."""
    import ipywidgets as w

    from mqsim.theory import mg1

    style = {"description_width": "initial"}
    sliders = {"rho": w.FloatSlider(value=rho, min=0.05, max=0.95, step=0.05, description="ρ = λE[S]",
                                    continuous_update=False, style=style),
               "scv": w.FloatSlider(value=scv, min=0.0, max=20.0, step=0.5, description="service C_s²",
                                    continuous_update=False, style=style)}

    def draw(rho: float, scv: float) -> Any:
        import matplotlib.pyplot as plt
        import pandas as pd

        from mqsim.viz.plots import THEORY_COLOR

        xs = np.linspace(0.02, 0.95, 150)
        fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
        for s, style_, col in ((0.0, ":", "0.3"), (1.0, "--", "0.3"), (scv, "-", THEORY_COLOR)):
            ax.plot(xs, [mg1(x, 1.0, s).Wq for x in xs], style_, color=col, lw=2,
                    label=f"theory (P-K, C_s² = {s:g})")
        ax.plot([rho], [mg1(rho, 1.0, scv).Wq], "o", color=THEORY_COLOR)
        ax.set_ylim(0, max(10.0, 1.2 * mg1(rho, 1.0, scv).Wq))
        ax.set_xlabel("utilisation ρ")
        ax.set_ylabel("mean wait Wq / E[S]")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, loc="upper left")
        table = pd.DataFrame({"C_s²": [0.0, 1.0, scv], "Wq / E[S]": [mg1(rho, 1.0, s).Wq for s in (0.0, 1.0, scv)],
                              "L": [mg1(rho, 1.0, s).L for s in (0.0, 1.0, scv)]},
                             index=["deterministic (M/D/1)", "exponential (M/M/1)", "chosen"]).round(4)
        return table, fig

    return _panel("<b>Pollaczek–Khinchine</b>: Wq = ρ(1 + C_s²)/(2(1 − ρ))·E[S]. Sliders update on release.",
                  sliders, draw)


def kingman_explorer(rho: float = 0.8, ca2: float = 0.5, cs2: float = 1.0) -> Any:
    """Sliders for rho, the inter-arrival ca2 and the service cs2 of a G/G/1 queue (E[S] = 1 s):
    Kingman's approximation, Kingman's upper bound and, where one exists, the exact mean wait
    (GI/M/1 when cs2 = 1, Pollaczek–Khinchine when ca2 = 1) against rho. Returns an
    ``ipywidgets.VBox`` (``.sliders``, ``.update()``)."""
    import ipywidgets as w

    from mqsim.theory import gi_m1, kingman, kingman_bound, mg1

    style = {"description_width": "initial"}
    sliders = {"rho": w.FloatSlider(value=rho, min=0.05, max=0.95, step=0.05, description="ρ",
                                    continuous_update=False, style=style),
               "ca2": w.FloatSlider(value=ca2, min=0.0, max=4.0, step=0.25, description="arrivals C_a²",
                                    continuous_update=False, style=style),
               "cs2": w.FloatSlider(value=cs2, min=0.0, max=4.0, step=0.25, description="service C_s²",
                                    continuous_update=False, style=style)}

    def exact(x: float, ca2: float, cs2: float) -> float:
        if ca2 == 1.0:
            return mg1(x, 1.0, cs2).Wq
        if cs2 == 1.0:
            return gi_m1(arrival_law(x, ca2), 1.0).Wq
        return math.nan

    def draw(rho: float, ca2: float, cs2: float) -> Any:
        import matplotlib.pyplot as plt
        import pandas as pd

        from mqsim.viz.plots import THEORY_COLOR

        xs = np.linspace(0.05, 0.95, 60)
        fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
        ex = [exact(x, ca2, cs2) for x in xs]
        if np.isfinite(ex).any():
            ax.plot(xs, ex, "-", color=THEORY_COLOR, lw=2, label="theory (exact)")
        ax.plot(xs, [kingman(x, ca2, 1.0, cs2).Wq for x in xs], "--", color="#edae49", lw=2,
                label="Kingman 1961 approximation")
        ax.plot(xs, [kingman_bound(x, ca2, 1.0, cs2) for x in xs], ":", color="0.3", lw=2,
                label="Kingman 1962 upper bound")
        ax.axvline(rho, color="0.7", lw=1)
        ax.set_ylim(0, max(5.0, 1.2 * kingman_bound(rho, ca2, 1.0, cs2)))
        ax.set_xlabel("utilisation ρ")
        ax.set_ylabel("mean wait Wq (s), E[S] = 1 s")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, loc="upper left")
        table = pd.Series({"exact": exact(rho, ca2, cs2), "Kingman approximation": kingman(rho, ca2, 1.0, cs2).Wq,
                           "Kingman upper bound": kingman_bound(rho, ca2, 1.0, cs2)}, name="Wq (s)").round(4)
        return table.to_frame(), fig

    return _panel("<b>G/G/1</b>: Kingman's approximation (ρ/(1−ρ))·((C_a² + C_s²)/2)·E[S], his upper bound, "
                  "and the exact value where one is known. Sliders update on release.", sliders, draw)
