"""mqsim.sim.simpy."""
