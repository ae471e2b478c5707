"""mqsim.sim.fast."""
