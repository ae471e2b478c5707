"""Memory of full records: peak bytes traced while ``mq.simulate`` runs and returns, per message.

The SimPy engine stores per-message floats in typed arrays, the hot int columns in lists
(small ints are shared objects) and the queue-length steps in compact numpy chunks; columns a
scenario cannot use are not stored (:mod:`mqsim.sim.records`). Reported for an M/M/1 at
rho = 0.9, an M/M/4 with two priorities and the broker-feature system of
``bench_engines.py`` (which stores the redelivery and network columns too), with and without
the queue-length trace.

    python benchmarks/bench_memory.py [--messages 1000000]
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

import mqsim as mq


def scenarios() -> dict[str, mq.Scenario]:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_engines import feature_scenario  # priorities, prefetch 10, nacks, TTL, a DLQ, crashes

    exp = mq.dist.Exponential
    return {
        "broker features": feature_scenario(),
        "M/M/1, rho = 0.9": mq.Scenario(producers=[mq.Producer("a", rate=0.9)],
                                        consumers=mq.Consumers(1, service=exp(mean=1.0))),
        "M/M/4, two priorities": mq.Scenario(
            producers=[mq.Producer("hi", rate=1.8, priority=5), mq.Producer("lo", rate=1.8, priority=1)],
            queue=mq.Queue(max_priority=10), consumers=mq.Consumers(4, service=exp(mean=1.0))),
    }


def peak_bytes(sc: mq.Scenario, messages: int, trace: bool, engine: str) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    res = mq.simulate(sc, horizon=messages / sc.arrival_rate, seed=1, trace=trace, engine=engine)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, res.records.n_published


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--engine", default="simpy", choices=["simpy", "fast"])
    args = ap.parse_args()
    print(f"full records, {args.engine} engine, about {args.messages:,} messages (tracemalloc peak)")
    for name, sc in scenarios().items():
        for trace in (True, False):
            peak, n = peak_bytes(sc, args.messages, trace, args.engine)
            print(f"  {name:24s} trace={str(trace):5s}: {peak / 1e6:7.1f} MB peak, "
                  f"{peak / n:6.1f} bytes/message, {peak / n:.0f} MB per 10^6 messages")


if __name__ == "__main__":
    main()
