"""Lecture 6, service-time variability: Pollaczek–Khinchine for M/G/1 (Pollaczek 1930, Khinchine
1932), the whole M/D/1 distribution (Crommelin 1932), the inspection paradox behind the variance
term, and an interactive P-K panel.

Units: seconds (times), messages per second (rates), messages (counts); ``scv`` is the squared
coefficient of variation Var[S]/E[S]^2 (dimensionless). Simulating helpers run their
replications with :func:`mqsim.replicate`.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from mqsim import theory as th
from mqsim.experiments.replications import replicate
from mqsim.teaching.bounded_queues import bounded_scenario
from mqsim.teaching.common import ci_row, overall_runs
from mqsim.teaching.exercises import Exercise, pick, register_all

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mqsim.model.dist import Distribution
    from mqsim.model.scenario import Scenario
    from mqsim.sim.result import Result

__all__ = ["service_law", "mg1_comparison", "residual_service", "md1_states", "pk_explorer", "EXERCISES"]


def service_law(mean: float, scv: float) -> "Distribution":
    """A distribution with the given ``mean`` (s) and squared coefficient of variation ``scv``:
    deterministic (0), Erlang-k (1/k), gamma (other values below 1), exponential (1), balanced
    two-phase hyperexponential (above 1)."""
    from mqsim.model import validate
    from mqsim.model.dist import Deterministic, Erlang, Exponential, Gamma, HyperExponential

    scv = validate.nonneg("scv", scv)
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


def mg1_comparison(lam: float, services: Mapping[str, "Distribution"], *, n: int = 10, seed: int = 0,
                   horizon: float = 20_000.0, warmup: float = 1_000.0, metric: str = "Wq") -> "pd.DataFrame":
    """One consumer (prefetch 1) fed by Poisson ``lam`` msg/s, for each service law in
    ``services`` ({label: distribution}): the simulated ``metric`` ("Wq", "W" in s, "L", "Lq" in
    messages) with a CI beside Pollaczek–Khinchine, which needs only E[S] and the scv.

    Columns: service, scv, rho, simulated, ci_low, ci_high, theory, formula, n.
    """
    import pandas as pd

    rows = []
    for label, svc in services.items():
        sc = bounded_scenario(lam, 1.0, 1, None, service=svc)
        pk = th.mg1(lam, svc.mean, svc.scv)
        reps = replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), progress=False)
        r = ci_row(label, overall_runs(reps)[metric], theory=float(getattr(pk, metric)), formula="Pollaczek–Khinchine")
        r["service"] = r.pop("label")
        rows.append({**r, "scv": float(svc.scv), "rho": pk.rho})
    return pd.DataFrame(rows)[["service", "scv", "rho", "simulated", "ci_low", "ci_high", "theory", "formula", "n"]]


def _service_moments(sc: "Scenario") -> tuple[float, float]:
    """E[S] (s) and E[S^2] (s^2) of the scenario's service mix, weighted by the class rates."""
    mix = sc.class_mix()
    lam = sum(r for _, _, r, _ in mix)
    return (sum(r * d.mean for _, _, r, d in mix) / lam, sum(r * d.second_moment for _, _, r, d in mix) / lam)


def _in_progress(res: "Result") -> dict[str, float]:
    """Per-run statistic: mean length and mean remaining time (s) of the service in progress, as
    seen by the messages published after the warm-up that found the consumer busy."""
    a = res.arrays
    st, dn = a["t_start"], a["t_done"]
    ok = ~np.isnan(st) & ~np.isnan(dn)
    order = np.argsort(st[ok], kind="stable")
    st, dn = st[ok][order], dn[ok][order]
    t = a["t_publish"][a["t_publish"] >= res.warmup]
    idx = np.searchsorted(st, t, side="left") - 1  # the last service started before t (not its own)
    busy = (idx >= 0) & (dn[np.clip(idx, 0, None)] > t)
    k, tb = idx[busy], t[busy]
    return {"length": float(np.mean(dn[k] - st[k])), "remaining": float(np.mean(dn[k] - tb))}


def residual_service(scenario: "Scenario", *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
                     warmup: float = 1_000.0) -> "pd.DataFrame":
    """The inspection paradox on a one-consumer queue: what a message arriving while the consumer
    is busy finds in service (per run, then over ``n`` replications of :func:`mqsim.replicate`).

    Rows (simulated mean over those arrivals, CI over replications, seconds):

    * ``length of the service in progress``: theory E[S^2]/E[S] (length-biased), naive E[S];
    * ``remaining service time``: theory E[S^2]/(2E[S]), naive E[S]/2.

    Columns: quantity, simulated, ci_low, ci_high, theory, naive, n. Needs ``consumers.count == 1``.
    """
    import pandas as pd

    if scenario.consumers.count != 1:
        raise ValueError(f"consumers.count: residual_service needs one consumer, got {scenario.consumers.count}")
    m1, m2 = _service_moments(scenario)
    r = overall_runs(replicate(scenario, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(),
                               statistic=_in_progress, progress=False))
    rows = [ci_row("length of the service in progress (s)", r["length"], theory=m2 / m1, naive=m1),
            ci_row("remaining service time (s)", r["remaining"], theory=m2 / (2 * m1), naive=m1 / 2)]
    out = pd.DataFrame(rows).rename(columns={"label": "quantity"}).set_index("quantity")
    return out[["simulated", "ci_low", "ci_high", "theory", "naive", "n"]]


def _state_fractions(res: "Result", states: int) -> dict[str, float]:
    """Per-run statistic: fraction of [warmup, horizon) with n messages in the system, n < states
    (from the publish and ack times; for queues that lose nothing)."""
    a = res.arrays
    t0, t1 = res.warmup, res.horizon
    done = a["t_done"][~np.isnan(a["t_done"])]
    times = np.concatenate([a["t_publish"], done])
    order = np.argsort(times, kind="stable")
    times = times[order]
    N = np.cumsum(np.concatenate([np.ones(a["t_publish"].size), -np.ones(done.size)])[order]).astype(int)
    starts = np.concatenate([[0.0], times])
    ends = np.append(times, t1)
    level = np.concatenate([[0], N])
    dur = np.clip(np.minimum(ends, t1) - np.maximum(starts, t0), 0.0, None)
    frac = np.bincount(level, weights=dur, minlength=states)[:states] / (t1 - t0)
    return {f"p{k}": float(v) for k, v in enumerate(frac)}


def md1_states(lam: float, d: float, states: int = 4, *, n: int = 10, seed: int = 0, horizon: float = 20_000.0,
               warmup: float = 1_000.0) -> "pd.DataFrame":
    """P(N = k) for k < ``states`` in M/D/1 (Poisson ``lam`` msg/s, constant service ``d`` s):
    the simulated fraction of time (``n`` replications of :func:`mqsim.replicate`) with CI beside
    the exact values from Crommelin's chain (:func:`mqsim.theory.md_c_exact`; p0 = 1 − ρ,
    p1 = (1 − ρ)(e^ρ − 1)).

    Index: state (messages in the system). Columns: simulated, ci_low, ci_high, theory, n.
    """
    import pandas as pd

    from mqsim.model.dist import Deterministic

    sc = bounded_scenario(lam, 1.0, 1, None, service=Deterministic(d))
    probs = th.md_c_exact(lam, d, 1).extras["probs"]
    stat = functools.partial(_state_fractions, states=int(states))
    r = overall_runs(replicate(sc, n=n, seed=seed, horizon=horizon, warmup=warmup, by=(), statistic=stat,
                               progress=False))
    rows = [{"state": k, **ci_row("", r[f"p{k}"], theory=probs[k])} for k in range(int(states))]
    return pd.DataFrame(rows).drop(columns="label").set_index("state")[["simulated", "ci_low", "ci_high", "theory",
                                                                         "n"]]


def pk_explorer(rho: float = 0.8, scv: float = 4.0) -> Any:
    """Sliders for the utilisation ρ and the service C_s²: Pollaczek–Khinchine's mean wait (in
    units of E[S]) against ρ for deterministic, exponential and the chosen service law, with the
    numbers at the chosen ρ. Returns an ``ipywidgets.VBox`` (``.sliders``, ``.update()``)."""
    import ipywidgets as w

    from mqsim.viz.curves import pk_wait_curves
    from mqsim.viz.widgets import theory_panel

    style = {"description_width": "initial"}
    sliders = {"rho": w.FloatSlider(value=rho, min=0.05, max=0.95, step=0.05, description="ρ = λE[S]",
                                    continuous_update=False, style=style),
               "scv": w.FloatSlider(value=scv, min=0.0, max=20.0, step=0.5, description="service C_s²",
                                    continuous_update=False, style=style)}

    def draw(rho: float, scv: float) -> tuple[Any, Any]:
        import pandas as pd

        ax = pk_wait_curves(rho, scv)
        laws = (0.0, 1.0, scv)
        table = pd.DataFrame({"C_s²": list(laws), "Wq / E[S]": [th.mg1(rho, 1.0, s).Wq for s in laws],
                              "L": [th.mg1(rho, 1.0, s).L for s in laws]},
                             index=["deterministic (M/D/1)", "exponential (M/M/1)", "chosen"]).round(4)
        return table, ax.figure

    return theory_panel("<b>Pollaczek–Khinchine</b>: Wq = ρ(1 + C_s²)/(2(1 − ρ))·E[S]. Sliders update on release.",
                        sliders, draw)


# ----------------------------------------------------------------------------------------------
# exercises (answers from mqsim.theory at check time)
# ----------------------------------------------------------------------------------------------
def _ex1(p: Mapping[str, Any]) -> float:
    return th.mg1(p["lam"], p["mean"], p["scv"]).Wq


def _ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    mean = pick(rng, [0.02, 0.05, 0.1, 0.2])
    return {"lam": round(pick(rng, [0.5, 0.6, 0.7, 0.8, 0.9]) / mean, 4), "mean": mean,
            "scv": pick(rng, [0.0, 0.5, 2.0, 4.0, 9.0])}


def _ex1_traps(p: Mapping[str, Any]) -> list[tuple[float, str]]:
    rho = p["lam"] * p["mean"]
    return [(th.mg1(p["lam"], p["mean"], 1.0).Wq,
             "that is M/M/1, which assumes exponential service (C_s^2 = 1); Pollaczek–Khinchine uses the "
             "real C_s^2."),
            (rho * (1 + math.sqrt(p["scv"])) / (2 * (1 - rho)) * p["mean"],
             "the formula needs the SQUARED coefficient of variation C_s^2 = Var[S]/E[S]^2, not C_s."),
            (_ex1(p) + p["mean"], "that is the time in the system W = Wq + E[S]; the question asks for Wq.")]


def _ex2(p: Mapping[str, Any]) -> float:
    return (1.0 + p["scv"]) * p["mean"] / 2.0  # E[S^2]/(2 E[S])


def _ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"mean": pick(rng, [0.02, 0.05, 0.1, 0.5, 2.0]), "scv": pick(rng, [0.0, 0.5, 2.0, 4.0, 9.0])}


def _ex3(p: Mapping[str, Any]) -> float:
    return 2 * p["k"] / (2 * p["k"] + 1 + p["scv"])  # rho*(1 + scv)/(2(1 - rho)) = k


def _ex3_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"k": pick(rng, [1.0, 2.0, 3.0, 5.0]), "scv": pick(rng, [0.0, 0.5, 2.0, 4.0])}


EXERCISES = register_all([
    Exercise(
        key="nb06_ex1",
        question=("One consumer (prefetch 1) takes on average {mean} s per message, with squared coefficient of "
                  "variation C_s^2 = {scv}; messages arrive at lam = {lam}/s (Poisson). What is the mean wait in the "
                  "queue Wq (s)?"),
        canonical={"lam": 0.8, "mean": 1.0, "scv": 4.0}, vary=_ex1_vary, answer=_ex1, unit="s",
        hint="Pollaczek–Khinchine: Wq = rho*(1 + C_s^2)/(2*(1 - rho)) * E[S] with rho = lam*E[S] (mqsim.theory.mg1).",
        traps=_ex1_traps),
    Exercise(
        key="nb06_ex2",
        question=("Messages arrive as a Poisson stream at one consumer whose service time has mean E[S] = {mean} s "
                  "and C_s^2 = {scv}. A message arrives and finds the consumer busy. On average, how long (s) until "
                  "the message in service finishes?"),
        canonical={"mean": 1.0, "scv": 4.0}, vary=_ex2_vary, answer=_ex2, unit="s",
        hint=("an arrival lands in a long service more often than in a short one (the inspection paradox): the "
              "service in progress is length-biased, and its remaining part averages E[S^2]/(2 E[S])."),
        traps=lambda p: [(p["mean"] / 2, "half a mean service time is the naive guess; long services are more "
                                         "likely to be caught in progress."),
                         (p["mean"], "only the exponential law is memoryless; here the answer depends on C_s^2."),
                         (2 * _ex2(p), "that is the mean LENGTH of the service in progress; the question asks "
                                       "for what remains of it.")]),
    Exercise(
        key="nb06_ex3",
        question=("One consumer, Poisson arrivals, service times with C_s^2 = {scv}. Up to what utilisation rho is "
                  "the mean wait in the queue at most {k:g} times the mean service time?"),
        canonical={"k": 2.0, "scv": 0.0}, vary=_ex3_vary, answer=_ex3, unit="(utilisation)",
        hint="set Pollaczek–Khinchine's Wq/E[S] = rho*(1 + C_s^2)/(2*(1 - rho)) equal to k and solve for rho.",
        traps=lambda p: [(p["k"] / (p["k"] + 1), "that is the M/M/1 answer (C_s^2 = 1); use the given C_s^2.")]),
])
