"""Deprecated: moved to :mod:`mqsim.teaching.lessons2` (this alias goes away in the next release)."""

from mqsim._compat import deprecated_module

deprecated_module(__name__, "mqsim.teaching.lessons2")
