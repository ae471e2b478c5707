"""The fast engine's random streams: the named streams of :mod:`mqsim.sim.streams`, in one 2-D
buffer the compiled kernel reads.

Row ``s`` of the buffer holds the unread values of stream ``s``. A refill keeps them and
appends new values, drawn exactly as :class:`mqsim.sim.streams.Stream` draws them
(``sampler(rng, BLOCK)`` block after block; samplers in :data:`SEQUENTIAL` give the same values
in one call of several blocks), so the kernel consumes the same sequence as the SimPy engine.

Some streams are *derived*: a deterministic function of underlying streams that does not depend
on the rest of the run, computed here in bulk (:class:`ThinnedGaps`: the kept gaps of a
time-varying rate; :class:`TraceColumn`: a replayed trace's gaps, priorities or services). A
finite derived stream is padded with :data:`~mqsim.sim.fast.layout.END` when it runs out.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from mqsim.model import dist
from mqsim.model.arrivals import PiecewiseRate, RateSchedule, SinusoidRate
from mqsim.sim.fast.layout import END
from mqsim.sim.streams import ARRIVAL, BLOCK, THINNING, make_rng

__all__ = ["Streams", "ThinnedGaps", "TraceColumn", "SEQUENTIAL", "uniform", "MAX_BLOCKS", "BUFFER_BYTES"]

#: blocks drawn per refill of a stream: starts at 1 and doubles up to this many
MAX_BLOCKS = 64
#: bound on the random-number buffers of all streams together (bytes), unless an event needs more
BUFFER_BYTES = 16 << 20

#: test switch: refill streams with exactly the values the kernel asks for (see Streams.fill)
STRESS = False

#: distributions whose ``sample(rng, n)`` is one sequential draw from the generator, so that
#: ``sample(rng, m * BLOCK)`` equals ``m`` calls of ``sample(rng, BLOCK)`` (checked by
#: tests/sim/test_fast_identity.py); others (e.g. HyperExponential, which draws two arrays per
#: call) are drawn block by block, exactly as mqsim.sim.streams.Stream does
SEQUENTIAL = frozenset({dist.Exponential, dist.Deterministic, dist.Uniform, dist.Gamma, dist.Erlang,
                        dist.LogNormal, dist.Empirical, dist.Discrete})


def uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """The sampler of the uniform streams (outcomes, routes, thinning): ``rng.random(n)``."""
    return rng.random(n)


class _Source:
    """A stream computed in bulk: ``take(n)`` returns the next values (fewer at the end)."""

    def take(self, n: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class TraceColumn(_Source):
    """One column of a replayed trace, in order (gaps, priorities or services)."""

    def __init__(self, values: np.ndarray):
        self.values = np.asarray(values, dtype=float)
        self.pos = 0

    def take(self, n: int) -> np.ndarray:
        out = self.values[self.pos:self.pos + n]
        self.pos += len(out)
        return out


def trace_gaps(times: tuple[float, ...]) -> np.ndarray:
    """Gaps between trace timestamps, as the SimPy engine's ``_trace_gaps`` computes them."""
    t = np.asarray(times, dtype=float)
    return np.diff(np.concatenate(([0.0], t)))


def _rates(sched: RateSchedule, t: np.ndarray) -> np.ndarray:
    """``sched.rate(t)`` for every value of ``t``, with the same floating-point operations."""
    if isinstance(sched, PiecewiseRate):
        tt = np.fmod(t, sched.period) if sched.period is not None else t
        k = np.searchsorted(np.asarray(sched.times, dtype=float), tt, side="right") - 1
        return np.asarray(sched.rates, dtype=float)[np.maximum(k, 0)]
    if isinstance(sched, SinusoidRate):
        from mqsim.sim.fast.thinning import sinusoid_rates

        return sinusoid_rates(t, float(sched.mean), float(sched.amplitude), float(sched.period), float(sched.phase))
    return np.fromiter(map(sched.rate, t.tolist()), dtype=float, count=len(t))


class ThinnedGaps(_Source):
    """Producer ``i``'s gaps under a time-varying rate: candidates at the peak rate (stream
    ``(ARRIVAL, i)``), each kept with probability rate(t) / peak (uniforms ``(THINNING, i)``);
    the SimPy engine's ``_thinned_gaps`` generator, vectorised."""

    def __init__(self, sched: RateSchedule, seed: int, i: int):
        self.sched = sched
        self.peak = float(sched.peak)
        self.cand = make_rng(seed, ARRIVAL, i)
        self.keep = make_rng(seed, THINNING, i)
        self.t = 0.0
        self.last = 0.0
        self.pending = np.empty(0)

    def take(self, n: int) -> np.ndarray:
        chunks = [self.pending]
        have = len(self.pending)
        while have < n:
            m = BLOCK * max(1, math.ceil((n - have) / BLOCK))
            c = self.cand.exponential(1.0 / self.peak, m)
            u = self.keep.random(m)
            t = np.cumsum(np.concatenate(([self.t], c)))[1:]  # t += cand(), in order
            self.t = float(t[-1])
            kept = t[u * self.peak < _rates(self.sched, t)]
            if len(kept):
                gaps = np.diff(np.concatenate(([self.last], kept)))
                self.last = float(kept[-1])
                chunks.append(gaps)
                have += len(gaps)
        allg = np.concatenate(chunks)
        self.pending = allg[n:]
        return allg[:n]


class Streams:
    """Every stream of a run; see the module docstring."""

    def __init__(self) -> None:
        self.samplers: list[Callable[[np.random.Generator, int], np.ndarray] | None] = []
        self.sources: list[_Source | None] = []
        self.sequential: list[bool] = []
        self.rngs: list[np.random.Generator | None] = []
        self.luts: list[np.ndarray | None] = []
        self.nblocks: list[int] = []
        self.spare: dict[int, np.ndarray] = {}  # drawn, not yet handed to the kernel (STRESS only)
        self.max_blocks = MAX_BLOCKS
        self.buf = np.empty((0, 0))
        self.pos = np.zeros(0, dtype=np.int64)
        self.len = np.zeros(0, dtype=np.int64)

    def add(self, d: Any, rng: np.random.Generator, lut: np.ndarray | None = None) -> int:
        """Register the stream of distribution ``d`` drawn from ``rng``; ``lut`` maps drawn
        values (priorities) to what the kernel reads (class positions). Returns its row."""
        return self._add(d.sample, None, type(d) in SEQUENTIAL, rng, lut)

    def add_uniform(self, rng: np.random.Generator) -> int:
        """Register a stream of uniforms on [0, 1) drawn from ``rng``."""
        return self._add(uniform, None, True, rng, None)

    def add_source(self, source: _Source) -> int:
        """Register a derived stream."""
        return self._add(None, source, True, None, None)

    def _add(self, sampler: Any, source: Any, sequential: bool, rng: Any, lut: Any) -> int:
        self.samplers.append(sampler)
        self.sources.append(source)
        self.sequential.append(sequential)
        self.rngs.append(rng)
        self.luts.append(lut)
        self.nblocks.append(0)
        return len(self.samplers) - 1

    def allocate(self) -> None:
        """The buffer, once every stream is registered (empty rows)."""
        n = len(self.samplers)
        cap = max(1, min(MAX_BLOCKS, BUFFER_BYTES // (8 * BLOCK * max(n, 1))))
        self.max_blocks = 1 << (cap.bit_length() - 1)
        self.buf = np.empty((n, self.max_blocks * BLOCK))
        self.pos = np.zeros(n, dtype=np.int64)
        self.len = np.zeros(n, dtype=np.int64)

    def _draw(self, s: int, n_blocks: int) -> np.ndarray:
        sampler, rng = self.samplers[s], self.rngs[s]
        assert sampler is not None and rng is not None
        if self.sequential[s]:  # one call gives the same values as n_blocks calls (see SEQUENTIAL)
            vals = np.asarray(sampler(rng, n_blocks * BLOCK), dtype=float)
        else:
            vals = np.concatenate([np.asarray(sampler(rng, BLOCK), dtype=float) for _ in range(n_blocks)])
        lut = self.luts[s]
        return lut[vals.astype(np.int64)] if lut is not None else vals

    def fill(self, s: int, want: int = 1) -> None:
        """Top up stream ``s`` so that it holds at least ``want`` unread values (growing the
        buffer if one stream needs more than a row holds). With :data:`STRESS` on, hand the
        kernel exactly what it asked for (the rest waits in :attr:`spare`): every event then
        depends on the kernel's checks of what it may draw (a test of those checks)."""
        rem = int(self.len[s] - self.pos[s])
        short = max(want - rem, 1)
        spare = self.spare.get(s, np.empty(0))
        if len(spare) < short:
            nb = min(max(1, 2 * self.nblocks[s]), self.max_blocks)
            nb = max(nb, math.ceil((short - len(spare)) / BLOCK))
            self.nblocks[s] = min(nb, self.max_blocks)
            source = self.sources[s]
            if source is not None:
                vals = source.take(nb * BLOCK)
                if len(spare) + len(vals) < short:  # a finite stream ended: "no more values"
                    vals = np.concatenate([vals, np.full(short - len(spare) - len(vals), END)])
            else:
                vals = self._draw(s, nb)
            spare = np.concatenate([spare, vals]) if len(spare) else vals
        vals, self.spare[s] = (spare[:short], spare[short:]) if STRESS else (spare, np.empty(0))
        width = self.buf.shape[1]
        if rem + len(vals) > width:
            new_w = BLOCK * (1 << math.ceil(math.log2(math.ceil((rem + len(vals)) / BLOCK))))
            grown = np.empty((self.buf.shape[0], new_w))
            grown[:, :width] = self.buf
            self.buf = grown
        row = self.buf[s]
        p = int(self.pos[s])
        row[:rem] = row[p:p + rem]
        row[rem:rem + len(vals)] = vals
        self.pos[s] = 0
        self.len[s] = rem + len(vals)
