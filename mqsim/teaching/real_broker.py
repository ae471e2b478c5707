"""Lecture 13, "Simulation meets a real broker": helpers for the notebook and its exercises.

* :func:`start_broker` / :func:`stop_broker` — a private RabbitMQ node for the lecture, or None
  with a clear message where none can be started (the notebook then skips its live cells);
* :data:`PIKA_AS_IT_CIRCULATES` and :data:`FIXES` — the producer/consumer code as it is commonly
  copied, and what is wrong with it; :func:`seed_producer` and :func:`seed_consumer` — the
  corrected code, run against the broker;
* :func:`lost_and_kept` — a restart's lost and kept messages, per producer;
* exercises ``nb13_ex1`` (a dispatch overhead in the Pollaczek-Khinchine formula) and
  ``nb13_ex2`` (what a restart loses), registered in :mod:`mqsim.teaching.exercises`.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np

from mqsim.sim.live.broker import BrokerNotInstalled, BrokerURL, PrivateBroker
from mqsim.sim.live.clients import connect
from mqsim.teaching.exercises import Exercise, register

__all__ = ["start_broker", "stop_broker", "PIKA_AS_IT_CIRCULATES", "FIXES", "seed_producer", "seed_consumer",
           "lost_and_kept", "fixes_table"]

PIKA_AS_IT_CIRCULATES = '''\
# producer.py, as it is often copied
import pika
connection = pika.BlockingConnection(pika.ConnectionParameters("localhost"))
channel = connection.channel()
channel.queue_declare(queue="tasks", arguments={"x-max-priority": 10})
channel.basic_publish(exchange="", routing_key="tasks", body=b"job",
                      properties=pika.BasicProperties(priority=5), delivery_mode=2)
connection.close()

# consumer.py
def callback(body):
    print("got", body)

channel.basic_consume(queue="tasks", on_message_callback=callback)
connection.close()
channel.start_consuming()
'''

FIXES = (
    ("delivery_mode=2 passed to basic_publish",
     "basic_publish has no delivery_mode argument (TypeError); it belongs inside "
     "pika.BasicProperties(delivery_mode=2, priority=5)"),
    ("on_message_callback takes one argument",
     "pika calls it with (channel, method, properties, body): def callback(ch, method, properties, body)"),
    ("no ack", "with manual acks (the default) an unacked message is redelivered when the consumer goes away, "
               "and prefetch never frees: call ch.basic_ack(method.delivery_tag) after the work"),
    ("connection closed before consuming", "connection.close() before start_consuming() consumes nothing: "
                                           "close it after consuming (or on shutdown)"),
    ("persistent messages on a queue that is not durable",
     "delivery_mode=2 survives a broker restart only on a durable queue: queue_declare(..., durable=True)"),
)


def fixes_table() -> Any:
    """The five fixes as a DataFrame (what is wrong, the fix)."""
    import pandas as pd

    return pd.DataFrame(FIXES, columns=["as it circulates", "fixed"])


def start_broker() -> BrokerURL | None:
    """A private RabbitMQ node for the lecture (its URL), or None after printing why none can start."""
    try:
        b = PrivateBroker("lecture13").start()
    except BrokerNotInstalled as exc:
        print(f"No RabbitMQ here, the live cells are skipped: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure to start means: skip the live part
        print(f"RabbitMQ could not be started, the live cells are skipped: {exc}")
        return None
    print(f"private RabbitMQ node on 127.0.0.1:{b.port}, ready in {b.started_in:.1f} s")
    return BrokerURL(b.url, b)


def stop_broker(url: BrokerURL | None) -> None:
    """Stop the lecture's broker (and its epmd); nothing is left running."""
    if url is not None and url.broker is not None:
        url.broker.stop()


def seed_producer(url: str, queue: str, priorities: list[int], persistent: bool = True) -> None:
    """The corrected producer: a durable priority queue, persistent messages with a priority each."""
    import pika

    connection = connect(url)
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True, arguments={"x-max-priority": 10})  # fix 5: durable
    for n, p in enumerate(priorities):
        channel.basic_publish(exchange="", routing_key=queue, body=f"job {n}".encode(),
                              properties=pika.BasicProperties(delivery_mode=2 if persistent else 1,  # fix 1
                                                              priority=p))
    connection.close()


def seed_consumer(url: str, queue: str, n: int, work: float = 0.002, prefetch: int = 1) -> list[int]:
    """The corrected consumer: four-argument callback, an ack after the work, the connection
    closed after consuming; returns the priorities in the order they were served."""
    served: list[int] = []
    connection = connect(url)
    channel = connection.channel()
    channel.basic_qos(prefetch_count=prefetch)

    def callback(ch: Any, method: Any, properties: Any, body: bytes) -> None:  # fix 2: four arguments
        time.sleep(work)
        served.append(int(properties.priority or 0))
        ch.basic_ack(delivery_tag=method.delivery_tag)  # fix 3: ack after the work
        if len(served) >= n:
            ch.stop_consuming()

    channel.basic_consume(queue=queue, on_message_callback=callback)
    channel.start_consuming()
    channel.queue_delete(queue)
    connection.close()  # fix 4: close after consuming
    return served


def lost_and_kept(res: Any) -> Any:
    """Messages of the main queue per producer at the end of a run with a restart: lost or kept
    (kept = still in the broker, ready or redelivered to a consumer)."""
    m = res.messages
    m = m[m["queue"] == "main"]
    state = np.where(m["outcome"].astype(str).isin(["ready", "in_flight"]), "kept",
                     np.where(m["outcome"].astype(str) == "lost", "lost", m["outcome"].astype(str)))
    return m.assign(state=state).groupby(["producer", "state"], observed=True).size().unstack(fill_value=0)


# ---- exercises ----------------------------------------------------------------------------------
def _nb13_ex1(p: Mapping[str, Any]) -> float:
    lam, s, d = p["lam"], p["service_ms"] / 1e3, p["overhead_ms"] / 1e3
    m1, m2 = s + d, 2 * s * s + 2 * s * d + d * d  # exponential S plus a constant overhead d
    return 1e3 * lam * m2 / (2 * (1 - lam * m1))  # Pollaczek-Khinchine, in ms


def _nb13_ex1_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"lam": float(rng.choice([10.0, 12.0, 14.0])), "service_ms": float(rng.choice([50.0, 60.0])),
            "overhead_ms": float(rng.choice([1.0, 2.0, 3.0]))}


register(Exercise(
    key="nb13_ex1",
    question=("A broker adds a constant {overhead_ms} ms to every delivery at prefetch 1, so one consumer is "
              "busy S + d per message. With Poisson arrivals at {lam}/s and exponential S of mean "
              "{service_ms} ms, what mean wait Wq (ms) does the Pollaczek-Khinchine formula predict?"),
    canonical={"lam": 12.0, "service_ms": 60.0, "overhead_ms": 1.0},
    vary=_nb13_ex1_vary, answer=_nb13_ex1, rel_tol=5e-3, unit="ms",
    hint="E[S + d] = s + d and E[(S + d)^2] = 2s^2 + 2sd + d^2; Wq = lam E[(S+d)^2] / (2 (1 - lam E[S+d]))",
))


def _nb13_ex2(p: Mapping[str, Any]) -> float:
    return float(p["transient"] + (0 if p["durable"] else p["persistent"]))


def _nb13_ex2_vary(rng: np.random.Generator) -> dict[str, Any]:
    return {"persistent": int(rng.integers(5, 40)), "transient": int(rng.integers(5, 40)),
            "durable": bool(rng.integers(0, 2))}


register(Exercise(
    key="nb13_ex2",
    question=("A classic queue (durable: {durable}) holds {persistent} persistent and {transient} transient "
              "messages when the broker restarts. How many messages are lost?"),
    canonical={"persistent": 12, "transient": 8, "durable": True},
    vary=_nb13_ex2_vary, answer=_nb13_ex2, integer=True, unit="messages",
    hint="a durable classic queue keeps its persistent messages; a non-durable queue is deleted with everything in it",
))
