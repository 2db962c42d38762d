"""Order credit checks: the limit policy, exposure, reservations and held orders."""
