"""mqsim.sim."""
