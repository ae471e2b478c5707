"""mqsim.experiments."""
