"""Core benchmark: mqsim's SimPy engine vs an idiomatic one-process-per-message SimPy model.

System: M/M/4, two priority classes (50/50, priorities 1 and 5, non-preemptive), rho = 0.9,
about 200,000 messages. Both models run in this process, alternately, and the report is the
ratio of their median times (not an absolute time: machines differ). Also reports the
wall time of ``import mqsim`` in a fresh interpreter.

    python benchmarks/bench_core.py [--messages 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np
import simpy

import mqsim as mq

C, MU, RHO = 4, 1.0, 0.9
LAM = RHO * C * MU


def scenario() -> mq.Scenario:
    return mq.Scenario(
        producers=[mq.Producer("hi", rate=LAM / 2, priority=5), mq.Producer("lo", rate=LAM / 2, priority=1)],
        queue=mq.Queue(max_priority=10),
        consumers=mq.Consumers(C, service=mq.dist.Exponential(mean=1 / MU)),
    )


def run_mqsim(horizon: float, seed: int) -> tuple[int, float]:
    res = mq.simulate(scenario(), horizon=horizon, seed=seed, trace=False)
    a = res.arrays
    done = a["outcome"] == 0
    return int(done.sum()), float(np.mean(a["t_start"][done] - a["t_publish"][done]))


def run_per_message(horizon: float, seed: int) -> tuple[int, float]:
    """The textbook SimPy model: a PriorityResource, and one process per message."""
    env = simpy.Environment()
    consumers = simpy.PriorityResource(env, capacity=C)
    rng = np.random.default_rng(seed)
    waits: list[float] = []

    def message(prio: int):
        t0 = env.now
        with consumers.request(priority=-prio) as req:
            yield req
            waits.append(env.now - t0)
            yield env.timeout(rng.exponential(1 / MU))

    def producer(prio: int):
        while True:
            yield env.timeout(rng.exponential(2 / LAM))
            env.process(message(prio))

    env.process(producer(5))
    env.process(producer(1))
    env.run(until=horizon)
    return len(waits), float(np.mean(waits))


def timed(fn, *args) -> tuple[float, tuple]:
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import mqsim; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
            for _ in range(5)]
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    horizon = args.messages / LAM
    ours, base = [], []
    for r in range(args.repeats):
        t, (n1, w1) = timed(run_mqsim, horizon, r)
        ours.append(t)
        t, (n2, w2) = timed(run_per_message, horizon, r)
        base.append(t)
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    print(f"M/M/{C} two priorities, rho={RHO}, ~{args.messages:,} messages, median of {args.repeats}")
    print(f"  mqsim SimPy engine        : {m_ours:7.2f} s  ({n1 / m_ours:>9,.0f} msg/s, mean wait {w1:.3f} s)")
    print(f"  one process per message   : {m_base:7.2f} s  ({n2 / m_base:>9,.0f} msg/s, mean wait {w2:.3f} s)")
    print(f"  speed-up (baseline / mqsim): {m_base / m_ours:.2f}x   (target >= 3x)")
    print(f"  import mqsim (fresh process, median of 5): {import_time():.3f} s   (target < 1 s)")


if __name__ == "__main__":
    main()
