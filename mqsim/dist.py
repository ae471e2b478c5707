"""Probability distributions (public alias of :mod:`mqsim.model.dist`)."""

from mqsim.model.dist import *  # noqa: F401,F403
from mqsim.model.dist import __all__  # noqa: F401
