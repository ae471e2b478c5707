"""The summary-mode accumulator of the fast engine, compiled (numba): the per-class statistics
of :class:`mqsim.analysis.streaming.SummaryStats` added one message at a time.

:meth:`SummaryStats.use_compiled` hands a module with :func:`accumulate` (this one, re-exported
by :mod:`mqsim.sim.fast.kernel`) to the statistics object; the column layout below is kept in
step with :mod:`mqsim.analysis.streaming`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

K_TOTAL, K_PUB, K_ACK_WIN, K_WN, K_WPOS, K_SN, K_REDEL, K_DUP = range(8)
S_BUSY, S_LAREA, S_WSUM, S_SSUM = range(4)


@njit(cache=True, inline="always")
def _bucket(bits, x, emin, emax, sub_bits, sub, nbins):
    if x <= 0.0:
        return 0
    e = ((bits >> 52) & 0x7FF) - 1023
    if e < emin:
        return 1
    if e >= emax:
        return nbins - 1
    return 2 + (e - emin) * sub + ((bits >> (52 - sub_bits)) & (sub - 1))


@njit(cache=True)
def accumulate(rows, t_pub, t_start, t_done, outcome, prior, deliv, t0, t1, k, s, out_win, out_all, h_wait, h_soj,
               emin, emax, sub_bits, nbins):
    """Add one chunk of messages to the summary statistics (see SummaryStats.add; histogram
    buckets as mqsim.summary.bucket_of, from the float's bits)."""
    fb = np.empty(1)
    ib = fb.view(np.int64)
    sub = np.int64(1) << sub_bits
    for m in range(rows.shape[0]):
        r = rows[m]
        tp = t_pub[m]
        ts = t_start[m]
        td = t_done[m]
        o = outcome[m]
        started = ts == ts
        acked = o == 0
        inw = tp >= t0
        k[r, K_TOTAL] += 1
        out_all[r, o] += 1
        if acked and td >= t0:
            k[r, K_ACK_WIN] += 1
        if started:  # busy: [t_start, t_done if acked else open)
            a = ts if ts > t0 else t0
            e = td if acked else t1
            e = e if e < t1 else t1
            if e - a > 0.0:
                s[r, S_BUSY] += e - a
        a = tp if tp > t0 else t0  # in the system: [t_publish, t_done or open)
        e = td if td == td else t1
        e = e if e < t1 else t1
        if e - a > 0.0:
            s[r, S_LAREA] += e - a
        if inw:
            k[r, K_PUB] += 1
            out_win[r, o] += 1
            d = deliv[m]
            if d > 1:
                k[r, K_REDEL] += 1
            if started:
                w = ts - tp - prior[m]
                k[r, K_WN] += 1
                if w > 0.0:
                    k[r, K_WPOS] += 1
                s[r, S_WSUM] += w
                fb[0] = w
                b = _bucket(ib[0], w, emin, emax, sub_bits, sub, nbins)
                h_wait[r, b, 0] += 1.0
                h_wait[r, b, 1] += w
            if acked:
                soj = td - tp
                k[r, K_SN] += 1
                s[r, S_SSUM] += soj
                if d > 1:
                    k[r, K_DUP] += d - 1
                fb[0] = soj
                b = _bucket(ib[0], soj, emin, emax, sub_bits, sub, nbins)
                h_soj[r, b, 0] += 1.0
                h_soj[r, b, 1] += soj
