"""Deprecated: the notebook 05-08 helpers moved to the lecture modules of :mod:`mqsim.teaching`,
the formulas (``md_c_exact``, ``batch_wait``, ``smallest_max_length``) to :mod:`mqsim.theory`
(this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.teaching.common", "mqsim.teaching.bounded_queues",
                  "mqsim.teaching.service_variability", "mqsim.teaching.bursty_producers",
                  "mqsim.teaching.priorities", "mqsim.theory")
