"""Lecture 7, bursty producers: arrival variability, Kingman's G/G/1 approximation (1961) and
upper bound (1962), Allen–Cunneen and Sakasegawa for several consumers, checked against exact
results (GI/M/1, Pollaczek–Khinchine, Crommelin's M/D/c, Poisson batches) and simulation.

Units: seconds (times), messages per second (rates); ``ca2``/``cs2`` are the squared
coefficients of variation of inter-arrival and service times (dimensionless). Simulating helpers
run their replications with :func:`mqsim.replicate`.

References: J. F. C. Kingman (1961), "The single server queue in heavy traffic", Proc. Cambridge
Philosophical Society 57:902–904, and (1962) "Some inequalities for the queue GI/G/1",
Biometrika 49:315–324; A. O. Allen (1990), *Probability, Statistics, and Queueing Theory*, 2nd
ed., Academic Press; H. Sakasegawa (1977), Annals of the Institute of Statistical Mathematics 29.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.teaching.bounded_queues import bounded_scenario
from mqsim.teaching.common import ci_row, overall_runs
from mqsim.teaching.exercises import Exercise, pick, register_all
from mqsim.teaching.service_variability import service_law

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.dist import Distribution
    from mqsim.model.scenario import Scenario

__all__ = ["arrival_law", "gg1_comparison", "ggc_comparison", "kingman_error", "batch_comparison",
           "kingman_explorer", "EXERCISES"]


def arrival_law(rate: float, scv: float) -> "Distribution":
    """Inter-arrival distribution of a renewal stream at ``rate`` msg/s with squared coefficient of
    variation ``scv`` (:func:`mqsim.teaching.service_variability.service_law` with mean 1/rate):
    1 is Poisson, 0 perfectly regular, above 1 bursty."""
    return service_law(1.0 / rate, scv)


def _wq_runs(sc: "Scenario", n: int, seed: int, horizon: float, warmup: float) -> Any:
    """The overall mean wait Wq (s) of ``n`` replications of :func:`mqsim.replicate`."""
    return overall_runs(replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False))["Wq"]


def gg1_comparison(cases: Mapping[str, tuple["Distribution", "Distribution"]], *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
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

    rows = []
    for label, (ia, svc) in cases.items():
        sc = Scenario([Producer("messages", interarrival=ia)], consumers=Consumers(1, service=svc))
        lam = 1.0 / ia.mean
        if isinstance(ia, Exponential):
            exact, formula = th.mg1(lam, svc.mean, svc.scv).Wq, "Pollaczek–Khinchine"
        elif isinstance(svc, Exponential):
            exact, formula = th.gi_m1(ia, 1.0 / svc.mean).Wq, "GI/M/1"
        else:
            exact, formula = math.nan, "none"
        r = ci_row(label, _wq_runs(sc, n, seed, horizon, warmup), exact=exact, exact_formula=formula,
                   kingman=th.kingman(lam, ia.scv, svc.mean, svc.scv).Wq,
                   kingman_bound=th.kingman_bound(lam, ia.scv, svc.mean, svc.scv))
        r["case"] = r.pop("label")
        rows.append({**r, "ca2": float(ia.scv), "cs2": float(svc.scv), "rho": lam * svc.mean})
    cols = ["case", "ca2", "cs2", "rho", "simulated", "ci_low", "ci_high", "exact", "exact_formula", "kingman",
            "kingman_bound", "n"]
    return pd.DataFrame(rows)[cols]


def ggc_comparison(lam: float, services: Mapping[str, "Distribution"], c: int, *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
    """``c`` consumers (prefetch 1) fed by Poisson ``lam`` msg/s, for each service law in
    ``services``: the simulated Wq (s) with a CI beside the exact value where known (Erlang C for
    exponential, :func:`mqsim.theory.md_c_exact` for deterministic service), Allen–Cunneen and
    Sakasegawa.

    Columns: service, cs2, rho, simulated, ci_low, ci_high, exact, allen_cunneen, sakasegawa, n.
    """
    import pandas as pd

    from mqsim.model.dist import Deterministic, Exponential

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, c, None, service=svc)
        if isinstance(svc, Exponential):
            exact = th.mmc(lam, 1.0 / svc.mean, c).Wq
        elif isinstance(svc, Deterministic):
            exact = th.md_c_exact(lam, svc.value, c).Wq
        else:
            exact = math.nan
        r = ci_row(label, _wq_runs(sc, n, seed, horizon, warmup), exact=exact,
                   allen_cunneen=th.allen_cunneen(lam, 1.0, svc.mean, svc.scv, c).Wq,
                   sakasegawa=th.sakasegawa(lam, 1.0, svc.mean, svc.scv, c).Wq)
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
    (kingman/exact − 1).
    """
    import pandas as pd

    rhos = np.round(np.linspace(0.05, 0.95, 19), 4) if rhos is None else rhos
    rows = []
    for ca2 in ca2s:
        for rho in rhos:
            lam = float(rho) * mu
            ia = arrival_law(lam, ca2)
            ex = th.gi_m1(ia, mu).Wq
            kg = th.kingman(lam, ia.scv, 1.0 / mu, 1.0).Wq
            rows.append({"arrivals": f"C_a² = {ca2:g} ({type(ia).__name__})", "ca2": float(ca2), "rho": float(rho),
                         "exact": ex, "kingman": kg, "kingman_bound": th.kingman_bound(lam, ia.scv, 1.0 / mu, 1.0),
                         "rel_error": kg / ex - 1.0})
    return pd.DataFrame(rows)


def batch_comparison(lam: float, batches: Iterable[int], mu: float = 1.0, *, n: int = 10, seed: int = 0,
                     horizon: float = 20_000.0, warmup: float = 1_000.0) -> "pd.DataFrame":
    """The same message rate ``lam`` (msg/s) published one at a time or in bursts of each size in
    ``batches`` (Poisson bursts), to one exponential consumer at ``mu`` msg/s: the simulated mean
    wait Wq (s) with a CI beside the exact :func:`mqsim.theory.batch_wait` and, for contrast,
    Kingman's approximation fed with the scv of the gaps between successive messages,
    ca2 = 2k − 1 (k − 1 gaps of 0 s, then an exponential one). Those gaps are not independent, so
    the stream is not a renewal process and Kingman overstates the wait.

    Columns: batch, ca2_gaps, simulated, ci_low, ci_high, exact, kingman, n.
    """
    import pandas as pd

    from mqsim.model.dist import Exponential
    from mqsim.model.scenario import Consumers, Producer, Scenario

    rows = []
    for k in batches:
        k = int(k)
        sc = Scenario([Producer("bursts", interarrival=Exponential(mean=k / lam), batch=k)],
                      consumers=Consumers(1, service=Exponential(rate=mu)))
        r = ci_row(str(k), _wq_runs(sc, n, seed, horizon, warmup), exact=th.batch_wait(lam, k, mu).Wq,
                   kingman=th.kingman(lam, 2.0 * k - 1.0, 1.0 / mu, 1.0).Wq)
        r.pop("label")
        rows.append({"batch": k, "ca2_gaps": 2.0 * k - 1.0, **r})
    return pd.DataFrame(rows)[["batch", "ca2_gaps", "simulated", "ci_low", "ci_high", "exact", "kingman", "n"]]


def kingman_explorer(rho: float = 0.8, ca2: float = 0.5, cs2: float = 1.0) -> Any:
    """Sliders for ρ, the inter-arrival C_a² and the service C_s² of a G/G/1 queue (E[S] = 1 s):
    Kingman's approximation, Kingman's upper bound and, where one exists, the exact mean wait
    (GI/M/1 when C_s² = 1, Pollaczek–Khinchine when C_a² = 1) against ρ. Returns an
    ``ipywidgets.VBox`` (``.sliders``, ``.update()``)."""
    import ipywidgets as w

    from mqsim.viz.curves import kingman_curves
    from mqsim.viz.widgets import theory_panel

    style = {"description_width": "initial"}
    sliders = {"rho": w.FloatSlider(value=rho, min=0.05, max=0.95, step=0.05, description="ρ",
                                    continuous_update=False, style=style),
               "ca2": w.FloatSlider(value=ca2, min=0.0, max=4.0, step=0.25, description="arrivals C_a²",
                                    continuous_update=False, style=style),
               "cs2": w.FloatSlider(value=cs2, min=0.0, max=4.0, step=0.25, description="service C_s²",
                                    continuous_update=False, style=style)}

    def exact(x: float, ca2: float, cs2: float) -> float:
        if ca2 == 1.0:
            return th.mg1(x, 1.0, cs2).Wq
        if cs2 == 1.0:
            return th.gi_m1(arrival_law(x, ca2), 1.0).Wq
        return math.nan

    def draw(rho: float, ca2: float, cs2: float) -> tuple[Any, Any]:
        import pandas as pd

        known = ca2 == 1.0 or cs2 == 1.0
        ax = kingman_curves(rho, ca2, cs2, (lambda x: exact(x, ca2, cs2)) if known else None)
        table = pd.Series({"exact": exact(rho, ca2, cs2), "Kingman approximation": th.kingman(rho, ca2, 1.0, cs2).Wq,
                           "Kingman upper bound": th.kingman_bound(rho, ca2, 1.0, cs2)}, name="Wq (s)").round(4)
        return table.to_frame(), ax.figure

    return theory_panel("<b>G/G/1</b>: Kingman's approximation (ρ/(1−ρ))·((C_a² + C_s²)/2)·E[S], his upper bound, "
                        "and the exact value where one is known. Sliders update on release.", sliders, draw)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _arrivals(p: Mapping[str, Any]) -> Any:
    from mqsim.model.dist import Deterministic, Erlang

    mean = 1.0 / (p["rho"] * p["mu"])
    return Deterministic(mean) if p["k"] == 0 else Erlang(k=int(p["k"]), mean=mean)


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    k = pick(rng, [0, 2, 3, 4])
    return {"k": k, "arrivals": "evenly spaced (deterministic)" if k == 0 else f"Erlang-{k} distributed",
            "rho": pick(rng, [0.6, 0.7, 0.8, 0.9]), "mu": 1.0}


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"rho": pick(rng, [0.6, 0.7, 0.8, 0.9]), "mu": 1.0, "ca2": pick(rng, [0.25, 0.5, 2.0, 4.0]),
            "cs2": pick(rng, [0.0, 0.5, 1.0, 2.0])}


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    c, d = pick(rng, [2, 3, 4, 5]), pick(rng, [0.1, 0.5, 1.0])
    return {"lam": round(pick(rng, [0.7, 0.8, 0.9]) * c / d, 4), "d": d, "c": c}


EXERCISES = register_all([
    Exercise(
        key="nb07_ex1",
        question=("One consumer with exponential service (mu = {mu}/s). Messages arrive at utilisation rho = {rho}, "
                  "with inter-arrival times that are {arrivals}. What is the EXACT mean wait in the queue Wq (s)?"),
        canonical={"k": 0, "arrivals": "evenly spaced (deterministic)", "rho": 0.8, "mu": 1.0}, vary=_ex1_vary,
        answer=lambda p: th.gi_m1(_arrivals(p), p["mu"]).Wq, unit="s",
        hint=("exponential service with renewal arrivals is GI/M/1: solve sigma = A*(mu(1 - sigma)) for sigma, "
              "then Wq = sigma/(mu(1 - sigma)) (mqsim.theory.gi_m1 with the inter-arrival distribution)."),
        traps=lambda p: [(th.kingman(p["rho"] * p["mu"], _arrivals(p).scv, 1 / p["mu"], 1.0).Wq,
                          "that is Kingman's approximation; the question asks for the exact GI/M/1 value."),
                         (th.mm1(p["rho"] * p["mu"], p["mu"]).Wq,
                          "that is M/M/1: Poisson arrivals. These arrivals are more regular.")]),
    Exercise(
        key="nb07_ex2",
        question=("A G/G/1 queue: service rate mu = {mu}/s (mean service time 1/mu), utilisation rho = {rho}, "
                  "inter-arrival C_a^2 = {ca2} and service C_s^2 = {cs2}. Give Kingman's 1962 UPPER BOUND on the "
                  "mean wait Wq (s)."),
        canonical={"rho": 0.8, "mu": 1.0, "ca2": 0.5, "cs2": 1.0}, vary=_ex2_vary,
        answer=lambda p: th.kingman_bound(p["rho"] * p["mu"], p["ca2"], 1 / p["mu"], p["cs2"]), unit="s",
        hint=("the bound is lam*(Var[A] + Var[S])/(2(1 - rho)) with Var[A] = C_a^2/lam^2 and Var[S] = C_s^2/mu^2 "
              "(mqsim.theory.kingman_bound)."),
        traps=lambda p: [(th.kingman(p["rho"] * p["mu"], p["ca2"], 1 / p["mu"], p["cs2"]).Wq,
                          "that is the OTHER 'Kingman': his 1961 heavy-traffic approximation. The question asks for "
                          "the upper bound.")]),
    Exercise(
        key="nb07_ex3",
        question=("c = {c} consumers (prefetch 1) each take exactly d = {d} s per message; messages arrive at "
                  "lam = {lam}/s (Poisson). Give the Allen–Cunneen approximation of the mean wait Wq (s)."),
        canonical={"lam": 2.4, "d": 1.0, "c": 3}, vary=_ex3_vary,
        answer=lambda p: th.allen_cunneen(p["lam"], 1.0, p["d"], 0.0, p["c"]).Wq, close_tol=0.01, unit="s",
        hint=("Allen–Cunneen: the Erlang C wait C(c, a)/(c*mu - lam) scaled by (C_a^2 + C_s^2)/2 "
              "(mqsim.theory.allen_cunneen)."),
        traps=lambda p: [(th.sakasegawa(p["lam"], 1.0, p["d"], 0.0, p["c"]).Wq,
                          "that is Sakasegawa's formula (Hopp & Spearman's 'Kingman for G/G/c'), a different "
                          "approximation."),
                         (th.mmc(p["lam"], 1 / p["d"], p["c"]).Wq,
                          "that is Erlang C (exponential service, C_s^2 = 1); constant service has C_s^2 = 0.")]),
])
