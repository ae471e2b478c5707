"""The analysis layer: pure statistics of simulation output (no simulation runs here).

* :mod:`~mqsim.analysis.metrics` — queueing metrics (L, W, percentiles, ...) from records;
* :mod:`~mqsim.analysis.streaming` — the same metrics from running statistics (flat memory);
* :mod:`~mqsim.analysis.statistics` — confidence intervals, batch means, autocorrelation;
* :mod:`~mqsim.analysis.warmup` — where the initial transient ends (MSER-5);
* :mod:`~mqsim.analysis.theory_join` — simulated figures lined up with their formula.
"""

from mqsim.analysis.metrics import (
                                       METRIC_COLUMNS,
                                       samples,
                                       summary_frame,
                                       window_metrics,
)
from mqsim.analysis.statistics import (
                                       autocorrelation,
                                       batch_means,
                                       confidence_interval,
                                       naive_ci,
                                       replications_needed,
                                       running_ci,
)
from mqsim.analysis.theory_join import theory_table
from mqsim.analysis.warmup import (
                                       WarmupResult,
                                       combine_pilots,
                                       mser,
                                       mser5,
                                       mser_curve,
                                       warmup_from_result,
)

__all__ = ["METRIC_COLUMNS", "samples", "summary_frame", "window_metrics", "autocorrelation", "batch_means",
           "confidence_interval", "naive_ci", "replications_needed", "running_ci", "theory_table", "WarmupResult",
           "combine_pilots", "mser", "mser5", "mser_curve", "warmup_from_result"]
