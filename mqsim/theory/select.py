"""Pick the formula that predicts a :class:`mqsim.scenario.Scenario`, or say why none does.

:func:`for_scenario` returns a :class:`Prediction`. Rules (c consumers, prefetch p, Kendall
capacity K = max_length + c*p because ``max_length`` counts ready messages only):

* **prefetch** — p = 1 (or a single consumer) keeps one shared queue. p > 1 with c > 1: each
  consumer holds messages the others could serve, so there is no shared-queue formula (not
  applicable). p = 0 (unlimited): every message is pushed at once; with c = 1 the consumer's
  buffer is one FIFO queue (priority and max_length never act); with c > 1 round-robin hands each
  consumer every c-th message: c independent E_c/M/1 queues (GI/M/1, exact) with exponential
  service, Kingman's approximation otherwise.
* **one priority level** (a queue without ``max_priority`` is FIFO whatever the messages say) —
  Poisson arrivals (a superposition of Poisson producers is Poisson) and exponential service:
  M/M/c, or M/M/c/K when ``max_length`` is set (both overflow policies lose the same fraction
  p_K; under drop-head the wait of *delivered* messages is computed by the tagged-message chain).
  General service: M/G/1 by Pollaczek–Khinchine (M/D/1 when deterministic; a mix of service laws
  across producers or priorities uses the mixture moments, still exact), c > 1 by Allen–Cunneen
  (approximate); with ``max_length`` = 0 it is the Erlang B loss system (insensitive, exact);
  other finite buffers with general service: not applicable. Non-Poisson arrivals: GI/M/1 (exact)
  for one renewal producer with exponential service and c = 1, else Kingman (c = 1) or
  Allen–Cunneen (c > 1) with ca2 of the producer, or for several producers the rate-weighted
  ca2 (the asymptotic method for a superposition): approximate; finite buffers: not applicable.
* **several priority levels** (prefetch 1, infinite queue, Poisson arrivals) — c = 1: Cobham's
  non-preemptive M/G/1 per level (exact); c > 1 with one common exponential service rate:
  non-preemptive priority M/M/c (exact); otherwise not applicable (no closed form).
* **unstable** (rho >= 1 with an infinite queue) — ``applies`` True, ``stable`` False,
  ``metrics`` None and a reason naming rho; with priorities, ``by_priority`` still gives the
  levels that are stable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from mqsim.theory.gim1 import gi_m1
from mqsim.theory.markovian import DROP_HEAD_MAX_WAITING, erlang_b, mmc, mmck, mmck_drop_head
from mqsim.theory.mg1 import ALLEN_CUNNEEN, KINGMAN, allen_cunneen, kingman, md1, mg1
from mqsim.theory.priority import (
    COBHAM,
    COBHAM_MMC,
    combine_classes,
    np_priority_mg1,
    np_priority_mmc,
)
from mqsim.theory.results import QueueMetrics

__all__ = ["Prediction", "for_scenario"]

#: one message class: (producer index, effective priority, rate in messages/s, service law)
_Class = tuple[int, int, float, Any]


@dataclass(frozen=True)
class Prediction:
    """What theory says about a scenario.

    applies: a formula covers this scenario. exact: the numbers are exact (not an
    approximation). model: Kendall notation (e.g. ``"M/M/3"``). formula: human name (e.g.
    ``"Erlang C"``). reason: why this formula, or why none applies. stable: the queue has a
    steady state. rho: offered utilisation per consumer lam*E[S]/c. metrics: whole-queue
    :class:`QueueMetrics` (None if not applicable or unstable). by_priority: per effective
    priority level, when the queue has several.
    """

    applies: bool
    exact: bool
    model: str
    formula: str
    reason: str
    stable: bool
    metrics: QueueMetrics | None = None
    by_priority: dict[int, QueueMetrics] | None = None
    rho: float = math.nan

    def to_frame(self) -> "Any":
        """A pandas DataFrame: one row for the whole queue (``"all"``) and one per priority
        level; a single descriptive row when there are no metrics."""
        import pandas as pd

        head = {"applies": self.applies, "exact": self.exact, "stable": self.stable}
        rows, index = [], []
        if self.by_priority:
            for prio in sorted(self.by_priority, reverse=True):
                rows.append({**head, **self.by_priority[prio].to_dict()})
                index.append(f"priority {prio}")
        if self.metrics is not None:
            rows.append({**head, **self.metrics.to_dict()})
            index.append("all")
        if not rows:
            rows.append({**head, "model": self.model, "formula": self.formula, "rho": self.rho,
                         "reason": self.reason})
            index.append("all")
        return pd.DataFrame(rows, index=pd.Index(index, name="class"))


# --------------------------------------------------------------------------------------------
def _is_exponential(d: Any) -> bool:
    from mqsim.model.dist import Exponential, Gamma, HyperExponential

    if isinstance(d, Exponential):
        return True
    if isinstance(d, Gamma) and d.shape == 1:
        return True
    if isinstance(d, HyperExponential):
        ms = {m for p, m in zip(d.probs, d.means) if p > 0}
        return len(ms) == 1
    return False


def _common_exp_mean(dists: list[Any]) -> float | None:
    if not all(_is_exponential(d) for d in dists):
        return None
    m0 = dists[0].mean
    return m0 if all(math.isclose(d.mean, m0, rel_tol=1e-12) for d in dists) else None


def _common_det(dists: list[Any]) -> float | None:
    from mqsim.model.dist import Deterministic

    if not all(isinstance(d, Deterministic) for d in dists):
        return None
    v = dists[0].value
    return v if all(d.value == v for d in dists) and v > 0 else None


def _moments(mix: list[_Class]) -> tuple[float, float, float]:
    """Total rate (per second), E[S] (s) and E[S^2] (s^2) of the rate-weighted service mixture."""
    lam = math.fsum(r for _, _, r, _ in mix)
    m1 = math.fsum(r * d.mean for _, _, r, d in mix) / lam
    m2 = math.fsum(r * d.second_moment for _, _, r, d in mix) / lam
    return lam, m1, m2


def _kafka(ks: Any) -> Prediction:
    """A Kafka consumer group: each member an M/M/1 over its partitions (uniform keys)."""
    from mqsim.theory.kafka import kafka_assignment

    g, t = ks.group, ks.topic
    lam = ks.arrival_rate
    mean_s = g.service.mean
    n_active = min(g.count, t.partitions)
    rho = lam * mean_s / n_active
    why = []
    if not all(p.is_poisson for p in ks.producers):
        why.append("non-Poisson producers")
    if not _is_exponential(g.service):
        why.append("non-exponential processing times")
    if g.changes:
        why.append("membership changes (rebalances)")
    model = f"{t.partitions} partitions x M/M/1"
    if why:
        return _na("no closed form for a consumer group with " + ", ".join(why) + "; simulate it", rho, model)
    mu = 1.0 / mean_s
    W = P_wait = 0.0
    worst = 0.0
    pshare = t.partition_shares()  # exact key -> partition split (keys mod P need not divide evenly)
    for parts in kafka_assignment(t.partitions, g.count, g.assignment):
        if not parts:
            continue
        share = float(sum(pshare[p] for p in parts))
        lc = lam * share
        worst = max(worst, lc / mu)
        if lc >= mu:
            continue
        W += share / (mu - lc)
        P_wait += share * lc / mu
    if worst >= 1:
        return Prediction(applies=True, exact=True, model=model, formula="M/M/1 per consumer", stable=False,
                          reason=f"the busiest consumer's utilisation rho = {worst:.6g} >= 1 (it must be < 1): its "
                                 "partitions' lag grows without bound; the group keeps up only to "
                                 "X* = P mu / ceil(P/n)", rho=rho)
    Wq = W - mean_s
    m = QueueMetrics(model=model, formula="M/M/1 per consumer", rho=rho, L=lam * W, Lq=lam * Wq, W=W, Wq=Wq,
                     throughput=lam, P_wait=P_wait)
    return _ok(m, f"Poisson arrivals: each of the {n_active} active consumers is an M/M/1 queue over its "
                  "partitions at the rate their keys carry (no pooling across partitions)", rho)


def _beyond_basic(sc: Any) -> list[str]:
    """The scenario's features outside the single-queue model the formulas here describe."""
    out = []
    if getattr(sc, "stages", ()):
        out.append("several queues (stages)")
    for p in sc.producers:
        if getattr(p, "schedule", None) is not None:
            out.append(f"the time-varying rate of producer {p.name!r}")
        if getattr(p, "trace", None) is not None:
            out.append(f"the trace replay of producer {p.name!r}")
        if getattr(p, "batch", 1) != 1:
            out.append(f"the batch publishes of producer {p.name!r}")
        if getattr(p, "ttl", None) is not None:
            out.append(f"the per-message TTL of producer {p.name!r}")
    q, c = sc.queue, sc.consumers
    if getattr(q, "ttl", None) is not None:
        out.append("a queue TTL")
    if getattr(c, "has_outcomes", False):
        out.append("nacks/rejects")
    if getattr(c, "failure", None) is not None:
        out.append("consumer crashes")
    if getattr(c, "auto_ack", False):
        out.append("auto-ack")
    return out


def _na(reason: str, rho: float, model: str = "", formula: str = "") -> Prediction:
    return Prediction(applies=False, exact=False, model=model, formula=formula, reason=reason,
                      stable=rho < 1 if math.isfinite(rho) else False, rho=rho)


def _unstable(model: str, formula: str, exact: bool, lam: float, mean_s: float, c: int,
              rho: float, pre: list[str]) -> Prediction:
    grow = lam - c / mean_s
    reason = _join(pre + [
        f"{model} would apply, but utilisation rho = lam*E[S]/c = {lam:.6g}*{mean_s:.6g}/{c} = "
        f"{rho:.6g} >= 1 with an infinite queue: no steady state (rho must be < 1); the backlog "
        f"grows at about {max(grow, 0.0):.6g} messages/s; a finite queue.max_length would bound it"])
    return Prediction(applies=True, exact=exact, model=model, formula=formula, reason=reason,
                      stable=False, metrics=None, rho=rho)


def _ok(m: QueueMetrics, reason: str, rho: float, *, exact: bool | None = None,
        by_priority: dict[int, QueueMetrics] | None = None) -> Prediction:
    ex = m.exact if exact is None else exact
    return Prediction(applies=True, exact=ex, model=m.model, formula=m.formula, reason=reason,
                      stable=True, metrics=m, by_priority=by_priority, rho=rho)


# --------------------------------------------------------------------------------------------
def for_scenario(sc: Any) -> Prediction:
    """The formula that applies to scenario ``sc`` with its metrics, or a clear reason why none
    does (see the module docstring for the rules). Never raises for a valid scenario: a formula
    that cannot be evaluated at these numbers (say, a rate whose inverse overflows) is reported
    as not applicable, with the reason."""
    try:
        return _for_scenario(sc)
    except (ValueError, ArithmeticError) as exc:
        rho = getattr(sc, "utilisation", math.nan)
        return _na(f"no formula could be evaluated at these numbers ({exc}); simulate it", rho)


def _for_scenario(sc: Any) -> Prediction:
    if sc.family == "kafka":
        return _kafka(sc)
    q, cons = sc.queue, sc.consumers
    c, pf = cons.count, cons.prefetch
    prods = list(sc.producers)
    mix = [(i, pr, r, d) for i, pr, r, d in sc.class_mix() if r > 0]
    lam, mean_s, es2 = _moments(mix)
    if mean_s <= 0:
        return _na("every service time is 0 s: nothing ever queues (no queueing formula needed)", 0.0)
    rho = lam * mean_s / c
    beyond = _beyond_basic(sc)
    if beyond == ["a queue TTL"] and c == 1 and pf == 1 and q.max_length is None \
            and all(p.is_poisson for p in prods) and _common_exp_mean([d for *_, d in mix]) is not None:
        from mqsim.theory.impatience import mm1_ttl

        return _ok(mm1_ttl(lam, 1.0 / mean_s, q.ttl), "Poisson arrivals, one consumer with prefetch 1 and "
                   f"exponential service, ready messages expire after the queue TTL {q.ttl:g} s: deterministic "
                   "patience while waiting, M/M/1+D (exact, stable for any load)", rho)
    if beyond:
        return _na("no closed form covers " + ", ".join(beyond) + "; simulate it (mqsim.theory has the building "
                   "blocks: jackson() for pipelines, mm1_ttl() for a per-queue TTL on M/M/1, mmc() with "
                   "lam/(1-p) for requeue with probability p)", rho)
    # scv of the service mixture from each law's own scv (no E[S^2] formed: no overflow at 1e200 s)
    cs2 = max(math.fsum(r / lam * (d.mean / mean_s) ** 2 * (1.0 + d.scv) for _, _, r, d in mix) - 1.0, 0.0)
    poisson = all(p.is_poisson for p in prods)
    dists = [d for *_, d in mix]
    notes: list[str] = []

    levels = _priority_levels(q.max_priority, mix, notes)
    if pf == 0:
        if len(levels) > 1:
            notes.append("prefetch 0 (unlimited) pushes every message to a consumer at once, "
                         "so priorities never reorder anything")
        if q.max_length is not None:
            notes.append("with unlimited prefetch no message is ever ready, so max_length never acts")
        if c > 1:
            return _round_robin(sc, prods, mix, lam, mean_s, cs2, c, rho, poisson, dists, notes)
        return _fifo(prods, lam, mean_s, cs2, 1, None, q.overflow, 1, rho, poisson, dists,
                     notes + ["one consumer with unlimited prefetch keeps one FIFO line"], q)
    if pf > 1 and c > 1:
        return _na(
            f"prefetch {pf} > 1 with {c} consumers: each consumer holds up to {pf} unacked "
            "messages that idle consumers could have served, so the consumers do not share one "
            "queue and M/M/c does not apply (it sits between M/M/c at prefetch 1 and "
            f"{c} round-robin E_{c}/M/1 queues at unlimited prefetch); simulate it", rho)
    K = None if q.max_length is None else q.max_length + c * pf
    if len(levels) > 1:
        if pf > 1:
            return _na(
                f"prefetch {pf} > 1: up to {pf} messages wait in the consumer's buffer in FIFO "
                "order, so priority reorders only the ready messages behind them; Cobham's formula "
                "needs prefetch 1; simulate it", rho)
        return _priority(levels, lam, mean_s, c, K, rho, poisson, dists, notes)
    if pf > 1:
        notes.append(f"one consumer with prefetch {pf} still serves in FIFO order"
                     + (f", and holds up to {pf} messages outside max_length" if K is not None else ""))
    return _fifo(prods, lam, mean_s, cs2, c, K, q.overflow, pf, rho, poisson, dists, notes, q)


def _priority_levels(max_priority: int | None, mix: list[_Class], notes: list[str]) -> dict[int, list[_Class]]:
    """The priority levels that actually apply: the classes of ``mix`` (producer, priority,
    rate in messages/s, service law) by level; one level on a queue without ``max_priority``."""
    if max_priority is None:
        if any(pr != 0 for _, pr, _, _ in mix):
            notes.append("the queue has no max_priority, so it is a plain FIFO and message "
                         "priorities are ignored")
        return {0: mix}
    levels: dict[int, list[_Class]] = {}
    for item in mix:
        levels.setdefault(item[1], []).append(item)
    return levels


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(parts: list[str]) -> str:
    s = "; ".join(p for p in parts if p)
    return s[:1].upper() + s[1:] + "."


def _arrivals_text(prods: list[Any], poisson: bool) -> str:
    if poisson:
        return ("Poisson arrivals" if len(prods) == 1 else
                f"Poisson arrivals ({len(prods)} Poisson producers superpose to a Poisson stream)")
    return "non-Poisson arrivals"


def _drop_head_note(c: int, K: int, pf: int) -> str:
    why = (f"with drop-head and prefetch {pf} delivered messages wait less and no closed form is given"
           if pf != 1 else f"the exact drop-head waits (a chain with (K-c)^2/2 states) are computed up to "
           f"K - c = {DROP_HEAD_MAX_WAITING} waiting places only")
    return (f"M/M/{c}/{K}: loss p_K, throughput, L and Lq are exact for drop-head too, but W and Wq "
            f"here are reject-publish's; {why} (exact=False for the waits)")


def _fifo(prods: list[Any], lam: float, mean_s: float, cs2: float, c: int, K: int | None, overflow: str, pf: int,
          rho: float, poisson: bool, dists: list[Any], notes: list[str], q: Any) -> Prediction:
    """One FIFO line served by ``c`` consumers at prefetch ``pf`` (capacity ``K`` or unlimited):
    arrival rate ``lam`` per second, mean service ``mean_s`` seconds with scv ``cs2``."""
    exp_mean = _common_exp_mean(dists)
    det = _common_det(dists)
    mixed = len({repr(d) for d in dists}) > 1
    share = ("one consumer" if c == 1 else
             f"prefetch 1 so the {c} consumers take the head message of one shared FIFO queue")
    arr = _arrivals_text(prods, poisson)
    if poisson and exp_mean is not None:
        return _fifo_markovian(lam, mean_s, exp_mean, c, K, overflow, pf, rho, notes, q, arr, share)
    svc_txt = ("a mix of service-time laws across producers/priorities (rate-weighted moments: "
               f"E[S] = {mean_s:.6g} s, scv = {cs2:.6g})" if mixed else
               f"general service ({dists[0].describe()}, scv = {cs2:.6g})")
    if poisson:
        if K is not None:
            if K == c:
                B = erlang_b(c, lam * mean_s)
                thr = lam * (1.0 - B)
                m = QueueMetrics(model=f"M/G/{c}/{c}", formula="Erlang B", rho=rho,
                                 L=thr * mean_s, Lq=0.0, W=mean_s, Wq=0.0, throughput=thr,
                                 P_wait=0.0, loss=B,
                                 extras={"loss_rate": lam * B, "busy_servers": thr * mean_s})
                return _ok(m, _join([arr, share, svc_txt, "max_length 0: no waiting room, an "
                                     "arrival finding every consumer busy is lost under either "
                                     "overflow policy; Erlang B is insensitive to the service law "
                                     "(exact)"] + notes), rho)
            return _na(_join([arr, svc_txt, f"a finite buffer (K = {K}) with non-exponential "
                              f"service is M/G/{c}/K, which has no closed form here; use "
                              "exponential service (M/M/c/K) or simulate"]), rho, f"M/G/{c}/{K}")
        if c == 1:
            if det is not None:
                model, formula = "M/D/1", "Pollaczek–Khinchine (M/D/1)"
                if rho >= 1:
                    return _unstable(model, formula, True, lam, mean_s, c, rho, [arr, share])
                return _ok(md1(lam, det), _join([arr, share, f"deterministic service {det:.6g} s",
                                                 "M/D/1 by Pollaczek–Khinchine (exact)"] + notes), rho)
            model, formula = "M/G/1", "Pollaczek–Khinchine"
            if rho >= 1:
                return _unstable(model, formula, True, lam, mean_s, c, rho, [arr, share])
            return _ok(mg1(lam, mean_s, cs2), _join([arr, share, svc_txt,
                                                     "M/G/1 by Pollaczek–Khinchine (exact)"] + notes), rho)
        model = f"M/G/{c}"
        if rho >= 1:
            return _unstable(model, ALLEN_CUNNEEN, False, lam, mean_s, c, rho, [arr, share])
        m = replace(allen_cunneen(lam, 1.0, mean_s, cs2, c), model=model)
        return _ok(m, _join([arr, share, svc_txt, f"M/G/{c} has no closed form: Allen–Cunneen "
                             "approximation (exact only for exponential service)"] + notes), rho)
    return _fifo_renewal(prods, lam, mean_s, cs2, c, K, rho, exp_mean, notes, arr, share)


def _fifo_markovian(lam: float, mean_s: float, exp_mean: float, c: int, K: int | None, overflow: str, pf: int,
                    rho: float, notes: list[str], q: Any, arr: str, share: str) -> Prediction:
    """Poisson arrivals, exponential service: M/M/c, or M/M/c/K with either overflow policy (exact)."""
    mu = 1.0 / exp_mean
    svc = f"exponential service (mean {exp_mean:.6g} s)"
    if K is None:
        model, formula = f"M/M/{c}", "M/M/1" if c == 1 else "Erlang C"
        if rho >= 1:
            return _unstable(model, formula, True, lam, mean_s, c, rho, [arr, share, svc])
        how = f"{model} by {formula} (exact)" if c > 1 else "M/M/1 (exact)"
        return _ok(mmc(lam, mu, c), _join([arr, share, svc, how] + notes), rho)
    cap = (f"max_length {q.max_length} counts ready messages only, so the capacity is "
           f"K = {q.max_length} + {c * pf} in flight = {K}")
    if overflow == "reject-publish":
        m = mmck(lam, mu, c, K)
        return _ok(m, _join([arr, share, svc, cap, f"M/M/{c}/{K} with reject-publish: loss "
                             "p_K by PASTA (exact)"] + notes), rho)
    if pf == 1 and K - c <= DROP_HEAD_MAX_WAITING:
        m = mmck_drop_head(lam, mu, c, K)
        return _ok(m, _join([arr, share, svc, cap,
                             f"M/M/{c}/{K} with drop-head: the loss probability p_K, throughput "
                             "and L equal reject-publish's (same number-in-system chain), but "
                             "the oldest message is dropped, so the wait of delivered messages "
                             "is shorter; it is computed exactly by the tagged-message chain"]
                            + notes), rho)
    m = mmck(lam, mu, c, K)
    return _ok(replace(m, exact=False), _join(
        [arr, share, svc, cap,
         f"M/M/1/{K}: loss p_K, throughput, L and Lq are exact for drop-head too, but W and Wq "
         f"here are reject-publish's; with drop-head and prefetch {pf} delivered messages wait "
         "less and no closed form is given (exact=False for the waits)"] + notes), rho, exact=False)


def _fifo_renewal(prods: list[Any], lam: float, mean_s: float, cs2: float, c: int, K: int | None, rho: float,
                  exp_mean: float | None, notes: list[str], arr: str, share: str) -> Prediction:
    """Non-Poisson arrivals: GI/M/1 (exact), else Kingman or Allen–Cunneen (approximations)."""
    if K is not None:
        return _na(_join([arr, f"a finite buffer (K = {K}) with non-Poisson arrivals has no "
                          "closed form here; simulate"]), rho, f"GI/G/{c}/{K}")
    if len(prods) == 1:
        ca2 = prods[0].interarrival.scv
        arr_txt = f"renewal arrivals ({prods[0].interarrival.describe()}, ca2 = {ca2:.6g})"
    else:
        ca2 = math.fsum(p.arrival_rate * p.interarrival.scv for p in prods) / lam
        arr_txt = (f"{len(prods)} producers, not all Poisson: their superposition is not a renewal "
                   f"process; ca2 = {ca2:.6g} is the rate-weighted average (asymptotic method), an "
                   "approximation")
    if c == 1 and exp_mean is not None and len(prods) == 1:
        model, formula = "GI/M/1", "GI/M/1 (sigma = A*(mu(1-sigma)))"
        if rho >= 1:
            return _unstable(model, formula, True, lam, mean_s, c, rho, [arr_txt])
        exact: QueueMetrics = gi_m1(prods[0].interarrival, 1.0 / exp_mean)
        return _ok(exact, _join([arr_txt, share, f"exponential service (mean {exp_mean:.6g} s)",
                             "GI/M/1 is exact: sigma solves sigma = A*(mu(1-sigma))"] + notes), rho)
    if c == 1:
        if rho >= 1:
            return _unstable("GI/G/1", KINGMAN, False, lam, mean_s, c, rho, [arr_txt])
        m = kingman(lam, ca2, mean_s, cs2)
        return _ok(m, _join([arr_txt, share, f"service scv = {cs2:.6g}",
                             "approximation only: " + KINGMAN] + notes), rho)
    if rho >= 1:
        return _unstable(f"GI/G/{c}", ALLEN_CUNNEEN, False, lam, mean_s, c, rho, [arr_txt])
    m = allen_cunneen(lam, ca2, mean_s, cs2, c)
    return _ok(m, _join([arr_txt, share, f"service scv = {cs2:.6g}",
                         "approximation only: " + ALLEN_CUNNEEN] + notes), rho)


def _round_robin(sc: Any, prods: list[Any], mix: list[_Class], lam: float, mean_s: float, cs2: float, c: int,
                 rho: float, poisson: bool, dists: list[Any], notes: list[str]) -> Prediction:
    """Unlimited prefetch with ``c`` consumers: every c-th message to each consumer's own line."""
    from mqsim.model.dist import Exponential

    head = (f"prefetch 0 (unlimited) with {c} consumers: RabbitMQ pushes every message at once, "
            f"round-robin, so each consumer gets every {_ordinal(c)} message and keeps its own FIFO line; "
            f"there is no pooling (not M/M/{c})")
    if not poisson and len(prods) > 1:
        return _na(_join([head, "several producers, not all Poisson: the superposition is not a "
                          "renewal process, so the every-c-th split has no closed form; simulate"]),
                   rho, f"{c} x GI/G/1")
    ia = Exponential(mean=1.0 / lam) if poisson else prods[0].interarrival
    ca2_split = (1.0 if poisson else ia.scv) / c
    exp_mean = _common_exp_mean(dists)
    lam_j = lam / c
    if exp_mean is not None:
        model = f"{c} x E{c}/M/1" if poisson else f"{c} x GI/M/1"
        formula = "GI/M/1 (sigma = A*(mu(1-sigma)))"
        if rho >= 1:
            return _unstable(model, formula, True, lam, mean_s, c, rho, [head])
        m: QueueMetrics = gi_m1(ia, 1.0 / exp_mean, split=c)
        why = (f"each consumer is a GI/M/1 queue whose inter-arrival time is the sum of {c} "
               "inter-arrival times (exact)")
        exact = True
    else:
        model, formula = f"{c} x GI/G/1", KINGMAN
        if rho >= 1:
            return _unstable(model, formula, False, lam, mean_s, c, rho, [head])
        m = kingman(lam_j, ca2_split, mean_s, cs2)
        why = (f"each consumer is a GI/G/1 queue with ca2 = {ca2_split:.6g} (sum of {c} "
               f"inter-arrival times) and service scv = {cs2:.6g}: approximation only")
        exact = False
    extras = dict(m.extras, per_consumer_L=m.L, per_consumer_Lq=m.Lq, consumers=c)
    whole = replace(m, model=model, formula=formula, L=c * m.L, Lq=c * m.Lq, throughput=lam,
                    exact=exact, extras=extras)
    return _ok(whole, _join([head, why] + notes), rho, exact=exact)


def _priority(levels: dict[int, list[_Class]], lam: float, mean_s: float, c: int, K: int | None, rho: float,
              poisson: bool, dists: list[Any], notes: list[str]) -> Prediction:
    """Strict non-preemptive priority levels at prefetch 1 (Cobham; priority M/M/c)."""
    prios = sorted(levels, reverse=True)
    head = f"{len(prios)} priority levels ({', '.join(map(str, prios))}), strict head-of-line, non-preemptive"
    if K is not None:
        return _na(_join([head, "with max_length set, overflow drops or rejects by position in "
                          "the priority queue and no closed form is known; simulate"]), rho)
    if not poisson:
        return _na(_join([head, "priority formulas need Poisson arrivals; simulate"]), rho)
    classes = []
    for p in prios:
        lk, m1, m2 = _moments(levels[p])
        classes.append((lk, m1, m2))
    if c == 1:
        exp_mean = _common_exp_mean(dists)
        model = "M/M/1" if exp_mean is not None else ("M/D/1" if _common_det(dists) else "M/G/1")
        res = np_priority_mg1(classes)
        formula = COBHAM
        why = f"{model} with one consumer at prefetch 1: Cobham's formula per level (exact)"
    else:
        exp_mean = _common_exp_mean(dists)
        if exp_mean is None:
            return _na(_join([head, f"{c} consumers: the priority M/M/c formula needs one common "
                              "exponential service rate for every class; with other service laws "
                              "there is no closed form; simulate"]), rho)
        model = f"M/M/{c}"
        res = np_priority_mmc([cl[0] for cl in classes], 1.0 / exp_mean, c)
        formula = COBHAM_MMC
        why = (f"M/M/{c} with a common exponential service rate at prefetch 1: non-preemptive "
               "priority M/M/c (exact)")
    model_txt = f"{model} non-preemptive priority"
    by = {p: replace(r, model=model_txt) for p, r in zip(prios, res)}
    if all(r.stable for r in res):
        whole = combine_classes(res, model_txt, formula)
        return _ok(whole, _join([head, "Poisson arrivals", why] + notes), rho, by_priority=by)
    bad = [p for p, r in by.items() if not r.stable]
    good = [p for p, r in by.items() if r.stable]
    first = bad[0]
    sig = by[first].extras["sigma"]
    reason = _join([head, why,
                    f"utilisation rho = lam*E[S]/c = {rho:.6g}; priority {first} and below have no "
                    f"steady state (cumulative rho of that level and those above = {sig:.6g} >= 1; "
                    "it must be < 1)" + (f"; levels {good} are stable and reported in by_priority"
                                          if good else "")] + notes)
    return Prediction(applies=True, exact=True, model=model_txt, formula=formula, reason=reason,
                      stable=False, metrics=None, by_priority=by, rho=rho)
