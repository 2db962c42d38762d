"""The credit area's services."""
