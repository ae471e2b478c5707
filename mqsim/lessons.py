"""Deprecated: the notebook 00-04 helpers moved to the lecture modules of :mod:`mqsim.teaching`
(this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.teaching.common", "mqsim.teaching.flow_balance", "mqsim.teaching.event_engine",
                  "mqsim.teaching.output_analysis", "mqsim.teaching.competing_consumers")
