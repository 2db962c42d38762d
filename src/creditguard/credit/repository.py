"""Every query of credit limits, policies, checks and reservations."""
