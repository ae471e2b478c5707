"""Executors: the same seeds give identical results in this process, in a process pool, on any
user executor and on a Dask cluster; work units are picklable; bad executors are refused."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pandas as pd
import pytest

import mqsim as mq
from mqsim.dist import Exponential, LogNormal
from mqsim.experiments.executors import SEQUENTIAL_BELOW, Runner, resolve_n_jobs
from mqsim.experiments.pilots import pilot_warmup
from mqsim.experiments.replications import replication_seed, run_replication

SC = mq.Scenario(producers=[mq.Producer("hi", rate=1.0, priority=5), mq.Producer("lo", rate=1.2, priority=1)],
                 queue=mq.Queue(max_priority=10), consumers=mq.Consumers(3, service=LogNormal(mean=1.0, scv=2.0)))
ARGS = {"n": 6, "seed": 21, "horizon": 600.0, "warmup": 60.0, "progress": False}


@pytest.fixture(scope="module")
def sequential():
    return mq.replicate(SC, executor="sequential", extra_metrics=["P(wait > 1)"], **ARGS).runs


def test_process_pool_gives_identical_results(sequential):
    runs = mq.replicate(SC, executor="process", n_jobs=2, extra_metrics=["P(wait > 1)"], **ARGS).runs
    pd.testing.assert_frame_equal(runs, sequential)


def test_user_executors_give_identical_results(sequential):
    with ThreadPoolExecutor(3) as ex:
        runs = mq.replicate(SC, executor=ex, extra_metrics=["P(wait > 1)"], **ARGS).runs
        assert not ex._shutdown  # a user's executor is left running
    pd.testing.assert_frame_equal(runs, sequential)
    with ProcessPoolExecutor(2) as ex:
        runs = mq.replicate(SC, executor=ex, extra_metrics=["P(wait > 1)"], **ARGS).runs
    pd.testing.assert_frame_equal(runs, sequential)


@pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")
def test_dask_local_cluster_gives_identical_results(sequential):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        runs = mq.replicate(SC, executor=client, extra_metrics=["P(wait > 1)"], **ARGS).runs
        pd.testing.assert_frame_equal(runs, sequential)
        t_dask = mq.sweep(SC, {"consumers.count": [3, 4]}, replications=2, seed=5, horizon=300, by=(),
                          executor=client, progress=False)
    t_seq = mq.sweep(SC, {"consumers.count": [3, 4]}, replications=2, seed=5, horizon=300, by=(),
                     executor="sequential", progress=False)
    pd.testing.assert_frame_equal(t_dask, t_seq)


def test_executor_dask_starts_a_local_cluster_without_a_dashboard(monkeypatch, sequential):
    distributed = pytest.importorskip("distributed")
    seen = {}
    real = distributed.LocalCluster

    def quick(**kw):  # the real kwargs, recorded; threads instead of processes to keep it quick
        seen.update(kw)
        return real(**{**kw, "processes": False, "host": None})  # in-process transport needs no host

    monkeypatch.setattr(distributed, "LocalCluster", quick)
    runs = mq.replicate(SC, executor="dask", n_jobs=2, extra_metrics=["P(wait > 1)"], **ARGS).runs
    assert seen["dashboard_address"] is None and seen["n_workers"] == 2 and seen["processes"] is True
    assert seen["host"] == "127.0.0.1"  # nothing listens beyond this machine
    pd.testing.assert_frame_equal(runs, sequential)


def test_sweep_and_sizing_identical_across_executors():
    grid = {"consumers.count": [3, 4], "producers[1].rate": [0.8, 1.2]}
    kw = {"replications": 2, "seed": 3, "horizon": 300.0, "warmup": 30.0, "by": ("priority",), "progress": False}
    a = mq.sweep(SC, grid, executor="sequential", **kw)
    b = mq.sweep(SC, grid, executor="process", n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a, b)
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.4)], consumers=mq.Consumers(3, service=Exponential(mean=1.0)))
    s1 = mq.size_consumers(sc, "Wq <= 0.3", seed=2, horizon=1_000, executor="sequential", progress=False)
    s2 = mq.size_consumers(sc, "Wq <= 0.3", seed=2, horizon=1_000, executor="process", n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(s1.evidence, s2.evidence)
    assert s1.answer == s2.answer


def test_work_units_are_picklable_top_level_functions():
    for fn in (run_replication, pilot_warmup):
        assert pickle.loads(pickle.dumps(fn)) is fn
    args = (SC, replication_seed(1, 0), 300.0, 30.0)
    a = run_replication(*args)
    b = run_replication(SC.to_dict(), *args[1:])  # the dict form of a scenario works too
    pd.testing.assert_frame_equal(a, b)
    pickle.loads(pickle.dumps((SC, a)))


def test_runner_keeps_order_and_raises_failures():
    with Runner("process", n_jobs=2, progress=False) as run:
        assert run.map(pow, [(2, k) for k in range(10)]) == [2**k for k in range(10)]
        with pytest.raises(ValueError, match="horizon"):
            run.map(run_replication, [(SC, 1, -5.0, 0.0)] * 2)


def test_auto_runs_tiny_jobs_in_process():
    r = Runner("auto", n_jobs=4, progress=False)
    assert r._sequential(10, SEQUENTIAL_BELOW / 2)
    assert not r._sequential(10, SEQUENTIAL_BELOW * 2)
    assert r._sequential(1, SEQUENTIAL_BELOW * 10)  # a single unit
    assert Runner("auto", n_jobs=1)._sequential(10, SEQUENTIAL_BELOW * 10)
    assert not Runner("process", n_jobs=1)._sequential(10, 1)
    assert Runner("sequential")._sequential(10, SEQUENTIAL_BELOW * 10)
    with Runner("auto", n_jobs=4, progress=False) as run:  # tiny: no pool is started
        run.map(pow, [(2, 3), (3, 2)], work=10)
        assert run._owned == []


@pytest.mark.parametrize("bad, match", [("cloud", "executor"), (42, "executor"), (object(), "executor")])
def test_bad_executor(bad, match):
    with pytest.raises(ValueError, match=match):
        Runner(bad)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_bad_n_jobs(bad):
    with pytest.raises(ValueError, match="n_jobs"):
        resolve_n_jobs(bad)
    assert resolve_n_jobs(None) >= 1 and resolve_n_jobs(-1) == resolve_n_jobs(None) and resolve_n_jobs(3) == 3


# ------------------------------------------------------------------------------------------
# spawned workers re-import a plain script: one clear error instead of "Nanny failed to start"
# ------------------------------------------------------------------------------------------
_SCRIPT_HEAD = ("import mqsim as mq\n"
                "sc = mq.Scenario(producers=[mq.Producer('p', rate=2.4)],\n"
                "                 consumers=mq.Consumers(count=3, service=mq.dist.Exponential(mean=1.0)))\n")


def _run_script(tmp_path, body: str) -> subprocess.CompletedProcess:
    script = tmp_path / "experiment.py"
    script.write_text(_SCRIPT_HEAD + body)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "MQSIM_PROGRESS": "0"})


def test_dask_from_a_plain_script_says_to_add_the_main_guard(tmp_path):
    r = _run_script(tmp_path, "mq.sweep(sc, {'consumers.count': [3, 4]}, replications=2, horizon=100, "
                              "executor='dask')\n")
    assert r.returncode != 0
    assert r.stderr.count("Traceback") == 1 and "Nanny" not in r.stderr, r.stderr[-3000:]
    last = r.stderr.strip().splitlines()
    assert any(line.startswith("RuntimeError: executor='dask'") for line in last)
    assert 'if __name__ == "__main__":' in r.stderr and "experiment.py, line 4" in r.stderr


def test_main_guard_detection(tmp_path):
    probe = "from mqsim.experiments.executors import unguarded_main_call as u\n"
    guarded = _run_script(tmp_path, probe + "if __name__ == '__main__':\n    print(u())\n")
    assert guarded.stdout.strip() == "None", guarded.stderr
    nested = _run_script(tmp_path, probe + "def main():\n    print(u())\nmain()\n")
    assert nested.stdout.strip() == "experiment.py, line 7", nested.stderr  # the top-level call
    inline = subprocess.run([sys.executable, "-c", probe + "print(u())"], capture_output=True, text=True)
    assert inline.stdout.strip() == "None", inline.stderr


def test_chunks_cover_every_task_once_in_order():
    from mqsim.experiments.executors import chunks, run_chunk

    for n, k in ((1, 8), (10, 3), (400, 8), (7, 7), (5, 100)):
        parts = chunks(n, k)
        assert [i for r in parts for i in r] == list(range(n))
        assert len(parts) == min(n, k) and max(map(len, parts)) - min(map(len, parts)) <= 1
    assert run_chunk(pow, [(2, 3), (3, 2)]) == [8, 9]
    assert pickle.loads(pickle.dumps(run_chunk)) is run_chunk


def test_chunked_pool_results_equal_one_run_per_task():
    """A pool runs chunks of tasks per worker call; each result is the task's own, in order."""
    tasks = [(SC, replication_seed(5, r), 300.0, 30.0, ("priority",)) for r in range(7)]
    with Runner("process", n_jobs=2, progress=False) as run:
        got = run.map(run_replication, tasks)
    for t, df in zip(tasks, got):
        pd.testing.assert_frame_equal(df, run_replication(*t))


def test_summary_records_sweep_is_identical_across_executors_and_close_to_full():
    grid = {"consumers.count": [3, 4]}
    kw = {"replications": 3, "seed": 3, "horizon": 2_000.0, "warmup": 100.0, "by": ("priority",), "progress": False}
    a = mq.sweep(SC, grid, executor="sequential", records="summary", **kw)
    b = mq.sweep(SC, grid, executor="process", n_jobs=2, records="summary", **kw)
    pd.testing.assert_frame_equal(a, b)
    full = mq.sweep(SC, grid, executor="sequential", **kw)
    counts = full["metric"].isin(["published", "acked", "dropped", "redelivered"])
    pd.testing.assert_series_equal(a.loc[counts, "mean"], full.loc[counts, "mean"])
    close = full["metric"].isin(["L", "Lq", "W", "Wq", "utilisation", "wait_p95", "sojourn_p99"])
    pd.testing.assert_series_equal(a.loc[close, "mean"], full.loc[close, "mean"], rtol=1e-2)


@pytest.mark.parametrize("kwargs,match", [({"by": ("consumer",)}, "by"),
                                         ({"extra_metrics": ["P(wait > 1)"]}, "extra_metrics"),
                                         ({"records": "rows"}, "records")])
def test_summary_records_refuses_what_needs_rows(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mq.replicate(SC, n=2, horizon=100.0, progress=False, **{"records": "summary", **kwargs})
