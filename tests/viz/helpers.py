"""Small builders the viz tests share."""

from __future__ import annotations

import mqsim as mq
from mqsim.dist import Exponential


def one_queue(lam: float, c: int = 1, mu: float = 1.0, **queue) -> mq.Scenario:
    """One producer at rate ``lam`` (1/s), ``c`` exponential consumers of rate ``mu`` (1/s)."""
    return mq.Scenario([mq.Producer("p", rate=lam)], queue=mq.Queue(**queue),
                       consumers=mq.Consumers(c, service=Exponential(rate=mu)))


def legend_texts(ax) -> list[str]:
    """The legend entries of ``ax`` (the axes must have a legend)."""
    leg = ax.get_legend()
    assert leg is not None, "the plot has no legend"
    return [t.get_text() for t in leg.get_texts()]
