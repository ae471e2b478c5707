"""mqsim.teaching."""
