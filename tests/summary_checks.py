"""Shared check for summary-mode tests: a summary frame from running statistics against one
computed from full per-message records."""

from __future__ import annotations

import numpy as np

from mqsim.analysis.streaming import ALPHA


def assert_summaries_match(full, summ, pct_rtol: float = 2 * ALPHA + 1e-9) -> None:
    """Same rows and columns; counts equal, sums and means equal to rounding, percentiles
    within the histogram's bucket width."""
    assert list(full.columns) == list(summ.columns)
    assert full[["group", "key"]].astype(str).equals(summ[["group", "key"]].astype(str))
    pct = [c for c in full.columns if c.startswith(("wait_p", "sojourn_p"))]
    for col in full.columns[2:]:
        x = full[col].to_numpy(dtype=float)
        y = summ[col].to_numpy(dtype=float)
        tol = dict(rtol=pct_rtol, atol=1e-12) if col in pct else dict(rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(y, x, equal_nan=True, err_msg=col, **tol)
