"""The SimPy engine: long-lived producer and consumer processes around broker queues."""

from mqsim.sim.simpy.engine import Simulation

__all__ = ["Simulation"]
