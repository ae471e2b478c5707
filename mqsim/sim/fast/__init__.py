"""The fast engine: a numba-compiled event loop that follows the SimPy engine's sample paths.

See :mod:`mqsim.sim.fast.driver`; numba is imported only when a run needs it.
"""

from mqsim.sim.fast.driver import (
    INSTALL_HINT,
    FastEngineUnavailable,
    available,
    check_supported,
    simulate,
    unsupported,
    warm_up,
)

__all__ = ["simulate", "unsupported", "check_supported", "available", "warm_up", "FastEngineUnavailable",
           "INSTALL_HINT"]
