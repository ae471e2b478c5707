"""Figures: simulated values beside the formula that predicts them (matplotlib), and the
interactive panels of the notebooks (:mod:`~mqsim.viz.widgets`, needs ipywidgets)."""

from mqsim.viz.plots import *  # noqa: F401,F403
from mqsim.viz.plots import __all__ as _plots_all
from mqsim.viz.warmup import plot_warmup

__all__ = [*_plots_all, "plot_warmup"]
