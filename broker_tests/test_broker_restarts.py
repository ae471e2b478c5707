"""A broker restart, live (``rabbitmqctl stop_app`` / ``start_app`` on the private node) and
simulated (``Scenario.restarts``): the same messages are lost and kept."""

from __future__ import annotations

import pytest

import mqsim as mq
from mqsim.model.dist import Deterministic


def _scenario(durable: bool | None, qtype: str | None = None) -> mq.Scenario:
    times = [0.1 * (i + 1) for i in range(10)]
    return mq.Scenario(producers=[mq.Producer("orders", trace={"times": times}, persistent=True),
                                  mq.Producer("logs", trace={"times": [t + 0.05 for t in times]})],
                       queue=mq.Queue(durable=durable, type=qtype),
                       consumers=mq.Consumers(count=1, service=Deterministic(value=20.0), prefetch=1),
                       restarts={"times": [1.5], "downtime": 4.5})


def _by_producer(res: mq.Result) -> dict[tuple[str, str], int]:
    """(producer, lost or kept) counts; kept = still in the broker, ready or redelivered."""
    m = res.messages
    m = m[m["queue"] == "main"]
    state = m["outcome"].astype(str).replace({"ready": "kept", "in_flight": "kept"})
    return m.assign(state=state).groupby(["producer", "state"], observed=True).size().to_dict()


@pytest.mark.parametrize("durable,qtype,kept", [(True, None, 10), (False, None, 0), (None, "quorum", 20)])
def test_restart_loses_and_keeps_the_same_messages_live_and_simulated(broker, durable, qtype, kept):
    sc = _scenario(durable, qtype)
    live = mq.live.run(sc, broker, duration=8.0, seed=1)
    print("restart (down, back) s:", live.report["restarts"], _by_producer(live))
    down, back = live.report["restarts"][0]
    assert 1.5 <= down < 1.6 and 6.0 <= back < 9.0, "stop_app at the restart time, start_app after the downtime"
    assert _by_producer(live) == _by_producer(live.sim)
    c = live.counts()
    assert c["lost"] == 20 - kept and c["ready"] + c["in_flight"] == kept
    lost = live.messages[live.messages["outcome"] == "lost"]
    assert set(lost["cause"].astype(str)) <= {"restart"}
