"""Figures: simulated values beside the formula that predicts them (matplotlib), and the
interactive panels of the notebooks (:mod:`~mqsim.viz.widgets`, needs ipywidgets when used).

One module per kind of figure, one look (:mod:`~mqsim.viz.style`):

* :mod:`~mqsim.viz.curves` — the hockey stick, saturation, several formulas over a sweep;
* :mod:`~mqsim.viz.distributions` — CDFs, tails, histograms, P(N = n);
* :mod:`~mqsim.viz.intervals` — bars with confidence intervals and formula marks, convergence;
* :mod:`~mqsim.viz.timeseries` — queue length, backlog, Kafka lag, autocorrelation;
* :mod:`~mqsim.viz.laws` — Little's law and the article's Q = M × P;
* :mod:`~mqsim.viz.sizing` — the evidence behind a sizing answer;
* :mod:`~mqsim.viz.warmup` — MSER-5's cut and Welch's curve;
* :mod:`~mqsim.viz.widgets` — the explorer and the theory panels.

Every function takes data (a :class:`mqsim.Result`, :class:`mqsim.Replications` or a tidy
DataFrame), draws on ``ax`` (a new figure when None) and returns the axes. Nothing here runs a
simulation except the explorer panel.
"""

from mqsim.viz.curves import (ci_curve, formula_curves, hockey_stick, kingman_curves, pk_wait_curves, saturation,
                              sim_vs_curves)
from mqsim.viz.distributions import hist_vs_density, sojourn_cdf, state_distribution, wait_cdf, wait_hist
from mqsim.viz.intervals import ci_bars, ci_convergence, marks_bars, priority_bars
from mqsim.viz.laws import article_check, little_check
from mqsim.viz.sizing import sizing_evidence
from mqsim.viz.style import LABELS, SIM_COLOR, THEORY_COLOR, UNITS
from mqsim.viz.timeseries import autocorrelation, backlog_growth, load_and_backlog, partition_lag, queue_length
from mqsim.viz.warmup import plot_warmup, warmup_curve
from mqsim.viz.widgets import explore_mmc, mmc_explorer, theory_panel

__all__ = [
    # curves
    "hockey_stick", "saturation", "ci_curve", "sim_vs_curves", "formula_curves", "pk_wait_curves", "kingman_curves",
    # distributions
    "wait_cdf", "sojourn_cdf", "wait_hist", "hist_vs_density", "state_distribution",
    # intervals
    "ci_bars", "priority_bars", "marks_bars", "ci_convergence",
    # laws
    "little_check", "article_check",
    # sizing
    "sizing_evidence",
    # time series
    "queue_length", "backlog_growth", "partition_lag", "load_and_backlog", "autocorrelation",
    # warm-up
    "plot_warmup", "warmup_curve",
    # panels
    "mmc_explorer", "explore_mmc", "theory_panel",
    # style
    "SIM_COLOR", "THEORY_COLOR", "LABELS", "UNITS",
]
