"""Deprecated: moved to :mod:`mqsim.experiments.slo` (this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.experiments.slo")
