"""Where replications run: in this process, a local process pool, any ``concurrent.futures``
executor, or a Dask cluster.

Every experiment (:func:`mqsim.replicate`, :func:`mqsim.sweep`, :func:`mqsim.size_consumers`)
cuts its work into independent *work units*, picklable top-level functions of
``(scenario, seed, horizon, warmup, ...)`` whose result depends on nothing else, and hands them to
a :class:`Runner`. Results are put back in submission order, so the same seeds give identical
tables on every executor.

``executor`` accepts:

===========================  =================================================================
``None`` / ``"auto"``        a local process pool with ``n_jobs`` workers (default: every core
                             this process may use); a batch estimated under
                             :data:`SEQUENTIAL_BELOW` simulated messages, a single unit, or
                             ``n_jobs=1`` runs in this process instead (a pool would cost more
                             than it saves)
``"sequential"``             always in this process, in order
``"process"``                always a local process pool
``"dask"``                   a Dask ``LocalCluster`` (``n_jobs`` single-threaded worker
                             processes on 127.0.0.1, ``dashboard_address=None``: no dashboard
                             is served) started for the call and closed after it; needs the
                             ``dask`` extra (``pip install 'mqsim[dask]'``)
a ``distributed.Client``     its ``get_executor()`` (your cluster; left running)
a ``concurrent.futures``     used as given (left running), e.g. a ``ThreadPoolExecutor`` or
``Executor``                 an MPI / cloud executor
===========================  =================================================================

A batch goes to the workers in **chunks**: each worker call runs several work units in a row
(:func:`run_chunk`), so what a call costs besides the work (pickling the scenario and the
results, a round trip to the worker) is paid once per chunk, not once per run. A batch is cut
into about :data:`CHUNKS_PER_WORKER` chunks per worker (enough to even out the load); results
come back in submission order whatever the chunking.

Worker processes that are *spawned* (Dask's workers always; a process pool where the start
method is ``spawn`` or ``forkserver``, as on macOS and Windows) import the script that started
them again. A script that runs an experiment at its top level, outside
``if __name__ == "__main__":``, would start it again in every worker; the runner notices that
before it starts any process and raises one :class:`RuntimeError` that says to add the guard.
Notebooks and ``python -c`` need no guard.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, Callable, Sequence

from mqsim.experiments.progress import progress_bar

__all__ = ["Runner", "resolve_n_jobs", "SEQUENTIAL_BELOW", "EXECUTOR_NAMES", "CHUNKS_PER_WORKER", "run_chunk",
           "chunks"]

#: an ``"auto"`` batch simulating fewer messages than this (about a second of work) runs in-process
SEQUENTIAL_BELOW = 150_000
#: chunks a batch is cut into per worker (more: better load balance; fewer: less overhead)
CHUNKS_PER_WORKER = 4


def run_chunk(fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
    """``[fn(*t) for t in tasks]``: one worker call for several work units (top-level, picklable)."""
    return [fn(*t) for t in tasks]


def _while_workers_run() -> None:
    """Work for this process while the workers run: import scipy.stats (about a second) for the
    confidence intervals that follow. Only now, in a thread: every worker process has been
    started by then (a fork while a thread imports would copy a held import lock)."""
    from mqsim.analysis.statistics import preload

    preload()


def chunks(n_tasks: int, n_chunks: int) -> list[range]:
    """``range(n_tasks)`` cut into ``n_chunks`` (at most ``n_tasks``) consecutive pieces of nearly equal length."""
    n_chunks = max(1, min(n_chunks, n_tasks))
    bounds = [n_tasks * i // n_chunks for i in range(n_chunks + 1)]
    return [range(a, b) for a, b in zip(bounds, bounds[1:])]
EXECUTOR_NAMES = ("auto", "sequential", "process", "dask")


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Number of workers: ``None`` or -1 = every usable core, else an integer >= 1."""
    if n_jobs is None or (isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and n_jobs == -1):
        return _cores()
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs: must be None, -1 (all cores) or an integer >= 1, got {n_jobs!r}")
    return n_jobs


def _is_main_test(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


def unguarded_main_call() -> str | None:
    """``"script.py, line N"`` if the current call comes from the top level of the script run
    as ``__main__`` outside an ``if __name__ == "__main__":`` block, else None (a notebook,
    ``python -c``, an imported module, or a guarded call)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    if not path:
        return None
    frame: Any = sys._getframe(1)
    while frame is not None:
        if (frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
                and os.path.abspath(frame.f_code.co_filename) == os.path.abspath(path)):
            break
        frame = frame.f_back
    if frame is None:
        return None
    line = frame.f_lineno
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test) and node.lineno <= line <= (node.end_lineno or line):
            return None
    return f"{os.path.basename(path)}, line {line}"


def _require_main_guard(what: str) -> None:
    """Raise one clear error if spawned workers would re-run the calling script's top level."""
    where = unguarded_main_call()
    if where is not None:
        raise RuntimeError(
            f"{what} starts worker processes that import your script again, so its top level would "
            f"start the experiment once more in every worker ({where}). Put the code that runs it "
            "under a main guard:\n\n    if __name__ == \"__main__\":\n        mq.sweep(...)  # or replicate, "
            "size_consumers\n\nor use executor=\"sequential\". Notebooks and `python -c` need no guard.")


def _start_method() -> str:
    """The start method a new process pool will use (without fixing it)."""
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_all_start_methods()[0]


def _is_dask_client(obj: Any) -> bool:
    mod = type(obj).__module__ or ""
    return mod.split(".")[0] == "distributed" and callable(getattr(obj, "get_executor", None))


class Runner:
    """Runs batches of work units on one executor, reusing it between batches.

    >>> from operator import mul
    >>> with Runner("sequential", progress=False) as run:   # "auto", "process" or "dask" in parallel
    ...     run.map(mul, [(2, 3), (4, 5)])                   # [mul(*t) for t in tasks]
    [6, 20]

    ``map`` returns the results in the order of ``tasks`` whatever the executor, shows a
    progress bar (see :mod:`mqsim.progress`) and re-raises the first failure.
    """

    def __init__(self, executor: Any = None, *, n_jobs: int | None = None, progress: bool | None = None):
        self.n_jobs = resolve_n_jobs(n_jobs)
        self.progress = progress
        self._spec = "auto" if executor is None else executor
        self._owned: list[Any] = []  # things we started and must close
        self._executor: Executor | None = None
        if isinstance(self._spec, str):
            if self._spec not in EXECUTOR_NAMES:
                raise ValueError(f"executor: must be one of {', '.join(map(repr, EXECUTOR_NAMES))}, a "
                                 f"concurrent.futures.Executor or a distributed.Client; got {executor!r}")
        elif isinstance(self._spec, Executor):
            self._executor = self._spec
        elif _is_dask_client(self._spec):
            self._executor = self._spec.get_executor()
        else:
            raise ValueError(f"executor: must be one of {', '.join(map(repr, EXECUTOR_NAMES))}, a "
                             f"concurrent.futures.Executor or a distributed.Client; got {type(executor).__name__}")

    # ---- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Shut down whatever this runner started (a process pool, a Dask cluster)."""
        for thing in reversed(self._owned):
            try:
                if isinstance(thing, Executor):
                    thing.shutdown(wait=True, cancel_futures=True)
                else:
                    thing.close()
            except Exception:  # pragma: no cover - best effort on shutdown
                pass
        self._owned.clear()
        if isinstance(self._spec, str):
            self._executor = None

    @property
    def name(self) -> str:
        """What runs the work: ``sequential``, ``process``, ``dask`` or the executor's class."""
        if isinstance(self._spec, str):
            return self._spec
        return type(self._executor).__name__

    def _pool(self) -> Executor:
        if self._executor is not None:
            return self._executor
        if self._spec == "dask":
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise ImportError("executor='dask' needs Dask: pip install 'mqsim[dask]'") from None
            import warnings

            _require_main_guard("executor='dask'")

            with warnings.catch_warnings():
                # no dashboard; the scheduler's bare HTTP endpoint moves off a busy port quietly
                warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
                cluster = LocalCluster(n_workers=self.n_jobs, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
            self._owned += [cluster, client]
            self._executor = client.get_executor()
        else:
            if _start_method() != "fork":
                _require_main_guard(f"a process pool (start method {_start_method()!r})")
            pool = ProcessPoolExecutor(max_workers=self.n_jobs)
            self._owned.append(pool)
            self._executor = pool
        return self._executor

    def _sequential(self, n_tasks: int, work: float | None) -> bool:
        if self._spec == "sequential":
            return True
        if self._spec != "auto":
            return False
        if self.n_jobs == 1 or n_tasks < 2:
            return True
        return work is not None and work < SEQUENTIAL_BELOW

    # ---- running ------------------------------------------------------------------------
    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]], *, desc: str = "",
            work: float | None = None) -> list[Any]:
        """``[fn(*t) for t in tasks]``, possibly in parallel; ``work`` is the batch's estimated
        number of simulated messages (used by ``"auto"`` to stay in-process for tiny batches)."""
        tasks = list(tasks)
        if not tasks:
            return []
        out: list[Any] = [None] * len(tasks)
        with progress_bar(len(tasks), desc, self.progress) as bar:
            if self._sequential(len(tasks), work):
                for i, t in enumerate(tasks):
                    out[i] = fn(*t)
                    bar.update(1)
                return out
            ex = self._pool()
            pieces = chunks(len(tasks), CHUNKS_PER_WORKER * self.n_jobs)
            futures: dict[Future, range] = {ex.submit(run_chunk, fn, [tasks[i] for i in r]): r for r in pieces}
            _while_workers_run()
            try:
                for f in as_completed(futures):
                    r = futures[f]
                    out[r.start:r.stop] = f.result()
                    bar.update(len(r))
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return out
