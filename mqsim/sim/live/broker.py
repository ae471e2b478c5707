"""A private RabbitMQ node on loopback: started for a run, stopped (with its epmd) afterwards.

:func:`rabbitmq` is a context manager that yields the AMQP URL of a broker:

* ``rabbitmq()`` starts a **private node**: Debian's ``rabbitmq-server`` run directly (not the
  ``/usr/sbin`` wrapper, which switches to the ``rabbitmq`` user and ``/var/lib/rabbitmq``), with
  its own node directory (cookie in its own ``HOME``, Mnesia and logs), its own ``epmd`` on a free
  port, and every listener on ``127.0.0.1`` only (AMQP, Erlang distribution, epmd). Nothing is left
  running afterwards: the node is shut down with ``rabbitmqctl shutdown``, its process group killed
  if it does not stop, and the ``epmd`` we started (which would otherwise outlive the node) stopped
  by its PID.
* ``rabbitmq(url)`` uses an existing broker at ``url`` (``amqp://user:pass@host:port/vhost``) and
  starts nothing. Its host must be a loopback address.

Timings measured on a 2-core Debian machine (RabbitMQ 3.10.8, Erlang/OTP 25): ready in 4-7 s, about
130 MB resident, shut down in 3-4 s; each ``rabbitmqctl`` call takes about 0.65 s.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

__all__ = ["BrokerNotInstalled", "BrokerError", "PrivateBroker", "BrokerURL", "rabbitmq", "server_path",
           "check_loopback_url", "free_port", "INSTALL_HINT"]

#: where Debian installs the server scripts (``MQSIM_RABBITMQ_BIN`` overrides it)
DEFAULT_BIN = "/usr/lib/rabbitmq/bin"
INSTALL_HINT = ("install it with `sudo apt-get install rabbitmq-server` (Debian/Ubuntu; `make test-broker` does it "
                "when run as root), or pass the URL of a running broker: mqsim.live.rabbitmq('amqp://127.0.0.1:5672')")


class BrokerNotInstalled(RuntimeError):
    """``rabbitmq-server`` is not installed on this machine (the message says how to install it)."""


class BrokerError(RuntimeError):
    """The private broker did not start or stop as it should (the message has its log's tail)."""


def server_path() -> Path:
    """The directory holding ``rabbitmq-server`` and ``rabbitmqctl``; raises :class:`BrokerNotInstalled`."""
    d = Path(os.environ.get("MQSIM_RABBITMQ_BIN", DEFAULT_BIN))
    if not (d / "rabbitmq-server").exists() or not (d / "rabbitmqctl").exists():
        raise BrokerNotInstalled(f"rabbitmq-server is not installed (looked in {d}); {INSTALL_HINT}")
    if shutil.which("epmd") is None and not list(Path("/usr/lib/erlang").glob("erts-*/bin/epmd")):
        raise BrokerNotInstalled(f"epmd (Erlang) was not found; {INSTALL_HINT}")
    return d


def _epmd() -> str:
    found = shutil.which("epmd")
    if found:
        return found
    return str(sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))[-1])


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A TCP port free on 127.0.0.1 right now: any (the kernel's pick), or one in ``[low, high)``."""
    if low is None or high is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(low, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BrokerError(f"no free port on 127.0.0.1 in [{low}, {high})")


def _local_port_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def check_loopback_url(url: str) -> str:
    """``url`` if it is an ``amqp://`` URL whose host is a loopback address, else ``ValueError``."""
    if not isinstance(url, str):
        raise ValueError(f"url: must be an amqp:// URL string, got {url!r}")
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps"):
        raise ValueError(f"url: must start with amqp://, got {url!r}")
    host = parts.hostname or ""
    ok = host == "localhost"
    with contextlib.suppress(ValueError):
        ok = ok or ipaddress.ip_address(host).is_loopback
    if not ok:
        raise ValueError(f"url: mqsim talks to brokers on loopback addresses only (127.0.0.0/8, ::1, localhost); "
                         f"got host {host!r}")
    return url


class BrokerURL(str):
    """An AMQP URL that also carries the :class:`PrivateBroker` behind it (:func:`rabbitmq` yields
    one), so a live run can restart that broker; use it as the plain string it is."""

    broker: "PrivateBroker | None" = None

    def __new__(cls, url: str, broker: "PrivateBroker | None" = None) -> "BrokerURL":
        obj = super().__new__(cls, url)
        obj.broker = broker
        return obj


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class PrivateBroker:
    """One private RabbitMQ node: :meth:`start`, :meth:`stop`, :meth:`restart_app`, :meth:`ctl`.

    name: the node's short name (``name@localhost``); directory: its node directory (a fresh
    temporary one by default, removed at :meth:`stop`). Ports are picked free on 127.0.0.1.
    """

    def __init__(self, name: str = "mqsim", directory: str | os.PathLike[str] | None = None):
        self.bin = server_path()
        self.name = f"{name}{os.getpid()}_{free_port()}"
        self.node = f"{self.name}@localhost"
        self._own_dir = directory is None
        self.dir = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="mqsim-rabbit-"))
        # the AMQP port sits below the ephemeral range: a client retrying it while the broker restarts
        # could otherwise be given it as its own local port (a TCP self-connect) and hold it
        lo, _ = _local_port_range()
        self.port = free_port(max(1024, lo - 12000), lo) if lo > 2048 else free_port()
        self.dist_port, self.epmd_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.epmd: subprocess.Popen[bytes] | None = None
        self.beam_pid: int | None = None  # the Erlang VM (from RABBITMQ_PID_FILE), stopped by PID if need be
        self.started_in = float("nan")

    @property
    def url(self) -> str:
        """AMQP URL of the node (default guest account, allowed from loopback)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def env(self) -> dict[str, str]:
        """The environment the node and ``rabbitmqctl`` run with (private dirs, loopback ports)."""
        d = self.dir
        return {**{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
                "HOME": str(d), "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_MNESIA_BASE": str(d / "mnesia"), "RABBITMQ_LOG_BASE": str(d / "log"),
                "RABBITMQ_PID_FILE": str(d / "node.pid"), "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
                "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
                "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
                "ERL_EPMD_ADDRESS": "127.0.0.1", "ERL_EPMD_PORT": str(self.epmd_port),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
                "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}"}

    def _write_config(self) -> None:
        d = self.dir
        for sub in ("mnesia", "log"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                                         "loopback_users.guest = true\n"
                                         "log.console = false\nlog.file.level = warning\n")
        (d / "enabled_plugins").write_text("[].\n")
        (d / "advanced.config").write_text("[].\n")
        (d / "rabbitmq-env.conf").write_text("")

    def start(self, timeout: float = 60.0) -> "PrivateBroker":
        """Start epmd and the node; return once the node has finished booting (4-7 s)."""
        self._write_config()
        t0 = time.monotonic()
        env = self.env()
        self.epmd = subprocess.Popen([_epmd(), "-port", str(self.epmd_port), "-address", "127.0.0.1"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        log = open(self.dir / "server.out", "wb")  # noqa: SIM115 - closed with the process
        try:
            self.proc = subprocess.Popen([str(self.bin / "rabbitmq-server")], env=env, cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        finally:
            log.close()
        try:
            self._await(t0 + timeout)
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - t0
        with contextlib.suppress(OSError, ValueError):
            self.beam_pid = int((self.dir / "node.pid").read_text().split()[0])
        return self

    def _await(self, deadline: float) -> None:
        assert self.proc is not None
        while not _port_open(self.port):
            if self.proc.poll() is not None:
                raise BrokerError(f"rabbitmq-server exited with status {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BrokerError(f"rabbitmq-server did not open port {self.port} in time:\n{self.log_tail()}")
            time.sleep(0.1)
        self.ctl("await_startup", timeout=max(deadline - time.monotonic(), 5.0))

    def log_tail(self, n: int = 3000) -> str:
        """The end of the node's console output and log (for error messages)."""
        out = []
        for p in [self.dir / "server.out", *sorted((self.dir / "log").glob("*.log"))]:
            with contextlib.suppress(OSError):
                out.append(f"--- {p.name}\n" + p.read_text(errors="replace")[-n:])
        return "\n".join(out)

    def ctl(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``rabbitmqctl -n NODE ARGS`` against this node; its output (raises on failure)."""
        cmd = [str(self.bin / "rabbitmqctl"), "-n", self.node, *args]
        r = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if r.returncode != 0:
            raise BrokerError(f"rabbitmqctl {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[-1500:]}")
        return r.stdout

    def restart_app(self, down: float = 0.0) -> tuple[float, float]:
        """Stop the RabbitMQ application (the node stays up), wait ``down`` seconds, start it again:
        a broker restart. Returns (seconds stop_app took, seconds start_app took)."""
        t0 = time.monotonic()
        self.ctl("stop_app")
        t1 = time.monotonic()
        if down > 0:
            time.sleep(down)
        t2 = time.monotonic()
        self.ctl("start_app")
        return t1 - t0, time.monotonic() - t2

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the node down and stop its epmd; kill their process groups if they linger."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(BrokerError, subprocess.TimeoutExpired):
                self.ctl("shutdown", timeout=timeout)
            _end(self.proc, timeout)
        if self.beam_pid is not None:
            _kill_pid(self.beam_pid)
        if self.epmd is not None and self.epmd.poll() is None:
            _end(self.epmd, 5.0, wait_first=False)  # epmd outlives its nodes: stop it by its PID
        self.proc = self.epmd = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrivateBroker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _kill_pid(pid: int) -> None:
    """Terminate, then kill, process ``pid`` if it is still alive (the node's VM outside its group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def _end(proc: subprocess.Popen[bytes], timeout: float, wait_first: bool = True) -> None:
    """Wait for ``proc`` (if ``wait_first``); then terminate, then kill, its process group (it leads
    its own session)."""
    for sig in ((None,) if wait_first else ()) + (signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout if sig is None else 5.0)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def rabbitmq(url: str | None = None, *, name: str = "mqsim") -> Iterator[BrokerURL]:
    """A RabbitMQ broker for the duration of a ``with`` block; yields its AMQP URL.

    With ``url`` (a loopback ``amqp://`` URL), use that broker and start nothing. Without it,
    start a private node (see the module docstring) and stop it, with its epmd, on exit. Raises
    :class:`BrokerNotInstalled` (saying how to install it) when ``rabbitmq-server`` is missing.

    >>> with rabbitmq() as url:                      # doctest: +SKIP
    ...     res = mqsim.live.run(sc, url, duration=60, seed=1)
    """
    if url is not None:
        yield BrokerURL(check_loopback_url(url), getattr(url, "broker", None))
        return
    with PrivateBroker(name) as b:
        yield BrokerURL(b.url, b)
