"""Figures of a simulation beside a real broker (:mod:`mqsim.live`): wait CDFs overlaid, and the
per-message wait difference on the shared sample path. Times in milliseconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mqsim.analysis.metrics import samples
from mqsim.analysis.twin import paired_waits

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["twin_figure", "LIVE_COLOR", "SIM_COLOR", "CALIBRATED_COLOR"]

LIVE_COLOR, SIM_COLOR, CALIBRATED_COLOR = "#d1495b", "#1f6fb4", "#2e933c"


def _cdf(ax: Any, x: np.ndarray, label: str, color: str, style: str = "-") -> None:
    x = np.sort(x) * 1e3
    if x.size:
        ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=color, ls=style, lw=1.6,
                label=f"{label} (mean {x.mean():.1f} ms)")


def twin_figure(sim: Any, live: Any, calibrated: Any = None, *, title: str = "") -> "Figure":
    """Two panels: the wait CDFs of the simulation, the live run (and the calibrated simulation),
    and the per-message difference live - sim of the wait on the shared path, against publish time."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    _cdf(a1, samples(sim, "wait"), "simulated", SIM_COLOR, "--")
    if calibrated is not None:
        _cdf(a1, samples(calibrated, "wait"), "simulated, calibrated", CALIBRATED_COLOR, "-.")
    _cdf(a1, samples(live, "wait"), "RabbitMQ (live)", LIVE_COLOR)
    a1.set_xlabel("wait: publish to service start (ms)")
    a1.set_ylabel("fraction of messages")
    a1.set_title("wait distribution")
    a1.legend(loc="lower right", fontsize=8)
    a1.grid(alpha=0.3)
    for other, color, label in ((sim, SIM_COLOR, "live - simulated"), (calibrated, CALIBRATED_COLOR,
                                                                     "live - calibrated")):
        if other is None:
            continue
        p = paired_waits(other, live)
        a2.plot(p["t_publish"], p["difference"] * 1e3, ".", ms=2.5, color=color, alpha=0.6,
                label=f"{label}: mean {p['difference'].mean() * 1e3:+.2f} ms")
    a2.axhline(0, color="0.3", lw=0.8)
    a2.set_xlabel("publish time (s)")
    a2.set_ylabel("wait difference per message (ms)")
    a2.set_title("same messages, same arrival and service times")
    a2.legend(loc="upper right", fontsize=8, markerscale=4)
    a2.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
