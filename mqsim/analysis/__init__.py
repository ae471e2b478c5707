"""mqsim.analysis."""
