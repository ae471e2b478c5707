"""Progress bars for long experiments (replications, sweeps, sizing).

A bar is a :mod:`tqdm.auto` bar (a widget in Jupyter, text on the terminal's stderr) that
appears only once a run has lasted more than :data:`DELAY` seconds, so short runs print
nothing. Silence every bar with ``progress=False`` on the call, or for a whole session with the
environment variable ``MQSIM_PROGRESS=0`` (also ``false``, ``no``, ``off``).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["progress_enabled", "progress_bar", "DELAY", "ENV_VAR"]

#: seconds a run must last before its bar is drawn
DELAY = 1.0
ENV_VAR = "MQSIM_PROGRESS"
_OFF = {"0", "false", "no", "off"}


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to draw bars: ``progress`` if given (True/False), else on unless the environment
    variable ``MQSIM_PROGRESS`` is ``0``/``false``/``no``/``off``."""
    if progress is not None:
        if not isinstance(progress, bool):
            raise ValueError(f"progress: must be True, False or None (use {ENV_VAR}), got {progress!r}")
        return progress
    return os.environ.get(ENV_VAR, "1").strip().lower() not in _OFF


class _NoBar:
    """Stand-in with tqdm's used methods when bars are off (avoids importing tqdm)."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


def progress_bar(total: int, desc: str = "", progress: bool | None = None, unit: str = "run") -> Any:
    """A context-managed bar over ``total`` work units, drawn after :data:`DELAY` seconds, or a
    no-op object when bars are off (see :func:`progress_enabled`)."""
    if not progress_enabled(progress):
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, delay=DELAY, leave=False, dynamic_ncols=True)
