"""mqsim.viz."""
