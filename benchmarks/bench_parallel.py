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
"""

from __future__ import annotations

import argparse
import os
import statistics
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replications", type=int, default=16)
    ap.add_argument("--messages", type=int, default=60_000, help="messages per replication")
    ap.add_argument("--jobs", type=int, default=None, help="workers (default: every core)")
    ap.add_argument("--repeats", type=int, default=3, help="timings per executor (the median is reported)")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
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
