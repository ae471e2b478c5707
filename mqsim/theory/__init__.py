"""Queueing theory beside the simulator: pure functions of rates (per second) and moments
(seconds), from Little's law to Jackson networks, plus :func:`for_scenario`, which picks the
formula that applies to a :class:`mqsim.scenario.Scenario` (or says why none does).

Import is light: pandas only by ``to_series``/``to_frame``, scipy only inside
:func:`md_c_exact` (a sparse solve).
"""

from mqsim.theory.abandonment import erlang_a, exponential_ttls, mm1_ttl_mix, ttl_for_expiry
from mqsim.theory.batches import batch_wait
from mqsim.theory.buffers import smallest_max_length
from mqsim.theory.deterministic import md_c_exact
from mqsim.theory.gim1 import GIM1Metrics, gi_m1
from mqsim.theory.impatience import mm1_ttl
from mqsim.theory.jackson import JacksonResult, jackson, tandem
from mqsim.theory.kafka import kafka_assignment, kafka_mm1_wait, kafka_saturation
from mqsim.theory.kafka_keys import (kafka_consumer_shares, kafka_max_rate, kafka_throughput, kafka_wait,
                                    partitions_needed)
from mqsim.theory.laws import (
                   backlog_growth_rate,
                   bottleneck_throughput,
                   little_L,
                   little_lam,
                   little_W,
                   offered_load,
                   saturation_throughput,
                   utilisation,
)
from mqsim.theory.markovian import (
                   FiniteMetrics,
                   MMcMetrics,
                   erlang_b,
                   erlang_c,
                   mm1,
                   mm1k,
                   mmc,
                   mmck,
                   mmck_drop_head,
)
from mqsim.theory.mg1 import allen_cunneen, kingman, kingman_bound, md1, mg1, sakasegawa
from mqsim.theory.priority import (
                   cobham,
                   combine_classes,
                   np_priority_mg1,
                   np_priority_mmc,
                   pr_priority_mg1,
                   pr_priority_mmc,
)
from mqsim.theory.results import QueueMetrics, UnstableError
from mqsim.theory.select import Prediction, for_scenario
from mqsim.theory.tandem_time import tandem_sojourn_pdf
from mqsim.theory.sizing import (
                   erlang_b_servers,
                   erlang_b_traffic,
                   erlang_c_servers,
                   erlang_c_traffic,
                   mmc_min_servers,
)

__all__ = [
    # laws
    "little_L", "little_W", "little_lam", "utilisation", "saturation_throughput", "offered_load",
    "backlog_growth_rate", "bottleneck_throughput",
    # results
    "QueueMetrics", "UnstableError",
    # markovian
    "MMcMetrics", "FiniteMetrics", "mm1", "mm1k", "erlang_b", "erlang_c", "mmc", "mmck",
    "mmck_drop_head", "smallest_max_length",
    # general service
    "mg1", "md1", "kingman", "kingman_bound", "allen_cunneen", "sakasegawa",
    "GIM1Metrics", "gi_m1", "md_c_exact", "batch_wait",
    # priority
    "np_priority_mg1", "np_priority_mmc", "pr_priority_mg1", "pr_priority_mmc", "cobham",
    "combine_classes",
    # kafka
    "kafka_saturation", "kafka_assignment", "kafka_mm1_wait", "kafka_consumer_shares", "kafka_throughput",
    "kafka_max_rate", "kafka_wait", "partitions_needed",
    # impatience
    "mm1_ttl", "erlang_a", "mm1_ttl_mix", "exponential_ttls", "ttl_for_expiry",
    # networks
    "JacksonResult", "jackson", "tandem", "tandem_sojourn_pdf",
    # sizing
    "erlang_b_servers", "erlang_b_traffic", "erlang_c_servers", "erlang_c_traffic",
    "mmc_min_servers",
    # scenario
    "Prediction", "for_scenario",
]
