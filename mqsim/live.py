"""``mqsim.live``: the simulation beside a real RabbitMQ broker, on the same sample path.

>>> import mqsim as mq
>>> with mq.live.rabbitmq() as url:                         # doctest: +SKIP
...     live = mq.live.run(sc, url, duration=120, seed=1)   # plays the simulator's draws on RabbitMQ
...     cal = mq.live.calibrate(url)                        # the broker's dispatch overhead
>>> sim = mq.simulate(sc, horizon=120, seed=1)              # doctest: +SKIP
>>> fit = mq.simulate(cal.apply(sc), horizon=120, seed=1)   # doctest: +SKIP
>>> cmp = mq.live.compare(sim, live, calibrated=fit)        # doctest: +SKIP
>>> cmp.table; cmp.figure()                                  # doctest: +SKIP

* :func:`rabbitmq` — a private broker on a free loopback port (nothing left running), or a URL;
* :func:`run` — plays a scenario on the broker; returns a :class:`mqsim.Result` with
  ``engine == "rabbitmq"`` (and ``.sim``, the simulator's run on the same path);
* :func:`calibrate` — the broker's dispatch overhead and publish latency;
  :func:`persistence_cost` — what persistent messages cost;
* :func:`compare` — a tidy table per metric and class, and a figure.

Kafka scenarios are simulation-only (no Kafka broker is installable here). Needs ``pika`` (the
``live`` extra) and Debian's ``rabbitmq-server`` for a private broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from mqsim.analysis.twin import COMPARE_METRICS, comparison_table, paired_waits, path_difference
from mqsim.sim.live.broker import BrokerNotInstalled, BrokerURL, PrivateBroker, rabbitmq
from mqsim.sim.live.calibrate import Calibration, calibrate, persistence_cost
from mqsim.sim.live.player import LiveResult, run

__all__ = ["rabbitmq", "run", "compare", "calibrate", "persistence_cost", "Comparison", "Calibration", "LiveResult",
           "PrivateBroker", "BrokerURL", "BrokerNotInstalled", "paired_waits", "path_difference"]


@dataclass
class Comparison:
    """The result of :func:`compare`: ``table`` (tidy DataFrame), ``path`` (per-message wait
    difference on the shared path: mean and batch-means CI, seconds; and for the calibrated
    simulation in ``path_calibrated``), and :meth:`figure`."""

    sim: Any
    live: Any
    calibrated: Any
    table: Any
    path: dict[str, float] | None
    path_calibrated: dict[str, float] | None

    def figure(self, title: str = "") -> Any:
        """Wait CDFs overlaid and the per-message wait differences (first replication if several)."""
        from mqsim.viz.live import twin_figure

        return twin_figure(_first(self.sim), _first(self.live), _first(self.calibrated) if self.calibrated else None,
                           title=title)

    def _repr_html_(self) -> str:
        return self.table._repr_html_()

    def __repr__(self) -> str:
        return self.table.to_string(index=False)


def _first(x: Any) -> Any:
    """The first result of a list of replications, or ``x`` itself if it is one result."""
    return x[0] if isinstance(x, (list, tuple)) else x


def compare(sim: Any, live: Any, *, calibrated: Any = None, metrics: Sequence[str] = COMPARE_METRICS,
            by: tuple[str, ...] = ("priority",), confidence: float = 0.95) -> Comparison:
    """Simulated vs live, per metric and class: ``sim``, ``live`` (and ``calibrated``, the
    simulation with the measured overhead) are results, or equal-length lists (one per seed) for
    confidence intervals. The table has columns metric, group, key, sim, live, difference,
    rel_difference (and calibrated, calibrated_difference when given)."""
    table = comparison_table(sim, live, metrics, by, confidence)
    if calibrated is not None:
        cal = comparison_table(calibrated, live, metrics, by, confidence, labels=("calibrated", "live"))
        table["calibrated"] = cal["calibrated"].to_numpy()
        table["calibrated_difference"] = cal["difference"].to_numpy()
    single = not isinstance(live, (list, tuple))
    path = path_difference(sim, live) if single and "sim_id" in live.messages.columns else None
    path_cal = path_difference(calibrated, live) if single and calibrated is not None and path is not None else None
    return Comparison(sim, live, calibrated, table, path, path_cal)
