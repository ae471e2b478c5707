"""Keep numba's on-disk cache of the kernel coherent with its source.

numba (``cache=True``) checks a cached function against *its own* source file only. The kernel
is split over several modules and its functions inline each other, so a change to one module
(say :mod:`~mqsim.sim.fast.queues`) can leave cached code of another (:mod:`~mqsim.sim.fast.broker`)
built from the old version, and the two would then disagree about the state's meaning. Before
the kernel is first used in a process, :func:`ensure_coherent` hashes the source of every kernel
module and, if the hash differs from the one stored next to the cache, empties the cache index
of every compiled function of those modules (numba then compiles afresh and stores the new
code) and stores the new hash.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["ensure_coherent", "STAMP"]

STAMP = "mqsim-fast-kernel.stamp"
_done = False


def _dispatchers(modules: list[ModuleType]) -> list[Any]:
    out = []
    for m in modules:
        for obj in vars(m).values():
            if getattr(obj, "__module__", None) == m.__name__ and getattr(obj, "_cache", None) is not None \
                    and hasattr(obj, "py_func"):
                out.append(obj)
    return out


def source_hash(modules: list[ModuleType]) -> str:
    """A hash of the modules' source files (and the numba version)."""
    import numba

    h = hashlib.sha256(numba.__version__.encode())
    for m in modules:
        h.update(Path(inspect.getfile(m)).read_bytes())
    return h.hexdigest()


def ensure_coherent(modules: list[ModuleType]) -> bool:
    """Flush the cached code of ``modules`` if their source changed since it was cached; returns
    True if it flushed. Runs once per process; never fails a run (a cache it cannot write is
    numba's business: it then compiles in memory)."""
    global _done
    if _done:
        return False
    _done = True
    disp = _dispatchers(modules)
    if not disp:  # pragma: no cover - numba without caching
        return False
    try:
        path = Path(disp[0]._cache.cache_path) / STAMP
        want = source_hash(modules)
        if path.exists() and path.read_text().strip() == want:
            return False
        for d in disp:
            d._cache.flush()
        os.makedirs(path.parent, exist_ok=True)
        path.write_text(want + "\n")
        return True
    except OSError:  # pragma: no cover - read-only installation
        return False
