"""Headless capacity-planning report for one scenario file (what ``make demo`` runs).

    python -m mqsim.demo examples/reference.yaml --plot out/wait_vs_utilisation.png

Prints the formula that applies, a simulated-vs-theory table with 95% confidence intervals,
a consumer-count table, and writes a PNG of simulated waiting time against utilisation over
the formula's curve.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mqsim.model.scenario import Scenario
from mqsim.model.yaml_io import load_yaml

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

REPORT_METRICS = ("throughput", "utilisation", "L", "Lq", "W", "Wq", "p_wait", "wait_p95", "wait_p99", "loss")


def comparison(sc: Scenario, replications: int, seed: int, horizon: float, warmup: float) -> "pd.DataFrame":
    """Simulated mean and CI beside theory for the overall row of ``sc``."""
    from mqsim.experiments.sweep import sweep

    t = sweep(sc, {"consumers.count": [sc.consumers.count]}, replications, seed, horizon, warmup, by=())
    t = t[(t.group == "all") & t.metric.isin(REPORT_METRICS)].set_index("metric").loc[list(REPORT_METRICS)]
    out = t[["mean", "ci_low", "ci_high", "theory"]].copy()
    out["covered"] = np.where(out.theory.notna(), (out.ci_low <= out.theory) & (out.theory <= out.ci_high), np.nan)
    return out


def consumer_table(sc: Scenario, replications: int, seed: int, horizon: float, warmup: float) -> "pd.DataFrame":
    """Simulated means beside theory of utilisation and waits for four consumer counts from the
    smallest stable one up (horizon and warmup in seconds)."""
    from mqsim.experiments.sweep import sweep

    lo = max(1, math.floor(sc.offered_load) + 1)
    counts = list(range(lo, lo + 4))
    t = sweep(sc, {"consumers.count": counts}, replications, seed, horizon, warmup, by=())
    t = t[(t.group == "all") & t.metric.isin(["utilisation", "Wq", "p_wait", "wait_p95"])]
    wide = t.pivot_table(index="consumers.count", columns="metric", values=["mean", "theory"], aggfunc="first")
    wide.columns = [f"{m} ({'sim' if s == 'mean' else 'theory'})" for s, m in wide.columns]
    return wide[sorted(wide.columns)]


def hockey_png(sc: Scenario, path: Path, replications: int, seed: int, horizon: float, warmup: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from mqsim.experiments.sweep import sweep
    from mqsim.viz import hockey_stick

    rate_path = "producers[0].rate"
    base = sc.producers[0].arrival_rate
    others = sc.arrival_rate - base
    cap = sc.consumers.count / sc.mean_service
    rates = [max(r * cap - others, 1e-3) for r in (0.3, 0.5, 0.65, 0.75, 0.85, 0.9)]
    t = sweep(sc, {rate_path: rates}, replications, seed, horizon, warmup, by=())
    ax = hockey_stick(t, "Wq", scenario=sc, path=rate_path)
    ax.set_title(f"{sc.name or 'scenario'}: {sc.consumers.count} consumers — simulated vs theory")
    fig = ax.figure
    if not isinstance(fig, Figure):  # a subfigure: save the whole figure
        fig = fig.figure
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mqsim.demo", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", help="scenario YAML file")
    ap.add_argument("--plot", default="out/wait_vs_utilisation.png", help="PNG to write")
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--horizon", type=float, default=None, help="seconds per replication (default: ~20,000 messages)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slo", default="P(wait > 0.5) <= 0.05", help="service-level objective for the sizing step")
    args = ap.parse_args(argv)
    try:
        sc = load_yaml(args.scenario)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not isinstance(sc, Scenario):
        print(f"error: {args.scenario}: the demo report sizes the consumers of a queue scenario; for a Kafka "
              f"scenario use `mqsim run` or `mqsim sweep`", file=sys.stderr)
        return 2
    import pandas as pd

    from mqsim.theory import for_scenario

    pd.set_option("display.width", 120)
    horizon = args.horizon or 20_000 / sc.arrival_rate
    warmup = horizon / 10
    pred = for_scenario(sc)
    print(f"Scenario {sc.name or args.scenario}: lambda = {sc.arrival_rate:g} msg/s, E[S] = {sc.mean_service:g} s, "
          f"{sc.consumers.count} consumers, rho = {sc.utilisation:.3f}")
    print(f"Theory: {pred.model} {pred.formula} ({'exact' if pred.exact else 'approximation'}) — {pred.reason}\n")
    print(f"Simulated (mean and 95% CI over {args.replications} replications of {horizon:,.0f} s, "
          f"warm-up {warmup:,.0f} s) beside theory:")
    print(comparison(sc, args.replications, args.seed, horizon, warmup).to_string(float_format=lambda v: f"{v:.4f}"))
    print("\nConsumers needed (simulated means beside theory):")
    print(consumer_table(sc, args.replications, args.seed, horizon, warmup).to_string(
        float_format=lambda v: f"{v:.4f}"))
    from mqsim.experiments.sizing import size_consumers

    sz = size_consumers(sc, args.slo, replications=args.replications, seed=args.seed, horizon=horizon,
                        warmup=warmup, progress=False)
    print(f"\nSizing for {args.slo} (95% confidence): {sz.answer} consumers by simulation, "
          f"{sz.formula_answer} by the formula alone.")
    out = Path(args.plot)
    hockey_png(sc, out, args.replications, args.seed, horizon, warmup)
    print(f"\nwrote {out}: simulated mean wait (95% CI) vs utilisation over the {pred.formula} curve")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
