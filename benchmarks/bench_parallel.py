"""Parallel benchmark: replications in this process vs a local process pool vs a Dask cluster.

Workload: ``mqsim.replicate`` of the reference scenario (M/M/3, lambda = 2.4 msg/s, E[S] = 1 s),
``--replications`` runs of about ``--messages`` messages each, overall summary only. The
executors take turns, ``--repeats`` times, and the median time of each is kept. Each
executor runs the same seeds; the script checks that every executor returns *identical*
tables, and reports the wall-time ratio sequential / parallel (the speed-up), not absolute
times (machines differ). The Dask cluster (``executor="dask"``: a LocalCluster of worker
processes, no dashboard) is timed with its start-up included, as a user sees it; skipped when
the ``dask`` extra is not installed.

    python benchmarks/bench_parallel.py [--replications 16] [--messages 60000] [--jobs N] [--repeats 3]

``--sweep`` measures instead the parallel efficiency of a sweep: 20 points (``consumers.count``
3..22 of the reference scenario, M/M/c) x 20 replications of about 10^5 messages each, on a
process pool with every core, once with full records (the default: exact metrics) and once with
``records="summary"``. Efficiency = the sweep's throughput (messages simulated per second of
wall-clock time) / (single-run fast-engine throughput measured in the same process x cores);
1.0 would be every core simulating all the time with no overhead. The sweep's table must be
identical with the sequential executor (checked on a smaller grid).

    python benchmarks/bench_parallel.py --sweep [--points 20] [--replications 20] [--messages 100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

import mqsim as mq
from mqsim.experiments.executors import resolve_n_jobs

ROOT = Path(__file__).resolve().parents[1]


def timed(sc: mq.Scenario, n: int, horizon: float, **kw) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    reps = mq.replicate(sc, n=n, seed=2024, horizon=horizon, warmup=horizon / 10, by=(), progress=False, **kw)
    return time.perf_counter() - t0, reps.runs


def single_run_rate(sc: mq.Scenario, horizon: float, runs: int = 5) -> float:
    """Messages per second of wall-clock time of one fast-engine run (median of ``runs``)."""
    mq.simulate(sc, horizon / 100, seed=0, engine="fast")  # numba's cache loaded
    rates = []
    for s in range(runs):
        t = time.perf_counter()
        n = mq.simulate(sc, horizon, horizon / 10, seed=s, engine="fast", trace=False).counts()["published"]
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def sweep_efficiency(args: argparse.Namespace) -> None:
    """The --sweep benchmark (see the module docstring)."""
    jobs = resolve_n_jobs(args.jobs)
    sc = mq.load_yaml(str(ROOT / "examples" / "reference.yaml"))
    horizon = args.messages / sc.arrival_rate
    grid = {"consumers.count": list(range(3, 3 + args.points))}
    kw = {"replications": args.replications, "seed": 7, "horizon": horizon, "warmup": horizon / 10, "progress": False}
    small = {"consumers.count": grid["consumers.count"][:3]}
    for rec in ("full", "summary"):  # the pool and the sequential path agree exactly
        a = mq.sweep(sc, small, executor="sequential", records=rec, **{**kw, "replications": 3})
        b = mq.sweep(sc, small, executor="process", n_jobs=jobs, records=rec, **{**kw, "replications": 3})
        pd.testing.assert_frame_equal(a, b)
    total = args.points * args.replications * sc.arrival_rate * horizon
    print(f"sweep: {args.points} points x {args.replications} replications x ~{args.messages:,} messages (M/M/c), "
          f"{jobs} workers on {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
    for rec in ("full", "summary"):
        single = single_run_rate(sc, horizon)
        t = time.perf_counter()
        mq.sweep(sc, grid, executor="process", n_jobs=jobs, records=rec, **kw)
        dt = time.perf_counter() - t
        eff = total / dt / (single * jobs)
        print(f"  records={rec:<8} {dt:6.2f} s  {total / dt / 1e6:5.2f} M msg/s; single fast run "
              f"{single / 1e6:5.2f} M msg/s; parallel efficiency {eff:.2f}")
    print("results: identical on the pool and in this process (same seeds)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=16)
    ap.add_argument("--messages", type=int, default=60_000, help="messages per replication")
    ap.add_argument("--jobs", type=int, default=None, help="workers (default: every core)")
    ap.add_argument("--repeats", type=int, default=3, help="timings per executor (the median is reported)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--sweep", action="store_true", help="the sweep-efficiency benchmark instead")
    ap.add_argument("--points", type=int, default=20, help="--sweep: grid points")
    args = ap.parse_args()
    if args.sweep:
        if "--replications" not in " ".join(sys.argv):
            args.replications = 20
        if "--messages" not in " ".join(sys.argv):
            args.messages = 100_000
        sweep_efficiency(args)
        return
    jobs = resolve_n_jobs(args.jobs)
    sc = mq.load_yaml(str(ROOT / "examples" / "reference.yaml"))
    horizon = args.messages / sc.arrival_rate
    print(f"{args.replications} replications x ~{args.messages:,} messages (M/M/3, rho = 0.8); {jobs} workers "
          f"on {os.cpu_count()} CPUs; median of {args.repeats}; load average before: {os.getloadavg()[0]:.2f} "
          "(other processes on the machine lower the speed-up)")
    executors: list[tuple[str, dict]] = [("sequential", {"executor": "sequential"}),
                                         ("process pool", {"executor": "process", "n_jobs": jobs})]
    if not args.no_dask:
        try:
            import distributed  # noqa: F401

            executors.append(("dask LocalCluster", {"executor": "dask", "n_jobs": jobs}))
        except ImportError:
            print("dask: not installed (pip install 'mqsim[dask]'), skipped")
    samples: dict[str, list[float]] = {name: [] for name, _ in executors}
    ref: pd.DataFrame | None = None
    for _ in range(args.repeats):  # executors alternate, so a change in machine load hits them alike
        for name, kw in executors:
            dt, runs = timed(sc, args.replications, horizon, **kw)
            samples[name].append(dt)
            if ref is None:
                ref = runs
            else:
                pd.testing.assert_frame_equal(runs, ref)  # identical results on every executor
    times = {name: statistics.median(ts) for name, ts in samples.items()}
    base = times["sequential"]
    for name, t in times.items():
        print(f"  {name:<18} speed-up x{base / t:4.2f}   ({t:6.2f} s)")
    print("results: identical on every executor (same seeds)")


if __name__ == "__main__":
    main()
