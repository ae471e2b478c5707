"""Deprecated: moved to :mod:`mqsim.sim.records` (this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.sim.records")
