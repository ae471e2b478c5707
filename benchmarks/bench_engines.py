"""Engine benchmark: messages per second and peak memory, every engine side by side.

Systems: M/M/1 (rho = 0.9) and M/M/4 with two priority classes (50/50, non-preemptive,
rho = 0.9), at 10^5, 10^6 and 10^7 messages; and "features", the broker features at once (see
:func:`feature_scenario`): two priorities, 4 consumers with prefetch 10, 10 % of processing
attempts nacked (requeued at the head), a 20 s queue TTL, a dead-letter stage with its own
consumer, and consumer crashes (up 500 s, repair 10 s on average), offered load 0.8. Engines:

  limit         a minimal numba event loop for the same system (benchmarks/limit_loop.py):
                the speed limit the fast engine is measured against
  fast          mqsim's fast engine, full per-message records (engine="fast")
  fast-summary  the fast engine with records="summary" (running statistics, flat memory)
  simpy         mqsim's SimPy engine (long-lived processes), full records
  simpy-summary the SimPy engine with records="summary"
  per-message   an idiomatic SimPy model: a PriorityResource and one process per message (for
                "features": a PreemptiveResource whose crash processes preempt a consumer, a
                TTL race on each request, a nack loop and a dead-letter resource; no
                prefetch windows, so it does less than the engines do)
  ciw           Ciw (an independent simulation library)

Every (engine, system, size) runs in its own subprocess: imports, a small warm-up run (so
numba's compile or cache load is not timed), then ``--repeats`` timed runs (one at 10^7 for
the slow engines); the median time is reported. Time is the run's CPU time by default
(``--clock cpu``): every engine is single-threaded, so on an idle machine it equals wall
time, and on a shared one it does not count the time other processes held the core;
``--clock wall`` reports wall-clock time. Before everything, ``--prewarm-mb`` of memory
is touched once in a throw-away process (see :func:`prewarm`). Memory is the peak resident-set growth during a timed run
(Linux ``/proc/self/clear_refs`` resets the peak; VmHWM - VmRSS before the run), and for the
numba engines also the tracemalloc peak of one extra run (numpy buffers, Python objects).
The slow engines stop at ``--max-simpy`` / ``--max-per-message`` / ``--max-ciw`` messages
(defaults 10^6, 10^6, 10^5): beyond that they take minutes and gigabytes. The numba compile
time is measured separately, in fresh processes with an empty cache (cold) and then with the
cache numba wrote (warm; numba ``cache=True``).

    python benchmarks/bench_engines.py                  # everything, ~5 minutes on 2 cores
    python benchmarks/bench_engines.py --quick          # 10^5 and 10^6 only
    python benchmarks/bench_engines.py --sizes 1e6 --engines fast,limit,simpy --repeats 5
    python benchmarks/bench_engines.py --systems features --sizes 1e5,1e6 --engines fast,simpy,per-message
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINES = ("limit", "fast", "fast-summary", "simpy", "simpy-summary", "per-message", "ciw")
SYSTEMS = {"M/M/1": (1, 1), "M/M/4 2prio": (4, 2), "features": (4, 2)}  # (consumers, producers)
RHO, MU = 0.9, 1.0
#: the broker-feature system: offered load, nack probability, TTL (s), failures (s)
F_RHO, F_NACK, F_TTL, F_UP, F_REPAIR = 0.8, 0.1, 20.0, 500.0, 10.0


def feature_scenario():
    """The "features" system as a :class:`mqsim.Scenario` (imported lazily, like every engine)."""
    import mqsim as mq

    c, _ = SYSTEMS["features"]
    lam = F_RHO * c * MU * (1 - F_NACK)  # each message needs 1 / (1 - nack) services on average
    return mq.Scenario(
        producers=[mq.Producer("hi", rate=lam / 2, priority=5), mq.Producer("lo", rate=lam / 2, priority=1)],
        queue=mq.Queue(max_priority=10, ttl=F_TTL, dead_letter="dlq"),
        consumers=mq.Consumers(c, service=mq.dist.Exponential(mean=1 / MU), prefetch=10, nack=F_NACK,
                               failure=mq.Failure(mq.dist.Exponential(mean=F_UP), mq.dist.Exponential(mean=F_REPAIR))),
        stages=[mq.Stage("dlq", consumers=mq.Consumers(1, service=mq.dist.Exponential(mean=0.05)))])


def arrival_rate(system: str) -> float:
    c, _ = SYSTEMS[system]
    return F_RHO * c * MU * (1 - F_NACK) if system == "features" else RHO * c * MU


# ---- the child: one engine, one system, one size ------------------------------------------
def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _runner(engine: str, system: str):
    """A function horizon, seed -> number of messages simulated."""
    c, P = SYSTEMS[system]
    lam = arrival_rate(system)
    if system == "features":
        return _feature_runner(engine)
    if engine == "limit":
        sys.path.insert(0, str(HERE))
        from limit_loop import limit_loop

        return lambda horizon, seed: len(limit_loop(lam / P, P, 1 / MU, c, horizon, seed)[0])
    if engine in ("fast", "fast-summary", "simpy", "simpy-summary"):
        import mqsim as mq
        from mqsim import simulate

        prods = [mq.Producer("p0", rate=lam / P, priority=5)] + \
            [mq.Producer(f"p{i}", rate=lam / P, priority=1) for i in range(1, P)]
        sc = mq.Scenario(producers=prods, queue=mq.Queue(max_priority=10 if P > 1 else None),
                         consumers=mq.Consumers(c, service=mq.dist.Exponential(mean=1 / MU)))
        eng, _, rec = engine.partition("-")

        def run(horizon: float, seed: int) -> int:
            res = simulate(sc, horizon, seed=seed, engine=eng, trace=False, records=rec or "full")
            return res.counts()["published"]
        return run
    if engine == "per-message":
        import numpy as np
        import simpy

        def run(horizon: float, seed: int) -> int:
            env = simpy.Environment()
            servers = simpy.PriorityResource(env, capacity=c)
            rng = np.random.default_rng(seed)
            waits: list[float] = []
            count = [0]

            def message(prio: int):
                t0 = env.now
                with servers.request(priority=-prio) as req:
                    yield req
                    waits.append(env.now - t0)
                    yield env.timeout(rng.exponential(1 / MU))

            def producer(prio: int):
                while True:
                    yield env.timeout(rng.exponential(P / lam))
                    count[0] += 1
                    env.process(message(prio))

            for i in range(P):
                env.process(producer(5 if i == 0 else 1))
            env.run(until=horizon)
            return count[0]
        return run
    if engine == "ciw":
        import ciw

        names = [f"Class {i}" for i in range(P)]
        net = ciw.create_network(
            arrival_distributions={n: [ciw.dists.Exponential(lam / P)] for n in names},
            service_distributions={n: [ciw.dists.Exponential(MU)] for n in names},
            priority_classes={n: i for i, n in enumerate(names)}, number_of_servers=[c])

        def run(horizon: float, seed: int) -> int:
            ciw.seed(seed)
            q = ciw.Simulation(net)
            q.simulate_until_max_time(horizon)
            return len(q.get_all_records()) + sum(len(nd.all_individuals) for nd in q.transitive_nodes)
        return run
    raise ValueError(engine)


def _feature_runner(engine: str):
    """A function horizon, seed -> messages simulated, for the "features" system."""
    if engine in ("fast", "fast-summary", "simpy", "simpy-summary"):
        from mqsim import simulate

        sc = feature_scenario()
        eng, _, rec = engine.partition("-")
        return lambda horizon, seed: simulate(sc, horizon, seed=seed, engine=eng, trace=False,
                                              records=rec or "full").counts()["published"]
    if engine == "per-message":
        return _feature_per_message
    raise ValueError(f"{engine}: not run on the broker-feature system")


def _feature_per_message(horizon: float, seed: int) -> int:
    """The broker features in idiomatic per-message SimPy (see the module docstring)."""
    import numpy as np
    import simpy

    c, _ = SYSTEMS["features"]
    lam = arrival_rate("features")
    env = simpy.Environment()
    cons = simpy.PreemptiveResource(env, capacity=c)
    dlq = simpy.Resource(env, capacity=1)
    rng = np.random.default_rng(seed)
    count = [0]

    def dead_letter():
        with dlq.request() as req:
            yield req
            yield env.timeout(rng.exponential(0.05))

    def message(prio: int):
        t0 = env.now
        while True:
            with cons.request(priority=-prio, preempt=False) as req:
                left = F_TTL - (env.now - t0)
                got = yield req | env.timeout(max(left, 0.0))
                if req not in got:  # the TTL ran out while it waited
                    env.process(dead_letter())
                    return
                try:
                    yield env.timeout(rng.exponential(1 / MU))
                except simpy.Interrupt:  # its consumer crashed: back to the queue
                    continue
                if rng.random() >= F_NACK:
                    return  # acked

    def producer(prio: int):
        while True:
            yield env.timeout(rng.exponential(2 / lam))
            count[0] += 1
            env.process(message(prio))

    def failures():
        while True:
            yield env.timeout(rng.exponential(F_UP))
            with cons.request(priority=-1000, preempt=True) as req:  # the crash takes a consumer
                yield req
                yield env.timeout(rng.exponential(F_REPAIR))

    for prio in (5, 1):
        env.process(producer(prio))
    for _ in range(c):
        env.process(failures())
    env.run(until=horizon)
    return count[0]


def child(engine: str, system: str, size: float, repeats: int, traced: bool) -> dict:
    horizon = size / arrival_rate(system)
    run = _runner(engine, system)
    run(min(horizon, 200.0), 12345)  # warm-up: imports, numba compile or cache load, caches
    times, cpu, msgs, growth = [], [], [], []
    for r in range(repeats):
        before = _rss_kb("VmRSS")
        peak_ok = _reset_peak()
        t, c0 = time.perf_counter(), time.process_time()
        n = run(horizon, r)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c0)
        msgs.append(n)
        growth.append((_rss_kb("VmHWM") - before) / 1024 if peak_ok else float("nan"))
    out = {"wall": statistics.median(times), "cpu": statistics.median(cpu), "messages": int(statistics.median(msgs)),
           "rss_mb": max(growth)}
    if traced:
        import tracemalloc

        tracemalloc.start()
        run(horizon, 0)
        out["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


# ---- the parent --------------------------------------------------------------------------
def spawn(args: list[str], env: dict | None = None) -> dict:
    p = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def prewarm(mb: int) -> None:
    """Touch ``mb`` MB once, in a throw-away process.

    On a virtual machine the first touch of guest memory that was never used since boot
    costs the hypervisor several ms per MB (here: 880 MB took 2.6 s the first time, 0.15 s
    afterwards). Without this, whichever engine first needs more memory than anything before
    it pays that once, and the result depends on the order of the runs, not on the engine.
    """
    code = f"import numpy as np; a = np.ones({mb} * 2**17); print(a[::4096].sum())"
    subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)


def compile_times() -> dict:
    """Cold (empty numba cache) and warm (cache written by the cold run) start-up, in fresh processes."""
    code = ("import time, json; t = time.perf_counter(); from mqsim import fast; fast.warm_up(); "
            "import mqsim as mq; from mqsim import simulate; "
            "simulate(mq.Scenario(producers=[mq.Producer('p', rate=1.0)]), 10.0, engine='fast', records='summary'); "
            "a = time.perf_counter() - t; t = time.perf_counter(); "
            f"import sys; sys.path.insert(0, {str(HERE)!r}); from limit_loop import limit_loop; "
            "limit_loop(1.0, 1, 0.5, 1, 10.0, 0); print(json.dumps([a, time.perf_counter() - t]))")
    out = {}
    with tempfile.TemporaryDirectory() as d:
        env = {**os.environ, "NUMBA_CACHE_DIR": d}
        for label in ("cold", "warm"):
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
            out[label] = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
    return out


CLOCK = "cpu"


def fmt_rate(r: dict | None) -> str:
    if not r:
        return "—"
    if "error" in r:
        return "error"
    v = r["messages"] / r[CLOCK]
    return f"{v / 1e6:6.2f}M" if v >= 1e6 else f"{v / 1e3:6.0f}k"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1e5,1e6,1e7", help="messages per run, comma-separated")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per cell below 10^7 (median)")
    ap.add_argument("--max-simpy", type=float, default=1e6)
    ap.add_argument("--max-per-message", type=float, default=1e6)
    ap.add_argument("--max-ciw", type=float, default=1e5)
    ap.add_argument("--quick", action="store_true", help="sizes 1e5,1e6 only")
    ap.add_argument("--prewarm-mb", type=int, default=2048,
                    help="touch this much memory once before measuring (0: don't); see the module doc")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="time base: the run's CPU time (default: robust on a shared machine; equal to wall "
                         "time on an idle one, every engine being single-threaded) or wall-clock time")
    ap.add_argument("--json", help="also write the raw numbers to this file")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        engine, system, size, repeats, traced = args.child
        print(json.dumps(child(engine, system, float(size), int(repeats), traced == "1")))
        return

    global CLOCK
    CLOCK = args.clock
    sizes = [float(s) for s in ("1e5,1e6" if args.quick else args.sizes).split(",")]
    engines = [e for e in args.engines.split(",") if e]
    systems = [s for s in args.systems.split(",") if s]
    t_all = time.perf_counter()
    if args.prewarm_mb:
        prewarm(args.prewarm_mb)
    results = measure(args, systems, sizes, engines)
    print(f"\nmqsim engine benchmark — {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"medians of {args.repeats} runs (1 at 10^7 for SimPy/Ciw); — = skipped (too slow, see --max-*)")
    print_throughput(results, systems, sizes, engines)
    print_ratios(results, systems, sizes, engines)
    print_memory(results, systems, sizes, engines)
    ct = compile_times()
    print("\nnumba start-up (fresh process; fast engine = event loop + summary accumulator, limit = the loop):")
    for label, what in (("cold", "empty cache: compile"), ("warm", "cache on disk: load")):
        v = ct.get(label)
        print(f"  {what:22s}: " + (f"fast engine {v[0]:.2f} s, limit loop {v[1]:.2f} s" if v else "failed"))
    print(f"\n(total benchmark wall time {time.perf_counter() - t_all:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": {s: {e: {str(k): v for k, v in d.items()}
                                                                 for e, d in r.items()} for s, r in results.items()},
                                               "compile": ct}, indent=1))


#: {system: {engine: {messages: one child's measurement}}}
Results = dict[str, dict[str, dict[float, dict]]]


def measure(args: argparse.Namespace, systems: list[str], sizes: list[float], engines: list[str]) -> Results:
    """Every (system, size, engine) cell, each in a fresh child process; progress on stderr."""
    caps = {"simpy": args.max_simpy, "simpy-summary": args.max_simpy, "per-message": args.max_per_message,
            "ciw": args.max_ciw}
    results: Results = {}
    for system in systems:
        for size in sizes:
            for engine in engines:
                if size > caps.get(engine, float("inf")) or (system == "features" and engine in ("limit", "ciw")):
                    continue
                traced = engine in ("limit", "fast", "fast-summary")
                reps = args.repeats if traced or size < 1e7 else 1
                r = spawn(["--child", engine, system, repr(size), str(reps), "1" if traced else "0"])
                results.setdefault(system, {}).setdefault(engine, {})[size] = r
                print(f"  {system:12s} {size:8.0e} {engine:14s} {fmt_rate(r):>8s} msg/s"
                      + (f"  ({r.get('error')})" if "error" in r else ""), file=sys.stderr, flush=True)
    return results


def _header(engines: list[str]) -> str:
    return f"{'system':13s} {'messages':>9s} " + " ".join(f"{e:>13s}" for e in engines)


def print_throughput(results: Results, systems: list[str], sizes: list[float], engines: list[str]) -> None:
    print(f"\nThroughput (messages simulated per second of {'CPU' if CLOCK == 'cpu' else 'wall-clock'} time):")
    print(_header(engines))
    for system in systems:
        for size in sizes:
            row = [fmt_rate(results.get(system, {}).get(e, {}).get(size)) for e in engines]
            print(f"{system:13s} {size:9.0e} " + " ".join(f"{x:>13s}" for x in row))


def print_ratios(results: Results, systems: list[str], sizes: list[float], engines: list[str]) -> None:
    def rate(system: str, e: str, size: float) -> float | None:
        r = results.get(system, {}).get(e, {}).get(size)
        return r["messages"] / r[CLOCK] if r and "error" not in r else None

    print("\nRatios (fast engine speed / other engine speed):")
    others = [e for e in engines if e != "fast"]
    print(f"{'system':13s} {'messages':>9s} " + " ".join(f"{'vs ' + e:>16s}" for e in others))
    for system in systems:
        for size in sizes:
            f = rate(system, "fast", size)
            cells = []
            for e in others:
                o = rate(system, e, size)
                cells.append(f"{f / o:15.2f}x" if f and o else f"{'—':>16s}")
            print(f"{system:13s} {size:9.0e} " + " ".join(cells))


def print_memory(results: Results, systems: list[str], sizes: list[float], engines: list[str]) -> None:
    print("\nPeak memory during a run, MB (resident-set growth; [tracemalloc peak] for the numba engines):")
    print(_header(engines))
    for system in systems:
        for size in sizes:
            row = []
            for e in engines:
                r = results.get(system, {}).get(e, {}).get(size)
                if not r or "error" in r:
                    row.append("—")
                else:
                    row.append(f"{r['rss_mb']:.0f}" + (f" [{r['traced_mb']:.0f}]" if "traced_mb" in r else ""))
            print(f"{system:13s} {size:9.0e} " + " ".join(f"{x:>13s}" for x in row))
    for system in systems:
        s = results.get(system, {}).get("fast-summary", {})
        if min(sizes) in s and max(sizes) in s and "traced_mb" in s[min(sizes)] and "traced_mb" in s[max(sizes)]:
            lo, hi = s[min(sizes)]["traced_mb"], s[max(sizes)]["traced_mb"]
            print(f"  {system}: fast-summary traced peak at {max(sizes):.0e} / at {min(sizes):.0e} = "
                  f"{hi / lo:.2f} (target <= 2)")

if __name__ == "__main__":
    main()
