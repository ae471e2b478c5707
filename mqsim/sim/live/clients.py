"""The AMQP clients of a live run: one publisher, one consumer per scenario consumer, one observer.

Every client is a thread with its **own connection and channel** (pika), so each consumer has its
own prefetch window and a crash closes only its own channel, as with separate consumer processes;
the threads spend their time in ``sleep`` and socket waits, which release the GIL. Times are
kept on one monotonic clock (:class:`Clock`, scenario seconds since the start of the run).

* :class:`Publisher` (pika ``SelectConnection``, publisher confirms): publishes each message of
  the plan at its time (``basic_publish`` to the queue, ``mandatory``), priority, ``expiration``
  and ``delivery_mode``; records the broker's answer (confirmed, nacked, returned) per message.
  While the broker is down (a restart) a due message is refused, as in the simulator.
* :class:`Consumer` (pika ``BlockingConnection``): ``basic.qos(prefetch)``, ``basic.consume``;
  serves each delivery for the plan's requirement (a sleep), then acks, nacks with requeue or
  rejects as the plan says; crashes (closes its connection) and recovers at the plan's times;
  reconnects after a broker restart.
* :class:`Observer`: consumes the run's observer queue (every dead-lettered message, see
  :mod:`~mqsim.sim.live.topology`) and records each message's ``x-death`` reason and time.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable

from mqsim.sim.live.plan import VERDICTS, Plan
from mqsim.sim.live.topology import Topology

__all__ = ["Clock", "Publisher", "Consumer", "Observer", "amqp_errors", "connect", "HEADER"]

HEADER = "mqsim-id"  # the plan id of a message, in its headers
EARLY = 0.0002  # s: a message due this soon is published now (the ioloop's timers are no finer)


def amqp_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a lost connection raises (pika's, and socket errors)."""
    import pika.exceptions as pe

    return (pe.AMQPError, OSError, AssertionError)


def connect(url: str, attempts: int = 1) -> Any:
    """A pika ``BlockingConnection`` to ``url`` (heartbeats off: the threads may sleep for a service)."""
    import pika

    params = pika.URLParameters(url)
    params.heartbeat = 0
    params.blocked_connection_timeout = None
    params.connection_attempts = attempts
    params.retry_delay = 0.1
    return pika.BlockingConnection(params)


class Clock:
    """Scenario time on one monotonic clock: ``now()`` = (real seconds since start) * time_scale."""

    def __init__(self, time_scale: float = 1.0):
        self.scale = float(time_scale)
        self.t0 = time.perf_counter()

    def now(self) -> float:
        return (time.perf_counter() - self.t0) * self.scale

    def real(self, t: float) -> float:
        """The ``perf_counter`` instant of scenario time ``t``."""
        return self.t0 + t / self.scale

    def sleep_until(self, t: float, stop: threading.Event | None = None) -> None:
        """Sleep until scenario time ``t`` (or ``stop`` is set)."""
        while True:
            rem = self.real(t) - time.perf_counter()
            if rem <= 0 or (stop is not None and stop.is_set()):
                return
            time.sleep(min(rem, 0.05))


class Run:
    """What the clients share: plan, topology, clock, URL, the stop flag and per-message counts."""

    def __init__(self, plan: Plan, topo: Topology, clock: Clock, url: str):
        self.plan, self.topo, self.clock, self.url = plan, topo, clock, url
        self.stop = threading.Event()
        self.go = threading.Event()  # every client is connected: the clock has started
        self.down = threading.Event()  # the broker is being restarted
        self._lock = threading.Lock()
        self._deliveries: dict[tuple[int, int], int] = {}
        self._settlements: dict[tuple[int, int], int] = {}

    def next_delivery(self, k: int, m: int) -> int:
        with self._lock:
            d = self._deliveries[(k, m)] = self._deliveries.get((k, m), 0) + 1
        return d

    def next_settlement(self, k: int, m: int) -> int:
        with self._lock:
            n = self._settlements[(k, m)] = self._settlements.get((k, m), 0) + 1
        return n


class Publisher(threading.Thread):
    """Publishes the plan's messages at their times; logs ``pub[m] = [t_publish, fate, t_fate]``."""

    def __init__(self, run: Run):
        super().__init__(name="mqsim-publisher", daemon=True)
        self.run_ = run
        self.pub: list[list[Any]] = [[float("nan"), "", float("nan")] for _ in range(run.plan.n)]
        self.i = 0
        self.pending: dict[int, int] = {}  # delivery tag -> plan id
        self.tag = 0
        self.ready = False
        self.closing = False
        self.error: BaseException | None = None
        self.conn: Any = None
        self.ch: Any = None
        self.ioloop: Any = None
        self.connected = threading.Event()

    # ---- connection --------------------------------------------------------------------
    def _connect(self) -> None:
        import pika

        params = pika.URLParameters(self.run_.url)
        params.heartbeat = 0
        self.conn = pika.SelectConnection(params, on_open_callback=self._on_open,
                                          on_open_error_callback=self._on_open_error,
                                          on_close_callback=self._on_closed, custom_ioloop=self.ioloop)
        if self.ioloop is None:
            self.ioloop = self.conn.ioloop

    def _on_open(self, conn: Any) -> None:
        conn.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, conn: Any, exc: BaseException) -> None:
        if not self.closing:
            self.ioloop.call_later(0.1, self._connect)
        else:
            self.ioloop.stop()

    def _on_closed(self, conn: Any, reason: BaseException) -> None:
        self.ready = False
        self.ch = None
        for m in self.pending.values():  # no answer will come on this connection
            self.pub[m][1] = "unconfirmed"
        self.pending.clear()
        if self.closing:
            self.ioloop.stop()
        else:
            self.ioloop.call_later(0.1, self._connect)

    def _on_channel(self, ch: Any) -> None:
        self.ch = ch
        self.tag = 0
        ch.confirm_delivery(self._on_confirm)
        ch.add_on_return_callback(self._on_return)
        topo = self.run_.topo
        ch.queue_declare(topo.queue(0), durable=topo.durable(0), arguments=topo.arguments(0),
                         callback=lambda _frame: self._set_ready())

    def _set_ready(self) -> None:
        self.ready = True
        self.connected.set()

    # ---- broker answers ------------------------------------------------------------------
    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        fate = "confirmed" if method.NAME == "Basic.Ack" else "nacked"
        tags = [t for t in self.pending if t <= method.delivery_tag] if method.multiple else [method.delivery_tag]
        now = self.run_.clock.now()
        for t in tags:
            m = self.pending.pop(t, None)
            if m is not None and self.pub[m][1] in ("", "sent"):
                self.pub[m][1], self.pub[m][2] = fate, now

    def _on_return(self, ch: Any, method: Any, props: Any, body: bytes) -> None:
        m = int((props.headers or {}).get(HEADER, -1))
        if 0 <= m < len(self.pub):
            self.pub[m][1], self.pub[m][2] = "unroutable", self.run_.clock.now()

    # ---- the schedule ---------------------------------------------------------------------
    def _schedule(self) -> None:
        plan, clock = self.run_.plan, self.run_.clock
        if self.i >= plan.n:
            return
        delay = clock.real(plan.t_publish[self.i]) - time.perf_counter()
        self.ioloop.call_later(max(delay, 0.0), self._fire)

    def _fire(self) -> None:
        """Publish every message that is due, then hand control back to the ioloop, which writes
        the frames to the socket: a sleep here would hold the ones already published."""
        plan, clock = self.run_.plan, self.run_.clock
        while self.i < plan.n and clock.real(plan.t_publish[self.i]) <= time.perf_counter() + EARLY:
            self._publish(self.i)
            self.i += 1
        self._schedule()

    def _publish(self, m: int) -> None:
        import pika

        plan, topo = self.run_.plan, self.run_.topo
        i = int(plan.producer[m])
        self.pub[m][0] = self.run_.clock.now()
        if not self.ready or self.ch is None or self.run_.down.is_set():
            self.pub[m][1] = "refused"  # the broker is down: nothing to publish to
            return
        props = pika.BasicProperties(delivery_mode=2 if plan.scenario.producers[i].persistent else 1,
                                     priority=int(plan.priority[m]), expiration=topo.expiration(i),
                                     message_id=str(m), headers={HEADER: m})
        try:
            self.ch.basic_publish("", topo.queue(0), b"m", props, mandatory=True)
        except Exception:  # the connection went down between checks: refused
            self.pub[m][1] = "refused"
            return
        self.tag += 1
        self.pending[self.tag] = m
        self.pub[m][1] = "sent"

    def run(self) -> None:
        try:
            self._connect()
            self.ioloop.start()
        except BaseException as exc:  # noqa: BLE001 - reported by the player
            self.error = exc

    def begin(self) -> None:
        """Start publishing on the schedule (thread-safe; call once the clock has started)."""
        self.ioloop.add_callback_threadsafe(self._schedule)

    def outstanding(self) -> int:
        return len(self.pending)

    def shutdown(self) -> None:
        """Close the connection and end the thread (thread-safe)."""
        def close() -> None:
            self.closing = True
            if self.conn is not None and self.conn.is_open:
                self.conn.close()
            else:
                self.ioloop.stop()

        if self.ioloop is not None:
            self.ioloop.add_callback_threadsafe(close)


class Consumer(threading.Thread):
    """Consumer ``j`` of queue ``k``: serves deliveries for the plan's requirements; logs each attempt.

    ``log`` rows: (plan id, k, j, t_deliver, t_start, t_end, outcome, requirement, delivery number,
    redelivered flag, x-delivery-count) with outcome one of ack, requeue, reject, crash,
    disconnect, inflight; times in scenario seconds (NaN where it did not happen).
    """

    def __init__(self, run: Run, k: int, j: int):
        super().__init__(name=f"mqsim-consumer-{k}-{j}", daemon=True)
        self.run_, self.k, self.j = run, k, j
        cons = run.plan.scenario.node(k)[1]
        self.prefetch, self.auto_ack = cons.prefetch, cons.auto_ack
        self.crashes = deque(run.plan.crashes.get((k, j), []))
        self.buf: deque[tuple[Any, ...]] = deque()
        self.current: tuple[Any, ...] | None = None
        self.log: list[tuple[Any, ...]] = []
        self.error: BaseException | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        r, errors = self.run_, amqp_errors()
        try:
            while not r.stop.is_set() and r.clock.now() < r.plan.horizon:
                if self.crashes and r.clock.now() >= self.crashes[0][0]:
                    r.clock.sleep_until(self.crashes.popleft()[1], r.stop)  # crashed: down until repaired
                    continue
                try:
                    self._session()
                except errors:
                    self._drop_all("disconnect")
                    time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the player
            self.error = exc

    def _session(self) -> None:
        r = self.run_
        conn = connect(r.url)
        try:
            ch = conn.channel()
            r.topo.declare(ch, self.k)
            if not self.auto_ack:
                ch.basic_qos(prefetch_count=self.prefetch)
            ch.basic_consume(r.topo.queue(self.k), self._on_message, auto_ack=self.auto_ack)
            if not self.connected.is_set():
                self.connected.set()
                r.go.wait()
            self._serve(conn, ch)
        finally:
            if conn.is_open:
                try:
                    conn.close()
                except amqp_errors():
                    pass

    def _on_message(self, ch: Any, method: Any, props: Any, body: bytes) -> None:
        headers = props.headers or {}
        m = int(headers.get(HEADER, -1))
        d = self.run_.next_delivery(self.k, m)
        self.buf.append((m, self.run_.clock.now(), method.delivery_tag, d, bool(method.redelivered),
                         int(headers.get("x-delivery-count", -1))))

    def _next_stop(self) -> float:
        crash = self.crashes[0][0] if self.crashes else float("inf")
        return min(crash, self.run_.plan.horizon)

    def _wait(self, conn: Any, t: float) -> None:
        """Until scenario time ``t``, reading deliveries meanwhile (they are timestamped on arrival)."""
        clock = self.run_.clock
        while True:
            rem = clock.real(t) - time.perf_counter()
            if rem <= 0.002:
                break
            conn.process_data_events(time_limit=rem - 0.002)
        rem = clock.real(t) - time.perf_counter()
        if rem > 0:
            time.sleep(rem)

    def _serve(self, conn: Any, ch: Any) -> None:
        r, clock = self.run_, self.run_.clock
        while True:
            stop = self._next_stop()
            if clock.now() >= stop:
                self._drop_all("inflight" if stop >= r.plan.horizon else "crash")
                return
            if not self.buf:
                conn.process_data_events(time_limit=min(0.05, max(clock.real(stop) - time.perf_counter(), 0.0)))
                continue
            item = self.buf.popleft()
            m, d = item[0], item[3]
            req = r.plan.requirement(self.k, m, d)
            t_start = clock.now()
            self.current = (*item, t_start, req)
            end = t_start + req
            self._wait(conn, min(end, stop))
            if end > stop:  # the horizon or a crash came first
                continue
            self._settle(ch, item, t_start, req)

    def _settle(self, ch: Any, item: tuple[Any, ...], t_start: float, req: float) -> None:
        r = self.run_
        m, t_del, tag, d, redelivered, xdc = item
        v = 0 if self.auto_ack else r.plan.verdict(self.k, m, r.next_settlement(self.k, m))
        if not self.auto_ack:
            if v == 0:
                ch.basic_ack(tag)
            elif v == 1:
                ch.basic_nack(tag, requeue=True)
            else:
                ch.basic_reject(tag, requeue=False)
        self.current = None
        self.log.append((m, self.k, self.j, t_del, t_start, r.clock.now(), VERDICTS[v], req, d, redelivered, xdc))

    def _drop_all(self, outcome: str) -> None:
        """Log what this consumer holds as ``outcome`` (crash, disconnect, inflight at the horizon)."""
        now = self.run_.clock.now()
        if self.current is not None:
            m, t_del, _tag, d, red, xdc, t_start, req = self.current
            self.log.append((m, self.k, self.j, t_del, t_start, now if outcome != "inflight" else float("nan"),
                             outcome, req, d, red, xdc))
        for m, t_del, _tag, d, red, xdc in self.buf:
            self.log.append((m, self.k, self.j, t_del, float("nan"), float("nan"), outcome, float("nan"), d, red, xdc))
        self.current = None
        self.buf.clear()


class Observer(threading.Thread):
    """Records every dead-lettered message: ``log`` rows (plan id, queue index, x-death reason, time)."""

    def __init__(self, run: Run):
        super().__init__(name="mqsim-observer", daemon=True)
        self.run_ = run
        self.log: list[tuple[int, int, str, float]] = []
        self.halt = threading.Event()
        self.error: BaseException | None = None
        self.connected = threading.Event()

    def _on_message(self, ch: Any, method: Any, props: Any, body: bytes) -> None:
        headers = props.headers or {}
        deaths = headers.get("x-death") or [{}]
        first = deaths[0]
        k = self.run_.topo.node_of(str(first.get("queue", "")))
        self.log.append((int(headers.get(HEADER, -1)), k, str(first.get("reason", "")), self.run_.clock.now()))

    def run(self) -> None:
        errors = amqp_errors()
        try:
            while not self.halt.is_set():
                try:
                    conn = connect(self.run_.url)
                    ch = conn.channel()
                    ch.basic_consume(self.run_.topo.observer, self._on_message, auto_ack=True)
                    self.connected.set()
                    while not self.halt.is_set():
                        conn.process_data_events(time_limit=0.05)
                    conn.close()
                except errors:
                    time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by the player
            self.error = exc


def drain(url: str, topo: Topology, clock: Clock) -> list[tuple[int, int, float]]:
    """Take every message still in the run's queues: rows (plan id, queue index, time)."""
    out: list[tuple[int, int, float]] = []
    conn = connect(url, attempts=20)
    try:
        ch = conn.channel()
        for k in range(len(topo.scenario.node_names)):
            while True:
                method, props, _body = ch.basic_get(topo.queue(k), auto_ack=True)
                if method is None:
                    break
                out.append((int((props.headers or {}).get(HEADER, -1)), k, clock.now()))
    finally:
        conn.close()
    return out


def with_channel(url: str, fn: Callable[[Any], Any], attempts: int = 20) -> Any:
    """``fn(channel)`` on a fresh blocking connection, closed afterwards."""
    conn = connect(url, attempts=attempts)
    try:
        return fn(conn.channel())
    finally:
        if conn.is_open:
            conn.close()
