"""mqsim.model.overload: the traffic equations behind the overload warning and the work budget."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mqsim as mq
from mqsim import dist
from mqsim.model.overload import stability


def test_a_route_to_the_same_queue_is_solved_not_iterated_without_bound():
    """A queue routing to itself (a retry loop) once made the flow iteration grow its lists
    without bound; every simulate() computes it (the work budget). Run in a child process with
    a memory and time limit so that the old behaviour fails instead of exhausting the machine."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "import mqsim as mq\n"
            "from mqsim.model.overload import stability\n"
            "sc = mq.Scenario(producers=[mq.Producer('p', rate=1.0)], consumers=mq.Consumers(2),\n"
            "                 routes={'main': {'main': 0.3}})\n"
            "print(repr(stability(sc).rates['main']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout) == pytest.approx(1.0 / 0.7, rel=1e-12)  # lam / (1 - 0.3): each visit returns w.p. 0.3


def test_jackson_traffic_equations_of_a_network_with_feedback():
    """Two queues with feedback: the arrival rates solve x = base + x P exactly."""
    sc = mq.Scenario(producers=[mq.Producer("p", rate=2.0)], consumers=mq.Consumers(4, service=dist.Exponential(0.5)),
                     stages=[mq.Stage("s", consumers=mq.Consumers(3, service=dist.Exponential(0.25)))],
                     routes={"main": {"s": 0.6, "main": 0.1}, "s": {"main": 0.5}})
    st = stability(sc)
    # x0 = 2 + 0.1 x0 + 0.5 x1, x1 = 0.6 x0  =>  x0 (0.9 - 0.3) = 2
    x0 = 2.0 / 0.6
    assert st.rates["main"] == pytest.approx(x0, rel=1e-12)
    assert st.rates["s"] == pytest.approx(0.6 * x0, rel=1e-12)
    assert st.loads["main"] == pytest.approx(x0 * 0.5 / 4, rel=1e-12)
    assert not st.unstable


def test_rejected_messages_feed_the_dead_letter_stage_and_nacks_count_as_work():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], queue=mq.Queue(dead_letter="dlq"),
                     consumers=mq.Consumers(2, service=dist.Exponential(1.0), nack=0.2, reject=0.1),
                     stages=[mq.Stage("dlq")], routes={"main": {"dlq": 0.5}})
    st = stability(sc)
    rejected = 0.1 / 0.8  # a delivery is rejected w.p. 0.1 and requeued w.p. 0.2: 1/8 end rejected
    assert st.rates["dlq"] == pytest.approx(rejected + (1 - rejected) * 0.5, rel=1e-12)
    assert st.loads["main"] == pytest.approx(1.0 / 0.8 / 2, rel=1e-12)


def test_an_overloaded_queue_passes_on_only_its_capacity():
    sc = mq.Scenario(producers=[mq.Producer("p", rate=3.0)], consumers=mq.Consumers(2, service=dist.Exponential(1.0)),
                     stages=[mq.Stage("s", consumers=mq.Consumers(5))], routes={"main": {"s": 0.5}})
    st = stability(sc)
    assert st.unstable_queues == ("main",) and st.loads["main"] == pytest.approx(1.5)
    assert st.rates["s"] == pytest.approx(1.0)  # 2 served per second, half of them go on
    assert st.growth == pytest.approx(1.0)


@pytest.mark.parametrize("p", [1.0, 0.999])
def test_a_closed_loop_of_routes_saturates_instead_of_diverging(p):
    """Every message (or nearly) goes round for ever: the loop's queues fill up, and the rates
    are the capacities', not infinite."""
    sc = mq.Scenario(producers=[mq.Producer("p", rate=1.0)], consumers=mq.Consumers(2, service=dist.Exponential(1.0)),
                     stages=[mq.Stage("s")], routes={"main": {"s": 1.0}, "s": {"main": p}})
    st = stability(sc)
    assert all(v < 10 for v in st.rates.values())
    assert st.unstable and st.growth > 0
