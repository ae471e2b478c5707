"""What every formula returns: :class:`QueueMetrics`, and :class:`UnstableError`.

Units: times (``W``, ``Wq``) in seconds; ``throughput`` in messages per second; ``L``, ``Lq``
in messages; ``rho``, ``P_wait`` and ``loss`` are dimensionless.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

__all__ = ["QueueMetrics", "UnstableError", "slack", "spare"]


def spare(lam: float, mu: float, c: int = 1) -> float:
    """1 - lam/(c*mu) for rates (per second), exactly rounded (see :func:`slack`)."""
    from fractions import Fraction

    return float(1 - Fraction(lam) / (Fraction(mu) * c))


def slack(lam: float, mean: float, c: int = 1) -> float:
    """1 - lam*mean/c (the spare capacity 1 - rho), exactly rounded from the float inputs: no
    cancellation at rho = 1 - 1e-9, where ``1 - lam*mean/c`` in floating point loses 7 digits."""
    from fractions import Fraction

    return float(1 - Fraction(lam) * Fraction(mean) / c)


class UnstableError(ValueError):
    """A formula was asked about a queue with no steady state (rho >= 1 with an infinite buffer).

    The message names rho, its value and the allowed range, e.g.
    ``"mmc: utilisation rho = lam/(c*mu) = 1.2 must be < 1 for an infinite queue; use mmck for a
    finite one"``. ``.rho`` holds the value.
    """

    def __init__(self, message: str, rho: float = math.nan):
        super().__init__(message)
        self.rho = rho

    @classmethod
    def of(cls, where: str, expr: str, rho: float, hint: str = "") -> "UnstableError":
        """Build the standard message: ``"<where>: utilisation rho = <expr> = <rho> must be < 1 ..."``."""
        msg = f"{where}: utilisation rho = {expr} = {rho:.10g} must be < 1 for an infinite queue"
        if hint:
            msg += f"; {hint}"
        return cls(msg, rho)


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state means of one queue (or one class of one queue).

    model: Kendall notation, e.g. ``"M/M/3"`` or ``"M/M/2/10"``.
    formula: human name of the formula used, e.g. ``"Erlang C"``.
    rho: offered utilisation per server, lam*E[S]/c (may be >= 1 for finite-capacity models).
    L, Lq: mean number in system / waiting (messages).
    W, Wq: mean time in system / waiting, in seconds, for messages that are *served*
        (admitted messages in loss models).
    throughput: rate of served messages, per second (lam*(1 - loss) in loss models).
    P_wait: probability that a served message waits at all before service.
    loss: probability that an arriving message is lost (blocking probability; 0 for an infinite
        buffer).
    exact: False when the numbers come from an approximation (Kingman, Allen–Cunneen, ...).
    stable: False for a class that has no steady state (its means are ``inf``).
    extras: model-specific figures (state probabilities, loss rate, ...), merged by
        :meth:`to_dict`.
    """

    model: str
    formula: str
    rho: float
    L: float
    Lq: float
    W: float
    Wq: float
    throughput: float
    P_wait: float
    loss: float = 0.0
    exact: bool = True
    stable: bool = True
    extras: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Flat ``{name: value}`` of the scalar fields followed by ``extras``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extras":
                continue
            v = getattr(self, f.name)
            if isinstance(v, (tuple, list, dict)) or not f.repr:
                continue
            out[f.name] = v
        for k, v in self.extras.items():
            out.setdefault(k, v)
        return out

    def to_series(self) -> "Any":
        """The same as :meth:`to_dict` as a :class:`pandas.Series` named after the model."""
        import pandas as pd

        return pd.Series(self.to_dict(), name=self.model, dtype=object)
