"""Rates of a sinusoidal schedule at many candidate times, compiled (numba) for thinning.

The same floating-point operations, in the same order, as
:meth:`mqsim.model.arrivals.SinusoidRate.rate` (numba's ``math.sin`` is the C library's, as
CPython's is; tests/sim/test_fast_identity.py compares them), so the kept arrivals are the SimPy
engine's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def sinusoid_rates(t, mean, amplitude, period, phase):  # pragma: no cover - compiled
    """``mean * (1 + amplitude * sin(2 pi (t - phase) / period))`` for each time in ``t`` (s)."""
    out = np.empty(t.shape[0])
    for n in range(t.shape[0]):
        out[n] = mean * (1.0 + amplitude * math.sin(2 * math.pi * (t[n] - phase) / period))
    return out
