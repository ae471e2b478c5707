"""The fast engine's state layout: one named tuple of numpy arrays, and the indices into them.

Shared by the driver (plain Python, builds and grows the arrays) and the compiled kernel
(:mod:`mqsim.sim.fast.kernel`, reads and writes them); importing this module does not import
numba. Every array is either *static* (the scenario as tables, built once per run) or
*dynamic* (the run's state, resumable: the kernel can stop at any event boundary and the
driver can refill a random stream or grow an array before calling it again).

Entities (numbered globally): producers ``0..P-1``; queues ("nodes") ``0..N-1`` (0 = main,
then the stages); consumers ``0..C-1``, those of node ``k`` from ``node_cfg[k, NC_C0]`` on;
priority levels ``0..L-1``, those of node ``k`` from ``node_cfg[k, NC_LV0]`` on (highest
first); the broker's restart process (one, if the scenario has restarts). Times are seconds.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, cast

import numpy as np

# ---- the state tuple --------------------------------------------------------------------
STATE_FIELDS = (
    # static: the scenario as tables
    "node_cfg",   # int64 [N, NC_*]
    "node_ttl",   # float64 [N]: queue TTL (inf = none)
    "node_ovh",   # float64 [N, 2]: its consumers' dispatch and client overheads (s)
    "route_dst",  # int64 [R]: destination node of each route (routes of node k: NC_R0 .. + NC_NR)
    "route_p",    # float64 [R]: its probability
    "prod_cfg",   # int64 [P, PC_*]
    "prod_ttl",   # float64 [P]: the producer's per-message TTL (inf = none)
    "cls_tab",    # int64 [N, P, K, CT_*]: per (node, producer, class)
    "trace_lut",  # int64 [P, 256, 3]: raw trace priority -> (class, priority, level) at the main queue
    "oprob",      # float64 [N, P, 256, 2]: (nack, reject) probability by node, producer, priority
    "cons_cfg",   # int64 [C, CC_*]
    "tgt_ptr",    # int64 [N + 1]: per node, the queues its events may publish copies to (CSR):
    "tgt_idx",    # int64 [...]   its dead-letter chain, its routes' targets and their chains
    "rtimes",     # float64 [R]: the broker's fixed restart times (s)
    # dynamic: the run
    "ist",        # int64 [I_*]: scalars
    "nst",        # int64 [N, NS_*]: per-queue counters
    "rst",        # float64 [1]: the restart process's next renewal time (s; inf = none)
    "avq",        # int64 [N, max consumers per node]: round-robin ring of consumers with a free slot
    "lists",      # int64 [L, 2]: head and tail message id of each ready list (-1 = empty)
    "cst",        # int64 [C, CS_*]: per-consumer state
    "cend",       # float64 [C]: when each consumer's last service ended (s; -inf = none yet)
    "ht", "hk", "hn",  # event list: time (s), priority << 62 | event id, entity (ENT_* code)
    "tdl", "tmid",     # per-node TTL heaps [N, cap]: deadline (s), message id
    "tmt",             # per-node pending expiry-timer times [N, cap] (heap)
    "mf", "mi", "ml",  # per-message rows [F_* | M_* | L_*, cap] (float64, int32, int64)
    "tr_t", "tr_i",    # queue-length steps: time (s) and [T_*, cap] (int32)
    "at_t", "at_m",    # failed service attempts: [2, cap] start/end (s), [cap] message id
    "sbuf", "spos", "slen",  # random streams: buffered values, read position, filled length
    "scratch",         # int64 [...]: scratch for the messages a crashing consumer held
)
#: the kernel's arguments in one tuple (numba compiles a namedtuple of arrays); built from
#: STATE_FIELDS, so mypy sees it as a plain class that takes these names as keywords
State: Any = cast(Any, namedtuple)("State", STATE_FIELDS)

# ---- static tables ----------------------------------------------------------------------
# node_cfg columns; NC_KEEP: what survives a broker restart (KEEP_*), NC_ONCYCLE: the queue lies on a
# cycle of dead-letter targets
(NC_COUNT, NC_C0, NC_PREFETCH, NC_REFILL, NC_MAXLEN, NC_REJECT, NC_REJECT_DLX, NC_TO_HEAD, NC_LIMIT, NC_DL,
 NC_LV0, NC_NLV, NC_AUTOACK, NC_ROUTE_S, NC_R0, NC_NR, NC_REJECT_AT, NC_KEEP, NC_ONCYCLE, N_NC) = range(20)
# a restart keeps nothing (non-durable queue), the persistent messages (durable classic), everything (quorum)
KEEP_NONE, KEEP_PERSISTENT, KEEP_ALL = range(3)
# prod_cfg columns: gap stream, priority-mix stream, batch-size stream, fixed batch size, trace
# priority and service streams, first service stream (classes follow), number of classes,
# largest batch, persistent (0/1)
(PC_GAP, PC_PRIO, PC_BATCH_S, PC_BATCH, PC_TPRIO, PC_TSVC, PC_SVC0, PC_NCLS, PC_BMAX, PC_PERSIST, N_PC) = range(11)
# cls_tab columns: effective priority, global level index, stage-service stream, redelivery stream
CT_EFF, CT_LEVEL, CT_SSVC, CT_RSVC, N_CT = range(5)
# cons_cfg columns: node, index in its node, outcome stream, time-to-failure stream, repair stream
CC_NODE, CC_J, CC_OUT_S, CC_UP_S, CC_DOWN_S, N_CC = range(6)

# ---- dynamic state ----------------------------------------------------------------------
# ist: scalars. I_WHAT / I_WANT say what the kernel asks the driver for when it returns;
# I_ATTOP is 1 while the event being processed still sits at the top of the event list. The
# broker's restarts: I_DOWN (1 while it is down), I_RPHASE (R_*: what the restart process's
# pending event does), I_RFIX (next fixed restart time), I_RUP_S / I_RDOWN_S (its up-time and
# downtime streams, -1 none); I_DLCYC: the dead-letter targets have a cycle (1) or not (0).
(I_EID, I_NPUB, I_BASE, I_HSIZE, I_NTR, I_NATT, I_NACK, I_NDROP, I_NEXP, I_NDEAD, I_NLOST, I_INIT, I_WHAT,
 I_WANT, I_TRACE, I_ERR, I_ATTOP, I_DOWN, I_RPHASE, I_RFIX, I_RUP_S, I_RDOWN_S, I_DLCYC, N_IST) = range(24)
# restart process phases: ended (or none), its next event restarts the broker, brings it back
R_NONE, R_FIRE, R_UP = range(3)
# nst columns: ready, in flight, busy consumers, avail-ring head and length, TTL-heap size, timers
NS_READY, NS_INFL, NS_BUSY, NS_AVH, NS_AVN, NS_TSIZE, NS_TMSIZE, N_NS = range(8)
# cst columns: phase (PH_*), id of its live event, message in service (-1), unacked count,
# prefetch-buffer head / tail / length (a linked list through L_NEXT), acks, crashed (0/1)
CS_PHASE, CS_LIVE, CS_CUR, CS_UNACKED, CS_BHEAD, CS_BTAIL, CS_BLEN, CS_ACKED, CS_DOWN, N_CS = range(10)
# consumer phases (the SimPy consumer process: where its generator is suspended): waiting for a
# wake-up, woken, serving, interrupted, waiting out the dispatch overhead of its next message
PH_IDLE, PH_WOKEN, PH_SERVE, PH_INTR, PH_OVH = range(5)

# per-message rows
F_PUB, F_DEL, F_START, F_DONE, F_SVC, F_PRIOR, N_F = range(7)
# M_DLS: the queue where the message's run of automatic deaths started (the dead-letter cycle rule), -1 none
M_PROD, M_PRIO, M_CLS, M_CONS, M_NDEL, M_CAUSE, M_NODE, M_DL, M_LIST, M_DLS, N_M = range(11)
L_NEXT, L_PREV, L_PARENT, N_L = range(4)
# queue-length step rows
T_NODE, T_READY, T_INFL, T_BUSY, N_T = range(5)

# event-list entities: code = index * 8 + kind (ENT_SHIFT bits of kind)
ENT_PROD, ENT_CONS, ENT_FAIL, ENT_TIMER, ENT_RESTART = range(5)
ENT_SHIFT, ENT_MASK = 3, 7
URGENT_BIT = 0
NORMAL_BIT = 1 << 62
EID_MASK = (1 << 62) - 1
#: the key of a continuation: the process being run goes on at once, before any other event at
#: this time (SimPy runs it in the same callback); it takes no event id
CONT_KEY = -1

# kernel return codes; what to grow (bit flags in ist[I_WHAT]) for ST_GROW; errors for ST_ERROR
ST_DONE, ST_STREAM, ST_GROW, ST_ERROR = range(4)
G_MSG, G_TRACE, G_ATT, G_HEAP, G_TTL, G_TIMERS, G_SCRATCH = (1 << b for b in range(7))
E_PROBS = 2

# message causes (the codes of mqsim.model.outcomes)
REJECT_PUBLISH, DROP_HEAD, EXPIRED, REJECTED, DELIVERY_LIMIT, LOST, RESTART, BROKER_DOWN = 1, 2, 3, 4, 5, 6, 7, 8

#: sentinel a finite derived stream (trace replay) is padded with: "no more values"
END = -1.0

INT = np.int64

#: numba options of every kernel function: cached on disk, and no reference counting. The
#: kernel passes the whole state (thirty-odd arrays) to each helper, and numba's reference
#: counts (an atomic increment and decrement per array per call) would cost more than the
#: simulation; the driver owns every array for the whole call and the kernel allocates
#: nothing, so none are needed. ``_nrt`` is numba's switch for its runtime (NRT).
KERNEL: dict[str, Any] = {"cache": True, "_nrt": False}
