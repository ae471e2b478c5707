"""Doctests of the package (``pytest --doctest-modules mqsim``, run by ``make test``).

Every ``>>>`` example in a docstring of :mod:`mqsim` runs, except in two kinds of module that
are not collected:

* the deprecated aliases (``mqsim/engine.py``, ``mqsim/plots.py``, ...): importing one warns
  once per process, which the tests of the aliases check, and they hold no examples;
* modules that import an optional extra that is not installed (the numba engine without the
  ``fast`` extra); the header of the test run names them.

Examples that need a broker, a cluster or a long run are marked ``# doctest: +SKIP`` in place.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent / "mqsim"

#: package folders whose modules import an optional extra at import time -> the module needed
OPTIONAL = {PKG / "sim" / "fast": "numba"}


def _is_alias(path: Path) -> bool:
    return path.name != "_compat.py" and "deprecated_module(" in path.read_text(encoding="utf-8")


def _missing_extra(path: Path) -> str | None:
    for folder, module in OPTIONAL.items():
        if path.is_relative_to(folder) and importlib.util.find_spec(module) is None:
            return module
    return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out the deprecated aliases and modules whose optional extra is missing."""
    if collection_path.suffix != ".py" or not collection_path.is_relative_to(PKG):
        return None
    if _is_alias(collection_path) or _missing_extra(collection_path):
        return True
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    missing = sorted({f"{folder.relative_to(PKG.parent)} ({module} not installed)"
                      for folder, module in OPTIONAL.items() if importlib.util.find_spec(module) is None})
    return f"doctests not collected: {', '.join(missing)}" if missing else None
