"""mqsim.model."""
