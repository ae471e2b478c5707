"""The experiments layer: many runs, and what to conclude from them.

* :mod:`~mqsim.experiments.replications` — independent replications with confidence intervals;
* :mod:`~mqsim.experiments.sweep` — replications over a grid of scenario fields;
* :mod:`~mqsim.experiments.sizing` and :mod:`~mqsim.experiments.slo` — the fewest consumers
  that meet a service-level objective;
* :mod:`~mqsim.experiments.executors` and :mod:`~mqsim.experiments.progress` — where runs
  execute (in process, a process pool, Dask) and the progress bar;
* :mod:`~mqsim.experiments.pilots` — warm-up pilot runs.
"""

from mqsim.experiments.executors import Runner
from mqsim.experiments.pilots import pilot_warmup
from mqsim.experiments.replications import (
           Replications,
           pilot_seed,
           replicate,
           replication_seed,
           run_replication,
)
from mqsim.experiments.sizing import SizingResult, size_consumers
from mqsim.experiments.slo import SLO, parse_slo
from mqsim.experiments.sweep import sweep

__all__ = ["replicate", "Replications", "sweep", "size_consumers", "SizingResult", "parse_slo", "SLO", "Runner",
           "replication_seed", "pilot_seed", "run_replication", "pilot_warmup"]
