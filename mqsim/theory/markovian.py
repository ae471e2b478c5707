"""Markovian queues: M/M/1, M/M/1/K, Erlang B and C, M/M/c, M/M/c/K (and its drop-head variant).

Arrivals are Poisson with rate ``lam`` (per second), service is exponential with rate ``mu``
(per second, mean 1/mu seconds), ``c`` identical servers share one FCFS queue.

Numerics: Erlang B uses the recursion B_k = a*B_{k-1}/(k + a*B_{k-1}) and Erlang C is derived
from it, so no factorial or power is ever formed (c up to :data:`MAX_SERVERS` = 10^5). M/M/c/K
state probabilities are built in log space and the geometric part above c is summed in closed
form, so any K (up to 2^53), heavy overload and rho = 1 +- 1e-9 are fine. Tails and quantiles
of the M/M/c wait and sojourn never form a growing exponential (no overflow at c = 2000).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from mqsim.model import validate
from mqsim.theory.results import QueueMetrics, UnstableError, spare

__all__ = [
    "MMcMetrics",
    "FiniteMetrics",
    "mm1",
    "mm1k",
    "erlang_b",
    "erlang_c",
    "mmc",
    "mmck",
    "mmck_drop_head",
    "MAX_SERVERS",
    "DROP_HEAD_MAX_WAITING",
]


# --------------------------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------------------------
#: most servers a formula accepts (the recursions are O(c))
MAX_SERVERS = 100_000
#: most waiting places (K - c) :func:`mmck_drop_head` solves (its chain has (K-c)^2/2 states)
DROP_HEAD_MAX_WAITING = 1000
#: largest M/M/c/K capacity K whose state probabilities are kept in ``FiniteMetrics.probs``
MAX_STORED_STATES = 100_000


def _servers(field: str, c: object) -> int:
    return validate.integer(field, c, 1, MAX_SERVERS)


def _erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
        if b == 0.0:  # underflow: every later term stays 0
            break
    return b


def erlang_b(c: int, a: float) -> float:
    """Erlang B: probability that an arrival finds all ``c`` servers busy in the loss system
    M/G/c/c with offered load ``a = lam*E[S]`` Erlangs (insensitive to the service law).

    Computed with the stable recursion B_0 = 1, B_k = a*B_{k-1}/(k + a*B_{k-1}).

    >>> import mqsim as mq
    >>> round(mq.theory.erlang_b(3, 2.4), 4)   # 3 servers, 2.4 Erlangs: the fraction lost
    0.2684
    """
    c = _servers("erlang_b.c", c)
    a = validate.positive("erlang_b.a", a, "Erlangs")
    return _erlang_b(c, a)


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability that an arrival waits, P(Wq > 0), in M/M/c with offered load
    ``a = lam/mu`` Erlangs; requires rho = a/c < 1.

    C = B/(1 - rho*(1 - B)) with B = Erlang B(c, a) from its recursion (no factorials).
    Raises :class:`UnstableError` when rho >= 1.

    >>> import mqsim as mq
    >>> round(mq.theory.erlang_c(3, 2.4), 4)   # 3 consumers, 2.4 Erlangs: P(a message waits)
    0.6472
    """
    c = _servers("erlang_c.c", c)
    a = validate.positive("erlang_c.a", a, "Erlangs")
    rho = a / c
    if rho >= 1:
        raise UnstableError.of("erlang_c", "a/c", rho, "Erlang C needs a < c")
    b = _erlang_b(c, a)
    return b / (1.0 - rho * (1.0 - b))


# --------------------------------------------------------------------------------------------
# M/M/c (and M/M/1 as c = 1)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MMcMetrics(QueueMetrics):
    """:class:`QueueMetrics` of an M/M/c queue plus its distributions.

    ``lam``, ``mu`` (per second) and ``c`` are kept so the wait and sojourn tails can be
    evaluated. The wait Wq has an atom 1 - C at zero (C = ``P_wait``, Erlang C); given that a
    message waits, its wait is Exp(c*mu - lam). The sojourn is T = Wq + S.
    """

    lam: float = math.nan
    mu: float = math.nan
    c: int = 1

    @property
    def decay(self) -> float:
        """c*mu - lam (per second): the rate of the conditional wait (exactly rounded)."""
        return self.c * self.mu * spare(self.lam, self.mu, self.c) if self.c > 1 else self.mu - self.lam

    def wait_tail(self, t: float) -> float:
        """P(Wq > t) = C*exp(-(c*mu - lam)*t), t in seconds (C = P_wait)."""
        t = validate.nonneg("wait_tail.t", t, "seconds")
        return self.P_wait * math.exp(-self.decay * t)

    def wait_cdf(self, t: float) -> float:
        """P(Wq <= t): the service level SL(t) = 1 - C*exp(-(c*mu - lam)*t)."""
        return 1.0 - self.wait_tail(t)

    service_level = wait_cdf

    def wait_quantile(self, p: float) -> float:
        """p-quantile of the wait Wq (s) over *all* messages: ln(C/(1-p))/(c*mu - lam) if
        C > 1 - p, else 0 (the atom at zero covers it)."""
        p = validate.probability("wait_quantile.p", p)
        if self.P_wait <= 1.0 - p:
            return 0.0
        return math.log(self.P_wait / (1.0 - p)) / self.decay

    def sojourn_tail(self, t: float) -> float:
        """P(T > t) for the sojourn T = Wq + S (s). For c = 1, T ~ Exp(mu - lam). Otherwise,
        with d = c*mu - lam: exp(-mu*t) + C*mu/(mu - d)*(exp(-d*t) - exp(-mu*t)), and
        exp(-mu*t)*(1 + C*mu*t) when d = mu (evaluated without cancellation)."""
        t = validate.nonneg("sojourn_tail.t", t, "seconds")
        d, mu, C = self.decay, self.mu, self.P_wait
        if self.c == 1:
            return math.exp(-d * t)
        diff = mu - d
        # g = (exp(-d t) - exp(-mu t))/(mu - d), factored on the slower exponential so that only
        # decaying exponentials are formed (c*mu - lam may exceed mu by far: c = 2000)
        if diff == 0.0:
            g = t * math.exp(-mu * t)
        elif diff > 0:
            g = -math.exp(-d * t) * math.expm1(-diff * t) / diff
        else:
            g = -math.exp(-mu * t) * math.expm1(diff * t) / -diff
        return min(1.0, math.exp(-mu * t) + C * mu * g)

    def sojourn_cdf(self, t: float) -> float:
        """P(T <= t) for the sojourn T (s)."""
        return 1.0 - self.sojourn_tail(t)

    def sojourn_quantile(self, p: float) -> float:
        """p-quantile of the sojourn T (s): -ln(1-p)/(mu - lam) for c = 1, else solved by
        bisection on :meth:`sojourn_tail` (to machine precision)."""
        p = validate.probability("sojourn_quantile.p", p)
        if p == 0.0:
            return 0.0
        if self.c == 1:
            return -math.log1p(-p) / self.decay
        target = 1.0 - p
        lo, hi = 0.0, 1.0 / min(self.mu, self.decay)
        while self.sojourn_tail(hi) > target and math.isfinite(2.0 * hi):
            lo, hi = hi, 2.0 * hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if self.sojourn_tail(mid) > target:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    def prob_n(self, n: int) -> float:
        """P(N = n), N = number in system: C*(1-rho)*rho^(n-c) for n >= c, and
        p_{k-1} = p_k*k/a below c (stable downward recursion)."""
        n = validate.integer("prob_n.n", n, lo=0)
        rho = self.lam / (self.c * self.mu)
        pc = self.P_wait * (1.0 - rho)
        if n >= self.c:
            return pc * rho ** (n - self.c)
        a = self.lam / self.mu
        p = pc
        for k in range(self.c, n, -1):
            p = p * k / a
        return p

    def prob_at_least(self, n: int) -> float:
        """P(N >= n): C*rho^(n-c) for n >= c (rho^n for M/M/1)."""
        n = validate.integer("prob_at_least.n", n, lo=0)
        rho = self.lam / (self.c * self.mu)
        if n >= self.c:
            return self.P_wait * rho ** (n - self.c)
        a = self.lam / self.mu
        tot, p = self.P_wait, self.P_wait * (1.0 - rho)
        for k in range(self.c, n, -1):  # p_{k-1} from p_k
            p = p * k / a
            tot += p
        return min(1.0, tot)


def _mmc(where: str, lam: float, mu: float, c: int, hint: str) -> MMcMetrics:
    lam = validate.positive(f"{where}.lam", lam, "per second")
    mu = validate.positive(f"{where}.mu", mu, "per second")
    c = _servers(f"{where}.c", c)
    a = lam / mu
    rho = a / c
    if not math.isfinite(a):
        raise ValueError(f"{where}: lam/mu = {lam:g}/{mu:g} overflows; rescale the time unit")
    if rho >= 1:
        expr = "lam/mu" if where == "mm1" else "lam/(c*mu)"
        raise UnstableError.of(where, expr, rho, hint)
    if c == 1:
        C = rho
        Wq = rho / (mu - lam)
    else:
        gap = spare(lam, mu, c)  # 1 - rho, exactly rounded
        B = _erlang_b(c, a)
        C = B / (gap + rho * B)  # = B / (1 - rho (1 - B))
        Wq = C / (c * mu * gap)
    W = Wq + 1.0 / mu
    return MMcMetrics(
        model=f"M/M/{c}", formula="M/M/1" if c == 1 else "Erlang C",
        rho=rho, L=lam * W, Lq=lam * Wq, W=W, Wq=Wq, throughput=lam, P_wait=C, loss=0.0,
        lam=lam, mu=mu, c=c, extras={"busy_servers": a},
    )


def mm1(lam: float, mu: float) -> MMcMetrics:
    """M/M/1: Poisson(lam) arrivals, Exp(mu) service, one server, infinite FCFS queue.

    rho = lam/mu < 1; L = rho/(1-rho), Lq = rho^2/(1-rho), W = 1/(mu-lam), Wq = rho/(mu-lam).
    The result's methods give P(Wq > t) = rho*exp(-(mu-lam)t), P(T > t) = exp(-(mu-lam)t), their
    quantiles and P(N >= n) = rho^n. Raises :class:`UnstableError` when rho >= 1.

    >>> import mqsim as mq
    >>> m = mq.theory.mm1(lam=0.8, mu=1.0)        # 0.8 messages/s, mean service 1 s
    >>> round(m.rho, 4), round(m.Wq, 4), round(m.W, 4), round(m.L, 4)   # times in seconds
    (0.8, 4.0, 5.0, 4.0)
    >>> round(m.wait_tail(1.0), 4)                # P(wait > 1 s)
    0.655
    >>> mq.theory.mm1(lam=1.2, mu=1.0)
    Traceback (most recent call last):
    ...
    mqsim.theory.results.UnstableError: mm1: utilisation rho = lam/mu = 1.2 must be < 1 for an infinite queue; ...
    """
    return _mmc("mm1", lam, mu, 1, "use mm1k for a finite one")


def mmc(lam: float, mu: float, c: int) -> MMcMetrics:
    """M/M/c (Erlang C): Poisson(lam), ``c`` Exp(mu) servers sharing one FCFS queue.

    C = Erlang C(c, lam/mu); Wq = C/(c*mu - lam); Lq = lam*Wq; W = Wq + 1/mu; L = lam*W.
    ``P_wait`` is C; P(Wq > t) = C*exp(-(c*mu - lam)t) (see :class:`MMcMetrics`).
    Raises :class:`UnstableError` when rho = lam/(c*mu) >= 1.

    >>> import mqsim as mq
    >>> m = mq.theory.mmc(lam=2.4, mu=1.0, c=3)   # 2.4 messages/s, 3 consumers, mean service 1 s
    >>> round(m.P_wait, 4), round(m.Wq, 4)        # Erlang C and the mean wait (s)
    (0.6472, 1.0787)
    >>> round(m.wait_quantile(0.95), 3)           # 95th percentile of the wait (s)
    4.268
    """
    return _mmc("mmc", lam, mu, c, "use mmck for a finite one")


# --------------------------------------------------------------------------------------------
# M/M/c/K (and M/M/1/K)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FiniteMetrics(QueueMetrics):
    """:class:`QueueMetrics` of an M/M/c/K queue plus its state probabilities ``probs[n]``,
    n = 0..K (number in system, including those in service); ``probs`` is empty when K is above
    :data:`MAX_STORED_STATES` (use :meth:`prob_n`)."""

    c: int = 1
    K: int = 1
    probs: tuple[float, ...] = field(default=(), repr=False)
    log_pc: float = field(default=math.nan, repr=False)  # log P(N = c)
    log_rho: float = field(default=math.nan, repr=False)  # log(a/c)
    a: float = field(default=math.nan, repr=False)  # offered load lam/mu (Erlangs)

    def prob_n(self, n: int) -> float:
        """P(N = n) for n in 0..K (0 above K)."""
        n = validate.integer("prob_n.n", n, lo=0)
        if n > self.K:
            return 0.0
        if self.probs:
            return self.probs[n]
        if n >= self.c:
            return math.exp(self.log_pc + (n - self.c) * self.log_rho)
        lp = self.log_pc
        for k in range(self.c, n, -1):  # p_{k-1} = p_k * k / a
            lp += math.log(k / self.a)
        return math.exp(lp)


def _log_geom(L: float, n: int) -> float:
    """log of sum_{j=0}^{n-1} exp(j*L) (n >= 1 terms), without overflow or cancellation."""
    if L == 0.0:
        return math.log(n)
    if L < 0:
        return math.log(-math.expm1(n * L)) - math.log(-math.expm1(L))
    return (n - 1) * L + math.log(-math.expm1(-n * L)) - math.log(-math.expm1(-L))


def _geom_mean(L: float, m: int) -> float:
    """Mean of j on {0, ..., m} with weights exp(j*L) (a truncated geometric law)."""
    if m == 0:
        return 0.0
    x = abs(L) * (m + 1)
    if x < 1e-4:  # cumulants of the discrete uniform law: mean m/2, variance ((m+1)^2-1)/12, ...
        n = m + 1.0
        return m / 2.0 + L * (n * n - 1.0) / 12.0 - L**3 * (n**4 - 1.0) / 720.0
    if L < 0:
        return _inv_expm1(-L) - (m + 1) * _inv_expm1(-(m + 1) * L)
    return m - (_inv_expm1(L) - (m + 1) * _inv_expm1((m + 1) * L))


def _inv_expm1(x: float) -> float:
    """1/(e^x - 1) for x > 0, 0 where e^x overflows."""
    return 0.0 if x > 700 else 1.0 / math.expm1(x)


def _mmck(where: str, lam: float, mu: float, c: int, K: int) -> FiniteMetrics:
    """M/M/c/K in O(c): log weights a^n/n! up to c, the geometric part above c in closed form."""
    import numpy as np

    lam = validate.positive(f"{where}.lam", lam, "per second")
    mu = validate.positive(f"{where}.mu", mu, "per second")
    c = _servers(f"{where}.c", c)
    K = validate.integer(f"{where}.K", K, lo=1)
    if K < c:
        raise ValueError(f"{where}.K: must be an integer >= c (= {c}), the total capacity "
                         f"including messages in service, got {K}")
    a = lam / mu
    if not math.isfinite(a):
        raise ValueError(f"{where}: lam/mu = {lam:g}/{mu:g} overflows; rescale the time unit")
    a = max(a, 5e-324)  # lam/mu below the smallest double: an empty queue, still well defined
    m = K - c
    L = math.log(a) - math.log(c)
    lw = np.concatenate([[0.0], np.cumsum(np.log(a / np.arange(1, c + 1, dtype=float)))])
    lwc = float(lw[c])
    lS1 = L + _log_geom(L, m) if m >= 1 else -math.inf  # log sum_{j=1}^{m} rho^j
    Mx = max(float(lw.max()), lwc + lS1)
    e = np.exp(lw - Mx)
    tail = math.exp(lwc + lS1 - Mx) if m >= 1 else 0.0
    Z = math.fsum(e.tolist()) + tail
    p_block = math.exp(lwc + m * L - Mx) / Z
    if m == 0:
        adm = math.fsum(e[:c].tolist())
    else:
        adm = math.fsum(e.tolist()) + (math.exp(lwc + L + _log_geom(L, m - 1) - Mx) if m >= 2 else 0.0)
    admitted = adm / Z  # 1 - p_K without cancellation
    Eg = _geom_mean(L, m)
    wG = math.exp(lwc + _log_geom(L, m + 1) - Mx)  # w_c * sum_{j=0}^{m} rho^j, scaled
    Lq = Eg * wG / Z
    Lsys = (math.fsum((np.arange(c + 1) * e).tolist()) + c * tail + Eg * wG) / Z
    P_wait = math.exp(lwc + _log_geom(L, m) - Mx) / adm if m >= 1 else 0.0
    lam_eff = lam * admitted
    log_pc = lwc - Mx - math.log(Z)
    probs: tuple[float, ...] = ()
    if K <= MAX_STORED_STATES:
        probs = tuple((e / Z).tolist()) + tuple(np.exp(log_pc + np.arange(1, m + 1) * L).tolist())
    return FiniteMetrics(
        model=f"M/M/{c}/{K}", formula="M/M/1/K" if c == 1 else "M/M/c/K",
        rho=a / c, L=Lsys, Lq=Lq, W=Lsys / lam_eff, Wq=Lq / lam_eff, throughput=lam_eff,
        P_wait=min(P_wait, 1.0), loss=p_block, c=c, K=K, probs=probs, log_pc=log_pc, log_rho=L, a=a,
        extras={"p0": math.exp(-Mx) / Z, "p_block": p_block, "loss_rate": lam * p_block,
                "busy_servers": lam_eff / mu, "carried_utilisation": lam_eff / (c * mu)},
    )


def mm1k(lam: float, mu: float, K: int) -> FiniteMetrics:
    """M/M/1/K: M/M/1 with at most ``K`` messages in the system (1 in service + K-1 waiting).

    Stable for any rho = lam/mu. p_n = (1-rho)rho^n/(1-rho^(K+1)) (1/(K+1) at rho = 1);
    ``loss`` = p_K (PASTA); throughput = lam*(1-p_K); W = L/throughput, Wq = Lq/throughput
    (means over *admitted* messages). ``rho`` is the offered lam/mu.
    """
    return _mmck("mm1k", lam, mu, 1, K)


def mmck(lam: float, mu: float, c: int, K: int) -> FiniteMetrics:
    """M/M/c/K: ``c`` Exp(mu) servers, at most ``K`` >= c messages in the system (K - c waiting).

    Stable for any load. ``loss`` = p_K; throughput = lam*(1-p_K); L, Lq are time averages;
    W, Wq are means over admitted messages (Little with lam_eff); ``P_wait`` = P(wait | admitted)
    = sum_{n=c}^{K-1} p_n/(1-p_K). ``rho`` is the offered lam/(c*mu) (may exceed 1);
    ``extras['carried_utilisation']`` is lam_eff/(c*mu).

    Broker mapping: c consumers at prefetch 1 and ``x-max-length = m`` (ready messages only) is
    M/M/c/(c+m). The overflow policy does not change the number-in-system chain, so the loss
    probability p_K, throughput, L and Lq are the same for ``reject-publish`` and
    ``drop-head``; under drop-head the messages lost are older ones, and the mean wait of
    *delivered* messages is shorter: use :func:`mmck_drop_head` for it.
    """
    return _mmck("mmck", lam, mu, c, K)


def mmck_drop_head(lam: float, mu: float, c: int, K: int) -> FiniteMetrics:
    """M/M/c/K with drop-head overflow (RabbitMQ's default): an arrival that finds the K - c
    waiting places full is enqueued and the *oldest* waiting message is dropped.

    The number in system is the same chain as :func:`mmck`, so ``loss`` = p_K, throughput, L
    and Lq are equal to reject-publish's. What differs is who is lost: here ``Wq``, ``W`` and
    ``P_wait`` are over *delivered* messages, computed exactly from the tagged-message absorbing
    chain (state = position in line, line length; a service completion moves the line on, an
    arrival at a full line pushes the head out). ``extras['P_delivered']`` equals 1 - p_K, and
    ``extras['mean_queue_time_all']`` = Lq/lam is the mean time in the waiting room over all
    arrivals (dropped ones included), which is what Little's law gives here. Cost O((K-c)^2).
    """
    base = _mmck("mmck_drop_head", lam, mu, c, K)
    lam, mu, c, K = float(lam), float(mu), base.c, base.K
    p, Kq = base.probs, K - c
    if Kq > DROP_HEAD_MAX_WAITING:
        raise ValueError(f"mmck_drop_head.K: K - c = {Kq} waiting places; the tagged-message chain has "
                         f"(K-c)^2/2 states, so at most {DROP_HEAD_MAX_WAITING} are allowed; mmck gives the "
                         "loss, throughput, L and Lq (the same for drop-head)")
    deliv0 = math.fsum(p[:c])  # served at once, wait 0
    if Kq == 0:  # no waiting room: whoever finds all busy is lost, as in Erlang B
        P_del, EV, P_waited = deliv0, 0.0, 0.0
    else:
        q = lam + c * mu
        sa, ss = lam / q, c * mu / q
        # D[j][m], V[j][m] for 1 <= j <= m <= Kq: P(delivered) and E[wait * 1{delivered}]
        D = [[0.0] * (Kq + 1) for _ in range(Kq + 1)]
        V = [[0.0] * (Kq + 1) for _ in range(Kq + 1)]
        for j in range(1, Kq + 1):
            for m in range(Kq, j - 1, -1):
                if j == 1:
                    d_s, v_s = 1.0, 0.0
                else:
                    d_s, v_s = D[j - 1][m - 1], V[j - 1][m - 1]
                if m < Kq:
                    d_a, v_a = D[j][m + 1], V[j][m + 1]
                elif j == 1:
                    d_a, v_a = 0.0, 0.0  # the tagged message is the head: dropped
                else:
                    d_a, v_a = D[j - 1][Kq], V[j - 1][Kq]
                d = ss * d_s + sa * d_a
                D[j][m] = d
                V[j][m] = d / q + ss * v_s + sa * v_a
        P_del, EV, P_waited = deliv0, 0.0, 0.0
        for n in range(c, K + 1):
            j = n - c + 1 if n < K else Kq
            P_del += p[n] * D[j][j]
            P_waited += p[n] * D[j][j]
            EV += p[n] * V[j][j]
    Wq = EV / P_del
    extras = dict(base.extras)
    extras.update({"P_delivered": P_del, "mean_queue_time_all": base.Lq / lam,
                   "Wq_reject_publish": base.Wq})
    return replace(base, formula="M/M/c/K drop-head (tagged-message chain)", W=Wq + 1.0 / mu,
                   Wq=Wq, P_wait=P_waited / P_del, extras=extras)
