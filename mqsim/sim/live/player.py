"""``mqsim.live.run``: play a scenario against a real RabbitMQ broker, on the simulator's sample path.

>>> with mqsim.live.rabbitmq() as url:                                     # doctest: +SKIP
...     live = mqsim.live.run(sc, url, duration=120, seed=1)
...     sim = mqsim.simulate(sc, horizon=120, seed=1)                    # the same sample path
...     mqsim.live.compare(sim, live)

Steps: (1) run the simulator on the scenario and seed (:func:`~mqsim.sim.live.plan.make_plan`):
its arrival times, service requirements, verdicts, crash and restart times are the plan;
(2) declare the scenario's queues with their own arguments (:mod:`~mqsim.sim.live.topology`);
(3) start one observer, one consumer thread per scenario consumer and the publisher
(:mod:`~mqsim.sim.live.clients`); restart the broker at the plan's restart times (a private
broker only); (4) at the horizon, stop the consumers (what they hold is in flight), drain the
queues (what is left is ready), delete the run's queues; (5) build the records from the broker's
reports (:mod:`~mqsim.sim.live.assemble`) and return a :class:`LiveResult`
(``engine == "rabbitmq"``).

``time_scale`` (scenario seconds per real second, default 1) runs a slow scenario faster: every
publish time, service requirement, TTL and downtime is divided by it on the broker and every
reported time multiplied back, so results are in scenario seconds. The broker's own latencies
(about 1 ms) are *not* scaled: they weigh ``time_scale`` times more in scenario seconds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Iterator

from mqsim.model.validate import check_run_window, number
from mqsim.sim.live.assemble import Reports, assemble
from mqsim.sim.live.broker import PrivateBroker, check_loopback_url
from mqsim.sim.live.clients import Clock, Consumer, Observer, Publisher, Run, drain, with_channel
from mqsim.sim.live.plan import Plan, make_plan
from mqsim.sim.live.topology import Topology, check_live_scenario
from mqsim.sim.result import Result
from mqsim.sim.streams import resolve_seed

__all__ = ["run", "LiveResult", "require_pika"]


class LiveResult(Result):
    """A :class:`mqsim.Result` of a live run (``engine == "rabbitmq"``), plus:

    ``sim``: the simulator's run on the same sample path (the plan); ``report``: the broker's
    cross-checks (publish confirms, dead-letter reports, duplicates, fallback draws, publish
    lateness, restart times); ``time_scale``.
    """

    sim: Result
    report: dict[str, Any]
    time_scale: float


def require_pika() -> Any:
    """The ``pika`` module, or an ``ImportError`` saying how to install it."""
    try:
        import pika
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("mqsim.live needs pika: pip install 'mqsim[live]' (or pip install pika)") from None
    return pika


@contextlib.contextmanager
def _broker(url: str | None) -> Iterator[tuple[str, PrivateBroker | None]]:
    if url is None:
        with PrivateBroker("mqsimrun") as b:
            yield b.url, b
        return
    yield check_loopback_url(str(url)), getattr(url, "broker", None)


def run(scenario: Any, url: str | None = None, duration: float = 60.0, seed: int | None = 1, *,
        time_scale: float = 1.0, warmup: float = 0.0) -> LiveResult:
    """Play ``scenario`` for ``duration`` scenario seconds on the broker at ``url`` (a private broker
    started for the run when None) with the simulator's sample path for ``seed``; see the module doc.

    warmup: scenario seconds excluded from the statistics (as in :func:`mqsim.simulate`).
    Raises ``ValueError`` for a scenario the broker cannot play (Kafka, pipelines, tail requeue,
    a quorum queue with priorities; restarts need a private broker), ``ImportError`` without pika,
    :class:`~mqsim.sim.live.broker.BrokerNotInstalled` without ``rabbitmq-server``.
    """
    sc = check_live_scenario(scenario)
    duration, warmup = check_run_window(duration, warmup)
    scale = number("time_scale", time_scale, lo=0.0, lo_open=True, hi=1000.0, unit="scenario seconds per real second")
    seed = resolve_seed(seed)
    require_pika()
    if sc.restarts is not None and url is not None and getattr(url, "broker", None) is None:
        raise ValueError("scenario.restarts: restarting the broker needs a private broker: call run(..., url=None) "
                         "or pass the URL that mqsim.live.rabbitmq() yields")
    plan = make_plan(sc, seed, duration)
    with _broker(url) as (amqp_url, broker), _quiet_pika():
        rep = _play(plan, Topology.new(sc, scale), amqp_url, broker)
    rec, report = assemble(plan, rep)
    res = LiveResult(sc, rec, horizon=duration, warmup=warmup, seed=seed, engine="rabbitmq")
    res.sim, res.report, res.time_scale = plan.sim, report, scale
    return res


@contextlib.contextmanager
def _quiet_pika() -> Iterator[None]:
    """pika logs every refused reconnection attempt (expected during a restart) as an ERROR."""
    log = logging.getLogger("pika")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _play(plan: Plan, topo: Topology, url: str, broker: PrivateBroker | None) -> Reports:
    """Declare, run every client until the horizon, drain, clean up; the clients' reports."""
    with_channel(url, topo.declare_all)
    r = Run(plan, topo, Clock(topo.time_scale), url)
    observer = Observer(r)
    observer.start()
    consumers = [Consumer(r, k, j) for k in range(len(plan.scenario.node_names))
                 for j in range(plan.scenario.node(k)[1].count)]
    publisher = Publisher(r)
    restarts: list[tuple[float, float]] = []
    try:
        for c in consumers:
            c.start()
        publisher.start()
        clients: tuple[Observer | Publisher | Consumer, ...] = (observer, publisher, *consumers)
        for t in clients:
            if not t.connected.wait(timeout=30):
                raise RuntimeError(f"live run: the {t.name} thread could not connect to {url}: {t.error!r}")
        r.clock = Clock(topo.time_scale)  # time 0: every client is connected and starts now
        r.go.set()
        publisher.begin()
        for down, back in plan.restarts:
            restarts.append(_restart(r, broker, down, back))
        r.clock.sleep_until(plan.horizon)
        r.stop.set()
        for c in consumers:
            c.join(timeout=30)
        _settle_publisher(publisher)
        drained = drain(url, topo, r.clock)
        time.sleep(0.2)  # late dead-letter reports (after the horizon: the message was ready then)
    finally:
        r.stop.set()
        publisher.shutdown()
        publisher.join(timeout=10)
        observer.halt.set()
        observer.join(timeout=10)
        with contextlib.suppress(Exception):
            with_channel(url, topo.delete_all, attempts=3)
    in_report_order: tuple[Publisher | Observer | Consumer, ...] = (publisher, observer, *consumers)
    for t in in_report_order:
        if t.error is not None:
            raise RuntimeError(f"live run: the {t.name} thread failed: {t.error!r}") from t.error
    return Reports(pub=publisher.pub, attempts=[row for c in consumers for row in c.log], deaths=observer.log,
                   drained=drained, restarts=restarts)


def _settle_publisher(publisher: Publisher, timeout: float = 5.0) -> None:
    """Give outstanding publisher confirms a moment to arrive."""
    t_end = time.monotonic() + timeout
    while publisher.outstanding() and time.monotonic() < t_end:
        time.sleep(0.01)


def _restart(r: Run, broker: PrivateBroker | None, down: float, back: float) -> tuple[float, float]:
    """Stop the broker application at scenario time ``down``, start it again at ``back`` (or as soon
    as it has stopped); the (down, back) scenario times it really took."""
    assert broker is not None  # checked by run()
    r.clock.sleep_until(down)
    t_down = r.clock.now()
    r.down.set()
    broker.ctl("stop_app")
    r.clock.sleep_until(back)
    broker.ctl("start_app")
    r.down.clear()
    return t_down, r.clock.now()
