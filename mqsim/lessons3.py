"""Deprecated: the notebook 09-12 helpers moved to the lecture modules of :mod:`mqsim.teaching`,
the formulas (``erlang_a``, ``mm1_ttl_mix``, ``exponential_ttls``, ``ttl_for_expiry``,
``tandem_sojourn_pdf``, ``kafka_throughput``, ``kafka_max_rate``, ``kafka_wait``,
``partitions_needed``) to :mod:`mqsim.theory` (this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.teaching.common", "mqsim.teaching.impatience", "mqsim.teaching.networks",
                  "mqsim.teaching.kafka", "mqsim.teaching.capacity_planning", "mqsim.theory")
