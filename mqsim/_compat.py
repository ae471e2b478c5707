"""Deprecated import paths: thin aliases of the modules that moved into the layer packages.

Each old module (``mqsim.engine``, ``mqsim.plots``, ...) is a three-line file that calls
:func:`deprecated_module`: importing it warns once with a :class:`DeprecationWarning` naming the
new home, and every attribute is looked up in the new module(s). The aliases go away in the next
release.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

__all__ = ["deprecated_module"]


def deprecated_module(name: str, *targets: str) -> None:
    """Make module ``name`` an alias of ``targets`` (searched in order) and warn once."""
    warnings.warn(f"{name} is deprecated; import from {' / '.join(targets)} instead", DeprecationWarning,
                  stacklevel=3)
    mod = sys.modules[name]

    def __getattr__(attr: str) -> Any:
        for t in targets:
            m = importlib.import_module(t)
            if hasattr(m, attr):
                return getattr(m, attr)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    def __dir__() -> list[str]:
        return sorted({a for t in targets for a in dir(importlib.import_module(t))})

    mod.__dict__.update(__getattr__=__getattr__, __dir__=__dir__)  # PEP 562 hooks of the alias module
