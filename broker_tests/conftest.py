"""Fixtures for the real-broker tests: a private RabbitMQ node on loopback per test module.

Each node is started with :class:`mqsim.sim.live.broker.PrivateBroker` (its own node directory,
cookie and epmd, every listener on 127.0.0.1) and stopped by the fixture's finalizer, which then
checks that nothing of it is left: no beam.smp, no epmd, no listening port.
"""

from __future__ import annotations

import os
import socket

import pytest

os.environ.setdefault("MQSIM_PROGRESS", "0")

from mqsim.sim.live.broker import BrokerNotInstalled, BrokerURL, PrivateBroker  # noqa: E402


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def broker() -> BrokerURL:
    try:
        b = PrivateBroker("mqsimtest")
    except BrokerNotInstalled as exc:
        pytest.fail(f"{exc} (make test-broker installs it when run as root)")
    b.start()
    pids = [b.proc.pid, b.epmd.pid]  # type: ignore[union-attr]
    ports = [b.port, b.dist_port, b.epmd_port]
    try:
        yield BrokerURL(b.url, b)
    finally:
        b.stop()
        left = [p for p in pids if _alive(p)] + [f"port {p}" for p in ports if _listening(p)]
        assert not left, f"the private broker left something running: {left}"
