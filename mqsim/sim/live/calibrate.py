"""Measure what a real broker adds to the ideal queue: dispatch overhead, publish latency, persistence.

:func:`calibrate` measures with the live player itself (the very code path a comparison uses):

* **dispatch overhead** — one consumer at prefetch 1 serves a prefilled queue, each message for a
  fixed 2 ms; the overhead of a delivery is the time from the *intended* end of one service to
  the start of the next (the ack's trip to the broker, its dispatch of the next message, the
  delivery's trip back, the client's parsing, and the sleep's overshoot). Measured on a 2-core
  Debian machine: about 1 ms mean, p99 3-4 ms.
* **client overhead** — the same at prefetch 20: the next message is already at the consumer, so
  the gap between services is the client's own work per message (receiving, acking, handing
  over), which a prefetch window does not hide; about half the dispatch overhead with pika.
* **publish latency** — messages published 20 ms apart to an idle consumer; the latency is publish
  to service start (about 1.3 ms median, p99 14-18 ms).

:meth:`Calibration.apply` puts the mean dispatch and client overheads into a scenario
(``Consumers.dispatch_overhead`` and ``client_overhead`` of every queue), so the simulator
includes them.

:func:`persistence_cost` measures what ``delivery_mode=2`` costs against transient messages on a
durable queue: publish throughput with a confirm per message (as simple pika code does), publish
throughput without confirms (until the queue holds them all), and the publish-to-confirm latency.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mqsim.model.dist import Deterministic
from mqsim.model.scenario import Consumers, Producer, Queue, Scenario, Stage
from mqsim.model.validate import integer
from mqsim.sim.live.clients import connect
from mqsim.sim.live.player import LiveResult, run

__all__ = ["Calibration", "calibrate", "persistence_cost", "overheads"]

SERVICE = 0.002  # s: the fixed service of the dispatch measurement
CLIENT_PREFETCH = 20  # the prefetch window of the client-overhead measurement
SPACING = 0.02  # s: publish spacing of the latency measurement


@dataclass(frozen=True)
class Calibration:
    """A broker's measured overheads (seconds)."""

    dispatch_overhead: float
    dispatch_p50: float
    dispatch_p99: float
    publish_latency: float
    publish_p50: float
    publish_p99: float
    samples: int
    client_overhead: float = 0.0
    client_p50: float = 0.0
    gaps: tuple[float, ...] = field(default=(), repr=False)
    latencies: tuple[float, ...] = field(default=(), repr=False)

    def apply(self, scenario: Scenario, overhead: float | None = None, time_scale: float = 1.0,
              client: float | None = None) -> Scenario:
        """``scenario`` with ``Consumers.dispatch_overhead`` = the mean dispatch overhead (or
        ``overhead``, real seconds) and ``Consumers.client_overhead`` = the mean client overhead
        (or ``client``) at every queue; for a live run with ``time_scale`` an overhead weighs that
        many scenario seconds per real second."""
        ov = (self.dispatch_overhead if overhead is None else overhead) * time_scale
        cl = (self.client_overhead if client is None else client) * time_scale

        def cons(c: Consumers) -> Consumers:
            return Consumers.from_dict({**c.to_dict(), "dispatch_overhead": float(ov), "client_overhead": float(cl)})

        stages = [Stage(st.name, st.queue, cons(st.consumers)) for st in scenario.stages]
        return replace(scenario, consumers=cons(scenario.consumers), stages=stages)

    def as_dict(self) -> dict[str, float]:
        keys = ("dispatch_overhead", "dispatch_p50", "dispatch_p99", "client_overhead", "client_p50",
                "publish_latency", "publish_p50", "publish_p99", "samples")
        return {k: getattr(self, k) for k in keys}


def overheads(res: LiveResult, service: float | None = None) -> np.ndarray:
    """Per-delivery overheads (s) of a live run whose queue never ran empty: next start minus
    (start + requirement) for consecutive services of each consumer (at prefetch 1 the dispatch
    overhead; with a larger prefetch, the client overhead)."""
    m = res.messages
    m = m[m["outcome"] == "acked"].sort_values(["consumer", "t_start"])
    out = []
    for _, g in m.groupby("consumer"):
        st = g["t_start"].to_numpy()
        sv = g["service"].to_numpy() if service is None else np.full(len(g), service)
        out.append(st[1:] - (st[:-1] + sv[:-1]))
    return np.concatenate(out) if out else np.array([])


def calibrate(url: str | None = None, n: int = 300, seed: int = 1) -> Calibration:
    """Measure the broker at ``url`` (a private one when None): ``n`` deliveries for each overhead."""
    n = integer("n", n, 20, 100_000)
    busy = Scenario(producers=[Producer("prefill", trace={"times": [0.001 * (i + 1) / n for i in range(n)]})],
                    consumers=Consumers(count=1, service=Deterministic(value=SERVICE), prefetch=1),
                    queue=Queue(), name="calibrate-dispatch")
    idle = Scenario(producers=[Producer("spaced", trace={"times": [SPACING * (i + 1) for i in range(n)]})],
                    consumers=Consumers(count=1, service=Deterministic(value=SERVICE / 2), prefetch=1),
                    queue=Queue(), name="calibrate-latency")
    buffered = replace(busy, consumers=Consumers(count=1, service=Deterministic(value=SERVICE),
                                                 prefetch=CLIENT_PREFETCH), name="calibrate-client")
    r1 = run(busy, url, duration=0.5 + n * (SERVICE + 0.01), seed=seed)
    r2 = run(idle, url, duration=SPACING * (n + 2), seed=seed)
    r3 = run(buffered, url, duration=0.5 + n * (SERVICE + 0.01), seed=seed)
    gaps, client = overheads(r1), overheads(r3)
    w = r2.messages
    lat = w.loc[w["outcome"] == "acked", "wait"].to_numpy()
    return Calibration(dispatch_overhead=float(gaps.mean()), dispatch_p50=float(np.median(gaps)),
                       dispatch_p99=float(np.quantile(gaps, 0.99)), publish_latency=float(lat.mean()),
                       publish_p50=float(np.median(lat)), publish_p99=float(np.quantile(lat, 0.99)),
                       samples=int(min(len(gaps), len(lat), len(client))), client_overhead=float(client.mean()),
                       client_p50=float(np.median(client)), gaps=tuple(gaps.tolist()), latencies=tuple(lat.tolist()))


def _confirmed_publishes(ch: Any, queue: str, n: int, mode: int) -> tuple[float, np.ndarray]:
    import pika

    props = pika.BasicProperties(delivery_mode=mode)
    lat = np.empty(n)
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        ch.basic_publish("", queue, b"x" * 64, props)  # blocks until the broker confirms
        lat[i] = time.perf_counter() - t
    return n / (time.perf_counter() - t0), lat


def _unconfirmed_publishes(ch: Any, queue: str, n: int, mode: int) -> float:
    import pika

    props = pika.BasicProperties(delivery_mode=mode)
    t0 = time.perf_counter()
    for _ in range(n):
        ch.basic_publish("", queue, b"x" * 64, props)
    while ch.queue_declare(queue, durable=True, passive=True).method.message_count < n:
        time.sleep(0.001)
    return n / (time.perf_counter() - t0)


def persistence_cost(url: str, n: int = 2000) -> dict[str, dict[str, float]]:
    """Transient vs persistent publishing on a durable queue at ``url``: ``{mode: {metric: value}}``
    with ``confirmed_rate`` (msg/s, a confirm awaited per message), ``unconfirmed_rate`` (msg/s until
    the queue holds all ``n``), ``confirm_p50_ms`` and ``confirm_p99_ms``."""
    n = integer("n", n, 10, 1_000_000)
    out: dict[str, dict[str, float]] = {}
    conn = connect(url, attempts=10)
    try:
        ch = conn.channel()
        for label, mode in (("transient", 1), ("persistent", 2)):
            q = f"mqsim.persistence.{label}.{time.monotonic_ns()}"
            ch.queue_declare(q, durable=True)
            rate_u = _unconfirmed_publishes(ch, q, n, mode)
            ch.queue_purge(q)
            ch.confirm_delivery()
            rate_c, lat = _confirmed_publishes(ch, q, n, mode)
            ch.queue_delete(q)
            ch.close()
            ch = conn.channel()
            out[label] = {"confirmed_rate": rate_c, "unconfirmed_rate": rate_u,
                          "confirm_p50_ms": float(np.median(lat) * 1e3),
                          "confirm_p99_ms": float(np.quantile(lat, 0.99) * 1e3)}
    finally:
        conn.close()
    return out
