"""The compiled event loop of the fast engine (numba; imported only by :mod:`mqsim.fast`).

One function, :func:`run`, advances a run whose whole state lives in numpy arrays, so it can
stop and resume at any event boundary: it returns to Python whenever it needs more random
numbers (a stream buffer ran dry), or a bigger array (messages, trace, heaps). The Python
driver refills or grows what was asked for and calls it again. Nothing is allocated here.

The loop mirrors :mod:`mqsim.engine` (prefetch 1, one queue) event for event. SimPy orders its
event list by ``(time, priority, event id)``; here the heap key is ``(time, prio_eid)`` with
``prio_eid = priority << 62 | eid`` (URGENT = 0 for TTL timers, NORMAL = 1 for everything
else) and ``eid`` counts scheduled events in the order SimPy schedules them.

Entities on the event heap: producers ``0..P-1`` (their inter-arrival timeout), consumers
``P..P+c-1`` (a wake-up, or the end of a service: told apart by ``cons[CUR]``), and ``-1``
for a TTL timer. Times are in seconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# ---- layout of the state arrays (shared with mqsim.fast) --------------------------------
# ist: int64 scalars
(I_EID, I_NPUB, I_BASE, I_NREADY, I_NINFL, I_NBUSY, I_NACK, I_NDROP, I_NEXP, I_HSIZE, I_AVH, I_AVN, I_NTR,
 I_TSIZE, I_TMSIZE, I_NTEV, I_INIT, I_WHAT, N_IST) = range(19)
# mf rows (float64 per message): publish, deliver, service start, done, service requirement
F_PUB, F_DEL, F_START, F_DONE, F_SVC, N_MF = range(6)
# mi rows (int64 per message)
M_PROD, M_PRIO, M_CLS, M_CONS, M_NDEL, M_CAUSE, N_MI = range(7)
# cons rows (int64 per consumer): waiting for a wake-up (1/0), delivered message not yet
# started (-1 none), message in service (-1 none)
C_IDLE, C_BUF, C_CUR, N_CONS = range(4)
# pcfg columns (int64 per producer): arrival stream, priority stream (-1 none), first service stream
P_ARR, P_PRIO, P_SVC0, N_PCFG = range(4)
# return codes, and what to grow (ist[I_WHAT]) for ST_GROW / which stream for ST_STREAM
ST_DONE, ST_STREAM, ST_GROW = 0, 1, 2
G_MSG, G_TRACE, G_HEAP, G_TTL, G_TIMERS, G_RING = 0, 1, 2, 3, 4, 5
# causes (same codes as mqsim.records)
REJECT_PUBLISH, DROP_HEAD, EXPIRED = 1, 2, 3

NORMAL_BIT = np.int64(1) << np.int64(62)


# ---- binary min-heap on (t, k) with a payload p ------------------------------------------
@njit(cache=True, inline="always")
def _before(t1: float, k1: int, t2: float, k2: int) -> bool:
    return t1 < t2 or (t1 == t2 and k1 < k2)


@njit(cache=True)
def _sift_down(at, ak, ap, size, pos):
    t = at[pos]
    k = ak[pos]
    p = ap[pos]
    while True:
        ch = 2 * pos + 1
        if ch >= size:
            break
        r = ch + 1
        if r < size and _before(at[r], ak[r], at[ch], ak[ch]):
            ch = r
        if _before(at[ch], ak[ch], t, k):
            at[pos] = at[ch]
            ak[pos] = ak[ch]
            ap[pos] = ap[ch]
            pos = ch
        else:
            break
    at[pos] = t
    ak[pos] = k
    ap[pos] = p


@njit(cache=True)
def _push(at, ak, ap, size, t, k, p):
    pos = size
    while pos > 0:
        par = (pos - 1) >> 1
        if _before(t, k, at[par], ak[par]):
            at[pos] = at[par]
            ak[pos] = ak[par]
            ap[pos] = ap[par]
            pos = par
        else:
            break
    at[pos] = t
    ak[pos] = k
    ap[pos] = p
    return size + 1


@njit(cache=True)
def _pop(at, ak, ap, size):
    size -= 1
    if size > 0:
        at[0] = at[size]
        ak[0] = ak[size]
        ap[0] = ap[size]
        _sift_down(at, ak, ap, size, 0)
    return size


@njit(cache=True)
def _replace_top(at, ak, ap, size, t, k, p):
    at[0] = t
    ak[0] = k
    ap[0] = p
    _sift_down(at, ak, ap, size, 0)


# ---- ready queue: one ring buffer of message ids per priority level ----------------------
# lvq[lev, :] holds the ids, lvs[0, lev] the head position, lvs[1, lev] the number of entries.
# Like the engine's deques, entries of messages that expired while ready stay in place and
# are skipped when they reach the head (lazy deletion); ids below ``base`` have left the
# summary window, so they are finished too.
@njit(cache=True)
def _take_head(lvq, lvs, mi, base):
    rcap = lvq.shape[1]
    for lev in range(lvq.shape[0]):
        while lvs[1, lev] > 0:
            h = lvq[lev, lvs[0, lev]]
            p = lvs[0, lev] + 1
            if p == rcap:
                p = 0
            lvs[0, lev] = p
            lvs[1, lev] -= 1
            if h >= base and mi[M_CAUSE, h - base] == 0:
                return h
    return -1  # pragma: no cover - callers check the ready count first


@njit(cache=True)
def run(horizon, max_length, reject, trace, ist, ht, hk, hn, tdl, tmid, tdum, tmt, tmk, tmp, cons, avail, lvq, lvs,
        pcfg, p_eff, p_lvl, p_ttl, sbuf, spos, slen, mf, mi, tr_t, tr_i):
    """Advance the run until ``horizon`` (s) or until something must be refilled or grown.

    Returns ST_DONE, ST_STREAM (``ist[I_WHAT]`` = the stream to refill) or ST_GROW
    (``ist[I_WHAT]`` = one of the G_* codes). The state is consistent at every return.
    """
    P = pcfg.shape[0]
    c = avail.shape[0]
    cap = mf.shape[1]
    trcap = tr_t.shape[0]
    hcap = ht.shape[0]
    ttlcap = tdl.shape[0]
    tmcap = tmt.shape[0]
    nan = np.nan
    inf = np.inf

    eid = ist[I_EID]
    npub = ist[I_NPUB]
    base = ist[I_BASE]
    nready = ist[I_NREADY]
    ninfl = ist[I_NINFL]
    nbusy = ist[I_NBUSY]
    nack = ist[I_NACK]
    ndrop = ist[I_NDROP]
    nexp = ist[I_NEXP]
    hsize = ist[I_HSIZE]
    avh = ist[I_AVH]
    avn = ist[I_AVN]
    ntr = ist[I_NTR]
    tsize = ist[I_TSIZE]
    tmsize = ist[I_TMSIZE]
    ntev = ist[I_NTEV]
    what = ist[I_WHAT]

    if ist[I_INIT] == 0:
        # t = 0, URGENT process starts: producers 0..P-1 draw their first gap and schedule a
        # timeout; consumers find an empty buffer and wait for a wake-up (nothing scheduled).
        for i in range(P):
            s = pcfg[i, P_ARR]
            g = sbuf[s, spos[s]]
            spos[s] += 1
            hsize = _push(ht, hk, hn, hsize, 0.0 + g, NORMAL_BIT | eid, i)
            eid += 1
        for j in range(c):
            cons[C_IDLE, j] = 1
            cons[C_BUF, j] = -1
            cons[C_CUR, j] = -1
            avail[j] = j
        avh = 0
        avn = c
        ist[I_INIT] = 1

    status = ST_DONE
    while True:
        t = ht[0]
        if not t < horizon:  # SimPy's `until` event (URGENT, at horizon) comes first
            break
        # room for what one event can add: 2 snapshots, 1 TTL entry, 1 timer (+ its event)
        if trace and ntr + 2 > trcap:
            status = ST_GROW
            what = G_TRACE
            break
        if hcap < P + c + ntev + 1:
            status = ST_GROW
            what = G_HEAP
            break
        if tsize >= ttlcap:
            status = ST_GROW
            what = G_TTL
            break
        if tmsize >= tmcap:
            status = ST_GROW
            what = G_TIMERS
            break
        ent = hn[0]

        if ent < 0:
            # ---- TTL timer (engine: expire_due) ------------------------------------------
            now = t
            hsize = _pop(ht, hk, hn, hsize)
            ntev -= 1
            if tmsize > 0 and tmt[0] <= now:
                tmsize = _pop(tmt, tmk, tmp, tmsize)
            while tsize > 0 and tdl[0] <= now:
                mid = tmid[0]
                tsize = _pop(tdl, tmid, tdum, tsize)
                if mid >= base:  # older ids have left the window: they are finished
                    x = mid - base
                    if mf[F_DEL, x] != mf[F_DEL, x] and mi[M_CAUSE, x] == 0:  # still ready
                        nready -= 1  # its ring entry is skipped when it reaches the head
                        mi[M_CAUSE, x] = EXPIRED
                        mf[F_DONE, x] = now
                        nexp += 1
            if tsize > 0 and (tmsize == 0 or tdl[0] < tmt[0]):  # arm()
                d = tdl[0]
                tmsize = _push(tmt, tmk, tmp, tmsize, d, 0, 0)
                dt = d - now
                if dt < 0.0:
                    dt = 0.0
                hsize = _push(ht, hk, hn, hsize, now + dt, eid, -1)
                eid += 1
                ntev += 1
            if trace:
                tr_t[ntr] = now
                tr_i[0, ntr] = nready
                tr_i[1, ntr] = ninfl
                tr_i[2, ntr] = nbusy
                ntr += 1

        elif ent < P:
            # ---- producer i: publish one message, then wait one inter-arrival ------------
            i = ent
            if npub - base >= cap:
                status = ST_GROW
                what = G_MSG
                break
            sp = pcfg[i, P_PRIO]
            k = 0
            if sp >= 0:
                if spos[sp] >= slen[sp]:
                    status = ST_STREAM
                    what = sp
                    break
                k = np.int64(sbuf[sp, spos[sp]])
            if lvs[1, p_lvl[i, k]] >= lvq.shape[1]:
                status = ST_GROW
                what = G_RING
                break
            ss = pcfg[i, P_SVC0] + k
            if spos[ss] >= slen[ss]:
                status = ST_STREAM
                what = ss
                break
            sa = pcfg[i, P_ARR]
            if spos[sa] >= slen[sa]:
                status = ST_STREAM
                what = sa
                break
            now = t
            if sp >= 0:
                spos[sp] += 1
            mid = npub
            npub += 1
            x = mid - base
            mf[F_PUB, x] = now
            mf[F_DEL, x] = nan
            mf[F_START, x] = nan
            mf[F_DONE, x] = nan
            mf[F_SVC, x] = sbuf[ss, spos[ss]]
            spos[ss] += 1
            mi[M_PROD, x] = i
            mi[M_PRIO, x] = p_eff[i, k]
            mi[M_CLS, x] = k
            mi[M_CONS, x] = -1
            mi[M_NDEL, x] = 0
            mi[M_CAUSE, x] = 0
            popped = False
            if avn > 0:
                # deliver(mid) to the longest-idle consumer
                j = avail[avh]
                avh += 1
                if avh == c:
                    avh = 0
                avn -= 1
                cons[C_BUF, j] = mid
                mf[F_DEL, x] = now
                mi[M_CONS, x] = j
                mi[M_NDEL, x] += 1
                ninfl += 1
                if cons[C_IDLE, j] != 0:
                    cons[C_IDLE, j] = 0
                    hsize = _push(ht, hk, hn, hsize, now, NORMAL_BIT | eid, P + j)
                    eid += 1
            elif max_length >= 0 and reject and nready >= max_length:
                mi[M_CAUSE, x] = REJECT_PUBLISH
                mf[F_DONE, x] = now
                ndrop += 1
            else:
                ttl = p_ttl[i]
                if ttl <= 0.0:  # TTL 0: expires unless it can be delivered at once
                    mi[M_CAUSE, x] = EXPIRED
                    mf[F_DONE, x] = now
                    nexp += 1
                else:
                    lev = p_lvl[i, k]
                    pos = lvs[0, lev] + lvs[1, lev]
                    if pos >= lvq.shape[1]:
                        pos -= lvq.shape[1]
                    lvq[lev, pos] = mid
                    lvs[1, lev] += 1
                    nready += 1
                    if ttl < inf:
                        tsize = _push(tdl, tmid, tdum, tsize, now + ttl, mid, 0)
                        if tmsize == 0 or tdl[0] < tmt[0]:  # arm()
                            if not popped:  # an URGENT timer at `now` would sit above this event
                                hsize = _pop(ht, hk, hn, hsize)
                                popped = True
                            d = tdl[0]
                            tmsize = _push(tmt, tmk, tmp, tmsize, d, 0, 0)
                            dt = d - now
                            if dt < 0.0:
                                dt = 0.0
                            hsize = _push(ht, hk, hn, hsize, now + dt, eid, -1)
                            eid += 1
                            ntev += 1
                    if max_length >= 0 and nready > max_length:  # drop-head
                        nready -= 1
                        h = _take_head(lvq, lvs, mi, base)
                        mi[M_CAUSE, h - base] = DROP_HEAD
                        mf[F_DONE, h - base] = now
                        ndrop += 1
            if trace:
                tr_t[ntr] = now
                tr_i[0, ntr] = nready
                tr_i[1, ntr] = ninfl
                tr_i[2, ntr] = nbusy
                ntr += 1
            g = sbuf[sa, spos[sa]]
            spos[sa] += 1
            if popped:
                hsize = _push(ht, hk, hn, hsize, now + g, NORMAL_BIT | eid, i)
            else:
                _replace_top(ht, hk, hn, hsize, now + g, NORMAL_BIT | eid, i)
            eid += 1

        else:
            j = ent - P
            now = t
            cur = cons[C_CUR, j]
            if cur < 0:
                # ---- consumer j woken by a delivery: start serving its buffer ------------
                mid = cons[C_BUF, j]
                cons[C_BUF, j] = -1
                cons[C_CUR, j] = mid
                x = mid - base
                mf[F_START, x] = now
                nbusy += 1
                if trace:
                    tr_t[ntr] = now
                    tr_i[0, ntr] = nready
                    tr_i[1, ntr] = ninfl
                    tr_i[2, ntr] = nbusy
                    ntr += 1
                _replace_top(ht, hk, hn, hsize, now + mf[F_SVC, x], NORMAL_BIT | eid, ent)
                eid += 1
            else:
                # ---- consumer j finished a service: ack, dispatch, serve the next --------
                cons[C_CUR, j] = -1
                ninfl -= 1
                nbusy -= 1
                pos = avh + avn
                if pos >= c:
                    pos -= c
                avail[pos] = j
                avn += 1
                mf[F_DONE, cur - base] = now
                nack += 1
                while nready > 0 and avn > 0:
                    nready -= 1
                    h = _take_head(lvq, lvs, mi, base)
                    jj = avail[avh]
                    avh += 1
                    if avh == c:
                        avh = 0
                    avn -= 1
                    cons[C_BUF, jj] = h
                    xh = h - base
                    mf[F_DEL, xh] = now
                    mi[M_CONS, xh] = jj
                    mi[M_NDEL, xh] += 1
                    ninfl += 1
                    if cons[C_IDLE, jj] != 0:
                        cons[C_IDLE, jj] = 0
                        hsize = _push(ht, hk, hn, hsize, now, NORMAL_BIT | eid, P + jj)
                        eid += 1
                if trace:
                    tr_t[ntr] = now
                    tr_i[0, ntr] = nready
                    tr_i[1, ntr] = ninfl
                    tr_i[2, ntr] = nbusy
                    ntr += 1
                nxt = cons[C_BUF, j]
                if nxt >= 0:
                    cons[C_BUF, j] = -1
                    cons[C_CUR, j] = nxt
                    x = nxt - base
                    mf[F_START, x] = now
                    nbusy += 1
                    if trace:
                        tr_t[ntr] = now
                        tr_i[0, ntr] = nready
                        tr_i[1, ntr] = ninfl
                        tr_i[2, ntr] = nbusy
                        ntr += 1
                    _replace_top(ht, hk, hn, hsize, now + mf[F_SVC, x], NORMAL_BIT | eid, ent)
                    eid += 1
                else:
                    cons[C_IDLE, j] = 1
                    hsize = _pop(ht, hk, hn, hsize)

    ist[I_EID] = eid
    ist[I_NPUB] = npub
    ist[I_NREADY] = nready
    ist[I_NINFL] = ninfl
    ist[I_NBUSY] = nbusy
    ist[I_NACK] = nack
    ist[I_NDROP] = ndrop
    ist[I_NEXP] = nexp
    ist[I_HSIZE] = hsize
    ist[I_AVH] = avh
    ist[I_AVN] = avn
    ist[I_NTR] = ntr
    ist[I_TSIZE] = tsize
    ist[I_TMSIZE] = tmsize
    ist[I_NTEV] = ntev
    ist[I_WHAT] = what
    return status


# ---- summary mode: the per-class statistics of mqsim.summary, compiled -----------------
# column layout of SummaryStats.k (int64) and .s (float64); kept in step with mqsim.summary
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
